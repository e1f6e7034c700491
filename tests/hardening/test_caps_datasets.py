"""Issue #13 (datasets): Planetoid pickles never run code; every loader names the bad file.

Reproducer: ``load_dataset('cora', verify=False)`` on a folder whose ``ind.cora.x`` is a malicious
pickle ran the payload (PyG's reader calls ``pickle.load``). The restricted unpickler refuses any
global outside the NumPy/SciPy/dict types those files hold, whatever ``verify`` says.
"""
from __future__ import annotations

import collections
import os
import pickle
import shutil

import numpy as np
import pytest
import scipy.sparse as sp

from graphsparse.datasets import load_dataset
from graphsparse.datasets.loaders import dataset_info
from graphsparse.datasets.planetoid import UnsafePickleError, read_planetoid, restricted_load


def write_planetoid(folder, prefix="cora", num_train=5, num_all=520, num_test=10, features=6, classes=3, seed=0):
    """A tiny but valid Planetoid file set (the layout of kimiyoung/planetoid, protocol 2 pickles)."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)

    def one_hot(n):
        out = np.zeros((n, classes), dtype=np.float64)
        out[np.arange(n), rng.integers(0, classes, n)] = 1
        return out

    def feats(n):
        return sp.csr_matrix((rng.random((n, features)) < 0.3).astype(np.float32))

    allx, ally = feats(num_all), one_hot(num_all)
    items = {"x": allx[:num_train], "y": ally[:num_train], "allx": allx, "ally": ally,
             "tx": feats(num_test), "ty": one_hot(num_test)}
    num_nodes = num_all + num_test
    graph = collections.defaultdict(list)
    for _ in range(3 * num_nodes):
        u, v = (int(i) for i in rng.integers(0, num_nodes, 2))
        graph[u].append(v)
    items["graph"] = graph
    for name, value in items.items():
        with open(os.path.join(folder, f"ind.{prefix}.{name}"), "wb") as handle:
            pickle.dump(value, handle, protocol=2)
    test_index = rng.permutation(np.arange(num_all, num_all + num_test))
    np.savetxt(os.path.join(folder, f"ind.{prefix}.test.index"), test_index, fmt="%d")
    return folder


class _Payload:
    """Pickles to ``callable(*args)``: the classic code-execution pickle."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _payloads(marker):
    import builtins
    import subprocess

    touch = f"open({str(marker)!r}, 'w').write('pwned')"
    return {
        "os.system": _Payload(os.system, (f"touch {marker}",)),
        "builtins.eval": _Payload(builtins.eval, (touch,)),
        "builtins.exec": _Payload(builtins.exec, (touch,)),
        "subprocess.Popen": _Payload(subprocess.Popen, (["touch", str(marker)],)),
        # hidden one level down, inside an allowed container
        "nested in defaultdict": collections.defaultdict(list, {0: [_Payload(os.system, (f"touch {marker}",))]}),
    }


@pytest.mark.parametrize("protocol", [0, 2, 4])
@pytest.mark.parametrize("kind", ["os.system", "builtins.eval", "builtins.exec", "subprocess.Popen",
                                  "nested in defaultdict"])
def test_malicious_planetoid_pickle_is_refused_without_running(tmp_path, kind, protocol):
    root = tmp_path / "data"
    folder = write_planetoid(str(root / dataset_info("cora")["folder"]))
    marker = tmp_path / "marker"
    with open(os.path.join(folder, "ind.cora.x"), "wb") as handle:
        pickle.dump(_payloads(marker)[kind], handle, protocol=protocol)
    with pytest.raises(UnsafePickleError, match=r"ind\.cora\.x.*refusing to unpickle global"):
        load_dataset("cora", root=str(root), verify=False)
    assert not marker.exists(), "the pickle's payload ran"
    with pytest.raises(ValueError):  # UnsafePickleError is a ValueError
        restricted_load(os.path.join(folder, "ind.cora.x"))
    assert not marker.exists()


def test_synthetic_planetoid_loads_like_pyg(tmp_path):
    """The restricted reader gives PyG's result on a valid file set (no data folder needed)."""
    from torch_geometric.io import read_planetoid_data

    folder = write_planetoid(str(tmp_path / "p"))
    ours, reference = read_planetoid(folder, "cora"), read_planetoid_data(folder, "cora")
    for key in ("x", "y", "edge_index", "train_mask", "val_mask", "test_mask"):
        assert ours[key].shape == reference[key].shape and bool((ours[key] == reference[key]).all()), key


@pytest.mark.data
@pytest.mark.parametrize("name", ["cora", "citeseer"])
def test_real_planetoid_files_load_through_the_restricted_unpickler(data_root, name, tmp_path):
    """Real Cora/CiteSeer still load with verify=False (restricted path) and equal PyG's reader."""
    from torch_geometric.io import read_planetoid_data

    info = dataset_info(name)
    data = load_dataset(name, root=data_root, verify=False)
    reference = read_planetoid_data(os.path.join(data_root, info["folder"]), info["prefix"])
    for key in ("x", "y", "edge_index", "train_mask", "val_mask", "test_mask"):
        assert bool((data[key] == reference[key]).all()), key
    assert data.num_nodes == info["num_nodes"]


@pytest.mark.parametrize("name,value,match", [
    ("x", np.array([object(), 1], dtype=object), "numeric matrix|refusing"),
    ("x", "just a string", "NumPy array"),
    ("x", np.ones(5), "2-D matrix"),
    ("x", np.array([[np.nan, 1.0]]), "NaN"),
    ("graph", {0: [1, "a"]}, "list of int ids"),
    ("graph", [1, 2, 3], "dict"),
    ("graph", {0: [10**6]}, r"node ids must lie in"),
    ("graph", {-3: [1]}, r"node ids must lie in"),
    ("ty", np.zeros((3, 3)), "rows"),
])
def test_wrong_contents_named(tmp_path, name, value, match):
    folder = write_planetoid(str(tmp_path / "p"))
    with open(os.path.join(folder, f"ind.cora.{name}"), "wb") as handle:
        pickle.dump(value, handle, protocol=2)
    with pytest.raises(ValueError, match=match):
        read_planetoid(folder, "cora")


def test_malformed_sparse_matrix_state_refused(tmp_path):
    """A csr_matrix whose indices point past its shape (would read out of bounds) is refused."""
    folder = write_planetoid(str(tmp_path / "p"))
    bad = sp.csr_matrix(np.eye(3, 6, dtype=np.float32))
    bad.indices[0] = 10**6
    with open(os.path.join(folder, "ind.cora.tx"), "wb") as handle:
        pickle.dump(bad, handle, protocol=2)
    with pytest.raises(ValueError, match=r"ind\.cora\.tx: malformed sparse matrix"):
        read_planetoid(folder, "cora")


@pytest.mark.parametrize("cut", [0, 1, 7, 50])
def test_truncated_pickle_is_a_clear_error(tmp_path, cut):
    folder = write_planetoid(str(tmp_path / "p"))
    path = os.path.join(folder, "ind.cora.allx")
    with open(path, "rb") as handle:
        payload = handle.read()
    with open(path, "wb") as handle:
        handle.write(payload[:cut])
    with pytest.raises(ValueError, match=r"ind\.cora\.allx"):
        read_planetoid(folder, "cora")


def test_test_index_out_of_range(tmp_path):
    folder = write_planetoid(str(tmp_path / "p"))
    np.savetxt(os.path.join(folder, "ind.cora.test.index"), np.arange(10) + 10**6, fmt="%d")
    with pytest.raises(ValueError, match=r"test\.index"):
        read_planetoid(folder, "cora")


# --------------------------------------------------------------------------- other loaders
def _copy_dataset(data_root, name, tmp_path):
    info = dataset_info(name)
    target = tmp_path / info["folder"]
    shutil.copytree(os.path.join(data_root, info["folder"]), target)
    return str(tmp_path), str(target), info


def test_npz_loaders_refuse_pickled_objects(tmp_path):
    """g2g/heterophilous .npz files are read with allow_pickle=False: an object array is refused."""
    info = dataset_info("tolokers")
    folder = tmp_path / info["folder"]
    folder.mkdir()
    (file_name,) = info["files"]
    np.savez(folder / file_name, node_features=np.array([{"a": 1}], dtype=object),
             node_labels=np.zeros(1, np.int64), edges=np.zeros((0, 2), np.int64),
             train_masks=np.ones((1, 1), bool), val_masks=np.ones((1, 1), bool), test_masks=np.ones((1, 1), bool))
    with pytest.raises(ValueError, match="pickle"):
        load_dataset("tolokers", root=str(tmp_path), verify=False)


@pytest.mark.parametrize("change,match", [
    (dict(edges=np.array([[0, 5]])), r"'edges' holds node id 5 >= num_nodes=3"),
    (dict(edges=np.array([[0, -1]])), "negative node id"),
    (dict(edges=np.array([[0.5, 1.0]])), r"'edges' must be an \(E, 2\) integer array"),
    (dict(node_labels=np.zeros(2, np.int64)), "'node_labels' has 2 rows, expected 3"),
    (dict(train_masks=np.ones((2, 4), bool)), r"'train_masks' must be a boolean \(splits, 3\)"),
    (dict(train_masks=np.ones((2, 3), np.float32)), "'train_masks' must be a boolean"),
    (dict(node_features=None), "missing key"),
])
def test_hetero_npz_checked(tmp_path, change, match):
    info = dataset_info("tolokers")
    folder = tmp_path / info["folder"]
    folder.mkdir()
    (file_name,) = info["files"]
    arrays = dict(node_features=np.ones((3, 2), np.float32), node_labels=np.zeros(3, np.int64),
                  edges=np.array([[0, 1], [1, 2]]), train_masks=np.ones((2, 3), bool),
                  val_masks=np.zeros((2, 3), bool), test_masks=np.zeros((2, 3), bool))
    arrays.update(change)
    np.savez(folder / file_name, **{k: v for k, v in arrays.items() if v is not None})
    with pytest.raises(ValueError, match=match) as info_err:
        load_dataset("tolokers", root=str(tmp_path), verify=False)
    assert file_name in str(info_err.value)


@pytest.mark.parametrize("mutate,match", [
    (lambda a: a.update(adj_indices=np.array([0, 9])), "malformed CSR"),
    (lambda a: a.update(adj_indptr=np.array([0, 2, 1])), "malformed CSR"),
    (lambda a: a.update(labels=np.zeros(5, np.int64)), "'labels' has 5 rows"),
    (lambda a: a.pop("adj_shape"), "missing key"),
])
def test_g2g_npz_checked(tmp_path, mutate, match):
    info = dataset_info("polblogs")
    folder = tmp_path / info["folder"]
    folder.mkdir()
    (file_name,) = info["files"]
    arrays = dict(adj_data=np.ones(2, np.float32), adj_indices=np.array([1, 0]), adj_indptr=np.array([0, 1, 2]),
                  adj_shape=np.array([2, 2]), labels=np.zeros(2, np.int64))
    mutate(arrays)
    np.savez(folder / file_name, **arrays)
    with pytest.raises(ValueError, match=match):
        load_dataset("polblogs", root=str(tmp_path), verify=False)


@pytest.mark.parametrize("text,match", [
    ("0 1\n-4 2\n", "negative node id"),
    ("0 1\n0.5 2\n", "integers"),
    ("", r"expected 'src dst' rows"),
])
def test_edgelist_checked(tmp_path, text, match):
    info = dataset_info("gnutella")
    folder = tmp_path / info["folder"]
    folder.mkdir()
    (file_name,) = info["files"]
    (folder / file_name).write_text(text)
    with pytest.raises(ValueError, match=match):
        load_dataset("gnutella", root=str(tmp_path), verify=False)


@pytest.mark.parametrize("graph_text,cmty_text,match", [
    ("0\t1\n1\t2\n", "0\t1\n-2\n", "line 2.*negative"),
    ("0\t1\n1\t-2\n", "0\t1\n2\n", "negative node id"),
    ("0\t1\n", "\n\n", "no community lines"),
])
def test_prone_checked(tmp_path, graph_text, cmty_text, match):
    info = dataset_info("dblp")
    folder = tmp_path / info["folder"]
    folder.mkdir()
    for file_name in info["files"]:
        (folder / file_name).write_text(graph_text if file_name.endswith(".ungraph") else cmty_text)
    with pytest.raises(ValueError, match=match):
        load_dataset("dblp", root=str(tmp_path), verify=False)


@pytest.mark.parametrize("name", ["tolokers", "polblogs", "collegemsg", "blogcatalog"])
def test_truncated_binary_files_are_clear_errors(data_root, name, tmp_path):
    root, folder, info = _copy_dataset(data_root, name, tmp_path)
    for file_name in info["files"]:
        path = os.path.join(folder, file_name)
        size = os.path.getsize(path)
        with open(path, "r+b") as handle:
            handle.truncate(size // 2)
    with pytest.raises(ValueError, match=name if name != "blogcatalog" else "blogcatalog|mat"):
        load_dataset(name, root=root, verify=False)
