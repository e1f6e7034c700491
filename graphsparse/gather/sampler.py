"""A PyG ``GraphStore`` over a graphsparse ``Graph`` and a sampler that needs no pyg-lib.

PyG 2.8's ``NeighborSampler._sample`` calls ``torch.ops.pyg.neighbor_sample`` (pyg-lib) or
``torch.ops.torch_sparse.neighbor_sample`` and raises ``ImportError: 'NeighborSampler' requires
either 'pyg-lib' or 'torch-sparse'`` when neither compiled package is installed (the case for
``torch 2.13+cpu``, for which no wheels exist). :class:`CSRNeighborSampler` subclasses PyG's
``NeighborSampler`` -- same constructor, same ``(FeatureStore, GraphStore)`` handling, same output
-- and only replaces ``_sample`` for homogeneous graphs with the Numba kernel
:func:`graphsparse.gather._kernels.neighbor_sample_csc`. Pass it to the unchanged loader::

    NeighborLoader((feature_store, graph_store), num_neighbors=[15, 10], batch_size=1024,
                   input_nodes=train_ids, neighbor_sampler=CSRNeighborSampler(...))

:func:`neighbor_loader` does that, using PyG's own sampler when pyg-lib / torch-sparse exist.
"""
from __future__ import annotations

import warnings

import numpy as np
import torch
import torch_geometric.typing
from torch_geometric.data import EdgeAttr, GraphStore
from torch_geometric.loader import NeighborLoader
from torch_geometric.sampler import NeighborSampler, SamplerOutput
from torch_geometric.sampler.base import SubgraphType

from graphsparse.graph import as_graph

from ._kernels import max_sample_sizes, neighbor_sample_csc

__all__ = ["CSRGraphStore", "CSRNeighborSampler", "neighbor_loader", "has_compiled_sampler"]


def has_compiled_sampler() -> bool:
    """True when PyG can sample by itself (pyg-lib or torch-sparse installed)."""
    return bool(torch_geometric.typing.WITH_PYG_LIB or torch_geometric.typing.WITH_TORCH_SPARSE)


class CSRGraphStore(GraphStore):
    """Homogeneous ``GraphStore`` holding one graph in CSC layout (sources grouped by destination).

    ``CSRGraphStore(graph)`` accepts anything :func:`graphsparse.graph.as_graph` does (a ``Graph``,
    scipy sparse, a ``(2, E)`` edge index, PyG ``Data``...). Edge ``src -> dst`` of the graph is
    stored as ``row[colptr[dst]:colptr[dst+1]] ∋ src``, so messages flow from sampled neighbours
    to the seeds, as in PyG.
    """

    def __init__(self, graph=None, num_nodes=None):
        super().__init__()
        self._store: dict = {}
        if graph is not None:
            graph = as_graph(graph, num_nodes=num_nodes)
            transposed = graph.transpose()  # CSR of A^T = CSC of A
            colptr = torch.from_numpy(np.ascontiguousarray(transposed.indptr, dtype=np.int64))
            row = torch.from_numpy(np.ascontiguousarray(transposed.indices, dtype=np.int64))
            self.put_edge_index((row, colptr), edge_type=None, layout="csc", is_sorted=True,
                                size=(graph.num_nodes, graph.num_nodes))

    @staticmethod
    def _key(attr: EdgeAttr):
        return (attr.edge_type, attr.layout.value, attr.is_sorted, attr.size)

    def _put_edge_index(self, edge_index, edge_attr: EdgeAttr) -> bool:
        self._store[self._key(edge_attr)] = edge_index
        return True

    def _get_edge_index(self, edge_attr: EdgeAttr):
        return self._store.get(self._key(edge_attr))

    def _remove_edge_index(self, edge_attr: EdgeAttr) -> bool:
        return self._store.pop(self._key(edge_attr), None) is not None

    def get_all_edge_attrs(self):
        return [EdgeAttr(edge_type, layout, is_sorted, size)
                for (edge_type, layout, is_sorted, size) in self._store]


class CSRNeighborSampler(NeighborSampler):
    """PyG ``NeighborSampler`` whose homogeneous sampling runs a Numba kernel (module doc).

    Same arguments as :class:`torch_geometric.sampler.NeighborSampler`, plus ``random_state``
    (``None``: draw each batch's kernel seed from ``torch``'s global generator, so
    ``torch.manual_seed`` makes the batches reproducible). Supported: uniform sampling with or
    without replacement, directional or bidirectional subgraphs. Not supported (``ValueError``):
    heterogeneous graphs, temporal, weighted, disjoint or induced sampling.
    """

    def __init__(self, data, num_neighbors, *args, random_state=None, **kwargs):
        with warnings.catch_warnings():  # "NeighborSampler without pyg-lib is deprecated"
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            super().__init__(data, num_neighbors, *args, **kwargs)
        if self.is_hetero:
            raise ValueError("CSRNeighborSampler samples homogeneous graphs only (one edge type)")
        if self.is_temporal or getattr(self, "edge_weight", None) is not None:
            raise ValueError("CSRNeighborSampler does not support temporal or weighted sampling")
        if self.disjoint:
            raise ValueError("CSRNeighborSampler does not support disjoint=True")
        if self.subgraph_type == SubgraphType.induced:
            raise ValueError("CSRNeighborSampler does not support subgraph_type='induced'")
        self.random_state = random_state
        self._rng = np.random.default_rng(random_state) if random_state is not None else None
        self._colptr_np = self.colptr.numpy().astype(np.int64, copy=False)
        self._row_np = self.row.numpy()
        self._node_map = None

    def _kernel_seed(self) -> int:
        if self._rng is not None:
            return int(self._rng.integers(0, 2**31 - 1))
        return int(torch.randint(0, 2**31 - 1, (1,)).item())

    def _sample(self, seed, seed_time=None, **kwargs):
        if isinstance(seed, dict):
            raise ValueError("CSRNeighborSampler samples homogeneous graphs only")
        if seed_time is not None:
            raise ValueError("CSRNeighborSampler does not support temporal sampling")
        if self._node_map is None:  # created lazily: survives pickling to loader workers cheaply
            self._node_map = np.full(self.num_nodes, -1, dtype=np.int64)
        fanouts = np.asarray(self.num_neighbors.get_mapped_values(), dtype=np.int64)
        seeds = seed.numpy().astype(np.int64, copy=False)
        num_edges_total = int(self._row_np.shape[0])
        if (fanouts < 0).any():
            max_nodes, max_edges = self.num_nodes, num_edges_total
        else:
            max_nodes, max_edges = max_sample_sizes(seeds.shape[0], fanouts)
            max_nodes = min(max_nodes, self.num_nodes + seeds.shape[0])
            if not self.replace:
                max_edges = min(max_edges, num_edges_total)
        nodes, rows, cols, edges, nodes_per_hop, edges_per_hop = neighbor_sample_csc(
            self._colptr_np, self._row_np, seeds, fanouts, bool(self.replace), self._kernel_seed(),
            self._node_map, int(max_nodes), int(max_edges))
        out = SamplerOutput(
            node=torch.from_numpy(nodes), row=torch.from_numpy(rows), col=torch.from_numpy(cols),
            edge=torch.from_numpy(edges), batch=None,
            num_sampled_nodes=nodes_per_hop.tolist(), num_sampled_edges=edges_per_hop.tolist())
        if self.sample_direction == "backward":
            out.row, out.col = out.col, out.row
        return out


def neighbor_loader(feature_store, graph_store, num_neighbors, *, random_state=None, **loader_kwargs):
    """``NeighborLoader((feature_store, graph_store), ...)``, with :class:`CSRNeighborSampler` as the
    sampler when PyG has no compiled one (pyg-lib / torch-sparse); ``loader_kwargs`` go to the loader
    (``batch_size``, ``input_nodes`` -- default: all nodes --, ``shuffle``, ``replace``, ``subgraph_type``, ...)."""
    if loader_kwargs.get("input_nodes") is None:  # PyG requires it for (FeatureStore, GraphStore)
        edge_attrs = graph_store.get_all_edge_attrs()
        if not edge_attrs:
            raise ValueError("graph_store holds no edges")
        loader_kwargs["input_nodes"] = torch.arange(max(edge_attrs[0].size))
    sampler = None
    if not has_compiled_sampler():
        sampler_keys = ("replace", "subgraph_type", "disjoint", "temporal_strategy", "time_attr",
                        "weight_attr", "is_sorted", "share_memory")
        sampler_kwargs = {key: loader_kwargs[key] for key in sampler_keys if key in loader_kwargs}
        sampler = CSRNeighborSampler((feature_store, graph_store), num_neighbors,
                                     random_state=random_state, **sampler_kwargs)
    return NeighborLoader((feature_store, graph_store), num_neighbors=num_neighbors,
                          neighbor_sampler=sampler, **loader_kwargs)
