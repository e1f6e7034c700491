"""Directed stochastic block model with a meta-graph of flows (DSBM), seeded.

After He et al., "DIGRAC" (AISTATS 2022) and the directed-graph survey (arXiv 2412.01849, sec. 9):

1. Nodes are split into ``num_classes`` balanced blocks (labels ``y``).
2. Every unordered pair ``{u, v}`` is linked with probability ``p_in`` (same block) or ``p_out``
   (different blocks). With ``p_in == p_out`` (the default) the *undirected* graph is an
   Erdos-Renyi graph: its structure carries no class signal at all.
3. Each link gets a direction from the meta-graph ``F`` (``F[a, b] + F[b, a] = 1``): between blocks
   ``a != b`` it points ``a -> b`` with probability ``F[a, b]``; inside a block it is a fair coin.
   ``meta_graph='cyclic'``: ``F[a, a+1] = 1 - eta`` (flow around a cycle of blocks), other pairs
   0.5. ``'path'``: ``F[a, b] = 1 - eta`` for every ``a < b`` (an acyclic ordering of blocks).
   Or pass a ``(C, C)`` array.
4. Features: ``x = mu_y + N(0, I)`` with class means ``mu_c`` of norm ``feature_signal`` (random
   directions), so an MLP alone is only partly right and the direction is what lifts accuracy.
5. ``num_splits`` random train/val/test masks (``(N, S)`` boolean tensors, per-split permutation).

``heterophily`` control: ``p_in < p_out`` makes the undirected graph heterophilous, ``p_in >
p_out`` homophilous; the flow ``F`` is independent of it.
"""
from __future__ import annotations

import numpy as np

from graphsparse._validation import check_fraction, check_positive_int, check_random_state

__all__ = ["directed_sbm", "meta_graph_flows"]


def meta_graph_flows(num_classes: int, meta_graph="cyclic", eta: float = 0.05) -> np.ndarray:
    """The ``(C, C)`` flow matrix ``F`` (``F[a, b]`` = P(edge points a -> b | link between a, b))."""
    num_classes = check_positive_int(num_classes, "num_classes")
    eta = check_fraction(eta, "eta", high_inclusive=True)
    if isinstance(meta_graph, str):
        flows = np.full((num_classes, num_classes), 0.5)
        if meta_graph == "cyclic":
            if num_classes >= 2:
                for a in range(num_classes):
                    b = (a + 1) % num_classes
                    if num_classes == 2 and a == 1:
                        break  # the two-block cycle is a single pair
                    flows[a, b], flows[b, a] = 1.0 - eta, eta
        elif meta_graph == "path":
            upper = np.triu(np.ones((num_classes, num_classes), dtype=bool), 1)
            flows[upper] = 1.0 - eta
            flows[upper.T] = eta
        else:
            raise ValueError(f"meta_graph must be 'cyclic', 'path' or a (C, C) array, got {meta_graph!r}")
        np.fill_diagonal(flows, 0.5)
        return flows
    flows = np.asarray(meta_graph, dtype=np.float64)
    if flows.shape != (num_classes, num_classes):
        raise ValueError(f"meta_graph must have shape ({num_classes}, {num_classes}), got {flows.shape}")
    if not np.isfinite(flows).all() or (flows < 0).any() or (flows > 1).any():
        raise ValueError("meta_graph entries must be probabilities in [0, 1]")
    off = ~np.eye(num_classes, dtype=bool)
    if not np.allclose((flows + flows.T)[off], 1.0):
        raise ValueError("meta_graph must satisfy F[a, b] + F[b, a] = 1 for a != b")
    return flows


def _sample_pairs(rng, n_rows: int, n_cols: int, prob: float, same_block: bool):
    """Uniform sample of linked pairs (row offset, col offset) of a block with link prob ``prob``."""
    # every cell of the block is linked independently with probability ``prob`` (a binomial count
    # of distinct cells is the same law); inside a block only the strict upper triangle is kept
    total = n_rows * n_cols
    count = rng.binomial(total, prob) if total > 0 else 0
    if count == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    flat = rng.choice(total, size=count, replace=False)
    row, col = flat // n_cols, flat % n_cols
    if same_block:
        upper = row < col
        row, col = row[upper], col[upper]
    return row.astype(np.int64), col.astype(np.int64)


def directed_sbm(num_nodes: int = 2500, num_classes: int = 5, p_in: float = 0.02, p_out: float | None = None,
                 meta_graph="cyclic", eta: float = 0.05, num_features: int = 32, feature_signal: float = 1.0,
                 num_splits: int = 5, train_fraction: float = 0.2, val_fraction: float = 0.2,
                 random_state=None):
    """Sample a DSBM; returns a PyG ``Data`` (``x``, ``y``, ``edge_index``, masks ``(N, S)``).

    Parameters
    ----------
    num_nodes, num_classes : int, default=2500, 5
        Nodes and balanced blocks (= classes).
    p_in, p_out : float, default=0.02, None
        Link probabilities inside / between blocks (``p_out=None`` means ``p_in``: the undirected
        structure is then class-blind).
    meta_graph, eta : str or (K, K) array, float, default="cyclic", 0.05
        Flow between blocks (see module docs); ``eta`` is the noise (0 = fully one-way flow).
    num_features, feature_signal : int, float, default=32, 1.0
        Gaussian features with class-mean norm ``feature_signal`` (``num_features=0``: ``x`` is
        an all-ones column).
    num_splits, train_fraction, val_fraction : int, float, float, default=5, 0.2, 0.2
        Random stratification-free masks; the rest of the nodes is the test set.
    random_state : None, int or numpy.random.Generator, default=None
        Seed; everything (graph, features, splits) derives from it.

    The Data also carries ``flows`` (the ``F`` used) and ``num_classes``.

    Examples
    --------
    >>> from graphsparse.datasets import directed_sbm
    >>> data = directed_sbm(60, 3, p_in=0.2, num_features=4, num_splits=2, random_state=0)
    >>> tuple(data.x.shape), tuple(data.train_mask.shape), data.num_classes
    ((60, 4), (60, 2), 3)
    >>> data.y.bincount().tolist()  # balanced blocks
    [20, 20, 20]
    >>> data.flows.tolist()[0]  # cyclic meta-graph: block 0 sends to block 1 with prob 1 - eta
    [0.5, 0.95, 0.05]
    >>> bool((data.train_mask & data.test_mask).any())  # disjoint parts
    False
    """
    import torch
    from torch_geometric.data import Data

    num_nodes = check_positive_int(num_nodes, "num_nodes")
    num_classes = check_positive_int(num_classes, "num_classes")
    if num_classes > num_nodes:
        raise ValueError(f"num_classes={num_classes} must be <= num_nodes={num_nodes}")
    p_in = check_fraction(p_in, "p_in", high_inclusive=True)
    p_out = p_in if p_out is None else check_fraction(p_out, "p_out", high_inclusive=True)
    num_features = check_positive_int(num_features, "num_features", allow_zero=True)
    feature_signal = float(feature_signal)
    if not np.isfinite(feature_signal) or feature_signal < 0:
        raise ValueError(f"feature_signal must be a finite number >= 0, got {feature_signal}")
    num_splits = check_positive_int(num_splits, "num_splits")
    train_fraction = check_fraction(train_fraction, "train_fraction", low_inclusive=False)
    val_fraction = check_fraction(val_fraction, "val_fraction")
    if train_fraction + val_fraction >= 1.0:
        raise ValueError("train_fraction + val_fraction must be < 1 (some nodes must be test nodes)")
    flows = meta_graph_flows(num_classes, meta_graph, eta)
    rng = check_random_state(random_state)

    sizes = np.full(num_classes, num_nodes // num_classes)
    sizes[: num_nodes % num_classes] += 1
    starts = np.concatenate([[0], np.cumsum(sizes)])
    y = np.repeat(np.arange(num_classes), sizes)
    sources, targets = [], []
    for a in range(num_classes):
        for b in range(a, num_classes):
            same = a == b
            rows, cols = _sample_pairs(rng, sizes[a], sizes[b], p_in if same else p_out, same)
            u, v = rows + starts[a], cols + starts[b]
            forward = rng.random(u.shape[0]) < (0.5 if same else flows[a, b])
            sources.append(np.where(forward, u, v))
            targets.append(np.where(forward, v, u))
    src = np.concatenate(sources)
    dst = np.concatenate(targets)
    order = np.lexsort((dst, src))
    edge_index = torch.from_numpy(np.stack([src[order], dst[order]]).astype(np.int64))

    if num_features == 0:
        x = np.ones((num_nodes, 1), dtype=np.float32)
    else:
        means = rng.standard_normal((num_classes, num_features))
        means *= feature_signal / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
        x = (means[y] + rng.standard_normal((num_nodes, num_features))).astype(np.float32)

    n_train = int(round(train_fraction * num_nodes))
    n_val = int(round(val_fraction * num_nodes))
    masks = np.zeros((3, num_nodes, num_splits), dtype=bool)
    for s in range(num_splits):
        perm = rng.permutation(num_nodes)
        masks[0, perm[:n_train], s] = True
        masks[1, perm[n_train:n_train + n_val], s] = True
        masks[2, perm[n_train + n_val:], s] = True
    return Data(x=torch.from_numpy(x), y=torch.from_numpy(y.astype(np.int64)), edge_index=edge_index,
                train_mask=torch.from_numpy(masks[0]), val_mask=torch.from_numpy(masks[1]),
                test_mask=torch.from_numpy(masks[2]), num_nodes=num_nodes,
                flows=torch.from_numpy(flows), num_classes=num_classes)
