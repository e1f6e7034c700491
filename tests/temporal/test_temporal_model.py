"""NAT model and training protocol: no leakage, backends agree, bad input, tiny run beats chance."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from graphsparse.temporal import NAT, NATTrainer, TemporalEdges, as_temporal, toy_temporal_graph
from graphsparse.temporal.train import NegativeSampler, chronological_split


def test_metrics_match_sklearn():
    from sklearn.metrics import average_precision_score, roc_auc_score

    from graphsparse.metrics import average_precision, roc_auc

    rng = np.random.default_rng(0)
    for trial in range(20):
        labels = rng.integers(0, 2, 64)
        labels[:2] = [0, 1]
        scores = rng.integers(0, 8, 64) / 8.0 if trial % 2 else rng.random(64)  # with and without ties
        assert average_precision(labels, scores) == pytest.approx(average_precision_score(labels, scores), abs=1e-12)
        assert roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)


def _model(backend="numba", num_nodes=60, seed=0):
    torch.manual_seed(seed)
    return NAT(num_nodes, hop_sizes=(8, 4), self_dim=8, pos_dim=4, pool_dim=8, seed=seed, backend=backend).eval()


def _warm(model, data, upto, batch=20):
    with torch.no_grad():
        for start in range(0, upto, batch):
            sl = slice(start, min(start + batch, upto))
            model(data.src[sl], data.dst[sl], data.t[sl], data.edge_ids[sl])


def _warmed_batch(model, data, upto=400, size=20):
    """Stream the first ``upto`` events into ``model``; return the next batch and the memory state."""
    _warm(model, data, upto)
    batch = slice(upto, upto + size)
    return data.src[batch], data.dst[batch], data.t[batch], data.edge_ids[batch], model.memory_state()


def test_no_leakage_batch_scores_use_earlier_state_only():
    data = toy_temporal_graph(60, 600, seed=0)
    model = _model()
    src, dst, t, eids, state = _warmed_batch(model, data)
    before = model.score(src, dst)
    with torch.no_grad():
        pos, _ = model(src, dst, t, eids)
    torch.testing.assert_close(pos, before, rtol=0, atol=0)
    # the batch's own edges altered (other partners, times, ids): the scores of the pairs stay
    model.load_memory_state(state)
    altered_dst = (dst + 7) % 60
    with torch.no_grad():
        pos_altered, neg = model(src, altered_dst, t + 5.0, eids + 1000, neg_dst=dst)
    # equal up to float32 summation order (another batch composition -> other BLAS blocking)
    torch.testing.assert_close(neg, before, rtol=1e-5, atol=1e-6)
    # and the memory did absorb the batch: scoring again now gives other numbers
    model.load_memory_state(state)
    with torch.no_grad():
        model(src, dst, t, eids)
    assert (model.score(src, dst) - before).abs().max() > 1e-3


def test_numba_and_torch_models_identical():
    data = toy_temporal_graph(60, 500, seed=1)
    a, b = _model("numba"), _model("torch")
    b.load_state_dict(a.state_dict())
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for start in range(0, 500, 25):
            sl = slice(start, start + 25)
            neg = rng.integers(0, 60, (2, 25))
            pa, na = a(data.src[sl], data.dst[sl], data.t[sl], data.edge_ids[sl], neg_dst=neg)
            pb, nb = b(data.src[sl], data.dst[sl], data.t[sl], data.edge_ids[sl], neg_dst=neg)
            torch.testing.assert_close(pa, pb)
            torch.testing.assert_close(na, nb)
    np.testing.assert_array_equal(a.cache.keys, b.cache.keys.numpy())


def test_memory_state_round_trip_exact():
    data = toy_temporal_graph(60, 400, seed=2)
    model = _model()
    _warm(model, data, 200)
    state = model.memory_state()
    _warm_tail = lambda: [model(data.src[s:s + 20], data.dst[s:s + 20], data.t[s:s + 20]) for s in range(200, 400, 20)]
    with torch.no_grad():
        first = torch.cat([p for p, _ in _warm_tail()])
    model.load_memory_state(state)
    with torch.no_grad():
        second = torch.cat([p for p, _ in _warm_tail()])
    torch.testing.assert_close(first, second, rtol=0, atol=0)


def test_model_bad_input():
    model = _model()
    with pytest.raises(ValueError, match="empty batch"):
        model([], [], [])
    with pytest.raises(ValueError, match="src holds node id 60"):
        model([60], [1], [0.0])
    with pytest.raises(ValueError, match="t \\(event times\\) is required"):
        model([1], [2], None)
    with pytest.raises(ValueError, match="neg_dst must have shape"):
        model([1, 2], [3, 4], [0.0, 1.0], neg_dst=[5])
    with pytest.raises(ValueError, match="node_features must have 60 rows"):
        NAT(60, node_features=np.zeros((5, 3)))
    model([1], [2], [10.0])
    with pytest.raises(ValueError, match="non-decreasing|earlier"):
        model([1], [2], [5.0])


def test_as_temporal_sorting_and_errors():
    src, dst, t = np.array([0, 1, 2]), np.array([1, 2, 0]), np.array([3.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="not sorted"):
        as_temporal((src, dst, t))
    edges = as_temporal((src, dst, t), sort=True)
    assert edges.t.tolist() == [0.0, 1.0, 2.0] and edges.edge_ids.tolist() == [1, 2, 0]
    with pytest.raises(ValueError, match="dst holds node id 3"):
        TemporalEdges(src, np.array([1, 3, 0]), np.sort(t), num_nodes=3)
    with pytest.raises(ValueError, match="equal length"):
        TemporalEdges(src, dst[:2], np.sort(t), num_nodes=3)
    with pytest.raises(TypeError, match="TemporalData"):
        as_temporal("edges.csv")


def test_as_temporal_from_pyg():
    from torch_geometric.data import TemporalData

    data = TemporalData(src=torch.tensor([0, 1, 2]), dst=torch.tensor([1, 2, 3]), t=torch.tensor([5, 6, 9]),
                        msg=torch.ones(3, 2))
    edges = as_temporal(data)
    assert edges.num_nodes == 4 and edges.t.tolist() == [0.0, 1.0, 4.0]
    assert edges.edge_features.shape == (3, 2)


def test_split_and_negative_samplers():
    data = toy_temporal_graph(100, 3000, seed=3)
    split = chronological_split(data, seed=0)
    assert data.t[split.train].max() <= split.val_time < data.t[split.val].min()
    assert data.t[split.val].max() <= split.test_time < data.t[split.test].min()
    masked = np.zeros(100, bool)
    masked[split.masked_nodes] = True
    assert len(split.masked_nodes) == 10
    assert not (masked[data.src[split.train]] | masked[data.dst[split.train]]).any()
    assert (masked[data.src[split.inductive_test]] | masked[data.dst[split.inductive_test]]).all()
    sampler = NegativeSampler(data, split.train, seed=0)
    batch = split.test[:40]
    seen_before = set(zip(data.src[: batch[0]].tolist(), data.dst[: batch[0]].tolist()))
    in_batch = set(zip(data.src[batch].tolist(), data.dst[batch].tolist()))
    train_pairs = set(zip(data.src[split.train].tolist(), data.dst[split.train].tolist()))
    hs, hd = sampler.historical(batch)
    hist_pairs = list(zip(hs[:20].tolist(), hd[:20].tolist()))
    assert len(hs) == 40 and all(p in seen_before and p not in in_batch for p in hist_pairs)
    ins, ind = sampler.inductive(batch)
    ind_pairs = list(zip(ins[:20].tolist(), ind[:20].tolist()))
    assert all(p in seen_before and p not in train_pairs and p not in in_batch for p in ind_pairs[:5])
    rs, rd = sampler.random(data.src[batch], np.array([7, 8]))
    assert np.array_equal(rs, data.src[batch]) and set(rd.tolist()) <= {7, 8}


def test_tiny_training_run_beats_random():
    data = toy_temporal_graph(150, 3000, seed=0)
    trainer = NATTrainer(hop_sizes=(8, 4), self_dim=16, pos_dim=8, lr=1e-3, batch_size=50, max_epochs=2,
                         verbose=False, seed=0).fit(data)
    result = trainer.test()
    assert len(trainer.history_) == 2 and trainer.best_epoch_ in (0, 1)
    assert result["transductive"]["random"]["ap"] > 0.7
    assert result["transductive"]["random"]["ap_global"] > 0.7
    assert result["inductive"]["random"]["num_batches"] > 0
    assert set(result["transductive"]) == {"random", "historical", "inductive"}
    # negative pools per phase, as the reference's RandEdgeSampler of each mode
    split, pools = trainer.split_, trainer.pools_
    assert np.array_equal(pools["val"], np.unique(data.dst[np.concatenate([split.train, split.val])]))
    assert np.array_equal(pools["test"], np.unique(data.dst))
    inductive_pool = np.unique(data.dst[np.concatenate([split.train, split.val, split.inductive_test])])
    assert np.array_equal(pools["inductive_test"], inductive_pool)
    # the masked nodes' training/validation edges are not in the inductive pool
    masked_only = np.setdiff1d(np.unique(data.dst[split.train_all]), pools["inductive_test"])
    assert np.isin(masked_only, split.masked_nodes).all()


def test_trainer_params():
    trainer = NATTrainer(lr=0.01)
    assert trainer.get_params()["lr"] == 0.01
    assert trainer.set_params(batch_size=10).batch_size == 10
    with pytest.raises(ValueError, match="unknown parameter"):
        trainer.set_params(nope=1)
    with pytest.raises(ValueError, match="test_negatives"):
        NATTrainer(test_negatives=("bogus",), verbose=False).fit(toy_temporal_graph(30, 200))


def test_per_key_pooling_equals_collapsed_pooling_without_dropout():
    # sum pooling is linear: sum_a W_h f_a == W_h sum_a f_a (the eval-mode shortcut)
    data = toy_temporal_graph(60, 500, seed=5)
    for pool_dropout in ("input", "reference"):
        model = _model()
        model.pool_dropout = pool_dropout
        _warm(model, data, 400)
        src, dst = data.src[400:440], data.dst[400:440]
        nodes, inverse = np.unique(np.concatenate([src, dst]), return_inverse=True)
        inv_u, inv_w = torch.from_numpy(inverse[:40]), torch.from_numpy(inverse[40:])
        with torch.no_grad():
            refreshed, feature_sum = model.refresh_values(torch.from_numpy(nodes))
            per_key = model._pool_per_key(refreshed, inv_u, inv_w, src, dst)
            collapsed = model._pool_collapsed(refreshed, feature_sum, inv_u, inv_w, src, dst)
        torch.testing.assert_close(per_key, collapsed, rtol=1e-4, atol=1e-5)
        assert collapsed.abs().max() > 0


def test_joint_groups_numba_equals_torch():
    from graphsparse.temporal import NCache

    data = toy_temporal_graph(60, 600, seed=6)
    caches = [NCache(60, (8, 4), seed=1, backend=b) for b in ("numba", "torch")]
    for cache in caches:
        for s in range(0, 600, 30):
            cache.update(data.src[s:s + 30], data.dst[s:s + 30], data.t[s:s + 30])
    u = np.arange(60)
    w = (u * 7) % 60
    out_numba, out_torch = (c.joint_groups(u, w) for c in caches)
    for a, b in zip(out_numba, out_torch):
        np.testing.assert_array_equal(a, b.numpy())
    pair_ptr, keys, codes, row_group = out_numba
    rows = np.concatenate([caches[0].keys[u], caches[0].keys[w]], axis=1)
    assert np.array_equal(keys[row_group[row_group >= 0]], rows[row_group >= 0])
    assert ((row_group >= 0) == (rows >= 0)).all()


def test_cli_toy_run(tmp_path, capsys):
    import json

    from graphsparse.cli import main

    out = tmp_path / "nat.json"
    assert main(["nat", "--dataset", "toy", "--epochs", "1", "--quiet", "--output", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["transductive"]["random"]["ap"] > 0.5 and len(result["epochs"]) == 1
    assert result["params"]["patience"] == 8 and result["params"]["time_encoding"] == "absolute"
    assert main(["nat", "--dataset", "toy", "--epochs", "1", "--quiet", "--time-encoding", "relative",
                 "--time-dim", "8", "--output", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["params"]["time_encoding"] == "relative" and result["params"]["time_dim"] == 8
    assert result["transductive"]["random"]["ap"] > 0.5
    assert main(["nat", "--dataset", "nope", "--quiet"]) == 2


def test_model_with_node_and_edge_features():
    data = toy_temporal_graph(40, 300, seed=7)
    rng = np.random.default_rng(0)
    model = NAT(40, node_features=rng.standard_normal((40, 3)), edge_features=rng.standard_normal((300, 2)),
                hop_sizes=(4, 2), self_dim=8, pos_dim=4, seed=0)
    assert model.pool_dim == 3
    model.train()
    for start in range(0, 200, 50):
        sl = slice(start, start + 50)
        pos, neg = model(data.src[sl], data.dst[sl], data.t[sl], data.edge_ids[sl], neg_dst=data.dst[sl][::-1].copy())
        (pos.sum() - neg.sum()).backward()
    assert model.pool.weight.grad is not None and torch.isfinite(model.pool.weight.grad).all()
    with pytest.raises(ValueError, match="edge_features has only 300 rows"):
        model(data.src[200:201], data.dst[200:201], data.t[200:201], [300])


def _relative_model(num_nodes=60, seed=0):
    torch.manual_seed(seed)
    return NAT(num_nodes, hop_sizes=(8, 4), self_dim=8, pos_dim=4, pool_dim=8, time_dim=6, seed=seed,
               time_encoding="relative").eval()


def test_relative_time_no_leakage_and_shift_invariance():
    data = toy_temporal_graph(60, 600, seed=0)
    model = _relative_model()
    src, dst, t, eids, state = _warmed_batch(model, data)
    before = model.score(src, dst, t)
    with torch.no_grad():
        pos, _ = model(src, dst, t, eids)
    torch.testing.assert_close(pos, before, rtol=0, atol=0)
    # the batch's own edges altered (partners, ids, later times; same earliest time): scores unchanged
    model.load_memory_state(state)
    later = t.copy()
    later[1:] += 5.0
    with torch.no_grad():
        _, neg = model(src, (dst + 7) % 60, later, eids + 1000, neg_dst=dst)
    torch.testing.assert_close(neg, before, rtol=1e-5, atol=1e-6)
    # the age of the cached events matters: a later query time changes the scores
    assert (model.score(src, dst, t + 50.0) - before).abs().max() > 1e-4

    # shifting every timestamp by a constant leaves a relative model unchanged, not an absolute one
    shifted = TemporalEdges(data.src, data.dst, data.t + 1000.0, data.num_nodes)
    for encoding, invariant in (("relative", True), ("absolute", False)):
        logits = []
        for stream in (data, shifted):
            torch.manual_seed(0)
            m = NAT(60, hop_sizes=(8, 4), self_dim=8, pos_dim=4, pool_dim=8, time_dim=6, seed=0,
                    time_encoding=encoding).eval()
            _warm(m, stream, 400)
            logits.append(m.score(src, dst, stream.t[400:420]))
        if invariant:
            torch.testing.assert_close(logits[0], logits[1], rtol=1e-4, atol=1e-5)
        else:
            assert (logits[0] - logits[1]).abs().max() > 1e-4
    with pytest.raises(ValueError, match="time_encoding"):
        NAT(10, time_encoding="age")
