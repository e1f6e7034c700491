"""All PyG transforms of graphsparse in one namespace.

Every capability defines its transforms in ``graphsparse/<capability>/transforms.py`` (subclasses
of :class:`torch_geometric.transforms.BaseTransform` listed in that module's ``__all__``); this
module re-exports them so that a data pipeline needs one import::

    from graphsparse.transforms import TEDDY, FastRPEmbedding
    import torch_geometric.transforms as T
    transform = T.Compose([T.ToUndirected(), TEDDY(edge_sparsity=0.3)])

A capability that adds a transform lists it in its own ``__all__`` and here (a test checks that
the two agree).
"""
from __future__ import annotations

from graphsparse.decoupled.transforms import PrecomputeHops
from graphsparse.directed.transforms import (AddReverseEdgeType, DiGCNAdj, DirectionalHomophily,
                                             MagneticEigenvectorPE, MagneticLaplacian, ToDirGCNAdj)
from graphsparse.embed.transforms import FastRPEmbedding, FastRPFeatures
from graphsparse.sparsify.transforms import TEDDY, SparsifyEdges

#: the capabilities that define transforms
CAPABILITIES = ("embed", "sparsify", "directed", "decoupled")

__all__ = [
    "FastRPEmbedding", "FastRPFeatures",
    "TEDDY", "SparsifyEdges",
    "ToDirGCNAdj", "MagneticLaplacian", "DiGCNAdj", "AddReverseEdgeType", "DirectionalHomophily",
    "MagneticEigenvectorPE",
    "PrecomputeHops",
]
