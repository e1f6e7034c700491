"""Generate ``docs/benchmarks.md`` (tables) and ``docs/img/bench_*.png`` (plots) from benchmark JSON.

Every number on the benchmarks page comes from a ``benchmarks/results/*.json`` file written by a
benchmark run; nothing is typed by hand. Run it after the benchmarks::

    python docs/gen_benchmarks.py                       # benchmarks/results -> docs/benchmarks.md
    python docs/gen_benchmarks.py --results DIR --out PAGE.md --img-dir DIR

How a file is shown:

1. a header with the benchmark name, the file, the run date and the machine (CPU count, load,
   GPU) -- ratios against same-run baselines are what compare across machines;
2. ``targets`` / ``meets_targets`` when the benchmark states them;
3. every scalar figure in a ``figure | value`` table (nested keys joined with ``.``; a timing
   dict ``{"min", "median", "all"}`` shows its median and min);
4. every list of records (list of dicts) as its own table;
5. plots for the figures people would rather look at (FastRP F1 against the training ratio,
   ticket accuracy against sparsity, NAT AP and time per epoch, gather GB/s against row width,
   directed models against the undirected baseline), drawn by :data:`PLOTTERS` when a file has the
   series they need; a file that lacks them just gets no plot.

Missing folders, unreadable files and unknown layouts never stop the page: they are listed.
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import numbers
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
DEFAULT_RESULTS = os.path.join(REPO_ROOT, "benchmarks", "results")
DEFAULT_PAGE = os.path.join(HERE, "benchmarks.md")
DEFAULT_IMG = os.path.join(HERE, "img")

MAX_ROWS = 150  # rows shown per table before "... and N more"
SKIP_KEYS = {"benchmark", "machine", "raw_tickets"}  # raw_*: per-run rows kept for re-merging, not figures


# ------------------------------------------------------------------------------ formatting
def fmt(value) -> str:
    """A number as it should read in a table (4 significant digits, ints exact)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.3e}"
        return f"{value:.4g}"
    if value is None:
        return "-"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def md_table(header, rows) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _is_timing(value) -> bool:
    return isinstance(value, dict) and "median" in value and "min" in value


def _is_stat(value) -> bool:
    return isinstance(value, dict) and "mean" in value and "std" in value and all(
        k in ("mean", "std", "values", "n", "min", "max") for k in value)


def _stat_text(value) -> str:
    n = len(value["values"]) if isinstance(value.get("values"), list) else value.get("n")
    return f"{fmt(value['mean'])} ± {fmt(value['std'])}" + (f" (n={n})" if n else "")


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_records(value) -> bool:
    return isinstance(value, list) and value and all(isinstance(item, dict) for item in value)


def flatten(obj, prefix=""):
    """Yield ``(path, text)`` for scalar figures and ``(path, records)`` for lists of dicts."""
    scalars, tables = [], []
    for key, value in obj.items():
        path = f"{prefix}{key}"
        if not prefix and key in SKIP_KEYS:
            continue
        if _is_timing(value):
            scalars.append((path, f"{fmt(value['median'])} (median), {fmt(value['min'])} (min)"))
        elif _is_stat(value):
            scalars.append((path, _stat_text(value)))
        elif isinstance(value, dict):
            inner_scalars, inner_tables = flatten(value, path + ".")
            scalars += inner_scalars
            tables += inner_tables
        elif _is_records(value):
            tables.append((path, value))
        elif isinstance(value, list):
            if all(_is_number(v) for v in value) and len(value) <= 12:
                scalars.append((path, "[" + ", ".join(fmt(v) for v in value) + "]"))
            elif all(_is_number(v) for v in value):
                mean = sum(value) / len(value)
                scalars.append((path, f"{len(value)} values, mean {fmt(mean)}"))
            else:
                scalars.append((path, fmt(", ".join(fmt(v) for v in value))))
        else:
            scalars.append((path, fmt(value)))
    return scalars, tables


def records_table(records) -> list[str]:
    columns = []
    for record in records:
        for key, value in record.items():
            if key not in columns and not isinstance(value, (dict, list)) or (
                    key not in columns and _is_timing(value)):
                columns.append(key)
    rows = []
    for record in records[:MAX_ROWS]:
        row = []
        for column in columns:
            value = record.get(column)
            row.append(fmt(value["median"]) if _is_timing(value) else fmt(value))
        rows.append(row)
    lines = md_table(columns, rows)
    if len(records) > MAX_ROWS:
        lines.append(f"\n... and {len(records) - MAX_ROWS} more rows (see the JSON file).")
    return lines


def machine_line(machine: dict) -> str:
    if not isinstance(machine, dict):
        return "machine: not recorded"
    parts = [f"run {machine.get('date', '?')}", f"{machine.get('cpu_count', '?')} CPUs"]
    if machine.get("load_avg_1m") is not None:
        parts.append(f"load {fmt(machine['load_avg_1m'])}")
    if machine.get("memory_gb") is not None:
        parts.append(f"{fmt(machine['memory_gb'])} GB RAM")
    parts.append(f"GPU: {machine.get('cuda') or 'none'}")
    for lib in ("torch", "numba"):
        if machine.get(lib):
            parts.append(f"{lib} {machine[lib]}")
    return "; ".join(parts)


# ------------------------------------------------------------------------------ plots
def _find(obj, predicate, path=()):
    """Depth-first ``(path, value)`` pairs of ``obj`` for which ``predicate(key, value)`` holds."""
    found = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            if predicate(str(key), value):
                found.append((path + (str(key),), value))
            found += _find(value, predicate, path + (str(key),))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            found += _find(value, predicate, path + (str(index),))
    return found


def _get(record, key):
    """``record[key]``, where ``key`` may be a dotted path into nested dicts (``val.ap``)."""
    value = record
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _numeric_series(records, x_key, y_key):
    points = [(_get(r, x_key), _get(r, y_key)) for r in records if isinstance(r, dict)]
    return sorted((x, y) for x, y in points if _is_number(x) and _is_number(y))


def _has_key(records, key) -> bool:
    return any(_is_number(_get(record, key)) or (
        "." not in key and key in record) for record in records if isinstance(record, dict))


def _plot_xy_records(data, name, img_dir, x_keys, y_keys, group_keys, title, xlabel, ylabel, logx=False):
    """Generic: find lists of records holding one of ``x_keys`` and ``y_keys``; a line per group."""
    import matplotlib.pyplot as plt

    candidates = [(path, records) for path, records in _find(data, lambda key, value: _is_records(value))
                  if path[0] not in SKIP_KEYS]
    if _is_records(data.get("results")) and ("results",) not in [p for p, _ in candidates]:
        candidates.append((("results",), data["results"]))
    files = []
    for path, records in candidates:
        keys = set().union(*(record.keys() for record in records))
        x_key = next((k for k in x_keys if _has_key(records, k)), None)
        y_key = next((k for k in y_keys if _has_key(records, k) and any(
            _is_number(_get(r, k)) for r in records)), None)
        if x_key is None or y_key is None:
            continue
        group_key = next((k for k in group_keys if k in keys), None)
        groups = {}
        for record in records:
            groups.setdefault(str(record.get(group_key, "")) if group_key else "", []).append(record)
        fig, ax = plt.subplots(figsize=(5.5, 3.6))
        drawn = 0
        for label, members in groups.items():
            points = _numeric_series(members, x_key, y_key)
            if len(points) < 1:
                continue
            xs, ys = zip(*points)
            ax.plot(xs, ys, marker="o", label=label or y_key)
            drawn += 1
        if not drawn:
            plt.close(fig)
            continue
        if logx:
            ax.set_xscale("log", base=2)
        ax.set_xlabel(xlabel or x_key)
        ax.set_ylabel(ylabel or y_key)
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3)
        if drawn > 1 or group_key:
            ax.legend(fontsize=7)
        ax.set_title(f"{title} ({'/'.join(path[1:]) or path[0]})" if len(candidates) > 1 else title, fontsize=9)
        fig.tight_layout()
        file_name = re.sub(r"[^A-Za-z0-9_]+", "_", f"bench_{name}_{'_'.join(path)}") + ".png"
        fig.savefig(os.path.join(img_dir, file_name), dpi=100)
        plt.close(fig)
        files.append(file_name)
    return files


def _as_float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _ratio_series(value, field="micro_f1"):
    """``{"0.1": {field: v}, ...}`` or ``{"0.1": [v, ...], ...}`` -> sorted [(0.1, v), ...], else None."""
    if not isinstance(value, dict) or not value:
        return None
    points = []
    for key, entry in value.items():
        x = _as_float(key)
        if x is None:
            return None
        if isinstance(entry, dict) and _is_number(entry.get(field)):
            points.append((x, entry[field]))
        elif isinstance(entry, list) and entry and _is_number(entry[0]):
            points.append((x, entry[0] if field == "micro_f1" else (entry[1] if len(entry) > 1 else None)))
        else:
            return None
    points = [(x, y) for x, y in points if _is_number(y)]
    return sorted(points) or None


def plot_fastrp(data, name, img_dir):
    """micro-F1 against the training ratio per dataset: measured series, reference and targets."""
    import matplotlib.pyplot as plt

    groups = {}
    for path, value in _find(data, lambda key, value: isinstance(value, dict)):
        series = _ratio_series(value)
        if series is None or path[-1] in ("targets_met",):
            continue
        kind = path[-1]
        label = ".".join(p for p in path[1:-1]) if kind == "scores" else kind
        groups.setdefault(path[0], []).append((label or "graphsparse FastRP", kind, series))
    groups = {k: v for k, v in groups.items() if any(kind == "scores" for _, kind, _ in v)}
    if groups:
        fig, axes = plt.subplots(1, len(groups), figsize=(4.6 * len(groups), 3.4), squeeze=False)
        for ax, (group, entries) in zip(axes[0], groups.items()):
            for label, kind, series in entries:
                style = {"scores": "-", "targets": ":"}.get(kind, "--")
                ax.plot(*zip(*series), style, marker="o",
                        label=label if kind == "scores" else ("target" if kind == "targets" else f"{kind} (reference)"))
            ax.set_xlabel("training ratio")
            ax.set_ylabel("micro-F1")
            ax.set_title(f"FastRP on {group}: micro-F1 against the training ratio", fontsize=8)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        fig.tight_layout()
        file_name = f"bench_{name}_f1.png"
        fig.savefig(os.path.join(img_dir, file_name), dpi=100)
        plt.close(fig)
        return [file_name]
    return _plot_xy_records(data, name, img_dir, ("train_ratio", "training_ratio", "train_fraction", "ratio"),
                            ("micro_f1", "micro-F1", "micro"), ("method", "model", "implementation", "mode"),
                            "FastRP: micro-F1 against the training ratio", "training ratio", "micro-F1")


def plot_ticket(data, name, img_dir):
    return _plot_xy_records(data, name, img_dir, ("graph_sparsity", "edge_sparsity", "s_g", "level"),
                            ("test_acc_mean", "accuracy_mean", "test_acc", "accuracy", "acc_mean", "acc", "mean",
                             "test_score"),
                            ("method",), "Lottery tickets: accuracy against graph sparsity",
                            "graph sparsity", "test accuracy")


def plot_nat(data, name, img_dir):
    """Validation AP and training time per epoch, one line per run (``runs[i].epochs``)."""
    import matplotlib.pyplot as plt

    runs = [run for run in data.get("runs", []) if isinstance(run, dict) and _is_records(run.get("epochs"))]
    if runs:
        fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.4))
        for run in runs:
            label = f"seed {run.get('seed', '?')}"
            ap = _numeric_series(run["epochs"], "epoch", "val.ap")
            if ap:
                left.plot(*zip(*ap), marker="o", label=label)
            for key, style in (("train_cpu_s", "-"), ("train_wall_s", "--")):
                points = _numeric_series(run["epochs"], "epoch", key)
                if points:
                    right.plot(*zip(*points), style, marker="o", label=f"{label}, {key.split('_')[1]}")
        left.set_xlabel("epoch")
        left.set_ylabel("validation AP")
        left.set_title("NAT: validation AP per epoch", fontsize=9)
        right.set_xlabel("epoch")
        right.set_ylabel("seconds")
        right.set_title("NAT: CPU / wall seconds per training epoch", fontsize=9)
        for ax in (left, right):
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        fig.tight_layout()
        file_name = f"bench_{name}_epochs.png"
        fig.savefig(os.path.join(img_dir, file_name), dpi=100)
        plt.close(fig)
        return [file_name]
    files = _plot_xy_records(data, name + "_ap", img_dir, ("epoch",), ("val_ap", "ap", "AP", "valid_ap"),
                             ("seed", "implementation"), "NAT: validation AP per epoch", "epoch", "AP")
    files += _plot_xy_records(data, name + "_time", img_dir, ("epoch",),
                              ("epoch_cpu_s", "cpu_s", "epoch_s", "train_s", "seconds", "wall_s"),
                              ("seed", "implementation"), "NAT: time per training epoch", "epoch", "seconds")
    return files


def plot_gather(data, name, img_dir):
    return _plot_xy_records(data, name, img_dir, ("width", "row_width", "columns", "dim"),
                            ("gb_s", "GB/s", "gbps", "throughput_gb_s", "bandwidth_gb_s"),
                            ("method", "path", "mode", "implementation"),
                            "Feature gather throughput against row width", "row width (columns)", "GB/s",
                            logx=True)


def plot_directed(data, name, img_dir):
    import matplotlib.pyplot as plt

    # layout {"datasets": {dataset: {"models": {model: {"test_acc_mean": ...}}}}}
    bars = {}
    for path, models in _find(data, lambda key, value: key == "models" and isinstance(value, dict)):
        dataset = path[-2] if len(path) >= 2 else ""
        for model, figures in models.items():
            if isinstance(figures, dict) and _is_number(figures.get("test_acc_mean")):
                bars.setdefault(dataset, {})[model] = (figures["test_acc_mean"], figures.get("test_acc_std") or 0.0)
    if bars:
        datasets = sorted(bars)
        models = list(dict.fromkeys(m for d in datasets for m in bars[d]))
        fig, ax = plt.subplots(figsize=(max(5.0, 1.6 * len(datasets) + 2), 3.6))
        width = 0.8 / max(len(models), 1)
        for m, model in enumerate(models):
            values = [bars[d].get(model, (float("nan"), 0.0)) for d in datasets]
            ax.bar([d + m * width for d in range(len(datasets))], [v[0] for v in values], width,
                   yerr=[v[1] for v in values], label=model, capsize=2)
        ax.set_xticks([d + 0.4 - width / 2 for d in range(len(datasets))], datasets, fontsize=8)
        ax.set_ylabel("test accuracy (mean ± std over splits)")
        ax.set_title("Directed models and their baselines (sym-gcn = symmetrised GCN)", fontsize=9)
        ax.legend(fontsize=7)
        fig.tight_layout()
        file_name = f"bench_{name}_models.png"
        fig.savefig(os.path.join(img_dir, file_name), dpi=100)
        plt.close(fig)
        return [file_name]

    candidates = [(path, records) for path, records in _find(data, lambda key, value: _is_records(value))
                  if path[0] not in SKIP_KEYS]
    for path, records in candidates:
        keys = set().union(*(record.keys() for record in records))
        model_key = next((k for k in ("model", "method") if k in keys), None)
        acc_key = next((k for k in ("accuracy_mean", "acc_mean", "test_acc_mean", "mean", "accuracy", "acc")
                        if k in keys), None)
        if model_key is None or acc_key is None:
            continue
        dataset_key = "dataset" if "dataset" in keys else None
        rows = [r for r in records if _is_number(r.get(acc_key))]
        if not rows:
            continue
        datasets = sorted({str(r.get(dataset_key, "")) for r in rows}) if dataset_key else [""]
        models = list(dict.fromkeys(str(r[model_key]) for r in rows))
        fig, ax = plt.subplots(figsize=(6, 3.6))
        width = 0.8 / max(len(models), 1)
        for m, model in enumerate(models):
            values = []
            for dataset in datasets:
                match = [r[acc_key] for r in rows if str(r[model_key]) == model
                         and (dataset_key is None or str(r.get(dataset_key)) == dataset)]
                values.append(match[0] if match else float("nan"))
            ax.bar([d + m * width for d in range(len(datasets))], values, width, label=model)
        ax.set_xticks([d + 0.4 - width / 2 for d in range(len(datasets))], datasets or [""], fontsize=8)
        ax.set_ylabel(acc_key)
        ax.set_title("Directed models against the undirected baseline", fontsize=9)
        ax.legend(fontsize=7)
        fig.tight_layout()
        file_name = f"bench_{name}_{'_'.join(path)}.png"
        fig.savefig(os.path.join(img_dir, file_name), dpi=100)
        plt.close(fig)
        return [file_name]
    return []


#: (regular expression on the benchmark name, plot function)
PLOTTERS = [
    (r"fastrp|embed", plot_fastrp),
    (r"ticket|teddy|lottery|ugs", plot_ticket),
    (r"nat|temporal", plot_nat),
    (r"gather", plot_gather),
    (r"direct|dsbm|squirrel", plot_directed),
]


# ------------------------------------------------------------------------------ page
def render(results_dir: str = DEFAULT_RESULTS, img_dir: str = DEFAULT_IMG, page_dir: str | None = None) -> str:
    """Markdown of the benchmarks page; plots go into ``img_dir`` (linked relative to ``page_dir``)."""
    import matplotlib

    matplotlib.use("Agg")
    os.makedirs(img_dir, exist_ok=True)
    page_dir = page_dir or HERE
    for stale in glob.glob(os.path.join(img_dir, "bench_*.png")):
        os.remove(stale)
    files = sorted(glob.glob(os.path.join(results_dir, "*.json")))
    lines = ["# Benchmarks", "",
             "<!-- generated by docs/gen_benchmarks.py from benchmarks/results/*.json: do not edit -->", "",
             "Every figure below was written by a benchmark run into `benchmarks/results/` and put here by "
             "`python docs/gen_benchmarks.py`; none is typed by hand. Absolute times depend on the machine "
             "and its load (shown per run); compare the ratios against the baselines measured in the same run.",
             ""]
    if not files:
        lines += [f"No benchmark results found in `{os.path.relpath(results_dir, REPO_ROOT)}` yet: run the "
                  "benchmarks (`python benchmarks/<name>.py`), then this script.", ""]
        return "\n".join(lines)
    ogb_files = [path for path in files if os.path.basename(path).startswith("ogb_")]
    lines += ["OGB leaderboard scripts (`benchmarks/ogb/`, see its README): "
              + (f"{len(ogb_files)} result file(s) below." if ogb_files else
                 "no real run yet (this machine cannot download OGB datasets); the scripts are tested "
                 "end to end offline on tiny datasets in OGB's format."), ""]
    problems = []
    lines += ["'target flags' counts the booleans a benchmark wrote under `meets_target(s)`, `*_met` or "
              "`targets_met`; read each section for what they check (and for targets the flags do not cover).", "",
              "| benchmark | file | run | target flags |", "|---|---|---|---|"]
    loaded = []
    for path in files:
        try:
            with open(path) as handle:
                data = json.load(handle)
            if not isinstance(data, dict):
                raise ValueError("top level is not an object")
        except (OSError, ValueError) as err:
            problems.append(f"`{os.path.basename(path)}`: could not be read ({err})")
            continue
        if "worker" in data:  # an intermediate worker shard: its figures are in the merged file
            continue
        name = str(data.get("benchmark") or os.path.splitext(os.path.basename(path))[0])
        loaded.append((path, name, data))
        meets = data.get("meets_targets")
        if meets is None:
            flags = [value for path, value in _find(data, lambda key, value: isinstance(value, bool) and (
                key in ("meets_target", "meets_targets") or key.endswith("_met")
                or key.endswith("target_met"))) if path[0] != "machine"]
            flags += [value for path, value in _find(data, lambda key, value: isinstance(value, bool))
                      if "targets_met" in path[-3:-1]]
            if flags:
                meets = f"{sum(flags)} of {len(flags)} met"
        machine = data.get("machine") if isinstance(data.get("machine"), dict) else {}
        lines.append(f"| [{_cell(name)}](#{_anchor(_section(path))}) | `{os.path.basename(path)}` | "
                     f"{_cell(machine.get('date', '-'))} | "
                     f"{meets if isinstance(meets, str) else fmt(meets) if meets is not None else '-'} |")
    lines.append("")
    for path, name, data in loaded:
        lines += [f"## {_section(path)}", "",
                  f"From `{os.path.relpath(path, REPO_ROOT)}`; {machine_line(data.get('machine'))}.", ""]
        source = data.get("data_source")
        if isinstance(source, str) and "not a leaderboard run" in source:
            lines += ["!!! warning", f"    Data source: {source}.", ""]
        scalars, tables = flatten(data)
        if scalars:
            shown = scalars[:MAX_ROWS]
            lines += md_table(("figure", "value"), shown)
            if len(scalars) > MAX_ROWS:
                lines.append(f"\n... and {len(scalars) - MAX_ROWS} more figures (see the JSON file).")
            lines.append("")
        for table_path, records in tables:
            lines += [f"**{table_path}**", ""] + records_table(records) + [""]
        safe_name = re.sub(r"[^A-Za-z0-9_]+", "_", _section(path))
        for pattern, plotter in PLOTTERS:
            if re.search(pattern, name, flags=re.IGNORECASE):
                try:
                    images = plotter(data, safe_name, img_dir)
                except Exception as err:  # noqa: BLE001 - a plot must never stop the page
                    problems.append(f"`{os.path.basename(path)}`: plot failed ({type(err).__name__}: {err})")
                    images = []
                for image in images:
                    rel = os.path.relpath(os.path.join(img_dir, image), page_dir).replace(os.sep, "/")
                    lines += [f"![{name}]({rel})", ""]
    if problems:
        lines += ["## Files that could not be shown", ""] + [f"- {p}" for p in problems] + [""]
    return "\n".join(lines)


def _section(path: str) -> str:
    """Section title of a result file: its stem (unique, unlike benchmark names)."""
    return os.path.splitext(os.path.basename(path))[0]


def _anchor(name: str) -> str:
    return re.sub(r"[^a-z0-9_\- ]", "", name.lower()).strip().replace(" ", "-")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=DEFAULT_RESULTS, help="folder of benchmark JSON files")
    parser.add_argument("--out", default=DEFAULT_PAGE, help="Markdown page to write")
    parser.add_argument("--img-dir", default=None, help="folder for the PNG plots (default: img/ next to --out)")
    args = parser.parse_args(argv)
    page_dir = os.path.dirname(os.path.abspath(args.out))
    img_dir = args.img_dir or os.path.join(page_dir, "img")
    text = render(args.results, img_dir, page_dir)
    with open(args.out, "w") as handle:
        handle.write(text)
    print(f"wrote {args.out} ({len(glob.glob(os.path.join(img_dir, 'bench_*.png')))} plots in {img_dir})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
