"""The backend benchmark's timing: interleaved rounds, and speed-ups taken within one output condition."""
from __future__ import annotations

import json
import time

import pytest

from benchmarks import bench_backend
from benchmarks._common import time_interleaved


def test_interleaved_rounds_rotate_the_order_and_count_every_call():
    calls = []
    cases = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    result = time_interleaved(cases, repeat=4, warmup=1)
    assert calls == list("abc") + list("abc") + list("bca") + list("cab") + list("abc")
    for name in "abc":
        timing = result[name]
        assert len(timing["all"]) == 4
        assert timing["min"] == min(timing["all"]) <= timing["median"] <= max(timing["all"])


def test_a_slower_case_times_slower():
    result = time_interleaved({"fast": lambda: None, "slow": lambda: time.sleep(0.01)}, repeat=3, warmup=0)
    assert result["slow"]["min"] >= 0.009 > result["fast"]["min"]


def test_backend_speedups_compare_like_with_like(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setattr(bench_backend, "copy_bandwidth", lambda *a, **k: 1e10)
    path = tmp_path / "backend.json"
    assert bench_backend.main(["--nodes", "2000", "--edges", "20000", "--dim", "8", "--repeat", "3",
                               "--output", str(path)]) == 0
    figures = json.loads(path.read_text())
    median = {name: t["median"] for name, t in figures["timings_s"].items()}
    assert set(median) == {"graphsparse_fresh", "scipy_fresh", "torch_fresh", "graphsparse_out", "torch_out"}
    assert figures["speedup_fresh_output"]["vs_scipy"] == pytest.approx(median["scipy_fresh"] / median["graphsparse_fresh"])
    assert figures["speedup_fresh_output"]["vs_torch"] == pytest.approx(median["torch_fresh"] / median["graphsparse_fresh"])
    assert figures["speedup_reused_output"]["vs_torch"] == pytest.approx(median["torch_out"] / median["graphsparse_out"])
    assert figures["bound_fraction"] == pytest.approx(figures["bound_s"] / figures["timings_s"]["graphsparse_out"]["min"])
