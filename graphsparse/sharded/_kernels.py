"""Numba kernels of the sharded TEDDY scores (plain arrays; no graphsparse objects).

``teddy_node_terms_local(indptr, local, inv_sqrt_cols)``: for every row ``i`` of a shard,
``ghat_i = (sum_{e in row i} inv_sqrt_cols[local_e]) / d_i^2`` -- the second loop of
``graphsparse.sparsify._kernels.teddy_node_terms`` with the neighbours' ``d^-1/2`` gathered into
``inv_sqrt_cols`` (``local`` relabels the shard's columns), summed in the same order, so the
result is bitwise equal to the in-memory kernel.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["teddy_node_terms_local"]


@njit(parallel=True, cache=True, nogil=True)
def teddy_node_terms_local(indptr, local, inv_sqrt_cols):
    num_rows = indptr.shape[0] - 1
    node_term = np.zeros(num_rows, dtype=np.float64)
    for i in prange(num_rows):
        start, stop = indptr[i], indptr[i + 1]
        degree = stop - start
        if degree == 0:
            continue
        total = 0.0
        for e in range(start, stop):
            total += inv_sqrt_cols[local[e]]
        node_term[i] = total / (degree * degree)
    return node_term
