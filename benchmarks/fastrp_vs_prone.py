"""FastRP (new defaults, tuner) vs ProNE (nodevectors) on every labelled shared graph, same run.

Two parts (``--part select`` / ``--part compare``, default both):

1. ``select``: the evidence behind ``FastRP()``'s defaults. Every configuration of ``CONFIGS``
   (the paper's, GDS's, flat multi-step GDS-style schemes, each with and without ProNE's spectral
   propagation) embeds every labelled graph at d = 128 (``direction="both"``: the directed graphs
   are used as undirected, as ProNE does), scored by micro-F1 (= accuracy for single-label graphs)
   at 10 % and 50 % training (10 % only on BlogCatalog, DBLP and Tolokers) over ``--select-shuffles`` shuffles (one-vs-rest liblinear LR, C = 0.1,
   top-k, the evaluation code of ``fastrp_quality.py``). Per graph, configurations are ranked on the
   mean of the two ratios; the default is the best average rank. This selection uses the labels of
   the evaluation graphs (disclosed: ``FastRP()``'s defaults are fitted to these 9 graphs).
2. ``compare``: on BlogCatalog and DBLP (5 shuffles, 10/50/90 %, micro and macro-F1) and on every
   other labelled graph (accuracy at 10 % and 50 %, ``--other-shuffles`` shuffles), ``FastRP()``
   (new defaults), ``FastRPTuner`` nested in the evaluation (per shuffle, fitted on the labels of
   that shuffle's 10 % training nodes only, default search space, ``time_budget_s`` = a share of
   ProNE's time) and ProNE (``nodevectors.ProNE(n_components=128)``, in a subprocess) with wall
   times. Also the cost of the spectral-propagation step vs a FastRP fit of the same dimension on
   the same graph (best of 3, interleaved).

Usage: ``flock /tmp/gs-heavy.lock nice -n 5 python benchmarks/fastrp_vs_prone.py [--part select|compare]``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks._common import write_result  # noqa: E402
from benchmarks.fastrp_quality import _PRONE_SCRIPT, evaluate_multilabel, evaluation_perms  # noqa: E402

GRAPHS = ["blogcatalog", "dblp", "cora", "citeseer", "cora_ml", "polblogs", "tolokers", "squirrel_directed",
          "citeseer_directed"]
MAIN_GRAPHS = ("blogcatalog", "dblp")
LARGE_GRAPHS = ("blogcatalog", "dblp", "tolokers")
D = 128


def _configs():
    from graphsparse.embed import GDS_DEFAULTS, PAPER_DEFAULTS

    def flat(m, projection="sparse", beta=0.0):
        return {**PAPER_DEFAULTS, "iteration_weights": (0.0, 0.0) + (1.0,) * m, "propagate_normalized": True,
                "normalization_strength": beta, "projection": projection}

    base = {"paper": dict(PAPER_DEFAULTS), "gds": dict(GDS_DEFAULTS), "flat8": flat(8),
            "flat16": flat(16), "flat32": flat(32), "flat8_gauss": flat(8, "gaussian")}
    configs = {}
    for name, params in base.items():
        configs[name] = params
        configs[name + "+sp"] = {**params, "spectral_propagation": True}
    for name in ("paper", "flat8"):
        configs[name + "+sp_raw"] = {**base[name], "spectral_propagation": {"orthogonalize": False}}
    return configs


def load(name):
    """(data, labels as a multi-hot int8 matrix or None, node mask of labelled nodes, multilabel flag)."""
    from graphsparse.datasets import load_dataset

    data = load_dataset(name)
    y = data.y.numpy()
    if y.ndim == 2:
        labels = (y > 0).astype(np.int8)
        return data, labels, labels.sum(axis=1) > 0, True
    labelled = y >= 0
    labels = np.zeros((y.shape[0], int(y.max()) + 1), dtype=np.int8)
    labels[np.flatnonzero(labelled), y[labelled]] = 1
    return data, labels, labelled, False


def score(embedding, labels, mask, ratios, perms):
    """micro/macro-F1 per ratio on the labelled nodes (``fastrp_quality.evaluate_multilabel``)."""
    idx = np.flatnonzero(mask)
    return evaluate_multilabel(embedding[idx], labels[idx], ratios=ratios, perms=perms, quiet=True)


def part_select(args) -> dict:
    from graphsparse.embed import FastRP

    configs = _configs()
    if args.configs:
        configs = {k: v for k, v in configs.items() if k in args.configs}
    table, timings = {}, {}
    for graph_name in args.graphs:
        data, labels, mask, _ = load(graph_name)
        # the logistic regressions dominate: the three larger graphs are scored at 10 % only
        ratios = (0.1,) if graph_name in LARGE_GRAPHS else (0.1, 0.5)
        perms = evaluation_perms(int(mask.sum()), args.select_shuffles, args.seed)
        table[graph_name], timings[graph_name] = {}, {}
        for name, params in configs.items():
            model = FastRP(n_components=D, random_state=args.seed, **{**params, "direction": "both"})
            t0 = time.perf_counter()
            emb = model.fit_transform(data)
            timings[graph_name][name] = time.perf_counter() - t0
            res = score(emb, labels, mask, ratios, perms)
            table[graph_name][name] = {r: res[r]["micro_f1"] for r in res}
            print(f"{graph_name:18s} {name:18s} " + " ".join(f"{v:.4f}" for v in table[graph_name][name].values())
                  + f"  ({timings[graph_name][name]:.2f} s)", flush=True)
    ranks = {}
    for graph_name, rows in table.items():
        names = list(rows)
        means = np.array([np.mean(list(rows[n].values())) for n in names])
        order = (-means).argsort(kind="stable")
        rank = np.empty(len(names))
        rank[order] = np.arange(1, len(names) + 1)
        ranks[graph_name] = dict(zip(names, rank.tolist()))
    names = list(next(iter(table.values())))
    average_rank = {n: float(np.mean([ranks[g][n] for g in ranks])) for n in names}
    best = min(average_rank, key=average_rank.get)
    print("average rank:", sorted(average_rank.items(), key=lambda kv: kv[1]), flush=True)
    return dict(protocol=f"d={D}, direction='both', micro-F1 at 10 % and 50 % training on the labelled nodes (10 % only on "
                         f"{', '.join(LARGE_GRAPHS)}), "
                         f"{args.select_shuffles} shuffles, one-vs-rest liblinear LR C=0.1 top-k; rank per graph on "
                         "the mean of the two ratios", configs={k: _jsonable(v) for k, v in configs.items()},
                micro_f1=table, embed_s=timings, ranks=ranks, average_rank=average_rank, best=best)


def _jsonable(params):
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}


def run_prone(data, n):
    """nodevectors ProNE (d=128) in a subprocess: (embedding, info) or (None, error dict)."""
    with tempfile.TemporaryDirectory() as tmp:
        edges = data.edge_index.numpy()
        edges = np.unique(np.sort(edges, axis=0), axis=1)
        edges = edges[:, edges[0] != edges[1]]
        np.save(os.path.join(tmp, "edges.npy"), edges)
        emb_path = os.path.join(tmp, "prone.npy")
        proc = subprocess.run([sys.executable, "-c", _PRONE_SCRIPT, os.path.join(tmp, "edges.npy"), str(n), emb_path],
                              capture_output=True, text=True, timeout=1800)
        if proc.returncode != 0:
            return None, dict(error="nodevectors.ProNE failed", stderr_tail=proc.stderr[-2000:])
        info = json.loads(proc.stdout.strip().splitlines()[-1])
        return np.load(emb_path), info


def _mean_scores(per_shuffle):
    out = {}
    for r in per_shuffle[0]:
        out[r] = {m: float(np.mean([s[r][m] for s in per_shuffle])) for m in ("micro_f1", "macro_f1")}
        out[r]["micro_f1_std"] = float(np.std([s[r]["micro_f1"] for s in per_shuffle]))
    return out


def part_compare(args) -> dict:
    from graphsparse.embed import FastRP, FastRPTuner, SpectralPropagation

    out = {}
    for graph_name in args.graphs:
        data, labels, mask, multilabel = load(graph_name)
        main = graph_name in MAIN_GRAPHS
        ratios = (0.1, 0.5, 0.9) if main else (0.1, 0.5)
        shuffles = args.shuffles if main else args.other_shuffles
        idx = np.flatnonzero(mask)
        perms = evaluation_perms(idx.size, shuffles, args.seed)
        n = int(data.num_nodes)
        entry = dict(num_nodes=n, labelled=int(idx.size), multilabel=multilabel, ratios=list(ratios),
                     shuffles=shuffles)
        # ProNE
        prone_emb, info = run_prone(data, n)
        entry["prone"] = dict(info, package="nodevectors 0.1.23", n_components=D)
        if prone_emb is not None:
            entry["prone"]["scores"] = score(prone_emb, labels, mask, ratios, perms)
        prone_s = info.get("embed_s")
        # FastRP() defaults
        model = FastRP(n_components=D, random_state=args.seed, direction="both")
        t0 = time.perf_counter()
        emb = model.fit_transform(data)
        entry["fastrp_default"] = dict(embed_s=time.perf_counter() - t0, timings=model.timings_,
                                       scores=score(emb, labels, mask, ratios, perms))
        # tuner nested in the evaluation: labels of the 10 % training nodes of each shuffle only
        budget = args.tune_share * prone_s if prone_s else 10.0
        per_shuffle, runs = [], []
        for index, perm in enumerate(perms):
            n_tune = int(round(0.1 * idx.size))
            masked = np.zeros_like(labels)
            masked[idx[perm[:n_tune]]] = labels[idx[perm[:n_tune]]]
            tuner = FastRPTuner(time_budget_s=budget, random_state=args.seed + 1 + index,
                                base_params=dict(direction="both"),
                                scoring="micro")
            t0 = time.perf_counter()
            tuner.fit(data, masked)
            tune_s = time.perf_counter() - t0
            final = tuner.best_estimator(n_components=D, random_state=args.seed)
            t0 = time.perf_counter()
            emb_t = final.fit_transform(data)
            embed_s = time.perf_counter() - t0
            res = score(emb_t, labels, mask, ratios, [perm])
            per_shuffle.append(res)
            runs.append(dict(tune_s=tune_s, embed_s=embed_s, total_s=tune_s + embed_s, trials=len(tuner.trials_),
                             best_scheme=tuner.best_scheme_, best_params=_jsonable(tuner.best_params_)))
        entry["fastrp_tuned"] = dict(budget_s=budget, budget_rule=f"{args.tune_share} x ProNE time of this run",
                                     total_s=float(np.mean([r["total_s"] for r in runs])),
                                     scores=_mean_scores(per_shuffle), runs=runs)
        # spectral step vs FastRP fit, same graph, same d, interleaved, best of 3
        fit_t, sp_t = [], []
        base = FastRP(n_components=D, random_state=args.seed, direction="both", spectral_propagation=None)
        for _ in range(3):
            t0 = time.perf_counter()
            e = base.fit_transform(data)
            fit_t.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            SpectralPropagation().fit(base._propagation_graph(_graph(data))).transform(e)
            sp_t.append(time.perf_counter() - t0)
        entry["spectral_cost"] = dict(fastrp_fit_s=min(fit_t), spectral_s=min(sp_t), ratio=min(sp_t) / min(fit_t))
        if prone_emb is not None:
            entry["speedup_vs_prone"] = dict(default=prone_s / entry["fastrp_default"]["embed_s"],
                                             tuned_total=prone_s / entry["fastrp_tuned"]["total_s"])
        out[graph_name] = entry
        print(json.dumps({graph_name: {k: (v.get("scores") if isinstance(v, dict) and "scores" in v else v)
                                       for k, v in entry.items() if k not in ("runs",)}}, default=str)[:3000],
              flush=True)
    out["summary"] = _summary(out)
    return out


def _graph(data):
    from graphsparse.graph import as_graph

    return as_graph(data)


def _summary(out) -> dict:
    summary = {}
    others = []
    for g, e in out.items():
        if "prone" not in e or "scores" not in e["prone"]:
            continue
        p, t = e["prone"]["scores"], e["fastrp_tuned"]["scores"]
        if g in MAIN_GRAPHS:
            summary[g] = dict(tuned_ge_prone_micro={r: t[r]["micro_f1"] >= p[r]["micro_f1"] for r in p},
                              time_ratio_tuned_over_prone=e["fastrp_tuned"]["total_s"] / e["prone"]["embed_s"])
        else:
            others.append(np.mean([t[r]["micro_f1"] - p[r]["micro_f1"] for r in p]))
    if others:
        summary["others_mean_gap_tuned_minus_prone"] = float(np.mean(others))
        summary["others_within_0.01"] = bool(np.mean(others) >= -0.01)
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("select", "compare", "both"), default="both")
    parser.add_argument("--graphs", nargs="*", default=GRAPHS)
    parser.add_argument("--configs", nargs="*", default=None)
    parser.add_argument("--select-shuffles", type=int, default=2)
    parser.add_argument("--shuffles", type=int, default=5)
    parser.add_argument("--other-shuffles", type=int, default=5)
    parser.add_argument("--tune-share", type=float, default=0.2, help="tuner budget = share x ProNE time")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="fastrp_vs_prone")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    figures = {}
    if args.part in ("select", "both"):
        figures["select"] = part_select(args)
    if args.part in ("compare", "both"):
        figures["compare"] = part_compare(args)
    write_result(args.name, figures)


if __name__ == "__main__":
    main()
