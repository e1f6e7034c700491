"""Sweeps, tables and plots for ticket finding (used by the CLI and the benchmarks)."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["load_node_data", "summarize", "plot_sweep", "PLANETOID"]

PLANETOID = ("cora", "citeseer")


def load_node_data(name: str, root=None):
    """A node-classification ``Data`` by name: a shared dataset (``graphsparse.datasets``; Cora and
    CiteSeer get row-normalised features, as in the GCN/UGS/TEDDY code) or ``"csbm"``, a small
    synthetic contextual SBM (no files needed)."""
    name = str(name).lower()
    if name == "csbm":
        from graphsparse.datasets import contextual_sbm

        return contextual_sbm(num_nodes=600, num_classes=3, avg_degree=8.0, homophily=0.8, num_features=32,
                              feature_signal=1.0, seed=0)
    from graphsparse.datasets import load_dataset

    data = load_dataset(name, root=root)
    if name in PLANETOID:
        import torch_geometric.transforms as T

        data = T.NormalizeFeatures()(data)
    return data


def summarize(rows: list) -> list:
    """Group ticket rows (``method``, ``level``, ``test_score``, sparsities, ...) by (method, level):
    mean and sample std of the test score over seeds."""
    groups = {}
    for row in rows:
        groups.setdefault((row["method"], row.get("model", "gcn"), row["level"]), []).append(row)
    table = []
    for (method, model, level), items in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        scores = np.array([r["test_score"] for r in items], dtype=float)
        table.append({"method": method, "model": model, "level": level,
                      "edge_sparsity": float(np.mean([r["edge_sparsity"] for r in items])),
                      "weight_sparsity": float(np.mean([r["weight_sparsity"] for r in items])),
                      "mean": float(scores.mean()), "std": float(scores.std(ddof=1)) if len(scores) > 1 else 0.0,
                      "n": int(len(scores)), "seeds": [r["seed"] for r in items]})
    return table


def plot_sweep(table: list, path: str, title: str = "", metric: str = "accuracy") -> str:
    """Two panels: test score against graph sparsity and against weight sparsity, one line per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    dense = [row for row in table if row["method"] == "dense"]
    present = set(row["method"] for row in table)
    methods = [m for m in ("teddy", "ugs", "random") if m in present]
    methods += sorted(present - set(methods) - {"dense"})
    colors = {"teddy": "tab:red", "ugs": "tab:blue", "random": "tab:gray"}
    for axis, key, label in ((axes[0], "edge_sparsity", "graph sparsity (% edges removed)"),
                             (axes[1], "weight_sparsity", "weight sparsity (% weights zero)")):
        for method in methods:
            rows = sorted((r for r in table if r["method"] == method), key=lambda r: r[key])
            xs = [100 * r[key] for r in rows]
            means = np.array([100 * r["mean"] for r in rows])
            stds = np.array([100 * r["std"] for r in rows])
            axis.errorbar(xs, means, yerr=stds, marker="o", capsize=3, label=method.upper(), color=colors.get(method))
        for row in dense:
            axis.axhline(100 * row["mean"], color="black", linestyle="--", linewidth=1, label="dense")
        axis.set_xlabel(label)
        axis.grid(alpha=0.3)
    axes[0].set_ylabel(f"test {metric} (%)")
    axes[1].legend(loc="lower left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def level_of(edge_sparsity: float, p_g: float = 0.05) -> int:
    return int(round(math.log(1 - edge_sparsity) / math.log(1 - p_g))) if edge_sparsity > 0 else 0
