"""Issues #13 and #15 (temporal): validated inputs and cache states, NCache files, NAT's protocol.

Reproducers: NAT with 5 events returned NaN metrics; an ``NCache`` state with NaN ``last_time`` or
corrupted keys was accepted (corrupted keys then index the Numba kernels); the docs'
``torch.save(ncache.state_dict())`` could not be read by a default ``torch.load``. Issue #15: early
stopping and the restored epoch were never announced, tqdm flooded redirected logs, and test AP under
random negatives changed when other negative types were requested (one shared random stream).
"""
from __future__ import annotations

import copy
import re
import warnings

import numpy as np
import pytest

from _caps_batch import run_batch
from graphsparse.temporal import NCache, TemporalEdges, as_temporal, toy_temporal_graph

# ------------------------------------------------------------------ crash-prone: one child process
SETUP = """
import numpy as np
from graphsparse.temporal import NCache, as_temporal
def _stream(num_nodes, num_events, seed):
    rng = np.random.default_rng(seed)
    src = rng.integers(0, num_nodes, num_events)
    dst = (src + 1 + rng.integers(0, num_nodes - 1, num_events)) % num_nodes
    return as_temporal((src, dst, np.sort(rng.random(num_events) * 1000.0)), num_nodes=num_nodes)
events = _stream(60, 600, seed=3)   # NumPy only: the child never imports torch (seconds saved)
def fresh():
    cache = NCache(60, (4, 2), seed=1)
    for s in range(0, 600, 50):
        cache.update(events.src[s:s + 50], events.dst[s:s + 50], events.t[s:s + 50], events.edge_ids[s:s + 50])
    return cache
def corrupt(change):
    state = fresh().state_dict()
    change(state)
    cache = NCache(60, (4, 2), seed=1).load_state_dict(state)
    cache.joint_features(np.arange(60), np.arange(60)[::-1])   # the kernels that index by key
    cache.distance_histogram(np.arange(60), np.arange(60))
    cache.update([0], [1], [events.t[-1] + 1])
"""
CRASH_PRONE = {
    "key 10**6": ("corrupt(lambda s: s['keys'].__setitem__((3, 1), 10**6))", r"'keys' holds ids outside \[-1, 60\)"),
    "key -7": ("corrupt(lambda s: s['keys'].__setitem__((3, 2), -7))", r"'keys' holds ids outside"),
    "key off its hash slot": ("corrupt(lambda s: (s['keys'].__setitem__((3, slice(1, 5)), np.array([5, 5, 5, 5])), "
                              "s['edge_ids'].__setitem__((3, slice(1, 5)), 0)))", "outside its hash slot"),
    "hop-0 key of another node": ("corrupt(lambda s: s['keys'].__setitem__((3, 0), 4))", "hop-0 slot"),
    "NaN last_time": ("corrupt(lambda s: s.__setitem__('last_time', float('nan')))", "'last_time' must be a finite"),
    "inf last_time": ("corrupt(lambda s: s.__setitem__('last_time', float('inf')))", "'last_time'"),
    "NaN times": ("corrupt(lambda s: s['times'].__setitem__((0, 0), np.nan))", "'times' holds NaN"),
    "NaN values": ("corrupt(lambda s: s['values'].__setitem__((0, 0, 0), np.nan))", "'values' holds NaN"),
    "broadcastable keys shape": ("corrupt(lambda s: s.__setitem__('keys', s['keys'][0]))",
                                 r"'keys' must have shape \(60, 7\), got \(7,\)"),
    "float keys": ("corrupt(lambda s: s.__setitem__('keys', s['keys'].astype(float)))", "'keys' must be an integer"),
    "missing key": ("corrupt(lambda s: s.pop('edge_ids'))", "misses key.*edge_ids"),
    "negative step": ("corrupt(lambda s: s.__setitem__('step', -3))", "'step' must be a non-negative"),
    "edge id without key": ("corrupt(lambda s: s['keys'].__setitem__((5, slice(None)), -1))",
                            "disagree on which slots are empty"),
    "time after last_time": ("corrupt(lambda s: s['times'].__setitem__((s['keys'][:, 0] >= 0).nonzero()[0][0], "
                             "s['last_time'] + 100))", "later than last_time"),
    "alpha 2": ("corrupt(lambda s: s.__setitem__('alpha', 2.0))", "'alpha' must lie in"),
    "int32 id overflow": ("NCache(2**31 + 6, (4, 2))", "exceeds 2147483647"),
    # found by the --slow fuzz (CI, stop 21): hop_sizes edited into a float array holding inf
    "inf in hop_sizes": ("corrupt(lambda s: s.__setitem__('hop_sizes', np.array([4.0, np.inf])))",
                         "hop_sizes=.*expected two integers"),
    "float hop_sizes": ("corrupt(lambda s: s.__setitem__('hop_sizes', (4.0, 2.0)))", "expected two integers"),
    "nested hop_sizes": ("corrupt(lambda s: s.__setitem__('hop_sizes', np.zeros((2, 2), int)))", "expected two integers"),
}


@pytest.fixture(scope="module")
def crash_prone_outcomes():
    cases = {name: code for name, (code, _) in CRASH_PRONE.items()}
    cases["valid state still loads"] = "corrupt(lambda s: None)"
    return run_batch(SETUP, cases)


@pytest.mark.parametrize("case", sorted(CRASH_PRONE))
def test_corrupted_cache_states_end_in_clear_errors(crash_prone_outcomes, case):
    outcome = crash_prone_outcomes[case]
    assert outcome.split(":", 1)[0] in ("ValueError", "TypeError"), outcome
    assert re.search(CRASH_PRONE[case][1], outcome), outcome


def test_valid_state_loads_and_runs_the_kernels(crash_prone_outcomes):
    assert crash_prone_outcomes["valid state still loads"] == "ok"


# ------------------------------------------------------------------ NCache files
def _filled_cache(backend="numba"):
    events = toy_temporal_graph(num_nodes=40, num_edges=400, seed=5)
    cache = NCache(40, (4, 2), alpha=0.7, seed=9, backend=backend)
    for s in range(0, 300, 25):
        cache.update(events.src[s:s + 25], events.dst[s:s + 25], events.t[s:s + 25], events.edge_ids[s:s + 25])
    return cache, events


@pytest.mark.parametrize("backend,other", [("numba", "torch"), ("torch", "numba")])
def test_ncache_save_load_round_trip(tmp_path, backend, other):
    cache, events = _filled_cache(backend)
    written = cache.save(str(tmp_path / "cache"))
    assert written.endswith("cache.npz")
    loaded = NCache.load(str(tmp_path / "cache"), backend=other)
    a, b = cache.state_dict(), loaded.state_dict()
    for name in a:
        assert np.array_equal(np.asarray(a[name]), np.asarray(b[name])), name
    for c in (cache, loaded):  # both continue identically
        for s in range(300, 400, 25):
            c.update(events.src[s:s + 25], events.dst[s:s + 25], events.t[s:s + 25], events.edge_ids[s:s + 25])
    assert np.array_equal(np.asarray(cache.state_dict()["keys"]), np.asarray(loaded.state_dict()["keys"]))


def test_ncache_file_never_unpickles(tmp_path):
    import pickle

    cache, _ = _filled_cache()
    (tmp_path / "state.npz").write_bytes(pickle.dumps(cache.state_dict()))
    with pytest.raises(ValueError, match="not a readable N-cache file"):
        NCache.load(str(tmp_path / "state.npz"))
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(ValueError, match="one.npy"):
        NCache.load(str(tmp_path / "one.npy"))
    with pytest.raises(FileNotFoundError):
        NCache.load(str(tmp_path / "missing.npz"))
    with pytest.raises(ValueError, match="directory"):
        cache.save(str(tmp_path))


@pytest.mark.parametrize("key,value,match", [
    ("format", None, "format"),
    ("format", np.asarray(np.inf), "format"),       # was int(inf) -> OverflowError
    ("format", np.asarray("1"), "format"),
    ("last_time", np.asarray(np.nan), "last_time"),
    ("hop_sizes", np.asarray([4.0, 2.0]), "hop_sizes"),
    ("keys", np.zeros((40, 7), np.float32), "'keys' must be an integer"),
    ("hash_seed", np.asarray(4), "hash_seed"),
    ("num_nodes", np.asarray(-4), "num_nodes"),
    ("values", None, "missing key"),
])
def test_ncache_bad_files_named(tmp_path, key, value, match):
    cache, _ = _filled_cache()
    path = cache.save(str(tmp_path / "c.npz"))
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    if value is None:
        arrays.pop(key)
    else:
        arrays[key] = value
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=match) as err:
        NCache.load(path)
    assert "c.npz" in str(err.value)


def test_docs_example_round_trips_with_default_torch_load(tmp_path):
    """What the docs now show: save/load need no torch.load(weights_only=False)."""
    cache, _ = _filled_cache()
    restored = NCache.load(cache.save(str(tmp_path / "cache.npz")))
    assert np.array_equal(restored.keys, cache.keys) and restored.last_time_ == cache.last_time_


# ------------------------------------------------------------------ as_temporal / TemporalEdges
@pytest.mark.parametrize("data,kwargs,error,match", [
    (([0, 1, 2], [1, 2], [0.0, 1.0, 2.0]), {}, ValueError, "equal length"),
    (([0.0, 1.0], [1, 2], [0.0, 1.0]), {}, TypeError, "src must hold integer node ids"),
    (([0, 1], [1.5, 2.0], [0.0, 1.0]), {}, TypeError, "dst"),
    (([0, -1], [1, 2], [0.0, 1.0]), {}, ValueError, "src holds negative node ids"),
    (([0, 1], [1, 2], [0.0, np.nan]), {}, ValueError, "t must be finite"),
    (([0, 1], [1, 2], [0.0, np.inf]), {}, ValueError, "t must be finite"),
    (([0, 1], [1, 2], [3.0, 1.0]), {}, ValueError, "t is not sorted.*sort=True"),
    (([0, 1], [1, 2], ["a", "b"]), {}, TypeError, "t must hold numeric"),
    (([True, False], [1, 2], [0.0, 1.0]), {}, TypeError, "src"),
    (([0, 1], [1, 5], [0.0, 1.0]), {"num_nodes": 3}, ValueError, "dst holds node id 5 >= num_nodes=3"),
    (([0, 1], [1, 2]), {}, ValueError, r"\(src, dst, t\)"),
    ("events.csv", {}, TypeError, "TemporalData"),
])
def test_as_temporal_bad_input(data, kwargs, error, match):
    with pytest.raises(error, match=match):
        as_temporal(data, **kwargs)


def test_as_temporal_sort_and_relabel():
    edges = as_temporal(([5, 7, 9], [7, 9, 5], [3.0, 1.0, 2.0]), sort=True, relabel=True)
    assert edges.src.tolist() == [1, 2, 0] and edges.dst.tolist() == [2, 0, 1]
    assert edges.meta["node_ids"].tolist() == [5, 7, 9] and edges.num_nodes == 3
    assert edges.edge_ids.tolist() == [1, 2, 0] and edges.t.tolist() == [0.0, 1.0, 2.0]
    with pytest.warns(UserWarning, match="relabel=True"):
        one_based = as_temporal(([1, 2, 3], [2, 3, 1], [0.0, 1.0, 2.0]))
    assert one_based.num_nodes == 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        as_temporal(([0, 2], [2, 0], [0.0, 1.0]))  # 0-based: no warning


def test_temporal_data_msg_and_edge_ids_checked():
    import torch
    from torch_geometric.data import TemporalData

    data = TemporalData(src=torch.tensor([0, 1]), dst=torch.tensor([1, 2]), t=torch.tensor([0, 1]),
                        msg=torch.zeros(3, 2))
    with pytest.raises(ValueError, match="data.msg must have one row per event"):
        as_temporal(data)
    with pytest.raises(ValueError, match="edge_ids holds id 7 but edge_features has only 2 rows"):
        TemporalEdges([0, 1], [1, 2], [0.0, 1.0], 3, edge_ids=[0, 7], edge_features=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="edge_ids must have one entry per event"):
        TemporalEdges([0, 1], [1, 2], [0.0, 1.0], 3, edge_ids=[0])


# ------------------------------------------------------------------ NAT protocol (#13, #15)
SMALL = dict(hop_sizes=(4, 2), self_dim=8, pos_dim=4, batch_size=50, eval_batch_size=32, lr=1e-3, seed=0)


def test_nat_five_events():
    """5 events at distinct times: metrics are defined; the empty inductive test warns (NaN, 0 batches)."""
    from graphsparse.temporal import NATTrainer

    events = ([0, 1, 2, 3, 4], [1, 2, 3, 4, 0], [0.0, 1.0, 2.0, 3.0, 4.0])
    with pytest.warns(UserWarning, match="inductive test has no events"):
        trainer = NATTrainer(max_epochs=1, verbose=False, **SMALL).fit(events)
    results = trainer.test()
    for strategy, metrics in results["transductive"].items():
        assert np.isfinite(metrics["ap"]) and metrics["num_batches"] == 1, strategy
    assert results["inductive"]["random"]["num_batches"] == 0


@pytest.mark.parametrize("times", [[0.0] * 5, [0.0, 0.0, 0.0, 0.0, 1.0], [0.0, 1.0]])
def test_nat_too_few_events_is_a_clear_error(times):
    from graphsparse.temporal import NATTrainer

    n = len(times)
    with pytest.raises(ValueError, match="too few events|at least 3"):
        NATTrainer(max_epochs=1, verbose=False, **SMALL).fit((list(range(n)), [(i + 1) % n for i in range(n)], times))


@pytest.mark.parametrize("params,error,match", [
    (dict(test_negatives=()), ValueError, "at least one"),
    (dict(test_negatives=("random", "bogus")), ValueError, "bogus"),
    (dict(test_negatives=("random", "random")), ValueError, "twice"),
    (dict(lr=float("nan")), ValueError, "lr"),
    (dict(tolerance=-1.0), ValueError, "tolerance"),
    (dict(seed=-2), ValueError, "seed"),
])
def test_nat_trainer_bad_params(params, error, match):
    from graphsparse.temporal import NATTrainer

    with pytest.raises(error, match=match):
        NATTrainer(max_epochs=1, verbose=False, **{**SMALL, **params}).fit(toy_temporal_graph(30, 300, seed=0))


def test_nat_announces_early_stop_and_restored_epoch_without_flooding(capfd):
    from graphsparse.temporal import NATTrainer

    events = toy_temporal_graph(num_nodes=40, num_edges=500, seed=2)
    trainer = NATTrainer(max_epochs=6, patience=1, tolerance=10.0, verbose=True, **SMALL).fit(events)
    err = capfd.readouterr().err
    assert trainer.stopped_early_ and len(trainer.history_) == 2
    assert "early stopping at epoch 1" in err and "restoring epoch 0" in err
    assert "\r" not in err  # stderr is not a terminal here: no progress-bar redraws
    assert len(err) < 2000, err
    trainer.test()
    assert "\r" not in capfd.readouterr().err
    NATTrainer(max_epochs=2, patience=1, tolerance=10.0, verbose=False, **SMALL).fit(events).test()
    assert capfd.readouterr().err == ""


def test_negative_streams_are_independent():
    """Test AP under random negatives is bit-identical whether or not other negative types are asked."""
    from graphsparse.temporal import NATTrainer

    events = toy_temporal_graph(num_nodes=60, num_edges=900, seed=4)
    alone = NATTrainer(max_epochs=2, verbose=False, test_negatives=("random",), **SMALL).fit(events)
    everything = NATTrainer(max_epochs=2, verbose=False, test_negatives=("historical", "random", "inductive"),
                            **SMALL).fit(events)
    for x, y in zip(alone.history_, everything.history_, strict=True):  # training and validation: random only
        assert x["loss"] == y["loss"] and x["val"] == y["val"]
    twin = copy.deepcopy(everything)
    a, b = alone.test(), everything.test()
    for setting in ("transductive", "inductive"):
        assert a[setting]["random"] == b[setting]["random"], setting
    twin.test_negatives = ("historical",)
    c = twin.test()
    for setting in ("transductive", "inductive"):  # historical alone vs with the others (same memory path)
        assert c[setting]["historical"]["num_batches"] == b[setting]["historical"]["num_batches"]
