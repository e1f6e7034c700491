"""Every ```python block of every docs/*.md runs: file by file, blocks in order, one namespace per file.

The examples are the user guide's promises, so they are executed (cwd = a fresh temporary folder,
matplotlib on the Agg backend, progress bars off through the environment) and must finish in
seconds. Blocks fenced as ```text, ```bash etc. are not run.
"""
from __future__ import annotations

import glob
import os
import re
import time

import pytest

DOCS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "docs")
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                   re.MULTILINE | re.DOTALL)
# the team rule is < 20 s per page; measured in CPU seconds of this process (all threads), which
# unlike wall time does not grow with the load other jobs put on a shared machine
PER_FILE_CPU_BUDGET_S = 20.0


def python_blocks(text: str) -> list[tuple[int, str]]:
    """``(line number, code)`` of every fenced block whose info string is ``python`` / ``py``."""
    blocks = []
    for match in FENCE.finditer(text):
        language = match.group("info").strip().split()[0].lower() if match.group("info").strip() else ""
        if language in ("python", "py", "python3"):
            indent = match.group("indent")
            body = "\n".join(line[len(indent):] if line.startswith(indent) else line
                             for line in match.group("body").splitlines())
            blocks.append((text[: match.start()].count("\n") + 2, body))
    return blocks


def test_block_extraction():
    text = "intro\n```python\nx = 1\n```\n\n```bash\nls\n```\n  ```py\n  y = x + 1\n  ```\n```text\nz\n```\n"
    blocks = python_blocks(text)
    assert [code for _, code in blocks] == ["x = 1", "y = x + 1"]
    assert blocks[0][0] == 3


DOC_FILES = sorted(glob.glob(os.path.join(DOCS_DIR, "*.md")))


@pytest.mark.parametrize("path", DOC_FILES, ids=[os.path.basename(p) for p in DOC_FILES])
def test_doc_examples_run(path, tmp_path, monkeypatch):
    with open(path) as handle:
        blocks = python_blocks(handle.read())
    if not blocks:
        pytest.skip(f"{os.path.basename(path)} has no ```python blocks")
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TQDM_DISABLE", "1")
    namespace = {"__name__": f"docs_{os.path.splitext(os.path.basename(path))[0]}"}
    started, cpu_started = time.perf_counter(), time.process_time()
    for line, code in blocks:
        compiled = compile(code, f"{path}:{line}", "exec")
        exec(compiled, namespace)  # noqa: S102 - running the documentation is the point
    import matplotlib.pyplot as plt

    plt.close("all")
    cpu = time.process_time() - cpu_started
    assert cpu < PER_FILE_CPU_BUDGET_S, (f"examples of {os.path.basename(path)} took {cpu:.1f} CPU-s "
                                         f"({time.perf_counter() - started:.1f} s wall); the budget is "
                                         f"{PER_FILE_CPU_BUDGET_S:.0f} CPU-s per page")
