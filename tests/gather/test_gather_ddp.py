"""GraphSAGE under DistributedDataParallel: 2 CPU processes (gloo) reading ONE shared feature table."""
from __future__ import annotations

import os
import time
import uuid

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from graphsparse.gather.graphsage import ddp_selftest, make_rmat_graph, run_training


@pytest.mark.slow  # ~25 s here (2 spawned interpreters import torch + PyG on 2 shared cores)
@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="needs torch.distributed gloo")
def test_two_process_ddp_shares_one_table_and_gradients_agree(tmp_path):
    result_path = str(tmp_path / "result.pt")
    name = f"graphsparse_ddp_{uuid.uuid4().hex[:12]}"
    context = mp.spawn(ddp_selftest, args=(2, str(tmp_path / "init"), result_path, name), nprocs=2, join=False)
    deadline = time.monotonic() + 300
    while not context.join(timeout=2):  # raises if a worker fails
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail("the DDP workers did not finish within 300 s (hung)")
    result = torch.load(result_path, weights_only=False)
    assert result["features_agree"]  # both ranks gathered identical, correct rows
    assert result["batch_ok"]
    assert result["write_seen"]  # rank 1's write reached rank 0: one shared copy
    assert result["local_differ"]  # the ranks trained on different batches...
    assert result["grads_agree"]  # ...yet hold identical DDP gradients
    assert result["grads_are_mean"]  # equal to the mean of the local gradients
    training = result["training"]
    assert training["world_size"] == 2 and training["modes"]["conventional"]["epochs"][0]["batches"] == 2
    assert training["shared_table"] is not None
    assert not os.path.exists(os.path.join("/dev/shm", name))  # cleaned up


def test_single_process_graphsage_trains_on_cpu():
    graph = make_rmat_graph(600, 8, seed=1)
    result = run_training(graph, width=32, num_classes=4, hidden=32, epochs=3, batch_size=64, fanouts=(15, 10),
                          train_fraction=0.5, modes=("conventional", "zero_copy", "device"),
                          device="cpu", verbose=False, lr=0.02)
    epochs = result["modes"]["conventional"]["epochs"]
    assert epochs[-1]["loss"] < epochs[0]["loss"]  # it learns
    assert "CPU-only run" in result["note"]
    if not torch.cuda.is_available():
        assert "skipped" in result["modes"]["zero_copy"] and "skipped" in result["modes"]["device"]
