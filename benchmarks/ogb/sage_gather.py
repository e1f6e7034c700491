"""GraphSAGE on ogbn-products / ogbn-papers100M with the node features in graphsparse's feature store.

The large-graph recipe of PyTorch-Direct (Min et al., VLDB 2021): the feature table stays in
(pinned) host memory inside a :class:`graphsparse.gather.PinnedFeatureStore`; PyG's
``NeighborLoader((feature_store, graph_store), ...)`` samples mini-batches (Numba sampler when
PyG has no compiled one) and every batch's rows are gathered by ``--mode``:
``zero_copy`` (GPU threads read pinned host memory), ``conventional`` (CPU gather + copy, the
baseline), ``device`` (all-in-GPU) or ``auto`` (zero-copy on CUDA machines, conventional on CPUs).

Model and protocol after OGB's ``examples/nodeproppred/products/graph_saint.py``-style mini-batch
GraphSAGE: mean aggregation, ``len(--fanouts)`` layers (default 15/10, batch 1024), 256 hidden,
Adam lr 0.003; sampled inference with ``--eval-fanouts``; OGB's ``Evaluator`` accuracy; test at
the best validation epoch; mean ± std over seeds. papers100M: the graph is symmetrised, only the
labelled nodes of OGB's split are used (its other labels are NaN). The JSON also records the
feature placement, whether the table was pinned, and the seconds per training epoch.

    python benchmarks/ogb/sage_gather.py --dataset ogbn-products --root /data/ogb --mode zero_copy
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _ogb_common as common  # noqa: E402

DATASETS = ("ogbn-products", "ogbn-papers100M")


def build_parser():
    parser = common.base_parser(__doc__.splitlines()[0], DATASETS, epochs=20)
    parser.add_argument("--mode", choices=("auto", "zero_copy", "conventional", "device"), default="auto")
    parser.add_argument("--fanouts", type=int, nargs="+", default=[15, 10])
    parser.add_argument("--eval-fanouts", type=int, nargs="+", default=None,
                        help="fan-outs of the sampled inference (default: 2x the training ones)")
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--eval-batch-size", type=int, default=4096)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.003)
    parser.add_argument("--eval-every", type=int, default=1)
    return parser


def build_stores(data, device, mode):
    """Feature store (x, y as FeatureTables) and the CSR graph store of the symmetrised graph."""
    import torch

    from graphsparse import as_graph
    from graphsparse.gather import CSRGraphStore, FeatureTable, PinnedFeatureStore

    graph = as_graph(data.edge_index, num_nodes=data.num_nodes, directed=False)
    y = data.y.view(-1)
    labels = torch.where(torch.isnan(y), torch.full_like(y, -1), y).long() if y.is_floating_point() else y.long()
    store = PinnedFeatureStore(device=device, mode=mode)
    store.put_tensor(FeatureTable(data.x.float().contiguous(), device=device, mode=mode), attr_name="x")
    label_mode = "device" if device.type == "cuda" else "conventional"
    store.put_tensor(FeatureTable(labels.contiguous(), device=device, mode=label_mode), attr_name="y")
    return store, CSRGraphStore(graph), labels


def evaluate(model, store, graph_store, split_idx, labels, evaluator, fanouts, batch_size, device, seed):
    import torch

    from graphsparse.gather.graphsage import make_loader

    model.eval()
    scores = {}
    with torch.no_grad():
        for part in ("valid", "test"):
            loader = make_loader(store, graph_store, split_idx[part], fanouts=fanouts, batch_size=batch_size,
                                 shuffle=False, seed=seed)
            preds, nodes = [], []
            for batch in loader:
                x = batch.x if batch.x.device == device else batch.x.to(device)
                logits = model(x, batch.edge_index.to(device))[: batch.batch_size]
                preds.append(logits.argmax(-1).cpu())
                nodes.append(batch.n_id[: batch.batch_size].cpu())
            pred = torch.cat(preds).view(-1, 1)
            y_true = labels[torch.cat(nodes)].view(-1, 1)
            scores[part] = evaluator.eval({"y_true": y_true, "y_pred": pred})["acc"]
    return scores


def main(argv=None) -> dict:
    import torch
    from ogb.nodeproppred import Evaluator

    from graphsparse.gather.graphsage import make_loader, train_epoch
    from torch_geometric.nn import GraphSAGE

    args = build_parser().parse_args(argv)
    device = common.resolve_device(args.device)
    eval_fanouts = args.eval_fanouts or [2 * f for f in args.fanouts]
    data, split_idx, dataset = common.load_node_dataset(args.dataset, args.root, args.meta_dict)
    evaluator = Evaluator(args.dataset)
    store, graph_store, labels = build_stores(data, device, args.mode)
    table = store.table("x")
    runs = []
    for seed in args.seeds:
        common.seed_everything(seed)
        model = GraphSAGE(data.x.shape[1], args.hidden, num_layers=len(args.fanouts),
                          out_channels=dataset.num_classes).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
        best = {"valid": -1.0, "test": 0.0, "epoch": -1}
        epoch_seconds = []
        started = time.perf_counter()
        for epoch in range(1, args.epochs + 1):
            loader = make_loader(store, graph_store, split_idx["train"], fanouts=args.fanouts,
                                 batch_size=args.batch_size, seed=seed * 1000 + epoch)
            stats = train_epoch(model, loader, optimizer, device)
            epoch_seconds.append(stats["seconds"])
            if epoch % args.eval_every and epoch != args.epochs:
                continue
            scores = evaluate(model, store, graph_store, split_idx, labels, evaluator, eval_fanouts,
                              args.eval_batch_size, device, seed)
            if scores["valid"] > best["valid"]:
                best = {**scores, "epoch": epoch}
        run = {**best, "seed": seed, "epoch_seconds": epoch_seconds, "seconds": time.perf_counter() - started}
        runs.append(run)
        if not args.quiet:
            print(f"seed {seed}: valid {100 * run['valid']:.2f} test {100 * run['test']:.2f} (epoch {run['epoch']}, "
                  f"{min(epoch_seconds):.2f} s per training epoch, features: {table.mode})")
    summary = common.summarize(runs, keys=("valid", "test"))
    common.print_leaderboard(f"GraphSAGE ({table.mode} feature gathering) on {args.dataset}", summary,
                             "accuracy", len(runs))
    payload = {"method": f"GraphSAGE {'/'.join(map(str, args.fanouts))}, features in PinnedFeatureStore",
               "metric": evaluator.eval_metric, "summary": summary, "runs": runs, "device": str(device),
               "feature_mode": table.mode, "pinned": bool(table.pinned),
               "epoch_seconds_min": min(min(r["epoch_seconds"]) for r in runs)}
    store.close()
    payload["path"] = common.write_json(args, "sage_gather", payload)
    return payload


if __name__ == "__main__":
    main()
