"""Crash fuzzing of the backend's entry points: malformed input ends in ValueError/TypeError, never a signal.

Each family of cases runs as one batch in a child interpreter (``python test_core_fuzz.py FAMILY N``)
driven by hypothesis (derandomized, so a run is reproducible); the parent test fails when the child
dies of a signal (SIGSEGV, SIGABRT: ``run_isolated``) or ends in any other exception. Before each
call the child writes the case to stderr, so a crash report names the input that caused it.

Whenever an input is accepted, the result is checked against a dense NumPy reference (so "no crash"
cannot hide "silently wrong"). Default: 40 cases per family, all families in one child (~20-30 s);
``--slow`` runs 1500 per family, one child each.
"""
from __future__ import annotations

import os
import sys

import pytest

from _isolate import run_isolated

FAMILIES = ("csr", "edge_index", "scipy_torch", "vectors", "files")
DEFAULT_CASES = 40  # per family, all families in one child (~20 s on the shared 2-core machine)
SLOW_CASES = 1500  # per family, one child per family


def _run_families(families, cases: int, tmp_path) -> None:
    proc = run_isolated("", args=[os.path.abspath(__file__), ",".join(families), str(cases), str(tmp_path)],
                        timeout=900)
    assert proc.returncode == 0, f"fuzz families {families} failed:\n{proc.stderr[-6000:]}"
    for family in families:
        assert f"FUZZ-DONE {family}" in proc.stdout, proc.stdout[-2000:]


def test_fuzz_core_entry_points(tmp_path):
    _run_families(FAMILIES, DEFAULT_CASES, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_fuzz_core_entry_points_large(family, tmp_path):
    _run_families([family], SLOW_CASES, tmp_path)


# ------------------------------------------------------------------------------------ the child
def _child(families: str, cases: int, workdir: str) -> None:  # pragma: no cover - runs in a subprocess
    for family in families.split(","):
        _child_family(family, cases, workdir)


def _child_family(family: str, cases: int, workdir: str) -> None:  # pragma: no cover - runs in a subprocess
    import warnings

    import numpy as np
    import scipy.sparse as sp
    import torch
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    import graphsparse as gs
    from graphsparse import Graph, as_graph

    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    clear = (ValueError, TypeError)
    config = settings(max_examples=cases, derandomize=True, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck), print_blob=False)

    def note(*parts):
        sys.stderr.write("CASE " + " | ".join(repr(p) for p in parts) + "\n")
        sys.stderr.flush()

    def dense_of(g: Graph) -> np.ndarray:
        a = np.zeros((g.num_nodes, g.num_nodes), np.float64)
        w = g.edge_weights()
        for i in range(g.num_nodes):
            for e in range(g.indptr[i], g.indptr[i + 1]):
                a[i, g.indices[e]] += w[e]
        return a

    def exercise(g: Graph) -> None:
        """Every backend operation on an accepted graph, each checked against dense NumPy."""
        n = g.num_nodes
        assert n <= 64 or g.num_edges == 0, f"a tiny input made a graph of {n} nodes"
        if n > 64:
            return
        a = dense_of(g)
        for i in range(n):  # the invariants every kernel relies on
            row = g.indices[g.indptr[i]:g.indptr[i + 1]]
            assert np.all(np.diff(row) > 0) and (row.size == 0 or (row[0] >= 0 and row[-1] < n))
        x = np.arange(n * 3, dtype=np.float32).reshape(n, 3) / 7
        np.testing.assert_allclose(gs.spmm(g, x), a @ x, rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(gs.spmm(g, x, transpose=True), a.T @ x, rtol=1e-4, atol=1e-3)
        np.testing.assert_array_equal(g.in_degree(), np.bincount(g.indices, minlength=n))
        np.testing.assert_allclose(g.in_degree(True), a.sum(0), rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(dense_of(g.transpose()), a.T)
        s = g.symmetrize("sum")
        np.testing.assert_allclose(dense_of(s), a + a.T if g.directed else a, rtol=1e-5, atol=1e-5)
        normalized = gs.normalized_weights(g, -0.5, -0.5)
        assert normalized.shape == (g.num_edges,) and np.isfinite(normalized).all()
        if n:
            nodes = np.arange(n)[::-1][: max(1, n // 2)]
            np.testing.assert_allclose(dense_of(g.subgraph(nodes)), a[np.ix_(nodes, nodes)])
        mask = np.arange(g.num_edges) % 2 == 0
        assert g.filter_edges(mask).num_edges == int(mask.sum())

    ids = st.one_of(st.integers(-3, 12), st.sampled_from([2**31 - 1, 2**31, 2**32 + 1, 2**40, -(2**31)]))
    weight_values = st.one_of(st.floats(-3, 3), st.sampled_from([np.nan, np.inf, -np.inf, 1e39, 0.0]))
    index_dtypes = st.sampled_from(["int32", "int64", "uint32", "uint64", "int16", "float64", "bool", "object"])

    def as_dtype(values, dtype):
        if dtype == "object":
            return np.array(values, dtype=object)
        with np.errstate(all="ignore"):
            try:
                return np.array(values).astype(dtype)
            except (OverflowError, ValueError):
                return np.array(values, dtype=np.int64)

    if family == "csr":
        @config
        @given(n=st.integers(0, 6), indptr=st.lists(ids, max_size=9), indices=st.lists(ids, max_size=12),
               weights=st.none() | st.lists(weight_values, max_size=12), ip_dtype=index_dtypes,
               ix_dtype=index_dtypes, n_kind=st.sampled_from(["int", "np", "float", "neg", "bool"]),
               valid_ptr=st.booleans())
        def case(n, indptr, indices, weights, ip_dtype, ix_dtype, n_kind, valid_ptr):
            if valid_ptr:  # half the cases: a consistent indptr, so the index checks are reached
                counts = np.sort(np.random.default_rng(len(indices)).integers(0, len(indices) + 1, max(n - 1, 0)))
                indptr = [0] + counts.tolist() + [len(indices)] if n else [0]
            num = {"int": n, "np": np.int64(n), "float": float(n), "neg": -n - 1, "bool": True}[n_kind]
            args = (as_dtype(indptr, ip_dtype), as_dtype(indices, ix_dtype),
                    None if weights is None else np.array(weights), num)
            note("Graph", *args)
            try:
                g = Graph(*args)
            except clear:
                g = None
            path = os.path.join(workdir, "csr.npz")  # the same arrays, arriving from a file
            arrays = dict(indptr=args[0], indices=args[1], num_nodes=np.asarray(num), directed=np.bool_(True))
            if weights is not None:
                arrays["weights"] = args[2]
            try:
                np.savez(path, **arrays)
            except (ValueError, TypeError):
                pass
            else:
                note("Graph.load", arrays)
                try:
                    loaded = Graph.load(path)
                    assert g is not None, "Graph.load accepted arrays that the constructor refused"
                    assert loaded == g
                except clear:
                    assert g is None or ix_dtype == "object" or ip_dtype == "object" or n_kind != "int", \
                        "Graph.load refused arrays that the constructor accepted"
            if g is not None:
                exercise(g)

    elif family == "edge_index":
        @config
        @given(src=st.lists(ids, max_size=10), dst_shift=st.integers(-2, 2), dtype=index_dtypes,
               floaty=st.sampled_from([None, 0.0, 0.5]), num_nodes=st.none() | st.integers(-1, 14),
               weights=st.none() | st.lists(weight_values, max_size=10), reduce=st.sampled_from(["sum", "max"]),
               directed=st.sampled_from([None, True, False]), torch_input=st.booleans())
        def case(src, dst_shift, dtype, floaty, num_nodes, weights, reduce, directed, torch_input):
            dst = [(v + dst_shift) if abs(v) < 100 else v for v in src]
            edges = as_dtype([src, dst], dtype)
            if floaty is not None and edges.dtype.kind in "iu":
                edges = edges.astype(np.float64) + floaty
            w = None if weights is None else np.array(weights)
            if torch_input and edges.dtype.kind in "if" and edges.dtype != np.uint64:
                try:
                    edges = torch.from_numpy(np.ascontiguousarray(edges))
                except TypeError:
                    pass
            note("as_graph", edges, num_nodes, w, reduce, directed)
            try:
                g = as_graph(edges, num_nodes=num_nodes, edge_weight=w, reduce=reduce, directed=directed)
            except clear:
                return
            e = np.asarray(edges, dtype=np.float64)
            if e.size == 0:
                assert g.num_edges == 0 and g.num_nodes == num_nodes
                return
            assert np.array_equal(e, np.trunc(e)) and e.min() >= 0 and e.max() < g.num_nodes
            ref = np.zeros((g.num_nodes, g.num_nodes))
            ww = np.ones(e.shape[1]) if w is None else w.astype(np.float32).astype(np.float64)
            for (i, j), v in zip(e.T.astype(np.int64), ww):
                ref[i, j] = ref[i, j] + v if reduce == "sum" else (max(ref[i, j], v) if ref[i, j] else v)
            if directed is False and not np.array_equal(ref != 0, (ref != 0).T):
                ref = np.maximum(ref, ref.T)
            if w is None and reduce == "max":
                ref = (ref != 0).astype(float)
            got = dense_of(g)
            if np.all(ww > 0):  # zero / negative weights: the structure is not ref != 0, skip the reference
                np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
            exercise(g)

    elif family == "scipy_torch":
        @config
        @given(n=st.integers(0, 5), indptr=st.lists(st.integers(-2, 8), max_size=7),
               indices=st.lists(st.integers(-3, 9), max_size=8), values=st.lists(weight_values, max_size=8),
               fmt=st.sampled_from(["csr", "csc", "coo", "torch_csr", "torch_coo"]), fix_ptr=st.booleans())
        def case(n, indptr, indices, values, fmt, fix_ptr):
            m = len(indices)
            values = (values + [1.0] * m)[:m]
            if fix_ptr:
                counts = np.sort(np.random.default_rng(m).integers(0, m + 1, max(n - 1, 0)))
                indptr = [0] + counts.tolist() + [m] if n else [0]
            note(fmt, n, indptr, indices, values)
            try:
                if fmt in ("csr", "csc"):
                    cls = sp.csr_matrix if fmt == "csr" else sp.csc_matrix
                    obj = cls((np.array(values), np.array(indices, np.int64), np.array(indptr, np.int64)), shape=(n, n))
                elif fmt == "coo":
                    half = m // 2
                    obj = sp.coo_matrix((np.array(values[:half]), (np.array(indices[:half]),
                                                                   np.array(indices[half:2 * half]))), shape=(n, n))
                elif fmt == "torch_csr":
                    obj = torch.sparse_csr_tensor(torch.tensor(indptr, dtype=torch.int64),
                                                  torch.tensor(indices, dtype=torch.int64),
                                                  torch.tensor(values, dtype=torch.float32), size=(n, n))
                else:
                    half = m // 2
                    idx = torch.tensor([indices[:half], indices[half:2 * half]], dtype=torch.int64).reshape(2, half)
                    obj = torch.sparse_coo_tensor(idx, torch.tensor(values[:half], dtype=torch.float32), size=(n, n),
                                                  check_invariants=False)
            except (ValueError, TypeError, RuntimeError):
                return  # SciPy / torch refused to build it: nothing reaches graphsparse
            try:
                g = as_graph(obj)
            except clear:
                return
            exercise(g)

    elif family == "vectors":
        g = as_graph(np.array([[0, 1, 1, 2, 3], [1, 0, 2, 3, 0]]), edge_weight=[1.0, 2.0, 3.0, 4.0, 5.0])
        n = g.num_nodes
        vec = st.one_of(st.none(), st.lists(weight_values, max_size=6).map(np.array),
                        st.lists(st.integers(-2, 6), max_size=6).map(np.array))

        @config
        @given(row=vec, col=vec, ids=st.lists(ids, max_size=6), id_dtype=index_dtypes, mask=st.lists(st.booleans(), max_size=7),
               op=st.sampled_from(["spmm", "normalized_weights", "gather_rows", "subgraph", "filter_edges", "degree_power",
                                   "out", "add_self_loops"]), exponent=weight_values)
        def case(row, col, ids, id_dtype, mask, op, exponent):
            note(op, row, col, ids, id_dtype, mask, exponent)
            x = np.ones((n, 2), np.float32)
            try:
                if op == "spmm":
                    out = gs.spmm(g, x, row_scale=row, col_scale=col)
                    r32 = 1 if row is None else row.astype(np.float32)[:, None]  # the scales are float32
                    c32 = 1 if col is None else col.astype(np.float32)[None, :]
                    a = dense_of(g) * r32 * c32
                    np.testing.assert_allclose(out, a @ x, rtol=1e-4, atol=1e-30)
                elif op == "normalized_weights":
                    out = gs.normalized_weights(g, -0.5, -1.0, row_degree=row, col_degree=col)
                    assert out.shape == (g.num_edges,)
                elif op == "gather_rows":
                    index = as_dtype(ids, id_dtype)
                    out = gs.gather_rows(np.arange(n * 2, dtype=np.float64).reshape(n, 2), index)
                    np.testing.assert_array_equal(out[:, 0], 2 * np.asarray(index, np.int64))
                elif op == "subgraph":
                    sub = g.subgraph(as_dtype(ids, id_dtype))
                    assert sub.num_nodes == len(ids)
                elif op == "filter_edges":
                    assert g.filter_edges(np.array(mask, dtype=bool)).num_edges == sum(mask)
                elif op == "degree_power":
                    out = gs.degree_power(np.zeros(3) if row is None else row, exponent)
                    assert np.isfinite(out).all()
                elif op == "out":
                    buf = np.zeros((max(len(ids), 1), 2 if id_dtype != "int16" else 3), np.float32)
                    gs.spmm(g, x, out=buf)
                    np.testing.assert_allclose(buf, dense_of(g) @ x, rtol=1e-5)
                else:
                    looped = g.add_self_loops(exponent)
                    assert looped.num_edges == g.num_edges + n
            except clear:
                pass

    elif family == "files":
        graphs = [as_graph(np.array([[0, 1, 1, 2, 3], [1, 0, 2, 3, 0]]), edge_weight=[1.0, 2.0, 3.0, 4.0, 5.0]),
                  as_graph(np.array([[0, 1, 2], [1, 2, 0]]), num_nodes=5).with_node_labels(["a", "b", "c", "d", "e"])]
        blobs = []
        for k, graph in enumerate(graphs):
            path = graph.save(os.path.join(workdir, f"valid{k}"))
            with open(path, "rb") as fh:
                blobs.append(fh.read())

        @config
        @given(which=st.integers(0, 1), cut=st.none() | st.integers(0, 4000),
               flips=st.lists(st.tuples(st.integers(0, 4000), st.integers(1, 255)), max_size=4))
        def case(which, cut, flips):
            blob = bytearray(blobs[which])
            for pos, xor in flips:
                blob[pos % len(blob)] ^= xor
            if cut is not None:
                blob = blob[: cut % (len(blob) + 1)]
            path = os.path.join(workdir, "fuzzed.npz")
            with open(path, "wb") as fh:
                fh.write(bytes(blob))
            note("Graph.load", which, cut, flips)
            try:
                loaded = Graph.load(path)
            except ValueError as exc:
                assert "graph file" in str(exc), f"the error does not name the file: {exc}"
                return
            exercise(loaded)

    else:
        raise SystemExit(f"unknown family {family}")

    case()
    sys.stdout.write(f"FUZZ-DONE {family}\n")
    sys.stdout.flush()


if __name__ == "__main__":  # pragma: no cover
    _child(sys.argv[1], int(sys.argv[2]), sys.argv[3])
