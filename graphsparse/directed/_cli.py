"""``graphsparse directed``: train a directed GNN on a dataset and print/save accuracy as JSON.

Example::

    graphsparse directed --dataset squirrel_directed --model dir-gcn --alpha 1 --layers 4 --jk max \
        --normalize --splits 0,1 --out result.json
    graphsparse directed --dataset dsbm --model dir-gcn --stats
"""
from __future__ import annotations

import argparse
import sys

from graphsparse.cli import emit_json

MODELS = ("dir-gcn", "dir-sage", "dir-gat", "magnet", "digcn", "sym-gcn", "mlp")


def register(subparsers) -> None:
    parser = subparsers.add_parser("directed", help="train directed GNNs (Dir-GCN, Dir-SAGE, Dir-GAT, MagNet, DiGCN)",
                                   description=__doc__.splitlines()[0],
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="dsbm",
                        help="shared dataset name (squirrel_directed, citeseer_directed, cora_ml, ...) or 'dsbm'")
    parser.add_argument("--model", default="dir-gcn", choices=MODELS)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=1, help="attention heads (dir-gat; must divide --hidden)")
    parser.add_argument("--alpha", type=float, default=0.5, help="Dir-GNN mixing (1 = out-neighbours only)")
    parser.add_argument("--q", type=float, default=0.25, help="MagNet charge parameter in [0, 0.5]")
    parser.add_argument("--teleport", type=float, default=0.1, help="DiGCN teleport probability in (0, 1)")
    parser.add_argument("--jk", choices=("none", "max", "cat"), default="none")
    parser.add_argument("--normalize", action="store_true", help="L2-normalise hidden states (Dir-GNN)")
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--patience", type=int, default=100)
    parser.add_argument("--splits", default="0", help="comma-separated split ids, or 'all'")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--stats", action="store_true", help="also report homophily / reciprocity diagnostics")
    parser.add_argument("--out", default=None, help="write the JSON result here")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(func=run)


def _load(name: str, seed: int):
    if name == "dsbm":
        from graphsparse.datasets.dsbm import directed_sbm

        return directed_sbm(random_state=seed)
    from graphsparse.datasets import load_dataset

    data = load_dataset(name)
    if getattr(data, "train_mask", None) is None:
        from graphsparse.datasets import random_split_masks

        train, val, test = random_split_masks(data.num_nodes, 0.6, 0.2, seed=seed)
        data.train_mask, data.val_mask, data.test_mask = train, val, test
    return data


def run(args) -> int:
    import numpy as np
    import torch

    from graphsparse.directed import models as dm

    torch.set_num_threads(args.threads)
    data = _load(args.dataset, args.seed)
    if getattr(data, "y", None) is None or data.y.dim() != 1:
        print(f"error: dataset {args.dataset!r} has no single-label node classes", file=sys.stderr)
        return 2
    num_splits = data.train_mask.size(1) if data.train_mask.dim() == 2 else 1
    splits = list(range(num_splits)) if args.splits == "all" else [int(s) for s in args.splits.split(",")]
    x = data.x.float()
    density = float((x != 0).float().mean())
    if density < 0.05 and args.model != "magnet":
        data.x = x.to_sparse_coo()
    in_channels, num_classes = x.shape[1], int(data.y.max()) + 1
    jk = None if args.jk == "none" else args.jk
    results = []
    for split in splits:
        torch.manual_seed(args.seed + split)
        if args.model in ("dir-gcn", "dir-sage", "dir-gat"):
            extra = {"heads": args.heads} if args.model == "dir-gat" else {}
            model = dm.DirGNN(in_channels, args.hidden, num_classes, args.layers, conv=args.model, alpha=args.alpha,
                              jk=jk, normalize=args.normalize, dropout=args.dropout, **extra)
        elif args.model == "magnet":
            model = dm.MagNet(in_channels, args.hidden, num_classes, args.layers, q=args.q, dropout=args.dropout)
        elif args.model == "digcn":
            model = dm.DiGCN(in_channels, args.hidden, num_classes, args.layers, alpha=args.teleport,
                             dropout=args.dropout)
        elif args.model == "sym-gcn":
            model = dm.SymGCN(in_channels, args.hidden, num_classes, args.layers, dropout=args.dropout,
                              jk="max" if jk else None, normalize=args.normalize)
        else:
            model = dm.MLP(in_channels, args.hidden, num_classes, max(args.layers, 2), dropout=args.dropout)
        result = dm.train_node_classifier(model, data, split=split, epochs=args.epochs, lr=args.lr,
                                          weight_decay=args.weight_decay, patience=args.patience,
                                          verbose=args.verbose)
        result["split"] = split
        results.append(result)
        if not args.quiet:
            print(f"split {split}: test {100 * result['test_acc']:.2f} (val {100 * result['val_acc']:.2f}, "
                  f"{result['epochs']} epochs)", file=sys.stderr)
    accs = [100 * r["test_acc"] for r in results]
    summary = {"dataset": args.dataset, "model": args.model, "test_acc_mean": float(np.mean(accs)),
               "test_acc_std": float(np.std(accs)), "splits": results,
               "config": {k: v for k, v in vars(args).items() if k != "func"}}
    if args.stats:
        from graphsparse.directed import directed_homophily, reciprocity
        from graphsparse.graph import as_graph

        g = as_graph(data.edge_index, num_nodes=data.num_nodes, directed=True)
        summary["homophily"] = directed_homophily(g, data.y.numpy())
        summary["reciprocity"] = reciprocity(g)
    emit_json(summary, args.out, args.quiet)
    return 0
