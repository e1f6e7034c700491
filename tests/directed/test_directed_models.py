"""Directed layers and models: dense-formula equivalence, gradients, mini-batch exactness, training."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from graphsparse.directed.models import (MLP, DiGCN, DirectedOperators, DirGCNConv, DirGNN, DirSAGEConv, MagNet,
                                         SparseOperator, SymGCN, khop_batches)
from graphsparse.graph import as_graph


def dense_adj(edge_index, n):
    a = np.zeros((n, n))
    np.add.at(a, (edge_index[0].numpy(), edge_index[1].numpy()), 1.0)
    return a


def inv_pow(deg, e):
    out = np.zeros_like(deg)
    out[deg > 0] = deg[deg > 0] ** e
    return out


def test_sparse_operator_gradient_matches_dense(small_dsbm):
    ops = DirectedOperators.from_graph(small_dsbm.edge_index, "dir", num_nodes=300)
    op = ops.op("dir")
    dense = torch.from_numpy(ops.graphs["dir"].to_scipy().toarray()).float()
    x = torch.randn(300, 4, requires_grad=True)
    (op @ x).pow(2).sum().backward()
    grad_sparse = x.grad.clone()
    x.grad = None
    (dense @ x).pow(2).sum().backward()
    torch.testing.assert_close(grad_sparse, x.grad, rtol=1e-4, atol=1e-5)
    x.grad = None
    (op.T @ x).sum().backward()
    torch.testing.assert_close(x.grad, dense @ torch.ones(300, 4), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="shape"):
        op @ torch.randn(5, 4)
    with pytest.raises(TypeError, match="float32"):
        op @ torch.randn(300, 4, dtype=torch.float64)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_dirgcn_conv_matches_formula(small_dsbm, alpha):
    torch.manual_seed(0)
    n = 300
    a = dense_adj(small_dsbm.edge_index, n)
    a_hat = torch.from_numpy(np.diag(inv_pow(a.sum(1), -0.5)) @ a @ np.diag(inv_pow(a.sum(0), -0.5))).float()
    for cin, cout in ((8, 4), (4, 8)):  # both product orders
        conv = DirGCNConv(cin, cout, alpha=alpha, root_weight=True)
        x = torch.randn(n, cin)
        ref = (alpha * (a_hat @ x) @ conv.lin_out.weight.T + (1 - alpha) * (a_hat.T @ x) @ conv.lin_in.weight.T
               + x @ conv.lin_root.weight.T + conv.bias)
        torch.testing.assert_close(conv(x, small_dsbm.edge_index), ref, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(conv(x.to_sparse_coo(), small_dsbm.edge_index), ref, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="alpha"):
        DirGCNConv(4, 4, alpha=1.5)


def test_dirsage_conv_matches_formula(small_dsbm):
    torch.manual_seed(0)
    n = 300
    a = dense_adj(small_dsbm.edge_index, n)
    mean_out = torch.from_numpy(np.diag(inv_pow(a.sum(1), -1)) @ a).float()
    mean_in = torch.from_numpy(np.diag(inv_pow(a.sum(0), -1)) @ a.T).float()
    conv = DirSAGEConv(8, 4, alpha=0.7)
    x = torch.randn(n, 8)
    ref = (conv.lin_self(x) + 0.7 * (mean_out @ x) @ conv.lin_out.weight.T
           + 0.3 * (mean_in @ x) @ conv.lin_in.weight.T)
    torch.testing.assert_close(conv(x, small_dsbm.edge_index), ref, rtol=1e-4, atol=1e-5)


def test_cached_layer_reuses_operators(small_dsbm):
    conv = DirGCNConv(8, 4, cached=True)
    x = small_dsbm.x
    first = conv(x, small_dsbm.edge_index)
    assert conv._cache is not None
    torch.testing.assert_close(conv(x, small_dsbm.edge_index), first)


def test_khop_batches_exact(small_dsbm):
    torch.manual_seed(0)
    model = DirGNN(8, 16, 3, num_layers=2, alpha=0.5, jk="max").eval()
    ops = model.build_operators(small_dsbm.edge_index, 300)
    with torch.no_grad():
        full = model(small_dsbm.x, ops)
        seen = 0
        for nodes, num_seeds in khop_batches(small_dsbm.edge_index, np.arange(300), 64, 2, random_state=0):
            out = model(small_dsbm.x[torch.from_numpy(nodes)], ops.subgraph(nodes))
            torch.testing.assert_close(out[:num_seeds], full[torch.from_numpy(nodes[:num_seeds])],
                                       rtol=1e-4, atol=1e-5)
            seen += num_seeds
    assert seen == 300


# chance is 1/3 and the undirected structure carries no signal. DiGCN's operator is symmetric
# (direction enters only through the PageRank weights), so it learns far less here -- as known.
@pytest.mark.parametrize("make, threshold", [
    (lambda: DirGNN(8, 32, 3, 2, alpha=0.5, jk="max"), 0.6),
    (lambda: DirGNN(8, 32, 3, 2, conv="dir-sage", alpha=0.5, learn_alpha=True, jk="cat", normalize=True), 0.6),
    (lambda: MagNet(8, 16, 3, 2, K=2, q=0.25, dropout=0.0), 0.6),
    (lambda: DiGCN(8, 32, 3, 2, alpha=0.1, dropout=0.0), 0.4),
], ids=["dir-gcn", "dir-sage", "magnet", "digcn"])
def test_models_learn_on_dsbm_above_chance(small_dsbm, train_eval, make, threshold):
    torch.manual_seed(0)
    acc = train_eval(make(), small_dsbm)
    assert acc > threshold, acc


def test_symmetrised_gcn_is_blind_on_dsbm(small_dsbm, train_eval):
    torch.manual_seed(0)
    dir_acc = train_eval(DirGNN(8, 32, 3, 2, alpha=0.5, jk="max"), small_dsbm)
    sym_acc = train_eval(SymGCN(8, 32, 3, 2, dropout=0.0), small_dsbm)
    assert dir_acc > sym_acc + 0.15, (dir_acc, sym_acc)
    assert MLP(8, 16, 3)(small_dsbm.x).shape == (300, 3)


def test_model_argument_errors():
    with pytest.raises(ValueError, match="conv"):
        DirGNN(4, 4, 2, conv="gat")
    with pytest.raises(ValueError, match="jk"):
        DirGNN(4, 4, 2, jk="lstm")
    with pytest.raises(ValueError, match="q must lie in"):
        MagNet(4, 4, 2, q=0.7)
    with pytest.raises(ValueError, match="alpha must lie in"):
        DiGCN(4, 4, 2, alpha=1.0)
    with pytest.raises(ValueError, match="kinds"):
        DirectedOperators.from_graph(np.array([[0, 1], [1, 2]]), ("fancy",))
    ops = DirectedOperators.from_graph(np.array([[0, 1], [1, 2]]), ("dir",))
    with pytest.raises(KeyError, match="not built"):
        ops.op("mag_real")
    with pytest.raises(ValueError, match="operators cover"):
        DirGNN(4, 4, 2)(torch.randn(7, 4), ops)


def test_sparse_operator_from_graph_roundtrip():
    g = as_graph(np.array([[0, 1, 2], [1, 2, 0]]), directed=True)
    op = SparseOperator.from_graph(g)
    x = torch.eye(3)
    torch.testing.assert_close(op @ x, torch.from_numpy(g.to_scipy().toarray()).float())


def test_cli_runs_on_dsbm(tmp_path):
    import json

    from graphsparse.cli import main

    out = tmp_path / "result.json"
    code = main(["directed", "--dataset", "dsbm", "--model", "dir-gcn", "--epochs", "3", "--hidden", "8",
                 "--stats", "--quiet", "--out", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    assert result["model"] == "dir-gcn" and 0.0 <= result["test_acc_mean"] <= 100.0
    assert result["reciprocity"]["num_reciprocal_pairs"] == 0
    out_gat = tmp_path / "gat.json"
    assert main(["directed", "--dataset", "dsbm", "--model", "dir-gat", "--heads", "2", "--epochs", "3",
                 "--hidden", "8", "--quiet", "--out", str(out_gat)]) == 0
    assert json.loads(out_gat.read_text())["model"] == "dir-gat"


def test_dirgnn_self_loops_operator(small_dsbm):
    from graphsparse.directed import directed_normalize

    model = DirGNN(8, 8, 3, 2, self_loops=True)
    ops = model.build_operators(small_dsbm.edge_index, 300)
    ref = directed_normalize(as_graph(small_dsbm.edge_index, num_nodes=300), "dir", self_loops=True)
    assert ops.graphs["dir"] == ref
    assert (ops.graphs["dir"].sources() == ops.graphs["dir"].indices).sum() == 300


def test_dirgcn_tied_weights(small_dsbm):
    torch.manual_seed(0)
    a = dense_adj(small_dsbm.edge_index, 300)
    a_hat = torch.from_numpy(np.diag(inv_pow(a.sum(1), -0.5)) @ a @ np.diag(inv_pow(a.sum(0), -0.5))).float()
    conv = DirGCNConv(8, 4, alpha=0.25, tie_weights=True)
    assert conv.lin_in is conv.lin_out
    x = torch.randn(300, 8)
    ref = (0.25 * a_hat @ x + 0.75 * a_hat.T @ x) @ conv.lin_out.weight.T + conv.bias
    torch.testing.assert_close(conv(x, small_dsbm.edge_index), ref, rtol=1e-4, atol=1e-5)
    assert sum(p.numel() for p in conv.parameters()) == 8 * 4 + 4


def test_total_degree_normalization_reduces_to_gcn_on_a_plus_at(small_dsbm):
    # kind='total': D^-1/2 A D^-1/2 with D = D_out + D_in; tied weights + alpha 1/2 = GCN on A + A^T / 2
    from graphsparse.directed import directed_normalize

    torch.manual_seed(0)
    a = dense_adj(small_dsbm.edge_index, 300) + np.eye(300)
    total = a.sum(1) + a.sum(0)
    ref = np.diag(inv_pow(total, -0.5)) @ a @ np.diag(inv_pow(total, -0.5))
    got = directed_normalize(as_graph(small_dsbm.edge_index, num_nodes=300), "total", self_loops=True)
    np.testing.assert_allclose(got.to_scipy().toarray(), ref, rtol=1e-5, atol=1e-7)
    conv = DirGCNConv(8, 4, alpha=0.5, tie_weights=True, normalization="total", bias=False)
    x = torch.randn(300, 8)
    ops = DirectedOperators.from_graph(small_dsbm.edge_index, ("dir",), num_nodes=300, self_loops=True,
                                       dir_normalization="total")
    sym = a + a.T
    expected = 0.5 * np.diag(inv_pow(total, -0.5)) @ sym @ np.diag(inv_pow(total, -0.5)) @ (
        x.numpy() @ conv.lin_out.weight.detach().numpy().T)
    np.testing.assert_allclose(conv(x, ops).detach().numpy(), expected, rtol=1e-4, atol=1e-5)
    model = DirGNN(8, 8, 3, 2, self_loops=True, normalization="total")
    assert model.build_operators(small_dsbm.edge_index, 300).graphs["dir"] == got
    with pytest.raises(ValueError, match="dir_normalization"):
        model(x, DirectedOperators.from_graph(small_dsbm.edge_index, ("dir",), num_nodes=300, self_loops=True))
    with pytest.raises(ValueError, match="normalization"):
        DirGNN(8, 8, 3, 2, conv="dir-sage", normalization="total")
    with pytest.raises(ValueError, match="kind"):
        directed_normalize(as_graph(small_dsbm.edge_index, num_nodes=300), "bogus")


def test_train_node_classifier_uses_edge_weight(small_dsbm):
    """A weighted graph trains weighted (#13): the operators see data.edge_weight; opting out is explicit."""
    from graphsparse.directed.models import train_node_classifier

    class Spy(DirGNN):
        def build_operators(self, graph, num_nodes=None):
            self.seen = as_graph(graph, num_nodes=num_nodes)
            return super().build_operators(graph, num_nodes)

    data = small_dsbm.clone()
    rng = np.random.default_rng(0)
    data.edge_weight = torch.from_numpy(rng.random(data.edge_index.shape[1]).astype(np.float32) + 0.5)
    expected = as_graph(data.edge_index, num_nodes=data.num_nodes, edge_weight=data.edge_weight, directed=True)
    model = Spy(data.num_features, 8, 3)
    result = train_node_classifier(model, data, epochs=3)
    np.testing.assert_allclose(model.seen.weights, expected.weights)
    assert len(result["history"]) == result["epochs"] == 3
    model = Spy(data.num_features, 8, 3)
    train_node_classifier(model, data, epochs=1, use_edge_weight=False)
    assert model.seen.weights is None


def test_train_node_classifier_split_errors(small_dsbm):
    from graphsparse.directed.models import train_node_classifier

    data = small_dsbm.clone()
    with pytest.raises(ValueError, match="split must be in"):
        train_node_classifier(DirGNN(data.num_features, 8, 3), data, split=5, epochs=1)
    data.train_mask = data.train_mask.T
    with pytest.raises(ValueError, match="splits first"):
        train_node_classifier(DirGNN(data.num_features, 8, 3), data, epochs=1)


def test_dirgnn_alpha_auto_picks_the_best_validation_alpha(small_dsbm):
    """alpha='auto' (#15): one run per alpha in (0, 0.5, 1) from the same initial weights; the result
    equals training each fixed alpha separately, and the best validation accuracy wins."""
    from graphsparse.directed.models import AUTO_ALPHAS, train_node_classifier

    torch.manual_seed(0)
    auto = DirGNN(small_dsbm.num_features, 16, 3, 2, alpha="auto")
    result = train_node_classifier(auto, small_dsbm, epochs=25, lr=0.02)
    fixed = {}
    for alpha in AUTO_ALPHAS:
        torch.manual_seed(0)
        fixed[alpha] = train_node_classifier(DirGNN(small_dsbm.num_features, 16, 3, 2, alpha=alpha), small_dsbm,
                                             epochs=25, lr=0.02)
    assert result["alpha_val_acc"] == {a: r["val_acc"] for a, r in fixed.items()}
    best = max(AUTO_ALPHAS, key=lambda a: fixed[a]["val_acc"])
    assert result["alpha"] == best and auto.alpha == best
    assert result["test_acc"] == fixed[best]["test_acc"]
    assert all(conv.alpha == best for conv in auto.convs)
    with pytest.raises(ValueError, match="auto"):
        DirGNN(4, 8, 2, alpha="best")
    with pytest.raises(ValueError, match="learn_alpha"):
        DirGNN(4, 8, 2, alpha="auto", learn_alpha=True)
