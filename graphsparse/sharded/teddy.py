"""TEDDY edge scores and degree statistics on a sharded graph (out-of-core or on Dask).

TEDDY (Seo et al., ICLR 2024, eq. 3-4; see :mod:`graphsparse.sparsify.core`)::

    d_i    = number of stored entries of row i
    ghat_i = (1/d_i^2) * sum_{k in N(i)} d_k^(-1/2)
    T_ij   = ghat_i * ghat_j                       for every stored edge (i, j)

in three passes of one task per shard: (1) ``d^-1/2`` per row block, (2) ``ghat`` from the
neighbours' ``d^-1/2`` gathered by the halo read of :mod:`graphsparse.sharded.ops`, (3) ``T`` from
the neighbours' ``ghat``. Same operations in the same order as
:func:`graphsparse.sparsify.teddy_edge_scores`, hence bitwise-equal scores, in CSR order.
"""
from __future__ import annotations

import os
import shutil
import tempfile

import numpy as np

from graphsparse import kernels
from graphsparse.kernels.threads import serialized_namespace
from graphsparse.sharded import _kernels as _raw_kernels
from graphsparse.sharded.format import as_sharded_graph, block_name, open_graph, save_npy_atomic
from graphsparse.sharded.ops import (Blocks, Progress, announce_client, finish_array, gather_rows, limit_threads,
                                     relabel, run_tasks)

_kernels = serialized_namespace(_raw_kernels)  # prange kernels one at a time under workqueue

__all__ = ["teddy_edge_scores", "degree_statistics"]


def _inv_sqrt_task(path, s, work):
    limit_threads()
    shard = open_graph(path, verify="none").shard(s)
    degree = kernels.out_degree(np.asarray(shard.indptr))
    inv = np.zeros(shard.num_rows, dtype=np.float64)
    nz = degree > 0
    inv[nz] = 1.0 / np.sqrt(degree[nz])
    save_npy_atomic(os.path.join(work, "inv_sqrt", block_name(s)), inv, checksum=False)


def _node_term_task(path, s, work, bounds):
    limit_threads()
    shard = open_graph(path, verify="none").shard(s)
    cols, local = relabel(shard.indices)
    inv_cols, _ = gather_rows(Blocks.in_dir(os.path.join(work, "inv_sqrt"), bounds), cols)
    indptr = np.asarray(shard.indptr)
    total = _kernels.segment_sums(indptr, local, inv_cols)
    degree = kernels.out_degree(indptr)
    term = np.zeros(shard.num_rows, dtype=np.float64)
    nz = degree > 0
    term[nz] = total[nz] / (degree[nz] * degree[nz])  # gbar_i / d_i = total / d_i^2, as the in-memory kernel
    save_npy_atomic(os.path.join(work, "node_term", block_name(s)), term, checksum=False)


def _score_task(path, s, work, bounds, out_file):
    limit_threads()
    shard = open_graph(path, verify="none").shard(s)
    cols, local = relabel(shard.indices)
    term_cols, _ = gather_rows(Blocks.in_dir(os.path.join(work, "node_term"), bounds), cols)
    term_rows = np.load(os.path.join(work, "node_term", block_name(s)), allow_pickle=False)
    rows = kernels.expand_rows(np.asarray(shard.indptr))
    scores = term_rows[rows] * term_cols[local] if shard.num_edges else np.zeros(0, np.float64)
    save_npy_atomic(out_file, scores, checksum=False)


def teddy_edge_scores(graph, client=None, *, out=None, work_dir=None, overwrite: bool = False,
                      verbose: bool = False):
    """TEDDY score of every stored edge of an undirected sharded graph (CSR order).

    Parameters
    ----------
    graph : ShardedGraph or path
        Undirected (build it with ``directed=False``); a directed graph raises ``ValueError``.
    client : distributed.Client or None
        Dask client (one task per shard and pass); ``None`` runs in this process, shard by shard.
    out : path or None
        Write the scores as a 1-D ShardedArray (one block per shard, boundaries = edge offsets);
        ``None`` returns a float64 ndarray.
    work_dir, overwrite, verbose
        As :func:`graphsparse.sharded.fit_fastrp`.

    Returns
    -------
    ndarray of length ``num_edges`` or the ShardedArray written to ``out``.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from graphsparse.datasets.generators import rmat
    >>> from graphsparse.sparsify import teddy_edge_scores as in_memory
    >>> from graphsparse.sharded import from_graph, teddy_edge_scores
    >>> g = rmat(100, 300, seed=0, directed=False)
    >>> sg = from_graph(g, os.path.join(tempfile.mkdtemp(), "g"), num_shards=4)
    >>> bool(np.array_equal(teddy_edge_scores(sg), in_memory(g)))
    True
    """
    graph = as_sharded_graph(graph)
    if graph.directed:
        raise ValueError("graph is directed, but the TEDDY score is defined for undirected graphs; build the "
                         "sharded graph with directed=False (both directions stored)")
    if out is not None and os.path.exists(out) and not overwrite:
        raise FileExistsError(f"out={os.fspath(out)!r} already exists; pass overwrite=True to replace it")
    S, path, bounds = graph.num_shards, graph.path, graph.boundaries
    work = tempfile.mkdtemp(prefix="gs-teddy-", dir=work_dir)
    try:
        announce_client(client, verbose)
        for name in ("inv_sqrt", "node_term", "scores"):
            os.makedirs(os.path.join(work, name))
        files = [os.path.join(work, "scores", block_name(s)) for s in range(S)]
        progress = Progress(3 * S, "TEDDY (sharded) shards x passes", verbose)
        try:
            run_tasks(_inv_sqrt_task, [(path, s, work) for s in range(S)], client, progress, "teddy-degree")
            run_tasks(_node_term_task, [(path, s, work, bounds) for s in range(S)], client, progress, "teddy-node")
            run_tasks(_score_task, [(path, s, work, bounds, files[s]) for s in range(S)], client, progress,
                      "teddy-score")
        finally:
            progress.close()
        if out is None:
            return np.concatenate([np.load(f, allow_pickle=False) for f in files]) if files else np.zeros(0)
        return finish_array(files, (graph.num_edges,), np.float64, graph.edge_offsets, out, overwrite,
                            extra=dict(source_graph=graph.build_id, kind="teddy_edge_scores"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _degree_stats_task(path, s):
    limit_threads()
    shard = open_graph(path, verify="none").shard(s)
    indptr = np.asarray(shard.indptr)
    out_deg = kernels.out_degree(indptr)
    weighted = kernels.weighted_out_degree(indptr, np.asarray(shard.weights)) if shard.weights is not None \
        else out_deg.astype(np.float64)
    cols, local = relabel(shard.indices)
    in_counts = np.bincount(local, minlength=cols.shape[0]).astype(np.int64)
    in_weights = np.bincount(local, weights=shard.edge_weights(), minlength=cols.shape[0])
    rows = kernels.expand_rows(indptr) + shard.row_start
    loops = int(np.count_nonzero(np.asarray(shard.indices) == rows))
    return out_deg, weighted, cols, in_counts, in_weights, loops


def degree_statistics(graph, client=None, *, verbose: bool = False) -> dict:
    """Out-/in-degrees (counts and weighted sums) and a summary, one task per shard.

    Returns a dict with ``out_degree``, ``in_degree`` (int64, length ``num_nodes``),
    ``weighted_out_degree``, ``weighted_in_degree`` (float64) and ``summary`` (num_nodes, num_edges,
    min/max/mean out- and in-degree, isolated nodes (no edge in or out), self-loops), equal to
    ``Graph.out_degree`` / ``Graph.in_degree`` of the in-memory graph. Only the ``O(num_nodes)``
    result vectors live on the client.
    """
    graph = as_sharded_graph(graph)
    n = graph.num_nodes
    announce_client(client, verbose)
    progress = Progress(graph.num_shards, "degree statistics (sharded)", verbose)
    try:
        parts = run_tasks(_degree_stats_task, [(graph.path, s) for s in range(graph.num_shards)], client,
                          progress, "degrees")
    finally:
        progress.close()
    out_deg = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    w_out = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0)
    in_deg = np.zeros(n, dtype=np.int64)
    w_in = np.zeros(n, dtype=np.float64)
    for p in parts:
        in_deg[p[2]] += p[3]
        w_in[p[2]] += p[4]
    loops = sum(p[5] for p in parts)

    def _s(v):
        return dict(min=int(v.min()), max=int(v.max()), mean=float(v.mean())) if v.size else {}

    summary = dict(num_nodes=n, num_edges=graph.num_edges, directed=graph.directed, out_degree=_s(out_deg),
                   in_degree=_s(in_deg), isolated=int(np.count_nonzero((out_deg == 0) & (in_deg == 0))),
                   self_loops=loops)
    return dict(out_degree=out_deg, in_degree=in_deg, weighted_out_degree=w_out, weighted_in_degree=w_in,
                summary=summary)
