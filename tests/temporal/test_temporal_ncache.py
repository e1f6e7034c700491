"""N-cache: hash, write rule vs a slow Python reference, determinism, numba == torch, persistence."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from graphsparse.temporal import NCache, toy_temporal_graph
from graphsparse.temporal import _kernels

MASK = 0xFFFFFFFF


# ----------------------------------------------------------------------------- slow references
def py_mix32(x):
    x &= MASK
    x ^= x >> 16
    x = (x * 0x7FEB352D) & MASK
    x ^= x >> 15
    x = (x * 0x5BD1E995) & MASK
    x ^= x >> 16
    return x


def py_random(seed, step, hop, candidate):
    h = py_mix32(seed ^ 0x9E3779B9)
    h = py_mix32(h ^ (step & MASK))
    h = py_mix32(h ^ (hop + 0x51ED27))
    return py_mix32(h ^ (candidate & MASK))


def py_hash(a, s, m):
    return (a * s + a * a * (s + 1)) % m  # Python ints: no overflow, the literal formula


class SlowCache:
    """Dictionary-per-node reference of the spec's write rule (Python objects, obvious code)."""

    def __init__(self, n, m1, m2, f, alpha, seed):
        self.m = (1, m1, m2)
        self.s = 2 * (seed % 50) + 1
        self.seed, self.alpha, self.f = seed, alpha, f
        self.threshold = min(int(alpha * 2 ** 32), 2 ** 32)
        # table[node][hop][slot] = (key, eid, t, value tuple) or None
        self.table = [[[None] * m for m in self.m] for _ in range(n)]
        self.step = 0

    def slot(self, hop, key):
        return 0 if hop == 0 else py_hash(key, self.s, self.m[hop])

    def row_values(self, node, values):
        """Values of node's rows in flat slot order (hop 0, hop 1, hop 2)."""
        return values

    def update(self, src, dst, t, eids, src_values, dst_values):
        old = [[list(h) for h in node] for node in self.table]
        writes = []
        offsets = (0, 1, 1 + self.m[1])
        for hop in range(3):
            if self.m[hop] == 0:
                continue
            for i in range(len(src)):
                for d in range(2):
                    x, y = (src[i], dst[i]) if d == 0 else (dst[i], src[i])
                    xv = src_values[i] if d == 0 else dst_values[i]
                    yv = dst_values[i] if d == 0 else src_values[i]
                    if hop == 0:
                        cands = [(2 * i + d, x, eids[i], t[i],
                                  tuple(xv[0]) if old[x][0][0] is not None else (0.0,) * self.f)]
                    elif hop == 1:
                        sl = self.slot(1, y)
                        same = old[x][1][sl] is not None and old[x][1][sl][0] == y
                        cands = [(2 * i + d, y, eids[i], t[i],
                                  tuple(xv[offsets[1] + sl]) if same else (0.0,) * self.f)]
                    else:
                        cands = []
                        for s1, entry in enumerate(old[y][1]):
                            if entry is not None:
                                cands.append(((2 * i + d) * self.m[1] + s1, entry[0], entry[1], entry[2],
                                              tuple(yv[offsets[1] + s1])))
                    for c, key, eid, tt, val in cands:
                        sl = self.slot(hop, key)
                        cur = old[x][hop][sl]
                        ok = cur is None or cur[0] == key or py_random(self.seed, self.step, hop, c) < self.threshold
                        if ok:
                            writes.append((x, hop, sl, (key, eid, np.float32(tt), val)))
        for x, hop, sl, entry in writes:  # in order: last writer wins
            self.table[x][hop][sl] = entry
        self.step += 1

    def as_arrays(self):
        n = len(self.table)
        num_slots = sum(self.m)
        keys = np.full((n, num_slots), -1, np.int64)
        vals = np.zeros((n, num_slots, self.f), np.float32)
        times = np.zeros((n, num_slots), np.float32)
        offsets = (0, 1, 1 + self.m[1])
        for u in range(n):
            for hop in range(3):
                for sl, entry in enumerate(self.table[u][hop]):
                    if entry is not None:
                        keys[u, offsets[hop] + sl] = entry[0]
                        times[u, offsets[hop] + sl] = entry[2]
                        vals[u, offsets[hop] + sl] = entry[3]
        return keys, times, vals


def _stream(num_nodes=60, num_edges=600, seed=0):
    return toy_temporal_graph(num_nodes, num_edges, seed=seed)


# ----------------------------------------------------------------------------- tests
@pytest.mark.parametrize("size", [1, 7, 16, 32])
@pytest.mark.parametrize("hash_seed", [1, 3, 99])
def test_hash_matches_formula(size, hash_seed):
    keys = np.array([0, 1, 2, 5, 31, 1000, 123_456, 2 ** 31 - 1], np.int64)
    got = [_kernels.hash_slot(np.int64(a), np.int64(hash_seed), np.int64(size)) for a in keys]
    assert got == [py_hash(int(a), hash_seed, size) for a in keys]


def test_random_u32_matches_python():
    for seed, step, hop, c in [(0, 0, 0, 0), (7, 3, 1, 5), (2 ** 32 - 1, 10 ** 6, 2, 123_456)]:
        assert int(_kernels.random_u32(np.int64(seed), np.int64(step), np.int64(hop), np.int64(c))) == \
            py_random(seed, step, hop, c)


def test_odd_hash_seed_covers_all_slots():
    cache = NCache(10, (32, 16), seed=42)
    slots = {_kernels.hash_slot(np.int64(a), np.int64(cache.hash_seed), np.int64(32)) for a in range(500)}
    assert len(slots) == 32


@pytest.mark.parametrize("backend", ["numba", "torch"])
@pytest.mark.parametrize("alpha,sizes", [(0.5, (4, 3)), (1.0, (8, 4)), (0.0, (4, 2)), (0.7, (5, 0))])
def test_update_matches_slow_reference(backend, alpha, sizes):
    data = _stream(40, 400, seed=1)
    f = 2
    cache = NCache(40, sizes, value_dim=f, alpha=alpha, seed=5, backend=backend)
    ref = SlowCache(40, sizes[0], sizes[1], f, alpha, 5)
    rng = np.random.default_rng(0)
    for start in range(0, 400, 25):
        sl = slice(start, start + 25)
        sv = rng.standard_normal((25, cache.num_slots, f)).astype(np.float32)
        dv = rng.standard_normal((25, cache.num_slots, f)).astype(np.float32)
        eids = np.arange(start, start + 25)
        cache.update(data.src[sl], data.dst[sl], data.t[sl], eids, sv, dv)
        ref.update(data.src[sl].tolist(), data.dst[sl].tolist(), data.t[sl].tolist(), eids.tolist(), sv, dv)
    keys, times, vals = ref.as_arrays()
    to_np = (lambda a: a.numpy()) if backend == "torch" else (lambda a: a)
    np.testing.assert_array_equal(to_np(cache.keys), keys)
    np.testing.assert_array_equal(to_np(cache.times), times)
    np.testing.assert_array_equal(to_np(cache.values), vals)
    if alpha == 0.0:  # never overwrite a different key: first writer of a slot stays
        assert (keys >= 0).any()


def _run(cache, data, batch=30):
    for start in range(0, data.num_edges, batch):
        sl = slice(start, start + batch)
        cache.update(data.src[sl], data.dst[sl], data.t[sl])
    return cache


def test_seeded_overwrite_determinism():
    data = _stream(50, 800, seed=2)
    a = _run(NCache(50, (4, 4), alpha=0.5, seed=11), data)
    b = _run(NCache(50, (4, 4), alpha=0.5, seed=11), data)
    c = _run(NCache(50, (4, 4), alpha=0.5, seed=12), data)
    np.testing.assert_array_equal(a.keys, b.keys)
    np.testing.assert_array_equal(a.edge_ids, b.edge_ids)
    assert not np.array_equal(a.keys, c.keys)  # another seed -> another hash/coins


def test_numba_and_torch_identical():
    data = _stream(80, 1500, seed=3)
    a = NCache(80, (8, 4), value_dim=3, alpha=0.6, seed=9, backend="numba")
    b = NCache(80, (8, 4), value_dim=3, alpha=0.6, seed=9, backend="torch")
    rng = np.random.default_rng(1)
    for start in range(0, 1500, 50):
        sl = slice(start, start + 50)
        sv = rng.standard_normal((50, a.num_slots, 3)).astype(np.float32)
        dv = rng.standard_normal((50, a.num_slots, 3)).astype(np.float32)
        assert a.update(data.src[sl], data.dst[sl], data.t[sl], None, sv, dv) == \
            b.update(data.src[sl], data.dst[sl], data.t[sl], None, torch.from_numpy(sv), torch.from_numpy(dv))
    for name in ("keys", "edge_ids", "times", "values"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name).numpy(), err_msg=name)
    u, w = rng.integers(0, 80, 40), rng.integers(0, 80, 40)
    for x, y in zip(a.joint_features(u, w), b.joint_features(u, w)):
        np.testing.assert_array_equal(x, y.numpy())
    np.testing.assert_array_equal(a.distance_histogram(u, w), b.distance_histogram(u, w).numpy())
    for x, y in zip(a.lookup(u), b.lookup(u)):
        np.testing.assert_array_equal(x, y.numpy())


@pytest.mark.parametrize("backend", ["numba", "torch"])
def test_lookup_and_joint_features_hand_built(backend):
    # seed 0 -> s = 1: h_1(0) = 0, h_1(2) = (2 + 8) % 8 = 2, distinct slots
    cache = NCache(4, (8, 8), value_dim=2, alpha=1.0, seed=0, backend=backend)
    cache.update([0], [1], [1.0], [0])
    cache.update([1], [2], [2.0], [1])
    view = cache.lookup([1, 2])
    keys = np.asarray(view.keys)
    assert keys[0, 0] == 1 and sorted(keys[0, 1:9][keys[0, 1:9] >= 0].tolist()) == [0, 2]
    assert (keys[0, 9:] < 0).all()                   # C_1[2] was empty before the batch
    assert keys[1, 0] == 2 and keys[1, 1:9][keys[1, 1:9] >= 0].tolist() == [1]
    assert keys[1, 9:][keys[1, 9:] >= 0].tolist() == [0]    # C_2[2] fed by C_1[1] = {0}
    eids = np.asarray(view.edge_ids)
    assert eids[1, 9 + 0] == 0                       # the 2-hop entry keeps the edge id of (0, 1)
    joint = cache.joint_features([0, 0], [2, 3])
    ptr, k, c = (np.asarray(a) for a in joint)
    assert ptr.tolist() == [0, 3, 5]
    # pair (0, 2): key 0 in u hop0 (1) and w hop2 (32); key 1 in u hop1 (2) and w hop1 (16); key 2 w hop0 (8)
    assert k[:3].tolist() == [0, 1, 2] and c[:3].tolist() == [33, 18, 8]
    # pair (0, 3): node 3 is empty
    assert k[3:].tolist() == [0, 1] and c[3:].tolist() == [1, 2]
    hist = np.asarray(cache.distance_histogram([0], [2]))
    assert hist.shape == (1, 64) and hist[0, [33, 18, 8]].tolist() == [1, 1, 1] and hist.sum() == 3


@pytest.mark.parametrize("backend", ["numba", "torch"])
def test_state_dict_round_trip_exact(backend, tmp_path):
    data = _stream(50, 900, seed=4)
    a = NCache(50, (4, 4), alpha=0.5, seed=3, backend=backend)
    half = 450
    for start in range(0, half, 30):
        a.update(data.src[start:start + 30], data.dst[start:start + 30], data.t[start:start + 30])
    path = tmp_path / "cache.pkl"
    path.write_bytes(pickle.dumps(a.state_dict()))
    other = "torch" if backend == "numba" else "numba"
    b = NCache(50, (4, 4), alpha=0.5, seed=3, backend=other).load_state_dict(pickle.loads(path.read_bytes()))
    for cache in (a, b):
        for start in range(half, 900, 30):
            cache.update(data.src[start:start + 30], data.dst[start:start + 30], data.t[start:start + 30])
    sa, sb = a.state_dict(), b.state_dict()
    for name in ("keys", "edge_ids", "times", "values"):
        np.testing.assert_array_equal(sa[name], sb[name])
    assert sa["step"] == sb["step"] == 30
    with pytest.raises(ValueError, match="hop_sizes"):
        NCache(50, (8, 4), seed=3).load_state_dict(sa)


def test_reset_empties():
    cache = _run(NCache(30, (4, 2)), _stream(30, 200))
    assert (cache.keys >= 0).any()
    cache.reset()
    assert (cache.keys < 0).all() and cache.step_ == 0


def test_memory_formula():
    cache = NCache(10_000, (32, 16), value_dim=4)
    arrays = cache.keys.nbytes + cache.edge_ids.nbytes + cache.times.nbytes + cache.values.nbytes
    assert arrays == cache.nbytes == 10_000 * 49 * (3 + 4) * 4
    assert NCache(3, (32, 16)).nbytes * 1_000_000 // 3 == 1_372_000_000


# ----------------------------------------------------------------------------- bad input
def test_bad_construction():
    with pytest.raises(ValueError, match="hop_sizes\\[0\\]"):
        NCache(10, (-1, 4))
    with pytest.raises(ValueError, match="hop_sizes\\[1\\]"):
        NCache(10, (4, -2))
    with pytest.raises(ValueError, match="M1 must be > 0"):
        NCache(10, (0, 4))
    with pytest.raises(ValueError, match="hop_sizes"):
        NCache(10, (4, 4, 4))
    with pytest.raises(ValueError, match="alpha"):
        NCache(10, alpha=1.5)
    with pytest.raises(ValueError, match="num_nodes"):
        NCache(0)
    with pytest.raises(TypeError, match="value_dim"):
        NCache(10, value_dim=2.5)
    with pytest.raises(ValueError, match="backend"):
        NCache(10, backend="cuda")
    NCache(10, (7, 3))                                 # no power of two needed


@pytest.mark.parametrize("backend", ["numba", "torch"])
def test_bad_updates(backend):
    cache = NCache(10, (4, 2), backend=backend)
    with pytest.raises(ValueError, match="src holds node id 10"):
        cache.update([10], [1], [0.0])
    with pytest.raises(ValueError, match="dst holds negative"):
        cache.update([1], [-1], [0.0])
    with pytest.raises(ValueError, match="non-decreasing"):
        cache.update([1, 2], [2, 3], [5.0, 4.0])
    cache.update([1], [2], [5.0])
    with pytest.raises(ValueError, match="earlier than the previous batch"):
        cache.update([1], [2], [4.0])
    with pytest.raises(ValueError, match="equal length"):
        cache.update([1, 2], [2], [6.0, 6.0])
    with pytest.raises(ValueError, match="src_values must have shape"):
        cache.update([1], [2], [6.0], src_values=np.zeros((1, 3, 4), np.float32))
    with pytest.raises(ValueError, match="finite"):
        cache.update([1], [2], [np.nan])
    with pytest.raises(TypeError, match="integer node ids"):
        cache.lookup([1.5])
    with pytest.raises(ValueError, match="u holds node id"):
        cache.joint_features([11], [1])
    # empty batch: documented no-op
    assert cache.update([], [], []) == 0 and cache.step_ == 1
    assert len(cache.joint_features([], []).keys) == 0


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 1000), m1=st.integers(1, 6), m2=st.integers(0, 5), alpha=st.sampled_from([0.0, 0.5, 1.0]))
def test_joint_features_match_set_reference(seed, m1, m2, alpha):
    rng = np.random.default_rng(seed)
    n = 12
    cache = NCache(n, (m1, m2), alpha=alpha, seed=seed)
    src, dst = rng.integers(0, n, 60), rng.integers(0, n, 60)
    for start in range(0, 60, 10):
        cache.update(src[start:start + 10], dst[start:start + 10], np.full(10, float(start)))
    u, w = rng.integers(0, n, 15), rng.integers(0, n, 15)
    ptr, keys, codes = cache.joint_features(u, w)
    hop = cache.hop_of_slot
    for p in range(15):
        expected = {}
        for side, node in ((0, u[p]), (3, w[p])):
            for s in range(cache.num_slots):
                a = int(cache.keys[node, s])
                if a >= 0:
                    expected[a] = expected.get(a, 0) | (1 << (int(hop[s]) + side))
        got = dict(zip(keys[ptr[p]:ptr[p + 1]].tolist(), codes[ptr[p]:ptr[p + 1]].tolist()))
        assert got == expected
        assert keys[ptr[p]:ptr[p + 1]].tolist() == sorted(expected)
