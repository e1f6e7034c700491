"""FastRPTuner's default search space (FastRP() defaults first, multi-step schemes, spectral
propagation), the rule that never reads a test label, and leak-free downstream evaluation."""
from __future__ import annotations

import numpy as np
import pytest

from graphsparse.embed import DEFAULTS, FastRP, FastRPTuner, embedding_cv_score
from graphsparse.embed.tuning import DEFAULT_SCHEMES, DEFAULT_SPECTRAL


def planted_partition(rng, n=160, blocks=4, p_in=0.12, p_out=0.015):
    from graphsparse.datasets import sbm

    probs = np.full((blocks, blocks), p_out) + np.eye(blocks) * (p_in - p_out)
    graph, y = sbm([n // blocks] * blocks, probs, seed=int(rng.integers(2**31)), return_labels=True)
    return graph, np.asarray(y, dtype=np.int64)


def test_default_space_covers_schemes_and_spectral_and_starts_with_defaults(rng):
    graph, y = planted_partition(rng)
    n_combos = len(DEFAULT_SCHEMES) * len(DEFAULT_SPECTRAL)
    tuner = FastRPTuner(n_components=8, n_trials=3 + n_combos, random_state=0).fit(graph, y)
    first = tuner.trials_[0]
    assert first["scheme"] == "default"
    for key in ("iteration_weights", "normalization_strength", "projection", "propagate_normalized",
                "spectral_propagation"):
        assert first[key] == DEFAULTS[key], key
    # the default candidate is exactly FastRP()'s embedding at the tuner's dimension
    default_model = tuner.best_estimator(8, **{k: first[k] for k in DEFAULTS if k in first})
    np.testing.assert_array_equal(default_model.fit_transform(graph),
                                  FastRP(n_components=8, random_state=0).fit_transform(graph))
    # the depth step: FastRP()'s defaults with 64 steps instead of 32, then the paper's configuration
    deeper = tuner.trials_[1]
    assert deeper["scheme"] == "flat64+2z" and deeper["iteration_weights"] == (0.0, 0.0) + (1.0,) * 64
    for key in ("normalization_strength", "projection", "propagate_normalized", "spectral_propagation"):
        assert deeper[key] == DEFAULTS[key], key
    assert tuner.trials_[2]["scheme"] == "paper"
    seen = {(t["scheme"], t["spectral_propagation"] is not None) for t in tuner.trials_[3:]}
    labels = {"paper"} | {f"flat{m}+2z" for _, m in DEFAULT_SCHEMES[1:]}
    assert seen == {(s, sp) for s in labels for sp in (False, True)}  # one full round-robin
    best = tuner.best_estimator(16)
    assert best.n_components == 16 and best.spectral_propagation == tuner.best_params_["spectral_propagation"]


def test_tuner_never_reads_test_labels(rng):
    """Labels outside train_idx (or unlabelled rows) can be anything: the choice does not move."""
    graph, y = planted_partition(rng)
    train = np.sort(rng.choice(y.size, 60, replace=False))
    scrambled = y.copy()
    test = np.setdiff1d(np.arange(y.size), train)
    scrambled[test] = rng.permutation(scrambled[test])[::-1] % 4
    assert (scrambled[test] != y[test]).any()
    kw = dict(n_components=8, n_trials=6, n_splits=2, train_fraction=0.5, random_state=3)
    a = FastRPTuner(**kw).fit(graph, y, train_idx=train)
    b = FastRPTuner(**kw).fit(graph, scrambled, train_idx=train)
    masked = np.full_like(y, -1)
    masked[train] = y[train]
    c = FastRPTuner(**kw).fit(graph, masked)
    for other in (b, c):
        assert [t["score"] for t in other.trials_] == [t["score"] for t in a.trials_]
        assert other.best_params_ == a.best_params_
    seen = []

    def spy(embedding, labels, tr, va):
        seen.append(np.asarray(labels)[test])
        return 0.0

    FastRPTuner(n_components=4, n_trials=1, scoring=spy, random_state=0).fit(graph, y, train_idx=train)
    assert (np.concatenate(seen) == -1).all()  # a custom scorer never sees a test label either
    with pytest.raises(ValueError, match="train_idx"):
        FastRPTuner(n_components=4, n_trials=1).fit(graph, y, train_idx=[y.size])


def test_multilabel_targets_with_spectral(rng):
    graph, y = planted_partition(rng)
    multi = np.zeros((y.size, 5), dtype=np.int8)
    multi[np.arange(y.size), y] = 1
    multi[np.arange(0, y.size, 3), 4] = 1  # a second label on every third node
    tuner = FastRPTuner(n_components=8, n_trials=4, weight_schemes=[("flat", 4)], spectral_options=[True],
                        scoring="micro", include_default=False, random_state=0).fit(graph, multi)
    assert all(t["spectral_propagation"] is True for t in tuner.trials_)
    assert 0.0 < tuner.best_score_ <= 1.0


@pytest.mark.parametrize("options,match", [([], "at least one"), ("on", "spectral_options"),
                                           ([{"order": 0}], "order"), ([3], "spectral_propagation must be")])
def test_bad_spectral_options(rng, options, match):
    graph, y = planted_partition(rng, n=40)
    with pytest.raises((ValueError, TypeError), match=match):
        FastRPTuner(n_components=4, n_trials=1, spectral_options=options).fit(graph, y)


def test_embedding_cv_score_is_leak_free(rng):
    graph, y = planted_partition(rng)
    scores = embedding_cv_score(graph, y, FastRP(n_components=16, random_state=0), cv=4)
    assert scores.shape == (4,) and scores.mean() > 0.8
    tuner = FastRPTuner(n_components=8, n_trials=2, random_state=0)
    tuned = embedding_cv_score(graph, y, tuner=tuner, cv=3, n_components=16)
    assert tuned.shape == (3,) and tuned.mean() > 0.7
    with pytest.raises(ValueError, match="one class id per node"):
        embedding_cv_score(graph, y[:-1])
