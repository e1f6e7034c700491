"""TEDDY vs UGS vs random graph lottery tickets (GCN/GAT/GIN, Cora/CiteSeer/tolokers).

Protocol (UGS levels): level r has graph sparsity 1 - 0.95^r and weight sparsity 1 - 0.8^r;
levels 1, 5, 10, 15, 20; 200 epochs per training; public Planetoid split; seeds 0, 1, 2.
TEDDY: lambda = 10 distillation, lr 0.01, wd 5e-4 (the authors' README). UGS: the official
per-dataset settings (Cora lr 0.008 wd 8e-5; CiteSeer lr 0.01 wd 5e-4; s1 = s2 = 1e-2; Cora GAT
and GIN s1 = s2 = 1e-3).
Random: lr 0.01, wd 5e-4, fixed random masks.

The 2 cores of this machine are shared, so several worker processes can share one ordered
list of cells (each claims the next unclaimed cell with an exclusive file); each writes
``benchmarks/results/teddy_sweep_w<worker>.json`` after EVERY finished ticket (partial results
survive). ``--merge`` combines the worker files (and the tickets already in ``teddy_sweep.json``)
into ``teddy_sweep.json`` -- after which the worker files can be deleted -- and draws
``docs/img/teddy_sweep_<dataset>_<model>.png``.

    for w in 0 1 2 3; do nohup nice -n 10 python benchmarks/teddy_sweep.py --worker $w > /tmp/teddy_w$w.log 2>&1 & done
    python benchmarks/teddy_sweep.py --merge
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

# Numba's default OpenMP threading layer leaves its worker threads spinning after every parallel
# kernel, which made every later torch op ~10x slower in this process (and stole CPU from the
# others); the workqueue layer does not spin. Must be set before numba launches a kernel.
os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import torch  # noqa: E402

from benchmarks._common import RESULTS_DIR, write_result  # noqa: E402

LEVELS = [1, 5, 10, 15, 20]
SEEDS = [0, 1, 2]
UGS_SETTINGS = {"cora": dict(lr=0.008, weight_decay=8e-5), "citeseer": dict(lr=0.01, weight_decay=5e-4)}


def cells(quick: bool):
    """(dataset, model, method, seed, levels, split) in order of importance."""
    if quick:
        return [("csbm", "gcn", m, 0, [1, 5], 0) for m in ("teddy", "random", "ugs")]
    out = [("cora", "gcn", "teddy", s, LEVELS, 0) for s in SEEDS]
    out += [("cora", "gcn", "ugs", 0, LEVELS, 0)]  # the longest cell: start it early
    out += [("cora", "gcn", "random", s, LEVELS, 0) for s in SEEDS]
    out += [("citeseer", "gcn", "teddy", s, LEVELS, 0) for s in SEEDS]
    out += [("citeseer", "gcn", "ugs", 0, LEVELS, 0)]
    out += [("citeseer", "gcn", "random", s, LEVELS, 0) for s in SEEDS]
    out += [("cora", model, method, 0, [5, 10, 20], 0) for model in ("gat", "gin") for method in ("teddy", "random")]
    # tolokers (11,758 nodes, 1.04M stored edges): GCN with 64 hidden channels ("gcn64"), as 512
    # would not fit this machine's CPU budget; ROC-AUC; weight decay 0; fixed splits 0, 1, 2
    out += [("tolokers", "gcn64", "teddy", 0, [5, 10, 20], split) for split in (0, 1, 2)]
    out += [(d, "gcn", "ugs", s, LEVELS, 0) for d in ("cora", "citeseer") for s in SEEDS[1:]]
    out += [("cora", model, method, s, [5, 10, 20], 0) for s in SEEDS[1:] for model in ("gat", "gin")
            for method in ("teddy", "random")]
    out += [("cora", model, "ugs", s, [5, 10, 20], 0) for model in ("gat", "gin") for s in SEEDS]
    return out


def claim(cell, claims_dir: str) -> bool:
    """Atomically claim a cell for this worker (several workers share one ordered cell list)."""
    os.makedirs(claims_dir, exist_ok=True)
    name = "_".join(str(v) for v in cell[:4]) + f"_split{cell[5]}"
    try:
        os.close(os.open(os.path.join(claims_dir, name), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False


def make_backbone(model: str, data):
    """``"gcn"``/``"gat"``/``"gin"`` by name; ``"gcn64"`` = GCN with 64 hidden channels."""
    if model == "gcn64":
        from graphsparse.lottery import GCN

        num_classes = int(data.y.max()) + 1
        return lambda: GCN(data.x.size(1), 64, num_classes)
    return model


def run_worker(worker: str, quick: bool, only: str | None = None, selected: set | None = None) -> None:
    from graphsparse.lottery import find_tickets, ugs_levels
    from graphsparse.lottery.report import level_of, load_node_data

    torch.set_num_threads(1)
    name = f"teddy_sweep_{'quick' if quick else 'w' + worker}"
    path = os.path.join(RESULTS_DIR, f"{name}.json")
    claims_dir = os.path.join(RESULTS_DIR, ".teddy_claims" + ("_quick" if quick else ""))
    rows, done_cells = [], []
    started = time.time()
    cache = {}

    def save():
        write_result(name, {"worker": worker, "quick": quick, "levels_protocol": "s_g=1-0.95^r, s_w=1-0.8^r",
                            "epochs": 20 if quick else 200, "elapsed_s": time.time() - started,
                            "cells_done": done_cells, "tickets": rows}, path=path)

    for cell in cells(quick):
        if only is not None and cell[0] != only:
            continue
        if selected is not None and f"{cell[0]}:{cell[1]}:{cell[2]}:{cell[3]}" not in selected:
            continue
        if not claim(cell, claims_dir):
            continue
        dataset, model, method, seed, levels, split = cell
        print(f"[{time.strftime('%H:%M:%S')}] worker {worker} starts {cell}", flush=True)
        if dataset not in cache:
            cache[dataset] = load_node_data(dataset)
        data = cache[dataset]
        settings = dict(lr=0.01, weight_decay=5e-4)
        if method == "ugs":
            settings = dict(UGS_SETTINGS.get(dataset, settings))
            if model in ("gat", "gin"):  # UGS's Cora GAT/GIN sparsity coefficients
                settings.update(ugs_s1=1e-3, ugs_s2=1e-3)
        if dataset == "tolokers":
            settings = dict(lr=0.01, weight_decay=0.0)

        def on_ticket(ticket, dataset=dataset, model=model, split=split):
            row = {"dataset": dataset, "model": model, "split": split,
                   "level": level_of(ticket.target_edge_sparsity)}
            row.update(ticket.summary())
            rows.append(row)
            print(f"[{time.strftime('%H:%M:%S')}] {dataset} {model} split{split} {ticket}", flush=True)
            save()

        find_tickets(make_backbone(model, data), data, ugs_levels(levels), method, seed=seed, split=split,
                     epochs=20 if quick else 200, include_dense=(method == "teddy"), verbose=False,
                     on_ticket=on_ticket, **settings)
        done_cells.append([dataset, model, method, seed, split])
        save()


def sweep_tickets() -> list:
    """Every ticket of the sweep: the merged ``teddy_sweep.json`` (``raw_tickets``) plus any worker
    files not merged yet; a cell re-run after an interrupted one replaces its tickets (time order)."""
    import glob

    by_key = {}
    merged = os.path.join(RESULTS_DIR, "teddy_sweep.json")
    paths = [merged] if os.path.exists(merged) else []
    paths += sorted(glob.glob(os.path.join(RESULTS_DIR, "teddy_sweep_w*.json")), key=os.path.getmtime)
    for path in paths:
        with open(path) as f:
            content = json.load(f)
        for row in content.get("tickets", content.get("raw_tickets", [])):
            key = (row["dataset"], row["model"], row["split"], row["level"], row.get("method"), row.get("seed"))
            by_key[key] = row
    return list(by_key.values())


def merge() -> None:
    """Write ``teddy_sweep.json`` (tables, plots and every ticket); the worker files may then go."""
    from graphsparse.lottery.report import plot_sweep, summarize

    rows = sweep_tickets()
    tables = {}
    for dataset in sorted({r["dataset"] for r in rows}):
        for model in sorted({r["model"] for r in rows if r["dataset"] == dataset}):
            subset = [r for r in rows if r["dataset"] == dataset and r["model"] == model]
            table = summarize(subset)
            tables[f"{dataset}/{model}"] = table
            img = os.path.join(ROOT, "docs", "img", f"teddy_sweep_{dataset}_{model}.png")
            os.makedirs(os.path.dirname(img), exist_ok=True)
            plot_sweep(table, img, f"{dataset} / {model.upper()} (mean +- std over seeds)", subset[0]["metric"])
    lines = []
    for key, table in tables.items():
        lines.append(f"\n{key} (test score %, mean +- std over n seeds/splits)\n")
        lines.append("| method | level | edges kept | weights kept | score | n |")
        lines.append("|---|---|---|---|---|---|")
        for row in sorted(table, key=lambda r: (r["level"], r["method"])):
            lines.append(f"| {row['method']} | {row['level']} | {100 * (1 - row['edge_sparsity']):.2f}% | "
                         f"{100 * (1 - row['weight_sparsity']):.2f}% | {100 * row['mean']:.1f}"
                         + (f" +- {100 * row['std']:.1f}" if row["n"] > 1 else "") + f" | {row['n']} |")
    markdown = "\n".join(lines)
    print(markdown)
    write_result("teddy_sweep", {"protocol": __doc__.split("\n\n")[1], "tables": tables,
                                 "num_tickets": len(rows), "markdown": markdown, "raw_tickets": rows})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", default="0", help="worker name; start several to share the cell list")
    parser.add_argument("--quick", action="store_true", help="tiny synthetic run (seconds)")
    parser.add_argument("--only", default=None, help="only cells of this dataset")
    parser.add_argument("--merge", action="store_true", help="combine queue files, write table + plots")
    parser.add_argument("--cells", default=None,
                        help="comma-separated dataset:model:method:seed cells to run (e.g. to finish "
                             "interrupted ones); default: every unclaimed cell")
    args = parser.parse_args()
    if args.merge:
        merge()
    else:
        selected = None if args.cells is None else {c.strip() for c in args.cells.split(",") if c.strip()}
        run_worker(args.worker, args.quick, args.only, selected)
