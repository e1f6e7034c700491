"""Seeded synthetic graphs: R-MAT, stochastic block models, contextual SBM, temporal SBM.

Every generator takes ``seed`` (``None``, an int or a NumPy ``Generator``); the same seed gives
the same graph, bit for bit, on any machine and thread count. The heavy loops are Numba kernels
in :mod:`graphsparse.datasets._kernels`.

* :func:`rmat` -> :class:`graphsparse.Graph` (power-law, scale-free benchmark graphs);
* :func:`sbm` -> :class:`graphsparse.Graph` (and block labels on request);
* :func:`contextual_sbm` -> PyG ``Data`` with Gaussian features, labels, homophily control and
  random train/val/test masks;
* :func:`temporal_graph` -> PyG ``TemporalData`` (temporal SBM with triadic closure).

The directed SBM with a meta-graph of flow between blocks lives in :mod:`graphsparse.datasets.dsbm`.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from graphsparse._validation import check_fraction, check_positive_int, check_random_state
from graphsparse.datasets import _kernels
from graphsparse.kernels import parallel_section
from graphsparse.graph import Graph, index_dtype

__all__ = ["rmat", "sbm", "contextual_sbm", "temporal_graph", "random_split_masks"]


def _seed_key(rng: np.random.Generator) -> int:
    """A 63-bit integer key drawn from ``rng`` (feeds the Numba kernels' own RNGs)."""
    return int(rng.integers(0, 2**63 - 1))


def _check_probability(value, name: str) -> float:
    return check_fraction(value, name, low=0.0, high=1.0, high_inclusive=True)


def _graph_from_sorted_keys(keys: np.ndarray, num_nodes: int, directed: bool) -> Graph:
    """CSR from sorted, unique keys ``src * num_nodes + dst`` (already coalesced by construction)."""
    rows = keys // num_nodes
    cols = (keys - rows * num_nodes).astype(index_dtype(num_nodes))
    indptr = np.zeros(num_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=num_nodes), out=indptr[1:])
    return Graph(indptr, cols, None, num_nodes, directed)


def _undirected_keys(keys: np.ndarray, num_nodes: int) -> np.ndarray:
    """Sorted keys of both directions of every ``(min, max)`` pair key."""
    src = keys // num_nodes
    dst = keys - src * num_nodes
    return np.unique(np.concatenate([keys, dst * num_nodes + src]))  # sorted; a self-loop appears once


# ---------------------------------------------------------------------------------------- R-MAT
def rmat(num_nodes: int, num_edges: int, a: float = 0.57, b: float = 0.19, c: float = 0.19,
         seed=None, directed: bool = True, self_loops: bool = False, permute: bool = True,
         max_rounds: int = 64) -> Graph:
    """R-MAT random graph (Chakrabarti, Zhan & Faloutsos, SDM 2004) with exactly ``num_edges`` edges.

    1. ``scale = ceil(log2(num_nodes))``. Each edge starts in the whole ``2**scale`` adjacency
       matrix and, for each of the ``scale`` bit levels, moves into the top-left / top-right /
       bottom-left / bottom-right quadrant with probability ``a`` / ``b`` / ``c`` /
       ``d = 1 - a - b - c``; the defaults are Graph500's (0.57, 0.19, 0.19, 0.05).
    2. Ids when ``num_nodes`` is not a power of two: a draw whose source or target is
       ``>= num_nodes`` is rejected and redrawn, so the graph follows R-MAT's law conditioned on
       ``[0, num_nodes)^2`` (no folding or modulo, which would distort the degree law).
    3. Policy: no self-loops unless ``self_loops=True``; duplicates are dropped and replaced by new
       draws until exactly ``num_edges`` distinct edges exist (ordered pairs when ``directed``,
       unordered pairs otherwise; an undirected graph stores both directions, so its
       ``Graph.num_edges`` is ``2 * num_edges`` minus the self-loops).
    4. ``permute=True`` (default, as Graph500) relabels nodes by a random permutation, so hubs are
       not all low ids; ``permute=False`` keeps R-MAT's raw ids (hubs near 0).

    Each uniform comes from a counter-based hash of ``(seed, edge number, level)``, so the kernel
    runs in parallel and stays reproducible. 1M nodes / 10M edges take a few seconds on 2 cores.

    Parameters
    ----------
    num_nodes, num_edges : int
        Positive node count; non-negative edge count (at most the number of allowed pairs).
    a, b, c : float, default=0.57, 0.19, 0.19
        Quadrant probabilities in ``[0, 1]`` with ``a + b + c <= 1``.
    seed : None, int or numpy.random.Generator, default=None
        Seed of the counter-based draws.
    directed : bool, default=True
        Ordered pairs (``False``: unordered pairs, both directions stored).
    self_loops : bool, default=False
        Allow ``u == v``.
    permute : bool, default=True
        Relabel nodes by a random permutation (item 4).
    max_rounds : int, default=64
        Rounds of redrawing duplicates before giving up with a ``RuntimeError`` (only reachable
        when ``num_edges`` is close to the number of pairs R-MAT can practically reach).

    Returns
    -------
    Graph

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.datasets import rmat
    >>> g = rmat(100, 400, seed=0)
    >>> g.num_nodes, g.num_edges, g.directed  # exactly 400 distinct directed edges
    (100, 400, True)
    >>> bool((g.sources() != g.indices).all())  # no self-loops by default
    True
    >>> u = rmat(100, 400, seed=0, directed=False)
    >>> u.num_edges, u.is_symmetric()  # both directions stored
    (800, True)
    >>> bool(np.array_equal(rmat(100, 400, seed=0).indices, g.indices))  # reproducible
    True
    """
    num_nodes = check_positive_int(num_nodes, "num_nodes")
    num_edges = check_positive_int(num_edges, "num_edges", allow_zero=True)
    a = _check_probability(a, "a")
    b = _check_probability(b, "b")
    c = _check_probability(c, "c")
    if a + b + c > 1.0 + 1e-12:
        raise ValueError(f"a + b + c must be <= 1 (d = 1 - a - b - c), got a + b + c = {a + b + c:.6g}")
    if num_nodes == 1 and not self_loops and num_edges > 0:
        raise ValueError("num_edges must be 0 for a single node without self-loops")
    if directed:
        max_pairs = num_nodes * num_nodes - (0 if self_loops else num_nodes)
    else:
        max_pairs = num_nodes * (num_nodes - 1) // 2 + (num_nodes if self_loops else 0)
    if num_edges > max_pairs:
        raise ValueError(f"num_edges={num_edges} exceeds the {max_pairs} distinct "
                         f"{'directed' if directed else 'undirected'} pairs of {num_nodes} nodes")
    if num_nodes > 3_037_000_499:
        raise ValueError(f"num_nodes={num_nodes} too large: edge keys src * num_nodes + dst must fit in int64")
    rng = check_random_state(seed)
    key = np.uint64(_seed_key(rng))
    scale = max(1, int(math.ceil(math.log2(num_nodes)))) if num_nodes > 1 else 1
    prob_a, prob_ab, prob_abc = a, a + b, a + b + c

    keys = np.zeros(0, dtype=np.int64)
    next_edge = 0
    missing = num_edges
    for round_number in range(max_rounds):
        if missing == 0:
            break
        # draw more than missing (duplicates of earlier edges are dropped); later rounds draw
        # geometrically more, for the rare pairs left when num_edges is near the number of pairs
        count = min((missing + missing // 8 + 64) << min(round_number, 20), max(4 * num_edges, 1 << 22))
        with parallel_section():  # prange kernel: one at a time under Numba's workqueue layer
            new_keys = _kernels.rmat_keys(key, next_edge, count, scale, num_nodes, prob_a, prob_ab,
                                          prob_abc, bool(directed), bool(self_loops))
        next_edge += count
        if keys.size:
            pos = np.searchsorted(keys, new_keys)
            pos[pos == keys.size] = 0
            new_keys = new_keys[keys[pos] != new_keys]
        # keep the first `missing` distinct new edges in generation order (deterministic)
        first = np.unique(new_keys, return_index=True)[1]
        chosen = new_keys[np.sort(first)[:missing]]
        keys = np.union1d(keys, chosen) if keys.size else np.sort(chosen)
        missing = num_edges - keys.size
    if missing:
        raise RuntimeError(f"rmat could not find {num_edges} distinct edges in {max_rounds} rounds "
                           f"({keys.size} found); lower num_edges or use less skewed a, b, c")
    if permute:
        perm = rng.permutation(num_nodes).astype(np.int64)
        src = perm[keys // num_nodes]
        dst = perm[keys % num_nodes]
        if not directed:
            src, dst = np.minimum(src, dst), np.maximum(src, dst)
        keys = src * num_nodes + dst
        keys.sort()
    if not directed:
        keys = _undirected_keys(keys, num_nodes)
    return _graph_from_sorted_keys(keys, num_nodes, bool(directed))


# ------------------------------------------------------------------------------------------ SBM
def _check_block_sizes(block_sizes) -> np.ndarray:
    if isinstance(block_sizes, numbers.Integral):
        raise TypeError("block_sizes must be a sequence of block sizes, got a single integer")
    sizes = np.asarray(block_sizes)
    if sizes.ndim != 1 or sizes.size == 0:
        raise ValueError(f"block_sizes must be a non-empty 1-D sequence, got shape {sizes.shape}")
    if sizes.dtype == bool or not np.issubdtype(sizes.dtype, np.integer):
        raise TypeError(f"block_sizes must hold integers, got dtype {sizes.dtype}")
    if (sizes < 0).any():
        raise ValueError(f"block_sizes must be >= 0, got {sizes.tolist()}")
    if sizes.sum() == 0:
        raise ValueError("block_sizes sum to 0: the graph needs at least one node")
    return sizes.astype(np.int64)


def _check_edge_probs(edge_probs, num_blocks: int, directed: bool) -> np.ndarray:
    probs = np.asarray(edge_probs, dtype=np.float64) if not np.isscalar(edge_probs) else \
        np.full((num_blocks, num_blocks), float(edge_probs))
    if probs.shape != (num_blocks, num_blocks):
        raise ValueError(f"edge_probs must have shape ({num_blocks}, {num_blocks}) (one row and column "
                         f"per block), got {probs.shape}")
    if not np.isfinite(probs).all() or (probs < 0).any() or (probs > 1).any():
        raise ValueError("edge_probs must hold probabilities in [0, 1]")
    if not directed and not np.allclose(probs, probs.T):
        raise ValueError("edge_probs must be symmetric for an undirected SBM (pass directed=True otherwise)")
    return probs


def sbm(block_sizes, edge_probs, directed: bool = False, self_loops: bool = False, seed=None,
        return_labels: bool = False):
    """Stochastic block model (Holland, Laskey & Leinhardt, Social Networks 1983).

    Node ``i`` belongs to block ``k`` for ids ``offsets[k] <= i < offsets[k+1]`` (blocks are
    contiguous ranges, in the order of ``block_sizes``). Every ordered pair ``(u, v)`` (directed)
    or unordered pair ``u < v`` (undirected) is an edge independently with probability
    ``edge_probs[block(u), block(v)]``; sampling uses geometric skipping, O(edges) time.

    Parameters
    ----------
    block_sizes : sequence of int
        Non-negative block sizes.
    edge_probs : array-like of shape (B, B), or float
        Matrix of probabilities (symmetric when undirected) or one scalar for all pairs.
        Planted partition: ``np.full((B, B), p_out) + np.eye(B) * (p_in - p_out)``.
    directed : bool, default=False
        Directed graph (``edge_probs[k, l]`` for edges from block k to block l).
    self_loops : bool, default=False
        Allow ``u == v``.
    seed : None, int or numpy.random.Generator, default=None
        Seed of the draws.
    return_labels : bool, default=False
        Also return the block of every node (int64 array).

    Returns
    -------
    Graph, or ``(Graph, labels)`` with ``return_labels=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.datasets import sbm
    >>> g, labels = sbm([30, 20], np.array([[0.3, 0.0], [0.0, 0.3]]), seed=0, return_labels=True)
    >>> g.num_nodes, g.directed, g.is_symmetric(), np.bincount(labels).tolist()
    (50, False, True, [30, 20])
    >>> bool((labels[g.sources()] == labels[g.indices]).all())  # no edge between the blocks
    True
    >>> sbm([10, 10], 1.0).num_edges == 2 * (20 * 19 // 2)  # p = 1: the complete graph
    True
    """
    sizes = _check_block_sizes(block_sizes)
    probs = _check_edge_probs(edge_probs, sizes.size, directed)
    rng = check_random_state(seed)
    num_nodes = int(sizes.sum())
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    rows_parts, cols_parts = [], []
    for k in range(sizes.size):
        for l in range(sizes.size):
            if not directed and l < k:
                continue
            block_seed = int(rng.integers(0, 2**31 - 1))
            if probs[k, l] == 0 or sizes[k] == 0 or sizes[l] == 0:
                continue
            rows, cols = _kernels.block_pair_edges(offsets[k], sizes[k], offsets[l], sizes[l], probs[k, l],
                                                   (not directed) and k == l, bool(self_loops), block_seed)
            rows_parts.append(rows)
            cols_parts.append(cols)
    rows = np.concatenate(rows_parts) if rows_parts else np.zeros(0, np.int64)
    cols = np.concatenate(cols_parts) if cols_parts else np.zeros(0, np.int64)
    if directed:
        keys = np.sort(rows * num_nodes + cols)
    else:
        keys = _undirected_keys(rows * num_nodes + cols, num_nodes)
    graph = _graph_from_sorted_keys(keys, num_nodes, bool(directed))
    if return_labels:
        return graph, np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
    return graph


def _balanced_sizes(num_nodes: int, num_blocks: int) -> np.ndarray:
    sizes = np.full(num_blocks, num_nodes // num_blocks, dtype=np.int64)
    sizes[: num_nodes % num_blocks] += 1
    return sizes


def random_split_masks(num_nodes: int, train_fraction: float = 0.6, val_fraction: float = 0.2, seed=None):
    """Random disjoint boolean train/val/test masks (torch) covering all nodes.

    ``round(train_fraction * N)`` training nodes, ``round(val_fraction * N)`` validation nodes,
    the rest test, from one permutation drawn with ``seed``.
    """
    import torch

    num_nodes = check_positive_int(num_nodes, "num_nodes")
    train_fraction = _check_probability(train_fraction, "train_fraction")
    val_fraction = _check_probability(val_fraction, "val_fraction")
    if train_fraction + val_fraction > 1.0 + 1e-12:
        raise ValueError(f"train_fraction + val_fraction must be <= 1, got {train_fraction + val_fraction:.6g}")
    rng = check_random_state(seed)
    order = rng.permutation(num_nodes)
    n_train = int(round(train_fraction * num_nodes))
    n_val = min(int(round(val_fraction * num_nodes)), num_nodes - n_train)
    masks = []
    for lo, hi in ((0, n_train), (n_train, n_train + n_val), (n_train + n_val, num_nodes)):
        mask = np.zeros(num_nodes, dtype=bool)
        mask[order[lo:hi]] = True
        masks.append(torch.from_numpy(mask))
    return tuple(masks)


def contextual_sbm(num_nodes: int = 1000, num_classes: int = 2, avg_degree: float = 10.0,
                   homophily: float = 0.8, num_features: int = 16, feature_signal: float = 1.0,
                   directed: bool = False, train_fraction: float = 0.6, val_fraction: float = 0.2,
                   seed=None):
    """Contextual SBM (Deshpande, Sen, Montanari & Mossel, NeurIPS 2018): SBM graph + Gaussian features.

    1. Labels: balanced classes (sizes differ by at most one), assigned to node ids by a random
       permutation.
    2. Graph: a planted-partition SBM on those classes with edge homophily ``h = homophily`` and
       mean degree ``d = avg_degree``: with class size ``s = N / K``,
       ``p_in = h d / (s - 1)`` and ``p_out = (1 - h) d / (N - s)``, so the expected fraction of
       edges joining same-class nodes is ``h`` (``h = 1/K`` is an uninformative graph, ``h < 1/K``
       heterophilous). Directed: each ordered pair independently (out-degree ``d``).
    3. Features: ``x_i = mu_{y_i} + eps_i``, ``eps_i ~ N(0, I_F)``, class means ``mu_k`` drawn
       i.i.d. ``N(0, I_F)`` then scaled to norm ``feature_signal`` (0 = features carry no signal).
    4. Masks: :func:`random_split_masks` with ``train_fraction`` / ``val_fraction``, rest test.

    Returns a PyG ``Data`` with ``x`` (float32, N x F), ``y`` (int64), ``edge_index`` (both
    directions when undirected), ``train_mask``/``val_mask``/``test_mask`` and ``directed``.

    Parameters
    ----------
    num_nodes, num_classes : int, default=1000, 2
        Nodes ``N`` and balanced classes ``K`` (``K <= N``).
    avg_degree : float, default=10.0
        Mean degree ``d`` (out-degree when directed).
    homophily : float in [0, 1], default=0.8
        Expected fraction ``h`` of same-class edges.
    num_features : int, default=16
        Feature dimension ``F`` (0: no features).
    feature_signal : float, default=1.0
        Norm of the class means (0: features carry no signal).
    directed : bool, default=False
        Sample each ordered pair independently.
    train_fraction, val_fraction : float, default=0.6, 0.2
        Split shares (the rest is the test set).
    seed : None, int or numpy.random.Generator, default=None
        Seed of every draw.

    Examples
    --------
    >>> from graphsparse.datasets import contextual_sbm
    >>> data = contextual_sbm(60, num_classes=3, avg_degree=4, homophily=0.9, num_features=5, seed=0)
    >>> tuple(data.x.shape), data.y.bincount().tolist(), data.directed
    ((60, 5), [20, 20, 20], False)
    >>> int(data.train_mask.sum()), int(data.val_mask.sum()), int(data.test_mask.sum())
    (36, 12, 12)
    >>> same = (data.y[data.edge_index[0]] == data.y[data.edge_index[1]]).float().mean()
    >>> bool(0.75 < same <= 1.0)  # close to homophily=0.9
    True
    """
    import torch
    from torch_geometric.data import Data

    num_nodes = check_positive_int(num_nodes, "num_nodes")
    num_classes = check_positive_int(num_classes, "num_classes")
    num_features = check_positive_int(num_features, "num_features", allow_zero=True)
    if num_classes > num_nodes:
        raise ValueError(f"num_classes={num_classes} exceeds num_nodes={num_nodes}")
    if isinstance(avg_degree, bool) or not isinstance(avg_degree, numbers.Real) or not np.isfinite(avg_degree) \
            or avg_degree < 0:
        raise ValueError(f"avg_degree must be a finite number >= 0, got {avg_degree!r}")
    homophily = _check_probability(homophily, "homophily")
    if isinstance(feature_signal, bool) or not isinstance(feature_signal, numbers.Real) \
            or not np.isfinite(feature_signal) or feature_signal < 0:
        raise ValueError(f"feature_signal must be a finite number >= 0, got {feature_signal!r}")
    rng = check_random_state(seed)

    sizes = _balanced_sizes(num_nodes, num_classes)
    size = num_nodes / num_classes
    p_in = homophily * avg_degree / (size - 1) if size > 1 else 0.0
    p_out = (1 - homophily) * avg_degree / (num_nodes - size) if num_classes > 1 else 0.0
    if p_in > 1 or p_out > 1:
        raise ValueError(f"avg_degree={avg_degree} with homophily={homophily} needs edge probabilities "
                         f"p_in={p_in:.3g}, p_out={p_out:.3g} above 1; lower avg_degree")
    probs = np.full((num_classes, num_classes), p_out) + np.eye(num_classes) * (p_in - p_out)
    graph, blocks = sbm(sizes, probs, directed=directed, seed=rng, return_labels=True)

    # relabel: node id i gets block blocks[perm_inv[i]] -> random class layout
    perm = rng.permutation(num_nodes)  # new id of the node generated as id j is perm[j]
    edge_index = graph.to_edge_index()
    edge_index = perm[edge_index]
    labels = np.empty(num_nodes, dtype=np.int64)
    labels[perm] = blocks
    order = np.lexsort((edge_index[1], edge_index[0]))
    edge_index = edge_index[:, order]

    means = rng.standard_normal((num_classes, num_features))
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    means = np.where(norms > 0, means / np.maximum(norms, 1e-300), 0.0) * feature_signal
    x = means[labels] + rng.standard_normal((num_nodes, num_features))
    train_mask, val_mask, test_mask = random_split_masks(num_nodes, train_fraction, val_fraction, seed=rng)
    data = Data(x=torch.from_numpy(x.astype(np.float32)), y=torch.from_numpy(labels),
                edge_index=torch.from_numpy(np.ascontiguousarray(edge_index)), num_nodes=num_nodes,
                train_mask=train_mask, val_mask=val_mask, test_mask=test_mask)
    data.directed = bool(directed)
    return data


# ------------------------------------------------------------------------------ temporal graph
def temporal_graph(num_nodes: int = 1000, num_events: int = 20000, num_blocks: int = 4,
                   p_intra: float = 0.9, closure_prob: float = 0.3, repeat_prob: float = 0.3,
                   activity_skew: float = 1.0, mean_gap: float = 10.0, msg_dim: int = 0,
                   memory: int = 16, seed=None):
    """Temporal SBM with triadic closure -> PyG ``TemporalData`` (``src``, ``dst``, ``t``[, ``msg``]).

    Events arrive one by one (continuous-time interaction graph, as CollegeMsg):

    1. Nodes are split into ``num_blocks`` contiguous balanced blocks. Node ``u`` has activity
       ``(rank_u + 1) ** -activity_skew`` for a random rank (0 = uniform sources, larger =
       heavier-tailed), and each event's source is drawn proportionally to activity.
    2. With probability ``closure_prob`` the event closes a triangle ``u - w - v`` through a
       remembered partner ``w`` of ``u`` (triadic closure, the motif NAT/CAWN-style models
       exploit); otherwise with probability ``repeat_prob`` it repeats one of ``u``'s remembered
       partners; otherwise it is a block-model draw: a uniform node of ``u``'s block with
       probability ``p_intra``, else a uniform node of another block. Each node remembers its
       last ``memory`` partners (either direction). No self-loops.
    3. Times: ``t`` (int64) is the floor of a Poisson process with mean inter-event gap
       ``mean_gap``; ties are possible and events stay in generation order (sorted, stable).
    4. ``msg_dim > 0`` adds ``msg`` (float32, ``E x msg_dim``): ``N(0, 1)`` noise plus 1 in
       coordinate ``kind`` (0 block draw, 1 closure, 2 repeat) when ``msg_dim >= 3``.

    The generating mechanism of every event is in ``data.kind`` (int64: 0 block, 1 closure,
    2 repeat), useful for checking a model against ground truth.
    """
    import torch
    from torch_geometric.data import TemporalData

    num_nodes = check_positive_int(num_nodes, "num_nodes")
    if num_nodes < 2:
        raise ValueError(f"num_nodes must be >= 2 (events join two distinct nodes), got {num_nodes}")
    num_events = check_positive_int(num_events, "num_events", allow_zero=True)
    num_blocks = check_positive_int(num_blocks, "num_blocks")
    if num_blocks > num_nodes:
        raise ValueError(f"num_blocks={num_blocks} exceeds num_nodes={num_nodes}")
    p_intra = _check_probability(p_intra, "p_intra")
    closure_prob = _check_probability(closure_prob, "closure_prob")
    repeat_prob = _check_probability(repeat_prob, "repeat_prob")
    msg_dim = check_positive_int(msg_dim, "msg_dim", allow_zero=True)
    memory = check_positive_int(memory, "memory")
    for value, name in ((activity_skew, "activity_skew"), (mean_gap, "mean_gap")):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    rng = check_random_state(seed)

    sizes = _balanced_sizes(num_nodes, num_blocks)
    block_start = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    block_of = np.repeat(np.arange(num_blocks, dtype=np.int64), sizes)
    ranks = rng.permutation(num_nodes)
    activity = (ranks + 1.0) ** (-float(activity_skew))
    activity_cdf = np.cumsum(activity)
    src, dst, kind = _kernels.temporal_events(num_events, block_of, block_start, sizes, activity_cdf,
                                              p_intra, closure_prob, repeat_prob, memory,
                                              int(rng.integers(0, 2**31 - 1)))
    gaps = rng.exponential(float(mean_gap), size=num_events) if mean_gap > 0 else np.zeros(num_events)
    t = np.floor(np.cumsum(gaps)).astype(np.int64)
    data = TemporalData(src=torch.from_numpy(src), dst=torch.from_numpy(dst), t=torch.from_numpy(t))
    if msg_dim:
        msg = rng.standard_normal((num_events, msg_dim))
        if msg_dim >= 3:
            msg[np.arange(num_events), kind] += 1.0
        data.msg = torch.from_numpy(msg.astype(np.float32))
    data.kind = torch.from_numpy(kind)
    return data
