"""Generators: determinism, sizes, policies (no loops/duplicates), degree skew, homophily, closure."""
from __future__ import annotations

import time

import numpy as np
import pytest

from graphsparse import Graph
from graphsparse.datasets import _kernels, contextual_sbm, random_split_masks, rmat, sbm, temporal_graph


def _keys(g: Graph) -> np.ndarray:
    return g.sources() * g.num_nodes + g.indices.astype(np.int64)


def _check_csr(g: Graph):
    """Structural invariants the backend relies on: ids in range, sorted and coalesced rows."""
    assert g.indices.min(initial=0) >= 0 and g.indices.max(initial=-1) < g.num_nodes
    keys = _keys(g)
    assert np.all(np.diff(keys) > 0), "rows must be sorted and duplicate-free"


# ----------------------------------------------------------------------------------- R-MAT
def _py_splitmix64(z: int) -> int:
    mask = (1 << 64) - 1
    z = (z + 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return z ^ (z >> 31)


def _py_rmat_key(key, edge, scale, num_nodes, a, ab, abc, directed, self_loops):
    """Slow, obvious reference of one R-MAT draw (same counter-based RNG as the kernel)."""
    attempt = 0
    while True:
        src = dst = 0
        for level in range(scale):
            counter = ((edge * 64 + attempt) * 64 + level) & ((1 << 64) - 1)
            r = (_py_splitmix64(key ^ _py_splitmix64(counter)) >> 11) * 2.0**-53
            bit = 1 << (scale - 1 - level)
            if r < a:
                pass
            elif r < ab:
                dst |= bit
            elif r < abc:
                src |= bit
            else:
                src |= bit
                dst |= bit
        attempt += 1
        if src >= num_nodes or dst >= num_nodes or (src == dst and not self_loops):
            continue
        break
    if not directed and src > dst:
        src, dst = dst, src
    return src * num_nodes + dst


@pytest.mark.parametrize("directed,self_loops,num_nodes", [(True, False, 100), (False, True, 64), (True, True, 37)])
def test_rmat_kernel_matches_slow_reference(directed, self_loops, num_nodes):
    key, scale = 123456789, int(np.ceil(np.log2(num_nodes)))
    got = _kernels.rmat_keys(np.uint64(key), 5, 40, scale, num_nodes, 0.57, 0.76, 0.95, directed, self_loops)
    want = [_py_rmat_key(key, 5 + i, scale, num_nodes, 0.57, 0.76, 0.95, directed, self_loops) for i in range(40)]
    assert got.tolist() == want


def test_rmat_quadrant_frequencies():
    """The top bit level follows (a, b, c, d): the law of R-MAT itself, before any dedup."""
    a, b, c = 0.5, 0.2, 0.1
    scale, n = 10, 1024
    keys = _kernels.rmat_keys(np.uint64(7), 0, 200_000, scale, n, a, a + b, a + b + c, True, True)
    src_top, dst_top = (keys // n) >> (scale - 1), (keys % n) >> (scale - 1)
    freq = [np.mean((src_top == s) & (dst_top == d)) for s, d in ((0, 0), (0, 1), (1, 0), (1, 1))]
    np.testing.assert_allclose(freq, [a, b, c, 1 - a - b - c], atol=0.005)


@pytest.mark.parametrize("directed", [True, False])
def test_rmat_sizes_policy_and_range(directed):
    g = rmat(1000, 6000, seed=3, directed=directed)  # 1000 is not a power of two
    assert g.num_nodes == 1000 and g.directed == directed
    _check_csr(g)
    assert not np.any(g.sources() == g.indices), "no self-loops by default"
    assert g.num_edges == (6000 if directed else 12000)
    if not directed:
        assert g.is_symmetric()


def test_rmat_self_loops_allowed_and_counted():
    g = rmat(32, 200, seed=0, directed=False, self_loops=True, permute=False)
    loops = int(np.sum(g.sources() == g.indices))
    assert loops > 0
    assert g.num_edges == 2 * 200 - loops  # a self-loop is stored once


def test_rmat_deterministic_and_seed_sensitive():
    g1, g2, g3 = rmat(500, 3000, seed=11), rmat(500, 3000, seed=11), rmat(500, 3000, seed=12)
    assert g1 == g2
    assert g1 != g3
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    assert rmat(500, 3000, seed=rng_a) == rmat(500, 3000, seed=rng_b)


def test_rmat_degree_skew_vs_uniform():
    """Graph500 parameters give hubs; a = b = c = d = 1/4 is Erdos-Renyi-like."""
    skewed = rmat(4096, 40_000, seed=1)
    uniform = rmat(4096, 40_000, a=0.25, b=0.25, c=0.25, seed=1)
    mean = 40_000 / 4096
    assert skewed.out_degree().max() > 8 * mean
    assert uniform.out_degree().max() < 3 * mean
    # heavy tail: the top 1% of nodes hold far more of the edges under R-MAT
    top = lambda g: np.sort(g.out_degree())[-41:].sum() / g.num_edges  # noqa: E731
    assert top(skewed) > 3 * top(uniform)


def test_rmat_permute_false_puts_hubs_at_low_ids():
    g = rmat(1024, 10_000, seed=2, permute=False)
    deg = g.out_degree() + g.in_degree()
    assert deg[0] == deg.max()
    # same seed: the permuted graph is a relabelling of the raw one (same joint degree multiset)
    g_perm = rmat(1024, 10_000, seed=2, permute=True)
    pairs = lambda h: sorted(zip(h.out_degree().tolist(), h.in_degree().tolist()))  # noqa: E731
    assert pairs(g_perm) == pairs(g)
    assert np.argmax(g_perm.out_degree() + g_perm.in_degree()) != 0


def test_rmat_near_complete_graph():
    n = 20
    g = rmat(n, n * (n - 1), seed=0)  # every ordered pair: only possible by exhausting duplicates
    assert g.num_edges == n * (n - 1)
    _check_csr(g)


def test_rmat_zero_edges_and_tiny():
    g = rmat(5, 0, seed=0)
    assert g.num_edges == 0 and g.num_nodes == 5
    g = rmat(2, 1, seed=0, directed=False)
    assert g.num_edges == 2


@pytest.mark.slow
def test_rmat_1m_nodes_10m_edges_under_a_minute():
    start = time.perf_counter()
    g = rmat(1_000_000, 10_000_000, seed=0)
    elapsed = time.perf_counter() - start
    assert g.num_edges == 10_000_000 and g.num_nodes == 1_000_000
    assert elapsed < 60, f"rmat 1M/10M took {elapsed:.1f} s"
    assert np.all(np.diff(g.indptr) >= 0) and g.indices.max() < 1_000_000


# ------------------------------------------------------------------------------------- SBM
def test_sbm_complete_and_empty_blocks_exact():
    g, labels = sbm([3, 4], [[1.0, 0.0], [0.0, 1.0]], seed=0, return_labels=True)
    assert labels.tolist() == [0, 0, 0, 1, 1, 1, 1]
    dense = g.to_scipy().toarray()
    expected = np.zeros((7, 7))
    expected[:3, :3] = 1
    expected[3:, 3:] = 1
    np.fill_diagonal(expected, 0)
    np.testing.assert_array_equal(dense, expected)
    g = sbm([3, 4], [[1.0, 1.0], [1.0, 1.0]], directed=True, self_loops=True, seed=0)
    assert g.num_edges == 49


def test_sbm_block_densities_match_probabilities():
    probs = np.array([[0.30, 0.02, 0.05], [0.10, 0.20, 0.01], [0.0, 0.04, 0.5]])
    sizes = [60, 80, 50]
    g, labels = sbm(sizes, probs, directed=True, seed=4, return_labels=True)
    _check_csr(g)
    src, dst = g.sources(), g.indices
    for k in range(3):
        for l in range(3):
            pairs = sizes[k] * sizes[l] - (sizes[k] if k == l else 0)
            count = np.sum((labels[src] == k) & (labels[dst] == l))
            sd = np.sqrt(pairs * probs[k, l] * (1 - probs[k, l]))
            assert abs(count - pairs * probs[k, l]) <= 5 * sd + 1, (k, l, count, pairs * probs[k, l])


def test_sbm_undirected_is_symmetric_and_deterministic():
    args = ([40, 40], [[0.2, 0.05], [0.05, 0.2]])
    g1, g2 = sbm(*args, seed=9), sbm(*args, seed=9)
    assert g1 == g2 and g1.is_symmetric() and not g1.directed
    assert g1 != sbm(*args, seed=10)
    _check_csr(g1)
    assert not np.any(g1.sources() == g1.indices)


def test_sbm_edge_count_unbiased_over_seeds():
    """Geometric skipping draws independent Bernoulli trials: the mean count matches p * pairs."""
    p, n = 0.07, 50
    counts = [sbm([n], p, directed=True, seed=s).num_edges for s in range(200)]
    pairs = n * (n - 1)
    assert abs(np.mean(counts) - p * pairs) < 4 * np.sqrt(pairs * p * (1 - p) / 200)
    assert abs(np.var(counts) / (pairs * p * (1 - p)) - 1) < 0.35


def test_block_pair_kernel_against_positions():
    rows, cols = _kernels.block_pair_edges(10, 5, 20, 6, 1.0, False, False, 0)
    assert list(zip(rows.tolist(), cols.tolist())) == [(10 + i, 20 + j) for i in range(5) for j in range(6)]
    rows, cols = _kernels.block_pair_edges(0, 4, 0, 4, 1.0, True, False, 0)
    assert list(zip(rows.tolist(), cols.tolist())) == [(i, j) for i in range(4) for j in range(4) if i < j]


# ---------------------------------------------------------------------------- contextual SBM
def _edge_homophily(data) -> float:
    src, dst = data.edge_index.numpy()
    y = data.y.numpy()
    return float(np.mean(y[src] == y[dst]))


def test_contextual_sbm_shapes_masks_and_determinism():
    data = contextual_sbm(num_nodes=300, num_classes=3, avg_degree=8, num_features=5, seed=0)
    assert data.x.shape == (300, 5) and data.x.dtype.is_floating_point
    assert data.y.shape == (300,) and sorted(np.bincount(data.y.numpy()).tolist()) == [100, 100, 100]
    masks = np.stack([data.train_mask.numpy(), data.val_mask.numpy(), data.test_mask.numpy()])
    assert np.all(masks.sum(0) == 1), "masks are disjoint and cover every node"
    assert masks.sum(1).tolist() == [180, 60, 60]
    assert data.directed is False and data.is_undirected()
    assert data.edge_index.max() < 300 and data.edge_index.min() >= 0
    again = contextual_sbm(num_nodes=300, num_classes=3, avg_degree=8, num_features=5, seed=0)
    for key in ("x", "y", "edge_index", "train_mask"):
        assert (data[key] == again[key]).all()
    other = contextual_sbm(num_nodes=300, num_classes=3, avg_degree=8, num_features=5, seed=1)
    assert not (data.y == other.y).all()


@pytest.mark.parametrize("homophily", [0.1, 0.5, 0.9])
def test_contextual_sbm_homophily_and_degree(homophily):
    data = contextual_sbm(num_nodes=2000, num_classes=2, avg_degree=10, homophily=homophily, seed=3)
    assert abs(_edge_homophily(data) - homophily) < 0.03
    assert abs(data.edge_index.size(1) / 2000 - 10) < 0.6


def test_contextual_sbm_homophily_direction_directed():
    low = contextual_sbm(num_nodes=1000, num_classes=4, homophily=0.05, directed=True, seed=1)
    high = contextual_sbm(num_nodes=1000, num_classes=4, homophily=0.95, directed=True, seed=1)
    assert _edge_homophily(low) < 0.1 < 0.9 < _edge_homophily(high)
    assert low.directed is True


def test_contextual_sbm_feature_signal():
    """Class means sit ``feature_signal`` apart in norm; zero signal gives indistinguishable classes."""
    strong = contextual_sbm(num_nodes=4000, num_classes=2, num_features=8, feature_signal=3.0, seed=2)
    none = contextual_sbm(num_nodes=4000, num_classes=2, num_features=8, feature_signal=0.0, seed=2)
    for data, expected in ((strong, 3.0), (none, 0.0)):
        x, y = data.x.numpy(), data.y.numpy()
        norms = [np.linalg.norm(x[y == k].mean(0)) for k in range(2)]
        assert np.allclose(norms, expected, atol=0.15)


def test_random_split_masks_fractions():
    train, val, test = random_split_masks(10, 0.5, 0.3, seed=0)
    assert (int(train.sum()), int(val.sum()), int(test.sum())) == (5, 3, 2)


# ---------------------------------------------------------------------------- temporal graph
def test_temporal_graph_basic_properties():
    data = temporal_graph(num_nodes=200, num_events=5000, msg_dim=4, seed=0)
    src, dst, t = data.src.numpy(), data.dst.numpy(), data.t.numpy()
    assert src.shape == dst.shape == t.shape == (5000,)
    assert np.all(np.diff(t) >= 0) and t.dtype == np.int64
    assert src.min() >= 0 and max(src.max(), dst.max()) < 200
    assert not np.any(src == dst)
    assert data.msg.shape == (5000, 4)
    again = temporal_graph(num_nodes=200, num_events=5000, msg_dim=4, seed=0)
    assert (data.src == again.src).all() and (data.t == again.t).all() and (data.msg == again.msg).all()
    assert not (temporal_graph(num_nodes=200, num_events=5000, seed=1).src == data.src).all()


def test_temporal_graph_closure_events_close_triangles():
    """Slow reference: every event marked as a closure joins u to a partner of one of u's partners."""
    memory = 4
    data = temporal_graph(num_nodes=100, num_events=3000, closure_prob=0.5, memory=memory, seed=5)
    src, dst, kind = data.src.numpy(), data.dst.numpy(), data.kind.numpy()
    recent = {u: [] for u in range(100)}
    n_closure = 0
    for u, v, k in zip(src.tolist(), dst.tolist(), kind.tolist()):
        if k == 1:
            n_closure += 1
            assert any(v in recent[w] for w in recent[u]), "closure event without a 2-path"
        elif k == 2:
            assert v in recent[u], "repeat event with a new partner"
        recent[u] = (recent[u] + [v])[-memory:]
        recent[v] = (recent[v] + [u])[-memory:]
    assert n_closure > 500


def test_temporal_graph_closure_prob_raises_triangle_events():
    def closed_fraction(closure_prob):
        data = temporal_graph(num_nodes=300, num_events=6000, closure_prob=closure_prob, repeat_prob=0.0, seed=2)
        return float(np.mean(data.kind.numpy() == 1))

    assert closed_fraction(0.0) == 0.0
    assert closed_fraction(0.6) > 0.4


def test_temporal_graph_block_structure():
    data = temporal_graph(num_nodes=400, num_events=8000, num_blocks=4, p_intra=1.0, closure_prob=0.0,
                          repeat_prob=0.0, seed=3)
    block = np.repeat(np.arange(4), 100)
    assert np.all(block[data.src.numpy()] == block[data.dst.numpy()])
