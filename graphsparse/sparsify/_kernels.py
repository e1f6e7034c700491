"""Numba kernels of :mod:`graphsparse.sparsify` (plain arrays in, plain arrays out; no torch/scipy).

All kernels take a CSR graph (``indptr`` int64, ``indices`` int32/int64, rows sorted and
coalesced) and run in O(E). Edge lookup, reverse edges and pair ids are the backend's
(:mod:`graphsparse.kernels.edges`, through ``Graph.locate`` / ``reverse_edges`` / ``canonical_edges``).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True, nogil=True)
def teddy_node_terms(indptr, indices):
    """Per-node ``ghat_i = gbar_i / d_i`` with ``gbar_i = (1/d_i) sum_{k in N(i)} d_k^{-1/2}``.

    ``d_i`` is the number of stored entries of row ``i`` (self-loops included); isolated
    nodes get 0. Two passes: one for the inverse square-root degrees, one for the 2-hop term.
    """
    num_nodes = indptr.shape[0] - 1
    inv_sqrt_degree = np.zeros(num_nodes, dtype=np.float64)
    for i in prange(num_nodes):
        degree = indptr[i + 1] - indptr[i]
        if degree > 0:
            inv_sqrt_degree[i] = 1.0 / np.sqrt(degree)
    node_term = np.zeros(num_nodes, dtype=np.float64)
    for i in prange(num_nodes):
        start, stop = indptr[i], indptr[i + 1]
        degree = stop - start
        if degree == 0:
            continue
        total = 0.0
        for e in range(start, stop):
            total += inv_sqrt_degree[indices[e]]
        node_term[i] = total / (degree * degree)  # gbar_i / d_i = total / d_i^2
    return node_term


@njit(parallel=True, cache=True, nogil=True)
def teddy_edge_scores_csr(indptr, indices, node_term):
    """``T_ij = ghat_i * ghat_j`` for every stored edge (CSR order)."""
    num_nodes = indptr.shape[0] - 1
    scores = np.empty(indices.shape[0], dtype=np.float64)
    for i in prange(num_nodes):
        for e in range(indptr[i], indptr[i + 1]):
            scores[e] = node_term[i] * node_term[indices[e]]
    return scores


@njit(parallel=True, cache=True, nogil=True)
def degree_pair_scores(indptr, indices, kind):
    """Degree-based one-shot scores per stored edge.

    ``kind == 0``: ``1 / (d_i d_j)`` (inverse degree product: edges between hubs score low);
    ``kind == 1``: ``1/d_i + 1/d_j`` (the local approximation of the effective resistance
    ``R_ij`` used by spectral sparsifiers; edges whose endpoints have few other paths score high).
    """
    num_nodes = indptr.shape[0] - 1
    inv_degree = np.zeros(num_nodes, dtype=np.float64)
    for i in prange(num_nodes):
        degree = indptr[i + 1] - indptr[i]
        if degree > 0:
            inv_degree[i] = 1.0 / degree
    scores = np.empty(indices.shape[0], dtype=np.float64)
    for i in prange(num_nodes):
        for e in range(indptr[i], indptr[i + 1]):
            if kind == 0:
                scores[e] = inv_degree[i] * inv_degree[indices[e]]
            else:
                scores[e] = inv_degree[i] + inv_degree[indices[e]]
    return scores
