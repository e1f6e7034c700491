"""Edge identity on Graph (locate, reverse edges, canonical pairs) against a slow Python reference."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphsparse import as_graph


@st.composite
def random_graph(draw, max_nodes=20, max_edges=60):
    """A directed multigraph, or a symmetric one (each drawn edge added in both directions)."""
    n = draw(st.integers(1, max_nodes))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=max_edges))
    symmetric = draw(st.booleans())
    edges = np.array(pairs + ([(d, s) for s, d in pairs] if symmetric else []), dtype=np.int64).reshape(-1, 2).T
    return as_graph(edges, num_nodes=n, directed=None if symmetric else True)


def reference_positions(g):
    src, dst = g.sources().tolist(), g.indices.tolist()
    return {(s, d): e for e, (s, d) in enumerate(zip(src, dst))}


@settings(max_examples=80, deadline=None)
@given(random_graph(), st.data())
def test_locate_reverse_and_pairs_match_reference(g, data):
    where = reference_positions(g)
    src, dst = g.sources().tolist(), g.indices.tolist()
    # reverse edges: the position of (j, i), -1 when absent
    expected_reverse = [where.get((d, s), -1) for s, d in zip(src, dst)]
    np.testing.assert_array_equal(g.reverse_edges(), expected_reverse)
    # canonical representative and pair ids
    canonical = []
    for e, (s, d) in enumerate(zip(src, dst)):
        canonical.append(e if s <= d or (d, s) not in where else where[(d, s)])
    np.testing.assert_array_equal(g.canonical_edges(), canonical)
    reps = sorted(set(canonical))
    np.testing.assert_array_equal(g.pair_ids(), [reps.index(c) for c in canonical])
    # locate on stored and random pairs
    n = g.num_nodes
    k = data.draw(st.integers(0, 30))
    qs = data.draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))
    qd = data.draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))
    qs, qd = qs + src, qd + dst
    np.testing.assert_array_equal(g.locate(qs, qd), [where.get((s, d), -1) for s, d in zip(qs, qd)])


def test_undirected_graph_has_a_true_reverse_map():
    g = as_graph(np.array([[0, 1, 1, 2, 2, 2, 0], [1, 0, 2, 1, 2, 0, 2]]), num_nodes=3)
    assert not g.directed
    rev = g.reverse_edges()
    src, dst = g.sources(), g.indices
    assert np.array_equal(src[rev], dst) and np.array_equal(dst[rev], src)
    assert not np.array_equal(rev, np.arange(g.num_edges))  # not the identity (transpose_perm's meaning)


def test_directed_one_way_edges_have_no_reverse_and_own_pair():
    g = as_graph(np.array([[0, 1, 2], [1, 0, 0]]), num_nodes=3, directed=True)  # 0<->1, 2->0
    assert g.reverse_edges().tolist() == [1, 0, -1]
    assert g.pair_ids().tolist() == [0, 0, 1]


def test_locate_rejects_bad_ids():
    g = as_graph(np.array([[0, 1], [1, 2]]), num_nodes=3)
    with pytest.raises(ValueError, match="src"):
        g.locate([5], [0])
    with pytest.raises(ValueError, match="same length"):
        g.locate([0, 1], [1])


def test_cached_maps_are_read_only():
    g = as_graph(np.array([[0, 1], [1, 0]]), num_nodes=2)
    for array in (g.reverse_edges(), g.canonical_edges(), g.pair_ids()):
        with pytest.raises(ValueError):
            array[0] = 5
    assert g.reverse_edges() is g.reverse_edges()
