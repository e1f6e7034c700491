"""``--input FILE`` (and ``--labels``, ``--features``, ``--masks``) for every subcommand, on tiny
files written here; a bad file is one line on stderr and exit code 2."""
from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
import torch

from graphsparse import io
from graphsparse.cli import main, node_classification_data


@pytest.fixture(autouse=True)
def keep_threads():
    previous = torch.get_num_threads()
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def csbm_files(tmp_path_factory):
    """A 90-node contextual SBM written as an edge list, a 'node label' file, features and masks."""
    from graphsparse.datasets import contextual_sbm

    folder = tmp_path_factory.mktemp("csbm")
    data = contextual_sbm(num_nodes=90, num_classes=3, avg_degree=6.0, homophily=0.9, num_features=8, seed=0)
    edges = data.edge_index.numpy()
    np.savetxt(folder / "edges.txt", edges.T, fmt="%d", header="src dst")
    y = data.y.numpy()
    (folder / "labels.txt").write_text("".join(f"{i} class{c}\n" for i, c in enumerate(y)))
    np.save(folder / "x.npy", data.x.numpy())
    np.savez(folder / "masks.npz", train_mask=data.train_mask.numpy(), val_mask=data.val_mask.numpy(),
             test_mask=data.test_mask.numpy())
    np.savez(folder / "bundle.npz", edges=edges.T, node_features=data.x.numpy(), node_labels=y,
             train_masks=data.train_mask.numpy()[None], val_masks=data.val_mask.numpy()[None],
             test_masks=data.test_mask.numpy()[None])
    return folder, data


def one_error_line(capsys, *fragments):
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_embed_input_with_string_labels(tmp_path, capsys):
    from graphsparse.embed import FastRP

    edges = tmp_path / "friends.csv"
    edges.write_text("person,friend\ncarol,alice\nalice,bob\nbob,carol\ndave,alice\n")
    out = tmp_path / "emb.npy"
    assert main(["embed", "--input", str(edges), "--dim", "8", "--undirected", "--out", str(out), "-q"]) == 0
    gf = io.read_edge_list(str(edges), directed=False)
    np.testing.assert_array_equal(np.load(out), FastRP(n_components=8, random_state=0).fit_transform(gf.graph))
    assert (tmp_path / "emb.nodes.txt").read_text().split() == ["alice", "bob", "carol", "dave"]


def test_node_classification_data_aligns_labels_with_the_mapping(tmp_path):
    (tmp_path / "e.txt").write_text("v3 v1\nv1 v2\nv2 v10\n")
    (tmp_path / "y.txt").write_text("v10 b\nv1 a\nv2 b\nv3 a\n")
    args = argparse.Namespace(input=str(tmp_path / "e.txt"), labels=str(tmp_path / "y.txt"), features=None,
                              masks=None, seed=0, ids="auto", columns=None)
    notes = []
    data, gf = node_classification_data(args, directed=True, log=notes.append)
    # nodes in sorted label order: v1, v10, v2, v3
    assert list(gf.mapping.labels) == ["v1", "v10", "v2", "v3"]
    assert data.y.tolist() == [0, 1, 1, 0]
    assert data.x.shape == (4, 64) and any("FastRP" in note for note in notes)
    masks = torch.stack([data.train_mask, data.val_mask, data.test_mask])
    assert masks.sum(0).tolist() == [1, 1, 1, 1]  # a partition of the labelled nodes


def test_node_classification_unlabelled_nodes_stay_out_of_masks(tmp_path):
    (tmp_path / "e.txt").write_text("0 1\n1 2\n2 3\n3 4\n4 0\n")
    (tmp_path / "y.txt").write_text("0 a\n1 b\n2 a\n3 b\n")  # node 4 unlabelled
    args = argparse.Namespace(input=str(tmp_path / "e.txt"), labels=str(tmp_path / "y.txt"), features=None,
                              masks=None, seed=1, ids="auto", columns=None)
    data, _ = node_classification_data(args)
    assert not (data.train_mask | data.val_mask | data.test_mask)[4]
    assert (data.y >= 0).all()


def test_ticket_input_files_and_bundle(csbm_files, tmp_path):
    folder, data = csbm_files
    base = ["ticket", "--levels", "1", "--methods", "teddy", "--epochs", "3", "--plot", "", "-q"]
    out = tmp_path / "t.json"
    assert main(base + ["--input", str(folder / "edges.txt"), "--labels", str(folder / "labels.txt"),
                        "--features", str(folder / "x.npy"), "--masks", str(folder / "masks.npz"),
                        "--out", str(out)]) == 0
    first = json.loads(out.read_text())
    assert first["dataset"].endswith("edges.txt")
    assert {(row["method"], row["level"]) for row in first["table"]} == {("dense", 0), ("teddy", 1)}
    out2 = tmp_path / "t2.json"
    assert main(base + ["--input", str(folder / "bundle.npz"), "--out", str(out2)]) == 0
    second = json.loads(out2.read_text())
    # the same graph, features, labels and split either way: the same tickets
    assert [row["mean"] for row in second["table"]] == pytest.approx([row["mean"] for row in first["table"]])


def test_ticket_refuses_multilabel_file(csbm_files, tmp_path, capsys):
    folder, _ = csbm_files
    (tmp_path / "multi.txt").write_text("0 a\n0 b\n1 a\n")
    assert main(["ticket", "--input", str(folder / "edges.txt"), "--labels", str(tmp_path / "multi.txt"),
                 "--out", str(tmp_path / "t.json"), "--plot", ""]) == 2
    one_error_line(capsys, "--labels", "one class per node")


def test_directed_input_without_features(tmp_path):
    from graphsparse.datasets.dsbm import directed_sbm

    data = directed_sbm(num_nodes=150, num_classes=3, p_in=0.05, num_features=4, random_state=0)
    src, dst = data.edge_index.numpy()
    (tmp_path / "edges.txt").write_text("".join(f"{s + 1} {d + 1}\n" for s, d in zip(src, dst)))  # 1-based
    (tmp_path / "labels.txt").write_text("".join(f"{c}\n" for c in data.y.numpy()))  # line i = node i
    out = tmp_path / "r.json"
    assert main(["directed", "--input", str(tmp_path / "edges.txt"), "--labels", str(tmp_path / "labels.txt"),
                 "--epochs", "3", "--hidden", "8", "--stats", "--quiet", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["dataset"].endswith("edges.txt") and 0.0 <= result["test_acc_mean"] <= 100.0
    assert result["reciprocity"]["num_reciprocal_pairs"] == 0


def test_directed_bad_label_file(csbm_files, tmp_path, capsys):
    folder, _ = csbm_files
    (tmp_path / "y.txt").write_text("0 a\n1 b\n999 a\n")
    assert main(["directed", "--input", str(folder / "edges.txt"), "--labels", str(tmp_path / "y.txt")]) == 2
    one_error_line(capsys, "y.txt, line 3", "999")
    assert main(["directed", "--input", str(folder / "edges.txt")]) == 2
    one_error_line(capsys, "--labels", "no node labels")


def test_nat_input_unsorted_events(tmp_path, capsys):
    from graphsparse.temporal.data import toy_temporal_graph

    edges = toy_temporal_graph(40, 400, seed=0)
    order = np.random.default_rng(0).permutation(edges.num_edges)
    lines = [f"{s} {d} {t + 1000:.3f}\n" for s, d, t in zip(edges.src[order], edges.dst[order], edges.t[order])]
    (tmp_path / "events.txt").write_text("".join(lines))
    out = tmp_path / "nat.json"
    assert main(["nat", "--input", str(tmp_path / "events.txt"), "--epochs", "1", "--hop-sizes", "4", "2",
                 "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["num_edges"] == 400 and result["dataset"].endswith("events.txt")
    assert 0.0 <= result["transductive"]["random"]["ap"] <= 1.0
    captured = capsys.readouterr()
    assert "times are not sorted" in captured.err  # the note, once, on stderr
    (tmp_path / "few.txt").write_text("0 1 1\n1 2 2\n")
    assert main(["nat", "--input", str(tmp_path / "few.txt")]) == 2
    one_error_line(capsys, "few.txt", "at least 20")


def test_gather_input_features(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.random.default_rng(0).random((200, 16)).astype(np.float32))
    out = tmp_path / "g.json"
    assert main(["gather", "--input", str(tmp_path / "x.npy"), "--ids", "50", "--repeat", "1", "--device", "cpu",
                 "--out", str(out), "-q"]) == 0
    result = json.loads(out.read_text())
    assert result["rows"] == 200 and result["width"] == 16 and result["input"].endswith("x.npy")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert main(["gather", "--input", str(tmp_path / "obj.npy")]) == 2
    one_error_line(capsys, "obj.npy", "without pickle")


def test_json_flag_prints_the_summary(tmp_path, capsys):
    edges = tmp_path / "e.txt"
    edges.write_text("0 1\n1 2\n2 0\n")
    assert main(["embed", "--input", str(edges), "--dim", "4", "--out", str(tmp_path / "e.npy"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["shape"] == [3, 4] and summary["node_ids"] is None


def test_columns_flag_selects_and_weights(tmp_path, capsys):
    from graphsparse.cli import parse_columns

    assert parse_columns(None) == {"weight": "auto"}
    assert parse_columns("1,0") == {"src": 1, "dst": 0, "weight": None}
    assert parse_columns("a, b ,w") == {"src": "a", "dst": "b", "weight": "w"}
    for bad in ("1", "1,2,3,4", "1,,2", "-1,0"):
        with pytest.raises(ValueError, match="--columns"):
            parse_columns(bad)
    path = tmp_path / "w.csv"
    path.write_text("w,a,b\n2.0,0,1\n3.0,1,2\n")
    args = argparse.Namespace(input=str(path), ids="auto", columns="a,b,w")
    from graphsparse.cli import read_input_graph

    gf = read_input_graph(args)
    np.testing.assert_array_equal(gf.graph.to_scipy().toarray(), [[0, 2, 0], [0, 0, 3], [0, 0, 0]])
    plain = tmp_path / "p.txt"
    plain.write_text("0 1 5\n1 2 7\n")  # three columns: the third is the weight by default
    gf = read_input_graph(argparse.Namespace(input=str(plain), ids="auto", columns=None))
    np.testing.assert_array_equal(gf.graph.weights, [5, 7])
    assert main(["embed", "--input", str(plain), "--columns", "0,9", "--out", str(tmp_path / "e.npy")]) == 2
    one_error_line(capsys, "p.txt", "dst column 9 does not exist")
