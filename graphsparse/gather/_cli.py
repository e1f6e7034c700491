"""``graphsparse gather``: a feature-gather throughput check (GB/s vs a same-run memory copy)."""
from __future__ import annotations

import json
import sys
import time

__all__ = ["register", "run", "throughput_check"]

DTYPES = {"float32": "float32", "fp32": "float32", "float16": "float16", "fp16": "float16",
          "bfloat16": "bfloat16", "bf16": "bfloat16", "int64": "int64"}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "gather", help="feature-gather throughput check: GB/s of table[ids] vs a memory copy",
        description="Gather random rows of a (rows x width) table onto the device with the chosen "
                    "path (zero-copy on CUDA, the conventional CPU path elsewhere) and report GB/s "
                    "next to a plain copy of the same size measured in the same run (pinned "
                    "host-to-device copy on CUDA, memcpy on the CPU).")
    parser.add_argument("--rows", type=int, default=500_000, help="table rows (default 500000)")
    parser.add_argument("--width", type=int, default=128, help="row width in elements (default 128)")
    parser.add_argument("--ids", type=int, default=100_000, help="rows per gather (default 100000)")
    parser.add_argument("--dtype", default="float32", choices=sorted(DTYPES))
    parser.add_argument("--mode", default="auto", choices=["auto", "zero_copy", "conventional", "device"])
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--sort-ids", action="store_true", help="gather in ascending id order")
    parser.add_argument("--unique-ids", action="store_true", help="gather each distinct id once")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=None, help="write the result as JSON to this file")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("--verbose", "-v", action="store_true", help="also print the configuration")
    verbosity.add_argument("--quiet", "-q", action="store_true", help="print nothing; exit code only")
    parser.set_defaults(func=run)


def _median_seconds(fn, repeat, cuda):
    import torch

    fn()
    times = []
    for _ in range(repeat):
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def throughput_check(rows=500_000, width=128, ids=100_000, dtype="float32", mode="auto", device="auto",
                     sort_ids=False, unique_ids=False, repeat=5, seed=0) -> dict:
    """Time ``FeatureTable.gather`` and a same-size copy; return a dict of GB/s and their ratio."""
    import torch

    from graphsparse._validation import check_positive_int
    from graphsparse.gather import FeatureTable, resolve_device

    rows = check_positive_int(rows, "rows")
    width = check_positive_int(width, "width")
    ids = check_positive_int(ids, "ids")
    repeat = check_positive_int(repeat, "repeat")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
    torch_dtype = getattr(torch, DTYPES[dtype])
    target = resolve_device(device)
    cuda = target.type == "cuda"
    generator = torch.Generator().manual_seed(seed)
    table = torch.empty(rows, width, dtype=torch_dtype)
    table.copy_(torch.randint(0, 100, (rows, width), generator=generator))
    index = torch.randint(0, rows, (ids,), generator=generator)
    features = FeatureTable(table, device=target, mode=mode, sort_ids=sort_ids, unique_ids=unique_ids,
                            reuse_output=True, check_bounds=False)
    if features.mode == "zero_copy" and not cuda:
        raise ValueError("mode='zero_copy' on the CPU runs Triton's interpreter (a correctness path, ~MB/s): "
                         "not a throughput check; use --mode conventional or a CUDA device")
    index_on = index.to(target) if features.mode in ("zero_copy", "device") else index
    if not torch.equal(features.gather(index_on).cpu(), table[index]):
        raise RuntimeError("gathered rows differ from table[index]")
    nbytes = ids * width * table.element_size()
    source = table[: min(ids, rows)]
    if cuda:
        source = source.pin_memory()
        copy_target = torch.empty(source.shape, dtype=torch_dtype, device=target)
    else:
        copy_target = torch.empty_like(source)
    copy_bytes = source.numel() * source.element_size()
    gather_s = _median_seconds(lambda: features.gather(index_on), repeat, cuda)
    copy_s = _median_seconds(lambda: copy_target.copy_(source, non_blocking=True), repeat, cuda)
    features.close()
    gather_gbs, copy_gbs = nbytes / gather_s / 1e9, copy_bytes / copy_s / 1e9
    return {"device": str(target), "mode": features.mode, "pinned": features.pinned, "rows": rows, "width": width,
            "ids": ids, "dtype": DTYPES[dtype], "sort_ids": sort_ids, "unique_ids": unique_ids,
            "gather_gb_per_s": gather_gbs,
            "copy_gb_per_s": copy_gbs, "copy": "pinned host-to-device copy" if cuda else "host memcpy",
            "gather_over_copy": gather_gbs / copy_gbs, "repeat": repeat}


def run(args) -> int:
    try:
        result = throughput_check(rows=args.rows, width=args.width, ids=args.ids, dtype=args.dtype,
                                  mode=args.mode, device=args.device, sort_ids=args.sort_ids,
                                  unique_ids=args.unique_ids, repeat=args.repeat, seed=args.seed)
    except (ValueError, TypeError, ImportError, RuntimeError) as err:
        if not args.quiet:
            print(f"graphsparse gather: error: {err}", file=sys.stderr)
        return 2
    if args.output:
        with open(args.output, "w") as handle:
            json.dump(result, handle, indent=2)
    if not args.quiet:
        if args.verbose:
            print(json.dumps(result, indent=2))
        print(f"{result['mode']} gather on {result['device']}: {result['gather_gb_per_s']:.2f} GB/s "
              f"({result['ids']} rows x {result['width']} {result['dtype']}); {result['copy']}: "
              f"{result['copy_gb_per_s']:.2f} GB/s; ratio {result['gather_over_copy']:.2f}")
    return 0
