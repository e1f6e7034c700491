"""``graphsparse datasets``: which registered datasets are found where, with counts and checks."""
from __future__ import annotations

import json
import sys

__all__ = ["register", "run", "dataset_status"]


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "datasets", help="list the registered datasets: found where, verified or not, with counts",
        description="List every dataset of the registry: the folder looked in, whether its files are "
                    "there and match their sha256, and the node/edge/class/feature counts. "
                    "The data folder is --root, else $GRAPHSPARSE_DATA, else ../shared/datasets next "
                    "to the checkout.")
    parser.add_argument("--root", default=None, help="data folder (default: $GRAPHSPARSE_DATA or the default root)")
    parser.add_argument("--json", nargs="?", const="-", default=None, metavar="PATH",
                        help="print the result as JSON (with PATH: write it to PATH)")
    parser.add_argument("--no-verify", action="store_true", help="skip the sha256 check")
    parser.add_argument("--load", action="store_true",
                        help="also load every dataset and compare its counts with the registry (slower)")
    parser.add_argument("--download", nargs="+", metavar="NAME", default=None,
                        help="fetch these datasets ('all' for every one) from their pinned upstream commits "
                             "into the data folder, verifying sha256, before listing")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("--verbose", "-v", action="store_true", help="also print each dataset's error")
    verbosity.add_argument("--quiet", "-q", action="store_true", help="print nothing; exit code only")
    parser.set_defaults(func=run)


def _counts_of(data, info: dict) -> dict:
    """Counts of a loaded dataset, in the registry's conventions."""
    if info["temporal"]:
        return dict(num_nodes=int(data.num_nodes), edge_index_columns=int(data.src.numel()))
    counts = dict(num_nodes=int(data.num_nodes), edge_index_columns=int(data.edge_index.size(1)))
    counts["num_features"] = int(data.x.size(1)) if getattr(data, "x", None) is not None else None
    y = getattr(data, "y", None)
    counts["num_classes"] = None if y is None else (int(y.size(1)) if y.dim() == 2 else int(y.max()) + 1)
    return counts


def dataset_status(root=None, verify: bool = True, load: bool = False) -> list[dict]:
    """One dict per registered dataset: name, folder, found, verified, counts, error."""
    from graphsparse.datasets import loaders

    rows = []
    for name in loaders.available_datasets():
        info = loaders.dataset_info(name)
        row = dict(name=name, folder=None, found=False, verified=None, loaded=None,
                   num_nodes=info["num_nodes"], num_edges=info["num_edges"], num_classes=info["num_classes"],
                   num_features=info["num_features"], directed=info["directed"], temporal=info["temporal"],
                   error=None)
        try:
            row["folder"] = loaders.find_dataset(name, root)
            row["found"] = True
            if verify:
                loaders.verify_dataset(name, root)
                row["verified"] = True
            if load:
                counts = _counts_of(loaders.load_dataset(name, root, verify=False), info)
                expected = {key: info[key] for key in counts}
                row["loaded"] = counts == expected
                if not row["loaded"]:
                    row["error"] = f"loaded counts {counts} differ from the registry's {expected}"
        except loaders.DatasetNotFoundError as err:
            row["folder"] = None
            row["error"] = str(err)
        except loaders.DatasetChecksumError as err:
            row["verified"] = False
            row["error"] = str(err)
        except Exception as err:  # a broken file must not hide the other datasets
            row["loaded"] = False
            row["error"] = f"{type(err).__name__}: {err}"
        rows.append(row)
    return rows


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def run(args) -> int:
    from graphsparse.cli import check_out_path
    from graphsparse.datasets import loaders

    check_out_path(args.json if args.json != "-" else None, "--json")

    root = loaders.data_root(args.root)
    if args.download:
        from graphsparse.datasets.download import download_dataset

        names = loaders.available_datasets() if "all" in args.download else args.download
        for name in names:
            try:
                folder = download_dataset(name, root=args.root)
            except (OSError, ValueError) as err:
                print(f"download of {name!r} failed: {err}", file=sys.stderr)
                return 1
            if not args.quiet and not args.json:
                print(f"{name}: {folder}")
    rows = dataset_status(args.root, verify=not args.no_verify, load=args.load)
    # exit 1 only when something found is broken (bad sha256, failed load); absent data is not an error
    ok = all(row["verified"] is not False and row["loaded"] is not False for row in rows)
    if args.quiet:
        return 0 if ok else 1
    if args.json:
        if args.json == "-":
            json.dump(dict(root=root, datasets=rows), sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            with open(args.json, "w") as handle:
                json.dump(dict(root=root, datasets=rows), handle, indent=2)
        return 0 if ok else 1
    header = ["name", "found", "sha256", "loaded", "nodes", "edges", "classes", "features", "kind"]
    table = [header]
    for row in rows:
        kind = "temporal" if row["temporal"] else ("directed" if row["directed"] else "undirected")
        table.append([row["name"], _fmt(row["found"]),
                      "skipped" if row["verified"] is None and row["found"] else _fmt(row["verified"]),
                      _fmt(row["loaded"]), _fmt(row["num_nodes"]), _fmt(row["num_edges"]),
                      _fmt(row["num_classes"]), _fmt(row["num_features"]), kind])
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    print(f"data root: {root}  (set $GRAPHSPARSE_DATA or pass --root to change)")
    for i, line in enumerate(table):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * width for width in widths))
    print("edges: undirected edges counted once; temporal: events")
    for row in rows:
        if row["error"] and (args.verbose or row["found"]):
            print(f"{row['name']}: {row['error']}")
    n_found = sum(row["found"] for row in rows)
    print(f"{n_found}/{len(rows)} datasets found" + ("" if n_found == len(rows) else
                                                      f"; missing ones are looked for in {root}"))
    return 0 if ok else 1
