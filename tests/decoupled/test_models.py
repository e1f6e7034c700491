"""Models: AIR weights, the differentiable SpMM, and training above an MLP on a synthetic graph."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from graphsparse.datasets.generators import contextual_sbm
from graphsparse.decoupled import propagate_hops, propagation_operator
from graphsparse.decoupled.models import APPNP, APPNPAIR, GCNAIR, MLP, SGC, SGCAIR, SIGN, air_weights
from graphsparse.decoupled.train import (DEFAULTS, prepare_inputs, row_normalize, run_model, train_full_graph,
                                         train_precomputed)


@pytest.fixture(scope="module")
def csbm():
    # features weak on their own, graph homophilous: propagation must help
    return contextual_sbm(600, num_classes=3, avg_degree=8, homophily=0.85, num_features=16,
                          feature_signal=0.6, train_fraction=0.3, val_fraction=0.2, seed=1)


def test_air_weights_sum_to_one_and_match_concatenation():
    torch.manual_seed(0)
    gate = torch.nn.Linear(2 * 5, 1)
    hops = torch.randn(4, 9, 5)
    w = air_weights(gate, hops)
    assert w.shape == (9, 4)
    torch.testing.assert_close(w.sum(1), torch.ones(9))
    assert (w > 0).all()
    # the reference's formula, with the concatenation built
    scores = torch.stack([torch.sigmoid(gate(torch.cat([hops[0], hops[k]], 1)))[:, 0] for k in range(4)], 1)
    torch.testing.assert_close(w, torch.softmax(scores, 1))


def test_sgc_air_sum_and_sink():
    torch.manual_seed(0)
    hops = torch.randn(5, 7, 6)
    for skip in (True, False):
        model = SGCAIR(6, 3, num_hops=5, dropout=0.0, skip_last_hop=skip).eval()
        w = model.attention(hops)
        torch.testing.assert_close(w.sum(1), torch.ones(7))
        used = 4 if skip else 5
        z = sum(w[:, k:k + 1] * hops[k] for k in range(used))
        torch.testing.assert_close(model(hops), model.lin(z))
    with pytest.raises(ValueError, match="hops"):
        model(torch.randn(3, 7, 6))


def test_appnp_air_weights_sum_to_one():
    op = propagation_operator(np.array([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]]))
    model = APPNPAIR(4, 8, 3, K=5).eval()
    w = model.attention(torch.randn(4, 4), op)
    assert w.shape == (4, 6)
    torch.testing.assert_close(w.sum(1), torch.ones(4))


def test_torch_spmm_gradient_matches_dense():
    rng = np.random.default_rng(0)
    edges = rng.integers(0, 12, (2, 40))
    op = propagation_operator(edges)  # directed: T is not symmetric, so the backward needs T^T
    t = torch.from_numpy(op.to_scipy().toarray().astype(np.float32))
    x = torch.randn(12, 3, requires_grad=True)
    weights = torch.randn(12, 3)
    (op.torch_matmul(x) * weights).sum().backward()
    torch.testing.assert_close(x.grad, t.T @ weights, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(op.torch_matmul(x.detach()), t @ x.detach(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="float32"):
        op.torch_matmul(x.double())


def test_appnp_matches_dense_iteration():
    rng = np.random.default_rng(1)
    edges = rng.integers(0, 10, (2, 30))
    op = propagation_operator(edges, self_loops=True)
    t = torch.from_numpy(op.to_scipy().toarray().astype(np.float32))
    torch.manual_seed(0)
    model = APPNP(5, 8, 3, K=4, alpha=0.2, dropout=0.0).eval()
    x = torch.randn(10, 5)
    h0 = model.mlp(x)
    h = h0
    for _ in range(4):
        h = 0.8 * t @ h + 0.2 * h0
    torch.testing.assert_close(model(x, op), h, rtol=1e-5, atol=1e-5)


def _mlp_accuracy(data, seed=0):
    x = row_normalize(data.x.numpy())[None]
    torch.manual_seed(seed)
    model = MLP(x.shape[-1], 64, 3, num_layers=2, dropout=0.5)

    class Wrap(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mlp = model

        def forward(self, hops):
            return self.mlp(hops[0])

    return train_precomputed(Wrap(), x, data.y, data.train_mask, data.val_mask, data.test_mask, epochs=200, lr=0.01,
                             weight_decay=5e-4, seed=seed)["test_acc"]


@pytest.mark.parametrize("name", ["sgc", "s2gc", "sign", "sgc_air", "appnp", "appnp_air", "gcn_air"])
def test_models_beat_an_mlp_on_a_contextual_sbm(csbm, name):
    mlp = _mlp_accuracy(csbm)
    overrides = {"epochs": 60, "hops": 4} if name in ("appnp", "appnp_air", "gcn_air") else {}
    overrides = {"epochs": 100} if name == "sign" else overrides
    result = run_model(name, csbm, csbm.x, csbm.y, csbm.train_mask, csbm.val_mask, csbm.test_mask, seed=0,
                       **overrides)
    assert result["test_acc"] > mlp + 0.05, (name, result["test_acc"], mlp)
    assert 1 <= result["best_epoch"] <= result["epochs_run"]


def test_seeded_runs_repeat_and_differ(csbm):
    args = (csbm, csbm.x, csbm.y, csbm.train_mask, csbm.val_mask, csbm.test_mask)
    prepared = prepare_inputs("sign", csbm, csbm.x)
    a = run_model("sign", *args, seed=3, prepared=prepared, epochs=20)
    b = run_model("sign", *args, seed=3, prepared=prepared, epochs=20)
    c = run_model("sign", *args, seed=4, prepared=prepared, epochs=20)
    assert (a["val_acc"], a["test_acc"], a["best_epoch"]) == (b["val_acc"], b["test_acc"], b["best_epoch"])
    pa = torch.cat([p.flatten() for p in a["model"].parameters()])
    pc = torch.cat([p.flatten() for p in c["model"].parameters()])
    assert not torch.equal(pa, pc)


def test_minibatches_memmap_and_early_stopping(csbm, tmp_path):
    op = propagation_operator(csbm)
    x = row_normalize(csbm.x.numpy())
    hops = propagate_hops(op, x, 3, path=str(tmp_path / "hops.npy"), verbose=False)
    torch.manual_seed(0)
    model = SIGN(16, 32, 3, num_hops=4)
    result = train_precomputed(model, hops, csbm.y, csbm.train_mask, csbm.val_mask, csbm.test_mask, epochs=300,
                               lr=0.01, batch_size=32, patience=15, seed=0)
    assert result["epochs_run"] - result["best_epoch"] == 15 and result["epochs_run"] < 300
    assert result["test_acc"] > 0.6
    # the best parameters are restored: re-evaluating gives the recorded validation accuracy
    model.eval()
    val = np.flatnonzero(csbm.val_mask.numpy())
    with torch.no_grad():
        pred = model(torch.from_numpy(np.asarray(hops[:, val]))).argmax(1).numpy()
    assert np.mean(pred == csbm.y.numpy()[val]) == pytest.approx(result["val_acc"])


def test_gcn_air_trains_full_graph(csbm):
    op = propagation_operator(csbm)
    torch.manual_seed(0)
    model = GCNAIR(16, 32, 3, num_layers=3)
    result = train_full_graph(model, row_normalize(csbm.x.numpy()), op, csbm.y, csbm.train_mask, csbm.val_mask,
                              csbm.test_mask, epochs=60, lr=0.01, seed=0)
    assert result["test_acc"] > 0.6


def test_bad_arguments(csbm):
    with pytest.raises(ValueError, match="model must be one of"):
        run_model("gat", csbm, csbm.x, csbm.y, csbm.train_mask, csbm.val_mask)
    with pytest.raises(ValueError, match="unknown hyper-parameter"):
        run_model("sgc", csbm, csbm.x, csbm.y, csbm.train_mask, csbm.val_mask, hidden=3)
    hops = np.zeros((2, 600, 4), np.float32)
    with pytest.raises(ValueError, match="y"):
        train_precomputed(SGC(4, 3), hops, np.zeros(5, np.int64), [0], [1])
    with pytest.raises(ValueError, match="outside"):
        train_precomputed(SGC(4, 3), hops, csbm.y, [0, 600], [1])
    with pytest.raises(ValueError, match="stack"):
        train_precomputed(SGC(4, 3), hops[0], csbm.y, [0], [1])
    with pytest.raises(ValueError, match="num_layers"):
        GCNAIR(4, 8, 2, num_layers=1)
    with pytest.raises(ValueError, match="dropout"):
        SGCAIR(4, 2, 3, dropout=1.5)
    assert set(DEFAULTS) == {"sgc", "s2gc", "sign", "sgc_air", "appnp", "appnp_air", "gcn_air"}


def test_row_normalize_l1_l2_and_bad_values():
    x = np.array([[3.0, -4.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 2.0]], dtype=np.float32)
    l1 = row_normalize(x)
    np.testing.assert_allclose(np.abs(l1).sum(1), [1.0, 0.0, 1.0], rtol=1e-6)
    np.testing.assert_array_equal(row_normalize(x, True), l1)
    l2 = row_normalize(x, "l2")
    np.testing.assert_allclose(l2[0], [0.6, -0.8, 0.0], rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(l2, axis=1), [1.0, 0.0, 1.0], rtol=1e-6)
    np.testing.assert_array_equal(row_normalize(x, False), x)
    with pytest.raises(ValueError, match="normalize_features"):
        row_normalize(x, "max")
    with pytest.raises(ValueError, match="normalize_features"):
        prepare_inputs("sgc_air", contextual_sbm(60, num_classes=2, num_features=4, seed=0),
                       np.ones((60, 4), np.float32), normalize_features="l3")
