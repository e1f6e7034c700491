"""Numba kernels of the graph generators (plain arrays only: no torch, SciPy or graphsparse objects).

* :func:`rmat_keys` -- R-MAT edges drawn with a counter-based hash RNG (SplitMix64), parallel over
  edges and bit-for-bit reproducible whatever the number of threads.
* :func:`block_pair_edges` -- exact Bernoulli sampling of one SBM block pair by geometric skipping
  (Batagelj & Brandes, Phys. Rev. E 71, 036113, 2005), O(edges) instead of O(pairs).
* :func:`temporal_events` -- the sequential event loop of the temporal SBM with triadic closure.
"""
from __future__ import annotations

import numba
import numpy as np

__all__ = ["splitmix64", "uniform_from_counter", "rmat_keys", "block_pair_edges", "temporal_events"]

from graphsparse.kernels.csr import grow  # noqa: E402
from graphsparse.kernels.random import splitmix64, uniform_from_counter  # noqa: E402,F401


@numba.njit(cache=True, parallel=True)
def rmat_keys(key, first_edge, count, scale, num_nodes, prob_a, prob_ab, prob_abc, directed, self_loops):
    """Draw ``count`` R-MAT edges, numbered ``first_edge ..``, as keys ``src * num_nodes + dst`` (int64).

    1. Edge ``e`` descends ``scale`` bit levels; at level ``l`` a uniform ``r`` picks the quadrant
       a ``[0, prob_a)``, b ``[prob_a, prob_ab)``, c ``[prob_ab, prob_abc)``, d (rest), which sets
       bit ``scale-1-l`` of the source (c, d) and of the target (b, d) (Chakrabarti, Zhan &
       Faloutsos, SDM 2004).
    2. A draw with an id ``>= num_nodes`` (``num_nodes`` not a power of two), or a self-loop when
       ``self_loops`` is False, is rejected and the edge redrawn (rejection keeps R-MAT's law
       conditioned on the allowed pairs).
    3. Undirected graphs store the pair as ``(min, max)``.
    Every uniform is ``hash(key, (e * 64 + attempt) * 64 + l)``, so the result depends only on
    ``key`` and the edge numbers, never on scheduling.
    """
    keys = np.empty(count, dtype=np.int64)
    for i in numba.prange(count):
        edge = np.uint64(first_edge + i)
        attempt = np.uint64(0)
        while True:
            src = np.int64(0)
            dst = np.int64(0)
            base = (edge * np.uint64(64) + attempt) * np.uint64(64)
            for level in range(scale):
                r = uniform_from_counter(key, base + np.uint64(level))
                bit = np.int64(1) << np.int64(scale - 1 - level)
                if r < prob_a:
                    pass
                elif r < prob_ab:
                    dst |= bit
                elif r < prob_abc:
                    src |= bit
                else:
                    src |= bit
                    dst |= bit
            attempt += np.uint64(1)
            if src >= num_nodes or dst >= num_nodes:
                continue
            if src == dst and not self_loops:
                continue
            break
        if not directed and src > dst:
            src, dst = dst, src
        keys[i] = src * num_nodes + dst
    return keys


@numba.njit(cache=True)
def block_pair_edges(row_start, num_rows, col_start, num_cols, prob, upper_only, self_loops, seed):
    """All edges of one SBM block pair, each of the ``num_rows * num_cols`` pairs kept with ``prob``.

    Geometric skipping: the gap to the next kept pair is ``floor(log(1 - U) / log(1 - prob))``,
    which draws exactly independent Bernoulli(``prob``) trials in O(kept pairs). ``upper_only``
    keeps only ``row < col`` (diagonal block of an undirected graph); ``self_loops=False`` drops
    ``row == col``. Returns ``(rows, cols)`` as int64 global ids.
    """
    np.random.seed(seed)
    total = num_rows * num_cols
    expected = prob * total
    capacity = np.int64(expected + 6.0 * np.sqrt(expected + 1.0) + 16.0)
    if capacity > total:
        capacity = total
    rows = np.empty(capacity, dtype=np.int64)
    cols = np.empty(capacity, dtype=np.int64)
    n_kept = 0
    if prob <= 0.0 or total == 0:
        return rows[:0], cols[:0]
    log_q = np.log1p(-prob) if prob < 1.0 else -np.inf
    position = np.int64(-1)
    while True:
        if prob >= 1.0:
            position += 1
        else:
            u = np.random.random()
            position += 1 + np.int64(np.floor(np.log1p(-u) / log_q))
        if position >= total or position < 0:
            break
        r = row_start + position // num_cols
        c = col_start + position % num_cols
        if upper_only and r >= c:
            continue
        if r == c and not self_loops:
            continue
        if n_kept == capacity:
            capacity = capacity * 2 + 16
            rows = grow(rows, n_kept, capacity)
            cols = grow(cols, n_kept, capacity)
        rows[n_kept] = r
        cols[n_kept] = c
        n_kept += 1
    return rows[:n_kept], cols[:n_kept]


@numba.njit(cache=True)
def _pick_cumulative(cumulative, u):
    """Index ``i`` with ``cumulative[i-1] <= u * total < cumulative[i]`` (inverse CDF)."""
    return np.searchsorted(cumulative, u * cumulative[-1], side="right")


@numba.njit(cache=True)
def temporal_events(num_events, block_of, block_start, block_size, activity_cdf, p_intra,
                    closure_prob, repeat_prob, memory, seed):
    """Event loop of the temporal SBM with triadic closure; returns ``(src, dst, kind)`` int64.

    For every event: the source ``u`` is drawn with probability proportional to its activity.
    Then, with probability ``closure_prob`` and when ``u`` has a remembered neighbour ``w`` that
    itself has a neighbour ``v != u``: ``dst = v`` (triadic closure, kind 1); else with
    probability ``repeat_prob`` and when ``u`` has a remembered neighbour: ``dst`` = that neighbour
    (repeat, kind 2); else an SBM draw (kind 0): with probability ``p_intra`` a uniform node of
    ``u``'s block other than ``u``, otherwise a uniform node of another block. Each node remembers
    its last ``memory`` partners (both directions) in a ring buffer.
    """
    np.random.seed(seed)
    num_nodes = block_of.shape[0]
    num_blocks = block_start.shape[0]
    neighbours = np.full((num_nodes, memory), -1, dtype=np.int64)
    n_seen = np.zeros(num_nodes, dtype=np.int64)
    src = np.empty(num_events, dtype=np.int64)
    dst = np.empty(num_events, dtype=np.int64)
    kind = np.zeros(num_events, dtype=np.int64)
    for e in range(num_events):
        u = _pick_cumulative(activity_cdf, np.random.random())
        v = np.int64(-1)
        n_u = min(n_seen[u], memory)
        if n_u > 0 and np.random.random() < closure_prob:
            w = neighbours[u, np.random.randint(0, n_u)]
            n_w = min(n_seen[w], memory)
            if n_w > 0:
                candidate = neighbours[w, np.random.randint(0, n_w)]
                if candidate != u:
                    v = candidate
                    kind[e] = 1
        if v < 0 and n_u > 0 and np.random.random() < repeat_prob:
            v = neighbours[u, np.random.randint(0, n_u)]
            kind[e] = 2
        if v < 0:
            b = block_of[u]
            if num_blocks == 1 or np.random.random() < p_intra:
                if block_size[b] > 1:
                    v = block_start[b] + np.random.randint(0, block_size[b] - 1)
                    if v >= u:
                        v += 1
            else:
                outside = num_nodes - block_size[b]
                k = np.random.randint(0, outside)
                v = k if k < block_start[b] else k + block_size[b]
            if v < 0:  # a block of one node: fall back to any other node
                v = np.random.randint(0, num_nodes - 1)
                if v >= u:
                    v += 1
        src[e] = u
        dst[e] = v
        neighbours[u, n_seen[u] % memory] = v
        n_seen[u] += 1
        neighbours[v, n_seen[v] % memory] = u
        n_seen[v] += 1
    return src, dst, kind
