"""graphsparse.set_num_threads sets torch and Numba together; check_oversubscription warns once."""
from __future__ import annotations

import warnings

import numba
import pytest
import torch

import graphsparse
from graphsparse import threads


@pytest.fixture(autouse=True)
def restore_threads():
    before_torch, before_numba = torch.get_num_threads(), numba.get_num_threads()
    yield
    torch.set_num_threads(before_torch)
    numba.set_num_threads(before_numba)


def test_set_num_threads_sets_both_and_returns_previous():
    previous = graphsparse.set_num_threads(1)
    assert torch.get_num_threads() == 1 and numba.get_num_threads() == 1
    assert threads.get_num_threads() == {"torch": 1, "numba": 1}
    assert set(previous) == {"torch", "numba"}
    more = numba.config.NUMBA_NUM_THREADS + 1
    graphsparse.set_num_threads(more)  # Numba's count is capped at its pool size, torch's is not
    assert torch.get_num_threads() == more
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-2, ValueError), (1.5, TypeError), (True, TypeError),
                                        ("2", TypeError)])
def test_set_num_threads_refuses_bad_counts(bad, error):
    with pytest.raises(error, match="n must be a positive integer"):
        graphsparse.set_num_threads(bad)


def test_oversubscription_rule_and_single_warning(monkeypatch):
    monkeypatch.setattr(threads, "_warned", False)
    assert not threads.check_oversubscription(torch_threads=1, load=50.0, cores=2, warn=False)
    assert not threads.check_oversubscription(torch_threads=4, load=1.5, cores=2, warn=False)
    with pytest.warns(threads.OversubscriptionWarning, match="load average 3.0 on 2 cores with 2 torch threads"):
        assert threads.check_oversubscription(torch_threads=2, load=3.0, cores=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert threads.check_oversubscription(torch_threads=2, load=3.0, cores=2)  # once per process


def test_cli_threads_flag_sets_both(tmp_path, capsys):
    from graphsparse.cli import main

    edges = tmp_path / "e.txt"
    edges.write_text("0 1\n1 2\n2 0\n")
    assert main(["embed", "--input", str(edges), "--dim", "4", "--out", str(tmp_path / "e.npy"), "--threads", "1",
                 "--quiet"]) == 0
    assert torch.get_num_threads() == 1 and numba.get_num_threads() == 1
