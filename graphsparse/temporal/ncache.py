"""N-caches: per-node hash tables of the 0/1/2-hop temporal neighbourhood (NAT, Luo & Li, LoG 2022).

Reference: Y. Luo and P. Li, "Neighborhood-aware Scalable Temporal Network Representation
Learning", LoG 2022, and the authors' code (Graph-COM/Neighborhood-Aware-Temporal-Network).
See ``/work/shared/specs/NAT.md`` for the behaviour reproduced here.

Every node ``u`` owns ``S = 1 + M1 + M2`` slots: slot 0 is the hop-0 dictionary (u itself, its
latest event), slots ``[1, 1+M1)`` the hop-1 dictionary, ``[1+M1, S)`` the hop-2 dictionary.
A slot holds ``(key a, edge id j, time t, value h in R^F)``. Memory, in flat preallocated arrays
(int32 keys/edge ids, float32 times/values, no per-node Python objects)::

    bytes = N * (1 + M1 + M2) * (3 + F) * 4          (M = 32/16, F = 4: 1,372 B per node)

Deviations from the reference code (on purpose):

1. ids are 0-based and an empty slot has key -1 (the reference uses id 0 as padding and ``t == 0``
   as "empty", which mislabels events at time 0);
2. the hash seed ``s`` is forced odd (``s = 2 * (seed % 50) + 1``): with an even ``s`` the
   reference hash ``(a s + a^2 (s+1)) mod 32`` reaches only 7 of the 32 slots;
3. the overwrite coin is a counter-based hash of (seed, step, hop, candidate), so that the
   result is deterministic and identical on the Numba and torch paths, and concurrent writes to
   one slot inside a batch are resolved "last candidate in canonical order wins" (the reference
   leaves this to the GPU scatter order).
"""
from __future__ import annotations

import numbers
import os
import zipfile
import zlib
from typing import NamedTuple

import numpy as np

from graphsparse._validation import as_index_array, check_fraction, check_node_ids, check_positive_int
from graphsparse.temporal import _kernels

__all__ = ["NCache", "CacheView", "JointFeatures", "NUM_CODES"]

NUM_CODES = _kernels.NUM_CODES
_STATE_ARRAYS = ("keys", "edge_ids", "times", "values")
_STATE_SCALARS = ("step", "num_edges_seen", "last_time", "num_nodes", "hop_sizes", "value_dim", "alpha", "seed",
                  "hash_seed")
_FILE_FORMAT = 1
MAX_NODES = 2**31 - 1  # keys are int32


class CacheView(NamedTuple):
    """Rows of the cache for a set of nodes: arrays of shape (n, S) and values (n, S, F).

    Returned by :meth:`NCache.lookup` (NumPy arrays, or tensors with the torch backend); slot 0
    is the hop-0 dictionary, ``[1, 1+M1)`` hop 1, ``[1+M1, S)`` hop 2.

    Attributes
    ----------
    keys : int32 array of shape (n, S)
        Node id stored in each slot, ``-1`` for an empty slot (see :attr:`occupied`).
    edge_ids : int32 array of shape (n, S)
        Id of the event that wrote the slot.
    times : float32 array of shape (n, S)
        Time of that event.
    values : float32 array of shape (n, S, F)
        The slot's value ``h``.

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.temporal import NCache
    >>> cache = NCache(5, hop_sizes=(4, 2), value_dim=3, seed=0)
    >>> _ = cache.update(np.array([0, 1]), np.array([1, 2]), np.array([1.0, 2.0]))
    >>> view = cache.lookup([0, 1, 4])
    >>> view.keys.shape, view.values.shape  # S = 1 + 4 + 2 slots, F = 3
    ((3, 7), (3, 7, 3))
    >>> view.occupied.sum(axis=1).tolist()  # 0: itself + 1; 1: itself + 0 and 2; 4: nothing
    [2, 3, 0]
    """

    keys: object
    edge_ids: object
    times: object
    values: object

    @property
    def occupied(self):
        return self.keys >= 0


class JointFeatures(NamedTuple):
    """Union keys of each pair in CSR form: pair ``p`` owns ``keys[pair_ptr[p]:pair_ptr[p+1]]``.

    ``codes`` holds the 6-bit distance encoding of each key: bit ``k`` set if the key is in the
    hop-``k`` dictionary of ``u``, bit ``k + 3`` if it is in the hop-``k`` dictionary of ``w``.
    Returned by :meth:`NCache.joint_features`.

    Attributes
    ----------
    pair_ptr : int64 array of shape (num_pairs + 1,)
        CSR offsets of each pair's keys.
    keys : int array of shape (pair_ptr[-1],)
        Union of the node ids cached by ``u`` and ``w``, pair by pair.
    codes : int array of shape (pair_ptr[-1],)
        The distance code of each key (0..63).

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.temporal import NCache
    >>> cache = NCache(5, hop_sizes=(4, 2), value_dim=3, seed=0)
    >>> _ = cache.update(np.array([0, 1]), np.array([1, 2]), np.array([1.0, 2.0]))
    >>> joint = cache.joint_features([0], [2])
    >>> joint.pair_ptr.tolist(), joint.keys.tolist()
    ([0, 3], [0, 1, 2])
    >>> [int(c) for c in joint.codes]  # 0: hop 0 of u; 1: hop 1 of u and of w; 2: hop 0 of w
    [1, 18, 8]
    """

    pair_ptr: object
    keys: object
    codes: object


def _is_torch(obj) -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover
        return False
    return isinstance(obj, torch.Tensor)


class NCache:
    """Neighbourhood caches of NAT with a Numba (CPU) and a torch (any device) implementation.

    Parameters
    ----------
    num_nodes : int
        N; node ids are ``0 .. N-1``.
    hop_sizes : tuple of int, default (32, 16)
        ``(M1,)`` or ``(M1, M2)``: slots of the hop-1 and hop-2 dictionaries (M0 = 1). 0 disables
        a hop (M2 = 0 gives the 1-hop NAT of the Wiki-talk setting). Any positive size works (no
        power of two needed).
    value_dim : int, default 4
        F, size of a dictionary value.
    alpha : float, default 0.9
        Overwrite probability when a slot holds a different key (``replace_prob`` of the code).
    seed : int, default 0
        Drives the hash (``s = 2 (seed % 50) + 1``) and the overwrite coins.
    backend : {'numba', 'torch'}
        'numba' keeps NumPy arrays and returns NumPy; 'torch' keeps tensors on ``device`` and
        returns tensors. Both give identical states and outputs for the same seed.
    device : torch device or str, optional (torch backend only)

    Attributes
    ----------
    num_edges_seen_ : int
        Events absorbed so far (the default edge id of the next one).
    last_time_ : float
        Time of the latest absorbed event (a batch may not start earlier).

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.temporal import NCache
    >>> cache = NCache(5, hop_sizes=(4, 2), value_dim=3, seed=0)
    >>> cache.update(np.array([0, 1]), np.array([1, 2]), np.array([1.0, 2.0]))  # writes
    8
    >>> cache.num_edges_seen_, cache.last_time_
    (2, 2.0)
    >>> cache.lookup([1]).keys.tolist()  # hop 0: itself; hop 1: 0 and 2 (slots by hash); hop 2 empty
    [[1, 0, -1, 2, -1, -1, -1]]
    >>> cache.nbytes == 5 * (1 + 4 + 2) * (3 + 3) * 4  # N * S * (3 + F) * 4 bytes
    True

    Notes
    -----
    Write rule (spec "N-cache update"), for the batch of positive edges (u_i, v_i, t_i, j_i) and
    each direction (x, y) in {(u, v), (v, u)}:

    (1) hop 0: (x, j, t, h'_0(x)) -> C_0[x];
    (2) hop 1: (y, j, t, h'_{x}(y) if y is already in C_1[x] else 0) -> slot h_1(y) of C_1[x];
    (3) hop 2: every occupied (a, j_a, t_a, h'_a) of C_1[y] -> slot h_2(a) of C_2[x];
    (4) a candidate overwrites if the slot is empty or holds the same key, else with
        probability alpha; decisions read the state before the batch.
    """

    def __init__(self, num_nodes, hop_sizes=(32, 16), value_dim=4, alpha=0.9, seed=0,
                 backend="numba", device=None):
        self.num_nodes = check_positive_int(num_nodes, "num_nodes")
        if self.num_nodes > MAX_NODES:
            raise ValueError(f"num_nodes={self.num_nodes} exceeds {MAX_NODES}: the cache stores node ids as int32 "
                             "(relabel the ids to 0..N-1 first, e.g. as_temporal(..., relabel=True))")
        sizes = tuple(hop_sizes) if not isinstance(hop_sizes, numbers.Integral) else (hop_sizes,)
        if len(sizes) not in (1, 2):
            raise ValueError(f"hop_sizes must be (M1,) or (M1, M2), got {hop_sizes!r}")
        sizes = tuple(check_positive_int(m, f"hop_sizes[{k}]", allow_zero=True) for k, m in enumerate(sizes))
        if len(sizes) == 1:
            sizes = sizes + (0,)
        if sizes[0] == 0 and sizes[1] > 0:
            raise ValueError(f"hop_sizes={hop_sizes!r}: the hop-2 dictionary is fed by hop 1, so M1 must be > 0")
        self.hop_sizes = sizes
        self.value_dim = check_positive_int(value_dim, "value_dim")
        self.alpha = check_fraction(alpha, "alpha", high_inclusive=True)
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
        self.seed = int(seed) & 0xFFFFFFFF
        self.hash_seed = 2 * (int(seed) % 50) + 1
        if backend not in ("numba", "torch"):
            raise ValueError(f"backend must be 'numba' or 'torch', got {backend!r}")
        self.backend = backend
        self.device = device
        self.num_slots = 1 + sizes[0] + sizes[1]
        hop = np.zeros(self.num_slots, np.int64)
        hop[1:1 + sizes[0]] = 1
        hop[1 + sizes[0]:] = 2
        self._hop_of_slot_np = hop
        self._threshold = min(int(self.alpha * 2 ** 32), 2 ** 32)
        self._allocate()
        self.reset()

    # ---------------------------------------------------------------- storage
    def _allocate(self):
        shape = (self.num_nodes, self.num_slots)
        try:
            self._allocate_arrays(shape)
        except (MemoryError, RuntimeError) as err:
            if isinstance(err, RuntimeError) and "alloc" not in str(err).lower():
                raise
            raise MemoryError(f"NCache(num_nodes={self.num_nodes}, hop_sizes={self.hop_sizes}, "
                              f"value_dim={self.value_dim}) needs {self.nbytes / 2**30:.1f} GiB "
                              f"(N x (1 + M1 + M2) x (3 + F) x 4 B) and the allocation failed; are the node ids "
                              "contiguous (0..N-1)?") from None

    def _allocate_arrays(self, shape):
        if self.backend == "numba":
            self.keys = np.empty(shape, np.int32)
            self.edge_ids = np.empty(shape, np.int32)
            self.times = np.empty(shape, np.float32)
            self.values = np.empty(shape + (self.value_dim,), np.float32)
            self.hop_of_slot = self._hop_of_slot_np
        else:
            import torch

            dev = torch.device(self.device) if self.device is not None else torch.device("cpu")
            self.device = dev
            self.keys = torch.empty(shape, dtype=torch.int32, device=dev)
            self.edge_ids = torch.empty(shape, dtype=torch.int32, device=dev)
            self.times = torch.empty(shape, dtype=torch.float32, device=dev)
            self.values = torch.empty(shape + (self.value_dim,), dtype=torch.float32, device=dev)
            self.hop_of_slot = torch.as_tensor(self._hop_of_slot_np, device=dev)

    @property
    def nbytes(self) -> int:
        """Bytes held by the four slot arrays = N * S * (3 + F) * 4."""
        return self.num_nodes * self.num_slots * (3 + self.value_dim) * 4

    def reset(self) -> "NCache":
        """Empty every slot (key -1), zero the values, restart the step counter and clock."""
        self.keys[...] = -1
        self.edge_ids[...] = -1
        self.times[...] = 0
        self.values[...] = 0
        self.step_ = 0
        self.num_edges_seen_ = 0
        self.last_time_ = -np.inf
        return self

    def __repr__(self) -> str:
        return (f"NCache(num_nodes={self.num_nodes}, hop_sizes={self.hop_sizes}, value_dim={self.value_dim}, "
                f"alpha={self.alpha}, seed={self.seed}, backend={self.backend!r}, "
                f"memory={self.nbytes / 2**20:.1f} MiB)")

    # ---------------------------------------------------------------- conversions
    def _index(self, nodes, name):
        ids = check_node_ids(as_index_array(nodes, name), self.num_nodes, name)
        return self._to_backend(ids)

    def _to_backend(self, array):
        if self.backend == "numba":
            return array
        import torch

        return torch.as_tensor(array, device=self.device)

    def _float(self, array, name, shape=None):
        if _is_torch(array):
            array = array.detach()
            if self.backend == "numba":
                array = array.cpu().numpy()
        array_np = array if self.backend == "torch" else np.asarray(array, dtype=np.float32)
        if shape is not None and tuple(array_np.shape) != tuple(shape):
            raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(array_np.shape)}")
        if self.backend == "numba":
            return np.ascontiguousarray(array_np, dtype=np.float32)
        import torch

        return torch.as_tensor(array_np, dtype=torch.float32, device=self.device)

    # ---------------------------------------------------------------- read
    def lookup(self, nodes) -> CacheView:
        """Copy of the slots of ``nodes``: keys/edge_ids/times (n, S), values (n, S, F)."""
        idx = self._index(nodes, "nodes")
        return CacheView(self.keys[idx], self.edge_ids[idx], self.times[idx], self.values[idx])

    def joint_features(self, u, w) -> JointFeatures:
        """Union of the keys of ``u[p]``'s and ``w[p]``'s dictionaries with distance codes."""
        u_idx, w_idx = self._pairs(u, w)
        if self.backend == "numba":
            return JointFeatures(*_kernels.joint_features(self.keys, u_idx, w_idx, self.hop_of_slot))
        pair, keys, codes = self._torch_union(u_idx, w_idx)
        import torch

        counts = torch.bincount(pair, minlength=len(u_idx))
        pair_ptr = torch.zeros(len(u_idx) + 1, dtype=torch.int64, device=self.device)
        pair_ptr[1:] = torch.cumsum(counts, 0)
        return JointFeatures(pair_ptr, keys, codes)

    def joint_groups(self, u, w):
        """:meth:`joint_features` plus ``row_group`` (P, 2S): for row r of pair p (u's slots then
        w's slots) the index of its union key in ``keys`` (-1 for empty slots)."""
        u_idx, w_idx = self._pairs(u, w)
        if self.backend == "numba":
            return _kernels.joint_groups(self.keys, u_idx, w_idx, self.hop_of_slot)
        import torch

        pair, keys, codes, inverse, valid = self._torch_union(u_idx, w_idx, return_rows=True)
        row_group = torch.full(valid.shape, -1, dtype=torch.int64, device=self.device)
        row_group[valid] = inverse
        counts = torch.bincount(pair, minlength=len(u_idx))
        pair_ptr = torch.zeros(len(u_idx) + 1, dtype=torch.int64, device=self.device)
        pair_ptr[1:] = torch.cumsum(counts, 0)
        return pair_ptr, keys, codes, row_group

    def distance_histogram(self, u, w):
        """(P, 64) float32: number of union keys of pair p with distance code c.

        With NAT's sum pooling, sum_a Emb(DE_a) = hist @ Emb, so this is all the model needs
        from the joint neighbourhood besides per-node sums.
        """
        u_idx, w_idx = self._pairs(u, w)
        if self.backend == "numba":
            return _kernels.distance_histogram(self.keys, u_idx, w_idx, self.hop_of_slot)
        import torch

        pair, _, codes = self._torch_union(u_idx, w_idx)
        flat = torch.bincount(pair * NUM_CODES + codes, minlength=len(u_idx) * NUM_CODES)
        return flat.reshape(len(u_idx), NUM_CODES).to(torch.float32)

    def _pairs(self, u, w):
        u_ids = check_node_ids(as_index_array(u, "u"), self.num_nodes, "u")
        w_ids = check_node_ids(as_index_array(w, "w"), self.num_nodes, "w")
        if u_ids.shape != w_ids.shape or u_ids.ndim != 1:
            raise ValueError(f"u and w must be 1-D of equal length, got shapes {u_ids.shape} and {w_ids.shape}")
        return self._to_backend(u_ids), self._to_backend(w_ids)

    def _torch_union(self, u, w, return_rows=False):
        import torch

        num_pairs = len(u)
        bits_u = torch.bitwise_left_shift(torch.ones_like(self.hop_of_slot), self.hop_of_slot)
        bits = torch.cat([bits_u, bits_u * 8]).expand(num_pairs, -1)
        keys = torch.cat([self.keys[u], self.keys[w]], dim=1).to(torch.int64)
        valid = keys >= 0
        pair = torch.arange(num_pairs, device=self.device).unsqueeze(1).expand_as(keys)
        composite = (pair * self.num_nodes + keys)[valid]
        unique, inverse = torch.unique(composite, sorted=True, return_inverse=True)
        # a key occupies at most one slot per (node, hop): the bits are distinct, so sum == OR
        codes = torch.zeros(len(unique), dtype=torch.int64, device=self.device)
        codes.scatter_add_(0, inverse, bits[valid])
        if return_rows:
            return unique // self.num_nodes, unique % self.num_nodes, codes, inverse, valid
        return unique // self.num_nodes, unique % self.num_nodes, codes

    # ---------------------------------------------------------------- write
    def update(self, src, dst, t, edge_ids=None, src_values=None, dst_values=None) -> int:
        """Insert a time-ordered batch of edges ``(src_i, dst_i, t_i, edge_ids_i)``.

        ``src_values`` / ``dst_values`` (B, S, F) are the refreshed values h' of the rows of
        ``src_i`` / ``dst_i`` (computed by the model before the update); ``None`` uses the stored
        values. ``t`` must be non-decreasing and not earlier than the previous batch
        (``ValueError`` otherwise). An empty batch is a no-op. Returns the number of writes.
        """
        src_ids = check_node_ids(as_index_array(src, "src"), self.num_nodes, "src")
        dst_ids = check_node_ids(as_index_array(dst, "dst"), self.num_nodes, "dst")
        t_np = t.detach().cpu().numpy() if _is_torch(t) else np.asarray(t)
        t_np = np.asarray(t_np, dtype=np.float64).reshape(-1)
        num_edges = len(src_ids)
        if len(dst_ids) != num_edges or len(t_np) != num_edges:
            raise ValueError(f"src, dst and t must have equal length, got {num_edges}, {len(dst_ids)}, {len(t_np)}")
        if num_edges == 0:
            return 0
        if not np.isfinite(t_np).all():
            raise ValueError("t must be finite")
        if np.abs(t_np).max() > np.finfo(np.float32).max:
            raise ValueError("t exceeds the float32 range of the cache's times; shift the times to start at 0 "
                             "(as_temporal(..., relative_time=True))")
        if np.any(np.diff(t_np) < 0) or t_np[0] < self.last_time_:
            raise ValueError("t must be non-decreasing within a batch and not earlier than the previous batch "
                             f"(last time {self.last_time_}); sort the edges by time first")
        if edge_ids is None:
            eid_np = np.arange(self.num_edges_seen_, self.num_edges_seen_ + num_edges, dtype=np.int64)
        else:
            eid_np = as_index_array(edge_ids, "edge_ids")
            if len(eid_np) != num_edges:
                raise ValueError(f"edge_ids must have length {num_edges}, got {len(eid_np)}")
        if eid_np.size and (eid_np.min() < 0 or eid_np.max() >= 2 ** 31):
            raise ValueError("edge_ids must lie in [0, 2**31)")
        shape = (num_edges, self.num_slots, self.value_dim)
        src_b, dst_b = self._to_backend(src_ids), self._to_backend(dst_ids)
        src_v = self.values[src_b] if src_values is None else self._float(src_values, "src_values", shape)
        dst_v = self.values[dst_b] if dst_values is None else self._float(dst_values, "dst_values", shape)
        m1, m2 = self.hop_sizes
        if self.backend == "numba":
            written = _kernels.ncache_update(
                self.keys, self.edge_ids, self.times, self.values, src_ids, dst_ids,
                t_np.astype(np.float32), eid_np.astype(np.int32), src_v, dst_v,
                m1, m2, self.hash_seed, self.seed, self.step_, self._threshold)
        else:
            written = self._torch_update(src_b, dst_b, t_np, eid_np, src_v, dst_v)
        self.step_ += 1
        self.num_edges_seen_ += num_edges
        self.last_time_ = float(t_np[-1])
        return int(written)

    def _torch_update(self, src, dst, t_np, eid_np, src_v, dst_v):
        import torch

        dev = self.device
        m1, m2 = self.hop_sizes
        num_edges = len(src)
        t = torch.as_tensor(t_np.astype(np.float32), device=dev)
        eid = torch.as_tensor(eid_np.astype(np.int32), device=dev)
        x = torch.stack([src, dst], 1).reshape(-1)               # candidate c = 2 i + d
        y = torch.stack([dst, src], 1).reshape(-1)
        xv = torch.stack([src_v, dst_v], 1).reshape(2 * num_edges, self.num_slots, self.value_dim)
        yv = torch.stack([dst_v, src_v], 1).reshape(2 * num_edges, self.num_slots, self.value_dim)
        t2 = t.repeat_interleave(2)
        e2 = eid.repeat_interleave(2)
        cand = torch.arange(2 * num_edges, device=dev)
        parts = []  # (flat target, key, eid, time, value, accept)

        def coin(hop, index):
            return _torch_random_u32(self.seed, self.step_, hop, index) < self._threshold

        # hop 0
        k_old = self.keys[x, 0].to(torch.int64)
        accept = (k_old < 0) | (k_old == x) | coin(0, cand)
        val = torch.where((k_old >= 0).unsqueeze(1), xv[:, 0], torch.zeros_like(xv[:, 0]))
        parts.append((x * self.num_slots, x, e2, t2, val, accept))
        if m1 > 0:
            slot = 1 + _torch_hash(y, self.hash_seed, m1)
            k_old = self.keys[x, slot].to(torch.int64)
            same = k_old == y
            accept = (k_old < 0) | same | coin(1, cand)
            val = torch.where(same.unsqueeze(1), xv[cand, slot], torch.zeros_like(xv[:, 0]))
            parts.append((x * self.num_slots + slot, y, e2, t2, val, accept))
        if m2 > 0:
            rows = slice(1, 1 + m1)
            a = self.keys[y, rows].to(torch.int64)                   # (2B, M1)
            occupied = a >= 0
            slot = 1 + m1 + _torch_hash(a.clamp(min=0), self.hash_seed, m2)
            k_old = self.keys[x.unsqueeze(1), slot].to(torch.int64)
            index = cand.unsqueeze(1) * m1 + torch.arange(m1, device=dev)
            accept = occupied & ((k_old < 0) | (k_old == a) | coin(2, index))
            parts.append(((x.unsqueeze(1) * self.num_slots + slot).reshape(-1), a.reshape(-1),
                          self.edge_ids[y, rows].reshape(-1), self.times[y, rows].reshape(-1),
                          yv[:, rows].reshape(-1, self.value_dim), accept.reshape(-1)))
        target, key, eids, times, vals, accept = (torch.cat([p[k] for p in parts]) for k in range(6))
        order = torch.nonzero(accept).squeeze(1)
        if len(order) == 0:
            return 0
        target = target[order]
        unique, inverse = torch.unique(target, return_inverse=True)
        winner = torch.full((len(unique),), -1, dtype=torch.int64, device=dev)
        winner.scatter_reduce_(0, inverse, torch.arange(len(order), device=dev), reduce="amax")
        pick = order[winner]
        self.keys.view(-1)[unique] = key[pick].to(torch.int32)
        self.edge_ids.view(-1)[unique] = eids[pick].to(torch.int32)
        self.times.view(-1)[unique] = times[pick]
        self.values.view(-1, self.value_dim)[unique] = vals[pick]
        return len(order)

    # ---------------------------------------------------------------- persistence
    def state_dict(self) -> dict:
        """Everything needed to continue exactly: slot arrays (NumPy copies), counters, config."""
        arrays = {}
        for name in _STATE_ARRAYS:
            array = getattr(self, name)
            arrays[name] = array.detach().cpu().numpy().copy() if _is_torch(array) else array.copy()
        return {**arrays, "step": self.step_, "num_edges_seen": self.num_edges_seen_,
                "last_time": self.last_time_, "num_nodes": self.num_nodes, "hop_sizes": self.hop_sizes,
                "value_dim": self.value_dim, "alpha": self.alpha, "seed": self.seed,
                "hash_seed": self.hash_seed}

    def load_state_dict(self, state: dict) -> "NCache":
        """Restore a :meth:`state_dict` (from either backend); the configuration must match.

        The state is checked before anything is written (``ValueError`` naming the entry): every key
        present, arrays of the cache's exact shapes, keys in ``[-1, N)`` at their hash slots (hop 0:
        the node itself), edge ids in ``[-1, 2**31)``, finite times and values, no slot later than
        ``last_time``, non-negative counters."""
        arrays, scalars = _check_state(state, self)
        for name in _STATE_ARRAYS:
            array = arrays[name]
            target = getattr(self, name)
            if self.backend == "numba":
                target[...] = array
            else:
                import torch

                target.copy_(torch.as_tensor(array, device=self.device))
        self.seed, self.alpha = scalars["seed"], scalars["alpha"]
        self._threshold = min(int(self.alpha * 2 ** 32), 2 ** 32)
        self.step_ = scalars["step"]
        self.num_edges_seen_ = scalars["num_edges_seen"]
        self.last_time_ = scalars["last_time"]
        return self

    def save(self, path) -> str:
        """Write the cache to ``path`` (``.npz``; plain arrays, no pickle) and return the file name.

        :meth:`load` reads it back exactly (into either backend). ``save('c')`` writes ``c.npz`` and
        ``load('c')`` finds it. Unlike ``torch.save(cache.state_dict())``, the file needs no
        ``torch.load(weights_only=False)``.
        """
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        path = os.fspath(path)
        if os.path.isdir(path):
            raise ValueError(f"path {path!r} is a directory; give a file name such as "
                             f"{os.path.join(path, 'ncache.npz')!r}")
        if not path.endswith(".npz"):
            path += ".npz"
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"cannot save the cache to {path!r}: folder {folder!r} does not exist")
        state = self.state_dict()
        arrays = {name: state[name] for name in _STATE_ARRAYS}
        arrays.update({name: np.asarray(state[name]) for name in _STATE_SCALARS})
        arrays["format"] = np.asarray(_FILE_FORMAT)
        np.savez(path, **arrays)
        return path

    @classmethod
    def load(cls, path, backend="numba", device=None) -> "NCache":
        """Read a cache written by :meth:`save` (the file is untrusted: checked as in
        :meth:`load_state_dict`, never unpickled) into a new cache on ``backend``/``device``."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        path = os.fspath(path)
        if not os.path.exists(path) and os.path.isfile(path + ".npz"):
            path += ".npz"
        if not os.path.isfile(path):
            raise FileNotFoundError(f"N-cache file {path!r} not found")
        try:
            archive = np.load(path, allow_pickle=False)
            if not hasattr(archive, "files"):
                raise ValueError("a single .npy array, not an .npz archive")
            with archive:
                contents = {key: archive[key] for key in archive.files}
        except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as err:
            raise ValueError(f"{path}: not a readable N-cache file ({type(err).__name__}: {err})") from None
        file_format = contents.get("format")
        if file_format is None or file_format.shape != () or file_format.dtype.kind not in "iu" or \
                int(file_format) != _FILE_FORMAT:
            raise ValueError(f"{path}: not an N-cache file of format {_FILE_FORMAT} (key 'format' missing or different)")
        missing = [key for key in _STATE_ARRAYS + _STATE_SCALARS if key not in contents]
        if missing:
            raise ValueError(f"{path}: missing key(s) {', '.join(missing)}")
        state = {}
        for key in _STATE_SCALARS:
            value = contents[key]
            if key == "hop_sizes":
                if value.shape != (2,) or value.dtype.kind not in "iu":
                    raise ValueError(f"{path}: key 'hop_sizes' must hold two integers, got {value!r}")
                state[key] = tuple(int(v) for v in value)
            elif value.shape != () or value.dtype.kind not in ("f" if key in ("last_time", "alpha") else "iu"):
                raise ValueError(f"{path}: key {key!r} must be a scalar "
                                 f"{'number' if key in ('last_time', 'alpha') else 'integer'}, got {value!r}")
            else:
                state[key] = value.item()
        for key in _STATE_ARRAYS:
            state[key] = contents[key]
        try:
            cache = cls(state["num_nodes"], state["hop_sizes"], state["value_dim"], state["alpha"],
                        seed=state["seed"], backend=backend, device=device)
        except (ValueError, TypeError) as err:
            raise ValueError(f"{path}: invalid cache configuration ({err})") from None
        hash_seed = state["hash_seed"]
        if not (isinstance(hash_seed, int) and 1 <= hash_seed <= 99 and hash_seed % 2 == 1):
            raise ValueError(f"{path}: key 'hash_seed' must be an odd integer in [1, 99], got {hash_seed!r}")
        cache.hash_seed = hash_seed
        try:
            return cache.load_state_dict(state)
        except (ValueError, TypeError) as err:
            raise ValueError(f"{path}: {err}") from None


def _check_state(state, cache: "NCache"):
    """Validated NumPy arrays and Python scalars of an N-cache state (see ``load_state_dict``)."""
    if not isinstance(state, dict):
        raise TypeError(f"state must be a dict from NCache.state_dict(), got {type(state).__name__}")
    missing = [key for key in _STATE_ARRAYS + _STATE_SCALARS if key not in state]
    if missing:
        raise ValueError(f"state_dict misses key(s) {', '.join(missing)}")
    for name in ("num_nodes", "value_dim", "hash_seed"):
        value = state[name]
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value != getattr(cache, name):
            raise ValueError(f"state_dict has {name}={value!r}, this cache has {getattr(cache, name)!r}")
    try:  # integers only: a float (even inf or NaN) or a nested array is refused, never truncated
        hop_sizes = tuple(state["hop_sizes"])
    except TypeError:
        hop_sizes = None
    if hop_sizes is None or not all(isinstance(v, (numbers.Integral, np.integer)) and
                                    not isinstance(v, (bool, np.bool_)) for v in hop_sizes):
        one_line = " ".join(repr(state["hop_sizes"]).split())[:80]
        raise ValueError(f"state_dict has hop_sizes={one_line}, expected two integers")
    hop_sizes = tuple(int(v) for v in hop_sizes)
    if hop_sizes != cache.hop_sizes:
        raise ValueError(f"state_dict has hop_sizes={hop_sizes}, this cache has {cache.hop_sizes}")
    scalars = {}
    for name in ("step", "num_edges_seen", "seed"):
        value = state[name]
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)) or value < 0:
            raise ValueError(f"state_dict entry {name!r} must be a non-negative integer, got {value!r}")
        scalars[name] = int(value)
    if scalars["seed"] >= 2**32:
        raise ValueError(f"state_dict entry 'seed' must be < 2**32, got {scalars['seed']}")
    alpha = state["alpha"]
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"state_dict entry 'alpha' must lie in [0, 1], got {alpha!r}")
    scalars["alpha"] = float(alpha)
    last_time = state["last_time"]
    if isinstance(last_time, bool) or not isinstance(last_time, numbers.Real) or np.isnan(last_time) or \
            last_time > np.finfo(np.float32).max or (last_time < -np.finfo(np.float32).max and not (
                last_time == -np.inf and scalars["num_edges_seen"] == 0)):
        raise ValueError(f"state_dict entry 'last_time' must be a finite time (or -inf before any event), "
                         f"got {last_time!r}")
    scalars["last_time"] = float(last_time)

    num_nodes, num_slots = cache.num_nodes, cache.num_slots
    shapes = {"keys": (num_nodes, num_slots), "edge_ids": (num_nodes, num_slots), "times": (num_nodes, num_slots),
              "values": (num_nodes, num_slots, cache.value_dim)}
    arrays = {}
    for name in _STATE_ARRAYS:
        array = state[name]
        array = array.detach().cpu().numpy() if _is_torch(array) else np.asarray(array)
        if tuple(array.shape) != shapes[name]:
            raise ValueError(f"state_dict entry {name!r} must have shape {shapes[name]}, got {tuple(array.shape)}")
        kinds = "iu" if name in ("keys", "edge_ids") else "f"
        if array.dtype.kind not in kinds:
            raise ValueError(f"state_dict entry {name!r} must be {'an integer' if kinds == 'iu' else 'a float'} "
                             f"array, got dtype {array.dtype}")
        arrays[name] = array
    keys, edge_ids, times = arrays["keys"], arrays["edge_ids"], arrays["times"]
    if keys.size and (keys.min() < -1 or keys.max() >= num_nodes):
        raise ValueError(f"state_dict entry 'keys' holds ids outside [-1, {num_nodes}) "
                         f"(min {int(keys.min())}, max {int(keys.max())})")
    if edge_ids.size and (edge_ids.min() < -1 or edge_ids.max() >= 2**31):
        raise ValueError("state_dict entry 'edge_ids' holds ids outside [-1, 2**31)")
    for name in ("times", "values"):
        if not np.isfinite(arrays[name]).all():
            raise ValueError(f"state_dict entry {name!r} holds NaN or inf")
    occupied = keys >= 0
    if ((edge_ids >= 0) != occupied).any():
        raise ValueError("state_dict entries 'keys' and 'edge_ids' disagree on which slots are empty (-1)")
    if occupied.any() and times[occupied].max() > np.float32(scalars["last_time"]):  # times are stored float32
        raise ValueError(f"state_dict entry 'times' holds a time {float(times[occupied].max())} later than "
                         f"last_time={scalars['last_time']}")
    hop0 = keys[:, 0]
    if ((hop0 >= 0) & (hop0 != np.arange(num_nodes))).any():
        raise ValueError("state_dict entry 'keys': a hop-0 slot must hold the node itself (or -1)")
    m1, m2 = cache.hop_sizes
    for first, size, hop in ((1, m1, 1), (1 + m1, m2, 2)):
        if size == 0:
            continue
        block = keys[:, first:first + size].astype(np.int64)
        rows, cols = np.nonzero(block >= 0)
        a = block[rows, cols] % size
        expected = (a * cache.hash_seed + a * a * (cache.hash_seed + 1)) % size
        if (expected != cols).any():
            raise ValueError(f"state_dict entry 'keys': a hop-{hop} key sits outside its hash slot (corrupted "
                             "keys, or a state saved with another hash seed)")
    return arrays, scalars


def _torch_hash(key, hash_seed, size):
    a = key % size
    return (a * hash_seed + a * a * (hash_seed + 1)) % size


def _torch_mix32(x):
    mask = 0xFFFFFFFF
    x = x & mask
    x = x ^ (x >> 16)
    x = (x * int(_kernels.MIX_C1)) & mask
    x = x ^ (x >> 15)
    x = (x * int(_kernels.MIX_C2)) & mask
    x = x ^ (x >> 16)
    return x


def _torch_random_u32(seed, step, hop, candidate):
    """Same draws as :func:`graphsparse.temporal._kernels.random_u32`."""
    mask = 0xFFFFFFFF

    def mix_int(value):
        return int(_kernels.mix32(np.int64(value)))

    h = mix_int(seed ^ 0x9E3779B9)
    h = mix_int(h ^ (step & mask))
    h = mix_int(h ^ (hop + 0x51ED27))
    return _torch_mix32(h ^ (candidate & mask))
