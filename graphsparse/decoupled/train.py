"""Training for the decoupled models: mini-batches of precomputed rows, early stopping on validation.

* :func:`train_precomputed` -- the models that read a hop stack ``(H, n, f)`` (in memory or
  memory-mapped): each epoch shuffles the training rows (seeded), gathers one batch's rows of every
  hop and takes an Adam step; no graph in the loop.
* :func:`train_full_graph` -- the graph-in-the-loop models (APPNP, APPNP+AIR, GCN+AIR), full batch.

Both evaluate on the validation rows after every epoch, keep the parameters of the best epoch
(highest validation accuracy, ties broken by lower validation loss), stop after ``patience``
epochs without improvement (``None`` = run all ``epochs``), restore the best parameters and report
the test accuracy at that epoch (the protocol of the DGMLP code).

:data:`DEFAULTS` holds the one set of hyper-parameters per model used by ``graphsparse decoupled``
and ``benchmarks/decoupled_accuracy.py`` (chosen on validation accuracy of the public splits; reused
unchanged on every other graph); :func:`prepare_inputs` and :func:`run_model` apply them.
"""
from __future__ import annotations

import copy
import time

import numpy as np

from graphsparse._validation import check_positive_int, to_numpy

__all__ = ["predict_precomputed", "train_precomputed", "train_full_graph", "DEFAULTS", "MODEL_NAMES", "prepare_inputs", "build_model",
           "run_model", "row_normalize"]

#: One set of hyper-parameters per model, chosen on validation accuracy (Cora, then Cora + CiteSeer for
#: SGC+AIR, APPNP+AIR, GCN+AIR and SIGN; ``benchmarks/decoupled_defaults.py``, docs/decoupled.md). SGC+AIR's
#: are the validation-best of the candidates that keep its Cora accuracy at 64 hops within 1.5 points of
#: its best depth (the robustness AIR is for): stronger weight decay scores higher on validation but
#: loses it (5e-3: -3.0 points at 64 hops).
#: The hop stack is ``(hops + 1) n f`` floats (SIGN: 16 feature copies): pass a smaller ``hops`` on a large graph.
#: ``hops`` is K (propagation depth; GCN+AIR: the number of layers), ``normalize_features`` row-
#: normalises the raw features first (``True``: L1, as the SGC / GCN code does; ``"l2"``: unit L2 rows).
DEFAULTS = {
    "sgc": dict(hops=2, operator="sym", normalize_features=True, lr=0.2, weight_decay=2e-5, dropout=0.0,
                epochs=100, patience=None, batch_size=None),
    "s2gc": dict(hops=16, alpha=0.05, operator="sym", normalize_features=True, lr=0.2, weight_decay=2e-5,
                 dropout=0.0, epochs=100, patience=None, batch_size=None),
    "sign": dict(hops=15, operator="sym", normalize_features=True, hidden=32, dropout=0.6, input_dropout=0.6,
                 lr=0.01, weight_decay=5e-4, epochs=200, patience=None, batch_size=None),
    "sgc_air": dict(hops=10, operator="sym", normalize_features=False, dropout=0.4, lr=0.2, weight_decay=2e-3,
                    epochs=300, patience=None, batch_size=None, skip_last_hop=True),
    "appnp": dict(hops=10, alpha=0.1, operator="sym", normalize_features=True, hidden=64, dropout=0.5, lr=0.01,
                  weight_decay=5e-4, epochs=300, patience=None),
    "appnp_air": dict(hops=20, alpha=0.05, operator="sym", normalize_features=True, hidden=128, dropout=0.5,
                      lr=0.02, weight_decay=1e-3, epochs=300, patience=None, skip_last_hop=False),
    "gcn_air": dict(hops=2, operator="sym", normalize_features=True, hidden=128, dropout=0.7, lr=0.01,
                    weight_decay=2e-3, epochs=400, patience=None),
}
MODEL_NAMES = tuple(DEFAULTS)


def row_normalize(x: np.ndarray, norm="l1") -> np.ndarray:
    """Rows scaled to unit L1 norm (``"l1"``, or ``True``: sum one, as the SGC / GCN code does) or unit
    L2 norm (``"l2"``); ``False`` / ``None``: unchanged. All-zero rows stay zero; float32."""
    x = np.asarray(x, dtype=np.float32)
    if norm is False or norm is None:
        return x
    if norm is True or norm == "l1":
        s = np.abs(x).sum(1, keepdims=True)
    elif norm == "l2":
        s = np.sqrt(np.square(x, dtype=np.float64).sum(1, keepdims=True)).astype(np.float32)
    else:
        raise ValueError(f"normalize_features must be True / 'l1', 'l2' or False, got {norm!r}")
    return np.divide(x, s, out=np.zeros_like(x), where=s > 0)


def _labels(y, n=None):
    y = to_numpy(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be 1-D integer class ids, got {y.dtype} {y.shape}")
    if n is not None and y.shape[0] != n:
        raise ValueError(f"y has {y.shape[0]} entries but there are {n} nodes")
    return y.astype(np.int64)


def _index(idx, n, name):
    idx = to_numpy(idx)
    if idx.dtype == bool:
        if idx.shape != (n,):
            raise ValueError(f"{name} mask must have shape ({n},), got {idx.shape}")
        idx = np.flatnonzero(idx)
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-D index array or a boolean mask")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"{name} holds node ids outside [0, {n})")
    return np.sort(idx.astype(np.int64))


class _Best:
    def __init__(self):
        self.acc, self.loss, self.epoch, self.state, self.test = -1.0, np.inf, -1, None, None

    def update(self, epoch, acc, loss, model) -> bool:
        if acc > self.acc or (acc == self.acc and loss < self.loss):
            self.acc, self.loss, self.epoch = acc, loss, epoch
            self.state = copy.deepcopy(model.state_dict())
            return True
        return False


def _loop(model, step, evaluate, *, epochs, patience, has_test, verbose, desc):
    import torch

    epochs = check_positive_int(epochs, "epochs")
    if patience is not None:
        patience = check_positive_int(patience, "patience")
    best = _Best()
    started = time.perf_counter()
    bar = None
    if verbose:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, desc=desc, leave=False)
    epoch = 0
    for epoch in range(1, epochs + 1):
        model.train()
        step()
        model.eval()
        with torch.no_grad():
            acc, loss = evaluate("val")
            if best.update(epoch, acc, loss, model) and has_test:
                best.test = evaluate("test")[0]
        if bar is not None:
            bar.update()
            bar.set_postfix(val=f"{acc:.3f}", best=f"{best.acc:.3f}")
        if patience is not None and epoch - best.epoch >= patience:
            break
    if bar is not None:
        bar.close()
    model.load_state_dict(best.state)
    return {"val_acc": float(best.acc), "val_loss": float(best.loss), "test_acc": best.test,
            "best_epoch": best.epoch, "epochs_run": epoch, "seconds": time.perf_counter() - started}


def train_precomputed(model, hops, y, train_idx, val_idx, test_idx=None, *, epochs: int = 200, lr: float = 0.01,
                      weight_decay: float = 0.0, batch_size: int | None = None, patience: int | None = None,
                      seed: int = 0, eval_batch_size: int = 65536, device=None, verbose: bool = False) -> dict:
    """Mini-batch training over the rows of a precomputed hop stack (no graph in the loop).

    Parameters
    ----------
    model : torch.nn.Module
        Takes a ``(H, B, f)`` float32 stack, returns ``(B, classes)`` logits.
    hops : np.ndarray or np.memmap, shape (H, n, f)
        The stack (e.g. from :func:`~graphsparse.decoupled.propagation.propagate_hops`); rows are
        gathered per batch, so a memory-mapped file is read batch by batch.
    y : array (n,)
        Integer class ids.
    train_idx, val_idx, test_idx : index arrays or boolean masks
    epochs, lr, weight_decay : Adam settings.
    batch_size : int, optional
        Training rows per step (``None``: all training rows in one batch).
    patience : int, optional
        Stop after this many epochs without a better validation score.
    seed : int
        Seeds torch (initialisation is the caller's) and the batch order.
    eval_batch_size : int
        Rows per evaluation forward pass.
    device : torch.device or str, optional
        Where the model and each batch go (the stack stays in host memory); default CPU.
    verbose : bool
        tqdm over epochs.

    Returns
    -------
    dict with ``val_acc``, ``test_acc`` (at the best validation epoch; ``None`` without a test
    set), ``best_epoch``, ``epochs_run``, ``seconds``. The model holds the best parameters.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from graphsparse.decoupled.models import SGC
    >>> from graphsparse.decoupled.train import train_precomputed
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 60)
    >>> hops = (rng.normal(size=(2, 60, 4)) + y[None, :, None]).astype(np.float32)
    >>> result = train_precomputed(SGC(4, 2), hops, y, np.arange(40), np.arange(40, 60), epochs=30, lr=0.1)
    >>> result["val_acc"] > 0.6
    True
    """
    import torch
    from torch.nn import functional as F

    if hops.ndim != 3:
        raise ValueError(f"hops must be a (H, n, f) stack, got shape {hops.shape}")
    n = hops.shape[1]
    y_t = torch.from_numpy(_labels(y, n))
    parts = {"train": _index(train_idx, n, "train_idx"), "val": _index(val_idx, n, "val_idx")}
    if test_idx is not None:
        parts["test"] = _index(test_idx, n, "test_idx")
    if parts["train"].size == 0 or parts["val"].size == 0:
        raise ValueError("train_idx and val_idx must not be empty")
    batch_size = parts["train"].size if batch_size is None else check_positive_int(batch_size, "batch_size")
    torch.manual_seed(seed)
    generator = np.random.default_rng(seed)
    device = torch.device("cpu") if device is None else torch.device(device)
    model.to(device)
    y_t = y_t.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    row_bytes = hops.shape[0] * hops.shape[2] * 4
    cache = {}

    def rows(idx):
        return torch.from_numpy(np.ascontiguousarray(hops[:, idx], dtype=np.float32)).to(device)

    def part_rows(name):  # small parts (Planetoid sizes) are gathered once
        if name not in cache:
            idx = parts[name]
            cache[name] = rows(idx) if idx.size * row_bytes <= 2**30 else None
        return cache[name]

    def step():
        train = parts["train"]
        if batch_size >= train.size and part_rows("train") is not None:
            batches = [(part_rows("train"), y_t[torch.from_numpy(train).to(device)])]
        else:
            order = generator.permutation(train.size)
            batches = (np.sort(train[order[s:s + batch_size]]) for s in range(0, train.size, batch_size))
            batches = ((rows(b), y_t[torch.from_numpy(b).to(device)]) for b in batches)
        for xb, yb in batches:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()

    def evaluate(name):
        idx = parts[name]
        cached = part_rows(name)
        correct, total_loss = 0, 0.0
        for s in range(0, idx.size, eval_batch_size):
            b = idx[s:s + eval_batch_size]
            xb = cached[:, s:s + eval_batch_size] if cached is not None else rows(b)
            logits = model(xb)
            yb = y_t[torch.from_numpy(b).to(device)]
            correct += int((logits.argmax(-1) == yb).sum())
            total_loss += float(F.cross_entropy(logits, yb, reduction="sum"))
        return correct / idx.size, total_loss / idx.size

    return _loop(model, step, evaluate, epochs=epochs, patience=patience, has_test="test" in parts,
                 verbose=verbose, desc="train")


def predict_precomputed(model, hops, idx, batch_size: int = 65536, device=None) -> np.ndarray:
    """Class predictions (argmax of the logits) for the rows ``idx`` of ``hops``, in ascending row order."""
    import torch

    idx = _index(idx, hops.shape[1], "idx")
    device = torch.device("cpu") if device is None else torch.device(device)
    model.eval()
    out = np.empty(idx.size, np.int64)
    with torch.no_grad():
        for s in range(0, idx.size, batch_size):
            b = idx[s:s + batch_size]
            xb = torch.from_numpy(np.ascontiguousarray(hops[:, b], dtype=np.float32)).to(device)
            out[s:s + batch_size] = model(xb).argmax(-1).cpu().numpy()
    return out


def train_full_graph(model, x, op, y, train_idx, val_idx, test_idx=None, *, epochs: int = 200, lr: float = 0.01,
                     weight_decay: float = 0.0, patience: int | None = None, seed: int = 0,
                     verbose: bool = False) -> dict:
    """Full-batch training of a graph-in-the-loop model ``model(x, op)`` (APPNP, APPNP+AIR, GCN+AIR).

    Features with under 10 % non-zeros are passed as a sparse COO tensor (the models' first linear
    layer multiplies them sparse, dropout acting on the stored values).

    Same protocol and result as :func:`train_precomputed` (best validation epoch, its test accuracy).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from graphsparse.decoupled import propagation_operator
    >>> from graphsparse.decoupled.models import APPNP
    >>> from graphsparse.decoupled.train import train_full_graph
    >>> op = propagation_operator(np.array([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]]))
    >>> x, y = torch.eye(4), np.array([0, 0, 1, 1])
    >>> train_full_graph(APPNP(4, 8, 2, K=2), x, op, y, [0, 3], [1, 2], epochs=5)["best_epoch"] >= 1
    True
    """
    import torch
    from torch.nn import functional as F

    x = torch.as_tensor(to_numpy(x), dtype=torch.float32)
    n = x.shape[0]
    if x.numel() and float((x != 0).float().mean()) < 0.1:
        x = x.to_sparse_coo().coalesce()  # bag-of-words features: the first layer runs sparse
    if op.num_nodes != n:
        raise ValueError(f"x has {n} rows but the operator has {op.num_nodes} nodes")
    y_t = torch.from_numpy(_labels(y, n))
    parts = {"train": _index(train_idx, n, "train_idx"), "val": _index(val_idx, n, "val_idx")}
    if test_idx is not None:
        parts["test"] = _index(test_idx, n, "test_idx")
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    logits_cache = {}

    def step():
        logits_cache.clear()
        optimizer.zero_grad()
        train = torch.from_numpy(parts["train"])
        loss = F.cross_entropy(model(x, op)[train], y_t[train])
        loss.backward()
        optimizer.step()

    def evaluate(name):
        if "eval" not in logits_cache:
            logits_cache["eval"] = model(x, op)
        idx = torch.from_numpy(parts[name])
        logits = logits_cache["eval"][idx]
        acc = float((logits.argmax(-1) == y_t[idx]).float().mean())
        return acc, float(F.cross_entropy(logits, y_t[idx]))

    return _loop(model, step, evaluate, epochs=epochs, patience=patience, has_test="test" in parts,
                 verbose=verbose, desc="train")


# ---------------------------------------------------------------------------- defaults in one place
def _params(name: str, overrides: dict) -> dict:
    if name not in DEFAULTS:
        raise ValueError(f"model must be one of {MODEL_NAMES}, got {name!r}")
    unknown = set(overrides) - set(DEFAULTS[name])
    if unknown:
        raise ValueError(f"unknown hyper-parameter(s) for {name}: {sorted(unknown)}; "
                         f"known: {sorted(DEFAULTS[name])}")
    return {**DEFAULTS[name], **{k: v for k, v in overrides.items() if v is not None}}


def prepare_inputs(name: str, graph, x, verbose: bool = False, **overrides):
    """What ``name`` trains on: ``(inputs, op)`` -- the hop stack (precomputed models) or features.

    SGC keeps only ``X_K`` (a one-entry stack), S2GC its averaged features, SIGN / SGC+AIR every hop;
    the graph-in-the-loop models get the (normalised) features and the operator.
    """
    from graphsparse.decoupled.propagation import _check_features, _operator, propagate_hops, s2gc_features

    p = _params(name, overrides)
    op = _operator(graph, p["operator"], True, x)
    x = _check_features(x, op.num_nodes)
    x = row_normalize(x, p["normalize_features"])
    if name == "s2gc":
        return s2gc_features(op, x, p["hops"], p["alpha"], verbose=verbose)[None], op
    if name == "sgc":
        return np.ascontiguousarray(propagate_hops(op, x, p["hops"], verbose=verbose)[-1:]), op
    if name in ("sign", "sgc_air"):
        return propagate_hops(op, x, p["hops"], verbose=verbose), op
    return x, op


def build_model(name: str, in_channels: int, num_classes: int, **overrides):
    """The model ``name`` with its :data:`DEFAULTS` (``overrides`` replace single entries)."""
    from graphsparse.decoupled import models as m

    p = _params(name, overrides)
    k = p["hops"]
    if name in ("sgc", "s2gc"):
        return (m.SGC if name == "sgc" else m.S2GC)(in_channels, num_classes, p["dropout"])
    if name == "sign":
        return m.SIGN(in_channels, p["hidden"], num_classes, k + 1, p["dropout"], p["input_dropout"])
    if name == "sgc_air":
        return m.SGCAIR(in_channels, num_classes, k + 1, p["dropout"], p["skip_last_hop"])
    if name == "appnp":
        return m.APPNP(in_channels, p["hidden"], num_classes, k, p["alpha"], 2, p["dropout"])
    if name == "appnp_air":
        return m.APPNPAIR(in_channels, p["hidden"], num_classes, k, p["alpha"], p["dropout"], p["skip_last_hop"])
    return m.GCNAIR(in_channels, p["hidden"], num_classes, k, p["dropout"])


def run_model(name: str, graph, x, y, train_idx, val_idx, test_idx=None, *, seed: int = 0, prepared=None,
              verbose: bool = False, **overrides) -> dict:
    """Precompute (or reuse ``prepared = prepare_inputs(...)``), build and train model ``name``.

    Returns the trainer's result plus ``model`` and the hyper-parameters used (``params``).

    Examples
    --------
    >>> from graphsparse.datasets.generators import contextual_sbm
    >>> from graphsparse.decoupled.train import run_model
    >>> data = contextual_sbm(300, num_classes=3, num_features=8, seed=0)
    >>> r = run_model("sgc", data, data.x, data.y, data.train_mask, data.val_mask, data.test_mask)
    >>> r["test_acc"] > 0.5
    True
    """
    import torch

    p = _params(name, overrides)
    inputs, op = prepared if prepared is not None else prepare_inputs(name, graph, x, verbose, **overrides)
    y_np = _labels(y)
    num_classes = int(y_np.max()) + 1
    torch.manual_seed(seed)
    model = build_model(name, inputs.shape[-1], num_classes, **overrides)
    common = dict(epochs=p["epochs"], lr=p["lr"], weight_decay=p["weight_decay"], patience=p["patience"],
                  seed=seed, verbose=verbose)
    if name in ("appnp", "appnp_air", "gcn_air"):
        result = train_full_graph(model, torch.from_numpy(inputs), op, y_np, train_idx, val_idx, test_idx, **common)
    else:
        result = train_precomputed(model, inputs, y_np, train_idx, val_idx, test_idx,
                                   batch_size=p["batch_size"], **common)
    result.update(model=model, params=p)
    return result
