"""PinnedFeatureStore through PyG's own FeatureStore / NeighborLoader machinery, and the sampler."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch_geometric.data import TensorAttr
from torch_geometric.loader import NeighborLoader

from graphsparse.gather import (CSRGraphStore, CSRNeighborSampler, FeatureTable, PinnedFeatureStore,
                                has_compiled_sampler, neighbor_loader)
from graphsparse.gather._kernels import neighbor_sample_csc

NUM_NODES = 300


@pytest.fixture(scope="module")
def graph_data():
    rng = np.random.default_rng(7)
    src = rng.integers(0, NUM_NODES, 3000)
    dst = rng.integers(0, NUM_NODES, 3000)
    keep = src != dst
    edge_index = np.unique(np.stack([src[keep], dst[keep]]), axis=1)
    x = torch.randn(NUM_NODES, 100, generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, 4, (NUM_NODES,), generator=torch.Generator().manual_seed(2))
    return edge_index, x, y


def _stores(graph_data, **options):
    edge_index, x, y = graph_data
    store = PinnedFeatureStore(device="cpu", **options)
    store.put_tensor(x, attr_name="x")
    store.put_tensor(y, attr_name="y")
    return store, CSRGraphStore(edge_index, num_nodes=NUM_NODES)


def test_feature_store_interface(graph_data):
    _, x, y = graph_data
    store, _ = _stores(graph_data)
    index = torch.tensor([5, 1, 5])
    assert torch.equal(store.get_tensor(group_name=None, attr_name="x", index=index), x[index])
    assert torch.equal(store.get_tensor(TensorAttr(None, "y", index)), y[index])
    assert torch.equal(store.get_tensor(group_name=None, attr_name="x", index=None), x)
    assert torch.equal(store.get_tensor(group_name=None, attr_name="x", index=slice(2, 4)), x[2:4])
    assert torch.equal(store.get_tensor(group_name=None, attr_name="x", index=np.array([3])), x[[3]])
    got_x, got_y = store.multi_get_tensor([TensorAttr(None, "x", index), TensorAttr(None, "y", index)])
    assert torch.equal(got_x, x[index]) and torch.equal(got_y, y[index])
    assert store.get_tensor_size(group_name=None, attr_name="x", index=None) == (NUM_NODES, 100)
    assert sorted(a.attr_name for a in store.get_all_tensor_attrs()) == ["x", "y"]
    assert torch.equal(store.gather(index), x[index])
    assert store.remove_tensor(group_name=None, attr_name="y", index=None)
    assert not store.remove_tensor(group_name=None, attr_name="y", index=None)
    with pytest.raises(KeyError, match="attr_name='y'"):
        store.get_tensor(group_name=None, attr_name="y", index=index)
    with pytest.raises(ValueError, match="whole tables"):
        store.put_tensor(x[:3], group_name=None, attr_name="z", index=torch.arange(3))
    with pytest.raises(ValueError, match="node id 300"):
        store.gather(torch.tensor([NUM_NODES]))
    store.put_tensor(FeatureTable(x, device="cpu", sort_ids=True), attr_name="x2")
    assert torch.equal(store.gather(index, attr_name="x2"), x[index])
    assert "x2" in repr(store)


@pytest.mark.skipif(has_compiled_sampler(), reason="pyg-lib / torch-sparse installed: PyG samples by itself")
def test_plain_neighbor_loader_needs_a_compiled_sampler(graph_data):
    """Documents the limitation our sampler removes: PyG 2.8 alone cannot sample."""
    store, graph_store = _stores(graph_data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loader = NeighborLoader((store, graph_store), num_neighbors=[5, 5], batch_size=16,
                                input_nodes=torch.arange(NUM_NODES))
        with pytest.raises(ImportError, match="pyg-lib"):
            next(iter(loader))


def _check_batch(batch, graph_data, fanouts):
    edge_index, x, y = graph_data
    assert torch.equal(batch.x, x[batch.n_id]) and torch.equal(batch.y, y[batch.n_id])
    edges = set(zip(edge_index[0].tolist(), edge_index[1].tolist()))
    src = batch.n_id[batch.edge_index[0]].tolist()
    dst = batch.n_id[batch.edge_index[1]].tolist()
    assert all(edge in edges for edge in zip(src, dst))  # every sampled edge is a real src -> dst edge
    assert len(set(zip(src, dst))) == len(src)  # without replacement: no duplicate edges
    hop1 = batch.num_sampled_edges[0]
    assert (batch.edge_index[1, :hop1] < batch.batch_size).all()  # hop 1 ends at the seeds
    counts = torch.bincount(batch.edge_index[1, :hop1], minlength=batch.batch_size)
    assert int(counts.max()) <= fanouts[0]
    assert sum(batch.num_sampled_nodes) == batch.num_nodes
    assert sum(batch.num_sampled_edges) == batch.edge_index.shape[1]
    assert torch.unique(batch.n_id).numel() == batch.n_id.numel()


@pytest.mark.parametrize("options", [{}, {"reuse_output": False, "sort_ids": True}])
def test_neighbor_loader_with_our_sampler(graph_data, options):
    store, graph_store = _stores(graph_data, **options)
    seeds = torch.arange(0, NUM_NODES, 3)
    loader = neighbor_loader(store, graph_store, [4, 3], batch_size=32, input_nodes=seeds, shuffle=False,
                             random_state=0)
    seen = []
    for batch in loader:
        _check_batch(batch, graph_data, [4, 3])
        seen.append(batch.n_id[: batch.batch_size])
    assert torch.equal(torch.cat(seen), seeds)


def test_loader_is_the_unchanged_pyg_class_and_reproducible(graph_data):
    store, graph_store = _stores(graph_data)
    sampler = CSRNeighborSampler((store, graph_store), [5, 5], random_state=3)
    loader = NeighborLoader((store, graph_store), num_neighbors=[5, 5], batch_size=50,
                            input_nodes=torch.arange(NUM_NODES), neighbor_sampler=sampler)
    first = next(iter(loader))
    again = NeighborLoader((store, graph_store), num_neighbors=[5, 5], batch_size=50,
                           input_nodes=torch.arange(NUM_NODES), neighbor_sampler=CSRNeighborSampler((store, graph_store), [5, 5], random_state=3))
    assert torch.equal(first.n_id, next(iter(again)).n_id)
    _check_batch(first, graph_data, [5, 5])


def test_zero_copy_store_through_loader(graph_data):
    """The GPU code path (Triton kernel) feeding PyG's loader, run by the interpreter."""
    store, graph_store = _stores(graph_data, mode="zero_copy")
    loader = neighbor_loader(store, graph_store, [3, 2], batch_size=20, input_nodes=torch.arange(40),
                             random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        batch = next(iter(loader))
    _check_batch(batch, graph_data, [3, 2])


def test_sampler_full_neighbourhood_matches_bfs(graph_data):
    edge_index, _, _ = graph_data
    graph_store = CSRGraphStore(edge_index, num_nodes=NUM_NODES)
    row, colptr, _ = graph_store.csc()
    node_map = np.full(NUM_NODES, -1, dtype=np.int64)
    seeds = np.array([3, 17, 3], dtype=np.int64)
    nodes, rows, cols, edges, per_hop, _ = neighbor_sample_csc(
        colptr.numpy(), row.numpy(), seeds, np.array([-1, -1]), False, 0, node_map, NUM_NODES, edge_index.shape[1])
    assert (node_map == -1).all()  # mapping restored
    in_nbrs = {v: set(edge_index[0, edge_index[1] == v].tolist()) for v in range(NUM_NODES)}
    hop1 = set().union(*(in_nbrs[s] for s in (3, 17)))
    hop2 = set().union(*(in_nbrs[v] for v in hop1))
    assert set(nodes.tolist()) == {3, 17} | hop1 | hop2
    assert list(nodes[:2]) == [3, 17] and per_hop[0] == 2
    assert np.array_equal(row.numpy()[edges], nodes[rows])  # edge ids point at the sampled sources


def test_sampler_with_replacement_and_bad_options(graph_data):
    store, graph_store = _stores(graph_data)
    loader = neighbor_loader(store, graph_store, [6], batch_size=10, replace=True, random_state=0)
    batch = next(iter(loader))
    counts = torch.bincount(batch.edge_index[1], minlength=batch.batch_size)
    assert int(counts.max()) <= 6
    with pytest.raises(ValueError, match="disjoint"):
        CSRNeighborSampler((store, graph_store), [2], disjoint=True)
    with pytest.raises(ValueError, match="induced"):
        CSRNeighborSampler((store, graph_store), [2], subgraph_type="induced")
