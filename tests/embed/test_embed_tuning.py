"""FastRPTuner: seeded, time-bounded, never worse than the base configuration on validation."""
from __future__ import annotations

import numpy as np
import pytest

from graphsparse.embed import FastRP, FastRPTuner
from graphsparse.graph import as_graph


def planted_partition(rng, n=200, blocks=4, p_in=0.12, p_out=0.01):
    y = np.repeat(np.arange(blocks), n // blocks)
    prob = np.where(y[:, None] == y[None, :], p_in, p_out)
    upper = np.triu(rng.random((n, n)) < prob, 1)
    src, dst = np.nonzero(upper)
    ring = np.arange(n)
    edge_index = np.concatenate([np.stack([src, dst]), np.stack([dst, src]),
                                 np.stack([ring, (ring + 1) % n]), np.stack([(ring + 1) % n, ring])], axis=1)
    return as_graph(edge_index, num_nodes=n, directed=False), y


def test_tuner_is_seeded_and_returns_best(rng):
    graph, y = planted_partition(rng)
    kw = dict(n_components=16, n_trials=5, random_state=3, train_fraction=0.3)
    a = FastRPTuner(**kw).fit(graph, y)
    b = FastRPTuner(**kw).fit(graph, y)
    assert [t["normalization_strength"] for t in a.trials_] == [t["normalization_strength"] for t in b.trials_]
    assert [t["score"] for t in a.trials_] == [t["score"] for t in b.trials_]
    assert len(a.trials_) == 5
    assert a.trials_[0]["normalization_strength"] == -0.64 and a.trials_[0]["last_weight"] == 6.67
    assert a.best_score_ == max(t["score"] for t in a.trials_) >= a.trials_[0]["score"]
    for t in a.trials_[1:]:
        assert -1.0 <= t["normalization_strength"] <= 0.0 and 1.0 <= t["last_weight"] <= 64.0
    model = a.best_estimator(n_components=32)
    assert isinstance(model, FastRP) and model.n_components == 32
    assert model.iteration_weights[:3] == (0.0, 0.0, 1.0)
    assert model.normalization_strength == a.best_params_["normalization_strength"]
    assert model.fit_transform(graph).shape == (200, 32)


def test_tuner_grid_custom_scorer_and_budget(rng):
    graph, y = planted_partition(rng, n=120)
    calls = []

    def scorer(embedding, labels, train_idx, val_idx):
        calls.append((embedding.shape, len(train_idx), len(val_idx)))
        return -float(np.abs(embedding).mean())

    tuner = FastRPTuner(n_components=8, n_trials=4, search="grid", grid_size=2, scorer=scorer,
                        train_fraction=0.5).fit(graph, y)
    assert len(tuner.trials_) == 4 and calls[0] == ((120, 8), 60, 60)
    betas = sorted({t["normalization_strength"] for t in tuner.trials_[1:]})
    assert betas == [-1.0, 0.0]
    slow = FastRPTuner(n_components=8, n_trials=50, time_budget_s=1e-9, scorer=scorer).fit(graph, y)
    assert len(slow.trials_) == 1  # the budget stops the search after the first (base) trial


def test_tuner_multilabel_y(rng):
    graph, y = planted_partition(rng, n=120)
    multi = np.zeros((120, 5))
    multi[np.arange(120), y] = 1
    multi[::7, 4] = 1
    tuner = FastRPTuner(n_components=8, n_trials=2, random_state=0).fit(graph, multi)
    assert 0.0 <= tuner.best_score_ <= 1.0


@pytest.mark.parametrize("params,match", [
    (dict(n_trials=0), "n_trials"), (dict(search="bayes"), "search"),
    (dict(beta_range=(0.0, -1.0)), "beta_range"), (dict(last_weight_range=(0.0, 2.0)), "last_weight_range"),
    (dict(train_fraction=1.0), "train_fraction"), (dict(time_budget_s=-1), "time_budget_s"),
])
def test_tuner_bad_input(rng, params, match):
    graph, y = planted_partition(rng, n=40)
    with pytest.raises(ValueError, match=match):
        FastRPTuner(n_components=4, **params).fit(graph, y)


def test_tuner_label_shape_and_unfitted(rng):
    graph, y = planted_partition(rng, n=40)
    with pytest.raises(ValueError, match="rows"):
        FastRPTuner(n_components=4).fit(graph, y[:-1])
    with pytest.raises(TypeError, match="scorer"):
        FastRPTuner(n_components=4, scorer=3).fit(graph, y)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        FastRPTuner().best_estimator()
