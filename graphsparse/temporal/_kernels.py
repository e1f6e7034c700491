"""Numba kernels of the N-cache (Luo & Li, LoG 2022): hashing, seeded write rule, joint features.

Plain arrays in, plain arrays out; this module imports neither torch nor scipy. The torch
implementation in :mod:`graphsparse.temporal.ncache` reproduces every kernel bit for bit
(same hash, same counter-based random numbers, same candidate order), which the tests check.

Layout (one row per node, ``S = 1 + M1 + M2`` slots; hop ``k`` occupies ``[off_k, off_k + M_k)``):
``keys[N, S]`` int32 (-1 = empty), ``eids[N, S]`` int32, ``times[N, S]`` float32,
``values[N, S, F]`` float32.
"""
from __future__ import annotations

import numba
import numpy as np

# the 32-bit counter-based draw lives in the shared random module (one scheme for every kernel)
from graphsparse.kernels.random import MASK32, mix32  # noqa: E402,F401
from graphsparse.kernels.random import MIX32_C1 as MIX_C1  # noqa: E402,F401
from graphsparse.kernels.random import MIX32_C2 as MIX_C2  # noqa: E402,F401
from graphsparse.kernels.random import uniform_u32_from_counter as random_u32  # noqa: E402,F401

NUM_CODES = 64  # 6-bit distance encoding


@numba.njit(cache=True, inline="always")
def hash_slot(key, hash_seed, size):
    """(1) h(a) = (a * s + a^2 * (s + 1)) mod M, computed on a mod M (no int64 overflow)."""
    a = key % size
    return (a * hash_seed + a * a * (hash_seed + 1)) % size


@numba.njit(cache=True)
def ncache_update(keys, eids, times, values, src, dst, t, edge_ids, src_values, dst_values,
                  m1, m2, hash_seed, seed, step, threshold):
    """(2) N-cache update for one batch of positive edges, reference semantics.

    For each edge i and direction d (x, y) in ((u, v), (v, u)) the candidates are
    hop 0: (x, j, t, h'_0(x)); hop 1: (y, j, t, h'_{x,1}(y) if y already in C_1[x] else 0);
    hop 2: every occupied entry (a, j_a, t_a, h'_a) of C_1[y].  Candidate index
    c = 2 i + d (hops 0, 1) and c = (2 i + d) * M1 + slot (hop 2).
    Decisions read the state BEFORE the batch: slot empty or holding the same key -> write;
    different key -> write iff random_u32 < threshold (= alpha * 2**32).  Accepted writes are
    applied hop by hop in increasing c, so the last writer wins.  Returns #writes applied.
    """
    num_edges = src.shape[0]
    value_dim = values.shape[2]
    off1 = 1
    off2 = 1 + m1
    max_cand = 2 * num_edges * (2 + m1)  # exact bound: 2B (hop 0) + 2B (hop 1) + 2B M1 (hop 2)
    tgt_node = np.empty(max_cand, np.int64)
    tgt_slot = np.empty(max_cand, np.int64)
    new_key = np.empty(max_cand, np.int32)
    new_eid = np.empty(max_cand, np.int32)
    new_time = np.empty(max_cand, np.float32)
    new_val = np.empty((max_cand, value_dim), np.float32)
    count = 0
    # hop 0 ---------------------------------------------------------------------------
    for i in range(num_edges):
        for d in range(2):
            x = src[i] if d == 0 else dst[i]
            xv = src_values if d == 0 else dst_values
            k_old = keys[x, 0]
            accept = k_old < 0 or k_old == x
            if not accept:
                accept = random_u32(seed, step, 0, 2 * i + d) < threshold
            if accept:
                tgt_node[count] = x
                tgt_slot[count] = 0
                new_key[count] = x
                new_eid[count] = edge_ids[i]
                new_time[count] = t[i]
                for f in range(value_dim):
                    new_val[count, f] = xv[i, 0, f] if keys[x, 0] >= 0 else 0.0
                count += 1
    # hop 1 ---------------------------------------------------------------------------
    # (the three hop rules stay written out, as in the reference: each has its own candidate
    # set and value rule, and this loop is the hot path of every NAT batch)
    if m1 > 0:
        for i in range(num_edges):
            for d in range(2):
                x = src[i] if d == 0 else dst[i]
                y = dst[i] if d == 0 else src[i]
                xv = src_values if d == 0 else dst_values
                slot = off1 + hash_slot(y, hash_seed, m1)
                k_old = keys[x, slot]
                accept = k_old < 0 or k_old == y
                if not accept:
                    accept = random_u32(seed, step, 1, 2 * i + d) < threshold
                if accept:
                    tgt_node[count] = x
                    tgt_slot[count] = slot
                    new_key[count] = y
                    new_eid[count] = edge_ids[i]
                    new_time[count] = t[i]
                    same = k_old == y
                    for f in range(value_dim):
                        new_val[count, f] = xv[i, slot, f] if same else 0.0
                    count += 1
    # hop 2 ---------------------------------------------------------------------------
    if m2 > 0:
        for i in range(num_edges):
            for d in range(2):
                x = src[i] if d == 0 else dst[i]
                y = dst[i] if d == 0 else src[i]
                yv = dst_values if d == 0 else src_values
                for s1 in range(m1):
                    a = keys[y, off1 + s1]
                    if a < 0:
                        continue
                    slot = off2 + hash_slot(a, hash_seed, m2)
                    k_old = keys[x, slot]
                    accept = k_old < 0 or k_old == a
                    if not accept:
                        accept = random_u32(seed, step, 2, (2 * i + d) * m1 + s1) < threshold
                    if accept:
                        tgt_node[count] = x
                        tgt_slot[count] = slot
                        new_key[count] = a
                        new_eid[count] = eids[y, off1 + s1]
                        new_time[count] = times[y, off1 + s1]
                        for f in range(value_dim):
                            new_val[count, f] = yv[i, off1 + s1, f]
                        count += 1
    # apply in canonical order: last writer wins ---------------------------------------
    for c in range(count):
        x = tgt_node[c]
        slot = tgt_slot[c]
        keys[x, slot] = new_key[c]
        eids[x, slot] = new_eid[c]
        times[x, slot] = new_time[c]
        for f in range(value_dim):
            values[x, slot, f] = new_val[c, f]
    return count


@numba.njit(cache=True)
def _pair_union(keys, u, w, hop_of_slot, key_buf, code_buf):
    """Union of the occupied keys of u's and w's rows; returns #distinct keys (sorted ascending).

    (3) DE(a) = OR_k [a in C_k(u)] 2^k  OR  OR_k [a in C_k(w)] 2^(k+3)   (6 bits, 0..63).
    """
    num_slots = keys.shape[1]
    n = 0
    for side in range(2):
        node = u if side == 0 else w
        shift = 0 if side == 0 else 3
        for s in range(num_slots):
            a = keys[node, s]
            if a < 0:
                continue
            bit = np.int64(1) << (hop_of_slot[s] + shift)
            # insertion into the sorted buffer (<= 2 S entries)
            pos = n
            found = -1
            for q in range(n):
                if key_buf[q] == a:
                    found = q
                    break
            if found >= 0:
                code_buf[found] |= bit
                continue
            while pos > 0 and key_buf[pos - 1] > a:
                key_buf[pos] = key_buf[pos - 1]
                code_buf[pos] = code_buf[pos - 1]
                pos -= 1
            key_buf[pos] = a
            code_buf[pos] = bit
            n += 1
    return n


@numba.njit(cache=True)
def joint_features(keys, u, w, hop_of_slot):
    """Per pair (u_p, w_p): sorted union keys and their 6-bit distance codes, CSR by pair."""
    num_pairs = u.shape[0]
    num_slots = keys.shape[1]
    key_buf = np.empty(2 * num_slots, np.int64)
    code_buf = np.empty(2 * num_slots, np.int64)
    pair_ptr = np.zeros(num_pairs + 1, np.int64)
    out_keys = np.empty(num_pairs * 2 * num_slots, np.int64)
    out_codes = np.empty(num_pairs * 2 * num_slots, np.int64)
    for p in range(num_pairs):
        n = _pair_union(keys, u[p], w[p], hop_of_slot, key_buf, code_buf)
        start = pair_ptr[p]
        for q in range(n):
            out_keys[start + q] = key_buf[q]
            out_codes[start + q] = code_buf[q]
        pair_ptr[p + 1] = start + n
    total = pair_ptr[num_pairs]
    return pair_ptr, out_keys[:total].copy(), out_codes[:total].copy()


@numba.njit(cache=True, parallel=False)
def distance_histogram(keys, u, w, hop_of_slot):
    """hist[p, c] = #union keys of pair p whose distance code is c (the sum-pooled DE part)."""
    num_pairs = u.shape[0]
    num_slots = keys.shape[1]
    key_buf = np.empty(2 * num_slots, np.int64)
    code_buf = np.empty(2 * num_slots, np.int64)
    hist = np.zeros((num_pairs, NUM_CODES), np.float32)
    for p in range(num_pairs):
        n = _pair_union(keys, u[p], w[p], hop_of_slot, key_buf, code_buf)
        for q in range(n):
            hist[p, code_buf[q]] += 1.0
    return hist


@numba.njit(cache=True)
def joint_groups(keys, u, w, hop_of_slot):
    """Like :func:`joint_features`, plus ``row_group[p, r]``: the union-key index (global, CSR
    order) of row r of pair p (rows 0..S-1 are u's slots, S..2S-1 w's), -1 for an empty slot."""
    num_pairs = u.shape[0]
    num_slots = keys.shape[1]
    key_buf = np.empty(2 * num_slots, np.int64)
    code_buf = np.empty(2 * num_slots, np.int64)
    pair_ptr = np.zeros(num_pairs + 1, np.int64)
    out_keys = np.empty(num_pairs * 2 * num_slots, np.int64)
    out_codes = np.empty(num_pairs * 2 * num_slots, np.int64)
    row_group = np.full((num_pairs, 2 * num_slots), -1, np.int64)
    for p in range(num_pairs):
        n = _pair_union(keys, u[p], w[p], hop_of_slot, key_buf, code_buf)
        start = pair_ptr[p]
        for q in range(n):
            out_keys[start + q] = key_buf[q]
            out_codes[start + q] = code_buf[q]
        pair_ptr[p + 1] = start + n
        for side in range(2):
            node = u[p] if side == 0 else w[p]
            for s in range(num_slots):
                a = keys[node, s]
                if a < 0:
                    continue
                lo, hi = 0, n - 1
                while lo < hi:  # binary search in the sorted union
                    mid = (lo + hi) // 2
                    if key_buf[mid] < a:
                        lo = mid + 1
                    else:
                        hi = mid
                row_group[p, side * num_slots + s] = start + lo
    total = pair_ptr[num_pairs]
    return pair_ptr, out_keys[:total].copy(), out_codes[:total].copy(), row_group
