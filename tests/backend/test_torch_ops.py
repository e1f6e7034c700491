"""The torch side of the backend: CSR conversion, the autograd sparse product, dropout."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from graphsparse import as_graph
from graphsparse.torch_ops import SparseOperator, dropout, graph_csr, linear, scipy_csr, sparse_matmul


def _graph(seed=0, n=7, m=18):
    rng = np.random.default_rng(seed)
    edges = rng.integers(0, n, size=(2, m))
    return as_graph(edges, num_nodes=n, edge_weight=rng.random(m) + 0.5, directed=True)


def test_graph_csr_equals_dense_and_is_cached():
    g = _graph()
    dense = g.to_scipy().toarray()
    matrix = graph_csr(g)
    np.testing.assert_allclose(matrix.to_dense().numpy(), dense, rtol=1e-6)
    assert graph_csr(g) is matrix and g.to_torch_csr() is matrix
    assert graph_csr(g, cache=False) is not matrix
    np.testing.assert_allclose(scipy_csr(g.to_scipy()).to_dense().numpy(), dense, rtol=1e-6)


def test_constant_operator_forward_and_transpose_match_dense():
    g = _graph(1)
    a = torch.tensor(g.to_scipy().toarray(), dtype=torch.float32)
    op = SparseOperator.from_graph(g)
    x = torch.randn(g.num_nodes, 4)
    torch.testing.assert_close(op @ x, a @ x)
    torch.testing.assert_close(op.T @ x, a.T @ x)
    x.requires_grad_(True)
    (op @ x).pow(2).sum().backward()
    x2 = x.detach().clone().requires_grad_(True)
    (a @ x2).pow(2).sum().backward()
    torch.testing.assert_close(x.grad, x2.grad)


def test_edge_index_operator_gradcheck_in_values_and_input():
    """gradcheck (double precision) of Y = M X in both the stored values and X, vs finite differences."""
    rng = np.random.default_rng(3)
    n, m = 5, 12
    edge_index = torch.from_numpy(np.unique(rng.integers(0, n, size=(2, m)), axis=1))
    values = torch.rand(edge_index.shape[1], dtype=torch.float64, requires_grad=True)
    x = torch.randn(n, 3, dtype=torch.float64, requires_grad=True)

    def product(v, inp):
        return sparse_matmul(SparseOperator.from_edge_index(edge_index, v, n), inp)

    assert torch.autograd.gradcheck(product, (values, x))
    # and equal to the dense reference (target-major: out[t] = sum_s w(s, t) x[s])
    dense = torch.zeros(n, n, dtype=torch.float64)
    dense[edge_index[1], edge_index[0]] = values.detach()
    torch.testing.assert_close(product(values, x), dense @ x)


def test_value_gradient_only_when_asked():
    g = _graph(2)
    op = SparseOperator.from_graph(g)
    assert op.values is None  # directed operators: constant, no value gradient
    x = torch.randn(g.num_nodes, 2, requires_grad=True)
    out = op @ x
    assert out.requires_grad
    with pytest.raises(TypeError, match="float32"):
        op @ x.double()
    with pytest.raises(ValueError, match="shape"):
        op @ torch.randn(g.num_nodes + 1, 2)


def test_dropout_law_and_sparse_passthrough():
    torch.manual_seed(0)
    x = torch.ones(200, 50)
    y = dropout(x, 0.3, True)
    kept = (y != 0).float().mean().item()
    assert abs(kept - 0.7) < 0.02
    torch.testing.assert_close(y[y != 0], torch.full_like(y[y != 0], 1 / 0.7))
    assert dropout(x, 0.3, False) is x
    sparse = x.to_sparse()
    assert dropout(sparse, 0.5, True) is sparse
    assert torch.equal(dropout(x, 1.0, True), torch.zeros_like(x))


def test_linear_accepts_sparse_input():
    lin = torch.nn.Linear(6, 3)
    x = torch.randn(4, 6)
    x[x < 0.5] = 0
    torch.testing.assert_close(linear(lin, x.to_sparse()), lin(x))


# ------------------------------------------------------------------ the shared training loop
def test_split_mask_shapes_and_errors():
    from graphsparse.training import split_mask

    m = torch.tensor([[True, False], [False, True], [True, True]])
    assert split_mask(m, 1, num_nodes=3).tolist() == [False, True, True]
    assert split_mask(torch.tensor([1, 0, 1]), 0, num_nodes=3).tolist() == [True, False, True]
    with pytest.raises(ValueError, match="splits first"):
        split_mask(m.T, 0, num_nodes=3)
    with pytest.raises(ValueError, match="split=1"):
        split_mask(m[:, 0], 1, num_nodes=3)
    with pytest.raises(ValueError, match=r"split must be in \[0, 2\)"):
        split_mask(m, 2, num_nodes=3)
    with pytest.raises(ValueError, match="boolean"):
        split_mask(torch.tensor([0.5, 1.0, 0.0]), 0)
    with pytest.raises(ValueError, match="entries"):
        split_mask(torch.tensor([True, False]), 0, num_nodes=3)


def test_fit_full_batch_selection_ties_patience_history():
    from graphsparse.training import fit_full_batch

    model = torch.nn.Linear(1, 1)
    vals = iter([0.5, 0.7, 0.7, 0.6, 0.6, 0.6, 0.9])

    def run(ties, patience):
        scores = iter([0.5, 0.7, 0.7, 0.6, 0.6, 0.6, 0.9])
        return fit_full_batch(model, lambda: model(torch.ones(1, 1)).sum(),
                              lambda: (next(scores), None, lambda: {}), epochs=7, ties=ties, patience=patience)

    first = run("first", None)
    assert first["epoch"] == 6 and first["epochs"] == 7 and [h["val"] for h in first["history"]] == list(vals)
    stopped = run("first", 3)   # best at epoch 1, no progress for 3 epochs -> stop after epoch 4
    assert stopped["epoch"] == 1 and stopped["epochs"] == 5
    later = run("last", 3)      # the tie at epoch 2 moves the best epoch, so it runs one epoch longer
    assert later["epoch"] == 2 and later["epochs"] == 6


def test_check_labels():
    from graphsparse.training import check_labels

    y = torch.tensor([0, 1, -1, 2])
    assert check_labels(y, (torch.tensor([True, True, False, True]),)).tolist() == [0, 1, -1, 2]
    with pytest.raises(ValueError, match="negative label"):
        check_labels(y, (torch.tensor([0, 2]),))
    with pytest.raises(ValueError, match="integer"):
        check_labels(torch.tensor([0.5, 1.0]))
