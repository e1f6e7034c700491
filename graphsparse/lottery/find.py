"""Finding graph lottery tickets: TEDDY (one-shot), UGS (iterative) and random pruning.

A *graph lottery ticket* (Chen et al., "A Unified Lottery Ticket Hypothesis for Graph Neural
Networks", ICML 2021) is a sparse graph ``A (.) m_g`` plus sparse weights ``theta (.) m_theta``
that train to the accuracy of the dense pair. Levels follow the UGS protocol: level ``r`` has
graph sparsity ``s_g = 1 - (1 - p_g)^r`` and weight sparsity ``s_w = 1 - (1 - p_w)^r``
(``p_g = 0.05``, ``p_w = 0.2``: 35.85% of edges and 1.15% of weights left at ``r = 20``).

* ``method="teddy"`` (Seo et al., ICLR 2024): score edges once with
  :func:`graphsparse.sparsify.teddy_edge_scores` (O(E)), drop the lowest; train a dense teacher
  once on the full graph; then, per level, train a fresh model (same seed) on the sparse graph
  with projected gradient descent onto the l0 ball (:func:`l0_project_`, every step, over ALL
  parameters) and the distillation loss ``CE + lamb * KL(teacher || student)`` (``lamb=10``).
* ``method="ugs"``: 20 rounds of joint mask training (edge-list mask, one entry per undirected
  edge -- never an N x N matrix), pruning 5% of alive edges and 20% of alive weights per round,
  each round restarting from the rewound initial weights; the reported accuracy at a level is
  that of the rewound weights retrained with the fixed masks.
* ``method="random"``: per level, a random set of undirected edges (nested across levels) and
  a random fraction ``s_w`` of each weight matrix, trained with fixed masks.
"""
from __future__ import annotations

import math
import time

import numpy as np
import torch

from graphsparse._validation import check_fraction, check_positive_int, check_real
from graphsparse.lottery.models import make_model
from graphsparse.lottery.projection import prunable_parameters
from graphsparse.lottery.ticket import GraphLotteryTicket
from graphsparse.lottery.train import prepare_data, train_fixed, ugs_mask_search
from graphsparse.sparsify.core import edge_keep_masks, num_pruned_pairs

__all__ = ["find_ticket", "find_tickets", "ugs_levels", "METHODS"]

METHODS = ("teddy", "ugs", "random")


def ugs_levels(levels, p_g: float = 0.05, p_w: float = 0.2) -> list:
    """``[(1 - (1 - p_g)^r, 1 - (1 - p_w)^r) for r in levels]`` -- the UGS sparsity schedule."""
    p_g = check_fraction(p_g, "p_g")
    p_w = check_fraction(p_w, "p_w")
    out = []
    for r in levels:
        r = check_positive_int(r, "level", allow_zero=True)
        out.append((1 - (1 - p_g) ** r, 1 - (1 - p_w) ** r))
    return out


def _pairs(edge_index: torch.Tensor, num_nodes: int):
    """Undirected pair id of every column, number of non-loop pairs, and which pairs are loops."""
    from graphsparse.graph import as_graph

    columns = edge_index.numpy()
    g = as_graph(columns, num_nodes=num_nodes, name="data.edge_index")
    if g.directed:
        raise ValueError("data.edge_index is directed; ticket finding prunes undirected edges -- symmetrise it "
                         "first (torch_geometric.utils.to_undirected)")
    canonical = g.canonical_edges()
    pair_of_csr = g.pair_ids()
    positions = g.locate(columns[0], columns[1])
    canonical_ids = np.flatnonzero(canonical == np.arange(canonical.shape[0]))
    is_loop = g.sources()[canonical_ids] == g.indices[canonical_ids]
    pair_of_column = pair_of_csr[positions]
    return torch.from_numpy(pair_of_column), torch.from_numpy(is_loop)


def _achieved_edge_sparsity(edge_mask: np.ndarray, pair_of_column, is_loop) -> float:
    kept_pairs = np.zeros(is_loop.shape[0], dtype=bool)
    kept_pairs[pair_of_column.numpy()[edge_mask]] = True
    prunable = ~is_loop.numpy()
    total = int(prunable.sum())
    return 0.0 if total == 0 else 1.0 - float(kept_pairs[prunable].sum()) / total


def _weight_support(state: dict, names) -> dict:
    return {name: (state[name] != 0).numpy() for name in names}


def _weight_sparsity(masks: dict) -> float:
    total = sum(m.size for m in masks.values())
    return 0.0 if total == 0 else 1.0 - sum(int(m.sum()) for m in masks.values()) / total


def _make(model, td, seed):
    torch.manual_seed(seed)
    if isinstance(model, str):
        net = make_model(model, td.x.size(1), td.num_classes)
    elif callable(model):
        net = model()
    else:
        raise TypeError(f"model must be a backbone name ('gcn', 'gat', 'gin') or a callable returning an "
                        f"nn.Module, got {type(model).__name__}")
    if not isinstance(net, torch.nn.Module):
        raise TypeError(f"model() must return a torch.nn.Module, got {type(net).__name__}")
    if sum(p.numel() for p in net.parameters() if p.requires_grad) == 0:
        raise ValueError("the model has no trainable parameters to sparsify")
    return net


def _state_numpy(state: dict) -> dict:
    return {k: v.detach().cpu().numpy().copy() for k, v in state.items()}


def find_tickets(model, data, levels, method: str = "teddy", *, distill: bool = True, lamb: float = 10.0,
                 epochs: int = 200, lr: float = 0.01, weight_decay: float = 5e-4, seed: int = 0, split: int = 0,
                 metric: str = "auto", p_g: float = 0.05, p_w: float = 0.2, ugs_s1: float = 0.0,
                 ugs_s2: float = 0.0, ugs_mask_weight_decay: float = 0.0, include_dense: bool = False, verbose: bool = True, on_ticket=None) -> list:
    """Tickets at several ``levels`` ``[(edge_sparsity, weight_sparsity), ...]`` (increasing).

    Parameters
    ----------
    model
        ``"gcn"``/``"gat"``/``"gin"`` (see :mod:`graphsparse.lottery.models`) or a zero-argument
        callable returning a fresh ``nn.Module`` with ``forward(x, edge_index, edge_weight=None)``
        (called after ``torch.manual_seed(seed)``, so every level starts from the same init).
    data
        PyG ``Data``: ``x``, ``y``, undirected ``edge_index``, ``train_mask``/``val_mask``/
        ``test_mask`` (2-D masks: column ``split`` is used).
    levels
        Target (edge, weight) sparsities, e.g. :func:`ugs_levels` ``([1, 5, 10, 15, 20])``. For
        ``"ugs"`` they must lie on the schedule of ``p_g``/``p_w`` rounds (UGS passes through
        every round up to the last level).
    method
        ``"teddy"``, ``"ugs"`` or ``"random"``.
    distill, lamb
        TEDDY's distillation term (``lamb`` = 10 as the authors' README).
    ugs_s1, ugs_s2, ugs_mask_weight_decay
        ``"ugs"`` only: weights of the l1 sub-gradients ``s1 sign(m_g)`` (edge mask) and
        ``s2 sign(m_theta)`` (weight masks), and Adam's weight decay on the masks (0: none, a
        departure from the reference code, see :func:`graphsparse.lottery.train.ugs_mask_search`).
        Defaults ``0, 0, 0``: with Adam, any ``s`` above the loss gradient of a mask entry (median
        1e-8 to 2e-7 on the shared graphs) only shrinks every mask by ``lr`` per epoch, and the
        per-round pruning count, not the l1 term, sets the sparsity; measured against random
        pruning on Cora, CiteSeer and squirrel (``benchmarks/results/ugs_defaults.json``;
        docs/lottery.md, "Choosing UGS coefficients"). The authors' Cora/CiteSeer GCN values
        are ``ugs_s1=ugs_s2=1e-2``.
    include_dense
        Also return the dense model (teacher for TEDDY) as a ``method="dense"`` ticket first.
    on_ticket
        Optional callback ``on_ticket(ticket)`` after each ticket (e.g. to save partial results).

    Returns
    -------
    list of :class:`GraphLotteryTicket` (the dense one first when ``include_dense``).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    levels = [(check_fraction(s_g, "edge_sparsity"), check_fraction(s_w, "weight_sparsity")) for s_g, s_w in levels]
    if not levels:
        raise ValueError("levels must not be empty")
    epochs = check_positive_int(epochs, "epochs")
    lr = check_real(lr, "lr")
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    for name, value in (("weight_decay", weight_decay), ("ugs_s1", ugs_s1), ("ugs_s2", ugs_s2),
                        ("ugs_mask_weight_decay", ugs_mask_weight_decay)):
        if check_real(value, name) < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    td = prepare_data(data, split=split, metric=metric)
    pair_of_column, is_loop = _pairs(td.edge_index, td.num_nodes)
    config = dict(method=method, distill=bool(distill), lamb=float(lamb), epochs=epochs, lr=lr,
                  weight_decay=weight_decay, seed=seed, split=split, p_g=p_g, p_w=p_w,
                  model=model if isinstance(model, str) else getattr(model, "__name__", type(model).__name__))
    if method == "ugs":
        config.update(ugs_s1=ugs_s1, ugs_s2=ugs_s2, ugs_mask_weight_decay=ugs_mask_weight_decay)
    base_model = _make(model, td, seed)
    theta0 = {k: v.clone() for k, v in base_model.state_dict().items()}
    param_names_all = [name for name, _ in prunable_parameters(base_model, "all")]
    param_names_weights = [name for name, _ in prunable_parameters(base_model, "weights")]
    if method != "teddy" and not param_names_weights:
        raise ValueError("the model has no weight matrices (parameters with ndim >= 2) to mask")
    total_steps = epochs * (len(levels) + (1 if (method == "teddy" or include_dense) else 0))
    if method == "ugs":
        num_rounds = _ugs_rounds(levels, p_g, p_w)
        total_steps = epochs * (num_rounds + len(levels) + (1 if include_dense else 0))
    from tqdm.auto import tqdm

    progress = tqdm(total=total_steps, desc=f"{method} tickets", disable=not verbose, leave=False)
    tickets = []

    def emit(ticket):
        tickets.append(ticket)
        if on_ticket is not None:
            on_ticket(ticket)

    def make_ticket(kind, record, edge_mask, weight_masks, target, timings):
        return GraphLotteryTicket(
            method=kind, edge_mask=edge_mask, weight_masks=weight_masks, state_dict=_state_numpy(record["state"]),
            edge_sparsity=_achieved_edge_sparsity(edge_mask, pair_of_column, is_loop),
            weight_sparsity=_weight_sparsity(weight_masks), target_edge_sparsity=float(target[0]),
            target_weight_sparsity=float(target[1]), test_score=float(record["test"]), val_score=float(record["val"]),
            best_epoch=int(record["epoch"]), metric=td.metric, seed=int(seed), num_nodes=td.num_nodes,
            timings=timings, config=dict(config))

    full_mask = np.ones(td.edge_index.size(1), dtype=bool)
    teacher_logits, teacher_seconds, teacher_cpu = None, 0.0, 0.0
    if method == "teddy" or include_dense:
        net = _make(model, td, seed)
        record = train_fixed(net, td, td.edge_index, epochs=epochs, lr=lr, weight_decay=weight_decay, seed=seed,
                             progress=progress)
        teacher_logits, teacher_seconds, teacher_cpu = record["logits"], record["seconds"], record["cpu_seconds"]
        if include_dense:
            names = param_names_all if method == "teddy" else param_names_weights
            emit(make_ticket("dense", record, full_mask, _weight_support(record["state"], names), (0.0, 0.0),
                             {"train": record["seconds"], "total": record["seconds"],
                              "total_cpu": record["cpu_seconds"]}))

    if method in ("teddy", "random"):
        start, cpu_start = time.perf_counter(), time.process_time()
        edge_masks = edge_keep_masks(td.edge_index.numpy(), [s for s, _ in levels], method,
                                     num_nodes=td.num_nodes, random_state=seed)
        scoring_seconds, scoring_cpu = time.perf_counter() - start, time.process_time() - cpu_start
        for (s_g, s_w), edge_mask in zip(levels, edge_masks):
            net = _make(model, td, seed)
            pruned = td.edge_index[:, torch.from_numpy(edge_mask)]
            if method == "teddy":
                record = train_fixed(net, td, pruned, epochs=epochs, lr=lr, weight_decay=weight_decay,
                                     weight_sparsity=s_w, projection="all",
                                     teacher_logits=teacher_logits if distill else None,
                                     lamb=lamb if distill else 0.0, seed=seed, progress=progress)
                weight_masks = _weight_support(record["state"], param_names_all)
                timings = {"scoring": scoring_seconds, "teacher": teacher_seconds, "train": record["seconds"],
                           "total": scoring_seconds + teacher_seconds + record["seconds"],
                           "total_cpu": scoring_cpu + teacher_cpu + record["cpu_seconds"]}
            else:
                fixed = _random_weight_masks(base_model, param_names_weights, s_w, seed)
                record = train_fixed(net, td, pruned, epochs=epochs, lr=lr, weight_decay=weight_decay,
                                     fixed_masks=fixed, seed=seed, progress=progress)
                weight_masks = {k: v.numpy() for k, v in fixed.items()}
                timings = {"scoring": scoring_seconds, "train": record["seconds"],
                           "total": scoring_seconds + record["seconds"],
                           "total_cpu": scoring_cpu + record["cpu_seconds"]}
            emit(make_ticket(method, record, edge_mask, weight_masks, (s_g, s_w), timings))
    else:
        _find_ugs(model, td, levels, base_model, theta0, param_names_weights, pair_of_column, is_loop,
                  epochs, lr, weight_decay, seed, p_g, p_w, ugs_s1, ugs_s2, ugs_mask_weight_decay, progress, make_ticket,
                  emit)
    progress.close()
    return tickets


def _ugs_rounds(levels, p_g, p_w) -> int:
    rounds = []
    for s_g, s_w in levels:
        r_g = math.log(1 - s_g) / math.log(1 - p_g) if p_g > 0 else 0.0
        r_w = math.log(1 - s_w) / math.log(1 - p_w) if p_w > 0 else 0.0
        r = max(r_g, r_w)
        if abs(r - round(r)) > 1e-6 or (p_g > 0 and p_w > 0 and abs(r_g - r_w) > 1e-6):
            raise ValueError(f"UGS level ({s_g}, {s_w}) is not on the schedule 1 - (1 - p)^r with p_g={p_g}, "
                             f"p_w={p_w}; use ugs_levels(...)")
        rounds.append(int(round(r)))
    if rounds != sorted(rounds):
        raise ValueError("levels must be given in increasing order")
    return rounds[-1] if rounds else 0


def _random_weight_masks(model, names, weight_sparsity, seed) -> dict:
    generator = torch.Generator().manual_seed(seed + 7919)
    params = dict(model.named_parameters())
    masks = {}
    for name in names:
        draws = torch.rand(params[name].shape, generator=generator)
        num_zero = math.ceil(draws.numel() * weight_sparsity - 1e-9)
        keep = torch.ones(draws.numel(), dtype=torch.bool)
        if num_zero:
            keep[torch.argsort(draws.reshape(-1), stable=True)[:num_zero]] = False
        masks[name] = keep.view(draws.shape)
    return masks


def _find_ugs(model, td, levels, base_model, theta0, weight_names, pair_of_column, is_loop, epochs, lr,
              weight_decay, seed, p_g, p_w, s1, s2, mask_weight_decay, progress, make_ticket, emit):
    num_pairs = is_loop.numel()
    prunable_pairs = int((~is_loop).sum())
    num_weights = sum(dict(base_model.named_parameters())[n].numel() for n in weight_names)
    wanted = {round(_ugs_rounds([level], p_g, p_w)): level for level in levels}
    last_round = max(wanted)
    edge_alive = torch.ones(num_pairs, dtype=torch.bool)
    weight_alive = {n: torch.ones_like(dict(base_model.named_parameters())[n], dtype=torch.bool) for n in weight_names}
    search_seconds, search_cpu = 0.0, 0.0
    for r in range(1, last_round + 1):
        s_g, s_w = 1 - (1 - p_g) ** r, 1 - (1 - p_w) ** r
        net = _make(model, td, seed)
        net.load_state_dict(theta0)
        start, cpu_start = time.perf_counter(), time.process_time()
        edge_target_alive = prunable_pairs - num_pruned_pairs(prunable_pairs, s_g)
        edge_alive, weight_alive = ugs_mask_search(
            net, td, pair_of_column, edge_alive, weight_alive, edge_target_alive=edge_target_alive, protected=is_loop,
            weight_target_zeros=math.ceil(num_weights * s_w - 1e-9), epochs=epochs, lr=lr,
            weight_decay=weight_decay, s1=s1, s2=s2, seed=seed, mask_weight_decay=mask_weight_decay, progress=progress)
        search_seconds += time.perf_counter() - start
        search_cpu += time.process_time() - cpu_start
        if r in wanted:
            net = _make(model, td, seed)
            net.load_state_dict(theta0)  # rewinding
            edge_mask = edge_alive[pair_of_column].numpy()
            record = train_fixed(net, td, td.edge_index[:, torch.from_numpy(edge_mask)], epochs=epochs, lr=lr,
                                 weight_decay=weight_decay, fixed_masks=weight_alive, seed=seed, progress=progress)
            timings = {"mask_search": search_seconds, "train": record["seconds"],
                       "total": search_seconds + record["seconds"],
                       "total_cpu": search_cpu + record["cpu_seconds"], "rounds": r}
            emit(make_ticket("ugs", record, edge_mask, {k: v.numpy().copy() for k, v in weight_alive.items()},
                             wanted[r], timings))


def find_ticket(model, data, edge_sparsity: float, weight_sparsity: float, method: str = "teddy", **kwargs):
    """One ticket at ``(edge_sparsity, weight_sparsity)``; see :func:`find_tickets` for the options.

    For ``"ugs"`` the target must be on the round schedule (``ugs_levels``); UGS runs all rounds
    up to it.

    Parameters
    ----------
    model : {"gcn", "gat", "gin"} or callable
        Backbone name or a zero-argument factory of a fresh ``nn.Module`` (see :func:`find_tickets`).
    data : torch_geometric.data.Data
        Node-classification graph with ``x``, ``y``, ``edge_index`` and split masks.
    edge_sparsity : float in [0, 1)
        Target fraction of undirected non-loop edges to remove.
    weight_sparsity : float in [0, 1)
        Target fraction of zero entries over the masked weight matrices.
    method : {"teddy", "ugs", "random", "dense"}, default="teddy"
        How the ticket is found (module doc).
    **kwargs
        Any keyword option of :func:`find_tickets` (``epochs``, ``lr``, ``seed``, ``verbose`` ...).

    Returns
    -------
    GraphLotteryTicket

    Examples
    --------
    >>> from graphsparse.datasets import contextual_sbm
    >>> from graphsparse.lottery import find_ticket
    >>> data = contextual_sbm(60, num_classes=2, avg_degree=4, seed=0)
    >>> ticket = find_ticket("gcn", data, 0.2, 0.2, epochs=3, verbose=False)
    >>> ticket.edge_mask.shape == (data.edge_index.size(1),), round(ticket.edge_sparsity, 2)
    (True, 0.2)
    >>> sorted(ticket.weight_masks), round(ticket.weight_sparsity, 2)
    (['conv1.lin.weight', 'conv2.lin.weight'], 0.2)
    """
    tickets = find_tickets(model, data, [(edge_sparsity, weight_sparsity)], method, **kwargs)
    return tickets[-1]
