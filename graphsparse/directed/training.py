"""Training for the directed models: full-batch node classification and exact k-hop mini-batches.

1. :func:`train_node_classifier` -- full-batch training with model selection on validation
   accuracy (early stopping), on :func:`graphsparse.training.fit_node_classifier` (the shared loop).
2. :func:`khop_batches` -- seed batches with their ``num_hops``-hop receptive field along both
   directions (exact mini-batches with :meth:`DirectedOperators.subgraph`).
"""
from __future__ import annotations

import numpy as np

from graphsparse._validation import as_index_array, check_node_ids, check_positive_int, check_random_state
from graphsparse.graph import Graph, as_graph

__all__ = ["khop_batches", "train_node_classifier"]


# ----------------------------------------------------------------------------------- mini-batch
def _neighbours(g: Graph, frontier: np.ndarray) -> np.ndarray:
    """All CSR neighbours of ``frontier`` (with repeats), vectorised."""
    starts, ends = g.indptr[frontier], g.indptr[frontier + 1]
    lengths = ends - starts
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(lengths.sum())
    return g.indices[offsets].astype(np.int64)


def khop_batches(graph, seeds, batch_size: int, num_hops: int, *, shuffle: bool = True, random_state=None):
    """Yield ``(nodes, num_seeds)`` per batch: the seeds first, then every node within ``num_hops``
    hops along *either* direction (what ``num_hops`` Dir-GNN layers read).

    Use with :meth:`DirectedOperators.subgraph` (full-graph weights): the model's output on the
    first ``num_seeds`` rows equals the full-batch output on the seeds. The receptive field of
    a hub-heavy graph can be large; batches are exact, not sampled.
    """
    g = as_graph(graph)
    seeds = check_node_ids(as_index_array(seeds, "seeds"), g.num_nodes, "seeds")
    batch_size = check_positive_int(batch_size, "batch_size")
    num_hops = check_positive_int(num_hops, "num_hops", allow_zero=True)
    if shuffle:
        seeds = check_random_state(random_state).permutation(seeds)
    gt = g.transpose()
    for lo in range(0, seeds.shape[0], batch_size):
        batch = seeds[lo:lo + batch_size]
        seen = np.zeros(g.num_nodes, dtype=bool)
        seen[batch] = True
        frontier = batch
        for _ in range(num_hops):
            nxt = []
            for csr in (g, gt):
                if frontier.size:
                    nxt.append(_neighbours(csr, frontier))
            if not nxt:
                break
            cand = np.unique(np.concatenate(nxt))
            cand = cand[~seen[cand]]
            seen[cand] = True
            frontier = cand
        rest = np.flatnonzero(seen)
        rest = rest[~np.isin(rest, batch)]
        yield np.concatenate([batch, rest]), int(batch.shape[0])


# ----------------------------------------------------------------------------------- training
def train_node_classifier(model, data, *, split: int = 0, epochs: int = 200, lr: float = 0.01,
                          weight_decay: float = 0.0, patience: int = 100, use_edge_weight: bool = True,
                          verbose: bool = False) -> dict:
    """Full-batch training with model selection on validation accuracy (early stopping).

    Parameters
    ----------
    model : torch.nn.Module
        A directed model with ``build_operators(graph, num_nodes)`` (``DirGNN``, ``MagNet`` ...).
    data : torch_geometric.data.Data
        ``x``, ``y``, ``edge_index`` (optionally ``edge_weight``) and ``train_mask`` / ``val_mask``
        / ``test_mask`` of shape ``(N,)`` or ``(N, S)`` (``split`` picks the column; a 1-D mask
        takes only ``split=0``; a ``(S, N)`` mask is refused).
    split : int
        Column of 2-D masks.
    epochs, lr, weight_decay, patience : int, float, float, int
        Adam for at most ``epochs`` steps; stop after ``patience`` epochs without a better
        validation accuracy.
    use_edge_weight : bool
        Build the operators from ``data.edge_weight`` when the data has one (default); ``False``
        trains on the unweighted structure.
    verbose : bool
        tqdm progress bar.

    Returns
    -------
    dict
        ``{'val_acc', 'test_acc', 'best_epoch', 'epochs', 'history'}``: test accuracy at the epoch
        of best validation accuracy (the first such epoch), epochs run, per-epoch loss and
        validation accuracy. Operators are built once. Labels of the masked nodes must lie in
        ``0..C-1`` (``ValueError`` otherwise). A ``DirGNN(alpha='auto')`` is trained once per
        candidate alpha (0, 0.5, 1) from the same initial weights; the run with the best
        validation accuracy is kept (weights restored to its best epoch, ``model.alpha`` set) and
        the result adds ``'alpha'`` and ``'alpha_val_acc'`` (validation accuracy per candidate).

    Examples
    --------
    >>> from graphsparse.datasets.dsbm import directed_sbm
    >>> from graphsparse.directed.models import DirGNN, train_node_classifier
    >>> data = directed_sbm(num_nodes=100, num_classes=2, p_in=0.1, num_features=4, random_state=0)
    >>> result = train_node_classifier(DirGNN(4, 8, 2), data, epochs=5)
    >>> sorted(k for k in result if k != "history")
    ['best_epoch', 'epochs', 'test_acc', 'val_acc']
    """
    from graphsparse.training import check_labels, fit_node_classifier, split_masks

    masks = split_masks(data, split)
    y = check_labels(data.y, masks)
    x = data.x.float()
    weight = getattr(data, "edge_weight", None) if use_edge_weight else None
    graph = data.edge_index if weight is None else as_graph(data.edge_index, num_nodes=data.num_nodes,
                                                           edge_weight=weight, name="data.edge_index")
    operators = model.build_operators(graph, data.num_nodes)

    def fit():
        return fit_node_classifier(model, lambda: model(x, operators), y, masks, epochs=epochs, lr=lr,
                                   weight_decay=weight_decay, patience=patience, verbose=verbose,
                                   restore_best=candidates is not None)

    candidates = getattr(model, "alpha_candidates", None) if getattr(model, "alpha", None) == "auto" else None
    if candidates is None:
        result = fit()
        extra = {}
    else:  # alpha='auto': one run per candidate from the same initial weights, best validation wins
        initial = {k: v.detach().clone() for k, v in model.state_dict().items()}
        runs = {}
        for alpha in candidates:
            model.load_state_dict(initial)
            model.set_alpha(alpha)
            runs[alpha] = (fit(), {k: v.detach().clone() for k, v in model.state_dict().items()})
        alpha = max(candidates, key=lambda a: runs[a][0]["val"])  # ties: the first candidate
        result, state = runs[alpha]
        model.load_state_dict(state)
        model.set_alpha(alpha)
        model.eval()
        extra = {"alpha": alpha, "alpha_val_acc": {a: runs[a][0]["val"] for a in candidates}}
    return {"val_acc": result["val"], "test_acc": result["test"], "best_epoch": result["epoch"],
            "epochs": result["epochs"], "history": result["history"], **extra}
