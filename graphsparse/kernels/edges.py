"""Edge identity kernels over plain CSR arrays: where an edge is stored, its reverse, its pair.

Rows must be sorted and coalesced (as :class:`graphsparse.Graph` keeps them); ids must be in range
(the graph layer validates what comes from outside). Used through ``Graph.locate``,
``Graph.reverse_edges``, ``Graph.canonical_edges`` and ``Graph.pair_ids``.

1. ``locate_edges(indptr, indices, sources, targets)`` -- CSR position of ``(sources[k], targets[k])``
   by binary search in the source's row, ``-1`` when not stored. O(k log d_max).
2. ``reverse_edges(indptr, indices)`` -- position of ``(j, i)`` for every stored ``(i, j)``, ``-1``
   when the reverse is not stored (a one-way edge of a directed graph); a self-loop is its own
   reverse. O(E): the backend's counting-sort transpose, then a sorted merge per row.
3. ``canonical_edges(indptr, indices, reverse)`` -- one representative per pair: ``(i, j)`` with
   ``i <= j`` represents itself; ``(i, j)`` with ``i > j`` is represented by its reverse when that
   is stored, by itself otherwise. ``pair_ids`` numbers the representatives ``0..P-1`` in CSR order.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from graphsparse.kernels.csr import _find_in_row, transpose

__all__ = ["locate_edges", "reverse_edges", "canonical_edges", "pair_ids"]


@njit(parallel=True, cache=True, nogil=True)
def locate_edges(indptr, indices, sources, targets):
    """CSR position of every ``(sources[k], targets[k])`` (-1 when the edge is not stored)."""
    positions = np.empty(sources.shape[0], dtype=np.int64)
    for k in prange(sources.shape[0]):
        i = sources[k]
        positions[k] = _find_in_row(indices, indptr[i], indptr[i + 1], targets[k])
    return positions


@njit(parallel=True, cache=True, nogil=True)
def _match_reverse(indptr, indices, indptr_t, indices_t, perm, reverse):
    """Merge row ``j`` of ``A`` (targets ``k``, sorted) with row ``j`` of ``A^T`` (sources ``i``,
    sorted): where ``k == i`` the edge ``i -> j`` (entry ``perm[t]``) has its reverse at ``p``."""
    n = indptr.shape[0] - 1
    for j in prange(n):
        p, p_end = indptr[j], indptr[j + 1]
        t, t_end = indptr_t[j], indptr_t[j + 1]
        while p < p_end and t < t_end:
            k = indices[p]
            i = indices_t[t]
            if k < i:
                p += 1
            elif k > i:
                t += 1
            else:
                reverse[perm[t]] = p
                p += 1
                t += 1
    return reverse


@njit(cache=True, nogil=True)
def reverse_edges(indptr, indices):
    """``reverse[e]`` = position of ``(j, i)`` for the stored ``e = (i, j)``, or -1 when absent.

    O(E): the counting-sort transpose, then a merge of each row with the same row of the
    transpose (both sorted) -- no search.
    """
    n = indptr.shape[0] - 1
    indptr_t, indices_t, perm = transpose(indptr, indices, n)
    reverse = np.full(indices.shape[0], -1, dtype=np.int64)
    return _match_reverse(indptr, indices, indptr_t, indices_t, perm, reverse)


@njit(parallel=True, cache=True, nogil=True)
def canonical_edges(indptr, indices, reverse):
    """Representative position of every stored edge's pair (see the module doc)."""
    # (the plain CSR row walk every per-edge kernel has; no logic shared with the TEDDY scores)
    n = indptr.shape[0] - 1
    canonical = np.empty(indices.shape[0], dtype=np.int64)
    for i in prange(n):
        for e in range(indptr[i], indptr[i + 1]):
            if indices[e] >= i or reverse[e] < 0:
                canonical[e] = e
            else:
                canonical[e] = reverse[e]
    return canonical


@njit(cache=True, nogil=True)
def pair_ids(canonical):
    """Pair id ``0..P-1`` of every stored edge: representatives numbered in CSR order."""
    m = canonical.shape[0]
    ids = np.empty(m, dtype=np.int64)
    count = 0
    for e in range(m):
        if canonical[e] == e:
            ids[e] = count
            count += 1
    for e in range(m):
        ids[e] = ids[canonical[e]]
    return ids
