"""Numba kernels of :mod:`graphsparse.sharded` (plain arrays; no graphsparse objects).

``segment_sums(indptr, local, values)``: ``out_i = sum_{e in row i} values[local_e]`` in float64,
edge by edge in CSR order (the summation order of ``graphsparse.sparsify._kernels.teddy_node_terms``,
so the sharded TEDDY terms are bitwise equal to the in-memory ones).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["segment_sums"]


@njit(parallel=True, cache=True, nogil=True)
def segment_sums(indptr, local, values):
    """Per-row sums of gathered ``values[local[e]]`` (float64, sequential within a row)."""
    out = np.zeros(indptr.shape[0] - 1, dtype=np.float64)
    for i in prange(indptr.shape[0] - 1):
        acc = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            acc += values[local[e]]
        out[i] = acc
    return out
