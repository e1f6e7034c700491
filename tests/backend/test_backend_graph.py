"""The Graph container: coercion from every accepted input, conversions back, save/load, bad input."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch_geometric.data import Data

from graphsparse import Graph, as_graph

EDGES = np.array([[0, 1, 1, 2, 3], [1, 0, 2, 3, 0]])
WEIGHTS = np.array([1.0, 2.0, 3.0, 4.0, 5.0], dtype=np.float32)


def dense(g: Graph) -> np.ndarray:
    return g.to_scipy().toarray()


def expected_dense():
    a = np.zeros((4, 4), dtype=np.float32)
    a[EDGES[0], EDGES[1]] = WEIGHTS
    return a


@pytest.mark.parametrize("make", [
    lambda: EDGES,
    lambda: torch.from_numpy(EDGES),
    lambda: EDGES.tolist(),
])
def test_edge_index_inputs(make):
    g = as_graph(make(), edge_weight=WEIGHTS)
    assert g.directed and g.num_nodes == 4 and g.num_edges == 5
    np.testing.assert_array_equal(dense(g), expected_dense())


def test_scipy_inputs_roundtrip():
    a = expected_dense()
    for matrix in (sp.csr_matrix(a), sp.coo_matrix(a), sp.csr_array(a), sp.csc_matrix(a)):
        g = as_graph(matrix)
        np.testing.assert_array_equal(dense(g), a)
    unweighted = as_graph(sp.csr_matrix((a != 0).astype(np.float32)))
    assert unweighted.weights is None


def test_pyg_data_roundtrip_keeps_weights():
    data = Data(edge_index=torch.from_numpy(EDGES), edge_weight=torch.from_numpy(WEIGHTS), num_nodes=6)
    g = as_graph(data)
    assert g.num_nodes == 6  # isolated nodes kept
    back = g.to_pyg()
    assert back.num_nodes == 6
    g2 = as_graph(back)
    assert g2 == g
    data_attr = Data(edge_index=torch.from_numpy(EDGES), edge_attr=torch.from_numpy(WEIGHTS)[:, None], num_nodes=4)
    np.testing.assert_array_equal(dense(as_graph(data_attr)), expected_dense())


def test_networkx_roundtrip():
    g = as_graph(EDGES, edge_weight=WEIGHTS)
    nxg = g.to_networkx()
    assert isinstance(nxg, nx.DiGraph) and nxg.number_of_edges() == 5
    assert as_graph(nxg) == g
    und = nx.karate_club_graph()
    gu = as_graph(und)
    assert not gu.directed and gu.num_edges == 2 * und.number_of_edges()
    assert isinstance(gu.to_networkx(), nx.Graph)


def test_torch_sparse_inputs():
    a = expected_dense()
    t = torch.from_numpy(a)
    for tensor in (t.to_sparse(), t.to_sparse_csr()):
        np.testing.assert_array_equal(dense(as_graph(tensor)), a)
    np.testing.assert_array_equal(as_graph(EDGES, edge_weight=WEIGHTS).to_torch_csr().to_dense().numpy(), a)


def test_direction_inference_and_symmetrisation():
    sym = np.array([[0, 1, 1, 2], [1, 0, 2, 1]])
    assert not as_graph(sym).directed
    assert as_graph(EDGES).directed
    und = as_graph(EDGES, directed=False)
    assert not und.directed and und.is_symmetric()
    a = (expected_dense() != 0).astype(float)
    np.testing.assert_array_equal(dense(und) != 0, (a + a.T) != 0)


def test_duplicates_are_coalesced():
    edges = np.array([[0, 0, 1], [1, 1, 0]])
    assert as_graph(edges, edge_weight=[1.0, 2.0, 3.0]).to_scipy()[0, 1] == 3.0
    assert as_graph(edges, edge_weight=[1.0, 2.0, 3.0], reduce="max").to_scipy()[0, 1] == 2.0


def test_save_load_is_lossless(tmp_path):
    for g in (as_graph(EDGES, edge_weight=WEIGHTS), as_graph(EDGES, num_nodes=9), as_graph(EDGES, directed=False)):
        path = tmp_path / "g.npz"
        g.save(path)
        loaded = Graph.load(path)
        assert loaded == g
        assert loaded.indices.dtype == g.indices.dtype and loaded.directed == g.directed


def test_edge_index_conversion_order():
    g = as_graph(EDGES, edge_weight=WEIGHTS)
    ei = g.to_edge_index()
    assert ei.dtype == np.int64 and ei.shape == (2, 5)
    rebuilt = np.zeros((4, 4), np.float32)
    rebuilt[ei[0], ei[1]] = g.weights
    np.testing.assert_array_equal(rebuilt, expected_dense())


# ------------------------------------------------------------------ bad input
def test_non_square_adjacency():
    with pytest.raises(ValueError, match="square"):
        as_graph(sp.csr_matrix(np.ones((3, 4))))


def test_transposed_edge_index_is_named():
    with pytest.raises(ValueError, match=r"\(E, 2\)"):
        as_graph(EDGES.T)


@pytest.mark.parametrize("edges,kwargs,match", [
    (np.array([[0, -1], [1, 0]]), {}, "negative"),
    (np.array([[0, 5], [1, 0]]), {"num_nodes": 4}, ">= num_nodes"),
    (np.array([[0.0, 1.5], [1.0, 0.0]]), {}, "integer"),  # integral floats are accepted (issue 13)
    (np.array([[True, False], [False, True]]), {}, "integer"),
    (np.zeros((3, 3), dtype=np.int64), {}, r"\(2, E\)"),
    (np.zeros(4, dtype=np.int64), {}, "2-D"),
])
def test_bad_edge_index(edges, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        as_graph(edges, **kwargs)


def test_bad_weights():
    with pytest.raises(ValueError, match="finite"):
        as_graph(EDGES, edge_weight=[1.0, np.nan, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="finite"):
        as_graph(EDGES, edge_weight=[1.0, np.inf, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="5 edges"):
        as_graph(EDGES, edge_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        as_graph(sp.csr_matrix(np.array([[0, np.nan], [1, 0]])))


def test_empty_graphs():
    with pytest.raises(ValueError, match="num_nodes"):
        as_graph(np.zeros((2, 0), dtype=np.int64))
    g = as_graph(np.zeros((2, 0), dtype=np.int64), num_nodes=3)
    assert g.num_edges == 0 and g.num_nodes == 3
    with pytest.raises(ValueError, match="no edges"):
        g.require_edges()
    with pytest.raises(ValueError, match="empty"):
        as_graph([])


def test_filter_edges_validation():
    g = as_graph(EDGES)
    with pytest.raises(TypeError, match="edge_mask"):
        g.filter_edges(np.ones(5, dtype=np.int64))
    with pytest.raises(ValueError, match="edge_mask"):
        g.filter_edges(np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="duplicates"):
        g.subgraph([0, 0])
    with pytest.raises(ValueError, match="node id"):
        g.subgraph([7])


def test_mismatched_num_nodes():
    with pytest.raises(ValueError, match="num_nodes"):
        as_graph(sp.csr_matrix(np.eye(3)), num_nodes=4)


def test_is_symmetric_equals_the_per_edge_reverse_lookup():
    """is_symmetric (degree check + one counting-sort transpose) == every edge has its reverse."""
    from graphsparse import kernels
    from graphsparse.datasets.generators import rmat

    rng = np.random.default_rng(7)
    for seed in range(12):
        g = rmat(40, 120, seed=seed, directed=True)
        cases = [g, g.symmetrize("max")]
        s = g.symmetrize("max")
        keep = np.ones(s.num_edges, bool)
        keep[rng.integers(0, s.num_edges)] = False  # one edge without its reverse
        src = s.sources()[keep]
        cases.append(as_graph((src, s.indices[keep]), num_nodes=40, directed=True))
        for case in cases:
            assert case.is_symmetric() == bool(kernels.mutual_mask(case.indptr, case.indices).all())
        assert cases[1].is_symmetric() and not cases[2].is_symmetric()
