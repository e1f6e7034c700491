"""Issue #13 (gather): seed ids, masks, fan-outs and stores are checked before the Numba sampler.

Reproducer: ``neighbor_loader`` / ``CSRNeighborSampler`` with ``input_nodes`` containing 10**6 on a
200-node graph segfaulted, or returned a batch twice with seeds dropped (the kernel wrote
``node_map[10**6]``). Each case runs in a child process so that a signal fails the test.
"""
from __future__ import annotations

import re
import threading

import numpy as np
import pytest
import torch

from _caps_batch import run_batch
from graphsparse.gather import CSRGraphStore, CSRNeighborSampler, FeatureTable, PinnedFeatureStore, neighbor_loader
from graphsparse.gather._kernels import neighbor_sample_csc
from graphsparse.gather.graphsage import make_features, run_training
from graphsparse.gather.sampler import check_input_nodes
from graphsparse.gather.shared import SharedTable

SETUP = """
import numpy as np, torch
from torch_geometric.loader import NeighborLoader
from graphsparse.gather import CSRGraphStore, CSRNeighborSampler, PinnedFeatureStore, neighbor_loader
rng = np.random.default_rng(0)
edge_index = rng.integers(0, 200, (2, 1500))
store = PinnedFeatureStore(device="cpu")
store.put_tensor(torch.randn(200, 8), attr_name="x")
graph_store = CSRGraphStore(edge_index, num_nodes=200)
"""


BAD_INPUT_NODES = {
    "id 10**6": ("torch.tensor([0, 5, 10**6])", r"input_nodes holds node id 1000000 >= num_nodes=200"),
    "negative": ("[3, -1]", "input_nodes holds negative node ids"),
    "uint64 beyond int64": ("np.array([0, 2**63 + 5], dtype=np.uint64)", "input_nodes holds node id"),
    "python int 10**30": ("[0, 10**30]", "input_nodes holds node id"),
    "short mask": ("torch.ones(150, dtype=torch.bool)", r"boolean mask must have length num_nodes=200, got 150"),
    "float ids": ("torch.tensor([0.5, 1.0])", "input_nodes must hold integer node ids"),
    "2-D ids": ("torch.zeros((2, 3), dtype=torch.long)", "input_nodes must be 1-D"),
}

ISOLATED = {f"loader {name}": f"""
loader = neighbor_loader(store, graph_store, [3, 2], batch_size=4, input_nodes={ids}, random_state=0)
for batch in loader:
    pass
""" for name, (ids, _) in BAD_INPUT_NODES.items()}
ISOLATED["pyg loader + our sampler"] = """
sampler = CSRNeighborSampler((store, graph_store), [3, 2], random_state=0)
loader = NeighborLoader((store, graph_store), num_neighbors=[3, 2], batch_size=4,
                        input_nodes=torch.tensor([1, 10**6]), neighbor_sampler=sampler)
next(iter(loader))
"""
ISOLATED["corrupt graph store"] = """
bad = CSRGraphStore()
bad.put_edge_index((torch.tensor([0, 5000]), torch.tensor([0, 1, 2] + [2] * 198)), edge_type=None,
                   layout="csc", is_sorted=True, size=(200, 200))
CSRNeighborSampler((store, bad), [3], random_state=0)
"""
ISOLATED["zero-copy kernel id 10**7"] = """
import warnings
warnings.simplefilter("ignore")
FeatureTable(torch.randn(10, 64), device="cpu", mode="zero_copy").gather(torch.tensor([3, 10**7]))
"""
ISOLATED["issue reproducer"] = """
for batch in neighbor_loader(store, graph_store, [10, 5], batch_size=64,
                             input_nodes=torch.tensor(list(range(199)) + [10**6])):
    pass
"""
EXPECTED = {f"loader {name}": match for name, (_, match) in BAD_INPUT_NODES.items()}
EXPECTED.update({"pyg loader + our sampler": r"input_nodes \(seed ids\) holds node id 1000000",
                 "corrupt graph store": r"graph_store row \(source ids\) holds node id 5000",
                 "zero-copy kernel id 10**7": "node id 10000000 >= num_nodes=10",
                 "issue reproducer": r"input_nodes holds node id 1000000 >= num_nodes=200"})


@pytest.fixture(scope="module")
def isolated_outcomes():
    """Every crash-prone case in one child process (a signal fails every test below)."""
    return run_batch(SETUP + "from graphsparse.gather import FeatureTable\n", ISOLATED)


@pytest.mark.parametrize("case", sorted(ISOLATED))
def test_crash_prone_gather_inputs_end_in_clear_errors(isolated_outcomes, case):
    outcome = isolated_outcomes[case]
    assert outcome.split(":", 1)[0] in ("ValueError", "TypeError"), outcome
    assert re.search(EXPECTED[case], outcome), outcome


@pytest.mark.parametrize("num_neighbors,error,match", [
    ([3, -4], ValueError, ">= -1"),
    ([2.5], TypeError, "integers"),
    ([], ValueError, "at least one hop"),
    (3, TypeError, "list"),
])
def test_bad_num_neighbors(num_neighbors, error, match):
    store = PinnedFeatureStore(device="cpu")
    store.put_tensor(torch.randn(10, 2), attr_name="x")
    graph_store = CSRGraphStore(np.array([[0, 1], [1, 2]]), num_nodes=10)
    with pytest.raises(error, match=match):
        neighbor_loader(store, graph_store, num_neighbors, batch_size=2)


def test_replace_fanout_bound():
    store = PinnedFeatureStore(device="cpu")
    store.put_tensor(torch.randn(10, 2), attr_name="x")
    graph_store = CSRGraphStore(np.array([[0, 1], [1, 2]]), num_nodes=10)
    loader = neighbor_loader(store, graph_store, [10**6, 10**6], batch_size=8, replace=True)
    with pytest.raises(ValueError, match="num_neighbors.*replace=True"):
        next(iter(loader))


def test_boolean_mask_equals_ids():
    mask = np.zeros(200, dtype=bool)
    mask[[3, 17, 150]] = True
    assert check_input_nodes(torch.from_numpy(mask), 200).tolist() == [3, 17, 150]
    assert check_input_nodes([5, 0], 200).tolist() == [5, 0]


def _loader_batches(random_state, threads=1):
    rng = np.random.default_rng(1)
    edge_index = rng.integers(0, 300, (2, 3000))
    store = PinnedFeatureStore(device="cpu")
    store.put_tensor(torch.arange(300, dtype=torch.float32).view(-1, 1), attr_name="x")
    graph_store = CSRGraphStore(edge_index, num_nodes=300)
    sampler = CSRNeighborSampler((store, graph_store), [5, 4], random_state=random_state)
    seeds = torch.arange(0, 300, 2)
    return sampler, seeds


def test_sampler_every_seed_once_and_seeded():
    """No batch twice, no seed dropped; the same random_state gives the same batches."""
    runs = []
    for _ in range(2):
        store = PinnedFeatureStore(device="cpu")
        store.put_tensor(torch.arange(300, dtype=torch.float32).view(-1, 1), attr_name="x")
        graph_store = CSRGraphStore(np.random.default_rng(1).integers(0, 300, (2, 3000)), num_nodes=300)
        loader = neighbor_loader(store, graph_store, [5, 4], batch_size=16, input_nodes=torch.arange(0, 300, 2),
                                 random_state=7)
        batches = list(loader)
        assert torch.equal(torch.cat([b.n_id[: b.batch_size] for b in batches]), torch.arange(0, 300, 2))
        for b in batches:
            assert torch.equal(b.x.view(-1).long(), b.n_id)
        runs.append([b.n_id for b in batches])
    assert all(torch.equal(a, b) for a, b in zip(*runs))


def test_kernel_takes_its_seed_and_is_thread_safe():
    """Counter-based draws: a kernel call depends only on its random_seed, also under threads."""
    rng = np.random.default_rng(2)
    num_nodes = 500
    graph_store = CSRGraphStore(rng.integers(0, num_nodes, (2, 8000)), num_nodes=num_nodes)
    row, colptr, _ = graph_store.csc()
    row, colptr = row.numpy(), colptr.numpy()
    seeds = np.arange(0, num_nodes, 5, dtype=np.int64)
    fanouts = np.array([6, 3], dtype=np.int64)

    def sample(random_seed, replace=False):
        node_map = np.full(num_nodes, -1, dtype=np.int64)
        return neighbor_sample_csc(colptr, row, seeds, fanouts, replace, random_seed, node_map,
                                   num_nodes + seeds.size, row.size if not replace else seeds.size * 24)

    expected = {s: sample(s) for s in range(8)}
    assert not np.array_equal(expected[0][0], expected[1][0])  # the seed matters
    results = {}

    def worker(s):
        for _ in range(5):
            results[s] = sample(s)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in range(8):
        for a, b in zip(results[s], expected[s]):
            assert np.array_equal(a, b)
    # with replacement every seed with in-neighbours gets exactly its fan-out of draws
    nodes, rows, cols, edges, per_hop, edges_per_hop = sample(3, replace=True)
    has_in = int(((colptr[1:] - colptr[:-1])[seeds] > 0).sum())
    assert edges_per_hop[0] == 6 * has_in and rows.size == edges_per_hop.sum()
    assert np.array_equal(row[edges], nodes[rows])


def test_sampler_shared_by_threads_gives_valid_batches():
    """One sampler used by several threads at once: scratch maps are never shared."""
    sampler, seeds = _loader_batches(random_state=0)
    errors = []

    def worker(offset):
        try:
            for i in range(20):
                batch_seeds = seeds[(offset + i) % 10 * 15:((offset + i) % 10 + 1) * 15]
                out = sampler._sample(batch_seeds)
                assert torch.equal(out.node[: batch_seeds.numel()], batch_seeds)
                assert int(out.row.max()) < out.node.numel() and int(out.col.max()) < out.node.numel()
                assert torch.unique(out.node).numel() == out.node.numel()
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


@pytest.mark.parametrize("index,error,match", [
    ([0, 10**30], TypeError, "integer node ids"),
    (np.array([1, 2**63 + 1], dtype=np.uint64), ValueError, "node id"),
    ([0.5], TypeError, "integer node ids"),
    (np.array([True, False]), TypeError, "integer node ids"),
    (torch.tensor([[1, 2]]), ValueError, "1-D"),
    ([-1], ValueError, "negative"),
    ([10], ValueError, "node id 10 >= num_nodes=10"),
])
def test_feature_table_bad_index(index, error, match):
    table = FeatureTable(torch.randn(10, 3), device="cpu")
    with pytest.raises(error, match=match):
        table.gather(index)
    with pytest.raises(error, match=match):
        list(table.prefetch([index]))


@pytest.mark.parametrize("shape,dtype,error", [
    ((-5, 3), torch.float32, ValueError),
    ((2.5, 3), torch.float32, TypeError),
    ((4, 3), "float32", TypeError),
])
def test_shared_table_bad_shape(shape, dtype, error):
    with pytest.raises(error, match="shape|dtype"):
        SharedTable.create("graphsparse_caps_test_bad", shape, dtype)


def test_shared_table_bad_name():
    with pytest.raises(ValueError, match="plain file name"):
        SharedTable.create("..", (2, 2))
    with pytest.raises(TypeError, match="name"):
        SharedTable.create(3, (2, 2))


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(num_nodes=-1, width=4, num_classes=2), ValueError, "num_nodes"),
    (dict(num_nodes=10, width=0, num_classes=2), ValueError, "width"),
    (dict(num_nodes=10, width=4, num_classes=2, out=torch.empty(9, 4)), ValueError, "out"),
])
def test_make_features_bad_args(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_features(**kwargs)


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(train_fraction=0.0), ValueError, "train_fraction"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(fanouts=(5, -3)), ValueError, "fanouts"),
])
def test_run_training_bad_args(kwargs, error, match):
    graph = np.array([[0, 1, 2], [1, 2, 0]])
    with pytest.raises(error, match=match):
        run_training(graph, device="cpu", verbose=False, **kwargs)


def test_sampler_survives_pickling_for_loader_workers():
    """DataLoader workers receive a pickled sampler: lock and scratch maps are recreated, same draws."""
    import pickle

    sampler, seeds = _loader_batches(random_state=5)
    clone = pickle.loads(pickle.dumps(sampler))
    first, again = sampler._sample(seeds[:20]), clone._sample(seeds[:20])
    assert torch.equal(first.node, again.node) and torch.equal(first.row, again.row)
