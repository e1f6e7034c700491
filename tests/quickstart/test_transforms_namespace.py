"""graphsparse.transforms re-exports every capability's transforms (and only real ones)."""
from __future__ import annotations

import importlib
import importlib.util

import graphsparse.transforms as transforms


def test_every_capability_transform_is_reexported():
    found = 0
    assert set(transforms.UNAVAILABLE) <= set(transforms.OPTIONAL_CAPABILITIES)
    for capability in transforms.CAPABILITIES + transforms.OPTIONAL_CAPABILITIES:
        if capability in transforms.UNAVAILABLE:
            assert importlib.util.find_spec(f"graphsparse.{capability}.transforms") is None
            continue
        module = importlib.import_module(f"graphsparse.{capability}.transforms")
        for name in module.__all__:
            assert getattr(transforms, name) is getattr(module, name)
            assert name in transforms.__all__
            assert transforms.SOURCES[name] == module.__name__
            found += 1
    assert found == len(transforms.__all__)
    for required in ("TEDDY", "FastRPEmbedding"):  # one per door the docs show
        assert required in transforms.__all__


def test_reexported_transforms_are_pyg_transforms():
    from torch_geometric.transforms import BaseTransform

    for name in transforms.__all__:
        obj = getattr(transforms, name)
        if isinstance(obj, type):
            assert issubclass(obj, BaseTransform), name


def test_star_import_gives_the_transforms():
    namespace = {}
    exec("from graphsparse.transforms import *", namespace)  # noqa: S102
    assert set(transforms.__all__) <= set(namespace)
