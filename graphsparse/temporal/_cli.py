"""``graphsparse nat``: train and evaluate NAT on a temporal network; print (or write) the results."""
from __future__ import annotations

import sys

from graphsparse.cli import add_input_arguments, add_run_arguments, positive_int

__all__ = ["register", "run"]


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "nat", help="NAT temporal link prediction (N-caches, Luo & Li LoG 2022)",
        description="Train NAT with the reference streaming protocol (chronological 70/15/15 split, early "
                    "stopping on validation AP) and report transductive and inductive test AP/AUC.\n\n"
                    "Data: --dataset collegemsg (shared data) or toy (synthetic, seconds), or --input FILE: an "
                    "event file (SNAP 'src dst t', DyGLib ml_*.csv, JODIE CSV; unsorted times are sorted).")
    add_input_arguments(parser, dataset_default="collegemsg", columns=False, input_help="temporal event file (src dst t per line)",
                        dataset_help="'collegemsg' (shared data) or 'toy' (synthetic, seconds)")
    parser.add_argument("--format", dest="fmt", choices=("auto", "snap", "dyglib", "jodie", "csv"), default="auto",
                        help="--input file format (auto recognises DyGLib and JODIE headers)")
    parser.add_argument("--root", default=None, help="data folder (default: $GRAPHSPARSE_DATA or ../shared/datasets)")
    parser.add_argument("--epochs", type=positive_int, default=50, help="maximum epochs (early stopping on validation AP)")
    # options left at None take NATTrainer's defaults (one place for them)
    parser.add_argument("--patience", type=positive_int, default=None,
                        help="early-stopping patience (None: NATTrainer's, 8; the reference: 3)")
    parser.add_argument("--time-encoding", choices=("absolute", "relative"), default=None,
                        help="T(t) of the stored event time (None: NATTrainer's, absolute, as the reference) "
                             "or of its age")
    parser.add_argument("--time-dim", type=positive_int, default=None,
                        help="time-encoding size (None: NATTrainer's, 1; 100 suits 'relative')")
    parser.add_argument("--batch-size", type=positive_int, default=100)
    parser.add_argument("--eval-batch-size", type=positive_int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--hop-sizes", type=positive_int, nargs="+", default=[32, 16], help="M1 [M2]")
    parser.add_argument("--value-dim", type=positive_int, default=4)
    parser.add_argument("--alpha", type=float, default=0.9, help="overwrite probability")
    parser.add_argument("--backend", choices=("numba", "torch"), default="numba")
    parser.add_argument("--device", default=None, help="torch device (torch backend)")
    add_run_arguments(parser, out_help="write the JSON result to this file", threads_default=1)
    parser.set_defaults(func=run)


def _edges(args, log):
    if args.input:
        from graphsparse import io
        from graphsparse.cli import check_in_path

        tf = io.read_temporal(check_in_path(args.input, "--input"), fmt=args.fmt, ids=args.ids)
        for note in tf.notes:
            log(f"note: {args.input}: {note}")
        if tf.edges.num_edges < 20:
            raise ValueError(f"--input: {args.input} has {tf.edges.num_edges} events; NAT's chronological 70/15/15 "
                             "split needs at least 20")
        return tf.edges, args.input
    if args.dataset == "collegemsg":
        from graphsparse.temporal.data import load_collegemsg

        return load_collegemsg(args.root), args.dataset
    if args.dataset == "toy":
        from graphsparse.temporal.data import toy_temporal_graph

        return toy_temporal_graph(300, 6000, seed=args.seed), args.dataset
    raise ValueError(f"--dataset: unknown dataset {args.dataset!r} (choose collegemsg or toy, or give --input FILE)")


def run(args) -> int:
    import warnings

    from graphsparse.cli import apply_threads, check_out_path, report

    if args.dataset not in ("collegemsg", "toy") and not args.input:
        raise ValueError(f"--dataset: unknown dataset {args.dataset!r} (choose collegemsg or toy, or give --input FILE)")
    check_out_path(args.out, "--out")
    check_out_path(args.json if args.json != "-" else None, "--json")
    apply_threads(args.threads, args.quiet)
    from graphsparse.temporal.train import NATTrainer

    log = (lambda message: None) if args.quiet else (lambda message: print(message, file=sys.stderr))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the reader's sorting note is logged instead
        edges, name = _edges(args, log)
    optional = {key: value for key, value in (("patience", args.patience), ("time_encoding", args.time_encoding),
                                              ("time_dim", args.time_dim)) if value is not None}
    trainer = NATTrainer(hop_sizes=tuple(args.hop_sizes), value_dim=args.value_dim, alpha=args.alpha, lr=args.lr,
                         batch_size=args.batch_size, eval_batch_size=args.eval_batch_size, max_epochs=args.epochs,
                         backend=args.backend, device=args.device, seed=args.seed,
                         verbose=not args.quiet, **optional)
    trainer.fit(edges)
    result = {"dataset": name, "num_nodes": edges.num_nodes, "num_edges": edges.num_edges,
              "params": {k: v for k, v in trainer.get_params().items() if k != "verbose"},
              "epochs": trainer.history_, **trainer.test()}
    lines = []
    for setting in ("transductive", "inductive"):
        for negatives, metrics in (result.get(setting) or {}).items():
            if isinstance(metrics, dict) and "ap" in metrics:
                lines.append(f"{setting:12s} {negatives:10s} AP {metrics['ap']:.4f}"
                             + (f"  AUC {metrics['auc']:.4f}" if "auc" in metrics else ""))
    if args.out:
        lines.append(f"wrote {args.out}")
    report(args, result, lines, out=args.out)
    return 0
