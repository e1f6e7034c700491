"""Run a snippet in a fresh interpreter so that a segfault or abort fails the test, not the run.

``run_isolated(code)`` returns the finished ``subprocess.CompletedProcess``; it fails the calling
test when the child died of a signal (negative return code: SIGSEGV, SIGABRT, ...) or timed out.
The snippet's expected outcome (a clear ``ValueError``, a correct result) is asserted by the
snippet itself or by the caller on ``stdout``/``stderr``/``returncode``.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

__all__ = ["run_isolated", "expect_clear_error"]


def run_isolated(code: str, *, timeout: float = 180.0, env: dict | None = None,
                 args: list[str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -c code`` (or ``python args...`` when ``args`` is given) in a child process."""
    child_env = dict(os.environ)
    child_env.setdefault("PYTHONFAULTHANDLER", "1")
    if env:
        child_env.update(env)
    cmd = [sys.executable] + (args if args is not None else ["-c", textwrap.dedent(code)])
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=child_env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"child process timed out after {timeout} s:\n{code}")
    if proc.returncode < 0:
        name = signal.Signals(-proc.returncode).name
        pytest.fail(f"child process died of {name}:\n{code}\n--- stderr ---\n{proc.stderr[-4000:]}")
    return proc


def expect_clear_error(code: str, *, errors=("ValueError", "TypeError"), match: str | None = None,
                       timeout: float = 180.0) -> str:
    """Run ``code`` isolated; it must end in one of ``errors`` (a clean exception, not a signal).

    Returns the last line of stderr (``"ValueError: ..."``) for further assertions.
    """
    proc = run_isolated(code, timeout=timeout)
    lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    assert proc.returncode != 0, f"expected {errors}, but the snippet succeeded:\n{code}\n{proc.stdout[-2000:]}"
    assert last.split(":", 1)[0].split(".")[-1] in errors, f"expected {errors}, got:\n{proc.stderr[-3000:]}"
    if match is not None:
        import re

        assert re.search(match, last), f"error {last!r} does not match {match!r}"
    return last
