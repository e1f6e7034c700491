"""Decoupled GNNs (SGC+AIR / SIGN / SGC / S2GC) on ogbn-arxiv / ogbn-products: precompute once, mini-batch MLP.

The hops ``[X, T X, ..., T^K X]`` of ``T = D~^-1/2 (A + I) D~^-1/2`` on the symmetrised graph are
computed once with :func:`graphsparse.decoupled.propagate_hops` (into RAM, or into a memory-mapped
``.npy`` with ``--hops-file``); training then reads mini-batches of rows (no graph in the loop), early
stopping on validation. Accuracy is OGB's ``Evaluator`` on the predictions of the best-validation
parameters; mean ± std over ``--seeds`` (OGB asks for 10).

Defaults are ``graphsparse.decoupled.train.DEFAULTS`` for the model, with the propagation depth
``--hops`` (5, the DGMLP OGB setting for arxiv), ``--batch-size`` (50000) and ``--epochs`` set here.
Departure from the authors' OGB model: the per-hop feed-forward "pre_process", the residual linear
and the 6-layer output MLP of their ``OGB/model.py`` are not built (the same SGC+AIR model as on
Planetoid graphs).

    python benchmarks/ogb/decoupled_sgc_air.py --dataset ogbn-arxiv --root /data/ogb --device cuda

Writes ``benchmarks/results/ogb_decoupled_sgc_air_<dataset>.json`` (or ``--out``).
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _ogb_common as common  # noqa: E402

DATASETS = ("ogbn-arxiv", "ogbn-products")


def build_parser():
    parser = common.base_parser(__doc__.splitlines()[0], DATASETS, epochs=200)
    parser.add_argument("--model", choices=("sgc_air", "sign", "sgc", "s2gc"), default="sgc_air")
    parser.add_argument("--hops", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=50000)
    parser.add_argument("--lr", type=float, default=None, help="default: the model's DEFAULTS")
    parser.add_argument("--patience", type=int, default=None)
    parser.add_argument("--hops-file", default=None, help="write the hop stack to this .npy (memory-mapped)")
    return parser


def main(argv=None) -> dict:
    import numpy as np
    import torch
    from ogb.nodeproppred import Evaluator

    from graphsparse import as_graph
    from graphsparse.decoupled import propagate_hops, propagation_operator, s2gc_features
    from graphsparse.decoupled.train import (DEFAULTS, build_model, predict_precomputed, row_normalize,
                                             train_precomputed)

    args = build_parser().parse_args(argv)
    device = common.resolve_device(args.device)
    data, split_idx, dataset = common.load_node_dataset(args.dataset, args.root, args.meta_dict)
    evaluator = Evaluator(args.dataset)
    y = common.labels_1d(data.y).numpy()
    params = {**DEFAULTS[args.model], "hops": args.hops, "batch_size": args.batch_size, "epochs": args.epochs}
    if args.lr is not None:
        params["lr"] = args.lr
    started = time.perf_counter()
    op = propagation_operator(as_graph(data.edge_index, num_nodes=data.num_nodes, directed=False))
    x = data.x.numpy().astype(np.float32)
    x = row_normalize(x, params["normalize_features"])
    if args.model == "s2gc":
        hops = s2gc_features(op, x, args.hops, params["alpha"], verbose=not args.quiet)[None]
    else:
        hops = propagate_hops(op, x, args.hops, path=args.hops_file, verbose=not args.quiet)
        if args.model == "sgc":
            hops = np.ascontiguousarray(hops[-1:])
    precompute_seconds = time.perf_counter() - started
    parts = {key: np.sort(value.numpy()) for key, value in split_idx.items()}
    runs = []
    for seed in args.seeds:
        common.seed_everything(seed)
        model = build_model(args.model, x.shape[1], dataset.num_classes,
                            **{k: v for k, v in params.items() if k in DEFAULTS[args.model]})
        result = train_precomputed(model, hops, y, parts["train"], parts["valid"], None, epochs=params["epochs"],
                                   lr=params["lr"], weight_decay=params["weight_decay"],
                                   batch_size=params["batch_size"], patience=args.patience, seed=seed, device=device)
        scores = {}
        for key, idx in parts.items():
            pred = predict_precomputed(model, hops, idx, device=device)
            scores[key] = evaluator.eval({"y_true": y[idx].reshape(-1, 1), "y_pred": pred.reshape(-1, 1)})["acc"]
        run = {**scores, "epoch": result["best_epoch"], "seconds": result["seconds"], "seed": seed}
        runs.append(run)
        if not args.quiet:
            print(f"seed {seed}: valid {100 * run['valid']:.2f}  test {100 * run['test']:.2f}  "
                  f"(epoch {run['epoch']}, {run['seconds']:.1f} s)")
    summary = common.summarize(runs)
    common.print_leaderboard(f"{args.model} (K={args.hops}) on {args.dataset}", summary, "accuracy", len(runs))
    payload = {"method": f"graphsparse.decoupled {args.model}, K={args.hops}", "params": params,
               "precompute_seconds": precompute_seconds, "summary": summary, "runs": runs}
    payload["path"] = common.write_json(args, "decoupled_sgc_air", payload)
    return payload


if __name__ == "__main__":
    main()
