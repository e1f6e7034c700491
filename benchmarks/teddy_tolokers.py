"""TEDDY graph sparsification on tolokers (11,758 nodes, 519,000 undirected edges), ROC-AUC.

Graph sparsity 1 - 0.95^r for r = 5, 10, 20 with dense weights (weight sparsity 0): on this
10-feature graph the 2-layer GCN (64 hidden channels, 768 weights) loses almost all its weights
under the UGS weight schedule (1.15% = 9 weights kept at r = 20, ROC-AUC 0.50 -- see the
``tolokers/gcn64`` rows of ``teddy_sweep.json``), so the graph half of TEDDY is measured alone
here (with its distillation loss, lambda = 10). The benchmark's 10 fixed splits (``--splits``);
Adam lr 0.01, no weight decay, 200 epochs. Writes ``benchmarks/results/teddy_tolokers.json``
after every ticket, keeping the tickets of splits not re-run (several processes may run disjoint
splits one after the other), with the mean +- std over splits of each level in ``summary``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import torch  # noqa: E402

from benchmarks._common import RESULTS_DIR, write_result  # noqa: E402

PATH = os.path.join(RESULTS_DIR, "teddy_tolokers.json")


def summarize(rows) -> dict:
    """Mean and sample std of the test ROC-AUC per (method, level) over splits."""
    import numpy as np

    groups = {}
    for row in rows:
        groups.setdefault(f"{row['method']}_level{row['level']}", []).append((row["split"], row["test_score"]))
    return {key: {"mean": float(np.mean([v for _, v in values])),
                  "std": float(np.std([v for _, v in values], ddof=1)) if len(values) > 1 else 0.0,
                  "n": len(values), "splits": sorted(s for s, _ in values)} for key, values in sorted(groups.items())}


def main(splits, hidden: int) -> None:
    from graphsparse.lottery import GCN, find_tickets
    from graphsparse.lottery.report import level_of, load_node_data

    torch.set_num_threads(1)
    data = load_node_data("tolokers")
    levels = [(1 - 0.95 ** r, 0.0) for r in (5, 10, 20)]
    started = time.time()

    def on_ticket(ticket, split):
        row = {"split": split, "level": level_of(ticket.target_edge_sparsity)}
        row.update(ticket.summary())
        previous = []
        if os.path.exists(PATH):  # re-read: another process may have added other splits meanwhile
            with open(PATH) as f:
                previous = json.load(f).get("tickets", [])
        key = (row["split"], row["level"], row["method"])
        rows = [r for r in previous if (r["split"], r["level"], r["method"]) != key] + [row]
        rows.sort(key=lambda r: (r["split"], r["level"]))
        print(f"[{time.strftime('%H:%M:%S')}] split{split} {ticket}", flush=True)
        write_result("teddy_tolokers", {"protocol": __doc__.split("\n\n")[0], "hidden_channels": hidden,
                                        "elapsed_s_this_process": time.time() - started, "summary": summarize(rows),
                                        "tickets": rows}, path=PATH)

    for split in splits:
        find_tickets(lambda: GCN(data.x.size(1), hidden, 2), data, levels, "teddy", split=split, lr=0.01,
                     weight_decay=0.0, include_dense=True, verbose=False, seed=0,
                     on_ticket=lambda t, split=split: on_ticket(t, split))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", default="0")
    parser.add_argument("--hidden", type=int, default=64)
    args = parser.parse_args()
    main([int(s) for s in args.splits.split(",")], args.hidden)
