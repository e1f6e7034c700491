"""FastRP embeddings (+ the node features) and an MLP on ogbn-arxiv / ogbn-products.

The OGB recipe of "structure as features": embed the (symmetrised) graph once per seed with
:class:`graphsparse.embed.FastRP`, concatenate the standardised embedding to the node features
(``--input fastrp`` uses the embedding alone), and train the MLP of OGB's
``examples/nodeproppred/arxiv/mlp.py`` (3 layers, 256 hidden, BatchNorm, dropout 0.5, lr 0.01,
500 epochs; products uses the same model). Accuracy is OGB's ``Evaluator``; the test score is the
one at the best validation epoch; mean ± std over ``--seeds`` (OGB asks for 10).

    python benchmarks/ogb/fastrp_mlp.py --dataset ogbn-arxiv --root /data/ogb --device cuda

Writes ``benchmarks/results/ogb_fastrp_mlp_<dataset>.json`` (or ``--out``).
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _ogb_common as common  # noqa: E402

DATASETS = ("ogbn-arxiv", "ogbn-products")


def build_parser():
    parser = common.base_parser(__doc__.splitlines()[0], DATASETS, epochs=500)
    parser.add_argument("--dim", type=int, default=256, help="FastRP dimension")
    parser.add_argument("--input", choices=("x+fastrp", "fastrp"), default="x+fastrp")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--num-layers", type=int, default=3)
    parser.add_argument("--dropout", type=float, default=0.5)
    parser.add_argument("--lr", type=float, default=0.01)
    return parser


def fastrp_features(edge_index, num_nodes: int, dim: int, seed: int):
    """Standardised FastRP embedding of the symmetrised graph (float32 tensor, N x dim) and seconds."""
    import numpy as np
    import torch

    from graphsparse import as_graph
    from graphsparse.embed import FastRP

    graph = as_graph(edge_index, num_nodes=num_nodes, directed=False)
    started = time.perf_counter()
    embedding = FastRP(n_components=dim, random_state=seed).fit_transform(graph)
    seconds = time.perf_counter() - started
    embedding = np.asarray(embedding, dtype=np.float32)
    embedding = (embedding - embedding.mean(0)) / (embedding.std(0) + 1e-8)
    return torch.from_numpy(embedding), seconds


def main(argv=None) -> dict:
    import torch
    from ogb.nodeproppred import Evaluator

    args = build_parser().parse_args(argv)
    device = common.resolve_device(args.device)
    data, split_idx, dataset = common.load_node_dataset(args.dataset, args.root, args.meta_dict)
    evaluator = Evaluator(args.dataset)
    y = common.labels_1d(data.y).to(device)
    split_idx = {key: value.to(device) for key, value in split_idx.items()}
    runs = []
    for seed in args.seeds:
        common.seed_everything(seed)
        embedding, embed_seconds = fastrp_features(data.edge_index, data.num_nodes, args.dim, seed)
        x = embedding if args.input == "fastrp" or data.x is None else torch.cat([data.x.float(), embedding], 1)
        x = x.to(device)
        model = common.make_mlp(x.shape[1], args.hidden, dataset.num_classes, args.num_layers, args.dropout).to(device)
        run = common.train_node_classifier(lambda: model(x), model.parameters(), y, split_idx, evaluator,
                                           epochs=args.epochs, lr=args.lr, modules=(model,))
        run.update(seed=seed, fastrp_seconds=embed_seconds)
        runs.append(run)
        if not args.quiet:
            print(f"seed {seed}: valid {100 * run['valid']:.2f}  test {100 * run['test']:.2f}  "
                  f"(epoch {run['epoch']}, FastRP {embed_seconds:.1f} s, MLP {run['seconds']:.1f} s)")
    summary = common.summarize(runs)
    common.print_leaderboard(f"FastRP + MLP on {args.dataset}", summary, "accuracy", len(runs))
    payload = {"method": f"FastRP (d={args.dim}) {'+ node features ' if args.input == 'x+fastrp' else ''}+ MLP",
               "metric": evaluator.eval_metric, "summary": summary, "runs": runs, "device": str(device)}
    payload["path"] = common.write_json(args, "fastrp_mlp", payload)
    return payload


if __name__ == "__main__":
    main()
