"""``graphsparse decoupled``: runs on a .npz input, writes JSON, rejects bad arguments by name."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from graphsparse.cli import build_parser, main
from graphsparse.datasets.generators import contextual_sbm


@pytest.fixture
def npz(tmp_path):
    data = contextual_sbm(300, num_classes=3, num_features=8, homophily=0.9, feature_signal=0.7, seed=0)
    path = tmp_path / "g.npz"
    np.savez(path, edge_index=data.edge_index.numpy(), x=data.x.numpy(), y=data.y.numpy(),
             train_mask=data.train_mask.numpy(), val_mask=data.val_mask.numpy(), test_mask=data.test_mask.numpy())
    return path


def test_trains_and_writes_json(npz, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["decoupled", "--input", str(npz), "--model", "sgc", "--hops", "2", "--runs", "2", "--out", str(out),
                 "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    result = json.load(open(out))
    assert result["model"] == "sgc" and len(result["runs"]) == 2 and result["params"]["hops"] == 2
    assert result["test_acc_mean"] > 60.0  # 3 classes, homophilous graph
    assert [r["seed"] for r in result["runs"]] == [0, 1]


def test_precompute_only_writes_the_stack(npz, tmp_path):
    path = tmp_path / "hops.npy"
    assert main(["decoupled", "--input", str(npz), "--hops", "3", "--precompute-only", str(path),
                 "--block-size", "3", "--quiet", "--out", str(tmp_path / "p.json")]) == 0
    assert np.load(path, mmap_mode="r").shape == (4, 300, 8)
    assert json.load(open(tmp_path / "p.json"))["shape"] == [4, 300, 8]


@pytest.mark.parametrize("argv,error,match", [
    (["--model", "sgc"], ValueError, "--dataset NAME or --input"),
    (["--input", "missing.npz"], FileNotFoundError, "--input"),
    (["--input", "{npz}", "--hops", "-1"], ValueError, "--hops"),
    (["--input", "{npz}", "--model", "sgc", "--hidden", "8"], ValueError, "--hidden"),
    (["--input", "{npz}", "--out", "/nonexistent/dir/r.json"], FileNotFoundError, "--out"),
    (["--input", "{npz}", "--precompute-only", "hops.bin"], ValueError, "--precompute-only"),
])
def test_bad_arguments(npz, argv, error, match, capsys):
    """graphsparse.cli.main's contract: a bad argument is one stderr line naming it, exit code 2
    (the exception itself is re-raised only with --debug)."""
    argv = [a.replace("{npz}", str(npz)) for a in argv]
    capsys.readouterr()
    assert main(["decoupled", *argv, "--quiet"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and re.search(match, lines[0]), lines
    with pytest.raises(error, match=match):
        main(["decoupled", *argv, "--quiet", "--debug"])


def test_help_lists_the_subcommand():
    assert "decoupled" in build_parser().format_help()
