"""Loaders of the shared real datasets, checked against ``registry.json`` (files, sha256, counts).

Where to look (first that is set): the ``root`` argument, ``$GRAPHSPARSE_DATA``, else
:func:`graphsparse.graph.default_data_root` (``../shared/datasets`` next to the checkout). Each
dataset lives in ``<root>/<folder>/`` with the files named in the registry.

* :func:`load_dataset` -> PyG ``Data`` (static; ``x``, ``y``, ``edge_index``, masks where the
  dataset has splits, and a ``directed`` flag) or ``TemporalData`` (``src``, ``dst``, ``t``).
* :func:`load_graph` -> :class:`graphsparse.Graph` of the same edges.

Formats (existing readers are called where one exists):

=================  =========================================================================
planetoid          ``torch_geometric.io.read_planetoid_data`` (public split as PyG's Planetoid)
mat                ``scipy.io.loadmat``: ``network`` (adjacency), ``group`` (multi-hot labels)
prone              ``.ungraph`` (``u<TAB>v``, each undirected edge once) + ``.cmty`` (one line
                   per class, its member ids)
snap_temporal      ``src dst ts`` rows, plain or ``.gz`` (``numpy.loadtxt``)
g2g_npz            g2g / nettack ``.npz``: ``adj_*`` CSR parts, optional ``attr_*``, ``labels``
hetero_npz         heterophilous-graphs ``.npz``: ``node_features``, ``node_labels``, ``edges``
                   (E x 2), ``train_masks``/``val_masks``/``test_masks`` (S x N)
edgelist           whitespace-separated ``src dst`` rows (CRLF accepted), 0-based
adjlist            ``networkx.read_adjlist`` (1-based integer ids)
=================  =========================================================================
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
import zipfile
import zlib

import numpy as np

from graphsparse.graph import Graph, as_graph, default_data_root

__all__ = ["load_dataset", "load_graph", "available_datasets", "dataset_info", "find_dataset",
           "verify_dataset", "data_root", "DatasetNotFoundError", "DatasetChecksumError", "REGISTRY_PATH"]

REGISTRY_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "registry.json")
ENV_VAR = "GRAPHSPARSE_DATA"


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's folder or one of its files is missing from the data root."""


class DatasetChecksumError(ValueError):
    """A dataset file's sha256 differs from the registry's."""


@functools.lru_cache(maxsize=1)
def _registry() -> dict:
    with open(REGISTRY_PATH, encoding="utf-8") as handle:
        return json.load(handle)["datasets"]


def available_datasets() -> list[str]:
    """Names of every dataset in the registry (sorted).

    Examples
    --------
    >>> from graphsparse.datasets import available_datasets, dataset_info
    >>> names = available_datasets()
    >>> "cora" in names, names == sorted(names)
    (True, True)
    >>> info = dataset_info("cora")  # what load_dataset("cora") will check the files against
    >>> info["num_nodes"], info["num_classes"], info["directed"]
    (2708, 7, False)
    """
    return sorted(_registry())


def dataset_info(name: str) -> dict:
    """Registry entry of ``name`` (a copy): folder, format, files with sha256, expected counts."""
    return json.loads(json.dumps(_registry()[_check_name(name)]))


def _check_name(name) -> str:
    if not isinstance(name, str):
        raise TypeError(f"name must be a dataset name (str), got {type(name).__name__}")
    key = name.strip().lower().replace("-", "_")
    aliases = {"dblp_prone": "dblp", "p2p_gnutella08": "gnutella", "cora_planetoid": "cora",
               "citeseer_planetoid": "citeseer", "uci_msg": "collegemsg", "college_msg": "collegemsg"}
    key = aliases.get(key, key)
    if key not in _registry():
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(available_datasets())}")
    return key


def data_root(root=None) -> str:
    """The folder searched for datasets: ``root``, else ``$GRAPHSPARSE_DATA``, else the default."""
    if root is not None:
        return os.fspath(root)
    return os.environ.get(ENV_VAR) or default_data_root()


def find_dataset(name: str, root=None) -> str:
    """Folder of dataset ``name`` with all its files present; raises :class:`DatasetNotFoundError`."""
    key = _check_name(name)
    entry = _registry()[key]
    base = data_root(root)
    folder = os.path.join(base, entry["folder"])
    missing = [f for f in entry["files"] if not os.path.isfile(os.path.join(folder, f))]
    if missing:
        what = "folder" if not os.path.isdir(folder) else f"file(s) {', '.join(missing)} in"
        raise DatasetNotFoundError(
            f"dataset {key!r} not found: looked for {what} {folder!r} (data root {base!r}). "
            f"Set ${ENV_VAR} to the folder holding {entry['folder']}/ (or pass root=...); "
            f"expected files: {', '.join(entry['files'])}")
    return folder


# -------------------------------------------------------------------------------- checksums
_SHA_CACHE: dict[tuple, str] = {}
_SHA_LOCK = threading.Lock()


def _sha256(path: str) -> str:
    """sha256 of a file, cached per (path, size, mtime) so repeated loads hash nothing."""
    stat = os.stat(path)
    cache_key = (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
    with _SHA_LOCK:
        if cache_key in _SHA_CACHE:
            return _SHA_CACHE[cache_key]
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    value = digest.hexdigest()
    with _SHA_LOCK:
        _SHA_CACHE[cache_key] = value
    return value


def verify_dataset(name: str, root=None) -> str:
    """Check every file of ``name`` against the registry's size and sha256; returns the folder."""
    key = _check_name(name)
    folder = find_dataset(key, root)
    for file_name, expected in _registry()[key]["files"].items():
        path = os.path.join(folder, file_name)
        size = os.path.getsize(path)
        if size != expected["bytes"]:
            raise DatasetChecksumError(f"{path}: {size} bytes, the registry expects {expected['bytes']}")
        digest = _sha256(path)
        if digest != expected["sha256"]:
            raise DatasetChecksumError(f"{path}: sha256 {digest} differs from the registry's {expected['sha256']}")
    return folder


# ------------------------------------------------------------------------------- readers
def _torch():
    import torch

    return torch


def _static_data(edge_index: np.ndarray, num_nodes: int, directed: bool, x=None, y=None, **attrs):
    """PyG Data with a coalesced (row-sorted, duplicate-free) edge_index; undirected -> both directions."""
    torch = _torch()
    from torch_geometric.data import Data

    graph = as_graph(edge_index, num_nodes=num_nodes, directed=directed, reduce="max")
    data = Data(edge_index=graph.to_edge_index("torch"), num_nodes=num_nodes)
    if x is not None:
        data.x = x if isinstance(x, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    if y is not None:
        data.y = y if isinstance(y, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(y))
    for key, value in attrs.items():
        data[key] = torch.from_numpy(np.ascontiguousarray(value)) if isinstance(value, np.ndarray) else value
    data.directed = bool(directed)
    return data


def _read_planetoid(folder: str, entry: dict):
    # never pickle.load: the restricted unpickler admits only the NumPy/SciPy/dict types these files hold
    from graphsparse.datasets.planetoid import read_planetoid

    data = read_planetoid(folder, entry["prefix"])
    data.directed = False
    return data


def _file_error(path: str, what: str) -> ValueError:
    return ValueError(f"{path}: {what}")


def _check_rows(array, expected: int, path: str, key: str) -> None:
    if array is not None and array.shape[0] != expected:
        raise _file_error(path, f"'{key}' has {array.shape[0]} rows, expected {expected} (one per node)")


def _check_ids(ids: np.ndarray, path: str, what: str, num_nodes: int | None = None) -> None:
    if ids.size and int(ids.min()) < 0:
        raise _file_error(path, f"{what} holds negative node id {int(ids.min())}")
    if ids.size and num_nodes is not None and int(ids.max()) >= num_nodes:
        raise _file_error(path, f"{what} holds node id {int(ids.max())} >= num_nodes={num_nodes}")


def _loadtxt_int(path: str, what: str, **kwargs) -> np.ndarray:
    try:
        return np.loadtxt(path, dtype=np.int64, ndmin=2, **kwargs)
    except ValueError as err:
        raise _file_error(path, f"expected {what} (integers, whitespace-separated): {err}") from None


def _read_mat(folder: str, entry: dict):
    import scipy.io
    import scipy.sparse as sp

    (file_name,) = entry["files"]
    path = os.path.join(folder, file_name)
    mat = scipy.io.loadmat(path)
    for key in ("network", "group"):
        if key not in mat:
            raise _file_error(path, f"no '{key}' matrix (found {sorted(k for k in mat if not k.startswith('__'))})")
    adjacency = sp.csr_matrix(mat["network"])
    groups = sp.csr_matrix(mat["group"])
    if adjacency.shape[0] != adjacency.shape[1]:
        raise _file_error(path, f"'network' must be square, got shape {adjacency.shape}")
    _check_rows(groups, adjacency.shape[0], path, "group")
    coo = adjacency.tocoo()
    edge_index = np.stack([coo.row, coo.col]).astype(np.int64)
    y = np.asarray((groups != 0).todense(), dtype=np.float32)
    return _static_data(edge_index, adjacency.shape[0], False, y=y)


def _read_prone(folder: str, entry: dict):
    graph_file = next(f for f in entry["files"] if f.endswith(".ungraph"))
    cmty_file = next(f for f in entry["files"] if f.endswith(".cmty"))
    graph_path, cmty_path = os.path.join(folder, graph_file), os.path.join(folder, cmty_file)
    edges = _loadtxt_int(graph_path, "'u v' rows")
    if edges.shape[0] == 0 or edges.shape[1] < 2:
        raise _file_error(graph_path, f"expected 'u v' rows, got shape {edges.shape}")
    _check_ids(edges[:, :2], graph_path, "the edge list")
    members = []
    with open(cmty_path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    members.append(np.array(line.split(), dtype=np.int64))
                except (ValueError, OverflowError):
                    raise _file_error(cmty_path, f"line {number}: expected integer node ids") from None
                _check_ids(members[-1], cmty_path, f"line {number}")
    if not members:
        raise _file_error(cmty_path, "no community lines")
    num_nodes = int(max(edges.max(), max(m.max() for m in members if m.size))) + 1
    y = np.full(num_nodes, -1, dtype=np.int64)
    for label, nodes in enumerate(members):
        y[nodes] = label  # ProNE's dblp: one community per node (checked by the tests)
    # nodes absent from every community keep y = -1 (none in the shipped file)
    return _static_data(edges[:, :2].T, num_nodes, False, y=y)


def _read_snap_temporal(folder: str, entry: dict):
    torch = _torch()
    from torch_geometric.data import TemporalData

    (file_name,) = entry["files"]
    path = os.path.join(folder, file_name)
    rows = _loadtxt_int(path, "'src dst ts' rows")  # reads .gz directly
    if rows.shape[0] == 0 or rows.shape[1] < 3:
        raise _file_error(path, f"expected 'src dst ts' rows, got shape {rows.shape}")
    node_ids, relabelled = np.unique(rows[:, :2], return_inverse=True)  # 0-based, increasing file id
    relabelled = relabelled.reshape(-1, 2)
    order = np.argsort(rows[:, 2], kind="stable")
    data = TemporalData(src=torch.from_numpy(relabelled[order, 0].copy()),
                        dst=torch.from_numpy(relabelled[order, 1].copy()),
                        t=torch.from_numpy(rows[order, 2].copy()))
    data.num_nodes = int(node_ids.size)
    data.node_ids = torch.from_numpy(node_ids)  # original id of node i
    return data


def _csr_part(archive, prefix: str, path: str = "<npz>"):
    import scipy.sparse as sp

    keys = [f"{prefix}_{part}" for part in ("data", "indices", "indptr", "shape")]
    missing = [key for key in keys if key not in archive.files]
    if missing:
        raise _file_error(path, f"missing key(s) {', '.join(missing)}")
    data, indices, indptr, shape = (archive[key] for key in keys)
    if shape.shape != (2,) or shape.dtype.kind not in "iu" or (shape < 0).any():
        raise _file_error(path, f"'{prefix}_shape' must hold two non-negative integers, got {shape!r}")
    if indices.dtype.kind not in "iu" or indptr.dtype.kind not in "iu" or data.dtype.kind not in "biuf":
        raise _file_error(path, f"'{prefix}_indices'/'{prefix}_indptr' must be integer and '{prefix}_data' "
                                f"numeric, got {indices.dtype}/{indptr.dtype}/{data.dtype}")
    try:
        matrix = sp.csr_matrix((data, indices, indptr), shape=tuple(int(v) for v in shape))
        matrix.check_format(full_check=True)
    except (ValueError, TypeError, IndexError) as err:
        raise _file_error(path, f"malformed CSR matrix '{prefix}_*': {err}") from None
    return matrix


def _read_g2g(folder: str, entry: dict):
    (file_name,) = entry["files"]
    path = os.path.join(folder, file_name)
    with np.load(path, allow_pickle=False) as archive:
        adjacency = _csr_part(archive, "adj", path)
        x = _csr_part(archive, "attr", path).toarray().astype(np.float32) if "attr_data" in archive.files else None
        if "labels" not in archive.files:
            raise _file_error(path, "missing key 'labels'")
        y = archive["labels"]
    if adjacency.shape[0] != adjacency.shape[1]:
        raise _file_error(path, f"the adjacency must be square, got shape {adjacency.shape}")
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise _file_error(path, f"'labels' must be a 1-D integer array, got {y.dtype} {y.shape}")
    y = y.astype(np.int64)
    _check_rows(y, adjacency.shape[0], path, "labels")
    _check_rows(x, adjacency.shape[0], path, "attr_*")
    coo = adjacency.tocoo()  # structure only: entry values (a few 2s in polblogs) are dropped
    edge_index = np.stack([coo.row, coo.col]).astype(np.int64)
    return _static_data(edge_index, adjacency.shape[0], bool(entry["directed"]), x=x, y=y)


def _read_hetero(folder: str, entry: dict):
    (file_name,) = entry["files"]
    path = os.path.join(folder, file_name)
    with np.load(path, allow_pickle=False) as archive:
        keys = ["node_features", "node_labels", "edges"] + [f"{s}_masks" for s in ("train", "val", "test")]
        missing = [key for key in keys if key not in archive.files]
        if missing:
            raise _file_error(path, f"missing key(s) {', '.join(missing)}")
        x, y, edges = archive["node_features"], archive["node_labels"], archive["edges"]
        masks = {f"{split}_mask": archive[f"{split}_masks"] for split in ("train", "val", "test")}
    if x.ndim != 2 or x.dtype.kind not in "biuf":
        raise _file_error(path, f"'node_features' must be a numeric (N, F) array, got {x.dtype} {x.shape}")
    num_nodes = x.shape[0]
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise _file_error(path, f"'node_labels' must be a 1-D integer array, got {y.dtype} {y.shape}")
    _check_rows(y, num_nodes, path, "node_labels")
    if edges.ndim != 2 or edges.shape[1] != 2 or edges.dtype.kind not in "iu":
        raise _file_error(path, f"'edges' must be an (E, 2) integer array, got {edges.dtype} {edges.shape}")
    _check_ids(edges, path, "'edges'", num_nodes)
    for key, mask in masks.items():
        if mask.dtype != bool or mask.ndim != 2 or mask.shape[1] != num_nodes:
            raise _file_error(path, f"'{key}s' must be a boolean (splits, {num_nodes}) array, got "
                                    f"{mask.dtype} {mask.shape}")
        masks[key] = mask.T.copy()
    x, y, edges = x.astype(np.float32), y.astype(np.int64), edges.astype(np.int64)
    return _static_data(edges.T, x.shape[0], bool(entry["directed"]), x=x, y=y, **masks)


def _read_edgelist(folder: str, entry: dict):
    (file_name,) = entry["files"]
    path = os.path.join(folder, file_name)
    edges = _loadtxt_int(path, "'src dst' rows", comments="#")  # CRLF is fine
    if edges.shape[0] == 0 or edges.shape[1] < 2:
        raise _file_error(path, f"expected 'src dst' rows, got shape {edges.shape}")
    _check_ids(edges[:, :2], path, "the edge list")
    num_nodes = int(entry.get("num_nodes") or edges.max() + 1)
    return _static_data(edges[:, :2].T, max(num_nodes, int(edges.max()) + 1), bool(entry["directed"]))


def _read_adjlist(folder: str, entry: dict):
    import networkx as nx

    (file_name,) = entry["files"]
    graph = nx.read_adjlist(os.path.join(folder, file_name), nodetype=int)
    ids = np.array(sorted(graph.nodes()), dtype=np.int64)
    edges = np.array(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
    relabel = np.searchsorted(ids, edges)  # file id -> position among the sorted ids (1-based -> 0-based)
    return _static_data(relabel.T, ids.size, False)


_READERS = {"planetoid": _read_planetoid, "mat": _read_mat, "prone": _read_prone,
            "snap_temporal": _read_snap_temporal, "g2g_npz": _read_g2g, "hetero_npz": _read_hetero,
            "edgelist": _read_edgelist, "adjlist": _read_adjlist}


def load_dataset(name: str, root=None, verify: bool = True):
    """Load a shared dataset as PyG ``Data`` (static) or ``TemporalData`` (collegemsg).

    Parameters
    ----------
    name
        One of :func:`available_datasets` (``cora``, ``citeseer``, ``blogcatalog``, ``dblp``,
        ``karate``, ``gnutella``, ``collegemsg``, ``cora_ml``, ``polblogs``, ``tolokers``,
        ``squirrel_directed``, ``citeseer_directed``); case-insensitive.
    root
        Data folder; default ``$GRAPHSPARSE_DATA``, else ``../shared/datasets`` next to the checkout.
    verify
        Check sizes and sha256 of the files against the registry first (hashes are cached per
        file, so repeated loads are cheap); a mismatch raises :class:`DatasetChecksumError`.

    Returns
    -------
    Static: ``Data`` with ``edge_index`` (int64, coalesced; both directions for undirected
    graphs), ``num_nodes``, ``directed`` (bool), and where the dataset has them ``x`` (float32),
    ``y`` (int64 class ids; BlogCatalog: (N, 39) float32 multi-hot), ``train_mask``/``val_mask``/
    ``test_mask`` (bool, (N,) for the Planetoid public split, (N, 10) for the heterophilous-graphs
    fixed splits). Temporal: ``TemporalData`` with ``src``, ``dst`` (0-based), ``t`` (sorted,
    stable), ``num_nodes`` and ``node_ids`` (original id per node).
    """
    key = _check_name(name)
    entry = _registry()[key]
    folder = verify_dataset(key, root) if verify else find_dataset(key, root)
    try:
        data = _READERS[entry["format"]](folder, entry)
    except (zipfile.BadZipFile, EOFError, zlib.error, KeyError, IndexError, OverflowError) as err:
        raise ValueError(f"dataset {key!r}: unreadable or malformed file in {folder!r} ({type(err).__name__}: "
                         f"{err}); files: {', '.join(entry['files'])}") from None
    except OSError as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise ValueError(f"dataset {key!r}: unreadable file in {folder!r} ({err})") from None
    except Exception as err:
        if type(err).__name__ == "MatReadError":  # scipy.io's own error for a corrupt .mat file
            raise ValueError(f"dataset {key!r}: unreadable .mat file in {folder!r} ({err})") from None
        raise
    data.name = key
    return data


def load_graph(name: str, root=None, verify: bool = True) -> Graph:
    """The dataset as the backend's :class:`graphsparse.Graph` (temporal data: its distinct
    ``src -> dst`` pairs as a directed graph)."""
    data = load_dataset(name, root=root, verify=verify)
    entry = _registry()[_check_name(name)]
    if entry["temporal"]:
        edge_index = np.stack([data.src.numpy(), data.dst.numpy()])
        return as_graph(edge_index, num_nodes=data.num_nodes, directed=True, reduce="max")
    return as_graph(data.edge_index, num_nodes=data.num_nodes, directed=bool(entry["directed"]), reduce="max")
