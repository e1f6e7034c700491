"""graphsparse: sparse graph and GNN workloads on one CSR + Numba backend.

Capabilities (one subpackage each): :mod:`graphsparse.embed` (FastRP), :mod:`graphsparse.sparsify`
and :mod:`graphsparse.lottery` (TEDDY, UGS), :mod:`graphsparse.temporal` (NAT),
:mod:`graphsparse.gather` (zero-copy feature gathering), :mod:`graphsparse.directed`.
They all stand on :mod:`graphsparse.graph` (container, coercion), :mod:`graphsparse.kernels`
(Numba) and :mod:`graphsparse.ops`.
"""
from graphsparse.graph import Graph, as_graph
from graphsparse.ops import degree_power, gather_rows, normalized_weights, spmm

__version__ = "0.1.0"
__all__ = ["Graph", "as_graph", "spmm", "gather_rows", "degree_power", "normalized_weights", "__version__"]
