"""Weight-free propagation, precomputed once on the shared SpMM (``graphsparse.ops.spmm``).

1. Operator (``operator``, ``self_loops``), messages flow along edges (source -> target, PyG's
   convention; an undirected graph stores both directions):

   * ``"sym"``: ``T = D~^-1/2 A~ D~^-1/2`` -- with ``self_loops=True`` (default) ``A~ = A + I`` and
     this is GCN's / SGC's / DGMLP's ``aug_normalized_adjacency``; with ``self_loops=False`` it is
     exactly PyG's ``SIGN`` transform operator ``D^-1/2 A D^-1/2``.
   * ``"rw"``: ``T = D~^-1 A~`` (random walk, rows sum to one).

   ``D~`` is the weighted in-degree of ``A~``; zero-degree nodes get a zero scale (never inf).
   The normalisation is never materialised: ``spmm`` applies ``diag(r) A diag(c)`` fused.
2. ``method="hops"``: ``X_0 = X``, ``X_k = T X_{k-1}`` for ``k = 1..K`` (SGC uses ``X_K``; SIGN and
   SGC+AIR use all of them).
3. ``method="ppr"``: APPNP's power iteration ``X_k = (1 - alpha) T X_{k-1} + alpha X_0``; ``X_K``
   approximates personalised PageRank ``alpha (I - (1 - alpha) T)^-1 X`` (Klicpera et al., ICLR 2019).
4. ``method="s2gc"``: S2GC's averaged powers ``alpha X + (1 - alpha) / K sum_{k=1..K} T^k X`` (Zhu &
   Koniusz, ICLR 2021), one ``n x f`` matrix.

Memory: a stack of hops is written into one preallocated ``(K + 1, n, f)`` float32 array (``out=``)
or into a ``.npy`` file (``path=``, opened with ``np.load(path, mmap_mode="r")``). The file is
written region by region through short-lived memory maps, each flushed and closed before the next,
so the resident memory stays at the working buffers (two or three ``n x b`` blocks) however large
the file grows. ``block_size`` splits the feature columns into blocks of ``b`` columns (each block
is propagated through all ``K`` hops before the next), bounding the working memory to
``3 n b`` floats. A tqdm bar counts the sparse products; ``verbose=False`` silences it.
"""
from __future__ import annotations

import copy
import os

import numpy as np

from graphsparse._validation import check_finite, check_fraction, check_positive_int, to_numpy
from graphsparse.graph import Graph, _coerce_edge_index, _weights_symmetric, as_graph
from graphsparse.ops import degree_power, spmm

__all__ = ["PropagationOperator", "propagation_operator", "precompute", "propagate_hops", "ppr_hops",
           "s2gc_features", "OPERATORS", "METHODS"]

OPERATORS = ("sym", "rw")
METHODS = ("hops", "ppr", "s2gc")


class PropagationOperator:
    """``T = diag(r) A~^T diag(c)`` of a graph, applied with the fused shared SpMM.

    Parameters
    ----------
    graph : Graph
        ``A~^T`` as a CSR graph -- row ``i`` lists the sources ``j`` of the edges ``j -> i`` (the
        self-loops already added), as :func:`propagation_operator` builds it -- so ``T x`` is one
        row-parallel product with no transpose.
    row_scale, col_scale : np.ndarray
        float32 per-node scales ``r`` and ``c`` (``col_scale`` may be ``None``: no column scaling).

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.decoupled import PropagationOperator, propagation_operator
    >>> op = propagation_operator(np.array([[0, 1], [1, 2]]), operator="rw")  # path 0 -> 1 -> 2
    >>> isinstance(op, PropagationOperator), op.num_nodes, op.graph.num_edges  # 2 edges + 3 self-loops
    (True, 3, 5)
    >>> np.round(op.matmul(np.eye(3, dtype=np.float32)), 3).sum(axis=1).tolist()  # rows of T sum to 1
    [1.0, 1.0, 1.0]
    """

    def __init__(self, graph: Graph, row_scale: np.ndarray, col_scale: np.ndarray | None):
        self.graph = graph
        self.row_scale = row_scale
        self.col_scale = col_scale

    @property
    def num_nodes(self) -> int:
        return self.graph.num_nodes

    def matmul(self, x: np.ndarray, out: np.ndarray | None = None, scale: float = 1.0) -> np.ndarray:
        """``out = scale * T x`` (float32, C-contiguous ``x``; ``out`` reused when given)."""
        r = self.row_scale if scale == 1.0 else (self.row_scale * np.float32(scale))
        return spmm(self.graph, x, out=out, row_scale=r, col_scale=self.col_scale)

    def matmul_transposed(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``out = T^T x`` (the backward pass of :meth:`matmul`; the transposed CSR is built once, cached)."""
        return spmm(self.graph, x, out=out, row_scale=self.col_scale, col_scale=self.row_scale, transpose=True)

    def torch_matmul(self, x):
        """``T x`` for a CPU float32 torch tensor, differentiable (backward: ``T^T grad``)."""
        from graphsparse.decoupled._autograd import propagate_torch

        return propagate_torch(self, x)

    def to_scipy(self):
        """The operator as a SciPy CSR matrix (for tests and small graphs)."""
        import scipy.sparse as sp

        col = np.ones(self.num_nodes, np.float32) if self.col_scale is None else self.col_scale
        return (sp.diags(self.row_scale) @ self.graph.to_scipy() @ sp.diags(col)).tocsr()


def _incoming_graph(graph, num_nodes: int | None = None) -> Graph:
    """``A^T`` as a CSR graph (row ``i`` = sources of the edges into ``i``, weights kept).

    An edge index (or a PyG ``Data``) is read with its two rows swapped, so the incoming CSR is
    built directly: no transpose and no symmetry test (at 1M nodes / 10M edges these cost ~1.5 s
    and ~1.9 s, against ~0.6 s for the build itself). Other inputs go through :func:`as_graph`.
    """
    import scipy.sparse as sp

    from graphsparse.graph import _is_pyg_data

    if isinstance(graph, Graph) or sp.issparse(graph) or type(graph).__module__.startswith("networkx"):
        g = as_graph(graph)
        if not g.directed and g.weights is not None and not _weights_symmetric(g):
            g = as_graph(g, directed=True)  # symmetric structure, asymmetric weights: keep w(j -> i)
        return g.transpose()
    if _is_pyg_data(graph):
        if getattr(graph, "edge_index", None) is None:
            raise ValueError("graph is a PyG Data object without edge_index")
        flipped = copy.copy(graph)  # shallow: only edge_index is replaced, the caller's Data is untouched
        flipped.edge_index = graph.edge_index.flip(0)
        return as_graph(flipped, directed=True)
    try:
        import torch

        if isinstance(graph, torch.Tensor) and graph.layout != torch.strided:  # torch sparse: via SciPy
            return as_graph(graph).transpose()
    except ImportError:  # pragma: no cover
        pass
    edge_index = _coerce_edge_index(graph, "graph")
    return as_graph(edge_index[::-1], num_nodes=num_nodes, directed=True)


def propagation_operator(graph, operator: str = "sym", self_loops: bool = True, *,
                         num_nodes: int | None = None) -> PropagationOperator:
    """Build the propagation operator ``T`` of the module docstring (item 1).

    Parameters
    ----------
    graph : graph-like
        Anything :func:`graphsparse.as_graph` accepts (PyG ``Data``, edge index, SciPy, ...).
    operator : {"sym", "rw"}
        Symmetric ``D^-1/2 A D^-1/2`` or random-walk ``D^-1 A`` normalisation.
    self_loops : bool
        Add a unit self-loop to every node first (existing loops are kept as they are).
    num_nodes : int, optional
        Node count of a bare edge index (default: largest id + 1; the precompute functions pass the
        number of feature rows, so trailing nodes without edges are kept). Other inputs carry it.

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.decoupled import propagation_operator
    >>> op = propagation_operator(np.array([[0, 1], [1, 0]]))
    >>> np.round(op.matmul(np.ones((2, 1), np.float32)), 5).ravel().tolist()
    [1.0, 1.0]
    """
    if operator not in OPERATORS:
        raise ValueError(f"operator must be one of {OPERATORS}, got {operator!r}")
    _check_bool(self_loops, "self_loops")
    g = _incoming_graph(graph, num_nodes)
    if self_loops:
        g = g.add_self_loops(1.0)
    deg = g.out_degree(weighted=True)  # row sums of A~^T = in-degrees of A~
    if operator == "sym":
        d = degree_power(deg, -0.5)
        return PropagationOperator(g, d, d)
    return PropagationOperator(g, degree_power(deg, -1.0), None)


# ---------------------------------------------------------------------------- argument checks
def _check_features(x, num_nodes: int) -> np.ndarray:
    if x is None:
        raise ValueError("x (node features) is required")
    x = to_numpy(x) if not isinstance(x, np.ndarray) else x
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D (num_nodes, num_features), got shape {x.shape}")
    if x.shape[0] != num_nodes:
        raise ValueError(f"x has {x.shape[0]} rows but the graph has {num_nodes} nodes")
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer) or x.dtype == bool):
        raise TypeError(f"x must be numeric, got dtype {x.dtype}")
    if np.issubdtype(x.dtype, np.floating):  # NaN/inf would spread through every hop silently
        rows = max(1, (1 << 24) // max(x.shape[1], 1))  # row blocks: a memory-mapped x stays out of RAM
        for start in range(0, x.shape[0], rows):
            check_finite(np.asarray(x[start:start + rows]), "x (node features)")
    return x


def _check_bool(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return bool(value)


def _check_block_size(block_size, num_features: int) -> int:
    if block_size is None:
        return max(num_features, 1)
    return min(check_positive_int(block_size, "block_size"), max(num_features, 1))


def _operator(graph, operator, self_loops, x=None):
    if isinstance(graph, PropagationOperator):
        return graph
    shape = getattr(x, "shape", None)  # a bare edge index takes its node count from x's rows
    num_nodes = int(shape[0]) if shape is not None and len(shape) == 2 else None
    return propagation_operator(graph, operator, self_loops, num_nodes=num_nodes)


def _progress(total: int, verbose: bool, desc: str):
    if not verbose:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


class _Sink:
    """Where the hop stack goes: a preallocated array or a ``.npy`` file written region by region."""

    def __init__(self, shape, out, path):
        if out is not None and path is not None:
            raise ValueError("give out= or path=, not both")
        self.path = None
        if out is not None:
            if not isinstance(out, np.ndarray):
                raise TypeError(f"out must be a NumPy array (or np.memmap), got {type(out).__name__}")
            if out.shape != shape or out.dtype != np.float32 or not out.flags.c_contiguous:
                raise ValueError(f"out must be a C-contiguous float32 array of shape {shape}, "
                                 f"got {out.dtype} {out.shape}")
            self.array = out
        elif path is not None:
            path = os.fspath(path)
            if not path.endswith(".npy"):
                raise ValueError(f"path must name a .npy file, got {path!r}")
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                raise FileNotFoundError(f"path: folder {folder!r} does not exist")
            mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=shape)
            del mm  # header written, file sized (sparse); regions are mapped one at a time below
            self.path = path
            self.array = None
        else:
            self.array = np.empty(shape, dtype=np.float32)

    def write(self, hop: int, cols: slice, block: np.ndarray) -> None:
        if self.array is not None:
            self.array[hop, :, cols] = block
            return
        mm = np.load(self.path, mmap_mode="r+")
        mm[hop, :, cols] = block
        mm.flush()
        del mm  # unmap: written pages leave this process's resident set

    def result(self):
        if self.array is not None:
            return self.array
        return np.load(self.path, mmap_mode="r")


def _stack(op: PropagationOperator, x: np.ndarray, K: int, teleport: float, out, path, block_size,
           verbose: bool, desc: str, keep_x: bool = True):
    """Hops ``0..K`` into ``(K + 1, n, f)``, or hops ``1..K`` into ``(K, n, f)`` when ``keep_x=False``."""
    n, f = x.shape
    K = check_positive_int(K, "K", allow_zero=True)
    b = _check_block_size(block_size, f)
    first = 0 if keep_x else 1  # stack index of hop k is k - first
    sink = _Sink((K + 1 - first, n, f), out, path)
    scale = 1.0 - teleport
    bar = _progress(K * ((f + b - 1) // b), verbose, desc)
    try:
        if sink.array is not None and b >= f:  # everything in place: hop k is written straight into out[k]
            hops = sink.array
            x0 = x if x.dtype == np.float32 and x.flags.c_contiguous else np.ascontiguousarray(x, dtype=np.float32)
            if keep_x:
                hops[0] = x0
            for k in range(1, K + 1):
                op.matmul(x0 if k == 1 else hops[k - 1 - first], out=hops[k - first], scale=scale)
                if teleport:
                    hops[k - first] += np.float32(teleport) * x0
                if bar is not None:
                    bar.update()
            return hops
        for c0 in range(0, f, b):
            cols = slice(c0, min(f, c0 + b))
            x0 = np.ascontiguousarray(x[:, cols], dtype=np.float32)
            if keep_x:
                sink.write(0, cols, x0)
            prev, cur, spare = x0, np.empty_like(x0), None
            for k in range(1, K + 1):
                op.matmul(prev, out=cur, scale=scale)
                if teleport:
                    cur += np.float32(teleport) * x0
                sink.write(k - first, cols, cur)
                if prev is x0:
                    prev, cur = cur, (spare if spare is not None else np.empty_like(x0))
                else:
                    prev, cur = cur, prev
                if bar is not None:
                    bar.update()
        return sink.result()
    finally:
        if bar is not None:
            bar.close()


def propagate_hops(graph, x, K: int, operator: str = "sym", self_loops: bool = True, *, out=None, path=None,
                   block_size: int | None = None, include_x: bool = True, verbose: bool = True) -> np.ndarray:
    """The hop stack ``[X, T X, ..., T^K X]`` (item 2 of the module docstring), float32 ``(K + 1, n, f)``.

    Parameters
    ----------
    graph : graph-like or PropagationOperator
        The graph (or an operator from :func:`propagation_operator`, reused across calls).
    x : array (n, f)
        Node features (NumPy or torch; cast to float32 block by block).
    K : int
        Number of hops (``K = 0`` returns ``x`` alone).
    operator, self_loops
        See :func:`propagation_operator`.
    out : np.ndarray, optional
        Preallocated C-contiguous float32 ``(K + 1, n, f)`` array (or ``np.memmap``) to fill.
    path : str, optional
        ``.npy`` file to write instead (memory-mapped; the result is opened read-only).
    block_size : int, optional
        Propagate ``block_size`` feature columns at a time (bounds the working memory).
    include_x : bool
        ``False`` leaves ``X`` itself out: the stack is ``[T X, ..., T^K X]``, shape ``(K, n, f)``
        (saves one ``n x f`` copy when the caller keeps ``X``, as the PyG transform does).
    verbose : bool
        tqdm progress over the sparse products.

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.decoupled import propagate_hops
    >>> edge_index = np.array([[0, 1, 1, 2], [1, 0, 2, 1]])
    >>> hops = propagate_hops(edge_index, np.eye(3, dtype=np.float32), K=2, verbose=False)
    >>> hops.shape
    (3, 3, 3)
    """
    op = _operator(graph, operator, self_loops, x)
    return _stack(op, _check_features(x, op.num_nodes), K, 0.0, out, path, block_size, verbose, "hops",
                  _check_bool(include_x, "include_x"))


def ppr_hops(graph, x, K: int, alpha: float = 0.1, operator: str = "sym", self_loops: bool = True, *, out=None,
             path=None, block_size: int | None = None, include_x: bool = True, verbose: bool = True) -> np.ndarray:
    """APPNP / PPR iterates ``X_k = (1 - alpha) T X_{k-1} + alpha X_0`` (item 3), ``(K + 1, n, f)``.

    ``alpha`` is the teleport probability (APPNP's convention, 0.1 by default). Other parameters as
    :func:`propagate_hops`.

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.decoupled import ppr_hops
    >>> hops = ppr_hops(np.array([[0, 1], [1, 0]]), np.ones((2, 2), np.float32), K=3, verbose=False)
    >>> bool(np.allclose(hops[-1], 1.0))
    True
    """
    alpha = check_fraction(alpha, "alpha", high_inclusive=True)
    op = _operator(graph, operator, self_loops, x)
    return _stack(op, _check_features(x, op.num_nodes), K, alpha, out, path, block_size, verbose, "ppr",
                  _check_bool(include_x, "include_x"))


def s2gc_features(graph, x, K: int, alpha: float = 0.05, operator: str = "sym", self_loops: bool = True, *,
                  block_size: int | None = None, verbose: bool = True) -> np.ndarray:
    """S2GC's ``alpha X + (1 - alpha) / K sum_{k=1..K} T^k X`` (item 4), float32 ``(n, f)``.

    Streams the powers (two ``n x b`` buffers and the accumulator), never storing the stack.

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.decoupled import s2gc_features
    >>> features = s2gc_features(np.array([[0, 1], [1, 0]]), np.ones((2, 1), np.float32), K=4, verbose=False)
    >>> np.round(features, 5).ravel().tolist()
    [1.0, 1.0]
    """
    alpha = check_fraction(alpha, "alpha", high_inclusive=True)
    op = _operator(graph, operator, self_loops, x)
    x = _check_features(x, op.num_nodes)
    K = check_positive_int(K, "K")
    n, f = x.shape
    b = _check_block_size(block_size, f)
    result = np.empty((n, f), dtype=np.float32)
    bar = _progress(K * ((f + b - 1) // b), verbose, "s2gc")
    try:
        for c0 in range(0, f, b):
            cols = slice(c0, min(f, c0 + b))
            prev = np.array(x[:, cols], dtype=np.float32, order="C")  # a copy: it is overwritten below
            acc = np.float32(alpha) * prev
            cur = np.empty_like(prev)
            for _ in range(K):
                op.matmul(prev, out=cur)
                acc += np.float32((1.0 - alpha) / K) * cur
                prev, cur = cur, prev
                if bar is not None:
                    bar.update()
            result[:, cols] = acc
    finally:
        if bar is not None:
            bar.close()
    return result


def precompute(graph, x, K: int, method: str = "hops", operator: str = "sym", self_loops: bool = True, *,
               alpha: float | None = None, out=None, path=None, block_size: int | None = None,
               include_x: bool = True, verbose: bool = True) -> np.ndarray:
    """One entry point for the three precomputations: ``method`` in ``("hops", "ppr", "s2gc")``.

    ``alpha`` defaults to 0.1 for ``"ppr"`` and 0.05 for ``"s2gc"``. ``"s2gc"`` returns ``(n, f)``
    (``out``/``path``/``include_x`` do not apply); the others the ``(K + 1, n, f)`` stack (``(K, n, f)``
    with ``include_x=False``).

    Parameters
    ----------
    graph : graph-like or PropagationOperator
        The graph (or an operator from :func:`propagation_operator`, reused across calls).
    x : array of shape (n, f)
        Node features (NumPy or torch; cast to float32 block by block).
    K : int
        Number of hops.
    method : {"hops", "ppr", "s2gc"}, default="hops"
        :func:`propagate_hops`, :func:`ppr_hops` or :func:`s2gc_features`.
    operator : {"sym", "rw"}, default="sym"
        See :func:`propagation_operator`.
    self_loops : bool, default=True
        See :func:`propagation_operator`.
    alpha : float or None, default=None
        Teleport weight of ``"ppr"`` / ``"s2gc"`` (``"hops"`` refuses it).
    out, path, block_size, verbose : see propagate_hops
        As :func:`propagate_hops`.
    include_x : bool, default=True
        Keep hop 0 (``x`` itself) as the first slice of the stack; ``False`` returns hops ``1..K``
        only, ``(K, n, f)`` (the PyG transform's layout, no copy of ``x``).

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.decoupled import precompute
    >>> precompute(np.array([[0, 1], [1, 0]]), np.ones((2, 3), np.float32), K=2, verbose=False).shape
    (3, 2, 3)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "hops":
        if alpha is not None:
            raise ValueError("alpha applies to method='ppr' or 's2gc' only")
        return propagate_hops(graph, x, K, operator, self_loops, out=out, path=path, block_size=block_size,
                              include_x=include_x, verbose=verbose)
    if method == "ppr":
        return ppr_hops(graph, x, K, 0.1 if alpha is None else alpha, operator, self_loops, out=out, path=path,
                        block_size=block_size, include_x=include_x, verbose=verbose)
    if out is not None or path is not None or not include_x:
        raise ValueError("method='s2gc' returns one (n, f) matrix: out=, path= and include_x do not apply")
    return s2gc_features(graph, x, K, 0.05 if alpha is None else alpha, operator, self_loops,
                         block_size=block_size, verbose=verbose)
