"""Bad input to generators and loaders: clear ValueError/TypeError naming the argument."""
from __future__ import annotations

import numpy as np
import pytest

from graphsparse.datasets import contextual_sbm, load_dataset, load_graph, random_split_masks, rmat, sbm, temporal_graph
from graphsparse.datasets.loaders import dataset_info


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(num_nodes=-5, num_edges=10), ValueError, "num_nodes"),
    (dict(num_nodes=0, num_edges=10), ValueError, "num_nodes"),
    (dict(num_nodes=10, num_edges=-1), ValueError, "num_edges"),
    (dict(num_nodes=10.0, num_edges=5), TypeError, "num_nodes"),
    (dict(num_nodes=10, num_edges=5.5), TypeError, "num_edges"),
    (dict(num_nodes=10, num_edges=5, a=1.5), ValueError, r"\ba\b"),
    (dict(num_nodes=10, num_edges=5, b=-0.1), ValueError, r"\bb\b"),
    (dict(num_nodes=10, num_edges=5, c=float("nan")), ValueError, r"\bc\b"),
    (dict(num_nodes=10, num_edges=5, a=0.6, b=0.3, c=0.3), ValueError, "a \\+ b \\+ c"),
    (dict(num_nodes=10, num_edges=91), ValueError, "num_edges=91 exceeds the 90"),
    (dict(num_nodes=10, num_edges=46, directed=False), ValueError, "num_edges=46 exceeds the 45"),
    (dict(num_nodes=1, num_edges=1), ValueError, "num_edges"),
    (dict(num_nodes=10, num_edges=5, seed="abc"), TypeError, "random_state"),
])
def test_rmat_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        rmat(**kwargs)


@pytest.mark.parametrize("args,kwargs,error,match", [
    (([10, -1], 0.1), {}, ValueError, "block_sizes"),
    (([], 0.1), {}, ValueError, "block_sizes"),
    ((10, 0.1), {}, TypeError, "block_sizes"),
    (([2.5, 3.0], 0.1), {}, TypeError, "block_sizes"),
    (([0, 0], 0.1), {}, ValueError, "block_sizes"),
    (([5, 5], [[0.1, 0.2]]), {}, ValueError, r"edge_probs must have shape \(2, 2\)"),
    (([5, 5], [[0.1, 1.2], [1.2, 0.1]]), {}, ValueError, r"edge_probs.*\[0, 1\]"),
    (([5, 5], [[0.1, -0.2], [-0.2, 0.1]]), {}, ValueError, "edge_probs"),
    (([5, 5], [[0.1, np.nan], [np.nan, 0.1]]), {}, ValueError, "edge_probs"),
    (([5, 5], [[0.1, 0.2], [0.3, 0.1]]), {}, ValueError, "symmetric"),
])
def test_sbm_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        sbm(*args, **kwargs)


def test_sbm_asymmetric_ok_when_directed():
    assert sbm([5, 5], [[0.1, 0.2], [0.3, 0.1]], directed=True, seed=0).directed


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(num_nodes=-1), ValueError, "num_nodes"),
    (dict(num_classes=0), ValueError, "num_classes"),
    (dict(num_nodes=3, num_classes=4), ValueError, "num_classes"),
    (dict(homophily=1.5), ValueError, "homophily"),
    (dict(homophily=-0.1), ValueError, "homophily"),
    (dict(avg_degree=-2), ValueError, "avg_degree"),
    (dict(avg_degree=float("inf")), ValueError, "avg_degree"),
    (dict(num_nodes=20, avg_degree=50), ValueError, "avg_degree"),
    (dict(feature_signal=-1.0), ValueError, "feature_signal"),
    (dict(num_features=-3), ValueError, "num_features"),
    (dict(train_fraction=0.8, val_fraction=0.3), ValueError, "train_fraction \\+ val_fraction"),
    (dict(train_fraction=1.2), ValueError, "train_fraction"),
])
def test_contextual_sbm_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        contextual_sbm(**kwargs)


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(num_nodes=1), ValueError, "num_nodes"),
    (dict(num_nodes=-10), ValueError, "num_nodes"),
    (dict(num_events=-1), ValueError, "num_events"),
    (dict(num_blocks=0), ValueError, "num_blocks"),
    (dict(num_nodes=5, num_blocks=6), ValueError, "num_blocks"),
    (dict(p_intra=1.1), ValueError, "p_intra"),
    (dict(closure_prob=-0.5), ValueError, "closure_prob"),
    (dict(repeat_prob=2), ValueError, "repeat_prob"),
    (dict(activity_skew=-1), ValueError, "activity_skew"),
    (dict(mean_gap=float("nan")), ValueError, "mean_gap"),
    (dict(msg_dim=-2), ValueError, "msg_dim"),
    (dict(memory=0), ValueError, "memory"),
    (dict(num_events=2.5), TypeError, "num_events"),
])
def test_temporal_graph_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        temporal_graph(**kwargs)


def test_random_split_masks_bad_input():
    with pytest.raises(ValueError, match="num_nodes"):
        random_split_masks(0)
    with pytest.raises(ValueError, match="val_fraction"):
        random_split_masks(10, 0.5, -0.1)


def test_unknown_dataset_lists_known_ones():
    with pytest.raises(ValueError, match="unknown dataset 'coraa'") as err:
        load_dataset("coraa")
    for name in ("cora", "citeseer", "blogcatalog", "dblp", "collegemsg", "tolokers", "squirrel_directed"):
        assert name in str(err.value)
    with pytest.raises(ValueError, match="known datasets"):
        load_graph("nope")
    with pytest.raises(ValueError, match="known datasets"):
        dataset_info("")


def test_dataset_name_must_be_a_string():
    with pytest.raises(TypeError, match="name"):
        load_dataset(3)


def test_dataset_names_are_case_insensitive_with_aliases():
    assert dataset_info("CORA")["folder"] == "cora_planetoid"
    assert dataset_info("dblp_prone")["folder"] == "dblp_prone"
    assert dataset_info("p2p-Gnutella08")["folder"] == "p2p_gnutella08"
