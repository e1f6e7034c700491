"""Speed of one Dir-GCN layer (forward + backward) vs PyG's DirGNNConv(GCNConv) and GCNConv.

Usage: ``python benchmarks/directed_speed.py [--quick]`` (from the repo root).

Graph: directed squirrel (5,201 nodes, 217,073 edges; shared dataset), random 128-dim
features, one layer 128 -> 128, ``torch.set_num_threads(1)``. Timed: ``loss = layer(x).sum();
loss.backward()`` (median of ``repeat`` runs after warm-up), all in the same process:

* ``ours_dirgcn``: :class:`graphsparse.directed.models.DirGCNConv` (alpha 0.5, operators built
  once: ``D_out^-1/2 A D_in^-1/2`` and its transpose as torch CSR);
* ``ours_dirgcn_uncached``: the same, normalising from ``edge_index`` on every call;
* ``pyg_dirgnnconv``: ``DirGNNConv(GCNConv(128, 128, cached=True), alpha=0.5)`` on ``edge_index``;
* ``pyg_gcnconv_symmetrised``: ``GCNConv(128, 128, cached=True)`` on the symmetrised edge index.

Targets: ours >= 5x faster than DirGNNConv and no slower than the symmetrised GCNConv.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._common import timeit, write_result  # noqa: E402


def load_edges():
    try:
        from graphsparse.datasets import load_dataset

        data = load_dataset("squirrel_directed")
        return data.edge_index, int(data.num_nodes), "squirrel_directed"
    except Exception:  # pragma: no cover - data absent: synthetic stand-in of the same size
        from graphsparse.datasets import rmat

        g = rmat(5201, 217073, seed=0, directed=True)
        return g.to_edge_index("torch"), g.num_nodes, "rmat(5201, 217073)"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    from torch_geometric.nn import DirGNNConv, GCNConv
    from torch_geometric.utils import to_undirected

    from graphsparse.directed.models import DirectedOperators, DirGCNConv

    edge_index, n, source = load_edges()
    channels = 128
    repeat = 5 if args.quick else 15
    x = torch.randn(n, channels, requires_grad=True)
    sym_index = to_undirected(edge_index, num_nodes=n)

    ours = DirGCNConv(channels, channels, alpha=0.5)
    t0 = time.perf_counter()
    operators = DirectedOperators.from_graph(edge_index, ("dir",), num_nodes=n)
    operators.op("dir"), operators.op("dir").T
    build_seconds = time.perf_counter() - t0
    pyg_dir = DirGNNConv(GCNConv(channels, channels, cached=True), alpha=0.5)
    pyg_sym = GCNConv(channels, channels, cached=True)

    def step(fn):
        def run():
            x.grad = None
            fn().sum().backward()
        return run

    cases = {
        "ours_dirgcn": step(lambda: ours(x, operators)),
        "ours_dirgcn_uncached": step(lambda: ours(x, edge_index)),
        "pyg_dirgnnconv": step(lambda: pyg_dir(x, edge_index)),
        "pyg_gcnconv_symmetrised": step(lambda: pyg_sym(x, sym_index)),
    }
    timings = {}
    # interleave rounds so that machine-load drift hits every case alike
    per_case = {k: [] for k in cases}
    for _ in range(3):
        for name, fn in cases.items():
            _, _, times = timeit(fn, repeat=max(repeat // 3, 2), warmup=1)
            per_case[name].extend(times)
    for name, times in per_case.items():
        timings[name] = {"median_ms": 1000 * float(np.median(times)), "min_ms": 1000 * float(np.min(times)),
                         "runs": len(times)}
        print(f"{name}: median {timings[name]['median_ms']:.2f} ms", flush=True)
    ours_ms = timings["ours_dirgcn"]["median_ms"]
    figures = {
        "graph": source, "num_nodes": n, "num_edges": int(edge_index.shape[1]),
        "num_edges_symmetrised": int(sym_index.shape[1]), "channels": channels, "threads": 1,
        "operator_build_seconds": build_seconds, "timings": timings,
        "speedup_vs_pyg_dirgnnconv": timings["pyg_dirgnnconv"]["median_ms"] / ours_ms,
        "speedup_vs_pyg_gcnconv_symmetrised": timings["pyg_gcnconv_symmetrised"]["median_ms"] / ours_ms,
        "targets": {"speedup_vs_pyg_dirgnnconv": ">= 5", "speedup_vs_pyg_gcnconv_symmetrised": ">= 1"},
    }
    figures["targets_met"] = {"vs_dirgnnconv": figures["speedup_vs_pyg_dirgnnconv"] >= 5,
                              "vs_gcnconv": figures["speedup_vs_pyg_gcnconv_symmetrised"] >= 1}
    write_result("directed_speed" + ("_quick" if args.quick else ""), figures)


if __name__ == "__main__":
    main()
