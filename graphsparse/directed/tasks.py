"""Link tasks on directed graphs with reciprocal-edge handling (after PyGSD's ``link_class_split``).

:func:`link_split` holds out a fraction of the one-way edges and builds labelled node pairs:

1. ``task='existence'``: label 1 for a held-out edge ``(u, v)``, 0 for a sampled non-edge (no edge
   in either direction). Balanced.
2. ``task='direction'``: label 1 for a held-out edge as ``(u, v)``, 0 for the same edge presented
   reversed ``(v, u)``. Balanced.
3. ``task='three_class'``: 0 = ``u -> v``, 1 = ``v -> u`` (the edge reversed), 2 = no edge.

Reciprocal pairs (``u -> v`` and ``v -> u`` both present) have no direction to predict: they are
never held out; with ``drop_reciprocal=True`` (default) they are also removed from the training
graph (PyGSD's choice), otherwise they stay in it. Self-loops are never held out.
Undirected input is refused (``ValueError``): there is no direction to predict.
"""
from __future__ import annotations

import numpy as np

from graphsparse._validation import check_fraction, check_random_state
from graphsparse.graph import as_graph

__all__ = ["link_split"]

_TASKS = ("existence", "direction", "three_class")


def _non_edges(rng, existing_keys: np.ndarray, n: int, count: int) -> np.ndarray:
    """``count`` distinct node pairs (u != v) with no edge in either direction."""
    pairs = np.zeros((0, 2), dtype=np.int64)
    existing = np.sort(existing_keys)
    for _ in range(100):
        need = count - pairs.shape[0]
        if need <= 0:
            break
        cand = rng.integers(0, n, size=(2 * need + 16, 2))
        cand = cand[cand[:, 0] != cand[:, 1]]
        keys = cand[:, 0] * n + cand[:, 1]
        rev = cand[:, 1] * n + cand[:, 0]
        pos = np.searchsorted(existing, keys).clip(max=max(existing.size - 1, 0))
        pos_r = np.searchsorted(existing, rev).clip(max=max(existing.size - 1, 0))
        ok = (existing.size == 0) | ((existing[pos] != keys) & (existing[pos_r] != rev))
        cand = cand[ok]
        pairs = np.unique(np.concatenate([pairs, cand]), axis=0)
    if pairs.shape[0] < count:
        raise ValueError("graph is too dense to sample enough non-edges")
    return pairs[rng.permutation(pairs.shape[0])[:count]]


def link_split(graph, task: str = "direction", *, val_fraction: float = 0.05, test_fraction: float = 0.15,
               drop_reciprocal: bool = True, random_state=None) -> dict:
    """Split a digraph for a link task; returns ``{'train_graph', 'train', 'val', 'test'}``.

    ``train``/``val``/``test`` are ``(pairs (k, 2) int64, labels (k,) int64)``; training pairs come
    from the edges kept in ``train_graph`` (with the same negative rule), so a model can be fitted
    on them. Fractions refer to the one-way (non-reciprocal, non-loop) edges.
    """
    if task not in _TASKS:
        raise ValueError(f"task must be one of {_TASKS}, got {task!r}")
    val_fraction = check_fraction(val_fraction, "val_fraction")
    test_fraction = check_fraction(test_fraction, "test_fraction")
    if val_fraction + test_fraction >= 1.0:
        raise ValueError("val_fraction + test_fraction must be < 1")
    g = as_graph(graph)
    if g.num_nodes == 0:
        raise ValueError("graph has no nodes")
    g.require_edges("graph")
    if not g.directed:
        raise ValueError("link_split needs a directed graph: an undirected graph has no edge direction to "
                         "predict (pass directed=True to as_graph if the symmetric edge set is intended)")
    rng = check_random_state(random_state)
    n = g.num_nodes
    src, dst = g.sources(), g.indices.astype(np.int64)
    keys = src * n + dst
    reverse_keys = dst * n + src
    sorted_keys = np.sort(keys)
    pos = np.searchsorted(sorted_keys, reverse_keys).clip(max=sorted_keys.size - 1)
    reciprocal = (sorted_keys[pos] == reverse_keys) & (src != dst)
    loop = src == dst
    one_way = np.flatnonzero(~reciprocal & ~loop)
    if one_way.size < 3:
        raise ValueError(f"graph has only {one_way.size} one-way edges; a link split needs at least 3")
    order = rng.permutation(one_way)
    n_test = int(round(test_fraction * order.size))
    n_val = int(round(val_fraction * order.size))
    test_e, val_e, train_e = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    keep = np.ones(g.num_edges, dtype=bool)
    keep[test_e] = False
    keep[val_e] = False
    if drop_reciprocal:
        keep &= ~reciprocal
    train_graph = g.filter_edges(keep)

    def pairs_for(edge_ids):
        pos_pairs = np.stack([src[edge_ids], dst[edge_ids]], 1)
        k = pos_pairs.shape[0]
        if task == "direction":
            pairs = np.concatenate([pos_pairs, pos_pairs[:, ::-1]])
            labels = np.concatenate([np.ones(k), np.zeros(k)])
        elif task == "existence":
            pairs = np.concatenate([pos_pairs, _non_edges(rng, keys, n, k)])
            labels = np.concatenate([np.ones(k), np.zeros(k)])
        else:
            pairs = np.concatenate([pos_pairs, pos_pairs[:, ::-1], _non_edges(rng, keys, n, k)])
            labels = np.concatenate([np.zeros(k), np.ones(k), np.full(k, 2)])
        perm = rng.permutation(pairs.shape[0])
        return np.ascontiguousarray(pairs[perm]).astype(np.int64), labels[perm].astype(np.int64)

    return {"train_graph": train_graph, "train": pairs_for(train_e), "val": pairs_for(val_e),
            "test": pairs_for(test_e), "task": task, "num_reciprocal_edges": int(reciprocal.sum())}
