"""Shared argument checks: every public function reports bad input the same way.

Each check raises ``TypeError`` for the wrong kind of object and ``ValueError`` for a wrong
value, and always names the argument and what was expected.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_fraction",
    "check_positive_int",
    "check_finite",
    "check_real",
    "check_vector",
    "check_node_ids",
    "check_random_state",
    "as_index_array",
    "to_numpy",
]


def check_positive_int(value, name: str, *, allow_zero: bool = False) -> int:
    """Return ``value`` as int, or raise if it is not a (strictly) positive integer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def check_fraction(value, name: str, *, low: float = 0.0, high: float = 1.0,
                   low_inclusive: bool = True, high_inclusive: bool = False) -> float:
    """Return ``value`` as float, or raise if it is outside the interval (default ``[0, 1)``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    ok_low = value >= low if low_inclusive else value > low
    ok_high = value <= high if high_inclusive else value < high
    if not (np.isfinite(value) and ok_low and ok_high):
        interval = ("[" if low_inclusive else "(") + f"{low}, {high}" + ("]" if high_inclusive else ")")
        raise ValueError(f"{name} must lie in {interval}, got {value}")
    return value


def check_real(value, name: str) -> float:
    """Return ``value`` as a finite float, or raise (``TypeError`` for non-numbers, bools)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_vector(values, length: int, name: str, dtype=np.float32) -> np.ndarray:
    """A 1-D, finite, real vector of exactly ``length`` entries, as a contiguous ``dtype`` array."""
    array = to_numpy(values)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.shape != (length,):
        raise ValueError(f"{name} must have shape ({length},) (one entry per node), got {array.shape}")
    array = np.ascontiguousarray(array, dtype=dtype)
    return check_finite(array, name)


def check_finite(array: np.ndarray, name: str) -> np.ndarray:
    """Raise ``ValueError`` if ``array`` holds NaN or +-inf."""
    if array.size and array.dtype.kind in "fc" and not np.isfinite(array).all():
        bad = int(np.count_nonzero(~np.isfinite(array)))
        raise ValueError(f"{name} must be finite, but {bad} entries are NaN or inf")
    return array


def to_numpy(array) -> np.ndarray:
    """``np.asarray`` that also takes torch tensors (detached, moved to the CPU).

    torch is only consulted when it is already imported (a tensor cannot exist otherwise), so
    torch-free callers never pay for importing it.
    """
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and isinstance(array, torch.Tensor):
        return array.detach().cpu().numpy()
    return np.asarray(array)


def as_index_array(index, name: str) -> np.ndarray:
    """Coerce node ids (list, NumPy, torch) to a 1-D int64 array; refuse floats and bools."""
    array = to_numpy(index)
    if array.dtype == bool:
        raise TypeError(f"{name} must hold integer node ids, got a boolean array (use np.flatnonzero)")
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must hold integer node ids, got dtype {array.dtype}")
    if array.dtype == np.uint64 and int(array.max()) > np.iinfo(np.int64).max:
        raise ValueError(f"{name} holds node id {int(array.max())}, beyond the int64 range")
    return array.astype(np.int64, copy=False).reshape(-1) if array.ndim <= 1 else array.astype(np.int64, copy=False)


def check_node_ids(ids: np.ndarray, num_nodes: int, name: str) -> np.ndarray:
    """Raise ``ValueError`` if any id is negative or ``>= num_nodes``."""
    if ids.size:
        low, high = int(ids.min()), int(ids.max())
        if low < 0:
            raise ValueError(f"{name} holds negative node ids (min {low}); ids must be in [0, {num_nodes})")
        if high >= num_nodes:
            raise ValueError(f"{name} holds node id {high} >= num_nodes={num_nodes}")
    return ids


def check_random_state(seed) -> np.random.Generator:
    """Turn ``None``, an int, a ``Generator`` or a ``RandomState`` into a NumPy ``Generator``."""
    if seed is None or isinstance(seed, (numbers.Integral, np.integer)):
        return np.random.default_rng(None if seed is None else int(seed))
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, np.random.RandomState):
        return np.random.default_rng(seed.randint(0, 2**31 - 1))
    raise TypeError(f"random_state must be None, an int or a numpy Generator, got {type(seed).__name__}")
