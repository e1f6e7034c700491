"""Link tasks on directed graphs with reciprocal-edge handling (after PyGSD's ``link_class_split``).

:func:`link_split` holds out a fraction of the one-way edges and builds labelled node pairs:

1. ``task='existence'``: label 1 for a held-out edge ``(u, v)``, 0 for a sampled non-edge (no edge
   in either direction). Balanced.
2. ``task='direction'``: label 1 for a held-out edge as ``(u, v)``, 0 for the same edge presented
   reversed ``(v, u)``. Balanced.
3. ``task='three_class'``: 0 = ``u -> v``, 1 = ``v -> u`` (the edge reversed), 2 = no edge.

Reciprocal pairs (``u -> v`` and ``v -> u`` both present) have no direction to predict: they are
never held out; with ``drop_reciprocal=True`` (default) they are also removed from the training
graph (PyGSD's choice), otherwise they stay in it. Self-loops are never held out.
Undirected input is refused (``ValueError``): there is no direction to predict.

:func:`train_link_predictor` fits a :class:`~graphsparse.directed.models.DirectedLinkPredictor`
on such a split (full batch: the encoder runs on ``train_graph``, cross-entropy on the training
pairs, model selection on validation accuracy with early stopping) and reports accuracy (and
ROC-AUC for the binary tasks) at the selected epoch. torch is imported only when it is called.
"""
from __future__ import annotations

import numpy as np

from graphsparse._validation import check_fraction, check_positive_int, check_random_state
from graphsparse.graph import as_graph
from graphsparse.metrics import roc_auc

__all__ = ["link_split", "train_link_predictor"]

_TASKS = ("existence", "direction", "three_class")


def _non_edges(rng, existing_keys: np.ndarray, n: int, count: int) -> np.ndarray:
    """``count`` distinct node pairs (u != v) with no edge in either direction."""
    pairs = np.zeros((0, 2), dtype=np.int64)
    existing = np.sort(existing_keys)
    for _ in range(100):
        need = count - pairs.shape[0]
        if need <= 0:
            break
        cand = rng.integers(0, n, size=(2 * need + 16, 2))
        cand = cand[cand[:, 0] != cand[:, 1]]
        keys = cand[:, 0] * n + cand[:, 1]
        rev = cand[:, 1] * n + cand[:, 0]
        pos = np.searchsorted(existing, keys).clip(max=max(existing.size - 1, 0))
        pos_r = np.searchsorted(existing, rev).clip(max=max(existing.size - 1, 0))
        ok = (existing.size == 0) | ((existing[pos] != keys) & (existing[pos_r] != rev))
        cand = cand[ok]
        pairs = np.unique(np.concatenate([pairs, cand]), axis=0)
    if pairs.shape[0] < count:
        raise ValueError("graph is too dense to sample enough non-edges")
    return pairs[rng.permutation(pairs.shape[0])[:count]]


def link_split(graph, task: str = "direction", *, val_fraction: float = 0.05, test_fraction: float = 0.15,
               drop_reciprocal: bool = True, random_state=None) -> dict:
    """Split a digraph for a link task; returns ``{'train_graph', 'train', 'val', 'test'}``.

    ``train``/``val``/``test`` are ``(pairs (k, 2) int64, labels (k,) int64)``; training pairs come
    from the edges kept in ``train_graph`` (with the same negative rule), so a model can be fitted
    on them. Fractions refer to the one-way (non-reciprocal, non-loop) edges.

    Parameters
    ----------
    graph : Graph or anything :func:`graphsparse.as_graph` accepts
        A directed graph (an undirected one raises ``ValueError``).
    task : {"direction", "existence", "three_class"}, default="direction"
        ``"direction"``: ``(u, v)`` (1) vs ``(v, u)`` (0); ``"existence"``: edge (1) vs non-edge
        (0); ``"three_class"``: ``u -> v`` (0), ``v -> u`` (1), no edge (2).
    val_fraction, test_fraction : float, default=0.05, 0.15
        Shares of the one-way edges held out (their sum < 1).
    drop_reciprocal : bool, default=True
        Also drop reciprocal pairs from ``train_graph`` (they would leak the direction).
    random_state : None, int or numpy Generator, default=None
        Seed of the split and of the negative pairs.

    Returns
    -------
    dict
        ``train_graph`` (Graph), ``train``/``val``/``test`` pairs and labels, ``task`` and
        ``num_reciprocal_edges``.

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.datasets import rmat
    >>> from graphsparse.directed import link_split
    >>> split = link_split(rmat(100, 400, seed=0), "three_class", random_state=0)
    >>> pairs, labels = split["test"]
    >>> pairs.shape[1], np.bincount(labels).tolist()  # balanced: forward, reversed, non-edge
    (2, [42, 42, 42])
    >>> held_out = pairs[labels == 0]
    >>> g = split["train_graph"]
    >>> bool((g.locate(held_out[:, 0], held_out[:, 1]) < 0).all())  # absent from the train graph
    True
    """
    if task not in _TASKS:
        raise ValueError(f"task must be one of {_TASKS}, got {task!r}")
    val_fraction = check_fraction(val_fraction, "val_fraction")
    test_fraction = check_fraction(test_fraction, "test_fraction")
    if val_fraction + test_fraction >= 1.0:
        raise ValueError("val_fraction + test_fraction must be < 1")
    g = as_graph(graph)
    if g.num_nodes == 0:
        raise ValueError("graph has no nodes")
    g.require_edges("graph")
    if not g.directed:
        raise ValueError("link_split needs a directed graph: an undirected graph has no edge direction to "
                         "predict (pass directed=True to as_graph if the symmetric edge set is intended)")
    rng = check_random_state(random_state)
    n = g.num_nodes
    src, dst = g.sources(), g.indices.astype(np.int64)
    keys = src * n + dst
    reverse_keys = dst * n + src
    sorted_keys = np.sort(keys)
    pos = np.searchsorted(sorted_keys, reverse_keys).clip(max=sorted_keys.size - 1)
    reciprocal = (sorted_keys[pos] == reverse_keys) & (src != dst)
    loop = src == dst
    one_way = np.flatnonzero(~reciprocal & ~loop)
    if one_way.size < 3:
        raise ValueError(f"graph has only {one_way.size} one-way edges; a link split needs at least 3")
    order = rng.permutation(one_way)
    n_test = int(round(test_fraction * order.size))
    n_val = int(round(val_fraction * order.size))
    test_e, val_e, train_e = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    keep = np.ones(g.num_edges, dtype=bool)
    keep[test_e] = False
    keep[val_e] = False
    if drop_reciprocal:
        keep &= ~reciprocal
    train_graph = g.filter_edges(keep)

    def pairs_for(edge_ids):
        pos_pairs = np.stack([src[edge_ids], dst[edge_ids]], 1)
        k = pos_pairs.shape[0]
        if task == "direction":
            pairs = np.concatenate([pos_pairs, pos_pairs[:, ::-1]])
            labels = np.concatenate([np.ones(k), np.zeros(k)])
        elif task == "existence":
            pairs = np.concatenate([pos_pairs, _non_edges(rng, keys, n, k)])
            labels = np.concatenate([np.ones(k), np.zeros(k)])
        else:
            pairs = np.concatenate([pos_pairs, pos_pairs[:, ::-1], _non_edges(rng, keys, n, k)])
            labels = np.concatenate([np.zeros(k), np.ones(k), np.full(k, 2)])
        perm = rng.permutation(pairs.shape[0])
        return np.ascontiguousarray(pairs[perm]).astype(np.int64), labels[perm].astype(np.int64)

    return {"train_graph": train_graph, "train": pairs_for(train_e), "val": pairs_for(val_e),
            "test": pairs_for(test_e), "task": task, "num_reciprocal_edges": int(reciprocal.sum())}


_NUM_CLASSES = {"existence": 2, "direction": 2, "three_class": 3}


def train_link_predictor(model, split: dict, x, *, epochs: int = 200, lr: float = 0.01, weight_decay: float = 0.0,
                         patience: int = 50, random_state=None, verbose: bool = False) -> dict:
    """Train a :class:`~graphsparse.directed.models.DirectedLinkPredictor` on a :func:`link_split`.

    1. The encoder reads only ``split['train_graph']`` (held-out edges are absent); its operators
       are built once (``model.build_operators``).
    2. Each epoch: one Adam step on the cross-entropy of ``split['train']``'s pairs; then
       validation accuracy on ``split['val']``. The epoch with the best validation accuracy is
       kept (ties: the earliest) and the model's weights are restored to it. Training stops once
       neither the validation accuracy nor the validation loss has improved for ``patience``
       epochs (the loss keeps improving through the initial plateau where accuracy sits at
       chance, so early stopping does not end a run before it starts learning).
    3. Returns ``{'task', 'val_acc', 'test_acc', 'best_epoch', 'epochs'}`` plus ``'val_auc'`` /
       ``'test_auc'`` (ROC-AUC of the class-1 probability) for the binary tasks
       (``'existence'``, ``'direction'``; chance is 0.5) -- ``'three_class'`` has chance 1/3.

    ``x``: ``(n, d)`` float node features (e.g. :func:`~graphsparse.directed.degree_features` of
    the training graph for featureless graphs). ``random_state`` (int) seeds torch's RNG for
    dropout inside a forked RNG state (the global state is left untouched).
    """
    import torch
    import torch.nn.functional as F

    if not isinstance(split, dict) or not all(key in split for key in ("train_graph", "train", "val", "test")):
        raise ValueError("split must be the dict returned by link_split (keys train_graph, train, val, test)")
    task = split.get("task", "direction")
    if task not in _TASKS:
        raise ValueError(f"split['task'] must be one of {_TASKS}, got {task!r}")
    num_classes = _NUM_CLASSES[task]
    if getattr(model, "num_classes", num_classes) != num_classes:
        raise ValueError(f"task {task!r} has {num_classes} classes but the model predicts {model.num_classes}")
    epochs = check_positive_int(epochs, "epochs")
    patience = check_positive_int(patience, "patience")
    lr = float(lr)
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a finite number > 0, got {lr}")
    graph = split["train_graph"]
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        raise TypeError("x must be a 2-D torch tensor of node features")
    if x.shape[0] != graph.num_nodes:
        raise ValueError(f"x has {x.shape[0]} rows but the graph has {graph.num_nodes} nodes")
    x = x.float()
    sets = {}
    for name in ("train", "val", "test"):
        pairs, labels = split[name]
        sets[name] = (torch.as_tensor(np.asarray(pairs, dtype=np.int64)), torch.as_tensor(np.asarray(labels)).long())
    if sets["train"][0].shape[0] == 0 or sets["val"][0].shape[0] == 0:
        raise ValueError("split has no training or no validation pairs")
    operators = model.build_operators(graph, graph.num_nodes)

    def evaluate_pairs(h, name):
        pairs, labels = sets[name]
        if pairs.shape[0] == 0:
            return float("nan"), float("nan"), float("nan")
        logits = model.decode(h, pairs)
        acc = (logits.argmax(1) == labels).float().mean().item()
        auc = float("nan")
        if num_classes == 2:
            auc = roc_auc(labels.numpy() == 1, torch.softmax(logits, 1)[:, 1].numpy())
        return acc, auc, F.cross_entropy(logits, labels).item()

    def loss_fn():
        return F.cross_entropy(model.decode(model.encode(x, operators), sets["train"][0]), sets["train"][1])

    def evaluate():
        h = model.encode(x, operators)
        val_acc, val_auc, val_loss = evaluate_pairs(h, "val")

        def on_best():
            test_acc, test_auc, _ = evaluate_pairs(h, "test")
            record = {"test_acc": test_acc}
            if num_classes == 2:
                record.update(val_auc=val_auc, test_auc=test_auc)
            return record

        return val_acc, val_loss, on_best

    from graphsparse.training import fit_full_batch

    with torch.random.fork_rng(devices=[]):
        if random_state is not None:
            torch.manual_seed(int(random_state))
        record = fit_full_batch(model, loss_fn, evaluate, epochs=epochs, lr=lr, weight_decay=weight_decay,
                                patience=patience, restore_best=True, verbose=verbose)
    model.eval()
    best = {"val_acc": record["val"], "test_acc": record["test_acc"], "best_epoch": record["epoch"]}
    if num_classes == 2:
        best.update(val_auc=record["val_auc"], test_auc=record["test_auc"])
    best["epochs"] = record["epochs"]
    best["history"] = record["history"]
    best["task"] = task
    return best
