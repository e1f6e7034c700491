"""graphsparse: sparse graph and GNN workloads on one CSR + Numba backend.

Capabilities (one subpackage each): :mod:`graphsparse.embed` (FastRP), :mod:`graphsparse.sparsify`
and :mod:`graphsparse.lottery` (TEDDY, UGS), :mod:`graphsparse.temporal` (NAT),
:mod:`graphsparse.gather` (zero-copy feature gathering), :mod:`graphsparse.directed`.
They all stand on :mod:`graphsparse.graph` (container, coercion), :mod:`graphsparse.kernels`
(Numba) and :mod:`graphsparse.ops`.
"""
import os as _os

# Numba's default OpenMP layer and torch's OpenMP pool keep spinning between parallel calls and
# starve each other (measured: a torch step after a Numba kernel took 35x its CPU time). The
# workqueue layer does not spin; users who set NUMBA_THREADING_LAYER themselves keep their choice.
if "NUMBA_THREADING_LAYER" not in _os.environ:
    _os.environ["NUMBA_THREADING_LAYER"] = "workqueue"
    import sys as _sys

    if "numba" in _sys.modules:  # numba read its config before us: set it there too (cheap when absent)
        _sys.modules["numba"].config.THREADING_LAYER = "workqueue"

__version__ = "0.1.0"
__all__ = ["Graph", "as_graph", "spmm", "gather_rows", "degree_power", "normalized_weights", "set_num_threads",
           "__version__"]

# ---- lazy top-level names (PEP 562) -------------------------------------------------------------
# ``import graphsparse`` (and so ``graphsparse --help``, which imports ``graphsparse.cli``) must not
# pay for SciPy/Numba: the public names below are imported on first access. Subpackages
# (``graphsparse.graph``, ``graphsparse.embed``, ...) are imported on first attribute access too.
_LAZY = {"Graph": "graphsparse.graph", "as_graph": "graphsparse.graph", "spmm": "graphsparse.ops",
         "gather_rows": "graphsparse.ops", "degree_power": "graphsparse.ops",
         "normalized_weights": "graphsparse.ops", "set_num_threads": "graphsparse.threads"}

from typing import TYPE_CHECKING as _TYPE_CHECKING  # noqa: E402

if _TYPE_CHECKING:  # pragma: no cover - for static analysers (mkdocstrings/griffe, IDEs)
    from graphsparse.graph import Graph, as_graph  # noqa: F401
    from graphsparse.ops import degree_power, gather_rows, normalized_weights, spmm  # noqa: F401
    from graphsparse.threads import set_num_threads  # noqa: F401


def __getattr__(name: str):
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if not name.startswith("_"):
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
