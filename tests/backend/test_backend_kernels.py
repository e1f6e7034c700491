"""Every backend kernel against a slow, obvious reference, on fixed and random graphs."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphsparse import Graph, as_graph, gather_rows, kernels, spmm
from graphsparse.ops import degree_power, normalized_weights


# ------------------------------------------------------------------ slow references
def dense_of(g: Graph) -> np.ndarray:
    """Dense adjacency by an explicit Python loop over the CSR arrays."""
    a = np.zeros((g.num_nodes, g.num_nodes), dtype=np.float64)
    w = g.edge_weights()
    for i in range(g.num_nodes):
        for e in range(g.indptr[i], g.indptr[i + 1]):
            a[i, g.indices[e]] += w[e]
    return a


def reference_coo(n, rows, cols, weights, reduce="sum"):
    a = np.zeros((n, n))
    seen = np.zeros((n, n), dtype=bool)
    for r, c, w in zip(rows, cols, weights):
        if reduce == "max" and seen[r, c]:
            a[r, c] = max(a[r, c], w)
        else:
            a[r, c] += w
        seen[r, c] = True
    return a, seen


@st.composite
def random_coo(draw, max_nodes=25, max_edges=80):
    n = draw(st.integers(1, max_nodes))
    m = draw(st.integers(0, max_edges))
    rows = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    cols = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    weights = draw(st.lists(st.floats(-4, 4, allow_nan=False, width=32), min_size=m, max_size=m))
    return n, np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(weights, dtype=np.float32)


def build(n, rows, cols, weights, reduce="sum"):
    return as_graph(np.stack([rows, cols]), num_nodes=n, edge_weight=weights, directed=True, reduce=reduce)


# ------------------------------------------------------------------ construction and coalescing
@settings(max_examples=60, deadline=None)
@given(random_coo(), st.sampled_from(["sum", "max"]))
def test_coalesce_matches_reference(coo, reduce):
    n, rows, cols, weights = coo
    g = build(n, rows, cols, weights, reduce)
    expected, pattern = reference_coo(n, rows, cols, weights, reduce)
    assert g.num_edges == int(pattern.sum())
    np.testing.assert_allclose(dense_of(g), expected, rtol=1e-5, atol=1e-5)
    for i in range(n):  # rows sorted, no duplicates
        row = g.indices[g.indptr[i]:g.indptr[i + 1]]
        assert np.all(np.diff(row) > 0)


@settings(max_examples=60, deadline=None)
@given(random_coo())
def test_transpose_and_symmetrize(coo):
    n, rows, cols, weights = coo
    g = build(n, rows, cols, np.abs(weights) + 0.5)
    a = dense_of(g)
    t = g.transpose()
    np.testing.assert_allclose(dense_of(t), a.T, rtol=1e-6)
    np.testing.assert_array_equal(t.weights, g.weights[g.transpose_perm()])
    assert g.transpose() is t  # cached
    s = g.symmetrize("max")
    np.testing.assert_allclose(dense_of(s), np.maximum(a, a.T), rtol=1e-6)
    assert not s.directed and s.is_symmetric()
    np.testing.assert_allclose(dense_of(g.symmetrize("sum")), a + a.T, rtol=1e-5)


@settings(max_examples=60, deadline=None)
@given(random_coo(), st.integers(1, 9))
def test_spmm_variants_match_dense(coo, d):
    n, rows, cols, weights = coo
    g = build(n, rows, cols, weights)
    rng = np.random.default_rng(len(rows))
    x = rng.standard_normal((n, d)).astype(np.float32)
    a = dense_of(g)
    np.testing.assert_allclose(spmm(g, x), a @ x, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(spmm(g, x, transpose=True), a.T @ x, rtol=1e-4, atol=1e-4)
    r, c = rng.random(n).astype(np.float32), rng.random(n).astype(np.float32)
    np.testing.assert_allclose(spmm(g, x, row_scale=r, col_scale=c), np.diag(r) @ a @ np.diag(c) @ x,
                               rtol=1e-4, atol=1e-4)
    unweighted = Graph(g.indptr, g.indices, None, n, True)
    np.testing.assert_allclose(spmm(unweighted, x), (a != 0).astype(float) @ x * 0 + dense_of(unweighted) @ x,
                               rtol=1e-4, atol=1e-4)


def test_spmm_writes_into_out_and_rejects_bad_out():
    g = build(3, np.array([0, 1, 2]), np.array([1, 2, 0]), np.array([1, 2, 3], np.float32))
    x = np.eye(3, dtype=np.float32)
    out = np.full((3, 3), 7.0, dtype=np.float32)
    result = spmm(g, x, out=out)
    assert result is out
    np.testing.assert_allclose(out, dense_of(g))
    with pytest.raises(ValueError, match="out"):
        spmm(g, x, out=np.empty((3, 2), np.float32))
    with pytest.raises(TypeError, match="float32"):
        spmm(g, x.astype(np.float64))
    with pytest.raises(ValueError, match="rows"):
        spmm(g, np.eye(4, dtype=np.float32))
    with pytest.raises(ValueError, match="overlap"):
        spmm(g, x, out=x)


@settings(max_examples=40, deadline=None)
@given(random_coo())
def test_degrees(coo):
    n, rows, cols, weights = coo
    g = build(n, rows, cols, weights)
    a = dense_of(g)
    pattern = np.zeros((n, n), dtype=bool)
    pattern[rows, cols] = True
    np.testing.assert_array_equal(g.out_degree(), pattern.sum(1))
    np.testing.assert_array_equal(g.in_degree(), pattern.sum(0))
    np.testing.assert_allclose(g.out_degree(weighted=True), a.sum(1), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(g.in_degree(weighted=True), a.sum(0), rtol=1e-5, atol=1e-5)


@settings(max_examples=40, deadline=None)
@given(random_coo())
def test_scaling_and_normalized_weights(coo):
    n, rows, cols, weights = coo
    g = build(n, rows, cols, np.abs(weights) + 0.1)
    rng = np.random.default_rng(0)
    scale = rng.random(n).astype(np.float32)
    out = np.empty(g.num_edges, np.float32)
    kernels.scale_rows(g.indptr, g.weights, scale, out)
    np.testing.assert_allclose(out, g.weights * scale[g.sources()], rtol=1e-6)
    kernels.scale_cols(g.indices, g.weights, scale, out)
    np.testing.assert_allclose(out, g.weights * scale[g.indices], rtol=1e-6)
    a = dense_of(g)
    dout, din = a.sum(1), a.sum(0)
    inv = lambda d: np.where(d > 0, 1 / np.sqrt(np.where(d > 0, d, 1)), 0)  # noqa: E731
    expected = np.diag(inv(dout)) @ a @ np.diag(inv(din))
    g_norm = g.with_weights(normalized_weights(g, -0.5, -0.5))
    np.testing.assert_allclose(dense_of(g_norm), expected, rtol=1e-4, atol=1e-6)


def test_degree_power_zero_degree():
    np.testing.assert_array_equal(degree_power(np.array([0.0, 4.0, 1.0]), -0.5), [0.0, 0.5, 1.0])


@settings(max_examples=40, deadline=None)
@given(random_coo(), st.floats(-2, 2, allow_nan=False))
def test_self_loops(coo, fill):
    n, rows, cols, weights = coo
    g = build(n, rows, cols, weights)
    a = dense_of(g)
    no_loops = g.remove_self_loops()
    expected = a.copy()
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(dense_of(no_loops), expected, rtol=1e-6)
    assert not np.any(no_loops.sources() == no_loops.indices)
    with_loops = g.add_self_loops(fill)
    pattern = np.zeros((n, n), dtype=bool)
    pattern[rows, cols] = True
    expected = a.copy()
    for i in range(n):
        if not pattern[i, i]:
            expected[i, i] = np.float32(fill)
    np.testing.assert_allclose(dense_of(with_loops), expected, rtol=1e-6, atol=1e-6)
    assert with_loops.num_edges == g.num_edges + int((~pattern.diagonal()).sum())
    for i in range(n):
        row = with_loops.indices[with_loops.indptr[i]:with_loops.indptr[i + 1]]
        assert np.all(np.diff(row) > 0)


@settings(max_examples=40, deadline=None)
@given(random_coo(), st.data())
def test_filter_edges_and_subgraph(coo, data):
    n, rows, cols, weights = coo
    g = build(n, rows, cols, weights)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=g.num_edges, max_size=g.num_edges)), dtype=bool)
    kept = g.filter_edges(mask)
    a = dense_of(g)
    expected = np.zeros_like(a)
    src = g.sources()
    for e in np.flatnonzero(mask):
        expected[src[e], g.indices[e]] = g.weights[e]
    np.testing.assert_allclose(dense_of(kept), expected)
    nodes = np.array(data.draw(st.permutations(list(range(n))))[: data.draw(st.integers(0, n))], dtype=np.int64)
    sub = g.subgraph(nodes)
    np.testing.assert_allclose(dense_of(sub), a[np.ix_(nodes, nodes)], rtol=1e-6)


@settings(max_examples=30, deadline=None)
@given(random_coo())
def test_mutual_mask(coo):
    n, rows, cols, weights = coo
    g = build(n, rows, cols, weights)
    pattern = np.zeros((n, n), dtype=bool)
    pattern[rows, cols] = True
    mask = kernels.mutual_mask(g.indptr, g.indices)
    np.testing.assert_array_equal(mask, pattern[g.indices, g.sources()])


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int64, np.float64])
def test_gather_rows(dtype, rng):
    table = (rng.standard_normal((50, 7)) * 10).astype(dtype)
    index = rng.integers(0, 50, 200)
    np.testing.assert_array_equal(gather_rows(table, index), table[index])
    out = np.empty((200, 7), dtype=dtype)
    assert gather_rows(table, index, out=out) is out
    assert gather_rows(table, np.array([], dtype=np.int64)).shape == (0, 7)
    with pytest.raises(ValueError, match="index"):
        gather_rows(table, [50])
    with pytest.raises(ValueError, match="negative"):
        gather_rows(table, [-1])
    with pytest.raises(TypeError, match="index"):
        gather_rows(table, [1.5])


def test_large_indptr_values_are_int64():
    """indptr is int64 whatever the input, so offsets beyond 2**31 are representable."""
    g = build(3, np.array([0, 1]), np.array([1, 2]), np.ones(2, np.float32))
    assert g.indptr.dtype == np.int64 and g.indices.dtype == np.int32
    big = np.array([0, 2**31 + 5], dtype=np.int64)
    rows = kernels.expand_rows(np.array([0, 0, 3], dtype=np.int64))
    np.testing.assert_array_equal(rows, [1, 1, 1])
    assert kernels.out_degree(big)[0] == 2**31 + 5


def test_symmetrize_sum_unweighted_counts_reciprocal_pairs():
    g = as_graph(np.array([[0, 1, 1], [1, 0, 2]]), num_nodes=3)
    s = g.symmetrize("sum")
    np.testing.assert_array_equal(s.to_scipy().toarray(), [[0, 2, 0], [2, 0, 1], [0, 1, 0]])
    assert g.symmetrize("max").weights is None


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("scaled", [False, True])
def test_spmm_every_row_length(weighted, scaled):
    """The four-edges-at-a-time product (and its 0-3 edge remainder) equals a float64 dense product
    on rows of every length 0..11, with and without weights and fused row / column scales."""
    import scipy.sparse as sp

    rng = np.random.default_rng(7)
    n, width = 40, 13
    rows = np.repeat(np.arange(12), np.arange(12))  # row r holds r edges (duplicates merge)
    cols = rng.integers(0, n, size=rows.size)
    weights = rng.uniform(0.5, 2.0, size=rows.size) if weighted else None
    graph = as_graph(np.vstack([rows, cols]), num_nodes=n, edge_weight=weights, directed=True)
    dense_adj = sp.csr_matrix(((graph.weights if graph.weights is not None else np.ones(graph.indices.size)),
                               graph.indices, graph.indptr), shape=(n, n)).toarray()
    x = rng.standard_normal((n, width)).astype(np.float32)
    if scaled:
        row_scale = rng.uniform(0.1, 2.0, n).astype(np.float32)
        col_scale = rng.uniform(0.1, 2.0, n).astype(np.float32)
        got = spmm(graph, x, row_scale=row_scale, col_scale=col_scale)
        expected = np.diag(row_scale.astype(np.float64)) @ dense_adj @ np.diag(col_scale.astype(np.float64)) @ x
    else:
        got = spmm(graph, x)
        expected = dense_adj @ x.astype(np.float64)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
