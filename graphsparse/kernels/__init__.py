"""Numba kernels over plain arrays (no SciPy, torch or graphsparse objects in here).

Capabilities call these through :mod:`graphsparse.ops` and :class:`graphsparse.Graph`; the
kernels themselves stay small, named and individually tested against slow references.

Every kernel that launches a parallel (``prange``) region is exported wrapped by
:func:`serialized` (see :mod:`graphsparse.kernels.threads`): concurrent calls from Python threads
are safe under Numba's ``workqueue`` layer. The raw dispatchers stay in
:mod:`graphsparse.kernels.csr` (and as ``kernels.<name>.kernel``) for use inside ``@njit`` code.
"""
from graphsparse.kernels import csr as _csr
from graphsparse.kernels.csr import __all__ as _csr_all
from graphsparse.kernels.threads import parallel_section, serialized
from graphsparse.kernels.validate import count_nonfinite, csr_problem

# kernels that launch a parallel region themselves or through a parallel callee
_PARALLEL_CALLERS = {"remove_self_loops"}


def _launches_parallel(fn) -> bool:
    return bool(getattr(fn, "targetoptions", {}).get("parallel")) or fn.__name__ in _PARALLEL_CALLERS


for _name in _csr_all:
    _fn = getattr(_csr, _name)
    globals()[_name] = serialized(_fn) if _launches_parallel(_fn) else _fn

PARALLEL_KERNELS = tuple(name for name in _csr_all if _launches_parallel(getattr(_csr, name)))
__all__ = list(_csr_all) + ["parallel_section", "serialized", "csr_problem", "count_nonfinite",
                            "PARALLEL_KERNELS"]
del _name, _fn
