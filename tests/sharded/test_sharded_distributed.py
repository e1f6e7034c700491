"""Sharded computations on a real Dask LocalCluster (2 worker processes): equal to in memory,
robust to a worker killed mid-run, never a partial output on disk."""
from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

import graphsparse as gs
from graphsparse.datasets.generators import rmat
from graphsparse.embed import FastRP
from graphsparse.sharded import fit_fastrp, from_graph, open_array, spmm, teddy_edge_scores
from graphsparse.sparsify import teddy_edge_scores as teddy_in_memory

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                       memory_limit="2GiB", silence_logs=50)
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


@pytest.mark.parametrize("make, direction, weighted", [
    (lambda d: FastRP.paper(n_components=16, random_state=11, direction=d), "both", True),
    (lambda d: FastRP.gds(n_components=16, random_state=11, direction=d), "in", True),
    (lambda d: FastRP.gds(n_components=16, random_state=11, direction=d, scale_output=True), "out", False),
], ids=["paper-both-weighted", "gds-in-weighted", "gds-out-scaled"])
def test_distributed_fastrp_equals_in_memory(client, tmp_path, capsys, make, direction, weighted):
    g = rmat(200, 1200, seed=4, directed=True)
    if weighted:
        g = g.with_weights(np.random.default_rng(2).random(g.num_edges) + 0.25)
    sg = from_graph(g, tmp_path / "g", num_shards=4)
    ref = make(direction).fit(g).embedding_
    est = fit_fastrp(make(direction), sg, client, out=tmp_path / "emb", work_dir=tmp_path, verbose=True)
    np.testing.assert_allclose(est.embedding_.compute(), ref, rtol=1e-5, atol=2e-6)
    assert "dashboard" in capsys.readouterr().out.lower()
    stats = est.sharded_stats_
    assert len(stats["peak_rss_by_worker"]) == 2 and len(stats["remote_bytes_per_hop"]) == len(make(direction).iteration_weights)
    assert all(b > 0 for b in stats["remote_bytes_per_hop"])  # shards read rows owned by other shards
    assert open_array(tmp_path / "emb").verify().shape == ref.shape


def test_distributed_spmm_and_teddy(client, tmp_path, capsys):
    g = rmat(300, 1500, seed=8, directed=False)
    sg = from_graph(g, tmp_path / "g", num_shards=3)
    X = np.random.default_rng(0).standard_normal((300, 4)).astype(np.float32)
    r = np.linspace(0.5, 1.5, 300).astype(np.float32)
    assert np.array_equal(spmm(sg, X, row_scale=r, client=client, work_dir=tmp_path), gs.spmm(g, X, row_scale=r))
    assert np.array_equal(teddy_edge_scores(sg, client, work_dir=tmp_path), teddy_in_memory(g))
    captured = capsys.readouterr()
    assert captured.out == "" and "sharded" not in captured.err  # verbose=False: no dashboard line, no bar


def test_failing_task_raises_and_writes_nothing(client, tmp_path):
    g = rmat(100, 400, seed=1, directed=False)
    sg = from_graph(g, tmp_path / "g", num_shards=3)
    file = os.path.join(sg.shard_dir(2), "indices.npy")
    indices = np.load(file)
    indices[0] = 5000  # corrupted after opening: the task validating shard 2 fails on the worker
    np.save(file, indices)
    with pytest.raises(RuntimeError, match=r"shard 2 failed.*indices\.npy: column ids must lie in"):
        fit_fastrp(FastRP.gds(n_components=8, random_state=0), sg, client, out=tmp_path / "emb",
                   work_dir=tmp_path, verbose=False)
    assert not os.path.exists(tmp_path / "emb")
    assert sorted(os.listdir(tmp_path)) == ["g"]  # temporary state removed, no partial output


def test_worker_killed_mid_run_gives_identical_embedding(client, tmp_path):
    g = rmat(4000, 30000, seed=6, directed=False)
    make = lambda: FastRP.gds(n_components=32, random_state=5, iteration_weights=(0.0, 1.0, 1.0, 1.0, 1.0))  # noqa: E731
    ref = make().fit(g).embedding_
    sg = from_graph(g, tmp_path / "g", num_shards=16)
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    killed = threading.Event()
    done = threading.Event()

    def killer():
        while not done.is_set():  # kill as soon as hop 2 starts: hop 1 outputs exist, hop 2 tasks in flight
            if any(os.path.isdir(os.path.join(tmp_path, w, "state_2")) for w in os.listdir(tmp_path)
                   if w.startswith("gs-fastrp-")):
                os.kill(victim, signal.SIGKILL)
                killed.set()
                return
            time.sleep(0.002)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        est = fit_fastrp(make(), sg, client, out=tmp_path / "emb", work_dir=tmp_path, verbose=False)
    finally:
        done.set()
        thread.join()
    assert killed.is_set(), "the worker was not killed during the run"
    assert victim not in client.run(os.getpid).values()
    np.testing.assert_allclose(est.embedding_.compute(), ref, rtol=1e-5, atol=2e-6)
    assert open_array(tmp_path / "emb").verify().shape == ref.shape
