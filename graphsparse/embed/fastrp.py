"""FastRP node embeddings as a scikit-learn estimator on the graphsparse CSR backend.

Chen, Sultan, Tian, Chen, Skiena, "Fast and Accurate Network Embeddings via Very Sparse Random
Projection", CIKM 2019 (reference code GTmac/FastRP), and the Neo4j GDS variant (``FastRP.java``).

Algorithm (``P`` = propagation matrix, ``k = len(iteration_weights)``):

1. ``R`` (n x d): very sparse random projection, ``+-sqrt(1/(density*d))`` with probability
   ``density/2`` each, else 0 (``density="sqrt"`` is the paper's ``s = sqrt(n)``, i.e. sklearn's
   ``SparseRandomProjection(density='auto')``; GDS uses ``density=1/3``), or Gaussian ``N(0, 1/d)``.
2. Hop 0: ``r_v = deg_v^beta * R_v`` (``beta = normalization_strength``; ``L = diag(deg^beta)`` of the
   paper, whose ``(d_j/2m)^beta`` differs by a constant that the normalisation removes). With node
   features, the last ``floor(d * feature_ratio)`` columns are ``x_v @ P_feat`` instead (GDS
   ``propertyRatio``; not degree scaled).
3. ``P = D^-1 A`` (row-stochastic, weighted degree ``D``; edge weights are used when present).
   Paper: ``N_1 = P r``, ``N_i = P N_{i-1}`` (the *un-normalised* ``N_{i-1}`` propagates).
   GDS (``propagate_normalized=True``): ``e_i = rowL2(P e_{i-1})``, ``e_0 = r``.
4. ``z = self_influence * rowL2(r) + sum_i alpha_i * rowL2(N_i)`` (``rowL2`` only when
   ``normalize_each``), then, when ``scale_output``, every column is z-scored
   (``sklearn.preprocessing.scale``, population std, constant columns left unscaled).
5. Optional (``spectral_propagation``): ProNE's spectral propagation (Zhang et al., IJCAI 2019)
   ``z <- rowL2(U sqrt(S))`` of the SVD of ``A~ (z - C(z))``, ``C`` the Chebyshev expansion of a
   band-pass filter on the normalised Laplacian of ``A~ = I + A`` (see
   :mod:`graphsparse.embed.spectral`), z-scored again when ``scale_output``. Not in the FastRP paper:
   an addition, chosen by evidence for ``FastRP()``'s defaults (docs/embed.md).

Direction: ``"out"`` aggregates over out-neighbours (row ``v`` of the CSR), ``"in"`` over
in-neighbours (the transpose), ``"both"`` over ``A + A^T`` (reciprocal edges summed, as a GDS
UNDIRECTED projection of a directed graph). Undirected graphs give the same result for all three.

Deliberate deviations (documented, tested):

* Randomness: entry ``(v, c)`` of ``R`` is a counter-based hash of ``(seed, node_ids[v], c)``, not
  sklearn's RandomState stream, so ``fit(..., node_ids=original_ids)`` on a relabelled/rebuilt graph
  gives every node the same random vector (GDS reseeds per node with ``seed ^ nodeId``). Pass
  ``projection_matrix=`` to ``fit`` to use any other ``R`` (the golden test passes the reference's).
* Zero degree: an isolated node gets ``deg^beta := 1`` (GDS convention) so its hop-0 vector is not
  zero; a node with zero degree that *receives* edges (a sink under ``direction="out"``) makes the
  reference produce ``inf``/``NaN`` when ``beta < 0``: the paper variant raises ``ValueError``, the
  GDS variant uses 1 as GDS does.
* Everything is float32 (``dtype=np.float64`` is available), with the normalisation and the weighted
  sum fused into each propagation step: the working set is ``3 n d`` values (``r``/previous, next,
  output) plus the graph, never an ``n x n`` matrix. ``column_block=b`` computes ``b`` columns at a
  time: ``n d`` (output) ``+ 2 n b`` values; as row norms need every column, it runs one extra
  norm pass (paper) or ``k`` extra passes (GDS), i.e. more time for less memory.
"""
from __future__ import annotations

import numbers
import time

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import NotFittedError

from graphsparse._validation import as_index_array, check_finite, check_node_ids, check_positive_int, to_numpy
from graphsparse.graph import Graph, as_graph
from graphsparse.embed import _kernels as _raw_kernels
from graphsparse.kernels.threads import serialized_namespace

# the prange kernels run one at a time under Numba's workqueue layer (thread-safe FastRP).
# ``step_kernels`` is the public handle on them: the sharded / distributed FastRP
# (graphsparse.sharded.fastrp) runs the same fused steps shard by shard.
step_kernels = serialized_namespace(_raw_kernels)
_kernels = step_kernels

__all__ = ["FastRP", "DEFAULTS", "PAPER_DEFAULTS", "GDS_DEFAULTS"]

PAPER_DEFAULTS = dict(iteration_weights=(0.0, 0.0, 1.0, 6.67), normalization_strength=-0.64,
                      self_influence=0.0, density="sqrt", normalize_each=True, scale_output=True,
                      propagate_normalized=False)
GDS_DEFAULTS = dict(iteration_weights=(0.0, 1.0, 1.0), normalization_strength=0.0, self_influence=0.0,
                    density=1.0 / 3.0, normalize_each=True, scale_output=False, propagate_normalized=True)

#: ``FastRP()``'s defaults (chosen by evidence: benchmarks/fastrp_vs_prone.py, docs/embed.md)
#: a flat 32-step scheme after 2 zero weights, GDS propagation (normalised vectors propagate), beta = 0,
#: on the paper's sparse R and z-scored output; best average rank of the configurations compared
DEFAULTS = dict(PAPER_DEFAULTS, iteration_weights=(0.0, 0.0) + (1.0,) * 32, normalization_strength=0.0,
                propagate_normalized=True, projection="sparse", spectral_propagation=None)

_FEATURE_STREAM = 1
_BASE_STREAM = 0


class _OverBudget(Exception):
    """Raised inside a fit whose propagation was given a deadline (``_deadline``, set only by
    :class:`FastRPTuner` on its first candidate) once the projected end passes it."""


def _tqdm(iterable, verbose: bool, desc: str, total=None):
    if not verbose:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False)


def _coerce_graph(X, name: str = "X") -> Graph:
    """``as_graph`` plus a dense square NumPy adjacency (what sklearn's pairwise checks feed)."""
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[0] == X.shape[1] and X.shape[0] != 2:
        if X.shape[0] == 0:
            raise ValueError(f"{name} is an empty adjacency matrix (0 nodes)")
        if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool) or np.iscomplexobj(X):
            raise TypeError(f"{name} must be a real numeric adjacency matrix, got dtype {X.dtype}")
        if not np.isfinite(X).all():
            raise ValueError(f"{name} (adjacency) must not contain NaN or inf")
        X = sp.csr_matrix(X)
    if isinstance(X, np.ndarray) and X.ndim != 2:
        raise ValueError(f"{name} must be a graph (square adjacency, (2, E) edge index, Graph, PyG Data, "
                         f"networkx graph), got a {X.ndim}-D array of shape {X.shape}")
    return as_graph(X, name=name)


class FastRP(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """FastRP node embeddings (paper and Neo4j GDS variants, optional ProNE spectral propagation).

    See the module docstring for the numbered algorithm. ``FastRP()``'s defaults are ``DEFAULTS``,
    chosen by average rank over the 9 labelled shared graphs (``benchmarks/fastrp_vs_prone.py``,
    table in docs/embed.md); ``FastRP.paper()`` and ``FastRP.gds()`` are the published configurations.

    Parameters
    ----------
    n_components : int, default=128
        Embedding dimension ``d``.
    iteration_weights : sequence of float, default=DEFAULTS["iteration_weights"]
        ``alpha_1..alpha_k`` (``k`` propagation steps). Paper: ``(0, 0, 1, 6.67)``; GDS ``(0, 1, 1)``.
    normalization_strength : float, default=DEFAULTS["normalization_strength"]
        ``beta``; ``r_v`` is scaled by ``deg_v^beta`` (paper -0.64, GDS 0).
    self_influence : float >= 0, default=0.0
        Weight of the hop-0 term ``rowL2(r_v)`` (GDS ``nodeSelfInfluence``); > 0 gives isolated nodes
        a non-zero embedding.
    density : "sqrt" or float in (0, 1], default="sqrt"
        Fraction of non-zeros of ``R`` (``"sqrt"``: ``1/sqrt(n)``, the paper; GDS: ``1/3``).
    projection : {"sparse", "gaussian"}, default="sparse"
        Law of the random matrix ``R``.
    normalize_each : bool, default=True
        L2-normalise each ``N_i`` before the weighted sum (True in the paper's configs and GDS).
    scale_output : bool, default=True
        z-score every output column (the reference's ``sklearn.preprocessing.scale``; GDS: False);
        with spectral propagation, the filtered embedding is z-scored again.
    propagate_normalized : bool, default=DEFAULTS["propagate_normalized"]
        Propagate the normalised vectors (GDS) instead of the raw ``N_{i-1}`` (paper).
    feature_ratio : float in [0, 1), default=0.0
        Share of the ``d`` columns built from node features (``fit(..., features=X)``).
    direction : {"out", "in", "both"}, default="out"
        Aggregate over out-neighbours, in-neighbours or ``A + A^T`` (self-loops counted once).
    column_block : int or None, default=None
        Compute this many columns at a time to bound memory (see the module docstring).
    keep_states : bool, default=False
        Keep the per-hop states (``k`` more ``n x d`` arrays) for exact :meth:`embed_new_nodes`.
    dtype : {np.float32, np.float64}, default=np.float32
        Working precision (the spectral step always runs in float32).
    random_state : None, int, or numpy Generator/RandomState, default=None
        Seed of the hashed random matrix; ``None`` draws one (stored in ``random_seed_``).
    verbose : bool, default=False
        tqdm progress over the propagation steps.
    spectral_propagation : None, bool, dict or SpectralPropagation, default=DEFAULTS["spectral_propagation"]
        Step 5 of the module docstring: ProNE's spectral propagation applied to the (z-scored)
        FastRP embedding. ``None``/``False``: off; ``True``: ProNE's defaults (order 10, mu 0.2,
        theta 0.5, SVD); a dict of :class:`~graphsparse.embed.SpectralPropagation` parameters; or an
        instance (cloned). :meth:`embed_new_nodes` is unavailable when it is on.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_nodes, n_components)
        The embedding (float32 by default).
    n_features_in_ : int
        Number of nodes of the fitted graph (the adjacency's column count).
    n_nodes_ : int
        Same as ``n_features_in_``.
    node_ids_ : ndarray of shape (n_nodes,)
        Row ``i`` of ``embedding_`` belongs to node ``node_ids_[i]``: the ``node_ids`` passed to ``fit``,
        else the graph's original node labels (``Graph.node_labels``, e.g. a networkx graph's nodes),
        else ``0..n-1``. The pandas output of ``set_output(transform="pandas")`` is indexed by it.
    random_seed_ : int
        Seed actually used.
    degree_ : ndarray of shape (n_nodes,)
        Weighted degree of the propagation graph.
    column_mean_, column_scale_ : ndarray of shape (n_components,)
        The z-scoring of the FastRP embedding (before any spectral step).
    spectral_propagation_ : SpectralPropagation or None
        The fitted spectral step.
    states_ : list of ndarray or None
        Per-hop states (``keep_states=True``).
    timings_ : dict
        ``total_s``, ``propagate_s``, ``spectral_s``.

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.datasets import sbm
    >>> from graphsparse.embed import FastRP
    >>> graph = sbm([50, 50], np.array([[0.2, 0.01], [0.01, 0.2]]), seed=0)
    >>> FastRP(n_components=16, random_state=0).fit_transform(graph).shape
    (100, 16)
    >>> paper = FastRP.paper(n_components=16, random_state=0).fit(graph)
    >>> paper.transform([0, 1]).shape
    (2, 16)
    >>> FastRP.gds(n_components=16, random_state=0, spectral_propagation=True).fit(graph).embedding_.dtype
    dtype('float32')
    """

    def __init__(self, n_components=128, iteration_weights=(0.0, 0.0) + (1.0,) * 32, normalization_strength=0.0,
                 self_influence=0.0, density="sqrt", projection="sparse", normalize_each=True,
                 scale_output=True, propagate_normalized=True, feature_ratio=0.0, direction="out",
                 column_block=None, keep_states=False, dtype=np.float32, random_state=None, verbose=False,
                 spectral_propagation=None):
        self.n_components = n_components
        self.iteration_weights = iteration_weights
        self.normalization_strength = normalization_strength
        self.self_influence = self_influence
        self.density = density
        self.projection = projection
        self.normalize_each = normalize_each
        self.scale_output = scale_output
        self.propagate_normalized = propagate_normalized
        self.feature_ratio = feature_ratio
        self.direction = direction
        self.column_block = column_block
        self.keep_states = keep_states
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose
        self.spectral_propagation = spectral_propagation

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = True  # X is a square (n_nodes x n_nodes) adjacency
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = True  # edge weights must be >= 0
        tags.non_deterministic = self.random_state is None
        return tags

    # ------------------------------------------------------------------ constructors
    @classmethod
    def paper(cls, **overrides) -> "FastRP":
        """The published BlogCatalog configuration (``[0,0,1,6.67]``, ``beta=-0.64``, z-scored); the
        golden tests against the authors' code pin it."""
        return cls(**{**PAPER_DEFAULTS, **overrides})

    @classmethod
    def gds(cls, **overrides) -> "FastRP":
        """Neo4j GDS semantics and defaults (``[0,1,1]``, ``beta=0``, ``s=3``, propagate normalised)."""
        return cls(**{**GDS_DEFAULTS, **overrides})

    # ------------------------------------------------------------------ validation
    def _validated_params(self) -> dict:
        d = check_positive_int(self.n_components, "n_components")
        weights = np.asarray(self.iteration_weights, dtype=np.float64).reshape(-1) \
            if self.iteration_weights is not None else np.zeros(0)
        if weights.size == 0:
            raise ValueError("iteration_weights must hold at least one weight (one per propagation step), got []")
        check_finite(weights, "iteration_weights")
        beta = self.normalization_strength
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not np.isfinite(beta):
            raise ValueError(f"normalization_strength must be a finite real number, got {beta!r}")
        influence = self.self_influence
        if isinstance(influence, bool) or not isinstance(influence, numbers.Real) or not np.isfinite(influence) \
                or influence < 0:
            raise ValueError(f"self_influence must be a finite number >= 0, got {influence!r}")
        if self.projection not in ("sparse", "gaussian"):
            raise ValueError(f"projection must be 'sparse' or 'gaussian', got {self.projection!r}")
        if self.direction not in ("out", "in", "both"):
            raise ValueError(f"direction must be 'out', 'in' or 'both', got {self.direction!r}")
        if not (isinstance(self.density, str) and self.density == "sqrt"):
            if isinstance(self.density, bool) or not isinstance(self.density, numbers.Real) \
                    or not (0.0 < float(self.density) <= 1.0):
                raise ValueError(f"density must be 'sqrt' or a float in (0, 1], got {self.density!r}")
        ratio = self.feature_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, numbers.Real) or not (0.0 <= ratio < 1.0):
            raise ValueError(f"feature_ratio must lie in [0, 1), got {ratio!r}")
        block = self.column_block
        if block is not None:
            block = check_positive_int(block, "column_block")
        dtype = np.dtype(self.dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype must be np.float32 or np.float64, got {dtype}")
        return dict(d=d, weights=weights, beta=float(beta), influence=float(influence), block=block, dtype=dtype,
                    spectral=_spectral_step(self.spectral_propagation))

    def _seed(self) -> int:
        rs = self.random_state
        if rs is None:
            return int(np.random.SeedSequence().entropy % (2**63))
        if isinstance(rs, (numbers.Integral, np.integer)) and not isinstance(rs, bool):
            return int(rs) % (2**64)
        if isinstance(rs, np.random.Generator):
            return int(rs.integers(0, 2**63))
        if isinstance(rs, np.random.RandomState):
            return int(rs.randint(0, 2**31 - 1))
        raise TypeError(f"random_state must be None, an int or a numpy Generator/RandomState, got {type(rs).__name__}")

    def _propagation_graph(self, graph: Graph) -> Graph:
        if not graph.directed or self.direction == "out":
            return graph
        if self.direction == "in":
            return graph.transpose()
        # explicit ones so that reciprocal edges add up (weight 2), as GDS's UNDIRECTED projection;
        # a self-loop is its own reverse: A + A^T would count it twice, so it keeps its weight.
        # Cached on the graph (as its transpose is): a tuner's candidates share one conversion.
        if "fastrp_both" not in graph._cache:
            both = graph.with_weights(graph.edge_weights()).symmetrize("sum")
            loops = both.sources() == both.indices
            if loops.any():
                weights = both.edge_weights().copy()
                weights[loops] *= 0.5
                both = both.with_weights(weights)
            graph._cache["fastrp_both"] = both
        return graph._cache["fastrp_both"]

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None, *, features=None, node_ids=None, projection_matrix=None, client=None):
        """Embed every node of graph ``X``; returns ``self`` (result in ``embedding_``).

        Parameters
        ----------
        X : anything :func:`graphsparse.as_graph` accepts, a dense square adjacency array, or a
            :class:`graphsparse.sharded.ShardedGraph` (on-disk shards: the run goes shard by shard,
            out of core, or on a Dask cluster with ``client``; see :func:`graphsparse.sharded.fit_fastrp`).
        client : ``distributed.Client``, optional -- only with a sharded ``X``: run the shards on it.
        y : ignored (present for the scikit-learn API).
        features : (n_nodes, f) array or SciPy sparse, optional -- node features (needs ``feature_ratio > 0``).
        node_ids : (n_nodes,) non-negative ints, optional -- stable external ids seeding each node's
            random vector (default: the row index). Same ids, same seed => same vectors after relabelling.
        projection_matrix : (n_nodes, n_components) array or sparse, optional -- use this ``R`` instead of
            the hashed one (it is still scaled by ``deg^beta``).
        """
        from graphsparse.sharded.format import ShardedGraph  # numpy + graph only

        if isinstance(X, ShardedGraph):
            from graphsparse.sharded.fastrp import fit_fastrp

            return fit_fastrp(self, X, client, features=features, node_ids=node_ids,
                              projection_matrix=projection_matrix)
        if client is not None:
            raise ValueError("client= needs a sharded graph (graphsparse.sharded.open_graph or "
                             "build_from_edgelist); an in-memory graph runs in this process")
        params = self._validated_params()
        t_start = time.perf_counter()
        graph = _coerce_graph(X)
        n = graph.num_nodes
        if n == 0:
            raise ValueError("X has no nodes; FastRP needs at least one node")
        d, dtype = params["d"], params["dtype"]
        prop = self._propagation_graph(graph)
        degree = prop.out_degree(weighted=True).astype(np.float64)
        if prop.weights is not None and np.any(prop.weights < 0):
            raise ValueError("Negative values in data: edge weights must be >= 0 for FastRP "
                             "(the degree normalisation needs them)")

        beta = params["beta"]
        isolated = degree <= 0
        if beta < 0 and not self.propagate_normalized and np.any(isolated):
            receivers = np.zeros(n, dtype=bool)
            receivers[prop.indices] = True
            bad = np.flatnonzero(isolated & receivers)
            if bad.size:
                raise ValueError(
                    f"normalization_strength={beta} < 0 needs a positive degree for every node that is "
                    f"aggregated from, but {bad.size} node(s) (e.g. {bad[:5].tolist()}) have zero "
                    f"{'out-' if self.direction != 'in' else 'in-'}degree and incoming edges under "
                    f"direction={self.direction!r}; the reference would produce inf/NaN. Use "
                    "direction='both', normalization_strength >= 0, or the GDS variant "
                    "(propagate_normalized=True, deg^beta := 1 for zero degree)")
        degree_factor = np.ones(n)
        degree_factor[~isolated] = degree[~isolated] ** beta
        row_scale = np.zeros(n, dtype=dtype)
        row_scale[~isolated] = 1.0 / degree[~isolated]

        if node_ids is None:
            keys = np.arange(n, dtype=np.uint64)
        else:
            ids = as_index_array(node_ids, "node_ids")
            if ids.shape != (n,):
                raise ValueError(f"node_ids must have one id per node, shape ({n},), got {ids.shape}")
            if ids.size and ids.min() < 0:
                raise ValueError(f"node_ids must be >= 0, got min {int(ids.min())}")
            if np.unique(ids).shape[0] != n:
                raise ValueError("node_ids must be distinct (one stable id per node); got duplicates, which would "
                                 "give different nodes the same random vector")
            keys = ids.astype(np.uint64)

        d_feat = int(np.floor(d * self.feature_ratio))
        feature_matrix = None
        if features is not None:
            if d_feat == 0:
                raise ValueError("features were given but feature_ratio * n_components < 1 column; "
                                 "set feature_ratio > 0 (e.g. 0.5) to use them")
            feature_matrix = self._check_features(features, n)
        elif d_feat > 0:
            raise ValueError(f"feature_ratio={self.feature_ratio} needs fit(..., features=...) "
                             f"with one row per node")
        d_base = d - d_feat
        if d_base == 0:
            raise ValueError("feature_ratio leaves no base (structural) column; lower it")
        if projection_matrix is not None:
            if d_feat:
                raise ValueError("projection_matrix cannot be combined with feature_ratio > 0")
            projection_matrix = self._check_projection(projection_matrix, n, d)

        seed = self._seed()
        density = 1.0 / np.sqrt(n) if isinstance(self.density, str) else float(self.density)
        density = min(1.0, density)
        gaussian = self.projection == "gaussian"
        feature_projection = None
        if feature_matrix is not None:
            f = feature_matrix.shape[1]
            feature_projection = np.empty((f, d_feat), dtype=np.float64)
            value = 1.0 / np.sqrt(d_feat) if gaussian else np.sqrt(1.0 / (density * d_feat))
            _kernels.fill_random_projection(np.arange(f, dtype=np.uint64), np.uint64(seed), _FEATURE_STREAM, 0,
                                            density, value, gaussian, np.zeros(0), feature_projection)
        base_value = 1.0 / np.sqrt(d_base) if gaussian else np.sqrt(1.0 / (density * d_base))
        hop0_factor = degree_factor

        def hop0(col_start: int, col_stop: int) -> np.ndarray:
            block = np.empty((n, col_stop - col_start), dtype=dtype)
            base_stop = min(col_stop, d_base)
            if col_start < base_stop:
                view = block[:, : base_stop - col_start]
                if projection_matrix is not None:
                    part = projection_matrix[:, col_start:base_stop]
                    part = part.toarray() if sp.issparse(part) else np.asarray(part)
                    np.multiply(part, hop0_factor[:, None], out=view, casting="unsafe")
                else:
                    random_part = view if view.flags.c_contiguous else np.empty(view.shape, dtype=dtype)
                    _kernels.fill_random_projection(keys, np.uint64(seed), _BASE_STREAM, col_start, density,
                                                    base_value, gaussian, hop0_factor, random_part)
                    if random_part is not view:
                        view[...] = random_part
            if col_stop > d_base:
                lo, hi = max(col_start, d_base) - d_base, col_stop - d_base
                feats = feature_matrix @ feature_projection[:, lo:hi]
                block[:, max(col_start, d_base) - col_start:] = np.asarray(feats)
            return block

        embedding = np.zeros((n, d), dtype=dtype)
        states = [np.empty((n, d), dtype=dtype) for _ in range(len(params["weights"]))] \
            if self.keep_states else None
        if states is not None and params["block"] is not None and params["block"] < d:
            raise ValueError("keep_states=True cannot be combined with column_block < n_components")
        self._propagate(prop, row_scale, hop0, d, params, embedding, states)
        t_prop = time.perf_counter()
        if self.scale_output:
            self.column_mean_, self.column_scale_ = _standardize(embedding)
        else:
            self.column_mean_ = np.zeros(d)
            self.column_scale_ = np.ones(d)
        spectral = params["spectral"]
        t_spectral = time.perf_counter()
        if spectral is not None:
            spectral = spectral.fit(prop)
            embedding = spectral.transform(embedding).astype(dtype, copy=False)
            if self.scale_output:
                _standardize(embedding)
        self.spectral_propagation_ = spectral

        self.embedding_ = embedding
        self.states_ = states
        self.n_features_in_ = n
        self.n_nodes_ = n
        self.random_seed_ = seed
        self.degree_ = degree
        labels = getattr(graph, "node_labels", None)
        if node_ids is None and labels is not None:
            self.node_ids_ = np.asarray(labels)
        else:
            self.node_ids_ = keys.astype(np.int64)
        self.density_ = density
        self.n_feature_columns_ = d_feat
        self._hop0_params = dict(density=density, base_value=base_value, gaussian=gaussian, d_base=d_base,
                                 feature_projection=feature_projection, beta=beta)
        t_end = time.perf_counter()
        self.timings_ = dict(total_s=t_end - t_start, propagate_s=t_prop - t_start,
                             spectral_s=t_end - t_spectral if spectral is not None else 0.0)
        return self

    @staticmethod
    def _check_features(features, n):
        if sp.issparse(features):
            matrix = sp.csr_matrix(features, dtype=np.float64)
            values = matrix.data
        else:
            matrix = to_numpy(features)
            if matrix.ndim == 1:
                matrix = matrix[:, None]
            if matrix.ndim != 2:
                raise ValueError(f"features must be 2-D (n_nodes, n_features), got shape {matrix.shape}")
            if not (np.issubdtype(matrix.dtype, np.number) or matrix.dtype == bool):
                raise TypeError(f"features must be numeric, got dtype {matrix.dtype}")
            matrix = matrix.astype(np.float64)
            values = matrix
        if matrix.shape[0] != n:
            raise ValueError(f"features has {matrix.shape[0]} rows but the graph has {n} nodes")
        check_finite(values, "features")
        return matrix

    @staticmethod
    def _check_projection(matrix, n, d):
        if not sp.issparse(matrix):
            matrix = np.asarray(matrix, dtype=np.float64)
        if matrix.shape != (n, d):
            raise ValueError(f"projection_matrix must have shape ({n}, {d}), got {matrix.shape}")
        check_finite(matrix.data if sp.issparse(matrix) else matrix, "projection_matrix")
        return sp.csc_matrix(matrix) if sp.issparse(matrix) else matrix

    def _propagate(self, prop: Graph, row_scale, hop0, d, params, embedding, states):
        """Steps 2-4 of the module doc over column blocks (one block of width ``d`` by default)."""
        weights = params["weights"]
        k = weights.shape[0]
        dtype = params["dtype"]
        block = params["block"] or d
        n = prop.num_nodes
        graph_weights = prop.weights.astype(dtype) if prop.weights is not None else np.zeros(0, dtype=dtype)
        indptr, indices = prop.indptr, prop.indices
        empty_f = np.zeros(0, dtype=dtype)
        empty_sq = np.zeros(0, dtype=np.float64)
        influence = params["influence"]
        normalize_acc = bool(self.normalize_each)
        store_normalized = bool(self.propagate_normalized)
        blocks = [(c0, min(d, c0 + block)) for c0 in range(0, d, block)]
        # FastRPTuner's continuation (private, one column block only): ``_resume`` holds the raw
        # accumulator and last state of a fit whose weights are a prefix of these (same seed and other
        # parameters, checked by the tuner); the steps it already ran are not run again
        resume = getattr(self, "_resume", None) if len(blocks) == 1 and states is None else None
        inv_norms = None  # list of k+1 arrays (hop 0..k) when computing in blocks
        if len(blocks) > 1 and (normalize_acc or store_normalized):
            inv_norms = self._block_norms(indptr, indices, graph_weights, row_scale, hop0, blocks, k,
                                          normalize_acc, store_normalized, influence, dtype, n)
        steps = [(b, i) for b in blocks for i in range(k)]
        progress = iter(_tqdm(range(len(steps)), self.verbose, "FastRP propagation", total=len(steps)))
        deadline = getattr(self, "_deadline", None)
        t_last, fastest, done = None, np.inf, 0
        for c0, c1 in blocks:
            first_step = 0
            if resume is not None:
                acc = embedding
                acc[...] = resume["accumulator"]
                src, first_step = resume["state"].copy(), resume["steps"]
                for _ in range(first_step):
                    next(progress, None)
            else:
                src = hop0(c0, c1)
                acc = embedding[:, c0:c1]
                if influence > 0:
                    known = inv_norms[0].astype(dtype) if inv_norms is not None else empty_f
                    _kernels.accumulate_rows(src, acc, dtype.type(influence), known, normalize_acc)
            dst = np.empty_like(src)
            if states is not None:
                states[0][:, c0:c1] = src
            for i in range(first_step, k):
                known = inv_norms[i + 1].astype(dtype) if inv_norms is not None else empty_f
                _kernels.propagate_rows(indptr, indices, graph_weights, row_scale, src, dst, acc,
                                        dtype.type(weights[i]), known, empty_sq, normalize_acc, store_normalized)
                if states is not None and i + 1 < k:
                    states[i + 1][:, c0:c1] = dst
                src, dst = dst, src
                next(progress, None)
                done += 1
                if deadline is not None and done < len(steps):
                    # projected end: the steps left at the fastest step time seen after the first one (the
                    # first also pays one-off costs -- the random projection, first-touch page faults --
                    # and the fastest, not the mean, so that one step slowed by the machine stops nothing)
                    now = time.perf_counter()
                    if t_last is not None:
                        fastest = min(fastest, now - t_last)
                        if now + (len(steps) - done) * fastest > deadline:
                            raise _OverBudget
                    t_last = now
        if getattr(self, "_keep_tail", False) and len(blocks) == 1:  # what a continuation needs
            self._tail = dict(accumulator=embedding.copy(), state=src, steps=k)

    def _block_norms(self, indptr, indices, graph_weights, row_scale, hop0, blocks, k, normalize_acc,
                     store_normalized, influence, dtype, n):
        """Full-row inverse norms of hop 0..k, accumulated over column blocks (extra passes)."""
        sq = [np.zeros(n) for _ in range(k + 1)]
        empty_acc = np.zeros((0, 1), dtype=dtype)
        empty_f = np.zeros(0, dtype=dtype)
        for c0, c1 in blocks:  # hop 0
            _kernels.row_sqnorms(hop0(c0, c1), sq[0])
        inv = [None] * (k + 1)
        inv[0] = _inv_sqrt(sq[0])
        passes = [list(range(1, k + 1))] if not store_normalized else [[p] for p in range(1, k + 1)]
        for hops in _tqdm(passes, self.verbose, "FastRP norm passes"):
            last = hops[-1]
            for c0, c1 in blocks:
                src = hop0(c0, c1)
                dst = np.empty_like(src)
                for i in range(1, last + 1):
                    known = inv[i].astype(dtype) if inv[i] is not None else empty_f
                    record = sq[i] if i in hops else np.zeros(0)
                    if i in hops:
                        known = empty_f  # normalisation of step i not needed for recording its norm
                    _kernels.propagate_rows(indptr, indices, graph_weights, row_scale, src, dst, empty_acc,
                                            dtype.type(0.0), known if store_normalized else empty_f, record,
                                            False, store_normalized and i not in hops)
                    src, dst = dst, src
            for i in hops:
                inv[i] = _inv_sqrt(sq[i])
        return inv

    # ------------------------------------------------------------------ outputs
    def _check_fitted(self):
        if not hasattr(self, "embedding_"):
            raise NotFittedError("This FastRP instance is not fitted yet. Call 'fit' with a graph first.")

    def fit_transform(self, X, y=None, **fit_params):
        """``fit(X, ...)`` and return ``embedding_`` (a DataFrame indexed by ``node_ids_`` after
        ``set_output(transform="pandas")``)."""
        self.fit(X, y, **fit_params)
        return self._wrap_output(self.embedding_, None)

    def transform(self, nodes=None):
        """Rows of ``embedding_`` for ``nodes`` (row indices of the fitted graph; ``None`` = all).

        Unknown ids raise ``ValueError``; embed nodes that were not in the graph with
        :meth:`embed_new_nodes`.
        """
        self._check_fitted()
        if nodes is None:
            return self._wrap_output(self.embedding_, None)
        if sp.issparse(nodes) or (isinstance(nodes, np.ndarray) and nodes.ndim == 2):
            raise ValueError("transform takes node ids (1-D); to embed a different graph call fit/fit_transform")
        ids = as_index_array(nodes, "nodes")
        if ids.ndim != 1:
            raise ValueError(f"nodes must be 1-D node ids, got shape {ids.shape}")
        check_node_ids(ids, self.n_nodes_, "nodes")
        return self._wrap_output(self.embedding_[ids], ids)

    @property
    def _n_features_out(self):
        return self.n_components

    def _wrap_output(self, values: np.ndarray, rows):
        """``values`` as the container chosen by ``set_output`` (pandas: indexed by ``node_ids_[rows]``)."""
        from sklearn.utils._set_output import ADAPTERS_MANAGER, _get_output_config

        kind = _get_output_config("transform", self)["dense"]
        if kind == "default":
            return values
        if kind == "pandas":
            import pandas as pd

            index = self.node_ids_ if rows is None else self.node_ids_[rows]
            values = pd.DataFrame(values, index=pd.Index(index, name="node"), copy=False)
        return ADAPTERS_MANAGER.adapters[kind].create_container(values, None, columns=self.get_feature_names_out)

    def embed_new_nodes(self, edge_index, edge_weight=None, *, num_new_nodes=None, node_ids=None, features=None,
                        method="auto"):
        """Embed nodes that were not in the fitted graph from their edges to fitted nodes (no refit).

        ``edge_index`` is ``(2, E)``: row 0 = new node (``0..m-1``), row 1 = a fitted node it aggregates
        from (under the fitted ``direction``); ``edge_weight`` optional.

        ``method="exact"`` (needs ``keep_states=True``): the new node's hop-``i`` vector is one
        propagation step over its neighbours' stored hop-``(i-1)`` states, with its own hashed
        ``r_v`` (seeded by ``node_ids`` when given, else ``n_nodes_ + j``) and degree = its weight sum.
        This is exactly what refitting on the augmented graph gives for the new node *if the fitted
        nodes do not aggregate from it* (their embeddings are kept fixed), edges between new nodes are
        ignored, and the column z-scoring of the fitted graph is reused.
        ``method="mean"`` (no states): ``z_v = scale(sum_u w_u raw_u / sum_u w_u)``, the weighted mean of
        the neighbours' unscaled embeddings -- one extra smoothing hop, an approximation.
        ``"auto"`` uses ``"exact"`` when states are kept. A new node without edges gets only its hop-0
        term (zero when ``self_influence == 0``).
        """
        self._check_fitted()
        if getattr(self, "spectral_propagation_", None) is not None:
            raise ValueError("embed_new_nodes is not available with spectral_propagation (the spectral filter "
                             "mixes every node's embedding with the whole graph): refit on the augmented graph")
        if method not in ("auto", "exact", "mean"):
            raise ValueError(f"method must be 'auto', 'exact' or 'mean', got {method!r}")
        if method == "auto":
            method = "exact" if self.states_ is not None else "mean"
        if method == "exact" and self.states_ is None:
            raise ValueError("method='exact' needs the per-hop states: fit with keep_states=True")
        edge_index = as_index_array(edge_index, "edge_index")
        if edge_index.ndim != 2 or edge_index.shape[0] != 2:
            raise ValueError(f"edge_index must have shape (2, E), got {edge_index.shape}")
        new, old = edge_index
        m = int(new.max()) + 1 if num_new_nodes is None and new.size else (num_new_nodes or 0)
        if m <= 0:
            raise ValueError("no new nodes: pass num_new_nodes or a non-empty edge_index")
        check_node_ids(new, m, "edge_index[0] (new nodes)")
        check_node_ids(old, self.n_nodes_, "edge_index[1] (fitted nodes)")
        if edge_weight is None:
            w = np.ones(new.shape[0])
        else:
            w = np.asarray(edge_weight, dtype=np.float64).reshape(-1)
            if w.shape != new.shape:
                raise ValueError(f"edge_weight must have {new.shape[0]} entries, got {w.shape}")
            check_finite(w, "edge_weight")
            if np.any(w < 0):
                raise ValueError("edge_weight must be >= 0")
        attach = sp.csr_matrix((w, (new, old)), shape=(m, self.n_nodes_))
        degree = np.asarray(attach.sum(axis=1)).ravel()
        inv_deg = np.where(degree > 0, 1.0 / np.where(degree > 0, degree, 1.0), 0.0)
        propagation = sp.diags(inv_deg) @ attach
        dtype = self.embedding_.dtype
        if method == "mean":
            raw = self.embedding_.astype(np.float64) * self.column_scale_ + self.column_mean_
            z = propagation @ raw
        else:
            z = self._exact_new(propagation, degree, m, node_ids, features)
        out = (z - self.column_mean_) / self.column_scale_
        return out.astype(dtype)

    def _exact_new(self, propagation, degree, m, node_ids, features):
        params = self._validated_params()
        hp = self._hop0_params
        d = params["d"]
        if node_ids is None:
            keys = (self.n_nodes_ + np.arange(m)).astype(np.uint64)
        else:
            keys = as_index_array(node_ids, "node_ids")
            if keys.shape != (m,):
                raise ValueError(f"node_ids must have shape ({m},), got {keys.shape}")
            keys = keys.astype(np.uint64)
        factor = np.ones(m)
        factor[degree > 0] = degree[degree > 0] ** hp["beta"]
        r = np.empty((m, d), dtype=np.float64)
        base = r[:, : hp["d_base"]].copy()
        _kernels.fill_random_projection(keys, np.uint64(self.random_seed_), _BASE_STREAM, 0, hp["density"],
                                        hp["base_value"], hp["gaussian"], factor, base)
        r[:, : hp["d_base"]] = base
        if self.n_feature_columns_:
            if features is None:
                raise ValueError("this model uses node features: pass features= for the new nodes")
            r[:, hp["d_base"]:] = np.asarray(self._check_features(features, m) @ hp["feature_projection"])
        z = np.zeros((m, d))
        if params["influence"] > 0:
            z += params["influence"] * (_rownorm(r) if self.normalize_each else r)
        for i, alpha in enumerate(params["weights"]):
            hop = np.asarray(propagation @ self.states_[i].astype(np.float64))
            normed = _rownorm(hop)
            z += alpha * (normed if self.normalize_each else hop)
        return z


# set_output support without sklearn's wrapper, whose signature (self, X, ...) would make the node ids of
# ``transform(nodes=None)`` mandatory: the methods wrap their own output (``_wrap_output``)
FastRP.transform = FastRP.transform.__wrapped__
FastRP.fit_transform = FastRP.fit_transform.__wrapped__


def _spectral_step(option):
    """An unfitted :class:`SpectralPropagation` for the ``spectral_propagation`` option, or None.

    Accepts None/False (off), True (ProNE's defaults: order 10, mu 0.2, theta 0.5, SVD), a dict of
    :class:`SpectralPropagation` parameters, or a :class:`SpectralPropagation` instance (cloned)."""
    from sklearn.base import clone

    from graphsparse.embed.spectral import SpectralPropagation

    if option is None or option is False:
        return None
    if option is True:
        step = SpectralPropagation()
    elif isinstance(option, dict):
        unknown = set(option) - set(SpectralPropagation().get_params())
        if unknown:
            raise ValueError(f"spectral_propagation: unknown SpectralPropagation parameter(s) {sorted(unknown)}; "
                             f"expected some of {sorted(SpectralPropagation().get_params())}")
        step = SpectralPropagation(**option)
    elif isinstance(option, SpectralPropagation):
        step = clone(option)
    else:
        raise TypeError("spectral_propagation must be None/False, True, a dict of SpectralPropagation parameters or "
                        f"a SpectralPropagation instance, got {type(option).__name__}")
    step._checked()
    return step


def _rownorm(values: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    return np.divide(values, norms, out=np.zeros_like(values), where=norms > 0)


def _inv_sqrt(sq: np.ndarray) -> np.ndarray:
    out = np.zeros_like(sq)
    nz = sq > 0
    out[nz] = 1.0 / np.sqrt(sq[nz])
    return out


def _standardize(embedding: np.ndarray):
    """Column z-score in place (``sklearn.preprocessing.scale``); returns (mean, scale)."""
    n = embedding.shape[0]
    sums, squares = _kernels.column_moments(embedding, max(1, min(64, n // 1024 + 1)))
    mean = sums / n
    var = np.maximum(squares / n - mean * mean, 0.0)
    std = np.sqrt(var)
    # sklearn's _handle_zeros_in_scale: constant columns are left unscaled
    scale = np.where(std < 10 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean)), 1.0, std)
    _kernels.standardize_columns(embedding, mean.astype(embedding.dtype), (1.0 / scale).astype(embedding.dtype))
    return mean, scale

