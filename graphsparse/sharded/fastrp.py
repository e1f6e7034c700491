"""FastRP on a sharded graph: out-of-core in one process or distributed on a Dask cluster.

:func:`fit_fastrp` runs the algorithm of :class:`graphsparse.embed.FastRP` (see its module doc) with
the estimator's own validated parameters, seed and Numba kernels, one task per shard and pass:

1. *degree pass*: weighted row sums of the propagation graph ``P`` (``direction="in"``: the
   out-of-core transpose; ``"both"``: ``A + A^T`` with reciprocal edges summed, built by
   :func:`graphsparse.sharded.build.derived_graph`), ``row_scale = 1/deg``, ``deg^beta``, and the
   relabelled columns of the shard (cached for every hop);
2. *hop 0*: ``r_v = deg_v^beta R_v`` from ``graphsparse.embed._kernels.fill_random_projection``
   keyed by the global node id -- the projection is a counter-based hash of ``(seed, node id,
   column)``, so each shard draws exactly the rows the in-memory fit draws;
3. *hops 1..k*: ``graphsparse.embed._kernels.propagate_rows`` on the shard with the rows of the
   previous state its columns touch (:func:`graphsparse.sharded.ops.gather_rows`); the state and the
   accumulated embedding live on disk as row blocks, one file per shard and hop;
4. *scale_output*: column sums and sums of squares per shard (float64), reduced on the client,
   then every block is z-scored with the same formula (``sklearn.preprocessing.scale``).

Every output row is the same sequence of float32 operations as in memory, so the embedding equals
``FastRP.fit(graph)`` exactly before ``scale_output`` and to float32 round-off after it (the float64
column sums are added in a different order).

Not implemented on shards (``NotImplementedError``): node features (``feature_ratio > 0``),
``column_block``, ``keep_states``, ``projection_matrix=``, ``node_ids=``, and any estimator option
this module does not know (e.g. ``spectral_propagation``) set to a non-default value.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time

import numpy as np

from graphsparse import kernels
from graphsparse.embed.fastrp import step_kernels as fkernels  # thread-safe (serialized) FastRP kernels
from graphsparse.sharded.format import ShardedArray, as_sharded_graph, block_name, open_graph, save_npy_atomic
from graphsparse.sharded.ops import (Blocks, Progress, announce_client, finish_array, gather_rows, limit_threads,
                                     process_info, run_tasks)

__all__ = ["fit_fastrp"]

# the FastRP options this module implements (anything else must be at a "off" value)
_HANDLED = {"n_components", "iteration_weights", "normalization_strength", "self_influence", "density",
            "projection", "normalize_each", "scale_output", "propagate_normalized", "feature_ratio", "direction",
            "column_block", "keep_states", "dtype", "random_state", "verbose"}
_BASE_STREAM = 0  # graphsparse.embed.fastrp._BASE_STREAM: the structural columns' hash stream


def _check_supported(estimator) -> None:
    params = estimator.get_params(deep=False)
    for name, value in params.items():
        if name not in _HANDLED and value not in (None, False, 0, 0.0):
            raise NotImplementedError(f"FastRP option {name}={value!r} is not implemented on a sharded graph; "
                                      f"leave it at its default or fit in memory")
    if params.get("feature_ratio", 0.0):
        raise NotImplementedError("node features (feature_ratio > 0) are not implemented on a sharded graph")
    if params.get("column_block") is not None:
        raise NotImplementedError("column_block is not needed on a sharded graph (memory is bounded per shard); "
                                  "set column_block=None")
    if params.get("keep_states"):
        raise NotImplementedError("keep_states=True is not implemented on a sharded graph")


def _degree_task(prop_path, s, work, beta, dtype_str):
    """Pass 1 for shard ``s``: degree, row scale, deg^beta, relabelled columns (cached in ``work``)."""
    limit_threads()
    graph = open_graph(prop_path, verify="none")
    shard = graph.shard(s)
    indptr = np.asarray(shard.indptr)
    if shard.weights is not None:
        weights = np.asarray(shard.weights)
        degree = kernels.weighted_out_degree(indptr, weights)
        negative = bool(weights.shape[0] and weights.min() < 0)
    else:
        degree = kernels.out_degree(indptr).astype(np.float64)
        negative = False
    degree = degree.astype(np.float64)
    isolated = degree <= 0
    factor = np.ones(shard.num_rows)
    factor[~isolated] = degree[~isolated] ** beta
    row_scale = np.zeros(shard.num_rows, dtype=np.dtype(dtype_str))
    row_scale[~isolated] = 1.0 / degree[~isolated]
    cols = np.unique(np.asarray(shard.indices)).astype(np.int64)
    local = np.searchsorted(cols, shard.indices).astype(np.int32 if cols.shape[0] < 2**31 else np.int64)
    for name, values in (("degree", degree), ("factor", factor), ("row_scale", row_scale), ("cols", cols),
                         ("local", local)):
        save_npy_atomic(os.path.join(work, name, block_name(s)), values, checksum=False)
    return dict(negative=negative, isolated=(np.flatnonzero(isolated) + shard.row_start).astype(np.int64),
                **process_info())


def _receivers_task(prop_path, s, isolated):
    """Rows among ``isolated`` (sorted global ids) that shard ``s`` aggregates from."""
    graph = open_graph(prop_path, verify="none")
    shard = graph.shard(s)
    hit = np.isin(isolated, np.asarray(shard.indices))
    return isolated[hit]


def _hop0_task(work, s, row_start, row_stop, seed, density, base_value, gaussian, d, dtype_str, influence,
               normalize_acc):
    limit_threads()
    dtype = np.dtype(dtype_str)
    factor = np.load(os.path.join(work, "factor", block_name(s)), allow_pickle=False)
    keys = np.arange(row_start, row_stop, dtype=np.uint64)
    src = np.empty((row_stop - row_start, d), dtype=dtype)
    fkernels.fill_random_projection(keys, np.uint64(seed), _BASE_STREAM, 0, density, base_value, gaussian,
                                    factor, src)
    acc = np.zeros_like(src)
    if influence > 0:
        fkernels.accumulate_rows(src, acc, dtype.type(influence), np.zeros(0, dtype), normalize_acc)
    save_npy_atomic(os.path.join(work, "state_0", block_name(s)), src, checksum=False)
    save_npy_atomic(os.path.join(work, "acc_0", block_name(s)), acc, checksum=False)
    return process_info()


def _hop_task(prop_path, s, work, hop, bounds, alpha, normalize_acc, store_normalized, dtype_str, moments):
    """Hop ``hop`` (1..k) for shard ``s``: state_hop, acc_hop from state_{hop-1}, acc_{hop-1}."""
    limit_threads()
    dtype = np.dtype(dtype_str)
    graph = open_graph(prop_path, verify="none")
    shard = graph.shard(s)
    cols = np.load(os.path.join(work, "cols", block_name(s)), allow_pickle=False)
    local = np.load(os.path.join(work, "local", block_name(s)), mmap_mode="r", allow_pickle=False)
    if local.shape[0] != shard.num_edges:
        raise ValueError(f"cached column map of shard {s} does not match the shard")
    row_scale = np.load(os.path.join(work, "row_scale", block_name(s)), allow_pickle=False)
    src, remote = gather_rows(Blocks.in_dir(os.path.join(work, f"state_{hop - 1}"), bounds), cols,
                              own=(shard.row_start, shard.row_stop))
    if src is None:
        raise ValueError("no state blocks to read")
    update_acc = alpha != 0.0  # alpha = 0: the accumulated sum is unchanged (the driver renames acc_{hop-1})
    if update_acc:
        acc = np.load(os.path.join(work, f"acc_{hop - 1}", block_name(s)), allow_pickle=False)
    else:
        acc = np.zeros((0, 1), dtype=dtype)
    dst = np.empty((shard.num_rows, src.shape[1] if src.ndim == 2 else 1), dtype=dtype)
    weights = np.zeros(0, dtype=dtype) if shard.weights is None else np.asarray(shard.weights).astype(dtype)
    fkernels.propagate_rows(np.asarray(shard.indptr), np.asarray(local), weights, row_scale, src, dst, acc,
                            dtype.type(alpha), np.zeros(0, dtype), np.zeros(0, np.float64), normalize_acc,
                            store_normalized)
    save_npy_atomic(os.path.join(work, f"state_{hop}", block_name(s)), dst, checksum=False)
    if update_acc:
        save_npy_atomic(os.path.join(work, f"acc_{hop}", block_name(s)), acc, checksum=False)
    result = dict(remote_bytes=remote, gathered_rows=int(cols.shape[0]), **process_info())
    if moments:
        if not update_acc:
            acc = np.load(os.path.join(work, f"acc_{hop - 1}", block_name(s)), allow_pickle=False)
        result["sums"], result["squares"] = fkernels.column_moments(acc, 1)
    return result


def _scale_task(work, s, hop, mean, inv_std, out_file):
    limit_threads()
    acc = np.load(os.path.join(work, f"acc_{hop}", block_name(s)), allow_pickle=False)
    fkernels.standardize_columns(acc, mean, inv_std)
    save_npy_atomic(out_file, acc, checksum=False)
    return process_info()


def _record(stats: dict, results) -> None:
    for r in results:
        if isinstance(r, dict) and "worker" in r:
            w = r["worker"]
            stats["peak_rss_by_worker"][w] = max(stats["peak_rss_by_worker"].get(w, 0), r["peak_rss"])


def fit_fastrp(estimator, graph, client=None, *, out=None, work_dir=None, overwrite: bool = False,
               verbose: bool | None = None, features=None, node_ids=None, projection_matrix=None):
    """Fit ``estimator`` (a :class:`graphsparse.embed.FastRP`) on a sharded graph; returns the estimator.

    Parameters
    ----------
    estimator : FastRP
        Its parameters are used as they are (validated by the estimator itself).
    graph : ShardedGraph or path
    client : distributed.Client or None
        One Dask task per shard and pass on this cluster (the dashboard link is printed unless
        ``verbose=False``); ``None``: shard by shard in this process (out-of-core).
    out : path or None
        Write the embedding as a :class:`~graphsparse.sharded.ShardedArray` there; then
        ``embedding_`` is a lazy ``dask.array`` over its blocks (and ``embedding_store_`` the array).
        ``None``: ``embedding_`` is an in-memory ndarray, as :meth:`FastRP.fit` gives.
    work_dir : path or None
        Where the per-hop state blocks go (about ``3 n d`` values at a time; deleted at the end). With
        a client it must be a filesystem every worker reads and writes (a shared one on a cluster).
    overwrite : bool
        Replace an existing ``out``.
    verbose : bool or None
        Progress over shards x passes (``None``: the estimator's ``verbose``).
    features, node_ids, projection_matrix
        The corresponding :meth:`FastRP.fit` arguments: not implemented on shards (``NotImplementedError``
        when given), accepted so that ``FastRP.fit`` can forward its keywords unchanged.

    Returns
    -------
    The fitted estimator: ``embedding_``, ``column_mean_``, ``column_scale_``, ``degree_``,
    ``random_seed_``, ``timings_`` and ``sharded_stats_`` (bytes read from other shards' blocks per
    hop, peak RSS per worker process, number of tasks).

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from graphsparse.datasets.generators import rmat
    >>> from graphsparse.embed import FastRP
    >>> from graphsparse.sharded import from_graph, fit_fastrp
    >>> g = rmat(200, 800, seed=0, directed=False)
    >>> sg = from_graph(g, os.path.join(tempfile.mkdtemp(), "g"), num_shards=3)
    >>> est = fit_fastrp(FastRP.gds(n_components=16, random_state=1), sg, verbose=False)
    >>> ref = FastRP.gds(n_components=16, random_state=1).fit(g).embedding_
    >>> bool(np.allclose(est.embedding_, ref, atol=1e-6))
    True
    """
    for name, value in (("features", features), ("node_ids", node_ids), ("projection_matrix", projection_matrix)):
        if value is not None:
            raise NotImplementedError(f"fit(..., {name}=...) is not implemented on a sharded graph "
                                      "(node ids are the global row numbers)")
    _check_supported(estimator)
    params = estimator._validated_params()
    verbose = bool(estimator.verbose if verbose is None else verbose)
    graph = as_sharded_graph(graph)
    n = graph.num_nodes
    if n == 0:
        raise ValueError("graph has no nodes; FastRP needs at least one node")
    if out is not None:
        out = os.path.abspath(os.fspath(out))
        if os.path.exists(out) and not overwrite:
            raise FileExistsError(f"out={out!r} already exists; pass overwrite=True to replace it")
        if not os.path.isdir(os.path.dirname(out)):
            raise FileNotFoundError(f"out's parent directory {os.path.dirname(out)!r} does not exist")
    d, dtype, weights = params["d"], params["dtype"], params["weights"]
    k = weights.shape[0]
    beta, influence = params["beta"], params["influence"]
    normalize_acc, store_normalized = bool(estimator.normalize_each), bool(estimator.propagate_normalized)
    t_start = time.perf_counter()
    work = tempfile.mkdtemp(prefix="gs-fastrp-", dir=work_dir)
    stats = dict(remote_bytes_per_hop=[], gathered_rows_per_hop=[], peak_rss_by_worker={},
                 num_shards=graph.num_shards, client=client is not None)
    cleaners = []
    try:
        announce_client(client, verbose)
        prop = graph
        if graph.directed and estimator.direction != "out":
            prop = _derive(graph, estimator.direction, work, verbose)
        t_derived = time.perf_counter()
        bounds = prop.boundaries
        S = prop.num_shards
        for name in ("degree", "factor", "row_scale", "cols", "local", "state_0", "acc_0"):
            os.makedirs(os.path.join(work, name))
        progress = Progress(S * (k + 2 + int(bool(estimator.scale_output))), "FastRP (sharded) shards x passes",
                            verbose)
        try:
            res = run_tasks(_degree_task, [(prop.path, s, work, beta, dtype.str) for s in range(S)], client,
                            progress, "fastrp-degree")
            _record(stats, res)
            if any(r["negative"] for r in res):
                raise ValueError("Negative values in data: edge weights must be >= 0 for FastRP "
                                 "(the degree normalisation needs them)")
            isolated = np.concatenate([r["isolated"] for r in res]) if res else np.zeros(0, np.int64)
            if beta < 0 and not store_normalized and isolated.size:
                hits = run_tasks(_receivers_task, [(prop.path, s, isolated) for s in range(S)], client, None,
                                 "fastrp-receivers")
                bad = np.unique(np.concatenate(hits))
                if bad.size:
                    raise ValueError(
                        f"normalization_strength={beta} < 0 needs a positive degree for every node that is "
                        f"aggregated from, but {bad.size} node(s) (e.g. {bad[:5].tolist()}) have zero "
                        f"{'out-' if estimator.direction != 'in' else 'in-'}degree and incoming edges under "
                        f"direction={estimator.direction!r}; the reference would produce inf/NaN. Use "
                        "direction='both', normalization_strength >= 0, or the GDS variant "
                        "(propagate_normalized=True, deg^beta := 1 for zero degree)")
            seed = estimator._seed()
            density = 1.0 / np.sqrt(n) if isinstance(estimator.density, str) else float(estimator.density)
            density = min(1.0, density)
            gaussian = estimator.projection == "gaussian"
            base_value = 1.0 / np.sqrt(d) if gaussian else np.sqrt(1.0 / (density * d))
            res = run_tasks(_hop0_task, [(work, s, int(bounds[s]), int(bounds[s + 1]), seed, density, base_value,
                                          gaussian, d, dtype.str, influence, normalize_acc) for s in range(S)],
                            client, progress, "fastrp-hop0")
            _record(stats, res)
            t_hops = time.perf_counter()
            for i in range(k):
                os.makedirs(os.path.join(work, f"state_{i + 1}"))
                if weights[i] != 0.0:
                    os.makedirs(os.path.join(work, f"acc_{i + 1}"))
                last = i == k - 1
                res = run_tasks(_hop_task, [(prop.path, s, work, i + 1, bounds, float(weights[i]), normalize_acc,
                                             store_normalized, dtype.str, last and bool(estimator.scale_output))
                                            for s in range(S)], client, progress, f"fastrp-hop{i + 1}")
                _record(stats, res)
                stats["remote_bytes_per_hop"].append(int(sum(r["remote_bytes"] for r in res)))
                stats["gathered_rows_per_hop"].append(int(sum(r["gathered_rows"] for r in res)))
                if weights[i] == 0.0:
                    os.replace(os.path.join(work, f"acc_{i}"), os.path.join(work, f"acc_{i + 1}"))
                    _discard(os.path.join(work, f"state_{i}"), cleaners)
                else:
                    for name in (f"state_{i}", f"acc_{i}"):
                        _discard(os.path.join(work, name), cleaners)
            t_prop = time.perf_counter()
            if estimator.scale_output:
                sums = np.sum([r["sums"] for r in res], axis=0)
                squares = np.sum([r["squares"] for r in res], axis=0)
                mean, scale = _column_scale(sums, squares, n)
                os.makedirs(os.path.join(work, "final"))
                final = [os.path.join(work, "final", block_name(s)) for s in range(S)]
                res = run_tasks(_scale_task, [(work, s, k, mean.astype(dtype), (1.0 / scale).astype(dtype), final[s])
                                              for s in range(S)], client, progress, "fastrp-scale")
                _record(stats, res)
            else:
                mean, scale = np.zeros(d), np.ones(d)
                final = [os.path.join(work, f"acc_{k}", block_name(s)) for s in range(S)]
        finally:
            progress.close()
        degree = _concat([os.path.join(work, "degree", block_name(s)) for s in range(S)], n) if out is None else None
        if out is None:
            embedding = np.empty((n, d), dtype=dtype)
            for s, f in enumerate(final):
                embedding[bounds[s]:bounds[s + 1]] = np.load(f, allow_pickle=False)
            estimator.embedding_store_ = None
        else:
            store = finish_array(final, (n, d), dtype, bounds, out, overwrite,
                                 extra=dict(source_graph=graph.build_id, random_seed=int(seed)))
            estimator.embedding_store_ = store
            embedding = store.to_dask()
        t_end = time.perf_counter()
    finally:
        for thread in cleaners:
            thread.join()
        shutil.rmtree(work, ignore_errors=True)
    estimator.embedding_ = embedding
    estimator.states_ = None
    estimator.n_features_in_ = n
    estimator.n_nodes_ = n
    estimator.random_seed_ = seed
    estimator.degree_ = degree
    estimator.node_ids_ = np.arange(n, dtype=np.int64) if out is None else None
    estimator.density_ = density
    estimator.n_feature_columns_ = 0
    estimator.column_mean_, estimator.column_scale_ = mean, scale
    estimator._hop0_params = dict(density=density, base_value=base_value, gaussian=gaussian, d_base=d,
                                  feature_projection=None, beta=beta)
    estimator.timings_ = dict(total_s=t_end - t_start, derive_s=t_derived - t_start, propagate_s=t_prop - t_hops)
    estimator.sharded_stats_ = stats
    return estimator


def _discard(directory, cleaners):
    """Delete a finished hop's blocks in a background thread (unlinking GBs is slow on some disks)."""
    doomed = f"{directory}.discard"
    os.replace(directory, doomed)
    thread = threading.Thread(target=shutil.rmtree, args=(doomed,), kwargs=dict(ignore_errors=True), daemon=True)
    thread.start()
    cleaners.append(thread)


def _derive(graph, direction, work, verbose):
    from graphsparse.sharded.build import derived_graph

    return derived_graph(graph, direction, os.path.join(work, f"prop_{direction}"), verbose=verbose)


def _concat(files, n):
    out = np.empty(n, dtype=np.float64)
    pos = 0
    for f in files:
        block = np.load(f, allow_pickle=False)
        out[pos:pos + block.shape[0]] = block
        pos += block.shape[0]
    return out


def _column_scale(sums, squares, n):
    """Mean and scale of ``graphsparse.embed.fastrp._standardize`` from column sums (float64)."""
    mean = sums / n
    var = np.maximum(squares / n - mean * mean, 0.0)
    std = np.sqrt(var)
    scale = np.where(std < 10 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean)), 1.0, std)
    return mean, scale


def embedding_array(estimator) -> ShardedArray | None:
    """The on-disk embedding of a sharded fit (``None`` when it was returned in memory)."""
    return getattr(estimator, "embedding_store_", None)
