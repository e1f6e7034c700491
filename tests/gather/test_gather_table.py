"""FeatureTable's conventional CPU path, buffers, prefetching, shared tables and bad input."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from graphsparse.gather import FeatureTable, SharedTable, resolve_device

CUDA = torch.cuda.is_available()


@pytest.fixture
def table():
    return torch.randn(200, 100, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.int64])
@pytest.mark.parametrize("order", [{}, {"sort_ids": True}, {"unique_ids": True}])
@pytest.mark.parametrize("reuse", [False, True])
def test_conventional_matches_index_select(dtype, order, reuse):
    source = (torch.randn(300, 602) * 50).to(dtype)
    features = FeatureTable(source, device="cpu", mode="conventional", reuse_output=reuse, **order)
    for seed in range(3):
        index = torch.randint(0, 300, (77,), generator=torch.Generator().manual_seed(seed))
        index[5] = index[6]  # a repeat
        assert torch.equal(features.gather(index), source[index])
    assert features.gather(torch.zeros(0, dtype=torch.long)).shape == (0, 602)


def test_default_mode_on_cpu_is_conventional_and_unpinned(table):
    features = FeatureTable(table)
    assert features.device == torch.device("cuda" if CUDA else "cpu")
    if not CUDA:
        assert features.mode == "conventional" and not features.pinned


def test_index_forms_numpy_list_int32(table):
    features = FeatureTable(table, device="cpu")
    expected = table[[4, 0, 4]]
    assert torch.equal(features.gather([4, 0, 4]), expected)
    assert torch.equal(features.gather(np.array([4, 0, 4], dtype=np.int32)), expected)
    assert torch.equal(features.gather(torch.tensor([4, 0, 4], dtype=torch.int32)), expected)
    assert torch.equal(features.gather([]), table[:0])


def test_numpy_table_and_vector_table():
    labels = torch.arange(10) * 3
    features = FeatureTable(labels, device="cpu")
    assert torch.equal(features.gather(torch.tensor([9, 1])), torch.tensor([27, 3]))
    array = np.arange(12, dtype=np.float32).reshape(6, 2)
    assert torch.equal(FeatureTable(array, device="cpu").gather([5]), torch.tensor([[10.0, 11.0]]))


def test_out_argument_is_filled_and_returned(table):
    features = FeatureTable(table, device="cpu", sort_ids=True)
    out = torch.empty(3, 100)
    result = features.gather(torch.tensor([7, 2, 7]), out=out)
    assert result is out and torch.equal(out, table[[7, 2, 7]])


def test_reused_outputs_form_a_ring(table):
    features = FeatureTable(table, device="cpu", reuse_output=True, num_buffers=2)
    first = features.gather(torch.tensor([1, 2]))
    second = features.gather(torch.tensor([3, 4]))
    third = features.gather(torch.tensor([5, 6]))
    assert first.data_ptr() == third.data_ptr() != second.data_ptr()  # double buffering
    assert torch.equal(third, table[[5, 6]]) and torch.equal(second, table[[3, 4]])
    fresh = FeatureTable(table, device="cpu")
    assert fresh.gather(torch.tensor([1])).data_ptr() != fresh.gather(torch.tensor([1])).data_ptr()


def test_prefetch_yields_every_batch_in_order(table):
    features = FeatureTable(table, device="cpu", num_buffers=2)
    batches = [torch.randint(0, 200, (n,)) for n in (5, 9, 1, 30)]
    seen = []
    for index, rows in features.prefetch(batches):
        assert torch.equal(rows, table[index])  # still valid while the next batch is prefetched
        seen.append(index)
    assert len(seen) == 4 and all(torch.equal(a, b) for a, b in zip(seen, batches))
    with pytest.raises(ValueError, match="num_buffers >= 2"):
        list(FeatureTable(table, device="cpu", num_buffers=1).prefetch(batches))


def test_device_mode_on_cpu(table):
    features = FeatureTable(table, device="cpu", mode="device")
    assert torch.equal(features.gather([3, 1]), table[[3, 1]])


# ---------------------------------------------------------------------------- bad input
def test_out_of_range_and_negative_ids(table):
    features = FeatureTable(table, device="cpu")
    with pytest.raises(ValueError, match="node id 200 >= num_nodes=200"):
        features.gather(torch.tensor([0, 200]))
    with pytest.raises(ValueError, match="negative node ids"):
        features.gather(torch.tensor([-1, 3]))
    with pytest.raises(ValueError, match="negative"):
        FeatureTable(table, device="cpu", mode="zero_copy").gather(torch.tensor([-5]))


@pytest.mark.parametrize("index", [torch.tensor([1.0, 2.0]), torch.tensor([True, False]),
                                   np.array([0.5]), torch.tensor([1, 2], dtype=torch.uint8)])
def test_wrong_index_dtype(table, index):
    with pytest.raises(TypeError, match="index must hold integer node ids"):
        FeatureTable(table, device="cpu").gather(index)


def test_index_shape_and_type(table):
    features = FeatureTable(table, device="cpu")
    with pytest.raises(ValueError, match="index must be 1-D"):
        features.gather(torch.zeros(2, 2, dtype=torch.long))
    with pytest.raises(TypeError, match="index must be"):
        features.gather("0,1")


def test_non_contiguous_or_malformed_table(table):
    with pytest.raises(ValueError, match="table must be contiguous"):
        FeatureTable(table[:, ::2])
    with pytest.raises(ValueError, match="table must be contiguous"):
        FeatureTable(table.t())
    with pytest.raises(ValueError, match="C-contiguous"):
        FeatureTable(np.zeros((4, 6), dtype=np.float32)[:, ::2])
    with pytest.raises(ValueError, match="1-D or 2-D"):
        FeatureTable(torch.zeros(2, 2, 2))
    with pytest.raises(TypeError, match="table dtype"):
        FeatureTable(torch.zeros(3, 3, dtype=torch.uint8))
    with pytest.raises(TypeError, match="table must be a torch.Tensor"):
        FeatureTable([[1.0, 2.0]])


@pytest.mark.skipif(CUDA, reason="checks the CPU-only behaviour")
def test_cuda_requested_without_cuda(table):
    with pytest.raises(ValueError, match="CUDA is not available"):
        FeatureTable(table, device="cuda")
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device("cuda:0")
    with pytest.raises(ValueError, match="pin=True needs CUDA"):
        FeatureTable(table, device="cpu", pin=True)
    with pytest.raises(ValueError, match="stream must be None"):
        FeatureTable(table, device="cpu").gather(torch.tensor([1]), stream=object())


def test_bad_options(table):
    with pytest.raises(ValueError, match="mode must be one of"):
        FeatureTable(table, mode="unified")
    with pytest.raises(ValueError, match="alignment must be"):
        FeatureTable(table, alignment="yes")
    with pytest.raises(ValueError, match="pin must be"):
        FeatureTable(table, pin="always")
    with pytest.raises(ValueError, match="num_buffers"):
        FeatureTable(table, num_buffers=0)
    with pytest.raises(ValueError, match="max_programs"):
        FeatureTable(table, max_programs=0)
    with pytest.raises(ValueError, match="device must be"):
        FeatureTable(table, device="tpu")


def test_bad_out(table):
    features = FeatureTable(table, device="cpu")
    with pytest.raises(ValueError, match="out must have shape"):
        features.gather(torch.tensor([1, 2]), out=torch.empty(3, 100))
    with pytest.raises(ValueError, match="out must have shape"):
        features.gather(torch.tensor([1, 2]), out=torch.empty(2, 100, dtype=torch.float64))
    with pytest.raises(ValueError, match="out must be contiguous"):
        features.gather(torch.tensor([1, 2]), out=torch.empty(100, 2).t())
    with pytest.raises(TypeError, match="out must be a torch.Tensor"):
        features.gather(torch.tensor([1, 2]), out=np.empty((2, 100), dtype=np.float32))


# ---------------------------------------------------------------------------- shared tables
def test_shared_table_maps_one_copy(tmp_path):
    name = f"graphsparse_test_{np.random.default_rng().integers(1 << 30)}"
    owner = SharedTable.create(name, (5, 3), torch.float32)
    try:
        other = SharedTable.attach(name, (5, 3), torch.float32)
        owner.tensor[2] = torch.tensor([1.0, 2.0, 3.0])
        assert torch.equal(other.tensor[2], torch.tensor([1.0, 2.0, 3.0]))  # same pages
        with pytest.raises(ValueError, match="holds 60 bytes"):
            SharedTable.attach(name, (5, 4), torch.float32)
        with pytest.raises(ValueError, match="plain file name"):
            SharedTable.create("a/b", (1, 1))
        features = FeatureTable(other.tensor, device="cpu")
        assert torch.equal(features.gather([2]), owner.tensor[[2]])
    finally:
        owner.unlink()
    with pytest.raises(FileNotFoundError, match="create it first"):
        SharedTable.attach(name, (5, 3), torch.float32)
