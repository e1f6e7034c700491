"""Issue #13 (lottery tickets, TEDDY transform): untrusted ticket files and misaligned edge attributes.

Reproducers: ticket files with float masks were accepted; an ``edge_attr`` of the wrong length was
left unpruned by TEDDY. Each ends in a ``ValueError`` naming the file and key / the attribute.
"""
from __future__ import annotations

import json
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch_geometric.data import Batch, Data

from graphsparse.lottery import GraphLotteryTicket
from graphsparse.sparsify import TEDDY
from graphsparse.sparsify.transforms import SparsifyEdges


def _ticket(with_state=True):
    rng = np.random.default_rng(0)
    masks = {"conv1.lin.weight": rng.random((4, 3)) < 0.5, "conv2.lin.weight": rng.random((2, 4)) < 0.5}
    state = {name: rng.standard_normal(mask.shape).astype(np.float32) * mask for name, mask in masks.items()}
    return GraphLotteryTicket(method="teddy", edge_mask=rng.random(10) < 0.7, weight_masks=masks,
                              state_dict=state if with_state else None, edge_sparsity=0.3, weight_sparsity=0.5,
                              target_edge_sparsity=0.3, target_weight_sparsity=0.5, test_score=0.8,
                              val_score=0.75, best_epoch=3, seed=1, num_nodes=5, timings={"train": 1.0},
                              config={"hidden": 4})


def _rewrite(path, **changes):
    """Rewrite the ticket's npz with some keys replaced (None removes a key)."""
    with np.load(path, allow_pickle=False) as f:
        arrays = {key: f[key] for key in f.files}
    for key, value in changes.items():
        if value is None:
            arrays.pop(key, None)
        else:
            arrays[key] = value
    np.savez(path, **arrays)


def _meta(path):
    with np.load(path, allow_pickle=False) as f:
        return json.loads(str(f["meta"]))


@pytest.fixture
def ticket_file(tmp_path):
    path = str(tmp_path / "t.npz")
    _ticket().save(path)
    return path


def test_roundtrip_and_symmetric_names(tmp_path):
    ticket = _ticket()
    ticket.save(str(tmp_path / "plain"))  # NumPy adds .npz
    assert GraphLotteryTicket.load(str(tmp_path / "plain")) == ticket
    assert GraphLotteryTicket.load(tmp_path / "plain.npz") == ticket
    _ticket(with_state=False).save(str(tmp_path / "nostate.npz"))
    assert GraphLotteryTicket.load(str(tmp_path / "nostate.npz")).state_dict is None


@pytest.mark.parametrize("changes,match", [
    (dict(mask_0=np.ones((4, 3), np.float32)), r"key 'mask_0' \(mask of parameter 'conv1.lin.weight'\) must be a boolean"),
    (dict(edge_mask=np.ones(10, np.float64)), "key 'edge_mask' must be a boolean mask, got dtype float64"),
    (dict(edge_mask=np.ones((2, 5), bool)), "key 'edge_mask' must be 1-D"),
    (dict(state_0=np.full((4, 3), np.nan, np.float32)), r"key 'state_0' \(parameter 'conv1.lin.weight'\) holds NaN"),
    (dict(state_1=np.ones((3, 3), np.float32)), r"key 'state_1' .* has shape \(3, 3\) but its mask has shape \(2, 4\)"),
    (dict(state_0=np.ones((4, 3), np.int64)), "must hold floating-point weights"),
    (dict(mask_1=None), "missing key 'mask_1'"),
    (dict(state_1=None), "missing key 'state_1'"),
    (dict(meta=None), "missing key 'meta'"),
    (dict(meta=np.array("{not json")), "'meta' is not valid JSON"),
    (dict(meta=np.arange(3)), "'meta' must be a JSON string"),
    (dict(extra=np.ones(2)), "unexpected key"),
])
def test_bad_ticket_files_named(ticket_file, changes, match):
    _rewrite(ticket_file, **changes)
    with pytest.raises(ValueError, match=match) as err:
        GraphLotteryTicket.load(ticket_file)
    assert "t.npz" in str(err.value)


@pytest.mark.parametrize("field,value,match", [
    ("method", "magic", "'method' must be one of"),
    ("edge_sparsity", 1.5, "'edge_sparsity' must be a fraction"),
    ("weight_sparsity", "0.3", "'weight_sparsity' must be a real number"),
    ("best_epoch", -1, "'best_epoch' must be a non-negative integer"),
    ("num_nodes", 2.5, "'num_nodes'"),
    ("config", [1, 2], "'config' must be a JSON object"),
    ("weight_names", ["a", "a"], "'weight_names' must be a list of distinct"),
    ("format_version", 99, "format version"),
    ("method", None, "'method' must be one of"),
])
def test_bad_ticket_meta_named(ticket_file, field, value, match):
    meta = _meta(ticket_file)
    meta[field] = value
    _rewrite(ticket_file, meta=np.array(json.dumps(meta)))
    with pytest.raises(ValueError, match=match):
        GraphLotteryTicket.load(ticket_file)


def test_missing_and_unknown_meta_fields(ticket_file):
    meta = _meta(ticket_file)
    del meta["seed"]
    meta["evil"] = 1
    _rewrite(ticket_file, meta=np.array(json.dumps(meta)))
    with pytest.raises(ValueError, match="misses field.*seed.*unknown field.*evil"):
        GraphLotteryTicket.load(ticket_file)


def test_never_unpickles(tmp_path):
    """A pickle (or an npz holding an object array) under the ticket's name is refused unread."""
    marker = tmp_path / "marker"

    class Payload:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ValueError, match="not a graphsparse ticket"):
        GraphLotteryTicket.load(str(path))
    _ticket().save(str(tmp_path / "t.npz"))
    _rewrite(str(tmp_path / "t.npz"), mask_0=np.array([Payload()], dtype=object))
    with pytest.raises(ValueError, match="t.npz"):
        GraphLotteryTicket.load(str(tmp_path / "t.npz"))
    assert not marker.exists()


def test_wrong_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        GraphLotteryTicket.load(str(tmp_path / "nope.npz"))
    with pytest.raises(ValueError, match="directory"):
        GraphLotteryTicket.load(str(tmp_path))
    with pytest.raises(ValueError, match="directory"):
        _ticket().save(str(tmp_path))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _ticket().save(str(tmp_path / "missing" / "t.npz"))
    (tmp_path / "text.npz").write_text("0 1\n1 2\n")
    with pytest.raises(ValueError, match="not a graphsparse ticket"):
        GraphLotteryTicket.load(str(tmp_path / "text.npz"))
    with pytest.raises(TypeError, match="path"):
        GraphLotteryTicket.load(3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_truncated_or_flipped_ticket_files(tmp_path_factory, data):
    """Truncated or bit-flipped ticket files: an equal ticket or a clear ValueError, never anything else."""
    folder = tmp_path_factory.mktemp("fuzz")
    path = str(folder / "t.npz")
    ticket = _ticket()
    ticket.save(path)
    payload = bytearray(open(path, "rb").read())
    if data.draw(st.booleans(), label="truncate"):
        payload = payload[: data.draw(st.integers(0, len(payload) - 1), label="cut")]
    else:
        for _ in range(data.draw(st.integers(1, 4), label="flips")):
            position = data.draw(st.integers(0, len(payload) - 1), label="position")
            payload[position] ^= 1 << data.draw(st.integers(0, 7), label="bit")
    with open(path, "wb") as handle:
        handle.write(bytes(payload))
    try:
        loaded = GraphLotteryTicket.load(path)
    except ValueError as err:
        assert "t.npz" in str(err)
    else:  # a flip in a part the reader never uses (zip comment, padding) may leave the ticket intact
        assert loaded == ticket or isinstance(loaded, GraphLotteryTicket)
        for mask in [loaded.edge_mask, *loaded.weight_masks.values()]:
            assert mask.dtype == bool
        for value in (loaded.state_dict or {}).values():
            assert np.isfinite(value).all()


# --------------------------------------------------------------------------- TEDDY transform
def _data(num_edges_attr=None, **extra):
    edge_index = torch.tensor([[0, 1, 1, 2, 2, 3, 3, 0], [1, 0, 2, 1, 3, 2, 0, 3]])
    count = edge_index.size(1) if num_edges_attr is None else num_edges_attr
    return Data(edge_index=edge_index, edge_attr=torch.arange(float(count)).view(-1, 1), num_nodes=4, **extra)


@pytest.mark.parametrize("key,value", [
    ("edge_attr", torch.zeros(5, 2)),
    ("edge_weight", torch.ones(7)),
    ("edge_type", torch.zeros(9, dtype=torch.long)),
    ("e_id", torch.arange(3)),
    ("edge_time", torch.zeros(4)),
    ("edge_feat", torch.zeros(2, 3)),
])
def test_teddy_wrong_length_edge_attribute_named(key, value):
    data = _data()
    data[key] = value
    with pytest.raises(ValueError, match=rf"data\.{key} has {value.size(0)} entries .* edge_index has 8 edges"):
        TEDDY(edge_sparsity=0.5)(data)
    with pytest.raises(ValueError, match=rf"data\.{key}"):
        SparsifyEdges(0.5, method="random", random_state=0)(data)


def test_teddy_prunes_every_edge_attribute_together():
    data = _data(edge_weight=torch.arange(8.0), e_id=torch.arange(8), edge_type=torch.arange(8) % 2,
                 edge_label=torch.ones(3), edge_label_index=torch.tensor([[0, 1, 2], [2, 3, 0]]),
                 x=torch.randn(4, 2))
    reference = data.clone()
    out = TEDDY(edge_sparsity=0.5)(data)
    kept = out.e_id
    assert out.edge_index.size(1) == kept.numel() < 8
    assert torch.equal(out.edge_index, reference.edge_index[:, kept])
    for key in ("edge_attr", "edge_weight", "edge_type"):
        assert torch.equal(out[key], reference[key][kept]), key
    assert torch.equal(out.edge_label, reference.edge_label)  # supervision edges: not pruned
    assert torch.equal(out.x, reference.x)


def test_teddy_bad_edge_index():
    with pytest.raises(ValueError, match=r"edge_index must be a \(2, E\) tensor"):
        TEDDY(0.5)(Data(edge_index=torch.zeros(3, 4, dtype=torch.long), num_nodes=4))


def test_teddy_on_batch_checks_each_attribute():
    batch = Batch.from_data_list([_data(), _data()])
    batch.edge_weight = torch.ones(15)
    with pytest.raises(ValueError, match="data.edge_weight has 15"):
        TEDDY(0.5)(batch)
