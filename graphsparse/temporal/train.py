"""Streaming training and evaluation of NAT (protocol of the authors' code, see the spec).

* Chronological split at the 70 % / 85 % timestamp quantiles (train t <= q70 < val <= q85 < test).
* Inductive setting: 10 % of all nodes, drawn among the nodes active after q70, are masked; train
  and validation drop every edge touching them; the inductive test is the test edges with at
  least one masked node, scored after re-streaming ALL train + val edges (eval mode) from an empty
  memory.
* Each epoch resets the memory, streams the training edges in time order (batch ``batch_size``,
  one negative per positive), then streams the validation edges (batch ``eval_batch_size``, memory
  updated by them). Early stopping on validation AP (relative tolerance, patience), the best
  epoch's weights AND memory snapshot are restored, and the test edges stream on from there.
* Negatives (DyGLib definitions, Yu et al. 2023, made scalable - no set of all src x dst pairs):
  ``random``: source kept, destination uniform over the distinct destinations of the phase's
  pool, as the reference's ``RandEdgeSampler`` per mode (train: train dsts; val: train+val;
  transductive test: all; inductive test: the training and validation edges left after masking
  plus the inductive test edges -- the reference's inductive-mode ``test_rand_sampler``);
  ``historical``: up to half the batch drawn uniformly from the distinct (src, dst) pairs seen
  before the batch and absent from it, the rest random pairs;
  ``inductive``: as historical but from pairs seen before the batch, never in the training set.
* Metrics: AP and ROC-AUC per batch, averaged (as the reference reports), and global.
"""
from __future__ import annotations

import copy
import numbers
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from graphsparse._validation import check_fraction, check_positive_int
from graphsparse.metrics import average_precision, roc_auc
from graphsparse.temporal.data import TemporalEdges, as_temporal
from graphsparse.temporal.model import NAT

__all__ = ["chronological_split", "NegativeSampler", "NATTrainer", "evaluate_stream", "SplitIndices",
           "average_precision", "roc_auc"]

NEGATIVE_STRATEGIES = ("random", "historical", "inductive")


@dataclass
class SplitIndices:
    """Edge positions of each part of the stream (all sorted by time)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    inductive_test: np.ndarray
    train_all: np.ndarray          # train edges including the masked nodes' edges
    val_all: np.ndarray
    masked_nodes: np.ndarray
    val_time: float
    test_time: float


def chronological_split(edges: TemporalEdges, val_ratio=0.15, test_ratio=0.15, inductive_ratio=0.1,
                        seed=0) -> SplitIndices:
    """Split by timestamp quantiles and mask nodes for the inductive test (reference protocol).

    Events up to the ``1 - val_ratio - test_ratio`` time quantile train, up to ``1 - test_ratio``
    validate, the rest test; ``inductive_ratio * N`` nodes that appear after the training period are
    masked: their events leave training and validation, and the test events touching them form the
    inductive test.

    Parameters
    ----------
    edges : TemporalEdges or anything :func:`as_temporal` accepts
        The time-sorted stream.
    val_ratio, test_ratio : float in (0, 1), default=0.15
        Time-quantile shares of the validation and test parts (their sum < 1).
    inductive_ratio : float in [0, 1], default=0.1
        Share of the nodes to mask.
    seed : int, default=0
        Seed of the masked-node draw.

    Returns
    -------
    SplitIndices
        Event positions of each part (``train``, ``val``, ``test``, ``inductive_test``, ...),
        ``masked_nodes`` and the two split times.

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.temporal import chronological_split, toy_temporal_graph
    >>> edges = toy_temporal_graph(num_nodes=30, num_edges=300, seed=0)
    >>> split = chronological_split(edges, seed=0)
    >>> len(split.masked_nodes)  # 10% of 30 nodes
    3
    >>> bool(edges.t[split.train].max() <= split.val_time < edges.t[split.test].min())
    True
    >>> bool(np.isin(split.inductive_test, split.test).all())
    True
    """
    if not isinstance(edges, TemporalEdges):
        edges = as_temporal(edges)
    val_ratio = check_fraction(val_ratio, "val_ratio", low_inclusive=False)
    test_ratio = check_fraction(test_ratio, "test_ratio", low_inclusive=False)
    inductive_ratio = check_fraction(inductive_ratio, "inductive_ratio")
    if val_ratio + test_ratio >= 1:
        raise ValueError(f"val_ratio + test_ratio must be < 1, got {val_ratio + test_ratio}")
    if edges.num_edges < 3:
        raise ValueError(f"need at least 3 edges to split, got {edges.num_edges}")
    t = edges.t
    val_time, test_time = np.quantile(t, [1 - val_ratio - test_ratio, 1 - test_ratio])
    rng = np.random.default_rng(seed)
    late = np.unique(np.concatenate([edges.src[t > val_time], edges.dst[t > val_time]]))
    num_masked = min(int(inductive_ratio * edges.num_nodes), len(late))
    masked_nodes = np.sort(rng.choice(late, size=num_masked, replace=False)) if num_masked else late[:0]
    is_masked = np.zeros(edges.num_nodes, bool)
    is_masked[masked_nodes] = True
    touches = is_masked[edges.src] | is_masked[edges.dst]
    positions = np.arange(edges.num_edges)
    train_all = positions[t <= val_time]
    val_all = positions[(t > val_time) & (t <= test_time)]
    test = positions[t > test_time]
    return SplitIndices(train=train_all[~touches[train_all]], val=val_all[~touches[val_all]], test=test,
                        inductive_test=test[touches[test]], train_all=train_all, val_all=val_all,
                        masked_nodes=masked_nodes, val_time=float(val_time), test_time=float(test_time))


class NegativeSampler:
    """Random / historical / inductive negatives (DyGLib semantics) in O(E) memory.

    Distinct pairs are represented by their first occurrence in the stream (``pair = src * N + dst``),
    so "pairs seen before the batch" is a prefix of the first-occurrence list.

    Parameters
    ----------
    edges : TemporalEdges
        The whole stream.
    train_positions : int array
        Positions of the training events (the "inductive" negatives avoid their pairs).
    seed : int, default=0
        Each strategy draws from its own stream derived from ``seed``.

    Examples
    --------
    >>> from graphsparse.temporal import NegativeSampler, chronological_split, toy_temporal_graph
    >>> edges = toy_temporal_graph(num_nodes=30, num_edges=300, seed=0)
    >>> split = chronological_split(edges, seed=0)
    >>> sampler = NegativeSampler(edges, split.train, seed=0)
    >>> batch = split.test[:10]
    >>> neg_src, neg_dst = sampler.sample("historical", batch, None)
    >>> neg_src.shape, neg_dst.shape, int(neg_dst.max()) < edges.num_nodes
    ((10,), (10,), True)
    >>> neg_src, neg_dst = sampler.sample("random", batch, dst_pool=edges.dst)
    >>> bool((neg_src == edges.src[batch]).all())  # random negatives keep the sources
    True
    """

    def __init__(self, edges: TemporalEdges, train_positions: np.ndarray, seed=0):
        self.edges = edges
        # One independent stream per negative type, so that asking for more types never changes the
        # draws (and metrics) of another. ``random`` keeps the stream default_rng(seed) it always had.
        self.rng = np.random.default_rng(seed)
        self.rngs = {"random": self.rng,
                     "historical": np.random.default_rng([seed, 1]),
                     "inductive": np.random.default_rng([seed, 2])}
        num_nodes = edges.num_nodes
        pair = edges.src * np.int64(num_nodes) + edges.dst
        _, first = np.unique(pair, return_index=True)
        first = np.sort(first)
        self.first_position = first                     # positions of first occurrences, time order
        self.first_pair = pair[first]
        train_pairs = np.unique(pair[train_positions])
        self.first_in_train = np.isin(self.first_pair, train_pairs)
        self.pair = pair
        self.all_src = np.unique(edges.src)
        self.all_dst = np.unique(edges.dst)

    def random(self, src, dst_pool):
        """Keep the sources, draw destinations uniformly from ``dst_pool``."""
        return np.asarray(src), dst_pool[self.rng.integers(0, len(dst_pool), len(src))]

    def _from_history(self, batch_positions, exclude_train):
        rng = self.rngs["inductive" if exclude_train else "historical"]
        size = len(batch_positions)
        start = batch_positions[0]
        prefix = np.searchsorted(self.first_position, start)   # pairs first seen before the batch
        candidates = np.arange(prefix)
        if exclude_train:
            candidates = candidates[~self.first_in_train[:prefix]]
        batch_pairs = self.pair[batch_positions]
        want = size // 2
        chosen = np.zeros(0, np.int64)
        if len(candidates) and want:
            draw = rng.choice(candidates, size=min(len(candidates), 4 * want + 8), replace=False)
            draw = draw[~np.isin(self.first_pair[draw], batch_pairs)][:want]
            chosen = self.first_pair[draw]
        num_nodes = np.int64(self.edges.num_nodes)
        neg_src = chosen // num_nodes
        neg_dst = chosen % num_nodes
        rest = size - len(chosen)
        rand_src = self.all_src[rng.integers(0, len(self.all_src), rest)]
        rand_dst = self.all_dst[rng.integers(0, len(self.all_dst), rest)]
        return np.concatenate([neg_src, rand_src]), np.concatenate([neg_dst, rand_dst])

    def historical(self, batch_positions):
        return self._from_history(batch_positions, exclude_train=False)

    def inductive(self, batch_positions):
        return self._from_history(batch_positions, exclude_train=True)

    def sample(self, strategy, batch_positions, dst_pool):
        if strategy == "random":
            return self.random(self.edges.src[batch_positions], dst_pool)
        if strategy == "historical":
            return self.historical(batch_positions)
        if strategy == "inductive":
            return self.inductive(batch_positions)
        raise ValueError(f"negative strategy must be one of {NEGATIVE_STRATEGIES}, got {strategy!r}")


def _batch_metrics(pos, neg):
    labels = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    scores = np.concatenate([pos, neg])
    return average_precision(labels, scores), roc_auc(labels, scores)


def _progress(iterable, verbose, desc, total=None):
    """tqdm over ``iterable`` when ``verbose``: shown on a terminal or in a notebook, silent when stderr
    is redirected to a file (``disable=None``), refreshed at most once a second (no log flooding)."""
    if not verbose:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False, disable=None, mininterval=1.0)


def evaluate_stream(model: NAT, edges: TemporalEdges, positions, batch_size, sampler=None, dst_pool=None,
                    strategies=("random",), verbose=False, desc="eval"):
    """Stream ``positions`` (eval mode, memory updated), scoring each batch against negatives.

    Returns ``{strategy: {ap, auc (per-batch means), ap_global, auc_global, num_batches}}``.
    With ``sampler=None`` the edges are only absorbed (cache warm-up) and ``{}`` is returned.

    Each negative type has its own random stream (:class:`NegativeSampler`) and its own forward pass:
    the types other than the absorbing one (``random`` when asked for, else the first) are scored
    with the memory untouched, then the absorbing type's pass scores and writes the batch exactly as
    if it were the only type. So the ``random`` metrics are bit-identical whether or not other types
    are requested (same seed).
    """
    model.eval()
    strategies = tuple(strategies)
    scores = {name: ([], [], [], []) for name in strategies}   # pos, neg, batch ap, batch auc
    absorbing = "random" if "random" in strategies else (strategies[0] if strategies else None)
    order = [name for name in strategies if name != absorbing] + ([absorbing] if absorbing else [])
    starts = range(0, len(positions), batch_size)
    with torch.no_grad():
        for start in _progress(starts, verbose, desc):
            batch = positions[start:start + batch_size]
            src, dst, t, eids = edges.src[batch], edges.dst[batch], edges.t[batch], edges.edge_ids[batch]
            if sampler is None or not order:
                model(src, dst, t, eids)
                continue
            negs = {name: sampler.sample(name, batch, dst_pool) for name in strategies}
            for name in order:
                neg_src, neg_dst = negs[name]
                pos, neg = model(src, dst, t, eids, neg_src=np.asarray(neg_src)[None, :],
                                 neg_dst=np.asarray(neg_dst)[None, :], update_memory=name == absorbing)
                pos = torch.sigmoid(pos).numpy()
                neg = torch.sigmoid(neg[0]).numpy()
                ap, auc = _batch_metrics(pos, neg)
                record = scores[name]
                record[0].append(pos)
                record[1].append(neg)
                record[2].append(ap)
                record[3].append(auc)
    if sampler is None:
        return {}
    result = {}
    for name, (pos_list, neg_list, aps, aucs) in scores.items():
        if not aps:
            result[name] = {"ap": float("nan"), "auc": float("nan"), "ap_global": float("nan"),
                            "auc_global": float("nan"), "num_batches": 0}
            continue
        ap_global, auc_global = _batch_metrics(np.concatenate(pos_list), np.concatenate(neg_list))
        result[name] = {"ap": float(np.mean(aps)), "auc": float(np.mean(aucs)), "ap_global": float(ap_global),
                        "auc_global": float(auc_global), "num_batches": len(aps)}
    return result


class NATTrainer:
    """Train and evaluate NAT on one temporal network with the reference protocol.

    Too few events for the chronological split (an empty training, validation or test part) raise
    ``ValueError``; an empty inductive test (too few nodes to mask) warns and reports NaN metrics with
    ``num_batches=0``. Each negative type draws from its own random stream: requesting more
    ``test_negatives`` never changes the metrics of the others (see :func:`evaluate_stream`).

    Departure from the reference: ``patience`` defaults to 8 epochs, not 3. With lr 1e-4 the
    validation AP still climbs slowly when the reference stops. On CollegeMsg, patience 3 gave best
    epochs 3-20 and best validation AP 0.904-0.925 (5 seeds); patience 8 gave best epochs 8-36 and
    0.916-0.928 (10 seeds), with test AP 0.9341 -> 0.9424 transductive and 0.9171 -> 0.9201 inductive
    (``benchmarks/results/nat_collegemsg*.json``, docs/temporal.md). ``patience=3`` reproduces the
    reference. ``time_encoding='relative'`` (see :class:`NAT`) is an opt-in alternative.

    :meth:`fit` trains; :meth:`test` then returns ``{'transductive': {...}, 'inductive': {...}}``
    per negative strategy.

    Parameters
    ----------
    hop_sizes, value_dim, self_dim, pos_dim, time_dim, n_heads, dropout, pool_dropout, alpha, time_encoding : see NAT
        Model settings, as in :class:`NAT` (same defaults).
    lr : float, default=1e-4
        Adam learning rate.
    batch_size : int, default=100
        Events per training batch.
    eval_batch_size : int, default=32
        Events per validation / test batch.
    max_epochs : int, default=50
        Upper bound on the training epochs.
    patience : int, default=8
        Epochs without a validation-AP gain of more than ``tolerance`` before stopping (the
        reference: 3, see above).
    tolerance : float, default=1e-3
        Relative improvement that counts as a gain.
    val_ratio, test_ratio : float, default=0.15
        Time-quantile shares of the validation and test parts (:func:`chronological_split`).
    inductive_ratio : float, default=0.1
        Share of the nodes masked from training for the inductive test.
    test_negatives : sequence of {"random", "historical", "inductive"}, default=all three
        Negative strategies scored at test time.
    backend : {"numba", "torch"}, default="numba"
        N-cache backend.
    device : torch device, str or None, default=None
        Where the model (and the torch N-cache) lives (``None``: CPU).
    seed : int, default=0
        Seeds torch, the negative sampling and the cache.
    verbose : bool, default=True
        A line per epoch on stderr, the early stop and the restored best epoch announced there;
        tqdm bars on a terminal or notebook only -- none in a redirected log.

    Attributes
    ----------
    model_ : NAT
        The trained model, restored to the best validation epoch.
    split_ : SplitIndices
        The chronological split (event positions of each part, masked nodes).
    history_ : list of dict
        Per epoch: ``loss``, CPU and wall seconds of the training pass, validation metrics.
    best_epoch_ : int
        The epoch restored (1-based).
    edges_ : TemporalEdges
        The stream it was fitted on.

    Examples
    --------
    >>> from graphsparse.temporal import NATTrainer, toy_temporal_graph
    >>> edges = toy_temporal_graph(num_nodes=30, num_edges=300, seed=0)
    >>> trainer = NATTrainer(hop_sizes=(4, 2), self_dim=8, pos_dim=4, lr=1e-3, batch_size=50,
    ...                      max_epochs=2, verbose=False).fit(edges)
    >>> len(trainer.history_), 1 <= trainer.best_epoch_ <= 2
    (2, True)
    >>> result = trainer.test()
    >>> sorted(result["transductive"]), 0.0 <= result["transductive"]["random"]["ap"] <= 1.0
    (['historical', 'inductive', 'random'], True)
    """

    def __init__(self, hop_sizes=(32, 16), value_dim=4, self_dim=72, pos_dim=16, time_dim=1, n_heads=2,
                 dropout=0.1, pool_dropout="input", alpha=0.9, lr=1e-4, batch_size=100, eval_batch_size=32,
                 max_epochs=50,
                 patience=8, tolerance=1e-3, val_ratio=0.15, test_ratio=0.15, inductive_ratio=0.1,
                 test_negatives=NEGATIVE_STRATEGIES, backend="numba", device=None, seed=0, verbose=True,
                 time_encoding="absolute"):
        self.hop_sizes = hop_sizes
        self.value_dim = value_dim
        self.self_dim = self_dim
        self.pos_dim = pos_dim
        self.time_dim = time_dim
        self.n_heads = n_heads
        self.dropout = dropout
        self.pool_dropout = pool_dropout
        self.alpha = alpha
        self.lr = lr
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.tolerance = tolerance
        self.val_ratio = val_ratio
        self.test_ratio = test_ratio
        self.inductive_ratio = inductive_ratio
        self.test_negatives = test_negatives
        self.backend = backend
        self.device = device
        self.seed = seed
        self.verbose = verbose
        self.time_encoding = time_encoding

    def get_params(self, deep=True):
        return {name: getattr(self, name) for name in (
            "hop_sizes", "value_dim", "self_dim", "pos_dim", "time_dim", "n_heads", "dropout", "pool_dropout",
            "alpha", "lr",
            "batch_size", "eval_batch_size", "max_epochs", "patience", "tolerance", "val_ratio", "test_ratio",
            "inductive_ratio", "test_negatives", "backend", "device", "seed", "verbose", "time_encoding")}

    def set_params(self, **params):
        for name, value in params.items():
            if name not in self.get_params():
                raise ValueError(f"unknown parameter {name!r} for NATTrainer")
            setattr(self, name, value)
        return self

    def _log(self, message):
        if self.verbose:
            print(message, file=sys.stderr, flush=True)  # stdout stays clean for JSON

    def _check_params(self):
        if isinstance(self.test_negatives, str):
            self.test_negatives = (self.test_negatives,)
        try:
            negatives = tuple(self.test_negatives)
        except TypeError:
            raise TypeError(f"test_negatives must be a tuple of strategy names, got {self.test_negatives!r}") from None
        if not negatives:
            raise ValueError(f"test_negatives must name at least one of {NEGATIVE_STRATEGIES}")
        for name in negatives:
            if name not in NEGATIVE_STRATEGIES:
                raise ValueError(f"test_negatives must be drawn from {NEGATIVE_STRATEGIES}, got {name!r}")
        if len(set(negatives)) != len(negatives):
            raise ValueError(f"test_negatives lists a strategy twice: {negatives}")
        for name in ("lr", "tolerance"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or (
                    value <= 0 if name == "lr" else value < 0):
                raise ValueError(f"{name} must be a finite number {'> 0' if name == 'lr' else '>= 0'}, got {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")

    def fit(self, data, callback=None) -> "NATTrainer":
        """Train with early stopping; ``callback(epoch_record)`` is called after every epoch."""
        check_positive_int(self.batch_size, "batch_size")
        check_positive_int(self.eval_batch_size, "eval_batch_size")
        check_positive_int(self.max_epochs, "max_epochs")
        check_positive_int(self.patience, "patience")
        self._check_params()
        edges = data if isinstance(data, TemporalEdges) else as_temporal(data)
        self.edges_ = edges
        torch.manual_seed(self.seed)
        self.split_ = split = chronological_split(edges, self.val_ratio, self.test_ratio, self.inductive_ratio,
                                                  seed=self.seed)
        parts = {"training": len(split.train), "validation": len(split.val), "test": len(split.test)}
        if min(parts.values()) == 0:
            raise ValueError(
                f"too few events: the chronological split of {edges.num_edges} events at the "
                f"{1 - self.val_ratio - self.test_ratio:.0%} / {1 - self.test_ratio:.0%} time quantiles left "
                + ", ".join(f"{count} {name}" for name, count in parts.items())
                + " events (after masking the inductive nodes); NAT needs at least one event in each part "
                "(more events, or events at more distinct times)")
        if self.inductive_ratio > 0 and len(split.inductive_test) == 0:
            warnings.warn(f"the inductive test has no events ({len(split.masked_nodes)} masked nodes from "
                          f"inductive_ratio={self.inductive_ratio} x {edges.num_nodes} nodes): its metrics will be "
                          "NaN with num_batches=0; use more nodes or inductive_ratio=0", UserWarning, stacklevel=2)
        self.sampler_ = NegativeSampler(edges, split.train, seed=self.seed + 1)
        self.pools_ = {"train": np.unique(edges.dst[split.train]),
                       "val": np.unique(edges.dst[np.concatenate([split.train, split.val])]),
                       "test": np.unique(edges.dst),
                       "inductive_test": np.unique(edges.dst[np.concatenate([split.train, split.val,
                                                                             split.inductive_test])])}
        model = NAT(edges.num_nodes, node_features=edges.node_features, edge_features=edges.edge_features,
                    hop_sizes=self.hop_sizes, value_dim=self.value_dim, alpha=self.alpha, self_dim=self.self_dim,
                    pos_dim=self.pos_dim, time_dim=self.time_dim, n_heads=self.n_heads, dropout=self.dropout,
                    pool_dropout=self.pool_dropout, seed=self.seed, backend=self.backend, device=self.device,
                    time_encoding=self.time_encoding)
        self.model_ = model
        optimizer = torch.optim.Adam(model.parameters(), lr=self.lr)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        self.history_ = []
        best_ap, best_epoch, rounds = -np.inf, -1, 0
        best_weights = best_memory = None
        for epoch in range(self.max_epochs):
            model.reset_memory()
            model.train()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            losses = []
            starts = range(0, len(split.train), self.batch_size)
            for start in _progress(starts, self.verbose, f"epoch {epoch}"):
                batch = split.train[start:start + self.batch_size]
                src, dst = edges.src[batch], edges.dst[batch]
                _, neg_dst = self.sampler_.random(src, self.pools_["train"])
                optimizer.zero_grad()
                pos, neg = model(src, dst, edges.t[batch], edges.edge_ids[batch], neg_dst=neg_dst)
                loss = loss_fn(pos, torch.ones_like(pos)) + loss_fn(neg, torch.zeros_like(neg))
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            train_cpu, train_wall = time.process_time() - cpu0, time.perf_counter() - wall0
            cpu0, wall0 = time.process_time(), time.perf_counter()
            val = evaluate_stream(model, edges, split.val, self.eval_batch_size, self.sampler_, self.pools_["val"],
                                  ("random",))["random"]
            record = {"epoch": epoch, "loss": float(np.mean(losses)), "train_cpu_s": train_cpu,
                      "train_wall_s": train_wall, "val_cpu_s": time.process_time() - cpu0,
                      "val_wall_s": time.perf_counter() - wall0, "val": val}
            self.history_.append(record)
            self._log(f"epoch {epoch}: loss {record['loss']:.4f} val AP {val['ap']:.4f} AUC {val['auc']:.4f} "
                      f"(train {train_cpu:.1f} CPU-s / {train_wall:.1f} s)")
            if callback is not None:
                callback(record)
            if best_epoch < 0 or (val["ap"] - best_ap) / max(abs(best_ap), 1e-12) > self.tolerance:
                best_ap, best_epoch, rounds = val["ap"], epoch, 0
                best_weights = copy.deepcopy(model.state_dict())
                best_memory = model.memory_state()
            else:
                rounds += 1
                if rounds >= self.patience:
                    self._log(f"early stopping at epoch {epoch}: validation AP did not improve by more than "
                              f"{self.tolerance:g} (relative) for {self.patience} epochs")
                    break
        self.stopped_early_ = rounds >= self.patience
        self._log(f"restoring epoch {best_epoch} (best validation AP {best_ap:.4f}): its weights and memory")
        model.load_state_dict(best_weights)
        model.load_memory_state(best_memory)
        self.best_epoch_ = best_epoch
        self.best_val_ap_ = best_ap
        self._best_memory = best_memory
        return self

    def test(self) -> dict:
        """Transductive test (stream on from the best epoch's state) and inductive test."""
        if not hasattr(self, "model_"):
            raise RuntimeError("call fit() before test()")
        model, edges, split = self.model_, self.edges_, self.split_
        strategies = tuple(self.test_negatives)
        model.load_memory_state(self._best_memory)
        transductive = evaluate_stream(model, edges, split.test, self.eval_batch_size, self.sampler_,
                                       self.pools_["test"], strategies, self.verbose, "test")
        model.reset_memory()
        warm = np.concatenate([split.train_all, split.val_all])
        evaluate_stream(model, edges, warm, self.eval_batch_size, verbose=self.verbose, desc="warm-up")
        inductive = evaluate_stream(model, edges, split.inductive_test, self.eval_batch_size, self.sampler_,
                                    self.pools_["inductive_test"], strategies, self.verbose, "inductive test")
        self.test_results_ = {"transductive": transductive, "inductive": inductive,
                              "best_epoch": self.best_epoch_, "best_val_ap": self.best_val_ap_}
        return self.test_results_
