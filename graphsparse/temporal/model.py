"""The NAT model (Luo & Li, "Neighborhood-aware Scalable Temporal Network Representation
Learning", LoG 2022) on top of :class:`graphsparse.temporal.NCache`.

For a query pair (u, w) (w = true destination or a negative), following the authors' code
(``/work/shared/specs/NAT.md``):

1. Time encoding      T(t) = cos(t * omega + phi)   (learnable omega = 10^-linspace(0, 9, d_t), phi).
                      The reference encodes the ABSOLUTE stored timestamp t of a cached event;
                      ``time_encoding="relative"`` (a deliberate departure, as TGAT/TGN/DyGLib do)
                      encodes the age ``t_q - t`` instead, with ``t_q`` the earliest event time of the
                      batch being scored (so no event of the batch leaks into its own scores).
2. Value refresh      h'   = GRU_F( W_n [S[a] || e_j || T(t)], h )  for every occupied slot of u, w
                              (one GRUCell shared over hops; empty slots give 0).
3. Self repr. (lazy)  S_u' = GRU_D( W_s [S[p] || e_{j_p} || T(t_p)], S[u] )  with (p, j_p, t_p)
                              the previous event of u.
4. Joint feature      f_a  = [ c_a x_a || sum h' || Emb(DE_a) ] for each key a of the union of
                              u's and w's dictionaries, DE_a the 6-bit distance code.
5. Sum pooling        g    = mean_heads( sum_a W_h f_a ) + b
6. Decoder            logit = W_2 ReLU( W_1 [ g || S_u' || S_w' ] ).

Because the reference pooling is linear (its attention is commented out), step 5 equals
``W_h (sum_a f_a)``, and ``sum_a f_a = [ sum over the rows of u and w of x_a || sum of all refreshed
values of u and w || hist(DE) @ Emb ]``. In eval mode we compute it in that form (exact), from the
64-bin histogram of distance codes given by :meth:`NCache.distance_histogram`. In training mode
dropout acts per union key (:meth:`NCache.joint_groups`), see ``pool_dropout``.

The memory (N-cache, S, previous event P) is updated after scoring, from the batch's positive
edges only, so a batch's scores depend only on the state left by earlier batches.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from graphsparse._validation import as_index_array, check_node_ids, check_positive_int
from graphsparse.temporal.ncache import NUM_CODES, NCache

__all__ = ["NAT", "TimeEncoder"]


class TimeEncoder(nn.Module):
    """T(t) = cos(t omega + phi), omega_i = 10^{-9 i / (d_t - 1)} (TGAT-style), learnable."""

    def __init__(self, time_dim: int = 1):
        super().__init__()
        self.time_dim = check_positive_int(time_dim, "time_dim")
        self.omega = nn.Parameter(torch.from_numpy(1.0 / 10 ** np.linspace(0, 9, time_dim)).float())
        self.phi = nn.Parameter(torch.zeros(time_dim))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return torch.cos(t.unsqueeze(-1) * self.omega + self.phi)


def _as_tensor(array, dtype=None):
    if isinstance(array, torch.Tensor):
        return array if dtype is None else array.to(dtype)
    return torch.from_numpy(np.ascontiguousarray(array)) if dtype is None else torch.as_tensor(array, dtype=dtype)


class NAT(nn.Module):
    """NAT link predictor with its streaming memory (N-cache + self representations).

    Parameters
    ----------
    num_nodes : int
    node_features : (N, d_n) array, optional
        Raw node features x_a (the benchmark files of the paper use zeros: then leave None).
    edge_features : (E, d_e) array, optional
        Raw edge features e_j, indexed by the ``edge_ids`` given to :meth:`forward`.
    hop_sizes, value_dim, alpha : N-cache settings (M1, M2), F, overwrite probability.
    self_dim : int, default 72      D, size of the self representation.
    pos_dim : int, default 16       size of the distance-encoding embedding.
    time_dim : int, default 1
    time_encoding : {'absolute', 'relative'}, default 'absolute'
        'absolute': T(t) of the stored event time, as the reference. 'relative': T(t_q - t), the age
        of the event at the batch's earliest time t_q (at :meth:`score`: the last absorbed time);
        use it with a larger ``time_dim`` (e.g. 100) so that the frequencies span seconds to years.
    pool_dim : int, optional        output size of the pooling (reference: d_n; default d_n or 100).
    n_heads : int, default 2        pooling heads (averaged, as in the reference).
    dropout : float, default 0.1
    pool_dropout : {'input', 'reference'}, default 'input'
        Training-time dropout of the pooling. 'reference': dropout on every f_a and on every
        W_h f_a (as the authors' code; a per-key matmul, ~5x slower training). 'input': dropout on
        every f_a only, then W_h applied once to the per-pair sum (deviation, cheap).
    seed : int                      seed of the N-cache (hash and overwrite coins).
    backend, device : N-cache backend ('numba' or 'torch') and torch device.

    Examples
    --------
    >>> import torch
    >>> from graphsparse.temporal import NAT, toy_temporal_graph
    >>> _ = torch.manual_seed(0)
    >>> edges = toy_temporal_graph(num_nodes=30, num_edges=300, seed=0)
    >>> model = NAT(edges.num_nodes, hop_sizes=(4, 2), self_dim=8, pos_dim=4)
    >>> pos, neg = model(edges.src[:10], edges.dst[:10], edges.t[:10], neg_dst=edges.dst[10:20])
    >>> pos.shape, neg.shape  # one logit per positive and per negative pair
    (torch.Size([10]), torch.Size([10]))
    >>> model.cache.num_edges_seen_  # the batch was absorbed into the memory
    10
    >>> model.score(edges.src[:3], edges.dst[:3]).shape  # score only, memory untouched
    torch.Size([3])
    """

    def __init__(self, num_nodes, node_features=None, edge_features=None, hop_sizes=(32, 16), value_dim=4,
                 alpha=0.9, self_dim=72, pos_dim=16, time_dim=1, pool_dim=None, n_heads=2, dropout=0.1,
                 pool_dropout="input", seed=0, backend="numba", device=None, time_encoding="absolute"):
        super().__init__()
        if time_encoding not in ("absolute", "relative"):
            raise ValueError(f"time_encoding must be 'absolute' or 'relative', got {time_encoding!r}")
        self.time_encoding = time_encoding
        if pool_dropout not in ("input", "reference"):
            raise ValueError(f"pool_dropout must be 'input' or 'reference', got {pool_dropout!r}")
        self.pool_dropout = pool_dropout
        self.num_nodes = check_positive_int(num_nodes, "num_nodes")
        self.self_dim = check_positive_int(self_dim, "self_dim")
        self.value_dim = check_positive_int(value_dim, "value_dim")
        self.pos_dim = check_positive_int(pos_dim, "pos_dim")
        self.n_heads = check_positive_int(n_heads, "n_heads")
        self.dropout_p = float(dropout)
        device = torch.device(device) if device is not None else torch.device("cpu")
        self.cache = NCache(num_nodes, hop_sizes, value_dim, alpha, seed, backend=backend,
                            device=device if backend == "torch" else None)
        if node_features is not None:
            node_features = torch.as_tensor(np.asarray(node_features), dtype=torch.float32)
            if node_features.shape[0] != num_nodes:
                raise ValueError(f"node_features must have {num_nodes} rows, got {node_features.shape[0]}")
        if edge_features is not None:
            edge_features = torch.as_tensor(np.asarray(edge_features), dtype=torch.float32)
        self.register_buffer("node_features", node_features, persistent=False)
        self.register_buffer("edge_features", edge_features, persistent=False)
        node_dim = 0 if node_features is None else node_features.shape[1]
        edge_dim = 0 if edge_features is None else edge_features.shape[1]
        self.pool_dim = int(pool_dim or (node_dim or 100))
        self.time_encoder = TimeEncoder(time_dim)
        event_dim = self_dim + edge_dim + time_dim
        self.value_proj = nn.Linear(event_dim, value_dim, bias=False)      # W_n
        self.value_gru = nn.GRUCell(value_dim, value_dim)
        self.self_proj = nn.Linear(event_dim, self_dim, bias=False)        # W_s
        self.self_gru = nn.GRUCell(self_dim, self_dim)
        self.code_embedding = nn.Embedding(NUM_CODES, pos_dim)
        self.pool = nn.Linear(node_dim + value_dim + pos_dim, self.pool_dim * self.n_heads, bias=False)
        self.pool_bias = nn.Parameter(torch.zeros(self.pool_dim))
        hidden = self.pool_dim + 2 * self_dim
        self.decoder = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.dropout = nn.Dropout(self.dropout_p)
        self.to(device)
        self.reset_memory()

    # ------------------------------------------------------------------ memory
    @property
    def device(self) -> torch.device:
        return self.pool_bias.device

    def reset_memory(self) -> None:
        """Empty N-cache, zero self representations, forget previous events (epoch start)."""
        self.cache.reset()
        dev = self.device
        self.self_rep = torch.zeros(self.num_nodes, self.self_dim, device=dev)
        self.prev_node = torch.full((self.num_nodes,), -1, dtype=torch.int64, device=dev)
        self.prev_edge = torch.zeros(self.num_nodes, dtype=torch.int64, device=dev)
        self.prev_time = torch.zeros(self.num_nodes, dtype=torch.float32, device=dev)

    def memory_state(self) -> dict:
        """Copy of the streaming state (to snapshot the best epoch or save a model mid-stream)."""
        return {"cache": self.cache.state_dict(), "self_rep": self.self_rep.clone(),
                "prev_node": self.prev_node.clone(), "prev_edge": self.prev_edge.clone(),
                "prev_time": self.prev_time.clone()}

    def load_memory_state(self, state: dict) -> None:
        self.cache.load_state_dict(state["cache"])
        for name in ("self_rep", "prev_node", "prev_edge", "prev_time"):
            setattr(self, name, state[name].clone().to(self.device))

    # ------------------------------------------------------------------ pieces
    def _query_time(self, t_np=None) -> float:
        """t_q of the relative time encoding: the batch's earliest time, else the last absorbed one."""
        if t_np is not None and len(t_np):
            return float(np.min(t_np))
        last = self.cache.last_time_
        return float(last) if np.isfinite(last) else 0.0

    def _event_input(self, nodes, edges, times, valid=None, query_time=None):
        """[S[a] || e_j || T(t)] for events (a, j, t); rows with valid == False give 0.
        With ``time_encoding='relative'`` T encodes the age ``query_time - t`` (default t_q: the last
        absorbed time)."""
        parts = [self.self_rep[nodes]]
        if self.edge_features is not None:
            parts.append(self.edge_features[edges])
        if self.time_encoding == "relative":
            query_time = self._query_time() if query_time is None else float(query_time)
            times = (query_time - times.to(torch.float64)).clamp(min=0).to(torch.float32)
        parts.append(self.time_encoder(times))
        event = torch.cat(parts, dim=1)
        if valid is not None:
            event = event * valid.unsqueeze(1).to(event.dtype)
        return event

    def refresh_values(self, nodes: torch.Tensor, query_time=None):
        """(2) Refreshed values h' (n, S, F) of the nodes' slots, and the per-node sums of the keys' raw
        features (None without node features). ``query_time``: t_q of a relative time encoding."""
        view = self.cache.lookup(nodes)
        keys = _as_tensor(view.keys).to(self.device)
        num_nodes, num_slots = keys.shape
        flat_keys = keys.reshape(-1)
        occupied = torch.nonzero(flat_keys >= 0).squeeze(1)
        key = flat_keys[occupied].long()
        edge = _as_tensor(view.edge_ids).to(self.device).reshape(-1)[occupied].long()
        time = _as_tensor(view.times).to(self.device).reshape(-1)[occupied]
        value = _as_tensor(view.values).to(self.device).reshape(-1, self.value_dim)[occupied]
        fresh = self.value_gru(self.value_proj(self._event_input(key, edge, time, query_time=query_time)), value)
        refreshed = torch.zeros(num_nodes * num_slots, self.value_dim, device=self.device, dtype=fresh.dtype)
        refreshed = refreshed.index_copy(0, occupied, fresh)
        node_feature_sum = None
        if self.node_features is not None:
            node_feature_sum = torch.zeros(num_nodes, self.node_features.shape[1], device=self.device)
            owner = occupied // num_slots
            node_feature_sum = node_feature_sum.index_add(0, owner, self.node_features[key])
        return refreshed.view(num_nodes, num_slots, self.value_dim), node_feature_sum

    def refresh_self(self, nodes: torch.Tensor, query_time=None) -> torch.Tensor:
        """(3) S_u' from the previous event of each node (zero input when there is none)."""
        prev = self.prev_node[nodes]
        has_prev = prev >= 0
        event = self._event_input(prev.clamp(min=0), self.prev_edge[nodes], self.prev_time[nodes], has_prev,
                                  query_time=query_time)
        return self.self_gru(self.self_proj(event), self.self_rep[nodes])

    # ------------------------------------------------------------------ pooling
    def _pool_collapsed(self, refreshed, node_feature_sum, inv_u, inv_w, pair_u, pair_w):
        """(5) in eval mode: W_h (sum_a f_a) from per-node sums and the distance-code histogram."""
        value_sum = refreshed.sum(dim=1)
        hist = _as_tensor(self.cache.distance_histogram(pair_u, pair_w)).to(self.device)
        pooled = [value_sum[inv_u] + value_sum[inv_w], hist @ self.code_embedding.weight]
        if node_feature_sum is not None:
            pooled.insert(0, node_feature_sum[inv_u] + node_feature_sum[inv_w])
        pooled = torch.cat(pooled, dim=1)
        return self.pool(pooled).view(len(pair_u), self.n_heads, self.pool_dim).mean(dim=1) + self.pool_bias

    def _pool_per_key(self, refreshed, inv_u, inv_w, pair_u, pair_w):
        """(5) in training mode, as the reference: sum_a dropout(W_h dropout(f_a)) over union keys."""
        dev = self.device
        pair_ptr, keys, codes, row_group = (_as_tensor(a).to(dev) for a in self.cache.joint_groups(pair_u, pair_w))
        num_pairs, num_groups = len(pair_u), len(keys)
        rows = torch.cat([refreshed[inv_u], refreshed[inv_w]], dim=1).reshape(-1, self.value_dim)
        flat_group = row_group.reshape(-1)
        valid = torch.nonzero(flat_group >= 0).squeeze(1)
        group = flat_group[valid]
        value_sum = torch.zeros(num_groups, self.value_dim, device=dev).index_add(0, group, rows[valid])
        parts = [value_sum, self.code_embedding(codes)]
        if self.node_features is not None:
            count = torch.bincount(group, minlength=num_groups).to(torch.float32).unsqueeze(1)
            parts.insert(0, count * self.node_features[keys])
        per_key = self.dropout(torch.cat(parts, dim=1))
        owner = torch.repeat_interleave(torch.arange(num_pairs, device=dev), pair_ptr[1:] - pair_ptr[:-1])
        if self.pool_dropout == "reference":  # dropout on W_h f_a too (costs a per-key matmul)
            per_key = self.dropout(self.pool(per_key))
            pooled = torch.zeros(num_pairs, per_key.shape[1], device=dev).index_add(0, owner, per_key)
        else:                                 # 'input': sum the dropped-out f_a, then project once
            pooled = torch.zeros(num_pairs, per_key.shape[1], device=dev).index_add(0, owner, per_key)
            pooled = self.pool(pooled)
        return pooled.view(num_pairs, self.n_heads, self.pool_dim).mean(dim=1) + self.pool_bias

    # ------------------------------------------------------------------ forward
    def forward(self, src, dst, t, edge_ids=None, neg_src=None, neg_dst=None, update_memory=True):
        """Score the batch's positive pairs and negative pairs, then (optionally) absorb the batch.

        ``src, dst, t, edge_ids`` (B,) are the batch's events in time order; ``neg_dst`` (B,) or
        (K, B) negative destinations and ``neg_src`` the matching sources (default: ``src``).
        Returns ``(pos_logits (B,), neg_logits (B,) or (K, B) or None)``.
        """
        src_np = check_node_ids(as_index_array(src, "src"), self.num_nodes, "src")
        dst_np = check_node_ids(as_index_array(dst, "dst"), self.num_nodes, "dst")
        num_edges = len(src_np)
        if num_edges == 0:
            raise ValueError("empty batch: src and dst hold no edges")
        if len(dst_np) != num_edges:
            raise ValueError(f"src and dst must have equal length, got {num_edges} and {len(dst_np)}")
        if update_memory and t is None:
            raise ValueError("t (event times) is required to update the memory; use update_memory=False "
                             "or score() to score pairs only")
        t_np = None
        if t is not None:
            t_np = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t, dtype=np.float64)
        query_time = self._query_time(t_np)
        neg_shape = None
        pair_u, pair_w = [src_np], [dst_np]
        if neg_dst is not None:
            neg_dst_np = check_node_ids(as_index_array(neg_dst, "neg_dst"), self.num_nodes, "neg_dst")
            neg_shape = neg_dst_np.shape
            if neg_shape[-1] != num_edges or len(neg_shape) > 2:
                raise ValueError(f"neg_dst must have shape (B,) or (K, B) with B={num_edges}, got {neg_shape}")
            if neg_src is None:
                neg_src_np = np.broadcast_to(src_np, neg_shape)
            else:
                neg_src_np = check_node_ids(as_index_array(neg_src, "neg_src"), self.num_nodes, "neg_src")
                if neg_src_np.shape != neg_shape:
                    raise ValueError(f"neg_src must have the shape of neg_dst {neg_shape}, got {neg_src_np.shape}")
            pair_u.append(neg_src_np.reshape(-1))
            pair_w.append(neg_dst_np.reshape(-1))
        pair_u = np.concatenate(pair_u)
        pair_w = np.concatenate(pair_w)
        nodes, inverse = np.unique(np.concatenate([pair_u, pair_w]), return_inverse=True)
        num_pairs = len(pair_u)
        dev = self.device
        nodes_t = torch.from_numpy(nodes).to(dev)
        inv_u = torch.from_numpy(inverse[:num_pairs]).to(dev)
        inv_w = torch.from_numpy(inverse[num_pairs:]).to(dev)

        refreshed, node_feature_sum = self.refresh_values(nodes_t, query_time)
        self_new = self.refresh_self(nodes_t, query_time)
        if self.training and self.dropout_p > 0:
            heads = self._pool_per_key(refreshed, inv_u, inv_w, pair_u, pair_w)
        else:
            heads = self._pool_collapsed(refreshed, node_feature_sum, inv_u, inv_w, pair_u, pair_w)
        logits = self.decoder(torch.cat([heads, self_new[inv_u], self_new[inv_w]], dim=1)).squeeze(1)

        if update_memory:
            self._absorb(src_np, dst_np, t_np, edge_ids, refreshed, self_new, inverse[:num_edges],
                         inverse[num_pairs:num_pairs + num_edges])
        pos = logits[:num_edges]
        neg = logits[num_edges:].view(neg_shape) if neg_shape is not None else None
        return pos, neg

    @torch.no_grad()
    def _absorb(self, src, dst, t_np, edge_ids, refreshed, self_new, inv_src, inv_dst):
        """Write the batch's positive events: N-cache (reference write rule), S, previous event."""
        num_edges = len(src)
        if edge_ids is None:
            edge_ids = np.arange(self.cache.num_edges_seen_, self.cache.num_edges_seen_ + num_edges)
        edge_np = as_index_array(edge_ids, "edge_ids")
        if len(edge_np) != num_edges:
            raise ValueError(f"edge_ids must have length {num_edges}, got {len(edge_np)}")
        if self.edge_features is not None and edge_np.size and edge_np.max() >= self.edge_features.shape[0]:
            raise ValueError(f"edge_ids holds id {int(edge_np.max())} but edge_features has only "
                             f"{self.edge_features.shape[0]} rows")
        refreshed = refreshed.detach()
        src_values = refreshed[torch.from_numpy(inv_src).to(self.device)]
        dst_values = refreshed[torch.from_numpy(inv_dst).to(self.device)]
        self.cache.update(src, dst, t_np, edge_np, src_values, dst_values)
        # self representation: S_new is per distinct node, so duplicates write the same value
        endpoints = np.stack([src, dst], 1).reshape(-1)
        inv = np.stack([inv_src, inv_dst], 1).reshape(-1)
        opposite = np.stack([dst, src], 1).reshape(-1)
        # previous event: the last occurrence in the batch (latest in time) wins
        rev_unique, rev_first = np.unique(endpoints[::-1], return_index=True)
        last = len(endpoints) - 1 - rev_first
        dev = self.device
        nodes_t = torch.from_numpy(rev_unique).to(dev)
        self.self_rep[nodes_t] = self_new.detach()[torch.from_numpy(inv[last]).to(dev)]
        self.prev_node[nodes_t] = torch.from_numpy(opposite[last]).to(dev)
        self.prev_edge[nodes_t] = torch.from_numpy(np.repeat(edge_np, 2)[last]).to(dev)
        self.prev_time[nodes_t] = torch.as_tensor(np.repeat(t_np, 2)[last], dtype=torch.float32, device=dev)

    @torch.no_grad()
    def score(self, src, dst, t=None) -> torch.Tensor:
        """Logits of pairs under the current state, without touching the memory (eval mode).

        ``t``: query times (only their minimum matters, and only with ``time_encoding='relative'``;
        default: the last absorbed event time)."""
        was_training = self.training
        self.eval()
        try:
            pos, _ = self.forward(src, dst, t, update_memory=False)
        finally:
            self.train(was_training)
        return pos
