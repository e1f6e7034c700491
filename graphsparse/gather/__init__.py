"""Zero-copy GPU feature gathering (PyTorch-Direct, Min et al. VLDB 2021) with a conventional CPU path.

- :class:`FeatureTable` -- one (num_nodes, F) table: ``gather(index, out=None, stream=None)`` with
  ``mode='zero_copy'`` (pinned host table read by a Triton kernel over PCIe), ``'conventional'``
  (CPU ``index_select`` into a reused staging buffer + non-blocking copy) or ``'device'``
  (all-in-GPU); ``prefetch(batches)`` double-buffers on a side stream.
- :class:`PinnedFeatureStore` -- PyG ``FeatureStore`` of such tables, for ``NeighborLoader``.
- :class:`CSRGraphStore`, :class:`CSRNeighborSampler`, :func:`neighbor_loader` -- a PyG
  ``GraphStore`` and a Numba neighbour sampler, so ``NeighborLoader((store, graph_store), ...)``
  works without pyg-lib / torch-sparse.
- :class:`SharedTable` -- one feature table in shared memory for every DDP rank.

See ``docs/gather.md``.
"""
from .shared import SharedTable
from .table import GATHER_MODES, FeatureTable, resolve_device, triton_available
from .store import PinnedFeatureStore
from .sampler import CSRGraphStore, CSRNeighborSampler, has_compiled_sampler, neighbor_loader

__all__ = [
    "FeatureTable",
    "PinnedFeatureStore",
    "CSRGraphStore",
    "CSRNeighborSampler",
    "SharedTable",
    "neighbor_loader",
    "has_compiled_sampler",
    "resolve_device",
    "triton_available",
    "GATHER_MODES",
]
