"""``graphsparse decoupled``: precompute propagation and train SGC / SIGN / S2GC / APPNP / *+AIR models.

Examples::

    graphsparse decoupled --dataset cora --model sgc_air --runs 10 --out cora_sgc_air.json
    graphsparse decoupled --input graph.npz --model sign --hops 3 --quiet
    graphsparse decoupled --dataset citeseer --precompute-only hops.npy --hops 10 --block-size 256

``--input`` is a ``.npz`` with ``edge_index`` (2, E) int, ``x`` (N, F) and ``y`` (N,) int, and
optionally ``train_mask`` / ``val_mask`` / ``test_mask`` (bool, N); without masks a random
60/20/20 split (``--seed``) is drawn. Hyper-parameters left unset take the model's defaults
(``graphsparse.decoupled.train.DEFAULTS``, listed in the JSON under ``params``).
"""
from __future__ import annotations

import argparse
import os

from graphsparse.cli import emit_json

MODELS = ("sgc", "s2gc", "sign", "sgc_air", "appnp", "appnp_air", "gcn_air")


def register(subparsers) -> None:
    parser = subparsers.add_parser("decoupled", help="decoupled deep GNNs: SGC, SIGN, S2GC, APPNP, SGC+AIR (DGMLP)",
                                   description=__doc__.split("\n\n")[0],
                                   formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--dataset", default=None, help="registered dataset name (cora, citeseer, ...)")
    source.add_argument("--input", default=None, help=".npz file with edge_index, x, y (and optional masks)")
    parser.add_argument("--model", default="sgc_air", choices=MODELS)
    parser.add_argument("--hops", type=int, default=None, help="propagation depth K (GCN+AIR: layers); "
                                                               "default: the model's")
    parser.add_argument("--alpha", type=float, default=None, help="teleport (appnp, appnp_air) / S2GC alpha")
    parser.add_argument("--hidden", type=int, default=None)
    parser.add_argument("--dropout", type=float, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--weight-decay", type=float, default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--patience", type=int, default=None, help="early stopping (default: all epochs)")
    parser.add_argument("--batch-size", type=int, default=None, help="training rows per step (precomputed models)")
    parser.add_argument("--runs", type=int, default=1, help="seeds --seed .. --seed + runs - 1")
    parser.add_argument("--precompute-only", default=None, metavar="PATH.npy",
                        help="write the (K+1, N, F) hop stack to this .npy (memory-mapped) and stop")
    parser.add_argument("--block-size", type=int, default=None, help="feature columns per precompute block")
    parser.add_argument("--out", default=None, help="write the JSON result here")
    parser.add_argument("--json", action="store_true", help="print the JSON result (default unless --quiet)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--quiet", action="store_true", help="no progress, no per-run lines")
    parser.set_defaults(func=run)


def _check_args(args) -> None:
    if args.dataset is None and args.input is None:
        raise ValueError("give --dataset NAME or --input FILE.npz")
    if args.input is not None and not os.path.isfile(args.input):
        raise FileNotFoundError(f"--input: no such file {args.input!r}")
    for name in ("hops", "hidden", "epochs", "patience", "batch_size", "block_size"):
        value = getattr(args, name)
        if value is not None and (value < 1 and not (name == "hops" and value == 0)):
            raise ValueError(f"--{name.replace('_', '-')} must be positive, got {value}")
    if args.runs < 1 or args.threads < 1:
        raise ValueError("--runs and --threads must be >= 1")
    for path, flag in ((args.out, "--out"), (args.precompute_only, "--precompute-only")):
        if path is not None:
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                raise FileNotFoundError(f"{flag}: folder {folder!r} does not exist")
    if args.precompute_only is not None and not args.precompute_only.endswith(".npy"):
        raise ValueError(f"--precompute-only must name a .npy file, got {args.precompute_only!r}")


def _load_npz(path: str, seed: int):
    import numpy as np

    with np.load(path, allow_pickle=False) as f:
        missing = {"edge_index", "x", "y"} - set(f.files)
        if missing:
            raise ValueError(f"--input {path!r} lacks {sorted(missing)} (needs edge_index, x, y)")
        arrays = {key: f[key] for key in f.files}
    n = arrays["x"].shape[0] if arrays["x"].ndim == 2 else -1
    if n < 1:
        raise ValueError(f"--input: x must be 2-D (N, F), got shape {arrays['x'].shape}")
    masks = [arrays.get(k) for k in ("train_mask", "val_mask", "test_mask")]
    if any(m is None for m in masks):
        from graphsparse.datasets import random_split_masks

        masks = [np.asarray(m) for m in random_split_masks(n, 0.6, 0.2, seed=seed)]
    for m, name in zip(masks, ("train_mask", "val_mask", "test_mask")):
        if m.dtype != bool or m.shape != (n,):
            raise ValueError(f"--input: {name} must be boolean of shape ({n},), got {m.dtype} {m.shape}")
    return arrays["edge_index"], arrays["x"], arrays["y"], masks, n


def run(args) -> int:
    import numpy as np
    import torch

    from graphsparse.decoupled.propagation import _operator, propagate_hops
    from graphsparse.decoupled.train import _params, prepare_inputs, run_model

    _check_args(args)
    torch.set_num_threads(args.threads)
    overrides = {key: getattr(args, key) for key in ("hops", "alpha", "hidden", "dropout", "lr", "weight_decay",
                                                     "epochs", "patience", "batch_size")}
    known = _params(args.model, {})  # options a model does not have are rejected by name
    for key, value in overrides.items():
        if value is not None and key not in known:
            raise ValueError(f"--{key.replace('_', '-')} does not apply to --model {args.model}")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if args.input is not None:
        from graphsparse.graph import as_graph

        edge_index, x, y, masks, n = _load_npz(args.input, args.seed)
        graph = as_graph(edge_index, num_nodes=n)
        source = args.input
    else:
        from graphsparse.datasets import load_dataset

        data = load_dataset(args.dataset)
        if getattr(data, "x", None) is None or getattr(data, "y", None) is None or data.y.dim() != 1:
            raise ValueError(f"--dataset {args.dataset!r} has no node features / single-label classes")
        graph, x, y = data, data.x.numpy(), data.y.numpy()
        if getattr(data, "train_mask", None) is None or data.train_mask.dim() != 1:
            from graphsparse.datasets import random_split_masks

            masks = [np.asarray(m) for m in random_split_masks(data.num_nodes, 0.6, 0.2, seed=args.seed)]
        else:
            masks = [data.train_mask.numpy(), data.val_mask.numpy(), data.test_mask.numpy()]
        source = args.dataset
    verbose = not args.quiet
    if args.precompute_only is not None:
        import time

        p = _params(args.model, overrides)
        op = _operator(graph, p["operator"], True, x)
        started = time.perf_counter()
        hops = propagate_hops(op, x, p["hops"], path=args.precompute_only, block_size=args.block_size,
                              verbose=verbose)
        summary = {"source": source, "precompute": args.precompute_only, "shape": list(hops.shape),
                   "seconds": time.perf_counter() - started, "bytes": os.path.getsize(args.precompute_only)}
        emit_json(summary, args.out, args.quiet and not args.json)
        return 0
    prepared = prepare_inputs(args.model, graph, x, verbose, **overrides)
    runs = []
    for seed in range(args.seed, args.seed + args.runs):
        result = run_model(args.model, graph, x, y, *masks, seed=seed, prepared=prepared, **overrides)
        params = result.pop("params")
        result.pop("model")
        result["seed"] = seed
        runs.append(result)
        if verbose:
            print(f"seed {seed}: test {100 * result['test_acc']:.2f} (val {100 * result['val_acc']:.2f}, "
                  f"best epoch {result['best_epoch']})", file=__import__("sys").stderr)
    accs = [100 * r["test_acc"] for r in runs]
    summary = {"source": source, "model": args.model, "test_acc_mean": float(np.mean(accs)),
               "test_acc_std": float(np.std(accs)), "runs": runs, "params": params}
    emit_json(summary, args.out, args.quiet and not args.json)
    return 0
