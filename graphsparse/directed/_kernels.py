"""Numba kernels of :mod:`graphsparse.directed` over plain CSR arrays (no SciPy, no torch).

1. ``ppr_push_rows``: Andersen-Chung-Lang forward push for personalised PageRank, one seed per
   output row, with optional top-k truncation (Andersen, Chung, Lang, FOCS 2006).
2. ``kahn_topological_order``: Kahn's algorithm; returns the order and how many nodes it reached
   (fewer than ``num_nodes`` means the graph has a cycle).
3. ``row_topk_mask``: keep the ``k`` largest values of every CSR row (ties broken by column id).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from graphsparse.kernels.csr import grow

__all__ = ["ppr_push_rows", "kahn_topological_order", "row_topk_mask"]


@njit(cache=True, nogil=True)
def _push_one(indptr, indices, weights, out_weight, seed, alpha, eps, estimate, residual,
              touched, in_queue, queue):
    """Push from ``seed`` until every residual satisfies ``r[u] < eps * max(d_out(u), 1)``.

    Rule for a node ``u`` with residual ``r``: ``p[u] += alpha r``; the remaining ``(1 - alpha) r``
    is spread over the out-edges in proportion to their weights. A dangling node (no out-edge,
    or zero out-weight) sends that remaining mass back to the seed (personalised teleport).
    Returns the number of touched nodes (their ids are in ``touched[:count]``).
    """
    num_touched = 0
    head = 0
    tail = 0
    cap = queue.shape[0]
    residual[seed] = 1.0
    touched[num_touched] = seed
    num_touched += 1
    queue[tail % cap] = seed
    tail += 1
    in_queue[seed] = True
    while head < tail:
        u = queue[head % cap]
        head += 1
        in_queue[u] = False
        r = residual[u]
        deg = out_weight[u]
        threshold = eps * (deg if deg > 1.0 else 1.0)
        if r < threshold:
            continue
        residual[u] = 0.0
        estimate[u] += alpha * r
        spread = (1.0 - alpha) * r
        if deg <= 0.0:
            targets_lo = 0
            targets_hi = 0
            v = seed
            if residual[v] == 0.0 and estimate[v] == 0.0:
                touched[num_touched] = v
                num_touched += 1
            residual[v] += spread
            if not in_queue[v] and residual[v] >= eps * (out_weight[v] if out_weight[v] > 1.0 else 1.0):
                queue[tail % cap] = v
                tail += 1
                in_queue[v] = True
            continue
        targets_lo = indptr[u]
        targets_hi = indptr[u + 1]
        for e in range(targets_lo, targets_hi):
            v = indices[e]
            w = 1.0 if weights.shape[0] == 0 else weights[e]
            if w == 0.0:
                continue
            if residual[v] == 0.0 and estimate[v] == 0.0:
                touched[num_touched] = v
                num_touched += 1
            residual[v] += spread * w / deg
            if not in_queue[v] and residual[v] >= eps * (out_weight[v] if out_weight[v] > 1.0 else 1.0):
                queue[tail % cap] = v
                tail += 1
                in_queue[v] = True
    return num_touched


@njit(cache=True, nogil=True)
def ppr_push_rows(indptr, indices, weights, out_weight, seeds, alpha, eps, topk):
    """Approximate PPR vectors of ``seeds`` as a CSR (one row per seed, columns sorted).

    ``weights`` may be empty (unit weights); ``out_weight`` is the weighted out-degree.
    ``topk <= 0`` keeps every non-zero estimate. Each row satisfies
    ``|ppr_s(v) - p_s(v)| <= eps * max(d_out(v), 1)`` (the push invariant).
    """
    n = indptr.shape[0] - 1
    estimate = np.zeros(n, dtype=np.float64)
    residual = np.zeros(n, dtype=np.float64)
    touched = np.empty(n + 1, dtype=np.int64)
    in_queue = np.zeros(n, dtype=np.bool_)
    queue = np.empty(n + 1, dtype=np.int64)
    out_indptr = np.zeros(seeds.shape[0] + 1, dtype=np.int64)
    cap = 1024
    out_indices = np.empty(cap, dtype=np.int64)
    out_values = np.empty(cap, dtype=np.float64)
    nnz = 0
    for s in range(seeds.shape[0]):
        count = _push_one(indptr, indices, weights, out_weight, seeds[s], alpha, eps, estimate,
                          residual, touched, in_queue, queue)
        # collect non-zero estimates
        cols = np.empty(count, dtype=np.int64)
        vals = np.empty(count, dtype=np.float64)
        kept = 0
        for t in range(count):
            v = touched[t]
            if estimate[v] > 0.0:
                cols[kept] = v
                vals[kept] = estimate[v]
                kept += 1
            estimate[v] = 0.0
            residual[v] = 0.0
            in_queue[v] = False
        cols = cols[:kept]
        vals = vals[:kept]
        if topk > 0 and kept > topk:
            order = np.argsort(-vals, kind="mergesort")[:topk]
            cols = cols[order]
            vals = vals[order]
            kept = topk
        order = np.argsort(cols)
        if nnz + kept > cap:
            while nnz + kept > cap:
                cap *= 2
            out_indices = grow(out_indices, nnz, cap)
            out_values = grow(out_values, nnz, cap)
        for t in range(kept):
            out_indices[nnz + t] = cols[order[t]]
            out_values[nnz + t] = vals[order[t]]
        nnz += kept
        out_indptr[s + 1] = nnz
    return out_indptr, out_indices[:nnz].copy(), out_values[:nnz].copy()


@njit(cache=True, nogil=True)
def kahn_topological_order(indptr, indices, num_nodes):
    """Kahn's algorithm (smallest-id-first among ready nodes is NOT guaranteed: FIFO order).

    Returns ``(order, count)``; ``count < num_nodes`` means a cycle blocked the rest.
    Self-loops count as cycles.
    """
    indeg = np.zeros(num_nodes, dtype=np.int64)
    for e in range(indices.shape[0]):
        indeg[indices[e]] += 1
    order = np.empty(num_nodes, dtype=np.int64)
    head = 0
    tail = 0
    for v in range(num_nodes):
        if indeg[v] == 0:
            order[tail] = v
            tail += 1
    while head < tail:
        u = order[head]
        head += 1
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            indeg[v] -= 1
            if indeg[v] == 0:
                order[tail] = v
                tail += 1
    return order, tail


@njit(cache=True, nogil=True)
def row_topk_mask(indptr, values, k):
    """Boolean mask keeping the ``k`` largest ``values`` in every row (stable: earlier column wins)."""
    mask = np.zeros(values.shape[0], dtype=np.bool_)
    for i in range(indptr.shape[0] - 1):
        lo = indptr[i]
        hi = indptr[i + 1]
        if hi - lo <= k:
            for e in range(lo, hi):
                mask[e] = True
            continue
        order = np.argsort(-values[lo:hi], kind="mergesort")
        for t in range(k):
            mask[lo + order[t]] = True
    return mask
