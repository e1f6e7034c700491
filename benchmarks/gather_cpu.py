"""CPU feature-gather throughput (GB/s of gathered rows) vs a memory copy measured in the same run.

For widths 64..1024 (fp32) over a table much larger than the caches, with uniformly random ids
(the access pattern of mini-batch feature gathering), it times:

* ``memcpy``             -- copying a contiguous block of the output's size (the ceiling),
* ``fresh``              -- ``torch.index_select(table, 0, ids)``: a new output every call,
* ``reused``             -- :class:`graphsparse.gather.FeatureTable` conventional path writing into
                            a reused (double-buffered) output,
* ``sorted_ids``         -- the same with ids already in ascending order (what a sorted / relabelled
                            batch gets),
* ``sort_ids_e2e``       -- ``FeatureTable(sort_ids=True)``: sort + gather + restore the caller's
                            order (the honest end-to-end cost when the order must be kept),
* ``ops_gather_rows``    -- the shared backend's Numba ``graphsparse.ops.gather_rows`` (reused out).

Ratios (``reused / fresh``, ``sorted_ids / reused``, ``x / memcpy``) are what to compare across
machines. Timing: one thread (torch and Numba), and the figures are GB per *CPU-second*
(``time.process_time``), which the other processes of a shared, oversubscribed machine do not
inflate the way they inflate wall time (wall-clock GB/s are recorded too, under ``wall_gb_per_s``).

Usage: ``python benchmarks/gather_cpu.py [--quick] [--table-mb 512] [--out-mb 64]``
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks._common import peak_rss_mb, write_result  # noqa: E402
from graphsparse.gather import FeatureTable  # noqa: E402
from graphsparse.ops import gather_rows  # noqa: E402

WIDTHS = (64, 100, 128, 256, 512, 602, 1000, 1024)


def cpu_timeit(fn, repeat: int):
    """Median CPU seconds (all threads of this process) and median wall seconds of ``fn`` (1 warm-up)."""
    fn()
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return float(np.median(cpu)), float(np.median(wall))


def measure_width(width: int, table_mb: float, out_mb: float, repeat: int, seed: int) -> dict:
    elem = 4
    num_rows = int(table_mb * 2**20 // (width * elem))
    num_ids = int(out_mb * 2**20 // (width * elem))
    table = torch.empty(num_rows, width, dtype=torch.float32)
    table.fill_(1.0)  # touch every page (untouched pages would read as the shared zero page)
    table[:, 0] = torch.arange(num_rows, dtype=torch.float32)
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, num_rows, (num_ids,), generator=generator)
    sorted_ids = torch.sort(ids).values
    gbytes = num_ids * width * elem / 1e9
    block = table[:num_ids]
    copy_out = torch.empty_like(block)
    reused = FeatureTable(table, device="cpu", mode="conventional", reuse_output=True, check_bounds=False)
    sorting = FeatureTable(table, device="cpu", mode="conventional", reuse_output=True, sort_ids=True,
                           check_bounds=False)
    table_np, ids_np, sorted_np = table.numpy(), ids.numpy(), sorted_ids.numpy()
    out_np = np.empty((num_ids, width), dtype=np.float32)

    methods = {
        "memcpy": lambda: copy_out.copy_(block),
        "fresh": lambda: torch.index_select(table, 0, ids),
        "reused": lambda: reused.gather(ids),
        "sorted_ids": lambda: reused.gather(sorted_ids),
        "sort_ids_e2e": lambda: sorting.gather(ids),
        "ops_gather_rows": lambda: gather_rows(table_np, ids_np, out=out_np),
        "ops_gather_rows_sorted": lambda: gather_rows(table_np, sorted_np, out=out_np),
    }
    assert torch.equal(reused.gather(ids)[:, 0], ids.float()) and torch.equal(sorting.gather(ids)[:, 0], ids.float())
    result = {"width": width, "row_bytes": width * elem, "table_rows": num_rows, "ids": num_ids,
              "gathered_gb": gbytes, "gb_per_s": {}, "cpu_seconds_median": {}, "wall_gb_per_s": {}}
    for name, fn in methods.items():
        cpu_median, wall_median = cpu_timeit(fn, repeat)
        result["gb_per_s"][name] = gbytes / cpu_median
        result["cpu_seconds_median"][name] = cpu_median
        result["wall_gb_per_s"][name] = gbytes / wall_median
    rate = result["gb_per_s"]
    result["ratios"] = {
        "reused_over_fresh": rate["reused"] / rate["fresh"],
        "sorted_ids_over_reused": rate["sorted_ids"] / rate["reused"],
        "sort_ids_e2e_over_reused": rate["sort_ids_e2e"] / rate["reused"],
        "reused_over_memcpy": rate["reused"] / rate["memcpy"],
        "sorted_ids_over_memcpy": rate["sorted_ids"] / rate["memcpy"],
    }
    del table, block, copy_out, reused, sorting
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="128 MB table, 16 MB gathers, 3 widths")
    parser.add_argument("--table-mb", type=float, default=512.0)
    parser.add_argument("--out-mb", type=float, default=64.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=None, help="JSON path (default benchmarks/results/gather_cpu.json)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    import numba

    numba.set_num_threads(1)
    widths = WIDTHS
    if args.quick:
        args.table_mb, args.out_mb, args.repeat, widths = 128.0, 16.0, 3, (64, 602, 1024)
    rows = []
    for width in widths:
        row = measure_width(width, args.table_mb, args.out_mb, args.repeat, args.seed)
        rate, ratio = row["gb_per_s"], row["ratios"]
        print(f"width {width:5d}: memcpy {rate['memcpy']:.2f}  fresh {rate['fresh']:.2f}  reused "
              f"{rate['reused']:.2f}  sorted {rate['sorted_ids']:.2f}  sort-e2e {rate['sort_ids_e2e']:.2f}  "
              f"numba {rate['ops_gather_rows']:.2f} GB/s | reused/fresh {ratio['reused_over_fresh']:.2f}x  "
              f"sorted/reused {ratio['sorted_ids_over_reused']:.2f}x", flush=True)
        rows.append(row)
    summary = {key: float(np.median([r["ratios"][key] for r in rows])) for key in rows[0]["ratios"]}
    write_result("gather_cpu", {
        "config": {"table_mb": args.table_mb, "out_mb": args.out_mb, "repeat": args.repeat, "dtype": "float32",
                   "ids": "uniform random with replacement", "threads": 1,
                   "timer": "time.process_time (CPU seconds of the process)",
                   "quick": args.quick},
        "widths": rows,
        "median_ratios_over_widths": summary,
        "records": [{"width": r["width"], "method": name, "gb_s": value}
                    for r in rows for name, value in r["gb_per_s"].items()],
        "peak_rss_mb": peak_rss_mb(),
        "note": "GB/s of gathered output; median of repeats; same-run memcpy of the same size is the ceiling",
    }, path=args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
