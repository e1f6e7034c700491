"""Build a sharded graph from an edge list larger than RAM (out-of-core, two passes over the data).

1. **Read in chunks** (``chunk_size`` edges at a time): text/CSV through pandas (optionally gzip/bz2/
   xz-compressed, with or without a header, columns picked by name or position), Parquet through
   pyarrow, or any iterable of ``(src, dst[, weight])`` array chunks. Every chunk is validated at
   the boundary: integer ids (integral floats accepted), ``0 <= id < num_nodes``, finite weights;
   the error names the file and the line (or chunk) of the first bad value.
2. **Bucket by row block**: edge ``(u, v, w)`` is appended to the temporary files of block
   ``u // rows_per_shard`` (and, for an undirected graph, the reverse ``(v, u, w)`` to the reverse
   files of block ``v // rows_per_shard``). Only one chunk is ever in memory.
3. **Finalise each block** with the shared backend kernels, exactly as :func:`graphsparse.as_graph`
   does in memory: ``kernels.coo_to_csr`` (stable counting sort, so duplicates keep input order)
   then ``kernels.sort_and_coalesce_rows`` (duplicates summed, or kept-max with ``reduce="max"``).
   Undirected: the coalesced forward and reverse parts are merged with ``max`` (``A + A^T`` merged
   by max, :meth:`graphsparse.Graph.symmetrize`). The result is written as one shard; peak memory is
   one block's edges (~40 bytes per stored edge) plus one chunk.
4. The whole build happens in a temporary sibling directory renamed to ``path`` at the end.

Deviation from ``as_graph(..., directed=False)``: when an input's *edge set* is already symmetric
but the weights of ``(u, v)`` and ``(v, u)`` differ, ``as_graph`` keeps both weights as given while the
sharded build stores their maximum (the build cannot know the edge set is symmetric before it has
read everything). Symmetric or unweighted inputs, and all asymmetric ones, are equal array for array.

:func:`derived_graph` re-buckets an existing sharded graph the same way to get its transpose
(``direction="in"``) or ``A + A^T`` with reciprocal edges summed (``direction="both"``, FastRP's
propagation graph), equal to :meth:`Graph.transpose` / ``g.with_weights(g.edge_weights()).symmetrize("sum")``.
"""
from __future__ import annotations

import os
import shutil
import time
import uuid

import numpy as np

from graphsparse import kernels
from graphsparse.graph import index_dtype
from graphsparse.sharded.format import (ShardedGraph, atomic_directory, new_build_id, open_graph,
                                        save_npy_atomic, write_graph_manifest, write_shard)

__all__ = ["build_from_edgelist", "build_from_chunks", "read_edge_chunks", "derived_graph"]

_DTYPES = (("rows", np.int64), ("cols", np.int64), ("weights", np.float32))


def _tqdm(iterable, verbose: bool, desc: str, total=None, unit="it"):
    if not verbose:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, unit=unit, leave=False)


class _Buckets:
    """Per-block append-only binary files (rows, cols, weights) of the forward / reverse entries."""

    def __init__(self, directory: str, rows_per_shard: int, weighted: bool):
        self.directory = directory
        self.rows_per_shard = int(rows_per_shard)
        self.weighted = weighted
        self.num_blocks = 0
        os.makedirs(directory, exist_ok=True)

    def _file(self, block: int, kind: str, name: str) -> str:
        return os.path.join(self.directory, f"{block:05d}.{kind}.{name}")

    def add(self, rows: np.ndarray, cols: np.ndarray, weights, kind: str) -> None:
        if rows.shape[0] == 0:
            return
        blocks = rows // self.rows_per_shard
        order = np.argsort(blocks, kind="stable")  # keeps input order inside each block
        blocks = blocks[order]
        cuts = np.flatnonzero(np.diff(blocks)) + 1
        starts = np.concatenate([[0], cuts])
        stops = np.concatenate([cuts, [blocks.shape[0]]])
        arrays = dict(rows=rows[order], cols=cols[order])
        if self.weighted:
            arrays["weights"] = weights[order]
        for a, b in zip(starts, stops):
            block = int(blocks[a])
            self.num_blocks = max(self.num_blocks, block + 1)
            for name, values in arrays.items():
                with open(self._file(block, kind, name), "ab") as f:
                    f.write(np.ascontiguousarray(values[a:b]).tobytes())

    def read(self, block: int, kind: str):
        out = {}
        for name, dtype in _DTYPES:
            if name == "weights" and not self.weighted:
                continue
            file = self._file(block, kind, name)
            out[name] = np.fromfile(file, dtype=dtype) if os.path.exists(file) else np.zeros(0, dtype)
        return out["rows"], out["cols"], out.get("weights")

    def remove(self, block: int) -> None:
        for kind in ("f", "r"):
            for name, _ in _DTYPES:
                file = self._file(block, kind, name)
                if os.path.exists(file):
                    os.remove(file)


def _coalesce_block(rows, cols, weights, row_start, num_rows, num_nodes, reduce_max):
    """``_from_coo`` of graphsparse.graph restricted to one row block (same kernels, same order)."""
    local = rows - row_start
    indptr, perm = kernels.coo_to_csr(local, cols, num_rows)
    indices = cols[perm].astype(index_dtype(num_nodes), copy=False)
    w = np.zeros(0, np.float32) if weights is None else weights[perm]
    indptr, indices, w, _ = kernels.sort_and_coalesce_rows(indptr, indices, w, reduce_max)
    return indptr, indices, (None if weights is None else w)


def _merge_parts(parts, row_start, num_rows, num_nodes, weighted, reduce_max):
    """Concatenate coalesced row-block parts row by row (part order kept) and coalesce again."""
    rows = np.concatenate([kernels.expand_rows(p[0]) for p in parts]) + row_start
    cols = np.concatenate([p[1].astype(np.int64) for p in parts])
    weights = np.concatenate([p[2] for p in parts]) if weighted else None
    return _coalesce_block(rows, cols, weights, row_start, num_rows, num_nodes, reduce_max)


def _finalize(buckets: _Buckets, tmp: str, num_nodes: int, directed: bool, weighted: bool, reduce: str,
              combine: str, verbose: bool) -> tuple:
    """Sort/coalesce every row block into its shard; returns (bounds, entries, build_id, weighted).

    As :func:`graphsparse.as_graph`: an unweighted edge given twice with ``reduce="sum"`` gets weight 2,
    and the graph is weighted only when such a duplicate exists. Shards are written without weights
    until the first duplicate; the all-ones weights of those earlier shards are added at the end.
    """
    rps = buckets.rows_per_shard
    num_shards = max(1, -(-num_nodes // rps)) if num_nodes else 1
    bounds = np.minimum(np.arange(num_shards + 1, dtype=np.int64) * rps, num_nodes)
    build_id = new_build_id()
    count_duplicates = not weighted and reduce == "sum"
    entries, unit_weight_shards, duplicate_seen = [], [], False

    def block(s, side, r0, r1):
        rows, cols, weights = buckets.read(s, side)
        if count_duplicates:
            weights = np.ones(cols.shape[0], np.float32)
        return _coalesce_block(rows, cols, weights, r0, r1 - r0, num_nodes, reduce == "max")

    for s in _tqdm(range(num_shards), verbose, "sharded build: sort/coalesce shards", unit="shard"):
        r0, r1 = int(bounds[s]), int(bounds[s + 1])
        fwd = block(s, "f", r0, r1)
        if combine != "none":
            fwd = _merge_parts([fwd, block(s, "r", r0, r1)], r0, r1 - r0, num_nodes, weighted or count_duplicates,
                               combine == "max")
        buckets.remove(s)
        indptr, indices, weights = fwd
        if count_duplicates:
            duplicate_seen = duplicate_seen or bool(np.any(weights != 1))
            if not duplicate_seen:
                weights = None
        entries.append(write_shard(tmp, s, r0, r1, indptr, indices, weights, build_id))
        if count_duplicates and not duplicate_seen:
            unit_weight_shards.append(s)
    if duplicate_seen:
        for s in unit_weight_shards:
            path = os.path.join(tmp, f"shard_{s:05d}", "weights.npy")
            entries[s]["files"]["weights"] = save_npy_atomic(path, np.ones(entries[s]["num_edges"], np.float32))
    return bounds, entries, build_id, weighted or duplicate_seen


def _check_chunk(src, dst, weights, num_nodes, where: str):
    out = []
    for name, ids in (("source", src), ("target", dst)):
        ids = np.asarray(ids)
        if ids.ndim != 1:
            raise ValueError(f"{where}: {name} ids must be 1-D, got shape {ids.shape}")
        if ids.dtype == bool or not (np.issubdtype(ids.dtype, np.integer) or np.issubdtype(ids.dtype, np.floating)):
            raise TypeError(f"{where}: {name} ids must be integers, got dtype {ids.dtype}")
        if np.issubdtype(ids.dtype, np.floating):
            bad = ~np.isfinite(ids) | (ids != np.floor(ids))
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise ValueError(f"{where}, entry {k}: {name} id {ids[k]!r} is missing or not an integer")
        ids = ids.astype(np.int64)
        if ids.size:
            low, high = int(ids.min()), int(ids.max())
            if low < 0:
                k = int(np.argmin(ids))
                raise ValueError(f"{where}, entry {k}: negative {name} id {low}; ids must be >= 0")
            if num_nodes is not None and high >= num_nodes:
                k = int(np.argmax(ids))
                raise ValueError(f"{where}, entry {k}: {name} id {high} >= num_nodes={num_nodes}")
        out.append(ids)
    if out[0].shape != out[1].shape:
        raise ValueError(f"{where}: source and target have different lengths ({out[0].shape[0]}, {out[1].shape[0]})")
    if weights is not None:
        weights = np.asarray(weights)
        if weights.shape != out[0].shape:
            raise ValueError(f"{where}: weights must have one entry per edge, got shape {weights.shape}")
        if weights.dtype == object or not (np.issubdtype(weights.dtype, np.number) or weights.dtype == bool):
            raise TypeError(f"{where}: weights must be numeric, got dtype {weights.dtype}")
        weights = weights.astype(np.float32)
        if not np.isfinite(weights).all():
            k = int(np.flatnonzero(~np.isfinite(weights))[0])
            raise ValueError(f"{where}, entry {k}: weight is NaN, inf, missing or outside float32 range")
    return out[0], out[1], weights


def build_from_chunks(chunks, path, *, directed: bool = True, weighted: bool | None = None,
                      num_nodes: int | None = None, rows_per_shard: int | None = None, reduce: str = "sum",
                      overwrite: bool = False, tmp_dir=None, verbose: bool = True,
                      _source_name: str = "chunk") -> ShardedGraph:
    """Build a sharded graph from an iterable of ``(src, dst)`` or ``(src, dst, weight)`` chunks.

    Parameters
    ----------
    chunks : iterable of tuples of 1-D arrays
        Edge chunks, read once, in order (duplicate edges are merged in that order).
    path : str or PathLike
        Output directory (must not exist unless ``overwrite``).
    directed : bool
        ``False`` stores both directions of every edge (``A + A^T`` merged by max).
    weighted : bool or None
        Whether chunks carry a weight column (``None``: taken from the first chunk).
    num_nodes : int or None
        Node count (ids are checked against it); ``None`` = largest id + 1.
    rows_per_shard : int or None
        Rows per shard (default ``2**20``); fix it for a graph whose ``num_nodes`` is unknown.
    reduce : "sum" or "max"
        How duplicate edges are merged (as :func:`graphsparse.as_graph`).
    tmp_dir : str or None
        Where the bucket files go (default: a temporary sibling of ``path``); needs about
        20 bytes per stored edge of free space.
    verbose : bool
        tqdm progress over chunks and shards.

    Returns
    -------
    ShardedGraph (opened).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from graphsparse.sharded import build_from_chunks
    >>> d = tempfile.mkdtemp()
    >>> g = build_from_chunks([(np.array([0, 1]), np.array([1, 2]))], os.path.join(d, "g"),
    ...                       directed=False, rows_per_shard=2, verbose=False)
    >>> g.num_nodes, g.num_edges, g.num_shards
    (3, 4, 2)
    """
    if reduce not in ("sum", "max"):
        raise ValueError(f"reduce must be 'sum' or 'max', got {reduce!r}")
    if not isinstance(directed, (bool, np.bool_)):
        raise TypeError(f"directed must be a bool, got {directed!r}")
    if num_nodes is not None:
        if isinstance(num_nodes, bool) or not isinstance(num_nodes, (int, np.integer)) or num_nodes < 0:
            raise ValueError(f"num_nodes must be a non-negative integer, got {num_nodes!r}")
        num_nodes = int(num_nodes)
    if rows_per_shard is None:
        rows_per_shard = 1 << 20
    if isinstance(rows_per_shard, bool) or not isinstance(rows_per_shard, (int, np.integer)) or rows_per_shard <= 0:
        raise ValueError(f"rows_per_shard must be a positive integer, got {rows_per_shard!r}")
    with atomic_directory(path, overwrite) as tmp:
        bucket_dir = os.path.join(tmp_dir or tmp, f".buckets-{uuid.uuid4().hex[:8]}")
        try:
            buckets = None
            max_id = -1
            for k, chunk in enumerate(_tqdm(chunks, verbose, "sharded build: bucket edges", unit="chunk")):
                where = chunk[3] if len(chunk) == 4 else f"{_source_name} {k}"
                if weighted is None:
                    weighted = len(chunk) >= 3 and chunk[2] is not None
                if buckets is None:
                    buckets = _Buckets(bucket_dir, rows_per_shard, bool(weighted))
                if len(chunk) < 2 or (weighted and (len(chunk) < 3 or chunk[2] is None)):
                    raise ValueError(f"{where}: expected (src, dst{', weight' if weighted else ''}) arrays")
                src, dst, w = _check_chunk(chunk[0], chunk[1], chunk[2] if weighted else None, num_nodes, where)
                if src.size:
                    max_id = max(max_id, int(src.max()), int(dst.max()))
                buckets.add(src, dst, w, "f")
                if not directed:
                    buckets.add(dst, src, w, "r")
            if buckets is None:
                buckets = _Buckets(bucket_dir, rows_per_shard, bool(weighted))
            n = max_id + 1 if num_nodes is None else num_nodes
            bounds, entries, build_id, weighted = _finalize(buckets, tmp, n, directed, bool(weighted), reduce,
                                                            "none" if directed else "max", verbose)
            write_graph_manifest(tmp, n, directed, weighted, bounds, entries, build_id)
        finally:
            shutil.rmtree(bucket_dir, ignore_errors=True)
    return open_graph(path)


def _text_separator(path: str, sep):
    if sep is not None:
        return sep
    name = path.lower()
    for ext in (".gz", ".bz2", ".xz", ".zst", ".zip"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    if name.endswith(".csv"):
        return ","
    if name.endswith(".tsv"):
        return "\t"
    return r"\s+"


def read_edge_chunks(path, *, columns=(0, 1), weight_column=None, header: bool = False, sep=None,
                     chunk_size: int = 1 << 21, file_format: str | None = None, comment: str | None = "#"):
    """Yield ``(src, dst, weight_or_None, where)`` chunks from a text/CSV (optionally compressed) or
    Parquet edge list. ``columns``/``weight_column`` are names (with ``header=True`` or Parquet) or
    0-based positions. ``where`` names the file and line range of the chunk (for error messages)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"edge list {path!r} does not exist")
    if not isinstance(columns, (tuple, list)) or len(columns) != 2:
        raise ValueError(f"columns must name the (source, target) columns, got {columns!r}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size <= 0:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    wanted = list(columns) + ([weight_column] if weight_column is not None else [])
    if file_format is None:
        file_format = "parquet" if path.lower().endswith((".parquet", ".pq")) else "text"
    if file_format == "parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:  # pragma: no cover - pyarrow is in the `distributed` extra
            raise ImportError("reading Parquet needs pyarrow (pip install 'graphsparse[distributed]')") from None
        try:
            pf = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises its own ArrowInvalid family
            raise ValueError(f"{path}: not a readable Parquet file ({exc})") from None
        names = pf.schema_arrow.names
        wanted = [names[c] if isinstance(c, (int, np.integer)) and not isinstance(c, bool) and 0 <= c < len(names)
                  else c for c in wanted]
        missing = [c for c in wanted if c not in names]
        if missing:
            raise ValueError(f"{path}: column(s) {missing} not found; the file has {names}")
        start = 0
        for batch in pf.iter_batches(batch_size=int(chunk_size), columns=wanted):
            cols = [batch.column(i).to_numpy(zero_copy_only=False) for i in range(len(wanted))]
            where = f"{path}, rows {start}-{start + batch.num_rows - 1}"
            start += batch.num_rows
            yield cols[0], cols[1], (cols[2] if weight_column is not None else None), where
        return
    if file_format != "text":
        raise ValueError(f"file_format must be 'text', 'parquet' or None, got {file_format!r}")
    import pandas as pd

    if header:
        usecols = wanted
    else:
        if not all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) and c >= 0 for c in wanted):
            raise ValueError(f"without a header, columns and weight_column must be 0-based positions, got {wanted}")
        usecols = sorted(set(int(c) for c in wanted))
    try:
        reader = pd.read_csv(path, sep=_text_separator(path, sep), header=0 if header else None, usecols=usecols,
                             chunksize=int(chunk_size), comment=comment, compression="infer", engine="c",
                             skipinitialspace=True)
        line = 1 if header else 0
        for frame in reader:
            where = f"{path}, data lines {line + 1}-{line + len(frame)}"
            line += len(frame)
            cols = [frame[c].to_numpy() for c in wanted]
            yield cols[0], cols[1], (cols[2] if weight_column is not None else None), where
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, EOFError, OSError) as exc:
        raise ValueError(f"{path}: cannot parse the edge list ({type(exc).__name__}: {exc})") from None
    except ValueError as exc:
        if "Usecols" in str(exc) or "usecols" in str(exc):
            raise ValueError(f"{path}: column(s) {wanted} not found ({exc})") from None
        raise


def build_from_edgelist(source, path, *, directed: bool = True, columns=(0, 1), weight_column=None,
                        header: bool = False, sep=None, num_nodes: int | None = None,
                        rows_per_shard: int | None = None, reduce: str = "sum", chunk_size: int = 1 << 21,
                        file_format: str | None = None, overwrite: bool = False, tmp_dir=None,
                        verbose: bool = True) -> ShardedGraph:
    """Build a sharded graph from an edge-list file that may be larger than RAM.

    Parameters
    ----------
    source : str or PathLike
        Text/CSV (``.csv``: comma, ``.tsv``: tab, else whitespace; ``.gz``/``.bz2``/``.xz`` read
        compressed; lines starting with ``#`` skipped) or Parquet (``.parquet``, needs pyarrow).
    path : str or PathLike
        Output directory.
    directed, num_nodes, rows_per_shard, reduce, overwrite, tmp_dir, verbose : see build_from_chunks
        As :func:`build_from_chunks` (same defaults).
    columns : (source, target), default=(0, 1)
        Column names (``header=True``, Parquet) or 0-based positions.
    weight_column : name, position or None, default=None
        Edge weight column (``None``: unweighted).
    header : bool, default=False
        Whether the text file starts with a header line.
    sep : str or None, default=None
        Field separator (default from the extension, see above).
    chunk_size : int, default=2**21
        Lines read at a time (memory ~ 50 bytes per line).
    file_format : {"text", "parquet"} or None, default=None
        Override the format guessed from the extension.

    Returns
    -------
    ShardedGraph

    Examples
    --------
    >>> import os, tempfile
    >>> from graphsparse.sharded import build_from_edgelist
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with open(os.path.join(d, "edges.csv"), "w") as f:
    ...         _ = f.write("src,dst,w\\n0,1,0.5\\n1,2,2.0\\n1,2,1.0\\n")
    ...     g = build_from_edgelist(os.path.join(d, "edges.csv"), os.path.join(d, "g"), header=True,
    ...                             columns=("src", "dst"), weight_column="w", verbose=False)
    ...     weights = g.to_graph().weights.tolist()
    >>> g.num_nodes, g.num_edges, g.is_weighted, weights  # the repeated edge 1 -> 2 is summed
    (3, 2, True, [0.5, 3.0])
    """
    source = os.fspath(source)
    chunks = read_edge_chunks(source, columns=columns, weight_column=weight_column, header=header, sep=sep,
                              chunk_size=chunk_size, file_format=file_format)
    return build_from_chunks(chunks, path, directed=directed, weighted=weight_column is not None,
                             num_nodes=num_nodes, rows_per_shard=rows_per_shard, reduce=reduce,
                             overwrite=overwrite, tmp_dir=tmp_dir, verbose=verbose, _source_name=source)


def derived_graph(graph: ShardedGraph, kind: str, path, *, overwrite: bool = False,
                  verbose: bool = True) -> ShardedGraph:
    """Out-of-core transpose (``kind="in"``) or ``A + A^T`` with ones for an unweighted graph and
    reciprocal edges summed (``kind="both"``), sharded with the same boundaries as ``graph``."""
    if kind not in ("in", "both"):
        raise ValueError(f"kind must be 'in' or 'both', got {kind!r}")
    n = graph.num_nodes
    rps = int(graph.boundaries[1] - graph.boundaries[0]) if graph.num_shards > 0 and n else 1
    if graph.num_shards > 1 and np.any(np.diff(graph.boundaries)[:-1] != rps):
        raise ValueError("derived_graph needs equal-sized row blocks (as every sharded build writes)")
    weighted = graph.is_weighted or kind == "both"
    t0 = time.perf_counter()
    with atomic_directory(path, overwrite) as tmp:
        buckets = _Buckets(os.path.join(tmp, ".buckets"), max(rps, 1), weighted)
        for s in _tqdm(range(graph.num_shards), verbose, f"derive '{kind}' graph: bucket", unit="shard"):
            sh = graph.shard(s, mmap=True)
            rows = kernels.expand_rows(np.asarray(sh.indptr)) + sh.row_start
            cols = np.asarray(sh.indices).astype(np.int64)
            w = sh.edge_weights() if weighted else None
            if kind == "in":
                buckets.add(cols, rows, w, "f")
            else:
                buckets.add(rows, cols, w, "f")
                buckets.add(cols, rows, w, "r")
            del sh
        combine = "none" if kind == "in" else "sum"
        bounds, entries, build_id, weighted = _finalize(buckets, tmp, n, True, weighted, "sum", combine, verbose)
        shutil.rmtree(buckets.directory, ignore_errors=True)
        write_graph_manifest(tmp, n, kind == "in", weighted, bounds, entries, build_id,
                             extra=dict(derived_from=graph.build_id, derived_kind=kind,
                                        derive_seconds=round(time.perf_counter() - t0, 3)))
    return open_graph(path)
