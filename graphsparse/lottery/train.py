"""Full-batch training loops for ticket finding (node classification, transductive).

* :func:`prepare_data` -- features/labels/split indices from a PyG ``Data``;
* :func:`train_fixed` -- train a model on a fixed (pruned) graph for ``epochs`` steps of Adam,
  optionally (a) projecting onto the l0 ball after every step (TEDDY), (b) enforcing fixed
  weight masks (UGS retraining, random baseline), (c) distilling the dense teacher's logits::

      L = CE(Z[train], y[train]) + lamb * KL(softmax(Z_teacher) || softmax(Z)) / N

  and report the test score at the best validation epoch (ties -> the later epoch);
* :func:`ugs_mask_search` -- one UGS round (Chen et al., ICML 2021, Alg. 1): train weights,
  an edge-list graph mask and weight masks jointly with an l1 sub-gradient, then prune the
  lowest-magnitude alive mask entries to the next level.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.func import functional_call

from graphsparse.lottery.projection import l0_project_
from graphsparse.torch_ops import to_sparse_features
from graphsparse.training import check_labels, fit_full_batch, fit_node_classifier, score, split_masks

__all__ = ["TrainingData", "prepare_data", "train_fixed", "ugs_mask_search", "score"]


@dataclass
class TrainingData:
    x: torch.Tensor            # dense float32 features
    x_sparse: torch.Tensor | None  # CSR copy when the features are sparse enough
    y: torch.Tensor
    train_index: torch.Tensor
    val_index: torch.Tensor
    test_index: torch.Tensor
    edge_index: torch.Tensor
    num_nodes: int
    num_classes: int
    metric: str

    def features_for(self, model) -> torch.Tensor:
        if self.x_sparse is not None and getattr(model, "sparse_features", False):
            return self.x_sparse
        return self.x


def prepare_data(data, split: int = 0, metric: str = "auto", sparse_features: bool | str = "auto") -> TrainingData:
    """Collect what training needs from a PyG ``Data`` with ``x``, ``y``, ``edge_index`` and
    ``train_mask``/``val_mask``/``test_mask`` (2-D masks: column ``split``).

    ``metric="auto"``: ROC-AUC for two classes, accuracy otherwise.
    """
    for key in ("x", "y", "edge_index"):
        if getattr(data, key, None) is None:
            raise ValueError(f"data.{key} is required")
    x = data.x.float()
    if x.dim() != 2:
        raise ValueError(f"data.x must be 2-D (num_nodes, num_features), got shape {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError("data.x must be finite")
    num_nodes = x.size(0)
    masks = split_masks(data, split, num_nodes=num_nodes)
    y = check_labels(data.y.view(-1), masks)
    if y.size(0) != num_nodes:
        raise ValueError(f"data.y has {y.size(0)} entries but data.x has {num_nodes} rows")
    num_classes = int(y.max()) + 1
    if metric == "auto":
        metric = "roc_auc" if num_classes == 2 else "accuracy"
    if metric not in ("accuracy", "roc_auc"):
        raise ValueError(f"metric must be 'auto', 'accuracy' or 'roc_auc', got {metric!r}")
    x_sparse = None
    density = float((x != 0).float().mean())
    if sparse_features is True or (sparse_features == "auto" and density < 0.1):
        x_sparse = to_sparse_features(x)
    return TrainingData(x=x, x_sparse=x_sparse, y=y,
                        train_index=masks[0].nonzero().view(-1), val_index=masks[1].nonzero().view(-1),
                        test_index=masks[2].nonzero().view(-1),
                        edge_index=data.edge_index.long(), num_nodes=num_nodes, num_classes=num_classes,
                        metric=metric)


def _graph_args(model, edge_index, num_nodes):
    prepare = getattr(model, "prepare_graph", None)
    if prepare is not None:
        return prepare(edge_index, None, num_nodes)
    return edge_index, None


def train_fixed(model, td: TrainingData, edge_index, *, epochs: int = 200, lr: float = 0.01,
                weight_decay: float = 5e-4, weight_sparsity: float = 0.0, projection: str = "all",
                fixed_masks: dict | None = None, teacher_logits: torch.Tensor | None = None, lamb: float = 0.0,
                seed: int = 0, progress=None) -> dict:
    """Train ``model`` on the graph ``edge_index``; return the record of the best validation epoch.

    ``weight_sparsity > 0`` projects every step onto the l0 ball over ``projection``
    (``"all"`` parameters or ``"weights"``); ``fixed_masks`` ({name: bool tensor}) zero fixed
    entries after every step instead. The record holds ``val``, ``test``, ``epoch``,
    ``logits`` (eval-mode, at the best epoch), ``state`` (a copy of the weights) and ``seconds``.
    """
    start, cpu_start = time.perf_counter(), time.process_time()
    x = td.features_for(model)
    graph_args = _graph_args(model, edge_index, td.num_nodes)
    params = dict(model.named_parameters())
    masks = None
    if fixed_masks is not None:
        masks = {name: torch.as_tensor(mask).to(torch.bool) for name, mask in fixed_masks.items()}
        with torch.no_grad():
            for name, mask in masks.items():
                params[name].mul_(mask)
    extra_loss = None
    if teacher_logits is not None and lamb > 0:
        teacher_probability = torch.softmax(teacher_logits, 1)

        def extra_loss(logits):
            return lamb * F.kl_div(F.log_softmax(logits, 1), teacher_probability, reduction="sum") / logits.size(0)

    def after_step(model):
        if weight_sparsity > 0:
            l0_project_(model, weight_sparsity, projection)
        if masks is not None:
            with torch.no_grad():
                for name, mask in masks.items():
                    params[name].mul_(mask)

    record = fit_node_classifier(model, lambda: model(x, *graph_args), td.y,
                                 (td.train_index, td.val_index, td.test_index), epochs=epochs, lr=lr,
                                 weight_decay=weight_decay, metric=td.metric, ties="last", extra_loss=extra_loss,
                                 after_step=after_step, keep_logits=True, keep_state=True, seed=seed,
                                 progress=progress)
    best = {"val": record["val"], "test": record["test"], "epoch": record["epoch"], "logits": record["logits"],
            "state": record["state"], "history": record["history"]}
    best["seconds"] = time.perf_counter() - start
    best["cpu_seconds"] = time.process_time() - cpu_start
    return best


def ugs_mask_search(model, td: TrainingData, pair_of_column: torch.Tensor, edge_alive: torch.Tensor,
                    weight_alive: dict, *, edge_target_alive: int, protected: torch.Tensor | None = None, weight_target_zeros: int, epochs: int = 200,
                    lr: float = 0.01, weight_decay: float = 5e-4, s1: float = 0.0, s2: float = 0.0, seed: int = 0,
                    mask_weight_decay: float = 0.0, progress=None):
    """One UGS round from the rewound weights in ``model``; returns the new binary masks.

    ``pair_of_column`` maps each edge-index column to its undirected pair (the edge-list mask
    has one trainable entry per pair, shared by both directions: masks stay symmetric);
    ``edge_alive`` (bool, per pair) and ``weight_alive`` ({name: bool}) are the current masks;
    ``protected`` pairs (self-loops) are never pruned and ``edge_target_alive`` counts the others.
    Trainable masks start at ``alive * (1 + U(-1e-5, 1e-5))``; Adam with the sub-gradient
    ``s1 sign(m_g)``, ``s2 sign(m_theta)`` added (weight decay ``weight_decay`` on the model's
    weights, ``mask_weight_decay`` on the masks); after every step the edge mask is projected
    onto ``m_g >= 0``. At the best validation epoch the lowest ``|m|`` alive entries are pruned
    so that ``edge_target_alive`` pairs and ``weight_target_zeros`` zero weights (one global
    threshold over all masked matrices) remain.

    Deviations from the reference code (``VITA-Group/Unified-LTH-GNN``, NodeClassification):

    1. UGS prunes ``int(n * p)`` alive entries per round from a threshold; here the count is set
       so the round lands exactly on the schedule ``s = 1 - (1 - p)^r`` (the same levels as TEDDY
       and random, which makes the comparison exact).
    2. No weight decay on the masks by default (the reference's single ``Adam(net.parameters(),
       weight_decay=wd)`` decays them too; ``mask_weight_decay=weight_decay`` restores that). The
       cross-entropy gradient of a mask entry is tiny (median ``|dL/dm_g|`` at initialisation
       2e-7 on Cora, 2e-8 on CiteSeer and squirrel; ``benchmarks/results/ugs_defaults.json``,
       ``mask_gradients``), so the decay term ``5e-4 m`` dominates it, and Adam, which
       normalises the step, moves every mask down by about ``lr`` per epoch whatever ``s1``,
       ``s2`` are: the masks carry almost no ranking information and all reach 0 after about
       ``1 / lr`` epochs.
    3. The edge mask is clamped to ``>= 0`` after every step (projected sub-gradient). In the
       reference it can go negative (the drift above crosses 0 around epoch 100 at lr 0.01);
       the GCN degree ``1 + sum_j m_ij`` then turns negative, ``d^-1/2`` is NaN and every later
       epoch of the round is NaN (the reference survives only because the masks are taken at the
       best validation epoch, before the crossing). A zero edge weight is a valid, removed edge;
       the weight masks may change sign (a sign flip of a weight is harmless; pruning is by
       ``|m|`` as in the reference).
    4. ``s1 = s2 = 0`` by default (the reference's Cora/CiteSeer GCN values are 1e-2): under Adam
       any ``s`` above a mask's loss gradient only adds the same shrink of about ``lr`` per epoch
       to every entry (erasing the ranking), and the per-round pruning count, not the l1 term,
       sets the sparsity. Chosen by the worst margin over random pruning on Cora, CiteSeer and
       squirrel (``benchmarks/ugs_defaults.py``; docs/lottery.md, "Choosing UGS coefficients").
    """
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    x = td.features_for(model)
    edge_fixed = edge_alive.float()
    edge_train = torch.nn.Parameter(edge_fixed * (1 + (2 * torch.rand(edge_fixed.shape, generator=generator) - 1) * 1e-5))
    params = dict(model.named_parameters())
    weight_fixed = {name: mask.float() for name, mask in weight_alive.items()}
    weight_train = {}
    for name, mask in weight_fixed.items():
        noise = (2 * torch.rand(mask.shape, generator=generator) - 1) * 1e-5
        weight_train[name] = torch.nn.Parameter(mask * (1 + noise))
    optimizer = torch.optim.Adam([{"params": list(model.parameters()), "weight_decay": weight_decay},
                                  {"params": [edge_train] + list(weight_train.values()),
                                   "weight_decay": mask_weight_decay}], lr=lr)
    train_y = td.y[td.train_index]

    def masked_logits():
        effective = {name: params[name] * weight_train[name] * weight_fixed[name] for name in weight_train}
        edge_weight = (edge_train * edge_fixed)[pair_of_column]
        return functional_call(model, effective, (x, td.edge_index, edge_weight))

    def loss_fn():
        return F.cross_entropy(masked_logits()[td.train_index], train_y)

    def l1_subgradient():
        with torch.no_grad():
            edge_train.grad.add_(s1 * torch.sign(edge_train))
            for mask in weight_train.values():
                mask.grad.add_(s2 * torch.sign(mask))

    def project_edge_mask(model):
        with torch.no_grad():
            edge_train.clamp_(min=0.0)  # an edge weight below 0 would give the GCN a negative degree

    def evaluate():
        val = score(masked_logits(), td.y, td.val_index, td.metric)

        def on_best():
            return {"edge": (edge_train * edge_fixed).detach().abs().clone(),
                    "weight": {name: (weight_train[name] * weight_fixed[name]).detach().abs().clone()
                               for name in weight_train}}

        return val, None, on_best

    record = fit_full_batch(model, loss_fn, evaluate, epochs=epochs, ties="last", before_step=l1_subgradient,
                            after_step=project_edge_mask, optimizer=optimizer, progress=progress)
    best_edge, best_weight = record["edge"], record["weight"]
    # prune the lowest alive entries to the targets
    new_edge = edge_alive.clone()
    candidates = edge_alive if protected is None else edge_alive & ~protected
    alive_pairs = candidates.nonzero().view(-1)
    num_prune = max(0, alive_pairs.numel() - edge_target_alive)
    if num_prune:
        order = torch.argsort(best_edge[alive_pairs], stable=True)
        new_edge[alive_pairs[order[:num_prune]]] = False
    names = list(weight_alive)
    flat_alive = torch.cat([weight_alive[n].reshape(-1) for n in names])
    flat_magnitude = torch.cat([best_weight[n].reshape(-1) for n in names])
    num_prune = max(0, weight_target_zeros - int((~flat_alive).sum()))
    new_flat = flat_alive.clone()
    if num_prune:
        alive_index = flat_alive.nonzero().view(-1)
        order = torch.argsort(flat_magnitude[alive_index], stable=True)
        new_flat[alive_index[order[:num_prune]]] = False
    new_weight, offset = {}, 0
    for n in names:
        size = weight_alive[n].numel()
        new_weight[n] = new_flat[offset:offset + size].view(weight_alive[n].shape)
        offset += size
    return new_edge, new_weight


def copy_state(model) -> dict:
    return copy.deepcopy(model.state_dict())
