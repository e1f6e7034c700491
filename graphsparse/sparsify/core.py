"""One-shot, structure-only edge scores and :func:`sparsify`.

1. TEDDY score (Seo et al., "TEDDY: Trimming Edges with Degree-based Discrimination strategY",
   ICLR 2024, eq. 3-4, as the authors' code computes it, O(E))::

       d_i      = number of stored entries of row i      (self-loops count, as in the GAT variant)
       gbar_i   = (1/d_i) * sum_{k in N(i)} d_k^(-1/2)   (mean inverse-sqrt degree of neighbours)
       ghat_i   = gbar_i / d_i                           (0 for an isolated node)
       T_ij     = ghat_i * ghat_j                        for every edge (i, j)

   Low ``T_ij`` = an edge between high-degree nodes whose neighbours are high-degree too; those
   are pruned first (they carry the least "low-degree information").
2. Other one-shot scores with the same interface: ``"degree"`` ``1/(d_i d_j)``,
   ``"resistance"`` ``1/d_i + 1/d_j`` (the cheap local approximation of the effective
   resistance used by spectral sparsifiers), ``"random"`` (uniform, one draw per undirected edge).
3. :func:`sparsify` drops the ``floor(P * edge_sparsity)`` lowest-scored undirected edges, where
   ``P`` is the number of undirected non-loop edges. Both directions of an edge are always
   kept or dropped together, self-loops are never dropped and never counted in ``P``, ties
   are broken by CSR position (so the result is deterministic and the kept sets are *nested*:
   a higher sparsity keeps a subset of what a lower one keeps).

Deviations from the reference code, on purpose: the reference counts self-loops in ``|E|`` and
selects over directed entries (both directions go together there only because the score is
symmetric, except at ties on the cut); here the selection is over undirected pairs so an
undirected graph stays undirected, and the sparsity is that of the non-loop edges.
The score uses the unweighted structure (edge weights are ignored), as in the paper.
"""
from __future__ import annotations

import math

import numpy as np

from graphsparse._validation import check_fraction, check_random_state
from graphsparse.graph import Graph, as_graph
from graphsparse.kernels import parallel_section
from graphsparse.sparsify import _kernels

__all__ = ["SCORE_METHODS", "teddy_edge_scores", "edge_scores", "sparsify", "edge_keep_mask", "edge_keep_masks",
           "pair_keep_mask", "num_pruned_pairs"]

SCORE_METHODS = ("teddy", "degree", "resistance", "random")


def _undirected(graph, symmetrize: bool, name: str = "graph") -> Graph:
    g = as_graph(graph, name=name)
    if g.directed:
        if not symmetrize:
            raise ValueError(f"{name} is directed, but this edge score is defined for undirected graphs; "
                             "pass symmetrize=True to score A + A^T (both directions pruned together)")
        g = g.symmetrize("max")
    return g


def teddy_edge_scores(graph, *, symmetrize: bool = False) -> np.ndarray:
    """TEDDY edge score ``T_ij = ghat_i ghat_j`` for every stored edge of ``graph`` (CSR order).

    Parameters
    ----------
    graph : Graph or anything :func:`graphsparse.as_graph` accepts
        Undirected graph. A directed graph raises ``ValueError`` unless ``symmetrize=True``.
    symmetrize : bool, default=False
        Score the symmetrised graph ``as_graph(graph).symmetrize()`` (in its CSR order).

    Returns
    -------
    float64 array of length ``num_edges`` (``graph.num_edges`` after symmetrisation).

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.datasets import sbm
    >>> from graphsparse.sparsify import teddy_edge_scores
    >>> g = sbm([20, 20], np.array([[0.3, 0.02], [0.02, 0.3]]), seed=0)
    >>> scores = teddy_edge_scores(g)
    >>> scores.shape == (g.num_edges,), scores.dtype, bool((scores > 0).all())
    (True, dtype('float64'), True)
    >>> bool(np.allclose(scores, scores[g.reverse_edges()]))  # T_ij == T_ji
    True
    """
    g = _undirected(graph, symmetrize)
    with parallel_section():  # prange kernels: one at a time under Numba's workqueue layer
        node_term = _kernels.teddy_node_terms(g.indptr, g.indices)
        return _kernels.teddy_edge_scores_csr(g.indptr, g.indices, node_term)


def edge_scores(graph, method: str = "teddy", *, symmetrize: bool = False, random_state=None) -> np.ndarray:
    """One-shot score per stored edge (higher = more important, kept longer); see the module doc.

    ``method`` is one of ``"teddy"``, ``"degree"``, ``"resistance"``, ``"random"``. Every score is
    symmetric (``s_ij == s_ji``); ``"random"`` draws one value per undirected edge from
    ``random_state``.
    """
    if method not in SCORE_METHODS:
        raise ValueError(f"method must be one of {SCORE_METHODS}, got {method!r}")
    g = _undirected(graph, symmetrize)
    if method == "teddy":
        return teddy_edge_scores(g)
    if method in ("degree", "resistance"):
        with parallel_section():
            return _kernels.degree_pair_scores(g.indptr, g.indices, 0 if method == "degree" else 1)
    rng = check_random_state(random_state)
    draws = rng.random(g.num_edges)
    reverse_edges(g)  # symmetric graphs only
    return draws[g.canonical_edges()]


def reverse_edges(graph: Graph) -> np.ndarray:
    """Position of the reverse ``(j, i)`` of every stored edge ``(i, j)`` of a symmetric graph
    (:meth:`Graph.reverse_edges`); ``ValueError`` when some edge has no reverse."""
    reverse = graph.reverse_edges()
    if reverse.shape[0] and reverse.min() < 0:
        raise ValueError("graph must be symmetric (every edge stored in both directions)")
    return reverse


def num_pruned_pairs(num_pairs: int, edge_sparsity: float) -> int:
    """``floor(num_pairs * edge_sparsity)`` robust to round-off (``1 - 0.95**r`` is inexact)."""
    return int(math.floor(num_pairs * edge_sparsity + 1e-9))


def pair_keep_mask(graph: Graph, scores: np.ndarray, edge_sparsity: float, *, previous_keep=None) -> np.ndarray:
    """Keep mask over the stored edges of the undirected ``graph`` dropping the lowest pairs.

    ``scores`` has one entry per stored edge; the score of the canonical direction ``(i, j)``,
    ``i < j``, decides for the pair. ``previous_keep`` (a keep mask of an earlier, lower
    sparsity) forces its dropped pairs to stay dropped (the reference's nested-mask rule).
    """
    edge_sparsity = check_fraction(edge_sparsity, "edge_sparsity")
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != (graph.num_edges,):
        raise ValueError(f"scores must have one entry per stored edge ({graph.num_edges}), got shape {scores.shape}")
    reverse_edges(graph)  # symmetric graphs only
    canonical = graph.canonical_edges()
    sources = graph.sources()
    pair_positions = np.flatnonzero(graph.indices > sources)
    pair_scores = scores[pair_positions].copy()
    if np.isnan(pair_scores).any():
        raise ValueError("scores must not contain NaN")
    if previous_keep is not None:
        previous_keep = np.asarray(previous_keep, dtype=bool)
        if previous_keep.shape != (graph.num_edges,):
            raise ValueError(f"previous_keep must have shape ({graph.num_edges},), got {previous_keep.shape}")
        pair_scores[~previous_keep[pair_positions]] = -np.inf
    num_drop = num_pruned_pairs(pair_positions.shape[0], edge_sparsity)
    keep_canonical = np.ones(graph.num_edges, dtype=bool)
    keep_canonical[pair_positions[lowest_first(pair_scores, num_drop)]] = False
    return keep_canonical[canonical]


def lowest_first(values: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` smallest ``values``, ties broken by index -- the same set as
    ``np.argsort(values, kind="stable")[:count]`` in O(n) (a partition, not a sort)."""
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    if count >= values.shape[0]:
        return np.arange(values.shape[0])
    threshold = np.partition(values, count - 1)[count - 1]
    below = np.flatnonzero(values < threshold)
    ties = np.flatnonzero(values == threshold)[:count - below.shape[0]]
    return np.concatenate([below, ties])


def sparsify(graph, edge_sparsity: float, method: str = "teddy", *, symmetrize: bool = False,
             random_state=None, scores=None, return_mask: bool = False):
    """Drop the fraction ``edge_sparsity`` of undirected edges with the lowest one-shot score.

    Parameters
    ----------
    graph : Graph or anything :func:`graphsparse.as_graph` accepts
        Undirected graph; directed input raises ``ValueError`` unless ``symmetrize=True``.
    edge_sparsity : float in [0, 1)
        Fraction of undirected non-loop edges to remove (``floor(P * s)`` of the ``P`` pairs).
    method : {"teddy", "degree", "resistance", "random"}, default="teddy"
        One-shot score (module doc); ignored when ``scores`` is given.
    symmetrize : bool, default=False
        Sparsify ``A + A^T`` (merged with ``max``) instead of refusing a directed graph.
    random_state : None, int or numpy Generator, default=None
        Seed of ``method="random"``.
    scores : ndarray of shape (num_edges,) or None, default=None
        Precomputed scores (one per stored edge of the undirected graph) overriding ``method``
        -- e.g. to reuse one TEDDY scoring across a sweep of sparsities.
    return_mask : bool, default=False
        Also return the boolean keep mask over the stored edges of the (symmetrised) input.

    Returns
    -------
    The sparsified :class:`~graphsparse.Graph` (undirected), and the keep mask if asked.

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.datasets import sbm
    >>> from graphsparse.sparsify import sparsify
    >>> g = sbm([20, 20], np.array([[0.3, 0.02], [0.02, 0.3]]), seed=0)
    >>> pairs = g.num_edges // 2  # no self-loops: each undirected edge is stored twice
    >>> sparse, keep = sparsify(g, 0.5, return_mask=True)
    >>> sparse.num_edges // 2 == pairs - int(pairs * 0.5), sparse.directed, keep.shape == (g.num_edges,)
    (True, False, True)
    """
    edge_sparsity = check_fraction(edge_sparsity, "edge_sparsity")
    g = _undirected(graph, symmetrize)
    if scores is None:
        scores = edge_scores(g, method, random_state=random_state)
    keep = pair_keep_mask(g, scores, edge_sparsity)
    sparse_graph = g.filter_edges(keep)
    return (sparse_graph, keep) if return_mask else sparse_graph


def edge_keep_mask(edge_index, edge_sparsity: float, method: str = "teddy", *, num_nodes: int | None = None,
                   symmetrize: bool = False, random_state=None, previous_keep=None) -> np.ndarray:
    """Keep mask over the *columns* of a ``(2, E)`` edge index (any order, duplicates allowed).

    Scores and selects on the coalesced undirected graph, then maps every column ``(u, v)`` to
    its pair, so duplicated columns and both directions share one decision. Used by the
    :class:`~graphsparse.sparsify.transforms.TEDDY` transform and by the ticket finder.
    ``previous_keep`` is a column mask of an earlier level (its dropped pairs stay dropped).
    """
    edge_sparsity = check_fraction(edge_sparsity, "edge_sparsity")
    from graphsparse.graph import _coerce_edge_index

    columns = _coerce_edge_index(edge_index, "edge_index")
    if num_nodes is None:
        num_nodes = int(columns.max()) + 1 if columns.shape[1] else 0
    if columns.shape[1] == 0:
        return np.zeros(0, dtype=bool)
    g = as_graph(columns, num_nodes=num_nodes, name="edge_index")
    g = _undirected(g, symmetrize, name="edge_index")
    positions = g.locate(columns[0], columns[1])
    previous_csr = None
    if previous_keep is not None:
        previous_keep = np.asarray(previous_keep, dtype=bool)
        if previous_keep.shape != (columns.shape[1],):
            raise ValueError(f"previous_keep must have one entry per column ({columns.shape[1]}), "
                             f"got shape {previous_keep.shape}")
        previous_csr = np.ones(g.num_edges, dtype=bool)
        previous_csr[positions[~previous_keep]] = False
        previous_csr &= previous_csr[reverse_edges(g)]
    scores = edge_scores(g, method, random_state=random_state)
    keep_csr = pair_keep_mask(g, scores, edge_sparsity, previous_keep=previous_csr)
    return keep_csr[positions]


def edge_keep_masks(edge_index, edge_sparsities, method: str = "teddy", *, num_nodes: int | None = None,
                    symmetrize: bool = False, random_state=None) -> list:
    """Column keep masks for several sparsities from ONE scoring (nested: each is a subset of the
    previous for increasing sparsities). See :func:`edge_keep_mask`."""
    from graphsparse.graph import _coerce_edge_index

    sparsities = [check_fraction(s, "edge_sparsity") for s in edge_sparsities]
    columns = _coerce_edge_index(edge_index, "edge_index")
    if columns.shape[1] == 0:
        return [np.zeros(0, dtype=bool) for _ in sparsities]
    if num_nodes is None:
        num_nodes = int(columns.max()) + 1
    g = _undirected(as_graph(columns, num_nodes=num_nodes, name="edge_index"), symmetrize, name="edge_index")
    positions = g.locate(columns[0], columns[1])
    scores = edge_scores(g, method, random_state=random_state)
    return [pair_keep_mask(g, scores, s)[positions] for s in sparsities]
