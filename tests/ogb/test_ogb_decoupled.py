"""Offline end-to-end run of ``benchmarks/ogb/decoupled_sgc_air.py`` on tiny OGB-format datasets."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest


def _argv(dataset, meta, tmp_path, seeds=("0", "1"), epochs="40", extra=()):
    return ["--dataset", dataset, "--root", str(tmp_path / "root"), "--meta-dict", meta, "--seeds", *seeds,
            "--epochs", epochs, "--device", "cpu", "--out", str(tmp_path / "result.json"), "--quiet", *extra]


@pytest.mark.parametrize("model", ["sgc_air", "sign"])
def test_decoupled_arxiv(tiny_node_dataset, ogb_script, tmp_path, capsys, model):
    meta = tiny_node_dataset("ogbn-arxiv")
    script = ogb_script("decoupled_sgc_air")
    hops_file = tmp_path / "hops.npy"
    payload = script.main(_argv("ogbn-arxiv", meta, tmp_path, extra=["--model", model, "--hops", "3",
                                                                      "--batch-size", "32", "--hops-file",
                                                                      str(hops_file)]))
    assert "Test  accuracy:" in capsys.readouterr().out
    stored = json.load(open(tmp_path / "result.json"))
    assert "not a leaderboard run" in stored["data_source"]
    assert stored["summary"] == json.loads(json.dumps(payload["summary"]))
    test = stored["summary"]["test"]
    assert len(test["values"]) == 2 and math.isclose(test["mean"], sum(test["values"]) / 2, rel_tol=1e-9)
    assert test["mean"] > 60.0  # 4 planted classes: chance is 25%
    hops = np.load(hops_file, mmap_mode="r")
    assert hops.shape == (4, 240, 16)


def test_decoupled_products_is_deterministic(tiny_node_dataset, ogb_script, tmp_path):
    meta = tiny_node_dataset("ogbn-products")
    script = ogb_script("decoupled_sgc_air")
    argv = _argv("ogbn-products", meta, tmp_path, seeds=("3",), epochs="15", extra=["--model", "sgc"])
    assert script.main(argv)["summary"] == script.main(argv)["summary"]
