"""Python entry points to the hot kernels, taking a :class:`~graphsparse.graph.Graph`.

1. ``spmm(graph, dense, out=None, row_scale=None, col_scale=None, transpose=False)``
   computes ``out = diag(r) A diag(c) X`` in one pass (float32), where ``A`` holds the edge
   weights (or ones). ``transpose=True`` uses ``A^T`` through the graph's cached transpose.
2. ``gather_rows(table, index, out=None)``: ``out[k] = table[index[k]]`` (parallel, any dtype).
3. ``degree_power(deg, exponent)``: ``deg**exponent`` with zero-degree nodes mapped to 0
   (the convention of GCN normalisation) -- never a division by zero.
4. ``normalized_weights(graph, a, b, row_degree=r, col_degree=c)``: per-edge
   ``w_ij * r_i**a * c_j**b``.

Every vector argument (scales, degrees, ids, ``out`` buffers) is checked for length, dtype and
range (finite values, ids in ``[0, n)``) before a kernel runs: the kernels do not check.
"""
from __future__ import annotations

import numpy as np

from graphsparse import kernels
from graphsparse._validation import as_index_array, check_node_ids, check_real, check_vector
from graphsparse._validation import to_numpy as _to_numpy
from graphsparse.graph import Graph, as_graph

__all__ = ["spmm", "gather_rows", "degree_power", "normalized_weights"]

_EMPTY_F32 = np.zeros(0, dtype=np.float32)


def _as_f32_vector(values, n: int, name: str) -> np.ndarray:
    if values is None:
        return _EMPTY_F32
    return check_vector(values, n, name, np.float32)


def spmm(graph, dense: np.ndarray, out: np.ndarray | None = None, *, row_scale=None, col_scale=None,
         transpose: bool = False) -> np.ndarray:
    """``out = diag(row_scale) @ A @ diag(col_scale) @ dense`` (float32, fused, parallel).

    Parameters
    ----------
    graph : Graph or anything :func:`graphsparse.as_graph` accepts
        The sparse matrix ``A`` (``A[i, j]`` = weight of edge ``i -> j``; unweighted edges weigh 1).
    dense : ndarray of shape (num_nodes, d), float32
        The dense right-hand side (a torch tensor is read as NumPy).
    out : ndarray of shape (num_nodes, d) or None, default=None
        Writeable C-contiguous float32 output to reuse; must not overlap ``dense``.
    row_scale, col_scale : array-like of shape (num_nodes,) or None, default=None
        Diagonal scalings applied on the left / right of ``A`` (``None``: identity).
    transpose : bool, default=False
        Multiply by ``A^T`` instead of ``A``.

    Returns
    -------
    ndarray of shape (num_nodes, d), float32

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse import as_graph, spmm
    >>> g = as_graph(np.array([[0, 0, 1], [1, 2, 2]]), num_nodes=3)  # 0 -> 1, 0 -> 2, 1 -> 2
    >>> x = np.eye(3, dtype=np.float32)
    >>> spmm(g, x).astype(int).tolist()  # A itself
    [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
    >>> spmm(g, x, row_scale=np.array([0.5, 1, 1]))[0].tolist()  # row 0 of diag(r) A
    [0.0, 0.5, 0.5]
    >>> spmm(g, x, transpose=True)[2].tolist()  # row 2 of A^T: the in-edges of node 2
    [1.0, 1.0, 0.0]
    """
    g = as_graph(graph)
    if transpose:
        g = g.transpose()
    dense = _to_numpy(dense)
    if dense.ndim != 2:
        raise ValueError(f"dense must be 2-D (num_nodes, d), got shape {dense.shape}")
    if dense.shape[0] != g.num_nodes:
        raise ValueError(f"dense has {dense.shape[0]} rows but the graph has {g.num_nodes} nodes")
    if dense.dtype != np.float32:
        raise TypeError(f"dense must be float32, got {dense.dtype} (cast with .astype(np.float32))")
    dense = np.ascontiguousarray(dense)
    if out is None:
        out = np.empty((g.num_nodes, dense.shape[1]), dtype=np.float32)
    elif (not isinstance(out, np.ndarray) or out.shape != (g.num_nodes, dense.shape[1])
          or out.dtype != np.float32 or not out.flags.c_contiguous or not out.flags.writeable):
        raise ValueError(f"out must be a writeable C-contiguous float32 array of shape {(g.num_nodes, dense.shape[1])}")
    if out is dense or np.shares_memory(out, dense):
        raise ValueError("out must not overlap dense")
    r = _as_f32_vector(row_scale, g.num_nodes, "row_scale")
    c = _as_f32_vector(col_scale, g.num_nodes, "col_scale")
    if r.size == 0 and c.size == 0:
        if g.weights is None:
            return kernels.spmm_unweighted(g.indptr, g.indices, dense, out)
        return kernels.spmm_weighted(g.indptr, g.indices, g.weights, dense, out)
    weights = _EMPTY_F32 if g.weights is None else g.weights
    return kernels.spmm_scaled(g.indptr, g.indices, weights, dense, r, c, out)


def gather_rows(table: np.ndarray, index, out: np.ndarray | None = None) -> np.ndarray:
    """Rows ``table[index]`` into ``out`` (reused when given); ids are range-checked."""
    table = np.asarray(table)
    if table.ndim != 2:
        raise ValueError(f"table must be 2-D, got shape {table.shape}")
    if not table.flags.c_contiguous:
        raise ValueError("table must be C-contiguous")
    if table.dtype.hasobject:
        raise TypeError("table must hold numbers, got Python objects")
    index = as_index_array(index, "index")
    if index.ndim != 1:
        raise ValueError(f"index must be 1-D, got shape {index.shape}")
    index = np.ascontiguousarray(check_node_ids(index, table.shape[0], "index"))
    if out is None:
        out = np.empty((index.shape[0], table.shape[1]), dtype=table.dtype)
    elif (not isinstance(out, np.ndarray) or out.shape != (index.shape[0], table.shape[1])
          or out.dtype != table.dtype or not out.flags.writeable):
        raise ValueError(f"out must be a writeable array of shape {(index.shape[0], table.shape[1])} "
                         f"and dtype {table.dtype}")
    if np.shares_memory(out, table):
        raise ValueError("out must not overlap table")
    if table.dtype.kind not in "biuf" or table.dtype == np.float16:
        # Numba has no CPU float16 (or object) arithmetic; a gather only moves bytes, so view the
        # rows as unsigned integers of the same width.
        width = np.dtype(f"u{table.dtype.itemsize}") if table.dtype.itemsize in (1, 2, 4, 8) else np.uint8
        kernels.gather_rows(table.view(width), index, out.view(width))
        return out
    return kernels.gather_rows(table, index, out)


def degree_power(deg: np.ndarray, exponent: float) -> np.ndarray:
    """``deg ** exponent`` in float32 with 0 for zero-degree nodes (no inf, no NaN).

    ``deg`` must be real and finite; negative entries are treated like zero (factor 0).
    """
    exponent = check_real(exponent, "exponent")
    deg = _to_numpy(deg)
    if deg.dtype.kind not in "fiub":
        raise TypeError(f"deg must hold real numbers, got dtype {deg.dtype}")
    deg = np.asarray(deg, dtype=np.float64)
    if deg.size and not np.isfinite(deg).all():
        raise ValueError("deg must be finite, but it holds NaN or inf")
    result = np.zeros_like(deg)
    nz = deg > 0
    result[nz] = deg[nz] ** exponent
    return result.astype(np.float32)


def normalized_weights(graph: Graph, row_exponent: float = 0.0, col_exponent: float = 0.0,
                       row_degree: np.ndarray | None = None, col_degree: np.ndarray | None = None) -> np.ndarray:
    """Per-edge ``w_ij * r_i^row_exponent * c_j^col_exponent`` (defaults: r = out-, c = in-degree).

    ``(-1, 0)`` is ``D_out^-1 A``; ``(-0.5, -0.5)`` with the (symmetric) degree is GCN's
    normalisation; ``(-0.5, -0.5)`` with out/in degree is Dir-GCN's ``D_out^-1/2 A D_in^-1/2``.
    ``row_degree``/``col_degree`` must hold one finite value per node (``ValueError`` otherwise).
    """
    g = as_graph(graph)
    if row_degree is not None:
        row_degree = check_vector(row_degree, g.num_nodes, "row_degree", np.float64)
    if col_degree is not None:
        col_degree = check_vector(col_degree, g.num_nodes, "col_degree", np.float64)
    r = degree_power(g.out_degree(True) if row_degree is None else row_degree, row_exponent)
    c = degree_power(g.in_degree(True) if col_degree is None else col_degree, col_exponent)
    weights = g.weights if g.weights is not None else _EMPTY_F32
    out = np.empty(g.num_edges, dtype=np.float32)
    kernels.scale_rows(g.indptr, weights, r, out)
    return kernels.scale_cols(g.indices, out, c, out)
