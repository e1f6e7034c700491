"""``graphsparse embed``: FastRP embeddings of an edge list, a saved graph or a registered dataset.

    graphsparse embed --input edges.txt --dim 128 --out emb.npy
    graphsparse embed --dataset blogcatalog --dim 512 --preset paper --out emb.npy --json

``--input`` is an edge list (``src dst [weight]`` per line; comma, tab or space separated,
optionally ``.gz``, ``#`` comments, optional header; 0- or 1-based integer ids or any string
labels, see ``--ids``), a ``.npz`` written by ``Graph.save``, a SciPy sparse ``.npz``
(``scipy.sparse.save_npz``) or a yandex/PyG-style ``.npz`` bundle; a registered dataset name is
also accepted there (or give it with ``--dataset``). Writes the float32 embedding to ``--out``
(``.npy``, exactly that path); when the file's ids are not the node numbers ``0..n-1`` (1-based,
labels), ``<out>.nodes.txt`` lists the file id of each row.
"""
from __future__ import annotations

import os
import sys
import time

from graphsparse.cli import (add_input_arguments, add_run_arguments, apply_threads, check_in_path, check_out_path,
                             positive_int, report)

__all__ = ["register", "run", "read_graph"]


def register(subparsers) -> None:
    parser = subparsers.add_parser("embed", help="FastRP node embeddings (paper or Neo4j GDS variant)",
                                   description=__doc__)
    add_input_arguments(parser, input_help="edge list / .npz graph file (or a dataset name)")
    parser.add_argument("--dim", type=positive_int, default=128, help="embedding dimension")
    parser.add_argument("--preset", choices=("default", "paper", "gds"), default="default",
                        help="default: FastRP()'s defaults (chosen across the shared labelled graphs, see "
                             "docs/embed.md); paper: [0,0,1,6.67], beta=-0.64, z-scored; gds: [0,1,1], beta=0, s=3")
    parser.add_argument("--weights", type=str, default=None,
                        help="iteration weights, comma separated (overrides the preset), e.g. 0,0,1,6.67")
    parser.add_argument("--beta", type=float, default=None, help="normalization strength (overrides the preset)")
    parser.add_argument("--self-influence", type=float, default=None, help="weight of the hop-0 term")
    parser.add_argument("--direction", choices=("out", "in", "both"), default="out")
    parser.add_argument("--undirected", action="store_true", help="symmetrise an edge list (each line = both ways)")
    parser.add_argument("--column-block", type=positive_int, default=None, help="compute this many columns at a time")
    add_run_arguments(parser, out_help="output .npy file (float32, n_nodes x dim); required", threads_default=0)
    parser.set_defaults(func=run)


def read_graph_file(source: str, undirected: bool = False, ids: str = "auto", columns=None):
    """``(graph, mapping or None)`` from a file (:mod:`graphsparse.io`) or a dataset name."""
    from graphsparse import io
    from graphsparse.cli import parse_columns
    from graphsparse.graph import as_graph

    if os.path.isfile(source):
        if source.endswith(".npz"):
            gf = io.read_npz(source)
        else:
            gf = io.read_edge_list(source, ids=ids, **parse_columns(columns))
        graph = gf.graph
        if undirected and graph.directed:
            graph = as_graph(graph, directed=False)
        return graph, gf
    if os.path.sep in source or source.endswith((".txt", ".csv", ".tsv", ".gz", ".npz", ".edgelist")):
        raise FileNotFoundError(f"--input: {source!r} is neither a file nor a dataset name (no such file)")
    from graphsparse.datasets import load_graph

    try:
        graph = load_graph(source)
    except (KeyError, ValueError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        raise FileNotFoundError(f"--input: {source!r} is neither a file nor a known dataset name ({message})") from None
    if undirected and graph.directed:
        graph = as_graph(graph, directed=False)
    return graph, None


def read_graph(source: str, undirected: bool = False):
    """Graph from an edge list / .npz path, or a dataset name."""
    return read_graph_file(source, undirected)[0]


def _nodes_path(out: str) -> str:
    return (out[:-4] if out.endswith(".npy") else out) + ".nodes.txt"


def run(args) -> int:
    source = args.input or args.dataset
    if source is None:
        raise ValueError("give --input FILE or --dataset NAME")
    if args.out is None:
        raise ValueError("--out: an output .npy path is required")
    check_out_path(args.out, "--out")
    check_out_path(args.json if args.json != "-" else None, "--json")
    if args.dataset is None and os.path.exists(source):
        check_in_path(source, "--input")
    weights = None
    if args.weights:
        try:
            weights = tuple(float(w) for w in args.weights.split(","))
        except ValueError:
            raise ValueError(f"--weights must be comma-separated numbers, got {args.weights!r}") from None
    apply_threads(args.threads, args.quiet)
    log = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr))
    t0 = time.perf_counter()
    graph, graph_file = read_graph_file(source, args.undirected, args.ids, args.columns)
    t_read = time.perf_counter() - t0
    for note in graph_file.notes if graph_file is not None else ():
        log(f"note: {source}: {note}")
    import numpy as np

    from graphsparse.embed.fastrp import FastRP
    overrides = dict(n_components=args.dim, direction=args.direction, column_block=args.column_block,
                     random_state=args.seed, verbose=args.verbose)
    if weights is not None:
        overrides["iteration_weights"] = weights
    if args.beta is not None:
        overrides["normalization_strength"] = args.beta
    if args.self_influence is not None:
        overrides["self_influence"] = args.self_influence
    factory = {"default": FastRP, "paper": FastRP.paper, "gds": FastRP.gds}[args.preset]
    model = factory(**overrides)
    if args.verbose:
        log(f"embedding {graph} with {model!r}")
    embedding = model.fit_transform(graph)
    with open(args.out, "wb") as handle:  # exactly --out (np.save on a name would append .npy)
        np.save(handle, embedding)
    nodes_file = None
    if graph_file is not None and not graph_file.mapping.is_identity:
        nodes_file = _nodes_path(args.out)
        graph_file.mapping.save(nodes_file)
    summary = dict(input=source, out=args.out, node_ids=nodes_file, num_nodes=graph.num_nodes,
                   num_edges=graph.num_edges, shape=list(embedding.shape), dtype=str(embedding.dtype),
                   read_s=round(t_read, 4), embed_s=round(model.timings_["total_s"], 4), seed=model.random_seed_,
                   params={k: (list(v) if isinstance(v, tuple) else v) for k, v in model.get_params().items()
                           if k not in ("dtype", "verbose")})
    lines = [f"wrote {args.out}: {embedding.shape[0]} x {embedding.shape[1]} float32 embedding of {graph} "
             f"in {summary['embed_s']:.2f} s"]
    if nodes_file:
        lines.append(f"wrote {nodes_file}: the file id of each row")
    report(args, summary, lines)
    return 0
