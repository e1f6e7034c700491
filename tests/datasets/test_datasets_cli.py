"""``graphsparse datasets``: table and JSON, with and without the shared data."""
from __future__ import annotations

import json

import pytest

from graphsparse.cli import main


def test_cli_json_on_empty_root(tmp_path, capsys):
    assert main(["datasets", "--root", str(tmp_path), "--json"]) == 0  # absent data is not an error
    out = json.loads(capsys.readouterr().out)
    assert out["root"] == str(tmp_path)
    assert len(out["datasets"]) == 12
    assert not any(row["found"] for row in out["datasets"])
    assert all(str(tmp_path) in row["error"] and "GRAPHSPARSE_DATA" in row["error"] for row in out["datasets"])


def test_cli_table_on_empty_root(tmp_path, capsys):
    main(["datasets", "--root", str(tmp_path)])
    out = capsys.readouterr().out
    assert "0/12 datasets found" in out and str(tmp_path) in out and "cora" in out


def test_cli_reports_bad_checksum(tmp_path, capsys):
    (tmp_path / "karate").mkdir()
    (tmp_path / "karate" / "karate.adjlist").write_text("1 2\n")
    assert main(["datasets", "--root", str(tmp_path), "--json"]) == 1
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)["datasets"]}
    assert rows["karate"]["found"] and rows["karate"]["verified"] is False


@pytest.mark.data
def test_cli_on_shared_data_all_found_verified_and_loaded(data_root, capsys):
    assert main(["datasets", "--root", data_root, "--json", "--load"]) == 0
    rows = json.loads(capsys.readouterr().out)["datasets"]
    assert all(row["found"] and row["verified"] and row["loaded"] for row in rows), rows


def test_cli_download_failure_is_reported(tmp_path, capsys):
    assert main(["datasets", "--root", str(tmp_path), "--download", "no_such_graph"]) == 1
    assert "no_such_graph" in capsys.readouterr().err
