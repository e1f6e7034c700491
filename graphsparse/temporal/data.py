"""Temporal edge streams: coercion from PyG ``TemporalData``, the CollegeMsg loader, a toy generator."""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field

import numpy as np

from graphsparse._validation import as_index_array, check_finite, check_node_ids, check_positive_int
from graphsparse._validation import to_numpy as _np

__all__ = ["TemporalEdges", "as_temporal", "load_collegemsg", "toy_temporal_graph"]


@dataclass
class TemporalEdges:
    """A time-sorted stream of directed events ``(src_i, dst_i, t_i)``.

    ``t`` is float64, non-decreasing; ``edge_ids`` (int64) index ``edge_features`` rows (default
    ``0..E-1``); ``node_features`` (N, d_n) / ``edge_features`` (E, d_e) are optional float32.
    The constructor validates ids and times; build one from other inputs with :func:`as_temporal`.

    Parameters
    ----------
    src, dst : array-like of int, shape (E,)
        Source and destination node of each event, in ``0 .. num_nodes-1``.
    t : array-like of float, shape (E,)
        Finite, non-decreasing event times (stored as float64).
    num_nodes : int
        Number of nodes N.
    edge_ids : array-like of int, shape (E,), default=None
        Row of ``edge_features`` of each event (``None``: ``0..E-1``).
    node_features : array of shape (N, d_n) or None, default=None
        Raw node features (stored as float32).
    edge_features : array of shape (E, d_e) or None, default=None
        Raw event features (stored as float32).
    meta : dict, default={}
        Free-form provenance (``node_ids`` of a relabelling, the source file ...).

    Examples
    --------
    >>> from graphsparse.temporal import TemporalEdges
    >>> edges = TemporalEdges(src=[0, 1, 2], dst=[1, 2, 0], t=[0.0, 1.5, 1.5], num_nodes=3)
    >>> edges.num_edges, edges.t.dtype, edges.edge_ids.tolist()
    (3, dtype('float64'), [0, 1, 2])
    >>> TemporalEdges(src=[0, 1], dst=[1, 5], t=[0.0, 1.0], num_nodes=3)
    Traceback (most recent call last):
    ...
    ValueError: ...
    """

    src: np.ndarray
    dst: np.ndarray
    t: np.ndarray
    num_nodes: int
    edge_ids: np.ndarray = None
    node_features: np.ndarray | None = None
    edge_features: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.src = as_index_array(self.src, "src")
        self.dst = as_index_array(self.dst, "dst")
        self.t = check_finite(np.asarray(self.t, dtype=np.float64).reshape(-1), "t")
        self.num_nodes = check_positive_int(self.num_nodes, "num_nodes")
        if not (len(self.src) == len(self.dst) == len(self.t)):
            raise ValueError("src, dst and t must have equal length, got "
                             f"{len(self.src)}, {len(self.dst)}, {len(self.t)}")
        check_node_ids(self.src, self.num_nodes, "src")
        check_node_ids(self.dst, self.num_nodes, "dst")
        if self.edge_ids is None:
            self.edge_ids = np.arange(len(self.src), dtype=np.int64)
        self.edge_ids = as_index_array(self.edge_ids, "edge_ids")
        if self.edge_ids.shape != self.src.shape:
            raise ValueError(f"edge_ids must have one entry per event ({len(self.src)}), got shape {self.edge_ids.shape}")
        if self.edge_ids.size and (self.edge_ids.min() < 0 or self.edge_ids.max() >= 2**31):
            raise ValueError(f"edge_ids must lie in [0, 2**31), got [{int(self.edge_ids.min())}, "
                             f"{int(self.edge_ids.max())}]")
        if np.any(np.diff(self.t) < 0):
            raise ValueError("t must be non-decreasing (events in time order); use as_temporal(..., sort=True)")
        for name, rows in (("node_features", self.num_nodes), ("edge_features", None)):
            feats = getattr(self, name)
            if feats is not None:
                feats = np.asarray(feats, dtype=np.float32)
                if feats.ndim != 2:
                    raise ValueError(f"{name} must be 2-D, got shape {feats.shape}")
                if rows is not None and feats.shape[0] != rows:
                    raise ValueError(f"{name} must have {rows} rows, got {feats.shape[0]}")
                setattr(self, name, check_finite(feats, name))
        if self.edge_features is not None and self.edge_ids.size and \
                self.edge_ids.max() >= self.edge_features.shape[0]:
            raise ValueError(f"edge_ids holds id {int(self.edge_ids.max())} but edge_features has only "
                             f"{self.edge_features.shape[0]} rows (edge_ids index edge_features)")

    @property
    def num_edges(self) -> int:
        return len(self.src)

    def __len__(self) -> int:
        return self.num_edges

    def __repr__(self) -> str:
        return (f"TemporalEdges(num_nodes={self.num_nodes}, num_edges={self.num_edges}, "
                f"t=[{self.t[0] if len(self.t) else None}, {self.t[-1] if len(self.t) else None}])")


def as_temporal(data, num_nodes=None, sort=False, relative_time=True, relabel=False) -> TemporalEdges:
    """Coerce PyG ``TemporalData`` (src, dst, t, optional msg / x), a ``(src, dst, t)`` tuple or a
    :class:`TemporalEdges` into a time-sorted :class:`TemporalEdges`.

    Checks (``ValueError``/``TypeError`` naming the argument): ``src``/``dst`` integer ids (floats,
    even integral ones, and booleans are refused), non-negative and below ``num_nodes``; ``src``,
    ``dst``, ``t`` (and ``msg``) of one length; finite times. Unsorted timestamps raise
    ``ValueError`` unless ``sort=True`` (stable sort; ``edge_ids`` keep the original positions so that
    edge features stay aligned). ``relative_time`` subtracts the first timestamp (the N-cache stores
    float32 times; Unix seconds would lose precision).

    ``relabel=True`` maps the distinct ids to ``0..K-1`` in increasing order (``meta['node_ids']``
    holds the original id of each new id): for 1-based or sparse ids. Without it, ids that leave
    node 0 unused (1-based files) warn, since node 0 then exists with no events.

    Parameters
    ----------
    data : TemporalData, (src, dst, t) tuple or TemporalEdges
        The event stream.
    num_nodes : int or None, default=None
        Number of nodes (``None``: largest id + 1, or the input's own count).
    sort : bool, default=False
        Stable-sort unsorted times instead of raising ``ValueError``.
    relative_time : bool, default=True
        Subtract the first timestamp (kept in ``meta['t0']``).
    relabel : bool, default=False
        Map the distinct ids to ``0..K-1`` in increasing order.

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.temporal import as_temporal
    >>> src, dst, t = np.array([5, 7, 5]), np.array([7, 9, 9]), np.array([1000.0, 990.0, 1010.0])
    >>> edges = as_temporal((src, dst, t), sort=True, relabel=True)
    >>> edges.num_nodes, edges.t.tolist(), edges.edge_ids.tolist()  # sorted; ids kept for features
    (3, [0.0, 10.0, 20.0], [1, 0, 2])
    >>> edges.src.tolist(), edges.meta["node_ids"].tolist()
    ([1, 0, 0], [5, 7, 9])
    """
    if isinstance(data, TemporalEdges):
        src, dst, t = data.src, data.dst, data.t
        node_feat, edge_feat, eids = data.node_features, data.edge_features, data.edge_ids
        num_nodes = num_nodes or data.num_nodes
    elif isinstance(data, (tuple, list)):
        if len(data) != 3:
            raise ValueError(f"data as a tuple must be (src, dst, t), got {len(data)} items")
        src, dst, t = (_np(a) for a in data)
        node_feat = edge_feat = None
        eids = None
    elif all(hasattr(data, name) for name in ("src", "dst", "t")):
        src, dst, t = _np(data.src), _np(data.dst), _np(data.t)
        msg = getattr(data, "msg", None)
        edge_feat = None
        if msg is not None:
            edge_feat = _np(msg)
            if edge_feat.ndim == 0 or edge_feat.shape[0] != len(src):
                raise ValueError(f"data.msg must have one row per event ({len(src)}), got shape {edge_feat.shape}")
            edge_feat = edge_feat.reshape(len(src), -1)
        x = getattr(data, "x", None) if "x" in getattr(data, "keys", lambda: [])() else None
        node_feat = _np(x) if x is not None else None
        eids = None
    else:
        raise TypeError(f"data must be TemporalData, TemporalEdges or (src, dst, t), got {type(data).__name__}")
    src = as_index_array(src, "src")
    dst = as_index_array(dst, "dst")
    if src.ndim != 1 or dst.ndim != 1:
        raise ValueError(f"src and dst must be 1-D, got shapes {src.shape} and {dst.shape}")
    t_raw = np.asarray(t)
    if t_raw.dtype.kind not in "biuf" or t_raw.dtype == bool:
        raise TypeError(f"t must hold numeric timestamps, got dtype {t_raw.dtype}")
    t = t_raw.astype(np.float64).reshape(-1)
    if not (len(src) == len(dst) == len(t)):
        raise ValueError(f"src, dst and t must have equal length, got {len(src)}, {len(dst)}, {len(t)}")
    check_finite(t, "t")
    if edge_feat is not None and len(edge_feat) != len(src) and eids is None:
        raise ValueError(f"msg (edge features) must have one row per event ({len(src)}), got {len(edge_feat)}")
    for name, ids in (("src", src), ("dst", dst)):
        if ids.size and int(ids.min()) < 0:
            raise ValueError(f"{name} holds negative node ids (min {int(ids.min())}); ids must be >= 0 "
                             "(relabel=True maps arbitrary ids to 0..K-1)")
    meta = {}
    if relabel:
        if node_feat is not None:
            raise ValueError("relabel=True would reorder the rows of the node features; relabel them yourself")
        node_ids, inverse = np.unique(np.concatenate([src, dst]), return_inverse=True)
        src, dst = inverse[:len(src)].astype(np.int64), inverse[len(src):].astype(np.int64)
        meta["node_ids"] = node_ids
        num_nodes = len(node_ids) if num_nodes is None else num_nodes
    if num_nodes is None and isinstance(getattr(data, "num_nodes", None), (int, np.integer)):
        num_nodes = int(data.num_nodes)
    if num_nodes is None:
        num_nodes = int(max(src.max(initial=-1), dst.max(initial=-1))) + 1
        if len(src) and min(int(src.min()), int(dst.min())) >= 1:
            warnings.warn(f"node ids start at {min(int(src.min()), int(dst.min()))}: nodes below it (node 0 for "
                          "1-based ids) exist with no events; pass relabel=True to map the ids to 0..K-1",
                          UserWarning, stacklevel=2)
    if eids is None:
        eids = np.arange(len(src), dtype=np.int64)
    if np.any(np.diff(t) < 0):
        if not sort:
            raise ValueError("t is not sorted: events must be in time order; pass sort=True to sort them "
                             "(stable, edge_ids keep the original positions)")
        order = np.argsort(t, kind="stable")
        src, dst, t, eids = src[order], dst[order], t[order], eids[order]
    if relative_time and len(t):
        t = t - t[0]
    return TemporalEdges(src, dst, t, num_nodes, edge_ids=eids, node_features=node_feat,
                         edge_features=edge_feat, meta=meta)


def load_collegemsg(root=None) -> TemporalEdges:
    """CollegeMsg (SNAP, = the UCI messages network): 1,899 nodes, 59,835 directed messages.

    Uses ``graphsparse.datasets.load_dataset('collegemsg')`` when available, else reads
    ``<root>/collegemsg/CollegeMsg.txt.gz`` (ids 1..1899 -> 0..1898). Times start at 0.
    """
    try:
        from graphsparse.datasets import load_dataset  # written by the datasets engineer

        return as_temporal(load_dataset("collegemsg", root=root))
    except (ImportError, AttributeError):
        pass
    from graphsparse.graph import default_data_root

    path = os.path.join(root or default_data_root(), "collegemsg", "CollegeMsg.txt.gz")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"CollegeMsg not found at {path!r}; set GRAPHSPARSE_DATA or pass root")
    table = np.loadtxt(path, dtype=np.int64)
    ids, inverse = np.unique(table[:, :2], return_inverse=True)
    inverse = inverse.reshape(-1, 2)
    return as_temporal((inverse[:, 0], inverse[:, 1], table[:, 2].astype(np.float64)), num_nodes=len(ids))


def toy_temporal_graph(num_nodes=200, num_edges=4000, seed=0, **kwargs) -> TemporalEdges:
    """Small synthetic event stream for tests and docs: :func:`graphsparse.datasets.temporal_graph`
    (temporal SBM with triadic closure and repeated contacts), as :class:`TemporalEdges`.

    Parameters
    ----------
    num_nodes : int, default=200
        Number of nodes.
    num_edges : int, default=4000
        Number of events.
    seed : int, default=0
        The stream is deterministic given ``seed``.
    **kwargs
        Passed on to :func:`graphsparse.datasets.temporal_graph`.

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.temporal import toy_temporal_graph
    >>> edges = toy_temporal_graph(num_nodes=30, num_edges=200, seed=0)
    >>> edges.num_nodes, edges.num_edges, bool(np.all(np.diff(edges.t) >= 0))
    (30, 200, True)
    """
    from graphsparse.datasets import temporal_graph

    return as_temporal(temporal_graph(num_nodes=num_nodes, num_events=num_edges, seed=seed, **kwargs),
                       num_nodes=num_nodes)
