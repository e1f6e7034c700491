"""Tiny datasets in OGB's on-disk format, written with ``ogb.io.DatasetSaver`` (no network).

Each fixture returns a factory ``make(name) -> path of meta_dict.pt``. The scripts load it with
``PygNodePropPredDataset(name, root, meta_dict=...)`` / ``PygLinkPropPredDataset(...)`` -- the same
class, ``process()`` and split reader a real run goes through. The ``meta_dict`` written by the
saver is completed with the real dataset's ``additional node/edge files`` (from OGB's
``master.csv``) so that e.g. ``node_year`` of ogbn-arxiv reaches ``Data`` as it does for real.

Graphs have planted structure (classes = blocks with 85% intra-block edges, features = class mean
+ noise, arxiv years increasing with the class) so that a working pipeline scores well above chance.
"""
from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OGB_DIR = os.path.join(REPO_ROOT, "benchmarks", "ogb")

try:
    import ogb
except ImportError:  # the fixtures skip: the OGB scripts need the `ogb` package
    ogb = None


def _require_ogb():
    if ogb is None:
        pytest.skip("the OGB scripts need the `ogb` package (pip install 'ogb>=1.3.6')")

# real dataset facts the tiny copies keep (classes, split name, label kind)
NODE_DATASETS = {
    "ogbn-arxiv": {"num_classes": 40, "split": "time", "year": True, "nan_labels": False},
    "ogbn-products": {"num_classes": 47, "split": "sales_ranking", "year": False, "nan_labels": False},
    "ogbn-papers100M": {"num_classes": 172, "split": "time", "year": True, "nan_labels": True},
}


def _master_column(task: str, name: str):
    import pandas as pd

    path = os.path.join(os.path.dirname(ogb.__file__), task, "master.csv")
    return pd.read_csv(path, index_col=0, keep_default_na=False)[name]


def _planted_graph(rng, num_nodes, num_blocks, out_degree, p_intra):
    labels = rng.integers(0, num_blocks, num_nodes)
    members = [np.flatnonzero(labels == k) for k in range(num_blocks)]
    src = np.repeat(np.arange(num_nodes), out_degree)
    same = rng.random(src.size) < p_intra
    dst = rng.integers(0, num_nodes, src.size)
    for k in range(num_blocks):
        pick = same & (labels[src] == k)
        dst[pick] = rng.choice(members[k], int(pick.sum()))
    keep = src != dst
    edge_index = np.unique(np.stack([src[keep], dst[keep]]), axis=1)
    return labels, edge_index


def _save(saver, tmp_dir, meta_updates):
    import torch

    mapping = os.path.join(tmp_dir, "mapping")
    os.makedirs(mapping, exist_ok=True)
    with open(os.path.join(mapping, "README.md"), "w") as handle:
        handle.write("tiny test dataset: node ids are their own mapping\n")
    saver.copy_mapping_dir(mapping)
    meta = saver.get_meta_dict()
    meta.update(meta_updates)
    path = os.path.join(tmp_dir, "meta_dict.pt")
    torch.save(meta, path)
    return path


def write_node_dataset(tmp_dir, name, num_nodes=240, num_features=16, num_blocks=4, seed=0):
    """Write a tiny ``name`` (ogbn-*) dataset with DatasetSaver; return the meta_dict.pt path."""
    from ogb.io import DatasetSaver

    facts = NODE_DATASETS[name]
    rng = np.random.default_rng(seed)
    labels, edge_index = _planted_graph(rng, num_nodes, num_blocks, out_degree=6, p_intra=0.85)
    means = rng.normal(size=(num_blocks, num_features)) * 1.5
    graph = {"edge_index": edge_index, "num_nodes": num_nodes, "edge_feat": None,
             "node_feat": (means[labels] + rng.normal(size=(num_nodes, num_features))).astype(np.float32)}
    if facts["year"]:
        graph["node_year"] = (2000 + 3 * labels + rng.integers(0, 3, num_nodes)).reshape(-1, 1).astype(np.int64)
    saver = DatasetSaver(name, is_hetero=False, version=1, root=os.path.join(tmp_dir, "submission"))
    saver.save_graph_list([graph])
    perm = rng.permutation(num_nodes)
    n_train, n_valid = int(0.5 * num_nodes), int(0.2 * num_nodes)
    split = {"train": np.sort(perm[:n_train]), "valid": np.sort(perm[n_train:n_train + n_valid]),
             "test": np.sort(perm[n_train + n_valid:])}
    if facts["nan_labels"]:  # papers100M: labels only on the split nodes, NaN elsewhere
        unlabelled = perm[int(0.9 * num_nodes):]
        split["test"] = np.setdiff1d(split["test"], unlabelled)
        node_label = labels.astype(np.float64).reshape(-1, 1)
        node_label[unlabelled] = np.nan
    else:
        node_label = labels.reshape(-1, 1).astype(np.int64)
    saver.save_target_labels(node_label)
    saver.save_split(split, facts["split"])
    saver.save_task_info(task_type="multiclass classification", eval_metric="acc",
                         num_classes=facts["num_classes"])
    master = _master_column("nodeproppred", name)
    return _save(saver, tmp_dir, {"additional node files": master["additional node files"],
                                  "additional edge files": master["additional edge files"]})


def write_link_dataset(tmp_dir, name="ogbl-collab", num_nodes=200, num_features=16, num_blocks=5, seed=0):
    """Tiny ogbl-collab: undirected co-authorship-like graph with weights/years, OGB edge split."""
    from ogb.io import DatasetSaver

    rng = np.random.default_rng(seed)
    labels, directed_edges = _planted_graph(rng, num_nodes, num_blocks, out_degree=4, p_intra=0.95)
    pairs = np.unique(np.sort(directed_edges, axis=0), axis=1).T  # (P, 2) with u < v
    pairs = pairs[rng.permutation(len(pairs))]
    years = rng.integers(2000, 2020, len(pairs))
    weights = rng.integers(1, 4, len(pairs))
    n_valid = n_test = max(10, len(pairs) // 10)
    parts = {"test": slice(0, n_test), "valid": slice(n_test, n_test + n_valid),
             "train": slice(n_test + n_valid, None)}
    train = pairs[parts["train"]]
    edge_index = np.concatenate([train.T, train[:, ::-1].T], axis=1)  # both directions, as OGB's add_inverse_edge
    means = rng.normal(size=(num_blocks, num_features))
    graph = {"edge_index": edge_index, "num_nodes": num_nodes, "edge_feat": None,
             "node_feat": (means[labels] + rng.normal(size=(num_nodes, num_features))).astype(np.float32),
             "edge_weight": np.tile(weights[parts["train"]], 2).reshape(-1, 1).astype(np.int64),
             "edge_year": np.tile(years[parts["train"]], 2).reshape(-1, 1).astype(np.int64)}
    saver = DatasetSaver(name, is_hetero=False, version=1, root=os.path.join(tmp_dir, "submission"))
    saver.save_graph_list([graph])
    split = {}
    for part, rows in parts.items():
        split[part] = {"edge": pairs[rows].astype(np.int64), "weight": weights[rows].astype(np.int64),
                       "year": years[rows].astype(np.int64)}
        if part != "train":
            split[part]["edge_neg"] = rng.integers(0, num_nodes, (4 * len(pairs[rows]), 2)).astype(np.int64)
    saver.save_split(split, "time")
    saver.save_task_info(task_type="link prediction", eval_metric="hits@50")
    master = _master_column("linkproppred", name)
    return _save(saver, tmp_dir, {"additional node files": master["additional node files"],
                                  "additional edge files": master["additional edge files"]})


@pytest.fixture
def tiny_node_dataset(tmp_path):
    _require_ogb()

    def make(name, **kwargs):
        return write_node_dataset(str(tmp_path / name), name, **kwargs)

    return make


@pytest.fixture
def tiny_link_dataset(tmp_path):
    _require_ogb()

    def make(name="ogbl-collab", **kwargs):
        return write_link_dataset(str(tmp_path / name), name, **kwargs)

    return make


@pytest.fixture
def ogb_script():
    """Import ``benchmarks/ogb/<name>.py`` as a module (its ``main(argv)`` is what the CLI runs)."""
    _require_ogb()

    def load(name):
        if OGB_DIR not in sys.path:
            sys.path.insert(0, OGB_DIR)
        spec = importlib.util.spec_from_file_location(f"ogb_script_{name}", os.path.join(OGB_DIR, f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
