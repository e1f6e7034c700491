"""The graph lottery ticket: a sparse graph plus sparse GNN weights, saved and loaded exactly."""
from __future__ import annotations

import json
import math
import numbers
import os
import zipfile
import zlib
from dataclasses import dataclass, field

import numpy as np
import torch

__all__ = ["GraphLotteryTicket"]

_FORMAT_VERSION = 1
_METHODS = ("teddy", "ugs", "random", "dense")
_REAL_FIELDS = ("edge_sparsity", "weight_sparsity", "target_edge_sparsity", "target_weight_sparsity",
                "test_score", "val_score")
_META_FIELDS = ("method", *_REAL_FIELDS, "best_epoch", "metric", "seed", "num_nodes", "timings", "config",
                "weight_names", "state_names", "format_version")


def _resolve_ticket_path(path) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    path = os.fspath(path)
    if not os.path.exists(path) and not path.endswith(".npz") and os.path.isfile(path + ".npz"):
        return path + ".npz"  # save('x') wrote x.npz (np.savez adds the suffix)
    if not os.path.exists(path):
        raise FileNotFoundError(f"ticket file {path!r} not found")
    return path


def _ticket_meta(arrays: dict, path: str) -> dict:
    if "meta" not in arrays:
        raise ValueError(f"{path}: missing key 'meta' (not a graphsparse ticket)")
    raw = arrays["meta"]
    if raw.dtype.kind != "U" or raw.ndim != 0:
        raise ValueError(f"{path}: key 'meta' must be a JSON string, got {raw.dtype} {raw.shape}")
    try:
        meta = json.loads(str(raw))
    except (ValueError, RecursionError) as err:  # JSONDecodeError, 5000-digit integers, deep nesting
        raise ValueError(f"{path}: key 'meta' is not valid JSON ({err})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: key 'meta' must hold a JSON object, got {type(meta).__name__}")
    if meta.get("format_version") != _FORMAT_VERSION:
        raise ValueError(f"{path} is not a graphsparse ticket of format version {_FORMAT_VERSION}")
    missing = [key for key in _META_FIELDS if key not in meta]
    unknown = [key for key in meta if key not in _META_FIELDS]
    if missing or unknown:
        raise ValueError(f"{path}: key 'meta' " + (f"misses field(s) {', '.join(missing)}" if missing else "")
                         + ("; " if missing and unknown else "") + (f"has unknown field(s) {', '.join(unknown)}"
                                                                       if unknown else ""))
    meta.pop("format_version")

    def bad(field_name, expected):
        return ValueError(f"{path}: meta field {field_name!r} must be {expected}, got {meta[field_name]!r}")

    if meta["method"] not in _METHODS:
        raise bad("method", f"one of {_METHODS}")
    for key in _REAL_FIELDS:
        value = meta[key]
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isinf(value):
            raise bad(key, "a real number")
        if key.endswith("sparsity") and not (0.0 <= value <= 1.0):
            raise bad(key, "a fraction in [0, 1]")
    for key in ("best_epoch", "seed", "num_nodes"):
        if isinstance(meta[key], bool) or not isinstance(meta[key], int) or (key != "seed" and meta[key] < 0):
            raise bad(key, "a non-negative integer" if key != "seed" else "an integer")
    if not isinstance(meta["metric"], str):
        raise bad("metric", "a string")
    for key in ("timings", "config"):
        if not isinstance(meta[key], dict):
            raise bad(key, "a JSON object")
    for key in ("weight_names", "state_names"):
        names = meta[key]
        if names is None and key == "state_names":
            continue
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
            raise bad(key, "a list of distinct parameter names" + (" or null" if key == "state_names" else ""))
    return meta


def _ticket_mask(arrays: dict, key: str, path: str, ndim=None, name=None) -> np.ndarray:
    what = f"key {key!r}" + (f" (mask of parameter {name!r})" if name else "")
    if key not in arrays:
        raise ValueError(f"{path}: missing {what}")
    mask = arrays[key]
    if mask.dtype != bool:
        raise ValueError(f"{path}: {what} must be a boolean mask, got dtype {mask.dtype}")
    if ndim is not None and mask.ndim != ndim:
        raise ValueError(f"{path}: {what} must be {ndim}-D, got shape {mask.shape}")
    return mask


@dataclass(eq=False)
class GraphLotteryTicket:
    """Result of :func:`graphsparse.lottery.find_ticket`.

    Attributes
    ----------
    method : {"teddy", "ugs", "random", "dense"}
        How the ticket was found.
    edge_mask : ndarray of bool, shape (E,)
        One entry per column of the ``edge_index`` the ticket was found on (True = edge kept).
    weight_masks : dict of str to ndarray of bool
        ``{parameter name: mask}`` -- the support of the sparse weights.
    state_dict : dict of str to float32 ndarray, or None
        The trained (masked) weights at the best validation epoch.
    edge_sparsity, weight_sparsity : float
        Achieved fractions of removed undirected edges (over the non-loop pairs) and of zero
        entries over the masked parameters.
    target_edge_sparsity, target_weight_sparsity : float
        What was asked.
    test_score, val_score : float
        Scores on the test / validation split at the best validation epoch (ties -> later epoch).
    best_epoch : int
        That epoch.
    metric : str, default="accuracy"
        Name of the score (``"accuracy"``, ``"roc_auc"`` ...).
    seed : int, default=0
        Seed of the run.
    num_nodes : int, default=0
        Node count of the graph the ticket was found on.
    timings : dict, default={}
        Seconds per phase.
    config : dict, default={}
        Hyper-parameters of the search.

    Examples
    --------
    >>> import os, tempfile
    >>> from graphsparse.datasets import contextual_sbm
    >>> from graphsparse.lottery import GraphLotteryTicket, find_ticket
    >>> data = contextual_sbm(60, num_classes=2, avg_degree=4, seed=0)
    >>> ticket = find_ticket("gcn", data, 0.2, 0.2, method="random", epochs=2, verbose=False)
    >>> pruned = ticket.prune_graph(data.clone())
    >>> pruned.edge_index.size(1) == int(ticket.edge_mask.sum())
    True
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     ticket.save(os.path.join(folder, "ticket.npz"))
    ...     GraphLotteryTicket.load(os.path.join(folder, "ticket.npz")) == ticket
    True
    """

    method: str
    edge_mask: np.ndarray
    weight_masks: dict
    state_dict: dict | None
    edge_sparsity: float
    weight_sparsity: float
    target_edge_sparsity: float
    target_weight_sparsity: float
    test_score: float
    val_score: float
    best_epoch: int
    metric: str = "accuracy"
    seed: int = 0
    num_nodes: int = 0
    timings: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ use
    def shape_signature(self) -> dict:
        return {name: tuple(mask.shape) for name, mask in self.weight_masks.items()}

    def _check_model(self, model: torch.nn.Module) -> dict:
        params = dict(model.named_parameters())
        for name, mask in self.weight_masks.items():
            if name not in params:
                raise ValueError(f"the ticket has a mask for parameter {name!r} which the model does not have "
                                 f"(ticket parameters: {sorted(self.weight_masks)})")
            if tuple(params[name].shape) != tuple(mask.shape):
                raise ValueError(f"parameter {name!r} has shape {tuple(params[name].shape)} in the model but "
                                 f"{tuple(mask.shape)} in the ticket: the ticket was found for another architecture")
        return params

    @torch.no_grad()
    def apply(self, model: torch.nn.Module, load_weights: bool = True) -> torch.nn.Module:
        """Impose the ticket on ``model`` (in place) and return it.

        ``load_weights=True`` copies the ticket's trained weights (when stored); the weight
        masks are applied in either case. ``ValueError`` when the model's parameter names or
        shapes differ from the ticket's.
        """
        params = self._check_model(model)
        if load_weights and self.state_dict is not None:
            for name, value in self.state_dict.items():
                if name not in params or tuple(params[name].shape) != tuple(value.shape):
                    raise ValueError(f"the ticket's weight {name!r} {tuple(value.shape)} does not fit the model")
                params[name].copy_(torch.from_numpy(np.asarray(value)))
        for name, mask in self.weight_masks.items():
            params[name].mul_(torch.from_numpy(np.asarray(mask)).to(params[name].device))
        return model

    def torch_masks(self) -> dict:
        """Weight masks as float tensors (to multiply gradients or weights during retraining)."""
        return {name: torch.from_numpy(np.asarray(mask, dtype=np.float32)) for name, mask in self.weight_masks.items()}

    def prune_graph(self, data):
        """Copy of a PyG ``Data`` with the ticket's edges kept (edge attributes stay aligned)."""
        edge_index = data.edge_index
        if edge_index.size(1) != self.edge_mask.shape[0]:
            raise ValueError(f"data has {edge_index.size(1)} edges but the ticket's edge_mask has "
                             f"{self.edge_mask.shape[0]}: it was found on another graph")
        keep = torch.from_numpy(self.edge_mask).nonzero().view(-1)
        out = data.clone()
        for key, value in data.items():
            if torch.is_tensor(value) and data.is_edge_attr(key) and value.size(data.__cat_dim__(key, value)) == edge_index.size(1):
                out[key] = value.index_select(data.__cat_dim__(key, value), keep)
        return out

    def summary(self) -> dict:
        """JSON-able figures (no arrays)."""
        return {"method": self.method, "edge_sparsity": self.edge_sparsity, "weight_sparsity": self.weight_sparsity,
                "target_edge_sparsity": self.target_edge_sparsity,
                "target_weight_sparsity": self.target_weight_sparsity, "test_score": self.test_score,
                "val_score": self.val_score, "best_epoch": self.best_epoch, "metric": self.metric, "seed": self.seed,
                "timings": dict(self.timings)}

    def __repr__(self) -> str:
        return (f"GraphLotteryTicket(method={self.method!r}, edge_sparsity={self.edge_sparsity:.4f}, "
                f"weight_sparsity={self.weight_sparsity:.4f}, {self.metric}={self.test_score:.4f}, seed={self.seed})")

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Save to a ``.npz`` (arrays stored as is, metadata as JSON): ``load`` returns an equal ticket.

        ``save('x')`` writes ``x.npz`` (NumPy's suffix) and ``load('x')`` finds it."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        path = os.fspath(path)
        if os.path.isdir(path):
            raise ValueError(f"path {path!r} is a directory; give a file name such as {os.path.join(path, 'ticket.npz')!r}")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"cannot save the ticket to {path!r}: folder {folder!r} does not exist")
        meta = {key: getattr(self, key) for key in
                ("method", "edge_sparsity", "weight_sparsity", "target_edge_sparsity", "target_weight_sparsity",
                 "test_score", "val_score", "best_epoch", "metric", "seed", "num_nodes", "timings", "config")}
        meta["format_version"] = _FORMAT_VERSION
        meta["weight_names"] = list(self.weight_masks)
        meta["state_names"] = None if self.state_dict is None else list(self.state_dict)
        arrays = {"meta": np.array(json.dumps(meta)), "edge_mask": np.asarray(self.edge_mask, dtype=bool)}
        for index, name in enumerate(self.weight_masks):
            arrays[f"mask_{index}"] = np.asarray(self.weight_masks[name], dtype=bool)
        if self.state_dict is not None:
            for index, name in enumerate(self.state_dict):
                arrays[f"state_{index}"] = np.asarray(self.state_dict[name])
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path) -> "GraphLotteryTicket":
        """Read a ticket written by :meth:`save` (``load('x')`` also finds ``x.npz``, as ``save('x')`` writes).

        The file is untrusted: nothing is unpickled (``allow_pickle=False``), and every key is checked
        -- boolean masks, finite weights of the masks' shapes, the metadata's fields and types -- so a
        truncated, altered or foreign file raises ``ValueError`` naming the file and the key.
        """
        path = _resolve_ticket_path(path)
        try:
            with open(path, "rb") as handle:
                magic = handle.read(4)
        except IsADirectoryError:
            raise ValueError(f"{path}: is a directory, not a ticket file (.npz)") from None
        if magic[:2] != b"PK":
            raise ValueError(f"{path}: not a graphsparse ticket (.npz written by GraphLotteryTicket.save)")
        try:
            with np.load(path, allow_pickle=False) as f:
                files = set(f.files)
                arrays = {key: f[key] for key in files}
        except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as err:
            raise ValueError(f"{path}: unreadable ticket file ({type(err).__name__}: {err})") from None
        meta = _ticket_meta(arrays, path)
        weight_names, state_names = meta.pop("weight_names"), meta.pop("state_names")
        edge_mask = _ticket_mask(arrays, "edge_mask", path, ndim=1)
        weight_masks = {name: _ticket_mask(arrays, f"mask_{i}", path, name=name) for i, name in enumerate(weight_names)}
        state = None
        if state_names is not None:
            state = {}
            for i, name in enumerate(state_names):
                key = f"state_{i}"
                if key not in arrays:
                    raise ValueError(f"{path}: missing key {key!r} (weights of parameter {name!r})")
                value = arrays[key]
                if value.dtype.kind != "f":
                    raise ValueError(f"{path}: key {key!r} (parameter {name!r}) must hold floating-point weights, "
                                     f"got dtype {value.dtype}")
                if value.size and not np.isfinite(value).all():
                    raise ValueError(f"{path}: key {key!r} (parameter {name!r}) holds NaN or inf weights")
                if name in weight_masks and value.shape != weight_masks[name].shape:
                    raise ValueError(f"{path}: key {key!r} (parameter {name!r}) has shape {value.shape} but its "
                                     f"mask has shape {weight_masks[name].shape}")
                state[name] = value
        expected = {"meta", "edge_mask"} | {f"mask_{i}" for i in range(len(weight_names))} | {
            f"state_{i}" for i in range(len(state_names or []))}
        extra = sorted(files - expected)
        if extra:
            raise ValueError(f"{path}: unexpected key(s) {', '.join(extra)} (not written by GraphLotteryTicket.save)")
        return cls(edge_mask=edge_mask, weight_masks=weight_masks, state_dict=state, **meta)

    def __eq__(self, other) -> bool:
        if not isinstance(other, GraphLotteryTicket):
            return NotImplemented
        if self.summary() != other.summary() or self.config != other.config or self.num_nodes != other.num_nodes:
            return False
        if not np.array_equal(self.edge_mask, other.edge_mask) or list(self.weight_masks) != list(other.weight_masks):
            return False
        if any(not np.array_equal(self.weight_masks[k], other.weight_masks[k]) for k in self.weight_masks):
            return False
        if (self.state_dict is None) != (other.state_dict is None):
            return False
        if self.state_dict is not None:
            if list(self.state_dict) != list(other.state_dict):
                return False
            return all(np.asarray(self.state_dict[k]).tobytes() == np.asarray(other.state_dict[k]).tobytes()
                       and np.asarray(self.state_dict[k]).dtype == np.asarray(other.state_dict[k]).dtype
                       for k in self.state_dict)
        return True

    __hash__ = None
