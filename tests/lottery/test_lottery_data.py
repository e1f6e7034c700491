"""Checks on the real Planetoid data (skipped when the shared datasets are absent)."""
from __future__ import annotations

import numpy as np
import pytest
import torch


@pytest.mark.data
def test_teddy_scores_on_cora_match_torch_reference(data_root):
    from graphsparse.lottery.report import load_node_data
    from graphsparse.sparsify import sparsify, teddy_edge_scores
    from graphsparse import as_graph

    data = load_node_data("cora", data_root)
    graph = as_graph(data.edge_index, num_nodes=data.num_nodes)
    assert not graph.directed and graph.num_edges == 10556
    row = torch.from_numpy(graph.sources())
    col = torch.from_numpy(graph.indices.astype(np.int64))
    degree = torch.bincount(row, minlength=graph.num_nodes).double()
    gbar = torch.zeros(graph.num_nodes, dtype=torch.float64).index_add_(0, row, degree[col].pow(-0.5)) / degree
    ghat = gbar / degree
    np.testing.assert_allclose(teddy_edge_scores(graph), (ghat[row] * ghat[col]).numpy(), rtol=1e-12)
    level20 = sparsify(graph, 1 - 0.95 ** 20)
    assert level20.num_edges == 2 * (5278 - int(np.floor(5278 * (1 - 0.95 ** 20) + 1e-9)))


@pytest.mark.data
@pytest.mark.slow
def test_cora_dense_gcn_and_teddy_level5(data_root):
    """The dense GCN on the public split lands near 81.5; a level-5 TEDDY ticket stays close."""
    from graphsparse.lottery import find_tickets, ugs_levels
    from graphsparse.lottery.report import load_node_data

    data = load_node_data("cora", data_root)
    dense, teddy = find_tickets("gcn", data, ugs_levels([5]), "teddy", include_dense=True, verbose=False, seed=0)
    assert dense.test_score > 0.79
    assert teddy.test_score > 0.78
    assert teddy.weight_sparsity >= 1 - 0.8 ** 5 - 1e-9
