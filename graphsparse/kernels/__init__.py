"""Numba kernels over plain arrays (no SciPy, torch or graphsparse objects in here).

Capabilities call these through :mod:`graphsparse.ops` and :class:`graphsparse.Graph`; the
kernels themselves stay small, named and individually tested against slow references.

Every kernel that launches a parallel (``prange``) region is exported wrapped by
:func:`serialized` (see :mod:`graphsparse.kernels.threads`): concurrent calls from Python threads
are safe under Numba's ``workqueue`` layer. The raw dispatchers stay in
:mod:`graphsparse.kernels.csr` / :mod:`graphsparse.kernels.edges` (and as
``kernels.<name>.kernel``) for use inside ``@njit`` code.
"""
from graphsparse.kernels import csr as _csr
from graphsparse.kernels import edges as _edges
from graphsparse.kernels.threads import parallel_section, serialized
from graphsparse.kernels.validate import count_nonfinite, csr_problem

# kernels that launch a parallel region themselves or through a parallel callee
_PARALLEL_CALLERS = {"remove_self_loops", "reverse_edges"}


def _launches_parallel(fn) -> bool:
    return bool(getattr(fn, "targetoptions", {}).get("parallel")) or fn.__name__ in _PARALLEL_CALLERS


_exported = []
for _module in (_csr, _edges):
    for _name in _module.__all__:
        _fn = getattr(_module, _name)
        globals()[_name] = serialized(_fn) if _launches_parallel(_fn) else _fn
        _exported.append((_name, _fn))

PARALLEL_KERNELS = tuple(name for name, fn in _exported if _launches_parallel(fn))
__all__ = [name for name, _ in _exported] + ["parallel_section", "serialized", "csr_problem",
                                             "count_nonfinite", "PARALLEL_KERNELS"]
del _module, _name, _fn, _exported
