"""Backend benchmark: CSR x dense (float32, n x d) on an R-MAT graph.

Compares, in one run and on one graph:

* ``graphsparse.spmm`` (Numba, parallel, ``out=`` reused),
* ``scipy.sparse`` ``csr @ dense`` (single-threaded),
* ``torch.sparse.mm`` with a CSR tensor (``torch.set_num_threads(cores)``),
* the machine's memory bandwidth, measured as a large ``np.copyto`` (read + write bytes / time).

The bandwidth bound of one product is the bytes it must move at least once:
``indptr (8 (n+1)) + indices (4 E) + weights (4 E) + gathered dense rows (4 d E) + output (4 d n)``
divided by the measured copy bandwidth. We report our time as a fraction of that bound
(``bound_fraction = bound_seconds / our_seconds``) and our speed-up over SciPy.

Usage: ``python benchmarks/bench_backend.py [--nodes 1000000 --edges 10000000 --dim 128] [--quick]``.
Writes ``benchmarks/results/backend.json``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._common import peak_rss_mb, timeit, write_result  # noqa: E402


def copy_bandwidth(num_bytes: int = 1 << 30, repeat: int = 5) -> float:
    """Bytes moved per second (read + write) by ``np.copyto`` of a ``num_bytes`` array."""
    src = np.ones(num_bytes // 4, dtype=np.float32)
    dst = np.empty_like(src)
    best, _, _ = timeit(lambda: np.copyto(dst, src), repeat=repeat, warmup=1)
    return 2 * num_bytes / best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=10_000_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="100k nodes / 1M edges, 3 repeats")
    parser.add_argument("--output", default=None, help="JSON path (default benchmarks/results/backend.json)")
    args = parser.parse_args(argv)
    if args.quick:
        args.nodes, args.edges, args.repeat = 100_000, 1_000_000, 3

    import numba
    import scipy.sparse as sp
    import torch

    import graphsparse as gs
    from graphsparse.datasets import rmat

    cores = os.cpu_count() or 1
    torch.set_num_threads(cores)
    t0 = time.perf_counter()
    graph = rmat(args.nodes, args.edges, seed=args.seed, directed=True)
    rng = np.random.default_rng(args.seed)
    graph = graph.with_weights(rng.random(graph.num_edges, dtype=np.float32) + 0.5)
    build_s = time.perf_counter() - t0
    n, e, d = graph.num_nodes, graph.num_edges, args.dim
    dense = rng.standard_normal((n, d), dtype=np.float32)
    out = np.empty((n, d), dtype=np.float32)

    bandwidth = copy_bandwidth()
    bound_bytes = 8 * (n + 1) + 4 * e + 4 * e + 4 * d * e + 4 * d * n
    bound_s = bound_bytes / bandwidth

    ours_min, ours_med, ours_all = timeit(lambda: gs.spmm(graph, dense, out=out), repeat=args.repeat)
    scipy_matrix = graph.to_scipy()
    scipy_min, scipy_med, scipy_all = timeit(lambda: scipy_matrix @ dense, repeat=args.repeat)
    np.testing.assert_allclose(out, scipy_matrix @ dense, rtol=1e-3, atol=1e-3)
    torch_csr = graph.to_torch_csr()
    torch_dense = torch.from_numpy(dense)
    torch_min, torch_med, torch_all = timeit(lambda: torch.sparse.mm(torch_csr, torch_dense), repeat=args.repeat)

    figures = {
        "graph": {"generator": "rmat", "num_nodes": n, "num_edges": e, "seed": args.seed, "build_s": build_s},
        "dim": d,
        "threads": {"numba": numba.get_num_threads(), "torch": torch.get_num_threads()},
        "copy_bandwidth_gb_s": bandwidth / 1e9,
        "bound_bytes": bound_bytes,
        "bound_s": bound_s,
        "graphsparse_spmm_s": {"min": ours_min, "median": ours_med, "all": ours_all},
        "scipy_spmm_s": {"min": scipy_min, "median": scipy_med, "all": scipy_all},
        "torch_sparse_mm_s": {"min": torch_min, "median": torch_med, "all": torch_all},
        "speedup_vs_scipy": scipy_med / ours_med,
        "speedup_vs_torch": torch_med / ours_med,
        "bound_fraction": bound_s / ours_min,
        "effective_gb_s": bound_bytes / ours_min / 1e9,
        "targets": {"speedup_vs_scipy": 1.5, "bound_fraction": 0.40},
        "peak_rss_mb": peak_rss_mb(),
    }
    figures["meets_targets"] = bool(figures["speedup_vs_scipy"] >= 1.5 and figures["bound_fraction"] >= 0.40)
    print(f"R-MAT n={n:,} E={e:,} d={d}: ours {ours_med:.3f}s  scipy {scipy_med:.3f}s  torch {torch_med:.3f}s  "
          f"-> {figures['speedup_vs_scipy']:.2f}x scipy, {figures['speedup_vs_torch']:.2f}x torch; "
          f"copy bandwidth {bandwidth / 1e9:.1f} GB/s, bound {bound_s:.3f}s = "
          f"{100 * figures['bound_fraction']:.0f}% of bound")
    write_result("backend", figures, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
