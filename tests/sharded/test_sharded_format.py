"""Sharded on-disk graphs: build == in-memory Graph, errors name the file; out-of-core ops == in memory."""
from __future__ import annotations

import gzip
import json
import os
import shutil

import numpy as np
import pytest

import graphsparse as gs
from graphsparse.datasets.generators import rmat
from graphsparse.embed import FastRP
from graphsparse.sharded import (ShardFormatError, build_from_chunks, build_from_edgelist, degree_statistics,
                                 derived_graph, fit_fastrp, from_graph, open_array, open_graph, spmm,
                                 teddy_edge_scores)
from graphsparse.sparsify import teddy_edge_scores as teddy_in_memory


def _same(sharded, graph):
    g = sharded.to_graph()
    assert g.num_nodes == graph.num_nodes and g.directed == graph.directed
    assert np.array_equal(g.indptr, graph.indptr)
    assert np.array_equal(g.indices, graph.indices) and g.indices.dtype == graph.indices.dtype
    assert (g.weights is None) == (graph.weights is None)
    if graph.weights is not None:
        assert np.array_equal(g.weights, graph.weights)


def _edges(seed=0, n=60, m=400, weighted=True):
    rng = np.random.default_rng(seed)
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    src[:20], dst[:20] = src[20:40], dst[20:40]  # duplicates, so sum vs max matters
    w = rng.integers(1, 9, m).astype(np.float64) / 4 if weighted else None
    return src, dst, w


@pytest.mark.parametrize("directed", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("shards", [1, 4])
def test_from_graph_roundtrip(tmp_path, directed, weighted, shards):
    g = rmat(97, 400, seed=3, directed=directed)
    if weighted:
        g = g.with_weights(np.random.default_rng(0).random(g.num_edges) + 0.5)
        if not directed:
            g = g.symmetrize("max")
    sg = from_graph(g, tmp_path / "g", num_shards=shards)
    assert sg.num_shards == shards and sg.num_edges == g.num_edges
    _same(open_graph(tmp_path / "g", verify="sha256"), g)


@pytest.mark.parametrize("directed", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "max"])
def test_build_from_csv_gzip_equals_as_graph(tmp_path, directed, reduce):
    src, dst, w = _edges()
    path = tmp_path / "edges.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write("weight,dst,src\n")  # any column order, named by the user
        for a, b, c in zip(src, dst, w):
            f.write(f"{c},{b},{a}\n")
    sg = build_from_edgelist(path, tmp_path / "g", directed=directed, header=True, columns=("src", "dst"),
                             weight_column="weight", reduce=reduce, num_nodes=64, rows_per_shard=7,
                             chunk_size=50, verbose=False)
    ref = gs.as_graph(np.stack([src, dst]), num_nodes=64, edge_weight=w, directed=directed, reduce=reduce)
    assert sg.num_shards == 10
    _same(sg, ref)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]  # no temporary left behind


def test_build_whitespace_unweighted_and_parquet(tmp_path):
    src, dst, _ = _edges(1, weighted=False)
    path = tmp_path / "edges.txt"
    path.write_text("# a comment line\n" + "".join(f"{a} {b}\n" for a, b in zip(src, dst)))
    sg = build_from_edgelist(path, tmp_path / "g", directed=False, rows_per_shard=16, chunk_size=64, verbose=False)
    ref = gs.as_graph(np.stack([src, dst]), directed=False)
    _same(sg, ref)
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"a": src, "b": dst}), tmp_path / "edges.parquet", row_group_size=100)
    sp = build_from_edgelist(tmp_path / "edges.parquet", tmp_path / "gp", columns=("a", "b"), directed=False,
                             rows_per_shard=16, chunk_size=64, verbose=False)
    _same(sp, ref)


@pytest.mark.parametrize("content, message", [
    ("0 1\n-3 2\n", "negative source id"),
    ("0 1\n1 x\n", "not an integer|must be integers"),
    ("0 1\n1 2.5\n", "not an integer"),
    ("0 1 1.0\n1 2 nan\n", "weight is NaN"),
    ("0 1\n1 99\n", "99 >= num_nodes=10"),
])
def test_build_rejects_bad_input_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises((ValueError, TypeError), match=message) as info:
        build_from_edgelist(path, tmp_path / "g", num_nodes=10, verbose=False,
                            weight_column=2 if "nan" in content else None)
    assert "bad.txt" in str(info.value)
    assert not os.path.exists(tmp_path / "g") and os.listdir(tmp_path) == ["bad.txt"]


def test_build_refuses_existing_output_and_bad_arguments(tmp_path):
    build_from_chunks([(np.array([0]), np.array([1]))], tmp_path / "g", verbose=False)
    with pytest.raises(FileExistsError, match="already exists"):
        build_from_chunks([(np.array([0]), np.array([1]))], tmp_path / "g", verbose=False)
    with pytest.raises(ValueError, match="rows_per_shard"):
        build_from_chunks([(np.array([0]), np.array([1]))], tmp_path / "h", rows_per_shard=0)
    with pytest.raises(FileNotFoundError, match="nope"):
        build_from_edgelist(tmp_path / "nope.csv", tmp_path / "h")


@pytest.fixture
def small(tmp_path):
    g = rmat(50, 200, seed=1, directed=True).with_weights(np.linspace(0.5, 2, 200))
    return g, from_graph(g, tmp_path / "g", num_shards=3)


def test_missing_and_foreign_shards_are_named(small, tmp_path):
    g, sg = small
    os.remove(os.path.join(sg.shard_dir(1), "indices.npy"))
    with pytest.raises(ShardFormatError, match=r"shard_00001.indices\.npy: missing"):
        open_graph(sg.path)
    other = from_graph(g, tmp_path / "other", num_shards=3)
    shutil.rmtree(sg.shard_dir(1))
    shutil.copytree(other.shard_dir(1), sg.shard_dir(1))  # same arrays, another build
    with pytest.raises(ShardFormatError, match="shard_00001.shard.json: shard belongs to another build"):
        open_graph(sg.path)


def test_corrupted_manifest_and_checksums(small):
    g, sg = small
    manifest_file = os.path.join(sg.path, "manifest.json")
    manifest = json.loads(open(manifest_file).read())
    bad = dict(manifest, num_edges=manifest["num_edges"] + 1)
    open(manifest_file, "w").write(json.dumps(bad))
    with pytest.raises(ShardFormatError, match="manifest.json: shard edge counts add up to 200, but num_edges = 201"):
        open_graph(sg.path)
    open(manifest_file, "w").write(json.dumps(manifest)[:-5])
    with pytest.raises(ShardFormatError, match="manifest.json: manifest is not valid JSON"):
        open_graph(sg.path)
    open(manifest_file, "w").write(json.dumps(manifest))
    weights_file = os.path.join(sg.shard_dir(2), "weights.npy")
    data = bytearray(open(weights_file, "rb").read())
    data[-1] ^= 0x55  # same size and header, different content
    open(weights_file, "wb").write(bytes(data))
    open_graph(sg.path)  # the cheap check passes ...
    with pytest.raises(ShardFormatError, match=r"shard_00002.weights\.npy: sha256 checksum does not match"):
        open_graph(sg.path, verify="sha256")  # ... the full one does not


@pytest.mark.parametrize("text,message", [
    ('"boundaries": [0, 12.5, 50]', "boundaries must be a list of integers"),      # would truncate to 12
    ('"boundaries": [0, Infinity, 50]', "boundaries must be a list of integers"),  # was OverflowError
    ('"boundaries": [0, 99999999999999999999999, 50]', "boundaries must be a list of integers"),
    ('"boundaries": [0, ' + "9" * 5000 + ', 50]', "manifest is not valid JSON"),   # int too long to parse
    ('"boundaries": ' + "[" * 100000 + "]" * 100000, "manifest is not valid JSON"),  # RecursionError
])
def test_hostile_manifest_values_are_format_errors(small, text, message):
    g, sg = small
    manifest_file = os.path.join(sg.path, "manifest.json")
    manifest = json.loads(open(manifest_file).read())
    manifest["boundaries"] = "SLOT"
    open(manifest_file, "w").write(json.dumps(manifest).replace('"boundaries": "SLOT"', text))
    with pytest.raises(ShardFormatError, match=message):
        open_graph(sg.path)


def test_tampered_indices_raise_instead_of_crashing(small):
    g, sg = small
    file = os.path.join(sg.shard_dir(0), "indices.npy")
    indices = np.load(file)
    indices[3] = 10_000
    np.save(file, indices)
    graph = open_graph(sg.path)
    with pytest.raises(ShardFormatError, match=r"shard_00000.indices\.npy: column ids must lie in \[0, 50\)"):
        spmm(graph, np.ones((50, 2), np.float32))


def test_derived_graphs_equal_transpose_and_symmetrized_sum(small, tmp_path):
    g, sg = small
    _same(derived_graph(sg, "in", tmp_path / "t", verbose=False), g.transpose())
    _same(derived_graph(sg, "both", tmp_path / "b", verbose=False),
          g.with_weights(g.edge_weights()).symmetrize("sum"))


def test_spmm_out_of_core_equals_in_memory(small, tmp_path):
    g, sg = small
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 5)).astype(np.float32)
    r, c = rng.random(50).astype(np.float32), rng.random(50).astype(np.float32)
    for transpose in (False, True):
        expected = gs.spmm(g, X, row_scale=r, col_scale=c, transpose=transpose)
        assert np.array_equal(spmm(sg, X, row_scale=r, col_scale=c, transpose=transpose), expected)
    stored = spmm(sg, X, tmp_path / "y")
    assert np.array_equal(open_array(tmp_path / "y").to_numpy(), gs.spmm(g, X))
    assert np.array_equal(stored.to_dask().compute(), gs.spmm(g, X))
    with pytest.raises(TypeError, match="float32"):
        spmm(sg, X.astype(np.float64))


def _fastrp_cases():
    return [
        ("paper-out", lambda: FastRP.paper(n_components=24, random_state=7), "out", False),
        ("paper-both-weighted", lambda: FastRP.paper(n_components=24, random_state=7, direction="both"), "both", True),
        ("gds-in-weighted", lambda: FastRP.gds(n_components=16, random_state=3, direction="in",
                                               self_influence=0.5), "in", True),
        ("gds-out-gaussian", lambda: FastRP.gds(n_components=16, random_state=3, projection="gaussian"), "out", False),
    ]


@pytest.mark.parametrize("name, make, direction, weighted", _fastrp_cases(), ids=[c[0] for c in _fastrp_cases()])
def test_fastrp_out_of_core_equals_in_memory(tmp_path, name, make, direction, weighted):
    g = rmat(120, 700, seed=5, directed=True)
    if name.startswith("paper"):
        g = g.symmetrize("max") if direction == "out" else g  # beta < 0 needs no sinks under 'out'
    if weighted:
        g = g.with_weights(np.random.default_rng(1).random(g.num_edges) * 3 + 0.1)
    ref = make().fit(g).embedding_
    sg = from_graph(g, tmp_path / "g", num_shards=4)
    est = fit_fastrp(make(), sg, verbose=False)
    np.testing.assert_allclose(est.embedding_, ref, rtol=1e-5, atol=2e-6)
    assert est.embedding_.dtype == ref.dtype and est.random_seed_ == make().fit(g).random_seed_
    est2 = fit_fastrp(make(), sg, out=tmp_path / "emb", verbose=False)
    np.testing.assert_array_equal(np.asarray(est2.embedding_.compute()), est.embedding_)
    assert open_array(tmp_path / "emb").verify().shape == ref.shape


def test_fastrp_unsupported_options_are_refused(small, tmp_path):
    g, sg = small
    with pytest.raises(NotImplementedError, match="column_block"):
        fit_fastrp(FastRP.gds(n_components=8, random_state=0, column_block=4), sg)
    with pytest.raises(NotImplementedError, match="keep_states"):
        fit_fastrp(FastRP.gds(n_components=8, random_state=0, keep_states=True), sg)
    est = FastRP.gds(n_components=8, random_state=0)
    # an option of a newer FastRP that the sharded path does not know
    est.get_params = lambda deep=True: {**FastRP.get_params(est, deep), "spectral_propagation": True}
    with pytest.raises(NotImplementedError, match="spectral_propagation"):
        fit_fastrp(est, sg)
    with pytest.raises(ValueError, match="Negative values"):
        neg = from_graph(g.with_weights(np.full(g.num_edges, -1.0)), tmp_path / "neg", num_shards=2)
        fit_fastrp(FastRP.gds(n_components=8, random_state=0), neg, verbose=False)
    with pytest.raises(FileNotFoundError):
        fit_fastrp(FastRP.gds(n_components=8, random_state=0), tmp_path / "absent")
    with pytest.raises(TypeError, match="graph must be a ShardedGraph or the path of one"):
        fit_fastrp(FastRP.gds(n_components=8, random_state=0), g)


def test_teddy_scores_and_degree_statistics_equal(tmp_path):
    g = rmat(150, 600, seed=2, directed=False, self_loops=True)
    sg = from_graph(g, tmp_path / "g", num_shards=5)
    assert np.array_equal(teddy_edge_scores(sg), teddy_in_memory(g))
    stats = degree_statistics(sg)
    assert np.array_equal(stats["out_degree"], g.out_degree())
    assert np.array_equal(stats["in_degree"], g.in_degree())
    assert stats["summary"]["self_loops"] == int(np.count_nonzero(g.indices == g.sources()))
    d = rmat(80, 300, seed=2, directed=True).with_weights(np.linspace(1, 2, 300))
    sd = from_graph(d, tmp_path / "d", num_shards=3)
    stats = degree_statistics(sd)
    np.testing.assert_array_equal(stats["in_degree"], d.in_degree())
    np.testing.assert_allclose(stats["weighted_in_degree"], d.in_degree(weighted=True))
    with pytest.raises(ValueError, match="directed"):
        teddy_edge_scores(sd)


def test_fastrp_fit_dispatches_sharded_graphs(small, tmp_path):
    """``FastRP.fit`` itself takes a sharded graph (the estimator API is unchanged), with the
    library's default configuration too; ``client=`` with an in-memory graph is refused."""
    g, sg = small
    for make in (lambda: FastRP(n_components=16, random_state=2, verbose=False),
                 lambda: FastRP.gds(n_components=8, random_state=0)):
        ref = make().fit(g).embedding_
        np.testing.assert_allclose(make().fit(sg).embedding_, ref, rtol=1e-5, atol=2e-6)
    with pytest.raises(ValueError, match="client= needs a sharded graph"):
        FastRP.gds(n_components=8, random_state=0).fit(g, client=object())


def test_unweighted_duplicates_sum_to_weight_two_as_in_memory(tmp_path):
    """``as_graph``'s rule: an unweighted edge given twice (reduce='sum') weighs 2, and only then is the
    graph weighted -- the sharded build follows it even when the first shards have no duplicate."""
    src = np.array([0, 1, 2, 5, 7, 7, 3])
    dst = np.array([1, 2, 3, 6, 8, 8, 4])  # the duplicate lives in the last shard
    path = tmp_path / "dup.txt"
    path.write_text("".join(f"{a} {b}\n" for a, b in zip(src, dst)))
    for directed in (True, False):
        sg = build_from_edgelist(path, tmp_path / f"g{directed}", directed=directed, rows_per_shard=3, verbose=False)
        _same(sg, gs.as_graph(np.stack([src, dst]), num_nodes=9, directed=directed))
    no_dup = tmp_path / "nodup.txt"
    no_dup.write_text("0 1\n1 2\n5 6\n")
    sg = build_from_edgelist(no_dup, tmp_path / "nd", directed=True, rows_per_shard=2, verbose=False)
    assert not sg.is_weighted
    _same(sg, gs.as_graph(np.array([[0, 1, 5], [1, 2, 6]]), num_nodes=7, directed=True))
