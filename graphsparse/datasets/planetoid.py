"""Planetoid pickles read without running their code: a restricted unpickler and the PyG reader.

The Planetoid files (Yang, Cohen & Salakhutdinov, ICML 2016; ``ind.<name>.{x,tx,allx,y,ty,ally,
graph}``) are Python 2 pickles. ``pickle.load`` on such a file runs whatever callable the file
names, so a replaced ``ind.cora.x`` could run arbitrary code. Here:

1. :class:`RestrictedUnpickler` resolves only the exact globals those files hold
   (:data:`ALLOWED_GLOBALS`: NumPy's ``_reconstruct``/``ndarray``/``dtype``, SciPy's
   ``csr_matrix``, ``collections.defaultdict``, the builtin ``list``/``dict``/``set`` and
   ``_codecs.encode`` limited to latin1/utf-8/ascii, which Python 3 uses for bytes); any other
   name -- ``os.system``, ``builtins.eval``, ``subprocess.Popen`` ... -- raises
   :class:`UnsafePickleError` *before* it is looked up, so nothing runs. Names are mapped by a
   fixed table: no module is imported by name.
2. Even the allowed NumPy/SciPy names are not called: they resolve to stand-ins that only record
   their arguments and pickled state, so a hand-made state never reaches NumPy's or SciPy's own
   ``__setstate__``. Arrays are then built from the records after checks (numeric dtype codes
   only, no object arrays, ``prod(shape) * itemsize`` equal to the raw bytes); sparse matrices are
   rebuilt from their ``data``/``indices``/``indptr`` arrays with SciPy's full format check
   (index range, monotone ``indptr``); the graph must be a dict of integer ids to integer lists in
   range.
3. :func:`read_planetoid` assembles ``Data`` exactly as ``torch_geometric.io.read_planetoid_data``
   does (same ``x``, ``y``, coalesced ``edge_index`` without self-loops, public split masks,
   CiteSeer's zero-filled test ids) -- the loader tests compare the two on Cora and CiteSeer.

The restriction holds whatever ``load_dataset(..., verify=...)`` says: ``verify`` checks that the
files are the registry's, the unpickler makes even a foreign file harmless.
"""
from __future__ import annotations

import collections
import io
import os
import pickle

import numpy as np

__all__ = ["UnsafePickleError", "RestrictedUnpickler", "restricted_load", "read_planetoid", "ALLOWED_GLOBALS"]


class UnsafePickleError(ValueError):
    """A pickle names a global outside :data:`ALLOWED_GLOBALS` (it is refused, never looked up)."""


# NumPy and SciPy objects are never built by the unpickler: ``numpy.dtype``, ``_reconstruct`` and
# ``csr_matrix`` resolve to stand-ins that only RECORD their arguments and state (``__setstate__``),
# and :func:`_materialize` builds real arrays from those records after checking them (allowed dtype
# codes, shape x itemsize == raw bytes). A crafted state therefore never reaches NumPy's or SciPy's
# own ``__setstate__`` (which can be driven into internal errors by hand-made states).
_DTYPE_CODES = {"b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8"}
MAX_ARRAY_BYTES = 2**33


class _CallRecord:
    """What the pickle asked ``numpy.dtype(...)`` (kind 'dtype') or ``_reconstruct(...)`` ('array') for."""

    def __init__(self, kind, args):
        self.kind, self.args, self.state = kind, args, None

    def __setstate__(self, state):
        self.state = state


class _NDArrayMarker:
    """Stands for ``numpy.ndarray`` as the first argument of ``_reconstruct``."""


class _SparseRecord:
    fmt = "csr"

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2:  # (dict, slot state)
            state = state[0]
        self.state = state


class _CSCRecord(_SparseRecord):
    fmt = "csc"


def _record_reconstruct(*args):
    return _CallRecord("array", args)


def _record_dtype(*args):
    return _CallRecord("dtype", args)


def _dtype_of(record, where: str) -> np.dtype:
    if not isinstance(record, _CallRecord) or record.kind != "dtype" or not record.args or not isinstance(record.args[0], str):
        raise ValueError(f"{where}: malformed dtype in the pickle")
    code = record.args[0]
    if code not in _DTYPE_CODES:
        raise ValueError(f"{where}: dtype {code!r} is not a numeric type a Planetoid file holds "
                         f"(allowed: {sorted(_DTYPE_CODES)})")
    order = "|"
    if isinstance(record.state, tuple) and len(record.state) >= 2 and isinstance(record.state[1], str):
        order = record.state[1]
    if order not in ("<", ">", "|", "="):
        raise ValueError(f"{where}: malformed byte order {order!r} in the pickle")
    return np.dtype(code if order == "|" else order + code)


def _array_of(record, where: str) -> np.ndarray:
    """A real, owned ndarray from an array ``_CallRecord`` whose state was checked."""
    if not isinstance(record, _CallRecord) or record.kind != "array" or not record.args or record.args[0] is not _NDArrayMarker:
        raise ValueError(f"{where}: expected a NumPy array in the pickle, got {type(record).__name__}")
    state = record.state
    if not isinstance(state, tuple) or len(state) not in (4, 5):
        raise ValueError(f"{where}: malformed array state in the pickle")
    shape, dtype_record, fortran, raw = state[-4:]
    if not isinstance(shape, tuple) or len(shape) > 3 or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2**40 for d in shape):
        raise ValueError(f"{where}: malformed array shape {shape!r} in the pickle")
    dtype = _dtype_of(dtype_record, where)
    if isinstance(raw, str):  # Python 2 str, decoded as latin1 by the unpickler
        raw = raw.encode("latin1")
    if not isinstance(raw, (bytes, bytearray)):
        raise ValueError(f"{where}: array data must be raw bytes (object arrays are refused)")
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if count * dtype.itemsize != len(raw) or len(raw) > MAX_ARRAY_BYTES:
        raise ValueError(f"{where}: array of shape {shape} and dtype {dtype} needs {count * dtype.itemsize} bytes, "
                         f"the pickle holds {len(raw)}")
    array = np.frombuffer(bytes(raw), dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return np.array(array, dtype=dtype.newbyteorder("="), order="C")  # owned, native byte order


def _sparse_of(record, where: str):
    import scipy.sparse as sp

    state = record.state
    if not isinstance(state, dict):
        raise ValueError(f"{where}: malformed sparse matrix state in the pickle")
    shape = state.get("_shape", state.get("shape"))
    if not (isinstance(shape, tuple) and len(shape) == 2 and all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)):
        raise ValueError(f"{where}: malformed sparse matrix (shape must be a 2-tuple of non-negative ints)")
    data, indices, indptr = (_array_of(state.get(key), f"{where} ({key})") for key in ("data", "indices", "indptr"))
    if data.dtype.kind == "f" and data.size and not np.isfinite(data).all():
        raise ValueError(f"{where}: matrix data holds NaN or inf")
    for part, what in ((indices, "indices"), (indptr, "indptr")):
        if part.dtype.kind not in "iu" or part.ndim != 1:
            raise ValueError(f"{where}: sparse {what} must be a 1-D integer array, got {part.dtype} {part.shape}")
    cls = sp.csr_matrix if record.fmt == "csr" else sp.csc_matrix
    try:
        matrix = cls((data, indices, indptr), shape=shape)
        matrix.check_format(full_check=True)
    except (ValueError, TypeError, IndexError, OverflowError) as err:
        raise ValueError(f"{where}: malformed sparse matrix ({err})") from None
    return matrix


def _materialize(obj, where: str):
    """Turn the records left by the unpickler into checked NumPy/SciPy objects (top level only)."""
    if isinstance(obj, _CallRecord) and obj.kind == "array":
        return _array_of(obj, where)
    if isinstance(obj, _SparseRecord):
        return _sparse_of(obj, where)
    if isinstance(obj, (_CallRecord, type)):
        raise ValueError(f"{where}: the pickle holds a bare {type(obj).__name__}, not data")
    return obj


def _codecs_encode():
    import codecs

    def encode(text, encoding="utf-8"):
        if encoding not in ("latin1", "latin-1", "utf-8", "ascii") or not isinstance(text, str):
            raise UnsafePickleError(f"refusing _codecs.encode with encoding {encoding!r}")
        return codecs.encode(text, encoding)

    return encode


# (module, name) as written in the pickle (Python 2 and 3 spellings) -> a zero-argument resolver.
_SPELLINGS = (
    (_record_reconstruct, [("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")]),
    (_NDArrayMarker, [("numpy", "ndarray")]),
    (_record_dtype, [("numpy", "dtype")]),
    (_SparseRecord, [("scipy.sparse.csr", "csr_matrix"), ("scipy.sparse._csr", "csr_matrix"),
                     ("scipy.sparse", "csr_matrix")]),
    (_CSCRecord, [("scipy.sparse.csc", "csc_matrix"), ("scipy.sparse._csc", "csc_matrix"),
                  ("scipy.sparse", "csc_matrix")]),
    (collections.defaultdict, [("collections", "defaultdict")]),
    (list, [("__builtin__", "list"), ("builtins", "list")]),
    (dict, [("__builtin__", "dict"), ("builtins", "dict")]),
    (set, [("__builtin__", "set"), ("builtins", "set")]),
)
ALLOWED_GLOBALS = {key: (lambda obj=obj: obj) for obj, keys in _SPELLINGS for key in keys}
# Python 3 writes bytes at protocol 2 as _codecs.encode(str, 'latin1') (a pure function)
ALLOWED_GLOBALS[("_codecs", "encode")] = _codecs_encode


class RestrictedUnpickler(pickle._Unpickler):
    """Unpickler that resolves only :data:`ALLOWED_GLOBALS` (``UnsafePickleError`` otherwise).

    It subclasses the pure-Python ``pickle._Unpickler`` (not the C accelerator): corrupted streams
    then only ever raise Python exceptions (the files are small; speed does not matter here).

    Parameters
    ----------
    file : binary file object
        The pickle stream.
    source : str
        Name used in error messages (the file path).
    """

    def __init__(self, file, *, source: str = "<pickle>"):
        super().__init__(file, encoding="latin1", fix_imports=False)
        self.source = source

    def find_class(self, module, name):  # noqa: D401 - pickle API
        resolver = ALLOWED_GLOBALS.get((module, name))
        if resolver is None:
            raise UnsafePickleError(
                f"{self.source}: refusing to unpickle global {module}.{name} -- Planetoid files hold only "
                "NumPy arrays, SciPy CSR matrices and a dict of lists; this file may be malicious or not a "
                "Planetoid file (nothing from it was run)")
        return resolver()

    def persistent_load(self, pid):  # noqa: D401 - pickle API
        raise UnsafePickleError(f"{self.source}: refusing a pickle with persistent ids")


def restricted_load(path: str):
    """Unpickle ``path`` with :class:`RestrictedUnpickler`; malformed streams raise ``ValueError``."""
    with open(path, "rb") as handle:
        payload = handle.read()
    try:
        obj = RestrictedUnpickler(io.BytesIO(payload), source=path).load()
    except UnsafePickleError:
        raise
    except Exception as err:  # noqa: BLE001 - the pure-Python unpickler raises many kinds on corrupt input
        raise ValueError(f"{path}: not a readable Planetoid pickle ({type(err).__name__}: {err})") from None
    return _materialize(obj, path)


def _numeric_array(value, path: str, what: str) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise ValueError(f"{path}: expected {what} as a NumPy array, got {type(value).__name__}")
    if value.dtype.kind not in "biuf":
        raise ValueError(f"{path}: expected a numeric {what}, got dtype {value.dtype}")
    if value.dtype.kind == "f" and value.size and not np.isfinite(value).all():
        raise ValueError(f"{path}: {what} holds NaN or inf")
    return value


def _as_dense_matrix(obj, path: str) -> np.ndarray:
    """A feature/label matrix from the pickle as a dense float32 array, its sparse format re-checked."""
    import scipy.sparse as sp

    if isinstance(obj, (sp.csr_matrix, sp.csc_matrix)):
        state = vars(obj)
        parts = [state.get(key) for key in ("data", "indices", "indptr")]
        shape = state.get("_shape")
        if not all(isinstance(p, np.ndarray) for p in parts) or not (
                isinstance(shape, tuple) and len(shape) == 2 and all(isinstance(s, int) and s >= 0 for s in shape)):
            raise ValueError(f"{path}: malformed sparse matrix (data/indices/indptr arrays and a 2-tuple shape "
                             "of non-negative ints expected)")
        data = _numeric_array(parts[0], path, "matrix data")
        for part, what in ((parts[1], "indices"), (parts[2], "indptr")):
            if part.dtype.kind not in "iu" or part.ndim != 1:
                raise ValueError(f"{path}: sparse {what} must be a 1-D integer array, got {part.dtype} {part.shape}")
        cls = sp.csr_matrix if isinstance(obj, sp.csr_matrix) else sp.csc_matrix
        try:
            matrix = cls((data, parts[1], parts[2]), shape=shape, copy=False)
            matrix.check_format(full_check=True)
        except (ValueError, TypeError, IndexError) as err:
            raise ValueError(f"{path}: malformed sparse matrix ({err})") from None
        if shape[0] * shape[1] > 2**31:
            raise ValueError(f"{path}: a {shape[0]} x {shape[1]} feature matrix is too large to densify")
        return np.asarray(matrix.todense(), dtype=np.float32)
    array = _numeric_array(obj, path, "matrix")
    if array.ndim != 2:
        raise ValueError(f"{path}: expected a 2-D matrix, got shape {array.shape}")
    return np.asarray(array, dtype=np.float32)


def _as_graph_dict(obj, path: str) -> dict:
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a dict of node id -> neighbour list, got {type(obj).__name__}")
    for key, value in obj.items():
        if isinstance(key, bool) or not isinstance(key, int) or not isinstance(value, (list, tuple)) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ValueError(f"{path}: expected a dict of int node id -> list of int ids, found key {key!r} "
                             f"with a {type(value).__name__}")
    return obj


def _read_test_index(path: str) -> np.ndarray:
    try:
        index = np.loadtxt(path, dtype=np.int64, ndmin=1)
    except ValueError as err:
        raise ValueError(f"{path}: expected one integer node id per line ({err})") from None
    if index.ndim != 1 or index.size == 0:
        raise ValueError(f"{path}: expected a non-empty column of integer node ids, got shape {index.shape}")
    return index


def read_planetoid(folder: str, prefix: str):
    """Planetoid ``ind.<prefix>.*`` files -> PyG ``Data`` (same result as PyG's reader, no code run).

    Parameters
    ----------
    folder : str
        Folder holding ``ind.<prefix>.{x,tx,allx,y,ty,ally,graph,test.index}``.
    prefix : str
        ``cora``, ``citeseer`` or ``pubmed`` (case-insensitive).

    Returns
    -------
    torch_geometric.data.Data
        ``x`` (float32), ``y`` (int64), ``edge_index`` (coalesced, no self-loops), ``train_mask``,
        ``val_mask`` (the 500 ids after the training ids), ``test_mask``.

    Raises
    ------
    UnsafePickleError
        A file names a global outside :data:`ALLOWED_GLOBALS` (nothing was run).
    ValueError
        A file is truncated, holds the wrong types or shapes, or ids out of range.

    Examples
    --------
    >>> from graphsparse.datasets.planetoid import read_planetoid   # doctest: +SKIP
    >>> data = read_planetoid("data/cora_planetoid", "cora")         # doctest: +SKIP
    """
    import torch
    from torch_geometric.data import Data
    from torch_geometric.utils import coalesce, remove_self_loops

    prefix = prefix.lower()

    def path_of(name):
        return os.path.join(folder, f"ind.{prefix}.{name}")

    matrices = {}
    for name in ("x", "tx", "allx", "y", "ty", "ally"):
        matrices[name] = _as_dense_matrix(restricted_load(path_of(name)), path_of(name))
    graph = _as_graph_dict(restricted_load(path_of("graph")), path_of("graph"))
    test_index = _read_test_index(path_of("test.index"))
    x, tx, allx = (torch.from_numpy(matrices[k]) for k in ("x", "tx", "allx"))
    y, ty, ally = (torch.from_numpy(matrices[k]) for k in ("y", "ty", "ally"))
    for features, labels, name in ((x, y, "x/y"), (tx, ty, "tx/ty"), (allx, ally, "allx/ally")):
        if features.shape[0] != labels.shape[0]:
            raise ValueError(f"{path_of(name.split('/')[0])}: {features.shape[0]} feature rows but "
                             f"{labels.shape[0]} label rows in ind.{prefix}.{name.split('/')[1]}")
    if not (x.shape[1] == tx.shape[1] == allx.shape[1]) or not (y.shape[1] == ty.shape[1] == ally.shape[1]):
        raise ValueError(f"{folder}: ind.{prefix}.x/tx/allx (or y/ty/ally) disagree in their number of columns")
    test_index = torch.from_numpy(test_index)
    sorted_test_index = test_index.sort()[0]
    low, high = int(test_index.min()), int(test_index.max())
    if prefix == "citeseer":  # isolated test ids: zero rows in tx/ty (as PyG and GCN do)
        span = high - low + 1
        if low < 0 or span < tx.shape[0] or len(set(test_index.tolist())) != tx.shape[0]:
            raise ValueError(f"{path_of('test.index')}: {test_index.numel()} ids in [{low}, {high}] do not match "
                             f"the {tx.shape[0]} rows of ind.{prefix}.tx")
        tx_ext = torch.zeros(span, tx.size(1), dtype=tx.dtype)
        tx_ext[sorted_test_index - low, :] = tx
        ty_ext = torch.zeros(span, ty.size(1), dtype=ty.dtype)
        ty_ext[sorted_test_index - low, :] = ty
        tx, ty = tx_ext, ty_ext
    features = torch.cat([allx, tx], dim=0)
    labels = torch.cat([ally, ty], dim=0)
    num_nodes = int(features.shape[0])
    if test_index.numel() != int(ty.shape[0]) and prefix != "citeseer":
        raise ValueError(f"{path_of('test.index')}: {test_index.numel()} ids but {ty.shape[0]} rows in "
                         f"ind.{prefix}.ty")
    if low < 0 or high >= num_nodes:
        raise ValueError(f"{path_of('test.index')}: ids must lie in [0, {num_nodes}), got [{low}, {high}]")
    if labels.shape[1] == 0:
        raise ValueError(f"ind.{prefix}.ally/ty: no label columns")
    if y.shape[0] + 500 > num_nodes:
        raise ValueError(f"ind.{prefix}.y: {y.shape[0]} training rows + 500 validation ids exceed {num_nodes} nodes")
    features[test_index] = features[sorted_test_index]
    labels = labels.max(dim=1)[1]
    labels[test_index] = labels[sorted_test_index]

    rows, cols = [], []
    for key, value in graph.items():
        rows.extend([key] * len(value))
        cols.extend(value)
    try:
        edge_index = torch.from_numpy(np.array([rows, cols], dtype=np.int64).reshape(2, -1))
    except OverflowError:
        raise ValueError(f"{path_of('graph')}: node ids must lie in [0, {num_nodes})") from None
    if edge_index.numel() and (int(edge_index.min()) < 0 or int(edge_index.max()) >= num_nodes):
        raise ValueError(f"{path_of('graph')}: node ids must lie in [0, {num_nodes}), got "
                         f"[{int(edge_index.min())}, {int(edge_index.max())}]")
    edge_index, _ = remove_self_loops(edge_index)
    edge_index = coalesce(edge_index, num_nodes=num_nodes, sort_by_row=False)

    masks = {}
    for split, index in (("train", torch.arange(y.shape[0])), ("val", torch.arange(y.shape[0], y.shape[0] + 500)),
                         ("test", test_index)):
        mask = torch.zeros(num_nodes, dtype=torch.bool)
        mask[index] = True
        masks[f"{split}_mask"] = mask
    return Data(x=features, edge_index=edge_index, y=labels, **masks)
