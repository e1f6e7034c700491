"""Thread safety of the parallel Numba kernels: one process-wide lock, used where it is needed.

``import graphsparse`` selects Numba's ``workqueue`` threading layer (unless
``NUMBA_THREADING_LAYER`` is set): it does not spin between calls, so it does not slow down torch
work in the same process (the OpenMP layer did, 3-10x; see the README). But ``workqueue`` is not
thread-safe: two Python threads launching parallel (``prange``) kernels at the same time abort the
process ("Numba workqueue threading layer is terminating: Concurrent access has been detected").

1. :func:`parallel_section` is a context manager that holds one process-wide ``threading.RLock``
   while a parallel kernel runs -- unless Numba runs on a thread-safe layer (``tbb`` or ``omp``,
   as reported by ``numba.threading_layer()`` once the first parallel kernel has run), where it
   does nothing. Before the first parallel call the layer is unknown and the lock is taken.
2. :func:`serialized` wraps a kernel (any callable) so that every Python-side call runs inside
   :func:`parallel_section`; the raw Numba dispatcher stays reachable as ``wrapper.kernel`` (use
   that one inside other ``@njit`` code, which cannot call a Python wrapper).

Concurrent calls are thus serialised kernel by kernel: each kernel still uses every core, and
results equal those of sequential calls. The lock is re-entrant, so nested sections are fine.
Every ``prange`` kernel of :mod:`graphsparse.kernels` is exported wrapped; capability modules
wrap their own parallel kernels with :func:`serialized` (or call them inside
``with parallel_section():``).
"""
from __future__ import annotations

import functools
import threading
from contextlib import contextmanager

__all__ = ["parallel_section", "serialized", "serialized_namespace", "launches_parallel", "THREADSAFE_LAYERS"]

THREADSAFE_LAYERS = ("tbb", "omp")
_LOCK = threading.RLock()
_layer_safe: bool | None = None  # None: not known yet (no parallel kernel has run)


def _threadsafe_layer() -> bool:
    global _layer_safe
    if _layer_safe is None:
        import numba

        try:
            layer = numba.threading_layer()
        except ValueError:  # no parallel kernel has run yet: the layer is not chosen
            return False
        _layer_safe = layer in THREADSAFE_LAYERS
    return _layer_safe


@contextmanager
def parallel_section():
    """Hold the process-wide kernel lock unless Numba's threading layer is thread-safe."""
    if _threadsafe_layer():
        yield
        return
    with _LOCK:
        yield


def serialized(fn):
    """``fn`` wrapped so that each call runs inside :func:`parallel_section` (``.kernel`` = ``fn``)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _layer_safe:
            return fn(*args, **kwargs)
        with parallel_section():
            return fn(*args, **kwargs)

    wrapper.kernel = fn
    return wrapper


def launches_parallel(fn) -> bool:
    """True for a Numba dispatcher compiled with ``parallel=True`` (it opens a ``prange`` region)."""
    return bool(getattr(fn, "targetoptions", {}).get("parallel"))


def serialized_namespace(module, names=None, also_parallel=()):
    """A namespace with ``module``'s public kernels, the parallel ones wrapped by :func:`serialized`.

    For a capability's ``_kernels`` module: ``_kernels = serialized_namespace(raw_kernels)`` at the
    call site keeps the ``_kernels.name(...)`` calls unchanged and makes them thread-safe.
    ``also_parallel`` names serial kernels that call a parallel one (they need the lock too).
    """
    from types import SimpleNamespace

    names = getattr(module, "__all__", None) if names is None else names
    if names is None:
        names = [name for name in vars(module) if not name.startswith("_")]
    wrapped = {}
    for name in names:
        fn = getattr(module, name)
        wrapped[name] = serialized(fn) if launches_parallel(fn) or name in also_parallel else fn
    return SimpleNamespace(**wrapped)
