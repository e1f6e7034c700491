"""The documentation builds with ``mkdocs build --strict`` (warnings are errors), and the benchmark
page generator runs on the JSON files present.

Needs ``mkdocs`` and ``mkdocstrings[python]`` (the ``docs`` extra); skips with that reason without them.
While a capability is still being written, its guide page / API module may be absent: the build test
then builds the pages that exist (and says which are missing), and :func:`test_every_page_and_module_exists`
is skipped with the list, so the build itself is checked at every moment.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS_DIR = os.path.join(REPO_ROOT, "docs")
CONFIG = os.path.join(REPO_ROOT, "mkdocs.yml")
API_DIRECTIVE = re.compile(r"^:::\s*(?P<module>[\w.]+)\s*$", re.MULTILINE)


def _nav_pages(nav) -> list[str]:
    pages = []
    for entry in nav:
        value = list(entry.values())[0] if isinstance(entry, dict) else entry
        if isinstance(value, list):
            pages += _nav_pages(value)
        else:
            pages.append(value)
    return pages


def _module_source_exists(module: str) -> bool:
    """Source of ``module`` (e.g. graphsparse.embed) in the checkout: a package or a .py file."""
    base = os.path.join(REPO_ROOT, *module.split("."))
    if os.path.isfile(os.path.join(base, "__init__.py")) or os.path.isfile(base + ".py"):
        # a package's re-exports must also exist for the page to build (griffe resolves them)
        return True
    if module.count(".") and not module.startswith("graphsparse"):
        return True  # third-party objects are not ours to check
    return False


def _load_config():
    yaml = pytest.importorskip("yaml", reason="mkdocs (pip install 'mkdocs>=1.5') is needed to build the docs")
    with open(CONFIG) as handle:
        return yaml.safe_load(handle), yaml


def _missing():
    config, _ = _load_config()
    pages = _nav_pages(config["nav"])
    missing_pages = [p for p in pages if not os.path.isfile(os.path.join(DOCS_DIR, p))]
    api_path = os.path.join(DOCS_DIR, "api.md")
    modules = API_DIRECTIVE.findall(open(api_path).read()) if os.path.isfile(api_path) else []
    missing_modules = [m for m in modules if not _module_source_exists(m)]
    return missing_pages, missing_modules


def test_every_page_and_module_exists():
    missing_pages, missing_modules = _missing()
    assert not missing_pages, f"pages in mkdocs.yml nav that do not exist: {missing_pages}"
    assert not missing_modules, f"modules in docs/api.md that do not import: {missing_modules}"


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="pip install 'mkdocs>=1.5' 'mkdocstrings[python]>=0.24' to build the docs")
    pytest.importorskip("mkdocstrings", reason="pip install 'mkdocstrings[python]>=0.24'")
    pytest.importorskip("mkdocstrings_handlers.python", reason="pip install 'mkdocstrings[python]>=0.24'")
    config, yaml = _load_config()
    docs_copy = tmp_path / "docs"
    shutil.copytree(DOCS_DIR, docs_copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    missing_pages, missing_modules = _missing()
    assert not (missing_pages or missing_modules), f"missing docs pages/modules: {missing_pages} {missing_modules}"
    # the benchmarks page as CI publishes it: regenerated from the JSON files present
    sys.path.insert(0, DOCS_DIR)
    try:
        import gen_benchmarks
    finally:
        sys.path.remove(DOCS_DIR)
    assert gen_benchmarks.main(["--results", os.path.join(REPO_ROOT, "benchmarks", "results"),
                                "--out", str(docs_copy / "benchmarks.md")]) == 0
    config["docs_dir"] = str(docs_copy)
    config["site_dir"] = str(tmp_path / "site")
    config_path = tmp_path / "mkdocs.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(config_path)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{output[-6000:]}"
    assert "WARNING" not in output, output[-6000:]
    index = tmp_path / "site" / "index.html"
    assert index.is_file()
    if (docs_copy / "api.md").exists():
        api_html = (tmp_path / "site" / "api" / "index.html").read_text()
        assert "graphsparse.graph" in api_html and "as_graph" in api_html


def text_of(path) -> str:
    return path.read_text()


def test_benchmark_page_generator_runs_on_present_json(tmp_path):
    sys.path.insert(0, DOCS_DIR)
    try:
        import gen_benchmarks
    finally:
        sys.path.remove(DOCS_DIR)
    results_dir = os.path.join(REPO_ROOT, "benchmarks", "results")
    page = tmp_path / "benchmarks.md"
    assert gen_benchmarks.main(["--results", results_dir, "--out", str(page)]) == 0
    text = page.read_text()
    files = sorted(f for f in os.listdir(results_dir) if f.endswith(".json")) if os.path.isdir(results_dir) else []
    for name in files:  # every result file is on the page, shown or listed as unreadable
        assert f"`{name}`" in text, name
    for name in files:  # and its scalar figures are there, formatted from the JSON values
        try:
            data = json.load(open(os.path.join(results_dir, name)))
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        scalars, _ = gen_benchmarks.flatten(data)
        shown = scalars[: gen_benchmarks.MAX_ROWS]
        for path, text in shown:
            assert f"| {gen_benchmarks._cell(path)} | {gen_benchmarks._cell(text)} |" in text_of(page), (name, path)
        shown_paths = {path for path, _ in shown}
        for key, value in data.items():
            if key in shown_paths and isinstance(value, (int, float)) and not isinstance(value, bool):
                assert dict(shown)[key] == gen_benchmarks.fmt(value)
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        assert (tmp_path / image).is_file(), image


def test_benchmark_page_generator_is_tolerant(tmp_path):
    sys.path.insert(0, DOCS_DIR)
    try:
        import gen_benchmarks
    finally:
        sys.path.remove(DOCS_DIR)
    results = tmp_path / "results"
    # no folder at all
    text = gen_benchmarks.render(str(results), str(tmp_path / "img"), str(tmp_path))
    assert "No benchmark results" in text
    results.mkdir()
    (results / "broken.json").write_text("{not json")
    (results / "list.json").write_text("[1, 2]")
    (results / "gather_cpu.json").write_text(json.dumps({
        "benchmark": "gather_cpu", "machine": {"date": "2026-01-01", "cpu_count": 2},
        "results": [{"width": w, "method": m, "gb_s": g} for w, m, g in
                    [(64, "graphsparse", 3.0), (128, "graphsparse", 4.5), (64, "index_select", 1.5),
                     (128, "index_select", 2.25)]],
        "copy_gb_s": 9.5, "timing": {"min": 1.0, "median": 1.25, "all": [1.0, 1.25, 2.0]}}))
    text = gen_benchmarks.render(str(results), str(tmp_path / "img"), str(tmp_path))
    assert "`broken.json`: could not be read" in text and "`list.json`: could not be read" in text
    assert "| copy_gb_s | 9.5 |" in text and "| timing | 1.25 (median), 1 (min) |" in text
    assert "| 128 | index_select | 2.25 |" in text
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(images) == 1 and (tmp_path / images[0]).is_file()


def test_benchmark_plots_for_each_capability_layout(tmp_path):
    sys.path.insert(0, DOCS_DIR)
    try:
        import gen_benchmarks
    finally:
        sys.path.remove(DOCS_DIR)
    results = tmp_path / "results"
    results.mkdir()
    machine = {"date": "2026-01-01", "cpu_count": 2}
    layouts = {
        "fastrp_quality": {"blogcatalog": {"scores": {"0.1": {"micro_f1": 0.37}, "0.5": {"micro_f1": 0.40}},
                                           "notebook": {"0.1": [0.371, 0.23], "0.5": [0.408, 0.28]}}},
        "teddy_sweep": {"tables": {"cora/gcn": [
            {"method": "teddy", "level": 1, "edge_sparsity": 0.05, "mean": 0.82},
            {"method": "teddy", "level": 5, "edge_sparsity": 0.23, "mean": 0.81},
            {"method": "random", "level": 5, "edge_sparsity": 0.23, "mean": 0.70}]}},
        "nat_collegemsg": {"runs": [{"seed": 0, "epochs": [
            {"epoch": 0, "train_cpu_s": 3.0, "val": {"ap": 0.90}},
            {"epoch": 1, "train_cpu_s": 2.9, "val": {"ap": 0.91}}]}]},
        "directed_accuracy": {"datasets": {"dsbm": {"models": {
            "dir-gcn": {"test_acc_mean": 92.0, "test_acc_std": 1.0},
            "sym-gcn": {"test_acc_mean": 25.0, "test_acc_std": 2.0}}}}},
    }
    for name, figures in layouts.items():
        (results / f"{name}.json").write_text(json.dumps({"benchmark": name, "machine": machine, **figures}))
    text = gen_benchmarks.render(str(results), str(tmp_path / "img"), str(tmp_path))
    images = re.findall(r"!\[([^\]]*)\]\(([^)]+)\)", text)
    assert sorted(label for label, _ in images) == sorted(layouts)
    for _, image in images:
        assert (tmp_path / image).stat().st_size > 1000
    assert "| teddy | 5 | 0.23 | 0.81 |" in text
    assert "| blogcatalog.scores.0.1.micro_f1 | 0.37 |" in text
