"""The ``graphsparse`` command line.

Every capability owns its subcommands in ``graphsparse/<capability>/_cli.py`` with a function
``register(subparsers)`` that adds its parser(s) and sets ``func`` (called with the parsed
arguments, returning an exit code). This module only collects them, lazily: ``register`` imports
the standard library and this module only, and the ``_cli`` files are loaded without running their
package's ``__init__`` (which imports torch, SciPy, Numba), so ``graphsparse --help`` and
``graphsparse <command> --help`` answer at once. Heavy imports happen inside ``run(args)``.

Shared conventions (use the helpers below in every ``register``):

* ``--input FILE`` / ``--dataset NAME`` (and ``--labels``, ``--features``, ``--masks`` where they
  apply): :func:`add_input_arguments`; files are read by :mod:`graphsparse.io`.
* ``--out PATH`` (the result), ``--json [PATH]`` (the JSON summary on stdout, or into PATH),
  ``--seed``, ``--threads``, ``--quiet`` / ``--verbose``: :func:`add_run_arguments`.
* Arguments and output paths are checked before any work starts (:func:`check_out_path`,
  :func:`check_in_path`, the ``type=`` helpers :func:`positive_int`, ...).

Exit codes of :func:`main`: 0 success; 2 bad input -- a usage error, a bad argument value or a bad
file (``ValueError``, ``TypeError``, ``KeyError``, ``OSError`` incl. ``FileNotFoundError``,
``EOFError``, a corrupt zip, ``MemoryError``, a missing optional package), printed as ONE line
``graphsparse <command>: error: <message>`` on stderr; 1 a run that finished but reports a failure
(a failed quickstart stage, a dataset with a bad checksum) or an unexpected internal error (also one
line); 130 interrupted. ``--debug`` (anywhere on the command line) re-raises instead, with the
traceback.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys

__all__ = ["main", "build_parser", "emit_json", "report", "add_input_arguments", "add_run_arguments",
           "read_input_graph", "node_classification_data",
           "check_out_path", "check_in_path", "positive_int", "nonnegative_int", "fraction", "threads_arg",
           "apply_threads", "HelpFormatter"]

# (module providing register(subparsers)) in the order shown by --help; any other
# graphsparse/<package>/_cli.py found next to them is added after these, in name order
SUBCOMMAND_MODULES = (
    "graphsparse.datasets._cli",
    "graphsparse.embed._cli",
    "graphsparse.lottery._cli",
    "graphsparse.temporal._cli",
    "graphsparse.gather._cli",
    "graphsparse.directed._cli",
    "graphsparse.decoupled._cli",
    "graphsparse.quickstart",
)

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Every default shown in ``--help``; descriptions keep their line breaks."""


class UsageError(Exception):
    """An argparse error (unknown option, bad value), turned into one line and exit code 2."""

    def __init__(self, message: str, prog: str):
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # noqa: D401 - argparse API
        raise UsageError(message, self.prog)


# ------------------------------------------------------------------------------ argument types
def positive_int(text: str) -> int:
    """``type=`` for an integer >= 1 (``'3e9'``, ``'1.5'``, ``'x'`` are refused by argparse)."""
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def nonnegative_int(text: str) -> int:
    """``type=`` for an integer >= 0."""
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}")
    return value


def threads_arg(text: str) -> int:
    """``type=`` of ``--threads``: 0 (leave torch's and Numba's defaults) or a positive count."""
    return nonnegative_int(text)


def fraction(text: str) -> float:
    """``type=`` for a float in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1], got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1], got {text!r}")
    return value


def _int(text: str) -> int:
    try:
        return int(str(text).strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None


# ------------------------------------------------------------------------------ shared arguments
def add_input_arguments(parser, *, dataset_help: str = "registered dataset name (see `graphsparse datasets`)",
                        input_help: str = "graph file: edge list (.txt/.csv/.tsv, .gz) or .npz bundle",
                        dataset_default=None, labels: bool = False, features: bool = False, masks: bool = False,
                        ids: bool = True, columns: bool = True, required: bool = False) -> None:
    """``--input FILE`` or ``--dataset NAME`` (one of them), plus the optional side files."""
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--input", "-i", metavar="FILE", default=None, help=input_help)
    group.add_argument("--dataset", metavar="NAME", default=dataset_default, help=dataset_help)
    if labels:
        parser.add_argument("--labels", metavar="FILE", default=None,
                            help="node labels: one per line, 'node label' pairs, or one community per line")
    if features:
        parser.add_argument("--features", metavar="FILE", default=None,
                            help="node features: .npy (n x d) or a text matrix, one row per node")
    if masks:
        parser.add_argument("--masks", metavar="FILE", default=None,
                            help="split masks: .npz with train/val/test masks (n or n x splits); "
                                 "default a random 60/20/20 split of the labelled nodes")
    if columns:
        parser.add_argument("--columns", metavar="SRC,DST[,WEIGHT]", default=None,
                            help="edge-list columns by position (0-based) or header name; default 0,1 and a "
                                 "third column as the weight when the file has exactly three")
    if ids:
        parser.add_argument("--ids", choices=("auto", "zero", "one", "relabel"), default="auto",
                            help="how node ids in --input are read: auto (0-based integers kept, 1-based "
                                 "shifted, labels relabelled), zero, one, or relabel (to 0..n-1, mapping saved)")


def add_run_arguments(parser, *, out_help: str | None = "write the result (JSON) to this file",
                      out_default=None, seed: bool = True, threads_default: int = 1, verbose: bool = True,
                      json: bool = True) -> None:
    """``--out`` (with the hidden, deprecated alias ``--output``), ``--json``, ``--seed``,
    ``--threads``, ``--quiet`` / ``--verbose``: the same names and meanings in every subcommand."""
    if out_help is not None:
        parser.add_argument("--out", "-o", metavar="PATH", default=out_default, help=out_help)
        parser.add_argument("--output", dest="out", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    if json:
        parser.add_argument("--json", nargs="?", const="-", default=None, metavar="PATH",
                            help="print the JSON summary on stdout instead of the text lines "
                                 "(with PATH: write it to PATH)")
    if seed:
        parser.add_argument("--seed", type=nonnegative_int, default=0, help="random seed of every random choice")
    parser.add_argument("--threads", type=threads_arg, default=threads_default,
                        help="threads for torch and Numba together (graphsparse.set_num_threads); "
                             "0 leaves their defaults")
    verbosity = parser.add_mutually_exclusive_group()
    if verbose:
        verbosity.add_argument("--verbose", "-v", action="store_true", help="more output (progress bars, details)")
    verbosity.add_argument("--quiet", "-q", action="store_true", help="print nothing on stdout")


def check_out_path(path, arg: str = "--out", *, folder: bool = False) -> str | None:
    """Refuse an output path that cannot be written, before any work starts.

    A file path must not name an existing directory and its folder must exist and be writable;
    with ``folder=True`` the path is a folder to create (its parent must exist and be writable).
    """
    if path is None or path == "" or path == "-":
        return path
    path = os.fspath(path)
    absolute = os.path.abspath(path)
    if folder:
        if os.path.exists(absolute) and not os.path.isdir(absolute):
            raise ValueError(f"{arg}: {path!r} exists and is not a folder")
        if os.path.isdir(absolute):
            if not os.access(absolute, os.W_OK):
                raise ValueError(f"{arg}: folder {path!r} is not writable")
            return path
    elif os.path.isdir(absolute):
        raise ValueError(f"{arg}: {path!r} is a folder; give a file name")
    parent = os.path.dirname(absolute)
    if not os.path.isdir(parent):
        raise ValueError(f"{arg}: folder {os.path.dirname(path) or parent!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise ValueError(f"{arg}: folder {os.path.dirname(path) or parent!r} is not writable")
    return path


def check_in_path(path, arg: str = "--input") -> str | None:
    """A file given on the command line must exist and be a readable file."""
    if path is None:
        return None
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(f"{arg}: {path!r} is a folder, not a file")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{arg}: no such file: {path!r}")
    if not os.access(path, os.R_OK):
        raise PermissionError(f"{arg}: file {path!r} is not readable")
    return path


def apply_threads(count: int, quiet: bool = False) -> None:
    """``--threads``: set torch's and Numba's thread counts together (0 leaves them) and print one
    note on stderr when the machine looks oversubscribed
    (:func:`graphsparse.threads.check_oversubscription`)."""
    from graphsparse.threads import check_oversubscription, set_num_threads, usable_cores

    if count:
        set_num_threads(count)
    if check_oversubscription(warn=False) and not quiet:
        import torch

        print(f"note: load average {os.getloadavg()[0]:.1f} on {usable_cores()} cores with "
              f"{torch.get_num_threads()} torch threads: expect a much slower run; --threads 1 avoids it",
              file=sys.stderr)


# ------------------------------------------------------------------------------ reading --input
def read_input_graph(args, *, directed=None):
    """:class:`graphsparse.io.GraphFile` of ``--input`` (``--ids`` applied to edge lists)."""
    from graphsparse import io

    path = check_in_path(args.input, "--input")
    kwargs = {"directed": directed}
    if not path.endswith(".npz"):
        kwargs["ids"] = getattr(args, "ids", "auto")
        kwargs.update(parse_columns(getattr(args, "columns", None)))
    elif getattr(args, "columns", None):
        raise ValueError("--columns applies to edge lists, not to .npz files")
    return io.read_graph(path, **kwargs)


def parse_columns(text) -> dict:
    """``--columns`` "SRC,DST[,WEIGHT]" -> ``read_edge_list`` keywords (positions become ints)."""
    if not text:
        return {"weight": "auto"}
    parts = [part.strip() for part in str(text).split(",")]
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError(f"--columns must be SRC,DST or SRC,DST,WEIGHT, got {text!r}")
    values = [int(part) if part.lstrip("-").isdigit() else part for part in parts]
    if any(isinstance(v, int) and v < 0 for v in values):
        raise ValueError(f"--columns positions must be >= 0, got {text!r}")
    return dict(zip(("src", "dst", "weight"), values)) | ({} if len(values) == 3 else {"weight": None})


def node_classification_data(args, *, directed=None, log=None):
    """A PyG ``Data`` for node classification from ``--input`` (+ ``--labels``, ``--features``,
    ``--masks``): the rules shared by ``ticket`` and ``directed``.

    Labels: ``--labels`` (read with the graph's id mapping) or the ``.npz`` bundle's
    ``node_labels``/``y``; single-label classes are required. Features: ``--features``, the
    bundle's ``node_features``/``x``, else 64-dimensional FastRP embeddings of the graph (seeded
    by ``--seed``; a note says so). Masks: ``--masks``, the bundle's, else a random 60/20/20 split
    of the labelled nodes (``--seed``). Unlabelled nodes stay out of every mask.
    Returns ``(data, graph_file)``.
    """
    import numpy as np

    from graphsparse import io

    log = log or (lambda message: None)
    gf = read_input_graph(args, directed=directed)
    n = gf.num_nodes
    for note in gf.notes:
        log(f"note: {args.input}: {note}")
    y = gf.y
    if getattr(args, "labels", None):
        labels = io.read_node_labels(check_in_path(args.labels, "--labels"), num_nodes=n, mapping=gf.mapping)
        if labels.multilabel:
            raise ValueError(f"--labels: {args.labels} gives several labels to some nodes; this command needs one "
                             "class per node")
        y = labels.y
        for note in labels.notes:
            log(f"note: {args.labels}: {note}")
    if y is None:
        raise ValueError(f"--labels: {args.input} holds no node labels; give a label file with --labels")
    if y.ndim != 1:
        raise ValueError(f"{args.input}: node labels must be one class per node, got shape {y.shape}")
    labelled = y >= 0
    if not labelled.any():
        raise ValueError(f"--labels: no node of {args.input} has a label")
    if getattr(args, "features", None):
        gf.x = io.read_features(check_in_path(args.features, "--features"), n)
    if gf.x is None:
        from graphsparse.embed import FastRP

        gf.x = FastRP(n_components=64, direction="both", random_state=args.seed).fit_transform(gf.graph)
        log(f"note: no node features (--features): using 64-dimensional FastRP embeddings of {args.input}")
    if getattr(args, "masks", None):
        gf.train_mask, gf.val_mask, gf.test_mask = io.read_masks(check_in_path(args.masks, "--masks"), n)
    if gf.train_mask is None or gf.val_mask is None or gf.test_mask is None:
        order = np.random.default_rng(args.seed).permutation(np.flatnonzero(labelled))
        cut1, cut2 = int(round(0.6 * len(order))), int(round(0.8 * len(order)))
        masks = [np.zeros(n, dtype=bool) for _ in range(3)]
        for mask, part in zip(masks, (order[:cut1], order[cut1:cut2], order[cut2:])):
            mask[part] = True
        gf.train_mask, gf.val_mask, gf.test_mask = masks
        log(f"note: no split masks (--masks): random 60/20/20 split of the {len(order)} labelled nodes "
            f"(seed {args.seed})")
    else:
        keep = labelled if gf.train_mask.ndim == 1 else labelled[:, None]
        gf.train_mask, gf.val_mask, gf.test_mask = (m & keep for m in (gf.train_mask, gf.val_mask, gf.test_mask))
    if not gf.train_mask.any() or not gf.test_mask.any():
        raise ValueError(f"{args.input}: the split leaves no labelled training or test node")
    gf.y = np.where(labelled, y, 0)  # unlabelled nodes are in no mask; 0 keeps every class index valid
    return gf.to_data(), gf


# ------------------------------------------------------------------------------ results
def emit_json(payload: dict, path: str | None = None, quiet: bool = False) -> str:
    """JSON to ``path`` (when given) and to stdout unless ``quiet``."""
    import json

    text = json.dumps(payload, indent=2, default=str)
    if path and path != "-":
        with open(path, "w") as f:
            f.write(text + "\n")
    if not quiet:
        print(text)
    return text


def report(args, payload: dict, lines=(), *, out: str | None = None) -> None:
    """The subcommands' output convention.

    ``payload`` goes to ``out`` as JSON (when given); with ``--json`` the payload is printed on
    stdout (``--json PATH``: written to PATH, the text lines still printed); otherwise ``lines`` are
    printed; ``--quiet`` prints nothing.
    """
    if out:
        emit_json(payload, out, quiet=True)
    target = getattr(args, "json", None)
    if target == "-":
        if not getattr(args, "quiet", False):
            emit_json(payload)
        return
    if target:
        emit_json(payload, target, quiet=True)
    if not getattr(args, "quiet", False):
        for line in lines:
            print(line)


# ------------------------------------------------------------------------------ parser
def _discovered_modules() -> list[str]:
    names = list(SUBCOMMAND_MODULES)
    try:
        entries = sorted(os.listdir(_PACKAGE_DIR))
    except OSError:  # pragma: no cover - zipped installs
        entries = []
    for entry in entries:
        name = f"graphsparse.{entry}._cli"
        if name not in names and os.path.isfile(os.path.join(_PACKAGE_DIR, entry, "_cli.py")):
            names.append(name)
    return names


def _load_cli_module(module_name: str):
    """Import ``graphsparse.<pkg>._cli`` without running ``graphsparse/<pkg>/__init__.py``.

    A capability's ``__init__`` imports its heavy modules (torch, SciPy, Numba kernels); its
    ``_cli`` needs none of them to build a parser. When the package is already imported, this is a
    plain import; otherwise the file is loaded under its full name (so later imports of it find the
    same module object) and the package is imported only when a subcommand runs.
    """
    if module_name in sys.modules:
        return sys.modules[module_name]
    package = module_name.rpartition(".")[0]
    if package == "graphsparse" or package in sys.modules:
        return importlib.import_module(module_name)
    path = os.path.join(_PACKAGE_DIR, *module_name.split(".")[1:]) + ".py"
    if not os.path.isfile(path):
        raise ModuleNotFoundError(f"No module named {module_name!r}", name=module_name)
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def build_parser() -> argparse.ArgumentParser:
    """The ``graphsparse`` parser with every subcommand registered (standard library only)."""
    from graphsparse import __version__

    parser = _Parser(prog="graphsparse", description=__doc__.splitlines()[0], formatter_class=HelpFormatter,
                     epilog="Exit codes: 0 ok, 2 bad argument or input file (one line on stderr), 1 failure "
                            "reported by the run or internal error; --debug shows tracebacks.")
    parser.add_argument("--version", action="version", version=f"graphsparse {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error (anywhere on the line)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in _discovered_modules():
        try:
            module = _load_cli_module(module_name)
        except ModuleNotFoundError as err:
            if err.name and module_name.startswith(err.name):
                continue  # capability not installed / not built yet
            raise
        module.register(subparsers)
    for sub in subparsers.choices.values():
        # every default shown (a capability's own formatter is widened to show them too)
        if sub.formatter_class in (argparse.HelpFormatter, argparse.RawDescriptionHelpFormatter,
                                   argparse.ArgumentDefaultsHelpFormatter):
            sub.formatter_class = HelpFormatter
        for action in sub._actions:
            if action.help is None and action.default not in (None, argparse.SUPPRESS) and action.option_strings:
                action.help = "(default: %(default)s)"  # argparse omits the default of an option without help
    parser.commands = tuple(subparsers.choices)
    return parser


# ------------------------------------------------------------------------------ main
# errors that mean "bad argument or bad input": one line, exit code 2
_INPUT_ERRORS = (ValueError, TypeError, KeyError, OSError, EOFError, MemoryError, ImportError)


def _message(err: BaseException) -> str:
    if isinstance(err, KeyError) and len(err.args) == 1 and isinstance(err.args[0], str):
        text = err.args[0]
    elif isinstance(err, MemoryError):
        text = f"out of memory{': ' + str(err) if str(err) else ''} (is a node id or size far larger than the data?)"
    elif isinstance(err, ModuleNotFoundError) and err.name and not err.name.startswith("graphsparse"):
        text = f"this needs the optional package {err.name!r} (pip install it, or the matching graphsparse extra)"
    elif isinstance(err, FileNotFoundError) and err.filename and str(err.filename) not in str(err.args[-1]):
        text = f"{err.args[-1]}: {err.filename}"
    else:
        text = str(err) or type(err).__name__
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    text = " ".join(lines) if lines else type(err).__name__
    return text if len(text) <= 600 else text[:597] + "..."


def _is_input_error(err: BaseException) -> bool:
    import zipfile

    if isinstance(err, ImportError):  # a missing optional extra; a broken graphsparse module is a bug
        name = getattr(err, "name", None) or ""
        return not (name.startswith("graphsparse") or ("cannot import name" in str(err) and "graphsparse" in str(err)))
    return isinstance(err, _INPUT_ERRORS + (zipfile.BadZipFile,))


def main(argv=None) -> int:
    """Run ``graphsparse`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    cut = argv.index("--") if "--" in argv else len(argv)
    debug = "--debug" in argv[:cut]
    argv = [a for i, a in enumerate(argv) if not (i < cut and a == "--debug")]
    command = next((a for a in argv[:cut] if not a.startswith("-")), None)
    prog = f"graphsparse {command}" if command else "graphsparse"
    try:
        parser = build_parser()
        if command not in parser.commands:
            prog = "graphsparse"
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 0 if args.command is None else 2
        return int(args.func(args) or 0)
    except UsageError as err:
        if debug:
            raise
        print(f"{err.prog}: error: {_message(err)} (see {err.prog} --help)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the CLI's contract: one line, an exit code
        if debug:
            raise
        if _is_input_error(err):
            print(f"{prog}: error: {_message(err)}", file=sys.stderr)
            return 2
        print(f"{prog}: internal error: {type(err).__name__}: {_message(err)} (rerun with --debug for the "
              f"traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
