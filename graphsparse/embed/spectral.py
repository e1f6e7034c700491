"""ProNE's spectral propagation as a scikit-learn transformer on the graphsparse SpMM (float32).

Zhang, Dong, Wang, Tang, Ding, "ProNE: Fast and Scalable Network Representation Learning",
IJCAI 2019, Sec. 3.2 (reference code THUDM/ProNE ``chebyshev_gaussian``; the same function in
``nodevectors.ProNE.chebyshev_gaussian``). Given an embedding ``E`` (n x d) of the nodes of a graph
with adjacency ``A`` (weights >= 0):

1. ``A~ = I + A`` (a unit self-loop added to every node), ``D~ = diag(A~ 1)``,
   normalised Laplacian (random-walk form) ``L = I - D~^-1 A~`` and ``M = L - mu I``.
2. Band-pass filter: ``C ~= exp(-theta X) E`` with ``X = M^2 / 2 - I`` (a Gaussian-shaped filter of
   the Laplacian's spectrum centred at ``mu``), by its Chebyshev series with modified Bessel
   coefficients (Jacobi-Anger: ``exp(-theta x) = I_0(theta) + 2 sum_i (-1)^i I_i(theta) T_i(x)``),
   truncated after ``order`` terms:

   * ``T_0 = E``, ``T_1 = X E = M (M E) / 2 - E``, ``T_i = 2 X T_{i-1} - T_{i-2} = M (M T_{i-1}) - 2 T_{i-1} - T_{i-2}``;
   * ``C = I_0(theta) T_0 - 2 I_1(theta) T_1 + 2 sum_{i=2}^{order-1} (-1)^i I_i(theta) T_i``.

3. ``F = A~ (E - C)`` (the signal with the filtered part removed, aggregated once more over ``A~``),
   exactly as the reference code.
4. ``orthogonalize=True`` (ProNE's ``get_embedding_dense``): ``F = U S V^T`` (thin SVD), output
   ``rowL2(U sqrt(S))``, computed from the ``d x d`` Gram matrix (``U sqrt(S) = F V S^-1/2``). Column
   signs are fixed (largest-magnitude entry of every column positive), so the result is
   deterministic; the reference leaves them to LAPACK.

``order = 1`` returns ``E`` unchanged (the reference's shortcut). Cost: ``2 (order - 1) + 1`` sparse
times dense products of width ``d`` plus a thin SVD (``O(n d^2)``); working set ``5 n d`` floats.

Deliberate deviations from the reference: float32 throughout (the reference is float64; the
dense-NumPy test agrees to float32 round-off), deterministic SVD signs, and the products run on
:func:`graphsparse.ops.spmm` (``M`` as one SpMM: ``-D~^-1`` as a fused row scale on
``A~ - (1 - mu) D~``) instead of SciPy.
"""
from __future__ import annotations

import numbers

import numpy as np
from scipy.special import iv
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import NotFittedError

from graphsparse._validation import check_finite, check_positive_int, to_numpy
from graphsparse.graph import Graph
from graphsparse.ops import spmm

__all__ = ["SpectralPropagation", "PRONE_DEFAULTS"]

#: ProNE's published defaults (THUDM/ProNE ``proNE.py``: ``--step 10 --theta 0.5 --mu 0.2``)
PRONE_DEFAULTS = dict(order=10, mu=0.2, theta=0.5)


def _real(value, name: str, low=None, low_open=False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value!r}")
    return float(value)


class SpectralPropagation(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """ProNE spectral propagation: a Chebyshev band-pass filter on the normalised Laplacian.

    ``fit(graph)`` builds the propagation operator of the graph; ``transform(embedding)`` filters any
    ``(n_nodes, d)`` node embedding (FastRP, ProNE's SVD, DeepWalk ...) -- see the module docstring
    for the formula. The ProNE paper shows the step lifts other embeddings as well as its own.

    Parameters
    ----------
    order : int, default=10
        Number of Chebyshev terms (ProNE ``step``); ``2 (order - 1) + 1`` SpMMs. ``1`` = identity.
    mu : float, default=0.2
        Centre of the band-pass filter on the Laplacian's spectrum (ProNE ``mu``).
    theta : float > 0, default=0.5
        Bessel parameter, the filter's width (ProNE ``theta``).
    orthogonalize : bool, default=True
        ProNE's final step: thin SVD of the result, output ``rowL2(U sqrt(S))``.
    verbose : bool, default=False
        tqdm progress over the Chebyshev terms.

    Attributes
    ----------
    n_nodes_ : int
        Number of nodes of the fitted graph.
    n_features_in_ : int
        Same as ``n_nodes_`` (the adjacency's column count).
    degree_ : ndarray of shape (n_nodes,)
        Row sums of ``A~ = I + A``.
    coefficients_ : ndarray of shape (order,)
        Signed Chebyshev coefficients ``I_0(theta), -2 I_1(theta), 2 I_2(theta), ...``.
    n_components_ : int
        Output width of the last ``transform`` (the input embedding's ``d``).

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.datasets import sbm
    >>> from graphsparse.embed import FastRP, SpectralPropagation
    >>> graph = sbm([50, 50], np.array([[0.2, 0.01], [0.01, 0.2]]), seed=0)
    >>> emb = FastRP(n_components=16, random_state=0).fit_transform(graph)
    >>> out = SpectralPropagation(order=10, mu=0.2, theta=0.5).fit(graph).transform(emb)
    >>> out.shape, out.dtype
    ((100, 16), dtype('float32'))
    """

    def __init__(self, order=10, mu=0.2, theta=0.5, orthogonalize=True, verbose=False):
        self.order = order
        self.mu = mu
        self.theta = theta
        self.orthogonalize = orthogonalize
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = True  # fit's X is a square adjacency
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = True
        return tags

    def _checked(self):
        order = check_positive_int(self.order, "order")
        mu = _real(self.mu, "mu")
        theta = _real(self.theta, "theta", low=0.0, low_open=True)
        if not isinstance(self.orthogonalize, (bool, np.bool_)):
            raise TypeError(f"orthogonalize must be a bool, got {self.orthogonalize!r}")
        return order, mu, theta

    def fit(self, X, y=None):
        """Build ``A~ = I + A`` and ``D~^-1`` for graph ``X`` (anything :func:`graphsparse.as_graph` takes,
        or a dense square adjacency). Returns ``self``."""
        from graphsparse.embed.fastrp import _coerce_graph

        order, mu, theta = self._checked()
        graph = _coerce_graph(X)
        return self._fit_graph(graph, order, mu, theta)

    def _fit_graph(self, graph: Graph, order: int, mu: float, theta: float):
        n = graph.num_nodes
        if n == 0:
            raise ValueError("X has no nodes; SpectralPropagation needs at least one node")
        if graph.weights is not None and np.any(graph.weights < 0):
            raise ValueError("Negative values in data: edge weights must be >= 0 for SpectralPropagation")
        adjacency = graph.to_scipy().astype(np.float32)
        import scipy.sparse as sp

        tilde = (adjacency + sp.identity(n, dtype=np.float32, format="csr")).tocsr()
        tilde.sum_duplicates()
        tilde.sort_indices()
        self.operator_ = Graph(tilde.indptr.astype(np.int64), tilde.indices.astype(np.int64),
                               tilde.data.astype(np.float32), n, graph.directed)
        self.degree_ = np.asarray(tilde.sum(axis=1), dtype=np.float64).ravel()
        self._inv_degree = (1.0 / self.degree_).astype(np.float32)
        self._shift_graph(mu)
        k = np.arange(order)
        signs = np.where(k % 2 == 0, 1.0, -1.0)
        coefficients = 2.0 * signs * iv(k, theta)
        coefficients[0] = iv(0, theta)
        self.coefficients_ = coefficients
        self.n_nodes_ = n
        self.n_features_in_ = n
        return self

    def _check_fitted(self):
        if not hasattr(self, "operator_"):
            raise NotFittedError("This SpectralPropagation instance is not fitted yet. Call 'fit' with a graph first.")

    def transform(self, X):
        """Filter the embedding ``X`` (array of shape ``(n_nodes, d)``); returns a float32 ``(n_nodes, d)``."""
        self._check_fitted()
        order, mu, _ = self._checked()
        if order != len(self.coefficients_):
            raise ValueError("order changed since fit; refit")
        emb = to_numpy(X)
        if emb.ndim != 2:
            raise ValueError(f"X must be a 2-D embedding (n_nodes, d), got shape {emb.shape}")
        if emb.shape[0] != self.n_nodes_:
            raise ValueError(f"X has {emb.shape[0]} rows but the fitted graph has {self.n_nodes_} nodes")
        if emb.shape[1] == 0:
            raise ValueError("X has 0 columns; SpectralPropagation needs an embedding of width >= 1")
        if not (np.issubdtype(emb.dtype, np.number) or emb.dtype == bool) or np.iscomplexobj(emb):
            raise TypeError(f"X must be a real numeric embedding, got dtype {emb.dtype}")
        emb = np.ascontiguousarray(emb, dtype=np.float32)
        check_finite(emb, "X")
        self.n_components_ = emb.shape[1]
        if order == 1:
            return emb.copy()
        filtered = self._chebyshev(emb, order, mu)
        if self.orthogonalize:
            filtered = _orthogonalize(filtered)
        return filtered

    def _shift_graph(self, mu: float):
        """``M = (1 - mu) I - D~^-1 A~ = -D~^-1 (A~ - (1 - mu) D~)``: one SpMM with row scale ``-1/d~``
        on ``B = A~ - (1 - mu) D~`` (same pattern as ``A~``, whose diagonal is always stored)."""
        op = self.operator_
        rows = np.repeat(np.arange(op.num_nodes), np.diff(op.indptr))
        diagonal = rows == op.indices
        weights = op.weights.astype(np.float64)
        weights[diagonal] -= (1.0 - mu) * self.degree_[rows[diagonal]]
        self._shifted = (float(mu), op.with_weights(weights.astype(np.float32)), -self._inv_degree)

    def _apply_m(self, x: np.ndarray, out: np.ndarray, mu: float) -> np.ndarray:
        """``out = M x = (1 - mu) x - D~^-1 A~ x`` (one fused SpMM)."""
        if self._shifted[0] != mu:
            self._shift_graph(mu)
        _, shifted, row_scale = self._shifted
        return spmm(shifted, x, out, row_scale=row_scale)

    def _chebyshev(self, emb: np.ndarray, order: int, mu: float) -> np.ndarray:
        coefficients = self.coefficients_.astype(np.float32)
        tmp = np.empty_like(emb)
        prev = emb
        cur = np.empty_like(emb)
        self._apply_m(self._apply_m(emb, tmp, mu), cur, mu)  # T_1 = M (M E) / 2 - E
        cur *= np.float32(0.5)
        cur -= emb
        conv = coefficients[0] * emb
        conv += coefficients[1] * cur
        steps = range(2, order)
        if self.verbose:
            from tqdm.auto import tqdm

            steps = tqdm(steps, desc="SpectralPropagation", leave=False)
        nxt = np.empty_like(emb)
        for i in steps:
            self._apply_m(self._apply_m(cur, tmp, mu), nxt, mu)  # T_i = M (M T_{i-1}) - 2 T_{i-1} - T_{i-2}
            nxt -= cur
            nxt -= cur
            nxt -= prev
            np.multiply(nxt, coefficients[i], out=tmp)
            conv += tmp
            recycled = prev if prev is not emb else np.empty_like(emb)
            prev, cur, nxt = cur, nxt, recycled
        np.subtract(emb, conv, out=tmp)  # E - C
        return spmm(self.operator_, tmp, conv)  # A~ (E - C)

    def fit_transform(self, X, y=None, *, embedding=None):
        """``fit(X).transform(embedding)`` (``embedding`` is required: X is the graph)."""
        if embedding is None:
            raise ValueError("fit_transform(X, embedding=E): X is the graph and E the (n_nodes, d) embedding "
                             "to filter")
        return self.fit(X).transform(embedding)

    @property
    def _n_features_out(self):
        return getattr(self, "n_components_", None)


def _orthogonalize(matrix: np.ndarray) -> np.ndarray:
    """ProNE's ``get_embedding_dense``: ``rowL2(U sqrt(S))`` of the thin SVD ``F = U S V^T``, deterministic signs.

    Computed from the ``d x d`` Gram matrix (float32 product, float64 eigen-solve): ``F^T F = V S^2 V^T`` and ``U sqrt(S) = F V S^-1/2``
    (``O(n d^2)``, one pass over ``F``; LAPACK's thin SVD of a tall float32 matrix was 5-30x slower here).
    Directions with ``s <= 1e-6 s_max`` (numerically null) are returned as zero columns.
    """
    from threadpoolctl import threadpool_limits

    # single-threaded BLAS/LAPACK: on a loaded machine OpenBLAS's spinning threads made the 128 x 128
    # eigen-solve take 1.5 s instead of milliseconds
    with threadpool_limits(limits=1, user_api="blas"):
        return _orthogonalize_blas(matrix)


def _orthogonalize_blas(matrix: np.ndarray) -> np.ndarray:
    gram = (matrix.T @ matrix).astype(np.float64)  # float32 GEMM (one pass), eigen-solve in float64
    eigvals, vectors = np.linalg.eigh(gram)
    order = np.argsort(eigvals)[::-1]
    eigvals, vectors = np.maximum(eigvals[order], 0.0), vectors[:, order]
    s = np.sqrt(eigvals)
    keep = s > 1e-6 * max(s[0], np.finfo(np.float64).tiny) if s.size else s > 0
    scale = np.zeros_like(s)
    scale[keep] = s[keep] ** -0.5
    u = matrix @ (vectors * scale).astype(np.float32)  # U sqrt(S) = F V S^-1/2
    pivot = np.argmax(np.abs(u), axis=0)
    signs = np.sign(u[pivot, np.arange(u.shape[1])])
    u *= np.where(signs == 0, 1.0, signs).astype(u.dtype)
    norms = np.linalg.norm(u, axis=1, keepdims=True)
    np.divide(u, norms, out=u, where=norms > 0)
    return np.ascontiguousarray(u, dtype=np.float32)
