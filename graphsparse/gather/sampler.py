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

import numbers
import threading
import warnings

import numpy as np
import torch
import torch_geometric.typing
from torch_geometric.data import EdgeAttr, GraphStore
from torch_geometric.loader import NeighborLoader
from torch_geometric.sampler import NeighborSampler, SamplerOutput
from torch_geometric.sampler.base import SubgraphType

from graphsparse._validation import as_index_array, check_node_ids
from graphsparse.graph import as_graph

from ._kernels import max_sample_sizes, neighbor_sample_csc

__all__ = ["CSRGraphStore", "CSRNeighborSampler", "neighbor_loader", "has_compiled_sampler", "check_input_nodes"]

MAX_SAMPLE_ENTRIES = 2**31  # bound of the per-batch output arrays (with replacement)


def check_input_nodes(input_nodes, num_nodes: int, name: str = "input_nodes") -> torch.Tensor:
    """Seed ids as an int64 tensor, checked: integer ids in ``[0, num_nodes)`` or a boolean mask of
    length ``num_nodes`` (turned into the ids it selects). ``ValueError``/``TypeError`` name ``name``."""
    if isinstance(input_nodes, (str, dict)) or (isinstance(input_nodes, tuple) and input_nodes
                                                 and isinstance(input_nodes[0], str)):
        raise TypeError(f"{name}: heterogeneous (node type, ids) input is not supported here; pass ids of "
                        "the one node type")
    if isinstance(input_nodes, torch.Tensor):
        array = input_nodes.detach().cpu().numpy() if input_nodes.dtype != torch.bfloat16 else None
        if array is None:
            raise TypeError(f"{name} must hold integer node ids or a boolean mask, got {input_nodes.dtype}")
    else:
        try:
            array = np.asarray(input_nodes)
        except (ValueError, TypeError) as err:
            raise TypeError(f"{name} must be a 1-D sequence of node ids or a boolean mask ({err})") from None
    if array.dtype == object:
        if array.size and not all(isinstance(v, numbers.Integral) for v in array.reshape(-1)):
            raise TypeError(f"{name} must hold integer node ids, got {array.dtype} entries")
        array = np.array([int(v) for v in array.reshape(-1)], dtype=object)
        low, high = (min(array), max(array)) if array.size else (0, 0)
        if low < 0 or high >= num_nodes:
            raise ValueError(f"{name} holds node id {high if high >= num_nodes else low} outside [0, {num_nodes})")
        array = array.astype(np.int64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    if array.dtype == bool:
        if array.shape[0] != num_nodes:
            raise ValueError(f"{name} as a boolean mask must have length num_nodes={num_nodes}, "
                             f"got {array.shape[0]}")
        return torch.from_numpy(np.flatnonzero(array).astype(np.int64))
    ids = check_node_ids(as_index_array(array, name), num_nodes, name)  # the backend's id rules
    return torch.from_numpy(np.ascontiguousarray(ids))


def check_num_neighbors(num_neighbors, name: str = "num_neighbors") -> list:
    """A list of per-hop fan-outs: integers >= 0, or -1 for every neighbour."""
    if isinstance(num_neighbors, dict):
        raise TypeError(f"{name}: per-edge-type fan-outs (a dict) need a heterogeneous graph; pass a list")
    if isinstance(num_neighbors, (str, bytes)) or not hasattr(num_neighbors, "__iter__"):
        raise TypeError(f"{name} must be a list of per-hop fan-outs, got {type(num_neighbors).__name__}")
    values = list(num_neighbors)
    if not values:
        raise ValueError(f"{name} must list at least one hop")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must hold integers (-1 = all neighbours), got {value!r}")
        if value < -1:
            raise ValueError(f"{name} must hold integers >= -1 (-1 = all neighbours), got {value}")
    return [int(v) for v in values]


def _check_csc(colptr: np.ndarray, row: np.ndarray, num_nodes: int) -> None:
    """O(E) check of the CSC arrays the Numba kernel will index (from a user-filled GraphStore)."""
    if colptr.ndim != 1 or colptr.shape[0] != num_nodes + 1:
        raise ValueError(f"graph_store: colptr must have num_nodes + 1 = {num_nodes + 1} entries, "
                         f"got shape {colptr.shape}")
    if row.ndim != 1 or not np.issubdtype(row.dtype, np.integer) or not np.issubdtype(colptr.dtype, np.integer):
        raise ValueError("graph_store: row and colptr must be 1-D integer arrays")
    if colptr[0] != 0 or colptr[-1] != row.shape[0] or (np.diff(colptr) < 0).any():
        raise ValueError(f"graph_store: colptr must start at 0, be non-decreasing and end at len(row)="
                         f"{row.shape[0]} (got start {int(colptr[0])}, end {int(colptr[-1])})")
    check_node_ids(row, num_nodes, "graph_store row (source ids)")


def has_compiled_sampler() -> bool:
    """True when PyG can sample by itself (pyg-lib or torch-sparse installed)."""
    return bool(torch_geometric.typing.WITH_PYG_LIB or torch_geometric.typing.WITH_TORCH_SPARSE)


class CSRGraphStore(GraphStore):
    """Homogeneous ``GraphStore`` holding one graph in CSC layout (sources grouped by destination).

    ``CSRGraphStore(graph)`` accepts anything :func:`graphsparse.graph.as_graph` does (a ``Graph``,
    scipy sparse, a ``(2, E)`` edge index, PyG ``Data``...). Edge ``src -> dst`` of the graph is
    stored as ``row[colptr[dst]:colptr[dst+1]] ∋ src``, so messages flow from sampled neighbours
    to the seeds, as in PyG.

    Parameters
    ----------
    graph : Graph or anything :func:`graphsparse.as_graph` accepts, optional
        The graph to store (``None``: an empty store, filled with ``put_edge_index``).
    num_nodes : int, optional
        Node count of an edge-index input (default: largest id + 1).

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.gather import CSRGraphStore
    >>> store = CSRGraphStore(np.array([[0, 0, 2], [1, 2, 1]]), num_nodes=3)  # 0->1, 0->2, 2->1
    >>> (attr,) = store.get_all_edge_attrs()
    >>> attr.layout.value, attr.size
    ('csc', (3, 3))
    >>> row, colptr = store.get_edge_index(attr)
    >>> colptr.tolist(), row.tolist()  # node 1's in-neighbours are 0 and 2
    ([0, 0, 2, 3], [0, 2, 0])
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

    Parameters
    ----------
    data : Data or (FeatureStore, GraphStore)
        The graph to sample, as for PyG's sampler.
    num_neighbors : list of int
        Neighbours drawn per node at each hop (``-1``: all).
    random_state : int or None, default=None
        Seed of the per-batch kernel seeds (``None``: from ``torch``'s global generator).
    *args, **kwargs
        The other arguments of :class:`torch_geometric.sampler.NeighborSampler` (``replace``,
        ``subgraph_type`` ...).

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from torch_geometric.sampler import NodeSamplerInput
    >>> from graphsparse.datasets import sbm
    >>> from graphsparse.gather import CSRGraphStore, CSRNeighborSampler, PinnedFeatureStore
    >>> graph = sbm([30, 30], np.array([[0.2, 0.02], [0.02, 0.2]]), seed=0)
    >>> features = PinnedFeatureStore(device="cpu")
    >>> _ = features.put_tensor(torch.randn(60, 8), attr_name="x")
    >>> sampler = CSRNeighborSampler((features, CSRGraphStore(graph)), [5, 3], random_state=0)
    >>> out = sampler.sample_from_nodes(NodeSamplerInput(input_id=None, node=torch.tensor([0, 1])))
    >>> out.node[:2].tolist(), out.num_sampled_nodes[0]  # the seeds come first
    ([0, 1], 2)
    >>> out.row.shape == out.col.shape and int(out.num_sampled_edges[0]) <= 2 * 5  # at most 5 per seed
    True
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
        check_num_neighbors(self.num_neighbors.get_mapped_values(), "num_neighbors")
        self.random_state = random_state
        self._rng = np.random.default_rng(random_state) if random_state is not None else None
        self._colptr_np = np.ascontiguousarray(self.colptr.numpy(), dtype=np.int64)
        self._row_np = np.ascontiguousarray(self.row.numpy(), dtype=np.int64)
        _check_csc(self._colptr_np, self._row_np, int(self.num_nodes))
        self._lock = threading.Lock()
        self._node_maps = []  # scratch maps, one per concurrent call (threads never share one)

    def __getstate__(self):  # loader workers: no lock, no scratch (recreated on use)
        state = dict(self.__dict__)
        state["_lock"] = None
        state["_node_maps"] = []
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _kernel_seed(self) -> int:
        if self._rng is not None:
            with self._lock:
                return int(self._rng.integers(0, 2**31 - 1))
        return int(torch.randint(0, 2**31 - 1, (1,)).item())

    def _acquire_node_map(self) -> np.ndarray:
        with self._lock:
            if self._node_maps:
                return self._node_maps.pop()
        return np.full(self.num_nodes, -1, dtype=np.int64)

    def _release_node_map(self, node_map: np.ndarray) -> None:
        with self._lock:
            self._node_maps.append(node_map)

    def _sample(self, seed, seed_time=None, **kwargs):
        if isinstance(seed, dict):
            raise ValueError("CSRNeighborSampler samples homogeneous graphs only")
        if seed_time is not None:
            raise ValueError("CSRNeighborSampler does not support temporal sampling")
        fanouts = np.asarray(check_num_neighbors(self.num_neighbors.get_mapped_values()), dtype=np.int64)
        seeds = check_input_nodes(seed, int(self.num_nodes), "input_nodes (seed ids)").numpy()
        num_edges_total = int(self._row_np.shape[0])
        if (fanouts < 0).any():
            max_nodes, max_edges = self.num_nodes, num_edges_total
        else:
            max_nodes, max_edges = max_sample_sizes(seeds.shape[0], fanouts)
            max_nodes = min(max_nodes, self.num_nodes + seeds.shape[0])
            if not self.replace:
                max_edges = min(max_edges, num_edges_total)
            elif max_edges > MAX_SAMPLE_ENTRIES:
                raise ValueError(f"num_neighbors={fanouts.tolist()} with replace=True and {seeds.shape[0]} seeds "
                                 f"may sample {max_edges} edges in one batch (limit {MAX_SAMPLE_ENTRIES}); "
                                 "lower the fan-outs or the batch size")
        node_map = self._acquire_node_map()
        try:
            nodes, rows, cols, edges, nodes_per_hop, edges_per_hop = neighbor_sample_csc(
                self._colptr_np, self._row_np, seeds, fanouts, bool(self.replace), self._kernel_seed(),
                node_map, int(max_nodes), int(max_edges))
        finally:
            self._release_node_map(node_map)
        out = SamplerOutput(
            node=torch.from_numpy(nodes), row=torch.from_numpy(rows), col=torch.from_numpy(cols),
            edge=torch.from_numpy(edges), batch=None,
            num_sampled_nodes=nodes_per_hop.tolist(), num_sampled_edges=edges_per_hop.tolist())
        if self.sample_direction == "backward":
            out.row, out.col = out.col, out.row
        return out


def neighbor_loader(feature_store, graph_store, num_neighbors, *, random_state=None, **loader_kwargs):
    """``NeighborLoader((feature_store, graph_store), ...)``, with :class:`CSRNeighborSampler` as the
    sampler when PyG has no compiled one (pyg-lib / torch-sparse).

    ``input_nodes`` (integer ids in ``[0, num_nodes)`` or a boolean mask of length ``num_nodes``) and
    ``num_neighbors`` are checked here, before any batch is sampled (``ValueError``/``TypeError``).

    Parameters
    ----------
    feature_store : torch_geometric.data.FeatureStore
        Node features, e.g. a :class:`PinnedFeatureStore`.
    graph_store : torch_geometric.data.GraphStore
        The graph, e.g. a :class:`CSRGraphStore`.
    num_neighbors : list of int
        Neighbours drawn per node at each hop (``-1``: all).
    random_state : int or None, default=None
        Seed of :class:`CSRNeighborSampler` (when it is the sampler).
    **loader_kwargs
        Passed to ``NeighborLoader`` (``batch_size``, ``input_nodes`` -- default: all nodes --,
        ``shuffle``, ``replace``, ``subgraph_type``, ...).

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from graphsparse.datasets import sbm
    >>> from graphsparse.gather import CSRGraphStore, PinnedFeatureStore, neighbor_loader
    >>> graph = sbm([30, 30], np.array([[0.2, 0.02], [0.02, 0.2]]), seed=0)
    >>> features = PinnedFeatureStore(device="cpu")
    >>> _ = features.put_tensor(torch.randn(60, 8), attr_name="x")
    >>> loader = neighbor_loader(features, CSRGraphStore(graph), [5, 3], batch_size=16, random_state=0)
    >>> batch = next(iter(loader))
    >>> batch.batch_size, batch.n_id[:16].tolist() == list(range(16)), batch.x.shape[1]
    (16, True, 8)
    >>> len(loader)  # 60 seed nodes in batches of 16
    4
    """
    edge_attrs = graph_store.get_all_edge_attrs()
    if not edge_attrs:
        raise ValueError("graph_store holds no edges")
    size = edge_attrs[0].size
    if size is None:
        raise ValueError("graph_store: the edge index has no size; store it with size=(num_nodes, num_nodes)")
    num_nodes = int(max(size))
    check_num_neighbors(num_neighbors)
    if loader_kwargs.get("input_nodes") is None:  # PyG requires it for (FeatureStore, GraphStore)
        loader_kwargs["input_nodes"] = torch.arange(num_nodes)
    else:
        loader_kwargs["input_nodes"] = check_input_nodes(loader_kwargs["input_nodes"], num_nodes)
    sampler = None
    if not has_compiled_sampler():
        sampler_keys = ("replace", "subgraph_type", "disjoint", "temporal_strategy", "time_attr",
                        "weight_attr", "is_sorted", "share_memory")
        sampler_kwargs = {key: loader_kwargs[key] for key in sampler_keys if key in loader_kwargs}
        sampler = CSRNeighborSampler((feature_store, graph_store), num_neighbors,
                                     random_state=random_state, **sampler_kwargs)
    return NeighborLoader((feature_store, graph_store), num_neighbors=num_neighbors,
                          neighbor_sampler=sampler, **loader_kwargs)
