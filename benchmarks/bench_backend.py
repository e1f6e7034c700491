"""Backend benchmark: CSR x dense (float32, n x d) on an R-MAT graph.

Compares, in one run and on one graph, under two conditions that must not be mixed:

* **fresh output** -- every call allocates its result, as a user's ``A @ X`` does:
  ``graphsparse.spmm(graph, x)``, ``scipy.sparse`` ``csr @ dense`` (single-threaded) and
  ``torch.sparse.mm`` with a CSR tensor (``torch.set_num_threads(cores)``). At 1M x 128 the result is
  512 MB of new memory, and its first touch (page faults) is a large share of every call;
* **reused output** -- the result written into a preallocated buffer: ``graphsparse.spmm(..., out=)``
  and ``torch.mm(csr, dense, out=)`` (SciPy has no public ``out=``).

The cases are timed in interleaved rounds (``_common.time_interleaved``), the load average recorded
before and after. Until 2026-12-01 this script compared our reused-output time with the others'
fresh-output times, which credited the first touch of their output to our kernel (the "3.8x SciPy,
3.1x torch.sparse" of ``backend.json`` at the time); the speed-ups are now per condition.

The machine's memory bandwidth is measured as a large ``np.copyto`` (read + write bytes / time). The
bandwidth bound of one product is the bytes it must move at least once:
``indptr (8 (n+1)) + indices (4 E) + weights (4 E) + gathered dense rows (4 d E) + output (4 d n)``
divided by that bandwidth; ``bound_fraction = bound_seconds / our reused-output seconds``.

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

from benchmarks._common import peak_rss_mb, time_interleaved, timeit, write_result  # noqa: E402


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

    scipy_matrix = graph.to_scipy()
    torch_csr = graph.to_torch_csr()
    torch_dense = torch.from_numpy(dense)
    torch_out = torch.from_numpy(np.empty((n, d), dtype=np.float32))
    gs.spmm(graph, dense, out=out)
    reference = scipy_matrix @ dense
    np.testing.assert_allclose(out, reference, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(torch.mm(torch_csr, torch_dense, out=torch_out).numpy(), reference,
                               rtol=1e-3, atol=1e-3)
    del reference
    cases = {
        "graphsparse_fresh": lambda: gs.spmm(graph, dense),
        "scipy_fresh": lambda: scipy_matrix @ dense,
        "torch_fresh": lambda: torch.sparse.mm(torch_csr, torch_dense),
        "graphsparse_out": lambda: gs.spmm(graph, dense, out=out),
        "torch_out": lambda: torch.mm(torch_csr, torch_dense, out=torch_out),
    }
    load_before = os.getloadavg()
    timings = time_interleaved(cases, repeat=args.repeat)
    load_after = os.getloadavg()
    median = {name: t["median"] for name, t in timings.items()}
    ours_min = timings["graphsparse_out"]["min"]

    figures = {
        "graph": {"generator": "rmat", "num_nodes": n, "num_edges": e, "seed": args.seed, "build_s": build_s},
        "dim": d,
        "threads": {"numba": numba.get_num_threads(), "torch": torch.get_num_threads()},
        "load_avg_before": load_before,
        "load_avg_after": load_after,
        "copy_bandwidth_gb_s": bandwidth / 1e9,
        "bound_bytes": bound_bytes,
        "bound_s": bound_s,
        "timings_s": timings,
        "speedup_fresh_output": {"vs_scipy": median["scipy_fresh"] / median["graphsparse_fresh"],
                                 "vs_torch": median["torch_fresh"] / median["graphsparse_fresh"]},
        "speedup_reused_output": {"vs_torch": median["torch_out"] / median["graphsparse_out"]},
        "first_touch_share_of_fresh_call": 1 - median["graphsparse_out"] / median["graphsparse_fresh"],
        "bound_fraction": bound_s / ours_min,
        "effective_gb_s": bound_bytes / ours_min / 1e9,
        "targets": {"speedup_fresh_output.vs_scipy": 1.5, "bound_fraction": 0.40},
        "peak_rss_mb": peak_rss_mb(),
    }
    figures["meets_targets"] = bool(figures["speedup_fresh_output"]["vs_scipy"] >= 1.5
                                    and figures["bound_fraction"] >= 0.40)
    fresh, reused = figures["speedup_fresh_output"], figures["speedup_reused_output"]
    print(f"R-MAT n={n:,} E={e:,} d={d}: fresh output: ours {median['graphsparse_fresh']:.3f}s  "
          f"scipy {median['scipy_fresh']:.3f}s  torch {median['torch_fresh']:.3f}s -> {fresh['vs_scipy']:.2f}x scipy, "
          f"{fresh['vs_torch']:.2f}x torch; reused output: ours {median['graphsparse_out']:.3f}s  torch "
          f"{median['torch_out']:.3f}s -> {reused['vs_torch']:.2f}x; copy bandwidth {bandwidth / 1e9:.1f} GB/s, "
          f"bound {bound_s:.3f}s = {100 * figures['bound_fraction']:.0f}% of bound; load {load_before[0]:.2f} -> "
          f"{load_after[0]:.2f}")
    write_result("backend", figures, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
