"""All PyG transforms of graphsparse in one namespace.

Every capability defines its transforms in ``graphsparse/<capability>/transforms.py`` (subclasses
of :class:`torch_geometric.transforms.BaseTransform` listed in that module's ``__all__``); this
module re-exports them so that a data pipeline needs one import::

    from graphsparse.transforms import TEDDY, FastRPFeatures
    import torch_geometric.transforms as T
    transform = T.Compose([T.ToUndirected(), TEDDY(edge_sparsity=0.3)])

The capabilities in :data:`CAPABILITIES` define transforms and must import (an error there is
raised, never hidden); the others (:data:`OPTIONAL_CAPABILITIES`) are scanned too and contribute
when they grow a ``transforms`` module. Two capabilities exporting the same name for different
objects is an error.
"""
from __future__ import annotations

import importlib

import importlib.util

#: capabilities whose ``transforms`` module is part of the library (must import)
CAPABILITIES = ("embed", "sparsify", "directed")
#: capabilities without transforms today; their ``transforms`` module is picked up if it appears
OPTIONAL_CAPABILITIES = ("lottery", "temporal", "gather", "datasets")

__all__: list[str] = []
#: ``{name: "graphsparse.<capability>.transforms"}`` for every re-exported transform
SOURCES: dict[str, str] = {}
#: optional capabilities that have no ``transforms`` module
UNAVAILABLE: list[str] = []


def _load() -> None:
    namespace = globals()
    for capability in CAPABILITIES + OPTIONAL_CAPABILITIES:
        module_name = f"graphsparse.{capability}.transforms"
        if capability in OPTIONAL_CAPABILITIES and importlib.util.find_spec(module_name) is None:
            UNAVAILABLE.append(capability)
            continue
        module = importlib.import_module(module_name)
        exported = getattr(module, "__all__", None)
        if exported is None:
            raise ImportError(f"{module_name} must define __all__ listing its transforms")
        for name in exported:
            obj = getattr(module, name)
            if name in SOURCES and namespace[name] is not obj:
                raise ImportError(f"transform name {name!r} is exported by both {SOURCES[name]} "
                                  f"and {module_name}")
            namespace[name] = obj
            SOURCES[name] = module_name
            if name not in __all__:
                __all__.append(name)


_load()
del _load
