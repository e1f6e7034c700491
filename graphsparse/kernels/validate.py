"""O(E) structural checks of CSR arrays, run once at the library's boundary (serial, no allocation).

1. ``csr_problem(indptr, indices, num_cols, require_sorted)`` walks ``indptr`` and then every
   row once and returns ``(code, where)``: ``(0, 0)`` when the arrays form a valid CSR, else the
   first problem found:

   * ``1``: ``indptr[0] != 0``;
   * ``2``: ``indptr[where + 1] < indptr[where]`` (row ``where`` has negative length);
   * ``3``: ``indptr[-1] > len(indices)`` (rows point past the end of ``indices``);
   * ``4``: ``indices[where] < 0``;  ``5``: ``indices[where] >= num_cols``;
   * ``6``: ``indices[where] < indices[where - 1]`` inside a row (row not sorted);
   * ``7``: ``indices[where] == indices[where - 1]`` inside a row (duplicate column).

   Codes 6 and 7 are only reported when ``require_sorted`` is true. The checks read every entry
   once (no scatter through the ids), so they are safe on any input whose ``indptr`` has the
   claimed length -- the point: this runs *before* any kernel that indexes by the stored ids.
2. ``count_nonfinite(values)``: number of NaN / +-inf entries (float arrays).
"""
from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["csr_problem", "count_nonfinite", "CSR_PROBLEMS"]

CSR_PROBLEMS = {
    1: "indptr must start at 0",
    2: "indptr must be non-decreasing",
    3: "indptr points past the end of indices",
    4: "indices holds a negative node id",
    5: "indices holds a node id >= num_nodes",
    6: "the column ids of a row must be sorted",
    7: "a row holds the same column twice (duplicate edge)",
}


@njit(cache=True, nogil=True)
def csr_problem(indptr, indices, num_cols, require_sorted):
    """``(code, where)`` of the first structural problem of a CSR, ``(0, 0)`` when valid."""
    n = indptr.shape[0] - 1
    if n < 0:
        return 1, 0
    if indptr[0] != 0:
        return 1, 0
    for i in range(n):
        if indptr[i + 1] < indptr[i]:
            return 2, i
    if indptr[n] > indices.shape[0]:
        return 3, n
    for i in range(n):
        prev = -1
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            if j < 0:
                return 4, e
            if j >= num_cols:
                return 5, e
            if require_sorted and e > indptr[i]:
                if j < prev:
                    return 6, e
                if j == prev:
                    return 7, e
            prev = j
    return 0, 0


@njit(cache=True, nogil=True)
def count_nonfinite(values):
    """Number of NaN or infinite entries of a 1-D float array."""
    bad = 0
    for k in range(values.shape[0]):
        if not np.isfinite(values[k]):
            bad += 1
    return bad
