"""The one graph container of graphsparse and the single coercion entry point.

:class:`Graph` stores a graph in CSR form:

* ``indptr``  -- int64, ``num_nodes + 1`` entries; row ``i`` = out-edges of node ``i``;
* ``indices`` -- int32 while ``num_nodes < 2**31`` (int64 beyond), target of every stored edge;
* ``weights`` -- float32 per stored edge, or ``None`` for an unweighted graph;
* ``num_nodes`` and ``directed``;
* ``node_labels`` -- ``None`` (row ``i`` is node ``i``) or one label per row (the original node
  labels of a networkx graph, for instance), so that node-indexed results can be mapped back.

An undirected graph stores both directions of every edge (as PyG does), so ``num_edges`` counts
directed entries. Rows are sorted and hold no duplicate columns (coalesced), which every kernel
may rely on. ``indptr`` is always int64, so edge counts above ``2**31`` work.

The validation boundary
-----------------------
Everything that arrives from outside is checked once, in O(E), before any kernel sees it:

1. ``Graph(indptr, indices, weights, num_nodes, directed, node_labels)`` -- the public constructor
   -- checks (:func:`validate_csr`): integer ``indptr`` of length ``num_nodes + 1`` starting at 0,
   non-decreasing and ending at ``len(indices)``; integer ``indices`` in ``[0, num_nodes)`` with
   every row sorted and free of duplicate columns (it *refuses* unsorted or duplicate rows rather
   than reordering the caller's arrays; :func:`as_graph` on a SciPy matrix coalesces them);
   finite numeric weights, one per edge; ``num_nodes`` a non-negative integer; node labels one per
   node, distinct. :meth:`Graph.load` runs the same checks on what it reads.
2. :func:`as_graph` checks every accepted input (SciPy / torch sparse structure before SciPy or
   torch touch it, edge-index ids and dtypes, weights, PyG ``Data``, networkx labels).
3. The trusted internal path :meth:`Graph._from_trusted` builds a graph *without* the O(E) check;
   it is for arrays that the library produced itself (kernel outputs, already validated inputs).
   Kernels (:mod:`graphsparse.kernels`) never check: they trust their arguments.

:func:`as_graph` accepts a SciPy sparse matrix/array, a ``(2, E)`` edge index (NumPy or torch), a
PyG ``Data``, a networkx (Di)Graph, a torch sparse tensor or a :class:`Graph`, and is what every
public function of the library calls on its graph argument. ``Graph.to_scipy``/``to_edge_index``/
``to_pyg``/``to_networkx`` convert back.
"""
from __future__ import annotations

import numbers
import operator
import os
import zipfile
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from graphsparse import kernels
from graphsparse.kernels.validate import CSR_PROBLEMS
from graphsparse._validation import as_index_array, check_finite, check_node_ids, check_real
from graphsparse._validation import to_numpy as _to_numpy

__all__ = ["Graph", "as_graph", "validate_csr", "index_dtype", "INT32_MAX", "MAX_INFERRED_NODES", "SPARSE_ID_FLOOR",
           "GRAPH_FILE_FORMAT", "default_data_root"]

INT32_MAX = np.iinfo(np.int32).max
INT64_MAX = np.iinfo(np.int64).max
#: ``as_graph`` infers ``num_nodes = max id + 1`` from an edge index only up to this many nodes
#: (``indptr`` alone then takes 16 GiB); beyond, ``num_nodes`` must be passed explicitly.
MAX_INFERRED_NODES = 2**31
#: Version written by :meth:`Graph.save` under the ``format_version`` key.
GRAPH_FILE_FORMAT = 1


#: ... and beyond this floor only while it is at most 16 x the number of edges (sparse ids are
#: labels, not row numbers: a 10-edge list holding id 3e9 must not allocate 24 GB).
SPARSE_ID_FLOOR = 2**24


def _physical_memory() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return None


def _check_fits_memory(num_nodes: int, name: str) -> None:
    """Refuse, with the reason, a node count whose per-node arrays alone exceed physical memory."""
    need = 2 * (num_nodes + 1) * 8  # indptr + the counting-sort cursor of coo_to_csr
    total = _physical_memory()
    if total is not None and need > total:
        raise MemoryError(f"{name}: num_nodes={num_nodes} needs {need / 2**30:.1f} GiB for the per-node "
                          f"arrays alone, more than this machine's {total / 2**30:.1f} GiB of memory")


def index_dtype(num_nodes: int):
    """int32 while every node id fits, int64 beyond (the dtype of ``Graph.indices``)."""
    return np.int32 if num_nodes <= INT32_MAX else np.int64


_index_dtype = index_dtype


def _check_num_nodes(num_nodes, name: str = "num_nodes") -> int:
    if isinstance(num_nodes, (bool, np.bool_)):
        raise TypeError(f"{name} must be a non-negative integer, got {num_nodes!r}")
    try:
        value = operator.index(num_nodes)
    except TypeError:
        raise TypeError(f"{name} must be a non-negative integer, got {type(num_nodes).__name__} "
                        f"{num_nodes!r}") from None
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value}")
    if value >= INT64_MAX:
        raise ValueError(f"{name}={value} does not fit the int64 index type")
    return value


def _as_int64_ids(array: np.ndarray, name: str, *, allow_integral_float: bool = False) -> np.ndarray:
    """Integer array -> int64 without wrap-around; refuse bool/complex/object (and non-integral floats)."""
    kind = array.dtype.kind
    if kind == "b":
        raise TypeError(f"{name} must hold integer ids, got a boolean array")
    if kind in "iu":
        if array.dtype == np.uint64 and array.size and int(array.max()) > INT64_MAX:
            raise ValueError(f"{name} holds id {int(array.max())}, beyond the int64 range")
        return array.astype(np.int64, copy=False)
    if kind == "f" and allow_integral_float:
        if array.size:
            if not np.isfinite(array).all():
                raise ValueError(f"{name} must hold integer ids, but it holds NaN or inf")
            if not np.array_equal(array, np.trunc(array)):
                bad = float(array[array != np.trunc(array)].reshape(-1)[0])
                raise ValueError(f"{name} must hold integer ids, but it holds the non-integral value {bad!r} "
                                 "(float ids are accepted only when integral)")
            if array.max() >= 2.0**63 or array.min() < -(2.0**63):
                raise ValueError(f"{name} holds ids beyond the int64 range")
        return array.astype(np.int64)
    raise TypeError(f"{name} must hold integer ids, got dtype {array.dtype}")


def _check_weights(weights, num_edges: int, name: str = "edge_weight"):
    if weights is None:
        return None
    weights = _to_numpy(weights)
    if weights.ndim == 2 and weights.shape[1] == 1:
        weights = weights[:, 0]
    if weights.ndim != 1:
        raise ValueError(f"{name} must be 1-D with one weight per edge, got shape {weights.shape}")
    if weights.shape[0] != num_edges:
        raise ValueError(f"{name} has {weights.shape[0]} entries but the graph has {num_edges} edges")
    if weights.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be real numbers, got dtype {weights.dtype}")
    with np.errstate(over="ignore", invalid="ignore"):  # an overflowing cast is reported just below
        weights = np.ascontiguousarray(weights, dtype=np.float32)
    if weights.size and kernels.count_nonfinite(weights):  # after the cast: float32 overflow is inf
        bad = int(kernels.count_nonfinite(weights))
        raise ValueError(f"{name} must be finite (as float32), but {bad} entries are NaN or inf")
    return weights


def _check_node_labels(labels, num_nodes: int, name: str = "node_labels"):
    """One distinct label per node; int -> int64, str -> fixed-width unicode, else kept as objects."""
    if labels is None:
        return None
    if isinstance(labels, (list, tuple, range)):
        values = list(labels)
        array = np.empty(len(values), dtype=object)
        for k, value in enumerate(values):  # element-wise: tuples stay single labels
            array[k] = value
    else:
        array = _to_numpy(labels)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per node), got shape {array.shape}")
    if array.shape[0] != num_nodes:
        raise ValueError(f"{name} has {array.shape[0]} entries but the graph has {num_nodes} nodes")
    if array.dtype.kind == "O" and array.size:
        values = array.tolist()
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in values):
            if all(-(2**63) <= int(v) <= INT64_MAX for v in values):
                array = np.array([int(v) for v in values], dtype=np.int64)
        elif all(isinstance(v, str) for v in values):
            array = np.array(values, dtype=str)
    if array.dtype.kind == "b":
        raise TypeError(f"{name} must not be booleans")
    if array.dtype.kind in "iu":
        array = _as_int64_ids(array, name)
    if array.dtype.kind == "O":
        try:
            distinct = len(set(array.tolist()))
        except TypeError:
            raise TypeError(f"{name} must be hashable (they name nodes)") from None
    else:
        distinct = np.unique(array).shape[0]
    if distinct != num_nodes:
        raise ValueError(f"{name} must be distinct: {num_nodes - distinct} labels are repeated")
    if array.dtype.kind == "i" and np.array_equal(array, np.arange(num_nodes)):
        return None  # labels 0..n-1 are the row ids: nothing to remember
    return array


def validate_csr(indptr, indices, weights, num_nodes, node_labels=None, *, name: str = "graph"):
    """The O(E) boundary check of a CSR graph; returns the normalised arrays.

    Returns ``(indptr int64, indices index_dtype(n), weights float32 | None, num_nodes int,
    node_labels)`` or raises ``TypeError``/``ValueError`` naming the argument, the row and the
    position of the first problem (see :mod:`graphsparse.kernels.validate`).
    """
    n = _check_num_nodes(num_nodes, "num_nodes")
    indptr = _to_numpy(indptr)
    indices = _to_numpy(indices)
    if indptr.ndim != 1 or indices.ndim != 1:
        raise ValueError(f"{name}: indptr and indices must be 1-D, got shapes {indptr.shape} and {indices.shape}")
    if indptr.shape[0] != n + 1:
        raise ValueError(f"{name}: indptr must have num_nodes + 1 = {n + 1} entries, got {indptr.shape[0]}")
    indptr = np.ascontiguousarray(_as_int64_ids(indptr, f"{name}: indptr"))
    indices = np.ascontiguousarray(_as_int64_ids(indices, f"{name}: indices")
                                   if indices.dtype not in (np.int32, np.int64) else indices)
    if indptr[-1] != indices.shape[0]:
        raise ValueError(f"{name}: indptr must end at the number of stored edges len(indices) = "
                         f"{indices.shape[0]}, but indptr[-1] = {indptr[-1]}")
    code, where = kernels.csr_problem(indptr, indices, n, True)
    if code:
        raise ValueError(_describe_problem(code, where, indptr, indices, n, name))
    indices = indices.astype(_index_dtype(n), copy=False)
    weights = _check_weights(weights, indices.shape[0], f"{name}: weights")
    return indptr, indices, weights, n, _check_node_labels(node_labels, n, f"{name}: node_labels")


def _describe_problem(code: int, where: int, indptr, indices, n: int, name: str) -> str:
    what = CSR_PROBLEMS[code]
    if code == 1:
        return f"{name}: {what}, got indptr[0] = {indptr[0]}"
    if code == 2:
        return f"{name}: {what}, but indptr[{where + 1}] = {indptr[where + 1]} < indptr[{where}] = {indptr[where]}"
    if code == 3:
        return f"{name}: {what} (indptr[-1] = {indptr[-1]} > {indices.shape[0]})"
    row = int(np.searchsorted(indptr, where, side="right")) - 1
    detail = f"row {row}, position {where}: column {int(indices[where])}"
    if code == 5:
        return f"{name}: {what}={n} ({detail})"
    if code in (6, 7):
        return (f"{name}: {what} ({detail}); the Graph constructor takes coalesced rows -- build it "
                "with graphsparse.as_graph(scipy_matrix), which sorts and merges them")
    return f"{name}: {what} ({detail})"


@dataclass(eq=False)
class Graph:
    """CSR graph: ``indptr``, ``indices``, optional float32 ``weights``, ``num_nodes``, ``directed``.

    The constructor validates its arguments in O(E) (see :func:`validate_csr`: ids in range,
    rows sorted and coalesced, finite weights) and refuses anything a kernel could not run on;
    build a graph from unsorted or duplicated edges with :func:`as_graph`. ``node_labels``
    (optional) names the node of each row; ``None`` means row ``i`` is node ``i``.

    Parameters
    ----------
    indptr : ndarray of shape (num_nodes + 1,)
        Row pointers (stored as int64): row ``i``'s edges are ``indices[indptr[i]:indptr[i+1]]``.
    indices : ndarray of shape (num_edges,)
        Column (target) ids, sorted and distinct within each row (int32 below 2**31 nodes, else int64).
    weights : ndarray of shape (num_edges,) or None
        Finite edge weights (stored as float32); ``None`` means every edge weighs 1.
    num_nodes : int
        Number of nodes (rows and columns).
    directed : bool, default=True
        ``False`` promises a symmetric structure (each undirected edge stored in both rows).
    node_labels : ndarray of shape (num_nodes,) or None, default=None
        Original name of each node (e.g. a networkx graph's nodes).

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse import Graph
    >>> g = Graph(np.array([0, 2, 3, 3]), np.array([1, 2, 2]), None, num_nodes=3)
    >>> g.num_edges, g.out_degree().tolist(), g.indices.dtype
    (3, [2, 1, 0], dtype('int32'))
    >>> g.transpose().indices.tolist()
    [0, 0, 1]
    >>> Graph(np.array([0, 2, 3, 3]), np.array([2, 1, 2]), None, num_nodes=3)
    Traceback (most recent call last):
    ...
    ValueError: Graph: ...
    """

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray | None
    num_nodes: int
    directed: bool = True
    node_labels: np.ndarray | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        (self.indptr, self.indices, self.weights, self.num_nodes,
         self.node_labels) = validate_csr(self.indptr, self.indices, self.weights, self.num_nodes,
                                          self.node_labels, name="Graph")
        self.directed = bool(self.directed)

    @classmethod
    def _from_trusted(cls, indptr, indices, weights, num_nodes, directed=True, node_labels=None) -> "Graph":
        """The trusted internal path: no O(E) check (only dtypes are made exact, O(1) when right).

        For arrays the library built itself -- kernel outputs, inputs already validated by
        :func:`validate_csr` or :func:`as_graph`. Never pass user data here: a kernel given
        out-of-range ids reads or writes out of bounds.
        """
        g = object.__new__(cls)
        g.num_nodes = int(num_nodes)
        g.indptr = np.ascontiguousarray(indptr, dtype=np.int64)
        g.indices = np.ascontiguousarray(indices, dtype=_index_dtype(g.num_nodes))
        g.weights = None if weights is None else np.ascontiguousarray(weights, dtype=np.float32)
        g.directed = bool(directed)
        g.node_labels = node_labels
        g._cache = {}
        return g

    def _derived(self, indptr, indices, weights, directed=None, node_labels=False) -> "Graph":
        """A graph built by a kernel from this one (trusted), keeping the node labels by default."""
        labels = self.node_labels if node_labels is False else node_labels
        return Graph._from_trusted(indptr, indices, weights, self.num_nodes,
                                   self.directed if directed is None else directed, labels)

    # ------------------------------------------------------------------ basic facts
    @property
    def num_edges(self) -> int:
        """Number of stored (directed) entries; an undirected edge counts twice."""
        return int(self.indptr[-1])

    @property
    def is_weighted(self) -> bool:
        return self.weights is not None

    def __repr__(self) -> str:
        kind = "directed" if self.directed else "undirected"
        w = ", weighted" if self.is_weighted else ""
        labels = ", labelled" if self.node_labels is not None else ""
        return f"Graph(num_nodes={self.num_nodes}, num_edges={self.num_edges}, {kind}{w}{labels})"

    def edge_weights(self) -> np.ndarray:
        """Weights, or a float32 array of ones for an unweighted graph."""
        if self.weights is not None:
            return self.weights
        return np.ones(self.num_edges, dtype=np.float32)

    def labels(self) -> np.ndarray:
        """The label of every row: ``node_labels``, or ``arange(num_nodes)`` when there are none."""
        return np.arange(self.num_nodes) if self.node_labels is None else self.node_labels

    def sources(self) -> np.ndarray:
        """Source node of every stored edge (int64, CSR order); cached."""
        if "sources" not in self._cache:
            self._cache["sources"] = kernels.expand_rows(self.indptr)
        return self._cache["sources"]

    def out_degree(self, weighted: bool = False) -> np.ndarray:
        """Out-degree (row count, int64) or weighted out-degree (row sum, float64)."""
        if weighted and self.weights is not None:
            return kernels.weighted_out_degree(self.indptr, self.weights)
        deg = kernels.out_degree(self.indptr)
        return deg.astype(np.float64) if weighted else deg

    def in_degree(self, weighted: bool = False) -> np.ndarray:
        """In-degree (column count, int64) or weighted in-degree (column sum, float64)."""
        if weighted and self.weights is not None:
            return kernels.weighted_in_degree(self.indices, self.weights, self.num_nodes)
        deg = kernels.in_degree(self.indices, self.num_nodes)
        return deg.astype(np.float64) if weighted else deg

    def degree(self, weighted: bool = False) -> np.ndarray:
        """Out-degree; for an undirected graph this is the usual degree."""
        return self.out_degree(weighted)

    def require_edges(self, name: str = "graph") -> "Graph":
        """Raise ``ValueError`` when the graph has no edges (for operations that need some)."""
        if self.num_edges == 0:
            raise ValueError(f"{name} has no edges; this operation needs at least one")
        return self

    # ------------------------------------------------------------------ structural ops
    def transpose(self) -> "Graph":
        """Reverse every edge (cached: repeated calls cost nothing)."""
        if not self.directed:
            return self
        if "transpose" not in self._cache:
            indptr_t, indices_t, perm = kernels.transpose(self.indptr, self.indices, self.num_nodes)
            weights_t = None if self.weights is None else self.weights[perm]
            g = self._derived(indptr_t, indices_t, weights_t, True)
            g._cache["transpose"] = self
            g._cache["transpose_perm"] = np.argsort(perm)
            self._cache["transpose"] = g
            self._cache["transpose_perm"] = perm
        return self._cache["transpose"]

    def transpose_perm(self) -> np.ndarray:
        """``perm`` with ``transpose().weights == weights[perm]``."""
        self.transpose()
        return self._cache.get("transpose_perm", np.arange(self.num_edges))

    def symmetrize(self, reduce: str = "max") -> "Graph":
        """Undirected version ``A + A^T`` with duplicate weights merged by ``reduce`` ('max'|'sum'|'mean')."""
        if reduce not in ("max", "sum", "mean"):
            raise ValueError(f"reduce must be 'max', 'sum' or 'mean', got {reduce!r}")
        if not self.directed:
            return self
        t = self.transpose()
        rows = np.concatenate([self.sources(), t.sources()])
        cols = np.concatenate([self.indices, t.indices])
        weights = None
        if self.weights is not None or reduce == "sum":  # unweighted 'sum': reciprocal pairs weigh 2
            weights = np.concatenate([self.edge_weights(), t.edge_weights()])
        g = _from_coo(rows, cols, weights, self.num_nodes, directed=False,
                      reduce="sum" if reduce == "mean" else reduce)
        if reduce == "mean" and weights is not None:
            counts = _from_coo(rows, cols, np.ones_like(weights), self.num_nodes, False, "sum").weights
            g.weights = (g.weights / counts).astype(np.float32)
        g.node_labels = self.node_labels
        return g

    def filter_edges(self, edge_mask) -> "Graph":
        """Keep the stored edges where ``edge_mask`` (bool, one per stored edge) is True."""
        edge_mask = _to_numpy(edge_mask)
        if edge_mask.dtype != bool:
            raise TypeError(f"edge_mask must be boolean, got dtype {edge_mask.dtype}")
        if edge_mask.shape != (self.num_edges,):
            raise ValueError(f"edge_mask must have shape ({self.num_edges},), got {edge_mask.shape}")
        new_indptr, kept = kernels.filter_edges(self.indptr, np.ascontiguousarray(edge_mask))
        weights = None if self.weights is None else self.weights[kept]
        return self._derived(new_indptr, self.indices[kept], weights)

    def remove_self_loops(self) -> "Graph":
        new_indptr, kept = kernels.remove_self_loops(self.indptr, self.indices)
        if kept.shape[0] == self.num_edges:
            return self
        weights = None if self.weights is None else self.weights[kept]
        return self._derived(new_indptr, self.indices[kept], weights)

    def add_self_loops(self, fill_value: float = 1.0) -> "Graph":
        """Give every node a self-loop of weight ``fill_value`` (existing loops kept)."""
        fill_value = check_real(fill_value, "fill_value")
        weights = self.weights if self.weights is not None else np.zeros(0, np.float32)
        new_indptr, new_indices, new_weights, _ = kernels.add_self_loops(
            self.indptr, self.indices, weights, np.float32(fill_value), self.weights is not None)
        if self.weights is None and fill_value == 1.0:
            new_weights = None
        elif self.weights is None:
            new_weights = np.where(new_indices == kernels.expand_rows(new_indptr), fill_value, 1.0)
        return self._derived(new_indptr, new_indices, new_weights)

    def subgraph(self, nodes) -> "Graph":
        """Induced subgraph on ``nodes`` (relabelled 0..len(nodes)-1 in the given order).

        ``node_labels`` follow the rows (``node_labels[nodes]``) when the graph has labels.
        """
        nodes = as_index_array(nodes, "nodes")
        if nodes.ndim != 1:
            raise ValueError(f"nodes must be 1-D, got shape {nodes.shape}")
        nodes = np.ascontiguousarray(check_node_ids(nodes, self.num_nodes, "nodes"))
        if np.unique(nodes).shape[0] != nodes.shape[0]:
            raise ValueError("nodes must not contain duplicates")
        new_indptr, new_indices, kept = kernels.induced_subgraph(self.indptr, self.indices, nodes, self.num_nodes)
        weights = None if self.weights is None else self.weights[kept]
        labels = None if self.node_labels is None else self.node_labels[nodes]
        # rows keep their original column order, which is sorted only if relabelling is monotone
        g = Graph._from_trusted(new_indptr, new_indices, weights, nodes.shape[0], self.directed, labels)
        if nodes.shape[0] > 1 and np.any(np.diff(nodes) < 0):
            g = _coalesced(g)
        return g

    def with_weights(self, weights) -> "Graph":
        """Same structure with new per-edge weights (``None`` drops them)."""
        return self._derived(self.indptr, self.indices, _check_weights(weights, self.num_edges, "weights"))

    def with_node_labels(self, node_labels) -> "Graph":
        """Same graph with new ``node_labels`` (one distinct label per node; ``None`` drops them)."""
        return self._derived(self.indptr, self.indices, self.weights,
                             node_labels=_check_node_labels(node_labels, self.num_nodes))

    def is_symmetric(self) -> bool:
        """True when every stored edge has its reverse (weights not compared)."""
        if self.num_edges == 0:
            return True
        if not np.array_equal(np.bincount(self.indices, minlength=self.num_nodes), np.diff(self.indptr)):
            return False  # in-degree != out-degree somewhere
        # rows are sorted and coalesced (the Graph invariant), so the graph is symmetric exactly when its
        # CSR equals that of its transpose: one counting sort instead of a lookup per edge
        indptr_t, indices_t, _ = kernels.transpose(self.indptr, self.indices, self.num_nodes)
        return bool(np.array_equal(indptr_t, self.indptr) and np.array_equal(indices_t, self.indices))

    # ------------------------------------------------------------------ edge identity
    # (thin wrappers over graphsparse/kernels/edges.py; rows are sorted and coalesced; the cached
    # maps are read-only arrays shared by every caller)
    def locate(self, src, dst) -> np.ndarray:
        """CSR position of every edge ``(src[k], dst[k])`` (int64), ``-1`` where it is not stored."""
        src = check_node_ids(as_index_array(src, "src"), self.num_nodes, "src")
        dst = check_node_ids(as_index_array(dst, "dst"), self.num_nodes, "dst")
        if src.shape != dst.shape:
            raise ValueError(f"src and dst must have the same length, got {src.shape[0]} and {dst.shape[0]}")
        return kernels.locate_edges(self.indptr, self.indices, src, dst.astype(self.indices.dtype))

    def reverse_edges(self) -> np.ndarray:
        """Position of ``(j, i)`` for every stored ``(i, j)`` (int64; ``-1`` for a one-way edge of a
        directed graph; a self-loop is its own reverse). Directed and undirected alike; cached."""
        if "reverse_edges" not in self._cache:
            result = kernels.reverse_edges(self.indptr, self.indices)
            result.setflags(write=False)
            self._cache["reverse_edges"] = result
        return self._cache["reverse_edges"]

    def canonical_edges(self) -> np.ndarray:
        """Representative position of every stored edge's pair: ``(i, j)`` with ``i <= j`` itself,
        ``(i, j)`` with ``i > j`` its reverse when stored (itself otherwise); cached."""
        if "canonical_edges" not in self._cache:
            result = kernels.canonical_edges(self.indptr, self.indices, self.reverse_edges())
            result.setflags(write=False)
            self._cache["canonical_edges"] = result
        return self._cache["canonical_edges"]

    def pair_ids(self) -> np.ndarray:
        """Pair id ``0..P-1`` of every stored edge (both directions of an edge share one; pairs are
        numbered in the CSR order of their representative, :meth:`canonical_edges`); cached."""
        if "pair_ids" not in self._cache:
            result = kernels.pair_ids(self.canonical_edges())
            result.setflags(write=False)
            self._cache["pair_ids"] = result
        return self._cache["pair_ids"]

    # ------------------------------------------------------------------ conversions
    def to_scipy(self, fmt: str = "csr") -> sp.csr_matrix:
        """SciPy sparse matrix (weights, or ones) in format ``fmt``."""
        m = sp.csr_matrix((self.edge_weights(), self.indices, self.indptr), shape=(self.num_nodes,) * 2)
        return m.asformat(fmt)

    def to_edge_index(self, backend: str = "numpy"):
        """``(2, E)`` int64 edge index in CSR order (``backend='torch'`` for a tensor)."""
        edge_index = np.stack([self.sources(), self.indices.astype(np.int64)])
        if backend == "torch":
            import torch

            return torch.from_numpy(edge_index)
        if backend != "numpy":
            raise ValueError(f"backend must be 'numpy' or 'torch', got {backend!r}")
        return edge_index

    def to_pyg(self, **attrs):
        """PyG ``Data`` with ``edge_index`` (and ``edge_weight`` when weighted); ``attrs`` are added."""
        import torch
        from torch_geometric.data import Data

        data = Data(edge_index=self.to_edge_index("torch"), num_nodes=self.num_nodes)
        if self.weights is not None:
            data.edge_weight = torch.from_numpy(self.weights.copy())
        for key, value in attrs.items():
            data[key] = value
        return data

    def to_networkx(self):
        """networkx ``DiGraph`` (directed) or ``Graph`` (undirected), with ``weight`` attributes.

        Nodes are named by ``node_labels`` when the graph has them (else ``0..n-1``), added in
        row order, so ``as_graph(g.to_networkx()) == g``.
        """
        import networkx as nx

        g = nx.DiGraph() if self.directed else nx.Graph()
        names = list(range(self.num_nodes)) if self.node_labels is None else self.node_labels.tolist()
        g.add_nodes_from(names)
        src, dst = self.sources().tolist(), self.indices.tolist()
        if self.node_labels is not None:
            src, dst = [names[i] for i in src], [names[j] for j in dst]
        if self.weights is None:
            g.add_edges_from(zip(src, dst))
        else:
            g.add_weighted_edges_from(zip(src, dst, self.weights.tolist()))
        return g

    def to_torch_csr(self):
        """torch sparse CSR tensor (float32 values; :func:`graphsparse.torch_ops.graph_csr`, cached)."""
        from graphsparse.torch_ops import graph_csr

        return graph_csr(self)

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> str:
        """Save to ``.npz`` losslessly (dtypes, weights, direction, node labels); returns the path.

        ``.npz`` is appended when ``path`` does not end with it (as NumPy does), and
        :meth:`load` applies the same rule, so ``save('x')`` and ``load('x')`` both mean
        ``x.npz``. No array is pickled: node labels must be integers or strings (other labels,
        e.g. tuples, raise ``ValueError``; store them as strings with
        ``g.with_node_labels([str(v) for v in g.node_labels])``).
        """
        arrays = dict(indptr=self.indptr, indices=self.indices, num_nodes=np.int64(self.num_nodes),
                      directed=np.bool_(self.directed), format_version=np.int64(GRAPH_FILE_FORMAT))
        if self.weights is not None:
            arrays["weights"] = self.weights
        if self.node_labels is not None:
            if self.node_labels.dtype.kind not in "iuUSf":
                kinds = sorted({type(v).__name__ for v in self.node_labels.tolist()})
                raise ValueError(f"node_labels of type {'/'.join(kinds)} cannot be saved without pickling; "
                                 "convert them to strings or integers first (Graph.with_node_labels)")
            arrays["node_labels"] = self.node_labels
        path = _npz_path(path)
        np.savez(path, **arrays)
        return path

    @classmethod
    def load(cls, path) -> "Graph":
        """Read a graph written by :meth:`save`; every array is validated (a file is untrusted).

        A file that is not a graph archive (text, ``.npy``, truncated, pickled arrays) raises
        ``ValueError("not a graphsparse graph file: <path>: <problem>")``; an archive whose arrays
        do not form a valid graph raises ``ValueError`` naming the file and the problem.
        Nothing is unpickled.
        """
        path = _npz_path(path, must_exist=True)
        arrays = _read_npz(path, required=("indptr", "indices", "num_nodes", "directed"),
                           optional=("weights", "node_labels", "format_version"))
        version = arrays.get("format_version")
        if version is not None and (version.shape != () or version.dtype.kind not in "iu"
                                    or int(version) > GRAPH_FILE_FORMAT):
            raise ValueError(f"not a graphsparse graph file: {path}: format_version {version!r} is not "
                             f"supported (this version reads <= {GRAPH_FILE_FORMAT})")
        scalars = {}
        for key, kinds in (("num_nodes", "iu"), ("directed", "biu")):
            value = arrays[key]
            if value.shape != () or value.dtype.kind not in kinds:
                raise ValueError(f"not a graphsparse graph file: {path}: '{key}' must be a scalar "
                                 f"({'integer' if key == 'num_nodes' else 'bool'}), got {value.dtype} {value.shape}")
            scalars[key] = value.item()
        for key in ("indptr", "indices", "weights"):
            if key in arrays and arrays[key].dtype.kind not in ("iu" if key != "weights" else "f"):
                raise ValueError(f"not a graphsparse graph file: {path}: '{key}' has dtype {arrays[key].dtype}, "
                                 f"expected {'integers' if key != 'weights' else 'floats'}")
        labels = arrays.get("node_labels")
        if labels is not None and labels.dtype.kind not in "iuUSf":
            raise ValueError(f"not a graphsparse graph file: {path}: 'node_labels' has dtype {labels.dtype}")
        try:
            indptr, indices, weights, n, labels = validate_csr(
                arrays["indptr"], arrays["indices"], arrays.get("weights"), scalars["num_nodes"], labels,
                name=f"invalid graph file {path}")
        except TypeError as exc:
            raise ValueError(str(exc)) from None
        return cls._from_trusted(indptr, indices, weights, n, bool(scalars["directed"]), labels)

    def __eq__(self, other) -> bool:  # structural equality, used by tests and save/load
        if not isinstance(other, Graph):
            return NotImplemented
        same_w = (self.weights is None and other.weights is None) or (
            self.weights is not None and other.weights is not None and np.array_equal(self.weights, other.weights))
        same_labels = (self.node_labels is None and other.node_labels is None) or (
            self.node_labels is not None and other.node_labels is not None
            and self.node_labels.shape == other.node_labels.shape
            and bool(np.all(self.node_labels == other.node_labels)))
        return (self.num_nodes == other.num_nodes and self.directed == other.directed
                and np.array_equal(self.indptr, other.indptr) and np.array_equal(self.indices, other.indices)
                and same_w and same_labels)

    __hash__ = None

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_edge_index(cls, edge_index, num_nodes: int | None = None, edge_weight=None,
                        directed: bool | None = None, reduce: str = "sum") -> "Graph":
        """From a ``(2, E)`` array/tensor; see :func:`as_graph`."""
        return as_graph(edge_index, num_nodes=num_nodes, edge_weight=edge_weight, directed=directed, reduce=reduce)


def _npz_path(path, must_exist: bool = False):
    """``path`` with ``.npz`` appended when missing (file objects pass through)."""
    if not isinstance(path, (str, os.PathLike)):
        return path
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    candidate = path if path.endswith(".npz") else path + ".npz"
    if must_exist and not os.path.exists(candidate):
        if os.path.isfile(path):  # a graph archive under another name: read it as given
            return path
        raise FileNotFoundError(f"graph file {candidate} not found" + (
            "" if candidate == path else f" (load('{path}') reads '{candidate}', as save('{path}') writes it)"))
    return candidate


def _read_npz(path, required, optional) -> dict:
    """Arrays of an ``.npz`` archive, read without pickles and with header sizes checked first."""
    def bad(problem):
        return ValueError(f"not a graphsparse graph file: {path}: {problem}")

    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise
    except Exception as exc:  # a corrupted archive can raise almost anything from zipfile
        if isinstance(exc, TypeError) and not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a file name or a binary file object, got {type(path).__name__}") from None
        with_magic = ""
        if isinstance(path, str):
            try:
                with open(path, "rb") as fh:
                    if fh.read(6) == b"\x93NUMPY":
                        with_magic = "a single .npy array, not an .npz archive"
            except OSError:
                pass
        raise bad(with_magic or f"not an .npz (zip) archive ({type(exc).__name__}: {exc})") from None
    arrays = {}
    with archive:
        names = {name[:-4] if name.endswith(".npy") else name: name for name in archive.namelist()}
        missing = [key for key in required if key not in names]
        if missing:
            raise bad(f"missing {missing} (found {sorted(names)})")
        for key in list(required) + [k for k in optional if k in names]:
            try:
                with archive.open(names[key]) as member:
                    version = np.lib.format.read_magic(member)
                    if version == (1, 0):
                        shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
                    else:
                        shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
                    if dtype.hasobject:
                        raise bad(f"'{key}' holds Python objects (pickled data), which are never loaded")
                    nbytes = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
                    if nbytes > archive.getinfo(names[key]).file_size:
                        raise bad(f"'{key}' claims shape {shape} ({nbytes} bytes) but its member holds "
                                  f"{archive.getinfo(names[key]).file_size} bytes (truncated or corrupted)")
                with archive.open(names[key]) as member:
                    arrays[key] = np.lib.format.read_array(member, allow_pickle=False)
            except ValueError as exc:
                if str(exc).startswith("not a graphsparse graph file"):
                    raise
                raise bad(f"cannot read '{key}': {exc}") from None
            except Exception as exc:  # corrupted members: zlib errors, bad headers, CRC mismatch, ...
                raise bad(f"cannot read '{key}' ({type(exc).__name__}: {exc})") from None
    return arrays



def _coalesced(g: Graph, reduce: str = "sum") -> Graph:
    weights = g.weights if g.weights is not None else np.zeros(0, np.float32)
    indptr, indices, new_w, _ = kernels.sort_and_coalesce_rows(g.indptr, g.indices, weights, reduce == "max")
    return g._derived(indptr, indices, new_w if g.weights is not None else None)


def _from_coo(rows, cols, weights, num_nodes, directed, reduce="sum") -> Graph:
    """CSR from COO arrays already checked to lie in ``[0, num_nodes)`` (trusted path).

    Duplicate entries are merged by ``reduce``. Without weights, ``reduce='sum'`` follows SciPy:
    an edge given ``k`` times gets weight ``k`` (the graph becomes weighted only when duplicates
    exist); ``reduce='max'`` keeps one unweighted entry.
    """
    indptr, perm = kernels.coo_to_csr(rows, cols, num_nodes)
    indices = cols[perm].astype(_index_dtype(num_nodes), copy=False)
    w = np.zeros(0, np.float32) if weights is None else weights[perm]
    new_indptr, new_indices, new_w, _ = kernels.sort_and_coalesce_rows(indptr, indices, w, reduce == "max")
    if weights is None and reduce == "sum" and new_indices.shape[0] < indices.shape[0]:
        ones = np.ones(indices.shape[0], np.float32)  # duplicates: count them, as SciPy sums 1 + 1
        new_indptr, new_indices, new_w, _ = kernels.sort_and_coalesce_rows(indptr, indices, ones, False)
        return Graph._from_trusted(new_indptr, new_indices, new_w, num_nodes, directed)
    return Graph._from_trusted(new_indptr, new_indices, None if weights is None else new_w, num_nodes, directed)


def _coerce_edge_index(edge_index, name: str) -> np.ndarray:
    """A ``(2, E)`` int64 edge index; integral floats are accepted, other floats/bools refused."""
    try:
        array = _to_numpy(edge_index)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{name} must be a (2, E) array of integer node ids ({exc})") from None
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (2, E), got {array.ndim}-D shape {array.shape}")
    if array.shape[0] != 2:
        if array.shape[1] == 2:
            raise ValueError(f"{name} must have shape (2, E), got {array.shape}: looks like (E, 2); "
                             f"pass {name}.T")
        raise ValueError(f"{name} must have shape (2, E), got {array.shape}")
    if array.dtype.kind == "O":
        raise TypeError(f"{name} must hold integer node ids, got Python objects (ids beyond int64, or mixed types?)")
    return _as_int64_ids(array, name, allow_integral_float=True)


def as_graph(graph, *, num_nodes: int | None = None, edge_weight=None, directed: bool | None = None,
             reduce: str = "sum", name: str = "graph", nodelist=None) -> Graph:
    """Coerce any supported graph object to a :class:`Graph` (the library's single entry point).

    Every input from outside is validated in O(E) before a kernel sees it (ids in range, CSR
    structure, finite weights); see the module docstring and ``docs/trust.md``.

    Parameters
    ----------
    graph : Graph, SciPy sparse, edge index, PyG Data, networkx graph or torch sparse tensor
        ``Graph``; SciPy sparse matrix/array (square; values become weights unless all ones;
        unsorted rows and duplicates are sorted and summed); ``(2, E)`` edge index (NumPy, torch or
        nested lists) of integer ids -- float ids are accepted only when integral; PyG ``Data``
        (uses ``edge_index``, ``edge_weight`` or a 1-D ``edge_attr``, ``num_nodes``); networkx
        ``Graph``/``DiGraph`` (``weight`` attribute used when present); torch sparse COO/CSR tensor.
    num_nodes : int or None, default=None
        Number of nodes for an edge index (default ``max id + 1``, inferred only up to
        ``min(2**31, max(2**24, 16 x edges))`` nodes -- larger ids look like labels, not row
        numbers, and would allocate gigabytes: pass ``num_nodes`` explicitly for such graphs);
        checked against the others. A node count whose per-node arrays exceed the machine's
        memory raises ``MemoryError`` saying so.
    edge_weight : array-like of shape (E,) or None, default=None
        Optional weights for an edge index (one per column).
    directed : bool or None, default=None
        ``None`` infers it: networkx by its class, a ``Graph`` keeps its flag, anything else is
        directed unless its edge set is symmetric. ``False`` on an asymmetric input symmetrises
        it (``A + A^T`` merged with ``reduce='max'``).
    reduce : {'sum', 'max'}, default='sum'
        How duplicate edges of an edge index are merged: ``'sum'`` (default, as SciPy: an
        unweighted edge given twice gets weight 2) or ``'max'`` (one entry, weight kept).
    name : str, default='graph'
        How error messages call the argument.
    nodelist : sequence or None, default=None
        networkx input only: the node of each row, in order (every node exactly once). Without
        it, a graph whose labels are exactly the integers ``0..n-1`` (in any insertion order)
        maps node ``i`` to row ``i``; any other graph keeps ``G.nodes()`` order. Unless the rows
        are ``0..n-1`` in that sense, the labels are kept in ``Graph.node_labels``.

    Returns
    -------
    Graph

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse import as_graph
    >>> g = as_graph(np.array([[0, 1, 1], [1, 2, 2]]))  # edge 1 -> 2 given twice: summed
    >>> g.num_nodes, g.num_edges, g.directed, g.weights.tolist()
    (3, 2, True, [1.0, 2.0])
    >>> as_graph(np.array([[0, 1], [1, 0]])).directed  # a symmetric edge set is undirected
    False
    """
    if reduce not in ("sum", "max"):
        raise ValueError(f"reduce must be 'sum' or 'max', got {reduce!r}")
    if nodelist is not None and not _is_networkx(graph):
        raise TypeError(f"nodelist applies to networkx graphs only, got {type(graph).__name__}")
    if num_nodes is not None:
        num_nodes = _check_num_nodes(num_nodes)
    if isinstance(graph, Graph):
        g = graph
        if num_nodes is not None and num_nodes != g.num_nodes:
            raise ValueError(f"num_nodes={num_nodes} does not match the graph's {g.num_nodes} nodes")
        if edge_weight is not None:
            g = g.with_weights(edge_weight)
        return _apply_direction(g, directed)

    if sp.issparse(graph):
        g = _from_scipy(graph, name)
        if num_nodes is not None and num_nodes != g.num_nodes:
            raise ValueError(f"num_nodes={num_nodes} does not match the {name}'s shape {graph.shape}")
        if edge_weight is not None:
            raise ValueError("edge_weight cannot be combined with a SciPy matrix: its values are the weights")
        return _apply_direction(g, directed)

    if _is_pyg_data(graph):
        if getattr(graph, "edge_index", None) is None:
            raise ValueError(f"{name} is a PyG Data object without edge_index")
        weights = edge_weight
        if weights is None:
            weights = getattr(graph, "edge_weight", None)
        if weights is None and getattr(graph, "edge_attr", None) is not None:
            attr = graph.edge_attr
            if attr.dim() == 1 or (attr.dim() == 2 and attr.size(1) == 1):
                weights = attr.view(-1)
        n = graph.num_nodes if num_nodes is None else num_nodes
        if directed is None and isinstance(getattr(graph, "directed", None), (bool, np.bool_)):
            directed = bool(graph.directed)  # loaders and generators set this flag
        return as_graph(graph.edge_index, num_nodes=n, edge_weight=weights, directed=directed,
                        reduce=reduce, name=f"{name}.edge_index")

    if _is_networkx(graph):
        return _from_networkx(graph, num_nodes, directed, nodelist, name)

    if _is_torch_sparse(graph):
        return as_graph(_torch_sparse_to_scipy(graph, name), directed=directed, name=name)

    # (2, E) edge index, NumPy or torch (or nested lists)
    if isinstance(graph, (list, tuple)) and len(graph) == 0:
        raise ValueError(f"{name} is empty: expected a (2, E) edge index")
    edge_index = _coerce_edge_index(graph, name)
    n_edges = edge_index.shape[1]
    if num_nodes is None:
        if n_edges == 0:
            raise ValueError(f"{name} has no edges; pass num_nodes to build an edgeless graph")
        low, high = int(edge_index.min()), int(edge_index.max())
        if low < 0:
            raise ValueError(f"{name} holds negative node ids (min {low}); ids must be in [0, num_nodes)")
        limit = min(MAX_INFERRED_NODES, max(SPARSE_ID_FLOOR, 16 * n_edges))
        if high + 1 > limit:
            raise ValueError(
                f"{name} holds node id {high} but only {n_edges} edges, so num_nodes would be inferred as "
                f"{high + 1} (indptr alone would take {(high + 2) * 8 / 2**30:.1f} GiB). num_nodes is inferred "
                f"only up to min(2**31, max(2**24, 16 x edges)) = {limit} nodes. Node ids must be row numbers "
                "0..n-1: relabel them (np.unique(edge_index, return_inverse=True)), or pass num_nodes "
                "explicitly if the graph really has that many nodes")
        num_nodes = high + 1
    _check_fits_memory(num_nodes, name)
    check_node_ids(edge_index.reshape(-1), num_nodes, name)
    weights = _check_weights(edge_weight, n_edges)
    try:
        g = _from_coo(edge_index[0], edge_index[1], weights, num_nodes, True, reduce)
    except MemoryError:
        raise MemoryError(f"{name}: a graph of num_nodes={num_nodes} nodes and {n_edges} edges does not fit "
                          f"in memory (indptr alone takes {(num_nodes + 1) * 8 / 2**30:.1f} GiB)") from None
    if directed is None:
        g.directed = not g.is_symmetric()
    return _apply_direction(g, directed)


def _apply_direction(g: Graph, directed: bool | None) -> Graph:
    if directed is None or bool(directed) == g.directed:
        return g
    if directed:
        return g._derived(g.indptr, g.indices, g.weights, True)
    if g.is_symmetric():
        return g._derived(g.indptr, g.indices, g.weights, False)
    return g._derived(g.indptr, g.indices, g.weights, True).symmetrize("max")


def _is_label_range(nodes: list) -> bool:
    """True when the labels are exactly the integers 0..n-1 (in any order; bools excluded)."""
    n = len(nodes)
    seen = np.zeros(n, dtype=bool)
    for v in nodes:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or not 0 <= v < n or seen[v]:
            return False
        seen[v] = True
    return True


def _from_networkx(graph, num_nodes, directed, nodelist, name: str) -> Graph:
    import networkx as nx

    nodes = list(graph.nodes())
    n = len(nodes)
    if num_nodes is not None and num_nodes != n:
        raise ValueError(f"num_nodes={num_nodes} does not match the networkx graph's {n} nodes")
    if nodelist is not None:
        order = list(nodelist)
        try:
            distinct = set(order)
        except TypeError:
            raise TypeError("nodelist must hold hashable node labels") from None
        if len(distinct) != len(order):
            raise ValueError("nodelist must not contain duplicates")
        missing = [v for v in nodes if v not in distinct]
        unknown = [v for v in order if v not in graph]
        if unknown or missing:
            raise ValueError(f"nodelist must list every node of the graph exactly once: "
                             f"{len(unknown)} unknown (e.g. {unknown[:3]}), {len(missing)} missing (e.g. {missing[:3]})")
    elif _is_label_range(nodes):
        order = list(range(n))  # labels are row ids: node i -> row i, whatever the insertion order
    else:
        order = nodes
    m = nx.to_scipy_sparse_array(graph, nodelist=order, weight="weight", format="csr", dtype=np.float64)
    g = _from_scipy(m, name)
    g.node_labels = _check_node_labels(order, n, "node labels")  # None when the rows are 0..n-1
    if directed is None:
        g.directed = graph.is_directed()
    return _apply_direction(g, directed)


def _check_compressed_structure(indptr, indices, n_major: int, n_minor: int, name: str) -> None:
    """indptr/indices of a SciPy (or torch) CSR/CSC checked before SciPy converts them."""
    indptr = _to_numpy(indptr)
    indices = _to_numpy(indices)
    if indptr.ndim != 1 or indptr.shape[0] != n_major + 1:
        raise ValueError(f"{name}: index pointer must have {n_major + 1} entries, got shape {indptr.shape}")
    indptr = np.ascontiguousarray(_as_int64_ids(indptr, f"{name} index pointer"))
    indices = _as_int64_ids(indices.reshape(-1), f"{name} indices")
    if indices.dtype not in (np.int32, np.int64):
        indices = indices.astype(np.int64)
    code, where = kernels.csr_problem(indptr, np.ascontiguousarray(indices), n_minor, False)
    if code:
        raise ValueError(_describe_problem(code, where, indptr, indices, n_minor, name))


def _from_scipy(matrix, name: str) -> Graph:
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{name} must be a square adjacency matrix, got shape {matrix.shape}")
    n = _check_num_nodes(matrix.shape[0], f"{name} shape")
    fmt = matrix.format
    if fmt in ("csr", "csc"):
        _check_compressed_structure(matrix.indptr, matrix.indices, n, n, name)
        if np.asarray(matrix.data).shape[0] < matrix.indptr[-1]:
            raise ValueError(f"{name}: data has {np.asarray(matrix.data).shape[0]} entries, fewer than the "
                             f"{matrix.indptr[-1]} stored edges")
    elif fmt == "coo":
        for label, ids in (("row", matrix.row), ("col", matrix.col)):
            ids = _as_int64_ids(np.asarray(ids).reshape(-1), f"{name} {label} ids")
            check_node_ids(ids, n, f"{name} {label} ids")
        if np.asarray(matrix.data).shape[0] != np.asarray(matrix.row).shape[0]:
            raise ValueError(f"{name}: data and row/col ids have different lengths")
    elif fmt == "bsr":
        try:
            matrix = matrix.copy()
            matrix.check_format(full_check=True)
        except ValueError as exc:
            raise ValueError(f"{name}: invalid BSR structure: {exc}") from None
    data_dtype = np.dtype(matrix.dtype)
    if data_dtype.kind not in "fiub":
        raise TypeError(f"{name} must hold real numeric values, got dtype {data_dtype}")
    try:
        csr = sp.csr_matrix(matrix)
    except MemoryError:
        raise MemoryError(f"{name}: a {n} x {n} sparse matrix does not fit in memory") from None
    nnz = int(csr.indptr[-1])
    indptr = csr.indptr.astype(np.int64)
    indices = np.ascontiguousarray(csr.indices[:nnz])
    if indices.dtype not in (np.int32, np.int64):
        indices = indices.astype(np.int64)
    code, _ = kernels.csr_problem(indptr, indices, n, True)
    if code in (6, 7):  # unsorted rows or duplicates: let SciPy sort and sum them, on a copy
        csr = csr.copy()
        csr.has_canonical_format = False
        csr.sum_duplicates()
        nnz = int(csr.indptr[-1])
        indptr = csr.indptr.astype(np.int64)
        indices = csr.indices[:nnz]
        code, _ = kernels.csr_problem(indptr, np.ascontiguousarray(indices), n, True)
    if code:  # cannot happen after the checks above; refuse rather than hand a kernel bad arrays
        raise ValueError(_describe_problem(code, 0, indptr, indices, n, name))
    data = np.asarray(csr.data[:nnz])
    if data.dtype.kind not in "fiub":
        raise TypeError(f"{name} must hold real numeric values, got dtype {data.dtype}")
    check_finite(data.astype(np.float64), f"{name} values")
    weights = None if data.size == 0 or np.all(data == 1) else _check_weights(data, nnz, f"{name} values")
    g = Graph._from_trusted(indptr, indices, weights, n, True)
    g.directed = not (g.is_symmetric() and (weights is None or _weights_symmetric(g)))
    return g


def _weights_symmetric(g: Graph) -> bool:
    t_perm = kernels.transpose(g.indptr, g.indices, g.num_nodes)[2]
    return bool(np.array_equal(g.weights, g.weights[t_perm]))


def _is_pyg_data(obj) -> bool:
    try:
        from torch_geometric.data import Data, HeteroData  # noqa: F401
        from torch_geometric.data.data import BaseData

        return isinstance(obj, BaseData) and not isinstance(obj, HeteroData)
    except ImportError:  # pragma: no cover
        return False


def _is_networkx(obj) -> bool:
    mod = type(obj).__module__
    return mod.startswith("networkx")


def _is_torch_sparse(obj) -> bool:
    try:
        import torch

        if isinstance(obj, torch.Tensor) and obj.layout in (torch.sparse_coo, torch.sparse_csr):
            return True
    except ImportError:  # pragma: no cover
        return False
    return type(obj).__name__ == "SparseTensor"


def _torch_sparse_to_scipy(obj, name: str = "graph"):
    """SciPy matrix from a torch sparse tensor; its index arrays are checked before SciPy sees them."""
    import torch

    if type(obj).__name__ == "SparseTensor":  # torch_sparse.SparseTensor
        row, col, val = obj.coo()
        n_rows, n_cols = obj.sizes()[:2]
        obj = torch.sparse_coo_tensor(torch.stack([row, col]), val if val is not None else torch.ones(row.numel()),
                                      (n_rows, n_cols), check_invariants=False)
    if obj.dim() != 2 or obj.shape[0] != obj.shape[1]:
        raise ValueError(f"{name} must be a square 2-D sparse adjacency, got shape {tuple(obj.shape)}")
    n = int(obj.shape[0])
    if obj.layout == torch.sparse_csr:
        crow, col, val = obj.crow_indices(), obj.col_indices(), obj.values()
        if val.dim() != 1:
            raise ValueError(f"{name} must have one scalar value per stored entry, got values of shape {tuple(val.shape)}")
        crow, col = crow.cpu().numpy(), col.cpu().numpy()
        _check_compressed_structure(crow, col, n, n, name)
        if val.shape[0] < int(crow[-1]):
            raise ValueError(f"{name}: values has {val.shape[0]} entries, fewer than the {int(crow[-1])} stored edges")
        return sp.csr_matrix((val.detach().cpu().numpy(), col, crow), shape=(n, n))
    idx, val = obj._indices(), obj._values()  # raw (possibly uncoalesced): no torch work on bad ids
    if val.dim() != 1:
        raise ValueError(f"{name} must have one scalar value per stored entry, got values of shape {tuple(val.shape)}")
    idx = idx.cpu().numpy()
    ids = _as_int64_ids(idx, f"{name} indices")
    check_node_ids(ids.reshape(-1), n, f"{name} indices")
    return sp.coo_matrix((val.detach().cpu().numpy(), (ids[0], ids[1])), shape=(n, n)).tocsr()


def default_data_root() -> str:
    """``$GRAPHSPARSE_DATA``, else ``../shared/datasets`` next to the checkout (may not exist)."""
    env = os.environ.get("GRAPHSPARSE_DATA")
    if env:
        return env
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.normpath(os.path.join(here, "..", "shared", "datasets"))
