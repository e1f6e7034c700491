"""Loaders: registry consistency, counts on the shared data, masks, formats, missing data, checksums."""
from __future__ import annotations

import gzip
import json
import os
import re

import numpy as np
import pytest

from graphsparse import Graph
from graphsparse.datasets import loaders
from graphsparse.datasets.loaders import (DatasetChecksumError, DatasetNotFoundError, available_datasets,
                                          dataset_info, load_dataset, load_graph)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ALL = ["cora", "citeseer", "blogcatalog", "dblp", "karate", "gnutella", "collegemsg", "cora_ml", "polblogs",
       "tolokers", "squirrel_directed", "citeseer_directed"]


# ----------------------------------------------------------------------------- registry
def test_registry_names_and_fields():
    assert sorted(ALL) == available_datasets()
    for name in ALL:
        info = dataset_info(name)
        for key in ("folder", "format", "files", "num_nodes", "num_edges", "edge_index_columns", "num_classes",
                    "num_features", "directed", "temporal"):
            assert key in info, (name, key)
        assert info["files"] and all(re.fullmatch(r"[0-9a-f]{64}", f["sha256"]) for f in info["files"].values())
        if not info["directed"] and not info["temporal"]:
            assert info["edge_index_columns"] == 2 * info["num_edges"]


def test_top_level_registry_is_the_package_one():
    link = os.path.join(REPO, "datasets", "registry.json")
    assert os.path.islink(link)
    assert os.path.realpath(link) == os.path.realpath(loaders.REGISTRY_PATH)


@pytest.mark.data
def test_registry_matches_manifest(data_root):
    """Every file row of MANIFEST.md is in the registry with the same size and sha256, and vice versa."""
    rows = {}
    with open(os.path.join(data_root, "MANIFEST.md"), encoding="utf-8") as handle:
        for line in handle:
            m = re.match(r"^\|\s*`([^/`]+)/([^`]+)`\s*\|\s*([\d,]+)\s*\|\s*`([0-9a-f]{64})`", line)
            if m:
                rows[(m[1], m[2])] = (int(m[3].replace(",", "")), m[4])
    ours = {(dataset_info(n)["folder"], f): (meta["bytes"], meta["sha256"])
            for n in ALL for f, meta in dataset_info(n)["files"].items()}
    assert ours == rows


# ----------------------------------------------------------------------------- counts on the shared data
def _counts(data, info):
    if info["temporal"]:
        return dict(num_nodes=int(data.num_nodes), edge_index_columns=int(data.src.numel()))
    y = data.y if "y" in data else None
    return dict(num_nodes=int(data.num_nodes), edge_index_columns=int(data.edge_index.size(1)),
                num_features=None if "x" not in data or data.x is None else int(data.x.size(1)),
                num_classes=None if y is None else (int(y.size(1)) if y.dim() == 2 else int(y.max()) + 1))


@pytest.mark.data
@pytest.mark.parametrize("name", ALL)
def test_loader_returns_manifest_counts(data_root, name):
    info = dataset_info(name)
    data = load_dataset(name, root=data_root)
    counts = _counts(data, info)
    assert counts == {key: info[key] for key in counts}
    graph = load_graph(name, root=data_root)
    assert isinstance(graph, Graph) and graph.num_nodes == info["num_nodes"]
    assert graph.directed == info["directed"]
    if info["temporal"]:
        assert graph.num_edges == info["num_distinct_pairs"]
        return
    assert data.directed == info["directed"]
    assert graph.num_edges == info["edge_index_columns"]
    if not info["directed"]:
        assert graph.is_symmetric() and data.is_undirected()
    ei = data.edge_index.numpy()
    assert ei.min() >= 0 and ei.max() < info["num_nodes"]
    if "x" in data and data.x is not None:
        assert data.x.dtype.is_floating_point and data.x.shape[0] == info["num_nodes"]
    if info.get("num_reciprocal_pairs") is not None:
        adjacency = graph.to_scipy()  # the manifest's count: nnz(A * A^T) // 2, self-loops included
        assert adjacency.multiply(adjacency.T).nnz // 2 == info["num_reciprocal_pairs"]


@pytest.mark.data
@pytest.mark.parametrize("name,pyg_name", [("cora", "Cora"), ("citeseer", "CiteSeer")])
def test_planetoid_same_as_pyg_planetoid(data_root, name, pyg_name, tmp_path):
    """Same edge_index, x, y and public-split masks as torch_geometric.datasets.Planetoid builds."""
    from torch_geometric.datasets import Planetoid

    info = dataset_info(name)
    raw = tmp_path / pyg_name / "raw"
    raw.mkdir(parents=True)
    for file_name in info["files"]:  # symlinks: nothing is copied
        os.symlink(os.path.join(data_root, info["folder"], file_name), raw / file_name)
    reference = Planetoid(str(tmp_path), pyg_name)[0]
    data = load_dataset(name, root=data_root)
    for key in ("edge_index", "x", "y", "train_mask", "val_mask", "test_mask"):
        assert (data[key] == reference[key]).all(), key
    split = info["split"]
    assert [int(data[f"{s}_mask"].sum()) for s in ("train", "val", "test")] == [split["train"], split["val"],
                                                                                  split["test"]]
    assert not (data.train_mask & data.test_mask).any() and not (data.val_mask & data.test_mask).any()


@pytest.mark.data
def test_citeseer_isolated_test_ids_zero_filled(data_root):
    data = load_dataset("citeseer", root=data_root)
    empty_rows = (data.x.abs().sum(1) == 0).nonzero().view(-1)
    # 15 ids in the test range have no feature row; a few genuine papers may also have empty features
    test_index = np.loadtxt(os.path.join(data_root, "citeseer_planetoid", "ind.citeseer.test.index"), dtype=int)
    missing = sorted(set(range(test_index.min(), test_index.max() + 1)) - set(test_index.tolist()))
    assert len(missing) == 15
    assert set(missing) <= set(empty_rows.tolist())
    assert not data.test_mask[missing].any()


@pytest.mark.data
def test_blogcatalog_multilabel(data_root):
    data = load_dataset("blogcatalog", root=data_root)
    assert data.y.shape == (10312, 39) and data.y.dtype.is_floating_point
    assert int(data.y.sum()) == dataset_info("blogcatalog")["num_label_assignments"]
    assert set(np.unique(data.y.numpy()).tolist()) == {0.0, 1.0}


@pytest.mark.data
def test_dblp_one_label_per_node(data_root):
    data = load_dataset("dblp", root=data_root)
    y = data.y.numpy()
    assert y.dtype == np.int64 and y.min() == 0 and y.max() == 59
    # label k is line k of dblp.cmty
    with open(os.path.join(data_root, "dblp_prone", "dblp.cmty")) as handle:
        first = [int(v) for v in handle.readline().split()]
    assert np.all(y[first] == 0)


@pytest.mark.data
def test_collegemsg_temporal(data_root):
    info = dataset_info("collegemsg")
    data = load_dataset("collegemsg", root=data_root)
    src, dst, t = data.src.numpy(), data.dst.numpy(), data.t.numpy()
    assert np.all(np.diff(t) >= 0)
    assert (t.min(), t.max()) == (info["t_min"], info["t_max"])
    assert min(src.min(), dst.min()) == 0 and max(src.max(), dst.max()) == info["num_nodes"] - 1
    assert np.unique(src * info["num_nodes"] + dst).size == info["num_distinct_pairs"]
    # same events as the raw file (relabelled), in the same order (the file is time-sorted; sort is stable)
    raw = np.loadtxt(os.path.join(data_root, "collegemsg", "CollegeMsg.txt.gz"), dtype=np.int64)
    np.testing.assert_array_equal(data.node_ids.numpy()[src], raw[:, 0])
    np.testing.assert_array_equal(data.node_ids.numpy()[dst], raw[:, 1])


@pytest.mark.data
@pytest.mark.parametrize("name,train,val,test", [("tolokers", 5879, 2939, 2940), ("squirrel_directed", 2496, 1664, 1041)])
def test_heterophilous_masks(data_root, name, train, val, test):
    data = load_dataset(name, root=data_root)
    n = dataset_info(name)["num_nodes"]
    for key, count in (("train_mask", train), ("val_mask", val), ("test_mask", test)):
        assert data[key].shape == (n, 10) and data[key].dtype == __import__("torch").bool
        assert int(data[key][:, 0].sum()) == count
    assert not (data.train_mask & data.test_mask).any()


@pytest.mark.data
def test_karate_relabelled_from_one_based(data_root):
    data = load_dataset("karate", root=data_root)
    edges = set(map(tuple, data.edge_index.t().tolist()))
    assert (0, 1) in edges and (1, 0) in edges  # file line "1 2 ..." -> nodes 0 and 1
    assert (32, 33) in edges  # 33 -- 34 in the file


@pytest.mark.data
def test_verification_is_cached(data_root, monkeypatch):
    load_dataset("karate", root=data_root)
    calls = []
    original = loaders.hashlib.sha256
    monkeypatch.setattr(loaders.hashlib, "sha256", lambda *a: calls.append(1) or original(*a))
    load_dataset("karate", root=data_root)
    assert calls == []


@pytest.mark.data
def test_env_variable_is_used(data_root, monkeypatch):
    monkeypatch.setenv("GRAPHSPARSE_DATA", data_root)
    assert load_dataset("karate").num_nodes == 34


# ----------------------------------------------------------------------------- synthetic files (no shared data)
def _write(root, folder, name, content: bytes):
    path = root / folder
    path.mkdir(parents=True, exist_ok=True)
    (path / name).write_bytes(content)
    return path / name


def test_missing_dataset_names_folder_and_variable(tmp_path, monkeypatch):
    with pytest.raises(DatasetNotFoundError) as err:
        load_dataset("cora", root=tmp_path)
    message = str(err.value)
    assert str(tmp_path / "cora_planetoid") in message and "GRAPHSPARSE_DATA" in message
    assert isinstance(err.value, FileNotFoundError)
    monkeypatch.setenv("GRAPHSPARSE_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path))):
        load_graph("collegemsg")


def test_missing_single_file_is_named(tmp_path):
    _write(tmp_path, "dblp_prone", "dblp.ungraph", b"0\t1\n")
    with pytest.raises(DatasetNotFoundError, match="dblp.cmty"):
        load_dataset("dblp", root=tmp_path)


def test_checksum_mismatch_raises(tmp_path):
    _write(tmp_path, "karate", "karate.adjlist", b"1 2\n")
    with pytest.raises(DatasetChecksumError, match="karate.adjlist"):
        load_dataset("karate", root=tmp_path)


def test_edgelist_with_crlf(tmp_path):
    _write(tmp_path, "p2p_gnutella08", "p2p-Gnutella08.edgelist", b"0\t1\r\n0\t2\r\n2\t1\r\n")
    data = load_dataset("gnutella", root=tmp_path, verify=False)
    assert data.edge_index.tolist() == [[0, 0, 2], [1, 2, 1]] and data.directed


def test_snap_temporal_gz_and_plain_relabel_and_sort(tmp_path):
    content = b"10 20 5\n20 30 3\n10 30 3\n"
    _write(tmp_path, "collegemsg", "CollegeMsg.txt.gz", gzip.compress(content))
    data = load_dataset("collegemsg", root=tmp_path, verify=False)
    # ids 10, 20, 30 -> 0, 1, 2; stable sort by time keeps (20,30,3) before (10,30,3)
    assert data.src.tolist() == [1, 0, 0] and data.dst.tolist() == [2, 2, 1] and data.t.tolist() == [3, 3, 5]
    assert data.node_ids.tolist() == [10, 20, 30]
    plain = loaders._read_snap_temporal(str(_write(tmp_path, "plain", "x.txt", content).parent),
                                        {"files": {"x.txt": {}}})
    assert plain.src.tolist() == data.src.tolist()


def test_hetero_npz_undirected_stores_both_directions(tmp_path):
    path = tmp_path / "tolokers"
    path.mkdir()
    masks = np.zeros((10, 3), dtype=bool)
    np.savez(path / "tolokers.npz", node_features=np.eye(3, dtype=np.float32), node_labels=np.array([0, 1, 1]),
             edges=np.array([[0, 1], [1, 2]]), train_masks=masks, val_masks=masks, test_masks=masks)
    data = load_dataset("tolokers", root=tmp_path, verify=False)
    assert data.edge_index.tolist() == [[0, 1, 1, 2], [1, 0, 2, 1]]
    assert data.train_mask.shape == (3, 10) and data.directed is False


def test_prone_labels(tmp_path):
    _write(tmp_path, "dblp_prone", "dblp.ungraph", b"0\t1\n1\t2\n")
    _write(tmp_path, "dblp_prone", "dblp.cmty", b"0\t2\n1\n")
    data = load_dataset("dblp", root=tmp_path, verify=False)
    assert data.y.tolist() == [0, 1, 0] and data.edge_index.size(1) == 4


def test_dataset_info_is_a_copy():
    info = dataset_info("cora")
    info["num_nodes"] = -1
    assert dataset_info("cora")["num_nodes"] == 2708
    assert json.dumps(info)  # plain JSON types
