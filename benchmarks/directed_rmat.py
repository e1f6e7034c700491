"""Magnetic Laplacian and DiGCN adjacency on a large directed R-MAT graph: time and peak memory.

Usage: ``python benchmarks/directed_rmat.py [--quick]`` (from the repo root). Default: 1M nodes,
10M directed edges (``graphsparse.datasets.rmat``, seed 0); ``--quick``: 100k / 1M.

Each operator runs in its own child process, which reports its peak RSS after generating the
graph (baseline) and after the operator; ``extra_bytes_per_edge`` = (peak - baseline) / edges
shows memory linear in the edges (a dense ``N x N`` float32 matrix would need ``4 N^2`` bytes).
Two sizes (a half-size graph too) let the JSON show that the extra memory scales with E.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._common import peak_rss_mb, write_result  # noqa: E402


def child(op: str, num_nodes: int, num_edges: int) -> dict:
    import warnings

    from graphsparse.datasets import rmat
    from graphsparse.directed import digcn_adjacency, magnetic_laplacian

    t0 = time.perf_counter()
    g = rmat(num_nodes, num_edges, seed=0, directed=True)
    g.sources()
    gen_seconds = time.perf_counter() - t0
    baseline = peak_rss_mb()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if op == "magnetic":
            real, imag = magnetic_laplacian(g, q=0.25)
            nnz = {"real_nnz": int(real.nnz), "imag_nnz": int(imag.nnz)}
        else:
            adj = digcn_adjacency(g, alpha=0.1)
            nnz = {"nnz": adj.num_edges}
    seconds = time.perf_counter() - t0
    peak = peak_rss_mb()
    return {"op": op, "num_nodes": g.num_nodes, "num_edges": g.num_edges, "generate_seconds": gen_seconds,
            "seconds": seconds, "peak_rss_mb_after_generation": baseline, "peak_rss_mb": peak,
            "extra_mb": peak - baseline, "extra_bytes_per_edge": (peak - baseline) * 2**20 / g.num_edges,
            "dense_nxn_float32_gb": 4.0 * g.num_nodes ** 2 / 2**30, **nnz}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("OP", "N", "E"))
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), int(args.child[2]))))
        return
    n, e = (100_000, 1_000_000) if args.quick else (1_000_000, 10_000_000)
    runs = []
    for op in ("magnetic", "digcn"):
        for scale in (0.5, 1.0):
            cmd = [sys.executable, os.path.abspath(__file__), "--child", op, str(int(n * scale)), str(int(e * scale))]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(result, flush=True)
            runs.append(result)
    figures = {"graph": "rmat(seed=0, directed=True, a,b,c = 0.57, 0.19, 0.19)", "runs": runs}
    for op in ("magnetic", "digcn"):
        half, full = [r for r in runs if r["op"] == op]
        figures[f"{op}_extra_memory_ratio_full_vs_half"] = full["extra_mb"] / max(half["extra_mb"], 1e-9)
    write_result("directed_rmat" + ("_quick" if args.quick else ""), figures)


if __name__ == "__main__":
    main()
