"""PyG transforms for directed graphs (each keeps ``edge_index`` and any edge attributes aligned).

1. :class:`ToDirGCNAdj` -- adds ``adj_dir`` / ``adj_dir_t`` (torch CSR ``D_out^-1/2 A D_in^-1/2`` and
   its transpose) and ``edge_weight_dir`` (the normalised weight of every edge, in ``edge_index``
   order).
2. :class:`MagneticLaplacian` -- adds ``mag_real`` / ``mag_imag`` (torch CSR, scaled or not).
3. :class:`DiGCNAdj` -- adds ``digcn_edge_index`` / ``digcn_edge_weight`` (approximate-PPR
   adjacency, undirected, both directions stored).
4. :class:`AddReverseEdgeType` -- appends every reversed edge with ``edge_type`` 1 (originals 0);
   edge attributes of the reversed copies are copied from their originals.
5. :class:`DirectionalHomophily` -- stores the :func:`directed_homophily` dict and reciprocity in
   ``data.directed_stats``.
6. :class:`MagneticEigenvectorPE` -- eigenvector positional encodings of the normalised magnetic
   Laplacian (:func:`~graphsparse.directed.magnetic_eigenvector_encodings`), ``(n, 2k)`` float32
   ``[Re, Im]`` in ``data[attr_name]`` (or appended to ``data.x`` with ``attr_name=None``).

Each is registered with PyG's ``functional_transform`` (``datapipe.to_dir_gcn_adj()`` ...) and
composes with ``torch_geometric.transforms.Compose``; ``HeteroData`` is refused with a
``TypeError`` (apply the transform per edge type).

Inputs: a ``Data`` with ``edge_index`` (optionally ``edge_weight``), or with ``adj_t`` holding a
``torch_sparse.SparseTensor`` / torch sparse CSR (transposed, as PyG's ``ToSparseTensor`` stores it).
"""
from __future__ import annotations

import warnings

import numpy as np
import torch
from torch_geometric.data.datapipes import functional_transform
from torch_geometric.transforms import BaseTransform

from graphsparse.directed import operators as dops
from graphsparse.graph import Graph, as_graph
from graphsparse.torch_ops import graph_csr, require_homogeneous, scipy_csr

__all__ = ["ToDirGCNAdj", "MagneticLaplacian", "DiGCNAdj", "AddReverseEdgeType", "DirectionalHomophily",
           "MagneticEigenvectorPE"]


def _graph_of(data) -> Graph:
    """Directed Graph of a Data (``edge_index`` [+ ``edge_weight``] or sparse ``adj_t``)."""
    if getattr(data, "edge_index", None) is not None:
        weight = getattr(data, "edge_weight", None)
        return as_graph(data.edge_index, num_nodes=data.num_nodes, edge_weight=weight, directed=True,
                        name="data.edge_index")
    adj_t = getattr(data, "adj_t", None)
    if adj_t is None:
        raise ValueError("data must have edge_index or a sparse adj_t")
    g = as_graph(adj_t, name="data.adj_t", directed=True)  # adj_t[j, i] for i -> j
    return g.transpose()


def _edge_positions(g: Graph, edge_index: torch.Tensor) -> np.ndarray:
    """Position in ``g``'s CSR of every column of ``edge_index`` (each edge must exist in ``g``)."""
    positions = g.locate(edge_index[0].numpy(), edge_index[1].numpy())
    if positions.shape[0] and positions.min() < 0:
        raise ValueError("edge_index holds an edge that the normalised operator does not store")
    return positions


@functional_transform("to_dir_gcn_adj")
class ToDirGCNAdj(BaseTransform):
    """Precompute Dir-GCN's ``A_hat = D_out^-1/2 A D_in^-1/2`` and ``A_hat^T`` (torch CSR).

    Sets ``data.adj_dir``, ``data.adj_dir_t`` and ``data.edge_weight_dir`` (one value per column
    of ``edge_index``, duplicates summed as in ``A``). ``self_loops=True`` adds unit loops first.

    Parameters
    ----------
    self_loops : bool
        Normalise ``A + I`` instead of ``A``.

    Examples
    --------
    >>> import torch
    >>> from torch_geometric.data import Data
    >>> from graphsparse.directed.transforms import ToDirGCNAdj
    >>> data = ToDirGCNAdj()(Data(edge_index=torch.tensor([[0, 1], [1, 2]]), num_nodes=3))
    >>> data.edge_weight_dir.tolist(), data.adj_dir.layout
    ([1.0, 1.0], torch.sparse_csr)
    """

    def __init__(self, self_loops: bool = False):
        self.self_loops = bool(self_loops)

    def forward(self, data):
        require_homogeneous(data, "ToDirGCNAdj")
        g = _graph_of(data)
        a_hat = dops.directed_normalize(g, "dir", self_loops=self.self_loops)
        data.adj_dir = graph_csr(a_hat, cache=False)
        data.adj_dir_t = graph_csr(a_hat.transpose(), cache=False)
        if getattr(data, "edge_index", None) is not None:
            positions = _edge_positions(a_hat, data.edge_index)
            data.edge_weight_dir = torch.from_numpy(a_hat.weights[positions].copy())
        return data

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(self_loops={self.self_loops})"


@functional_transform("magnetic_laplacian")
class MagneticLaplacian(BaseTransform):
    """Add the magnetic Laplacian ``L^(q)`` as ``data.mag_real`` / ``data.mag_imag`` (torch CSR).

    ``q`` in ``[0, 0.5]`` (0.25 makes one-way edges purely imaginary); ``scaled=True`` stores
    MagNet's Chebyshev argument ``2 L / lambda_max - I``; ``signed=True`` the magnetic signed
    Laplacian (:func:`~graphsparse.directed.signed_magnetic_laplacian`; negative ``edge_weight``).

    Parameters
    ----------
    q : float
        Charge parameter in ``[0, 0.5]``.
    normalized : bool
        Normalised Laplacian ``I - D^-1/2 A_s D^-1/2 (.) exp(i Theta)``.
    scaled : bool
        Store ``2 L / lambda_max - I``.
    lambda_max : float
        The ``lambda_max`` of the scaling.
    signed : bool
        The magnetic signed Laplacian.

    Examples
    --------
    >>> import torch
    >>> from torch_geometric.data import Data
    >>> from graphsparse.directed.transforms import MagneticLaplacian
    >>> data = MagneticLaplacian(q=0.25)(Data(edge_index=torch.tensor([[0, 1], [1, 2]]), num_nodes=3))
    >>> data.mag_real.shape, data.mag_imag.layout
    (torch.Size([3, 3]), torch.sparse_csr)
    """

    def __init__(self, q: float = 0.25, normalized: bool = True, scaled: bool = False, lambda_max: float = 2.0,
                 signed: bool = False):
        self.q = dops._check_q(q)
        self.normalized = bool(normalized)
        self.scaled = bool(scaled)
        self.lambda_max = float(lambda_max)
        self.signed = bool(signed)

    def forward(self, data):
        require_homogeneous(data, "MagneticLaplacian")
        real, imag = dops.magnetic_laplacian(_graph_of(data), self.q, normalized=self.normalized,
                                             scaled=self.scaled, lambda_max=self.lambda_max, signed=self.signed)
        data.mag_real, data.mag_imag = scipy_csr(real), scipy_csr(imag)
        return data

    def __repr__(self) -> str:
        signed = ", signed=True" if self.signed else ""
        return (f"{self.__class__.__name__}(q={self.q}, normalized={self.normalized}, scaled={self.scaled}{signed})")


@functional_transform("digcn_adj")
class DiGCNAdj(BaseTransform):
    """Add DiGCN's approximate-PPR adjacency as ``digcn_edge_index`` / ``digcn_edge_weight``
    (``alpha`` = teleport probability in ``(0, 1)``; computed sparsely, see
    :func:`graphsparse.directed.digcn_adjacency`). ``second_order=True`` also adds
    ``digcn2_edge_index`` / ``digcn2_edge_weight`` (the inception block's ``P^(2)``).

    Parameters
    ----------
    alpha : float
        Teleport probability in ``(0, 1)``.
    second_order : bool
        Also add ``P^(2)``.

    Examples
    --------
    >>> import torch
    >>> from torch_geometric.data import Data
    >>> from graphsparse.directed.transforms import DiGCNAdj
    >>> data = DiGCNAdj(alpha=0.1)(Data(edge_index=torch.tensor([[0, 1, 2], [1, 2, 0]]), num_nodes=3))
    >>> data.digcn_edge_index.shape[0], data.digcn_edge_weight.dtype
    (2, torch.float32)
    """

    def __init__(self, alpha: float = 0.1, second_order: bool = False):
        self.alpha = dops._check_teleport(alpha)
        self.second_order = bool(second_order)

    def forward(self, data):
        require_homogeneous(data, "DiGCNAdj")
        g = _graph_of(data)
        adj = dops.digcn_adjacency(g, self.alpha)
        data.digcn_edge_index = adj.to_edge_index("torch")
        data.digcn_edge_weight = torch.from_numpy(adj.edge_weights().copy())
        if self.second_order:
            adj2 = dops.digcn_second_order(g)
            data.digcn2_edge_index = adj2.to_edge_index("torch")
            data.digcn2_edge_weight = torch.from_numpy(adj2.edge_weights().copy())
        return data

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(alpha={self.alpha}, second_order={self.second_order})"


@functional_transform("add_reverse_edge_type")
class AddReverseEdgeType(BaseTransform):
    """Append the reverse of every edge as a second edge type (typed forward/reverse channels).

    ``edge_index`` becomes ``[edge_index, edge_index.flip(0)]``, ``data.edge_type`` is 0 for the
    originals and 1 for the reversed copies; every other per-edge attribute (``edge_weight``,
    ``edge_attr``, any tensor whose first dimension is the number of edges) is duplicated in the
    same order, so attributes stay aligned. Self-loops are reversed too (they keep their type).

    Examples
    --------
    >>> import torch
    >>> from torch_geometric.data import Data
    >>> from graphsparse.directed.transforms import AddReverseEdgeType
    >>> data = AddReverseEdgeType()(Data(edge_index=torch.tensor([[0, 1], [1, 2]]), num_nodes=3))
    >>> data.edge_index.tolist(), data.edge_type.tolist()
    ([[0, 1, 1, 2], [1, 2, 0, 1]], [0, 0, 1, 1])
    """

    def forward(self, data):
        require_homogeneous(data, "AddReverseEdgeType")
        if getattr(data, "edge_index", None) is None:
            raise ValueError("AddReverseEdgeType needs data.edge_index")
        num_edges = data.edge_index.size(1)
        if not getattr(data, "is_directed", lambda: True)():
            warnings.warn("AddReverseEdgeType on an undirected graph duplicates every edge",
                          dops.UndirectedGraphWarning, stacklevel=2)
        for key in list(data.keys()):
            value = data[key]
            if key == "edge_index" or not isinstance(value, torch.Tensor) or key == "edge_type":
                continue
            if data.is_edge_attr(key) and value.dim() >= 1 and value.size(0) == num_edges:
                data[key] = torch.cat([value, value], 0)
        old_type = getattr(data, "edge_type", None)
        data.edge_index = torch.cat([data.edge_index, data.edge_index.flip(0)], 1)
        if old_type is not None:
            num_types = int(old_type.max()) + 1 if old_type.numel() else 1
            data.edge_type = torch.cat([old_type, old_type + num_types])
        else:
            data.edge_type = torch.cat([torch.zeros(num_edges, dtype=torch.long),
                                        torch.ones(num_edges, dtype=torch.long)])
        return data

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


@functional_transform("directional_homophily")
class DirectionalHomophily(BaseTransform):
    """Store ``data.directed_stats``: directed homophily (A, A^T, AA^T, A^TA, node in/out) and
    reciprocity; needs integer ``data.y``. The graph itself is left unchanged.

    Examples
    --------
    >>> import torch
    >>> from torch_geometric.data import Data
    >>> from graphsparse.directed.transforms import DirectionalHomophily
    >>> data = Data(edge_index=torch.tensor([[0, 1], [1, 2]]), y=torch.tensor([0, 0, 1]), num_nodes=3)
    >>> round(DirectionalHomophily()(data).directed_stats["reciprocity"], 2)
    0.0
    """

    def forward(self, data):
        require_homogeneous(data, "DirectionalHomophily")
        if getattr(data, "y", None) is None:
            raise ValueError("DirectionalHomophily needs integer node labels in data.y")
        g = _graph_of(data)
        stats = dops.directed_homophily(g, data.y)
        stats.update(dops.reciprocity(g))
        data.directed_stats = stats
        return data

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


@functional_transform("magnetic_eigenvector_pe")
class MagneticEigenvectorPE(BaseTransform):
    """Magnetic Laplacian eigenvector positional encodings (direction-aware Laplacian PE).

    Stores the ``(n, 2k)`` float32 ``[Re V, Im V]`` of the ``k`` smallest-eigenvalue eigenvectors
    of the normalised ``L^(q)`` (:func:`~graphsparse.directed.magnetic_eigenvector_encodings`:
    sparse Lanczos on the real ``2n x 2n`` embedding, canonical phase = largest entry real
    positive) in ``data[attr_name]``; with ``attr_name=None`` they are concatenated to ``data.x``
    (as PyG's ``AddLaplacianEigenvectorPE``; they become ``data.x`` when there is none).
    ``data.<attr_name>_eigenvalues`` (or ``data.magnetic_pe_eigenvalues``) keeps the eigenvalues.
    ``k`` must be ``< num_nodes``; ``q`` in ``[0, 0.5]``; ``random_state`` fixes the Lanczos start.

    Parameters
    ----------
    k : int
        Number of eigenvectors (``< num_nodes``).
    q : float
        Charge parameter in ``[0, 0.5]``.
    attr_name : str or None
        Attribute to store the encodings in; ``None`` appends them to ``data.x``.
    signed : bool
        Use the magnetic signed Laplacian.
    random_state : int
        Seed of the Lanczos start vector.

    Examples
    --------
    >>> import torch
    >>> from torch_geometric.data import Data
    >>> from graphsparse.directed.transforms import MagneticEigenvectorPE
    >>> data = Data(edge_index=torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]]), num_nodes=4)
    >>> MagneticEigenvectorPE(k=2)(data).magnetic_pe.shape
    torch.Size([4, 4])
    """

    def __init__(self, k: int, q: float = 0.25, attr_name: str | None = "magnetic_pe", *, signed: bool = False,
                 random_state: int = 0):
        from graphsparse._validation import check_positive_int

        self.k = check_positive_int(k, "k")
        self.q = dops._check_q(q)
        if attr_name is not None and (not isinstance(attr_name, str) or not attr_name.isidentifier()):
            raise ValueError(f"attr_name must be None or a valid attribute name, got {attr_name!r}")
        self.attr_name = attr_name
        self.signed = bool(signed)
        self.random_state = random_state

    def forward(self, data):
        require_homogeneous(data, "MagneticEigenvectorPE")
        g = _graph_of(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dops.UndirectedGraphWarning)
            enc, values = dops.magnetic_eigenvector_encodings(g, self.k, self.q, signed=self.signed,
                                                              random_state=self.random_state,
                                                              return_eigenvalues=True)
        enc = torch.from_numpy(enc)
        if self.attr_name is None:
            x = getattr(data, "x", None)
            data.x = enc if x is None else torch.cat([x.view(x.size(0), -1), enc.to(x.dtype)], dim=-1)
            data.magnetic_pe_eigenvalues = torch.from_numpy(values)
        else:
            data[self.attr_name] = enc
            data[f"{self.attr_name}_eigenvalues"] = torch.from_numpy(values)
        return data

    def __repr__(self) -> str:
        signed = ", signed=True" if self.signed else ""
        return f"{self.__class__.__name__}(k={self.k}, q={self.q}, attr_name={self.attr_name!r}{signed})"
