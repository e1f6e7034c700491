"""Numba kernels of :mod:`graphsparse.gather` (plain arrays; no torch, no scipy).

``neighbor_sample_csc`` is the fallback for PyG's ``torch.ops.pyg.neighbor_sample`` (pyg-lib) /
``torch_sparse.neighbor_sample`` so that ``NeighborLoader`` works without those compiled packages
(GraphSAGE's uniform sampling, Hamilton et al., NeurIPS 2017):

1. ``nodes`` starts as the seeds (local ids ``0..B-1``; duplicates get one local id).
2. Hop ``h`` with fan-out ``k_h``: for every node ``v`` added in hop ``h-1`` (the frontier), take
   its in-neighbours ``row[colptr[v]:colptr[v+1]]`` -- all of them when the degree is ``<= k_h``
   (or ``k_h < 0``), else ``k_h`` distinct ones uniformly (Floyd's algorithm, O(k^2) per node,
   independent of the degree), or ``k_h`` with replacement if ``replace``. Random numbers come from
   :func:`graphsparse.kernels.random.uniform_from_counter` keyed by ``random_seed`` with a running
   draw counter (no global NumPy state: concurrent calls from several threads never share a stream,
   and the same ``random_seed`` gives the same sample).
3. A neighbour seen for the first time gets the next local id (``node_map``, reset afterwards) and
   joins the next frontier. Each sampled edge ``u -> v`` is written as ``(local u, local v)`` with
   its CSC position as the edge id, so ``nodes[rows], nodes[cols]`` are real edges ``src -> dst``.
"""
from __future__ import annotations

import numba
import numpy as np

from graphsparse.kernels.random import splitmix64, uniform_from_counter

__all__ = ["neighbor_sample_csc", "max_sample_sizes"]


def max_sample_sizes(num_seeds: int, fanouts) -> tuple[int, int]:
    """Upper bounds of (sampled nodes, sampled edges) for non-negative fan-outs."""
    nodes = frontier = int(num_seeds)
    edges = 0
    for fanout in fanouts:
        frontier = frontier * int(fanout)
        nodes += frontier
        edges += frontier
    return nodes, edges


@numba.njit(cache=True)
def neighbor_sample_csc(colptr, row, seeds, fanouts, replace, random_seed, node_map,
                        max_nodes, max_edges):
    """Multi-hop uniform neighbour sampling on CSC arrays (steps 1-3 of the module doc).

    ``node_map`` is an int64 array of length num_nodes filled with -1 (returned to -1 on exit).
    Unchecked (callers validate): ``seeds`` in ``[0, num_nodes)``, ``colptr``/``row`` a valid CSC,
    ``random_seed`` in ``[0, 2**63)``.
    ``fanouts[h] < 0`` takes all neighbours (then ``max_nodes``/``max_edges`` must bound the
    result). Returns ``(nodes, rows, cols, edges, nodes_per_hop, edges_per_hop)``.
    """
    key = splitmix64(np.uint64(random_seed))
    draw = np.uint64(0)
    num_hops = fanouts.shape[0]
    nodes = np.empty(max_nodes, dtype=np.int64)
    rows = np.empty(max_edges, dtype=np.int64)
    cols = np.empty(max_edges, dtype=np.int64)
    edges = np.empty(max_edges, dtype=np.int64)
    nodes_per_hop = np.zeros(num_hops + 1, dtype=np.int64)
    edges_per_hop = np.zeros(num_hops, dtype=np.int64)
    num_nodes = 0
    for i in range(seeds.shape[0]):
        seed = seeds[i]
        if node_map[seed] < 0:
            node_map[seed] = num_nodes
            nodes[num_nodes] = seed
            num_nodes += 1
    nodes_per_hop[0] = num_nodes
    num_edges = 0
    frontier_begin = 0
    frontier_end = num_nodes
    chosen = np.empty(64, dtype=np.int64)
    for hop in range(num_hops):
        fanout = fanouts[hop]
        for local_v in range(frontier_begin, frontier_end):
            v = nodes[local_v]
            begin = colptr[v]
            degree = colptr[v + 1] - begin
            if degree == 0:
                continue
            if fanout < 0 or (degree <= fanout and not replace):
                count = degree
            else:
                count = fanout
            if chosen.shape[0] < count:
                chosen = np.empty(2 * count, dtype=np.int64)
            if count == degree and (fanout < 0 or not replace):
                for j in range(count):
                    chosen[j] = begin + j
            elif replace:
                for j in range(count):
                    offset = np.int64(uniform_from_counter(key, draw) * degree)
                    draw += np.uint64(1)
                    chosen[j] = begin + min(offset, degree - 1)
            else:  # Floyd: count distinct offsets out of degree
                for j in range(count):
                    t = degree - count + j
                    pick = min(np.int64(uniform_from_counter(key, draw) * (t + 1)), t)
                    draw += np.uint64(1)
                    seen = False
                    for q in range(j):
                        if chosen[q] == begin + pick:
                            seen = True
                            break
                    chosen[j] = begin + (t if seen else pick)
            for j in range(count):
                position = chosen[j]
                u = row[position]
                local_u = node_map[u]
                if local_u < 0:
                    local_u = num_nodes
                    node_map[u] = local_u
                    nodes[num_nodes] = u
                    num_nodes += 1
                rows[num_edges] = local_u
                cols[num_edges] = local_v
                edges[num_edges] = position
                num_edges += 1
            edges_per_hop[hop] += count
        nodes_per_hop[hop + 1] = num_nodes - frontier_end
        frontier_begin = frontier_end
        frontier_end = num_nodes
    for i in range(num_nodes):
        node_map[nodes[i]] = -1
    return (nodes[:num_nodes], rows[:num_edges], cols[:num_edges], edges[:num_edges],
            nodes_per_hop, edges_per_hop)
