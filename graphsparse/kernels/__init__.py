"""Numba kernels over plain arrays (no SciPy, torch or graphsparse objects in here).

Capabilities call these through :mod:`graphsparse.ops` and :class:`graphsparse.Graph`; the
kernels themselves stay small, named and individually tested against slow references.
"""
from graphsparse.kernels.csr import *  # noqa: F401,F403
from graphsparse.kernels.csr import __all__  # noqa: F401
from graphsparse.kernels.edges import canonical_edges, locate_edges, pair_ids, reverse_edges  # noqa: F401,E402
