"""Counter-based random numbers for Numba kernels (no state, no thread-order dependence).

1. ``mix64(z)``: the SplitMix64 finaliser (Steele, Lea & Flood, OOPSLA 2014), a bijection of
   64-bit words: ``z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB;
   z ^= z >> 31``.
2. ``splitmix64(state) = mix64(state + 0x9E3779B97F4A7C15)`` (one SplitMix64 step).
3. ``uniform_from_counter(key, counter) = (splitmix64(key ^ splitmix64(counter)) >> 11) * 2**-53``,
   a uniform double in ``[0, 1)`` that depends only on ``(key, counter)``, so parallel kernels
   give the same numbers whatever the thread count or iteration order.
4. ``uniform_from_key(seed, key, col, stream)``: the same construction over four words,
   ``z = mix64(seed + gamma); z = mix64(z ^ key * K); z = mix64(z ^ (col + stream * S))``,
   ``(z >> 11) * 2**-53``. FastRP draws entry ``(node id, column)`` of its random projection with
   it, so the matrix does not depend on node order, thread count or column block.
5. ``mix32(x)`` / ``uniform_u32_from_counter(seed, step, hop, candidate)``: a 32-bit
   xorshift-multiply avalanche and a counter-based 32-bit draw built from it. Every product stays
   below ``2**63`` in int64 arithmetic, so a torch implementation (which has no uint64 multiply)
   reproduces it bit for bit; the N-cache (NAT) keeps a Numba and a torch path that must agree.

Every parallel kernel of the package draws its random numbers from this module. The two serial
generators in ``graphsparse.datasets._kernels`` (SBM block sampling by geometric skipping and the
temporal SBM event loop) keep Numba's seeded sequential stream (``np.random.seed(seed)`` inside
the kernel, a per-thread Mersenne Twister): they run on one thread, their output depends only on
``seed``, and the synthetic datasets pinned by tests and benchmark results were drawn from it.
"""
from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["GOLDEN_GAMMA", "mix64", "splitmix64", "uniform_from_counter", "uniform_from_key",
           "MASK32", "MIX32_C1", "MIX32_C2", "mix32", "uniform_u32_from_counter"]

GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_INV_2_53 = 1.0 / 9007199254740992.0  # 2**-53
_KEY_MUL = np.uint64(0xD6E8FEB86659FD93)
_STREAM_MUL = np.uint64(0xA0761D6478BD642F)
MASK32 = np.int64(0xFFFFFFFF)
# two odd multipliers below 2**31, so that x * c < 2**63 never overflows int64 (numba and torch agree)
MIX32_C1 = np.int64(0x7FEB352D)
MIX32_C2 = np.int64(0x5BD1E995)


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


@njit(cache=True, inline="always")
def uniform_from_key(seed, key, col, stream):
    """Uniform ``[0, 1)`` float64 that depends only on ``(seed, key, col, stream)`` (53-bit)."""
    z = mix64(np.uint64(seed) + GOLDEN_GAMMA)
    z = mix64(z ^ (np.uint64(key) * _KEY_MUL))
    z = mix64(z ^ (np.uint64(col) + np.uint64(stream) * _STREAM_MUL))
    return (z >> np.uint64(11)) * _INV_2_53


@njit(cache=True, inline="always")
def mix32(x):
    """32-bit avalanche mix (xorshift-multiply) in int64 arithmetic, the same in Numba and torch."""
    x = x & MASK32
    x ^= x >> 16
    x = (x * MIX32_C1) & MASK32
    x ^= x >> 15
    x = (x * MIX32_C2) & MASK32
    x ^= x >> 16
    return x


@njit(cache=True, inline="always")
def uniform_u32_from_counter(seed, step, hop, candidate):
    """Counter-based uniform 32-bit draw (int64 in ``[0, 2**32)``) for four int64 counters."""
    h = mix32(seed ^ np.int64(0x9E3779B9))
    h = mix32(h ^ (step & MASK32))
    h = mix32(h ^ (hop + 0x51ED27))
    h = mix32(h ^ (candidate & MASK32))
    return h
