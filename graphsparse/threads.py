"""One thread policy for torch and Numba: :func:`set_num_threads`, and a warning on oversubscription.

graphsparse runs two thread pools in one process: Numba's (the CSR kernels, FastRP, the N-cache)
and torch's intra-op pool (the GNN trainers). The policy:

1. ``graphsparse.set_num_threads(n)`` sets both (``torch.set_num_threads(n)`` and
   ``numba.set_num_threads(min(n, NUMBA_NUM_THREADS))``); every CLI subcommand's ``--threads``
   calls it (``0`` leaves both libraries' defaults). Numba's setting applies to the calling
   thread (Numba keeps it per thread); torch's is process-wide.
2. The training commands (``ticket``, ``nat``, ``directed``, ``quickstart``) default to one thread:
   their models are small, and on a shared or loaded machine several threads per process spin
   against each other. The issue that led here measured NAT and Dir-GCN 16-20x slower per epoch
   with torch's default of 2 threads than with 1 on a loaded 2-core machine (Dir-GCN on chameleon:
   176 s vs 8.4 s per split); ``benchmarks/threads.py`` re-measures Dir-GCN epochs with 1 vs 2
   threads under the same load (``benchmarks/results/threads.json``: on directed squirrel at a
   load average of 13.5 on 2 cores, 2 threads were 1.33x slower per epoch than 1).
3. :func:`check_oversubscription` warns (once per process, :class:`OversubscriptionWarning`)
   when the 1-minute load average exceeds the number of usable cores while torch runs several
   threads; trainers and the CLI call it before long work.
"""
from __future__ import annotations

import numbers
import os
import sys
import threading
import warnings

__all__ = ["set_num_threads", "get_num_threads", "check_oversubscription", "usable_cores",
           "OversubscriptionWarning"]


class OversubscriptionWarning(RuntimeWarning):
    """More runnable threads than cores: parallel work will crawl (see :mod:`graphsparse.threads`)."""


_warned = False
_lock = threading.Lock()


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS tells, else ``os.cpu_count()``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - macOS / Windows
        return max(1, os.cpu_count() or 1)


def _check_count(n, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {type(n).__name__}")
    n = int(n)
    if n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n}")
    return n


def get_num_threads() -> dict:
    """``{"torch": ..., "numba": ...}``: the current thread counts (torch's only if it is imported)."""
    counts = {}
    if "torch" in sys.modules:
        counts["torch"] = sys.modules["torch"].get_num_threads()
    try:
        import numba

        counts["numba"] = numba.get_num_threads()
    except ImportError:  # pragma: no cover - numba is a dependency
        pass
    return counts


def set_num_threads(n: int) -> dict:
    """Set torch's intra-op threads and Numba's threads to ``n`` together.

    Parameters
    ----------
    n : int
        Threads (>= 1). Numba's count is capped at ``numba.config.NUMBA_NUM_THREADS`` (the pool
        size fixed when Numba starts, normally the core count).

    Returns
    -------
    dict
        The previous counts, ``{"torch": ..., "numba": ...}`` (pass the values back to restore).

    Examples
    --------
    >>> import graphsparse
    >>> previous = graphsparse.set_num_threads(1)
    >>> graphsparse.threads.get_num_threads()
    {'torch': 1, 'numba': 1}
    >>> _ = graphsparse.set_num_threads(previous["torch"])
    """
    n = _check_count(n)
    previous = {}
    import numba
    import torch

    previous["torch"] = torch.get_num_threads()
    previous["numba"] = numba.get_num_threads()
    torch.set_num_threads(n)
    numba.set_num_threads(min(n, int(numba.config.NUMBA_NUM_THREADS)))
    return previous


def check_oversubscription(torch_threads: int | None = None, *, warn: bool = True,
                           load: float | None = None, cores: int | None = None) -> bool:
    """True when the machine looks oversubscribed for a multi-threaded run; warn once if so.

    Oversubscribed means: the 1-minute load average is above the usable core count and torch
    runs two or more threads (``torch_threads``, default torch's current setting when torch is
    imported, else 1). Then every thread of this process competes with runnable threads of other
    processes and torch's spin-waiting makes an epoch many times slower (see the module notes).
    The warning (:class:`OversubscriptionWarning`) is given once per process.

    Parameters
    ----------
    torch_threads : int, optional
        Threads the run will use (default: ``torch.get_num_threads()`` when torch is imported).
    warn : bool
        Issue the warning (once per process) when oversubscribed.
    load, cores : optional
        Load average and core count to judge (default: ``os.getloadavg()[0]``,
        :func:`usable_cores`); for tests and callers that measured them already.
    """
    global _warned
    if torch_threads is None:
        torch_threads = sys.modules["torch"].get_num_threads() if "torch" in sys.modules else 1
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # pragma: no cover - Windows
            return False
    cores = usable_cores() if cores is None else int(cores)
    heavy = torch_threads >= 2 and load > cores
    if heavy and warn:
        with _lock:
            first, _warned = not _warned, True
        if first:
            warnings.warn(f"graphsparse: load average {load:.1f} on {cores} cores with {torch_threads} torch threads: "
                          "parallel work will be oversubscribed (measured up to 16-20x slower per epoch); "
                          "use graphsparse.set_num_threads(1) or --threads 1", OversubscriptionWarning, stacklevel=2)
    return heavy
