"""GraphSAGE epoch time with node features conventional / zero-copy / all-in-GPU (Min et al. 2021).

GraphSAGE (2 layers, mean aggregation, fan-out 15/10, batch 1024) on a synthetic R-MAT graph
(:func:`graphsparse.datasets.rmat`), features in a :class:`graphsparse.gather.PinnedFeatureStore`
fed to PyG's ``NeighborLoader``. On a GPU machine it compares the three feature placements; on a
CPU-only machine it runs the conventional path (the only real one there) and says so in the JSON.

Multi-process: ``torchrun --nproc_per_node=N benchmarks/gather_graphsage.py ...`` trains a
``DistributedDataParallel`` replica per rank (NCCL on GPUs, gloo on CPUs); all ranks gather from one
shared-memory feature table (rank 0 fills it; the others map it), and rank 0 writes the JSON with
the slowest rank's epoch time.

Usage::

    python benchmarks/gather_graphsage.py [--quick]
    torchrun --nproc_per_node=2 benchmarks/gather_graphsage.py --quick
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from benchmarks._common import peak_rss_mb, write_result  # noqa: E402
from graphsparse.gather.graphsage import distributed_env, make_rmat_graph, run_training  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k nodes, 1 epoch (a smoke run)")
    parser.add_argument("--nodes", type=int, default=200_000)
    parser.add_argument("--avg-degree", type=float, default=10.0)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--classes", type=int, default=16)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--fanouts", type=int, nargs="+", default=[15, 10])
    parser.add_argument("--train-fraction", type=float, default=0.05)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--modes", nargs="+", default=["conventional", "zero_copy", "device"],
                        choices=["conventional", "zero_copy", "device"])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=None, help="JSON path (default benchmarks/results/gather_graphsage.json)")
    args = parser.parse_args(argv)
    if args.quick:
        args.nodes, args.epochs = 20_000, 1

    rank, world_size, local_rank = distributed_env()
    distributed = world_size > 1
    if distributed:
        import torch.distributed as dist

        use_cuda = torch.cuda.is_available() and args.device != "cpu"
        if use_cuda:
            torch.cuda.set_device(local_rank)
        dist.init_process_group("nccl" if use_cuda else "gloo")
        device = torch.device("cuda", local_rank) if use_cuda else torch.device("cpu")
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // world_size))
    else:
        device = args.device
    graph = make_rmat_graph(args.nodes, args.avg_degree, seed=args.seed)
    shared_name = f"graphsparse_sage_{os.environ.get('MASTER_PORT', '0')}_{os.getppid()}" if distributed else None
    result = run_training(graph, width=args.width, num_classes=args.classes, hidden=args.hidden,
                          modes=tuple(args.modes), epochs=args.epochs, batch_size=args.batch_size,
                          fanouts=tuple(args.fanouts), train_fraction=args.train_fraction, device=device,
                          seed=args.seed, shared_name=shared_name, verbose=rank == 0)
    if rank == 0:
        modes = result["modes"]
        ratios = {}
        times = {m: v["epoch_seconds_min"] for m, v in modes.items() if "epoch_seconds_min" in v}
        if "conventional" in times and "zero_copy" in times:
            ratios["conventional_over_zero_copy"] = times["conventional"] / times["zero_copy"]
        if "device" in times and "zero_copy" in times:
            ratios["zero_copy_over_all_in_gpu"] = times["zero_copy"] / times["device"]
        result["ratios"] = ratios
        result["config"] = vars(args)
        result["peak_rss_mb_rank0"] = peak_rss_mb()
        if result["device"] == "cpu":
            print("CPU-only machine: ran the conventional feature path only (zero-copy and all-in-GPU need CUDA)")
        write_result("gather_graphsage", result, path=args.output)
    if distributed:
        import torch.distributed as dist

        dist.barrier()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
