"""Operators of graphsparse.directed against dense reference formulas on small random digraphs."""
from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pytest
import scipy.linalg

from graphsparse.directed import operators as dops
from graphsparse.graph import as_graph


def random_digraph(seed: int, n: int = 12, p: float = 0.25, weighted: bool = True):
    """Dense ``A`` with dangling nodes (zero rows), sources (zero columns) and some self-loops."""
    rng = np.random.default_rng(seed)
    mask = rng.random((n, n)) < p
    np.fill_diagonal(mask, False)
    mask[0, :] = False            # node 0 dangling (no out-edge)
    mask[:, 1] = False            # node 1 a source (no in-edge)
    mask[2, 2] = True             # a self-loop
    mask[3, 4] = mask[4, 3] = True  # a reciprocal pair
    mask[5, 6] = True
    weights = rng.uniform(0.5, 2.0, (n, n)) if weighted else np.ones((n, n))
    dense = np.where(mask, weights, 0.0).astype(np.float32).astype(np.float64)
    src, dst = np.nonzero(dense)
    g = as_graph(np.stack([src, dst]), num_nodes=n, edge_weight=dense[src, dst], directed=True)
    return dense, g


def inv_pow(deg, e):
    out = np.zeros_like(deg, dtype=np.float64)
    out[deg > 0] = deg[deg > 0] ** e
    return out


SEEDS = [0, 1, 2]


@pytest.mark.parametrize("seed", SEEDS)
def test_directed_normalize_matches_dense(seed):
    a, g = random_digraph(seed)
    dout, din = a.sum(1), a.sum(0)
    refs = {"dir": np.diag(inv_pow(dout, -0.5)) @ a @ np.diag(inv_pow(din, -0.5)),
            "row": np.diag(inv_pow(dout, -1)) @ a, "col": a @ np.diag(inv_pow(din, -1))}
    for kind, ref in refs.items():
        got = dops.directed_normalize(g, kind).to_scipy().toarray()
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    a_hat, a_hat_t = dops.dir_gcn_adjacency(g)
    np.testing.assert_allclose(a_hat_t.to_scipy().toarray(), refs["dir"].T, rtol=1e-5, atol=1e-6)
    assert (a_hat.weights > 0).all()  # unlike DirGNNConv(GCNConv): no edge is zeroed


def test_directed_normalize_self_loops():
    a, g = random_digraph(3)
    a_loops = a.copy()
    idx = np.arange(a.shape[0])
    a_loops[idx, idx] = np.where(a[idx, idx] > 0, a[idx, idx], 1.0)
    ref = np.diag(inv_pow(a_loops.sum(1), -0.5)) @ a_loops @ np.diag(inv_pow(a_loops.sum(0), -0.5))
    got = dops.directed_normalize(g, "dir", self_loops=True).to_scipy().toarray()
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_symmetrize_modes(seed):
    a, g = random_digraph(seed)
    stored = (a != 0).astype(float) + (a.T != 0).astype(float)  # how many directions are stored
    refs = {"union": ((a + a.T) > 0).astype(float), "sum": a + a.T, "half_sum": (a + a.T) / 2,
            "mean": np.divide(a + a.T, stored, out=np.zeros_like(a), where=stored > 0),
            "max": np.maximum(a, a.T), "mutual": a * a.T}
    for mode, ref in refs.items():
        s = dops.symmetrize(g, mode)
        assert not s.directed
        np.testing.assert_allclose(s.to_scipy().toarray(), ref, rtol=1e-5, err_msg=mode)
    with pytest.raises(ValueError, match="mode"):
        dops.symmetrize(g, "avg")


def test_symmetrize_names_mean_what_graph_symmetrize_means():
    """One meaning per name: a one-way edge of weight 2 is 2 under 'mean' in both APIs, 1 under 'half_sum'."""
    g = as_graph(np.array([[0, 1], [1, 2]]), num_nodes=3, edge_weight=[2.0, 4.0], directed=True)
    for mode in ("sum", "mean", "max"):
        assert dops.symmetrize(g, mode) == g.symmetrize(mode), mode
    assert dops.symmetrize(g, "mean").to_scipy()[0, 1] == 2.0
    assert dops.symmetrize(g, "half_sum").to_scipy()[0, 1] == 1.0
    np.testing.assert_allclose(dops.first_order_proximity(g).to_scipy().toarray(),
                               dops.symmetrize(g, "half_sum").to_scipy().toarray())


def test_reciprocity():
    a, g = random_digraph(0)
    off = a.copy()
    np.fill_diagonal(off, 0)
    both = (off > 0) & (off.T > 0)
    stats = dops.reciprocity(g)
    assert stats["num_self_loops"] == int((np.diag(a) > 0).sum())
    assert stats["num_reciprocal_pairs"] == int(both.sum()) // 2
    assert stats["reciprocity"] == pytest.approx(both.sum() / (off > 0).sum())


@pytest.mark.parametrize("direction", ["in", "out"])
def test_second_order_proximity(direction):
    a, g = random_digraph(1, n=15, p=0.3)
    if direction == "in":
        ref = a.T @ np.diag(inv_pow(a.sum(1), -1)) @ a
    else:
        ref = a @ np.diag(inv_pow(a.sum(0), -1)) @ a.T
    np.fill_diagonal(ref, 0)
    got = dops.second_order_proximity(g, direction).to_scipy().toarray()
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-7)
    # pruning: threshold removes small entries; topk keeps each row's largest entries
    values = np.unique(ref[ref > 0])
    thr = (values[values.size // 2] + values[values.size // 2 - 1]) / 2  # between two values
    pruned = dops.second_order_proximity(g, direction, threshold=thr).to_scipy().toarray()
    np.testing.assert_allclose(pruned, np.where(ref >= thr, ref, 0), rtol=1e-5, atol=1e-7)
    top = dops.second_order_proximity(g, direction, topk=2).to_scipy().toarray()
    for i in range(ref.shape[0]):
        row = ref[i]
        if (row > 0).sum():
            best = np.argsort(-row, kind="stable")[: min(2, int((row > 0).sum()))]
            assert np.all(top[i, best] > 0)
    assert (top <= ref + 1e-6).all() and np.allclose(top, top.T)


def test_digcn_second_order_matches_reference():
    a, g = random_digraph(2, n=10)
    a_loops = a.copy()
    idx = np.arange(10)
    a_loops[idx, idx] = np.where(a[idx, idx] > 0, a[idx, idx], 1.0)
    p = np.diag(1 / a_loops.sum(1)) @ a_loops
    l_in, l_out = p.T @ p, p @ p.T
    l = np.where((l_in != 0) & (l_out != 0), (l_in + l_out) / 2, 0)
    d = inv_pow(l.sum(1), -0.5)
    ref = np.diag(d) @ l @ np.diag(d)
    got = dops.digcn_second_order(g).to_scipy().toarray()
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_perron_vector_dense_google_matrix(seed):
    a, g = random_digraph(seed)
    n, alpha = a.shape[0], 0.15
    p = np.diag(inv_pow(a.sum(1), -1)) @ a
    dangling = a.sum(1) == 0
    p[dangling] = 1.0 / n  # documented rule: dangling mass teleports uniformly
    google = (1 - alpha) * p + alpha / n
    vals, vecs = scipy.linalg.eig(google.T)
    ref = np.abs(vecs[:, np.argmax(vals.real)].real)
    ref /= ref.sum()
    np.testing.assert_allclose(dops.perron_vector(g, alpha), ref, atol=1e-8)


@pytest.mark.parametrize("seed", SEEDS)
def test_digcn_adjacency_matches_dense_reference(seed):
    """The (n+1)-node augmented-chain eigenproblem of DiGCN's code, densely, vs our sparse version."""
    a, g = random_digraph(seed)
    n, alpha = a.shape[0], 0.1
    a_loops = a.copy()
    idx = np.arange(n)
    a_loops[idx, idx] = np.where(a[idx, idx] > 0, a[idx, idx], 1.0)
    p = np.diag(1 / a_loops.sum(1)) @ a_loops
    aug = np.zeros((n + 1, n + 1))
    aug[:n, :n] = (1 - alpha) * p
    aug[n, :n] = 1.0 / n
    aug[:n, n] = alpha
    vals, vecs = scipy.linalg.eig(aug, left=True, right=False)
    pi = vecs[:, np.argmax(vals.real)].real[:n]
    pi = pi / pi.sum()
    s = np.diag(np.sqrt(pi)) @ p @ np.diag(1 / np.sqrt(pi))
    lap = (s + s.T) / 2
    d = inv_pow(lap.sum(1), -0.5)
    ref = np.diag(d) @ lap @ np.diag(d)
    got = dops.digcn_adjacency(g, alpha)
    assert not got.directed
    np.testing.assert_allclose(got.to_scipy().toarray(), ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_ppr_push_within_error_bound(seed):
    a, g = random_digraph(seed)
    n, alpha, eps = a.shape[0], 0.2, 1e-5
    seeds = np.array([0, 2, 5, 7])
    got = dops.ppr_push(g, seeds, alpha, eps=eps).toarray()
    p = np.diag(inv_pow(a.sum(1), -1)) @ a
    dout = a.sum(1)
    for row, s in enumerate(seeds):
        p_s = p.copy()
        p_s[dout == 0, s] = 1.0  # documented rule: dangling nodes return to the seed
        e = np.zeros(n)
        e[s] = 1
        exact = alpha * np.linalg.solve(np.eye(n) - (1 - alpha) * p_s.T, e)
        bound = eps * np.maximum(dout, 1) * 1.0001 + 1e-9
        assert np.all(np.abs(got[row] - exact) <= bound + 1e-12 + eps * n)
        assert np.all(got[row] <= exact + 1e-9)  # push only under-estimates
    top = dops.ppr_push(g, seeds, alpha, eps=eps, topk=3)
    assert np.all(np.diff(top.indptr) <= 3)


def test_ppr_diffusion_column_normalised():
    _, g = random_digraph(0)
    s = dops.ppr_diffusion(g, 0.2, eps=1e-5, topk=None).to_scipy().toarray()
    cols = s.sum(0)
    np.testing.assert_allclose(cols[cols > 0], 1.0, rtol=1e-5)


@pytest.mark.parametrize("q", [0.0, 0.1, 0.25, 0.5])
@pytest.mark.parametrize("normalized", [True, False])
def test_magnetic_laplacian_dense(q, normalized):
    a, g = random_digraph(1)
    n = a.shape[0]
    a_s = (a + a.T) / 2
    theta = 2 * np.pi * q * (a - a.T)
    h = a_s * np.exp(1j * theta)
    d = a_s.sum(1)
    if normalized:
        dd = inv_pow(d, -0.5)
        ref = np.eye(n) - np.diag(dd) @ h @ np.diag(dd)
    else:
        ref = np.diag(d) - h
    real, imag = dops.magnetic_laplacian(g, q, normalized=normalized)
    np.testing.assert_allclose(real.toarray(), ref.real, atol=1e-5)
    np.testing.assert_allclose(imag.toarray(), ref.imag, atol=1e-5)
    np.testing.assert_allclose(real.toarray(), real.toarray().T, atol=1e-6)
    np.testing.assert_allclose(imag.toarray(), -imag.toarray().T, atol=1e-6)
    if q == 0:
        assert imag.nnz == 0
    lam = dops.magnetic_lambda_max(real, imag)
    assert lam == pytest.approx(np.linalg.eigvalsh(ref).max(), rel=1e-4)
    sr, si = dops.magnetic_laplacian(g, q, normalized=normalized, scaled=True, lambda_max=lam)
    np.testing.assert_allclose(sr.toarray(), 2 * ref.real / lam - np.eye(n), atol=1e-5)
    np.testing.assert_allclose(si.toarray(), 2 * ref.imag / lam, atol=1e-5)


def test_directed_homophily_dense():
    a, g = random_digraph(0, n=14, p=0.3, weighted=False)
    y = np.random.default_rng(0).integers(0, 3, 14)
    stats = dops.directed_homophily(g, y)
    same = (y[:, None] == y[None, :]).astype(float)
    off = a * (1 - np.eye(14))
    assert stats["A"] == pytest.approx((off * same).sum() / off.sum())
    for name, m in (("AA^T", a @ a.T), ("A^TA", a.T @ a)):
        m = m * (1 - np.eye(14))
        assert stats[name] == pytest.approx((m * same).sum() / m.sum()), name
    frac = [(off[i] * same[i]).sum() / off[i].sum() for i in range(14) if off[i].sum()]
    assert stats["node_out"] == pytest.approx(np.mean(frac))
    comp = dops.compatibility_matrix(g, y)
    np.testing.assert_allclose(comp.sum(1)[np.bincount(y, minlength=3) > 0], 1.0)
    with pytest.raises(ValueError, match="y must"):
        dops.directed_homophily(g, y[:5])
    with pytest.raises(TypeError, match="integer"):
        dops.directed_homophily(g, y.astype(float))


def test_scc_dag_helpers():
    a, g = random_digraph(2, n=20, p=0.08)
    nxg = nx.DiGraph(a)
    count, labels = dops.strongly_connected_components(g)
    assert count == nx.number_strongly_connected_components(nxg)
    for comp in nx.strongly_connected_components(nxg):
        assert len(set(labels[list(comp)])) == 1
    assert dops.is_dag(g) == nx.is_directed_acyclic_graph(nxg)
    dag, _ = dops.condensation(g)
    assert dops.is_dag(dag)
    mask = dops.dag_edge_mask(g)
    sub = g.filter_edges(mask)
    assert dops.is_dag(sub)
    order = dops.topological_order(sub)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    assert np.all(rank[sub.sources()] < rank[sub.indices])
    cyc = as_graph(np.array([[0, 1, 2], [1, 2, 0]]), directed=True)
    assert not dops.is_dag(cyc)
    with pytest.raises(ValueError, match="cycle"):
        dops.topological_order(cyc)


def test_flip_edges():
    _, g = random_digraph(0)
    assert dops.flip_edges(g, 0.0, random_state=0) == g
    flipped = dops.flip_edges(g, 1.0, random_state=0)
    np.testing.assert_allclose(flipped.to_scipy().toarray(), g.to_scipy().toarray().T)


# ----------------------------------------------------------------------------------- bad input
def test_bad_parameters():
    _, g = random_digraph(0)
    for q in (-0.1, 0.51, float("nan")):
        with pytest.raises(ValueError, match="q must lie in"):
            dops.magnetic_laplacian(g, q)
    for alpha in (0.0, 1.0, -0.2, 1.5):
        with pytest.raises(ValueError, match="alpha must lie in"):
            dops.perron_vector(g, alpha)
        with pytest.raises(ValueError, match="alpha must lie in"):
            dops.digcn_adjacency(g, alpha)
        with pytest.raises(ValueError, match="alpha must lie in"):
            dops.ppr_push(g, [0], alpha)
    with pytest.raises(TypeError):
        dops.magnetic_laplacian(g, "0.25")
    with pytest.raises(ValueError, match="kind"):
        dops.directed_normalize(g, "sym")
    with pytest.raises(ValueError, match="node id"):
        dops.ppr_push(g, [99])
    with pytest.raises(ValueError, match="topk"):
        dops.second_order_proximity(g, topk=0)
    with pytest.raises(ValueError, match="personalization"):
        dops.perron_vector(g, personalization=np.ones(3))


def test_empty_graphs_refused():
    edgeless = as_graph(np.zeros((2, 0), dtype=np.int64), num_nodes=5)
    for fn in (dops.magnetic_laplacian, dops.digcn_adjacency, dops.perron_vector, dops.reciprocity,
               dops.directed_normalize, dops.strongly_connected_components):
        with pytest.raises(ValueError, match="no edges"):
            fn(edgeless)
    with pytest.raises(ValueError):
        dops.magnetic_laplacian(as_graph(np.zeros((2, 0), dtype=np.int64), num_nodes=0))


def test_undirected_input_warns_but_proceeds():
    und = as_graph(np.array([[0, 1, 1, 2], [1, 0, 2, 1]]))
    assert not und.directed
    with pytest.warns(dops.UndirectedGraphWarning, match="undirected"):
        real, imag = dops.magnetic_laplacian(und, 0.25)
    assert imag.nnz == 0  # the undirected special case: the ordinary normalised Laplacian
    with pytest.warns(dops.UndirectedGraphWarning):
        dops.digcn_adjacency(und)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dops.directed_normalize(und)  # normalisations are fine on any graph: no warning
