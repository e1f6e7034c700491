"""Readers for graph files on disk: edge lists, temporal event files, node labels, ``.npz`` bundles.

Every reader is vectorised (pandas' C parser, NumPy), validates what it reads once, and names the
file and line of the first problem in a ``ValueError`` (ragged rows, non-numeric ids where numbers
are expected, NaN weights or times, an empty file, a truncated ``.gz``, missing columns). Nothing is
unpickled.

* :func:`read_edge_list` -- CSV/TSV/space separated, ``.gz``, optional header, columns by name or
  position, optional weight and time columns -> :class:`GraphFile` (a :class:`graphsparse.Graph`
  plus the :class:`NodeMapping` from the file's ids to node numbers).
* :func:`read_temporal` -- SNAP ``src dst t``, DyGLib ``ml_*.csv`` (``,u,i,ts,label,idx``), JODIE
  CSV (``user_id,item_id,timestamp,state_label,features...``) -> :class:`TemporalFile` holding a
  time-sorted :class:`graphsparse.temporal.TemporalEdges`.
* :func:`read_node_labels` -- one label per line, ``node label`` pairs (several lines per node =
  multi-label), or community files (one line per label listing its nodes) -> :class:`NodeLabels`.
* :func:`read_npz` -- ``Graph.save`` files, SciPy ``save_npz`` matrices, yandex-style bundles
  (``edges``, ``node_features``, ``node_labels``, ``train_masks``/``val_masks``/``test_masks``) and
  PyG-style ones (``edge_index``, ``x``, ``y``, ``train_mask``...) -> :class:`GraphFile`.
* :func:`read_graph` -- ``.npz`` or edge list by file name; :func:`read_features`,
  :func:`read_masks` for the side files of node classification.

Node ids (``ids=``): ``"zero"`` -- integers used as node numbers; ``"one"`` -- 1-based integers
(node = id - 1); ``"relabel"`` -- the distinct ids (integers or any strings) sorted and numbered
``0..n-1``; ``"auto"`` (default) -- ``"zero"`` when the smallest id is 0, ``"one"`` when it is 1,
and ``"relabel"`` for string labels or ids that are negative or far sparser than their count
(``max id + 1 > 10 x distinct ids + 10**6``). The mapping (``GraphFile.mapping``) turns node numbers
back into the file's ids (``mapping.labels[i]``) and file ids into node numbers
(``mapping.index(ids)``). Non-integral numeric ids (``0.5``) are refused.
"""
from __future__ import annotations

import gzip
import os
import warnings
import zipfile
from dataclasses import dataclass, field

import numpy as np

__all__ = ["NodeMapping", "GraphFile", "TemporalFile", "NodeLabels", "read_edge_list", "read_temporal",
           "read_node_labels", "read_npz", "read_graph", "read_features", "read_masks", "ID_SCHEMES"]

ID_SCHEMES = ("auto", "zero", "one", "relabel")
_SPARSE_IDS_FACTOR, _SPARSE_IDS_SLACK = 10, 1_000_000


# ------------------------------------------------------------------------------ results
@dataclass
class NodeMapping:
    """Node numbers <-> the ids of the file.

    Attributes
    ----------
    labels : ndarray of shape (num_nodes,)
        ``labels[i]`` is the file's id of node ``i`` (int64 for numeric ids, str for labels).
    scheme : {"zero", "one", "relabel"}
        How the ids were read (module docstring).

    Examples
    --------
    >>> import os, tempfile
    >>> from graphsparse.io import read_edge_list
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "edges.txt")
    ...     _ = open(path, "w").write("1 2\\n2 3\\n")
    ...     mapping = read_edge_list(path).mapping
    >>> mapping.scheme, mapping.labels.tolist(), len(mapping)  # 1-based ids shifted
    ('one', [1, 2, 3], 3)
    """

    labels: np.ndarray
    scheme: str

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def is_identity(self) -> bool:
        """True when node ``i`` is id ``i`` of the file."""
        return self.scheme == "zero"

    def index(self, ids, name: str = "ids") -> np.ndarray:
        """Node numbers (int64) of file ids; ``ValueError`` naming an id that is not a node."""
        ids = np.asarray(ids)
        if self.scheme in ("zero", "one"):
            values = _integral(ids, name)
            nodes = values - (1 if self.scheme == "one" else 0)
            bad = (nodes < 0) | (nodes >= len(self.labels))
            if bad.any():
                raise ValueError(f"{name}: id {str(ids.reshape(-1)[np.flatnonzero(bad.reshape(-1))[0]])!r} is not a "
                                 f"node of the graph ({len(self.labels)} nodes, {self.scheme}-based ids)")
            return nodes.astype(np.int64)
        keys = ids.astype(self.labels.dtype) if self.labels.dtype.kind in "iu" and ids.dtype.kind in "iuf" else ids
        if self.labels.dtype.kind in "iu" and keys.dtype.kind not in "iu":
            keys = _integral(ids, name)
        if self.labels.dtype.kind not in "iu":
            keys = keys.astype(str)
        pos = np.searchsorted(self.labels, keys)
        pos_clipped = np.minimum(pos, len(self.labels) - 1)
        bad = (pos >= len(self.labels)) | (self.labels[pos_clipped] != keys)
        if np.any(bad):
            raise ValueError(f"{name}: id {str(keys.reshape(-1)[np.flatnonzero(np.reshape(bad, -1))[0]])!r} is not a "
                             "node of the graph")
        return pos.astype(np.int64)

    def save(self, path) -> None:
        """Write the ids, one per line (line ``i`` = the file id of node ``i``)."""
        with open(path, "w") as handle:
            handle.write("\n".join(str(v) for v in self.labels.tolist()))
            handle.write("\n")


@dataclass
class GraphFile:
    """What :func:`read_edge_list` / :func:`read_npz` return.

    Attributes
    ----------
    graph : graphsparse.Graph
        The graph (duplicate edges summed, as :func:`graphsparse.as_graph`).
    mapping : NodeMapping
        Node numbers <-> the file's ids.
    edge_index : numpy.ndarray or None
        ``(2, E)`` node numbers of the edges in file order (edge lists).
    edge_weight, edge_time : numpy.ndarray or None
        The weight / time column in file order, when read.
    x, y, train_mask, val_mask, test_mask : numpy.ndarray or None
        Node features, labels and split masks (``.npz`` bundles; masks are ``(n,)`` or
        ``(n, splits)`` booleans).
    notes : list of str
        What the reader decided for you (1-based ids shifted, labels relabelled, ...).
    path : str
        The file read.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from graphsparse.io import read_npz
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "g.npz")
    ...     np.savez(path, edge_index=np.array([[0, 1, 2], [1, 2, 0]]), x=np.ones((3, 4), np.float32),
    ...              y=np.array([0, 1, 0]), train_mask=np.array([True, True, False]))
    ...     gf = read_npz(path)
    >>> gf.graph.num_edges, gf.x.shape, gf.y.tolist(), gf.train_mask.tolist(), gf.val_mask
    (3, (3, 4), [0, 1, 0], [True, True, False], None)
    >>> data = gf.to_data()  # a PyG Data with the same arrays as tensors
    >>> data.num_nodes, tuple(data.x.shape)
    (3, (3, 4))
    """

    graph: object
    mapping: NodeMapping
    path: str = ""
    edge_index: np.ndarray | None = None
    edge_weight: np.ndarray | None = None
    edge_time: np.ndarray | None = None
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    train_mask: np.ndarray | None = None
    val_mask: np.ndarray | None = None
    test_mask: np.ndarray | None = None
    notes: list = field(default_factory=list)

    @property
    def num_nodes(self) -> int:
        return self.graph.num_nodes

    def to_data(self):
        """A PyG ``Data`` (``edge_index``, ``edge_weight`` when weighted, ``x``, ``y``, masks)."""
        import torch
        from torch_geometric.data import Data

        g = self.graph
        edge_index = torch.from_numpy(np.stack([g.sources(), g.indices.astype(np.int64)]))
        data = Data(edge_index=edge_index, num_nodes=g.num_nodes)
        if g.weights is not None:
            data.edge_weight = torch.from_numpy(g.weights.copy())
        if self.x is not None:
            data.x = torch.from_numpy(np.ascontiguousarray(self.x, dtype=np.float32))
        if self.y is not None:
            data.y = torch.from_numpy(np.ascontiguousarray(self.y))
        for name in ("train_mask", "val_mask", "test_mask"):
            mask = getattr(self, name)
            if mask is not None:
                setattr(data, name, torch.from_numpy(np.ascontiguousarray(mask, dtype=bool)))
        return data


@dataclass
class TemporalFile:
    """What :func:`read_temporal` returns: time-sorted ``edges`` plus the id mapping.

    Attributes
    ----------
    edges : graphsparse.temporal.TemporalEdges
        The events, time-sorted, times relative to the first event.
    mapping : NodeMapping
        Node numbers <-> the file's ids.
    path : str
        The file read.
    t0 : float
        The first raw time.
    labels : ndarray of shape (E,) or None
        The per-event label column (sorted order) when the file has one.
    notes : list of str
        What the reader decided (sorting, id schemes).

    Examples
    --------
    >>> import os, tempfile, warnings
    >>> from graphsparse.io import read_temporal
    >>> with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings(record=True) as caught:
    ...     path = os.path.join(folder, "events.txt")
    ...     _ = open(path, "w").write("0 1 120\\n1 2 100\\n")
    ...     tf = read_temporal(path)
    >>> len(caught), len(tf.notes) > 0  # unsorted times: sorted, with a warning and a note
    (1, True)
    >>> tf.t0, tf.edges.t.tolist(), tf.edges.edge_ids.tolist()  # sorted; file positions kept
    (100.0, [0.0, 20.0], [1, 0])
    """

    edges: object
    mapping: NodeMapping
    path: str = ""
    t0: float = 0.0
    labels: np.ndarray | None = None
    notes: list = field(default_factory=list)


@dataclass
class NodeLabels:
    """What :func:`read_node_labels` returns.

    Attributes
    ----------
    y : int64 ndarray of shape (n,) or uint8 ndarray of shape (n, num_classes)
        Class numbers (``-1`` = unlabelled) for single-label files, or a multi-hot matrix for
        multi-label ones.
    classes : ndarray of shape (num_classes,)
        ``classes[c]`` is the file's name of class ``c``.
    multilabel : bool
        Which of the two layouts ``y`` has.
    path : str
        The file read.
    notes : list of str
        What the reader decided.

    Examples
    --------
    >>> import os, tempfile
    >>> from graphsparse.io import read_node_labels
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "labels.txt")
    ...     _ = open(path, "w").write("0 red\\n0 blue\\n2 blue\\n")
    ...     labels = read_node_labels(path, num_nodes=4)
    >>> labels.multilabel, labels.y.shape, labels.classes.tolist()
    (True, (4, 2), ['blue', 'red'])
    >>> labels.labelled.tolist()
    [True, False, True, False]
    """

    y: np.ndarray
    classes: np.ndarray
    multilabel: bool
    path: str = ""
    notes: list = field(default_factory=list)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def labelled(self) -> np.ndarray:
        """Boolean mask of the nodes with at least one label."""
        return self.y.any(axis=1) if self.multilabel else self.y >= 0


# ------------------------------------------------------------------------------ text helpers
def _path(path, name: str = "path") -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file path, got {type(path).__name__}")
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(f"{path}: is a folder, not a file")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    return path


def _open_text(path):
    if path.endswith(".gz"):
        return gzip.open(path, "rt", errors="replace")
    return open(path, errors="replace")


def _data_lines(path, comment: str | None = "#", limit: int | None = None):
    """``(line number, text)`` of the non-blank, non-comment lines (a slow path: errors, sniffing)."""
    found = 0
    try:
        with _open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                body = line.split(comment, 1)[0] if comment else line
                if body.strip():
                    yield number, body.rstrip("\r\n")
                    found += 1
                    if limit is not None and found >= limit:
                        return
    except (EOFError, OSError, zlib_error()) as err:
        raise ValueError(f"{path}: truncated or corrupt compressed file ({err})") from None


def zlib_error():
    import zlib

    return zlib.error


def _split(line: str, sep: str | None) -> list[str]:
    return line.split() if sep is None else [token.strip() for token in line.split(sep)]


def _sniff_sep(path, first: str, sep):
    if sep not in (None, "auto"):
        return None if sep in (" ", r"\s+", "whitespace") else sep
    base = path[:-3] if path.endswith(".gz") else path
    if base.endswith(".csv"):
        return ","
    if base.endswith(".tsv"):
        return "\t"
    if "," in first:
        return ","
    if "\t" in first and len(first.split("\t")) > 1 and " " not in first.strip():
        return "\t"
    return None


def _is_number(token: str) -> bool:
    try:
        float(token)
        return True
    except ValueError:
        return False


def _line_of_row(path, row: int, comment, header: bool) -> int:
    """File line number of data row ``row`` (0-based, after the header)."""
    target = row + (1 if header else 0)
    for index, (number, _) in enumerate(_data_lines(path, comment)):
        if index == target:
            return number
    return -1


def _first_ragged(path, comment, sep, header: bool):
    """``(line, fields, expected, expected line)`` of the first row whose field count differs."""
    expected = expected_line = None
    for index, (number, line) in enumerate(_data_lines(path, comment)):
        count = len(_split(line, sep))
        if index == 0 and header:
            continue
        if expected is None:
            expected, expected_line = count, number
        elif count != expected:
            return number, count, expected, expected_line
    return None


def _read_table(path, *, sep, header: bool, comment, skiprows: int = 0, names=None):
    """DataFrame of a delimited file (pandas' C parser; every error names the file and line)."""
    import pandas as pd

    kwargs = dict(header=0 if header else None, comment=comment, skip_blank_lines=True, skipinitialspace=True,
                  compression="infer", skiprows=skiprows or None, names=names, low_memory=False,
                  keep_default_na=False, na_values=["nan", "NaN", "NA", ""])
    if sep is None:
        kwargs["sep"] = r"\s+"
    else:
        kwargs["sep"] = sep
    try:
        frame = pd.read_csv(path, **kwargs)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: the file is empty (no data lines)") from None
    except pd.errors.ParserError as err:
        ragged = _first_ragged(path, comment, sep, header and not skiprows)
        if ragged:
            line, count, expected, expected_line = ragged
            raise ValueError(f"{path}, line {line}: {count} fields where line {expected_line} has {expected} "
                             "(ragged rows)") from None
        raise ValueError(f"{path}: cannot parse ({str(err).strip()})") from None
    except (EOFError, OSError, zlib_error()) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise ValueError(f"{path}: truncated or corrupt compressed file ({err})") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not a text file ({err.reason})") from None
    if len(frame) == 0:
        raise ValueError(f"{path}: the file has no data lines")
    if frame.isna().to_numpy().any():
        # a short row (pandas pads it with NaN) or a literal NaN: say which
        row = int(np.flatnonzero(frame.isna().to_numpy().any(axis=1))[0])
        ragged = _first_ragged(path, comment, sep, header and not skiprows)
        if ragged:
            line, count, expected, expected_line = ragged
            raise ValueError(f"{path}, line {line}: {count} fields where line {expected_line} has {expected} "
                             "(ragged rows)")
        position = int(np.flatnonzero(frame.iloc[row].isna().to_numpy())[0])
        column = frame.columns[position]
        name = repr(str(column)) if header else str(position)
        line = _line_of_row(path, row + skiprows, comment, header)
        raise ValueError(f"{path}, line {line}: missing or NaN value in column {name}")
    return frame


def _select(frame, column, role: str, path):
    """One column by name or position."""
    if isinstance(column, (int, np.integer)) and not isinstance(column, bool):
        if not 0 <= column < frame.shape[1]:
            raise ValueError(f"{path}: {role} column {column} does not exist (the file has {frame.shape[1]} columns)")
        return frame.iloc[:, int(column)]
    if isinstance(column, str):
        if column not in frame.columns:
            raise ValueError(f"{path}: no {role} column {column!r} in the header {[str(c) for c in frame.columns]}")
        return frame[column]
    raise TypeError(f"{role} must be a column name (str) or position (int), got {type(column).__name__}")


def _numeric(series, role: str, path, comment, header, skiprows=0, *, integral=False) -> np.ndarray:
    """A float64 (or int64 with ``integral``) array; the first bad value's line in the error."""
    import pandas as pd

    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        line = _line_of_row(path, row + skiprows, comment, header)
        what = "not a number" if np.isnan(values[row]) and not _is_number(str(series.iloc[row])) else "not finite"
        raise ValueError(f"{path}, line {line}: {role} {str(series.iloc[row])!r} is {what}")
    if integral:
        frac = values != np.round(values)
        if frac.any():
            row = int(np.flatnonzero(frac)[0])
            line = _line_of_row(path, row + skiprows, comment, header)
            raise ValueError(f"{path}, line {line}: {role} {str(series.iloc[row])!r} is not an integer "
                             "(node ids must be integers or non-numeric labels)")
        if np.abs(values).max(initial=0) >= 2.0**62:
            row = int(np.argmax(np.abs(values)))
            line = _line_of_row(path, row + skiprows, comment, header)
            raise ValueError(f"{path}, line {line}: {role} {str(series.iloc[row])!r} is too large")
        return values.astype(np.int64)
    return values


def _integral(values, name: str) -> np.ndarray:
    values = np.asarray(values)
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    try:
        floats = values.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: ids must be integers for this mapping, got {values.reshape(-1)[:3].tolist()}") from None
    if not np.all(np.isfinite(floats)) or np.any(floats != np.round(floats)):
        raise ValueError(f"{name}: ids must be integers, got {values.reshape(-1)[:3].tolist()}")
    return floats.astype(np.int64)


def _map_ids(columns, roles, ids: str, path, comment, header, skiprows=0):
    """Node numbers for the id columns (Series) and the :class:`NodeMapping`; notes."""
    import pandas as pd

    if ids not in ID_SCHEMES:
        raise ValueError(f"ids must be one of {ID_SCHEMES}, got {ids!r}")
    notes = []
    numeric = all(pd.api.types.is_numeric_dtype(c) for c in columns)
    if not numeric:
        # some token is not a number: labels -- unless numbers were required, or a float id hides in them
        if ids in ("zero", "one"):
            for column, role in zip(columns, roles):
                _numeric(column, role, path, comment, header, skiprows, integral=True)
        as_numbers = [pd.to_numeric(c, errors="coerce").to_numpy(dtype=np.float64) for c in columns]
        for values, column, role in zip(as_numbers, columns, roles):
            frac = np.isfinite(values) & (values != np.round(values))
            if frac.any():
                row = int(np.flatnonzero(frac)[0])
                line = _line_of_row(path, row + skiprows, comment, header)
                raise ValueError(f"{path}, line {line}: {role} {str(column.iloc[row])!r} is not an integer "
                                 "(node ids must be integers or non-numeric labels)")
        tokens = np.concatenate([c.astype(str).to_numpy() for c in columns])
        codes, uniques = pd.factorize(tokens, sort=True)
        labels = np.asarray(uniques, dtype=str)
        notes.append(f"node labels relabelled to 0..{len(labels) - 1} in sorted order (mapping returned)")
        split = np.cumsum([len(c) for c in columns])[:-1]
        return np.split(codes.astype(np.int64), split), NodeMapping(labels, "relabel"), notes
    values = [_numeric(c, role, path, comment, header, skiprows, integral=True) for c, role in zip(columns, roles)]
    allv = np.concatenate(values)
    low, high = int(allv.min()), int(allv.max())
    scheme = ids
    if ids == "auto":
        sparse = _too_sparse(allv, high + 1 - min(low, 1))
        if low in (0, 1) and not sparse:
            scheme = "zero" if low == 0 else "one"
            if low == 1:
                notes.append("ids start at 1: read as 1-based (node = id - 1); pass ids='zero' to keep them")
        else:
            scheme = "relabel"
            why = "negative ids" if low < 0 else ("ids far sparser than their count" if sparse else
                                                  f"ids start at {low}")
            notes.append(f"{why}: relabelled to 0..n-1 in sorted order (mapping returned)")
    if scheme in ("zero", "one"):
        offset = 1 if scheme == "one" else 0
        if low < offset:
            column, role, row = _locate(values, columns, roles, lambda v: v < offset)
            line = _line_of_row(path, row + skiprows, comment, header)
            raise ValueError(f"{path}, line {line}: {role} {str(column.iloc[row])!r} is below {offset}, the smallest "
                             f"{scheme}-based id")
        num_nodes = high + 1 - offset
        if _too_sparse(allv, num_nodes):
            distinct = len(np.unique(allv))
            column, role, row = _locate(values, columns, roles, lambda v: v == high)
            line = _line_of_row(path, row + skiprows, comment, header)
            raise ValueError(f"{path}, line {line}: {role} {str(column.iloc[row])!r} would make a graph of {num_nodes:,} "
                             f"nodes for {distinct:,} distinct ids; use ids='relabel' (--ids relabel) to number "
                             "them 0..n-1")
        mapping = NodeMapping(np.arange(offset, num_nodes + offset, dtype=np.int64), scheme)
        return [v - offset for v in values], mapping, notes
    labels, codes = np.unique(allv, return_inverse=True)
    split = np.cumsum([len(v) for v in values])[:-1]
    return np.split(codes.astype(np.int64).reshape(-1), split), NodeMapping(labels.astype(np.int64), "relabel"), notes


def _too_sparse(ids: np.ndarray, num_nodes: int) -> bool:
    """Would numbering nodes by id make a graph far larger than its distinct ids (or beyond int32)?"""
    if num_nodes >= 2**31 - 1:
        return True
    if num_nodes <= _SPARSE_IDS_SLACK:
        return False
    return num_nodes > _SPARSE_IDS_FACTOR * len(np.unique(ids)) + _SPARSE_IDS_SLACK


def _locate(values, columns, roles, predicate):
    for v, column, role in zip(values, columns, roles):
        hit = np.flatnonzero(predicate(v))
        if len(hit):
            return column, role, int(hit[0])
    raise AssertionError("no value matched")  # pragma: no cover


# words that make an all-text first line a header even when the ids are text labels too
_HEADER_WORDS = {"src", "dst", "source", "target", "from", "to", "u", "v", "i", "j", "node", "node1", "node2",
                 "id", "id1", "id2", "head", "tail", "weight", "w", "time", "t", "ts", "timestamp", "user", "item",
                 "user_id", "item_id", "label", "sender", "receiver"}


def _resolve_header(path, header, comment, sep, named_columns: bool):
    lines = list(_data_lines(path, comment, limit=2))
    if not lines:
        raise ValueError(f"{path}: the file is empty (no data lines)")
    sep = _sniff_sep(path, lines[0][1], sep)
    if header in (True, False):
        return bool(header), sep, lines
    if header not in (None, "auto", "infer"):
        raise ValueError(f"header must be True, False or 'auto', got {header!r}")
    if named_columns:
        return True, sep, lines
    first = _split(lines[0][1], sep)
    if len(lines) < 2:
        return False, sep, lines
    second = _split(lines[1][1], sep)
    first_numeric = [_is_number(t) for t in first]
    second_numeric = [_is_number(t) for t in second]
    if any(first_numeric):
        return False, sep, lines
    named = any(t.strip().lower() in _HEADER_WORDS for t in first)
    return any(second_numeric) or named, sep, lines


def _header_from_first_row(frame, id_columns):
    """An all-text first row whose ids appear nowhere else in the id columns is a header
    (``person,friend`` over ``alice,bob`` rows): used as column names, dropped from the data."""
    import pandas as pd

    if len(frame) < 2 or any(not isinstance(c, (int, np.integer)) or c >= frame.shape[1] for c in id_columns):
        return frame, False
    first = [str(v) for v in frame.iloc[0].tolist()]
    if any(_is_number(token) for token in first):
        return frame, False
    rest = frame.iloc[1:]
    seen = pd.concat([rest.iloc[:, int(c)].astype(str) for c in id_columns])
    if seen.isin([first[int(c)] for c in id_columns]).any():
        return frame, False
    body = rest.reset_index(drop=True)
    body.columns = first
    for name in body.columns:  # the header row made every column text: numbers become numbers again
        converted = pd.to_numeric(body[name], errors="coerce")
        if converted.notna().all():
            body[name] = converted
    return body, True


# ------------------------------------------------------------------------------ edge lists
def read_edge_list(path, *, src=0, dst=1, weight=None, time=None, sep=None, header="auto", comment="#",
                   ids: str = "auto", directed: bool | None = None, num_nodes: int | None = None) -> GraphFile:
    """Read an edge list (one edge per line) into a :class:`GraphFile`.

    Parameters
    ----------
    path : str or os.PathLike
        ``.txt``/``.csv``/``.tsv``/``.edgelist`` or any text file, optionally ``.gz``.
    src, dst : int or str
        Columns of the two endpoints, by position (0-based) or by header name.
    weight, time : int or str, optional
        Columns of an edge weight (finite floats; duplicate edges are summed) and an edge time.
        ``weight='auto'``: the third column of a three-column ``src dst weight`` file.
    sep : str, optional
        Field separator; default by extension (``.csv`` comma, ``.tsv`` tab) or the first line
        (comma, tab, else any whitespace).
    header : bool or 'auto'
        Whether the first line names the columns; ``'auto'``: yes when a column is selected by
        name, or the first line has no number and either the second line has one, a word of the
        first line is a usual column name (src, dst, source, target, from, to, weight, time, ...),
        or its two ids appear nowhere else in the file.
    comment : str
        Text from this character to the end of a line is ignored.
    ids : {'auto', 'zero', 'one', 'relabel'}
        How ids become node numbers (module docstring); the mapping is returned.
    directed : bool, optional
        ``None`` infers it (symmetric edge set -> undirected); ``False`` symmetrises.
    num_nodes : int, optional
        Node count when isolated nodes follow the largest id (``ids='zero'``/``'one'`` only).

    Returns
    -------
    GraphFile

    Examples
    --------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "edges.csv")
    ...     _ = open(path, "w").write("from,to,w\\nalice,bob,1.5\\nbob,carol,2\\n")
    ...     gf = read_edge_list(path, weight="w")
    >>> gf.graph.num_nodes, gf.mapping.labels.tolist(), gf.edge_weight.tolist()
    (3, ['alice', 'bob', 'carol'], [1.5, 2.0])
    """
    path = _path(path)
    named = any(isinstance(c, str) and c != "auto" for c in (src, dst, weight, time) if c is not None)
    auto_header = header in (None, "auto", "infer") and not named
    header, sep, _ = _resolve_header(path, header, comment, sep, named)
    frame = _read_table(path, sep=sep, header=header, comment=comment)
    if auto_header and not header:
        frame, header = _header_from_first_row(frame, (src, dst))
    src_col, dst_col = _select(frame, src, "src", path), _select(frame, dst, "dst", path)
    (s, d), mapping, notes = _map_ids([src_col, dst_col], ["src id", "dst id"], ids, path, comment, header)
    if isinstance(weight, str) and weight == "auto":
        weight = 2 if frame.shape[1] == 3 and src in (0, 1) and dst in (0, 1) else None
    w = t = None
    if weight is not None:
        w = _numeric(_select(frame, weight, "weight", path), "weight", path, comment, header)
    if time is not None:
        t = _numeric(_select(frame, time, "time", path), "time", path, comment, header)
    n = len(mapping)
    if num_nodes is not None:
        if mapping.scheme == "relabel":
            raise ValueError("num_nodes can only extend 'zero'/'one'-based ids, not relabelled ones")
        if int(num_nodes) < n:
            raise ValueError(f"num_nodes={num_nodes} is smaller than the {n} nodes the ids of {path} need")
        offset = 1 if mapping.scheme == "one" else 0
        mapping = NodeMapping(np.arange(offset, int(num_nodes) + offset, dtype=np.int64), mapping.scheme)
        n = int(num_nodes)
    from graphsparse.graph import as_graph

    edge_index = np.stack([s, d])
    graph = as_graph(edge_index, num_nodes=n, edge_weight=w, directed=directed)
    return GraphFile(graph, mapping, path, edge_index=edge_index, edge_weight=w, edge_time=t, notes=notes)


# ------------------------------------------------------------------------------ temporal
def read_temporal(path, *, src=None, dst=None, time=None, features=None, label=None, fmt: str = "auto",
                  sep=None, header="auto", comment="#", ids: str = "auto", bipartite: bool | None = None) -> TemporalFile:
    """Read a temporal event file (one event ``src dst t`` per line) into a :class:`TemporalFile`.

    Parameters
    ----------
    path : str or os.PathLike
        The file (``.gz`` allowed).
    src, dst, time : int or str, optional
        Columns (position or header name); defaults by format: SNAP/generic 0, 1, 2; DyGLib
        ``u``, ``i``, ``ts``; JODIE 0, 1, 2.
    features : 'rest', list or None
        Edge-feature columns: a list of columns, ``'rest'`` (every column after the time and label
        columns; JODIE's default), or None (DyGLib: the ``ml_<name>.npy`` next to the CSV when it is
        there, rows selected by the ``idx`` column).
    label : int or str, optional
        An event label column (DyGLib ``label``, JODIE ``state_label`` by default).
    fmt : {'auto', 'snap', 'dyglib', 'jodie', 'csv'}
        ``auto`` recognises DyGLib (header ``,u,i,ts,...``) and JODIE (header ``user_id,...``)
        files; anything else is read as ``src dst t [...]`` columns.
    ids : {'auto', 'zero', 'one', 'relabel'}
        As :func:`read_edge_list` (DyGLib's 1-based ids are shifted by ``auto``).
    bipartite : bool, optional
        Number the destination ids after the sources (JODIE users/items; default True for JODIE).
    sep, header, comment : see read_edge_list
        As :func:`read_edge_list` (``header`` is forced for DyGLib and JODIE files).

    Unsorted times are sorted (stable; a :class:`UserWarning` and a note say so) with
    ``edges.edge_ids`` keeping the file positions so edge features stay aligned; times are made
    relative to the first event (``t0`` keeps it).

    Examples
    --------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "events.txt")
    ...     _ = open(path, "w").write("0 1 10\\n1 2 12\\n2 0 15\\n")
    ...     tf = read_temporal(path)
    >>> tf.edges.num_nodes, tf.edges.t.tolist()
    (3, [0.0, 2.0, 5.0])
    """
    path = _path(path)
    if fmt not in ("auto", "snap", "dyglib", "jodie", "csv"):
        raise ValueError(f"fmt must be 'auto', 'snap', 'dyglib', 'jodie' or 'csv', got {fmt!r}")
    lines = list(_data_lines(path, comment, limit=2))
    if not lines:
        raise ValueError(f"{path}: the file is empty (no data lines)")
    sep = _sniff_sep(path, lines[0][1], sep)
    first = [t.lower() for t in _split(lines[0][1], sep)]
    if fmt == "auto":
        if {"u", "i", "ts"} <= set(first):
            fmt = "dyglib"
        elif first[:2] == ["user_id", "item_id"]:
            fmt = "jodie"
        else:
            fmt = "csv"
    skiprows = 0
    if fmt == "dyglib":
        header = True
        src, dst, time = src if src is not None else "u", dst if dst is not None else "i", time if time is not None else "ts"
        label = label if label is not None else ("label" if "label" in first else None)
    elif fmt == "jodie":
        header, skiprows = False, 1  # JODIE's header has fewer fields than its rows
        src, dst, time = src if src is not None else 0, dst if dst is not None else 1, time if time is not None else 2
        label = 3 if label is None else label
        features = "rest" if features is None else features
        bipartite = True if bipartite is None else bipartite
    else:
        src, dst, time = src if src is not None else 0, dst if dst is not None else 1, time if time is not None else 2
        named = any(isinstance(c, str) for c in (src, dst, time, label) if c is not None)
        header, sep, _ = _resolve_header(path, header, comment, sep, named)
    frame = _read_table(path, sep=sep, header=header, comment=comment, skiprows=skiprows)
    columns = dict(src=_select(frame, src, "src", path), dst=_select(frame, dst, "dst", path))
    notes = []
    if bipartite:
        s, mapping_s, notes_s = _map_ids([columns["src"]], ["src id"], ids, path, comment, header, skiprows)
        d, mapping_d, notes_d = _map_ids([columns["dst"]], ["dst id"], ids, path, comment, header, skiprows)
        s, d = s[0], d[0] + len(mapping_s)
        labels = np.concatenate([mapping_s.labels.astype(str), mapping_d.labels.astype(str)]) \
            if mapping_s.labels.dtype.kind not in "iu" or mapping_d.labels.dtype.kind not in "iu" else \
            np.concatenate([mapping_s.labels, mapping_d.labels])
        mapping = NodeMapping(labels, "bipartite")
        notes += [f"sources: {n}" for n in notes_s] + [f"destinations: {n}" for n in notes_d]
        notes.append(f"bipartite: sources are nodes 0..{len(mapping_s) - 1}, destinations "
                     f"{len(mapping_s)}..{len(mapping) - 1}")
    else:
        (s, d), mapping, id_notes = _map_ids([columns["src"], columns["dst"]], ["src id", "dst id"], ids, path,
                                             comment, header, skiprows)
        notes += id_notes
    t = _numeric(_select(frame, time, "time", path), "time", path, comment, header, skiprows)
    event_labels = None
    if label is not None:
        event_labels = _numeric(_select(frame, label, "label", path), "label", path, comment, header, skiprows)
    edge_features = None
    if isinstance(features, str) and features == "rest":
        used = {frame.columns.get_loc(c.name) if isinstance(c.name, str) else c.name
                for c in (columns["src"], columns["dst"])}
        for column in (time, label):
            if column is not None:
                used.add(column if isinstance(column, int) else frame.columns.get_loc(column))
        rest = [i for i in range(frame.shape[1]) if i not in used]
        if rest:
            edge_features = np.stack([_numeric(frame.iloc[:, i], f"feature {frame.columns[i]}", path, comment, header,
                                               skiprows) for i in rest], axis=1)
    elif features is not None:
        edge_features = np.stack([_numeric(_select(frame, c, "feature", path), f"feature {c}", path, comment, header,
                                           skiprows) for c in features], axis=1)
    node_features = None
    if fmt == "dyglib" and features is None:
        edge_features, node_features = _dyglib_side_files(path, frame, mapping, notes)
    order = np.argsort(t, kind="stable")
    if np.any(np.diff(t) < 0):
        moved = int(np.count_nonzero(order != np.arange(len(t))))
        message = f"{path}: times are not sorted; {moved} events reordered by time (stable sort; edge_ids keep file order)"
        warnings.warn(message, UserWarning, stacklevel=2)
        notes.append(message)
    from graphsparse.temporal.data import TemporalEdges, as_temporal

    t0 = float(t[order[0]])
    edges = TemporalEdges(s[order], d[order], t[order], len(mapping), edge_ids=order.astype(np.int64),
                          node_features=node_features, edge_features=edge_features, meta={"path": path, "format": fmt})
    edges = as_temporal(edges, relative_time=True)
    return TemporalFile(edges, mapping, path, t0=t0,
                        labels=None if event_labels is None else event_labels[order], notes=notes)


def _dyglib_side_files(path, frame, mapping, notes):
    """DyGLib's ``ml_<name>.npy`` (edge features, row 0 padding, rows = ``idx``) and
    ``ml_<name>_node.npy`` (node features, row 0 padding, row = id) next to the CSV, when present."""
    stem = path[:-3] if path.endswith(".gz") else path
    stem = stem[:-4] if stem.endswith(".csv") else stem
    edge_features = node_features = None
    edge_path, node_path = stem + ".npy", stem + "_node.npy"
    if os.path.isfile(edge_path) and "idx" in frame.columns:
        table = _load_npy(edge_path)
        idx = frame["idx"].to_numpy()
        if idx.dtype.kind not in "iu" or idx.min(initial=0) < 0 or idx.max(initial=0) >= len(table):
            raise ValueError(f"{path}: column 'idx' does not index the {len(table)} rows of {edge_path}")
        edge_features = np.asarray(table[idx], dtype=np.float32)
        notes.append(f"edge features: {edge_path} ({edge_features.shape[1]} columns)")
    if os.path.isfile(node_path) and mapping.labels.dtype.kind in "iu":
        table = _load_npy(node_path)
        if mapping.labels.max(initial=0) >= len(table):
            raise ValueError(f"{node_path}: {len(table)} rows, but {path} has node id {mapping.labels.max()}")
        node_features = np.asarray(table[mapping.labels], dtype=np.float32)
        notes.append(f"node features: {node_path} ({node_features.shape[1]} columns)")
    return edge_features, node_features


def _load_npy(path):
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise ValueError(f"{path}: not a readable .npy array without pickle ({err})") from None
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{path}: expected a 2-D array, got shape {array.shape}")
    return array


# ------------------------------------------------------------------------------ node labels
def read_node_labels(path, *, num_nodes: int | None = None, mapping: NodeMapping | None = None, fmt: str = "auto",
                     sep=None, comment="#") -> NodeLabels:
    """Read node labels into a :class:`NodeLabels`.

    Parameters
    ----------
    path : str or os.PathLike
        The label file.
    num_nodes : int, optional
        Node count (default ``len(mapping)``, else the largest node id + 1, or the line count for
        ``fmt='single'``).
    mapping : NodeMapping, optional
        The mapping of the graph's file (``GraphFile.mapping``): node ids in the label file are
        read the same way (1-based, string labels, ...). Without it they are 0-based node numbers.
    fmt : {'auto', 'single', 'pairs', 'communities'}
        ``single``: one label per line (line i = node i). ``pairs``: ``node label`` per line, a node
        on several lines gets several labels (multi-label). ``communities``: one line per label
        listing its member nodes (multi-label when a node is in several). ``auto``: single when
        every line has one field, pairs when every line has two, communities otherwise.
    sep : str, optional
        Field separator (default: comma, tab, else any whitespace, from the first line).
    comment : str, default="#"
        Text from this character to the end of a line is ignored.

    Examples
    --------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "labels.txt")
    ...     _ = open(path, "w").write("0 a\\n1 b\\n2 a\\n")
    ...     labels = read_node_labels(path)
    >>> labels.y.tolist(), labels.classes.tolist(), labels.multilabel
    ([0, 1, 0], ['a', 'b'], False)
    """
    import pandas as pd

    path = _path(path)
    if fmt not in ("auto", "single", "pairs", "communities"):
        raise ValueError(f"fmt must be 'auto', 'single', 'pairs' or 'communities', got {fmt!r}")
    lines = list(_data_lines(path, comment))
    if not lines:
        raise ValueError(f"{path}: the file is empty (no data lines)")
    sep = _sniff_sep(path, lines[0][1], sep)
    counts = np.array([len(_split(line, sep)) for _, line in lines])
    if fmt == "auto":
        fmt = "single" if (counts == 1).all() else ("pairs" if (counts == 2).all() else "communities")
    if fmt in ("single", "pairs"):
        want = 1 if fmt == "single" else 2
        bad = np.flatnonzero(counts != want)
        if len(bad):
            raise ValueError(f"{path}, line {lines[bad[0]][0]}: {counts[bad[0]]} fields, expected {want} ({fmt} format)")
    if num_nodes is not None:
        num_nodes = int(num_nodes)
    elif mapping is not None:
        num_nodes = len(mapping)
    notes = []
    if fmt == "single":
        tokens = np.array([line.strip() for _, line in lines])
        n = len(tokens) if num_nodes is None else num_nodes
        if len(tokens) != n:
            raise ValueError(f"{path}: {len(tokens)} labels (one per line) for {n} nodes")
        codes, classes = pd.factorize(pd.Series(tokens), sort=True)
        return NodeLabels(codes.astype(np.int64), _class_array(classes), False, path, notes)
    if fmt == "pairs":
        pairs = [_split(line, sep) for _, line in lines]
        node_tokens = np.array([p[0] for p in pairs])
        label_tokens = np.array([p[1] for p in pairs])
        nodes = _label_nodes(node_tokens, mapping, path, [number for number, _ in lines])
        codes, classes = pd.factorize(pd.Series(label_tokens), sort=True)
        n = int(nodes.max()) + 1 if num_nodes is None else num_nodes
        _check_nodes_in_range(nodes, n, path, lines)
        if len(np.unique(nodes)) == len(nodes):
            y = np.full(n, -1, dtype=np.int64)
            y[nodes] = codes
            if (y < 0).any():
                notes.append(f"{int((y < 0).sum())} nodes without a label (y = -1)")
            return NodeLabels(y, _class_array(classes), False, path, notes)
        y = np.zeros((n, len(classes)), dtype=np.uint8)
        y[nodes, codes] = 1
        notes.append("a node on several lines: multi-label (y is n x classes multi-hot)")
        return NodeLabels(y, _class_array(classes), True, path, notes)
    members = [_split(line, sep) for _, line in lines]
    flat = np.array([token for group in members for token in group])
    line_numbers = np.repeat([number for number, _ in lines], [len(g) for g in members])
    nodes = _label_nodes(flat, mapping, path, line_numbers)
    n = int(nodes.max()) + 1 if num_nodes is None else num_nodes
    _check_nodes_in_range(nodes, n, path, list(zip(line_numbers, flat)))
    communities = np.repeat(np.arange(len(members)), [len(g) for g in members])
    y = np.zeros((n, len(members)), dtype=np.uint8)
    y[nodes, communities] = 1
    return NodeLabels(y, np.arange(len(members)), True, path, notes)


def _class_array(classes) -> np.ndarray:
    values = np.asarray(classes)
    as_numbers = np.array([_is_number(str(v)) for v in values])
    if as_numbers.all():
        floats = values.astype(np.float64)
        if np.all(floats == np.round(floats)):
            return floats.astype(np.int64)
    return values.astype(str)


def _label_nodes(tokens, mapping, path, line_numbers) -> np.ndarray:
    if mapping is not None:
        try:
            return mapping.index(tokens, name=f"{path}: node id")
        except ValueError:
            for token, line in zip(tokens, line_numbers):  # error path only: find the line
                try:
                    mapping.index(np.array([token]))
                except ValueError:
                    raise ValueError(f"{path}, line {line}: node id {str(token)!r} is not a node of the graph "
                                     f"({len(mapping)} nodes, {mapping.scheme} ids)") from None
            raise
    numbers = np.array([_is_number(t) for t in tokens])
    if not numbers.all():
        first = int(np.flatnonzero(~numbers)[0])
        raise ValueError(f"{path}, line {line_numbers[first]}: node id {str(tokens[first])!r} is not a number (pass the "
                         "graph's mapping to read labelled ids)")
    values = tokens.astype(np.float64)
    bad = (values != np.round(values)) | (values < 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{path}, line {line_numbers[first]}: node id {str(tokens[first])!r} is not a non-negative integer")
    return values.astype(np.int64)


def _check_nodes_in_range(nodes, n, path, lines):
    bad = np.flatnonzero(nodes >= n)
    if len(bad):
        raise ValueError(f"{path}, line {lines[bad[0]][0]}: node {int(nodes[bad[0]])} is not below the {n} nodes")


# ------------------------------------------------------------------------------ npz bundles
_YANDEX_MASKS = {"train_mask": ("train_masks", "train_mask"), "val_mask": ("val_masks", "val_mask"),
                 "test_mask": ("test_masks", "test_mask")}


def read_npz(path, *, directed: bool | None = None) -> GraphFile:
    """Read a ``.npz`` graph file into a :class:`GraphFile` (arrays only; no pickle).

    Recognised layouts: a :meth:`graphsparse.Graph.save` file (``indptr``, ``indices``,
    ``num_nodes``, ...); a SciPy ``save_npz`` matrix (``format``, ``shape``, ``data``, ...); a
    yandex-style bundle (``edges`` ``(E, 2)``, ``node_features``, ``node_labels``, and
    ``train_masks``/``val_masks``/``test_masks`` of shape ``(splits, n)``, read as ``(n, splits)``);
    a PyG-style bundle (``edge_index`` ``(2, E)``, ``x``, ``y``, ``train_mask``, ...).

    Parameters
    ----------
    path : str or os.PathLike
        The ``.npz`` file.
    directed : bool, optional
        ``None`` keeps the file's flag (a saved Graph) or infers it (symmetric edge set ->
        undirected); ``False`` symmetrises.

    Returns
    -------
    GraphFile

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "g.npz")
    ...     np.savez(path, edges=np.array([[0, 1], [1, 2]]), node_labels=np.array([0, 1, 0]))
    ...     gf = read_npz(path)
    >>> gf.graph.num_nodes, gf.y.tolist()
    (3, [0, 1, 0])
    """
    path = _path(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:
        raise ValueError(f"{path}: not a readable .npz archive ({str(err).strip() or type(err).__name__})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: a single .npy array, not a .npz archive of named arrays")
    try:
        with archive:
            arrays = {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:
        raise ValueError(f"{path}: truncated or corrupt .npz archive ({str(err).strip() or type(err).__name__})") from None
    keys = set(arrays)
    from graphsparse.graph import Graph, as_graph

    notes = []
    if {"indptr", "indices", "num_nodes"} <= keys:
        indptr, indices = arrays["indptr"], arrays["indices"]
        num_nodes = _scalar_int(arrays["num_nodes"], "num_nodes", path)
        weights = arrays.get("weights")
        _check_csr(indptr, indices, weights, num_nodes, path)
        graph = Graph(indptr, indices, weights, num_nodes, bool(arrays.get("directed", True)))
        graph = graph if directed is None else as_graph(graph, directed=directed)
        layout = "graphsparse"
    elif {"format", "shape"} <= keys:
        graph = _scipy_npz(arrays, path, directed)
        layout = "scipy"
    elif "edges" in keys or "edge_index" in keys:
        key = "edges" if "edges" in keys else "edge_index"
        edges = np.asarray(arrays[key])
        if edges.ndim != 2 or 2 not in edges.shape:
            raise ValueError(f"{path}: {key!r} must be (E, 2) or (2, E), got shape {edges.shape}")
        # yandex 'edges' are (E, 2) rows; PyG 'edge_index' is (2, E)
        if edges.shape[1] == 2 and (key == "edges" or edges.shape[0] != 2):
            edges = edges.T
        if edges.dtype.kind not in "iu":
            raise ValueError(f"{path}: edge ids must be integers, got dtype {edges.dtype}")
        n = None
        for key in ("node_features", "x", "node_labels", "y"):
            if key in keys:
                n = len(arrays[key])
                break
        if edges.size and (edges.min() < 0 or (n is not None and edges.max() >= n)):
            raise ValueError(f"{path}: edge ids must be in [0, {n}), got [{edges.min()}, {edges.max()}]")
        weight = arrays.get("edge_weight")
        graph = as_graph(edges.astype(np.int64), num_nodes=n, edge_weight=weight, directed=directed)
        layout = "edges"
    else:
        raise ValueError(f"{path}: unrecognised .npz layout (keys {sorted(keys)}); expected a Graph.save file, a "
                         "SciPy save_npz matrix, or edges/edge_index with node_features/node_labels")
    n = graph.num_nodes
    bundle = GraphFile(graph, NodeMapping(np.arange(n, dtype=np.int64), "zero"), path, notes=notes)
    for key in ("node_features", "x", "features"):
        if key in keys:
            bundle.x = _node_array(arrays[key], n, key, path, float_values=True)
            break
    for key in ("node_labels", "y", "labels"):
        if key in keys:
            bundle.y = _node_array(arrays[key], n, key, path)
            break
    for name, candidates in _YANDEX_MASKS.items():
        for key in candidates:
            if key in keys:
                setattr(bundle, name, _mask_array(arrays[key], n, key, path))
                break
    notes.append(f"layout: {layout}")
    return bundle


def _scalar_int(value, name, path) -> int:
    value = np.asarray(value)
    if value.shape != () or value.dtype.kind not in "iu" or int(value) < 0:
        raise ValueError(f"{path}: {name} must be a non-negative integer scalar, got {value!r}")
    return int(value)


def _check_csr(indptr, indices, weights, num_nodes, path):
    """O(E) structural checks of CSR arrays from a file (before any kernel sees them)."""
    indptr, indices = np.asarray(indptr), np.asarray(indices)
    if indptr.ndim != 1 or indptr.dtype.kind not in "iu" or len(indptr) != num_nodes + 1:
        raise ValueError(f"{path}: indptr must be {num_nodes + 1} integers, got {indptr.dtype} shape {indptr.shape}")
    if indices.ndim != 1 or indices.dtype.kind not in "iu":
        raise ValueError(f"{path}: indices must be a 1-D integer array, got {indices.dtype} shape {indices.shape}")
    if indptr[0] != 0 or np.any(np.diff(indptr) < 0) or indptr[-1] != len(indices):
        raise ValueError(f"{path}: indptr must start at 0, never decrease and end at len(indices) = {len(indices)}")
    if len(indices) and (indices.min() < 0 or indices.max() >= num_nodes):
        raise ValueError(f"{path}: indices must be in [0, {num_nodes}), got [{indices.min()}, {indices.max()}]")
    if weights is not None:
        weights = np.asarray(weights)
        if weights.shape != indices.shape or weights.dtype.kind not in "fiu" or not np.all(np.isfinite(weights)):
            raise ValueError(f"{path}: weights must be {len(indices)} finite numbers")


def _scipy_npz(arrays, path, directed):
    import scipy.sparse as sp

    from graphsparse.graph import as_graph

    fmt = arrays["format"]
    fmt = fmt.item() if fmt.shape == () else fmt
    fmt = fmt.decode() if isinstance(fmt, bytes) else str(fmt)
    shape = tuple(int(v) for v in np.asarray(arrays["shape"]).reshape(-1))
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"{path}: the matrix must be square (an adjacency matrix), got shape {shape}")
    n = shape[0]
    data = arrays.get("data")
    if data is not None and (data.dtype.kind not in "fiub" or not np.all(np.isfinite(data))):
        raise ValueError(f"{path}: matrix values must be finite numbers")
    if fmt in ("csr", "csc"):
        indptr, indices = arrays.get("indptr"), arrays.get("indices")
        if indptr is None or indices is None or data is None:
            raise ValueError(f"{path}: a {fmt} matrix needs data, indices and indptr")
        _check_csr(indptr, indices, data, n, path)
        matrix = (sp.csr_matrix if fmt == "csr" else sp.csc_matrix)((data, indices, indptr), shape=shape)
    elif fmt == "coo":
        row, col = arrays.get("row"), arrays.get("col")
        if row is None or col is None or data is None or not (len(row) == len(col) == len(data)):
            raise ValueError(f"{path}: a coo matrix needs row, col and data of equal length")
        for name, index in (("row", row), ("col", col)):
            if index.dtype.kind not in "iu" or (len(index) and (index.min() < 0 or index.max() >= n)):
                raise ValueError(f"{path}: {name} indices must be integers in [0, {n})")
        matrix = sp.coo_matrix((data, (row, col)), shape=shape)
    else:
        raise ValueError(f"{path}: SciPy format {fmt!r} is not supported (csr, csc, coo)")
    return as_graph(matrix.tocsr(), directed=directed)


def _node_array(array, n, key, path, float_values=False):
    array = np.asarray(array)
    if len(array) != n:
        raise ValueError(f"{path}: {key} has {len(array)} rows for {n} nodes")
    if float_values:
        if array.dtype.kind not in "fiub":
            raise ValueError(f"{path}: {key} must be numeric, got dtype {array.dtype}")
        array = array.astype(np.float32)
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{path}: {key} holds NaN or infinite values")
        return array.reshape(n, -1)
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise ValueError(f"{path}: {key} must be integer class numbers")
        array = array.astype(np.int64)
    if array.dtype.kind not in "iub":
        raise ValueError(f"{path}: {key} must be integer class numbers, got dtype {array.dtype}")
    return array.astype(np.int64)


def _mask_array(array, n, key, path):
    array = np.asarray(array)
    if array.dtype.kind not in "bui" or (array.dtype.kind in "ui" and not np.isin(array, (0, 1)).all()):
        raise ValueError(f"{path}: {key} must be a boolean (or 0/1) mask, got dtype {array.dtype}")
    array = array.astype(bool)
    if array.ndim == 1:
        if len(array) != n:
            raise ValueError(f"{path}: {key} has {len(array)} entries for {n} nodes")
        return array
    if array.ndim == 2:
        if array.shape[1] == n and array.shape[0] != n:
            return np.ascontiguousarray(array.T)  # yandex: (splits, n) -> (n, splits)
        if array.shape[0] == n:
            return array
    raise ValueError(f"{path}: {key} must have shape (n,), (n, splits) or (splits, n) with n = {n}, got {array.shape}")


# ------------------------------------------------------------------------------ dispatch and side files
def read_graph(path, **kwargs) -> GraphFile:
    """:func:`read_npz` for ``.npz`` files, :func:`read_edge_list` for anything else.

    Parameters
    ----------
    path : str or os.PathLike
        The graph file.
    **kwargs
        Options of :func:`read_edge_list` (``.npz``: ``directed`` only; others raise ``ValueError``).

    Returns
    -------
    GraphFile

    Examples
    --------
    >>> import os, tempfile
    >>> from graphsparse import as_graph
    >>> from graphsparse.io import read_graph
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = as_graph([[0, 1], [1, 2]]).save(os.path.join(folder, "g.npz"))
    ...     _ = open(os.path.join(folder, "g.txt"), "w").write("0 1\\n1 2\\n")
    ...     a, b = read_graph(os.path.join(folder, "g.npz")), read_graph(os.path.join(folder, "g.txt"))
    >>> a.graph.num_edges == b.graph.num_edges == 2, a.graph.indices.tolist() == b.graph.indices.tolist()
    (True, True)
    """
    path = _path(path)
    if path.endswith(".npz"):
        allowed = {k: v for k, v in kwargs.items() if k == "directed"}
        ignored = sorted(set(kwargs) - set(allowed) - {"ids"})
        if ignored:
            raise ValueError(f"{path}: options {ignored} apply to edge lists, not to .npz files")
        return read_npz(path, **allowed)
    return read_edge_list(path, **kwargs)


def read_features(path, num_nodes: int | None = None) -> np.ndarray:
    """Node features ``(n, d)`` float32: a ``.npy`` array, a ``.npz`` with one array (or ``x`` /
    ``node_features``), or a text matrix (one row per node in node order, optionally ``.gz``)."""
    path = _path(path)
    if path.endswith(".npy"):
        array = _load_npy(path)
    elif path.endswith(".npz"):
        try:
            with np.load(path, allow_pickle=False) as archive:
                files = archive.files
                key = next((k for k in ("x", "node_features", "features") if k in files), files[0] if len(files) == 1
                           else None)
                if key is None:
                    raise ValueError(f"{path}: several arrays {files}; name the features 'x' or 'node_features'")
                array = archive[key]
        except (zipfile.BadZipFile, EOFError, OSError) as err:
            raise ValueError(f"{path}: not a readable .npz archive ({err})") from None
    else:
        header, sep, _ = _resolve_header(path, "auto", "#", None, False)
        frame = _read_table(path, sep=sep, header=header, comment="#")
        columns = [_numeric(frame.iloc[:, i], f"feature column {i}", path, "#", header) for i in range(frame.shape[1])]
        array = np.stack(columns, axis=1)
    array = np.asarray(array)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.dtype.kind not in "fiub":
        raise ValueError(f"{path}: features must be a numeric (n, d) matrix, got {array.dtype} {array.shape}")
    array = array.astype(np.float32)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{path}: features hold NaN or infinite values")
    if num_nodes is not None and len(array) != num_nodes:
        raise ValueError(f"{path}: {len(array)} feature rows for {num_nodes} nodes")
    return array


def read_masks(path, num_nodes: int) -> tuple:
    """``(train, val, test)`` boolean masks from a ``.npz`` (``train_mask(s)``, ``val_mask(s)``,
    ``test_mask(s)``; shapes ``(n,)``, ``(n, splits)`` or ``(splits, n)``)."""
    path = _path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, AttributeError) as err:
        raise ValueError(f"{path}: not a readable .npz archive of masks ({err})") from None
    masks = []
    for name, candidates in _YANDEX_MASKS.items():
        key = next((k for k in candidates if k in arrays), None)
        if key is None:
            raise ValueError(f"{path}: no {name} (expected keys {list(candidates)}; found {sorted(arrays)})")
        masks.append(_mask_array(arrays[key], num_nodes, key, path))
    if len({m.shape for m in masks}) != 1:
        raise ValueError(f"{path}: train/val/test masks have different shapes {[m.shape for m in masks]}")
    return tuple(masks)
