"""PyG transforms that prune edges with a one-shot score (TEDDY and the simple baselines)."""
from __future__ import annotations

import torch
from torch_geometric.data import Batch
from torch_geometric.data.datapipes import functional_transform
from torch_geometric.transforms import BaseTransform

from graphsparse._validation import check_fraction
from graphsparse.sparsify.core import SCORE_METHODS, edge_keep_mask
from graphsparse.torch_ops import require_homogeneous

__all__ = ["SparsifyEdges", "TEDDY"]

# Per-edge names PyG uses (aligned with edge_index); ``edge_label*`` belong to ``edge_label_index``.
EDGE_LEVEL_KEYS = ("edge_attr", "edge_weight", "edge_type", "edge_time", "e_id")


def _declared_edge_keys(data) -> list:
    """Keys that by their name are per-edge attributes of ``edge_index``."""
    return [key for key, value in data.items()
            if key != "edge_index" and torch.is_tensor(value) and value.dim() > 0
            and (key in EDGE_LEVEL_KEYS or (key.startswith("edge_") and not key.startswith("edge_label")))]


def check_edge_attributes(data, num_edges: int) -> None:
    """``ValueError`` naming any per-edge attribute whose length differs from ``edge_index``'s."""
    for key in _declared_edge_keys(data):
        value = data[key]
        dim = data.__cat_dim__(key, value)
        size = value.size(dim) if isinstance(dim, int) and -value.dim() <= dim < value.dim() else None
        if size != num_edges:
            raise ValueError(f"data.{key} has {size} entries along dim {dim} but edge_index has {num_edges} "
                             f"edges: an edge-level attribute must have one entry per edge (it could not be "
                             "pruned together with edge_index)")


@functional_transform("sparsify_edges")
class SparsifyEdges(BaseTransform):
    r"""Remove the fraction ``edge_sparsity`` of undirected edges with the lowest one-shot score.

    ``edge_index`` and every edge-level attribute (``edge_attr``, ``edge_weight``, ``e_id``,
    ``edge_label`` ... anything :meth:`Data.is_edge_attr` reports) are indexed with the same
    keep mask, so they stay aligned; a per-edge attribute by name (``edge_attr``, ``edge_weight``,
    ``edge_type``, ``edge_time``, ``e_id``, ``edge_*`` other than ``edge_label*``) whose length is
    not the number of edges raises ``ValueError`` naming it. Works on ``Data`` and on mini-batches:
    a ``Batch`` from a ``DataLoader`` is split with ``to_data_list()``, each graph loses the
    ``edge_sparsity`` fraction of its own edges (exactly as if the transform had run before
    batching) and the batch is rebuilt with ``Batch.from_data_list``; the ``Data`` a
    ``NeighborLoader`` yields is one graph.

    Both directions of an undirected edge are kept or dropped together; self-loops are kept.
    A directed ``edge_index`` raises ``ValueError`` unless ``symmetrize=True`` (then each
    directed edge follows the decision for its undirected pair).

    Args:
        edge_sparsity (float): fraction in ``[0, 1)`` of undirected non-loop edges to drop.
        method (str, default ``"teddy"``): ``"teddy"``, ``"degree"``, ``"resistance"`` or ``"random"``.
        symmetrize (bool, default ``False``): score directed inputs on ``A + A^T`` instead of raising.
        random_state (int, optional): seed for ``method="random"``.

    Examples
    --------
    >>> import torch
    >>> from torch_geometric.data import Data
    >>> from torch_geometric.utils import to_undirected
    >>> from graphsparse.sparsify import SparsifyEdges
    >>> ring = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7, 0]])
    >>> edge_index = to_undirected(ring)  # 8 undirected edges, 16 columns
    >>> data = Data(edge_index=edge_index, edge_weight=torch.arange(16.0), num_nodes=8)
    >>> out = SparsifyEdges(0.25, method="random", random_state=0)(data)
    >>> out.edge_index.shape, out.edge_weight.shape  # 2 of 8 pairs dropped, both directions
    (torch.Size([2, 12]), torch.Size([12]))
    """

    def __init__(self, edge_sparsity: float, method: str = "teddy", symmetrize: bool = False,
                 random_state=None):
        self.edge_sparsity = check_fraction(edge_sparsity, "edge_sparsity")
        if method not in SCORE_METHODS:
            raise ValueError(f"method must be one of {SCORE_METHODS}, got {method!r}")
        self.method = method
        self.symmetrize = bool(symmetrize)
        self.random_state = random_state

    def forward(self, data):
        require_homogeneous(data, type(self).__name__)
        if getattr(data, "edge_index", None) is None:
            raise ValueError(f"{type(self).__name__} needs data.edge_index")
        edge_index = data.edge_index
        if not torch.is_tensor(edge_index) or edge_index.dim() != 2 or edge_index.size(0) != 2:
            raise ValueError(f"data.edge_index must be a (2, E) tensor, got "
                             f"{tuple(edge_index.shape) if torch.is_tensor(edge_index) else type(edge_index).__name__}")
        check_edge_attributes(data, edge_index.size(1))
        if edge_index.numel() == 0 or self.edge_sparsity == 0.0:
            return data
        if isinstance(data, Batch):
            # a mini-batch: each graph is sparsified on its own, as if the transform had run
            # before batching, and the batch is rebuilt through PyG's public API (its slices
            # then describe the pruned edges)
            try:
                parts = data.to_data_list()
            except RuntimeError:  # a Batch not made by Batch.from_data_list: one graph
                return self._prune(data)
            return Batch.from_data_list([self._prune(part) for part in parts])
        return self._prune(data)

    def _prune(self, data):
        """Drop the pruned columns of ``edge_index`` and of every edge attribute of one graph."""
        edge_index = data.edge_index
        if edge_index.numel() == 0:
            return data
        keep = edge_keep_mask(edge_index, self.edge_sparsity, self.method, num_nodes=data.num_nodes,
                              symmetrize=self.symmetrize, random_state=self.random_state)
        keep_index = torch.from_numpy(keep).to(edge_index.device).nonzero().view(-1)
        num_edges = edge_index.size(1)
        edge_keys = [key for key, value in data.items()
                     if torch.is_tensor(value) and data.is_edge_attr(key)
                     and value.size(data.__cat_dim__(key, value)) == num_edges]
        for key in edge_keys:
            value = data[key]
            data[key] = value.index_select(data.__cat_dim__(key, value), keep_index)
        return data

    def __repr__(self) -> str:
        extra = ", symmetrize=True" if self.symmetrize else ""
        if self.method == "random":
            extra += f", random_state={self.random_state!r}"
        return f"{type(self).__name__}(edge_sparsity={self.edge_sparsity}, method={self.method!r}{extra})"


@functional_transform("teddy")
class TEDDY(SparsifyEdges):
    r"""TEDDY edge sparsification (Seo et al., ICLR 2024) as a PyG transform.

    Drops the ``edge_sparsity`` fraction of undirected edges with the lowest degree-based score
    :math:`T_{ij} = \hat g_i \hat g_j`, :math:`\hat g_i = \frac{1}{d_i^2}\sum_{k \in N(i)} d_k^{-1/2}`
    (see :func:`graphsparse.sparsify.teddy_edge_scores`), keeping edge attributes aligned.

    Parameters
    ----------
    edge_sparsity : float in [0, 1)
        Fraction of undirected non-loop edges to drop.
    symmetrize : bool, default=False
        Score a directed ``edge_index`` on ``A + A^T`` (each direction follows its pair) instead of
        raising ``ValueError``.

    Examples
    --------
    >>> import torch
    >>> from torch_geometric.data import Data
    >>> from graphsparse.sparsify import TEDDY
    >>> # a triangle 0-1-2 with a pendant path 2-3-4 (undirected, 5 pairs, 10 columns)
    >>> src = torch.tensor([0, 1, 0, 2, 1, 2, 2, 3, 3, 4])
    >>> dst = torch.tensor([1, 0, 2, 0, 2, 1, 3, 2, 4, 3])
    >>> data = TEDDY(edge_sparsity=0.4)(Data(edge_index=torch.stack([src, dst]), num_nodes=5))
    >>> data.edge_index.size(1)  # 2 of the 5 pairs dropped, both directions of each
    6
    >>> TEDDY(0.4, symmetrize=True)
    TEDDY(edge_sparsity=0.4, symmetrize=True)
    """

    def __init__(self, edge_sparsity: float, symmetrize: bool = False):
        super().__init__(edge_sparsity, method="teddy", symmetrize=symmetrize)

    def __repr__(self) -> str:
        extra = ", symmetrize=True" if self.symmetrize else ""
        return f"TEDDY(edge_sparsity={self.edge_sparsity}{extra})"
