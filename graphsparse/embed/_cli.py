"""``graphsparse embed``: FastRP embeddings of an edge list, a saved graph or a registered dataset.

    graphsparse embed --input edges.txt --dim 128 --out emb.npy
    graphsparse embed --input blogcatalog --dim 512 --preset paper --out emb.npy --json

``--input`` is a whitespace/comma separated edge list (``src dst [weight]``, ``#`` comments;
``.txt``/``.csv``/``.tsv``/``.edgelist`` or any other text file), a ``.npz`` written by
``Graph.save`` or a SciPy sparse ``.npz`` (``scipy.sparse.save_npz``), or a dataset name of
``graphsparse.datasets``. Writes the float32 embedding to ``--out`` (``.npy``) and prints a JSON
summary (timings, shape, parameters).
"""
from __future__ import annotations

import os
import sys
import time

from graphsparse.cli import emit_json

__all__ = ["register", "run", "read_graph"]


def register(subparsers) -> None:
    parser = subparsers.add_parser("embed", help="FastRP node embeddings (paper or Neo4j GDS variant)",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("--input", "-i", required=True, help="edge list file, .npz graph, or dataset name")
    parser.add_argument("--out", "-o", required=True, help="output .npy file (float32, n_nodes x dim)")
    parser.add_argument("--dim", type=int, default=128, help="embedding dimension (default 128)")
    parser.add_argument("--preset", choices=("paper", "gds"), default="paper",
                        help="paper: [0,0,1,6.67], beta=-0.64, z-scored; gds: [0,1,1], beta=0, s=3")
    parser.add_argument("--weights", type=str, default=None,
                        help="iteration weights, comma separated (overrides the preset), e.g. 0,0,1,6.67")
    parser.add_argument("--beta", type=float, default=None, help="normalization strength (overrides the preset)")
    parser.add_argument("--self-influence", type=float, default=None, help="weight of the hop-0 term")
    parser.add_argument("--direction", choices=("out", "in", "both"), default="out")
    parser.add_argument("--undirected", action="store_true", help="symmetrise an edge list (each line = both ways)")
    parser.add_argument("--column-block", type=int, default=None, help="compute this many columns at a time")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--json", default=None, help="also write the JSON summary to this file")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("--verbose", "-v", action="store_true", help="progress bars")
    verbosity.add_argument("--quiet", "-q", action="store_true", help="print nothing")
    parser.set_defaults(func=run)


def read_graph(source: str, undirected: bool = False):
    """Graph from an edge list / .npz path, or a dataset name."""
    import numpy as np
    import scipy.sparse as sp

    from graphsparse.graph import Graph, as_graph

    if os.path.isfile(source):
        if source.endswith(".npz"):
            with np.load(source, allow_pickle=False) as archive:
                is_graph = "indptr" in archive.files and "num_nodes" in archive.files
            graph = Graph.load(source) if is_graph else as_graph(sp.load_npz(source))
        else:
            rows = np.loadtxt(source, comments="#", delimiter="," if source.endswith(".csv") else None, ndmin=2)
            if rows.shape[1] not in (2, 3):
                raise ValueError(f"{source}: expected 2 or 3 columns (src dst [weight]), got {rows.shape[1]}")
            edge_index = rows[:, :2].astype(np.int64).T
            weight = rows[:, 2] if rows.shape[1] == 3 else None
            graph = as_graph(edge_index, edge_weight=weight)
        if undirected and graph.directed:
            graph = as_graph(graph, directed=False)
        return graph
    try:
        from graphsparse.datasets import load_graph
    except ImportError as err:  # pragma: no cover
        raise FileNotFoundError(f"{source!r} is neither a file nor a dataset name ({err})") from err
    try:
        return load_graph(source)
    except (KeyError, ValueError) as err:
        raise FileNotFoundError(f"{source!r} is neither a file nor a known dataset name: {err}") from err


def run(args) -> int:
    import numpy as np

    from graphsparse.embed.fastrp import FastRP

    log = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr))
    try:
        t0 = time.perf_counter()
        graph = read_graph(args.input, args.undirected)
        t_read = time.perf_counter() - t0
        overrides = dict(n_components=args.dim, direction=args.direction, column_block=args.column_block,
                         random_state=args.seed, verbose=args.verbose)
        if args.weights:
            overrides["iteration_weights"] = tuple(float(w) for w in args.weights.split(","))
        if args.beta is not None:
            overrides["normalization_strength"] = args.beta
        if args.self_influence is not None:
            overrides["self_influence"] = args.self_influence
        factory = FastRP.gds if args.preset == "gds" else FastRP.paper
        model = factory(**overrides)
        log(f"embedding {graph} with {model!r}")
        embedding = model.fit_transform(graph)
        out_dir = os.path.dirname(os.path.abspath(args.out))
        os.makedirs(out_dir, exist_ok=True)
        np.save(args.out, embedding)
    except (ValueError, TypeError, FileNotFoundError, OSError) as err:
        print(f"graphsparse embed: error: {err}", file=sys.stderr)
        return 2
    summary = dict(input=args.input, out=args.out, num_nodes=graph.num_nodes, num_edges=graph.num_edges,
                   shape=list(embedding.shape), dtype=str(embedding.dtype), read_s=round(t_read, 4),
                   embed_s=round(model.timings_["total_s"], 4), seed=model.random_seed_,
                   params={k: (list(v) if isinstance(v, tuple) else v) for k, v in model.get_params().items()
                           if k not in ("dtype", "verbose")})
    emit_json(summary, args.json, args.quiet)
    return 0
