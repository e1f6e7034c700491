"""The torch side of the shared backend: one CSR builder, one autograd sparse product, one dropout.

Every capability that multiplies by a sparse matrix in torch goes through this module (the NumPy /
Numba side is :mod:`graphsparse.ops` and :mod:`graphsparse.kernels`):

1. :func:`csr_tensor` -- the single place a torch sparse CSR tensor is built (CSR-beta warning
   silenced); :func:`graph_csr` converts a :class:`~graphsparse.graph.Graph` (``A[i, j] = w`` for
   ``i -> j``, float32 values) and caches the tensor on the graph; :func:`scipy_csr` converts a
   SciPy matrix.
2. :class:`SparseOperator` -- a constant-pattern sparse operator ``M`` with the transpose the
   backward pass needs. ``op @ X`` is the one autograd sparse product (:func:`sparse_matmul`)::

       Y = M X,   dL/dX = M^T dL/dY,   dL/dm_e = <dL/dY[row_e], X[col_e]>   (e = stored entry)

   The value gradient is optional: it is computed only when the operator's ``values`` require a
   gradient (lottery tickets train an edge mask through it, :meth:`SparseOperator.from_edge_index`);
   directed operators are constant (:meth:`SparseOperator.from_graph`, no value gradient, ``M^T``
   precomputed so a forward + backward costs two CSR products and no gather/scatter).
3. :func:`require_homogeneous` -- the PyG transforms' refusal of ``HeteroData`` (one clear
   ``TypeError`` instead of an ``AttributeError`` deep inside).
4. :func:`dropout` -- inverted dropout ``x * Bernoulli(1 - p) / (1 - p)`` on dense inputs (mask
   from ``torch.rand``, about 3x faster than ``bernoulli_`` on CPU); a sparse input (bag-of-words
   features kept sparse) is returned unchanged. :func:`linear` applies an ``nn.Linear`` to a dense
   or sparse input; :func:`is_sparse` tells them apart.

Only torch and NumPy are imported here (SciPy lazily); nothing from the capabilities.
"""
from __future__ import annotations

import warnings

import numpy as np
import torch

__all__ = ["csr_tensor", "graph_csr", "scipy_csr", "SparseOperator", "sparse_matmul", "dropout", "linear",
           "is_sparse", "to_sparse_features", "require_homogeneous"]


# ----------------------------------------------------------------------------------- CSR tensors
def csr_tensor(crow, col, values, shape) -> torch.Tensor:
    """Torch sparse CSR tensor from ``crow`` (int64), ``col`` (int64) and ``values`` (the one builder).

    Arrays may be NumPy or torch; invariants are the caller's (the graph layer checked them).
    """
    crow = torch.as_tensor(crow, dtype=torch.int64)
    col = torch.as_tensor(col, dtype=torch.int64)
    values = torch.as_tensor(values)
    with warnings.catch_warnings():  # "sparse CSR tensor support is in beta" is not news to our users
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, col, values, size=tuple(int(s) for s in shape),
                                       check_invariants=False)


def graph_csr(graph, *, cache: bool = True) -> torch.Tensor:
    """``A`` of a :class:`~graphsparse.graph.Graph` as torch CSR (float32; ones when unweighted).

    Row ``i`` holds the out-edges of ``i`` (``(A @ X)[i] = sum_j w_ij X[j]``). ``cache=True`` keeps
    the tensor on the graph (``graph._cache``), so repeated conversions cost nothing; the values are
    a copy of the graph's weights (the graph is never written through the tensor).
    """
    from graphsparse.graph import as_graph

    g = as_graph(graph)
    if cache and "torch_csr" in g._cache:
        return g._cache["torch_csr"]
    values = np.array(g.edge_weights(), dtype=np.float32, copy=True)
    matrix = csr_tensor(torch.from_numpy(g.indptr), torch.from_numpy(g.indices.astype(np.int64)),
                        torch.from_numpy(values), (g.num_nodes, g.num_nodes))
    if cache:
        g._cache["torch_csr"] = matrix
    return matrix


def scipy_csr(matrix) -> torch.Tensor:
    """A SciPy sparse matrix as torch CSR (float32 values, explicit entries kept)."""
    import scipy.sparse as sp

    m = sp.csr_matrix(matrix)
    return csr_tensor(torch.from_numpy(m.indptr.astype(np.int64)), torch.from_numpy(m.indices.astype(np.int64)),
                      torch.from_numpy(m.data.astype(np.float32)), m.shape)


def to_sparse_features(x: torch.Tensor) -> torch.Tensor:
    """Dense node features as torch CSR (for bag-of-words inputs that are mostly zeros)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return x.to_sparse_csr()


# ------------------------------------------------------------------------------- the operator
class SparseOperator:
    """A sparse ``n x m`` operator ``M`` (torch CSR) with what its backward pass needs.

    Parameters
    ----------
    matrix : torch.Tensor
        ``M`` as a torch sparse CSR tensor.
    matrix_t : torch.Tensor or None
        ``M^T`` as torch CSR; ``None`` builds it on first use from ``values`` and the transpose
        pattern (operators whose values change every step).
    graph : Graph, optional
        The :class:`~graphsparse.graph.Graph` ``M`` was built from (kept for sub-operators).
    values : torch.Tensor, optional
        The stored values when they may need a gradient (:meth:`from_edge_index`).

    Attributes
    ----------
    num_nodes : int
        ``n`` (rows of ``M``).

    ``op @ x`` is differentiable in ``x`` and, when ``values.requires_grad``, in the values;
    ``op.T`` swaps ``M`` and ``M^T`` (free for constant operators).

    Examples
    --------
    >>> import numpy as np, torch, graphsparse as gs
    >>> from graphsparse.torch_ops import SparseOperator
    >>> op = SparseOperator.from_graph(gs.as_graph(np.array([[0, 1], [1, 2]]), num_nodes=3))
    >>> (op @ torch.eye(3))[0].tolist(), (op.T @ torch.eye(3))[1].tolist()
    ([0.0, 1.0, 0.0], [1.0, 0.0, 0.0])
    """

    def __init__(self, matrix: torch.Tensor, matrix_t: torch.Tensor | None, graph=None, *,
                 values: torch.Tensor | None = None, _pattern: tuple | None = None):
        self.matrix = matrix
        self.matrix_t = matrix_t
        self.graph = graph
        self.values = values
        self._pattern = _pattern  # (row, col, t_perm, t_crow, t_col) when built from an edge index

    @classmethod
    def from_graph(cls, graph, *, symmetric: bool = False) -> "SparseOperator":
        """Constant operator ``A`` of a graph (weights or ones); ``M^T`` from the cached transpose."""
        from graphsparse.graph import as_graph

        g = as_graph(graph)
        matrix = graph_csr(g)
        matrix_t = matrix if (symmetric or not g.directed) else graph_csr(g.transpose())
        return cls(matrix, matrix_t, g)

    @classmethod
    def from_edge_index(cls, edge_index: torch.Tensor, values: torch.Tensor, num_nodes: int) -> "SparseOperator":
        """Target-major operator of the weighted edge list ``(source -> target, value)``:
        ``(op @ x)[t] = sum_s value(s, t) x[s]`` (message passing ``source -> target``), differentiable
        in ``values`` when they require a gradient. Entries are sorted by ``(target, source)``."""
        n = int(num_nodes)
        source, target = edge_index[0], edge_index[1]
        order = torch.argsort(target * n + source)
        row, col = target[order], source[order]
        crow = torch.zeros(n + 1, dtype=torch.long)
        crow[1:] = torch.cumsum(torch.bincount(row, minlength=n), 0)
        t_perm = torch.argsort(col * n + row)
        t_crow = torch.zeros(n + 1, dtype=torch.long)
        t_crow[1:] = torch.cumsum(torch.bincount(col, minlength=n), 0)
        values = values[order]
        matrix = csr_tensor(crow, col, values.detach(), (n, n))
        return cls(matrix, None, None, values=values, _pattern=(row, col, t_perm, t_crow, row[t_perm]))

    @property
    def num_nodes(self) -> int:
        return int(self.matrix.shape[0])

    def transposed_matrix(self) -> torch.Tensor:
        """``M^T`` as torch CSR (built on first use for edge-index operators)."""
        if self.matrix_t is None:
            _, _, t_perm, t_crow, t_col = self._pattern
            n = self.matrix.shape
            return csr_tensor(t_crow, t_col, self.values.detach()[t_perm], (n[1], n[0]))
        return self.matrix_t

    @property
    def T(self) -> "SparseOperator":
        if self._pattern is not None:
            raise NotImplementedError("the transpose of an edge-index operator is not needed and not built")
        return SparseOperator(self.matrix_t, self.matrix, None if self.graph is None else self.graph.transpose())

    def __matmul__(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[0] != self.matrix.shape[1]:
            raise ValueError(f"x must have shape ({self.matrix.shape[1]}, d), got {tuple(x.shape)}")
        if self._pattern is None and x.dtype != torch.float32:
            raise TypeError(f"x must be float32, got {x.dtype}")
        return sparse_matmul(self, x)

    def __repr__(self) -> str:
        return f"SparseOperator(num_nodes={self.num_nodes}, nnz={self.matrix.values().numel()})"


class _SparseMatmul(torch.autograd.Function):
    """``Y = M X``; backward ``dX = M^T dY`` and, if asked, ``d m_e = <dY[row_e], X[col_e]>``."""

    @staticmethod
    def forward(ctx, values, x, op):
        ctx.op = op
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(x)
        return torch.sparse.mm(op.matrix, x)

    @staticmethod
    def backward(ctx, grad_out):
        op = ctx.op
        grad_values = grad_x = None
        if ctx.needs_input_grad[1]:
            grad_x = torch.sparse.mm(op.transposed_matrix(), grad_out.contiguous())
        if ctx.needs_input_grad[0]:
            (x,) = ctx.saved_tensors
            row, col = op._pattern[0], op._pattern[1]
            grad_values = (grad_out.index_select(0, row) * x.index_select(0, col)).sum(1)
        return grad_values, grad_x, None


def sparse_matmul(op: SparseOperator, x: torch.Tensor) -> torch.Tensor:
    """``op.matrix @ x`` with autograd (the one differentiable sparse product of graphsparse).

    A sparse ``x`` is densified first (the product's output is dense anyway). Outside autograd (or
    when neither ``x`` nor the operator's values need a gradient) this is a plain CSR product.
    """
    if is_sparse(x):
        x = x.to_dense()
    values = op.values
    need_values = values is not None and values.requires_grad
    if not torch.is_grad_enabled() or not (x.requires_grad or need_values):
        return torch.sparse.mm(op.matrix, x)
    return _SparseMatmul.apply(values if need_values else None, x, op)


# ---------------------------------------------------------------------------- dense/sparse helpers
def is_sparse(x) -> bool:
    """True for a torch sparse (COO / CSR / ...) tensor."""
    return isinstance(x, torch.Tensor) and x.layout != torch.strided


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Inverted dropout ``x * Bernoulli(1 - p) / (1 - p)``; the same law as ``F.dropout`` but the
    mask comes from ``torch.rand`` (about 3x faster than ``bernoulli_`` on CPU, where ``F.dropout``
    was a third of a GCN training step). A sparse ``x`` is returned unchanged (features stay
    sparse; dropping stored entries would change the input's support)."""
    if not training or p == 0.0 or is_sparse(x):
        return x
    if p >= 1.0:
        return torch.zeros_like(x)
    return x * (torch.rand_like(x) >= p) * (1.0 / (1.0 - p))


def linear(lin: torch.nn.Linear, x: torch.Tensor) -> torch.Tensor:
    """``lin(x)`` that also takes a sparse (COO/CSR) ``x``: bag-of-words features stay sparse."""
    if is_sparse(x):
        out = torch.sparse.mm(x, lin.weight.t())
        return out if lin.bias is None else out + lin.bias
    return lin(x)


def require_homogeneous(data, transform: str) -> None:
    """``TypeError`` when ``data`` is a PyG ``HeteroData`` (the transform works on one edge type)."""
    try:
        from torch_geometric.data import HeteroData
    except ImportError:  # pragma: no cover
        return
    if isinstance(data, HeteroData):
        raise TypeError(f"{transform} works on homogeneous graphs (Data / Batch), got HeteroData; apply it per "
                        "edge type (e.g. to data.to_homogeneous() or to a Data built from one edge store)")
