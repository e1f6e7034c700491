"""``graphsparse ticket`` end to end on the synthetic CSBM (seconds)."""
from __future__ import annotations

import json

import pytest
import torch


@pytest.fixture(autouse=True)
def keep_threads():
    previous = torch.get_num_threads()
    yield
    torch.set_num_threads(previous)


def test_ticket_cli_writes_json_and_plot(tmp_path, capsys):
    from graphsparse.cli import main

    out, png = tmp_path / "t.json", tmp_path / "t.png"
    code = main(["ticket", "--dataset", "csbm", "--levels", "1,2", "--epochs", "3", "--methods", "teddy,random",
                 "--seeds", "0,1", "--output", str(out), "--plot", str(png)])
    assert code == 0
    payload = json.loads(out.read_text())
    assert payload["levels"] == [1, 2] and payload["metric"] == "accuracy"
    methods = {(row["method"], row["level"]) for row in payload["table"]}
    assert methods == {("dense", 0), ("teddy", 1), ("teddy", 2), ("random", 1), ("random", 2)}
    assert all(row["n"] == 2 for row in payload["table"])
    assert len(payload["tickets"]) == 2 * 5
    assert png.stat().st_size > 1000 and png.read_bytes()[:4] == b"\x89PNG"
    printed = capsys.readouterr().out
    assert "teddy" in printed and "wrote" in printed


@pytest.mark.parametrize("argv, message", [(["--levels", "0"], "levels"), (["--levels", "5,2"], "levels"),
                                           (["--methods", "magic"], "unknown method")])
def test_ticket_cli_bad_arguments(tmp_path, capsys, argv, message):
    from graphsparse.cli import main

    code = main(["ticket", "--dataset", "csbm", "--output", str(tmp_path / "x.json"), "--plot", ""] + argv)
    assert code == 2
    assert message in capsys.readouterr().err
