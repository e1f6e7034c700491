"""graphsparse.io: every reader on small files written here, and one clear error per malformed file."""
from __future__ import annotations

import gzip
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from graphsparse import io
from graphsparse.graph import as_graph


def write(path, text):
    path.write_text(text)
    return str(path)


def dense(graph):
    return graph.to_scipy().toarray()


# ------------------------------------------------------------------------------ edge lists
@pytest.mark.parametrize("name, text", [
    ("e.txt", "# comment\n0 1\n1 2\n\n2 0\n"),
    ("e.csv", "0,1\n1,2\n2,0\n"),
    ("e.tsv", "0\t1\n1\t2\n2\t0\n"),
    ("e.edgelist", "0   1\n1 2  # trailing comment\n2\t0\n"),
])
def test_edge_list_separators(tmp_path, name, text):
    gf = io.read_edge_list(write(tmp_path / name, text))
    expected = np.zeros((3, 3))
    expected[[0, 1, 2], [1, 2, 0]] = 1
    np.testing.assert_array_equal(dense(gf.graph), expected)
    assert gf.mapping.is_identity and gf.notes == []
    np.testing.assert_array_equal(gf.edge_index, [[0, 1, 2], [1, 2, 0]])


def test_edge_list_gzip_header_names_weight_time(tmp_path):
    path = tmp_path / "e.csv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("t,w,a,b\n5,0.5,0,1\n3,2.0,1,2\n9,1.5,0,1\n")
    gf = io.read_edge_list(str(path), src="a", dst="b", weight="w", time="t")
    assert gf.graph.num_nodes == 3
    np.testing.assert_allclose(dense(gf.graph)[0, 1], 2.0)  # duplicate edge weights summed
    np.testing.assert_allclose(dense(gf.graph)[1, 2], 2.0)
    np.testing.assert_array_equal(gf.edge_time, [5, 3, 9])
    np.testing.assert_array_equal(gf.edge_weight, [0.5, 2.0, 1.5])


def test_edge_list_columns_by_position(tmp_path):
    gf = io.read_edge_list(write(tmp_path / "e.txt", "x 0 1 7\nx 1 2 8\n"), src=1, dst=2, weight=3)
    np.testing.assert_array_equal(gf.edge_index, [[0, 1], [1, 2]])
    np.testing.assert_array_equal(gf.edge_weight, [7, 8])


def test_one_based_ids_are_shifted_with_a_note(tmp_path):
    gf = io.read_edge_list(write(tmp_path / "e.txt", "1 2\n2 3\n"))
    assert gf.graph.num_nodes == 3 and gf.mapping.scheme == "one"
    np.testing.assert_array_equal(gf.mapping.labels, [1, 2, 3])
    np.testing.assert_array_equal(gf.mapping.index([3, 1]), [2, 0])
    assert any("1-based" in note for note in gf.notes)
    kept = io.read_edge_list(str(tmp_path / "e.txt"), ids="zero")
    assert kept.graph.num_nodes == 4 and kept.graph.out_degree()[0] == 0


def test_string_labels_relabelled_with_mapping(tmp_path):
    gf = io.read_edge_list(write(tmp_path / "e.csv", "src,dst\ncarol,alice\nalice,bob\n"))
    np.testing.assert_array_equal(gf.mapping.labels, ["alice", "bob", "carol"])
    a = dense(gf.graph)
    assert a[2, 0] == 1 and a[0, 1] == 1 and a.sum() == 2
    np.testing.assert_array_equal(gf.mapping.index(["bob", "carol"]), [1, 2])
    with pytest.raises(ValueError, match="dave"):
        gf.mapping.index(["dave"])
    out = tmp_path / "nodes.txt"
    gf.mapping.save(out)
    assert out.read_text().split() == ["alice", "bob", "carol"]


def test_sparse_and_huge_ids(tmp_path):
    path = write(tmp_path / "e.txt", "0 3000000000\n3000000000 7\n")
    gf = io.read_edge_list(path)  # auto: relabelled (would be 3e9 nodes)
    np.testing.assert_array_equal(gf.mapping.labels, [0, 7, 3000000000])
    assert gf.graph.num_nodes == 3 and any("sparser" in note for note in gf.notes)
    with pytest.raises(ValueError, match=r"line 2: src id '3000000000' would make a graph of 3,000,000,001 nodes"):
        io.read_edge_list(path, ids="zero")
    gf = io.read_edge_list(write(tmp_path / "f.txt", "5 7\n7 6\n"))
    assert gf.mapping.scheme == "relabel" and gf.graph.num_nodes == 3


def test_num_nodes_and_directed(tmp_path):
    path = write(tmp_path / "e.txt", "0 1\n1 2\n")
    gf = io.read_edge_list(path, num_nodes=5, directed=False)
    assert gf.graph.num_nodes == 5 and not gf.graph.directed and gf.graph.num_edges == 4
    with pytest.raises(ValueError, match="smaller"):
        io.read_edge_list(path, num_nodes=2)


@pytest.mark.parametrize("text, kwargs, message", [
    ("0.5 1.7\n", {}, r"line 1: src id '0.5' is not an integer"),
    ("0 1\n1 2.5\n", {"ids": "relabel"}, r"line 2: dst id '2.5' is not an integer"),
    ("0 1\n# c\n1\n2 3\n", {}, r"line 3: 1 fields where line 1 has 2 \(ragged rows\)"),
    ("0 1\n1 2 3\n", {}, r"line 2: 3 fields where line 1 has 2"),
    ("0 1\nx 2\n", {"ids": "zero"}, r"line 2: src id 'x' is not a number"),
    ("0 1 1.0\n1 2 nan\n", {"weight": 2}, r"line 2: missing or NaN value in column 2"),
    ("0 1 1.0\n1 2 inf\n", {"weight": 2}, r"line 2: weight 'inf' is not finite"),
    ("", {}, "empty"),
    ("# only a comment\n\n", {}, "empty"),
    ("a,b\n0,1\n", {"src": "from"}, r"no src column 'from' in the header \['a', 'b'\]"),
    ("0 1\n", {"weight": 5}, "weight column 5 does not exist"),
    ("0 1\n1 0\n", {"ids": "one"}, r"line 1: src id '0' is below 1"),
])
def test_malformed_edge_lists(tmp_path, text, kwargs, message):
    path = write(tmp_path / "bad.txt", text)
    with pytest.raises(ValueError, match=message) as info:
        io.read_edge_list(path, **kwargs)
    assert str(path) in str(info.value)


def test_truncated_gzip_and_missing_file(tmp_path):
    path = tmp_path / "e.txt.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("0 1\n1 2\n" * 5000)
    raw = path.read_bytes()
    (tmp_path / "cut.txt.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="cut.txt.gz: truncated or corrupt compressed file"):
        io.read_edge_list(str(tmp_path / "cut.txt.gz"))
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        io.read_edge_list(str(tmp_path / "nope.txt"))
    with pytest.raises(ValueError, match="folder"):
        io.read_edge_list(str(tmp_path))


# ------------------------------------------------------------------------------ temporal
def test_snap_events_unsorted_are_sorted_with_a_warning(tmp_path):
    path = write(tmp_path / "email.txt", "0 1 100\n1 2 50\n2 0 75\n0 2 50\n")
    with pytest.warns(UserWarning, match="times are not sorted; 3 events reordered"):
        tf = io.read_temporal(path)
    edges = tf.edges
    np.testing.assert_array_equal(edges.t, [0, 0, 25, 50])
    assert tf.t0 == 50.0
    np.testing.assert_array_equal(edges.edge_ids, [1, 3, 2, 0])  # file positions, stable among ties
    np.testing.assert_array_equal(edges.src, [1, 0, 2, 0])
    np.testing.assert_array_equal(edges.dst, [2, 2, 0, 1])
    assert any("not sorted" in note for note in tf.notes)


def test_sorted_events_give_no_warning(tmp_path):
    path = write(tmp_path / "e.txt", "1 2 1.5\n2 3 2.5\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tf = io.read_temporal(path)
    assert tf.edges.num_nodes == 3 and tf.mapping.scheme == "one"


def test_dyglib_csv_with_side_files(tmp_path):
    path = write(tmp_path / "ml_toy.csv", ",u,i,ts,label,idx\n0,1,3,0.0,0,1\n1,2,3,1.0,1,2\n2,1,2,3.0,0,3\n")
    np.save(tmp_path / "ml_toy.npy", np.arange(8, dtype=np.float64).reshape(4, 2))  # row 0 = padding
    np.save(tmp_path / "ml_toy_node.npy", np.arange(4, dtype=np.float64).reshape(4, 1) * 10)
    tf = io.read_temporal(path)
    edges = tf.edges
    np.testing.assert_array_equal(edges.src, [0, 1, 0])  # DyGLib ids are 1-based
    np.testing.assert_array_equal(edges.dst, [2, 2, 1])
    np.testing.assert_array_equal(edges.edge_features[edges.edge_ids], [[2, 3], [4, 5], [6, 7]])
    np.testing.assert_array_equal(edges.node_features[:, 0], [10, 20, 30])
    np.testing.assert_array_equal(tf.labels, [0, 1, 0])


def test_jodie_csv_bipartite_with_features(tmp_path):
    path = write(tmp_path / "wiki.csv", "user_id,item_id,timestamp,state_label,comma_separated_list_of_features\n"
                                        "0,0,0.0,0,0.1,0.2\n1,0,1.0,0,0.3,0.4\n0,1,2.0,1,0.5,0.6\n")
    tf = io.read_temporal(path)
    edges = tf.edges
    np.testing.assert_array_equal(edges.src, [0, 1, 0])
    np.testing.assert_array_equal(edges.dst, [2, 2, 3])  # items numbered after the 2 users
    np.testing.assert_allclose(edges.edge_features, [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    np.testing.assert_array_equal(tf.labels, [0, 0, 1])
    assert edges.num_nodes == 4


def test_generic_csv_named_columns_and_features(tmp_path):
    path = write(tmp_path / "ev.csv", "time,a,b,f1,f2\n1,x,y,0.5,1\n2,y,z,0.25,2\n")
    tf = io.read_temporal(path, src="a", dst="b", time="time", features=["f1", "f2"])
    np.testing.assert_array_equal(tf.mapping.labels, ["x", "y", "z"])
    np.testing.assert_allclose(tf.edges.edge_features, [[0.5, 1], [0.25, 2]])


@pytest.mark.parametrize("text, message", [
    ("0 1 5\n1 2 x\n", r"line 2: time 'x' is not a number"),
    ("0 1 5\n1 2\n", r"line 2: 2 fields where line 1 has 3"),
    ("0 1\n1 2\n", "time column 2 does not exist"),
    ("0 1 nan\n", "line 1: missing or NaN value"),
    ("", "empty"),
])
def test_malformed_temporal_files(tmp_path, text, message):
    path = write(tmp_path / "bad.txt", text)
    with pytest.raises(ValueError, match=message):
        io.read_temporal(path)


# ------------------------------------------------------------------------------ node labels
def test_labels_one_per_line(tmp_path):
    labels = io.read_node_labels(write(tmp_path / "y.txt", "b\na\nb\n"))
    np.testing.assert_array_equal(labels.y, [1, 0, 1])
    np.testing.assert_array_equal(labels.classes, ["a", "b"])
    assert not labels.multilabel
    with pytest.raises(ValueError, match="3 labels .* for 4 nodes"):
        io.read_node_labels(str(tmp_path / "y.txt"), num_nodes=4)


def test_labels_pairs_single_and_multi(tmp_path):
    labels = io.read_node_labels(write(tmp_path / "y.txt", "0 7\n2 3\n"), num_nodes=4)
    np.testing.assert_array_equal(labels.y, [1, -1, 0, -1])
    np.testing.assert_array_equal(labels.classes, [3, 7])
    np.testing.assert_array_equal(labels.labelled, [True, False, True, False])
    multi = io.read_node_labels(write(tmp_path / "m.txt", "0 a\n1 b\n1 a\n"))
    assert multi.multilabel
    np.testing.assert_array_equal(multi.y, [[1, 0], [1, 1]])


def test_labels_with_the_graph_mapping(tmp_path):
    gf = io.read_edge_list(write(tmp_path / "e.txt", "bob alice\nalice carol\n"))
    labels = io.read_node_labels(write(tmp_path / "y.txt", "carol 1\nalice 0\nbob 1\n"), mapping=gf.mapping)
    np.testing.assert_array_equal(labels.y, [0, 1, 1])  # alice, bob, carol
    with pytest.raises(ValueError, match="dave"):
        io.read_node_labels(write(tmp_path / "z.txt", "dave 1\n"), mapping=gf.mapping)
    one = io.read_edge_list(write(tmp_path / "o.txt", "1 2\n2 3\n"))
    labels = io.read_node_labels(write(tmp_path / "oy.txt", "3 x\n1 y\n2 x\n"), mapping=one.mapping)
    np.testing.assert_array_equal(labels.y, [1, 0, 0])


def test_community_file_is_multilabel(tmp_path):
    labels = io.read_node_labels(write(tmp_path / "c.txt", "0 1 2\n2 3\n4\n"), num_nodes=6)
    assert labels.multilabel and labels.y.shape == (6, 3)
    np.testing.assert_array_equal(labels.y.sum(axis=0), [3, 2, 1])
    np.testing.assert_array_equal(labels.y[2], [1, 1, 0])
    assert labels.y[5].sum() == 0
    two = io.read_node_labels(write(tmp_path / "d.txt", "0 1\n1 2\n"), fmt="communities")
    np.testing.assert_array_equal(two.y, [[1, 0], [1, 1], [0, 1]])


@pytest.mark.parametrize("text, kwargs, message", [
    ("0 a\n1\n", {"fmt": "pairs"}, r"line 2: 1 fields, expected 2"),
    ("0 a\nx b\n", {}, r"line 2: node id 'x' is not a number"),
    ("0 a\n1.5 b\n", {}, r"line 2: node id '1.5' is not a non-negative integer"),
    ("0 a\n9 b\n", {"num_nodes": 3}, r"line 2: node 9 is not below the 3 nodes"),
    ("", {}, "empty"),
])
def test_malformed_label_files(tmp_path, text, kwargs, message):
    with pytest.raises(ValueError, match=message):
        io.read_node_labels(write(tmp_path / "bad.txt", text), **kwargs)


# ------------------------------------------------------------------------------ npz bundles
def test_npz_graph_save_and_scipy(tmp_path):
    graph = as_graph(np.array([[0, 1, 2], [1, 2, 0]]), edge_weight=[1.0, 2.0, 3.0])
    graph.save(tmp_path / "g.npz")
    assert io.read_npz(str(tmp_path / "g.npz")).graph == graph
    matrix = sp.random(6, 6, density=0.3, format="csr", random_state=0)
    sp.save_npz(tmp_path / "s.npz", matrix)
    np.testing.assert_allclose(dense(io.read_npz(str(tmp_path / "s.npz")).graph), matrix.toarray(), rtol=1e-6)
    sp.save_npz(tmp_path / "c.npz", matrix.tocoo())
    np.testing.assert_allclose(dense(io.read_graph(str(tmp_path / "c.npz")).graph), matrix.toarray(), rtol=1e-6)


def test_npz_yandex_bundle(tmp_path):
    rng = np.random.default_rng(0)
    train = np.zeros((3, 5), bool)
    train[:, 0] = True
    np.savez(tmp_path / "y.npz", edges=np.array([[0, 1], [1, 2], [3, 4]]), node_features=rng.random((5, 4)),
             node_labels=np.array([0, 1, 2, 1, 0]), train_masks=train, val_masks=~train, test_masks=~train)
    bundle = io.read_npz(str(tmp_path / "y.npz"))
    assert bundle.graph.num_nodes == 5 and bundle.graph.num_edges == 3
    assert bundle.x.shape == (5, 4) and bundle.x.dtype == np.float32
    assert bundle.train_mask.shape == (5, 3) and bundle.train_mask[0].all() and not bundle.train_mask[1:].any()
    data = bundle.to_data()
    assert data.edge_index.tolist() == [[0, 1, 3], [1, 2, 4]] and data.y.tolist() == [0, 1, 2, 1, 0]


def test_npz_pyg_style(tmp_path):
    np.savez(tmp_path / "p.npz", edge_index=np.array([[0, 1], [1, 2]]), y=np.array([0, 1, 1]),
             train_mask=np.array([1, 0, 0], bool))
    bundle = io.read_npz(str(tmp_path / "p.npz"))
    assert bundle.graph.num_nodes == 3 and bundle.train_mask.tolist() == [True, False, False]


def test_malformed_npz(tmp_path):
    np.savez(tmp_path / "ok.npz", edges=np.array([[0, 1], [1, 2]]), node_labels=np.array([0, 1, 0]))
    raw = (tmp_path / "ok.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(raw[: len(raw) // 2])
    cases = {
        "cut.npz": (None, "not a readable .npz archive"),
        "keys.npz": (dict(foo=np.ones(3)), "unrecognised .npz layout"),
        "range.npz": (dict(edges=np.array([[0, 5]]), node_labels=np.array([0, 1])), r"edge ids must be in \[0, 2\)"),
        "float.npz": (dict(edges=np.array([[0.5, 1]])), "edge ids must be integers"),
        "csr.npz": (dict(indptr=np.array([0, 2, 1]), indices=np.array([0, 1]), num_nodes=np.int64(2)), "indptr"),
        "idx.npz": (dict(indptr=np.array([0, 1, 2]), indices=np.array([0, 10**8]), num_nodes=np.int64(2)),
                    r"indices must be in \[0, 2\)"),
        "mask.npz": (dict(edges=np.array([[0, 1]]), node_labels=np.array([0, 1]), train_masks=np.array([0.5, 1])),
                     "boolean"),
        "labels.npz": (dict(edges=np.array([[0, 1]]), node_labels=np.array([0.5, 1])), "integer class numbers"),
        "feats.npz": (dict(edges=np.array([[0, 1]]), node_features=np.array([[np.nan], [1]])), "NaN"),
    }
    for name, (arrays, message) in cases.items():
        if arrays is not None:
            np.savez(tmp_path / name, **arrays)
        with pytest.raises(ValueError, match=message) as info:
            io.read_npz(str(tmp_path / name))
        assert name in str(info.value)
    np.save(tmp_path / "single.npy", np.ones(3))
    (tmp_path / "single.npz").write_bytes((tmp_path / "single.npy").read_bytes())
    with pytest.raises(ValueError, match="single .npy array"):
        io.read_npz(str(tmp_path / "single.npz"))


# ------------------------------------------------------------------------------ side files
def test_features_and_masks(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(io.read_features(str(tmp_path / "x.npy"), 3), [[0, 1], [2, 3], [4, 5]])
    with pytest.raises(ValueError, match="3 feature rows for 4 nodes"):
        io.read_features(str(tmp_path / "x.npy"), 4)
    text = write(tmp_path / "x.txt", "0.5 1\n2 3\n")
    np.testing.assert_array_equal(io.read_features(text), [[0.5, 1], [2, 3]])
    gf = io.read_edge_list(write(tmp_path / "e.txt", "b a\n"))
    by_id = write(tmp_path / "xid.txt", "b 1 2\na 3 4\n")
    with pytest.raises(ValueError, match="line 1: feature column 0 'b' is not a number"):
        io.read_features(by_id)
    np.savez(tmp_path / "m.npz", train_mask=np.array([1, 0, 0], bool), val_mask=np.array([0, 1, 0], bool),
             test_mask=np.array([0, 0, 1], bool))
    train, val, test = io.read_masks(str(tmp_path / "m.npz"), 3)
    assert train.tolist() == [True, False, False] and test.tolist() == [False, False, True]
    np.savez(tmp_path / "m2.npz", train_mask=np.ones(3, bool))
    with pytest.raises(ValueError, match="no val_mask"):
        io.read_masks(str(tmp_path / "m2.npz"), 3)
    assert gf.graph.num_nodes == 2
