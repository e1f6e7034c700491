"""Distributed / out-of-core propagation over a sharded graph: one task per shard, on Dask or in-process.

1. **Execution** (:func:`run_tasks`): with a ``distributed.Client`` every shard is one Dask task
   (``client.map``); without one the same task function runs shard by shard in this process
   (out-of-core: only one shard and the rows of ``X`` it touches are in memory). Tasks are
   idempotent -- they read shard files and write their output block to ``name.tmp-*`` then rename
   it -- so Dask may rerun a task whose worker died and the result is identical. A task that fails
   for good raises ``RuntimeError`` naming the shard; the final output directory is only ever
   created by a rename after every task succeeded.
2. **Halo gather** (:func:`gather_rows`): a task needs ``X[j]`` only for the distinct columns ``j``
   of its shard (``cols = unique(indices)``). It reads exactly those rows, block by block, from the
   row-block files of ``X`` (memory-mapped one block at a time, so a worker's resident memory holds
   at most one block of ``X`` beyond the gathered rows), and relabels the shard's columns to
   ``0..len(cols)-1``. The bytes read from blocks other than the task's own are what a network
   would carry: they are reported as ``remote_bytes`` (``sum_s |cols_s \\ rows_s| * d * itemsize``).
3. **Primitive** (:func:`spmm`): ``Y = diag(r) A diag(c) X`` (or ``A^T``), ``X`` and ``Y``
   row-partitioned like the shards, each block computed by the shared Numba kernel
   ``graphsparse.kernels.spmm_scaled`` on the relabelled shard: every output row is the same
   sequence of float32 operations as :func:`graphsparse.ops.spmm`, so the result is bitwise equal.
"""
from __future__ import annotations

import os
import resource
import shutil
import tempfile
import uuid

import numpy as np

from graphsparse import kernels
from graphsparse.sharded.format import (ShardedArray, as_sharded_graph, atomic_directory, block_name, open_array,
                                        open_graph, save_npy_atomic, write_array_manifest)

__all__ = ["spmm", "run_tasks", "gather_rows", "Blocks", "Progress", "worker_peak_rss"]


class Progress:
    """One tqdm bar over all shard tasks of a computation (``verbose=False``: silent)."""

    def __init__(self, total: int, desc: str, verbose: bool):
        self.bar = None
        if verbose:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=desc, unit="shard-task", leave=False)

    def update(self, k: int = 1):
        if self.bar is not None:
            self.bar.update(k)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def announce_client(client, verbose: bool) -> None:
    """Print the Dask dashboard link (once per computation) unless ``verbose=False``."""
    if client is not None and verbose:
        link = getattr(client, "dashboard_link", None)
        print(f"graphsparse.sharded: running on {client.scheduler.address if client.scheduler else client}; "
              f"Dask dashboard: {link}", flush=True)


def run_tasks(func, arg_list, client=None, progress: Progress | None = None, name: str = "task") -> list:
    """``[func(*args) for args in arg_list]`` in order -- as Dask tasks when ``client`` is given."""
    if client is None:
        results = []
        for args in arg_list:
            results.append(func(*args))
            if progress is not None:
                progress.update()
        return results
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]
    futures = [client.submit(func, *args, key=f"graphsparse-{name}-{token}-{k}", pure=False)
               for k, args in enumerate(arg_list)]
    try:
        for future in as_completed(futures):
            if future.status == "error":
                k = futures.index(future)
                exc = future.exception()
                raise RuntimeError(f"sharded {name} task for shard {k} failed on the cluster "
                                   f"({type(exc).__name__}: {exc}); no output was written") from exc
            if progress is not None:
                progress.update()
        return client.gather(futures)
    except BaseException:
        client.cancel(futures)
        raise


def limit_threads() -> None:
    """Inside a Dask worker, let Numba use as many threads as the worker has (not every core)."""
    try:
        from distributed import get_worker

        nthreads = get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):
        return
    import numba

    numba.set_num_threads(max(1, min(int(nthreads), numba.config.NUMBA_NUM_THREADS)))


def worker_peak_rss() -> int:
    """Peak resident set size of this process so far, bytes (``VmHWM`` on Linux, else ``ru_maxrss``)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def process_info() -> dict:
    try:
        from distributed import get_worker

        address = get_worker().address
    except (ImportError, ValueError):
        address = "local"
    return dict(worker=address, pid=os.getpid(), peak_rss=worker_peak_rss())


class Blocks:
    """Row-block ``.npy`` files of a dense array (a ShardedArray, or a FastRP work directory)."""

    def __init__(self, files, boundaries):
        self.files = list(files)
        self.boundaries = np.asarray(boundaries, dtype=np.int64)

    @classmethod
    def of(cls, array: ShardedArray) -> "Blocks":
        return cls([array.block_file(b) for b in range(array.num_blocks)], array.boundaries)

    @classmethod
    def in_dir(cls, directory: str, boundaries) -> "Blocks":
        return cls([os.path.join(directory, block_name(b)) for b in range(len(boundaries) - 1)], boundaries)


def gather_rows(blocks: Blocks, ids: np.ndarray, own: tuple | None = None, width_hint=None):
    """Rows ``X[ids]`` (``ids`` sorted, unique) read block by block; returns ``(rows, remote_bytes)``.

    ``own = (row_start, row_stop)``: rows in that range are not counted as remote.
    """
    bounds = blocks.boundaries
    cut = np.searchsorted(ids, bounds)
    out = None
    remote = 0
    for b in range(len(blocks.files)):
        lo, hi = int(cut[b]), int(cut[b + 1])
        if lo == hi and out is not None:
            continue
        block = np.load(blocks.files[b], mmap_mode="r", allow_pickle=False)
        if block.shape[0] != bounds[b + 1] - bounds[b]:
            raise ValueError(f"{blocks.files[b]}: {block.shape[0]} rows, expected {bounds[b + 1] - bounds[b]}")
        if out is None:
            out = np.empty((ids.shape[0],) + block.shape[1:], dtype=block.dtype)
        if lo < hi:
            rows = ids[lo:hi] - bounds[b]
            if block.ndim == 2 and block.flags.c_contiguous:  # parallel Numba gather from the mapped block
                kernels.gather_rows(np.asarray(block), rows, out[lo:hi])
            else:
                out[lo:hi] = block[rows]
            if own is None or not (own[0] <= bounds[b] and bounds[b + 1] <= own[1]):
                part = ids[lo:hi]
                if own is not None:
                    part = part[(part < own[0]) | (part >= own[1])]
                remote += int(part.shape[0]) * int(np.prod(block.shape[1:], dtype=np.int64)) * block.itemsize
        del block  # unmaps: resident memory holds one block of X at a time
    return out, remote


def relabel(indices: np.ndarray):
    """``cols = unique(indices)`` and ``local`` with ``cols[local] == indices`` (int32 when it fits)."""
    indices = np.asarray(indices)
    cols = np.unique(indices).astype(np.int64)
    local = np.searchsorted(cols, indices)
    return cols, local.astype(np.int32 if cols.shape[0] < 2**31 else np.int64)


def _spmm_task(graph_path, s, x_files, x_bounds, c_files, out_file, row_scale, dtype_str):
    limit_threads()
    graph = open_graph(graph_path, verify="none")
    shard = graph.shard(s)
    cols, local = relabel(shard.indices)
    x_rows, remote = gather_rows(Blocks(x_files, x_bounds), cols, own=(shard.row_start, shard.row_stop))
    if x_rows is None or x_rows.dtype != np.float32:
        raise TypeError("X must be float32")
    c = np.zeros(0, np.float32) if c_files is None else gather_rows(Blocks(c_files, x_bounds), cols)[0]
    r = np.zeros(0, np.float32) if row_scale is None else np.asarray(row_scale, np.float32)
    weights = np.zeros(0, np.float32) if shard.weights is None else np.asarray(shard.weights)
    out = np.empty((shard.num_rows, x_rows.shape[1]), dtype=np.float32)
    kernels.spmm_scaled(np.asarray(shard.indptr), local, weights, x_rows, r, c, out)
    save_npy_atomic(out_file, out, checksum=True)
    return dict(remote_bytes=remote, **process_info())


def _as_blocks(X, n: int, boundaries, work: str, name: str):
    """A ShardedArray as is; an in-memory array written to ``work/name`` with ``boundaries``."""
    if isinstance(X, ShardedArray):
        if X.shape[0] != n:
            raise ValueError(f"{name} has {X.shape[0]} rows but the graph has {n} nodes")
        return Blocks.of(X), X
    array = np.asarray(X)
    d = os.path.join(work, name)
    os.makedirs(d)
    files = [os.path.join(d, block_name(b)) for b in range(len(boundaries) - 1)]
    for b, f in enumerate(files):
        save_npy_atomic(f, array[boundaries[b]:boundaries[b + 1]], checksum=False)
    return Blocks(files, boundaries), array


def spmm(graph, X, out=None, *, row_scale=None, col_scale=None, transpose: bool = False, client=None,
         work_dir=None, overwrite: bool = False, verbose: bool = False):
    """``Y = diag(row_scale) A diag(col_scale) X`` (``A^T`` with ``transpose=True``) on a sharded graph.

    Parameters
    ----------
    graph : ShardedGraph or path
    X : (n, d) float32 ndarray or ShardedArray
        Dense input, row-partitioned (any boundaries).
    out : path or None
        Write ``Y`` as a ShardedArray there (row blocks = the graph's shards); ``None`` returns an ndarray.
    row_scale, col_scale : (n,) arrays or None
    transpose : bool
        Use ``A^T`` (an out-of-core transpose is built in ``work_dir`` first).
    client : distributed.Client or None
        Run one task per shard on this client; ``None`` runs the shards in this process.
    work_dir : str or None
        Temporary files (default: a fresh directory under the system temp dir, removed at the end).
        With a client it must be on a filesystem every worker can read.

    Returns
    -------
    ndarray, or the ShardedArray written to ``out``.

    Examples
    --------
    >>> import numpy as np, tempfile, os, graphsparse as gs
    >>> from graphsparse.sharded import from_graph, spmm
    >>> g = gs.as_graph(np.array([[0, 1, 2], [1, 2, 0]]))
    >>> sg = from_graph(g, os.path.join(tempfile.mkdtemp(), "g"), num_shards=2)
    >>> X = np.eye(3, dtype=np.float32)
    >>> bool(np.array_equal(spmm(sg, X), gs.spmm(g, X)))
    True
    """
    from graphsparse.sharded.build import derived_graph

    graph = as_sharded_graph(graph)
    n = graph.num_nodes
    if isinstance(X, ShardedArray):
        if X.ndim != 2 or X.dtype != np.float32:
            raise TypeError(f"X must be a 2-D float32 array, got shape {X.shape} dtype {X.dtype}")
    else:
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (num_nodes, d), got shape {X.shape}")
        if X.dtype != np.float32:
            raise TypeError(f"X must be float32, got {X.dtype} (cast with .astype(np.float32))")
    if X.shape[0] != n:
        raise ValueError(f"X has {X.shape[0]} rows but the graph has {n} nodes")
    vectors = {}
    for name, v in (("row_scale", row_scale), ("col_scale", col_scale)):
        if v is not None:
            v = np.ascontiguousarray(v, dtype=np.float32)
            if v.shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {v.shape}")
            if not np.isfinite(v).all():
                raise ValueError(f"{name} must be finite")
        vectors[name] = v
    if out is not None and os.path.exists(out) and not overwrite:
        raise FileExistsError(f"out={os.fspath(out)!r} already exists; pass overwrite=True to replace it")
    work = tempfile.mkdtemp(prefix="gs-spmm-", dir=work_dir)
    try:
        announce_client(client, verbose)
        prop = graph
        if transpose and graph.directed:
            prop = derived_graph(graph, "in", os.path.join(work, "transpose"), verbose=verbose)
        bounds = prop.boundaries
        x_blocks, _ = _as_blocks(X, n, bounds, work, "x")
        c_files = None
        if vectors["col_scale"] is not None:
            c_files = _as_blocks(vectors["col_scale"], n, x_blocks.boundaries, work, "c")[0].files
        r = vectors["row_scale"]
        out_dir = os.path.join(work, "y")
        os.makedirs(out_dir)
        y_files = [os.path.join(out_dir, block_name(s)) for s in range(prop.num_shards)]
        args = [(prop.path, s, x_blocks.files, x_blocks.boundaries, c_files, y_files[s],
                 None if r is None else r[bounds[s]:bounds[s + 1]], "float32") for s in range(prop.num_shards)]
        progress = Progress(len(args), "sharded spmm", verbose)
        try:
            results = run_tasks(_spmm_task, args, client, progress, "spmm")
        finally:
            progress.close()
        spmm.last_stats = dict(remote_bytes=int(sum(x["remote_bytes"] for x in results)))
        d = X.shape[1]
        if out is None:
            result = np.empty((n, d), dtype=np.float32)
            for s, f in enumerate(y_files):
                result[bounds[s]:bounds[s + 1]] = np.load(f, allow_pickle=False)
            return result
        return finish_array(y_files, (n, d), np.float32, bounds, out, overwrite)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def finish_array(block_files, shape, dtype, boundaries, out, overwrite: bool, extra: dict | None = None) -> ShardedArray:
    """Move finished block files into a new ShardedArray at ``out`` (temp dir + rename)."""
    from graphsparse.sharded.format import sha256_file

    with atomic_directory(out, overwrite) as tmp:
        entries = []
        for b, f in enumerate(block_files):
            target = os.path.join(tmp, block_name(b))
            shutil.move(f, target)
            rows = int(boundaries[b + 1] - boundaries[b])
            entries.append(dict(name=block_name(b), shape=[rows] + list(shape[1:]), dtype=np.dtype(dtype).str,
                                bytes=os.path.getsize(target), sha256=sha256_file(target)))
        write_array_manifest(tmp, shape, dtype, boundaries, entries, extra)
    return open_array(out)
