"""What every OGB benchmark script shares: arguments, OGB loading, training loops, the leaderboard line.

Every script in ``benchmarks/ogb/`` loads its data through OGB's own dataset classes
(:class:`ogb.nodeproppred.PygNodePropPredDataset`, :class:`ogb.linkproppred.PygLinkPropPredDataset`),
scores with OGB's own :class:`~ogb.nodeproppred.Evaluator` (never a re-implemented metric), takes
``--root --seeds --device``, prints the OGB leaderboard format (mean +- std over seeds, in percent)
and writes JSON (``benchmarks/results/ogb_<script>_<dataset>.json`` unless ``--out`` says otherwise).

``--meta-dict PATH`` passes a ``meta_dict`` (as written by :class:`ogb.io.DatasetSaver`) to the
same dataset class, which is how the offline end-to-end tests run each script on tiny datasets in
OGB's on-disk format; a result produced that way records it in its JSON (``"data_source"``) and is
never a leaderboard figure.

ogb 1.3.6 calls ``torch.load`` with the default ``weights_only=True`` of torch >= 2.6 on files
that hold PyG ``Data`` objects and NumPy arrays; :func:`trusted_ogb_load` allow-lists exactly those
classes (instead of turning the safety check off) while an OGB dataset is being opened.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

DEFAULT_SEEDS = list(range(10))  # the OGB leaderboard asks for 10 runs


# ---------------------------------------------------------------------------- arguments
def base_parser(description: str, datasets, epochs: int) -> argparse.ArgumentParser:
    """Parser with the arguments all OGB scripts share (``--dataset`` limited to ``datasets``)."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--dataset", choices=list(datasets), default=list(datasets)[0])
    parser.add_argument("--root", default=os.environ.get("OGB_ROOT", "dataset"),
                        help="folder holding (or receiving) the OGB dataset; env OGB_ROOT")
    parser.add_argument("--seeds", type=int, nargs="+", default=DEFAULT_SEEDS,
                        help="one run per seed; mean +- std over them is reported")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if present)")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--out", default=None,
                        help="JSON path (default benchmarks/results/ogb_<script>_<dataset>.json)")
    parser.add_argument("--meta-dict", default=None,
                        help="meta_dict.pt written by ogb.io.DatasetSaver: load that dataset instead "
                             "(offline tests, custom data); recorded in the JSON")
    parser.add_argument("--quiet", action="store_true", help="no per-run lines")
    return parser


def resolve_device(name):
    """``torch.device`` from ``--device``; a clear error when CUDA is asked for and absent."""
    import torch

    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"--device {name}: CUDA is not available on this machine (use --device cpu)")
    return device


def seed_everything(seed: int) -> None:
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ---------------------------------------------------------------------------- loading
@contextlib.contextmanager
def trusted_ogb_load():
    """Allow-list the PyG / NumPy classes OGB's own ``torch.load`` calls need under torch >= 2.6."""
    import torch

    safe = []
    try:
        from torch_geometric.data.data import DataEdgeAttr, DataTensorAttr
        from torch_geometric.data.storage import GlobalStorage

        safe += [DataEdgeAttr, DataTensorAttr, GlobalStorage]
    except ImportError:  # pragma: no cover - older PyG pickles plain dicts
        pass
    core = getattr(np, "_core", None) or np.core
    safe += [np.ndarray, np.dtype, core.multiarray._reconstruct, core.multiarray.scalar]
    safe += [type(np.dtype(name)) for name in ("bool", "int32", "int64", "float16", "float32", "float64")]
    if hasattr(torch.serialization, "safe_globals"):
        with torch.serialization.safe_globals(safe):
            yield
    else:  # pragma: no cover - torch < 2.5 loads these without weights_only
        yield


def _read_meta_dict(path):
    if path is None:
        return None
    import torch

    with trusted_ogb_load():
        return torch.load(path)


def load_node_dataset(name: str, root: str, meta_dict_path=None):
    """``PygNodePropPredDataset(name, root, meta_dict=...)``: returns (data, split_idx, dataset).

    ``split_idx`` maps train/valid/test to int64 torch tensors whichever form OGB stored them in.
    """
    import torch
    from ogb.nodeproppred import PygNodePropPredDataset

    meta_dict = _read_meta_dict(meta_dict_path)  # (safe_globals contexts must not nest)
    with trusted_ogb_load():
        dataset = PygNodePropPredDataset(name=name, root=root, meta_dict=meta_dict)
        split = dataset.get_idx_split()
    split_idx = {key: torch.as_tensor(np.asarray(value), dtype=torch.long) for key, value in split.items()}
    return dataset[0], split_idx, dataset


def load_link_dataset(name: str, root: str, meta_dict_path=None):
    """``PygLinkPropPredDataset(name, root, meta_dict=...)``: returns (data, split_edge, dataset).

    Arrays of ``split_edge`` are converted to torch tensors (``edge`` int64, others as stored).
    """
    import torch
    from ogb.linkproppred import PygLinkPropPredDataset

    meta_dict = _read_meta_dict(meta_dict_path)  # (safe_globals contexts must not nest)
    with trusted_ogb_load():
        dataset = PygLinkPropPredDataset(name=name, root=root, meta_dict=meta_dict)
        split = dataset.get_edge_split()
    split_edge = {}
    for part, fields in split.items():
        split_edge[part] = {}
        for key, value in fields.items():
            tensor = torch.as_tensor(np.asarray(value))
            if key.startswith("edge"):
                tensor = tensor.long()
            split_edge[part][key] = tensor
    return dataset[0], split_edge, dataset


def data_source(args) -> str:
    if args.meta_dict:
        return f"meta_dict {args.meta_dict} (custom/offline dataset, not a leaderboard run)"
    return f"OGB {args.dataset} in {os.path.abspath(args.root)}"


# ---------------------------------------------------------------------------- models / training
def make_mlp(in_channels: int, hidden: int, out_channels: int, num_layers: int, dropout: float):
    """The MLP of OGB's ``examples/nodeproppred/arxiv/mlp.py`` (Linear-BatchNorm-ReLU-Dropout)."""
    import torch

    layers = []
    width = in_channels
    for _ in range(num_layers - 1):
        layers += [torch.nn.Linear(width, hidden), torch.nn.BatchNorm1d(hidden), torch.nn.ReLU(),
                   torch.nn.Dropout(dropout)]
        width = hidden
    layers.append(torch.nn.Linear(width, out_channels))
    return torch.nn.Sequential(*layers)


def labels_1d(y):
    """OGB stores node labels as (N, 1); return the (N,) long view."""
    return y.view(-1).long() if y.dim() > 1 else y.long()


def train_node_classifier(forward, parameters, y, split_idx, evaluator, *, epochs: int, lr: float,
                          weight_decay: float = 0.0, modules=(), after_step=None,
                          eval_every: int = 1) -> dict:
    """Full-batch training; returns the OGB protocol figures (test at the best validation epoch).

    ``forward()`` returns log-probabilities / logits for all nodes; ``modules`` are switched between
    train and eval mode; ``after_step`` runs after each optimizer step (e.g. an l0 projection).
    Accuracy is OGB's ``Evaluator`` on ``{"y_true": (n, 1), "y_pred": (n, 1)}``.
    """
    import torch

    optimizer = torch.optim.Adam(list(parameters), lr=lr, weight_decay=weight_decay)
    y = labels_1d(y)
    train_idx = split_idx["train"].to(y.device)
    best = {"valid": -1.0, "test": 0.0, "train": 0.0, "epoch": -1}
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        for module in modules:
            module.train()
        optimizer.zero_grad()
        logits = forward()
        loss = torch.nn.functional.cross_entropy(logits[train_idx], y[train_idx])
        loss.backward()
        optimizer.step()
        if after_step is not None:
            after_step()
        if epoch % eval_every and epoch != epochs:
            continue
        for module in modules:
            module.eval()
        with torch.no_grad():
            pred = forward().argmax(dim=-1, keepdim=True).cpu()
        y_true = y.cpu().view(-1, 1)
        scores = {part: evaluator.eval({"y_true": y_true[idx.cpu()], "y_pred": pred[idx.cpu()]})["acc"]
                  for part, idx in split_idx.items()}
        if scores["valid"] > best["valid"]:
            best = {**scores, "epoch": epoch}
    best["seconds"] = time.perf_counter() - started
    return best


# ---------------------------------------------------------------------------- reporting
def summarize(runs: list[dict], keys=("train", "valid", "test")) -> dict:
    """``{key: {"mean", "std", "values"}}`` over runs (percent, sample std as OGB's Logger)."""
    summary = {}
    for key in keys:
        values = [100.0 * float(run[key]) for run in runs if key in run]
        if not values:
            continue
        std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
        summary[key] = {"mean": float(np.mean(values)), "std": std, "values": values}
    return summary


def print_leaderboard(title: str, summary: dict, metric: str, num_runs: int) -> None:
    """The OGB leaderboard lines: ``Test <metric>: 71.23 ± 0.20`` (mean ± std over the runs)."""
    print(f"{title} -- {num_runs} run(s), {metric} in percent:")
    names = {"train": "Train", "valid": "Valid", "test": "Test"}
    for key in ("train", "valid", "test"):
        if key in summary:
            print(f"  {names[key]:5s} {metric}: {summary[key]['mean']:.2f} ± {summary[key]['std']:.2f}")


def write_json(args, script: str, payload: dict) -> str:
    """Write the result (plus machine facts) to ``--out`` or the default results path."""
    from benchmarks._common import RESULTS_DIR, write_result

    name = f"ogb_{script}_{args.dataset.replace('-', '_')}"
    path = args.out or os.path.join(RESULTS_DIR, f"{name}.json")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    payload = {"script": f"benchmarks/ogb/{script}.py", "dataset": args.dataset,
               "data_source": data_source(args), "seeds": list(args.seeds),
               "args": {key: value for key, value in vars(args).items() if key != "func"}, **payload}
    return write_result(name, json.loads(json.dumps(payload, default=float)), path=path)
