"""The CLI's error contract: exit code 2, ONE line on stderr naming the argument or file, no
traceback (unless --debug) -- and checks done before any work.

Every case runs in-process through ``graphsparse.cli.main`` (cheap); a representative subset runs
the real command in subprocesses by default, and every case does under ``--slow``.
"""
from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_cli(*args, cwd=None, timeout=120):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), TQDM_DISABLE="1")
    return subprocess.run([sys.executable, "-m", "graphsparse", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=timeout)


def assert_one_line_error(proc, *fragments, code=2):
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == code, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("graphsparse"), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_files")
    (folder / "floats.txt").write_text("0.5 1.7\n1.7 2.5\n")
    (folder / "huge.txt").write_text("0 1\n1 3000000000\n")
    (folder / "ragged.txt").write_text("0 1\n1 2 3 4\n")
    (folder / "empty.txt").write_text("")
    np.savez(folder / "ok.npz", edges=np.array([[0, 1], [1, 2]]), node_labels=np.array([0, 1, 0]))
    raw = (folder / "ok.npz").read_bytes()
    (folder / "truncated.npz").write_bytes(raw[: len(raw) // 2])
    with gzip.open(folder / "ok.txt.gz", "wt") as handle:
        handle.write("0 1\n1 2\n" * 2000)
    raw = (folder / "ok.txt.gz").read_bytes()
    (folder / "truncated.txt.gz").write_bytes(raw[: len(raw) // 2])
    (folder / "edges.txt").write_text("0 1\n1 2\n2 0\n")
    (folder / "labels_bad.txt").write_text("0 0\nx 1\n")
    (folder / "events_bad.txt").write_text("0 1 5\n1 2 x\n")
    (folder / "a_folder").mkdir()
    return folder


# the reproducers of issue #13 item 8 (tracebacks before) and the other failures of the brief
CASES = {
    "float ids": (["embed", "--input", "{d}/floats.txt", "--out", "{d}/e.npy"], ["floats.txt, line 1", "'0.5'"]),
    "id 3e9 numbered as is": (["embed", "--input", "{d}/huge.txt", "--ids", "zero", "--out", "{d}/e.npy"],
                              ["huge.txt, line 2", "3,000,000,001 nodes", "--ids relabel"]),
    "ragged rows": (["embed", "--input", "{d}/ragged.txt", "--out", "{d}/e.npy"], ["ragged.txt, line 2", "ragged"]),
    "empty file": (["embed", "--input", "{d}/empty.txt", "--out", "{d}/e.npy"], ["empty.txt", "empty"]),
    "truncated npz": (["embed", "--input", "{d}/truncated.npz", "--out", "{d}/e.npy"],
                      ["truncated.npz", "not a readable .npz"]),
    "truncated gzip": (["embed", "--input", "{d}/truncated.txt.gz", "--out", "{d}/e.npy"],
                       ["truncated.txt.gz", "truncated or corrupt"]),
    "unknown dataset (embed)": (["embed", "--dataset", "no_such_graph", "--out", "{d}/e.npy"], ["no_such_graph"]),
    "unknown dataset (nat)": (["nat", "--dataset", "no_such_graph"], ["--dataset", "no_such_graph"]),
    "unknown dataset (directed)": (["directed", "--dataset", "no_such_graph", "--epochs", "1"], ["no_such_graph"]),
    "unknown dataset (ticket)": (["ticket", "--dataset", "no_such_graph", "--out", "{d}/t.json", "--plot", ""],
                                 ["no_such_graph"]),
    "bad integer": (["embed", "--input", "{d}/edges.txt", "--dim", "12x", "--out", "{d}/e.npy"],
                    ["--dim", "'12x'"]),
    "negative integer": (["directed", "--epochs", "-3"], ["--epochs", "positive integer"]),
    "integer 3e9 spelled as a float": (["gather", "--rows", "3e9"], ["--rows", "'3e9'"]),
    "unknown option": (["embed", "--dimension", "8"], ["unrecognized arguments: --dimension"]),
    "out into a missing folder": (["embed", "--input", "{d}/edges.txt", "--out", "{d}/missing/e.npy"],
                                  ["--out", "does not exist"]),
    "out naming a directory": (["embed", "--input", "{d}/edges.txt", "--out", "{d}/a_folder"],
                               ["--out", "is a folder"]),
    "missing input file": (["directed", "--input", "{d}/nope.txt", "--labels", "{d}/nope.txt"],
                           ["--input", "nope.txt"]),
    "bad label file": (["directed", "--input", "{d}/edges.txt", "--labels", "{d}/labels_bad.txt", "--epochs", "1"],
                       ["labels_bad.txt, line 2"]),
    "bad event file": (["nat", "--input", "{d}/events_bad.txt"], ["events_bad.txt, line 2", "'x'"]),
    "bad levels": (["ticket", "--dataset", "csbm", "--levels", "5,2", "--out", "{d}/t.json"], ["--levels"]),
}


SUBPROCESS_CASES = ["float ids", "truncated npz", "bad integer", "out into a missing folder", "unknown dataset (nat)"]


@pytest.mark.parametrize("name", list(CASES))
def test_failure_is_one_line_and_exit_2_in_process(files, name, capsys):
    from graphsparse.cli import main

    argv, fragments = CASES[name]
    code = main([arg.format(d=files) for arg in argv])
    captured = capsys.readouterr()
    assert_one_line_error(subprocess.CompletedProcess([], code, captured.out, captured.err), *fragments)


@pytest.mark.parametrize("name", [pytest.param(name, marks=[] if name in SUBPROCESS_CASES else pytest.mark.slow)
                                  for name in CASES])
def test_failure_is_one_line_and_exit_2(files, name):
    argv, fragments = CASES[name]
    proc = run_cli(*[arg.format(d=files) for arg in argv])
    assert_one_line_error(proc, *fragments)


def test_output_folder_checked_before_the_run(files):
    """--out into a missing folder used to fail only after the whole run: now before any training."""
    started = time.perf_counter()
    proc = run_cli("ticket", "--dataset", "csbm", "--epochs", "100000", "--levels", "20",
                   "--out", files / "missing" / "t.json", timeout=90)
    assert_one_line_error(proc, "--out", "does not exist")
    assert time.perf_counter() - started < 90
    from graphsparse.cli import main

    for argv, fragment in ((["ticket", "--dataset", "csbm", "--epochs", "100000", "--plot",
                             f"{files}/missing/t.png", "--out", f"{files}/t.json"], "--plot"),
                           (["quickstart", "--out", f"{files}/missing/report"], "--out"),
                           (["directed", "--epochs", "100000", "--out", f"{files}/missing/r.json"], "--out"),
                           (["nat", "--dataset", "toy", "--epochs", "1000", "--json", f"{files}/missing/r.json"],
                            "--json"),
                           (["gather", "--out", f"{files}/a_folder"], "--out")):
        started = time.perf_counter()
        assert main(argv) == 2
        assert time.perf_counter() - started < 30, argv


def test_debug_shows_the_traceback(files):
    proc = run_cli("--debug", "embed", "--input", files / "floats.txt", "--out", files / "e.npy")
    assert proc.returncode != 0 and "Traceback" in proc.stderr and "ValueError" in proc.stderr
    from graphsparse.cli import main

    with pytest.raises(ValueError, match="floats.txt, line 1"):
        main(["embed", "--input", str(files / "floats.txt"), "--out", str(files / "e.npy"), "--debug"])


def test_huge_ids_relabelled_by_default(files, capsys):
    """The 3e9 id of issue #13: with the default --ids auto, a correct result and the id mapping."""
    from graphsparse.cli import main

    out = files / "huge.npy"
    assert main(["embed", "--input", str(files / "huge.txt"), "--dim", "4", "--undirected", "--out", str(out)]) == 0
    assert np.load(out).shape == (3, 4)
    assert (files / "huge.nodes.txt").read_text().split() == ["0", "1", "3000000000"]
    captured = capsys.readouterr()
    assert "relabelled" in captured.err and "huge.nodes.txt" in captured.out


def test_help_exit_codes():
    proc = run_cli("--help")
    assert proc.returncode == 0 and "embed" in proc.stdout and "Exit codes" in proc.stdout
    proc = run_cli()
    assert proc.returncode == 0 and "COMMAND" in proc.stdout
    assert_one_line_error(run_cli("no_such_command"), "invalid choice")
