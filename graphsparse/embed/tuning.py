"""Seeded, time-bounded search of FastRP's ``beta`` and last iteration weight (the paper's protocol).

The paper (Chen et al., CIKM 2019, Sec. 5) tuned ``alpha_k`` (the weight of the last power, log-uniform
in [1, 64]) and ``beta = normalization_strength`` (uniform in [-1, 0]) at a small dimension (d = 64) on
a validation split, maximising macro-F1 at 10 % training, then embedded at d = 512 with the best
values. :class:`FastRPTuner` does that automatically:

1. a fixed validation split of the labelled nodes (``train_fraction`` for the classifier, the rest
   scored), drawn from ``random_state``;
2. ``n_trials`` candidates: ``search="random"`` draws ``(beta, alpha_k)`` from the ranges above
   (``rng = default_rng(random_state)``); ``search="grid"`` walks a ``grid_size x grid_size`` grid;
   the first candidate is always the base configuration (the published ``[0,0,1,6.67]``, ``-0.64``),
   so tuning never returns something worse on the validation split than the default;
3. each candidate: ``FastRP(n_components, random_state=random_state, **base_params, beta, weights)``
   embeds the graph, ``scorer(embedding, y, train_idx, val_idx)`` scores it (default: macro-F1 of a
   one-vs-rest ``LogisticRegression(C=0.1, liblinear)`` predicting the top-k labels, k = true count);
4. no new trial starts once ``time_budget_s`` has elapsed (at least one trial always runs).

``best_params_`` holds ``normalization_strength`` and ``iteration_weights`` to pass to ``FastRP``;
``best_estimator(n_components)`` returns the configured estimator (unfitted).
"""
from __future__ import annotations

import numbers
import time

import numpy as np
from sklearn.base import BaseEstimator

from graphsparse._validation import check_positive_int, to_numpy
from graphsparse.embed.fastrp import PAPER_DEFAULTS, FastRP, _coerce_graph

__all__ = ["FastRPTuner", "default_scorer"]


def _as_label_matrix(y) -> np.ndarray:
    import scipy.sparse as sp

    y = y.toarray() if sp.issparse(y) else to_numpy(y)
    if y.ndim == 1:
        if not np.issubdtype(y.dtype, np.integer):
            raise TypeError(f"y must hold integer class ids (1-D) or a multi-hot matrix (2-D), got dtype {y.dtype}")
        onehot = np.zeros((y.shape[0], int(y.max()) + 1), dtype=np.int8)
        labelled = y >= 0
        onehot[np.flatnonzero(labelled), y[labelled]] = 1
        return onehot
    if y.ndim != 2:
        raise ValueError(f"y must be 1-D class ids or a 2-D multi-hot matrix, got shape {y.shape}")
    return (y > 0).astype(np.int8)


def default_scorer(embedding, y, train_idx, val_idx, C: float = 0.1) -> float:
    """Macro-F1 of one-vs-rest liblinear LR (C=0.1) predicting each node's top-k labels."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.multiclass import OneVsRestClassifier
    import warnings

    labels = _as_label_matrix(y)
    train_labels = labels[train_idx]
    keep = train_labels.sum(axis=0) > 0  # a label absent from the training part cannot be learnt
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = OneVsRestClassifier(LogisticRegression(C=C, solver="liblinear"))
        clf.fit(embedding[train_idx], train_labels[:, keep])
        scores = np.full((len(val_idx), labels.shape[1]), -np.inf)
        scores[:, keep] = clf.predict_proba(embedding[val_idx])
    counts = labels[val_idx].sum(axis=1)
    order = np.argsort(-scores, axis=1)
    pred = np.zeros_like(scores, dtype=np.int8)
    for i, k in enumerate(counts):
        pred[i, order[i, :k]] = 1
    return float(f1_score(labels[val_idx], pred, average="macro", zero_division=0))


class FastRPTuner(BaseEstimator):
    """Random/grid search of ``normalization_strength`` and the last iteration weight (module doc).

    Parameters
    ----------
    n_components : int -- dimension used while tuning (the paper: 64).
    n_trials : int -- number of candidates (random search; grid: ``grid_size**2`` capped by it).
    time_budget_s : float or None -- no new trial after this many seconds.
    search : "random" or "grid"
    beta_range : (low, high) -- uniform range of ``normalization_strength``.
    last_weight_range : (low, high) -- log-uniform range of the last iteration weight (> 0).
    grid_size : int -- points per axis for ``search="grid"``.
    base_params : dict or None -- other FastRP parameters (default: the paper's; ``iteration_weights``
        gives the fixed leading weights; its last entry is what is tuned).
    train_fraction : float in (0, 1) -- share of labelled nodes the classifier is trained on.
    scorer : callable ``(embedding, y, train_idx, val_idx) -> float`` (higher is better) or None.
    random_state : int or None
    verbose : bool
    """

    def __init__(self, n_components=64, n_trials=20, time_budget_s=None, search="random", beta_range=(-1.0, 0.0),
                 last_weight_range=(1.0, 64.0), grid_size=5, base_params=None, train_fraction=0.1, scorer=None,
                 random_state=0, verbose=False):
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

    def _candidates(self, rng, base_weights, base_beta):
        low_b, high_b = (float(v) for v in self.beta_range)
        low_w, high_w = (float(v) for v in self.last_weight_range)
        if not (np.isfinite([low_b, high_b]).all() and low_b <= high_b):
            raise ValueError(f"beta_range must be finite (low, high) with low <= high, got {self.beta_range!r}")
        if not (0 < low_w <= high_w and np.isfinite(high_w)):
            raise ValueError(f"last_weight_range must satisfy 0 < low <= high, got {self.last_weight_range!r}")
        n_trials = check_positive_int(self.n_trials, "n_trials")
        yield base_beta, float(base_weights[-1])
        if self.search == "random":
            for _ in range(n_trials - 1):
                yield float(rng.uniform(low_b, high_b)), float(np.exp(rng.uniform(np.log(low_w), np.log(high_w))))
        elif self.search == "grid":
            size = check_positive_int(self.grid_size, "grid_size")
            grid = [(b, w) for b in np.linspace(low_b, high_b, size)
                    for w in np.geomspace(low_w, high_w, size)]
            for beta, weight in grid[: n_trials - 1]:
                yield float(beta), float(weight)
        else:
            raise ValueError(f"search must be 'random' or 'grid', got {self.search!r}")

    def fit(self, X, y, *, features=None):
        """Search on graph ``X`` with labels ``y`` ((n,) class ids, -1 = unlabelled, or (n, L) multi-hot)."""
        graph = _coerce_graph(X)
        labels = _as_label_matrix(y)
        if labels.shape[0] != graph.num_nodes:
            raise ValueError(f"y has {labels.shape[0]} rows but the graph has {graph.num_nodes} nodes")
        labelled = np.flatnonzero(labels.sum(axis=1) > 0)
        if labelled.size < 4:
            raise ValueError(f"y must label at least 4 nodes, got {labelled.size}")
        fraction = self.train_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not 0 < fraction < 1:
            raise ValueError(f"train_fraction must lie in (0, 1), got {fraction!r}")
        if self.time_budget_s is not None and not (isinstance(self.time_budget_s, numbers.Real)
                                                   and self.time_budget_s > 0):
            raise ValueError(f"time_budget_s must be None or > 0, got {self.time_budget_s!r}")
        scorer = default_scorer if self.scorer is None else self.scorer
        if not callable(scorer):
            raise TypeError(f"scorer must be callable (embedding, y, train_idx, val_idx) -> float, got {scorer!r}")
        rng = np.random.default_rng(self.random_state)
        perm = rng.permutation(labelled)
        n_train = min(max(1, int(round(fraction * perm.size))), perm.size - 1)
        train_idx, val_idx = np.sort(perm[:n_train]), np.sort(perm[n_train:])
        base = {**PAPER_DEFAULTS, **(self.base_params or {})}
        base_weights = tuple(float(w) for w in base["iteration_weights"])
        if len(base_weights) == 0:
            raise ValueError("base_params['iteration_weights'] must not be empty")
        base_beta = float(base["normalization_strength"])
        seed = int(rng.integers(0, 2**31 - 1)) if self.random_state is None else self.random_state
        start = time.perf_counter()
        trials = []
        candidates = list(self._candidates(rng, base_weights, base_beta))
        iterator = candidates
        if self.verbose:
            from tqdm.auto import tqdm

            iterator = tqdm(candidates, desc="FastRPTuner", leave=False)
        for beta, weight in iterator:
            if trials and self.time_budget_s is not None and time.perf_counter() - start > self.time_budget_s:
                break
            params = {**base, "normalization_strength": beta, "iteration_weights": base_weights[:-1] + (weight,)}
            t0 = time.perf_counter()
            model = FastRP(n_components=self.n_components, random_state=seed,
                           **{k: v for k, v in params.items() if k not in ("n_components", "random_state")})
            embedding = model.fit_transform(graph, features=features)
            score = float(scorer(embedding, y if self.scorer is not None else labels, train_idx, val_idx))
            trials.append(dict(normalization_strength=beta, last_weight=weight, score=score,
                               seconds=time.perf_counter() - t0))
        best = max(range(len(trials)), key=lambda i: trials[i]["score"])
        self.trials_ = trials
        self.best_score_ = trials[best]["score"]
        self.best_params_ = dict(normalization_strength=trials[best]["normalization_strength"],
                                 iteration_weights=base_weights[:-1] + (trials[best]["last_weight"],))
        self.base_params_ = {k: v for k, v in base.items() if k not in ("normalization_strength", "iteration_weights")}
        self.train_idx_, self.val_idx_ = train_idx, val_idx
        self.elapsed_s_ = time.perf_counter() - start
        return self

    def best_estimator(self, n_components=None, **overrides) -> FastRP:
        """An unfitted :class:`FastRP` with the base parameters and the best ``beta``/weights."""
        if not hasattr(self, "best_params_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("This FastRPTuner is not fitted yet. Call 'fit' first.")
        params = {**self.base_params_, **self.best_params_, **overrides}
        params["n_components"] = self.n_components if n_components is None else n_components
        params.setdefault("random_state", self.random_state)
        return FastRP(**params)
