"""`graphsparse quickstart` / run_quickstart: stages, table, report, determinism, failure handling."""
from __future__ import annotations

import importlib.util
import json
import math

import pytest

from graphsparse import quickstart
from graphsparse.quickstart import STAGES, StageResult, format_table, run_quickstart

STAGE_PACKAGES = {"embed": "graphsparse.embed", "lottery": "graphsparse.lottery", "temporal": "graphsparse.temporal",
                  "directed": "graphsparse.directed", "gather": "graphsparse.gather"}


def _installed(stage: str) -> bool:
    return importlib.util.find_spec(STAGE_PACKAGES[stage]) is not None


def _check_ok(result: StageResult):
    assert result.status == "ok", (result.stage, result.detail)
    assert result.metric is not None and math.isfinite(result.metric)
    assert result.seconds > 0 and result.data and result.metric_name
    assert result.plots


@pytest.mark.parametrize("stage", ["embed", "directed", "gather"])
def test_cheap_stages_run_and_write_plots(stage, tmp_path):
    if not _installed(stage):
        pytest.skip(f"{STAGE_PACKAGES[stage]} is not installed")
    results = run_quickstart(out=str(tmp_path), stages=[stage], quick=True, verbose=False)
    assert [r.stage for r in results] == [stage]
    _check_ok(results[0])
    for plot in results[0].plots:
        assert (tmp_path / plot).stat().st_size > 1000
    if stage == "embed":
        assert 0.2 < results[0].metric <= 1.0  # 5 classes: chance 0.2, the SBM carries signal
    if stage == "directed":
        accuracy = results[0].figures["test_accuracy"]
        assert set(accuracy) == {"Dir-GCN", "GCN (symmetrised)", "MLP"}
        assert all(0.0 <= value <= 1.0 for value in accuracy.values())
    if stage == "gather":
        rows = results[0].figures["rows"]
        assert [row["width"] for row in rows] == [32, 128, 512]
        assert all(row["graphsparse_gb_s"] > 0 and row["index_select_gb_s"] > 0 for row in rows)


def test_same_seed_same_metrics(tmp_path):
    if not _installed("embed"):
        pytest.skip("graphsparse.embed is not installed")
    first = run_quickstart(out=str(tmp_path / "a"), stages=["embed"], seed=3, quick=True, verbose=False)[0]
    second = run_quickstart(out=str(tmp_path / "b"), stages=["embed"], seed=3, quick=True, verbose=False)[0]
    assert first.status == second.status == "ok"
    assert first.metric == second.metric and first.figures["micro_f1"] == second.figures["micro_f1"]


def test_report_table_and_json(tmp_path, monkeypatch):
    calls = []

    def fake_ok(ctx, result):
        calls.append(ctx.seed)
        result.data, result.metric_name, result.metric = "toy", "score", 0.25
        plt = quickstart._pyplot()
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        ctx.save_plot(fig, "fake_plot", result)

    def fake_missing(ctx, result):
        raise ModuleNotFoundError("No module named 'graphsparse.nothing'", name="graphsparse.nothing")

    def fake_broken(ctx, result):
        raise RuntimeError("boom | with a pipe")

    monkeypatch.setattr(quickstart, "STAGES", [("ok", "Working stage", fake_ok),
                                               ("missing", "Missing stage", fake_missing),
                                               ("broken", "Broken stage", fake_broken)])
    results = run_quickstart(out=str(tmp_path), seed=7, verbose=False)
    assert calls == [7]
    assert [r.status for r in results] == ["ok", "unavailable", "failed"]
    assert "graphsparse.nothing is not installed" in results[1].detail
    assert "RuntimeError: boom" in results[2].detail
    table = format_table(results)
    for text in ("Working stage", "score = 0.25", "unavailable: graphsparse.nothing", "failed: RuntimeError"):
        assert text in table
    report = (tmp_path / "report.md").read_text()
    assert "| Working stage | toy | score = 0.25 | " in report
    assert "boom \\| with a pipe" in report  # pipes escaped inside the Markdown table
    assert "![ok](fake_plot.png)" in report and (tmp_path / "fake_plot.png").is_file()
    assert (tmp_path / "stage_times.png").is_file()
    stored = json.loads((tmp_path / "results.json").read_text())
    assert stored["seed"] == 7 and [s["status"] for s in stored["stages"]] == ["ok", "unavailable", "failed"]
    assert stored["stages"][0]["metric"] == 0.25


def test_unrelated_import_error_is_a_failure(tmp_path, monkeypatch):
    def needs_missing_dependency(ctx, result):
        raise ModuleNotFoundError("No module named 'not_a_real_dependency'", name="not_a_real_dependency")

    monkeypatch.setattr(quickstart, "STAGES", [("dep", "Needs a dependency", needs_missing_dependency)])
    (result,) = run_quickstart(out=str(tmp_path), verbose=False)
    assert result.status == "failed" and "not_a_real_dependency" in result.detail


def test_cli_exit_codes(tmp_path, monkeypatch, capsys):
    from graphsparse.cli import main

    monkeypatch.setattr(quickstart, "STAGES", [("ok", "Working stage", lambda ctx, r: setattr(r, "metric", 1.0))])
    assert main(["quickstart", "--out", str(tmp_path / "ok"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Working stage" in out and "report:" in out
    monkeypatch.setattr(quickstart, "STAGES", [("bad", "Failing stage", lambda ctx, r: 1 / 0)])
    assert main(["quickstart", "--out", str(tmp_path / "bad"), "--quiet"]) == 1
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="stages must be among"):
        run_quickstart(out=str(tmp_path), stages=["embed", "nope"], verbose=False)
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        run_quickstart(out=str(tmp_path), seed=-1, verbose=False)
    with pytest.raises(ValueError, match="seed"):
        run_quickstart(out=str(tmp_path), seed=1.5, verbose=False)
    with pytest.raises(TypeError, match="dataset must be a dataset name"):
        run_quickstart(out=str(tmp_path), dataset=3, verbose=False)


def test_stage_order_is_canonical():
    assert [key for key, _, _ in STAGES] == ["embed", "lottery", "temporal", "directed", "gather"]


@pytest.mark.slow
def test_full_quickstart_every_stage_runs(tmp_path):
    results = run_quickstart(out=str(tmp_path), quick=True, verbose=False)
    assert [r.stage for r in results] == ["embed", "lottery", "temporal", "directed", "gather"]
    for result in results:
        _check_ok(result)
    report = (tmp_path / "report.md").read_text()
    for result in results:
        assert result.task in report
        for plot in result.plots:
            assert f"]({plot})" in report and (tmp_path / plot).is_file()


@pytest.mark.data
def test_real_dataset_switch(tmp_path, data_root):
    results = run_quickstart(out=str(tmp_path), dataset="cora", stages=["embed", "temporal"], data_root=data_root,
                             quick=True, verbose=False)
    embed, temporal = results
    assert embed.status == "ok" and embed.data == "cora"
    assert temporal.status == "ok" and "cora is not temporal" in temporal.data


def test_torch_threads_restored_and_checked(tmp_path, monkeypatch):
    import torch

    seen = []
    monkeypatch.setattr(quickstart, "STAGES", [("t", "Threads", lambda ctx, r: seen.append(torch.get_num_threads()))])
    before = torch.get_num_threads()
    run_quickstart(out=str(tmp_path), verbose=False, torch_threads=1)
    assert seen == [1] and torch.get_num_threads() == before
    with pytest.raises(ValueError, match="torch_threads"):
        run_quickstart(out=str(tmp_path), verbose=False, torch_threads=0)


def test_cli_unknown_dataset_is_a_clean_error(tmp_path, capsys):
    from graphsparse.cli import main

    code = main(["quickstart", "--out", str(tmp_path), "--dataset", "no_such_dataset", "--data-root", str(tmp_path)])
    assert code == 2
    assert "graphsparse quickstart: error:" in capsys.readouterr().err
