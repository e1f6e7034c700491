"""Helpers shared by every benchmark: machine facts, timing, peak memory, JSON output.

Each benchmark writes ``benchmarks/results/<name>.json`` with its figures, the machine it ran on
and the baselines measured in the same run (ratios, not absolute seconds, are what we compare).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import resource
import sys
import time

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def machine_info() -> dict:
    import numpy as np

    info = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    try:
        import psutil

        info["memory_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
        info["load_avg_1m"] = os.getloadavg()[0]
    except Exception:  # pragma: no cover
        pass
    for mod in ("scipy", "numba", "torch", "torch_geometric", "sklearn"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:  # pragma: no cover
            pass
    try:
        import torch

        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception:  # pragma: no cover
        pass
    return info


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (MB).

    Reads ``VmHWM`` from ``/proc/self/status`` (Linux): ``ru_maxrss`` can carry a parent's peak
    into a freshly started child process. Falls back to ``ru_maxrss`` elsewhere.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:  # pragma: no cover
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timeit(fn, repeat: int = 3, warmup: int = 1):
    """Run ``fn`` ``warmup`` + ``repeat`` times; return (min, median, all) seconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    ordered = sorted(times)
    return ordered[0], ordered[len(ordered) // 2], times


def time_interleaved(cases: dict, repeat: int = 5, warmup: int = 1) -> dict:
    """Time several callables in interleaved rounds (each round runs every case once, the order
    rotated by one per round), so that load drift on a shared machine hits every case alike.

    Returns ``{name: {"min": s, "median": s, "all": [s, ...]}}`` (``all`` in round order).
    """
    names = list(cases)
    for _ in range(warmup):
        for name in names:
            cases[name]()
    times = {name: [] for name in names}
    for round_index in range(repeat):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            t0 = time.perf_counter()
            cases[name]()
            times[name].append(time.perf_counter() - t0)
    result = {}
    for name, values in times.items():
        ordered = sorted(values)
        result[name] = {"min": ordered[0], "median": ordered[len(ordered) // 2], "all": values}
    return result


def write_result(name: str, figures: dict, path: str | None = None) -> str:
    """Write ``figures`` plus machine facts to ``benchmarks/results/<name>.json``; return the path."""
    os.makedirs(RESULTS_DIR, exist_ok=True)
    path = path or os.path.join(RESULTS_DIR, f"{name}.json")
    payload = {"benchmark": name, "machine": machine_info(), **figures}
    with open(path, "w") as f:
        json.dump(payload, f, indent=2, sort_keys=False, default=float)
    print(f"wrote {path}")
    return path


def parse_overrides(items, parser) -> dict:
    """``--set KEY=VALUE ...`` as a dict: each value JSON-decoded when it parses (``0.5``, ``true``),
    kept as a string otherwise (``l2``); a malformed item is ``parser.error`` (one line, exit code 2)."""
    overrides = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--set expects KEY=VALUE, got {item!r}")
        try:
            overrides[key] = json.loads(value)
        except ValueError:
            overrides[key] = value
    return overrides
