"""Directed transforms (attribute alignment, sparse inputs), the DSBM generator and link splits."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from graphsparse.datasets.dsbm import directed_sbm, meta_graph_flows
from graphsparse.directed import operators as dops
from graphsparse.directed.tasks import link_split
from graphsparse.directed.transforms import (AddReverseEdgeType, DiGCNAdj, DirectionalHomophily, MagneticLaplacian,
                                             ToDirGCNAdj)
from graphsparse.graph import as_graph


def shuffled_data(seed=0, n=20, m=60):
    rng = np.random.default_rng(seed)
    pairs = set()
    while len(pairs) < m:
        u, v = rng.integers(0, n, 2)
        if u != v:
            pairs.add((int(u), int(v)))
    edge_index = torch.tensor(sorted(pairs)).T
    perm = torch.from_numpy(rng.permutation(m))
    edge_index = edge_index[:, perm]  # unsorted on purpose
    return Data(edge_index=edge_index, num_nodes=n, edge_attr=torch.arange(m, dtype=torch.float32).view(-1, 1).repeat(1, 3),
                edge_weight=torch.from_numpy(rng.uniform(0.5, 2, m).astype(np.float32)),
                y=torch.from_numpy(rng.integers(0, 3, n)))


def test_to_dirgcn_adj_aligned_with_edge_index():
    data = shuffled_data()
    n = data.num_nodes
    a = np.zeros((n, n))
    a[data.edge_index[0].numpy(), data.edge_index[1].numpy()] = data.edge_weight.numpy()
    dout, din = a.sum(1), a.sum(0)
    ref = a / np.sqrt(np.outer(np.where(dout > 0, dout, 1), np.where(din > 0, din, 1)))
    out = ToDirGCNAdj()(data.clone())
    np.testing.assert_allclose(out.edge_weight_dir.numpy(), ref[data.edge_index[0], data.edge_index[1]], rtol=1e-5)
    np.testing.assert_allclose(out.adj_dir.to_dense().numpy(), ref, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(out.adj_dir_t.to_dense().numpy(), ref.T, rtol=1e-5, atol=1e-7)
    assert torch.equal(out.edge_index, data.edge_index) and torch.equal(out.edge_attr, data.edge_attr)
    assert "ToDirGCNAdj" in repr(ToDirGCNAdj())


def test_add_reverse_edge_type_keeps_attributes_aligned():
    data = shuffled_data()
    m = data.edge_index.size(1)
    out = AddReverseEdgeType()(data.clone())
    assert out.edge_index.size(1) == 2 * m
    assert torch.equal(out.edge_index[:, m:], data.edge_index.flip(0))
    assert torch.equal(out.edge_type, torch.cat([torch.zeros(m), torch.ones(m)]).long())
    assert torch.equal(out.edge_attr[m:], data.edge_attr) and torch.equal(out.edge_attr[:m], data.edge_attr)
    assert torch.equal(out.edge_weight[m:], data.edge_weight)
    assert out.y.shape == data.y.shape  # node attributes untouched


def test_magnetic_laplacian_transform_and_sparse_input():
    data = shuffled_data()
    real, imag = dops.magnetic_laplacian(as_graph(data), 0.25)
    out = MagneticLaplacian(q=0.25)(data.clone())
    np.testing.assert_allclose(out.mag_real.to_dense().numpy(), real.toarray(), atol=1e-6)
    np.testing.assert_allclose(out.mag_imag.to_dense().numpy(), imag.toarray(), atol=1e-6)
    # torch CSR adj_t input (PyG's ToSparseTensor layout: adj_t[j, i] for i -> j)
    n = data.num_nodes
    adj_t = torch.sparse_coo_tensor(data.edge_index.flip(0), data.edge_weight, (n, n)).coalesce().to_sparse_csr()
    sparse_data = Data(adj_t=adj_t, num_nodes=n)
    out2 = MagneticLaplacian(q=0.25)(sparse_data)
    np.testing.assert_allclose(out2.mag_imag.to_dense().numpy(), imag.toarray(), atol=1e-6)
    with pytest.raises(ValueError, match="q must lie in"):
        MagneticLaplacian(q=0.75)


def test_digcn_adj_transform():
    data = shuffled_data()
    out = DiGCNAdj(alpha=0.1, second_order=True)(data.clone())
    ref = dops.digcn_adjacency(as_graph(data), 0.1)
    assert torch.equal(out.digcn_edge_index, ref.to_edge_index("torch"))
    assert out.digcn2_edge_weight.shape[0] == out.digcn2_edge_index.shape[1]
    with pytest.raises(ValueError, match="alpha must lie in"):
        DiGCNAdj(alpha=1.0)


def test_directional_homophily_transform():
    data = shuffled_data()
    out = DirectionalHomophily()(data.clone())
    assert set(out.directed_stats) >= {"A", "AA^T", "A^TA", "reciprocity"}
    with pytest.raises(ValueError, match="data.y"):
        DirectionalHomophily()(Data(edge_index=data.edge_index, num_nodes=data.num_nodes))


def test_transforms_reexported():
    import graphsparse.transforms as T

    assert T.MagneticLaplacian is MagneticLaplacian and T.AddReverseEdgeType is AddReverseEdgeType


# ----------------------------------------------------------------------------------------- DSBM
def test_dsbm_seeded_and_shaped():
    a = directed_sbm(num_nodes=200, num_classes=4, p_in=0.05, num_features=6, num_splits=3, random_state=1)
    b = directed_sbm(num_nodes=200, num_classes=4, p_in=0.05, num_features=6, num_splits=3, random_state=1)
    assert torch.equal(a.edge_index, b.edge_index) and torch.equal(a.x, b.x)
    assert a.x.shape == (200, 6) and a.train_mask.shape == (200, 3)
    masks = a.train_mask.int() + a.val_mask.int() + a.test_mask.int()
    assert (masks == 1).all()
    src, dst = a.edge_index
    assert (src != dst).all()
    g = as_graph(a.edge_index, num_nodes=200, directed=True)
    assert dops.reciprocity(g)["num_reciprocal_pairs"] == 0  # each linked pair gets one direction


def test_dsbm_flow_signal_only_in_direction():
    data = directed_sbm(num_nodes=1500, num_classes=3, p_in=0.02, eta=0.0, num_features=4, random_state=0)
    g = as_graph(data.edge_index, num_nodes=1500, directed=True)
    y = data.y.numpy()
    counts = dops.compatibility_matrix(g, y, normalize=False)
    sym = counts + counts.T
    # undirected block densities are equal (class blind); the flow is one-way along the cycle
    off = sym[~np.eye(3, dtype=bool)] / 2
    assert np.allclose(off / off.mean(), 1.0, atol=0.15)
    assert counts[0, 1] > 0 and counts[1, 0] == 0 and counts[2, 0] > 0 and counts[0, 2] == 0
    np.testing.assert_allclose(data.flows.numpy(), meta_graph_flows(3, "cyclic", 0.0))


def test_dsbm_bad_input():
    with pytest.raises(ValueError, match="F\\[a, b\\] \\+ F\\[b, a\\]"):
        directed_sbm(num_nodes=30, num_classes=2, meta_graph=np.array([[0.5, 0.9], [0.9, 0.5]]))
    with pytest.raises(ValueError, match="meta_graph"):
        directed_sbm(num_nodes=30, meta_graph="star")
    with pytest.raises(ValueError, match="p_in"):
        directed_sbm(num_nodes=30, p_in=1.5)
    with pytest.raises(ValueError, match="num_classes"):
        directed_sbm(num_nodes=3, num_classes=5)
    path = meta_graph_flows(3, "path", 0.1)
    np.testing.assert_allclose(path + path.T - np.diag(np.diag(path + path.T)), 1 - np.eye(3))


# ----------------------------------------------------------------------------------- link tasks
@pytest.mark.parametrize("task", ["direction", "existence", "three_class"])
def test_link_split(task):
    data = shuffled_data(n=40, m=200)
    ei = data.edge_index.numpy()
    # add reciprocal pairs: they must never be held out
    recip = ei[:, :10][::-1]
    full = np.concatenate([ei, recip], 1)
    g = as_graph(full, num_nodes=40, directed=True)
    split = link_split(g, task, val_fraction=0.1, test_fraction=0.2, random_state=0)
    train_keys = set(zip(split["train_graph"].sources().tolist(), split["train_graph"].indices.tolist()))
    edges = set(zip(full[0].tolist(), full[1].tolist()))
    recip_set = {(u, v) for (u, v) in edges if (v, u) in edges}
    assert split["num_reciprocal_edges"] == len(recip_set)
    for part in ("val", "test"):
        pairs, labels = split[part]
        positive = 0 if task == "three_class" else 1
        pos_pairs = [tuple(p) for p, lab in zip(pairs.tolist(), labels) if lab == positive]
        assert all(p in edges and p not in train_keys and p not in recip_set for p in pos_pairs)
        counts = np.bincount(labels)
        assert counts.min() == counts.max()  # balanced
        if task != "direction":
            none_label = 2 if task == "three_class" else 0
            for (u, v) in pairs[labels == none_label].tolist():
                assert (u, v) not in edges and (v, u) not in edges
    assert not (train_keys & recip_set)  # drop_reciprocal=True


def test_link_split_refuses_undirected_and_bad_args():
    und = as_graph(np.array([[0, 1, 1, 2], [1, 0, 2, 1]]))
    with pytest.raises(ValueError, match="directed graph"):
        link_split(und)
    g = as_graph(np.array([[0, 1, 2, 3], [1, 2, 3, 0]]), directed=True)
    with pytest.raises(ValueError, match="task"):
        link_split(g, "sign")
    with pytest.raises(ValueError, match="< 1"):
        link_split(g, val_fraction=0.5, test_fraction=0.6)


def test_transforms_registered_with_pyg_and_refuse_heterodata():
    """functional_transform registration (datapipe.<name>()), Compose, and a clear HeteroData error."""
    import torch_geometric.transforms as T
    from torch.utils.data.datapipes.iter import IterableWrapper
    from torch_geometric.data import HeteroData

    from graphsparse.datasets.dsbm import directed_sbm
    from graphsparse.directed.transforms import AddReverseEdgeType, ToDirGCNAdj

    data = directed_sbm(num_nodes=60, num_classes=2, p_in=0.1, num_features=4, random_state=0)
    num_edges = data.edge_index.shape[1]
    (piped,) = list(IterableWrapper([data]).to_dir_gcn_adj().add_reverse_edge_type())
    composed = T.Compose([ToDirGCNAdj(), AddReverseEdgeType()])(data.clone())
    assert piped.edge_index.shape[1] == composed.edge_index.shape[1] == 2 * num_edges
    torch.testing.assert_close(piped.edge_weight_dir, composed.edge_weight_dir)
    hetero = HeteroData()
    hetero["paper", "cites", "paper"].edge_index = data.edge_index
    with pytest.raises(TypeError, match="HeteroData"):
        ToDirGCNAdj()(hetero)
