"""End-to-end, offline: every ``benchmarks/ogb`` script runs its ``main`` on a tiny dataset written
in OGB's on-disk format (``ogb.io.DatasetSaver`` + ``meta_dict``), through OGB's dataset classes,
split readers and ``Evaluator`` -- the path a real run takes -- and writes its JSON.

The tiny graphs have planted classes (see conftest.py), so a working pipeline is far above chance
(checked); seeds give identical results twice (checked for one script).
"""
from __future__ import annotations

import json
import math

import pytest


def _argv(dataset, meta, tmp_path, seeds=("0", "1"), epochs="30", extra=()):
    return ["--dataset", dataset, "--root", str(tmp_path / "root"), "--meta-dict", meta, "--seeds", *seeds,
            "--epochs", epochs, "--device", "cpu", "--out", str(tmp_path / "result.json"), "--quiet", *extra]


def _check_result(tmp_path, payload, seeds=2, keys=("valid", "test"), floor=None):
    with open(tmp_path / "result.json") as handle:
        stored = json.load(handle)
    assert stored["summary"] == json.loads(json.dumps(payload["summary"]))
    assert "meta_dict" in stored["data_source"] and "not a leaderboard run" in stored["data_source"]
    assert stored["machine"]["cpu_count"] >= 1 and len(stored["seeds"]) == seeds
    for key in keys:
        figures = stored["summary"][key]
        assert len(figures["values"]) == seeds
        assert all(0.0 <= value <= 100.0 for value in figures["values"])
        assert math.isclose(figures["mean"], sum(figures["values"]) / seeds, rel_tol=1e-9)
        if floor is not None:
            assert figures["mean"] > floor, (key, figures)
    return stored


def test_fastrp_mlp_arxiv(tiny_node_dataset, ogb_script, tmp_path, capsys):
    meta = tiny_node_dataset("ogbn-arxiv")
    script = ogb_script("fastrp_mlp")
    payload = script.main(_argv("ogbn-arxiv", meta, tmp_path, extra=["--dim", "32"]))
    printed = capsys.readouterr().out
    assert "Test  accuracy:" in printed and "±" in printed
    _check_result(tmp_path, payload, floor=60.0)  # 4 planted classes: chance is 25%


def test_fastrp_mlp_products_is_deterministic(tiny_node_dataset, ogb_script, tmp_path):
    meta = tiny_node_dataset("ogbn-products")
    script = ogb_script("fastrp_mlp")
    argv = _argv("ogbn-products", meta, tmp_path, seeds=("3",), epochs="10", extra=["--dim", "16"])
    first = script.main(argv)["summary"]
    second = script.main(argv)["summary"]
    assert first == second


def test_teddy_gcn_arxiv(tiny_node_dataset, ogb_script, tmp_path, capsys):
    meta = tiny_node_dataset("ogbn-arxiv")
    script = ogb_script("teddy_gcn_arxiv")
    payload = script.main(_argv("ogbn-arxiv", meta, tmp_path, seeds=("0",), epochs="30",
                                extra=["--levels", "2", "10", "--methods", "teddy", "random", "--hidden", "32"]))
    assert "Test  accuracy:" in capsys.readouterr().out
    stored = json.load(open(tmp_path / "result.json"))
    rows = {(row["method"], row["level"]): row for row in stored["results"]}
    assert set(rows) == {("dense", 0), ("teddy", 2), ("teddy", 10), ("random", 2), ("random", 10)}
    assert rows[("dense", 0)]["graph_sparsity"] == 0.0
    for level, s_g in ((2, 1 - 0.95 ** 2), (10, 1 - 0.95 ** 10)):
        # achieved sparsities are within a pair of edges of the schedule on this small graph
        assert abs(rows[("teddy", level)]["graph_sparsity"] - s_g) < 0.01
        assert rows[("teddy", level)]["weight_sparsity"] >= 1 - 0.8 ** level - 1e-6
    assert rows[("dense", 0)]["test_acc_mean"] > 60.0
    assert rows[("teddy", 2)]["test_acc_mean"] > 60.0
    for run in stored["runs"]:  # OGB's evaluator re-scores what the ticket finder measured
        assert abs(run["test"] - run["finder_test"]) < 0.05, run
    assert payload["summary"]["teddy_level2"]["test"]["mean"] == rows[("teddy", 2)]["test_acc_mean"]


@pytest.mark.parametrize("predictor", ["dot", "mlp"])
def test_fastrp_collab(tiny_link_dataset, ogb_script, tmp_path, capsys, predictor):
    meta = tiny_link_dataset("ogbl-collab")
    script = ogb_script("fastrp_collab")
    extra = ["--dim", "32", "--predictor", predictor, "--batch-size", "256"]
    if predictor == "mlp":
        extra.append("--use-valid-edges")
    payload = script.main(_argv("ogbl-collab", meta, tmp_path, epochs="20", extra=extra))
    assert "Test  Hits@50:" in capsys.readouterr().out
    stored = _check_result(tmp_path, payload, floor=30.0)
    assert stored["metric"] == "hits@50"


def test_even_quantile_labels_match_linkx(ogb_script):
    import numpy as np

    script = ogb_script("dirgnn_arxiv_year")
    years = np.array([2009, 2000, 2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008])
    labels = script.even_quantile_labels(years, 5)
    # LINKX: edges at the 20/40/60/80% quantiles, lower-inclusive, last class open
    edges = [np.nanquantile(years, q) for q in (0.2, 0.4, 0.6, 0.8)]
    expected = np.searchsorted(edges, years, side="right")
    assert labels.tolist() == expected.tolist()
    assert np.bincount(labels).tolist() == [2, 2, 2, 2, 2]


def test_dirgnn_arxiv_year(tiny_node_dataset, ogb_script, tmp_path, capsys):
    meta = tiny_node_dataset("ogbn-arxiv")
    script = ogb_script("dirgnn_arxiv_year")
    payload = script.main(_argv("ogbn-arxiv", meta, tmp_path, epochs="40",
                                extra=["--models", "dir-gcn", "sym-gcn", "mlp", "--hidden", "32",
                                       "--num-layers", "2", "--lr", "0.01"]))
    assert payload["results"][0]["model"] == "dir-gcn"
    assert capsys.readouterr().out.count("Test  accuracy:") == 3
    stored = json.load(open(tmp_path / "result.json"))
    assert [row["model"] for row in stored["results"]] == ["dir-gcn", "sym-gcn", "mlp"]
    for row in stored["results"]:
        assert 0.0 <= row["accuracy_mean"] <= 100.0
    assert stored["results"][0]["accuracy_mean"] > 40.0  # 5 year classes: chance is 20%
    assert len(stored["runs"]) == 3 * 2


@pytest.mark.parametrize("dataset", ["ogbn-products", "ogbn-papers100M"])
def test_sage_gather(tiny_node_dataset, ogb_script, tmp_path, capsys, dataset):
    meta = tiny_node_dataset(dataset)
    script = ogb_script("sage_gather")
    payload = script.main(_argv(dataset, meta, tmp_path, epochs="8",
                                extra=["--fanouts", "5", "5", "--batch-size", "32", "--hidden", "32",
                                       "--lr", "0.01", "--eval-every", "2"]))
    assert "Test  accuracy:" in capsys.readouterr().out
    stored = _check_result(tmp_path, payload, floor=50.0)  # 4 planted classes: chance is 25%
    assert stored["feature_mode"] == "conventional"  # CPU machine: the conventional path, and it says so
    assert all(len(run["epoch_seconds"]) == 8 for run in stored["runs"])


def test_common_helpers(ogb_script):
    import torch

    common = ogb_script("_ogb_common")
    summary = common.summarize([{"test": 0.5, "valid": 0.6}, {"test": 0.7, "valid": 0.6}])
    assert summary["test"]["values"] == [50.0, 70.0]
    assert math.isclose(summary["test"]["mean"], 60.0) and math.isclose(summary["test"]["std"], 2 ** 0.5 * 10)
    assert summary["valid"]["std"] == 0.0
    assert common.resolve_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit, match="CUDA is not available"):
            common.resolve_device("cuda")
    parser = common.base_parser("x", ["ogbn-arxiv"], epochs=5)
    args = parser.parse_args([])
    assert args.seeds == list(range(10)) and args.dataset == "ogbn-arxiv" and args.epochs == 5
    with pytest.raises(SystemExit):
        parser.parse_args(["--dataset", "ogbn-mag"])


def test_trusted_load_allows_only_listed_classes(ogb_script, tmp_path):
    import torch

    common = ogb_script("_ogb_common")

    from fractions import Fraction  # any class OGB does not need stays refused

    torch.save({"a": __import__("numpy").arange(3)}, tmp_path / "ok.pt")
    torch.save({"obj": Fraction(1, 3)}, tmp_path / "bad.pt")
    with common.trusted_ogb_load():
        assert torch.load(tmp_path / "ok.pt")["a"].tolist() == [0, 1, 2]
        with pytest.raises(Exception, match="Weights only load failed|Unsupported global"):
            torch.load(tmp_path / "bad.pt")


SCRIPTS = ["fastrp_mlp", "teddy_gcn_arxiv", "sage_gather", "fastrp_collab", "dirgnn_arxiv_year"]


@pytest.mark.parametrize("name", SCRIPTS)
def test_scripts_share_the_ogb_arguments(ogb_script, name):
    parser = ogb_script(name).build_parser()
    options = {option for action in parser._actions for option in action.option_strings}
    assert {"--root", "--seeds", "--device", "--dataset", "--out", "--meta-dict"} <= options


def test_script_runs_as_a_command(tiny_link_dataset, tmp_path):
    """The command a user types (``python benchmarks/ogb/<script>.py ...``) from the repository root."""
    import os
    import subprocess
    import sys

    repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    meta = tiny_link_dataset("ogbl-collab")
    out = tmp_path / "cmd.json"
    proc = subprocess.run([sys.executable, "benchmarks/ogb/fastrp_collab.py", "--root", str(tmp_path), "--meta-dict",
                           meta, "--seeds", "0", "--predictor", "dot", "--dim", "16", "--device", "cpu",
                           "--out", str(out)], cwd=repo_root, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TQDM_DISABLE": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Test  Hits@50:" in proc.stdout
    assert json.load(open(out))["metric"] == "hits@50"
