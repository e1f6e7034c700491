"""Shared full-batch training: split selection, label checks and one early-stopping loop.

Every capability that trains a model full batch (directed node classification and link
prediction, lottery tickets, the quickstart) uses these instead of its own loop:

1. :func:`split_mask` / :func:`split_masks` -- the ``(N,)`` boolean mask of one split from a mask
   of shape ``(N,)`` or ``(N, S)`` (column ``split``), with the errors a user needs: a ``(S, N)``
   mask (transposed), a ``split`` out of range or given with a 1-D mask, a wrong length.
2. :func:`check_labels` -- integer labels, none negative on the nodes a split uses (labels such as
   ``-1`` for unlabelled nodes are allowed elsewhere: they never enter the loss or a score).
3. :func:`score` -- accuracy, or ROC-AUC of class 1, of ``logits[index]``.
4. :func:`fit_full_batch` -- the loop: per epoch one optimiser step on ``loss_fn()`` (train mode),
   an optional ``after_step(model)`` hook (projections, fixed masks), then ``evaluate()`` (eval
   mode, no grad); the best validation epoch is kept (``ties='first'``: strictly better only;
   ``'last'``: ties move to the later epoch); training stops after ``patience`` epochs without
   improvement; every epoch's loss and validation score go to ``history``.
5. :func:`fit_node_classifier` -- (4) for node classification: cross-entropy on the training
   nodes (plus an optional extra loss term), validation/test scores of ``forward()``'s logits.

Seeded runs: ``seed`` calls ``torch.manual_seed(seed)`` before the first step (the model is built
by the caller, usually after its own seeding). Long runs show a tqdm bar with ``verbose=True``
(or advance the ``progress`` bar they are given).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["split_mask", "split_masks", "check_labels", "score", "fit_full_batch", "fit_node_classifier"]

MASK_NAMES = ("train_mask", "val_mask", "test_mask")


def split_mask(mask, split: int = 0, *, name: str = "mask", num_nodes: int | None = None) -> torch.Tensor:
    """One split of ``mask`` as a 1-D bool tensor.

    Parameters
    ----------
    mask : array-like or torch.Tensor
        ``(N,)`` (one split) or ``(N, S)`` (``S`` fixed splits, as PyG stores them), bool or 0/1.
    split : int
        Column of a 2-D mask. With a 1-D mask only ``0`` is accepted (there is one split).
    name : str
        Name used in error messages (``"train_mask"`` ...).
    num_nodes : int, optional
        Expected ``N``; a ``(S, N)`` mask (splits first) is then recognised and refused.

    Examples
    --------
    >>> import torch
    >>> split_mask(torch.tensor([[1, 0], [0, 1], [1, 1]]), 1, num_nodes=3).tolist()
    [False, True, True]
    """
    if mask is None:
        raise ValueError(f"data has no {name}")
    mask = torch.as_tensor(mask)
    if isinstance(split, bool) or not isinstance(split, (int, np.integer)):
        raise TypeError(f"split must be an integer, got {split!r}")
    if mask.dtype != torch.bool:
        if mask.is_floating_point() or mask.is_complex() or not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError(f"{name} must be boolean (or 0/1 integers), got dtype {mask.dtype}")
        mask = mask.bool()
    if mask.dim() == 2:
        n, s = mask.shape
        if num_nodes is not None and n != num_nodes:
            if s == num_nodes:
                raise ValueError(f"{name} has shape {tuple(mask.shape)}: splits first, but masks must be "
                                 f"(num_nodes, splits) = ({num_nodes}, {n}); pass {name}.T")
            raise ValueError(f"{name} has {n} rows but the graph has {num_nodes} nodes")
        if not 0 <= split < s:
            raise ValueError(f"split must be in [0, {s}) for {name} of shape {tuple(mask.shape)}, got {split}")
        return mask[:, split]
    if mask.dim() != 1:
        raise ValueError(f"{name} must have shape (N,) or (N, splits), got {tuple(mask.shape)}")
    if split != 0:
        raise ValueError(f"{name} is 1-D (a single split) but split={split} was asked for; "
                         "pass split=0 or masks of shape (N, splits)")
    if num_nodes is not None and mask.shape[0] != num_nodes:
        raise ValueError(f"{name} has {mask.shape[0]} entries but the graph has {num_nodes} nodes")
    return mask


def split_masks(data, split: int = 0, *, num_nodes: int | None = None) -> tuple:
    """``(train, val, test)`` bool masks of split ``split`` of a PyG ``Data`` (see :func:`split_mask`)."""
    if num_nodes is None:
        num_nodes = data.num_nodes
    return tuple(split_mask(getattr(data, key, None), split, name=key, num_nodes=num_nodes) for key in MASK_NAMES)


def check_labels(y, masks=(), *, name: str = "data.y") -> torch.Tensor:
    """``y`` as a 1-D int64 tensor; ``ValueError`` for non-integer labels or a negative label on a
    node that one of ``masks`` (bool masks or index tensors) selects."""
    if y is None:
        raise ValueError(f"{name} is required (integer node labels)")
    y = torch.as_tensor(y)
    if y.is_floating_point():
        if not bool(torch.isfinite(y).all()) or not bool((y == y.round()).all()):
            raise ValueError(f"{name} must hold integer class labels, got non-integral values")
    elif y.dtype == torch.bool or y.is_complex():
        raise TypeError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    y = y.view(-1).long() if y.dim() == 2 and y.shape[1] == 1 else y.long()
    if y.dim() != 1:
        raise ValueError(f"{name} must be 1-D (one class per node), got shape {tuple(y.shape)}")
    for mask in masks:
        used = y[mask]
        if used.numel() and int(used.min()) < 0:
            count = int((used < 0).sum())
            raise ValueError(f"{name} has {count} negative label(s) on nodes of a train/val/test split; "
                             "labels must be 0..C-1 there (unlabelled nodes, e.g. -1, must be outside the masks)")
    return y


def score(logits: torch.Tensor, y: torch.Tensor, index, metric: str = "accuracy") -> float:
    """Accuracy, or ROC-AUC of class 1 (binary tasks), of ``logits[index]`` against ``y[index]``."""
    if metric == "accuracy":
        return float((logits[index].argmax(1) == y[index]).float().mean())
    if metric != "roc_auc":
        raise ValueError(f"metric must be 'accuracy' or 'roc_auc', got {metric!r}")
    from sklearn.metrics import roc_auc_score

    probability = torch.softmax(logits[index], 1)[:, 1].numpy()
    return float(roc_auc_score(y[index].numpy(), probability))


def fit_full_batch(model: torch.nn.Module, loss_fn: Callable, evaluate: Callable, *, epochs: int = 200,
                   lr: float = 0.01, weight_decay: float = 0.0, patience: int | None = None, ties: str = "first",
                   after_step: Callable | None = None, before_step: Callable | None = None, keep_state: bool = False, restore_best: bool = False,
                   seed: int | None = None, optimizer: torch.optim.Optimizer | None = None, progress=None,
                   verbose: bool = False, desc: str = "train") -> dict:
    """The shared full-batch loop (see the module doc).

    Parameters
    ----------
    model : torch.nn.Module
        Put in train mode for ``loss_fn`` and eval mode for ``evaluate``.
    loss_fn : callable
        ``loss_fn() -> scalar tensor`` (train mode, gradients on).
    evaluate : callable
        ``evaluate() -> (val, progress_key, on_best)`` under ``torch.no_grad()``: ``val`` (float,
        higher is better) selects the epoch; ``progress_key`` (float or ``None``; lower is better,
        e.g. the validation loss) also counts as progress for ``patience``; ``on_best()`` returns
        the dict of entries recorded at a new best epoch (test scores, logits ...).
    epochs, lr, weight_decay : int, float, float
        Adam's settings (``optimizer`` replaces Adam when given).
    patience : int, optional
        Stop after this many epochs without progress (``None``: run all epochs).
    ties : {'first', 'last'}
        Whether an equal validation score keeps the earlier epoch or moves to the later one.
    after_step : callable, optional
        ``after_step(model)`` after every optimiser step (l0 projection, fixed weight masks).
    before_step : callable, optional
        ``before_step()`` between ``backward`` and the optimiser step (gradient edits, e.g. an l1
        sub-gradient).
    keep_state, restore_best : bool
        Record a copy of the weights at the best epoch (``'state'``); load it back at the end.
    seed : int, optional
        ``torch.manual_seed(seed)`` before the first step.

    Returns
    -------
    dict
        ``val`` and ``epoch`` (of the best epoch), what ``on_best`` returned there, ``epochs`` (run),
        ``history`` (one ``{'epoch', 'loss', 'val'}`` per epoch) and ``state`` if kept.
    """
    from graphsparse._validation import check_positive_int

    epochs = check_positive_int(epochs, "epochs")
    if patience is not None:
        patience = check_positive_int(patience, "patience")
    if ties not in ("first", "last"):
        raise ValueError(f"ties must be 'first' or 'last', got {ties!r}")
    if seed is not None:
        torch.manual_seed(seed)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    best = {"val": -np.inf, "epoch": -1}
    best_key, last_progress = np.inf, 0
    history = []
    bar = None
    if progress is None and verbose:
        from tqdm.auto import tqdm

        bar = progress = tqdm(total=epochs, desc=desc, leave=False)
    epoch = 0
    for epoch in range(epochs):
        model.train()
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        if before_step is not None:
            before_step()
        optimizer.step()
        if after_step is not None:
            after_step(model)
        model.eval()
        with torch.no_grad():
            val, key, on_best = evaluate()
            improved = val > best["val"] or (ties == "last" and val >= best["val"])
            if improved:
                best = {"val": val, "epoch": epoch, **on_best()}
                if keep_state or restore_best:
                    best["state"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
                last_progress = epoch
            if key is not None and key < best_key:
                best_key, last_progress = key, epoch
        history.append({"epoch": epoch, "loss": float(loss.detach()), "val": float(val)})
        if progress is not None:
            progress.update(1)
            if bar is not None:
                bar.set_postfix(loss=history[-1]["loss"], val=val)
        if patience is not None and not improved and epoch - last_progress >= patience:
            break
    if bar is not None:
        bar.close()
    if restore_best and best.get("state") is not None:
        model.load_state_dict(best["state"])
        model.eval()
    if not keep_state:
        best.pop("state", None)
    best["epochs"] = epoch + 1
    best["history"] = history
    return best


def fit_node_classifier(model: torch.nn.Module, forward: Callable, y: torch.Tensor, masks, *, epochs: int = 200,
                        lr: float = 0.01, weight_decay: float = 0.0, patience: int | None = None,
                        metric: str = "accuracy", ties: str = "first", extra_loss: Callable | None = None,
                        keep_logits: bool = False, **kwargs) -> dict:
    """Full-batch node classification on :func:`fit_full_batch`.

    Parameters
    ----------
    model : torch.nn.Module
        The model ``forward()`` runs (its mode is switched here).
    forward : callable
        ``forward() -> logits`` of shape ``(N, C)`` (e.g. ``lambda: model(x, operators)``).
    y : torch.Tensor
        ``(N,)`` int64 labels (:func:`check_labels`).
    masks : tuple
        ``(train, val, test)`` bool masks or index tensors (:func:`split_masks`).
    epochs : int, default=200
        Upper bound on the training epochs.
    lr, weight_decay : float, default=0.01, 0.0
        Adam's learning rate and L2 penalty.
    patience : int or None, default=None
        Stop after this many epochs without a better validation score (``None``: never).
    metric : {'accuracy', 'roc_auc'}, default='accuracy'
        Validation / test score (:func:`score`).
    ties : {'first', 'last'}, default='first'
        Which of equally good validation epochs is the best one.
    extra_loss : callable, optional
        ``extra_loss(logits) -> tensor`` added to the cross-entropy (e.g. distillation).
    keep_logits : bool, default=False
        Record the eval-mode logits of the best epoch (``'logits'``).
    **kwargs
        Passed to :func:`fit_full_batch` (``after_step``, ``seed``, ``keep_state``,
        ``restore_best``, ``progress``, ``verbose``).

    Returns
    -------
    dict
        ``val``, ``test`` (at the best validation epoch), ``epoch``, ``epochs``, ``history``
        (+ ``logits`` / ``state`` when asked).

    Examples
    --------
    >>> import torch
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> x, y = torch.randn(40, 3), torch.arange(40) % 2
    >>> x[:, 0] += 3 * y
    >>> model = torch.nn.Linear(3, 2)
    >>> masks = (torch.arange(40) < 20, (torch.arange(40) >= 20) & (torch.arange(40) < 30), torch.arange(40) >= 30)
    >>> result = fit_node_classifier(model, lambda: model(x), y, masks, epochs=50, lr=0.1)
    >>> result["test"] > 0.8, len(result["history"])
    (True, 50)
    """
    train, val, test = masks
    train_y = y[train]

    def loss_fn():
        logits = forward()
        loss = F.cross_entropy(logits[train], train_y)
        if extra_loss is not None:
            loss = loss + extra_loss(logits)
        return loss

    def evaluate():
        logits = forward()

        def on_best():
            record = {"test": score(logits, y, test, metric)}
            if keep_logits:
                record["logits"] = logits
            return record

        return score(logits, y, val, metric), None, on_best

    return fit_full_batch(model, loss_fn, evaluate, epochs=epochs, lr=lr, weight_decay=weight_decay,
                          patience=patience, ties=ties, **kwargs)
