"""Crash fuzzing of the gather, temporal and Planetoid entry points (issue #13, "a crash-fuzzing suite").

Hypothesis generates malformed inputs -- id lists and masks, CSC arrays, temporal event arrays,
corrupted N-cache states, N-cache and Planetoid files with truncated or flipped bytes -- and throws
them at the public entry points. Every input must end in a clear ``ValueError``/``TypeError`` (or
a correct result). The examples of one family run in ONE child process (torch/PyG start-up costs
seconds): a segfault or abort kills the child and fails the test. The default run is bounded
(``DEFAULT_EXAMPLES`` per family); ``--slow`` runs ``SLOW_EXAMPLES``. Both are derandomised, so CI
is reproducible; ``HYPOTHESIS_PROFILE=explore`` draws fresh random examples (how the hop_sizes
``int(inf)`` bug of CI stop 21 was found -- its regression case is in test_caps_temporal.py).
"""
from __future__ import annotations

import os

import pytest

from _caps_batch import run_batch

DEFAULT_EXAMPLES = 25
SLOW_EXAMPLES = 300

COMMON = """
import os, tempfile, warnings
import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st
warnings.simplefilter("ignore")
CLEAR = (ValueError, TypeError)

def fuzz_settings():
    return settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=DERANDOMIZE,
                    suppress_health_check=list(HealthCheck))

def mutate_bytes(payload, data):
    payload = bytearray(payload)
    if data.draw(st.booleans(), label="truncate"):
        return bytes(payload[: data.draw(st.integers(0, max(len(payload) - 1, 0)), label="cut")])
    for _ in range(data.draw(st.integers(1, 6), label="flips")):
        position = data.draw(st.integers(0, len(payload) - 1), label="position")
        payload[position] = data.draw(st.integers(0, 255), label="byte")
    return bytes(payload)

TMP = tempfile.mkdtemp(prefix="gs-fuzz-")
"""

IDS = "st.one_of(st.integers(-3, 80), st.sampled_from([-2**63, -1, 2**31 - 1, 2**31 + 5, 2**63 - 1, 10**6]))"

TEMPORAL_SETUP = COMMON + """
from graphsparse.temporal import NCache, as_temporal
def _stream(num_nodes, num_events, seed):
    rng = np.random.default_rng(seed)
    src = rng.integers(0, num_nodes, num_events)
    dst = (src + 1 + rng.integers(0, num_nodes - 1, num_events)) % num_nodes
    return as_temporal((src, dst, np.sort(rng.random(num_events) * 1000.0)), num_nodes=num_nodes)
events = _stream(40, 400, seed=3)   # NumPy only: this child never imports torch
base = NCache(40, (4, 2), seed=1)
for s in range(0, 400, 40):
    base.update(events.src[s:s + 40], events.dst[s:s + 40], events.t[s:s + 40], events.edge_ids[s:s + 40])
BASE_STATE = base.state_dict()
BASE_FILE = base.save(os.path.join(TMP, "base.npz"))
EXTREME = [np.nan, np.inf, -np.inf, -1, -2, 0, 39, 40, 10**6, 2**31, -2**31, 1e30]

def exercise(cache):
    u = np.arange(40)
    cache.joint_features(u, u[::-1])
    cache.joint_groups(u, u[::-1])
    cache.distance_histogram(u, u)
    cache.lookup(u)
    last = cache.last_time_ if np.isfinite(cache.last_time_) else 0.0
    try:  # a valid but extreme state (e.g. 2**40 events seen) may refuse default edge ids: clearly
        cache.update([0, 3], [1, 39], [last + 1, last + 2])
    except CLEAR:
        pass
    cache.update([0, 3], [1, 39], [last + 3, last + 4], edge_ids=[0, 1])
"""

TEMPORAL_CASES = {
    "as_temporal events": """
@fuzz_settings()
@given(n=st.integers(0, 6), data=st.data())
def run(n, data):
    lengths = [n + data.draw(st.sampled_from([0, 0, 0, 1, -1]), label=f"d{k}") for k in range(3)]
    src = data.draw(st.lists(IDS, min_size=max(lengths[0], 0), max_size=max(lengths[0], 0)), label="src")
    dst = data.draw(st.lists(IDS, min_size=max(lengths[1], 0), max_size=max(lengths[1], 0)), label="dst")
    t = data.draw(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5)),
                           min_size=max(lengths[2], 0), max_size=max(lengths[2], 0)), label="t")
    kind = data.draw(st.sampled_from(["list", "int64", "float", "uint64"]), label="kind")
    if kind != "list":
        try:
            src = np.array(src, dtype={"int64": np.int64, "float": np.float64, "uint64": np.uint64}[kind])
        except (OverflowError, ValueError):
            pass
    try:
        edges = as_temporal((src, dst, t), sort=data.draw(st.booleans(), label="sort"),
                            relabel=data.draw(st.booleans(), label="relabel"))
    except CLEAR:
        return
    assert (np.diff(edges.t) >= 0).all() and np.isfinite(edges.t).all()
    assert edges.src.min(initial=0) >= 0 and edges.src.max(initial=0) < edges.num_nodes
    if edges.num_nodes <= 10**6 and len(edges):
        try:  # e.g. a time span beyond float32 is refused by the cache, clearly
            cache = NCache(edges.num_nodes, (4, 2))
            cache.update(edges.src, edges.dst, edges.t, edges.edge_ids)
        except CLEAR:
            return
        cache.joint_features(edges.src, edges.dst)
run()
""".replace("IDS", IDS),
    "NCache states": """
@fuzz_settings()
@given(data=st.data())
def run(data):
    state = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in BASE_STATE.items()}
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        name = data.draw(st.sampled_from(sorted(state)), label="entry")
        value = state[name]
        if isinstance(value, np.ndarray) and data.draw(st.booleans(), label="in place"):
            flat = value.reshape(-1)
            position = data.draw(st.integers(0, flat.size - 1), label="position")
            extreme = data.draw(st.sampled_from(EXTREME), label="value")
            try:
                flat[position] = extreme
            except (OverflowError, ValueError):
                pass
        else:
            state[name] = data.draw(st.sampled_from([None, -1, 2**40, float("nan"), (4, 2), "x", np.zeros(3),
                                                     np.zeros((40, 7)), value]), label="replacement")
    try:
        cache = NCache(40, (4, 2), seed=1).load_state_dict(state)
    except CLEAR:
        return
    exercise(cache)
run()
""",
    "NCache files": """
payload = open(BASE_FILE, "rb").read()
@fuzz_settings()
@given(data=st.data())
def run(data):
    path = os.path.join(TMP, "fuzzed.npz")
    with open(path, "wb") as handle:
        handle.write(mutate_bytes(payload, data))
    try:
        cache = NCache.load(path)
    except CLEAR:
        return
    exercise(cache)
run()
""",
    "Planetoid pickles": """
import collections, pickle
import scipy.sparse as sp
from graphsparse.datasets.planetoid import _as_dense_matrix, _as_graph_dict, restricted_load
rng = np.random.default_rng(0)
samples = {"x": pickle.dumps(sp.csr_matrix((rng.random((6, 5)) < 0.4).astype(np.float32)), protocol=2),
           "y": pickle.dumps(np.eye(4)[rng.integers(0, 4, 6)], protocol=2),
           "graph": pickle.dumps(collections.defaultdict(list, {0: [1, 2], 3: [4]}), protocol=2)}
@fuzz_settings()
@given(data=st.data())
def run(data):
    name = data.draw(st.sampled_from(sorted(samples)), label="file")
    path = os.path.join(TMP, "ind.fuzz." + name)
    with open(path, "wb") as handle:
        handle.write(mutate_bytes(samples[name], data))
    try:
        obj = restricted_load(path)
        if name == "graph":
            _as_graph_dict(obj, path)
        else:
            dense = _as_dense_matrix(obj, path)
            assert dense.dtype == np.float32 and dense.ndim == 2
    except CLEAR:
        return
run()
""",
}

GATHER_SETUP = COMMON + """
import torch
from graphsparse.gather import CSRGraphStore, CSRNeighborSampler, FeatureTable, PinnedFeatureStore, neighbor_loader
torch.set_num_threads(1)
rng = np.random.default_rng(0)
NUM = 80
store = PinnedFeatureStore(device="cpu")
store.put_tensor(torch.arange(NUM, dtype=torch.float32).view(-1, 1), attr_name="x")
graph_store = CSRGraphStore(rng.integers(0, NUM, (2, 600)), num_nodes=NUM)
"""

GATHER_CASES = {
    "seed ids and masks": """
@fuzz_settings()
@given(data=st.data())
def run(data):
    kind = data.draw(st.sampled_from(["list", "tensor", "mask", "float", "uint64"]), label="kind")
    if kind == "mask":
        ids = torch.from_numpy(np.array(data.draw(st.lists(st.booleans(), min_size=NUM - 2, max_size=NUM + 2)),
                                        dtype=bool))
    else:
        ids = data.draw(st.lists(IDS, min_size=0, max_size=12), label="ids")
        if kind == "tensor":
            try:
                ids = torch.tensor(ids)
            except (OverflowError, RuntimeError):
                pass
        elif kind == "float":
            ids = np.array(ids, dtype=np.float64)
        elif kind == "uint64":
            ids = np.array([i % 2**64 for i in ids], dtype=np.uint64)
    fanouts = data.draw(st.lists(st.integers(-2, 6), min_size=1, max_size=3), label="fanouts")
    try:
        loader = neighbor_loader(store, graph_store, fanouts, batch_size=data.draw(st.integers(1, 8)),
                                 input_nodes=ids, replace=data.draw(st.booleans()), random_state=0)
        for count, batch in enumerate(loader):
            assert int(batch.n_id.min()) >= 0 and int(batch.n_id.max()) < NUM
            assert torch.equal(batch.x.view(-1).long(), batch.n_id)
            if count == 2:
                break
    except CLEAR:
        return
run()
""".replace("IDS", IDS),
    "CSC arrays in a graph store": """
@fuzz_settings()
@given(data=st.data())
def run(data):
    n = data.draw(st.integers(1, 12), label="num_nodes")
    row = data.draw(st.lists(st.integers(-3, 15), max_size=20), label="row")
    colptr = data.draw(st.lists(st.integers(-2, 25), min_size=n + data.draw(st.sampled_from([1, 1, 0, 2])),
                                max_size=n + 2), label="colptr")
    bad = CSRGraphStore()
    bad.put_edge_index((torch.tensor(row, dtype=torch.long), torch.tensor(colptr, dtype=torch.long)),
                       edge_type=None, layout="csc", is_sorted=True, size=(n, n))
    small = PinnedFeatureStore(device="cpu")
    small.put_tensor(torch.zeros(n, 1), attr_name="x")
    try:
        sampler = CSRNeighborSampler((small, bad), [3, 2], random_state=0)
        out = sampler._sample(torch.arange(n))
        assert int(out.node.max()) < n
    except CLEAR:
        return
run()
""",
    "feature table ids": """
table = FeatureTable(torch.randn(NUM, 4), device="cpu")
@fuzz_settings()
@given(ids=st.lists(IDS, max_size=10), as_tensor=st.booleans())
def run(ids, as_tensor):
    if as_tensor:
        try:
            ids = torch.tensor(ids)
        except (OverflowError, RuntimeError):
            pass
    try:
        rows = table.gather(ids)
    except CLEAR:
        return
    assert rows.shape[0] == len(ids)
run()
""".replace("IDS", IDS),
}


def _check(outcomes):
    failures = {name: outcome for name, outcome in outcomes.items() if outcome != "ok"}
    assert not failures, failures


_EXPLORE = os.environ.get("HYPOTHESIS_PROFILE") == "explore"


def _run(setup, cases, max_examples, explore=False):
    header = f"MAX_EXAMPLES = {max_examples}\nDERANDOMIZE = {not explore}\n"
    return run_batch(header + setup, cases, timeout=1800)


def test_fuzz_temporal_and_planetoid_no_signal():
    """as_temporal, NCache states and files, Planetoid pickles: clear errors only, no signal."""
    _check(_run(TEMPORAL_SETUP, TEMPORAL_CASES, DEFAULT_EXAMPLES))


def test_fuzz_gather_no_signal():
    """neighbor_loader seeds/masks/fan-outs, CSC arrays of a user graph store, FeatureTable ids."""
    _check(_run(GATHER_SETUP, GATHER_CASES, DEFAULT_EXAMPLES))


@pytest.mark.slow
def test_fuzz_temporal_and_planetoid_large():
    _check(_run(TEMPORAL_SETUP, TEMPORAL_CASES, SLOW_EXAMPLES, _EXPLORE))


@pytest.mark.slow
def test_fuzz_gather_large():
    _check(_run(GATHER_SETUP, GATHER_CASES, SLOW_EXAMPLES, _EXPLORE))
