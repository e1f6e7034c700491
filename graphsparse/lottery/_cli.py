"""``graphsparse ticket``: find graph lottery tickets over the UGS levels and write a JSON table
and a PNG plot of test score against graph and weight sparsity for each method."""
from __future__ import annotations

import json
import sys
import time

__all__ = ["register", "run"]


def _levels(text: str) -> list:
    text = str(text).strip()
    if "," in text:
        levels = [int(v) for v in text.split(",") if v.strip()]
    else:
        count = int(text)
        if count < 1:
            raise ValueError("--levels must be >= 1")
        levels = list(range(1, count + 1))
    if any(level < 1 for level in levels) or levels != sorted(set(levels)):
        raise ValueError(f"--levels must be increasing positive integers, got {text!r}")
    return levels


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "ticket", help="find graph lottery tickets (TEDDY, UGS, random) over sparsity levels",
        description="Find graph lottery tickets at the UGS levels r (graph sparsity 1-(1-p_g)^r, weight "
                    "sparsity 1-(1-p_w)^r) and write a JSON table and a PNG plot.")
    parser.add_argument("--dataset", default="cora", help="cora, citeseer, tolokers, ... or csbm (synthetic)")
    parser.add_argument("--root", default=None, help="data folder (default: $GRAPHSPARSE_DATA or the shared one)")
    parser.add_argument("--model", default="gcn", choices=["gcn", "gat", "gin"])
    parser.add_argument("--levels", default="20", help="N for levels 1..N, or a list such as 1,5,10,15,20")
    parser.add_argument("--methods", default="teddy,ugs,random", help="comma list of teddy, ugs, random")
    parser.add_argument("--seeds", default="0", help="comma list of seeds")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--lamb", type=float, default=10.0, help="TEDDY distillation weight (0 disables)")
    parser.add_argument("--p-g", type=float, default=0.05, help="edge pruning rate per level")
    parser.add_argument("--p-w", type=float, default=0.2, help="weight pruning rate per level")
    parser.add_argument("--split", type=int, default=0, help="column of 2-D split masks")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on shared cores)")
    parser.add_argument("--output", default="tickets.json", help="JSON table path")
    parser.add_argument("--plot", default="tickets.png", help="PNG plot path ('' to skip)")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("--verbose", "-v", action="store_true", help="print every ticket")
    verbosity.add_argument("--quiet", "-q", action="store_true", help="no progress bar, no table")
    parser.set_defaults(func=run)


def run(args) -> int:
    import torch

    from graphsparse.lottery.find import METHODS, find_tickets, ugs_levels
    from graphsparse.lottery.report import level_of, load_node_data, plot_sweep, summarize

    try:
        levels = _levels(args.levels)
        methods = [m.strip() for m in args.methods.split(",") if m.strip()]
        seeds = [int(s) for s in str(args.seeds).split(",") if s.strip()]
        for method in methods:
            if method not in METHODS:
                raise ValueError(f"--methods: unknown method {method!r} (choose from {', '.join(METHODS)})")
        if not methods or not seeds:
            raise ValueError("--methods and --seeds must not be empty")
    except ValueError as err:
        print(f"graphsparse ticket: error: {err}", file=sys.stderr)
        return 2
    torch.set_num_threads(max(1, args.threads))
    data = load_node_data(args.dataset, args.root)
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
    payload = {"dataset": args.dataset, "model": args.model, "levels": levels, "methods": methods, "seeds": seeds,
               "epochs": args.epochs, "metric": metric, "seconds": time.perf_counter() - start,
               "table": table, "tickets": rows}
    with open(args.output, "w") as f:
        json.dump(payload, f, indent=2)
    if args.plot:
        plot_sweep(table, args.plot, f"{args.dataset} / {args.model.upper()}", metric)
    if not args.quiet:
        print(f"{'method':8s} {'level':>5s} {'edges kept':>10s} {'weights kept':>12s} {metric:>14s}")
        for row in table:
            print(f"{row['method']:8s} {row['level']:5d} {100 * (1 - row['edge_sparsity']):9.2f}% "
                  f"{100 * (1 - row['weight_sparsity']):11.2f}% {100 * row['mean']:8.2f} +- {100 * row['std']:.2f}")
        print(f"wrote {args.output}" + (f" and {args.plot}" if args.plot else ""))
    return 0
