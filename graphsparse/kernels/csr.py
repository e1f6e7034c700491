"""Numba kernels over plain CSR arrays (``indptr``, ``indices``, ``weights``).

This module holds no SciPy, torch or graphsparse objects: every function takes and returns NumPy
arrays, so each kernel can be tested against a slow obvious reference and reused by every
capability. Conventions:

* ``indptr`` has ``num_rows + 1`` entries (int64); row ``i`` owns ``indices[indptr[i]:indptr[i+1]]``.
* ``indices`` are int32 or int64 column ids; ``weights`` are float32 (one per stored entry).
* Kernels that produce a new CSR return fresh arrays; kernels with an ``out`` argument write into it.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = [
    "spmm_weighted",
    "spmm_unweighted",
    "spmm_scaled",
    "out_degree",
    "in_degree",
    "weighted_out_degree",
    "weighted_in_degree",
    "scale_rows",
    "scale_cols",
    "expand_rows",
    "counting_offsets",
    "grow",
    "coo_to_csr",
    "transpose",
    "sort_and_coalesce_rows",
    "filter_edges",
    "remove_self_loops",
    "add_self_loops",
    "induced_subgraph",
    "gather_rows",
    "mutual_mask",
]


# --------------------------------------------------------------------------------------------
# 1. Sparse x dense products.  out[i, :] = sum_{e in row i} w_e * dense[indices[e], :]
# --------------------------------------------------------------------------------------------
@njit(cache=True, nogil=True, inline="always")
def row_product(indptr, indices, weights, has_w, col_scale, has_c, dense, i, row):
    """``row = sum_{e in row i of A} w_e c_j dense[j]`` (``w_e = 1`` / ``c_j = 1`` when absent); ``row``
    is a 1-D buffer of ``dense.shape[1]`` entries (``out[i]``, or a kernel's scratch row).

    Four edges per pass over ``row``: ``row += (w_a x_a + w_b x_b) + (w_c x_c + w_d x_d)``, then the
    row's last 0-3 edges one at a time: four independent source rows in flight and one load and
    store of ``row`` per four instead of per edge (1.27x on R-MAT 1M / 10M at d = 128, 1.1-1.4x in
    FastRP's step, which shares it; ad-hoc interleaved measurements). The summation order is a fixed
    function of the row, so results do not depend on the number of threads or on a row-block split.
    """
    n_cols = dense.shape[1]
    for c in range(n_cols):
        row[c] = 0.0
    e = indptr[i]
    stop = indptr[i + 1]
    while e + 4 <= stop:
        j0, j1, j2, j3 = indices[e], indices[e + 1], indices[e + 2], indices[e + 3]
        if has_w or has_c:
            w0 = w1 = w2 = w3 = np.float32(1.0)
            if has_w:
                w0, w1, w2, w3 = weights[e], weights[e + 1], weights[e + 2], weights[e + 3]
            if has_c:
                w0, w1, w2, w3 = w0 * col_scale[j0], w1 * col_scale[j1], w2 * col_scale[j2], w3 * col_scale[j3]
            for c in range(n_cols):
                row[c] += (w0 * dense[j0, c] + w1 * dense[j1, c]) + (w2 * dense[j2, c] + w3 * dense[j3, c])
        else:
            for c in range(n_cols):
                row[c] += (dense[j0, c] + dense[j1, c]) + (dense[j2, c] + dense[j3, c])
        e += 4
    while e < stop:
        j = indices[e]
        if has_w or has_c:
            w = np.float32(1.0)
            if has_w:
                w = weights[e]
            if has_c:
                w = w * col_scale[j]
            for c in range(n_cols):
                row[c] += w * dense[j, c]
        else:
            for c in range(n_cols):
                row[c] += dense[j, c]
        e += 1


@njit(parallel=True, cache=True, nogil=True)
def spmm_weighted(indptr, indices, weights, dense, out):
    """``out = A @ dense`` for a weighted CSR ``A``; ``out`` is overwritten (float32 accumulation)."""
    for i in prange(indptr.shape[0] - 1):
        row_product(indptr, indices, weights, True, weights, False, dense, i, out[i])
    return out


@njit(parallel=True, cache=True, nogil=True)
def spmm_unweighted(indptr, indices, dense, out):
    """``out = A @ dense`` for a 0/1 CSR pattern ``A`` (no weight array is read)."""
    absent = np.empty(0, dtype=dense.dtype)
    for i in prange(indptr.shape[0] - 1):
        row_product(indptr, indices, absent, False, absent, False, dense, i, out[i])
    return out


@njit(parallel=True, cache=True, nogil=True)
def spmm_scaled(indptr, indices, weights, dense, row_scale, col_scale, out):
    """Fused ``out = diag(row_scale) A diag(col_scale) @ dense``.

    ``weights`` may be an empty array (pattern only); ``row_scale``/``col_scale`` may be empty
    (no scaling). Saves the passes that building the scaled matrix would cost.
    """
    n_cols = dense.shape[1]
    has_w = weights.shape[0] > 0
    has_r = row_scale.shape[0] > 0
    has_c = col_scale.shape[0] > 0
    for i in prange(indptr.shape[0] - 1):
        row_product(indptr, indices, weights, has_w, col_scale, has_c, dense, i, out[i])
        if has_r:
            r = row_scale[i]
            for c in range(n_cols):
                out[i, c] *= r
    return out


# --------------------------------------------------------------------------------------------
# 2. Degrees.  out-degree = row counts (or sums), in-degree = column counts (or sums).
# --------------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def out_degree(indptr):
    """Number of stored entries per row (int64)."""
    n = indptr.shape[0] - 1
    deg = np.empty(n, dtype=np.int64)
    for i in range(n):
        deg[i] = indptr[i + 1] - indptr[i]
    return deg


@njit(cache=True, nogil=True)
def in_degree(indices, num_nodes):
    """Number of stored entries per column (int64)."""
    deg = np.zeros(num_nodes, dtype=np.int64)
    for e in range(indices.shape[0]):
        deg[indices[e]] += 1
    return deg


@njit(parallel=True, cache=True, nogil=True)
def weighted_out_degree(indptr, weights):
    """Row sums of the weights (float64 accumulation, returned as float64)."""
    n = indptr.shape[0] - 1
    deg = np.zeros(n, dtype=np.float64)
    for i in prange(n):
        acc = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            acc += weights[e]
        deg[i] = acc
    return deg


@njit(cache=True, nogil=True)
def weighted_in_degree(indices, weights, num_nodes):
    """Column sums of the weights (float64)."""
    deg = np.zeros(num_nodes, dtype=np.float64)
    for e in range(indices.shape[0]):
        deg[indices[e]] += weights[e]
    return deg


# --------------------------------------------------------------------------------------------
# 3. Scaling:  w'_e = scale[row(e)] * w_e  or  scale[col(e)] * w_e
# --------------------------------------------------------------------------------------------
@njit(parallel=True, cache=True, nogil=True)
def scale_rows(indptr, weights, scale, out):
    """``out[e] = scale[row(e)] * weights[e]`` (``weights`` may be empty: treated as ones)."""
    n = indptr.shape[0] - 1
    has_w = weights.shape[0] > 0
    for i in prange(n):
        s = scale[i]
        for e in range(indptr[i], indptr[i + 1]):
            out[e] = s * weights[e] if has_w else s
    return out


@njit(parallel=True, cache=True, nogil=True)
def scale_cols(indices, weights, scale, out):
    """``out[e] = scale[indices[e]] * weights[e]`` (``weights`` may be empty: treated as ones)."""
    has_w = weights.shape[0] > 0
    for e in prange(indices.shape[0]):
        s = scale[indices[e]]
        out[e] = s * weights[e] if has_w else s
    return out


@njit(parallel=True, cache=True, nogil=True)
def expand_rows(indptr):
    """Row id of every stored entry (the COO ``row`` array), int64."""
    n = indptr.shape[0] - 1
    rows = np.empty(indptr[n], dtype=np.int64)
    for i in prange(n):
        for e in range(indptr[i], indptr[i + 1]):
            rows[e] = i
    return rows


# --------------------------------------------------------------------------------------------
# 4. Construction, transpose, coalescing.
# --------------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def counting_offsets(keys, num_bins):
    """``(indptr, cursor)`` of a counting sort: ``indptr[b]`` = number of keys below bin ``b``.

    ``cursor`` is a writable copy of ``indptr[:-1]`` (the next free slot of every bin).
    """
    indptr = np.zeros(num_bins + 1, dtype=np.int64)
    for e in range(keys.shape[0]):
        indptr[keys[e] + 1] += 1
    for b in range(num_bins):
        indptr[b + 1] += indptr[b]
    return indptr, indptr[:-1].copy()


@njit(cache=True, nogil=True)
def grow(array, used, capacity):
    """A new array of ``capacity`` entries (same dtype) holding ``array[:used]`` (buffer growth)."""
    grown = np.empty(capacity, dtype=array.dtype)
    grown[:used] = array[:used]
    return grown


@njit(cache=True, nogil=True)
def coo_to_csr(rows, cols, num_rows):
    """Counting sort of a COO edge list by row (stable).

    Returns ``(indptr, perm)``: ``cols[perm]`` is the CSR ``indices`` array and ``perm[e]`` the
    input position of CSR entry ``e``. Columns inside a row keep their input order.
    """
    m = rows.shape[0]
    indptr, cursor = counting_offsets(rows, num_rows)
    perm = np.empty(m, dtype=np.int64)
    for e in range(m):
        r = rows[e]
        perm[cursor[r]] = e
        cursor[r] += 1
    return indptr, perm


@njit(cache=True, nogil=True)
def transpose(indptr, indices, num_cols):
    """CSR transpose by counting sort.

    Returns ``(indptr_t, indices_t, perm)`` where entry ``e`` of the transpose is entry
    ``perm[e]`` of the input (apply ``weights[perm]`` to move weights). Rows of the transpose
    come out sorted when the input rows are visited in order, i.e. always.
    """
    n_rows = indptr.shape[0] - 1
    m = indices.shape[0]
    indptr_t, cursor = counting_offsets(indices, num_cols)
    indices_t = np.empty(m, dtype=indices.dtype)
    perm = np.empty(m, dtype=np.int64)
    for i in range(n_rows):
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            pos = cursor[j]
            indices_t[pos] = i
            perm[pos] = e
            cursor[j] += 1
    return indptr_t, indices_t, perm


@njit(parallel=True, cache=True, nogil=True)
def sort_and_coalesce_rows(indptr, indices, weights, reduce_max):
    """Sort each row's columns and merge duplicates (sum, or max if ``reduce_max``).

    ``weights`` may be empty (pattern only; duplicates simply merge). Returns
    ``(indptr, indices, weights, first)`` where ``first[k]`` is the input position of the first
    entry merged into output entry ``k`` (input order is stable within equal columns).
    """
    n = indptr.shape[0] - 1
    has_w = weights.shape[0] > 0
    order = np.empty(indices.shape[0], dtype=np.int64)
    counts = np.zeros(n + 1, dtype=np.int64)
    for i in prange(n):
        start, stop = indptr[i], indptr[i + 1]
        if stop - start == 0:
            continue
        increasing = True  # already sorted and duplicate-free (a coalesced PyG edge_index): no sort
        for k in range(start + 1, stop):
            if indices[k] <= indices[k - 1]:
                increasing = False
                break
        if increasing:
            for k in range(start, stop):
                order[k] = k
            counts[i + 1] = stop - start
            continue
        local = np.argsort(indices[start:stop], kind="mergesort")
        unique = 0
        prev = -1
        for k in range(local.shape[0]):
            order[start + k] = start + local[k]
            col = indices[start + local[k]]
            if k == 0 or col != prev:
                unique += 1
            prev = col
        counts[i + 1] = unique
    new_indptr = np.empty(n + 1, dtype=np.int64)
    new_indptr[0] = 0
    for i in range(n):
        new_indptr[i + 1] = new_indptr[i] + counts[i + 1]
    total = new_indptr[n]
    new_indices = np.empty(total, dtype=indices.dtype)
    new_weights = np.empty(total if has_w else 0, dtype=weights.dtype)
    first = np.empty(total, dtype=np.int64)
    for i in prange(n):
        out = new_indptr[i] - 1
        prev = -1
        for k in range(indptr[i], indptr[i + 1]):
            src = order[k]
            col = indices[src]
            if k == indptr[i] or col != prev:
                out += 1
                new_indices[out] = col
                first[out] = src
                if has_w:
                    new_weights[out] = weights[src]
            elif has_w:
                if reduce_max:
                    if weights[src] > new_weights[out]:
                        new_weights[out] = weights[src]
                else:
                    new_weights[out] += weights[src]
            prev = col
    return new_indptr, new_indices, new_weights, first


# --------------------------------------------------------------------------------------------
# 5. Filtering: edge masks, self-loops, induced subgraphs.
# --------------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def filter_edges(indptr, edge_mask):
    """Keep the entries where ``edge_mask`` is True.

    Returns ``(new_indptr, kept)``: ``kept`` are the positions of the surviving entries, so
    ``indices[kept]`` and ``weights[kept]`` complete the new CSR.
    """
    n = indptr.shape[0] - 1
    new_indptr = np.zeros(n + 1, dtype=np.int64)
    total = 0
    for e in range(edge_mask.shape[0]):
        if edge_mask[e]:
            total += 1
    kept = np.empty(total, dtype=np.int64)
    pos = 0
    for i in range(n):
        for e in range(indptr[i], indptr[i + 1]):
            if edge_mask[e]:
                kept[pos] = e
                pos += 1
        new_indptr[i + 1] = pos
    return new_indptr, kept


@njit(parallel=True, cache=True, nogil=True)
def _self_loop_mask(indptr, indices):
    n = indptr.shape[0] - 1
    mask = np.empty(indices.shape[0], dtype=np.bool_)
    for i in prange(n):
        for e in range(indptr[i], indptr[i + 1]):
            mask[e] = indices[e] == i
    return mask


@njit(cache=True, nogil=True)
def remove_self_loops(indptr, indices):
    """Drop entries ``(i, i)``. Returns ``(new_indptr, kept)`` as :func:`filter_edges`."""
    return filter_edges(indptr, ~_self_loop_mask(indptr, indices))


@njit(cache=True, nogil=True)
def add_self_loops(indptr, indices, weights, fill_value, has_w):
    """Give every row a diagonal entry (rows must be sorted; existing loops are kept as is).

    Returns ``(indptr, indices, weights, source)`` where ``source[k]`` is the input position of
    output entry ``k`` or ``-1`` for an inserted loop (weight ``fill_value``). With ``has_w``
    False, ``weights`` is ignored and an empty weight array is returned (pattern only).
    """
    n = indptr.shape[0] - 1
    missing = 0
    for i in range(n):
        found = False
        for e in range(indptr[i], indptr[i + 1]):
            if indices[e] == i:
                found = True
                break
        if not found:
            missing += 1
    total = indices.shape[0] + missing
    new_indptr = np.zeros(n + 1, dtype=np.int64)
    new_indices = np.empty(total, dtype=indices.dtype)
    new_weights = np.empty(total if has_w else 0, dtype=weights.dtype)
    source = np.empty(total, dtype=np.int64)
    pos = 0
    for i in range(n):
        placed = False
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            if j == i:
                placed = True
            elif j > i and not placed:
                new_indices[pos] = i
                source[pos] = -1
                if has_w:
                    new_weights[pos] = fill_value
                pos += 1
                placed = True
            new_indices[pos] = j
            source[pos] = e
            if has_w:
                new_weights[pos] = weights[e]
            pos += 1
        if not placed:
            new_indices[pos] = i
            source[pos] = -1
            if has_w:
                new_weights[pos] = fill_value
            pos += 1
        new_indptr[i + 1] = pos
    return new_indptr, new_indices, new_weights, source


@njit(cache=True, nogil=True)
def induced_subgraph(indptr, indices, nodes, num_nodes):
    """Edges among ``nodes`` (relabelled ``0..len(nodes)-1`` in the given order).

    Returns ``(new_indptr, new_indices, kept)``; ``kept`` are input positions of the surviving
    entries (use ``weights[kept]``).
    """
    new_id = np.full(num_nodes, -1, dtype=np.int64)
    for k in range(nodes.shape[0]):
        new_id[nodes[k]] = k
    count = 0
    for k in range(nodes.shape[0]):
        u = nodes[k]
        for e in range(indptr[u], indptr[u + 1]):
            if new_id[indices[e]] >= 0:
                count += 1
    new_indptr = np.zeros(nodes.shape[0] + 1, dtype=np.int64)
    new_indices = np.empty(count, dtype=indices.dtype)
    kept = np.empty(count, dtype=np.int64)
    pos = 0
    for k in range(nodes.shape[0]):
        u = nodes[k]
        for e in range(indptr[u], indptr[u + 1]):
            v = new_id[indices[e]]
            if v >= 0:
                new_indices[pos] = v
                kept[pos] = e
                pos += 1
        new_indptr[k + 1] = pos
    return new_indptr, new_indices, kept


@njit(cache=True, nogil=True)
def _find_in_row(indices, start, stop, target):
    """Binary search for ``target`` in the sorted ``indices[start:stop]``; position or -1 (the one
    edge lookup: ``mutual_mask`` here, ``locate_edges`` in ``kernels/edges.py``)."""
    low, high = start, stop
    while low < high:
        mid = (low + high) // 2
        if indices[mid] < target:
            low = mid + 1
        else:
            high = mid
    if low < stop and indices[low] == target:
        return low
    return -1


@njit(parallel=True, cache=True, nogil=True)
def mutual_mask(indptr, indices):
    """``mask[e]`` is True when entry ``(i, j)`` has its reverse ``(j, i)`` (rows sorted)."""
    n = indptr.shape[0] - 1
    mask = np.zeros(indices.shape[0], dtype=np.bool_)
    for i in prange(n):
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            mask[e] = _find_in_row(indices, indptr[j], indptr[j + 1], i) >= 0
    return mask


# --------------------------------------------------------------------------------------------
# 6. Row gather of a dense table:  out[k, :] = table[index[k], :]
# --------------------------------------------------------------------------------------------
@njit(parallel=True, cache=True, nogil=True)
def gather_rows(table, index, out):
    """Copy ``table[index[k]]`` into ``out[k]`` for every ``k`` (any dtype, 2-D C-contiguous)."""
    n_cols = table.shape[1]
    for k in prange(index.shape[0]):
        src = index[k]
        for c in range(n_cols):
            out[k, c] = table[src, c]
    return out
