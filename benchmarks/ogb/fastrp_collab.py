"""FastRP link prediction on ogbl-collab, scored with OGB's Hits@50.

1. Embed the weighted co-authorship training graph (both directions, repeated collaborations
   summed into the edge weight) with :class:`graphsparse.embed.FastRP`.
2. Score a pair ``(u, v)`` with ``--predictor dot`` (cosine similarity of the embeddings, no
   training) or ``--predictor mlp`` (OGB's ``LinkPredictor``: an MLP on the Hadamard product
   ``z_u * z_v``, trained on the training edges against uniformly random negatives).
3. OGB's ``Evaluator("ogbl-collab")`` ranks every valid/test positive against the dataset's own
   negative edges and reports Hits@50.

``--use-valid-edges`` follows OGB's collab rule: validation edges may join the graph when scoring
the test edges (the embedding is recomputed on train + valid for the test pass).

    python benchmarks/ogb/fastrp_collab.py --root /data/ogb --predictor mlp --use-valid-edges
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _ogb_common as common  # noqa: E402

DATASETS = ("ogbl-collab",)


def build_parser():
    parser = common.base_parser(__doc__.splitlines()[0], DATASETS, epochs=100)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--predictor", choices=("dot", "mlp"), default="mlp")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--num-layers", type=int, default=3)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--batch-size", type=int, default=64 * 1024)
    parser.add_argument("--use-valid-edges", action="store_true",
                        help="add the validation edges to the graph for the test pass (OGB collab rule)")
    return parser


def embed(edge_index, edge_weight, num_nodes: int, dim: int, seed: int):
    """Row-normalised FastRP embedding (torch float32, N x dim) of the weighted undirected graph."""
    import numpy as np
    import torch

    from graphsparse import as_graph
    from graphsparse.embed import FastRP

    graph = as_graph(edge_index, num_nodes=num_nodes, edge_weight=edge_weight, directed=False, reduce="sum")
    embedding = np.asarray(FastRP(n_components=dim, random_state=seed).fit_transform(graph), dtype=np.float32)
    embedding /= np.linalg.norm(embedding, axis=1, keepdims=True) + 1e-12
    return torch.from_numpy(embedding)


def _both_directions(edges, weights):
    import torch

    edge_index = torch.cat([edges.t(), edges.t().flip(0)], dim=1)
    return edge_index, torch.cat([weights, weights]).float()


def train_mlp_predictor(z, train_edges, args, device):
    """OGB's LinkPredictor on ``z_u * z_v``: BCE against uniform random negatives."""
    import torch

    predictor = common.make_mlp(z.shape[1], args.hidden, 1, args.num_layers, args.dropout)
    predictor = torch.nn.Sequential(*[m for m in predictor if not isinstance(m, torch.nn.BatchNorm1d)]).to(device)
    optimizer = torch.optim.Adam(predictor.parameters(), lr=args.lr)
    z = z.to(device)
    train_edges = train_edges.to(device)
    for _ in range(args.epochs):
        predictor.train()
        for perm in torch.randperm(train_edges.size(0), device=device).split(args.batch_size):
            optimizer.zero_grad()
            pos = train_edges[perm]
            neg = torch.randint(0, z.size(0), pos.shape, device=device)
            pos_out = torch.sigmoid(predictor(z[pos[:, 0]] * z[pos[:, 1]]))
            neg_out = torch.sigmoid(predictor(z[neg[:, 0]] * z[neg[:, 1]]))
            loss = -torch.log(pos_out + 1e-15).mean() - torch.log(1 - neg_out + 1e-15).mean()
            loss.backward()
            optimizer.step()
    predictor.eval()
    return predictor


def score_pairs(z, pairs, predictor, device, batch_size=1 << 16):
    import torch

    out = []
    z = z.to(device)
    with torch.no_grad():
        for chunk in pairs.to(device).split(batch_size):
            product = z[chunk[:, 0]] * z[chunk[:, 1]]
            out.append((predictor(product).view(-1) if predictor is not None else product.sum(1)).cpu())
    return torch.cat(out) if out else torch.zeros(0)


def main(argv=None) -> dict:
    import torch
    from ogb.linkproppred import Evaluator

    args = build_parser().parse_args(argv)
    device = common.resolve_device(args.device)
    data, split_edge, _ = common.load_link_dataset(args.dataset, args.root, args.meta_dict)
    evaluator = Evaluator(args.dataset)
    metric = evaluator.eval_metric  # "hits@50"
    weights = data.edge_weight.view(-1).float() if getattr(data, "edge_weight", None) is not None else None
    runs = []
    for seed in args.seeds:
        common.seed_everything(seed)
        started = time.perf_counter()
        z = embed(data.edge_index, weights, data.num_nodes, args.dim, seed)
        embed_seconds = time.perf_counter() - started
        predictor = train_mlp_predictor(z, split_edge["train"]["edge"], args, device) \
            if args.predictor == "mlp" else None
        run = {"seed": seed, "fastrp_seconds": embed_seconds}
        for part in ("valid", "test"):
            z_part = z
            if part == "test" and args.use_valid_edges:
                valid_index, valid_weight = _both_directions(split_edge["valid"]["edge"],
                                                             split_edge["valid"]["weight"].view(-1))
                full_index = torch.cat([data.edge_index, valid_index], 1)
                full_weight = torch.cat([weights, valid_weight]) if weights is not None else None
                z_part = embed(full_index, full_weight, data.num_nodes, args.dim, seed)
            pos = score_pairs(z_part, split_edge[part]["edge"], predictor, device)
            neg = score_pairs(z_part, split_edge[part]["edge_neg"], predictor, device)
            run[part] = evaluator.eval({"y_pred_pos": pos, "y_pred_neg": neg})[metric]
        run["seconds"] = time.perf_counter() - started
        runs.append(run)
        if not args.quiet:
            print(f"seed {seed}: valid {metric} {100 * run['valid']:.2f}  test {100 * run['test']:.2f}  "
                  f"(FastRP {embed_seconds:.1f} s)")
    summary = common.summarize(runs, keys=("valid", "test"))
    common.print_leaderboard(f"FastRP + {args.predictor} predictor on {args.dataset}", summary,
                             metric.capitalize().replace("hits", "Hits"), len(runs))
    payload = {"method": f"FastRP (d={args.dim}) + {args.predictor} link predictor"
                         + (" (valid edges used for test)" if args.use_valid_edges else ""),
               "metric": metric, "summary": summary, "runs": runs, "device": str(device)}
    payload["path"] = common.write_json(args, "fastrp_collab", payload)
    return payload


if __name__ == "__main__":
    main()
