"""Docstrings of the public API: the required sections are there, and every Examples section runs.

(a) Discovery: every public class and function in the ``__all__`` of the packages in ``PACKAGES``
(a name re-exported from another of them, the same object, is checked once, where it is defined).
(b) Sections: every public class -- estimator, transform, model, store, file/result object -- has an
``Examples`` section and a typed ``Parameters`` section (numpy ``Parameters\\n----------`` or Google
``Args:``) naming each constructor argument; estimators (a ``fit`` method) also have an
``Attributes`` section. Exceptions are explicit: error/warning classes (nothing to show), a class
whose constructor takes no argument (no Parameters to list), and the plain result containers of
``RESULT_CONTAINERS``, which document their fields under ``Attributes`` instead of ``Parameters``.
The main-entry functions of ``MAIN_ENTRIES`` need the same two sections.
(c) ``doctest`` runs over every module that defines one of them (plus the directed and lottery
model modules): each module runs at least one example and none fails.
"""
from __future__ import annotations

import doctest
import importlib
import inspect
import re
import tempfile

import pytest

PACKAGES = ["graphsparse", "graphsparse.embed", "graphsparse.sparsify", "graphsparse.lottery",
            "graphsparse.temporal", "graphsparse.gather", "graphsparse.directed", "graphsparse.decoupled",
            "graphsparse.sharded", "graphsparse.io", "graphsparse.datasets", "graphsparse.transforms",
            "graphsparse.training", "graphsparse.torch_ops"]

# modules whose public classes are not in a package ``__all__`` but whose examples run too
# (formerly tests/directed/test_directed_docstrings.py and tests/lottery/test_lottery_docstrings.py)
EXTRA_MODULES = ["graphsparse.directed.layers", "graphsparse.directed.models", "graphsparse.directed.training",
                 "graphsparse.directed.transforms", "graphsparse.lottery.models", "graphsparse.torch_ops",
                 "graphsparse.training"]

# Plain result containers (dataclasses / NamedTuples a function returns; users read them, rarely
# build them): a Parameters section would repeat the field list, so their fields are documented
# under ``Attributes`` (checked below like Parameters) and they still carry an Examples section.
RESULT_CONTAINERS = {
    "graphsparse.lottery.ticket.GraphLotteryTicket": "returned by find_ticket / find_tickets",
    "graphsparse.temporal.ncache.CacheView": "NamedTuple returned by NCache.lookup",
    "graphsparse.temporal.ncache.JointFeatures": "NamedTuple returned by NCache.joint_features",
    "graphsparse.io.NodeMapping": "returned inside GraphFile / TemporalFile by the readers",
    "graphsparse.io.GraphFile": "returned by read_edge_list / read_npz",
    "graphsparse.io.TemporalFile": "returned by read_temporal",
    "graphsparse.io.NodeLabels": "returned by read_node_labels",
}

# The functions a user calls first in each capability: they need Parameters and Examples too.
MAIN_ENTRIES = [
    "graphsparse.graph.as_graph", "graphsparse.ops.spmm",
    "graphsparse.sparsify.core.sparsify", "graphsparse.sparsify.core.teddy_edge_scores",
    "graphsparse.lottery.find.find_ticket",
    "graphsparse.temporal.data.as_temporal", "graphsparse.temporal.data.toy_temporal_graph",
    "graphsparse.temporal.train.chronological_split",
    "graphsparse.gather.sampler.neighbor_loader",
    "graphsparse.decoupled.propagation.precompute", "graphsparse.decoupled.propagation.propagation_operator",
    "graphsparse.sharded.format.open_graph", "graphsparse.sharded.format.from_graph",
    "graphsparse.sharded.build.build_from_edgelist",
    "graphsparse.io.read_edge_list", "graphsparse.io.read_temporal", "graphsparse.io.read_node_labels",
    "graphsparse.io.read_npz", "graphsparse.io.read_graph",
    "graphsparse.datasets.generators.sbm", "graphsparse.datasets.generators.rmat",
    "graphsparse.datasets.generators.contextual_sbm", "graphsparse.directed.operators.symmetrize",
    "graphsparse.datasets.dsbm.directed_sbm", "graphsparse.datasets.loaders.available_datasets",
    "graphsparse.directed.operators.dir_gcn_adjacency", "graphsparse.directed.tasks.link_split",
    "graphsparse.training.fit_node_classifier",
]

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _public_objects() -> dict[str, object]:
    """``{defining module.qualname: object}`` of the public classes and functions, deduplicated."""
    found: dict[int, tuple[str, object]] = {}
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if not obj.__module__.startswith("graphsparse"):
                continue
            found.setdefault(id(obj), (f"{obj.__module__}.{obj.__qualname__}", obj))
    return dict(found.values())


OBJECTS = _public_objects()
CLASSES = sorted(key for key, obj in OBJECTS.items() if inspect.isclass(obj))
MODULES = sorted({obj.__module__ for obj in OBJECTS.values()} | set(EXTRA_MODULES))


def _section(doc: str, title: str) -> str | None:
    """Body of the numpy-style section ``title`` (or the Google ``Args:`` block for Parameters)."""
    match = re.search(rf"^{title}\n-+\n(.*?)(?=^\S[^\n]*\n-+\n|\Z)", doc, re.MULTILINE | re.DOTALL)
    if match is None and title == "Parameters":
        match = re.search(r"^Args:\n(.*?)(?=^\S|\Z)", doc, re.MULTILINE | re.DOTALL)
    return None if match is None else match.group(1)


def _documented_names(body: str) -> set[str]:
    """Names of the typed entries of a section: ``name : type`` / ``a, b : type`` (numpy) or
    ``name (type): text`` (Google), at the section's first indentation level; a bare ``name``
    line (no type) does not count."""
    lines = [line for line in body.splitlines() if line.strip()]
    indent = min((len(line) - len(line.lstrip()) for line in lines), default=0)
    names: set[str] = set()
    for line in lines:
        if len(line) - len(line.lstrip()) != indent:
            continue
        head = re.match(r"\s*([*\w][\w, *]*?)\s*(?::\s*\S|\(.+?\):)", line)  # a type must follow
        if head:
            names.update(name.strip(" *") for name in head.group(1).split(","))
    return names


def _constructor_arguments(cls) -> list[str]:
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return []
    return [name for name, p in signature.parameters.items()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and not name.startswith("_")]


def test_discovery_finds_the_public_api():
    # a sanity check of (a): the capabilities' main classes are found, each once, where defined
    for key in ("graphsparse.graph.Graph", "graphsparse.embed.fastrp.FastRP",
                "graphsparse.sparsify.transforms.TEDDY", "graphsparse.temporal.model.NAT",
                "graphsparse.gather.table.FeatureTable", "graphsparse.sharded.format.ShardedGraph",
                "graphsparse.embed.transforms.FastRPEmbedding"):
        assert key in OBJECTS, key
    assert len(OBJECTS) == len({id(obj) for obj in OBJECTS.values()})
    for key in list(RESULT_CONTAINERS) + MAIN_ENTRIES:
        assert key in OBJECTS, f"{key} is listed here but is not public any more"


def test_section_parser():
    doc = ("Intro.\n\nParameters\n----------\na, b : int\n    Text.\nc : str, default='x'\n    More: text.\n"
           "untyped\n    No type given.\n\nExamples\n--------\n>>> 1\n1\n")
    assert _documented_names(_section(doc, "Parameters")) == {"a", "b", "c"}
    assert _section(doc, "Attributes") is None and ">>> 1" in _section(doc, "Examples")
    google = "Intro.\n\nArgs:\n    x (int): one.\n        continued: here.\n    y (str, optional): two.\n"
    assert _documented_names(_section(google, "Parameters")) == {"x", "y"}


@pytest.mark.parametrize("key", CLASSES)
def test_class_sections(key):
    cls = OBJECTS[key]
    if issubclass(cls, (Exception, Warning)):
        return  # error and warning classes: the message is the documentation
    doc = inspect.getdoc(cls) or ""
    assert _section(doc, "Examples") and ">>>" in _section(doc, "Examples"), f"{key}: no Examples section"
    arguments = _constructor_arguments(cls)
    title = "Attributes" if key in RESULT_CONTAINERS else "Parameters"
    if arguments:
        body = _section(doc, title)
        assert body is not None, f"{key}: no {title} section"
        missing = set(arguments) - _documented_names(body)
        assert not missing, f"{key}: {title} does not document {sorted(missing)}"
    if callable(getattr(cls, "fit", None)):
        assert _section(doc, "Attributes"), f"{key}: an estimator documents its learned state under Attributes"


@pytest.mark.parametrize("key", MAIN_ENTRIES)
def test_main_entry_sections(key):
    func = OBJECTS[key]
    doc = inspect.getdoc(func) or ""
    assert _section(doc, "Examples") and ">>>" in _section(doc, "Examples"), f"{key}: no Examples section"
    arguments = _constructor_arguments(func)
    if arguments:  # a function without arguments has no Parameters section
        body = _section(doc, "Parameters")
        assert body is not None, f"{key}: no Parameters section"
        missing = set(arguments) - _documented_names(body)
        assert not missing, f"{key}: Parameters does not document {sorted(missing)}"


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run(module_name, tmp_path, monkeypatch):
    # an example's files (its TemporaryDirectory, a mkdtemp, a relative path) land in tmp_path
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=FLAGS, report=True, verbose=False)
    assert result.attempted > 0, f"{module_name}: no example ran"
    assert result.failed == 0, f"{module_name}: {result.failed} of {result.attempted} examples failed (see stdout)"
