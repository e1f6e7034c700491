"""Directed GNN models (Dir-GNN, MagNet, DiGCN, baselines) and the directed link predictor.

The layers live in :mod:`graphsparse.directed.layers`, full-batch training and the exact k-hop
mini-batches in :mod:`graphsparse.directed.training`; this module re-exports both, so
``from graphsparse.directed.models import DirGNN, DirGCNConv, train_node_classifier`` works.

1. :class:`DirGNN` (Dir-GCN / Dir-SAGE / Dir-GAT stacks, learnable alpha, jumping knowledge, L2
   normalisation), :class:`MagNet`, :class:`DiGCN`, and the baselines :class:`SymGCN` (GCN on the
   symmetrised graph, same CSR path) and :class:`MLP`.
2. :class:`DirectedLinkPredictor` -- any node encoder + an MLP on ``[h_u || h_v]`` (ordered, so it
   can tell ``u -> v`` from ``v -> u``) for the :func:`~graphsparse.directed.tasks.link_split`
   tasks; trained by :func:`~graphsparse.directed.tasks.train_link_predictor`.

Full batch: build the operators once (:meth:`DirectedOperators.from_graph`, or
``model.build_operators``) and pass them to ``forward``. Mini batch: :func:`khop_batches` yields
node sets whose induced sub-operators (:meth:`DirectedOperators.subgraph`) keep the full-graph
normalisation, so the output on the seed nodes of a ``num_layers``-hop batch equals the full-batch
output exactly.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from graphsparse._validation import check_positive_int
from graphsparse.directed import operators as dops
from graphsparse.directed.layers import (DiGCNConv, DirectedOperators, DirGATConv, DirGCNConv, DirSAGEConv,
                                         InceptionBlock, MagNetConv, SparseOperator, _linear, _resolve)
from graphsparse.directed.training import khop_batches, train_node_classifier
from graphsparse.graph import as_graph
from graphsparse.torch_ops import dropout as _dropout
from graphsparse.torch_ops import is_sparse

#: the values ``alpha='auto'`` chooses from (Dir-GNN's in-only, balanced and out-only settings)
AUTO_ALPHAS = (0.0, 0.5, 1.0)

__all__ = [
    "SparseOperator",
    "DirectedOperators",
    "DirGCNConv",
    "DirSAGEConv",
    "MagNetConv",
    "DiGCNConv",
    "InceptionBlock",
    "DirGATConv",
    "DirGNN",
    "MagNet",
    "DiGCN",
    "SymGCN",
    "MLP",
    "DirectedLinkPredictor",
    "khop_batches",
    "train_node_classifier",
]


# --------------------------------------------------------------------------------------- models
class _Model(nn.Module):
    kinds: tuple = ()

    def build_operators(self, graph, num_nodes: int | None = None) -> DirectedOperators:
        """The operators this model needs for ``graph`` (call once for full-batch training)."""
        return DirectedOperators.from_graph(graph, self.kinds, num_nodes=num_nodes, **self._operator_params())

    def _operator_params(self) -> dict:
        return {}

    def _ops(self, adjacency, num_nodes):
        return _resolve(adjacency, self.kinds, num_nodes, **self._operator_params())


class DirGNN(_Model):
    """Dir-GNN stack (Rossi et al. 2023): ``num_layers`` Dir-GCN, Dir-SAGE or Dir-GAT layers, ReLU,
    dropout, optional row L2 normalisation, jumping knowledge (``'max'``/``'cat'``) and a linear head.

    ``alpha`` is shared by all layers (``learn_alpha=True`` makes it a parameter). Returns logits.
    ``alpha='auto'``: :func:`~graphsparse.directed.training.train_node_classifier` trains the model
    once per value in ``(0, 0.5, 1)`` from the same initial weights and keeps the one with the best
    validation accuracy (``model.alpha`` is then that value; 0.5 until trained).
    The published best squirrel setting: Dir-GCN, ``alpha=1``, 4 layers, hidden 128, ``jk='max'``,
    ``normalize=True``, lr 0.01. ``root_weight`` adds a self term to every Dir-GCN layer;
    ``tie_weights`` shares the in/out weights and ``normalization='total'`` weights both
    directions by the total degree (all three Dir-GCN only; see :class:`DirGCNConv`). ``self_loops``: Dir-GCN
    normalises ``A + I`` instead of ``A`` (default ``False``); Dir-GAT attends with one self-loop
    per node (default ``True``, see :class:`DirGATConv`); ``None`` picks those defaults.

    ``conv='dir-gat'``: ``heads`` attention heads; hidden layers concatenate them
    (``hidden_channels`` must be divisible by ``heads``: ``hidden_channels // heads`` per head),
    the output layer (without ``jk``) averages them.

    Parameters
    ----------
    in_channels, hidden_channels, out_channels : int
        Input width, hidden width and number of classes (logits).
    num_layers : int
        Number of directed layers.
    conv : {'dir-gcn', 'dir-sage', 'dir-gat'}
        The layer type.
    alpha : float or 'auto'
        Out-direction weight in ``[0, 1]``, shared by all layers; ``'auto'`` chooses among 0, 0.5
        and 1 on validation accuracy when trained with ``train_node_classifier``.
    learn_alpha : bool
        Make ``alpha`` a learnable parameter (initialised at ``alpha``).
    jk : {None, 'max', 'cat'}
        Jumping knowledge over the layer outputs, then a linear head.
    normalize : bool
        Row-wise L2 normalisation after each hidden layer.
    dropout : float
        Dropout after each hidden layer.
    root_weight, tie_weights : bool
        Dir-GCN options (see :class:`DirGCNConv`).
    self_loops : bool or None
        See above; ``None`` picks the layer's default.
    heads : int
        Attention heads (Dir-GAT only).
    normalization : {'dir', 'total'}
        Dir-GCN normalisation (see :class:`DirGCNConv`).

    Attributes
    ----------
    convs : torch.nn.ModuleList
        The layers.
    head : torch.nn.Linear or None
        The jumping-knowledge head.
    kinds : tuple of str
        The operators :meth:`build_operators` builds.

    Examples
    --------
    >>> from graphsparse.datasets.dsbm import directed_sbm
    >>> from graphsparse.directed.models import DirGNN
    >>> data = directed_sbm(num_nodes=60, num_classes=3, p_in=0.1, num_features=8, random_state=0)
    >>> model = DirGNN(8, 16, 3, num_layers=2, alpha=1.0, jk="max")
    >>> model(data.x, model.build_operators(data.edge_index, data.num_nodes)).shape
    torch.Size([60, 3])
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_layers: int = 2, *,
                 conv: str = "dir-gcn", alpha: float = 0.5, learn_alpha: bool = False, jk: str | None = None,
                 normalize: bool = False, dropout: float = 0.0, root_weight: bool = False,
                 self_loops: bool | None = None, tie_weights: bool = False, heads: int = 1,
                 normalization: str = "dir"):
        super().__init__()
        if normalization not in ("dir", "total"):
            raise ValueError(f"normalization must be 'dir' or 'total', got {normalization!r}")
        if normalization != "dir" and conv != "dir-gcn":
            raise ValueError(f"normalization applies to conv='dir-gcn' only, got conv={conv!r}")
        self.normalization = normalization
        if conv not in ("dir-gcn", "dir-sage", "dir-gat"):
            raise ValueError(f"conv must be 'dir-gcn', 'dir-sage' or 'dir-gat', got {conv!r}")
        if jk not in (None, "max", "cat"):
            raise ValueError(f"jk must be None, 'max' or 'cat', got {jk!r}")
        num_layers = check_positive_int(num_layers, "num_layers")
        heads = check_positive_int(heads, "heads")
        if heads > 1 and conv != "dir-gat":
            raise ValueError(f"heads applies to conv='dir-gat' only, got heads={heads} with conv={conv!r}")
        self.kinds = {"dir-gcn": ("dir",), "dir-sage": ("sage",), "dir-gat": ("gat",)}[conv]
        if self_loops is None:
            self_loops = conv == "dir-gat"
        self.alpha_candidates = None
        if isinstance(alpha, str):
            if alpha != "auto":
                raise ValueError(f"alpha must be a number in [0, 1] or 'auto', got {alpha!r}")
            if learn_alpha:
                raise ValueError("alpha='auto' selects a fixed alpha on validation; it excludes learn_alpha=True")
            self.alpha_candidates = AUTO_ALPHAS
            alpha = 0.5  # until train_node_classifier has chosen one
        if learn_alpha:
            alpha = nn.Parameter(torch.tensor(float(alpha)))
        last = hidden_channels if jk else out_channels
        dims = [in_channels] + [hidden_channels] * (num_layers - 1) + [last]
        if conv == "dir-gat":
            if hidden_channels % heads:
                raise ValueError(f"hidden_channels={hidden_channels} must be divisible by heads={heads}")
            convs = []
            for k in range(num_layers):
                hidden = k < num_layers - 1 or jk is not None
                convs.append(DirGATConv(dims[k], hidden_channels // heads if hidden else out_channels, alpha,
                                        heads=heads, concat=hidden, add_self_loops=bool(self_loops)))
            self.convs = nn.ModuleList(convs)
        else:
            layer = DirGCNConv if conv == "dir-gcn" else DirSAGEConv
            extra = ({"root_weight": root_weight, "tie_weights": tie_weights, "normalization": normalization}
                     if conv == "dir-gcn" else {})
            self.convs = nn.ModuleList([layer(dims[k], dims[k + 1], alpha, **extra) for k in range(num_layers)])
        self.conv = conv
        self.heads = heads
        self.alpha = "auto" if self.alpha_candidates is not None else alpha
        self.self_loops = bool(self_loops)
        self.jk = jk
        self.normalize = normalize
        self.dropout = float(dropout)
        self.head = None
        if jk:
            self.head = nn.Linear(hidden_channels * (num_layers if jk == "cat" else 1), out_channels)

    def set_alpha(self, alpha: float) -> "DirGNN":
        """Fix the out-direction weight of every layer to ``alpha`` in ``[0, 1]`` (what
        ``alpha='auto'`` training calls with the chosen value); returns the model."""
        if isinstance(self.alpha, nn.Parameter):
            raise ValueError("this model learns alpha (learn_alpha=True); it cannot be fixed")
        alpha = float(alpha)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
        for conv in self.convs:
            conv.alpha = alpha
        self.alpha = alpha
        return self

    def _operator_params(self) -> dict:
        if self.kinds == ("dir",):
            return {"self_loops": self.self_loops, "dir_normalization": self.normalization}
        return {}

    def forward(self, x: torch.Tensor, adjacency) -> torch.Tensor:
        operators = self._ops(adjacency, x.shape[0])
        states = []
        for k, conv in enumerate(self.convs):
            x = conv(x, operators)
            if k < len(self.convs) - 1 or self.jk:
                x = F.relu(x)
                x = F.dropout(x, self.dropout, self.training)
                if self.normalize:
                    x = F.normalize(x, p=2.0, dim=1)
            states.append(x)
        if self.jk == "max":
            x = torch.stack(states, 0).max(0).values
        elif self.jk == "cat":
            x = torch.cat(states, 1)
        return self.head(x) if self.head is not None else x


class MagNet(_Model):
    """MagNet (Zhang et al. 2021): ``num_layers`` :class:`MagNetConv` (``K``, ``q``) with complex ReLU
    (keep both parts where the real part is >= 0), then ``[real, imag]`` -> linear head (logits).

    Parameters
    ----------
    in_channels, hidden_channels, out_channels : int
        Input width, hidden width (per complex part) and number of classes.
    num_layers : int
        Number of :class:`MagNetConv` layers.
    K : int
        Chebyshev order.
    q : float
        Charge parameter of the magnetic Laplacian in ``[0, 0.5]``.
    dropout : float
        Dropout before the head.

    Attributes
    ----------
    convs : torch.nn.ModuleList
        The layers.
    head : torch.nn.Linear
        Linear head on ``[real, imag]``.

    Examples
    --------
    >>> import torch
    >>> from graphsparse.directed.models import MagNet
    >>> model = MagNet(4, 8, 2, K=1)
    >>> model(torch.randn(3, 4), torch.tensor([[0, 1], [1, 2]])).shape
    torch.Size([3, 2])
    """

    kinds = ("magnetic",)

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_layers: int = 2, *,
                 K: int = 2, q: float = 0.25, dropout: float = 0.5):
        super().__init__()
        dops._check_q(q)
        num_layers = check_positive_int(num_layers, "num_layers")
        dims = [in_channels] + [hidden_channels] * num_layers
        self.convs = nn.ModuleList([MagNetConv(dims[k], dims[k + 1], K) for k in range(num_layers)])
        self.head = nn.Linear(2 * hidden_channels, out_channels)
        self.q = float(q)
        self.dropout = float(dropout)

    def _operator_params(self) -> dict:
        return {"q": self.q}

    def forward(self, x: torch.Tensor, adjacency) -> torch.Tensor:
        operators = self._ops(adjacency, x.shape[0])
        if is_sparse(x) and self.convs[0].out_channels >= self.convs[0].in_channels:
            x = x.to_dense()
        real, imag = x, x
        for conv in self.convs:
            real, imag = conv(real, imag, operators)
            keep = (real >= 0).to(real.dtype)
            real, imag = real * keep, imag * keep
        out = torch.cat([real, imag], 1)
        out = F.dropout(out, self.dropout, self.training)
        return self.head(out)


class DiGCN(_Model):
    """DiGCN with inception blocks (Tong et al. 2020): ``num_blocks`` blocks, each the sum of its
    three branches, ReLU + dropout between blocks; the last block outputs logits.

    Parameters
    ----------
    in_channels, hidden_channels, out_channels : int
        Input width, hidden width and number of classes.
    num_blocks : int
        Number of :class:`InceptionBlock` blocks.
    alpha : float
        Teleport probability of the approximate-PPR adjacency, in ``(0, 1)``.
    dropout : float
        Dropout before every block (a sparse input is left as is).

    Attributes
    ----------
    blocks : torch.nn.ModuleList
        The inception blocks.

    Examples
    --------
    >>> import torch
    >>> from graphsparse.directed.models import DiGCN
    >>> DiGCN(4, 8, 2)(torch.randn(3, 4), torch.tensor([[0, 1, 2], [1, 2, 0]])).shape
    torch.Size([3, 2])
    """

    kinds = ("digcn",)

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_blocks: int = 2, *,
                 alpha: float = 0.1, dropout: float = 0.5):
        super().__init__()
        dops._check_teleport(alpha)
        num_blocks = check_positive_int(num_blocks, "num_blocks")
        dims = [in_channels] + [hidden_channels] * (num_blocks - 1) + [out_channels]
        self.blocks = nn.ModuleList([InceptionBlock(dims[k], dims[k + 1]) for k in range(num_blocks)])
        self.alpha = float(alpha)
        self.dropout = float(dropout)

    def _operator_params(self) -> dict:
        return {"alpha": self.alpha}

    def forward(self, x: torch.Tensor, adjacency) -> torch.Tensor:
        operators = self._ops(adjacency, x.shape[0])
        for k, block in enumerate(self.blocks):
            x = _dropout(x, self.dropout, self.training)
            x0, x1, x2 = block(x, operators)
            x = x0 + x1 + x2
            if k < len(self.blocks) - 1:
                x = F.relu(x)
        return x


class SymGCN(_Model):
    """Baseline: GCN (Kipf & Welling 2017) on the union-symmetrised graph with self-loops, on the
    same CSR path (the formula of PyG's ``GCNConv`` after ``ToUndirected``); optional JK-max.

    Parameters
    ----------
    in_channels, hidden_channels, out_channels : int
        Input width, hidden width and number of classes.
    num_layers : int
        Number of GCN layers.
    dropout : float
        Dropout before every layer (a sparse input is left as is).
    jk : {None, 'max'}
        Jumping knowledge (max over layers) and a linear head.
    normalize : bool
        Row-wise L2 normalisation after each hidden layer.

    Attributes
    ----------
    lins : torch.nn.ModuleList
        The layer weights.
    head : torch.nn.Linear or None
        The jumping-knowledge head.

    Examples
    --------
    >>> import torch
    >>> from graphsparse.directed.models import SymGCN
    >>> SymGCN(4, 8, 2)(torch.randn(3, 4), torch.tensor([[0, 1], [1, 2]])).shape
    torch.Size([3, 2])
    """

    kinds = ("sym_gcn",)

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_layers: int = 2, *,
                 dropout: float = 0.5, jk: str | None = None, normalize: bool = False):
        super().__init__()
        if jk not in (None, "max"):
            raise ValueError(f"jk must be None or 'max', got {jk!r}")
        last = hidden_channels if jk else out_channels
        dims = [in_channels] + [hidden_channels] * (num_layers - 1) + [last]
        self.lins = nn.ModuleList([nn.Linear(dims[k], dims[k + 1]) for k in range(num_layers)])
        self.head = nn.Linear(hidden_channels, out_channels) if jk else None
        self.dropout = float(dropout)
        self.jk = jk
        self.normalize = normalize

    def forward(self, x, adjacency):
        op = self._ops(adjacency, x.shape[0]).op("sym_gcn")
        states = []
        for k, lin in enumerate(self.lins):
            x = _dropout(x, self.dropout, self.training)
            x = op @ _linear(lin, x)
            if k < len(self.lins) - 1 or self.jk:
                x = F.relu(x)
                if self.normalize:
                    x = F.normalize(x, p=2.0, dim=1)
            states.append(x)
        if self.jk:
            x = torch.stack(states, 0).max(0).values
            return self.head(x)
        return x


class MLP(nn.Module):
    """Baseline without the graph: ``num_layers`` linear layers with ReLU and dropout.

    Parameters
    ----------
    in_channels, hidden_channels, out_channels : int
        Feature, hidden and class counts.
    num_layers : int
        Linear layers (ReLU between them).
    dropout : float
        Input dropout of each layer; sparse features pass unchanged.

    Attributes
    ----------
    lins : torch.nn.ModuleList
        The layers.

    Examples
    --------
    >>> import torch
    >>> from graphsparse.directed.models import MLP
    >>> MLP(4, 8, 2)(torch.randn(3, 4)).shape
    torch.Size([3, 2])
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_layers: int = 2, *,
                 dropout: float = 0.5):
        super().__init__()
        dims = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.lins = nn.ModuleList([nn.Linear(dims[k], dims[k + 1]) for k in range(num_layers)])
        self.dropout = float(dropout)

    def build_operators(self, graph, num_nodes=None):
        return None

    def forward(self, x, adjacency=None):
        for k, lin in enumerate(self.lins):
            x = _dropout(x, self.dropout, self.training)
            x = _linear(lin, x)
            if k < len(self.lins) - 1:
                x = F.relu(x)
        return x


class DirectedLinkPredictor(nn.Module):
    """Link model for the directed link tasks: ``logits(u, v) = MLP([h_u || h_v])``, ``h = encoder(X, A)``.

    ``encoder``: any module ``encoder(x, adjacency) -> (n, embedding_channels)`` (e.g. a
    :class:`DirGNN` whose ``out_channels`` is the embedding width; its ``build_operators`` is used
    when present). The decoder is ``Linear(2 d, hidden) -> ReLU -> dropout -> Linear(hidden,
    num_classes)`` on the *ordered* concatenation, so ``(u, v)`` and ``(v, u)`` get different
    logits -- what the ``'direction'`` and ``'three_class'`` tasks need (a symmetric decoder such
    as ``h_u . h_v`` cannot tell them apart). ``num_classes``: 2 for ``'existence'`` /
    ``'direction'``, 3 for ``'three_class'``. Train with
    :func:`graphsparse.directed.tasks.train_link_predictor` on the split's ``train_graph``.

    Parameters
    ----------
    encoder : torch.nn.Module
        Node encoder ``encoder(x, adjacency) -> (n, embedding_channels)``.
    embedding_channels : int
        Width of the encoder's output.
    num_classes : int
        Classes of the link task (2 or 3).
    hidden_channels : int
        Hidden width of the decoder MLP.
    dropout : float
        Decoder dropout in ``[0, 1)``.

    Attributes
    ----------
    encoder : torch.nn.Module
        As given.
    decoder : torch.nn.Sequential
        The MLP on ``[h_u || h_v]``.

    Examples
    --------
    >>> import torch
    >>> from graphsparse.directed.models import DirectedLinkPredictor, DirGNN
    >>> model = DirectedLinkPredictor(DirGNN(2, 8, 8), 8, num_classes=2)
    >>> edges = torch.tensor([[0, 1], [1, 2]])
    >>> model(torch.randn(3, 2), model.build_operators(edges, 3), [[0, 1], [1, 0]]).shape
    torch.Size([2, 2])
    """

    def __init__(self, encoder: nn.Module, embedding_channels: int, num_classes: int = 2, *,
                 hidden_channels: int = 64, dropout: float = 0.0):
        super().__init__()
        if not isinstance(encoder, nn.Module):
            raise TypeError(f"encoder must be a torch.nn.Module, got {type(encoder).__name__}")
        self.embedding_channels = check_positive_int(embedding_channels, "embedding_channels")
        self.num_classes = check_positive_int(num_classes, "num_classes")
        if self.num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {num_classes}")
        hidden_channels = check_positive_int(hidden_channels, "hidden_channels")
        if isinstance(dropout, bool) or not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
        self.encoder = encoder
        self.decoder = nn.Sequential(nn.Linear(2 * self.embedding_channels, hidden_channels), nn.ReLU(),
                                     nn.Dropout(float(dropout)), nn.Linear(hidden_channels, self.num_classes))

    def build_operators(self, graph, num_nodes: int | None = None):
        """The encoder's operators for ``graph`` (``None`` when the encoder builds none)."""
        build = getattr(self.encoder, "build_operators", None)
        return build(graph, num_nodes) if build is not None else as_graph(graph, num_nodes=num_nodes)

    def encode(self, x: torch.Tensor, adjacency) -> torch.Tensor:
        h = self.encoder(x, adjacency)
        if h.dim() != 2 or h.shape[1] != self.embedding_channels:
            raise ValueError(f"encoder returned shape {tuple(h.shape)}, expected (n, {self.embedding_channels})")
        return h

    def decode(self, h: torch.Tensor, pairs) -> torch.Tensor:
        """Logits ``(k, num_classes)`` for the ordered node pairs ``pairs`` (``(k, 2)``, ``u -> v``)."""
        pairs = torch.as_tensor(np.asarray(pairs) if not isinstance(pairs, torch.Tensor) else pairs).long()
        if pairs.dim() != 2 or pairs.shape[1] != 2:
            raise ValueError(f"pairs must have shape (k, 2), got {tuple(pairs.shape)}")
        if pairs.numel() and (pairs.min() < 0 or pairs.max() >= h.shape[0]):
            raise ValueError(f"pairs must hold node ids in [0, {h.shape[0]})")
        return self.decoder(torch.cat([h[pairs[:, 0]], h[pairs[:, 1]]], 1))

    def forward(self, x: torch.Tensor, adjacency, pairs) -> torch.Tensor:
        return self.decode(self.encode(x, adjacency), pairs)
