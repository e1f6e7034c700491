"""``graphsparse ticket``: find graph lottery tickets over the UGS levels and write a JSON table
and a PNG plot of test score against graph and weight sparsity for each method."""
from __future__ import annotations

import sys
import time

__all__ = ["register", "run"]


def _levels(text: str) -> list:
    text = str(text).strip()
    try:
        numbers = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"--levels must be a count N or a list of integers such as 1,5,10, got {text!r}") from None
    if "," in text:
        levels = numbers
    else:
        count = numbers[0] if numbers else 0
        if count < 1:
            raise ValueError("--levels must be >= 1")
        levels = list(range(1, count + 1))
    if any(level < 1 for level in levels) or levels != sorted(set(levels)):
        raise ValueError(f"--levels must be increasing positive integers, got {text!r}")
    return levels


def register(subparsers) -> None:
    from graphsparse.cli import add_input_arguments, add_run_arguments, fraction, positive_int

    parser = subparsers.add_parser(
        "ticket", help="find graph lottery tickets (TEDDY, UGS, random) over sparsity levels",
        description="Find graph lottery tickets at the UGS levels r (graph sparsity 1-(1-p_g)^r, weight "
                    "sparsity 1-(1-p_w)^r) and write a JSON table (--out) and a PNG plot (--plot).\n\n"
                    "Data: --dataset NAME (cora, citeseer, tolokers, ... or csbm, synthetic) or --input FILE "
                    "(edge list + --labels [--features] [--masks], or an .npz bundle with node labels).")
    add_input_arguments(parser, dataset_default="cora", labels=True, features=True, masks=True,
                        dataset_help="cora, citeseer, tolokers, ... or csbm (synthetic)")
    parser.add_argument("--root", default=None, help="data folder (default: $GRAPHSPARSE_DATA or the shared one)")
    parser.add_argument("--model", default="gcn", choices=["gcn", "gat", "gin"])
    parser.add_argument("--levels", default="20", help="N for levels 1..N, or a list such as 1,5,10,15,20")
    parser.add_argument("--methods", default="teddy,ugs,random", help="comma list of teddy, ugs, random")
    parser.add_argument("--seeds", default="0", help="comma list of seeds (--seed is the first one)")
    parser.add_argument("--epochs", type=positive_int, default=200)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--lamb", type=float, default=10.0, help="TEDDY distillation weight (0 disables)")
    parser.add_argument("--p-g", type=fraction, default=0.05, help="edge pruning rate per level")
    parser.add_argument("--p-w", type=fraction, default=0.2, help="weight pruning rate per level")
    parser.add_argument("--split", type=int, default=0, help="column of 2-D split masks")
    parser.add_argument("--plot", default="tickets.png", help="PNG plot path ('' to skip)")
    add_run_arguments(parser, out_help="JSON table path", out_default="tickets.json", seed=False, threads_default=1)
    parser.set_defaults(func=run)


def _seeds(text) -> list:
    try:
        seeds = [int(s) for s in str(text).split(",") if s.strip()]
    except ValueError:
        raise ValueError(f"--seeds must be comma-separated integers, got {text!r}") from None
    if any(seed < 0 for seed in seeds):
        raise ValueError(f"--seeds must be non-negative, got {text!r}")
    return seeds


def run(args) -> int:
    from graphsparse.cli import apply_threads, check_out_path, node_classification_data, report

    levels = _levels(args.levels)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    seeds = _seeds(args.seeds)
    check_out_path(args.out, "--out")
    check_out_path(args.plot or None, "--plot")
    check_out_path(args.json if args.json != "-" else None, "--json")
    from graphsparse.lottery.find import METHODS

    for method in methods:
        if method not in METHODS:
            raise ValueError(f"--methods: unknown method {method!r} (choose from {', '.join(METHODS)})")
    if not methods or not seeds:
        raise ValueError("--methods and --seeds must not be empty")
    apply_threads(args.threads, args.quiet)
    from graphsparse.lottery.find import find_tickets, ugs_levels
    from graphsparse.lottery.report import level_of, load_node_data, plot_sweep, summarize

    log = (lambda message: None) if args.quiet else (lambda message: print(message, file=sys.stderr))
    if args.input:
        args.seed = seeds[0]
        data, _ = node_classification_data(args, directed=False, log=log)
        name = args.input
    else:
        if args.labels or args.features or args.masks:
            raise ValueError("--labels/--features/--masks go with --input FILE, not with --dataset")
        data = load_node_data(args.dataset, args.root)
        name = args.dataset
    schedule = ugs_levels(levels, args.p_g, args.p_w)
    rows = []
    start = time.perf_counter()
    for seed in seeds:
        for index, method in enumerate(methods):
            tickets = find_tickets(args.model, data, schedule, method, lamb=args.lamb, distill=args.lamb > 0,
                                   epochs=args.epochs, lr=args.lr, weight_decay=args.weight_decay, seed=seed,
                                   split=args.split, p_g=args.p_g, p_w=args.p_w, include_dense=index == 0,
                                   verbose=not args.quiet)
            for ticket in tickets:
                row = {"model": args.model, "level": level_of(ticket.target_edge_sparsity, args.p_g)}
                row.update(ticket.summary())
                rows.append(row)
                if args.verbose:
                    print(ticket, file=sys.stderr)
    table = summarize(rows)
    metric = rows[0]["metric"]
    payload = {"dataset": name, "model": args.model, "levels": levels, "methods": methods, "seeds": seeds,
               "epochs": args.epochs, "metric": metric, "seconds": time.perf_counter() - start,
               "table": table, "tickets": rows}
    if args.plot:
        plot_sweep(table, args.plot, f"{name} / {args.model.upper()}", metric)
    lines = [f"{'method':8s} {'level':>5s} {'edges kept':>10s} {'weights kept':>12s} {metric:>14s}"]
    for row in table:
        lines.append(f"{row['method']:8s} {row['level']:5d} {100 * (1 - row['edge_sparsity']):9.2f}% "
                     f"{100 * (1 - row['weight_sparsity']):11.2f}% {100 * row['mean']:8.2f} +- {100 * row['std']:.2f}")
    lines.append(f"wrote {args.out}" + (f" and {args.plot}" if args.plot else ""))
    report(args, payload, lines, out=args.out)
    return 0
