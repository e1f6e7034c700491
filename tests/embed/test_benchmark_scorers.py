"""The FastRP benchmarks' own objective functions equal their sklearn definitions (they are timed)."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score

from benchmarks.fastrp_quality import top_k_predictions
from benchmarks.fastrp_vs_prone import ridge_scorer


def _slow_top_k(scores, counts):
    order = np.argsort(-scores, axis=1)
    pred = np.zeros_like(scores, dtype=bool)
    for i, k in enumerate(counts):
        pred[i, order[i, :k]] = True
    return pred


def test_top_k_and_ridge_micro_f1_equal_the_sklearn_reference():
    rng = np.random.default_rng(0)
    for trial in range(60):
        n, num_labels, d = int(rng.integers(20, 120)), int(rng.integers(2, 10)), int(rng.integers(2, 12))
        y = (rng.random((n, num_labels)) < rng.uniform(0.05, 0.5)).astype(np.int8)
        if trial % 3 == 0:  # single-label (one-hot)
            y = np.zeros((n, num_labels), np.int8)
            y[np.arange(n), rng.integers(0, num_labels, n)] = 1
        embedding = rng.normal(size=(n, d)).astype(np.float32)
        if trial % 5 == 0:
            embedding = np.round(embedding)  # ties in the scores
        perm = rng.permutation(n)
        train, val = np.sort(perm[: n // 2]), np.sort(perm[n // 2:])
        scores = rng.normal(size=(len(val), num_labels)).round(1)
        np.testing.assert_array_equal(top_k_predictions(scores, y[val].sum(1)), _slow_top_k(scores, y[val].sum(1)))
        x = embedding.astype(np.float64)
        mean, std = x[train].mean(0), x[train].std(0) + 1e-12
        xt = np.hstack([(x[train] - mean) / std, np.ones((len(train), 1))])
        xv = np.hstack([(x[val] - mean) / std, np.ones((len(val), 1))])
        weights = np.linalg.solve(xt.T @ xt + np.eye(xt.shape[1]), xt.T @ (y[train] * 2.0 - 1))
        expected = f1_score(y[val], _slow_top_k(xv @ weights, y[val].sum(1)), average="micro", zero_division=0)
        assert abs(ridge_scorer(embedding, y, train, val) - expected) < 1e-12
    none = np.zeros((6, 3), np.int8)  # nothing true, nothing predicted: 0, as zero_division=0
    assert ridge_scorer(np.ones((6, 2)), none, np.arange(3), np.arange(3, 6)) == 0.0
