"""FastRP beyond one process: in memory vs out-of-core (sharded, no client) vs a Dask LocalCluster.

Section ``medium`` -- R-MAT 1M nodes / 10M undirected edges (20M stored), d = 128, GDS mode
(3 hops): the in-memory ``FastRP.fit``, ``fit_fastrp`` shard by shard in this process, and
``fit_fastrp`` on a ``LocalCluster`` of 2 worker processes x 1 thread, interleaved, best of
``--repeats``; the three embeddings are compared; bytes read from other shards' blocks per hop
(= what crosses the network when every shard sits on another machine) and every worker's peak RSS.

Section ``large`` -- a graph whose CSR + three n x d float32 buffers need more than twice the total
``memory_limit`` of the workers: a streamed R-MAT gzip edge list (default 2M nodes / 20M lines,
d = 128; ``--large-nodes 4000000 --large-edges 40000000 --large-limit 1.5e9 --large-rows-per-shard
65536`` is the issue's 4M/40M example at the same ratio) is built into shards by
``build_from_edgelist`` in a child process (time and peak RSS of that process), then embedded on a
LocalCluster of 2 workers (default ``memory_limit`` 0.75 GB each); every worker's peak RSS (VmHWM)
is recorded against its limit, with the worker's own baseline and the cost model's prediction.

Usage: ``flock /tmp/gs-heavy.lock nice -n 5 python benchmarks/distributed_fastrp.py [--quick]
[--sections medium large] [--work DIR]``. Writes ``benchmarks/results/distributed_fastrp.json``
(``--quick``: ``distributed_fastrp_quick.json``) after every section.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks._common import peak_rss_mb, write_result  # noqa: E402


def _cluster(memory_limit):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit=memory_limit,
                           dashboard_address=":0", silence_logs=40)
    client = Client(cluster)
    client.run(lambda: __import__("graphsparse.sharded.fastrp"))
    return cluster, client


def _warm(client, tmp):
    """Import + load the Numba cache on this process and the workers (not part of any timing)."""
    from graphsparse.datasets.generators import rmat
    from graphsparse.embed import FastRP
    from graphsparse.sharded import fit_fastrp, from_graph

    g = rmat(500, 2000, seed=0, directed=False)
    sg = from_graph(g, os.path.join(tmp, "warm"), num_shards=4, overwrite=True)
    FastRP.gds(n_components=8, random_state=0).fit(g)
    fit_fastrp(FastRP.gds(n_components=8, random_state=0), sg, verbose=False)
    if client is not None:
        fit_fastrp(FastRP.gds(n_components=8, random_state=0), sg, client, verbose=False)


def medium(args, out):
    import numba

    from graphsparse.datasets.generators import rmat
    from graphsparse.embed import FastRP
    from graphsparse.sharded import fit_fastrp, from_graph

    n, m = (1_000_000, 10_000_000) if not args.quick else (50_000, 500_000)
    d = 128
    tmp = os.path.join(args.work, "medium")
    os.makedirs(tmp, exist_ok=True)
    t0 = time.perf_counter()
    g = rmat(n, m, seed=0, directed=False)
    gen_s = time.perf_counter() - t0
    shards = args.medium_shards
    t0 = time.perf_counter()
    sg = from_graph(g, os.path.join(tmp, "graph"), num_shards=shards, overwrite=True)
    write_s = time.perf_counter() - t0
    cluster, client = _cluster("4GB")
    _warm(client, tmp)
    make = lambda: FastRP.gds(n_components=d, random_state=0)  # noqa: E731
    times = {"in_memory": [], "out_of_core": [], "local_cluster_2x1": []}
    results = {}
    for r in range(args.repeats):
        t0 = time.perf_counter()
        results["in_memory"] = make().fit(g)
        times["in_memory"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        results["out_of_core"] = fit_fastrp(make(), sg, work_dir=tmp, verbose=False)
        times["out_of_core"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        results["local_cluster_2x1"] = fit_fastrp(make(), sg, client, work_dir=tmp, verbose=False)
        times["local_cluster_2x1"].append(time.perf_counter() - t0)
        print(f"round {r}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in times.items()), flush=True)
    ref = results["in_memory"].embedding_
    best = {k: min(v) for k, v in times.items()}
    cl = results["local_cluster_2x1"].sharded_stats_
    oc = results["out_of_core"].sharded_stats_
    out[args.medium_key] = dict(
        graph=dict(generator="rmat", num_nodes=n, undirected_edges=m, stored_edges=g.num_edges, seed=0,
                   generate_s=round(gen_s, 2), write_shards_s=round(write_s, 2), num_shards=shards),
        fastrp=dict(mode="gds", n_components=d, hops=3, random_state=0),
        setup=dict(in_memory=f"one process, {numba.get_num_threads()} Numba threads",
                   out_of_core="fit_fastrp(client=None): shard by shard in this process, same threads",
                   local_cluster="LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit=4GB)"),
        seconds=dict(all=times, best=best),
        ratio_to_in_memory={k: round(best[k] / best["in_memory"], 3) for k in best},
        max_abs_diff_vs_in_memory={k: float(np.max(np.abs(results[k].embedding_ - ref))) for k in results},
        halo_bytes_per_hop=cl["remote_bytes_per_hop"],
        halo_bytes_per_hop_over_state_bytes=[round(b / (n * d * 4), 3) for b in cl["remote_bytes_per_hop"]],
        gathered_rows_per_hop=cl["gathered_rows_per_hop"],
        worker_peak_rss_mb={w: round(v / 2**20, 1) for w, v in cl["peak_rss_by_worker"].items()},
        client_process_peak_rss_mb=round(peak_rss_mb(), 1),
        out_of_core_stats=dict(halo_bytes_per_hop=oc["remote_bytes_per_hop"]),
        load_avg=os.getloadavg(),
    )
    client.close()
    cluster.close()
    shutil.rmtree(tmp, ignore_errors=True)


BUILD_CHILD = r"""
import json, sys, time
from graphsparse.sharded import build_from_edgelist
t0 = time.perf_counter()
g = build_from_edgelist(sys.argv[1], sys.argv[2], directed=False, num_nodes=int(sys.argv[3]),
                        rows_per_shard=int(sys.argv[4]), chunk_size=1 << 21, verbose=False)
seconds = time.perf_counter() - t0
hwm = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')][0]
print(json.dumps(dict(seconds=seconds, peak_rss_mb=hwm / 1024, num_edges=g.num_edges, num_shards=g.num_shards)))
"""


def _stream_rmat_gzip(n, m, path, seed=1, a=0.57, b=0.19, c=0.19, chunk=1 << 22):
    """Write ``m`` R-MAT edges (Graph500 quadrant law, ids permuted, no self-loops, rejection of
    ids >= n) to a gzip text edge list chunk by chunk: never the whole graph in memory.
    Duplicates are left in the file (the build merges them); returns the number of lines."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    perm = rng.permutation(n).astype(np.int64)
    scale = int(np.ceil(np.log2(n)))
    written = 0
    with gzip.open(path, "wt", compresslevel=1) as f:
        while written < m:
            size = min(chunk, int((m - written) * 1.15) + 16)
            u = np.zeros(size, np.int64)
            v = np.zeros(size, np.int64)
            for _ in range(scale):
                r = rng.random(size)
                u = (u << 1) | (r >= a + b)
                v = (v << 1) | (((r >= a) & (r < a + b)) | (r >= a + b + c))
            keep = (u < n) & (v < n) & (u != v)
            u, v = perm[u[keep]], perm[v[keep]]
            take = min(m - written, u.shape[0])
            pd.DataFrame({"u": u[:take], "v": v[:take]}).to_csv(f, sep=" ", header=False, index=False)
            written += take
    return written


def large(args, out):
    from graphsparse.embed import FastRP
    from graphsparse.sharded import fit_fastrp, open_graph

    n, m = (args.large_nodes, args.large_edges) if not args.quick else (200_000, 2_000_000)
    d = args.large_dim
    limit = args.large_limit if not args.quick else 0.5e9
    tmp = os.path.join(args.work, "large")
    os.makedirs(tmp, exist_ok=True)
    edge_file = os.path.join(tmp, "edges.txt.gz")
    t0 = time.perf_counter()
    lines = _stream_rmat_gzip(n, m, edge_file, seed=1)
    gzip_s = time.perf_counter() - t0
    print(f"large: gzip R-MAT edge list, {lines} lines, {os.path.getsize(edge_file) / 2**20:.0f} MB in {gzip_s:.0f}s",
          flush=True)
    rows_per_shard = args.large_rows_per_shard if not args.quick else 8192
    graph_dir = os.path.join(tmp, "graph")
    proc = subprocess.run([sys.executable, "-c", BUILD_CHILD, edge_file, graph_dir, str(n), str(rows_per_shard)],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ROOT})
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    build = json.loads(proc.stdout.strip().splitlines()[-1])
    build.update(edge_list_lines=lines, edge_list_gzip_mb=round(os.path.getsize(edge_file) / 2**20, 1))
    os.remove(edge_file)
    print(f"large: build {build}", flush=True)
    sg = open_graph(graph_dir)
    csr_bytes = sum(e["bytes"] for _, e in sg.files())
    buffers = 3 * n * d * 4
    out["large"] = dict(
        graph=dict(generator="streamed R-MAT edge list (a, b, c = .57, .19, .19; duplicates merged by the build)",
                   num_nodes=n, edge_list_lines=m, stored_edges=sg.num_edges, seed=1,
                   generate_and_gzip_s=round(gzip_s, 1), num_shards=sg.num_shards),
        build=build,
        memory=dict(csr_bytes=csr_bytes, embedding_buffers_bytes=buffers, worker_memory_limit_bytes=limit,
                    total_memory_limit_bytes=2 * limit, need_over_total_limit=round((csr_bytes + buffers) / (2 * limit), 2)),
        status="build finished; FastRP running",
    )
    write_result(args.name, out)
    cluster, client = _cluster(limit)
    baseline = client.run(_vm_rss)  # worker processes after importing graphsparse.sharded (M_0)
    out["large"]["worker_baseline_rss_mb"] = {w: round(v / 2**20, 1) for w, v in baseline.items()}
    t0 = time.perf_counter()
    try:
        est = fit_fastrp(FastRP.gds(n_components=d, random_state=0), sg, client, out=os.path.join(tmp, "embedding"),
                         work_dir=tmp, verbose=False)
    except Exception as exc:
        out["large"].update(status=f"failed after {time.perf_counter() - t0:.0f}s: {type(exc).__name__}: {exc}"[:2000])
        client.close()
        cluster.close()
        raise
    fit_s = time.perf_counter() - t0
    stats = est.sharded_stats_
    emb = est.embedding_store_
    S = sg.num_shards
    mean_u = stats["gathered_rows_per_hop"][0] / S
    m0 = max(baseline.values())
    model = m0 + 12 * sg.num_edges / S + 16 * n / S + 4 * d * (mean_u + 3 * n / S)
    out["large"]["memory_model"] = dict(
        formula="M_0 + 12 E/S + 16 n/S + 4 d (|U_s| + 3 n/S), |U_s| = mean gathered rows per shard",
        predicted_task_peak_mb=round(model / 2**20, 1), mean_gathered_rows_per_shard=round(mean_u))
    sample = np.asarray(emb.block(0)[:1000])
    peaks = {w: v for w, v in stats["peak_rss_by_worker"].items()}
    info = client.scheduler_info()
    out["large"].update(
        status="completed",
        fastrp=dict(mode="gds", n_components=d, hops=3, seconds=round(fit_s, 1), timings=est.timings_,
                    cluster="LocalCluster(n_workers=2, threads_per_worker=1, processes=True)"),
        halo_bytes_per_hop=stats["remote_bytes_per_hop"],
        halo_bytes_per_hop_over_state_bytes=[round(b / (n * d * 4), 3) for b in stats["remote_bytes_per_hop"]],
        worker_peak_rss_mb={w: round(v / 2**20, 1) for w, v in peaks.items()},
        worker_peak_rss_over_limit={w: round(v / limit, 3) for w, v in peaks.items()},
        all_workers_under_limit=bool(all(v < limit for v in peaks.values())),
        workers_at_end=len(info["workers"]),
        sample_row_norms_finite=bool(np.isfinite(sample).all()),
        load_avg=os.getloadavg(),
    )
    client.close()
    cluster.close()
    shutil.rmtree(tmp, ignore_errors=True)


def _vm_rss():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sections", nargs="+", default=["medium", "large"], choices=["medium", "large"])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--medium-shards", type=int, default=8)
    parser.add_argument("--medium-key", default="medium", help="JSON key of the medium section")
    # 4M/40M with 1.5 GB workers is the example; the recorded run is the same ratio at half
    # size (2M/20M, 0.75 GB workers), which fitted in the time the shared machine left
    parser.add_argument("--large-nodes", type=int, default=2_000_000)
    parser.add_argument("--large-edges", type=int, default=20_000_000)
    parser.add_argument("--large-dim", type=int, default=128)
    parser.add_argument("--large-limit", type=float, default=0.75e9, help="memory_limit of each worker, bytes")
    parser.add_argument("--large-rows-per-shard", type=int, default=32768)
    parser.add_argument("--work", default=os.path.join("/work", "tmp-h18"))
    args = parser.parse_args()
    args.name = "distributed_fastrp_quick" if args.quick else "distributed_fastrp"
    os.makedirs(args.work, exist_ok=True)
    path = os.path.join(ROOT, "benchmarks", "results", f"{args.name}.json")
    out = {}
    if os.path.exists(path):  # keep a section measured by an earlier invocation
        with open(path) as f:
            old = json.load(f)
        out = {k: v for k, v in old.items() if k.startswith(("medium", "large"))}
    for section in args.sections:
        print(f"== {section}", flush=True)
        {"medium": medium, "large": large}[section](args, out)
        write_result(args.name, out)


if __name__ == "__main__":
    main()
