"""``graphsparse --help`` and ``graphsparse <command> --help`` import no heavy module (the import
set is tested, not the time), and the lazy top-level ``graphsparse`` namespace still works."""
from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAVY = ("torch", "torch_geometric", "numba", "scipy", "sklearn", "pandas", "matplotlib")

PROBE = """
import contextlib, io, json, sys
from graphsparse.cli import build_parser, main
parser = build_parser()
commands = list(parser.commands)
helps = {}
for argv in [["--help"]] + [[c, "--help"] for c in commands]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            main(argv)
        except SystemExit as stop:
            assert stop.code == 0, (argv, stop.code)
    helps[" ".join(argv)] = out.getvalue()
heavy = sorted(m for m in %r if m in sys.modules)
print(json.dumps({"commands": commands, "heavy": heavy, "helps": helps}))
""" % (HEAVY,)


def _probe(code):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


def test_help_imports_no_heavy_module():
    result = _probe(PROBE)
    assert {"datasets", "embed", "ticket", "nat", "gather", "directed", "quickstart"} <= set(result["commands"])
    assert result["heavy"] == [], f"--help imported {result['heavy']}"
    helps = result["helps"]
    # every default shown, the shared flags present in every training/result command
    assert "(default: 128)" in helps["embed --help"] and "(default: 300)" in helps["directed --help"]
    for command in ("embed", "ticket", "nat", "directed", "gather"):
        text = helps[f"{command} --help"]
        for flag in ("--input", "--out", "--json", "--seed", "--threads", "--quiet"):
            assert flag in text, (command, flag)
        assert "--output" not in text  # the deprecated spelling is accepted but hidden
    for command in ("ticket", "directed"):
        for flag in ("--labels", "--features", "--masks"):
            assert flag in helps[f"{command} --help"], (command, flag)


def test_import_graphsparse_is_light_and_lazy():
    code = """
import json, sys
import graphsparse
light = sorted(m for m in %r if m in sys.modules)
assert "Graph" in dir(graphsparse)
graph_class = graphsparse.Graph
from graphsparse import spmm, set_num_threads
import os
print(json.dumps({"light": light, "graph": graph_class.__module__, "graph_module": graphsparse.graph.__name__,
                  "layer": os.environ.get("NUMBA_THREADING_LAYER")}))
""" % (HEAVY,)
    result = _probe(code)
    assert result["light"] == [] and result["graph"] == "graphsparse.graph" and result["graph_module"] == "graphsparse.graph"
    assert result["layer"] == "workqueue"


def test_unknown_attribute_is_an_attribute_error():
    import graphsparse
    import pytest

    with pytest.raises(AttributeError, match="no_such_name"):
        graphsparse.no_such_name  # noqa: B018
