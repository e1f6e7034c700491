"""Directed GNNs on arxiv-year (ogbn-arxiv with year labels, as the Dir-GNN paper uses it).

arxiv-year (Lim et al., "Large Scale Learning on Non-Homophilous Graphs", NeurIPS 2021 -- LINKX):
the ogbn-arxiv citation graph *kept directed*, node labels = publication year cut into 5 classes
of equal size (LINKX's ``even_quantile_labels``), random 50/25/25 splits. Dir-GNN (Rossi et al.,
LoG 2023) reports Dir-GCN 64.08 ± 0.26 there. LINKX's five fixed split files are not shipped by
OGB; this script draws one 50/25/25 split per seed (``--splits-file`` loads LINKX's
``arxiv-year-splits.npy`` instead when you have it).

Models, measured in the same run: ``dir-gcn`` (:class:`graphsparse.directed.models.DirGNN`,
Dir-GNN's arxiv-year setting: 6 layers, 256 hidden, ``alpha = 0.5``, jumping knowledge ``cat``,
L2 normalisation, lr 0.005, no dropout), ``dir-sage``, ``sym-gcn`` (GCN on the symmetrised graph,
the undirected baseline) and ``mlp``. Accuracy is OGB's ``Evaluator("ogbn-arxiv")`` (plain
accuracy on ``(n, 1)`` labels), test at the best validation epoch, mean ± std over seeds.

    python benchmarks/ogb/dirgnn_arxiv_year.py --root /data/ogb --models dir-gcn sym-gcn mlp
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _ogb_common as common  # noqa: E402

DATASETS = ("ogbn-arxiv",)
MODELS = ("dir-gcn", "dir-sage", "sym-gcn", "mlp")


def build_parser():
    parser = common.base_parser(__doc__.splitlines()[0], DATASETS, epochs=500)
    parser.add_argument("--models", nargs="+", choices=MODELS, default=["dir-gcn", "sym-gcn", "mlp"])
    parser.add_argument("--num-classes", type=int, default=5, help="year quantile classes (LINKX: 5)")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--num-layers", type=int, default=6)
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--jk", choices=("none", "max", "cat"), default="cat")
    parser.add_argument("--lr", type=float, default=0.005)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--splits-file", default=None,
                        help="LINKX arxiv-year-splits.npy (list of {'train','valid','test'}); split = seed index")
    return parser


def even_quantile_labels(values, num_classes: int):
    """LINKX's ``even_quantile_labels``: class k holds values in [q_k, q_{k+1}) of the quantiles."""
    import numpy as np

    values = np.asarray(values, dtype=np.float64).reshape(-1)
    labels = np.full(values.shape[0], -1, dtype=np.int64)
    lower = -np.inf
    for k in range(num_classes - 1):
        upper = np.nanquantile(values, (k + 1) / num_classes)
        labels[(values >= lower) & (values < upper)] = k
        lower = upper
    labels[values >= lower] = num_classes - 1
    return labels


def random_split(num_nodes: int, seed: int, train=0.5, valid=0.25):
    """LINKX's ``rand_train_test_idx``: a seeded permutation cut 50/25/25."""
    import torch

    order = torch.randperm(num_nodes, generator=torch.Generator().manual_seed(seed))
    n_train, n_valid = int(train * num_nodes), int(valid * num_nodes)
    return {"train": order[:n_train], "valid": order[n_train:n_train + n_valid], "test": order[n_train + n_valid:]}


def make_model(name, in_channels, num_classes, args):
    from graphsparse.directed.models import MLP, DirGNN, SymGCN

    jk = None if args.jk == "none" else args.jk
    if name in ("dir-gcn", "dir-sage"):
        return DirGNN(in_channels, args.hidden, num_classes, args.num_layers, conv=name, alpha=args.alpha,
                      jk=jk, normalize=True, dropout=args.dropout)
    if name == "sym-gcn":
        return SymGCN(in_channels, args.hidden, num_classes, min(args.num_layers, 3), dropout=args.dropout,
                      jk="max" if jk else None, normalize=True)
    return MLP(in_channels, args.hidden, num_classes, 3, dropout=args.dropout)


def operators_on(model, edge_index, num_nodes, device):
    """The model's sparse operators, built once on the CPU and moved to ``device``."""
    operators = model.build_operators(edge_index, num_nodes=num_nodes)
    if operators is not None and device.type != "cpu":
        for name in operators.graphs:
            op = operators.op(name)
            op.matrix, op.matrix_t = op.matrix.to(device), op.matrix_t.to(device)
    return operators


def main(argv=None) -> dict:
    import numpy as np
    import torch
    from ogb.nodeproppred import Evaluator

    args = build_parser().parse_args(argv)
    device = common.resolve_device(args.device)
    data, _, _ = common.load_node_dataset(args.dataset, args.root, args.meta_dict)
    if getattr(data, "node_year", None) is None:
        raise SystemExit("the dataset has no node_year: arxiv-year needs ogbn-arxiv's node_year file")
    evaluator = Evaluator(args.dataset)
    y = torch.from_numpy(even_quantile_labels(data.node_year.numpy(), args.num_classes))
    x = data.x.float().to(device)
    splits = np.load(args.splits_file, allow_pickle=True) if args.splits_file else None
    runs = {name: [] for name in args.models}
    for index, seed in enumerate(args.seeds):
        if splits is not None:
            split = {key: torch.as_tensor(np.asarray(splits[index % len(splits)][key])).long()
                     for key in ("train", "valid", "test")}
        else:
            split = random_split(data.num_nodes, seed)
        for name in args.models:
            common.seed_everything(seed)
            model = make_model(name, x.shape[1], args.num_classes, args).to(device)
            operators = operators_on(model, data.edge_index, data.num_nodes, device)
            run = common.train_node_classifier(lambda: model(x, operators), model.parameters(), y.to(device),
                                               split, evaluator, epochs=args.epochs, lr=args.lr,
                                               modules=(model,))
            run.update(seed=seed, model=name)
            runs[name].append(run)
            if not args.quiet:
                print(f"{name:8s} seed {seed}: valid {100 * run['valid']:.2f} test {100 * run['test']:.2f} "
                      f"(epoch {run['epoch']}, {run['seconds']:.1f} s)")
    results, summaries = [], {}
    for name in args.models:
        summary = common.summarize(runs[name])
        summaries[name] = summary
        common.print_leaderboard(f"{name} on arxiv-year", summary, "accuracy", len(runs[name]))
        results.append({"model": name, "dataset": "arxiv-year", "accuracy_mean": summary["test"]["mean"],
                        "accuracy_std": summary["test"]["std"], "valid_mean": summary["valid"]["mean"]})
    payload = {"method": "directed GNNs vs the symmetrised baseline on arxiv-year", "metric": evaluator.eval_metric,
               "task": f"arxiv-year ({args.num_classes} year-quantile classes, "
                       + ("LINKX split file" if splits is not None else "random 50/25/25 split per seed") + ")",
               "results": results, "summary": summaries, "runs": [r for name in args.models for r in runs[name]],
               "device": str(device)}
    payload["path"] = common.write_json(args, "dirgnn_arxiv_year", payload)
    return payload


if __name__ == "__main__":
    main()
