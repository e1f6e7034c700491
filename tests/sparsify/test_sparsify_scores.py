"""TEDDY and baseline edge scores, sparsify, and the TEDDY transform."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from graphsparse import as_graph
from graphsparse.sparsify import (TEDDY, SparsifyEdges, edge_keep_mask, edge_keep_masks, edge_scores, sparsify,
                                  teddy_edge_scores)


def random_undirected(rng, n=30, p=0.15, loops=False):
    upper = sp.random(n, n, density=p, random_state=np.random.RandomState(rng.integers(1 << 30)), format="csr")
    upper = sp.triu(upper, k=0 if loops else 1)
    upper.data[:] = 1.0
    adjacency = ((upper + upper.T) > 0).astype(np.float64)
    return as_graph(sp.csr_matrix(adjacency))


def dense_teddy_reference(adjacency: np.ndarray) -> np.ndarray:
    """Paper eq.: T = ghat ghat^T (.) A with ghat = (A d^-1/2) / d^2 -- dense, slow, obvious."""
    degree = adjacency.sum(1)
    inv_sqrt = np.where(degree > 0, 1 / np.sqrt(np.maximum(degree, 1)), 0.0)
    inv = np.where(degree > 0, 1 / np.maximum(degree, 1), 0.0)
    gbar = adjacency @ inv_sqrt * inv
    ghat = gbar * inv
    return np.outer(ghat, ghat) * adjacency


@pytest.mark.parametrize("loops", [False, True])
def test_teddy_score_matches_dense_reference(rng, loops):
    for _ in range(5):
        g = random_undirected(rng, n=int(rng.integers(5, 40)), loops=loops)
        dense = g.to_scipy().toarray().astype(np.float64)
        expected = dense_teddy_reference(dense)[g.sources(), g.indices]
        np.testing.assert_allclose(teddy_edge_scores(g), expected, rtol=1e-12, atol=0)


def test_teddy_score_hand_computed():
    # path 0-1-2 plus 2-3: d = [1, 2, 3... ] -> check one value by hand
    edge_index = np.array([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
    g = as_graph(edge_index)
    scores = teddy_edge_scores(g)
    d = np.array([1, 2, 2, 1.0])
    ghat1 = (d[0] ** -0.5 + d[2] ** -0.5) / d[1] ** 2
    ghat0 = d[1] ** -0.5 / d[0] ** 2
    assert scores[0] == pytest.approx(ghat0 * ghat1)


def test_other_scores_match_reference(rng):
    g = random_undirected(rng, n=25)
    d = g.degree().astype(float)
    src, dst = g.sources(), g.indices
    np.testing.assert_allclose(edge_scores(g, "degree"), 1 / (d[src] * d[dst]))
    np.testing.assert_allclose(edge_scores(g, "resistance"), 1 / d[src] + 1 / d[dst])
    random_scores = edge_scores(g, "random", random_state=3)
    reverse = {(i, j): k for k, (i, j) in enumerate(zip(src, dst))}
    for k, (i, j) in enumerate(zip(src, dst)):
        assert random_scores[k] == random_scores[reverse[(j, i)]]
    np.testing.assert_array_equal(random_scores, edge_scores(g, "random", random_state=3))


def test_isolated_nodes_are_fine():
    edge_index = np.array([[0, 1], [1, 0]])
    g = as_graph(edge_index, num_nodes=5)
    scores = teddy_edge_scores(g)
    assert np.isfinite(scores).all() and scores.shape == (2,)
    assert sparsify(g, 0.5).num_nodes == 5


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), sparsity=st.floats(0, 0.99), method=st.sampled_from(["teddy", "degree", "random"]))
def test_sparsify_pairs_together_loops_kept_and_count(seed, sparsity, method):
    rng = np.random.default_rng(seed)
    g = random_undirected(rng, n=20, p=0.3, loops=True)
    out, keep = sparsify(g, sparsity, method, random_state=seed, return_mask=True)
    assert not out.directed and out.is_symmetric()
    src, dst = g.sources(), g.indices
    loops = src == dst
    assert keep[loops].all()
    num_pairs = int((src < dst).sum())
    dropped_pairs = int((~keep[src < dst]).sum())
    assert dropped_pairs == math.floor(num_pairs * sparsity + 1e-9)
    # lowest-scored pairs are the ones dropped
    if dropped_pairs and method != "random":
        scores = edge_scores(g, method)
        upper = src < dst
        assert scores[upper][~keep[upper]].max() <= scores[upper][keep[upper]].min() + 0.0


def test_masks_nested_across_levels(rng):
    g = random_undirected(rng, n=60, p=0.1)
    edge_index = g.to_edge_index()
    levels = [1 - 0.95 ** r for r in (1, 5, 10, 15, 20)]
    for method in ("teddy", "random"):
        masks = edge_keep_masks(edge_index, levels, method, random_state=0)
        for earlier, later in zip(masks, masks[1:]):
            assert not (later & ~earlier).any()
            assert later.sum() < earlier.sum()
        # the one-at-a-time API gives the same masks
        for s, mask in zip(levels, masks):
            np.testing.assert_array_equal(edge_keep_mask(edge_index, s, method, random_state=0), mask)


def test_previous_keep_forces_nesting(rng):
    g = random_undirected(rng, n=40, p=0.2)
    edge_index = g.to_edge_index()
    previous = edge_keep_mask(edge_index, 0.3, "random", random_state=1)
    later = edge_keep_mask(edge_index, 0.5, "teddy", previous_keep=previous)
    assert not (later & ~previous).any()


def test_edge_keep_mask_on_unsorted_duplicated_columns(rng):
    g = random_undirected(rng, n=30)
    edge_index = g.to_edge_index()
    perm = rng.permutation(edge_index.shape[1])
    shuffled = np.concatenate([edge_index[:, perm], edge_index[:, perm[:5]]], axis=1)
    keep = edge_keep_mask(shuffled, 0.4)
    reference = sparsify(g, 0.4, return_mask=True)[1]
    np.testing.assert_array_equal(keep[:len(perm)], reference[perm])
    np.testing.assert_array_equal(keep[len(perm):], reference[perm[:5]])


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, float("nan")])
def test_sparsity_outside_range_raises(bad):
    edge_index = np.array([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="edge_sparsity"):
        sparsify(edge_index, bad)
    with pytest.raises(ValueError, match="edge_sparsity"):
        TEDDY(bad)


def test_sparsity_wrong_type_raises():
    with pytest.raises(TypeError, match="edge_sparsity"):
        sparsify(np.array([[0, 1], [1, 0]]), "0.5")


def test_directed_graph_rejected_unless_symmetrize():
    edge_index = np.array([[0, 1, 2], [1, 2, 0]])
    with pytest.raises(ValueError, match="directed"):
        teddy_edge_scores(edge_index)
    with pytest.raises(ValueError, match="symmetrize=True"):
        sparsify(edge_index, 0.3)
    out = sparsify(edge_index, 0.34, symmetrize=True)  # floor(3 * 0.34) = 1 pair
    assert not out.directed and out.num_edges == 4
    keep = edge_keep_mask(edge_index, 0.34, symmetrize=True)
    assert keep.shape == (3,) and keep.sum() == 2


def test_unknown_method():
    with pytest.raises(ValueError, match="method"):
        sparsify(np.array([[0, 1], [1, 0]]), 0.1, method="magic")


def test_transform_keeps_edge_attributes_aligned(rng):
    from torch_geometric.data import Data

    g = random_undirected(rng, n=40, p=0.2)
    edge_index = torch.from_numpy(g.to_edge_index())
    perm = torch.from_numpy(rng.permutation(edge_index.size(1)))
    edge_index = edge_index[:, perm]
    num_edges = edge_index.size(1)
    # attributes that encode their own edge, so alignment can be checked after pruning
    edge_attr = torch.stack([edge_index[0], edge_index[1], edge_index[0] * 100 + edge_index[1]], 1).float()
    data = Data(x=torch.randn(40, 3), edge_index=edge_index, edge_attr=edge_attr,
                edge_weight=(edge_index[0] * 1000 + edge_index[1]).float(), e_id=torch.arange(num_edges))
    out = TEDDY(edge_sparsity=0.5)(data.clone())
    assert out.edge_index.size(1) < num_edges
    assert torch.equal(out.edge_attr[:, :2].long(), out.edge_index.t())
    assert torch.equal(out.edge_weight.long(), out.edge_index[0] * 1000 + out.edge_index[1])
    assert torch.equal(data.edge_index[:, out.e_id], out.edge_index)
    assert torch.equal(out.x, data.x)
    expected = edge_keep_mask(edge_index.numpy(), 0.5)
    assert torch.equal(out.edge_index, edge_index[:, torch.from_numpy(expected)])


def test_transform_on_minibatch_keeps_slices():
    from torch_geometric.data import Batch, Data

    rng = np.random.default_rng(0)
    graphs = []
    for k in range(3):
        g = random_undirected(rng, n=15 + k, p=0.4)
        ei = torch.from_numpy(g.to_edge_index())
        graphs.append(Data(x=torch.randn(g.num_nodes, 2), edge_index=ei,
                           edge_attr=torch.full((ei.size(1), 1), float(k))))
    batch = Batch.from_data_list(graphs)
    out = TEDDY(0.4)(batch)
    parts = out.to_data_list()
    assert len(parts) == 3
    for k, part in enumerate(parts):
        assert (part.edge_attr == k).all()
        assert part.edge_index.max() < part.num_nodes
        assert part.edge_index.size(1) < graphs[k].edge_index.size(1)


def test_transform_repr_and_identity():
    assert repr(TEDDY(edge_sparsity=0.25)) == "TEDDY(edge_sparsity=0.25)"
    assert "random_state=3" in repr(SparsifyEdges(0.1, method="random", random_state=3))
    from torch_geometric.data import Data

    data = Data(edge_index=torch.tensor([[0, 1], [1, 0]]), num_nodes=2)
    assert TEDDY(0.0)(data).edge_index.size(1) == 2


def test_large_rmat_like_graph_runs(rng):
    n, m = 5000, 40000
    edge_index = rng.integers(0, n, size=(2, m))
    g = as_graph(edge_index, num_nodes=n, directed=False)
    scores = teddy_edge_scores(g)
    assert scores.shape == (g.num_edges,) and np.isfinite(scores).all()


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, -1.0, float("-inf")]) | st.floats(-3, 3), min_size=0,
                       max_size=40), fraction=st.floats(0, 1))
def test_lowest_first_equals_stable_argsort(values, fraction):
    from graphsparse.sparsify.core import lowest_first

    values = np.array(values, dtype=np.float64)
    count = int(round(fraction * values.shape[0]))
    expected = np.sort(np.argsort(values, kind="stable")[:count])
    np.testing.assert_array_equal(np.sort(lowest_first(values, count)), expected)


def test_reverse_edges_map_and_asymmetric_error(rng):
    from graphsparse.sparsify.core import reverse_edges

    g = random_undirected(rng, n=30, p=0.2, loops=True)
    reverse = reverse_edges(g)
    src, dst = g.sources(), g.indices
    np.testing.assert_array_equal(src[reverse], dst)
    np.testing.assert_array_equal(dst[reverse], src)
    np.testing.assert_array_equal(reverse[reverse], np.arange(g.num_edges))
    with pytest.raises(ValueError, match="symmetric"):
        reverse_edges(as_graph(np.array([[0, 1], [1, 2]]), num_nodes=3, directed=True))


def test_sparsify_transforms_registered_with_pyg_and_refuse_heterodata():
    import torch
    import torch_geometric.transforms as T
    from torch.utils.data.datapipes.iter import IterableWrapper
    from torch_geometric.data import Data, HeteroData

    from graphsparse.sparsify.transforms import TEDDY

    rng = np.random.default_rng(0)
    edges = rng.integers(0, 30, size=(2, 120))
    edge_index = torch.from_numpy(np.unique(np.concatenate([edges, edges[::-1]], 1), axis=1))
    data = Data(edge_index=edge_index, num_nodes=30)
    (piped,) = list(IterableWrapper([data]).teddy(edge_sparsity=0.3))
    composed = T.Compose([T.ToUndirected(), TEDDY(edge_sparsity=0.3)])(data.clone())
    assert torch.equal(piped.edge_index, composed.edge_index)
    assert piped.edge_index.shape[1] < edge_index.shape[1]
    hetero = HeteroData()
    hetero["a", "to", "a"].edge_index = edge_index
    with pytest.raises(TypeError, match="HeteroData"):
        TEDDY(edge_sparsity=0.3)(hetero)


def test_transform_on_minibatch_equals_per_graph_transform():
    """A batch is pruned graph by graph: the same edges as the transform applied before batching."""
    from torch_geometric.data import Batch, Data

    rng = np.random.default_rng(1)
    graphs = []
    for k in range(3):
        g = random_undirected(rng, n=20 + 3 * k, p=0.3)
        ei = torch.from_numpy(g.to_edge_index())
        graphs.append(Data(x=torch.randn(g.num_nodes, 2), edge_index=ei,
                           edge_weight=torch.arange(ei.size(1), dtype=torch.float32)))
    expected = [TEDDY(0.5)(graph.clone()) for graph in graphs]
    out = TEDDY(0.5)(Batch.from_data_list([graph.clone() for graph in graphs]))
    for part, want in zip(out.to_data_list(), expected):
        assert torch.equal(part.edge_index, want.edge_index)
        assert torch.equal(part.edge_weight, want.edge_weight)
