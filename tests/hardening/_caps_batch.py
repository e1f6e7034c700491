"""Many crash-prone cases in ONE child process (interpreter start-up with torch/PyG costs seconds).

``run_batch(setup, cases)`` runs ``setup`` once, then every ``cases[name]`` snippet in its own
``try`` block, and returns ``{name: "ok" | "<ExceptionType>: <message>"}``. A signal (segfault,
abort) in any case kills the child, and :func:`_isolate.run_isolated` then fails the calling test
with the child's stderr, which names the case that was running (printed before it starts).
"""
from __future__ import annotations

import json
import textwrap

from _isolate import run_isolated

__all__ = ["run_batch", "CLEAR_ERRORS"]

CLEAR_ERRORS = ("ValueError", "TypeError", "UnsafePickleError", "FileNotFoundError", "DatasetNotFoundError")

_RUNNER = """
import json as _json, sys as _sys, traceback as _tb
_cases = _json.loads({cases!r})
_results = {{}}
for _name, _code in _cases.items():
    print("CASE", _name, file=_sys.stderr, flush=True)
    try:
        exec(compile(_code, "<case " + _name + ">", "exec"), dict(globals()))
        _results[_name] = "ok"
    except BaseException as _err:  # noqa: BLE001 - reported to the parent
        _results[_name] = type(_err).__name__ + ": " + str(_err).splitlines()[0][:500] if str(_err) else type(_err).__name__
print("RESULTS" + _json.dumps(_results))
"""


def run_batch(setup: str, cases: dict, *, timeout: float = 300.0) -> dict:
    """Run ``setup`` then each case in one child; return each case's outcome (see module doc)."""
    code = textwrap.dedent(setup) + "\n" + _RUNNER.format(
        cases=json.dumps({name: textwrap.dedent(body) for name, body in cases.items()}))
    proc = run_isolated(code, timeout=timeout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULTS")]
    assert proc.returncode == 0 and lines, f"batch child failed (rc {proc.returncode}):\n{proc.stderr[-4000:]}"
    return json.loads(lines[-1][len("RESULTS"):])
