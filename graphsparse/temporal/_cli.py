"""``graphsparse nat``: train and evaluate NAT on a temporal network, print the results as JSON."""
from __future__ import annotations

import sys

from graphsparse.cli import emit_json


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "nat", help="NAT temporal link prediction (N-caches, Luo & Li LoG 2022)",
        description="Train NAT with the reference streaming protocol (chronological 70/15/15 split, early "
                    "stopping on validation AP) and report transductive and inductive test AP/AUC.")
    parser.add_argument("--dataset", default="collegemsg",
                        help="'collegemsg' (shared data) or 'toy' (synthetic, seconds)")
    parser.add_argument("--root", default=None, help="data folder (default: $GRAPHSPARSE_DATA or ../shared/datasets)")
    parser.add_argument("--epochs", type=int, default=50, help="maximum epochs (early stopping on validation AP)")
    # options left at None take NATTrainer's defaults (one place for them)
    parser.add_argument("--patience", type=int, default=None, help="early-stopping patience (default 8; the reference: 3)")
    parser.add_argument("--time-encoding", choices=("absolute", "relative"), default=None,
                        help="T(t) of the stored event time (default, as the reference) or of its age")
    parser.add_argument("--time-dim", type=int, default=None, help="time-encoding size (default 1; 100 suits 'relative')")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--eval-batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--hop-sizes", type=int, nargs="+", default=[32, 16], help="M1 [M2]")
    parser.add_argument("--value-dim", type=int, default=4)
    parser.add_argument("--alpha", type=float, default=0.9, help="overwrite probability")
    parser.add_argument("--backend", choices=("numba", "torch"), default="numba")
    parser.add_argument("--device", default=None, help="torch device (torch backend)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--output", default=None, help="also write the JSON to this file")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("--verbose", dest="verbose", action="store_true", default=True)
    verbosity.add_argument("--quiet", dest="verbose", action="store_false")
    parser.set_defaults(func=run)


def run(args) -> int:
    import torch

    from graphsparse.temporal.data import load_collegemsg, toy_temporal_graph
    from graphsparse.temporal.train import NATTrainer

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.dataset == "collegemsg":
        edges = load_collegemsg(args.root)
    elif args.dataset == "toy":
        edges = toy_temporal_graph(300, 6000, seed=args.seed)
    else:
        print(f"graphsparse nat: unknown dataset {args.dataset!r} (choose collegemsg or toy)", file=sys.stderr)
        return 2
    optional = {name: value for name, value in (("patience", args.patience), ("time_encoding", args.time_encoding),
                                                ("time_dim", args.time_dim)) if value is not None}
    trainer = NATTrainer(hop_sizes=tuple(args.hop_sizes), value_dim=args.value_dim, alpha=args.alpha, lr=args.lr,
                         batch_size=args.batch_size, eval_batch_size=args.eval_batch_size, max_epochs=args.epochs,
                         backend=args.backend, device=args.device, seed=args.seed, verbose=args.verbose, **optional)
    trainer.fit(edges)
    result = {"dataset": args.dataset, "num_nodes": edges.num_nodes, "num_edges": edges.num_edges,
              "params": {k: v for k, v in trainer.get_params().items() if k != "verbose"},
              "epochs": trainer.history_, **trainer.test()}
    emit_json(result, args.output)
    return 0
