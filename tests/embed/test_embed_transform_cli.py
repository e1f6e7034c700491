"""FastRPEmbedding PyG transform and the ``graphsparse embed`` CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from graphsparse.embed import FastRP
from graphsparse.embed.transforms import FastRPEmbedding


def ring_data(n=30, x_dim=None):
    src = np.arange(n)
    edge_index = np.concatenate([np.stack([src, (src + 1) % n]), np.stack([(src + 1) % n, src]),
                                 np.stack([src, (src + 7) % n]), np.stack([(src + 7) % n, src])], axis=1)
    data = Data(edge_index=torch.from_numpy(edge_index), num_nodes=n)
    if x_dim:
        data.x = torch.rand(n, x_dim)
    return data


def test_transform_attr_name_matches_estimator():
    data = ring_data()
    out = FastRPEmbedding(n_components=8, attr_name="pe", random_state=0)(data.clone())
    expected = FastRP(n_components=8, random_state=0).fit_transform(data)
    assert out.pe.dtype == torch.float32 and out.pe.shape == (30, 8)
    np.testing.assert_array_equal(out.pe.numpy(), expected)


def test_transform_concat_to_x():
    data = ring_data(x_dim=3)
    out = FastRPEmbedding(n_components=8, attr_name=None, random_state=0)(data.clone())
    assert out.x.shape == (30, 11)
    torch.testing.assert_close(out.x[:, :3], data.x)
    fresh = FastRPEmbedding(n_components=8, attr_name=None, random_state=0)(ring_data())
    assert fresh.x.shape == (30, 8)


def test_transform_node_features_and_repr():
    data = ring_data(x_dim=4)
    t = FastRPEmbedding(n_components=8, use_node_features=True, feature_ratio=0.5, random_state=0)
    out = t(data.clone())
    assert torch.isfinite(out.fastrp).all()
    assert "FastRPEmbedding(n_components=8" in repr(t) and "attr_name='fastrp'" in repr(t)
    with pytest.raises(ValueError, match="data.x"):
        t(ring_data())
    with pytest.raises(ValueError, match="n_components"):
        FastRPEmbedding(n_components=0)
    with pytest.raises(ValueError, match="attr_name"):
        FastRPEmbedding(attr_name="")


def test_transforms_namespace_reexports():
    import graphsparse.transforms as gt

    assert gt.FastRPEmbedding is FastRPEmbedding


def test_cli_edge_list(tmp_path):
    from graphsparse.cli import main

    edges = tmp_path / "edges.txt"
    edges.write_text("# src dst\n0 1\n1 2\n2 0\n2 3\n3 4\n4 0\n")
    out = tmp_path / "emb.npy"
    summary = tmp_path / "s.json"
    assert main(["embed", "--input", str(edges), "--dim", "8", "--out", str(out), "--undirected",
                 "--json", str(summary), "-q"]) == 0
    emb = np.load(out)
    assert emb.shape == (5, 8) and emb.dtype == np.float32
    info = json.loads(summary.read_text())
    assert info["num_nodes"] == 5 and info["shape"] == [5, 8]
    from graphsparse.embed._cli import read_graph

    expected = FastRP(n_components=8, random_state=0).fit_transform(read_graph(str(edges), True))
    np.testing.assert_array_equal(emb, expected)  # the CLI's default preset is FastRP()'s defaults
    out_paper = tmp_path / "emb_paper.npy"
    assert main(["embed", "--input", str(edges), "--dim", "8", "--out", str(out_paper), "--undirected",
                 "--preset", "paper", "-q"]) == 0
    paper = FastRP.paper(n_components=8, random_state=0).fit_transform(read_graph(str(edges), True))
    np.testing.assert_array_equal(np.load(out_paper), paper)


def test_cli_npz_and_errors(tmp_path, capsys):
    from graphsparse.cli import main
    from graphsparse.graph import as_graph

    graph = as_graph(ring_data())
    path = tmp_path / "g.npz"
    graph.save(path)
    out = tmp_path / "e.npy"
    assert main(["embed", "--input", str(path), "--dim", "4", "--preset", "gds", "--out", str(out), "-q"]) == 0
    assert np.load(out).shape == (30, 4)
    assert main(["embed", "--input", str(tmp_path / "missing_name"), "--out", str(out), "-q"]) == 2
    assert "neither a file nor" in capsys.readouterr().err
    assert main(["embed", "--input", str(path), "--dim", "0", "--out", str(out), "-q"]) == 2
    assert "--dim" in capsys.readouterr().err


@pytest.mark.data
def test_cli_dataset_name(tmp_path, data_root, monkeypatch):
    from graphsparse.cli import main

    monkeypatch.setenv("GRAPHSPARSE_DATA", data_root)
    out = tmp_path / "karate.npy"
    assert main(["embed", "--input", "karate", "--dim", "8", "--out", str(out), "-q"]) == 0
    assert np.load(out).shape == (34, 8)


def test_fastrp_transform_is_a_functional_transform_and_refuses_heterodata():
    import torch
    from torch_geometric.data import Data, HeteroData
    from torch_geometric.transforms import Compose

    from graphsparse.embed import FastRP
    from graphsparse.embed.transforms import FastRPEmbedding

    edge_index = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
    data = Data(edge_index=edge_index, num_nodes=4)
    out = Compose([FastRPEmbedding(n_components=8, random_state=0)])(data.clone())
    expected = FastRP(n_components=8, random_state=0).fit_transform(data)
    assert torch.equal(out.fastrp, torch.from_numpy(expected))
    from torch.utils.data.datapipes.iter import IterableWrapper

    piped = list(IterableWrapper([data.clone()]).fastrp_embedding(n_components=8, random_state=0))
    assert torch.equal(piped[0].fastrp, out.fastrp)
    hetero = HeteroData()
    hetero["a"].num_nodes = 4
    hetero["a", "to", "a"].edge_index = edge_index
    with pytest.raises(TypeError, match="HeteroData"):
        FastRPEmbedding(n_components=8)(hetero)
