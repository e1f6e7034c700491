"""Issue 13, reproducer 5: Python threads calling the backend's parallel kernels at once.

Under Numba's ``workqueue`` layer (the one ``import graphsparse`` selects) two threads launching
``prange`` kernels concurrently abort the process (SIGABRT). The backend serialises its parallel
kernels with one process-wide lock (``graphsparse.kernels.parallel_section``); these tests run
4 threads in a child interpreter, so an abort fails the test, and compare with sequential results.
"""
from __future__ import annotations

import numpy as np

from _isolate import run_isolated

# shared by the workloads below: 4 threads at once must give the sequential results
THREAD_HARNESS = """
import threading
import numpy as np

def run_in_threads(work, num_threads=4):
    sequential = [work(k) for k in range(num_threads)]
    results = [None] * num_threads
    threads = [threading.Thread(target=lambda k=k: results.__setitem__(k, work(k))) for k in range(num_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(num_threads):
        assert results[k] is not None, (work.__name__, k)
        np.testing.assert_array_equal(results[k], sequential[k])
"""

WORKLOAD = THREAD_HARNESS + """
import threading
import numpy as np
import numba
import graphsparse as gs
from graphsparse import kernels

assert numba.config.THREADING_LAYER == {layer!r}, numba.config.THREADING_LAYER
rng = np.random.default_rng(0)
n, m = 4000, 40000
g = gs.as_graph(rng.integers(0, n, (2, m)), num_nodes=n)
x = rng.standard_normal((n, 32)).astype(np.float32)

def spmm_work(k):
    out = x
    for _ in range(4):
        out = gs.spmm(g, out, row_scale=gs.degree_power(g.out_degree(), -1.0))
    return out

def fastrp_like(k):
    # FastRP's steps on the backend: a sparse random projection, degree-normalised propagation,
    # normalised weights, transpose / symmetrise / subgraph / gather (every parallel kernel)
    r = np.random.default_rng(k)
    proj = (r.choice([-1.0, 0.0, 1.0], size=(n, 16), p=[1 / 6, 2 / 3, 1 / 6]) * np.sqrt(3)).astype(np.float32)
    sym = g.symmetrize("sum")
    a = sym.with_weights(gs.normalized_weights(sym, -1.0, 0.0))
    emb = np.zeros_like(proj)
    cur = proj
    for beta in (0.0, 1.0, 1.0):
        cur = gs.spmm(a, cur)
        emb += beta * cur
    t = g.transpose()
    sub = sym.subgraph(np.arange(0, n, 7)[::-1])
    rows = gs.gather_rows(emb, np.arange(n)[::-1])
    return np.concatenate([emb.ravel(), rows[:5].ravel(), t.in_degree(True)[:100],
                           np.asarray([sub.num_edges, int(g.is_symmetric()), g.remove_self_loops().num_edges])])

for work in (spmm_work, fastrp_like):
    run_in_threads(work)
print("THREADS-OK", numba.threading_layer())
"""


def test_threads_share_the_backend_kernels_under_workqueue():
    proc = run_isolated(WORKLOAD.format(layer="workqueue"), env={"NUMBA_NUM_THREADS": "2"})
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "THREADS-OK workqueue" in proc.stdout


def test_parallel_section_is_reentrant_and_serialises():
    import threading
    import time

    from graphsparse.kernels import parallel_section, serialized
    from graphsparse.kernels import threads as threads_module

    if threads_module._threadsafe_layer():  # another layer was chosen for this process: no lock to test
        return
    inside, peak = [0], [0]

    @serialized
    def critical():
        with parallel_section():  # nested: the lock is re-entrant
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])
            time.sleep(0.01)
            inside[0] -= 1
        return 1

    workers = [threading.Thread(target=critical) for _ in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert peak[0] == 1
    assert critical.kernel is not None and critical() == 1


def test_backend_parallel_kernels_are_all_wrapped():
    from graphsparse import kernels
    from graphsparse.kernels import csr

    for name in csr.__all__:
        fn = getattr(csr, name)
        parallel = bool(getattr(fn, "targetoptions", {}).get("parallel"))
        if parallel:
            assert name in kernels.PARALLEL_KERNELS and getattr(kernels, name).kernel is fn, name
    # and a wrapped kernel computes what the raw one does
    indptr, indices = np.array([0, 1, 2]), np.array([1, 0], np.int32)
    dense = np.eye(2, dtype=np.float32)
    np.testing.assert_array_equal(kernels.spmm_unweighted(indptr, indices, dense, np.empty((2, 2), np.float32)),
                                  np.array([[0, 1], [1, 0]], np.float32))


CAPABILITIES_WORKLOAD = THREAD_HARNESS + """
import threading
import numpy as np
import graphsparse as gs
from graphsparse.datasets.generators import rmat
from graphsparse.embed import FastRP
from graphsparse.sparsify import edge_scores, teddy_edge_scores

g = rmat(3000, 30000, seed=1, directed=False)

def capabilities(k):
    # the capability modules' own prange kernels: FastRP's projection / propagation / z-score,
    # TEDDY's node terms and edge scores, degree-pair scores, the R-MAT generator
    emb = FastRP.gds(n_components=16, random_state=k).fit_transform(g)
    paper = FastRP.paper(n_components=8, random_state=k).fit_transform(g)
    teddy = teddy_edge_scores(g)
    degree = edge_scores(g, "degree")
    fresh = rmat(500, 3000, seed=k, directed=True)
    return np.concatenate([emb.ravel(), paper.ravel(), teddy, degree, fresh.indices.astype(np.float64)])

run_in_threads(capabilities)
print("CAPABILITY-THREADS-OK")
"""


def test_threads_share_the_capability_kernels_under_workqueue():
    """FastRP, TEDDY and the R-MAT generator from 4 threads at once: no abort, sequential results."""
    proc = run_isolated(CAPABILITIES_WORKLOAD, env={"NUMBA_NUM_THREADS": "2"})
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "CAPABILITY-THREADS-OK" in proc.stdout
