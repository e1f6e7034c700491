"""The one graph container of graphsparse and the single coercion entry point.

:class:`Graph` stores a graph in CSR form:

* ``indptr``  -- int64, ``num_nodes + 1`` entries; row ``i`` = out-edges of node ``i``;
* ``indices`` -- int32 while ``num_nodes < 2**31`` (int64 beyond), target of every stored edge;
* ``weights`` -- float32 per stored edge, or ``None`` for an unweighted graph;
* ``num_nodes`` and ``directed``.

An undirected graph stores both directions of every edge (as PyG does), so ``num_edges`` counts
directed entries. Rows are sorted and hold no duplicate columns (coalesced), which every kernel
may rely on. ``indptr`` is always int64, so edge counts above ``2**31`` work.

:func:`as_graph` accepts a SciPy sparse matrix/array, a ``(2, E)`` edge index (NumPy or torch), a
PyG ``Data``, a networkx (Di)Graph or a :class:`Graph`, and is what every public function of the
library calls on its graph argument. ``Graph.to_scipy``/``to_edge_index``/``to_pyg``/
``to_networkx`` convert back.
"""
from __future__ import annotations

import numbers
import os
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from graphsparse import kernels
from graphsparse._validation import as_index_array, check_finite, check_node_ids
from graphsparse._validation import to_numpy as _to_numpy

__all__ = ["Graph", "as_graph", "index_dtype", "INT32_MAX", "default_data_root"]

INT32_MAX = np.iinfo(np.int32).max


def index_dtype(num_nodes: int):
    """int32 while every node id fits, int64 beyond (the dtype of ``Graph.indices``)."""
    return np.int32 if num_nodes <= INT32_MAX else np.int64


_index_dtype = index_dtype


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
    if not (np.issubdtype(weights.dtype, np.floating) or np.issubdtype(weights.dtype, np.integer)
            or weights.dtype == bool):
        raise TypeError(f"{name} must be numeric, got dtype {weights.dtype}")
    weights = weights.astype(np.float32)
    check_finite(weights, name)
    return weights


@dataclass(eq=False)
class Graph:
    """CSR graph: ``indptr``, ``indices``, optional float32 ``weights``, ``num_nodes``, ``directed``.

    Build one with :func:`as_graph` (or :meth:`from_edge_index`); the constructor trusts its
    arguments (sorted, coalesced rows) and only checks shapes.
    """

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray | None
    num_nodes: int
    directed: bool = True
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        self.indptr = np.ascontiguousarray(self.indptr, dtype=np.int64)
        self.num_nodes = int(self.num_nodes)
        if self.indptr.shape != (self.num_nodes + 1,):
            raise ValueError(f"indptr must have num_nodes + 1 = {self.num_nodes + 1} entries, "
                             f"got {self.indptr.shape[0]}")
        self.indices = np.ascontiguousarray(self.indices, dtype=_index_dtype(self.num_nodes))
        if self.indices.shape[0] != self.indptr[-1]:
            raise ValueError(f"indices has {self.indices.shape[0]} entries but indptr[-1] = {self.indptr[-1]}")
        if self.weights is not None:
            self.weights = np.ascontiguousarray(self.weights, dtype=np.float32)
            if self.weights.shape != self.indices.shape:
                raise ValueError("weights must have one entry per stored edge")
        self.directed = bool(self.directed)

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
        return f"Graph(num_nodes={self.num_nodes}, num_edges={self.num_edges}, {kind}{w})"

    def edge_weights(self) -> np.ndarray:
        """Weights, or a float32 array of ones for an unweighted graph."""
        if self.weights is not None:
            return self.weights
        return np.ones(self.num_edges, dtype=np.float32)

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
            g = Graph(indptr_t, indices_t, weights_t, self.num_nodes, True)
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
        return g

    def filter_edges(self, edge_mask) -> "Graph":
        """Keep the stored edges where ``edge_mask`` (bool, one per stored edge) is True."""
        edge_mask = _to_numpy(edge_mask)
        if edge_mask.dtype != bool:
            raise TypeError(f"edge_mask must be boolean, got dtype {edge_mask.dtype}")
        if edge_mask.shape != (self.num_edges,):
            raise ValueError(f"edge_mask must have shape ({self.num_edges},), got {edge_mask.shape}")
        new_indptr, kept = kernels.filter_edges(self.indptr, edge_mask)
        weights = None if self.weights is None else self.weights[kept]
        return Graph(new_indptr, self.indices[kept], weights, self.num_nodes, self.directed)

    def remove_self_loops(self) -> "Graph":
        new_indptr, kept = kernels.remove_self_loops(self.indptr, self.indices)
        if kept.shape[0] == self.num_edges:
            return self
        weights = None if self.weights is None else self.weights[kept]
        return Graph(new_indptr, self.indices[kept], weights, self.num_nodes, self.directed)

    def add_self_loops(self, fill_value: float = 1.0) -> "Graph":
        """Give every node a self-loop of weight ``fill_value`` (existing loops kept)."""
        weights = self.weights if self.weights is not None else np.zeros(0, np.float32)
        new_indptr, new_indices, new_weights, _ = kernels.add_self_loops(
            self.indptr, self.indices, weights, np.float32(fill_value), self.weights is not None)
        if self.weights is None and fill_value == 1.0:
            new_weights = None
        elif self.weights is None:
            new_weights = np.where(new_indices == kernels.expand_rows(new_indptr), fill_value, 1.0)
        return Graph(new_indptr, new_indices, new_weights, self.num_nodes, self.directed)

    def subgraph(self, nodes) -> "Graph":
        """Induced subgraph on ``nodes`` (relabelled 0..len(nodes)-1 in the given order)."""
        nodes = check_node_ids(as_index_array(nodes, "nodes"), self.num_nodes, "nodes")
        if np.unique(nodes).shape[0] != nodes.shape[0]:
            raise ValueError("nodes must not contain duplicates")
        new_indptr, new_indices, kept = kernels.induced_subgraph(self.indptr, self.indices, nodes, self.num_nodes)
        weights = None if self.weights is None else self.weights[kept]
        # rows keep their original column order, which is sorted only if relabelling is monotone
        g = Graph(new_indptr, new_indices, weights, nodes.shape[0], self.directed)
        if nodes.shape[0] > 1 and np.any(np.diff(nodes) < 0):
            g = _coalesced(g)
        return g

    def with_weights(self, weights) -> "Graph":
        """Same structure with new per-edge weights (``None`` drops them)."""
        return Graph(self.indptr, self.indices, _check_weights(weights, self.num_edges, "weights"),
                     self.num_nodes, self.directed)

    def is_symmetric(self) -> bool:
        """True when every stored edge has its reverse (weights not compared)."""
        if self.num_edges == 0:
            return True
        return bool(kernels.mutual_mask(self.indptr, self.indices).all())

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
        """networkx ``DiGraph`` (directed) or ``Graph`` (undirected), with ``weight`` attributes."""
        import networkx as nx

        g = nx.DiGraph() if self.directed else nx.Graph()
        g.add_nodes_from(range(self.num_nodes))
        src, dst = self.sources(), self.indices
        if self.weights is None:
            g.add_edges_from(zip(src.tolist(), dst.tolist()))
        else:
            g.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), self.weights.tolist()))
        return g

    def to_torch_csr(self):
        """torch sparse CSR tensor (float32 values; :func:`graphsparse.torch_ops.graph_csr`, cached)."""
        from graphsparse.torch_ops import graph_csr

        return graph_csr(self)

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Save to ``.npz`` losslessly (dtypes, weights, direction)."""
        arrays = dict(indptr=self.indptr, indices=self.indices, num_nodes=np.int64(self.num_nodes),
                      directed=np.bool_(self.directed))
        if self.weights is not None:
            arrays["weights"] = self.weights
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path) -> "Graph":
        with np.load(path, allow_pickle=False) as f:
            weights = f["weights"] if "weights" in f.files else None
            return cls(f["indptr"], f["indices"], weights, int(f["num_nodes"]), bool(f["directed"]))

    def __eq__(self, other) -> bool:  # structural equality, used by tests and save/load
        if not isinstance(other, Graph):
            return NotImplemented
        same_w = (self.weights is None and other.weights is None) or (
            self.weights is not None and other.weights is not None and np.array_equal(self.weights, other.weights))
        return (self.num_nodes == other.num_nodes and self.directed == other.directed
                and np.array_equal(self.indptr, other.indptr) and np.array_equal(self.indices, other.indices)
                and same_w)

    __hash__ = None

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_edge_index(cls, edge_index, num_nodes: int | None = None, edge_weight=None,
                        directed: bool | None = None, reduce: str = "sum") -> "Graph":
        """From a ``(2, E)`` array/tensor; see :func:`as_graph`."""
        return as_graph(edge_index, num_nodes=num_nodes, edge_weight=edge_weight, directed=directed, reduce=reduce)


def _coalesced(g: Graph, reduce: str = "sum") -> Graph:
    weights = g.weights if g.weights is not None else np.zeros(0, np.float32)
    indptr, indices, new_w, _ = kernels.sort_and_coalesce_rows(g.indptr, g.indices, weights, reduce == "max")
    return Graph(indptr, indices, new_w if g.weights is not None else None, g.num_nodes, g.directed)


def _from_coo(rows, cols, weights, num_nodes, directed, reduce="sum") -> Graph:
    indptr, perm = kernels.coo_to_csr(rows, cols, num_nodes)
    indices = cols[perm].astype(_index_dtype(num_nodes), copy=False)
    w = np.zeros(0, np.float32) if weights is None else weights[perm]
    indptr, indices, w, _ = kernels.sort_and_coalesce_rows(indptr, indices, w, reduce == "max")
    return Graph(indptr, indices, None if weights is None else w, num_nodes, directed)


def _coerce_edge_index(edge_index, name: str) -> np.ndarray:
    array = _to_numpy(edge_index)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (2, E), got {array.ndim}-D shape {array.shape}")
    if array.shape[0] != 2:
        if array.shape[1] == 2:
            raise ValueError(f"{name} must have shape (2, E), got {array.shape}: looks like (E, 2); "
                             f"pass {name}.T")
        raise ValueError(f"{name} must have shape (2, E), got {array.shape}")
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must hold integer node ids, got dtype {array.dtype}")
    return array.astype(np.int64, copy=False)


def as_graph(graph, *, num_nodes: int | None = None, edge_weight=None, directed: bool | None = None,
             reduce: str = "sum", name: str = "graph") -> Graph:
    """Coerce any supported graph object to a :class:`Graph` (the library's single entry point).

    Parameters
    ----------
    graph
        ``Graph``; SciPy sparse matrix/array (square; values become weights unless all ones);
        ``(2, E)`` integer edge index (NumPy or torch); PyG ``Data`` (uses ``edge_index``,
        ``edge_weight`` or a 1-D ``edge_attr``, ``num_nodes``); networkx ``Graph``/``DiGraph``
        (``weight`` attribute used when present; nodes relabelled by their iteration order).
    num_nodes
        Number of nodes for an edge index (default ``max id + 1``); checked against the others.
    edge_weight
        Optional weights for an edge index (one per column).
    directed
        ``None`` infers it: networkx by its class, a ``Graph`` keeps its flag, anything else is
        directed unless its edge set is symmetric. ``False`` on an asymmetric input symmetrises
        it (``A + A^T`` merged with ``reduce='max'``).
    reduce
        How duplicate edges are merged: ``'sum'`` (default, as SciPy) or ``'max'``.
    """
    if reduce not in ("sum", "max"):
        raise ValueError(f"reduce must be 'sum' or 'max', got {reduce!r}")
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
        import networkx as nx

        nodes = list(graph.nodes())
        if num_nodes is not None and num_nodes != len(nodes):
            raise ValueError(f"num_nodes={num_nodes} does not match the networkx graph's {len(nodes)} nodes")
        m = nx.to_scipy_sparse_array(graph, nodelist=nodes, weight="weight", format="csr", dtype=np.float64)
        g = _from_scipy(m, name)
        if directed is None:
            g.directed = graph.is_directed()
        return _apply_direction(g, directed)

    if _is_torch_sparse(graph):
        return as_graph(_torch_sparse_to_scipy(graph), directed=directed, name=name)

    # (2, E) edge index, NumPy or torch (or nested lists)
    if isinstance(graph, (list, tuple)) and len(graph) == 0:
        raise ValueError(f"{name} is empty: expected a (2, E) edge index")
    edge_index = _coerce_edge_index(graph, name)
    n_edges = edge_index.shape[1]
    if num_nodes is None:
        if n_edges == 0:
            raise ValueError(f"{name} has no edges; pass num_nodes to build an edgeless graph")
        num_nodes = int(edge_index.max()) + 1
    if isinstance(num_nodes, bool) or not isinstance(num_nodes, (numbers.Integral, np.integer)) or num_nodes < 0:
        raise ValueError(f"num_nodes must be a non-negative integer, got {num_nodes!r}")
    num_nodes = int(num_nodes)
    check_node_ids(edge_index.reshape(-1), num_nodes, name)
    weights = _check_weights(edge_weight, n_edges)
    g = _from_coo(edge_index[0], edge_index[1], weights, num_nodes, True, reduce)
    if directed is None:
        g.directed = not g.is_symmetric()
    return _apply_direction(g, directed)


def _apply_direction(g: Graph, directed: bool | None) -> Graph:
    if directed is None or bool(directed) == g.directed:
        return g
    if directed:
        return Graph(g.indptr, g.indices, g.weights, g.num_nodes, True)
    if g.is_symmetric():
        return Graph(g.indptr, g.indices, g.weights, g.num_nodes, False)
    return Graph(g.indptr, g.indices, g.weights, g.num_nodes, True).symmetrize("max")


def _from_scipy(matrix, name: str) -> Graph:
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{name} must be a square adjacency matrix, got shape {matrix.shape}")
    csr = sp.csr_matrix(matrix)
    csr.sum_duplicates()
    csr.sort_indices()
    data = np.asarray(csr.data)
    if not np.issubdtype(data.dtype, np.number) and data.dtype != bool:
        raise TypeError(f"{name} must hold numeric values, got dtype {data.dtype}")
    check_finite(data.astype(np.float64), f"{name} values")
    weights = None if data.size == 0 or np.all(data == 1) else data.astype(np.float32)
    n = csr.shape[0]
    g = Graph(csr.indptr.astype(np.int64), csr.indices, weights, n, True)
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


def _torch_sparse_to_scipy(obj):
    import torch

    if type(obj).__name__ == "SparseTensor":  # torch_sparse.SparseTensor
        return obj.to_scipy(layout="csr")
    if obj.layout == torch.sparse_csr:
        crow, col, val = obj.crow_indices(), obj.col_indices(), obj.values()
        return sp.csr_matrix((val.detach().cpu().numpy(), col.cpu().numpy(), crow.cpu().numpy()), shape=tuple(obj.shape))
    obj = obj.coalesce()
    idx, val = obj.indices().cpu().numpy(), obj.values().detach().cpu().numpy()
    return sp.coo_matrix((val, (idx[0], idx[1])), shape=tuple(obj.shape)).tocsr()


def default_data_root() -> str:
    """``$GRAPHSPARSE_DATA``, else ``../shared/datasets`` next to the checkout (may not exist)."""
    env = os.environ.get("GRAPHSPARSE_DATA")
    if env:
        return env
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.normpath(os.path.join(here, "..", "shared", "datasets"))
