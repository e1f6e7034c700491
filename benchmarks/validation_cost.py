"""What the validation boundary costs, next to the work it protects (issue 13: target < 5%).

On an undirected R-MAT graph (1M nodes / 10M edges, ``rmat(..., directed=False)`` as in
``fastrp_speed.py``; both directions stored), same
process, interleaved repeats (validation, FastRP fit, validation, FastRP fit, ...):

* ``validate_csr``: the O(E) check that ``Graph(...)`` and ``Graph.load`` run on every graph from
  outside (indptr monotone and ending at nnz, ids in range, rows sorted and coalesced, finite
  weights, dtypes) -- with weights, as the expensive case;
* ``as_graph_edge_index_checks``: the checks ``as_graph`` runs on a (2, E) edge index before
  building the CSR (dtype, range of the ids, weights);
* the boundary check of a SciPy input (``_check_compressed_structure`` before SciPy converts it);
* ``FastRP(n_components=128, random_state=0).fit(graph)``.

Writes ``benchmarks/results/validation_cost.json`` (median and best of the repeats, ratios, machine,
load average before and after). Run under ``flock /tmp/gs-heavy.lock nice -n 5``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._common import peak_rss_mb, write_result  # noqa: E402


def thread_figures(g, width: int = 32, calls: int = 4) -> dict:
    """The kernel lock's cost: per-call overhead of the wrapper, and 4 threads vs 4 sequential spmm."""
    import threading

    import graphsparse as gs
    from graphsparse import kernels
    from graphsparse.kernels import csr

    tiny_indptr, tiny_indices = np.array([0, 1, 2]), np.array([1, 0], np.int32)
    tiny_x, tiny_out = np.ones((2, 4), np.float32), np.empty((2, 4), np.float32)
    per_call = {}
    for label, fn in (("wrapped", kernels.spmm_unweighted), ("raw", csr.spmm_unweighted)):
        fn(tiny_indptr, tiny_indices, tiny_x, tiny_out)
    for _ in range(3):  # interleaved
        for label, fn in (("wrapped", kernels.spmm_unweighted), ("raw", csr.spmm_unweighted)):
            t0 = time.perf_counter()
            for _ in range(2000):
                fn(tiny_indptr, tiny_indices, tiny_x, tiny_out)
            per_call.setdefault(label, []).append((time.perf_counter() - t0) / 2000)
    x = np.random.default_rng(0).standard_normal((g.num_nodes, width), dtype=np.float32)
    outs = [np.empty_like(x) for _ in range(calls)]
    seq, par = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        for k in range(calls):
            gs.spmm(g, x, out=outs[k])
        seq.append(time.perf_counter() - t0)
        threads = [threading.Thread(target=gs.spmm, args=(g, x), kwargs={"out": outs[k]}) for k in range(calls)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        par.append(time.perf_counter() - t0)
    import numba

    return {
        "threading_layer": numba.threading_layer(),
        "wrapper_overhead_per_call_us": 1e6 * (min(per_call["wrapped"]) - min(per_call["raw"])),
        "tiny_kernel_call_us": {k: 1e6 * min(v) for k, v in per_call.items()},
        f"spmm_{calls}_sequential_s_median": float(np.median(seq)),
        f"spmm_{calls}_threads_s_median": float(np.median(par)),
        "note": "threads are serialised kernel by kernel under workqueue; each kernel uses every core",
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    import graphsparse.graph as gg
    from graphsparse.datasets.generators import rmat
    from graphsparse.embed import FastRP

    load_before = os.getloadavg()
    g = rmat(args.nodes, args.edges, seed=0, directed=False)  # as benchmarks/fastrp_speed.py
    weights = np.random.default_rng(0).random(g.num_edges).astype(np.float32) + 0.5
    edge_index = g.to_edge_index()
    scipy_matrix = g.to_scipy()

    def validate():
        gg.validate_csr(g.indptr, g.indices, weights, g.num_nodes)

    def edge_index_checks():
        ids = gg._coerce_edge_index(edge_index, "edge_index")
        gg.check_node_ids(ids.reshape(-1), g.num_nodes, "edge_index")
        gg._check_weights(weights, ids.shape[1])

    def scipy_checks():
        gg._check_compressed_structure(scipy_matrix.indptr, scipy_matrix.indices, g.num_nodes, g.num_nodes, "X")

    def fit():
        FastRP(n_components=128, random_state=0).fit(g)

    for fn in (validate, edge_index_checks, scipy_checks):  # warm-up: compile / load the kernels
        fn()
    FastRP(n_components=8, random_state=0).fit(g)
    times = {"validate_csr": [], "as_graph_edge_index_checks": [], "scipy_structure_check": [], "fastrp_fit": []}
    fns = {"validate_csr": validate, "as_graph_edge_index_checks": edge_index_checks,
           "scipy_structure_check": scipy_checks, "fastrp_fit": fit}
    for _ in range(args.repeat):
        for key, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - t0)
            print(f"{key}: {times[key][-1]:.3f} s", flush=True)
    threads_figures = thread_figures(g)
    median = {k: float(np.median(v)) for k, v in times.items()}
    best = {k: float(np.min(v)) for k, v in times.items()}
    ratios = {k: median[k] / median["fastrp_fit"] for k in fns if k != "fastrp_fit"}
    figures = {
        "graph": {"generator": "rmat", "directed": False, "num_nodes": g.num_nodes, "num_edges": g.num_edges, "seed": 0,
                  "weighted_for_validation": True},
        "fastrp": {"n_components": 128, "random_state": 0},
        "repeats": args.repeat,
        "seconds": times,
        "median_s": median,
        "best_s": best,
        "ratio_to_fastrp_fit_median": ratios,
        "ratio_to_fastrp_fit_best": {k: best[k] / best["fastrp_fit"] for k in ratios},
        "target": "validation < 5% of a FastRP fit",
        "met": bool(ratios["validate_csr"] < 0.05 and ratios["as_graph_edge_index_checks"] < 0.05),
        "threads": threads_figures,
        "load_avg_before": list(load_before),
        "load_avg_after": list(os.getloadavg()),
        "peak_rss_mb": peak_rss_mb(),
    }
    write_result("validation_cost", figures, args.output)
    for key, value in ratios.items():
        print(f"{key}: {100 * value:.2f}% of a FastRP fit (median {median[key]:.3f} s vs {median['fastrp_fit']:.2f} s)")


if __name__ == "__main__":
    main()
