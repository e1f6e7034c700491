"""TEDDY graph lottery tickets with a GCN on ogbn-arxiv (the TEDDY paper's large-scale setting).

As in the authors' ``main_teddy_ogb.py`` (see ``../shared/specs/TEDDY.md``): ogbn-arxiv
symmetrised, full batch, the 2-layer GCN of :mod:`graphsparse.lottery` (512 hidden, no bias),
Adam lr 0.01 *without* weight decay, 200 epochs, distillation from the dense teacher with
``lamb = 10``, levels ``r`` of the UGS schedule (``s_g = 1 - 0.95^r``, ``s_w = 1 - 0.8^r``).
``--methods teddy random`` adds the random-pruning baseline measured in the same run.

Every ticket is scored with OGB's ``Evaluator``: the ticket's weights are loaded into a fresh
model (``ticket.apply``), its graph is pruned (``ticket.prune_graph``) and the eval-mode
prediction is scored on OGB's valid/test split (the ticket finder's own score is kept in the JSON
as ``finder_test`` for comparison). The dense GCN is reported as level 0.

The ticket search runs on the CPU (:func:`graphsparse.lottery.find_tickets` has no device option);
``--device`` is used for the OGB evaluation pass.

    python benchmarks/ogb/teddy_gcn_arxiv.py --root /data/ogb --levels 1 5 10 15 20 --seeds 0 1 2
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _ogb_common as common  # noqa: E402

DATASETS = ("ogbn-arxiv",)


def build_parser():
    parser = common.base_parser(__doc__.splitlines()[0], DATASETS, epochs=200)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 5, 10, 15, 20],
                        help="UGS-schedule levels r (s_g = 1 - 0.95^r, s_w = 1 - 0.8^r)")
    parser.add_argument("--methods", nargs="+", choices=("teddy", "random", "ugs"), default=["teddy"])
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--lamb", type=float, default=10.0, help="distillation weight (TEDDY)")
    return parser


def _masks(num_nodes, split_idx):
    import torch

    masks = {}
    for part, name in (("train", "train_mask"), ("valid", "val_mask"), ("test", "test_mask")):
        mask = torch.zeros(num_nodes, dtype=torch.bool)
        mask[split_idx[part]] = True
        masks[name] = mask
    return masks


def ogb_scores(ticket, model_fn, data, split_idx, evaluator, device) -> dict:
    """OGB ``Evaluator`` accuracy of the ticket on train/valid/test (eval mode, pruned graph)."""
    import torch

    model = ticket.apply(model_fn()).to(device)
    pruned = ticket.prune_graph(data)
    model.eval()
    with torch.no_grad():
        pred = model(data.x.float().to(device), pruned.edge_index.to(device)).argmax(-1, keepdim=True).cpu()
    y_true = data.y.view(-1, 1)
    return {part: evaluator.eval({"y_true": y_true[idx], "y_pred": pred[idx]})["acc"]
            for part, idx in split_idx.items()}


def main(argv=None) -> dict:
    from ogb.nodeproppred import Evaluator
    from torch_geometric.data import Data
    from torch_geometric.utils import to_undirected

    from graphsparse.lottery import find_tickets, make_model, ugs_levels

    args = build_parser().parse_args(argv)
    device = common.resolve_device(args.device)
    raw, split_idx, dataset = common.load_node_dataset(args.dataset, args.root, args.meta_dict)
    evaluator = Evaluator(args.dataset)
    data = Data(x=raw.x.float(), y=common.labels_1d(raw.y), num_nodes=raw.num_nodes,
                edge_index=to_undirected(raw.edge_index, num_nodes=raw.num_nodes),
                **_masks(raw.num_nodes, split_idx))
    levels = sorted(set(args.levels))
    targets = ugs_levels(levels)

    def model_fn():
        return make_model("gcn", data.x.shape[1], dataset.num_classes, hidden_channels=args.hidden)

    records = []
    for method in args.methods:
        for seed in args.seeds:
            tickets = find_tickets(model_fn, data, targets, method, include_dense=(method == args.methods[0]),
                                   lamb=args.lamb, epochs=args.epochs, lr=args.lr, weight_decay=args.weight_decay,
                                   seed=seed, verbose=not args.quiet)
            for ticket in tickets:
                level = 0 if ticket.method == "dense" else levels[[round(t[0], 12) for t in targets]
                                                                  .index(round(ticket.target_edge_sparsity, 12))]
                scores = ogb_scores(ticket, model_fn, data, split_idx, evaluator, device)
                record = {"method": ticket.method, "level": level, "seed": seed,
                          "edge_sparsity": ticket.edge_sparsity, "weight_sparsity": ticket.weight_sparsity,
                          "finder_test": ticket.test_score, "seconds": ticket.timings.get("total"), **scores}
                records.append(record)
                if not args.quiet:
                    print(f"{ticket.method:6s} level {level:2d} seed {seed}: s_g {ticket.edge_sparsity:.3f} "
                          f"s_w {ticket.weight_sparsity:.3f} valid {100 * scores['valid']:.2f} "
                          f"test {100 * scores['test']:.2f}")
    table = []
    for method in ["dense"] + list(args.methods):
        for level in [0] + levels:
            runs = [r for r in records if r["method"] == method and r["level"] == level]
            if not runs:
                continue
            summary = common.summarize(runs)
            row = {"method": method, "level": level,
                   "graph_sparsity": sum(r["edge_sparsity"] for r in runs) / len(runs),
                   "weight_sparsity": sum(r["weight_sparsity"] for r in runs) / len(runs),
                   "test_acc_mean": summary["test"]["mean"], "test_acc_std": summary["test"]["std"],
                   "valid_acc_mean": summary["valid"]["mean"], "valid_acc_std": summary["valid"]["std"],
                   "seconds_mean": sum(r["seconds"] or 0.0 for r in runs) / len(runs)}
            table.append(row)
            common.print_leaderboard(f"{method} GCN on {args.dataset}, level {level} "
                                     f"(s_g {row['graph_sparsity']:.3f}, s_w {row['weight_sparsity']:.3f})",
                                     summary, "accuracy", len(runs))
    payload = {"method": "graph lottery tickets (" + ", ".join(args.methods) + ") with a 2-layer GCN",
               "metric": evaluator.eval_metric, "levels": levels, "results": table, "runs": records,
               "summary": {f"{row['method']}_level{row['level']}": {
                   "test": {"mean": row["test_acc_mean"], "std": row["test_acc_std"]},
                   "valid": {"mean": row["valid_acc_mean"], "std": row["valid_acc_std"]}} for row in table},
               "device": str(device)}
    payload["path"] = common.write_json(args, "teddy_gcn", payload)
    return payload


if __name__ == "__main__":
    main()
