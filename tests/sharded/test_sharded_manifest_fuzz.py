"""Hostile manifests: any value of a sharded graph's or array's JSON manifest replaced by a hostile one
ends in a clear ``ValueError``/``TypeError``/``FileNotFoundError`` (or a correct result), never another
exception, a silent truncation or a crash. Property test (hypothesis, derandomised in CI)."""
from __future__ import annotations

import copy
import json
import math
import os

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from graphsparse.datasets.generators import rmat  # noqa: E402
from graphsparse.sharded import from_graph, open_array, open_graph, save_array, spmm  # noqa: E402

HOSTILE = [None, True, -1, 0, 1.5, math.inf, -math.inf, math.nan, 2**70, -2**70, "x", "../../outside", "",
           [], {}, [1, 2], [[0]], {"a": 1}, 10**6]
CLEAR = (ValueError, TypeError, FileNotFoundError)


def _paths(node, prefix=()):
    """Every (path to a value) in a JSON tree, containers included."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, prefix + (index,))


def _replace(tree, path, value):
    node = tree
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    graph = rmat(64, 300, seed=2, directed=True).with_weights(np.linspace(0.5, 2, 300))
    sharded = from_graph(graph, root / "graph", num_shards=3)
    array = np.arange(64 * 3, dtype=np.float32).reshape(64, 3)
    stored = save_array(array, root / "array", [0, 20, 40, 64])
    expected = spmm(sharded, array)
    return root, graph, array, expected, stored.path


def _mutated(directory, data):
    manifest_file = os.path.join(directory, "manifest.json")
    original = open(manifest_file).read()
    manifest = json.loads(original)
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        paths = [p for p in _paths(manifest) if p]
        path = data.draw(st.sampled_from(paths), label="path")
        _replace(manifest, path, copy.deepcopy(data.draw(st.sampled_from(HOSTILE), label="value")))
    text = json.dumps(manifest)
    open(manifest_file, "w").write(text)
    return original


@settings(max_examples=int(os.environ.get("GS_FUZZ_N", 120)), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_hostile_graph_manifest_values(built, data):
    root, graph, array, expected, _ = built
    directory = str(root / "graph")
    original = _mutated(directory, data)
    try:
        try:
            opened = open_graph(directory)
            result = spmm(opened, array)
        except CLEAR:
            return
        # what opened must be the graph that was written (a harmless edit, e.g. of build notes)
        assert opened.num_nodes == graph.num_nodes
        np.testing.assert_allclose(np.asarray(result), np.asarray(expected), rtol=1e-6)
    finally:
        open(os.path.join(directory, "manifest.json"), "w").write(original)


@settings(max_examples=int(os.environ.get("GS_FUZZ_N", 80)), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_hostile_array_manifest_values(built, data):
    root, _, array, _, path = built
    original = _mutated(path, data)
    try:
        try:
            loaded = open_array(path).to_numpy()
        except CLEAR:
            return
        assert np.array_equal(loaded, array)
    finally:
        open(os.path.join(path, "manifest.json"), "w").write(original)
