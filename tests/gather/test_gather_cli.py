"""``graphsparse gather`` (throughput check) and the dry run of the GPU benchmark script."""
from __future__ import annotations

import json
import os

import pytest
import torch

from graphsparse.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_cli_gather_writes_json(tmp_path, capsys):
    path = tmp_path / "gather.json"
    assert main(["gather", "--rows", "3000", "--width", "100", "--ids", "500", "--repeat", "2",
                 "--device", "cpu", "--sort-ids", "--output", str(path)]) == 0
    result = json.loads(path.read_text())
    assert result["mode"] == "conventional" and result["width"] == 100 and result["sort_ids"]
    assert result["gather_gb_per_s"] > 0 and result["copy_gb_per_s"] > 0
    assert "GB/s" in capsys.readouterr().out


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only refusal")
def test_cli_gather_bad_input(capsys):
    assert main(["gather", "--device", "cuda", "--rows", "10", "--ids", "5"]) == 2
    assert "CUDA is not available" in capsys.readouterr().err
    assert main(["gather", "--rows", "0"]) == 2
    assert "--rows: must be a positive integer" in capsys.readouterr().err
    assert main(["gather", "--mode", "zero_copy", "--device", "cpu", "--rows", "10", "--ids", "5"]) == 2


@pytest.mark.skipif(torch.cuda.is_available(), reason="the real run happens on GPU machines")
def test_gpu_benchmark_dry_run(tmp_path, monkeypatch):
    """Every step of benchmarks/gather_gpu.py on tiny CPU sizes (zero-copy via the interpreter)."""
    monkeypatch.syspath_prepend(ROOT)
    from benchmarks import gather_gpu

    path = tmp_path / "dry.json"
    assert gather_gpu.main(["--dry-run", "--output", str(path)]) == 0
    result = json.loads(path.read_text())
    assert result["run"]["dry_run"] and "NOT GPU figures" in result["note"]
    assert result["all_checks_passed"]
    assert [r["width"] for r in result["widths"]] == [64, 100, 128, 256, 602, 1000, 1024]
    assert set(result["graphsage"]["modes"]) == {"conventional", "zero_copy", "device"}
    assert gather_gpu.main([]) == 2 or torch.cuda.is_available()  # refuses a real run without CUDA
