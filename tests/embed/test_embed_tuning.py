"""FastRPTuner: seeded, time-bounded, never worse than the base configuration on validation."""
from __future__ import annotations

import numpy as np
import pytest

from graphsparse.embed import FastRP, FastRPTuner
from graphsparse.graph import Graph, as_graph


def PaperTuner(**kw):
    """The pre-#16 search space (paper scheme only, no spectral propagation, no FastRP() default
    candidate first): these tests pin its candidate stream; the new default space is tested in
    test_embed_tuning_space.py."""
    return FastRPTuner(**{"weight_schemes": ["paper"], "spectral_options": [None], "include_default": False, **kw})


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
    a = PaperTuner(**kw).fit(graph, y)
    b = PaperTuner(**kw).fit(graph, y)
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

    tuner = PaperTuner(n_components=8, n_trials=4, search="grid", grid_size=2, scorer=scorer,
                        train_fraction=0.5).fit(graph, y)
    assert len(tuner.trials_) == 4 and calls[0] == ((120, 8), 60, 60)
    betas = sorted({t["normalization_strength"] for t in tuner.trials_[1:]})
    assert betas == [-1.0, 0.0]
    slow = PaperTuner(n_components=8, n_trials=50, time_budget_s=1e-9, scorer=scorer).fit(graph, y)
    assert len(slow.trials_) == 1  # the budget stops the search after the first (base) trial


def test_tuner_multilabel_y(rng):
    graph, y = planted_partition(rng, n=120)
    multi = np.zeros((120, 5))
    multi[np.arange(120), y] = 1
    multi[::7, 4] = 1
    tuner = PaperTuner(n_components=8, n_trials=2, random_state=0).fit(graph, multi)
    assert 0.0 <= tuner.best_score_ <= 1.0


@pytest.mark.parametrize("params,match", [
    (dict(n_trials=0), "n_trials"), (dict(search="bayes"), "search"),
    (dict(beta_range=(0.0, -1.0)), "beta_range"), (dict(last_weight_range=(0.0, 2.0)), "last_weight_range"),
    (dict(train_fraction=1.0), "train_fraction"), (dict(time_budget_s=-1), "time_budget_s"),
])
def test_tuner_bad_input(rng, params, match):
    graph, y = planted_partition(rng, n=40)
    with pytest.raises(ValueError, match=match):
        PaperTuner(n_components=4, **params).fit(graph, y)


def test_tuner_label_shape_and_unfitted(rng):
    graph, y = planted_partition(rng, n=40)
    with pytest.raises(ValueError, match="rows"):
        PaperTuner(n_components=4).fit(graph, y[:-1])
    with pytest.raises(TypeError, match="scorer"):
        PaperTuner(n_components=4, scorer=3).fit(graph, y)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        PaperTuner().best_estimator()


# ---------------------------------------------------------------- structural search (weight schemes, projections)
SCHEMES = ["paper", ("flat", 4), ("flat", 6, 1)]
FLAT4 = (0.0, 0.0, 1.0, 1.0, 1.0, 1.0)
FLAT6 = (0.0,) + (1.0,) * 6


def test_tuner_search_space_is_honoured_and_seeded(rng):
    graph, y = planted_partition(rng, n=120)
    kw = dict(n_components=8, n_trials=13, weight_schemes=SCHEMES, projections=["sparse", "gaussian"],
              train_fraction=0.5, random_state=5)
    a = PaperTuner(**kw).fit(graph, y)
    b = PaperTuner(**kw).fit(graph, y)
    c = PaperTuner(**{**kw, "random_state": 6}).fit(graph, y)
    key = lambda t: (t["scheme"], t["projection"], t["normalization_strength"], t["iteration_weights"], t["score"])
    assert [key(t) for t in a.trials_] == [key(t) for t in b.trials_]
    assert [key(t) for t in a.trials_] != [key(t) for t in c.trials_]
    assert len(a.trials_) == 13
    first = a.trials_[0]  # the published configuration comes first
    assert (first["scheme"], first["projection"], first["iteration_weights"]) == ("paper", "sparse", (0, 0, 1, 6.67))
    # the 12 others visit the 3 x 2 structural combinations round-robin: each exactly twice
    combos = [(t["scheme"], t["projection"]) for t in a.trials_[1:]]
    assert sorted(set(combos)) == sorted((s, p) for s in ("paper", "flat4+2z", "flat6+1z")
                                         for p in ("sparse", "gaussian"))
    assert all(combos.count(combo) == 2 for combo in set(combos))
    assert len(set(combos[:6])) == 6  # a full cycle before any repetition
    for t in a.trials_[1:]:
        assert -1.0 <= t["normalization_strength"] <= 0.0
        if t["scheme"] == "paper":
            assert t["iteration_weights"][:3] == (0.0, 0.0, 1.0) and 1.0 <= t["last_weight"] <= 64.0
            assert t["propagate_normalized"] is False
        else:
            assert t["iteration_weights"] == (FLAT4 if t["scheme"] == "flat4+2z" else FLAT6)
            assert t["propagate_normalized"] is True and t["last_weight"] == 1.0
    # best_params_ reproduce the best trial exactly (same seed => same embedding => same score)
    best = max(a.trials_, key=lambda t: t["score"])
    assert a.best_score_ == best["score"]
    assert {k: a.best_params_[k] for k in ("projection", "iteration_weights", "propagate_normalized")} == \
        {k: best[k] for k in ("projection", "iteration_weights", "propagate_normalized")}
    model = a.best_estimator()
    assert model.projection == best["projection"] and model.scale_output is True  # base (paper) params kept
    from graphsparse.embed.tuning import default_scorer

    emb = model.fit_transform(graph)
    again = np.mean([default_scorer(emb, y, tr, va) for tr, va in a.splits_])
    assert again == pytest.approx(a.best_score_, abs=1e-12)


def test_tuner_default_space_matches_paper_only_stream(rng):
    """Without structural options the candidates are exactly those of the paper-only tuner."""
    graph, y = planted_partition(rng, n=80)
    a = PaperTuner(n_components=4, n_trials=6, random_state=2).fit(graph, y)
    b = PaperTuner(n_components=4, n_trials=6, random_state=2, weight_schemes=["paper"],
                    projections=["sparse"]).fit(graph, y)
    gen = np.random.default_rng(2)
    gen.permutation(80)  # the validation split is drawn first
    expected = [(-0.64, 6.67)] + [(gen.uniform(-1, 0), float(np.exp(gen.uniform(0, np.log(64))))) for _ in range(5)]
    for trials in (a.trials_, b.trials_):
        got = [(t["normalization_strength"], t["last_weight"]) for t in trials]
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        assert {t["scheme"] for t in trials} == {"paper"} and {t["projection"] for t in trials} == {"sparse"}


def test_tuner_without_paper_scheme_and_dict_scheme(rng):
    graph, y = planted_partition(rng, n=80)
    custom = {"iteration_weights": (0.0, 1.0, 1.0), "propagate_normalized": True, "scale_output": False}
    tuner = PaperTuner(n_components=4, n_trials=4, weight_schemes=[custom, ("flat", 3, 0)],
                        random_state=0).fit(graph, y)
    # no "paper" scheme: no base trial, every candidate comes from the given schemes
    assert {t["scheme"] for t in tuner.trials_} == {"custom", "flat3+0z"}
    assert all(t["normalization_strength"] != -0.64 for t in tuner.trials_)
    for t in tuner.trials_:
        if t["scheme"] == "custom":
            assert t["iteration_weights"] == (0.0, 1.0, 1.0) and t["scale_output"] is False
        else:
            assert t["iteration_weights"] == (1.0, 1.0, 1.0) and "scale_output" not in t
    model = tuner.best_estimator()
    assert model.scale_output is (tuner.best_scheme_ != "custom")


def test_tuner_grid_over_schemes(rng):
    graph, y = planted_partition(rng, n=80)
    tuner = PaperTuner(n_components=4, n_trials=100, search="grid", grid_size=2, weight_schemes=["paper", ("flat", 3)],
                        random_state=0).fit(graph, y)
    # base + 2 x 2 (beta, last weight) for "paper" + 2 betas for the flat scheme
    assert len(tuner.trials_) == 7
    flat = [t for t in tuner.trials_ if t["scheme"] == "flat3+2z"]
    assert sorted(t["normalization_strength"] for t in flat) == [-1.0, 0.0]
    capped = PaperTuner(n_components=4, n_trials=3, search="grid", grid_size=2, weight_schemes=["paper", ("flat", 3)],
                         random_state=0).fit(graph, y)
    assert len(capped.trials_) == 3


def test_tuner_splits_scoring_and_unlabelled_nodes_never_used(rng):
    graph, y = planted_partition(rng, n=160)
    masked = y.copy()
    hidden = rng.permutation(160)[:100]  # "test" nodes: unlabelled for the tuner
    masked[hidden] = -1
    seen = set()

    def scorer(embedding, labels, train_idx, val_idx):
        seen.update(train_idx.tolist())
        seen.update(val_idx.tolist())
        assert not set(train_idx) & set(val_idx)
        return float(len(train_idx))

    tuner = PaperTuner(n_components=4, n_trials=3, n_splits=3, scoring=scorer, train_fraction=0.5,
                        random_state=1).fit(graph, masked)
    assert seen == set(np.flatnonzero(masked >= 0).tolist())
    assert len(tuner.splits_) == 3 and all(len(t["split_scores"]) == 3 for t in tuner.trials_)
    assert len({tuple(tr) for tr, _ in tuner.splits_}) == 3  # different splits
    # the first split is the one of the single-split tuner (backwards compatible train_idx_/val_idx_)
    single = PaperTuner(n_components=4, n_trials=3, scoring=scorer, train_fraction=0.5, random_state=1).fit(graph, masked)
    np.testing.assert_array_equal(single.train_idx_, tuner.train_idx_)
    assert [t["normalization_strength"] for t in single.trials_] == [t["normalization_strength"] for t in tuner.trials_]
    # scoring="micro" / "macro" are the default scorer's averages, means over the splits
    from graphsparse.embed.tuning import default_scorer

    for average in ("micro", "macro"):
        tun = PaperTuner(n_components=8, n_trials=2, n_splits=2, scoring=average, train_fraction=0.5,
                          random_state=1).fit(graph, masked)
        emb = FastRP(n_components=8, random_state=1, **{k: tun.trials_[1][k] for k in (
            "normalization_strength", "iteration_weights", "projection", "propagate_normalized")}).fit_transform(graph)
        expected = np.mean([default_scorer(emb, masked, tr, va, average=average) for tr, va in tun.splits_])
        assert tun.trials_[1]["score"] == pytest.approx(expected, abs=1e-12)


def test_tuner_budget_is_respected(rng):
    import time

    graph, y = planted_partition(rng, n=80)

    def slow(embedding, labels, train_idx, val_idx):
        time.sleep(0.15)
        return 0.0

    tuner = PaperTuner(n_components=4, n_trials=100, time_budget_s=0.5, scoring=slow, n_splits=2,
                        weight_schemes=["paper", ("flat", 3)], random_state=0).fit(graph, y)
    longest = max(t["seconds"] for t in tuner.trials_)
    assert 1 <= len(tuner.trials_) < 100
    assert tuner.elapsed_s_ <= 0.5 + longest + 0.1  # no trial starts after the budget


def test_tuner_picks_deep_propagation_on_weak_sbm():
    """Sparse SBM (mean degree ~4, weak contrast): 1-2 hops see too little, a deep walk separates the blocks."""
    from graphsparse.datasets import sbm

    probs = np.full((4, 4), 0.004) + np.eye(4) * 0.008
    graph, y = sbm([150] * 4, probs, seed=0, return_labels=True)
    tuner = PaperTuner(n_components=32, n_trials=7, weight_schemes=["paper", ("flat", 1, 0), ("flat", 12, 2)],
                        scoring="micro", n_splits=2, train_fraction=0.5, random_state=0).fit(graph, y)
    assert tuner.best_scheme_ == "flat12+2z"
    assert len(tuner.best_params_["iteration_weights"]) == 14 and tuner.best_params_["propagate_normalized"]
    deep = max(t["score"] for t in tuner.trials_ if t["scheme"] == "flat12+2z")
    short = max(t["score"] for t in tuner.trials_ if t["scheme"] != "flat12+2z")
    assert deep > short + 0.03


@pytest.mark.parametrize("params,match", [
    (dict(weight_schemes="paper"), "weight_schemes"), (dict(weight_schemes=[]), "weight_schemes"),
    (dict(weight_schemes=["gds"]), "weight_schemes"), (dict(weight_schemes=[("flat", 0)]), "weight_schemes"),
    (dict(weight_schemes=[("flat", 2, -1)]), "weight_schemes"), (dict(weight_schemes=[("deep", 3)]), "weight_schemes"),
    (dict(weight_schemes=[("flat", 2.5)]), "weight_schemes"),
    (dict(weight_schemes=[{"projection": "gaussian"}]), "weight_schemes"),
    (dict(weight_schemes=[{"iteration_weights": (1.0,), "normalization_strength": 0.0}]), "weight_schemes"),
    (dict(weight_schemes=[{"iteration_weights": (1.0,), "bogus": 1}]), "weight_schemes"),
    (dict(weight_schemes=[{"iteration_weights": (1.0,), "projection": "gaussian"}]), "weight_schemes"),
    (dict(weight_schemes=[{"iteration_weights": ()}]), "weight_schemes"),
    (dict(projections=["dense"]), "projections"), (dict(projections=[]), "projections"),
    (dict(scoring="f2"), "scoring"), (dict(scoring=3), "scoring"), (dict(n_splits=0), "n_splits"),
    (dict(time_budget_s=True), "time_budget_s"),
])
def test_tuner_bad_structural_input(rng, params, match):
    graph, y = planted_partition(rng, n=40)
    with pytest.raises(ValueError, match=match):
        PaperTuner(n_components=4, **params).fit(graph, y)


def test_final_dimension_check_reuses_one_fit_and_matches_best_estimator():
    """final_n_components: the spectral decision is taken at the final dimension on the validation
    splits, and the kept embedding is exactly what best_estimator(final d) produces."""
    import numpy as np

    from graphsparse.datasets import sbm
    from graphsparse.embed import FastRPTuner

    graph, y = sbm([60, 60, 60], np.full((3, 3), 0.01) + np.eye(3) * 0.12, seed=1, return_labels=True)
    tuner = FastRPTuner(n_components=8, n_trials=3, random_state=0, final_n_components=24,
                        train_fraction=0.5).fit(graph, y, train_idx=np.arange(0, 180, 2))
    check = tuner.final_check_
    assert check["n_components"] == 24
    assert check["kept_spectral"] == (check["score_with_spectral"] > check["score_without_spectral"])
    assert (tuner.best_params_["spectral_propagation"] is not None) == check["kept_spectral"]
    assert tuner.best_embedding_.shape == (180, 24)
    again = tuner.best_estimator(n_components=24).fit_transform(graph)
    np.testing.assert_allclose(again, tuner.best_embedding_, rtol=1e-5, atol=1e-5)
    # test labels never matter: the same decision with the unlabelled rows scrambled
    y_scrambled = y.copy()
    y_scrambled[1::2] = np.random.default_rng(5).integers(0, 3, size=90)
    other = FastRPTuner(n_components=8, n_trials=3, random_state=0, final_n_components=24,
                        train_fraction=0.5).fit(graph, y_scrambled, train_idx=np.arange(0, 180, 2))
    assert other.final_check_ == check
    with pytest.raises(ValueError, match="final_n_components"):
        FastRPTuner(n_trials=1, final_n_components=0).fit(graph, y)
    # a space without spectral options never gets the spectral step from the final check either
    plain = FastRPTuner(n_components=8, n_trials=3, random_state=0, final_n_components=24, train_fraction=0.5,
                        spectral_options=[None]).fit(graph, y, train_idx=np.arange(0, 180, 2))
    assert plain.final_check_["spectral_option"] is None and not plain.final_check_["kept_spectral"]
    assert plain.best_params_["spectral_propagation"] is None
    np.testing.assert_allclose(plain.best_estimator(n_components=24).fit_transform(graph), plain.best_embedding_,
                               rtol=1e-5, atol=1e-5)


def test_budget_that_cannot_finish_the_first_candidate_skips_the_search():
    """time_budget_s + final_n_components: a first candidate projected to overrun the budget is
    stopped mid-propagation and goes straight to the final check -- the same choice and the same
    embedding as a one-candidate search, without its tuning-size fit."""
    from graphsparse.datasets import sbm

    graph, y = sbm([60, 60, 60], np.full((3, 3), 0.01) + np.eye(3) * 0.12, seed=1, return_labels=True)
    kw = dict(n_components=8, random_state=0, final_n_components=24, train_fraction=0.5)
    skipped = FastRPTuner(time_budget_s=1e-9, **kw).fit(graph, y)
    assert skipped.search_skipped_ and skipped.trials_ == []
    one = FastRPTuner(n_trials=1, **kw).fit(graph, y)  # the one candidate the budget could have run
    assert not one.search_skipped_ and len(one.trials_) == 1
    assert skipped.best_scheme_ == one.best_scheme_ == "default"
    assert skipped.best_params_ == one.best_params_
    assert skipped.final_check_ == one.final_check_
    np.testing.assert_array_equal(skipped.best_embedding_, one.best_embedding_)
    check = skipped.final_check_
    assert skipped.best_score_ == max(check["score_without_spectral"], check["score_with_spectral"])
    # without a final dimension, the first candidate always completes (nothing else would score it)
    no_final = FastRPTuner(n_components=8, random_state=0, train_fraction=0.5, time_budget_s=1e-9).fit(graph, y)
    assert not no_final.search_skipped_ and len(no_final.trials_) == 1
    # a budget the first candidate fits in: no skip, and the search goes on
    roomy = FastRPTuner(n_trials=2, time_budget_s=60, **kw).fit(graph, y)
    assert not roomy.search_skipped_ and len(roomy.trials_) == 2


def test_direction_both_conversion_is_cached_and_exact():
    """FastRP(direction="both") on a directed graph converts it once (cached on the graph, as its
    transpose is); a second fit reuses it and gives the same embedding."""
    from graphsparse.datasets.generators import rmat

    graph = rmat(80, 500, seed=4, directed=True)
    first = FastRP(n_components=16, direction="both", random_state=0).fit_transform(graph)
    both = graph._cache["fastrp_both"]
    flipped = both.transpose()  # A + A^T is symmetric
    assert np.array_equal(flipped.indptr, both.indptr) and np.array_equal(flipped.indices, both.indices)
    second = FastRP(n_components=16, direction="both", random_state=0).fit_transform(graph)
    assert graph._cache["fastrp_both"] is both
    np.testing.assert_array_equal(first, second)
    copy = Graph(graph.indptr.copy(), graph.indices.copy(), None, num_nodes=80, directed=True)  # cold cache
    np.testing.assert_array_equal(first, FastRP(n_components=16, direction="both", random_state=0).fit_transform(copy))


def test_depth_step_resumes_the_defaults_propagation_bit_for_bit(monkeypatch):
    """The depth step (the defaults with 64 steps) continues the defaults' propagation; what it scores
    is exactly the embedding of a from-scratch FastRP fit of its parameters."""
    from graphsparse.datasets import sbm
    from graphsparse.embed import fastrp as fastrp_module

    graph, y = sbm([60, 60, 60], np.full((3, 3), 0.01) + np.eye(3) * 0.12, seed=2, return_labels=True)
    seen, steps = [], []
    step = fastrp_module._kernels.propagate_rows
    monkeypatch.setattr(fastrp_module._kernels, "propagate_rows", lambda *a: steps.append(1) or step(*a))

    def recording_scorer(embedding, labels, train_idx, val_idx):
        seen.append(np.array(embedding))
        return float(embedding[val_idx, 0].mean())

    tuner = FastRPTuner(n_components=8, n_trials=2, random_state=5, scorer=recording_scorer).fit(graph, y)
    assert [t["scheme"] for t in tuner.trials_] == ["default", "flat64+2z"]
    assert len(steps) == 66  # 34 steps, then 32 more: not 34 + 66
    for trial, embedding in zip(tuner.trials_, seen):
        params = {k: trial[k] for k in ("normalization_strength", "iteration_weights", "projection",
                                        "propagate_normalized", "spectral_propagation")}
        fresh = FastRP(n_components=8, random_state=5, **{**tuner.base_params_, **params}).fit_transform(graph)
        np.testing.assert_array_equal(embedding, fresh)
