"""Issue 13's reproducers for the backend, each pinned by a named test.

Inputs that used to crash the interpreter (reproducers 1 and 2) run in one child process
(``run_isolated``), so a segfault fails the tests instead of the test run; the rest run in-process
(they used to return garbage or the wrong error, not crash).
"""
from __future__ import annotations

import json
import os

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import graphsparse as gs
from graphsparse import Graph, as_graph
from graphsparse.graph import validate_csr

from _isolate import run_isolated

CRASHERS = r'''
import json, sys, warnings
import numpy as np, scipy.sparse as sp, torch
warnings.simplefilter("ignore")
import graphsparse as gs
from graphsparse import Graph, as_graph
folder = sys.argv[1]
results = {}

def attempt(name, fn):
    try:
        value = fn()
        results[name] = "OK " + repr(value)[:200]
    except Exception as exc:
        results[name] = f"{type(exc).__name__}: {exc}"

def csr(col, indptr=(0, 1, 2)):
    return sp.csr_matrix((np.ones(2, np.float32), np.array([1, col], np.int32), np.array(indptr)), shape=(2, 2))

attempt("scipy_col_1e8", lambda: as_graph(csr(10**8)))
attempt("scipy_col_eq_n", lambda: as_graph(csr(2)))
attempt("scipy_col_negative", lambda: as_graph(csr(-1)))
bad_ptr = csr(0)
bad_ptr.indptr = np.array([0, 2, 1], dtype=bad_ptr.indptr.dtype)
attempt("scipy_indptr_decreasing", lambda: as_graph(bad_ptr))
attempt("scipy_csc_row_out_of_range", lambda: as_graph(sp.csc_matrix(
    (np.ones(2), np.array([1, 7]), np.array([0, 1, 2])), shape=(2, 2))))
attempt("torch_csr_col_1e8", lambda: as_graph(torch.sparse_csr_tensor(
    torch.tensor([0, 1, 2]), torch.tensor([1, 10**8]), torch.ones(2), size=(2, 2))))
attempt("torch_coo_col_out_of_range", lambda: as_graph(torch.sparse_coo_tensor(
    torch.tensor([[0, 1], [1, 9]]), torch.ones(2), size=(2, 2), check_invariants=False)))

def fastrp_fit():
    from graphsparse.embed import FastRP
    return FastRP(n_components=8, random_state=0).fit(csr(10**8))
attempt("fastrp_fit_scipy_col_1e8", fastrp_fit)

files = {
    "out_of_range": dict(indptr=np.array([0, 1, 2]), indices=np.array([1, 10**8], np.int32)),
    "indptr_not_monotone": dict(indptr=np.array([0, 3, 2]), indices=np.array([1, 0], np.int32)),
    "float_indices": dict(indptr=np.array([0, 1, 2]), indices=np.array([1.0, 0.0])),
    "nan_weights": dict(indptr=np.array([0, 1, 2]), indices=np.array([1, 0], np.int32),
                        weights=np.array([np.nan, 1.0], np.float32)),
}
for key, arrays in files.items():
    path = f"{folder}/{key}.npz"
    np.savez(path, num_nodes=np.int64(2), directed=np.bool_(True), **arrays)
    def load_and_use(path=path):
        g = Graph.load(path)
        x = np.ones((2, 2), np.float32)
        return gs.spmm(g, x), g.in_degree(), g.transpose(), g.out_degree(True)
    attempt("load_" + key, load_and_use)
print("RESULTS " + json.dumps(results))
'''


@pytest.fixture(scope="module")
def crash_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crashers")
    proc = run_isolated(CRASHERS, args=["-c", CRASHERS, str(folder)])
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULTS ")][-1]
    return json.loads(line[len("RESULTS "):]), str(folder)


@pytest.mark.parametrize("case,match", [
    ("scipy_col_1e8", r"node id >= num_nodes=2 \(row 1, position 1: column 100000000\)"),
    ("scipy_col_eq_n", r"node id >= num_nodes=2 \(row 1, position 1: column 2\)"),
    ("scipy_col_negative", "negative node id"),
    ("scipy_indptr_decreasing", "non-decreasing"),
    ("scipy_csc_row_out_of_range", "num_nodes=2"),
    ("torch_csr_col_1e8", "num_nodes=2"),
    ("torch_coo_col_out_of_range", "9 >= num_nodes=2"),
    ("fastrp_fit_scipy_col_1e8", "num_nodes=2"),
])
def test_repro1_sparse_inputs_with_bad_indices_raise_instead_of_segfault(crash_results, case, match):
    import re

    result = crash_results[0][case]
    assert result.startswith("ValueError: "), result
    assert re.search(match, result), result


@pytest.mark.parametrize("case,match", [
    ("load_out_of_range", "node id >= num_nodes=2"),
    ("load_indptr_not_monotone", "non-decreasing"),
    ("load_float_indices", "'indices' has dtype float64"),
    ("load_nan_weights", "finite"),
])
def test_repro2_graph_load_validates_what_it_reads(crash_results, case, match):
    result = crash_results[0][case]
    assert result.startswith("ValueError: "), result
    assert match in result and crash_results[1] in result, result  # names the problem and the file


# ----------------------------------------------------------------------------- reproducer 3
def test_repro3_normalized_weights_wrong_length_degree_vector():
    g = as_graph(np.array([[0, 1, 2], [1, 2, 0]]))
    with pytest.raises(ValueError, match=r"row_degree must have shape \(3,\)"):
        gs.normalized_weights(g, -0.5, -0.5, row_degree=np.ones(1))
    with pytest.raises(ValueError, match=r"col_degree must have shape \(3,\)"):
        gs.normalized_weights(g, -0.5, -0.5, col_degree=np.ones(7))
    with pytest.raises(ValueError, match="finite"):
        gs.normalized_weights(g, -0.5, -0.5, col_degree=np.array([1.0, np.nan, 1.0]))
    # the right length still gives the formula w_ij r_i^a c_j^b
    got = gs.normalized_weights(g, -1.0, 0.0, row_degree=np.array([2.0, 4.0, 8.0]))
    np.testing.assert_allclose(got, [0.5, 0.25, 0.125])


def test_spmm_scales_and_out_buffers_are_checked():
    g = as_graph(np.array([[0, 1, 2], [1, 2, 0]]))
    x = np.ones((3, 2), np.float32)
    with pytest.raises(ValueError, match="row_scale must be finite"):
        gs.spmm(g, x, row_scale=np.array([1.0, np.nan, 1.0]))
    with pytest.raises(ValueError, match=r"col_scale must have shape \(3,\)"):
        gs.spmm(g, x, col_scale=np.ones(2))
    with pytest.raises(ValueError, match="out must be"):
        gs.spmm(g, x, out=np.empty((3, 2), np.float32)[:, ::-1])
    with pytest.raises(ValueError, match="index must be 1-D"):
        gs.gather_rows(x, np.zeros((2, 2), np.int64))
    with pytest.raises(ValueError, match="out must not overlap table"):
        gs.gather_rows(x, [0, 1, 2], out=x)
    with pytest.raises(ValueError, match="exponent must be finite"):
        gs.degree_power(np.ones(3), np.nan)
    np.testing.assert_allclose(gs.spmm(g, x, row_scale=[1, 2, 3]), [[1, 1], [2, 2], [3, 3]])


# ----------------------------------------------------------------------------- the constructor
@pytest.mark.parametrize("args,error,match", [
    ((np.array([0, 1, 2]), np.array([1, 5]), None, 2), ValueError, r"node id >= num_nodes=2 \(row 1"),
    ((np.array([0, 2, 2]), np.array([1, 0]), None, 2), ValueError, "must be sorted"),
    ((np.array([0, 2, 2]), np.array([1, 1]), None, 2), ValueError, "duplicate"),
    ((np.array([1, 1, 1]), np.array([1]), None, 2), ValueError, "start at 0"),
    ((np.array([0, 2, 1]), np.array([1]), None, 2), ValueError, "non-decreasing"),
    ((np.array([0, 1, 3]), np.array([1, 0]), None, 2), ValueError, "end at"),
    ((np.array([0, 1]), np.array([0]), None, 2), ValueError, "num_nodes \\+ 1"),
    ((np.array([0, 1, 2]), np.array([1.0, 0.0]), None, 2), TypeError, "integer"),
    ((np.array([0, 1, 2]), np.array([True, False]), None, 2), TypeError, "boolean"),
    ((np.array([0.0, 1.0, 2.0]), np.array([1, 0]), None, 2), TypeError, "indptr"),
    ((np.array([0, 1, 2]), np.array([1, 0]), np.array([1.0, np.inf]), 2), ValueError, "finite"),
    ((np.array([0, 1, 2]), np.array([1, 0]), np.array([1.0, 1e39]), 2), ValueError, "float32"),
    ((np.array([0, 1, 2]), np.array([1, 0]), np.ones(3), 2), ValueError, "3 entries"),
    ((np.array([0, 1, 2]), np.array([1, 0]), None, 2.0), TypeError, "num_nodes"),
    ((np.array([0, 1, 2]), np.array([1, 0]), None, -1), ValueError, "num_nodes"),
    ((np.array([0, 1, 2]), np.array([1, 0]), None, True), TypeError, "num_nodes"),
    ((np.array([0, 1, 2]), np.array([1, 2**63 + 3], np.uint64), None, 2), ValueError, "int64"),
])
def test_graph_constructor_is_the_validation_boundary(args, error, match):
    with pytest.raises(error, match=match):
        Graph(*args)


def test_kernel_outputs_pass_the_boundary_check():
    """The trusted path is only for arrays that satisfy the checks: every derived graph does."""
    rng = np.random.default_rng(3)
    g = as_graph(rng.integers(0, 40, (2, 300)), num_nodes=45, edge_weight=rng.random(300) + 0.1)
    derived = [g, g.transpose(), g.symmetrize("sum"), g.symmetrize("mean"), g.add_self_loops(2.0),
               g.remove_self_loops(), g.filter_edges(rng.random(g.num_edges) < 0.5),
               g.subgraph(rng.permutation(45)[:30]), as_graph(g.to_scipy().tocsc()), as_graph(g, directed=False)]
    for d in derived:
        rebuilt = Graph(d.indptr, d.indices, d.weights, d.num_nodes, d.directed, d.node_labels)
        assert rebuilt == d
    assert Graph._from_trusted(g.indptr, g.indices, g.weights, g.num_nodes) == g


# ----------------------------------------------------------------------------- reproducer 7
def test_repro7_networkx_integer_labels_map_to_their_rows_whatever_the_insertion_order():
    nxg = nx.DiGraph()
    nxg.add_nodes_from([2, 0, 1, 3])
    nxg.add_edges_from([(2, 0), (3, 1), (0, 3)])
    g = as_graph(nxg)
    assert g.node_labels is None  # labels are the row ids
    assert sorted(map(tuple, g.to_edge_index().T.tolist())) == [(0, 3), (2, 0), (3, 1)]


def test_repro7_networkx_other_labels_are_kept():
    nxg = nx.Graph([("b", "a"), ("a", "c")])
    g = as_graph(nxg)
    assert g.node_labels.tolist() == ["b", "a", "c"]  # G.nodes() order, kept, never silently dropped
    edges = {(g.node_labels[i], g.node_labels[j]) for i, j in g.to_edge_index().T}
    assert edges == {("b", "a"), ("a", "b"), ("a", "c"), ("c", "a")}
    ordered = as_graph(nxg, nodelist=["c", "b", "a"])
    assert ordered.node_labels.tolist() == ["c", "b", "a"]
    assert ordered.to_scipy()[0, 2] == 1 and ordered.to_scipy()[0, 1] == 0  # c-a, not c-b
    with pytest.raises(ValueError, match="every node"):
        as_graph(nxg, nodelist=["a", "b"])
    with pytest.raises(ValueError, match="duplicates"):
        as_graph(nxg, nodelist=["a", "a", "b"])
    with pytest.raises(TypeError, match="networkx"):
        as_graph(np.array([[0], [1]]), nodelist=[0, 1])
    sparse_ids = as_graph(nx.path_graph([10, 20, 30]))  # integers, but not 0..n-1: kept as labels
    assert sparse_ids.node_labels.tolist() == [10, 20, 30] and sparse_ids.node_labels.dtype == np.int64
    grid = as_graph(nx.grid_2d_graph(2, 2))
    assert grid.node_labels.tolist() == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert as_graph(grid.to_networkx()) == grid  # labels survive the round trip


def test_node_labels_follow_the_structural_operations():
    g = as_graph(nx.DiGraph([("x", "y"), ("y", "z")]))
    for d in (g.transpose(), g.symmetrize(), g.add_self_loops(), g.remove_self_loops(),
              g.with_weights(np.ones(g.num_edges)), as_graph(g, directed=False)):
        assert d.node_labels.tolist() == ["x", "y", "z"]
    assert g.subgraph([2, 0]).node_labels.tolist() == ["z", "x"]
    with pytest.raises(ValueError, match="distinct"):
        g.with_node_labels(["a", "a", "b"])
    with pytest.raises(ValueError, match="3 nodes"):
        g.with_node_labels(["a"])


def test_repro7_float_ids_refused_unless_integral():
    g = as_graph(np.array([[0.0, 2.0], [1.0, 1.0]]))
    assert g.num_nodes == 3 and g.to_edge_index().tolist() == [[0, 2], [1, 1]]
    with pytest.raises(ValueError, match="non-integral value 0.5"):
        as_graph(np.array([[0.0, 0.5], [1.0, 1.7]]))
    with pytest.raises(ValueError, match="NaN"):
        as_graph(np.array([[0.0, np.nan], [1.0, 1.0]]))
    with pytest.raises(ValueError, match="int64 range"):
        as_graph(np.array([[0], [2**63 + 5]], dtype=np.uint64))


def test_repro7_unweighted_duplicate_edges_sum_like_scipy():
    edges = np.array([[0, 0, 1, 2], [1, 1, 0, 0]])
    g = as_graph(edges)
    expected = sp.csr_matrix((np.ones(4), (edges[0], edges[1])), shape=(3, 3))  # SciPy sums duplicates
    np.testing.assert_array_equal(g.to_scipy().toarray(), expected.toarray())
    assert g.to_scipy()[0, 1] == 2.0
    merged = as_graph(edges, reduce="max")  # reduce='max': one unweighted entry
    assert merged.weights is None and merged.num_edges == 3
    assert as_graph(np.array([[0, 1], [1, 0]])).weights is None  # no duplicates: stays unweighted


# ----------------------------------------------------------------------------- reproducer 8
def test_repro8_huge_node_id_says_why_instead_of_memory_error():
    with pytest.raises(ValueError, match=r"node id 2147483653 .*pass num_nodes"):
        as_graph(np.array([[0, 1], [2**31 + 5, 0]]))
    with pytest.raises(MemoryError, match="num_nodes=1099511627776"):
        as_graph(np.array([[0], [1]]), num_nodes=2**40)
    big = as_graph(np.array([[0], [3_000_000]]))  # large but plausible: inferred (2**24 floor)
    assert big.num_nodes == 3_000_001


def test_repro8_load_of_a_text_or_npy_file_names_the_problem(tmp_path):
    text = tmp_path / "edges.txt"
    text.write_text("0 1\n1 2\n")
    with pytest.raises(ValueError, match="not a graphsparse graph file: .*edges.txt"):
        Graph.load(text)
    npy = tmp_path / "array.npy"
    np.save(npy, np.arange(3))
    with pytest.raises(ValueError, match="single .npy array"):
        Graph.load(npy)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, indptr=np.array([0, 1], dtype=object), indices=np.zeros(1, np.int32),
             num_nodes=np.int64(1), directed=np.bool_(True))
    with pytest.raises(ValueError, match="never loaded"):
        Graph.load(pickled)
    missing = tmp_path / "missing_keys.npz"
    np.savez(missing, indptr=np.array([0, 0]))
    with pytest.raises(ValueError, match="missing"):
        Graph.load(missing)
    good = as_graph(np.array([[0, 1], [1, 0]])).save(tmp_path / "good")
    blob = open(good, "rb").read()
    (tmp_path / "truncated.npz").write_bytes(blob[: len(blob) * 2 // 3])
    with pytest.raises(ValueError, match="not a graphsparse graph file"):
        Graph.load(tmp_path / "truncated.npz")


def test_repro8_save_and_load_names_are_symmetric(tmp_path):
    g = as_graph(np.array([[0, 1, 2], [1, 2, 0]]), edge_weight=[1.0, 2.0, 3.0])
    written = g.save(tmp_path / "x")
    assert written == os.path.join(str(tmp_path), "x.npz") and os.path.isfile(written)
    assert Graph.load(tmp_path / "x") == g
    assert Graph.load(tmp_path / "x.npz") == g
    with pytest.raises(FileNotFoundError, match="y.npz"):
        Graph.load(tmp_path / "y")


def test_save_load_keeps_node_labels_and_refuses_unpicklable_ones(tmp_path):
    for labels in (["a", "bb", "ccc"], [10, 20, 30]):
        g = as_graph(np.array([[0, 1], [1, 2]]), num_nodes=3).with_node_labels(labels)
        loaded = Graph.load(g.save(tmp_path / "labelled"))
        assert loaded == g and loaded.node_labels.tolist() == labels
    with np.load(tmp_path / "labelled.npz") as f:
        assert int(f["format_version"]) == 1
    tuples = as_graph(nx.grid_2d_graph(2, 2))
    with pytest.raises(ValueError, match="tuple cannot be saved without pickling"):
        tuples.save(tmp_path / "grid")
    as_str = tuples.with_node_labels([str(v) for v in tuples.node_labels])
    assert Graph.load(as_str.save(tmp_path / "grid")) == as_str


def test_validate_csr_reports_the_first_problem_with_its_row():
    with pytest.raises(ValueError, match=r"x: indices holds a negative node id \(row 2, position 2: column -4\)"):
        validate_csr(np.array([0, 1, 2, 3]), np.array([1, 2, -4]), None, 3, name="x")


def test_load_of_an_archive_with_an_unsupported_zip_version_is_a_clear_error(tmp_path):
    """Found by the fuzz suite: zipfile raises NotImplementedError for a flipped version field."""
    path = as_graph(np.array([[0, 1], [1, 0]])).save(tmp_path / "g")
    blob = bytearray(open(path, "rb").read())
    central = blob.find(b"PK\x01\x02")  # first central-directory record; "version needed" at +6
    blob[central + 6] = 109
    (tmp_path / "flipped.npz").write_bytes(bytes(blob))
    with pytest.raises(ValueError, match="not a graphsparse graph file: .*flipped.npz"):
        Graph.load(tmp_path / "flipped.npz")
