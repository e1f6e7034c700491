"""On-disk formats of :mod:`graphsparse.sharded`: a row-block CSR graph and a row-block dense array.

1. **Sharded graph** (``format = "graphsparse-sharded-csr"``, version 1): a directory ::

       manifest.json                 # num_nodes, num_edges, directed, weighted, dtypes, boundaries,
                                     # build_id, and per shard: rows, num_edges, every file's
                                     # name / shape / dtype / bytes / sha256
       shard_00000/indptr.npy        # int64, rows + 1 entries, starts at 0 (local offsets)
       shard_00000/indices.npy       # int32 (int64 beyond 2**31 nodes): global column ids
       shard_00000/weights.npy       # float32, only when weighted
       shard_00000/shard.json        # build_id + shard number: a shard copied from another build
       ...                           # is refused even when its arrays happen to have the right shape

   Shard ``s`` holds rows ``boundaries[s] <= i < boundaries[s + 1]`` of the global CSR matrix,
   exactly as :class:`graphsparse.Graph` would store them (sorted, coalesced rows; an undirected
   graph stores both directions), so ``ShardedGraph.to_graph() == Graph`` array for array.
2. **Sharded array** (``format = "graphsparse-sharded-array"``): ``manifest.json`` + ``block_00000.npy``
   ... -- rows ``boundaries[b]:boundaries[b + 1]`` of a dense ``(n, d)`` (or 1-D) array; used for
   embeddings, per-hop FastRP states, degrees and per-edge scores (boundaries = edge offsets).

Every ``.npy`` is memory-mappable (``np.load(mmap_mode="r")``) and is read with
``allow_pickle=False``. Opening is lazy: :func:`open_graph` reads the manifest and checks that every
file exists with the recorded shape and dtype and that each ``shard.json`` names this build; the
sha256 of every file is compared by ``verify="sha256"`` (or :meth:`ShardedGraph.verify`), which reads
all the data. A shard is validated structurally (``indptr`` monotone from 0 to its edge count, column
ids in ``[0, num_nodes)``, finite weights) each time it is loaded, before any Numba kernel sees it,
so a tampered file raises :class:`ShardFormatError` naming the file instead of crashing the process.
Writers build in a temporary sibling directory and rename it at the end (:func:`atomic_directory`),
and single files are written to ``name.tmp-*`` and renamed (:func:`save_npy_atomic`): a crash never
leaves a partial result under the final name.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass

import numpy as np

from graphsparse.graph import Graph, index_dtype

__all__ = ["ShardFormatError", "ShardedGraph", "ShardedArray", "Shard", "open_graph", "open_array",
           "from_graph", "atomic_directory", "save_npy_atomic", "row_boundaries", "FORMAT_VERSION"]

FORMAT_VERSION = 1
GRAPH_FORMAT = "graphsparse-sharded-csr"
ARRAY_FORMAT = "graphsparse-sharded-array"
MANIFEST = "manifest.json"


class ShardFormatError(ValueError):
    """A sharded graph/array on disk is missing, corrupted or inconsistent (the message names the file)."""


# ---------------------------------------------------------------------------------------- helpers
def sha256_file(path: str, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(chunk)
            if not block:
                break
            digest.update(block)
    return digest.hexdigest()


def save_npy_atomic(path: str, array: np.ndarray, checksum: bool = True) -> dict:
    """Write ``array`` to ``path`` through a temporary file + rename; return its manifest entry.

    ``checksum=True`` (files of a result) also fsyncs and records the sha256; intermediate
    per-hop files skip both (they are rewritten by a rerun anyway).
    """
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        with open(tmp, "wb") as f:
            np.save(f, np.ascontiguousarray(array), allow_pickle=False)
            if checksum:
                f.flush()
                os.fsync(f.fileno())
        entry = dict(name=os.path.basename(path), shape=list(array.shape), dtype=np.dtype(array.dtype).str,
                     bytes=os.path.getsize(tmp))
        if checksum:
            entry["sha256"] = sha256_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    return entry


def _write_json_atomic(path: str, obj) -> None:
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@contextlib.contextmanager
def atomic_directory(path, overwrite: bool = False):
    """Yield a temporary sibling directory; on success rename it to ``path`` (else delete it).

    ``path`` existing raises ``FileExistsError`` unless ``overwrite`` (then the old directory is
    moved aside and removed only after the new one is in place).
    """
    path = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        raise FileNotFoundError(f"output directory's parent {parent!r} does not exist")
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path!r} already exists; pass overwrite=True to replace it")
    tmp = os.path.join(parent, f".{os.path.basename(path)}.tmp-{uuid.uuid4().hex[:8]}")
    os.makedirs(tmp)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if os.path.exists(path):
        old = os.path.join(parent, f".{os.path.basename(path)}.old-{uuid.uuid4().hex[:8]}")
        os.replace(path, old)
    os.replace(tmp, path)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def row_boundaries(num_rows: int, rows_per_shard: int | None = None, num_shards: int | None = None) -> np.ndarray:
    """``[0, r, 2r, ..., num_rows]`` with ``r = rows_per_shard`` (or ``ceil(num_rows / num_shards)``)."""
    if rows_per_shard is None:
        num_shards = 1 if num_shards is None else int(num_shards)
        if num_shards <= 0:
            raise ValueError(f"num_shards must be > 0, got {num_shards}")
        rows_per_shard = max(1, -(-num_rows // num_shards))
    rows_per_shard = int(rows_per_shard)
    if rows_per_shard <= 0:
        raise ValueError(f"rows_per_shard must be > 0, got {rows_per_shard}")
    bounds = np.arange(0, num_rows, rows_per_shard, dtype=np.int64)
    return np.append(bounds, np.int64(num_rows)) if num_rows > 0 else np.zeros(1, np.int64)


def _read_manifest(path: str, expected_format: str) -> dict:
    file = os.path.join(path, MANIFEST)
    if not os.path.isdir(path):
        raise FileNotFoundError(f"sharded {('graph' if 'csr' in expected_format else 'array')} directory "
                                f"{path!r} does not exist")
    if not os.path.isfile(file):
        raise ShardFormatError(f"{file}: manifest missing (not a graphsparse sharded directory, or an "
                               f"interrupted build)")
    try:
        with open(file) as f:
            manifest = json.load(f)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # JSONDecodeError, 5000-digit ints, deep nesting
        raise ShardFormatError(f"{file}: manifest is not valid JSON ({type(exc).__name__}: {str(exc)[:120]})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != expected_format:
        raise ShardFormatError(f"{file}: expected format {expected_format!r}, got "
                               f"{manifest.get('format') if isinstance(manifest, dict) else type(manifest).__name__!r}")
    if manifest.get("version") != FORMAT_VERSION:
        raise ShardFormatError(f"{file}: format version {manifest.get('version')!r} is not supported "
                               f"(this graphsparse reads version {FORMAT_VERSION})")
    return manifest


def _check_int(manifest, key, file, low=0):
    value = manifest.get(key)
    if not _is_int(value, low):
        raise ShardFormatError(f"{file}: {key!r} must be an integer >= {low}, got {value!r}")
    return value


def _is_int(value, low=0) -> bool:
    """A JSON integer (not a bool, not a float) of at least ``low`` that fits int64."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value < 2**63


def _check_boundaries(bounds, num_rows, num_blocks, file, what="rows"):
    # JSON integers only: a float (1.5 would truncate, Infinity would overflow) or a value beyond int64 is refused
    if not isinstance(bounds, list) or not all(_is_int(v) for v in bounds):
        raise ShardFormatError(f"{file}: boundaries must be a list of integers, got {str(bounds)[:80]}")
    b = np.asarray(bounds, dtype=np.int64)
    if b.ndim != 1 or b.shape[0] != num_blocks + 1 or b[0] != 0 or b[-1] != num_rows or np.any(np.diff(b) < 0):
        raise ShardFormatError(f"{file}: boundaries must rise from 0 to {num_rows} {what} in {num_blocks} blocks, "
                               f"got {list(bounds)[:8]}{'...' if len(bounds) > 8 else ''}")
    return b


def _check_file_entry(entry, file: str, what: str) -> dict:
    """One data file's manifest entry: a plain ``.npy`` file name inside the folder, its shape (list of
    non-negative integers), dtype string, and optional byte count and sha256. Checked once, when the
    manifest is opened, so later reads index only well-formed entries."""
    if not isinstance(entry, dict):
        raise ShardFormatError(f"{file}: {what} entry must be an object, got {type(entry).__name__}")
    name = entry.get("name")
    if not isinstance(name, str) or not name.endswith(".npy") or os.path.basename(name) != name \
            or name in (".npy",) or "\\" in name or "\x00" in name:
        raise ShardFormatError(f"{file}: {what} file name must be a plain '.npy' file name in the folder, "
                               f"got {str(name)[:80]!r}")
    shape = entry.get("shape")
    if not isinstance(shape, list) or not all(_is_int(v) for v in shape):
        raise ShardFormatError(f"{file}: {what} shape must be a list of non-negative integers, got {str(shape)[:80]}")
    if not isinstance(entry.get("dtype"), str):
        raise ShardFormatError(f"{file}: {what} dtype must be a NumPy dtype string, got {entry.get('dtype')!r}")
    if "bytes" in entry and not _is_int(entry["bytes"]):
        raise ShardFormatError(f"{file}: {what} byte count must be a non-negative integer, got {entry['bytes']!r}")
    if "sha256" in entry and not isinstance(entry["sha256"], str):
        raise ShardFormatError(f"{file}: {what} sha256 must be a hex string, got {entry['sha256']!r}")
    return entry


def _check_bool(manifest, key, file, default):
    value = manifest.get(key, default)
    if not isinstance(value, bool):
        raise ShardFormatError(f"{file}: {key!r} must be true or false, got {value!r}")
    return value


def _load_npy(file: str, entry: dict, mmap: bool):
    """np.load with header checks against the manifest entry (shape, dtype); errors name the file."""
    if not os.path.isfile(file):
        raise ShardFormatError(f"{file}: missing (listed in the manifest)")
    try:
        array = np.load(file, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ShardFormatError(f"{file}: not a readable .npy file ({exc})") from None
    if list(array.shape) != list(entry["shape"]) or array.dtype.str != entry["dtype"]:
        raise ShardFormatError(f"{file}: shape {array.shape} / dtype {array.dtype.str} disagree with the "
                               f"manifest ({tuple(entry['shape'])} / {entry['dtype']})")
    return array


def _verify_sha(file: str, entry: dict):
    if "sha256" not in entry:
        raise ShardFormatError(f"{file}: the manifest records no sha256 for this file")
    if sha256_file(file) != entry["sha256"]:
        raise ShardFormatError(f"{file}: sha256 checksum does not match the manifest (file corrupted or replaced)")


# ---------------------------------------------------------------------------------------- graph
@dataclass
class Shard:
    """Rows ``[row_start, row_stop)`` of a sharded graph: local ``indptr`` (from 0), global ``indices``."""

    index: int
    row_start: int
    row_stop: int
    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray | None

    @property
    def num_rows(self) -> int:
        return self.row_stop - self.row_start

    @property
    def num_edges(self) -> int:
        return int(self.indices.shape[0])

    def edge_weights(self) -> np.ndarray:
        return np.ones(self.num_edges, np.float32) if self.weights is None else np.asarray(self.weights)


class ShardedGraph:
    """A row-block CSR graph on disk (see the module doc); open with :func:`open_graph`.

    :meth:`shard` loads one shard (memory-mapped, validated); :meth:`to_graph` builds the
    in-memory :class:`~graphsparse.Graph` (small graphs only).

    Parameters
    ----------
    path : str
        The graph's folder.
    manifest : dict
        Its parsed ``manifest.json`` (checked here); :func:`open_graph` reads it for you.

    Attributes
    ----------
    num_nodes, num_edges : int
        Node count and stored (directed) entries.
    directed, is_weighted : bool
        As the in-memory graph's.
    boundaries : int64 array of shape (num_shards + 1,)
        Row offsets of the shards.
    edge_offsets : int64 array of shape (num_shards + 1,)
        Global position of each shard's first edge.
    build_id : str
        Id shared by the manifest and every shard file of one build.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from graphsparse.datasets import rmat
    >>> from graphsparse.sharded import from_graph, open_graph
    >>> g = rmat(100, 400, seed=0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     sharded = from_graph(g, os.path.join(folder, "g"), num_shards=3)
    ...     reopened = open_graph(os.path.join(folder, "g"), verify="sha256")
    ...     shard = reopened.shard(1)
    ...     same = bool(np.array_equal(reopened.to_graph().indices, g.indices))
    >>> reopened.num_shards, reopened.num_nodes == g.num_nodes, reopened.num_edges == g.num_edges, same
    (3, True, True, True)
    >>> shard.num_rows == int(reopened.boundaries[2] - reopened.boundaries[1])
    True
    """

    def __init__(self, path: str, manifest: dict):
        self.path = path
        self.manifest = manifest
        file = os.path.join(path, MANIFEST)
        self.num_nodes = _check_int(manifest, "num_nodes", file)
        self.num_edges = _check_int(manifest, "num_edges", file)
        shards = manifest.get("shards")
        if not isinstance(shards, list) or not shards and self.num_nodes:
            raise ShardFormatError(f"{file}: 'shards' must be a non-empty list")
        self.boundaries = _check_boundaries(manifest.get("boundaries", []), self.num_nodes, len(shards), file)
        self.directed = _check_bool(manifest, "directed", file, True)
        self.is_weighted = _check_bool(manifest, "weighted", file, False)
        self.build_id = manifest.get("build_id", "")
        if not isinstance(self.build_id, str):
            raise ShardFormatError(f"{file}: 'build_id' must be a string, got {self.build_id!r}")
        counts = []
        for s, entry in enumerate(shards):
            if not isinstance(entry, dict) or not isinstance(entry.get("files"), dict):
                raise ShardFormatError(f"{file}: shard {s} entry is malformed")
            counts.append(_check_int(entry, "num_edges", file))
            rows = entry.get("rows")
            if rows != [int(self.boundaries[s]), int(self.boundaries[s + 1])]:
                raise ShardFormatError(f"{file}: shard {s} rows {str(rows)[:80]} disagree with the boundaries")
            needed = {"indptr", "indices"} | ({"weights"} if self.is_weighted else set())
            if set(entry["files"]) != needed:
                raise ShardFormatError(f"{file}: shard {s} must list files {sorted(needed)}, got {sorted(entry['files'])}")
            for key, fentry in entry["files"].items():
                _check_file_entry(fentry, file, f"shard {s} {key}")
                expected_rows = (self.boundaries[s + 1] - self.boundaries[s] + 1) if key == "indptr" else counts[-1]
                if fentry["shape"] != [int(expected_rows)]:
                    raise ShardFormatError(f"{file}: shard {s} {key} shape {fentry.get('shape')} disagrees with "
                                           f"its row/edge counts ({expected_rows})")
        if sum(counts) != self.num_edges:
            raise ShardFormatError(f"{file}: shard edge counts add up to {sum(counts)}, but num_edges = {self.num_edges}")
        self.edge_offsets = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)

    # ------------------------------------------------------------------ facts
    @property
    def num_shards(self) -> int:
        return len(self.manifest["shards"])

    def __repr__(self) -> str:
        kind = "directed" if self.directed else "undirected"
        w = ", weighted" if self.is_weighted else ""
        return (f"ShardedGraph({self.path!r}, num_nodes={self.num_nodes}, num_edges={self.num_edges}, "
                f"{kind}{w}, num_shards={self.num_shards})")

    def shard_dir(self, s: int) -> str:
        return os.path.join(self.path, f"shard_{s:05d}")

    def files(self):
        """Every data file of the graph (absolute path, manifest entry)."""
        for s, entry in enumerate(self.manifest["shards"]):
            for fentry in entry["files"].values():
                yield os.path.join(self.shard_dir(s), fentry["name"]), fentry

    # ------------------------------------------------------------------ checks
    def check_files(self) -> "ShardedGraph":
        """Cheap check: every file exists with the recorded size, shape and dtype; shard.json matches."""
        for s in range(self.num_shards):
            self._check_shard_meta(s)
            for key, fentry in self.manifest["shards"][s]["files"].items():
                file = os.path.join(self.shard_dir(s), fentry["name"])
                if not os.path.isfile(file):
                    raise ShardFormatError(f"{file}: missing (shard {s} {key}, listed in the manifest)")
                if "bytes" in fentry and os.path.getsize(file) != fentry["bytes"]:
                    raise ShardFormatError(f"{file}: {os.path.getsize(file)} bytes, the manifest records "
                                           f"{fentry['bytes']} (truncated or replaced)")
                _load_npy(file, fentry, mmap=True)
        return self

    def verify(self) -> "ShardedGraph":
        """Full check: :meth:`check_files` plus the sha256 of every file (reads all the data)."""
        self.check_files()
        for file, fentry in self.files():
            _verify_sha(file, fentry)
        return self

    def _check_shard_meta(self, s: int):
        meta_file = os.path.join(self.shard_dir(s), "shard.json")
        if not os.path.isfile(meta_file):
            raise ShardFormatError(f"{meta_file}: missing (shard {s} of {self.path!r})")
        try:
            with open(meta_file) as f:
                meta = json.load(f)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ShardFormatError(f"{meta_file}: not valid JSON") from None
        if not isinstance(meta, dict) or meta.get("build_id") != self.build_id or meta.get("shard") != s:
            raise ShardFormatError(f"{meta_file}: shard belongs to another build (build_id "
                                   f"{meta.get('build_id') if isinstance(meta, dict) else None!r}, shard "
                                   f"{meta.get('shard') if isinstance(meta, dict) else None!r}); the manifest expects "
                                   f"build_id {self.build_id!r}, shard {s}")

    # ------------------------------------------------------------------ loading
    def shard(self, s: int, mmap: bool = True, verify: bool = False) -> Shard:
        """Load shard ``s`` (memory-mapped by default), validated structurally (O(E))."""
        if not 0 <= s < self.num_shards:
            raise IndexError(f"shard {s} out of range [0, {self.num_shards})")
        self._check_shard_meta(s)
        entry = self.manifest["shards"][s]
        arrays = {}
        for key, fentry in entry["files"].items():
            file = os.path.join(self.shard_dir(s), fentry["name"])
            if verify:
                _verify_sha(file, fentry)
            arrays[key] = _load_npy(file, fentry, mmap)
        r0, r1 = int(self.boundaries[s]), int(self.boundaries[s + 1])
        indptr, indices, weights = arrays["indptr"], arrays["indices"], arrays.get("weights")
        d = self.shard_dir(s)
        if indptr.dtype != np.int64:
            raise ShardFormatError(f"{d}/indptr.npy: dtype must be int64, got {indptr.dtype}")
        if indices.dtype != index_dtype(self.num_nodes):
            raise ShardFormatError(f"{d}/indices.npy: dtype must be {np.dtype(index_dtype(self.num_nodes))}, "
                                   f"got {indices.dtype}")
        if indptr[0] != 0 or indptr[-1] != indices.shape[0] or (indptr.shape[0] > 1 and np.any(np.diff(indptr) < 0)):
            raise ShardFormatError(f"{d}/indptr.npy: must rise monotonically from 0 to the shard's "
                                   f"{indices.shape[0]} edges")
        if indices.shape[0]:
            lo, hi = int(indices.min()), int(indices.max())
            if lo < 0 or hi >= self.num_nodes:
                raise ShardFormatError(f"{d}/indices.npy: column ids must lie in [0, {self.num_nodes}), "
                                       f"got [{lo}, {hi}]")
        if weights is not None:
            if weights.dtype != np.float32:
                raise ShardFormatError(f"{d}/weights.npy: dtype must be float32, got {weights.dtype}")
            if weights.shape[0] and not np.isfinite(weights).all():
                raise ShardFormatError(f"{d}/weights.npy: holds NaN or inf weights")
        return Shard(s, r0, r1, indptr, indices, weights)

    def to_graph(self) -> Graph:
        """The whole graph in memory (concatenated shards); equal to the Graph it was built from."""
        parts = [self.shard(s, mmap=False) for s in range(self.num_shards)]
        indptr = np.zeros(self.num_nodes + 1, dtype=np.int64)
        for p, off in zip(parts, self.edge_offsets[:-1]):
            indptr[p.row_start + 1: p.row_stop + 1] = p.indptr[1:] + off
        indices = np.concatenate([p.indices for p in parts]) if parts else np.zeros(0, index_dtype(self.num_nodes))
        weights = np.concatenate([p.weights for p in parts]) if self.is_weighted and parts else None
        return Graph(indptr, indices, weights, self.num_nodes, self.directed)


def write_graph_manifest(tmp_dir: str, num_nodes: int, directed: bool, weighted: bool, boundaries,
                         shard_entries: list, build_id: str, extra: dict | None = None) -> dict:
    manifest = dict(format=GRAPH_FORMAT, version=FORMAT_VERSION, build_id=build_id, num_nodes=int(num_nodes),
                    num_edges=int(sum(e["num_edges"] for e in shard_entries)), directed=bool(directed),
                    weighted=bool(weighted), index_dtype=np.dtype(index_dtype(num_nodes)).str,
                    weight_dtype=np.dtype(np.float32).str if weighted else None,
                    boundaries=[int(b) for b in boundaries], shards=shard_entries)
    if extra:
        manifest.update(extra)
    _write_json_atomic(os.path.join(tmp_dir, MANIFEST), manifest)
    return manifest


def write_shard(tmp_dir: str, s: int, row_start: int, row_stop: int, indptr, indices, weights, build_id: str) -> dict:
    """Write one shard directory (arrays + shard.json); return its manifest entry."""
    d = os.path.join(tmp_dir, f"shard_{s:05d}")
    os.makedirs(d, exist_ok=True)
    files = dict(indptr=save_npy_atomic(os.path.join(d, "indptr.npy"), np.asarray(indptr, np.int64)),
                 indices=save_npy_atomic(os.path.join(d, "indices.npy"), indices))
    if weights is not None:
        files["weights"] = save_npy_atomic(os.path.join(d, "weights.npy"), np.asarray(weights, np.float32))
    _write_json_atomic(os.path.join(d, "shard.json"), dict(build_id=build_id, shard=s))
    return dict(rows=[int(row_start), int(row_stop)], num_edges=int(len(indices)), files=files)


def new_build_id() -> str:
    return uuid.uuid4().hex


def from_graph(graph, path, *, rows_per_shard: int | None = None, num_shards: int | None = None,
               overwrite: bool = False) -> ShardedGraph:
    """Write an in-memory graph (anything :func:`graphsparse.as_graph` takes) as a sharded graph.

    Parameters
    ----------
    graph : Graph or anything :func:`graphsparse.as_graph` accepts
        The graph to write.
    path : str or os.PathLike
        Folder to create (written to a temporary sibling, then renamed: all or nothing).
    rows_per_shard : int or None, default=None
        Rows per shard (the last one may be shorter); takes precedence over ``num_shards``.
    num_shards : int or None, default=None
        Number of shards of about equal row counts (both ``None``: one shard).
    overwrite : bool, default=False
        Replace an existing ``path`` instead of raising ``FileExistsError``.

    Returns
    -------
    ShardedGraph
        The written graph, opened.

    Examples
    --------
    >>> import os, tempfile
    >>> from graphsparse.datasets import rmat
    >>> from graphsparse.sharded import from_graph
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     sharded = from_graph(rmat(100, 400, seed=0), os.path.join(folder, "g"), rows_per_shard=40)
    >>> sharded.boundaries.tolist(), sharded.num_edges
    ([0, 40, 80, 100], 400)
    """
    from graphsparse.graph import as_graph

    g = as_graph(graph)
    bounds = row_boundaries(g.num_nodes, rows_per_shard, num_shards if rows_per_shard is None else None)
    build_id = new_build_id()
    with atomic_directory(path, overwrite) as tmp:
        entries = []
        for s in range(bounds.shape[0] - 1):
            r0, r1 = int(bounds[s]), int(bounds[s + 1])
            e0, e1 = int(g.indptr[r0]), int(g.indptr[r1])
            entries.append(write_shard(tmp, s, r0, r1, g.indptr[r0:r1 + 1] - e0, g.indices[e0:e1],
                                       None if g.weights is None else g.weights[e0:e1], build_id))
        write_graph_manifest(tmp, g.num_nodes, g.directed, g.weights is not None, bounds, entries, build_id)
    return open_graph(path)


def as_sharded_graph(graph, name: str = "graph") -> ShardedGraph:
    """A :class:`ShardedGraph` as is, or a path opened with :func:`open_graph`; anything else: TypeError."""
    if isinstance(graph, ShardedGraph):
        return graph
    if isinstance(graph, (str, bytes, os.PathLike)):
        return open_graph(graph)
    raise TypeError(f"{name} must be a ShardedGraph or the path of one (graphsparse.sharded.from_graph / "
                    f"build_from_edgelist write them), got {type(graph).__name__}")


def open_graph(path, verify: str = "files") -> ShardedGraph:
    """Open a sharded graph lazily (reads the manifest only; shards are memory-mapped on demand).

    Parameters
    ----------
    path : str or os.PathLike
        Folder written by :func:`from_graph` or :func:`graphsparse.sharded.build_from_edgelist`.
    verify : {"files", "sha256", "none"}, default="files"
        ``"files"``: existence, size, shape, dtype and build id of every file; ``"sha256"``: also
        every checksum (reads all the data); ``"none"``: the manifest only.

    Returns
    -------
    ShardedGraph

    Examples
    --------
    >>> import os, tempfile
    >>> from graphsparse.datasets import rmat
    >>> from graphsparse.sharded import from_graph, open_graph
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = from_graph(rmat(100, 400, seed=0), os.path.join(folder, "g"), num_shards=2)
    ...     os.remove(os.path.join(folder, "g", "manifest.json"))
    ...     open_graph(os.path.join(folder, "g"))
    Traceback (most recent call last):
    ...
    graphsparse.sharded.format.ShardFormatError: ...manifest missing (not a graphsparse sharded directory, ...
    """
    if verify not in ("none", "files", "sha256"):
        raise ValueError(f"verify must be 'none', 'files' or 'sha256', got {verify!r}")
    path = os.path.abspath(os.fspath(path))
    graph = ShardedGraph(path, _read_manifest(path, GRAPH_FORMAT))
    if verify == "files":
        graph.check_files()
    elif verify == "sha256":
        graph.verify()
    return graph


# ---------------------------------------------------------------------------------------- arrays
class ShardedArray:
    """A dense array stored as row blocks ``block_00000.npy ...`` plus a manifest (see module doc).

    Written by :func:`save_array` (or the sharded kernels' outputs), opened by :func:`open_array`;
    :meth:`block` memory-maps one block, :meth:`to_numpy` loads the whole array.

    Parameters
    ----------
    path : str
        The array's folder.
    manifest : dict
        Its parsed ``manifest.json`` (checked here); :func:`open_array` reads it for you.

    Attributes
    ----------
    shape : tuple of int
        Shape of the whole array (1-D or 2-D).
    dtype : numpy.dtype
        Its dtype.
    boundaries : int64 array of shape (num_blocks + 1,)
        Row offsets of the blocks.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from graphsparse.sharded import open_array, save_array
    >>> x = np.arange(20, dtype=np.float32).reshape(10, 2)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = save_array(x, os.path.join(folder, "x"), boundaries=[0, 4, 10])
    ...     stored = open_array(os.path.join(folder, "x"))
    ...     second = stored.block(1, mmap=False)
    ...     equal = bool(np.array_equal(stored.to_numpy(), x))
    >>> stored.shape, stored.dtype, stored.num_blocks, second.shape, equal
    ((10, 2), dtype('float32'), 2, (6, 2), True)
    """

    def __init__(self, path: str, manifest: dict):
        self.path = path
        self.manifest = manifest
        file = os.path.join(path, MANIFEST)
        shape = manifest.get("shape")
        if not isinstance(shape, list) or not 1 <= len(shape) <= 2 or any(
                isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in shape):
            raise ShardFormatError(f"{file}: shape must be a list of 1 or 2 non-negative integers, got {shape!r}")
        self.shape = tuple(shape)
        dtype = manifest.get("dtype")
        try:  # a string naming a numeric dtype: None would silently mean float64, "O" would mean objects
            self.dtype = np.dtype(dtype) if isinstance(dtype, str) else None
        except TypeError:
            self.dtype = None
        if self.dtype is None or self.dtype.kind not in "biufc":
            raise ShardFormatError(f"{file}: dtype must name a numeric NumPy dtype, got {str(dtype)[:40]!r}")
        blocks = manifest.get("blocks")
        if not isinstance(blocks, list):
            raise ShardFormatError(f"{file}: 'blocks' must be a list")
        self.boundaries = _check_boundaries(manifest.get("boundaries", []), self.shape[0], len(blocks), file)
        for b, entry in enumerate(blocks):
            _check_file_entry(entry, file, f"block {b}")
            expected = [int(self.boundaries[b + 1] - self.boundaries[b])] + list(self.shape[1:])
            if entry["shape"] != expected or entry["dtype"] != self.dtype.str:
                raise ShardFormatError(f"{file}: block {b} entry disagrees with the array's shape/dtype/boundaries")

    @property
    def num_blocks(self) -> int:
        return len(self.manifest["blocks"])

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"ShardedArray({self.path!r}, shape={self.shape}, dtype={self.dtype}, num_blocks={self.num_blocks})"

    def block_file(self, b: int) -> str:
        return os.path.join(self.path, self.manifest["blocks"][b]["name"])

    def block(self, b: int, mmap: bool = True) -> np.ndarray:
        return _load_npy(self.block_file(b), self.manifest["blocks"][b], mmap)

    def verify(self) -> "ShardedArray":
        for b in range(self.num_blocks):
            _verify_sha(self.block_file(b), self.manifest["blocks"][b])
        return self

    def to_numpy(self) -> np.ndarray:
        blocks = [self.block(b) for b in range(self.num_blocks)]  # headers checked before the allocation
        out = np.empty(self.shape, dtype=self.dtype)
        for b, block in enumerate(blocks):
            out[self.boundaries[b]:self.boundaries[b + 1]] = block
        return out

    def __array__(self, dtype=None, copy=None):
        out = self.to_numpy()
        return out if dtype is None else out.astype(dtype)

    def to_dask(self):
        """A lazy ``dask.array`` with one chunk per block (each chunk memory-maps its file)."""
        import dask
        import dask.array as da

        parts = []
        for b in range(self.num_blocks):
            rows = int(self.boundaries[b + 1] - self.boundaries[b])
            parts.append(da.from_delayed(dask.delayed(_load_block)(self.block_file(b)),
                                         shape=(rows,) + self.shape[1:], dtype=self.dtype))
        if not parts:
            return da.zeros(self.shape, dtype=self.dtype)
        return da.concatenate(parts, axis=0)


def _load_block(file: str) -> np.ndarray:
    return np.load(file, mmap_mode="r", allow_pickle=False)


def write_array_manifest(directory: str, shape, dtype, boundaries, block_entries, extra: dict | None = None) -> None:
    manifest = dict(format=ARRAY_FORMAT, version=FORMAT_VERSION, shape=[int(v) for v in shape],
                    dtype=np.dtype(dtype).str, boundaries=[int(b) for b in boundaries], blocks=block_entries)
    if extra:
        manifest.update(extra)
    _write_json_atomic(os.path.join(directory, MANIFEST), manifest)


def block_name(b: int) -> str:
    return f"block_{b:05d}.npy"


def open_array(path) -> ShardedArray:
    """Open a sharded dense array (lazy; blocks are memory-mapped on access)."""
    path = os.path.abspath(os.fspath(path))
    return ShardedArray(path, _read_manifest(path, ARRAY_FORMAT))


def save_array(array: np.ndarray, path, boundaries, overwrite: bool = False) -> ShardedArray:
    """Write an in-memory array as a sharded array with the given row ``boundaries``."""
    array = np.asarray(array)
    with atomic_directory(path, overwrite) as tmp:
        entries = [save_npy_atomic(os.path.join(tmp, block_name(b)), array[boundaries[b]:boundaries[b + 1]])
                   for b in range(len(boundaries) - 1)]
        write_array_manifest(tmp, array.shape, array.dtype, boundaries, entries)
    return open_array(path)
