"""Precompute against dense NumPy formulas; memory-bounded paths (blocks, out=, memmap) agree."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from graphsparse import as_graph
from graphsparse.datasets.generators import sbm
from graphsparse.decoupled import (ppr_hops, precompute, propagate_hops, propagation_operator,
                                   s2gc_features)


def _random_graph(seed, n=40, p=0.12, directed=False, weighted=False, isolated=True):
    rng = np.random.default_rng(seed)
    a = (rng.random((n, n)) < p).astype(np.float64)
    np.fill_diagonal(a, 0)
    if not directed:
        a = np.triu(a, 1)
        a = a + a.T
    if weighted:
        w = rng.uniform(0.5, 2.0, (n, n))
        a = a * (w + w.T if not directed else w)
    if isolated:  # a node without edges (zero degree without self-loops)
        a[-1, :] = 0
        a[:, -1] = 0
    x = rng.normal(size=(n, 7)).astype(np.float32)
    return a, sp.csr_matrix(a), x


def _dense_operator(a, operator, self_loops):
    """T with T[i, j] = weight of the edge j -> i, normalised by the in-degree (PyG's flow)."""
    a = a + np.eye(a.shape[0]) if self_loops else a.copy()
    deg = a.sum(0)  # in-degree: column sums of A (edges j -> i are A[j, i])
    with np.errstate(divide="ignore"):
        if operator == "sym":
            d = np.where(deg > 0, deg ** -0.5, 0.0)
            return d[:, None] * a.T * d[None, :]
        d = np.where(deg > 0, 1.0 / deg, 0.0)
        return d[:, None] * a.T


@pytest.mark.parametrize("operator", ["sym", "rw"])
@pytest.mark.parametrize("self_loops", [True, False])
@pytest.mark.parametrize("directed,weighted", [(False, False), (True, False), (False, True), (True, True)])
def test_hops_equal_dense_powers(operator, self_loops, directed, weighted):
    a, m, x = _random_graph(3, directed=directed, weighted=weighted)
    K = 4
    hops = propagate_hops(m, x, K, operator, self_loops, verbose=False)
    t = _dense_operator(a, operator, self_loops)
    expected = x.astype(np.float64)
    assert hops.shape == (K + 1, 40, 7) and hops.dtype == np.float32
    np.testing.assert_array_equal(hops[0], x)
    for k in range(1, K + 1):
        expected = t @ expected
        np.testing.assert_allclose(hops[k], expected, rtol=1e-4, atol=1e-5)
    if not self_loops:  # an isolated node has zero degree: its propagated rows are 0, never NaN
        assert np.all(hops[1:, -1] == 0)
    np.testing.assert_allclose(propagation_operator(m, operator, self_loops).to_scipy().toarray(), t, rtol=1e-5,
                               atol=1e-7)


def test_gcn_operator_is_dgmlp_aug_normalized_adjacency():
    a, m, x = _random_graph(5, isolated=False)
    a_tilde = a + np.eye(40)
    d = a_tilde.sum(1) ** -0.5
    expected = (d[:, None] * a_tilde * d[None, :]) @ (d[:, None] * a_tilde * d[None, :]) @ x
    np.testing.assert_allclose(propagate_hops(m, x, 2, verbose=False)[2], expected, rtol=1e-4, atol=1e-5)


def test_rw_rows_sum_to_one_and_ppr_limit():
    a, m, x = _random_graph(7, isolated=False)
    ones = np.ones((40, 1), np.float32)
    np.testing.assert_allclose(propagate_hops(m, ones, 3, "rw", verbose=False)[-1], 1.0, rtol=1e-5)
    alpha, K = 0.2, 60
    hops = ppr_hops(m, x, K, alpha, verbose=False)
    t = _dense_operator(a, "sym", True)
    expected = x.astype(np.float64)
    for _ in range(3):
        expected = (1 - alpha) * t @ expected + alpha * x
    np.testing.assert_allclose(hops[3], expected, rtol=1e-4, atol=1e-5)
    ppr = alpha * np.linalg.solve(np.eye(40) - (1 - alpha) * t, x)  # the fixed point
    np.testing.assert_allclose(hops[-1], ppr, rtol=1e-3, atol=1e-4)


def test_s2gc_equals_averaged_powers():
    a, m, x = _random_graph(9)
    t = _dense_operator(a, "sym", True)
    K, alpha = 5, 0.05
    power, total = x.astype(np.float64), np.zeros((40, 7))
    for _ in range(K):
        power = t @ power
        total += power
    expected = alpha * x + (1 - alpha) / K * total
    got = s2gc_features(m, x, K, alpha, verbose=False)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(s2gc_features(m, x, K, alpha, block_size=2, verbose=False), got, rtol=1e-6)
    np.testing.assert_allclose(precompute(m, x, K, "s2gc", verbose=False), got, rtol=1e-6)


@pytest.mark.parametrize("method", ["hops", "ppr"])
def test_blocks_out_and_memmap_give_the_same_stack(tmp_path, method):
    a, m, x = _random_graph(11)
    full = precompute(m, x, 5, method, verbose=False)
    for block_size in (1, 3, 7, 100):
        np.testing.assert_array_equal(precompute(m, x, 5, method, block_size=block_size, verbose=False), full)
    out = np.full((6, 40, 7), np.nan, np.float32)
    assert precompute(m, x, 5, method, out=out, verbose=False) is out
    np.testing.assert_array_equal(out, full)
    path = tmp_path / "hops.npy"
    mapped = precompute(m, x, 5, method, path=str(path), block_size=3, verbose=False)
    assert isinstance(mapped, np.memmap) and not mapped.flags.writeable
    np.testing.assert_array_equal(mapped, full)
    np.testing.assert_array_equal(np.load(path), full)  # a plain .npy file
    assert path.stat().st_size >= full.nbytes


@pytest.mark.parametrize("method", ["hops", "ppr"])
def test_include_x_false_drops_hop_zero(tmp_path, method):
    a, m, x = _random_graph(12)
    full = precompute(m, x, 4, method, verbose=False)
    np.testing.assert_array_equal(precompute(m, x, 4, method, include_x=False, verbose=False), full[1:])
    np.testing.assert_array_equal(precompute(m, x, 4, method, include_x=False, block_size=3, verbose=False), full[1:])
    mapped = precompute(m, x, 4, method, include_x=False, path=str(tmp_path / "h.npy"), verbose=False)
    assert mapped.shape == (4,) + x.shape
    np.testing.assert_array_equal(mapped, full[1:])
    with pytest.raises(TypeError, match="include_x"):
        precompute(m, x, 2, method, include_x="no", verbose=False)
    with pytest.raises(ValueError, match="include_x"):
        precompute(m, x, 2, "s2gc", include_x=False, verbose=False)


def test_every_graph_input_gives_the_same_operator():
    import torch
    from torch_geometric.data import Data

    from graphsparse.graph import as_graph

    a, m, x = _random_graph(14, directed=True, weighted=True)
    coo = m.tocoo()
    edge_index = np.stack([coo.row, coo.col])
    weights = coo.data.astype(np.float32)
    expected = propagation_operator(m).to_scipy().toarray()
    data = Data(edge_index=torch.from_numpy(edge_index), edge_weight=torch.from_numpy(weights), num_nodes=m.shape[0])
    before = data.edge_index.clone()
    for graph in (data, as_graph(m), as_graph(edge_index, num_nodes=m.shape[0], edge_weight=weights)):
        np.testing.assert_allclose(propagation_operator(graph).to_scipy().toarray(), expected, rtol=1e-6)
    assert torch.equal(data.edge_index, before)  # the caller's Data is not modified
    unweighted = propagation_operator(edge_index.tolist()).to_scipy().toarray()  # nested lists, flipped
    np.testing.assert_allclose(unweighted, propagation_operator(torch.from_numpy(edge_index)).to_scipy().toarray())


def test_edge_index_node_count_comes_from_the_features():
    edge_index = np.array([[0, 1], [1, 0]])  # node 2 has no edge: max id + 1 would say 2 nodes
    x = np.ones((3, 2), np.float32)
    hops = propagate_hops(edge_index, x, 2, verbose=False)
    assert hops.shape == (3, 3, 2)
    np.testing.assert_array_equal(hops[2, 2], [1.0, 1.0])  # only its self-loop
    assert propagation_operator(edge_index, num_nodes=3).num_nodes == 3


def test_operator_reused_and_torch_features():
    import torch

    _, m, x = _random_graph(13)
    op = propagation_operator(m)
    np.testing.assert_array_equal(propagate_hops(op, torch.from_numpy(x), 2, verbose=False),
                                  propagate_hops(m, x.astype(np.float64), 2, verbose=False))


def test_progress_bar_and_silence(capsys):
    _, m, x = _random_graph(15)
    propagate_hops(m, x, 3, verbose=False)
    assert capsys.readouterr().err == ""
    propagate_hops(m, x, 3, verbose=True)
    assert "hops" in capsys.readouterr().err


def test_sbm_graph_smooths_towards_blocks():
    g = sbm([30, 30], [[0.3, 0.01], [0.01, 0.3]], seed=0)
    x = np.random.default_rng(0).normal(size=(60, 4)).astype(np.float32)
    x[:30] += 1.0
    hops = propagate_hops(g, x, 8, verbose=False)
    spread = [float(np.var(h[:30], 0).mean() + np.var(h[30:], 0).mean()) for h in hops]
    assert spread[-1] < 0.2 * spread[0]  # within-block variance collapses (over-smoothing)


def test_bad_arguments(tmp_path):
    _, m, x = _random_graph(1)
    with pytest.raises(ValueError, match="operator"):
        propagate_hops(m, x, 2, "laplacian")
    with pytest.raises(ValueError, match="rows"):
        propagate_hops(m, x[:5], 2)
    with pytest.raises(ValueError, match="2-D"):
        propagate_hops(m, x[:, 0], 2)
    with pytest.raises(TypeError, match="K"):
        propagate_hops(m, x, 2.5)
    with pytest.raises(ValueError, match="K"):
        propagate_hops(m, x, -1)
    with pytest.raises(ValueError, match="block_size"):
        propagate_hops(m, x, 2, block_size=0)
    with pytest.raises(ValueError, match="out"):
        propagate_hops(m, x, 2, out=np.empty((2, 40, 7), np.float32))
    with pytest.raises(ValueError, match="not both"):
        propagate_hops(m, x, 2, out=np.empty((3, 40, 7), np.float32), path=str(tmp_path / "a.npy"))
    with pytest.raises(ValueError, match=".npy"):
        propagate_hops(m, x, 2, path=str(tmp_path / "a.bin"))
    with pytest.raises(FileNotFoundError, match="path"):
        propagate_hops(m, x, 2, path=str(tmp_path / "missing" / "a.npy"))
    with pytest.raises(ValueError, match="alpha"):
        ppr_hops(m, x, 2, alpha=1.5)
    with pytest.raises(ValueError, match="method"):
        precompute(m, x, 2, "gbp")
    with pytest.raises(ValueError, match="alpha"):
        precompute(m, x, 2, "hops", alpha=0.1)
    with pytest.raises(TypeError, match="x must be numeric"):
        propagate_hops(m, np.array([["a"] * 7] * 40), 2)
    bad = np.array(x, dtype=np.float32)
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="x \\(node features\\) must be finite"):
        propagate_hops(m, bad, 2)
    bad[3, 2] = np.inf
    with pytest.raises(ValueError, match="must be finite"):
        s2gc_features(m, bad, 2)
    assert as_graph(m).num_nodes == 40


@pytest.mark.parametrize("method", ["hops", "ppr", "s2gc"])
def test_the_features_are_never_written(tmp_path, method):
    """Every path (in place, column blocks, memory-mapped, without hop 0) leaves the caller's array alone:
    the C-contiguous float32 features are passed on without a copy, so a kernel writing into them would
    show here (the depth benchmark once overwrote its own features this way)."""
    a, m, x = _random_graph(13)
    x_before = x.copy()
    variants = [dict(), dict(block_size=3)]
    if method != "s2gc":  # S2GC returns one (n, f) matrix: no hop stack to map or trim
        variants += [dict(path=str(tmp_path / f"{method}.npy"), block_size=2), dict(include_x=False)]
    for extra in variants:
        precompute(m, x, 6, method, verbose=False, **extra)
        np.testing.assert_array_equal(x, x_before)
