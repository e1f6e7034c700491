"""Sparse direction-aware operators for directed graphs (nothing ``n x n`` dense, ever).

After "Towards Data-centric Machine Learning on Directed Graphs: a Survey" (arXiv 2412.01849).
Every function takes any graph :func:`graphsparse.graph.as_graph` accepts; ``A[i, j] = w`` for a
directed edge ``i -> j``. Results are :class:`~graphsparse.graph.Graph` objects (or SciPy CSR
where two matrices belong together, e.g. the magnetic Laplacian).

1. Normalisations: :func:`directed_normalize` -- ``D_out^-1 A`` (``'row'``), ``A D_in^-1``
   (``'col'``), ``D_out^-1/2 A D_in^-1/2`` (``'dir'``, Dir-GCN, Rossi et al. LoG 2023);
   :func:`dir_gcn_adjacency` returns it with its (cached) transpose.
2. Symmetrisations: :func:`symmetrize` with ``'union'`` (``1[A + A^T > 0]``), ``'sum'``
   (``A + A^T``), ``'half_sum'`` (``(A + A^T) / 2``), ``'mean'`` / ``'max'`` (of the stored
   directions, as ``Graph.symmetrize``), ``'mutual'`` (``A (.) A^T``);
   :func:`reciprocity`.
3. Proximity: :func:`first_order_proximity` (DGCN's ``A_F = (A + A^T) / 2``),
   :func:`second_order_proximity` (DGCN's ``A^T D_out^-1 A`` / ``A D_in^-1 A^T``, Tong et al.
   2020, with top-k / threshold pruning), :func:`digcn_second_order` (DiGCN's intersection
   proximity).
4. PageRank family: :func:`perron_vector` (power iteration with teleport), :func:`digcn_adjacency`
   (DiGCN approximate-PPR digraph Laplacian, Tong et al. NeurIPS 2020, computed sparsely),
   :func:`ppr_push` / :func:`ppr_diffusion` (Andersen-Chung-Lang push).
5. :func:`magnetic_laplacian` (MagNet, Zhang et al. NeurIPS 2021) as two real CSR matrices,
   :func:`magnetic_lambda_max`; its signed variant :func:`signed_magnetic_laplacian` (MSGNN's
   magnetic signed Laplacian, He et al. LoG 2022, as PyGSD's ``get_magnetic_signed_Laplacian``);
   :func:`magnetic_eigenvector_encodings` (eigenvector positional encodings of ``L^(q)``).
6. Diagnostics: :func:`directed_homophily`, :func:`compatibility_matrix`, :func:`degree_features`.
7. SCC / DAG: :func:`strongly_connected_components`, :func:`is_dag`, :func:`topological_order`,
   :func:`condensation`, :func:`dag_edge_mask`.
8. Augmentation: :func:`flip_edges`.

Undirected input (a graph whose ``directed`` flag is False, e.g. a symmetric edge index) to an
operator that only makes sense with direction emits :class:`UndirectedGraphWarning` and proceeds
(the result is then the undirected special case: e.g. the magnetic Laplacian has a zero imaginary
part). Link-direction tasks refuse undirected input with ``ValueError`` (nothing to predict).
Graphs with zero nodes or zero edges are refused with ``ValueError`` everywhere.
"""
from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from graphsparse import ops
from graphsparse._validation import (as_index_array, check_finite, check_fraction, check_node_ids,
                                     check_positive_int, check_random_state, to_numpy)
from graphsparse.directed import _kernels
from graphsparse.graph import Graph, as_graph

__all__ = [
    "UndirectedGraphWarning",
    "directed_normalize",
    "dir_gcn_adjacency",
    "symmetrize",
    "reciprocity",
    "first_order_proximity",
    "second_order_proximity",
    "digcn_second_order",
    "perron_vector",
    "digcn_adjacency",
    "ppr_push",
    "ppr_diffusion",
    "magnetic_laplacian",
    "signed_magnetic_laplacian",
    "magnetic_lambda_max",
    "magnetic_eigenvector_encodings",
    "directed_homophily",
    "compatibility_matrix",
    "degree_features",
    "strongly_connected_components",
    "is_dag",
    "topological_order",
    "condensation",
    "dag_edge_mask",
    "flip_edges",
]


class UndirectedGraphWarning(UserWarning):
    """A directed-only operator received a graph marked undirected; it proceeds on it as is."""


# ------------------------------------------------------------------------------------ helpers
def _check_graph(graph, name: str = "graph", *, directed_only: bool = False, operation: str = "") -> Graph:
    g = as_graph(graph, name=name)
    if g.num_nodes == 0:
        raise ValueError(f"{name} has no nodes; {operation or 'this operation'} needs a non-empty graph")
    g.require_edges(name)
    if directed_only and not g.directed:
        warnings.warn(f"{operation or 'this operator'} is meant for directed graphs but {name} is undirected "
                      "(symmetric); the result is the undirected special case", UndirectedGraphWarning,
                      stacklevel=3)
    return g


def _check_teleport(alpha, name: str = "alpha") -> float:
    return check_fraction(alpha, name, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)


def _from_scipy_csr(matrix: sp.spmatrix, directed: bool) -> Graph:
    """Graph of a SciPy matrix through the backend's one converter (:func:`as_graph`), keeping the
    values as weights (ones included) and the given direction flag."""
    g = as_graph(sp.csr_matrix(matrix), name="matrix")
    return Graph(g.indptr, g.indices, g.edge_weights(), g.num_nodes, directed)


def _scipy(g: Graph, dtype=np.float64) -> sp.csr_matrix:
    return sp.csr_matrix((g.edge_weights().astype(dtype), g.indices, g.indptr), shape=(g.num_nodes,) * 2)


def _sym_normalize(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """``D^-1/2 M D^-1/2`` with ``D`` the row sums of ``M`` (zero rows stay zero)."""
    deg = np.asarray(matrix.sum(axis=1)).ravel()
    inv_sqrt = ops.degree_power(deg, -0.5).astype(np.float64)
    return sp.csr_matrix(sp.diags(inv_sqrt) @ matrix @ sp.diags(inv_sqrt))


# ------------------------------------------------------------------------------- 1. normalise
def directed_normalize(graph, kind: str = "dir", *, self_loops: bool = False) -> Graph:
    """Direction-aware normalisation of ``A`` (``A[i, j]`` = weight of ``i -> j``).

    1. ``kind='dir'``: ``D_out^-1/2 A D_in^-1/2`` -- edge ``i -> j`` gets
       ``w_ij / sqrt(d_out(i) d_in(j))`` (Dir-GCN, Rossi et al. 2023, eq. 4).
    2. ``kind='row'``: ``D_out^-1 A`` (random walk; rows sum to 1, mean over out-neighbours).
    3. ``kind='col'``: ``A D_in^-1`` (columns sum to 1).
    4. ``kind='total'``: ``D^-1/2 A D^-1/2`` with the total degree ``D = D_out + D_in`` -- both
       directions of Dir-GCN weighted as in GCN on the undirected multigraph, so that
       ``(A_t + A_t^T) / 2`` is GCN's operator of ``A + A^T`` (halved). A deliberate departure from
       Dir-GNN's ``'dir'``: on homophilic graphs with many sources and sinks (citation graphs)
       ``'dir'`` gives a node's few out-neighbours far more weight than its many in-neighbours.

    Degrees are weighted; zero-degree nodes get factor 0 (no inf, no NaN). ``self_loops=True``
    first gives every node a unit self-loop (existing loops kept). The transpose of the result
    is ``result.transpose()`` (cached).
    """
    if kind not in ("dir", "row", "col", "total"):
        raise ValueError(f"kind must be 'dir', 'row', 'col' or 'total', got {kind!r}")
    g = _check_graph(graph, operation="directed_normalize")
    if self_loops:
        g = g.add_self_loops(1.0)
    if kind == "total":
        total = g.out_degree(True) + g.in_degree(True)
        weights = ops.normalized_weights(g, -0.5, -0.5, row_degree=total, col_degree=total)
        return Graph(g.indptr, g.indices, weights, g.num_nodes, True)
    exponents = {"dir": (-0.5, -0.5), "row": (-1.0, 0.0), "col": (0.0, -1.0)}[kind]
    weights = ops.normalized_weights(g, *exponents)
    return Graph(g.indptr, g.indices, weights, g.num_nodes, True)


def dir_gcn_adjacency(graph, *, self_loops: bool = False) -> tuple[Graph, Graph]:
    """``(A_hat, A_hat^T)`` with ``A_hat = D_out^-1/2 A D_in^-1/2`` (Dir-GCN's two operators).

    ``A_hat @ X`` aggregates over out-neighbours (``i <- j`` for ``i -> j``), ``A_hat^T @ X`` over
    in-neighbours. Unlike PyG's ``DirGNNConv(GCNConv)`` no edge gets weight 0: an edge ``i -> j``
    always has ``d_out(i) >= 1`` and ``d_in(j) >= 1``.

    Parameters
    ----------
    graph : Graph or anything :func:`graphsparse.as_graph` accepts
        The digraph ``A`` (weights used when present).
    self_loops : bool, default=False
        Add a unit self-loop to every node before normalising.

    Returns
    -------
    (Graph, Graph)
        ``A_hat`` and its transpose.

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.directed import dir_gcn_adjacency
    >>> a_hat, a_hat_t = dir_gcn_adjacency(np.array([[0, 0, 1], [1, 2, 2]]))  # 0->1, 0->2, 1->2
    >>> np.round(a_hat.to_scipy().toarray().astype(float), 3).tolist()  # w_ij = 1 / sqrt(d_out(i) d_in(j))
    [[0.0, 0.707, 0.5], [0.0, 0.0, 0.707], [0.0, 0.0, 0.0]]
    >>> bool((a_hat_t.to_scipy() != a_hat.to_scipy().T).nnz == 0)
    True
    """
    a_hat = directed_normalize(graph, "dir", self_loops=self_loops)
    return a_hat, a_hat.transpose()


# ------------------------------------------------------------------------------ 2. symmetrise
_SYM_MODES = ("union", "sum", "half_sum", "mean", "max", "mutual")


def symmetrize(graph, mode: str = "union") -> Graph:
    """Undirected version of a digraph (``directed=False`` Graph storing both directions).

    ``'sum'``, ``'mean'`` and ``'max'`` are :meth:`Graph.symmetrize` (one meaning per name); the
    input is read as a digraph (a reciprocal pair ``w_ij``, ``w_ji`` is merged into one weight for
    both directions, a one-way edge ``w_ij`` stands alone):

    1. ``'union'``: ``1[A + A^T > 0]`` (unweighted);
    2. ``'sum'``: ``A + A^T`` (``w_ij + w_ji``; a one-way edge keeps ``w_ij``);
    3. ``'mean'``: the mean of the *stored* directions -- ``(w_ij + w_ji) / 2`` for a reciprocal
       pair, ``w_ij`` for a one-way edge (as ``Graph.symmetrize('mean')``);
    4. ``'half_sum'``: ``(A + A^T) / 2`` -- a one-way edge gets ``w_ij / 2`` (DGCN's first-order
       proximity; this was ``'mean'`` before the names were unified);
    5. ``'max'``: the largest stored weight of the pair (an absent direction does not count as 0);
    6. ``'mutual'``: ``A (.) A^T`` -- only reciprocated edges, weight ``w_ij w_ji``.

    Parameters
    ----------
    graph : Graph or anything :func:`graphsparse.as_graph` accepts
        The digraph (unweighted edges weigh 1).
    mode : {"union", "sum", "mean", "half_sum", "max", "mutual"}, default="union"
        The merge rule above.

    Returns
    -------
    Graph
        Undirected (``directed=False``), both directions stored.

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse import as_graph
    >>> from graphsparse.directed import symmetrize
    >>> # 0 -> 1 (weight 2) and 1 -> 0 (weight 4) are reciprocal; 1 -> 2 (weight 6) is one-way
    >>> g = as_graph(np.array([[0, 1, 1], [1, 0, 2]]), edge_weight=np.array([2.0, 4.0, 6.0]), directed=True)
    >>> symmetrize(g, "mean").to_scipy().toarray().tolist()  # a one-way edge keeps its weight
    [[0.0, 3.0, 0.0], [3.0, 0.0, 6.0], [0.0, 6.0, 0.0]]
    >>> symmetrize(g, "half_sum").to_scipy().toarray().tolist()  # (A + A^T) / 2 halves it
    [[0.0, 3.0, 0.0], [3.0, 0.0, 3.0], [0.0, 3.0, 0.0]]
    >>> symmetrize(g, "mutual").num_edges, symmetrize(g, "union").directed
    (2, False)
    """
    if mode not in _SYM_MODES:
        raise ValueError(f"mode must be one of {_SYM_MODES}, got {mode!r}")
    g = _check_graph(graph, operation="symmetrize")
    digraph = Graph(g.indptr, g.indices, g.weights, g.num_nodes, True)
    if mode == "union":
        return Graph(g.indptr, g.indices, None, g.num_nodes, True).symmetrize("max")
    if mode in ("sum", "mean", "max"):
        return digraph.symmetrize(mode)
    if mode == "half_sum":
        s = digraph.symmetrize("sum")
        return s.with_weights(s.edge_weights() * np.float32(0.5))
    a = _scipy(g, np.float64)
    s = sp.csr_matrix(a.multiply(a.T))
    s.eliminate_zeros()
    return _from_scipy_csr(s, False)


def reciprocity(graph) -> dict:
    """Reciprocity statistics: ``reciprocity`` = fraction of non-loop edges ``i -> j`` with ``j -> i``.

    Also returns ``num_edges``, ``num_self_loops``, ``num_reciprocal_pairs`` (unordered pairs
    stored in both directions) and ``num_one_way_edges``.
    """
    g = _check_graph(graph, operation="reciprocity")
    src, dst = g.sources(), g.indices
    loop = src == dst
    a = sp.csr_matrix((np.ones(g.num_edges, dtype=np.int8), g.indices, g.indptr), shape=(g.num_nodes,) * 2)
    a.setdiag(0)
    a.eliminate_zeros()
    mutual = a.multiply(a.T)
    num_mutual_edges = int(mutual.nnz)
    non_loop = int(g.num_edges - loop.sum())
    return {
        "num_edges": g.num_edges,
        "num_self_loops": int(loop.sum()),
        "num_reciprocal_pairs": num_mutual_edges // 2,
        "num_one_way_edges": non_loop - num_mutual_edges,
        "reciprocity": float(num_mutual_edges / non_loop) if non_loop else 0.0,
    }


# ------------------------------------------------------------------------------- 3. proximity
def first_order_proximity(graph) -> Graph:
    """DGCN's first-order proximity ``A_F = (A + A^T) / 2`` (Tong et al., arXiv 2004.13970)."""
    return symmetrize(graph, "half_sum")


def _prune(matrix: sp.csr_matrix, topk, threshold) -> sp.csr_matrix:
    matrix = sp.csr_matrix(matrix)
    if threshold is not None:
        threshold = float(threshold)
        if not np.isfinite(threshold) or threshold < 0:
            raise ValueError(f"threshold must be a finite number >= 0, got {threshold}")
        matrix.data[matrix.data < threshold] = 0.0
        matrix.eliminate_zeros()
    if topk is not None:
        topk = check_positive_int(topk, "topk")
        matrix.sort_indices()
        mask = _kernels.row_topk_mask(matrix.indptr.astype(np.int64), matrix.data.astype(np.float64), topk)
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        matrix = sp.csr_matrix((matrix.data[mask], (rows[mask], matrix.indices[mask])), shape=matrix.shape)
    return matrix


def second_order_proximity(graph, direction: str = "in", *, topk: int | None = None,
                           threshold: float | None = None, remove_diagonal: bool = True,
                           normalize: bool = False) -> Graph:
    """DGCN's second-order proximities, computed as sparse products with pruning.

    1. ``direction='in'``:  ``A_S^in  = A^T D_out^-1 A`` -- ``i, j`` share a source ``k``
       (``k -> i`` and ``k -> j``), weighted by ``1 / d_out(k)``;
    2. ``direction='out'``: ``A_S^out = A D_in^-1 A^T`` -- ``i, j`` share a target.

    Both are symmetric. Pruning (memory control, Tong et al. prune to the neighbourhood):
    ``threshold`` drops entries ``< threshold``, then ``topk`` keeps the ``topk`` largest entries
    of each row (the result is re-symmetrised with ``max``). ``normalize=True`` applies
    ``D^-1/2 S D^-1/2``. Peak memory is that of the unpruned product (``sum_k d_out(k)^2``
    entries for ``'in'``); prune with ``topk`` on hub-heavy graphs.
    """
    if direction not in ("in", "out"):
        raise ValueError(f"direction must be 'in' or 'out', got {direction!r}")
    g = _check_graph(graph, directed_only=True, operation="second_order_proximity")
    a = _scipy(g)
    if direction == "in":
        inv = ops.degree_power(g.out_degree(True), -1.0).astype(np.float64)
        s = a.T @ sp.diags(inv) @ a
    else:
        inv = ops.degree_power(g.in_degree(True), -1.0).astype(np.float64)
        s = a @ sp.diags(inv) @ a.T
    s = sp.csr_matrix(s)
    if remove_diagonal:
        s.setdiag(0)
        s.eliminate_zeros()
    if topk is not None or threshold is not None:
        s = _prune(s, topk, threshold)
        if topk is not None:
            s = s.maximum(s.T)
    if normalize:
        s = _sym_normalize(sp.csr_matrix(s))
    return _from_scipy_csr(s, False)


def _walk_matrix(g: Graph, self_loops: bool) -> sp.csr_matrix:
    """``P = D_out^-1 (A [+ I])`` as float64 SciPy CSR (rows of dangling nodes stay zero)."""
    if self_loops:
        g = g.add_self_loops(1.0)
    return _scipy(g.with_weights(ops.normalized_weights(g, -1.0, 0.0)))


def digcn_second_order(graph, *, self_loops: bool = True, topk: int | None = None) -> Graph:
    """DiGCN's second-order proximity ``P^(2)`` (Tong et al. NeurIPS 2020, eq. 8), sparse.

    With ``P = D^-1 (A + I)``: ``L_in = P^T P``, ``L_out = P P^T``; keep only the entries present in
    both (intersection), ``L = (L_in + L_out) / 2`` on that support, then ``D^-1/2 L D^-1/2``.
    ``topk`` prunes each row of ``L`` before normalising (re-symmetrised with ``max``).
    """
    g = _check_graph(graph, directed_only=True, operation="digcn_second_order")
    p = _walk_matrix(g, self_loops)
    l_in = sp.csr_matrix(p.T @ p)
    l_out = sp.csr_matrix(p @ p.T)
    both_in = l_in.multiply(l_out != 0)
    both_out = l_out.multiply(l_in != 0)
    s = sp.csr_matrix((both_in + both_out) * 0.5)
    s.eliminate_zeros()
    if topk is not None:
        s = _prune(s, topk, None)
        s = s.maximum(s.T)
    return _from_scipy_csr(_sym_normalize(s), False)


# ---------------------------------------------------------------------------- 4. PageRank family
def perron_vector(graph, alpha: float = 0.1, *, personalization=None, tol: float = 1e-10,
                  max_iter: int = 1000) -> np.ndarray:
    """Stationary distribution of the teleporting random walk (PageRank), by sparse power iteration.

    1. ``pi_{t+1} = (1 - alpha) P^T pi_t + (alpha + (1 - alpha) m_t) v`` with ``P = D_out^-1 A``,
       ``v`` the teleport distribution (uniform, or ``personalization`` normalised) and ``m_t``
       the mass on dangling nodes (no out-edge), which teleports by ``v`` (documented rule).
    2. Stops when ``||pi_{t+1} - pi_t||_1 < tol``; returns float64, summing to 1, all entries > 0
       for a uniform ``v``. This is the Perron vector of the Google matrix
       ``(1 - alpha) (P + 1_dangling v^T) + alpha 1 v^T`` (Page et al. 1999).
    """
    alpha = _check_teleport(alpha)
    g = _check_graph(graph, operation="perron_vector")
    max_iter = check_positive_int(max_iter, "max_iter")
    n = g.num_nodes
    if personalization is None:
        v = np.full(n, 1.0 / n)
    else:
        v = np.asarray(personalization, dtype=np.float64).reshape(-1)
        if v.shape != (n,):
            raise ValueError(f"personalization must have shape ({n},), got {v.shape}")
        check_finite(v, "personalization")
        if (v < 0).any() or v.sum() <= 0:
            raise ValueError("personalization must be non-negative with a positive sum")
        v = v / v.sum()
    p_t = sp.csr_matrix(_walk_matrix(g, False).T)
    dangling = g.out_degree(True) <= 0
    pi = v.copy()
    for _ in range(max_iter):
        new = (1.0 - alpha) * (p_t @ pi) + (alpha + (1.0 - alpha) * pi[dangling].sum()) * v
        new /= new.sum()
        if np.abs(new - pi).sum() < tol:
            return new
        pi = new
    return pi


def digcn_adjacency(graph, alpha: float = 0.1, *, self_loops: bool = True, tol: float = 1e-10,
                    max_iter: int = 1000) -> Graph:
    """DiGCN's approximate-PPR digraph adjacency, computed sparsely (Tong et al. NeurIPS 2020, eq. 6).

    1. ``P = D^-1 (A + I)`` (row-stochastic walk with self-loops);
    2. ``pi`` = Perron vector of the PPR chain with an auxiliary teleport node: real nodes move by
       ``(1 - alpha) P`` and jump to the auxiliary node with probability ``alpha``, which returns
       uniformly. Restricted to the real nodes this is PageRank with teleport ``alpha``, so ``pi``
       comes from :func:`perron_vector` -- no ``(n+1) x (n+1)`` dense eigenproblem;
    3. ``L = (Pi^1/2 P Pi^-1/2 + Pi^-1/2 P^T Pi^1/2) / 2`` on the support of ``A + A^T + I``;
    4. returns ``D_L^-1/2 L D_L^-1/2`` (``D_L`` = row sums of ``L``), an undirected weighted Graph.

    Memory is linear in the edges. Deviation from the reference code: it adds a self-loop even
    where one exists (weight 2); we keep existing loops at their weight (``add_self_loops``).
    """
    alpha = _check_teleport(alpha)
    g = _check_graph(graph, directed_only=True, operation="digcn_adjacency")
    walk_graph = g.add_self_loops(1.0) if self_loops else g
    p = _walk_matrix(walk_graph, False)
    pi = perron_vector(walk_graph, alpha, tol=tol, max_iter=max_iter)
    sqrt_pi = np.sqrt(pi)
    s = sp.diags(sqrt_pi) @ p @ sp.diags(1.0 / sqrt_pi)
    lap = sp.csr_matrix((s + s.T) * 0.5)
    lap.eliminate_zeros()
    return _from_scipy_csr(_sym_normalize(lap), False)


def ppr_push(graph, seeds, alpha: float = 0.15, *, eps: float = 1e-4, topk: int | None = None) -> sp.csr_matrix:
    """Approximate personalised PageRank rows by forward push (Andersen, Chung, Lang, FOCS 2006).

    Row ``s`` of the result approximates ``ppr(seeds[s]) = alpha sum_t (1 - alpha)^t e_s^T P^t``
    along edge direction, with ``|error(v)| <= eps * max(d_out(v), 1)``. Dangling nodes send
    their remaining mass back to the seed (personalised teleport rule). Work per seed is
    ``O(1 / (eps alpha))`` independent of the graph size; ``topk`` keeps the largest entries.
    Returns a ``len(seeds) x n`` float64 SciPy CSR matrix.
    """
    alpha = _check_teleport(alpha)
    eps = check_fraction(eps, "eps", low=0.0, high=1.0, low_inclusive=False)
    g = _check_graph(graph, operation="ppr_push")
    seeds = check_node_ids(as_index_array(seeds, "seeds"), g.num_nodes, "seeds")
    k = 0 if topk is None else check_positive_int(topk, "topk")
    weights = np.zeros(0, np.float32) if g.weights is None else g.weights
    indptr, indices, values = _kernels.ppr_push_rows(g.indptr, g.indices, weights, g.out_degree(True),
                                                     seeds, float(alpha), float(eps), k)
    return sp.csr_matrix((values, indices, indptr), shape=(seeds.shape[0], g.num_nodes))


def ppr_diffusion(graph, alpha: float = 0.15, *, eps: float = 1e-4, topk: int | None = 32,
                  normalize: str | None = "col") -> Graph:
    """Sparse directed PPR diffusion ``S[i, j] ~ ppr_i(j)`` for every node by push (GDC-style).

    ``topk`` bounds the entries per row (memory ``n * topk``); ``normalize='col'`` rescales
    columns to sum 1 (as GDC's column normalisation), ``'row'`` rows, ``None`` leaves raw scores.
    The result is a directed weighted Graph (``i -> j`` carries ``S[i, j]``).
    """
    if normalize not in (None, "row", "col"):
        raise ValueError(f"normalize must be None, 'row' or 'col', got {normalize!r}")
    g = _check_graph(graph, operation="ppr_diffusion")
    s = ppr_push(g, np.arange(g.num_nodes), alpha, eps=eps, topk=topk)
    if normalize == "row":
        s = sp.diags(1.0 / np.maximum(np.asarray(s.sum(axis=1)).ravel(), 1e-300)) @ s
    elif normalize == "col":
        s = s @ sp.diags(1.0 / np.maximum(np.asarray(s.sum(axis=0)).ravel(), 1e-300))
    return _from_scipy_csr(s, True)


# ------------------------------------------------------------------------- 5. magnetic Laplacian
def _check_q(q) -> float:
    return check_fraction(q, "q", low=0.0, high=0.5, low_inclusive=True, high_inclusive=True)


def magnetic_laplacian(graph, q: float = 0.25, *, normalized: bool = True, scaled: bool = False,
                       lambda_max: float = 2.0, signed: bool = False) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Magnetic Laplacian ``L^(q)`` as ``(real, imag)`` float32 SciPy CSR (MagNet, Zhang et al. 2021).

    1. ``A_s = (A + A^T) / 2``, ``Theta^(q) = 2 pi q (A - A^T)``, ``H = A_s (.) exp(i Theta)``;
    2. ``normalized=False``: ``L = D_s - H``; ``normalized=True``: ``L = I - D_s^-1/2 H D_s^-1/2``
       (``D_s`` = row sums of ``A_s``; isolated nodes get a zero row in ``H``);
    3. ``scaled=True`` returns MagNet's Chebyshev argument ``L~ = 2 L / lambda_max - I``.

    ``real`` is symmetric and ``imag`` antisymmetric (``L`` is Hermitian); ``q = 0`` gives the
    ordinary symmetrised Laplacian with ``imag = 0``; ``q = 0.25`` makes one-way edges purely
    imaginary. Two real CSR matrices: four real products beat one complex product on CPU.
    ``q`` must lie in ``[0, 0.5]``. Memory is linear in the edges. Self-loops are kept
    (``A_s[i, i] = w_ii``, phase 0).

    Negative edge weights need ``signed=True`` (else ``ValueError``): the magnetic *signed*
    Laplacian of :func:`signed_magnetic_laplacian`, whose degree uses ``|A|``.
    """
    q = _check_q(q)
    lambda_max = float(lambda_max)
    if not np.isfinite(lambda_max) or lambda_max <= 0:
        raise ValueError(f"lambda_max must be a finite number > 0, got {lambda_max}")
    g = _check_graph(graph, directed_only=not signed,
                     operation="signed_magnetic_laplacian" if signed else "magnetic_laplacian")
    # one complex COO holds both parts on the same support: real = A_s, imag = A - A^T
    src, dst = g.sources(), g.indices.astype(np.int64)
    w = g.edge_weights().astype(np.float64)
    n = g.num_nodes
    if signed:
        # D_bar_s[i, i] = 1/2 sum_j (|A_ij| + |A_ji|)  (MSGNN's absolute degree)
        abs_w = np.abs(w)
        deg = 0.5 * (np.bincount(src, weights=abs_w, minlength=n) + np.bincount(dst, weights=abs_w, minlength=n))
    elif w.size and w.min() < 0:
        raise ValueError(f"graph has {int((w < 0).sum())} negative edge weights; magnetic_laplacian needs "
                         "non-negative weights -- pass signed=True (or call signed_magnetic_laplacian) for the "
                         "magnetic signed Laplacian")
    both = sp.coo_matrix((np.concatenate([0.5 * w + 1j * w, 0.5 * w - 1j * w]),
                          (np.concatenate([src, dst]), np.concatenate([dst, src]))),
                         shape=(n, n)).tocsr()
    del src, dst, w
    both.sum_duplicates()
    a_sym = sp.csr_matrix((both.data.real.copy(), both.indices, both.indptr), shape=both.shape)
    theta = 2.0 * np.pi * q * both.data.imag
    del both
    if not signed:
        deg = np.asarray(a_sym.sum(axis=1)).ravel()
    if normalized:
        inv_sqrt = ops.degree_power(deg, -0.5).astype(np.float64)
        rows = np.repeat(np.arange(n), np.diff(a_sym.indptr))
        base = inv_sqrt[rows] * a_sym.data * inv_sqrt[a_sym.indices]
        diag = np.ones(n)
    else:
        base = a_sym.data
        diag = deg
    h_real = sp.csr_matrix((base * np.cos(theta), a_sym.indices, a_sym.indptr), shape=(n, n))
    h_imag = sp.csr_matrix((base * np.sin(theta), a_sym.indices, a_sym.indptr), shape=(n, n))
    real = sp.diags(diag) - h_real
    imag = -h_imag
    if scaled:
        real = (2.0 / lambda_max) * real - sp.identity(n)
        imag = (2.0 / lambda_max) * imag
    real = sp.csr_matrix(real, dtype=np.float32)
    imag = sp.csr_matrix(imag, dtype=np.float32)
    real.eliminate_zeros()
    imag.eliminate_zeros()
    return real, imag


def signed_magnetic_laplacian(graph, q: float = 0.25, *, normalized: bool = True, scaled: bool = False,
                              lambda_max: float = 2.0) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Magnetic signed Laplacian (MSGNN, He, Perlmutter, Reinert, Cucuringu, LoG 2022, arXiv
    2209.00546) as ``(real, imag)`` float32 SciPy CSR; edge weights may be negative.

    Definition as PyTorch Geometric Signed Directed's ``get_magnetic_signed_Laplacian``
    (``torch_geometric_signed_directed/utils/general/get_magnetic_signed_Laplacian.py``, default
    ``absolute_degree=True``), with ``A`` the *signed* weighted adjacency:

    1. ``A_s = (A + A^T) / 2`` (signed; a reciprocal pair of opposite signs cancels);
    2. ``Theta^(q) = 2 pi q (A - A^T)`` -- the sign-aware asymmetric part: a negative edge
       ``i -> j`` gets the phase of a positive edge ``j -> i`` while ``A_s`` carries its sign;
    3. ``D_bar_s[i, i] = 1/2 sum_j (|A_ij| + |A_ji|)`` (degree of ``|A|``, so it is never negative);
    4. ``H = A_s (.) exp(i Theta^(q))``; ``L = D_bar_s - H`` or, ``normalized=True``,
       ``L = I - D_bar_s^-1/2 H D_bar_s^-1/2``; ``scaled`` as in :func:`magnetic_laplacian`.

    ``L`` is Hermitian and (with the absolute degree) positive semi-definite, eigenvalues of the
    normalised one in ``[0, 2]``. With all weights positive it equals :func:`magnetic_laplacian`
    exactly. ``q = 0`` gives the signed Laplacian of the symmetrised signed graph (Kunegis et al.
    2010). Differences from PyGSD: self-loops are kept (``A_s[i, i] = w_ii``, phase 0) as in
    :func:`magnetic_laplacian`, where PyGSD removes them -- pass ``graph.remove_self_loops()`` to
    match it. SigMaNet's sign-magnetic Laplacian (Fiorini et al. 2023) is a different, ``q``-free
    operator and is not what this computes. Undirected (symmetric) signed input is legitimate here
    and emits no warning.
    """
    return magnetic_laplacian(graph, q, normalized=normalized, scaled=scaled, lambda_max=lambda_max, signed=True)


def magnetic_lambda_max(real: sp.spmatrix, imag: sp.spmatrix, *, tol: float = 1e-6) -> float:
    """Largest eigenvalue of the Hermitian ``real + i imag`` via the real embedding
    ``[[R, -I], [I, R]]`` (same spectrum, each eigenvalue twice) and Lanczos (``eigsh``)."""
    from scipy.sparse.linalg import eigsh

    if real.shape != imag.shape or real.shape[0] != real.shape[1]:
        raise ValueError(f"real and imag must be square with equal shapes, got {real.shape} and {imag.shape}")
    big = sp.bmat([[real, -imag], [imag, real]], format="csr").astype(np.float64)
    if big.shape[0] <= 2:
        return float(np.linalg.eigvalsh(big.toarray()).max())
    value = eigsh(big, k=1, which="LA", tol=tol, return_eigenvectors=False)
    return float(value[0])


def magnetic_eigenvector_encodings(graph, k: int, q: float = 0.25, *, signed: bool = False, tol: float = 0.0,
                                   extra: int = 4, random_state=0, return_eigenvalues: bool = False):
    """Eigenvector positional encodings of the normalised magnetic Laplacian ``L^(q)``.

    Returns an ``(n, 2k)`` float32 array ``[Re V, Im V]``: the eigenvectors of the ``k``
    smallest eigenvalues of ``L = I - D_s^-1/2 H D_s^-1/2`` (:func:`magnetic_laplacian`,
    ``normalized=True``; ``signed=True`` uses :func:`signed_magnetic_laplacian`) -- the
    direction-aware analogue of Laplacian eigenvector PEs (as in MagLapNet, Geisler et al. 2023).
    With ``return_eigenvalues=True`` also the ``k`` eigenvalues (float64, ascending).

    1. Real embedding: ``L = R + i I`` acts on ``v = a + i b`` as ``M = [[R, -I], [I, R]]`` on
       ``[a; b]``; ``M`` is real symmetric with the spectrum of ``L``, each eigenvalue twice
       (``[a; b]`` and ``[-b; a]``, i.e. ``v`` and ``i v``). Lanczos (``eigsh``) runs on
       ``2 I - M`` (``which='LA'``; the spectrum of ``L`` lies in ``[0, 2]``) for ``2k + extra``
       vectors -- sparse, four real products per complex one, nothing ``n x n`` dense.
    2. De-duplication: each Ritz vector ``[a; b]`` maps to the complex vector ``a + i b``; the two
       copies of an eigenvalue map to the same complex line. Keeping "every other vector" is not
       safe: single-vector Lanczos finds the second copy only through rounding, so ARPACK may
       return one copy of ``lambda_1`` and one of ``lambda_2`` instead of two of ``lambda_1``
       (seen on small graphs with ``k = 1``). We therefore take an orthonormal basis of the complex
       span of all ``2k + extra`` images (SVD, rank-revealing), run a Rayleigh-Ritz step with
       ``L`` in it (a small Hermitian ``eigh``) and keep the ``k`` smallest Ritz pairs -- correct
       whether ARPACK returned both copies, one copy, or a mix, and for eigenvalues repeated in
       ``L`` itself (e.g. isomorphic components) as long as the span holds them.
    3. Ambiguity and canonical phase: every eigenvector is defined only up to a unit complex
       factor ``exp(i phi)`` (a sign for ``q = 0``), and within a repeated eigenvalue only the
       subspace is defined. We fix the phase deterministically: the entry of largest magnitude
       (the first one within ``1e-6`` relative of the maximum) is made real and positive. Inside
       a repeated eigenvalue the basis depends on the Lanczos start vector (``random_state``,
       fixed by default, so results are reproducible); models should still treat PEs as
       sign/phase-ambiguous (e.g. SignNet-style invariance or random phase augmentation).

    ``k`` must satisfy ``1 <= k < n``; ``q`` in ``[0, 0.5]``. ``tol`` is ARPACK's (0 = machine
    precision); ``extra`` (default 4) is the number of additional Lanczos vectors. Cost:
    ``O(iterations * nnz * k)`` time and ``O(n k)`` memory.
    """
    from scipy.sparse.linalg import eigsh

    q = _check_q(q)
    k = check_positive_int(k, "k")
    g = _check_graph(graph, directed_only=not signed, operation="magnetic_eigenvector_encodings")
    n = g.num_nodes
    if k >= n:
        raise ValueError(f"k must be < the number of nodes ({n}), got k={k}")
    extra = check_positive_int(extra, "extra", allow_zero=True)
    tol = float(tol)
    if not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a finite number >= 0, got {tol}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndirectedGraphWarning)
        real, imag = magnetic_laplacian(g, q, normalized=True, signed=signed)
    real = sp.csr_matrix(real, dtype=np.float64)
    imag = sp.csr_matrix(imag, dtype=np.float64)
    shifted = sp.csr_matrix(2.0 * sp.identity(2 * n) - sp.bmat([[real, -imag], [imag, real]]))
    v0 = check_random_state(random_state).standard_normal(2 * n)
    num = min(2 * n - 1, 2 * k + extra)
    _, vectors = eigsh(shifted, k=num, which="LA", v0=v0, tol=tol)
    candidates = vectors[:n] + 1j * vectors[n:]                       # complex images of the Ritz vectors
    left, sing, _ = np.linalg.svd(candidates, full_matrices=False)
    basis = left[:, sing > 1e-8 * sing[0]]                            # orthonormal basis of their complex span
    if basis.shape[1] < k:  # pragma: no cover - Lanczos returned too few independent directions
        raise RuntimeError("eigsh found fewer than k independent eigenvectors; increase extra")
    l_basis = real @ basis + 1j * (imag @ basis)
    small = basis.conj().T @ l_basis
    values, rotation = np.linalg.eigh(0.5 * (small + small.conj().T))
    values, rotation = values[:k], rotation[:, :k]
    vecs = basis @ rotation
    mags = np.abs(vecs)
    anchor_rows = np.argmax(mags >= (1.0 - 1e-6) * mags.max(axis=0, keepdims=True), axis=0)
    anchors = vecs[anchor_rows, np.arange(k)]
    vecs = vecs * (anchors.conj() / np.abs(anchors))[None, :]
    encodings = np.concatenate([vecs.real, vecs.imag], axis=1).astype(np.float32)
    if return_eigenvalues:
        return encodings, values.astype(np.float64)
    return encodings


# ----------------------------------------------------------------------------- 6. diagnostics
def _check_labels(y, n: int) -> np.ndarray:
    y = to_numpy(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"y must be a 1-D array of {n} class labels, got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"y must hold integer class labels, got dtype {y.dtype}")
    if y.size and y.min() < 0:
        raise ValueError(f"y must hold non-negative class labels, got min {y.min()}")
    return y.astype(np.int64)


def directed_homophily(graph, y) -> dict:
    """Edge homophily of the four directed views (Rossi et al. 2023, sec. 3).

    1. ``'A'``: fraction of edges ``i -> j`` (loops excluded) with ``y_i = y_j`` (equal to
       ``'A^T'`` for edge homophily: the same edge set read backwards);
    2. ``'node_out'`` / ``'node_in'``: mean over nodes with out-/in-neighbours of the fraction of
       same-label out-/in-neighbours (these differ);
    3. ``'AA^T'`` / ``'A^TA'``: weighted edge homophily of the two-hop matrices without forming
       them: ``sum_ij (A A^T)_ij 1[y_i = y_j] = ||A^T Y||_F^2`` with ``Y`` one-hot, total
       ``||A^T 1||^2``; diagonal terms (``i = j``) are excluded.
    """
    g = _check_graph(graph, directed_only=True, operation="directed_homophily")
    y = _check_labels(y, g.num_nodes)
    src, dst = g.sources(), g.indices.astype(np.int64)
    w = g.edge_weights().astype(np.float64)
    keep = src != dst
    same = (y[src] == y[dst]) & keep
    result = {"A": float((w * same).sum() / max((w * keep).sum(), 1e-300))}
    result["A^T"] = result["A"]
    n = g.num_nodes
    out_same = np.bincount(src, weights=w * same, minlength=n)
    out_tot = np.bincount(src, weights=w * keep, minlength=n)
    in_same = np.bincount(dst, weights=w * same, minlength=n)
    in_tot = np.bincount(dst, weights=w * keep, minlength=n)
    result["node_out"] = float(np.mean(out_same[out_tot > 0] / out_tot[out_tot > 0])) if (out_tot > 0).any() else 0.0
    result["node_in"] = float(np.mean(in_same[in_tot > 0] / in_tot[in_tot > 0])) if (in_tot > 0).any() else 0.0
    num_classes = int(y.max()) + 1
    onehot = sp.csr_matrix((np.ones(n), (np.arange(n), y)), shape=(n, num_classes))
    a = _scipy(g)
    for name, mat in (("AA^T", sp.csr_matrix(a.T)), ("A^TA", a)):
        # (M M^T) with M = mat^T ... computed as ||mat @ Y||^2 per row (mat = A^T for A A^T)
        by_class = mat @ onehot  # rows: intermediate node k; columns: class counts
        by_class = np.asarray(by_class.todense()) if sp.issparse(by_class) else by_class
        diag_sum = float(mat.multiply(mat).sum())  # sum_i (M M^T)_ii
        total = float((by_class.sum(axis=1) ** 2).sum()) - diag_sum
        same_sum = float((by_class ** 2).sum()) - diag_sum
        result[name] = same_sum / total if total > 0 else 0.0
    return result


def compatibility_matrix(graph, y, *, normalize: bool = True) -> np.ndarray:
    """``H[c, c']`` = (weighted) number of edges from class ``c`` to class ``c'``; with
    ``normalize`` each row sums to 1 (the directed flow between classes; asymmetric for DSBMs)."""
    g = _check_graph(graph, operation="compatibility_matrix")
    y = _check_labels(y, g.num_nodes)
    num_classes = int(y.max()) + 1
    counts = np.zeros((num_classes, num_classes))
    np.add.at(counts, (y[g.sources()], y[g.indices]), g.edge_weights().astype(np.float64))
    if normalize:
        counts = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1e-300)
    return counts


def degree_features(graph, *, log: bool = True) -> np.ndarray:
    """``(n, 2)`` float32 features ``[d_in, d_out]`` (``log1p`` when ``log``)."""
    g = _check_graph(graph, operation="degree_features")
    feats = np.stack([g.in_degree(True), g.out_degree(True)], axis=1)
    return (np.log1p(feats) if log else feats).astype(np.float32)


# --------------------------------------------------------------------------------- 7. SCC / DAG
def strongly_connected_components(graph) -> tuple[int, np.ndarray]:
    """``(num_components, labels)`` of the strongly connected components (Tarjan/Pearce via SciPy)."""
    from scipy.sparse.csgraph import connected_components

    g = _check_graph(graph, directed_only=True, operation="strongly_connected_components")
    count, labels = connected_components(_scipy(g), directed=True, connection="strong")
    return int(count), labels.astype(np.int64)


def topological_order(graph) -> np.ndarray:
    """A topological order (Kahn's algorithm); ``ValueError`` when the graph has a cycle."""
    g = _check_graph(graph, directed_only=True, operation="topological_order")
    order, count = _kernels.kahn_topological_order(g.indptr, g.indices, g.num_nodes)
    if count < g.num_nodes:
        raise ValueError(f"graph has a cycle ({g.num_nodes - count} nodes lie on or behind cycles); "
                         "no topological order exists (see dag_edge_mask / condensation)")
    return order


def is_dag(graph) -> bool:
    """True when the digraph has no directed cycle (self-loops are cycles)."""
    g = _check_graph(graph, directed_only=True, operation="is_dag")
    return bool(_kernels.kahn_topological_order(g.indptr, g.indices, g.num_nodes)[1] == g.num_nodes)


def condensation(graph) -> tuple[Graph, np.ndarray]:
    """``(dag, labels)``: the DAG of strongly connected components (edge weights summed)."""
    count, labels = strongly_connected_components(graph)
    g = as_graph(graph)
    src, dst = labels[g.sources()], labels[g.indices]
    keep = src != dst
    m = sp.csr_matrix((g.edge_weights()[keep].astype(np.float64), (src[keep], dst[keep])), shape=(count, count))
    if m.nnz == 0:
        return Graph(np.zeros(count + 1, np.int64), np.zeros(0, np.int32), None, count, True), labels
    return _from_scipy_csr(m, True), labels


def dag_edge_mask(graph) -> np.ndarray:
    """Edge mask (CSR order) whose kept edges form a DAG: all edges between strongly connected
    components, and inside a component the edges ``i -> j`` with ``i < j`` (node-id order)."""
    count, labels = strongly_connected_components(graph)
    g = as_graph(graph)
    src, dst = g.sources(), g.indices.astype(np.int64)
    return (labels[src] != labels[dst]) | ((labels[src] == labels[dst]) & (src < dst))


# ------------------------------------------------------------------------------ 8. augmentation
def flip_edges(graph, p: float = 0.1, *, random_state=None) -> Graph:
    """Reverse each edge independently with probability ``p`` (direction augmentation).

    Weights travel with their edge; edges that collide with an existing one are summed.
    """
    p = check_fraction(p, "p", high_inclusive=True)
    g = _check_graph(graph, directed_only=True, operation="flip_edges")
    rng = check_random_state(random_state)
    flip = rng.random(g.num_edges) < p
    src, dst = g.sources().copy(), g.indices.astype(np.int64).copy()
    src[flip], dst[flip] = dst[flip], g.sources()[flip]
    return as_graph(np.stack([src, dst]), num_nodes=g.num_nodes, edge_weight=g.weights, directed=True)
