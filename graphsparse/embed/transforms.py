"""PyG transform adding FastRP embeddings as node features.

``FastRPEmbedding(attr_name="fastrp", **fastrp_params)`` fits :class:`graphsparse.embed.FastRP`
on ``data`` (edge_index, edge_weight / 1-D edge_attr, num_nodes) and stores the float32 embedding as
``data[attr_name]``, or concatenates it to ``data.x`` when ``attr_name=None`` (PyG's
``AddLaplacianEigenvectorPE`` convention; ``data.x`` is created when absent). With
``use_node_features=True`` and ``feature_ratio > 0`` the existing ``data.x`` seeds that share of
the columns (GDS propertyRatio).
"""
from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data.datapipes import functional_transform
from torch_geometric.transforms import BaseTransform

from graphsparse.embed.fastrp import FastRP
from graphsparse.torch_ops import require_homogeneous

__all__ = ["FastRPEmbedding", "FastRPFeatures"]


@functional_transform("fastrp_embedding")
class FastRPEmbedding(BaseTransform):
    """Add a FastRP embedding to a PyG ``Data`` (see the module docstring).

    Registered with PyG's ``functional_transform`` (``datapipe.fastrp_embedding(...)``); a
    ``HeteroData`` is refused with a ``TypeError`` (embed one edge type's ``Data`` instead).

    Parameters
    ----------
    n_components : int, default=128
        Embedding dimension.
    attr_name : str or None, default="fastrp"
        Attribute to store the embedding in; ``None`` concatenates it to ``data.x``.
    use_node_features : bool, default=False
        Pass ``data.x`` to ``fit(features=...)`` (needs ``feature_ratio > 0``).
    **fastrp_params
        Any other :class:`~graphsparse.embed.FastRP` parameter (``iteration_weights``,
        ``random_state`` ...); checked at construction.

    Attributes
    ----------
    estimator : FastRP
        The unfitted template, cloned and fitted on each graph the transform sees.

    Examples
    --------
    >>> import torch
    >>> from torch_geometric.data import Data
    >>> from graphsparse.transforms import FastRPEmbedding
    >>> edge_index = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])  # a path of 4 nodes
    >>> data = FastRPEmbedding(n_components=8, random_state=0)(Data(edge_index=edge_index, num_nodes=4))
    >>> data.fastrp.shape, data.fastrp.dtype
    (torch.Size([4, 8]), torch.float32)
    >>> data = Data(edge_index=edge_index, x=torch.ones(4, 3))
    >>> FastRPEmbedding(n_components=8, attr_name=None, random_state=0)(data).x.shape  # 3 + 8 columns
    torch.Size([4, 11])
    """

    def __init__(self, n_components: int = 128, attr_name: str | None = "fastrp", use_node_features: bool = False,
                 **fastrp_params):
        if attr_name is not None and (not isinstance(attr_name, str) or not attr_name):
            raise ValueError(f"attr_name must be a non-empty string or None, got {attr_name!r}")
        self.attr_name = attr_name
        self.use_node_features = bool(use_node_features)
        self.estimator = FastRP(n_components=n_components, **fastrp_params)
        self.estimator._validated_params()  # fail at construction on bad parameters

    def forward(self, data):
        require_homogeneous(data, type(self).__name__)
        features = None
        if self.use_node_features:
            if getattr(data, "x", None) is None:
                raise ValueError("use_node_features=True but data.x is missing")
            features = data.x.detach().cpu().numpy()
        from sklearn.base import clone

        model = clone(self.estimator)
        embedding = torch.from_numpy(np.ascontiguousarray(model.fit_transform(data, features=features)))
        if self.attr_name is not None:
            data[self.attr_name] = embedding
            return data
        x = getattr(data, "x", None)
        if x is None:
            data.x = embedding
        else:
            x = x.view(-1, 1) if x.dim() == 1 else x
            if x.size(0) != embedding.size(0):
                raise ValueError(f"data.x has {x.size(0)} rows but the graph has {embedding.size(0)} nodes")
            data.x = torch.cat([x, embedding.to(x.dtype) if x.is_floating_point() else embedding], dim=-1)
        return data

    def __repr__(self) -> str:
        p = self.estimator.get_params()
        target = f"attr_name={self.attr_name!r}" if self.attr_name is not None else "concat to x"
        return (f"{self.__class__.__name__}(n_components={p['n_components']}, "
                f"iteration_weights={tuple(p['iteration_weights'])}, "
                f"normalization_strength={p['normalization_strength']}, {target})")


#: alias (the name used in the project README draft)
FastRPFeatures = FastRPEmbedding
