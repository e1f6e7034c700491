"""The depth sweep's hop stack (benchmarks/decoupled_depth.py) is the dense powers and leaves the data alone."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torch_geometric")

from torch_geometric.data import Data  # noqa: E402

from benchmarks.decoupled_depth import labelled_stack  # noqa: E402
from graphsparse.decoupled.train import row_normalize  # noqa: E402


def _dense_operator(edge_index, n):
    a = np.zeros((n, n))
    a[edge_index[1], edge_index[0]] = 1.0
    a += np.eye(n)
    d = a.sum(1)
    return a / np.sqrt(np.outer(d, d))


def test_labelled_stack_equals_dense_powers_and_does_not_modify_the_features():
    rng = np.random.default_rng(0)
    n, f = 30, 5
    src, dst = rng.integers(0, n, 80), rng.integers(0, n, 80)
    keep = src != dst
    edge_index = np.unique(np.concatenate([np.stack([src, dst]), np.stack([dst, src])], 1)[:, np.r_[keep, keep]], axis=1)
    x = (rng.random((n, f)) < 0.4).astype(np.float32)
    masks = np.zeros((3, n), bool)
    masks[rng.integers(0, 3, n), np.arange(n)] = True
    data = Data(x=torch.from_numpy(x.copy()), edge_index=torch.from_numpy(edge_index),
                train_mask=torch.from_numpy(masks[0]), val_mask=torch.from_numpy(masks[1]),
                test_mask=torch.from_numpy(masks[2]))
    depth, depths = 5, (1, 2, 4, 5)
    rows, stacks = labelled_stack(data, depth, full=(False,), depths=depths, kinds=(True, False))
    # the raw-feature stack used to reuse data.x as a swap buffer and overwrite it (APPNP+AIR then read it)
    np.testing.assert_array_equal(data.x.numpy(), x)
    assert np.array_equal(rows, np.flatnonzero(masks.any(0)))
    op = _dense_operator(edge_index, n)
    for normalize in (False, True):
        h = row_normalize(x, normalize).astype(np.float64)
        for k in range(depth + 1):
            if normalize is False or k in depths or k == 0:
                np.testing.assert_allclose(stacks[normalize][k], h[rows], rtol=1e-5, atol=1e-6)
            h = op @ h
    assert stacks[False].shape == (depth + 1, rows.size, f)
