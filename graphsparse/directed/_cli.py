"""``graphsparse directed``: train a directed GNN on a dataset and print/save accuracy as JSON.

Example::

    graphsparse directed --dataset squirrel_directed --model dir-gcn --alpha 1 --layers 4 --jk max \
        --normalize --splits 0,1 --out result.json
    graphsparse directed --dataset dsbm --model dir-gcn --stats
    graphsparse directed --input edges.txt --labels labels.txt --model dir-gcn --out result.json

``--input`` is an edge list (one directed edge per line; with --labels, optional --features and
--masks) or an ``.npz`` bundle holding node labels (yandex-style or PyG-style keys); without
features, 64-dimensional FastRP embeddings are used; without masks, a random 60/20/20 split.
"""
from __future__ import annotations

import sys

from graphsparse.cli import add_input_arguments, add_run_arguments, fraction, positive_int, report

MODELS = ("dir-gcn", "dir-sage", "dir-gat", "magnet", "digcn", "sym-gcn", "mlp")


def register(subparsers) -> None:
    parser = subparsers.add_parser("directed", help="train directed GNNs (Dir-GCN, Dir-SAGE, Dir-GAT, MagNet, DiGCN)",
                                   description=__doc__)
    add_input_arguments(parser, dataset_default="dsbm", labels=True, features=True, masks=True,
                        dataset_help="shared dataset name (squirrel_directed, citeseer_directed, cora_ml, ...) or 'dsbm'")
    parser.add_argument("--root", default=None, help="data folder (default: $GRAPHSPARSE_DATA or ../shared/datasets)")
    parser.add_argument("--model", default="dir-gcn", choices=MODELS)
    parser.add_argument("--hidden", type=positive_int, default=128)
    parser.add_argument("--layers", type=positive_int, default=2)
    parser.add_argument("--heads", type=positive_int, default=1, help="attention heads (dir-gat; must divide --hidden)")
    parser.add_argument("--alpha", type=float, default=0.5, help="Dir-GNN mixing (1 = out-neighbours only)")
    parser.add_argument("--q", type=float, default=0.25, help="MagNet charge parameter in [0, 0.5]")
    parser.add_argument("--teleport", type=float, default=0.1, help="DiGCN teleport probability in (0, 1)")
    parser.add_argument("--jk", choices=("none", "max", "cat"), default="none")
    parser.add_argument("--normalize", action="store_true", help="L2-normalise hidden states (Dir-GNN)")
    parser.add_argument("--dropout", type=fraction, default=0.0)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--epochs", type=positive_int, default=300)
    parser.add_argument("--patience", type=positive_int, default=100)
    parser.add_argument("--splits", default="0", help="comma-separated split ids, or 'all'")
    parser.add_argument("--stats", action="store_true", help="also report homophily / reciprocity diagnostics")
    add_run_arguments(parser, out_help="write the JSON result here", threads_default=1)
    parser.set_defaults(func=run)


def _load(name: str, seed: int, root=None):
    if name == "dsbm":
        from graphsparse.datasets.dsbm import directed_sbm

        return directed_sbm(random_state=seed)
    from graphsparse.datasets import load_dataset

    data = load_dataset(name, root=root)
    if getattr(data, "train_mask", None) is None:
        from graphsparse.datasets import random_split_masks

        train, val, test = random_split_masks(data.num_nodes, 0.6, 0.2, seed=seed)
        data.train_mask, data.val_mask, data.test_mask = train, val, test
    return data


def _splits(text: str, num_splits: int) -> list:
    if text == "all":
        return list(range(num_splits))
    try:
        splits = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise ValueError(f"--splits must be comma-separated split numbers or 'all', got {text!r}") from None
    bad = [s for s in splits if not 0 <= s < num_splits]
    if bad or not splits:
        raise ValueError(f"--splits: the data has {num_splits} split(s) (0..{num_splits - 1}), got {text!r}")
    return splits


def run(args) -> int:
    from graphsparse.cli import apply_threads, check_out_path, node_classification_data

    check_out_path(args.out, "--out")
    check_out_path(args.json if args.json != "-" else None, "--json")
    if args.splits != "all":
        _splits(args.splits, 10**9)  # syntax checked before any work
    apply_threads(args.threads, args.quiet)
    import numpy as np
    import torch

    from graphsparse.directed import models as dm

    log = (lambda message: None) if args.quiet else (lambda message: print(message, file=sys.stderr))
    if args.input:
        data, _ = node_classification_data(args, directed=True, log=log)
        name = args.input
    else:
        if args.labels or args.features or args.masks:
            raise ValueError("--labels/--features/--masks go with --input FILE, not with --dataset")
        data = _load(args.dataset, args.seed, args.root)
        name = args.dataset
    if getattr(data, "y", None) is None or data.y.dim() != 1:
        raise ValueError(f"--dataset: {name!r} has no single-label node classes")
    num_splits = data.train_mask.size(1) if data.train_mask.dim() == 2 else 1
    splits = _splits(args.splits, num_splits)
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
                  f"{result['epochs']} epochs)", file=sys.stderr)  # progress, on stderr
    accs = [100 * r["test_acc"] for r in results]
    summary = {"dataset": name, "model": args.model, "test_acc_mean": float(np.mean(accs)),
               "test_acc_std": float(np.std(accs)), "splits": results,
               "config": {k: v for k, v in vars(args).items() if k != "func"}}
    if args.stats:
        from graphsparse.directed import directed_homophily, reciprocity
        from graphsparse.graph import as_graph

        g = as_graph(data.edge_index, num_nodes=data.num_nodes, directed=True)
        summary["homophily"] = directed_homophily(g, data.y.numpy())
        summary["reciprocity"] = reciprocity(g)
    lines = [f"{args.model} on {name}: test accuracy {summary['test_acc_mean']:.2f} +- {summary['test_acc_std']:.2f} "
             f"over {len(results)} split(s)"]
    if args.out:
        lines.append(f"wrote {args.out}")
    report(args, summary, lines, out=args.out)
    return 0
