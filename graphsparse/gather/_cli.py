"""``graphsparse gather``: a feature-gather throughput check (GB/s vs a same-run memory copy)."""
from __future__ import annotations

import time

__all__ = ["register", "run", "throughput_check"]

DTYPES = {"float32": "float32", "fp32": "float32", "float16": "float16", "fp16": "float16",
          "bfloat16": "bfloat16", "bf16": "bfloat16", "int64": "int64"}


def register(subparsers) -> None:
    from graphsparse.cli import add_run_arguments, positive_int

    parser = subparsers.add_parser(
        "gather", help="feature-gather throughput check: GB/s of table[ids] vs a memory copy",
        description="Gather random rows of a (rows x width) table onto the device with the chosen "
                    "path (zero-copy on CUDA, the conventional CPU path elsewhere) and report GB/s "
                    "next to a plain copy of the same size measured in the same run (pinned "
                    "host-to-device copy on CUDA, memcpy on the CPU). --input FILE gathers from your "
                    "own node features (.npy, .npz or a text matrix) instead of a generated table.")
    parser.add_argument("--input", "-i", metavar="FILE", default=None,
                        help="node-feature table to gather from (.npy / .npz / text; replaces --rows/--width)")
    parser.add_argument("--rows", type=positive_int, default=500_000, help="table rows")
    parser.add_argument("--width", type=positive_int, default=128, help="row width in elements")
    parser.add_argument("--ids", type=positive_int, default=100_000, help="rows per gather")
    parser.add_argument("--dtype", default="float32", choices=sorted(DTYPES))
    parser.add_argument("--mode", default="auto", choices=["auto", "zero_copy", "conventional", "device"])
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--sort-ids", action="store_true", help="gather in ascending id order")
    parser.add_argument("--unique-ids", action="store_true", help="gather each distinct id once")
    parser.add_argument("--repeat", type=positive_int, default=5)
    add_run_arguments(parser, out_help="write the result as JSON to this file", threads_default=0)
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
                     sort_ids=False, unique_ids=False, repeat=5, seed=0, table=None) -> dict:
    """Time ``FeatureTable.gather`` and a same-size copy; return a dict of GB/s and their ratio.

    ``table`` (a 2-D NumPy array or tensor, e.g. read by :func:`graphsparse.io.read_features`)
    replaces the generated ``rows x width`` table (cast to ``dtype``)."""
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
    if table is not None:
        table = torch.as_tensor(table).to(torch_dtype).contiguous()
        if table.dim() != 2 or table.shape[0] < 1:
            raise ValueError(f"table must be a non-empty 2-D array, got shape {tuple(table.shape)}")
        rows, width = table.shape
    else:
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
    from graphsparse.cli import apply_threads, check_in_path, check_out_path, report

    check_out_path(args.out, "--out")
    check_out_path(args.json if args.json != "-" else None, "--json")
    table = None
    if args.input:
        from graphsparse.io import read_features

        table = read_features(check_in_path(args.input, "--input"))
    apply_threads(args.threads, args.quiet)
    result = throughput_check(rows=args.rows, width=args.width, ids=args.ids, dtype=args.dtype,
                              mode=args.mode, device=args.device, sort_ids=args.sort_ids,
                              unique_ids=args.unique_ids, repeat=args.repeat, seed=args.seed, table=table)
    if args.input:
        result["input"] = args.input
    line = (f"{result['mode']} gather on {result['device']}: {result['gather_gb_per_s']:.2f} GB/s "
            f"({result['ids']} rows x {result['width']} {result['dtype']}); {result['copy']}: "
            f"{result['copy_gb_per_s']:.2f} GB/s; ratio {result['gather_over_copy']:.2f}")
    lines = ([] if not args.verbose else [f"configuration: {result}"]) + [line]
    report(args, result, lines, out=args.out)
    return 0
