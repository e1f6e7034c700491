"""GNN backbones for the lottery-ticket experiments, built from PyG layers.

All take ``forward(x, edge_index, edge_weight=None)``; ``edge_weight`` is how a (soft) edge
mask enters the model (UGS trains it). They also offer ``prepare_graph(edge_index,
edge_weight, num_nodes)`` which the trainer calls once per training when the graph is fixed:
GCN/GIN then propagate with a precomputed torch sparse CSR adjacency (much faster on CPU than
gather/scatter); without it, or when ``edge_weight`` needs a gradient, they use ``edge_index``.

1. :class:`GCN` -- Kipf & Welling (ICLR 2017): ``Z = Ahat ReLU(Ahat X W1) W2``,
   ``Ahat = D^-1/2 (A + I) D^-1/2``, no bias, dropout after the hidden layer (as the TEDDY and
   UGS code). ``edge_weight`` must be finite and ``>= 0`` (a ``ValueError`` otherwise): a
   negative weight can make a degree negative and ``D^-1/2`` NaN.
2. :class:`GAT` -- Velickovic et al. (ICLR 2018): GATConv(heads) -> ELU -> GATConv(1 head),
   dropout 0.6 on input/hidden/attention. ``edge_weight`` multiplies the attention logits
   (TEDDY's "soft pruning"; a no-op for 0/1 values). Default 8 heads x 8 channels (the GAT
   paper) instead of the TEDDY code's 8 x 512, which is too slow for a CPU.
3. :class:`GIN` -- Xu et al. (ICLR 2019) in the TEDDY code's form: two GINConv (train_eps,
   linear "MLP" without bias) and an extra linear head, output ``(lin(h1) + ReLU(conv2(h1)))/2``.
"""
from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import GATConv, GCNConv, GINConv
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.utils import add_remaining_self_loops, scatter, softmax

from graphsparse.torch_ops import SparseOperator, dropout, is_sparse, sparse_matmul

__all__ = ["GCN", "GAT", "GIN", "make_model", "BACKBONES"]


def _adjacency_t(edge_index, edge_weight, num_nodes):
    """Target-major torch CSR ``adj_t[t, s] = w(s -> t)`` (what PyG layers take as a sparse adjacency)."""
    return SparseOperator.from_edge_index(edge_index, edge_weight, num_nodes).matrix


def _check_gcn_edge_weight(edge_weight):
    """GCN's ``D^-1/2`` needs degrees ``1 + sum_j w_ij >= 1``: refuse negative or non-finite weights
    (a negative degree would give NaN outputs, silently)."""
    if edge_weight is None:
        return
    bad = ~torch.isfinite(edge_weight) | (edge_weight < 0)
    if bool(bad.any()):
        raise ValueError(f"edge_weight must be finite and >= 0 for the GCN normalisation D^-1/2 (A + I) D^-1/2 "
                         f"(a negative degree gives NaN); got {int(bad.sum())} bad entries, min "
                         f"{float(edge_weight.detach().min())}")


class GCN(nn.Module):
    """Two-layer GCN without bias (PyG ``GCNConv``); see the module doc.

    Parameters
    ----------
    in_channels, hidden_channels, out_channels : int
        Input width, hidden width and number of classes.
    dropout : float
        Dropout after the hidden layer.

    Attributes
    ----------
    conv1, conv2 : torch_geometric.nn.GCNConv
        The two layers (no bias, normalisation done once by ``prepare_graph``).

    Examples
    --------
    >>> import torch
    >>> from graphsparse.lottery import GCN
    >>> model = GCN(4, 8, 2)
    >>> edges = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    >>> adjacency, _ = model.prepare_graph(edges, None, 3)
    >>> model(torch.randn(3, 4), adjacency).shape
    torch.Size([3, 2])
    """

    sparse_features = True

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, dropout: float = 0.5):
        super().__init__()
        self.conv1 = GCNConv(in_channels, hidden_channels, bias=False, normalize=False)
        self.conv2 = GCNConv(hidden_channels, out_channels, bias=False, normalize=False)
        self.dropout = dropout

    def prepare_graph(self, edge_index, edge_weight, num_nodes):
        _check_gcn_edge_weight(edge_weight)
        edge_index, edge_weight = gcn_norm(edge_index, edge_weight, num_nodes, add_self_loops=True)
        return _adjacency_t(edge_index, edge_weight, num_nodes), None

    def forward(self, x, edge_index, edge_weight=None):
        if is_sparse(edge_index):
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*[Ss]parse.*")
                h = F.relu(self.conv1(x, edge_index, edge_weight))
                h = dropout(h, self.dropout, self.training)
                return self.conv2(h, edge_index, edge_weight)
        # edge-list input (UGS trains edge_weight): normalise with self-loops, then propagate
        # with the backend's CSR product whose backward also gives d/d(edge values) -- ~5x faster on CPU
        # than gather/scatter message passing or a differentiable torch.sparse tensor
        _check_gcn_edge_weight(edge_weight)
        edge_index, edge_weight = gcn_norm(edge_index, edge_weight, x.size(0), add_self_loops=True)
        adjacency = SparseOperator.from_edge_index(edge_index, edge_weight, x.size(0))
        h = F.relu(sparse_matmul(adjacency, self.conv1.lin(x)))
        h = dropout(h, self.dropout, self.training)
        return sparse_matmul(adjacency, self.conv2.lin(h))


class _WeightedGATConv(GATConv):
    """GATConv whose attention logits are multiplied by a per-edge weight (soft pruning)."""

    def forward(self, x, edge_index, edge_weight=None):
        self._edge_weight = edge_weight
        try:
            return super().forward(x, edge_index)
        finally:
            self._edge_weight = None

    def edge_update(self, alpha_j, alpha_i, edge_attr, index, ptr, dim_size):
        alpha = alpha_j if alpha_i is None else alpha_j + alpha_i
        if self._edge_weight is not None:
            alpha = alpha * self._edge_weight.view(-1, 1)
        alpha = F.leaky_relu(alpha, self.negative_slope)
        alpha = softmax(alpha, index, ptr, dim_size)
        return F.dropout(alpha, p=self.dropout, training=self.training)


class GAT(nn.Module):
    """Two-layer GAT (PyG ``GATConv``), self-loops added once outside the layers.

    Parameters
    ----------
    in_channels, hidden_channels, out_channels : int
        Input width, per-head hidden width and number of classes.
    heads : int
        Heads of the first layer.
    dropout : float
        Dropout on inputs, hidden features and attention.

    Attributes
    ----------
    conv1, conv2 : torch_geometric.nn.GATConv
        The two layers (attention logits scaled by ``edge_weight``).

    Examples
    --------
    >>> import torch
    >>> from graphsparse.lottery import GAT
    >>> GAT(4, 8, 2, heads=2)(torch.randn(3, 4), torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])).shape
    torch.Size([3, 2])
    """

    sparse_features = False

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, heads: int = 8,
                 dropout: float = 0.6):
        super().__init__()
        self.conv1 = _WeightedGATConv(in_channels, hidden_channels, heads=heads, dropout=dropout,
                                      add_self_loops=False, bias=False)
        self.conv2 = _WeightedGATConv(hidden_channels * heads, out_channels, heads=1, concat=False,
                                      dropout=dropout, add_self_loops=False, bias=False)
        self.dropout = dropout

    def prepare_graph(self, edge_index, edge_weight, num_nodes):
        return add_remaining_self_loops(edge_index, edge_weight, 1.0, num_nodes)

    def forward(self, x, edge_index, edge_weight=None):
        edge_index, edge_weight = add_remaining_self_loops(edge_index, edge_weight, 1.0, x.size(0))
        x = dropout(x, self.dropout, self.training)
        h = F.elu(self.conv1(x, edge_index, edge_weight))
        h = dropout(h, self.dropout, self.training)
        return self.conv2(h, edge_index, edge_weight)


class _WeightedGINConv(GINConv):
    """GINConv with an optional per-edge weight on the summed messages."""

    def forward(self, x, edge_index, edge_weight=None):
        if is_sparse(edge_index):
            out = edge_index @ x
        else:
            messages = x.index_select(0, edge_index[0])
            if edge_weight is not None:
                messages = messages * edge_weight.view(-1, 1)
            out = scatter(messages, edge_index[1], 0, dim_size=x.size(0), reduce="sum")
        out = out + (1 + self.eps) * x
        return self.nn(out)


class GIN(nn.Module):
    """TEDDY-style two-layer GIN (PyG ``GINConv``, trainable eps, no bias).

    Parameters
    ----------
    in_channels, hidden_channels, out_channels : int
        Input width, hidden width and number of classes.

    Attributes
    ----------
    conv1, conv2 : torch_geometric.nn.GINConv
        The two layers (trainable ``eps``).
    head : torch.nn.Linear
        The linear head on the first layer's output.

    Examples
    --------
    >>> import torch
    >>> from graphsparse.lottery import GIN
    >>> GIN(4, 8, 2)(torch.randn(3, 4), torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])).shape
    torch.Size([3, 2])
    """

    sparse_features = False  # (1 + eps) * x needs dense x

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = _WeightedGINConv(nn.Linear(in_channels, hidden_channels, bias=False), train_eps=True)
        self.conv2 = _WeightedGINConv(nn.Linear(hidden_channels, out_channels, bias=False), train_eps=True)
        self.head = nn.Linear(hidden_channels, out_channels, bias=False)

    def prepare_graph(self, edge_index, edge_weight, num_nodes):
        if edge_weight is None:
            edge_weight = torch.ones(edge_index.size(1))
        return _adjacency_t(edge_index, edge_weight, num_nodes), None

    def forward(self, x, edge_index, edge_weight=None):
        h1 = F.relu(self.conv1(x, edge_index, edge_weight))
        h2 = F.relu(self.conv2(h1, edge_index, edge_weight))
        return (self.head(h1) + h2) / 2


BACKBONES = {"gcn": GCN, "gat": GAT, "gin": GIN}


def make_model(name: str, in_channels: int, out_channels: int, hidden_channels: int | None = None, **kwargs):
    """Build a backbone by name (``"gcn"`` 512 hidden, ``"gat"`` 8 x 8, ``"gin"`` 512 by default)."""
    key = str(name).lower()
    if key not in BACKBONES:
        raise ValueError(f"model must be one of {sorted(BACKBONES)}, got {name!r}")
    if hidden_channels is None:
        hidden_channels = 8 if key == "gat" else 512
    return BACKBONES[key](in_channels, hidden_channels, out_channels, **kwargs)
