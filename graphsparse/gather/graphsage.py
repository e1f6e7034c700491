"""Large-GCN example: GraphSAGE mini-batch training with features in a :class:`PinnedFeatureStore`.

The workload of Min et al. (VLDB 2021, Sec. 6): GraphSAGE (Hamilton et al., NeurIPS 2017; 2 layers,
mean aggregation, fan-out 15/10, batch 1024) on a synthetic R-MAT graph, node features placed

* ``conventional`` -- host table, CPU gather into a pinned staging buffer + copy (the baseline),
* ``zero_copy``    -- pinned host table read by the GPU kernel (PyTorch-Direct),
* ``device``       -- whole table in GPU memory (all-in-GPU, the upper bound),

with one code path for all three and for CPU machines (where only ``conventional`` is real; the
run says so). Under ``torchrun --nproc_per_node=N`` every rank trains a
``DistributedDataParallel`` replica on its share of the seeds while all ranks gather from ONE
shared-memory table (:class:`SharedTable`; rank 0 fills it, the others map it).
"""
from __future__ import annotations

import gc
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from graphsparse._validation import check_fraction, check_positive_int
from graphsparse.graph import as_graph

from .sampler import CSRGraphStore, neighbor_loader
from .shared import SharedTable
from .store import PinnedFeatureStore
from .table import FeatureTable, resolve_device

__all__ = ["make_rmat_graph", "make_features", "build_model", "make_loader", "train_epoch",
           "run_training", "distributed_env"]


def make_rmat_graph(num_nodes: int, avg_degree: float, seed: int = 0):
    """Undirected R-MAT graph with ``num_nodes`` nodes and about ``num_nodes * avg_degree / 2``
    undirected edges (:func:`graphsparse.datasets.rmat`, Graph500 parameters, permuted ids)."""
    num_edges = int(num_nodes * avg_degree / 2)
    try:
        from graphsparse.datasets import rmat
    except ImportError:  # pragma: no cover - before the datasets package existed
        rng = np.random.default_rng(seed)
        scale = int(np.ceil(np.log2(max(num_nodes, 2))))
        src = np.zeros(num_edges, dtype=np.int64)
        dst = np.zeros(num_edges, dtype=np.int64)
        for _ in range(scale):
            draw = rng.random(num_edges)
            src = 2 * src + (draw >= 0.76)
            dst = 2 * dst + (((draw >= 0.57) & (draw < 0.76)) | (draw >= 0.95))
        perm = rng.permutation(1 << scale)
        edge_index = np.stack([perm[src] % num_nodes, perm[dst] % num_nodes])
        edge_index = edge_index[:, edge_index[0] != edge_index[1]]
        return as_graph(edge_index, num_nodes=num_nodes, directed=False, reduce="max")
    return rmat(num_nodes, num_edges, seed=seed, directed=False)


def make_features(num_nodes: int, width: int, num_classes: int, seed: int = 0, dtype=torch.float32,
                  out: torch.Tensor | None = None):
    """Features ``x = centroid[y] + noise`` (learnable, so the loss visibly drops) and labels ``y``.

    Written into ``out`` (e.g. a shared table) when given, in chunks (bounded extra memory)."""
    num_nodes = check_positive_int(num_nodes, "num_nodes")
    width = check_positive_int(width, "width")
    num_classes = check_positive_int(num_classes, "num_classes")
    if out is not None and (not isinstance(out, torch.Tensor) or tuple(out.shape) != (num_nodes, width)):
        raise ValueError(f"out must be a tensor of shape ({num_nodes}, {width}), got "
                         f"{tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}")
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, num_classes, (num_nodes,), generator=generator)
    centroids = torch.randn(num_classes, width, generator=generator)
    if out is None:
        out = torch.empty(num_nodes, width, dtype=dtype)
    chunk = 1 << 18
    for begin in range(0, num_nodes, chunk):
        end = min(begin + chunk, num_nodes)
        block = torch.randn(end - begin, width, generator=generator).mul_(2.0)
        block += centroids[labels[begin:end]]
        out[begin:end] = block.to(out.dtype)
    return out, labels


def build_model(in_channels: int, hidden_channels: int, num_classes: int, seed: int = 0):
    """2-layer GraphSAGE (mean aggregation) from PyG."""
    from torch_geometric.nn import GraphSAGE

    torch.manual_seed(seed)
    return GraphSAGE(in_channels, hidden_channels, num_layers=2, out_channels=num_classes)


def make_loader(feature_store, graph_store, input_nodes, *, fanouts=(15, 10), batch_size=1024,
                shuffle=True, seed=0):
    """``NeighborLoader((feature_store, graph_store), ...)`` (Numba sampler when PyG has none)."""
    return neighbor_loader(feature_store, graph_store, list(fanouts), batch_size=batch_size,
                           input_nodes=input_nodes, shuffle=shuffle, random_state=seed,
                           generator=torch.Generator().manual_seed(seed) if shuffle else None)


def train_epoch(model, loader, optimizer, device, max_batches=None, sync=True):
    """One pass over ``loader``; returns dict(seconds, batches, loss (mean), seeds).

    Features arrive already on ``device`` (gathered by the feature store); only the sampled
    ``edge_index`` and labels of the seeds are moved here.
    """
    model.train()
    total_loss, batches, seeds = torch.zeros((), device=device), 0, 0
    start = time.perf_counter()
    for batch in loader:
        if max_batches is not None and batches >= max_batches:
            break
        x = batch.x if batch.x.device == device else batch.x.to(device, non_blocking=True)
        edge_index = batch.edge_index.to(device, non_blocking=True)
        y = batch.y[: batch.batch_size].to(device, non_blocking=True)
        optimizer.zero_grad(set_to_none=True)
        logits = model(x, edge_index)[: batch.batch_size]
        loss = F.cross_entropy(logits.float(), y)
        loss.backward()
        optimizer.step()
        total_loss += loss.detach()  # no per-batch sync: sampling batch i+1 overlaps GPU work on batch i
        batches += 1
        seeds += int(batch.batch_size)
    if sync and device.type == "cuda":
        torch.cuda.synchronize(device)
    return {"seconds": time.perf_counter() - start, "batches": batches,
            "loss": float(total_loss) / max(batches, 1), "seeds": seeds}


def distributed_env():
    """(rank, world_size, local_rank) from torchrun's environment ((0, 1, 0) without it)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", str(rank)))
    return rank, world_size, local_rank


def run_training(graph, *, width=128, num_classes=16, hidden=256, modes=("conventional",), epochs=1,
                 max_batches=None, batch_size=1024, fanouts=(15, 10), train_fraction=0.1,
                 device="auto", dtype=torch.float32, seed=0, shared_name=None, lr=0.01,
                 verbose=True, cpu_dry_run=False):
    """Train GraphSAGE once per feature placement in ``modes``; return a results dict.

    Works alone and inside an initialised ``torch.distributed`` process group (DDP across ranks,
    seeds split by rank, one shared-memory feature table named ``shared_name``). The returned
    epoch times are the slowest rank's (``all_reduce(MAX)``). On the CPU only ``conventional``
    runs unless ``cpu_dry_run=True`` (zero-copy then goes through the Triton interpreter: a code
    check, never a timing).
    """
    import torch.distributed as dist

    from .sampler import check_num_neighbors

    for value, name in ((width, "width"), (num_classes, "num_classes"), (hidden, "hidden"), (epochs, "epochs"),
                        (batch_size, "batch_size")):
        check_positive_int(value, name)
    if max_batches is not None:
        check_positive_int(max_batches, "max_batches")
    check_fraction(train_fraction, "train_fraction", low_inclusive=False, high_inclusive=True)
    fanouts = check_num_neighbors(fanouts, "fanouts")
    if isinstance(modes, str):
        modes = (modes,)
    distributed = dist.is_available() and dist.is_initialized()
    rank = dist.get_rank() if distributed else 0
    world_size = dist.get_world_size() if distributed else 1
    device = resolve_device(device)
    graph = as_graph(graph)
    num_nodes = graph.num_nodes

    # One feature table for every rank: shared memory when distributed.
    shared = None
    if distributed:
        name = shared_name or f"graphsparse_gather_{os.getppid()}"
        if rank == 0:
            shared = SharedTable.create(name, (num_nodes, width), dtype)
            _, labels = make_features(num_nodes, width, num_classes, seed=seed, out=shared.tensor)
        dist.barrier()
        if rank != 0:
            shared = SharedTable.attach(name, (num_nodes, width), dtype)
            labels = make_features(num_nodes, 1, num_classes, seed=seed)[1]  # labels come first: same draw
        features = shared.tensor
        dist.barrier()
        if rank == 0:
            shared.unlink()  # mappings stay valid; the file vanishes with the last process
    else:
        features, labels = make_features(num_nodes, width, num_classes, seed=seed, dtype=dtype)

    generator = torch.Generator().manual_seed(seed + 1)
    train_ids = torch.randperm(num_nodes, generator=generator)[: max(1, int(train_fraction * num_nodes))]
    train_ids = train_ids[rank::world_size]
    graph_store = CSRGraphStore(graph)
    results = {"device": str(device), "world_size": world_size, "num_nodes": num_nodes,
               "num_edges": int(graph.num_edges), "width": width, "dtype": str(dtype),
               "batch_size": batch_size, "fanouts": list(fanouts), "train_seeds_per_rank": len(train_ids),
               "shared_table": shared.path if shared is not None else None, "modes": {}}
    for mode in modes:
        if device.type == "cpu" and mode != "conventional" and not cpu_dry_run:
            results["modes"][mode] = {"skipped": "needs CUDA (this run is CPU-only)"}
            continue
        store = PinnedFeatureStore(device=device, mode=mode, check_bounds=False)
        store.put_tensor(FeatureTable(features, device=device, mode=mode, check_bounds=False), attr_name="x")
        store.put_tensor(FeatureTable(labels, device=device, mode="device" if device.type == "cuda"
                                      else "conventional", check_bounds=False), attr_name="y")
        model = build_model(width, hidden, num_classes, seed=seed).to(device)
        if distributed:
            from torch.nn.parallel import DistributedDataParallel

            model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        epochs_out = []
        x_stats = store.table("x").stats
        for epoch in range(epochs):
            before = dict(x_stats)
            loader = make_loader(store, graph_store, train_ids, fanouts=fanouts, batch_size=batch_size,
                                 seed=seed + 100 * epoch + rank)
            stats = train_epoch(model, loader, optimizer, device, max_batches=max_batches)
            stats["feature_gather_host_seconds"] = x_stats["seconds"] - before["seconds"]
            stats["feature_rows_gathered"] = x_stats["rows"] - before["rows"]
            if distributed:
                slowest = torch.tensor([stats["seconds"]], dtype=torch.float64,
                                       device=device if dist.get_backend() == "nccl" else "cpu")
                dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
                stats["seconds"] = float(slowest)
            epochs_out.append(stats)
            if verbose and rank == 0:
                print(f"[{mode}] epoch {epoch}: {stats['seconds']:.3f} s, {stats['batches']} batches, "
                      f"loss {stats['loss']:.4f}", flush=True)
        del model, optimizer  # free DDP's reducer while its process group is alive (teardown order)
        gc.collect()
        results["modes"][mode] = {"epochs": epochs_out,
                                  "epoch_seconds_min": min(e["seconds"] for e in epochs_out),
                                  "pinned": store.table("x").pinned}
        store.close()
    if device.type == "cpu":
        results["note"] = ("CPU-only run: features gathered by the conventional CPU path "
                           "(index_select into a reused buffer); zero-copy and all-in-GPU need CUDA")
    return results


def ddp_selftest(rank: int, world_size: int, init_file: str, result_path: str, shared_name: str,
                 num_nodes: int = 400, width: int = 32) -> None:
    """Worker of the multi-process check (``torch.multiprocessing.spawn``; gloo backend, CPU).

    Checks, writing a dict to ``result_path`` from rank 0: (a) every rank gathers the same rows
    from the ONE shared table, equal to the features regenerated locally; (b) a write by the last
    rank is seen by rank 0 (one copy, not ``world_size``); (c) after a DDP backward the gradients
    agree across ranks and equal the mean of the per-rank local gradients; (d) ``run_training``
    (the benchmark's code path) runs one DDP epoch.
    """
    import copy

    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world_size)
    try:
        graph = make_rmat_graph(num_nodes, 8, seed=3)
        if rank == 0:
            shared = SharedTable.create(shared_name, (num_nodes, width), torch.float32)
            make_features(num_nodes, width, 4, seed=5, out=shared.tensor)
        dist.barrier()
        if rank != 0:
            shared = SharedTable.attach(shared_name, (num_nodes, width), torch.float32)
        expected, labels = make_features(num_nodes, width, 4, seed=5)
        store = PinnedFeatureStore(device="cpu")
        store.put_tensor(shared.tensor, attr_name="x")
        store.put_tensor(labels, attr_name="y")
        probe = torch.tensor([0, 7, num_nodes - 1, 7, 123])
        rows = store.gather(probe)
        all_rows = [torch.empty_like(rows) for _ in range(world_size)]
        dist.all_gather(all_rows, rows)
        features_agree = all(torch.equal(r, expected[probe]) for r in all_rows)

        # DDP step on each rank's own batch.
        graph_store = CSRGraphStore(graph)
        model = build_model(width, 16, 4, seed=0)
        local_model = copy.deepcopy(model)
        ddp_model = DistributedDataParallel(model)
        seeds = torch.arange(num_nodes)[rank::world_size]
        batch = next(iter(make_loader(store, graph_store, seeds, fanouts=(5, 3), batch_size=64, seed=rank)))
        batch_ok = torch.equal(batch.x, expected[batch.n_id])

        def loss_of(module):
            logits = module(batch.x, batch.edge_index)[: batch.batch_size]
            return F.cross_entropy(logits, batch.y[: batch.batch_size])

        loss_of(local_model).backward()
        loss_of(ddp_model).backward()
        local_grad = torch.cat([p.grad.reshape(-1) for p in local_model.parameters()])
        ddp_grad = torch.cat([p.grad.reshape(-1) for p in ddp_model.parameters()])
        local_all = [torch.empty_like(local_grad) for _ in range(world_size)]
        ddp_all = [torch.empty_like(ddp_grad) for _ in range(world_size)]
        dist.all_gather(local_all, local_grad)
        dist.all_gather(ddp_all, ddp_grad)
        mean_local = torch.stack(local_all).mean(0)
        grads_agree = all(torch.equal(g, ddp_all[0]) for g in ddp_all)
        grads_are_mean = bool(torch.allclose(ddp_all[0], mean_local, rtol=1e-5, atol=1e-6))
        local_differ = not torch.allclose(local_all[0], local_all[-1])  # ranks saw different batches

        # Free the DDP reducer now: freed after destroy_process_group, its gloo process group's
        # destructor joins a worker thread that needs the GIL held by the destructor (deadlock).
        del ddp_model, model, local_model, loss_of
        gc.collect()
        # One shared copy: the last rank writes, rank 0 reads.
        dist.barrier()
        if rank == world_size - 1:
            shared.tensor[1, 0] = 12345.0
        dist.barrier()
        write_seen = float(shared.tensor[1, 0]) == 12345.0
        dist.barrier()

        training = run_training(graph, width=width, num_classes=4, hidden=16, epochs=1, max_batches=2,
                                batch_size=64, fanouts=(5, 3), train_fraction=0.5, device="cpu",
                                shared_name=shared_name + "_train", verbose=False)
        if rank == 0:
            shared.unlink()
            torch.save({"features_agree": features_agree, "batch_ok": batch_ok, "grads_agree": grads_agree,
                        "grads_are_mean": grads_are_mean, "local_differ": local_differ,
                        "write_seen": write_seen, "training": training}, result_path)
    finally:
        dist.destroy_process_group()
