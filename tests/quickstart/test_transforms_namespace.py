"""graphsparse.transforms re-exports every capability's transforms (and only real ones)."""
from __future__ import annotations

import importlib
import importlib.util

import graphsparse.transforms as transforms

ALL_CAPABILITIES = ("embed", "sparsify", "directed", "lottery", "temporal", "gather", "datasets", "decoupled",
                    "sharded")


def test_every_capability_transform_is_reexported():
    exported = set()
    for capability in ALL_CAPABILITIES:
        name = f"graphsparse.{capability}.transforms"
        if importlib.util.find_spec(name) is None:
            assert capability not in transforms.CAPABILITIES
            continue
        assert capability in transforms.CAPABILITIES, f"{name} exists but is not re-exported"
        module = importlib.import_module(name)
        for transform_name in module.__all__:
            assert getattr(transforms, transform_name) is getattr(module, transform_name)
            exported.add(transform_name)
    assert exported == set(transforms.__all__)
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
