"""Counter-based random numbers for Numba kernels (no state, no thread-order dependence).

1. ``mix64(z)``: the SplitMix64 finaliser (Steele, Lea & Flood, OOPSLA 2014), a bijection of
   64-bit words: ``z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB;
   z ^= z >> 31``.
2. ``splitmix64(state) = mix64(state + 0x9E3779B97F4A7C15)`` (one SplitMix64 step).
3. ``uniform_from_counter(key, counter) = (splitmix64(key ^ splitmix64(counter)) >> 11) * 2**-53``,
   a uniform double in ``[0, 1)`` that depends only on ``(key, counter)``, so parallel kernels
   give the same numbers whatever the thread count or iteration order.
"""
from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["GOLDEN_GAMMA", "mix64", "splitmix64", "uniform_from_counter"]

GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_INV_2_53 = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True, inline="always")
def mix64(z):
    """SplitMix64 finaliser: a 64-bit bijective hash of ``z`` (uint64)."""
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def splitmix64(state):
    """One SplitMix64 output for ``state`` (uint64): ``mix64(state + golden gamma)``."""
    return mix64(state + GOLDEN_GAMMA)


@njit(cache=True, inline="always")
def uniform_from_counter(key, counter):
    """Uniform double in ``[0, 1)`` from ``(key, counter)`` (53 random bits)."""
    bits = splitmix64(key ^ splitmix64(counter))
    return np.float64(bits >> np.uint64(11)) * _INV_2_53
