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
    import numba as _numba

    _numba.config.THREADING_LAYER = "workqueue"

from graphsparse.graph import Graph, as_graph  # noqa: E402
from graphsparse.ops import degree_power, gather_rows, normalized_weights, spmm  # noqa: E402

__version__ = "0.1.0"
__all__ = ["Graph", "as_graph", "spmm", "gather_rows", "degree_power", "normalized_weights", "__version__"]
