"""``PinnedFeatureStore``: PyG's :class:`~torch_geometric.data.FeatureStore` over :class:`FeatureTable`.

Every tensor put into the store becomes a :class:`~graphsparse.gather.table.FeatureTable` (pinned
host memory + zero-copy kernel on CUDA; the conventional CPU path elsewhere), so PyG's loaders,
which fetch node features with ``feature_store.multi_get_tensor([... TensorAttr(index=n_id)])``,
receive rows gathered straight onto the training device::

    store = PinnedFeatureStore(device="auto")
    store.put_tensor(x, attr_name="x")            # (num_nodes, F), pinned in place on CUDA
    loader = NeighborLoader((store, graph_store), num_neighbors=[15, 10], batch_size=1024, ...)
"""
from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import FeatureStore, TensorAttr

from .table import FeatureTable

__all__ = ["PinnedFeatureStore"]


class PinnedFeatureStore(FeatureStore):
    """A feature store whose tensors are gathered zero-copy (CUDA) or conventionally (CPU).

    ``put_tensor`` also accepts a ready :class:`FeatureTable`. Keys are ``(group_name, attr_name)``;
    a put tensor must cover all nodes (``index=None``).

    Parameters
    ----------
    **table_options
        Defaults of every :class:`FeatureTable` created by :meth:`put_tensor` (``device``, ``mode``,
        ``pin``, ``copy``, ``sort_ids``, ``unique_ids``, ``alignment``, ``max_programs``,
        ``num_buffers``, ``reuse_output``, ``check_bounds``).

    Examples
    --------
    >>> import torch
    >>> from graphsparse.gather import PinnedFeatureStore
    >>> store = PinnedFeatureStore(device="cpu")  # on CUDA: device="cuda", zero-copy gathers
    >>> store.put_tensor(torch.arange(12.0).view(6, 2), attr_name="x")
    True
    >>> store.gather(torch.tensor([5, 1])).tolist()
    [[10.0, 11.0], [2.0, 3.0]]
    >>> store.table("x").mode, [attr.attr_name for attr in store.get_all_tensor_attrs()]
    ('conventional', ['x'])
    """

    def __init__(self, **table_options):
        super().__init__()
        self.table_options = dict(table_options)
        self._tables: dict = {}

    @staticmethod
    def _key(attr: TensorAttr):
        return (attr.group_name, attr.attr_name)

    # FeatureStore interface ---------------------------------------------------------------
    def put_tensor(self, tensor, *args, **kwargs) -> bool:
        """Store a whole table: ``put_tensor(x, attr_name="x")`` (``group_name`` and ``index``
        default to ``None`` for homogeneous graphs, unlike the base class where they must be given)."""
        if not args:
            kwargs.setdefault("group_name", None)
            kwargs.setdefault("index", None)
        return super().put_tensor(tensor, *args, **kwargs)

    def _put_tensor(self, tensor, attr: TensorAttr) -> bool:
        if attr.index is not None and not (isinstance(attr.index, slice) and attr.index == slice(None)):
            raise ValueError("PinnedFeatureStore stores whole tables: put_tensor needs index=None "
                             f"(got index of type {type(attr.index).__name__})")
        table = tensor if isinstance(tensor, FeatureTable) else FeatureTable(tensor, **self.table_options)
        old = self._tables.pop(self._key(attr), None)
        if old is not None and old is not table:
            old.close()
        self._tables[self._key(attr)] = table
        return True

    def _get_tensor(self, attr: TensorAttr):
        table = self._tables.get(self._key(attr))
        if table is None:
            raise KeyError(f"no tensor stored for group_name={attr.group_name!r}, attr_name={attr.attr_name!r}")
        index = attr.index
        if index is None or (isinstance(index, slice) and index == slice(None)):
            full = table.device_table if table.device_table is not None else table.host
            return full.view(-1) if table.is_vector else full
        if isinstance(index, slice):
            index = torch.arange(table.num_rows)[index]
        elif isinstance(index, int):
            index = torch.tensor([index])
        elif isinstance(index, np.ndarray):
            index = torch.from_numpy(index)
        return table.gather(index)

    def _remove_tensor(self, attr: TensorAttr) -> bool:
        table = self._tables.pop(self._key(attr), None)
        if table is None:
            return False
        table.close()
        return True

    def _get_tensor_size(self, attr: TensorAttr):
        table = self._tables.get(self._key(attr))
        if table is None:
            return None
        return (table.num_rows,) if table.is_vector else (table.num_rows, table.width)

    def get_all_tensor_attrs(self):
        return [TensorAttr(group_name=group, attr_name=name) for group, name in self._tables]

    # Convenience ------------------------------------------------------------------------
    def table(self, attr_name: str = "x", group_name=None) -> FeatureTable:
        """The :class:`FeatureTable` stored under ``(group_name, attr_name)``."""
        try:
            return self._tables[(group_name, attr_name)]
        except KeyError:
            raise KeyError(f"no tensor stored for group_name={group_name!r}, attr_name={attr_name!r}; "
                           f"stored: {sorted(map(str, self._tables))}") from None

    def gather(self, index, attr_name: str = "x", group_name=None, out=None, stream=None):
        """``table[index]`` of one stored tensor on the store's device (see :meth:`FeatureTable.gather`)."""
        return self.table(attr_name, group_name).gather(index, out=out, stream=stream)

    def close(self) -> None:
        """Unpin every table pinned in place."""
        for table in self._tables.values():
            table.close()

    def __len__(self) -> int:
        return len(self._tables)

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}: {table!r}" for (_, name), table in self._tables.items())
        return f"{type(self).__name__}({inner})"
