"""ProNE's spectral propagation as a scikit-learn transformer on a fused graphsparse kernel (float32).

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

``order = 1`` returns ``E`` unchanged (the reference's shortcut).

Cost: every Chebyshev term is two applications of ``M``, each one fused pass over the graph
(``graphsparse.embed._kernels.laplacian_rows``: ``M x = (1 - mu) x - D~^-1 (x + A x)``, the unit
self-loop and the shift folded into two per-row scales, the recurrence's axpys and the series'
accumulation done in the same pass; no ``A~`` or Laplacian matrix is built, ``fit`` only computes
degrees). Terms whose coefficients cannot change a float32 result are skipped
(``n_terms_``, see ``_significant_terms``: with ProNE's ``theta = 0.5``, 7 of the 10 terms, i.e.
``2 (7 - 1) + 1 = 13`` passes instead of 19). Then a thin SVD from the ``d x d`` Gram matrix
(``O(n d^2)``). Working set ``5 n d`` floats. Measured: ``benchmarks/fastrp_vs_prone.py --part cost``
(``fastrp_spectral_cost.json``).

Deliberate deviations from the reference: float32 throughout (the reference is float64; the
dense-NumPy test agrees to float32 round-off), deterministic SVD signs, the tail of the Chebyshev
series below float32 round-off skipped (when ``0 <= mu <= 2``, where ``|T_i| <= 1`` bounds it), and
the products run in one fused Numba kernel instead of SciPy.
"""
from __future__ import annotations

import numbers

import numpy as np
from scipy.special import iv
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import NotFittedError

from graphsparse._validation import check_finite, check_positive_int, to_numpy
from graphsparse.embed import _kernels as _raw_kernels
from graphsparse.graph import Graph
from graphsparse.kernels.threads import serialized_namespace

# the prange kernel runs one at a time under Numba's workqueue layer (thread-safe, as FastRP's)
_kernels = serialized_namespace(_raw_kernels, names=["laplacian_rows"])
_EMPTY_2D = np.zeros((0, 1), dtype=np.float32)
#: a Chebyshev term is dropped when every later coefficient together is below this share of |c_0|
#: (float32's unit round-off, 2^-24): it could not change the float32 result
TAIL_TOLERANCE = 2.0 ** -24

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
        Number of Chebyshev terms (ProNE ``step``); ``2 (order - 1) + 1`` graph passes. ``1`` = identity.
        Trailing terms whose coefficients sum to less than float32 round-off of the first are skipped
        (``n_terms_``).
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
    graph_ : Graph
        The fitted graph (``A``; ``A~ = I + A`` is never materialised).
    degree_ : ndarray of shape (n_nodes,)
        Row sums of ``A~ = I + A``.
    n_terms_ : int
        Chebyshev terms actually evaluated (``<= order``).
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
        """Store the graph ``X`` (anything :func:`graphsparse.as_graph` takes, or a dense square adjacency)
        and the degrees of ``A~ = I + A`` (no matrix is built). Returns ``self``."""
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
        # A~ = I + A is never built: the kernel adds the unit self-loop as a per-row term
        self.graph_ = graph
        self._weights = (np.ascontiguousarray(graph.weights, dtype=np.float32) if graph.weights is not None
                         else np.zeros(0, dtype=np.float32))
        self.degree_ = graph.out_degree(weighted=True).astype(np.float64) + 1.0
        self._inv_degree = 1.0 / self.degree_
        k = np.arange(order)
        signs = np.where(k % 2 == 0, 1.0, -1.0)
        coefficients = 2.0 * signs * iv(k, theta)
        coefficients[0] = iv(0, theta)
        self.coefficients_ = coefficients
        self.n_terms_ = _significant_terms(coefficients, mu)
        self.n_nodes_ = n
        self.n_features_in_ = n
        return self

    def _check_fitted(self):
        if not hasattr(self, "graph_"):
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
        # mu may have changed through set_params since fit: the term count follows the current mu
        filtered = self._chebyshev(emb, _significant_terms(self.coefficients_, mu), mu)
        if self.orthogonalize:
            filtered = _orthogonalize(filtered)
        return filtered

    def _step(self, src, out, self_scale, neigh_scale, x1=None, beta1=0.0, x2=None, beta2=0.0, acc=None, gamma=0.0):
        """``out = self_scale * src + neigh_scale * (A src) + beta1 x1 + beta2 x2``; ``acc += gamma out``."""
        empty = _EMPTY_2D
        g = self.graph_
        return _kernels.laplacian_rows(g.indptr, g.indices, self._weights, self_scale, neigh_scale, src, out,
                                       empty if x1 is None else x1, np.float32(beta1),
                                       empty if x2 is None else x2, np.float32(beta2),
                                       empty if acc is None else acc, np.float32(gamma))

    def _chebyshev(self, emb: np.ndarray, order: int, mu: float) -> np.ndarray:
        """``A~ (E - C)`` with ``2 (order - 1) + 1`` fused steps (module doc; ``order`` >= 2)."""
        coefficients = self.coefficients_
        # M x = (1 - mu) x - D~^-1 (x + A x): per-row scales of the fused step
        m_self = (1.0 - mu - self._inv_degree).astype(np.float32)
        m_neigh = (-self._inv_degree).astype(np.float32)
        half_self, half_neigh = m_self * np.float32(0.5), m_neigh * np.float32(0.5)
        m_applied = np.empty_like(emb)
        cur = np.empty_like(emb)
        rest = np.multiply(emb, np.float32(1.0 - coefficients[0]))  # accumulates E - C
        self._step(emb, m_applied, m_self, m_neigh)  # M E
        self._step(m_applied, cur, half_self, half_neigh, x1=emb, beta1=-1.0, acc=rest, gamma=-coefficients[1])  # T_1
        steps = range(2, order)
        if self.verbose:
            from tqdm.auto import tqdm

            steps = tqdm(steps, desc="SpectralPropagation", leave=False)
        prev, nxt = emb, np.empty_like(emb)
        for i in steps:
            self._step(cur, m_applied, m_self, m_neigh)  # M T_{i-1}
            # T_i = M (M T_{i-1}) - 2 T_{i-1} - T_{i-2}; E - C -= c_i T_i
            self._step(m_applied, nxt, m_self, m_neigh, x1=cur, beta1=-2.0, x2=prev, beta2=-1.0, acc=rest,
                       gamma=-coefficients[i])
            recycled = prev if prev is not emb else np.empty_like(emb)
            prev, cur, nxt = cur, nxt, recycled
        ones = np.ones(self.n_nodes_, dtype=np.float32)
        return self._step(rest, m_applied, ones, ones)  # A~ (E - C) = (E - C) + A (E - C)

    def fit_transform(self, X, y=None, *, embedding=None):
        """``fit(X).transform(embedding)`` (``embedding`` is required: X is the graph)."""
        if embedding is None:
            raise ValueError("fit_transform(X, embedding=E): X is the graph and E the (n_nodes, d) embedding "
                             "to filter")
        return self.fit(X).transform(embedding)

    @property
    def _n_features_out(self):
        return getattr(self, "n_components_", None)


def _significant_terms(coefficients: np.ndarray, mu: float) -> int:
    """Number of Chebyshev terms kept: the shortest prefix whose dropped tail has ``sum |c_i| <=
    TAIL_TOLERANCE * |c_0|``. Valid because ``|T_i(X)| <= 1`` on the spectrum of ``X = M^2/2 - I``,
    which lies in ``[-1, 1]`` when ``0 <= mu <= 2`` (``L``'s spectrum is in ``[0, 2]``); for other ``mu``
    every term is kept."""
    order = len(coefficients)
    if not (0.0 <= mu <= 2.0) or order <= 2:
        return order
    tail = np.cumsum(np.abs(coefficients[::-1]))[::-1]  # tail[i] = sum_{j >= i} |c_j|
    small = np.flatnonzero(tail <= TAIL_TOLERANCE * abs(coefficients[0]))
    return int(max(2, small[0])) if small.size else order


_CONTROLLER = []


def _blas_controller():
    """One cached ``threadpoolctl.ThreadpoolController`` (building one scans the loaded libraries: ~3 ms)."""
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


def _orthogonalize(matrix: np.ndarray) -> np.ndarray:
    """ProNE's ``get_embedding_dense``: ``rowL2(U sqrt(S))`` of the thin SVD ``F = U S V^T``, deterministic signs.

    Computed from the ``d x d`` Gram matrix (float32 product, float64 eigen-solve): ``F^T F = V S^2 V^T`` and ``U sqrt(S) = F V S^-1/2``
    (``O(n d^2)``, one pass over ``F``; LAPACK's thin SVD of a tall float32 matrix was 5-30x slower here).
    Directions with ``s <= 1e-6 s_max`` (numerically null) are returned as zero columns.
    """
    # single-threaded BLAS/LAPACK: on a loaded machine OpenBLAS's spinning threads made the 128 x 128
    # eigen-solve take 1.5 s instead of milliseconds
    with _blas_controller().limit(limits=1, user_api="blas"):
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
    u *= _raw_kernels.column_pivot_signs(u)  # largest-magnitude entry of every column made positive
    norms = np.linalg.norm(u, axis=1, keepdims=True)
    np.divide(u, norms, out=u, where=norms > 0)
    return np.ascontiguousarray(u, dtype=np.float32)
