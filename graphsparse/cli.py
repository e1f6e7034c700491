"""The ``graphsparse`` command line.

Every capability owns its subcommands in ``graphsparse/<capability>/_cli.py`` with a function
``register(subparsers)`` that adds its parser(s) and sets ``func`` (called with the parsed
arguments, returning an exit code). This module only collects them, lazily, so that
``graphsparse --help`` stays fast and one broken module cannot take the others down.
"""
from __future__ import annotations

import argparse
import importlib
import sys

# (module providing register(subparsers)) in the order shown by --help
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


def emit_json(payload: dict, path: str | None = None, quiet: bool = False) -> str:
    """The subcommands' result convention: JSON to ``path`` (when given) and to stdout unless ``quiet``."""
    import json

    text = json.dumps(payload, indent=2, default=str)
    if path:
        with open(path, "w") as f:
            f.write(text)
    if not quiet:
        print(text)
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphsparse", description=__doc__.splitlines()[0])
    from graphsparse import __version__

    parser.add_argument("--version", action="version", version=f"graphsparse {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name and module_name.startswith(err.name):
                continue  # capability not installed / not built yet
            raise
        module.register(subparsers)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if args.command is None else 2
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
