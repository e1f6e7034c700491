"""Seeded, time-bounded search of FastRP's hyper-parameters on a validation split of the labelled nodes.

The paper (Chen et al., CIKM 2019, Sec. 5) tuned ``alpha_k`` (the weight of the last power, log-uniform
in [1, 64]) and ``beta = normalization_strength`` (uniform in [-1, 0]) at a small dimension (d = 64) on
a validation split, maximising macro-F1 at 10 % training, then embedded at d = 512 with the best
values. :class:`FastRPTuner` does that automatically, and optionally also searches the structure of
the propagation (how many steps and which weights, which random projection):

1. Validation protocol: only the nodes labelled in ``y`` are used (give the evaluation's test nodes
   the label -1 / an all-zero row, or pass ``fit(..., train_idx=train)``, and they are never seen). ``n_splits`` random splits of those
   nodes (``train_fraction`` for the classifier, the rest scored), drawn from ``random_state``; a
   candidate's score is the mean over the splits (``n_splits = 1``: the paper's single split).
2. Search space (every candidate is a point of it):

   a. ``normalization_strength`` ``beta ~ U(beta_range)`` (paper: [-1, 0]);
   b. ``weight_schemes`` -- the family of iteration weights ``alpha_1..alpha_k``:

      * ``"paper"`` (the default, alone): the leading weights of ``base_params['iteration_weights']``
        (published ``(0, 0, 1)``) and a last weight ``alpha_k ~ logU(last_weight_range)`` (paper:
        [1, 64]); propagation as in ``base_params`` (paper: the raw ``N_{i-1}`` propagates);
      * ``("flat", m)`` or ``("flat", m, z)``: ``z`` zeros then ``m`` ones, ``(0,)*z + (1,)*m``
        (``z`` defaults to 2), with the Neo4j GDS propagation ``e_i = rowL2(P e_{i-1})``
        (``propagate_normalized=True``: a deep walk over a row-stochastic ``P`` without it collapses
        to the stationary average). Nothing is tuned inside the family;
      * a ``dict`` of :class:`FastRP` parameters (must hold ``iteration_weights``; not
        ``normalization_strength`` / ``projection``, which are searched): fixed weights, e.g.
        ``{"iteration_weights": (0, 1, 1), "propagate_normalized": True}``;
   c. ``projections`` -- the random matrix ``R``: ``"sparse"`` (density ``1/sqrt(n)`` by default)
      and/or ``"gaussian"`` (``None``: the base projection only).
   d. ``spectral_options`` -- FastRP's ``spectral_propagation`` (default: off and ProNE's filter).

   Default space: ``FastRP()``'s defaults first (``include_default``), then ``"paper"`` and
   ``("flat", 8/16/32/64)`` x spectral propagation off/on (``DEFAULT_SCHEMES``, ``DEFAULT_SPECTRAL``).

   Depth step: with ``include_default``, the candidates right after the defaults are the flat schemes
   of the space that are *deeper* than the defaults' 32 steps (default space: 64 steps), with the
   defaults' other choices. Depth is the choice that moves accuracy most on graphs FastRP was not
   tuned for, and a short time budget may allow only 3-5 candidates on a large graph: on DBLP,
   flat 64 gives micro-F1 .592 against .569 for flat 32 at 10 % (ProNE .570), while on Cora,
   Cora-ML and squirrel it is .003-.006 below flat 32
   (``benchmarks/results/fastrp_vs_prone_select_flat64.json``), so it is a candidate, not the default.

   ``search="random"``: after the first candidate(s), the structural choices (scheme x projection x
   spectral option) are
   visited round-robin in a seeded random order -- every combination is tried equally often -- and
   ``beta`` (and ``alpha_k`` for ``"paper"``) are drawn at random (``rng = default_rng(random_state)``;
   with the default space the stream is exactly that of the paper-only tuner). ``search="grid"``:
   for each combination a ``grid_size x grid_size`` grid of ``(beta, alpha_k)`` (``"paper"``) or
   ``grid_size`` values of ``beta`` (other schemes), capped by ``n_trials``.
   When ``"paper"`` and the base projection are in the space, the first candidate is the base
   configuration (published ``[0,0,1,6.67]``, ``-0.64``), so tuning never returns something worse on
   the validation splits than the default.
3. Each candidate: ``FastRP(n_components, random_state=seed, **base_params, **candidate)`` embeds the
   graph (the same seed, i.e. the same random vectors, for every candidate), and it is scored on each
   split by ``scoring``: ``"macro"`` (default) or ``"micro"`` F1 of a one-vs-rest
   ``LogisticRegression(C=0.1, liblinear)`` predicting each node's top-k labels (k = its true count;
   k = 1, i.e. argmax, for single-label ``y``), or a callable ``(embedding, y, train_idx, val_idx) ->
   float`` (higher is better). The older ``scorer=`` argument, when given, takes precedence.
   A candidate that only adds propagation steps to the previous one (the depth step after the
   defaults: the same parameters, 64 steps instead of 32) resumes that candidate's propagation from
   its last state and accumulator instead of starting again: the same embedding, bit for bit, for the
   added steps only.
4. Budget: at most ``n_trials`` candidates; no new candidate starts once ``time_budget_s`` has elapsed
   (at least one always runs). With ``final_n_components`` as well, the final check (item 5) fits and
   scores the first candidate at the final dimension anyway, so a search that cannot even finish its
   first candidate within the budget is skipped: that candidate's propagation is stopped as soon as
   its projected end (the steps left at the fastest step time seen after the first step) passes the
   budget, it becomes the choice (``search_skipped_ = True``, ``trials_`` empty) and goes straight
   to the final check. A search is a comparison, and this is the regime where none could happen; it
   saves the tuning-size fit (on 8 of the 9 graphs of ``benchmarks/fastrp_vs_prone.py`` at 0.05 x
   ProNE's time, where one candidate was all the budget allowed, with the same choice).
5. Final-dimension check (``final_n_components``): the search runs at a small dimension, where the
   spectral step's benefit is not the one it has at the final dimension (on the shared graphs the
   validation objective at d = 32 prefers it on Cora, where it hurts at d = 128, and at d = 128 it
   picks it on BlogCatalog and rejects it on Cora, CiteSeer and polblogs). So the best candidate is
   fitted once more at ``final_n_components`` *without* spectral propagation, the spectral step
   (the best candidate's option, else the first one of the space; none when the space has no
   spectral option, e.g. ``spectral_options=[None]``) is applied
   to that same fit, both embeddings are scored on the same validation splits, and the better one
   is kept: ``best_params_["spectral_propagation"]`` records the decision and ``best_embedding_``
   holds the chosen embedding (one FastRP fit + one spectral step, no second fit).

``best_params_`` holds ``normalization_strength``, ``iteration_weights``, ``projection`` and
``propagate_normalized`` to pass to ``FastRP`` (on top of ``base_params_``);
``best_estimator(n_components)`` returns the configured estimator (unfitted).
"""
from __future__ import annotations

import itertools
import numbers
import time

import numpy as np
from sklearn.base import BaseEstimator

from graphsparse._validation import check_positive_int, to_numpy
from graphsparse.embed.fastrp import DEFAULTS, PAPER_DEFAULTS, FastRP, _coerce_graph, _OverBudget, _spectral_step

__all__ = ["FastRPTuner", "default_scorer"]

_STRUCTURAL = ("normalization_strength", "iteration_weights", "projection", "propagate_normalized",
               "spectral_propagation")
#: the default search space's iteration-weight schemes (the paper's + flat GDS-style 8/16/32/64 steps)
DEFAULT_SCHEMES = ("paper", ("flat", 8), ("flat", 16), ("flat", 32), ("flat", 64))
#: the default spectral-propagation options searched (off, ProNE's filter with its defaults)
DEFAULT_SPECTRAL = (None, True)


def _as_label_matrix(y) -> np.ndarray:
    import scipy.sparse as sp

    y = y.toarray() if sp.issparse(y) else to_numpy(y)
    if y.ndim == 1:
        if not np.issubdtype(y.dtype, np.integer):
            raise TypeError(f"y must hold integer class ids (1-D) or a multi-hot matrix (2-D), got dtype {y.dtype}")
        onehot = np.zeros((y.shape[0], max(int(y.max()), 0) + 1), dtype=np.int8)
        labelled = y >= 0
        onehot[np.flatnonzero(labelled), y[labelled]] = 1
        return onehot
    if y.ndim != 2:
        raise ValueError(f"y must be 1-D class ids or a 2-D multi-hot matrix, got shape {y.shape}")
    return (y > 0).astype(np.int8)


def default_scorer(embedding, y, train_idx, val_idx, C: float = 0.1, average: str = "macro") -> float:
    """``average``-F1 (macro or micro) of one-vs-rest liblinear LR (C=0.1) predicting each node's top-k labels."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.multiclass import OneVsRestClassifier
    import warnings

    labels = _as_label_matrix(y)
    train_labels = labels[train_idx]
    keep = train_labels.sum(axis=0) > 0  # a label absent from the training part cannot be learnt
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = np.full((len(val_idx), labels.shape[1]), -np.inf)
        if keep.sum() == 1:  # a single learnable label: every node gets it first
            scores[:, keep] = 1.0
        else:
            clf = OneVsRestClassifier(LogisticRegression(C=C, solver="liblinear"))
            clf.fit(embedding[train_idx], train_labels[:, keep])
            scores[:, keep] = clf.predict_proba(embedding[val_idx])
    counts = labels[val_idx].sum(axis=1)
    order = np.argsort(-scores, axis=1)
    pred = np.zeros_like(scores, dtype=np.int8)
    for i, k in enumerate(counts):
        pred[i, order[i, :k]] = 1
    return float(f1_score(labels[val_idx], pred, average=average, zero_division=0))


def _scheme_label(scheme) -> str:
    if isinstance(scheme, str):
        return scheme
    if isinstance(scheme, dict):
        return "custom"
    return f"flat{scheme[1]}+{scheme[2]}z"


class FastRPTuner(BaseEstimator):
    """Random/grid search of FastRP's configuration on a validation split of the labelled nodes.

    See the module docstring for the numbered protocol. The default search space starts with
    ``FastRP()``'s defaults and the same with 64 steps (the depth step), then visits the paper
    scheme and flat 8/16/32/64-step GDS-style schemes, each with and without ProNE spectral
    propagation, with random ``beta`` (and last weight).

    Rule on labels: only rows of ``y`` that are labelled (class id >= 0 / a non-zero multi-hot row),
    and, when ``fit(..., train_idx=...)`` is given, only those rows, are ever read. Inside an outer
    evaluation, pass the outer training nodes as ``train_idx`` (or unlabel the test nodes): a test
    label then cannot influence the choice (tested: changing test labels never changes it).

    Parameters
    ----------
    n_components : int, default=64
        Dimension used while tuning (the paper: 64).
    n_trials : int, default=20
        Number of candidates (grid: the grid, capped by it).
    time_budget_s : float or None, default=None
        No new candidate starts after this many seconds (at least one always runs; with
        ``final_n_components``, a first candidate projected to overrun the budget is stopped and the
        search skipped, module doc, 4).
    search : {"random", "grid"}, default="random"
    beta_range : tuple of float, default=(-1.0, 0.0)
        Uniform range of ``normalization_strength``.
    last_weight_range : tuple of float, default=(1.0, 64.0)
        Log-uniform range of the last iteration weight (> 0), ``"paper"`` scheme.
    grid_size : int, default=5
        Points per axis for ``search="grid"``.
    base_params : dict or None, default=None
        Other FastRP parameters (default: the paper's; ``iteration_weights`` gives the fixed leading
        weights of the ``"paper"`` scheme; its last entry is what is tuned).
    train_fraction : float in (0, 1), default=0.1
        Share of the labelled nodes the validation classifier is trained on.
    scorer : callable or None, default=None
        ``(embedding, y, train_idx, val_idx) -> float`` (higher is better); overrides ``scoring``.
    random_state : int or None, default=0
    verbose : bool, default=False
        tqdm progress over the candidates.
    weight_schemes : sequence or None, default=None
        Iteration-weight families (module doc, 2b): ``"paper"``, ``("flat", m)`` / ``("flat", m, z)``,
        or a dict of FastRP parameters. None: ``DEFAULT_SCHEMES`` = paper + flat 8/16/32/64.
    projections : sequence of {"sparse", "gaussian"} or None, default=None
        None: the base projection only.
    scoring : {"macro", "micro"} or callable, default="macro"
        Validation objective (module doc, 3); works for multi-label (multi-hot) ``y``.
    n_splits : int, default=1
        Random validation splits averaged per candidate.
    spectral_options : sequence or None, default=None
        Values of FastRP's ``spectral_propagation`` to search (None, True, dicts); None:
        ``DEFAULT_SPECTRAL = (None, True)``.
    include_default : bool, default=True
        Evaluate ``FastRP()``'s defaults first, so the choice is never worse than the defaults on
        the validation splits.
    final_n_components : int or None, default=None
        Dimension of the embedding you will use. When set, the spectral step is decided again at
        that dimension on the same validation splits, reusing one fit (module doc, 5), and the
        chosen embedding is kept in ``best_embedding_``.

    Attributes
    ----------
    best_params_ : dict
        Structural parameters of the best candidate (``normalization_strength``, ``iteration_weights``,
        ``projection``, ``propagate_normalized``, ``spectral_propagation``).
    best_score_ : float
        Validation score of the best candidate (at ``n_components``; when the search was skipped,
        the final check's score at ``final_n_components``).
    best_scheme_ : str
        ``"default"``, ``"paper"``, ``"flat<m>+<z>z"`` or ``"custom"``.
    base_params_ : dict
    trials_ : list of dict
        One per candidate: its parameters, ``scheme``, ``score``, ``split_scores``, ``seconds``
        (empty when the search was skipped).
    search_skipped_ : bool
        True when the first candidate alone would have overrun ``time_budget_s`` and, with
        ``final_n_components`` set, went straight to the final check (module doc, 4).
    train_idx_, val_idx_ : ndarray
        First validation split; ``splits_`` holds all of them.
    elapsed_s_ : float
    final_check_ : dict or None
        With ``final_n_components``: ``n_components``, ``score_without_spectral``,
        ``score_with_spectral``, ``spectral_option`` and ``kept_spectral``.
    best_embedding_ : ndarray of shape (n_nodes, final_n_components) or None
        With ``final_n_components``: the chosen embedding (seed ``random_state``).

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.datasets import sbm
    >>> from graphsparse.embed import FastRPTuner
    >>> graph, y = sbm([60, 60], np.array([[0.15, 0.01], [0.01, 0.15]]), seed=0, return_labels=True)
    >>> train = np.arange(0, 120, 2)                      # the only labels the tuner may read
    >>> tuner = FastRPTuner(n_components=16, n_trials=4, time_budget_s=30, random_state=0)
    >>> tuner = tuner.fit(graph, y, train_idx=train)
    >>> tuner.trials_[0]["scheme"]
    'default'
    >>> tuner.best_estimator(n_components=32).fit_transform(graph).shape
    (120, 32)
    """

    def __init__(self, n_components=64, n_trials=20, time_budget_s=None, search="random", beta_range=(-1.0, 0.0),
                 last_weight_range=(1.0, 64.0), grid_size=5, base_params=None, train_fraction=0.1, scorer=None,
                 random_state=0, verbose=False, weight_schemes=None, projections=None, scoring="macro", n_splits=1,
                 spectral_options=None, include_default=True, final_n_components=None):
        self.n_components = n_components
        self.n_trials = n_trials
        self.time_budget_s = time_budget_s
        self.search = search
        self.beta_range = beta_range
        self.last_weight_range = last_weight_range
        self.grid_size = grid_size
        self.base_params = base_params
        self.train_fraction = train_fraction
        self.scorer = scorer
        self.random_state = random_state
        self.verbose = verbose
        self.weight_schemes = weight_schemes
        self.projections = projections
        self.scoring = scoring
        self.n_splits = n_splits
        self.spectral_options = spectral_options
        self.include_default = include_default
        self.final_n_components = final_n_components

    # ------------------------------------------------------------------ validation
    def _checked_schemes(self) -> list:
        schemes = DEFAULT_SCHEMES if self.weight_schemes is None else self.weight_schemes
        if isinstance(schemes, (str, dict)) or not hasattr(schemes, "__iter__"):
            raise ValueError(f"weight_schemes must be a list of schemes ('paper', ('flat', m[, z]), dict), "
                             f"got {schemes!r}")
        out = []
        for scheme in schemes:
            if isinstance(scheme, str):
                if scheme != "paper":
                    raise ValueError(f"weight_schemes: unknown scheme {scheme!r} (use 'paper', ('flat', m[, z]) "
                                     "or a dict of FastRP parameters)")
                out.append("paper")
            elif isinstance(scheme, dict):
                if "iteration_weights" not in scheme:
                    raise ValueError(f"weight_schemes: a dict scheme needs 'iteration_weights', got {scheme!r}")
                bad = set(scheme) - set(FastRP().get_params()) | set(scheme) & {"n_components", "random_state",
                                                                                  "normalization_strength",
                                                                                  "projection"}
                if bad:
                    raise ValueError(f"weight_schemes: a dict scheme may not set {sorted(bad)}")
                weights = np.asarray(scheme["iteration_weights"], dtype=np.float64).reshape(-1)
                if weights.size == 0 or not np.isfinite(weights).all():
                    raise ValueError(f"weight_schemes: iteration_weights must be non-empty and finite, got {scheme!r}")
                out.append({**scheme, "iteration_weights": tuple(float(w) for w in weights)})
            elif isinstance(scheme, (tuple, list)) and len(scheme) in (2, 3) and scheme[0] == "flat":
                ints = [v for v in scheme[1:] if isinstance(v, numbers.Integral) and not isinstance(v, bool)]
                if len(ints) != len(scheme) - 1 or scheme[1] < 1 or (len(scheme) == 3 and scheme[2] < 0):
                    raise ValueError(f"weight_schemes: ('flat', m, z) needs integers m >= 1 and z >= 0, got {scheme!r}")
                out.append(("flat", int(scheme[1]), int(scheme[2]) if len(scheme) == 3 else 2))
            else:
                raise ValueError(f"weight_schemes: unknown scheme {scheme!r} (use 'paper', ('flat', m[, z]) "
                                 "or a dict of FastRP parameters)")
        if not out:
            raise ValueError("weight_schemes must hold at least one scheme, got an empty list")
        return out

    def _checked_projections(self, base_projection: str) -> list:
        if self.projections is None:
            return [base_projection]
        projections = [self.projections] if isinstance(self.projections, str) else list(self.projections)
        if not projections or any(p not in ("sparse", "gaussian") for p in projections):
            raise ValueError(f"projections must be a non-empty list of 'sparse'/'gaussian', got {self.projections!r}")
        return list(dict.fromkeys(projections))

    def _checked_spectral(self) -> list:
        options = DEFAULT_SPECTRAL if self.spectral_options is None else self.spectral_options
        if isinstance(options, (str, dict, bool)) or not hasattr(options, "__iter__"):
            raise ValueError("spectral_options must be a list of spectral_propagation values (None, True, a dict "
                             f"of SpectralPropagation parameters), got {options!r}")
        options = list(options)
        if not options:
            raise ValueError("spectral_options must hold at least one value (None = no spectral propagation)")
        for option in options:
            _spectral_step(option)  # raises on a bad value
        return options

    def _checked_scorer(self):
        if self.scorer is not None:
            if not callable(self.scorer):
                raise TypeError(f"scorer must be callable (embedding, y, train_idx, val_idx) -> float, "
                                f"got {self.scorer!r}")
            return self.scorer, True
        if callable(self.scoring):
            return self.scoring, True
        if isinstance(self.scoring, str) and self.scoring in ("macro", "micro"):
            average = self.scoring
            return (lambda emb, labels, tr, va: default_scorer(emb, labels, tr, va, average=average)), False
        raise ValueError(f"scoring must be 'macro', 'micro' or a callable (embedding, y, train_idx, val_idx) "
                         f"-> float, got {self.scoring!r}")

    # ------------------------------------------------------------------ search space
    def _scheme_params(self, scheme, base, base_weights, weight) -> dict:
        if scheme == "paper":
            return dict(iteration_weights=base_weights[:-1] + (float(weight),),
                        propagate_normalized=bool(base.get("propagate_normalized", False)))
        if isinstance(scheme, dict):
            return {"propagate_normalized": bool(base.get("propagate_normalized", False)), **scheme}
        _, ones, zeros = scheme
        return dict(iteration_weights=(0.0,) * zeros + (1.0,) * ones, propagate_normalized=True)

    def _candidates(self, rng, base, base_weights, base_beta, schemes, projections, spectral):
        """Yield ``(scheme, projection, beta, last_weight or None, spectral option)``."""
        low_b, high_b = (float(v) for v in self.beta_range)
        low_w, high_w = (float(v) for v in self.last_weight_range)
        if not (np.isfinite([low_b, high_b]).all() and low_b <= high_b):
            raise ValueError(f"beta_range must be finite (low, high) with low <= high, got {self.beta_range!r}")
        if not (0 < low_w <= high_w and np.isfinite(high_w)):
            raise ValueError(f"last_weight_range must satisfy 0 < low <= high, got {self.last_weight_range!r}")
        n_trials = check_positive_int(self.n_trials, "n_trials")
        if self.search not in ("random", "grid"):
            raise ValueError(f"search must be 'random' or 'grid', got {self.search!r}")
        combos = list(itertools.product(range(len(schemes)), projections, range(len(spectral))))
        base_projection = base.get("projection", "sparse")
        base_spectral = base.get("spectral_propagation", None)
        emitted = 0
        if self.include_default:
            yield "default", DEFAULTS["projection"], DEFAULTS["normalization_strength"], None, \
                DEFAULTS["spectral_propagation"]
            emitted = 1
            # the depth step (module doc, 2): flat schemes deeper than the defaults, defaults otherwise
            default_steps = sum(1 for w in DEFAULTS["iteration_weights"] if w != 0)
            deeper = sorted((sch for sch in schemes if isinstance(sch, tuple) and sch[1] > default_steps
                             and sch[2] == 2), key=lambda sch: sch[1])
            for scheme in deeper:
                if emitted >= n_trials:
                    break
                yield scheme, DEFAULTS["projection"], DEFAULTS["normalization_strength"], None, \
                    DEFAULTS["spectral_propagation"]
                emitted += 1
        if "paper" in schemes and base_projection in projections and emitted < n_trials:
            first = base_spectral if any(_same(base_spectral, o) for o in spectral) else spectral[0]
            yield "paper", base_projection, base_beta, float(base_weights[-1]), first
            emitted += 1
        if self.search == "random":
            order: list = []
            while emitted < n_trials:
                if not order:
                    order = [combos[i] for i in rng.permutation(len(combos))] if len(combos) > 1 else list(combos)
                beta = float(rng.uniform(low_b, high_b))
                weight = float(np.exp(rng.uniform(np.log(low_w), np.log(high_w))))
                index, projection, option = order.pop(0)
                scheme = schemes[index]
                yield scheme, projection, beta, (weight if scheme == "paper" else None), spectral[option]
                emitted += 1
        else:
            size = check_positive_int(self.grid_size, "grid_size")
            grid = []
            for index, projection, option in combos:
                scheme = schemes[index]
                weights = np.geomspace(low_w, high_w, size) if scheme == "paper" else [None]
                grid += [(scheme, projection, float(b), None if w is None else float(w), spectral[option])
                         for b in np.linspace(low_b, high_b, size) for w in weights]
            yield from grid[: n_trials - emitted]

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, *, features=None, train_idx=None):
        """Search on graph ``X`` with labels ``y`` ((n,) class ids, -1 = unlabelled, or (n, L) multi-hot,
        all-zero row = unlabelled). Unlabelled nodes are embedded but their labels are never used.

        ``train_idx`` (optional): the only nodes whose labels may be read (e.g. the training nodes of
        an outer evaluation); every other row of ``y`` is treated as unlabelled, whatever it holds.
        """
        graph = _coerce_graph(X)
        labels = _as_label_matrix(y)
        if labels.shape[0] != graph.num_nodes:
            raise ValueError(f"y has {labels.shape[0]} rows but the graph has {graph.num_nodes} nodes")
        if train_idx is not None:
            from graphsparse._validation import as_index_array, check_node_ids

            keep = check_node_ids(as_index_array(train_idx, "train_idx"), graph.num_nodes, "train_idx")
            visible = np.zeros_like(labels)
            visible[keep] = labels[keep]
            labels = visible
            y = _masked_like(y, keep)  # what a custom scorer sees
        labelled = np.flatnonzero(labels.sum(axis=1) > 0)
        if labelled.size < 4:
            raise ValueError(f"y must label at least 4 nodes, got {labelled.size}")
        fraction = self.train_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not 0 < fraction < 1:
            raise ValueError(f"train_fraction must lie in (0, 1), got {fraction!r}")
        if self.time_budget_s is not None and not (isinstance(self.time_budget_s, numbers.Real)
                                                   and not isinstance(self.time_budget_s, bool)
                                                   and self.time_budget_s > 0):
            raise ValueError(f"time_budget_s must be None or > 0, got {self.time_budget_s!r}")
        n_splits = check_positive_int(self.n_splits, "n_splits")
        scorer, custom = self._checked_scorer()
        schemes = self._checked_schemes()
        base = {**PAPER_DEFAULTS, **(self.base_params or {})}
        base_weights = tuple(float(w) for w in base["iteration_weights"])
        if len(base_weights) == 0:
            raise ValueError("base_params['iteration_weights'] must not be empty")
        base_beta = float(base["normalization_strength"])
        projections = self._checked_projections(base.get("projection", "sparse"))
        spectral = self._checked_spectral()
        final_d = None
        if self.final_n_components is not None:
            final_d = check_positive_int(self.final_n_components, "final_n_components")

        rng = np.random.default_rng(self.random_state)
        n_train = min(max(1, int(round(fraction * labelled.size))), labelled.size - 1)
        splits = []
        perm = rng.permutation(labelled)
        splits.append((np.sort(perm[:n_train]), np.sort(perm[n_train:])))
        if n_splits > 1:  # a spawned stream: the candidates do not depend on n_splits
            split_rng = rng.spawn(1)[0]
            for _ in range(n_splits - 1):
                perm = split_rng.permutation(labelled)
                splits.append((np.sort(perm[:n_train]), np.sort(perm[n_train:])))
        seed = int(rng.integers(0, 2**31 - 1)) if self.random_state is None else self.random_state
        candidates = list(self._candidates(rng, base, base_weights, base_beta, schemes, projections, spectral))
        fixed = {k: v for k, v in base.items() if k not in _STRUCTURAL + ("n_components", "random_state")}
        start = time.perf_counter()
        # with a final dimension, the final check scores the first candidate anyway: when that
        # candidate alone would overrun the budget, the search stops early (module doc, 4)
        deadline = start + self.time_budget_s if self.time_budget_s is not None and final_d is not None else None
        trials = []
        skipped = None
        previous = None  # (FastRP parameters, raw accumulator and last state) of the last candidate
        iterator = candidates
        if self.verbose:
            from tqdm.auto import tqdm

            iterator = tqdm(candidates, desc="FastRPTuner", leave=False)
        for scheme, projection, beta, weight, option in iterator:
            if trials and self.time_budget_s is not None and time.perf_counter() - start > self.time_budget_s:
                break
            if scheme == "default":
                params = {k: DEFAULTS[k] for k in _STRUCTURAL}
            else:
                params = dict(normalization_strength=beta, projection=projection, spectral_propagation=option,
                              **self._scheme_params(scheme, base, base_weights, weight))
            t0 = time.perf_counter()
            kwargs = {**fixed, **params}
            model = FastRP(n_components=self.n_components, random_state=seed, **kwargs)
            if not trials and deadline is not None:
                model._deadline = deadline
            model._keep_tail = True
            if previous is not None and _continues(previous[0], kwargs):
                model._resume = previous[1]  # e.g. the depth step: the defaults' 34 steps are not run again
            try:
                embedding = model.fit_transform(graph, features=features)
            except _OverBudget:
                skipped = dict(params, scheme=_scheme_label(scheme),
                               last_weight=float(params["iteration_weights"][-1]))
                break
            previous = (kwargs, model._tail) if hasattr(model, "_tail") else None
            split_scores = [float(scorer(embedding, y if custom else labels, tr, va)) for tr, va in splits]
            trials.append(dict(params, scheme=_scheme_label(scheme), last_weight=float(params["iteration_weights"][-1]),
                               score=float(np.mean(split_scores)), split_scores=split_scores,
                               seconds=time.perf_counter() - t0))
            if self.verbose:
                iterator.set_postfix(best=max(t["score"] for t in trials), refresh=False)
        if self.verbose:
            iterator.close()
        chosen = skipped if skipped is not None else trials[max(range(len(trials)), key=lambda i: trials[i]["score"])]
        self.trials_ = trials
        self.search_skipped_ = skipped is not None
        self.best_score_ = None if skipped is not None else chosen["score"]
        self.best_params_ = {k: v for k, v in chosen.items() if k in _STRUCTURAL or k in _extra_keys(schemes)}
        self.best_scheme_ = chosen["scheme"]
        self.base_params_ = {k: v for k, v in base.items()
                             if k not in _STRUCTURAL and k not in self.best_params_}
        self.splits_ = splits
        self.train_idx_, self.val_idx_ = splits[0]
        self.final_check_ = None
        self.best_embedding_ = None
        if final_d is not None:
            self._final_check(graph, features, final_d, seed, fixed, self.best_params_, spectral,
                              lambda emb: float(np.mean([scorer(emb, y if custom else labels, tr, va)
                                                         for tr, va in splits])))
            if skipped is not None:  # scored at the final dimension only
                self.best_score_ = max(s for s in (self.final_check_["score_without_spectral"],
                                                   self.final_check_["score_with_spectral"]) if s is not None)
        self.elapsed_s_ = time.perf_counter() - start
        return self

    def _final_check(self, graph, features, final_d, seed, fixed, best_params, spectral, score):
        """Module doc, 5: spectral step on or off at the final dimension, on one FastRP fit."""
        from graphsparse.embed.fastrp import _standardize

        params = dict(best_params)
        option = params.get("spectral_propagation")
        if option is None or option is False:
            # the space's first spectral option; a space without one (spectral_options=[None]) is a
            # request for no spectral step, so none is tried here either
            option = next((o for o in spectral if o is not None and o is not False), None)
        model = FastRP(n_components=final_d, random_state=seed, **{**fixed, **params, "spectral_propagation": None})
        plain = model.fit_transform(graph, features=features)
        if option is None:
            self.best_params_["spectral_propagation"] = None
            self.best_embedding_ = plain
            self.final_check_ = dict(n_components=final_d, score_without_spectral=score(plain),
                                     score_with_spectral=None, spectral_option=None, kept_spectral=False)
            return
        step = _spectral_step(option).fit(model._propagation_graph(graph))
        filtered = step.transform(plain).astype(plain.dtype, copy=False)
        if model.scale_output:
            _standardize(filtered)
        score_plain, score_filtered = score(plain), score(filtered)
        keep = score_filtered > score_plain
        self.best_params_["spectral_propagation"] = option if keep else None
        self.best_embedding_ = filtered if keep else plain
        self.final_check_ = dict(n_components=final_d, score_without_spectral=score_plain,
                                 score_with_spectral=score_filtered, spectral_option=option, kept_spectral=bool(keep))

    def best_estimator(self, n_components=None, **overrides) -> FastRP:
        """An unfitted :class:`FastRP` with the base parameters and the best candidate's."""
        if not hasattr(self, "best_params_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("This FastRPTuner is not fitted yet. Call 'fit' first.")
        params = {**self.base_params_, **self.best_params_, **overrides}
        params["n_components"] = self.n_components if n_components is None else n_components
        params.setdefault("random_state", self.random_state)
        return FastRP(**params)


def _continues(before: dict, after: dict) -> bool:
    """Whether candidate ``after`` is candidate ``before`` run for more steps: the same FastRP parameters
    except ``iteration_weights``, which extend ``before``'s (the spectral step, applied after the
    propagation, may differ). Its propagation then resumes where ``before``'s stopped (module doc, 3)."""
    if set(before) != set(after):
        return False
    if any(not _same(before[key], after[key]) for key in before
           if key not in ("iteration_weights", "spectral_propagation")):
        return False
    old, new = tuple(float(w) for w in before["iteration_weights"]), tuple(float(w) for w in after["iteration_weights"])
    return len(new) > len(old) and new[:len(old)] == old


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:  # pragma: no cover - exotic objects
        return a is b


def _masked_like(y, keep):
    """``y`` with every row outside ``keep`` unlabelled (-1 for class ids, zeros for multi-hot)."""
    import scipy.sparse as sp

    y = y.toarray() if sp.issparse(y) else to_numpy(y)
    out = np.full_like(y, -1) if y.ndim == 1 else np.zeros_like(y)
    out[keep] = y[keep]
    return out


def _extra_keys(schemes) -> set:
    """FastRP parameters set by dict schemes (besides the structural ones)."""
    return {k for s in schemes if isinstance(s, dict) for k in s}
