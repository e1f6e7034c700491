"""UGS sparsity coefficients (s1 on the edge mask, s2 on the weight masks) against random pruning.

Question: which default ``(ugs_s1, ugs_s2)`` of :func:`graphsparse.lottery.find_tickets` keeps
UGS at or above random pruning at levels 5 and 10 (77.4% / 59.9% of the edges and 32.8% / 10.7%
of the weights kept) on the shared node-classification graphs? A user saw UGS with the old
default ``s1 = s2 = 1e-2`` score 47% on a heterophilous graph, below random pruning (58%). (Now the
defaults are ``s1 = s2 = 0``, chosen from this file's figures: docs/lottery.md.)

Protocol: GCN 2 x 512 (the library's ``"gcn"``), the library defaults for everything but the
coefficients (lr 0.01, weight decay 5e-4, 200 epochs, p_g 0.05, p_w 0.2), seed 0, levels
``ugs_levels([5, 10])`` (one UGS run passes through rounds 1..10 and retrains at 5 and 10).
Graphs: Cora and CiteSeer (public split, row-normalised features, via
``graphsparse.lottery.report.load_node_data``), squirrel_directed symmetrised with
``torch_geometric.utils.to_undirected`` (its fixed split 0, raw binary features), and the other
graphs given on the command line; ``csbm_hetero`` is a synthetic heterophilous contextual SBM
(600 nodes, edge homophily 0.2). A key ending in ``/gcn64`` or ``/epochs50`` was run with
``--hidden 64`` / ``--epochs 50`` (cheaper, for the shared 2-core machine). Per cell: test and
validation accuracy at both levels, wall and CPU seconds, the load average before and after.
``cells`` hold runs of the fixed mask search (no weight decay on the masks unless a cell's key says
``maskwd=``, edge mask kept >= 0; commit c9b1fde); ``cells_before_mask_fix`` the UGS runs before it.

One graph (and optionally a subset of cells) per invocation; every finished cell is merged into
``benchmarks/results/ugs_defaults.json`` at once (a rerun of a cell replaces it)::

    flock /tmp/gs-heavy.lock nice -n 10 python benchmarks/ugs_defaults.py --graph cora
    flock /tmp/gs-heavy.lock nice -n 10 python benchmarks/ugs_defaults.py --graph squirrel_directed \\
        --cells random,ugs:1e-2:1e-2,ugs:1e-4:1e-3
    python benchmarks/ugs_defaults.py --graph squirrel_directed --probe   # time one round, extrapolate
    python benchmarks/ugs_defaults.py --graph cora --diagnose --trajectory 1e-2:1e-2,1e-6:1e-5
    python benchmarks/ugs_defaults.py --table                             # print the summary table
"""
from __future__ import annotations

import argparse
import fcntl
import json
import math
import os
import sys
import time

os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks._common import RESULTS_DIR, machine_info, write_result  # noqa: E402

NAME = "ugs_defaults"
PATH = os.path.join(RESULTS_DIR, f"{NAME}.json")
LEVELS = [5, 10]
S1_GRID = [1e-2, 1e-3, 1e-4, 1e-6]
S2_GRID = [1e-2, 1e-3]
DEFAULT_CELLS = ["random"] + [f"ugs:{s1:g}:{s2:g}" for s1 in S1_GRID for s2 in S2_GRID]
PROTOCOL = __doc__.split("\n\n")[2]


def load_graph_data(name: str):
    """The node-classification ``Data`` of a shared graph; directed graphs are symmetrised."""
    from torch_geometric.utils import to_undirected

    from graphsparse.lottery.report import load_node_data

    if name == "csbm_hetero":  # heterophilous synthetic graph (edge homophily 0.2, 3 classes), no files needed
        from graphsparse.datasets import contextual_sbm

        return contextual_sbm(num_nodes=600, num_classes=3, avg_degree=8.0, homophily=0.2, num_features=32,
                              feature_signal=1.0, seed=0)
    data = load_node_data(name)
    if not data.is_undirected():
        data.edge_index = to_undirected(data.edge_index, num_nodes=data.num_nodes)
        data.directed = False
    return data


def parse_cell(cell: str) -> dict:
    if cell == "random":
        return {"method": "random"}
    parts = cell.split(":")
    if len(parts) not in (3, 4) or parts[0] != "ugs":
        raise ValueError(f"--cells entries are 'random' or 'ugs:S1:S2[:MASK_WD]', got {cell!r}")
    out = {"method": "ugs", "ugs_s1": float(parts[1]), "ugs_s2": float(parts[2])}
    if len(parts) == 4:
        out["ugs_mask_weight_decay"] = float(parts[3])
    return out


def cell_key(cell: dict, seed: int) -> str:
    if cell["method"] == "random":
        return f"random/seed{seed}"
    wd = cell.get("ugs_mask_weight_decay", 0.0)
    return f"ugs s1={cell['ugs_s1']:g} s2={cell['ugs_s2']:g}" + (f" maskwd={wd:g}" if wd else "") + f"/seed{seed}"


def load_results() -> dict:
    if os.path.exists(PATH):
        with open(PATH) as f:
            return json.load(f)
    return {"benchmark": NAME, "protocol": PROTOCOL, "graphs": {}}


def save_results(results: dict) -> None:
    results["machine"] = machine_info()
    results["protocol"] = PROTOCOL
    results["table"] = summary(results)
    write_result(NAME, results, path=PATH)


def summary(results: dict) -> list:
    """One row per (graph, cell): test/val accuracy at each level and the margin over random."""
    rows = []
    for graph, info in results["graphs"].items():
        cells = info["cells"]
        for key, cell in cells.items():
            suffix = key.split("/", 1)[1]  # "seed0" or "seed0/gcn64": compare with random of the same
            rand = cells.get(f"random/{suffix}")
            row = {"graph": graph, "cell": key}
            for level in map(str, LEVELS):
                got = cell["levels"].get(level)
                if got is None:
                    continue
                row[f"test_l{level}"] = got["test"]
                row[f"val_l{level}"] = got["val"]
                if rand is not None and level in rand["levels"] and cell["method"] == "ugs":
                    row[f"test_minus_random_l{level}"] = got["test"] - rand["levels"][level]["test"]
            row["wall_s"] = cell.get("wall_s")
            rows.append(row)
    return rows


def backbone(hidden: int, data):
    """The library's ``"gcn"`` (2 x 512) or, for ``hidden != 512``, the same GCN with ``hidden`` channels."""
    if hidden == 512:
        return "gcn"
    from graphsparse.lottery import GCN

    return lambda: GCN(data.x.size(1), hidden, int(data.y.max()) + 1)


def merge(graph: str, data, key: str, record: dict) -> None:
    """Put one cell into the JSON (other invocations may be writing other cells: file lock)."""
    with open(os.path.join(RESULTS_DIR, f".{NAME}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        results = load_results()
        entry = results["graphs"].setdefault(graph, {"cells": {}})
        if "cells_before_mask_fix" not in entry:  # UGS cells measured before the mask-search fix (commit c9b1fde)
            entry["cells_before_mask_fix"] = {k: v for k, v in entry["cells"].items() if v["method"] == "ugs"}
            entry["cells"] = {k: v for k, v in entry["cells"].items() if v["method"] != "ugs"}
        entry.update(num_nodes=int(data.num_nodes), num_edge_columns=int(data.edge_index.size(1)),
                     num_features=int(data.x.size(1)), num_classes=int(data.y.max()) + 1)
        entry["cells"][key] = record
        save_results(results)


def run_cells(graph: str, cells: list, seeds: list, epochs: int, hidden: int = 512) -> None:
    import torch

    from graphsparse.lottery import find_tickets, ugs_levels
    from graphsparse.lottery.report import level_of

    torch.set_num_threads(1)
    data = load_graph_data(graph)
    for seed in seeds:
        for text in cells:
            cell = parse_cell(text)
            key = cell_key(cell, seed) + ("" if hidden == 512 else f"/gcn{hidden}") + \
                ("" if epochs == 200 else f"/epochs{epochs}")
            kwargs = {k: v for k, v in cell.items() if k != "method"}
            record = dict(cell, seed=seed, epochs=epochs, hidden=hidden, levels={}, load_before=os.getloadavg())
            start, cpu_start = time.perf_counter(), time.process_time()
            print(f"[{time.strftime('%H:%M:%S')}] {graph} {key} starts (load {os.getloadavg()[0]:.1f})", flush=True)

            def on_ticket(ticket, record=record):
                record["levels"][str(level_of(ticket.target_edge_sparsity))] = {
                    "test": ticket.test_score, "val": ticket.val_score, "best_epoch": ticket.best_epoch,
                    "edge_sparsity": ticket.edge_sparsity, "weight_sparsity": ticket.weight_sparsity,
                    "seconds": ticket.timings.get("total")}
                print(f"[{time.strftime('%H:%M:%S')}]   {ticket}", flush=True)
                merge(graph, data, key, dict(record, partial=True))  # level 5 survives an interrupted cell

            find_tickets(backbone(hidden, data), data, ugs_levels(LEVELS), cell["method"], seed=seed, split=0, epochs=epochs,
                         verbose=False, on_ticket=on_ticket, **kwargs)
            record.update(wall_s=time.perf_counter() - start, cpu_s=time.process_time() - cpu_start,
                          load_after=os.getloadavg())
            merge(graph, data, key, record)
            print(f"[{time.strftime('%H:%M:%S')}] {graph} {key} done in {record['wall_s']:.0f} s "
                  f"({record['cpu_s']:.0f} CPU-s)", flush=True)


def diagnose(graph: str, trajectories: list) -> None:
    """Scale of the cross-entropy gradient of the UGS masks at initialisation (all masks 1, the
    library's GCN, seed 0, one full-batch backward), and optionally the first round's mask
    trajectory for some ``(s1, s2)``: an instrumented copy of the loop of
    :func:`graphsparse.lottery.train.ugs_mask_search` (same Adam, weight decay on the masks, l1
    sub-gradient, no weight decay on the masks, edge mask clamped to >= 0) that records the validation
    accuracy and the mean |mask| every 25 epochs."""
    import torch
    import torch.nn.functional as F
    from torch.func import functional_call

    from graphsparse.lottery.find import _pairs
    from graphsparse.lottery.models import make_model
    from graphsparse.lottery.projection import prunable_parameters
    from graphsparse.lottery.train import prepare_data, score

    torch.set_num_threads(1)
    data = load_graph_data(graph)
    td = prepare_data(data, split=0, metric="auto")
    pair, is_loop = _pairs(td.edge_index, td.num_nodes)
    torch.manual_seed(0)
    net = make_model("gcn", td.x.size(1), td.num_classes)
    theta0 = {k: v.clone() for k, v in net.state_dict().items()}
    names = [n for n, _ in prunable_parameters(net, "weights")]
    params = dict(net.named_parameters())
    x = td.features_for(net)

    def masks():
        return (torch.nn.Parameter(torch.ones(is_loop.numel())),
                {n: torch.nn.Parameter(torch.ones_like(params[n])) for n in names})

    def forward(edge_mask, weight_masks):
        effective = {n: params[n] * weight_masks[n] for n in names}
        return functional_call(net, effective, (x, td.edge_index, edge_mask[pair]))

    edge_mask, weight_masks = masks()
    F.cross_entropy(forward(edge_mask, weight_masks)[td.train_index], td.y[td.train_index]).backward()
    edge_grad = edge_mask.grad.abs()[~is_loop]
    weight_grad = torch.cat([weight_masks[n].grad.abs().reshape(-1) for n in names])
    sample = weight_grad[torch.randperm(weight_grad.numel(), generator=torch.Generator().manual_seed(0))[:10**6]]
    out = {"edge_mask_grad": {"median": float(edge_grad.median()), "mean": float(edge_grad.mean()),
                              "q99": float(torch.quantile(edge_grad, 0.99))},
           "weight_mask_grad": {"median": float(weight_grad.median()), "mean": float(weight_grad.mean()),
                                "q99": float(torch.quantile(sample, 0.99))},
           "trajectories": {}}
    print(json.dumps(out), flush=True)
    for s1, s2 in trajectories:
        net.load_state_dict(theta0)
        torch.manual_seed(0)
        edge_mask, weight_masks = masks()
        optimizer = torch.optim.Adam([{"params": list(net.parameters()), "weight_decay": 5e-4},
                                      {"params": [edge_mask] + list(weight_masks.values()), "weight_decay": 0.0}],
                                     lr=0.01)
        best, rows = -1.0, []
        for epoch in range(200):
            net.train()
            optimizer.zero_grad()
            F.cross_entropy(forward(edge_mask, weight_masks)[td.train_index], td.y[td.train_index]).backward()
            with torch.no_grad():
                edge_mask.grad.add_(s1 * torch.sign(edge_mask))
                for m in weight_masks.values():
                    m.grad.add_(s2 * torch.sign(m))
            optimizer.step()
            with torch.no_grad():
                edge_mask.clamp_(min=0.0)
            net.eval()
            with torch.no_grad():
                val = score(forward(edge_mask, weight_masks), td.y, td.val_index, td.metric)
            if val >= best:
                best, best_epoch = val, epoch
                kept = edge_mask.detach().abs()[~is_loop]
                spread = float(kept.std() / kept.mean())
            if epoch % 25 == 0 or epoch == 199:
                weights = torch.cat([m.detach().abs().reshape(-1) for m in weight_masks.values()])
                finite = [float(v) if math.isfinite(v) else None  # NaN once masks (and degrees) go negative
                          for v in (edge_mask.detach().abs().mean(), weights.mean())]
                rows.append({"epoch": epoch, "val": val, "edge_mask_mean_abs": finite[0], "weight_mask_mean_abs": finite[1]})
        out["trajectories"][f"s1={s1:g} s2={s2:g}"] = {"best_val": best, "best_epoch": best_epoch,
                                                       "edge_mask_cv_at_best": spread, "every_25": rows}
        print(json.dumps(out["trajectories"][f"s1={s1:g} s2={s2:g}"]), flush=True)
    with open(os.path.join(RESULTS_DIR, f".{NAME}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        results = load_results()
        results["graphs"].setdefault(graph, {"cells": {}})["mask_gradients"] = out
        save_results(results)


def probe(graph: str, epochs: int) -> None:
    """Time one short UGS round + retraining and extrapolate to a full ``--cells`` run."""
    import torch

    from graphsparse.lottery import find_tickets, ugs_levels

    torch.set_num_threads(1)
    data = load_graph_data(graph)
    short = 10
    start, cpu_start = time.perf_counter(), time.process_time()
    find_tickets("gcn", data, ugs_levels([1]), "ugs", epochs=short, verbose=False)
    wall, cpu = (time.perf_counter() - start) / (2 * short), (time.process_time() - cpu_start) / (2 * short)
    ugs_epochs = epochs * (max(LEVELS) + len(LEVELS))
    print(f"{graph}: {data.num_nodes} nodes, {data.edge_index.size(1)} edge columns; per epoch {wall:.3f} s wall, "
          f"{cpu:.3f} CPU-s (load {os.getloadavg()[0]:.1f}); one UGS cell ~{ugs_epochs * wall / 60:.1f} min wall "
          f"/ {ugs_epochs * cpu / 60:.1f} CPU-min, random ~{2 * epochs * wall / 60:.1f} min")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--graph", help="shared dataset name (cora, citeseer, squirrel_directed, ...)")
    parser.add_argument("--cells", default=",".join(DEFAULT_CELLS), help="'random' and/or 'ugs:S1:S2' entries")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--hidden", type=int, default=512, help="GCN hidden channels (512 = the library's 'gcn')")
    parser.add_argument("--probe", action="store_true", help="time one short round and extrapolate; writes nothing")
    parser.add_argument("--diagnose", action="store_true",
                        help="record the masks' gradient scale at init (and --trajectory rounds) in the JSON")
    parser.add_argument("--trajectory", default="", help="with --diagnose: 'S1:S2,...' first-round trajectories")
    parser.add_argument("--table", action="store_true", help="print the summary of the JSON and exit")
    args = parser.parse_args(argv)
    if args.table:
        for row in summary(load_results()):
            print(json.dumps(row))
        return
    if not args.graph:
        parser.error("--graph is required")
    if args.diagnose:
        diagnose(args.graph, [tuple(map(float, t.split(":"))) for t in args.trajectory.split(",") if t])
        return
    if args.probe:
        probe(args.graph, args.epochs)
        return
    cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    for c in cells:
        parse_cell(c)
    run_cells(args.graph, cells, [int(s) for s in args.seeds.split(",")], args.epochs, args.hidden)


if __name__ == "__main__":
    main()
