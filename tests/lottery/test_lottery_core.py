"""l0 projection, tickets (save/load/apply), backbones and a tiny end-to-end find_ticket."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from graphsparse.lottery import (GCN, GIN, GraphLotteryTicket, find_ticket, find_tickets, l0_project_,
                                 make_model, ugs_levels)


@pytest.fixture(scope="module")
def csbm():
    from graphsparse.datasets import contextual_sbm

    return contextual_sbm(num_nodes=200, num_classes=3, avg_degree=8.0, homophily=0.85, num_features=12,
                          feature_signal=1.5, seed=0)


# ------------------------------------------------------------------ projection
@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.5, 1 - 0.8 ** 20, 0.999])
def test_l0_projection_zero_count_and_kept_are_largest(sparsity):
    torch.manual_seed(0)
    model = GCN(20, 16, 3)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p))
    before = torch.cat([p.detach().reshape(-1).clone() for p in model.parameters()])
    masks = l0_project_(model, sparsity)
    after = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    num_zero = int((after == 0).sum())
    assert num_zero >= math.ceil(before.numel() * sparsity - 1e-9)
    assert num_zero == math.ceil(before.numel() * sparsity - 1e-9)  # continuous values: no ties
    kept = after != 0
    torch.testing.assert_close(after[kept], before[kept])  # survivors untouched
    if kept.any() and (~kept).any():
        assert before[kept].abs().min() >= before[~kept].abs().max()
    assert sum(int(m.sum()) for m in masks.values()) == int(kept.sum())


def test_l0_projection_is_global_not_per_layer():
    small = torch.nn.Parameter(torch.full((10,), 0.01))
    large = torch.nn.Parameter(torch.full((10,), 5.0))
    l0_project_([("small", small), ("large", large)], 0.5)
    assert (small == 0).all() and (large != 0).all()


def test_l0_projection_bad_input():
    with pytest.raises(ValueError, match="no parameters"):
        l0_project_(torch.nn.ReLU(), 0.5)
    with pytest.raises(ValueError, match="weight_sparsity"):
        l0_project_(GCN(4, 4, 2), 1.0)
    with pytest.raises(ValueError, match="weight_sparsity"):
        l0_project_(GCN(4, 4, 2), -0.2)


# ------------------------------------------------------------------ backbones
@pytest.mark.parametrize("name", ["gcn", "gat", "gin"])
def test_backbones_prepared_graph_equals_edge_index_path(name, csbm):
    torch.manual_seed(0)
    model = make_model(name, csbm.x.size(1), 3, hidden_channels=8).eval()
    direct = model(csbm.x, csbm.edge_index)
    prepared = model(csbm.x, *model.prepare_graph(csbm.edge_index, None, csbm.num_nodes))
    torch.testing.assert_close(direct, prepared, rtol=1e-5, atol=1e-5)
    # an all-ones edge weight is the unweighted graph
    torch.testing.assert_close(model(csbm.x, csbm.edge_index, torch.ones(csbm.edge_index.size(1))), direct,
                               rtol=1e-5, atol=1e-5)


def test_make_model_unknown():
    with pytest.raises(ValueError, match="model"):
        make_model("mlp", 3, 2)


# ------------------------------------------------------------------ end to end
def test_find_ticket_teddy_end_to_end(csbm, tmp_path):
    levels = ugs_levels([1, 4])
    tickets = find_tickets("gcn", csbm, levels, "teddy", epochs=25, include_dense=True, verbose=False, seed=1)
    assert [t.method for t in tickets] == ["dense", "teddy", "teddy"]
    dense, level1, level4 = tickets
    for ticket, (s_g, s_w) in zip([level1, level4], levels):
        num_pairs = csbm.edge_index.size(1) // 2
        assert ticket.edge_sparsity == pytest.approx(math.floor(num_pairs * s_g + 1e-9) / num_pairs)
        assert ticket.weight_sparsity >= s_w - 1e-9
        assert 0.0 <= ticket.test_score <= 1.0 and ticket.timings["total"] > 0
    assert not (level4.edge_mask & ~level1.edge_mask).any()  # nested graphs
    assert dense.test_score > 0.6  # informative CSBM: far above chance (1/3)
    assert level1.test_score > 0.6
    # ticket reproduces its score when re-applied to a fresh model
    model = GCN(csbm.x.size(1), 512, 3)
    level4.apply(model)
    pruned = level4.prune_graph(csbm)
    model.eval()
    with torch.no_grad():
        logits = model(csbm.x, pruned.edge_index)
    test_index = csbm.test_mask.nonzero().view(-1)
    accuracy = float((logits[test_index].argmax(1) == csbm.y[test_index]).float().mean())
    assert accuracy == pytest.approx(level4.test_score, abs=1e-6)
    zeros = sum(int((p == 0).sum()) for p in model.parameters())
    total = sum(p.numel() for p in model.parameters())
    assert zeros >= math.ceil(total * levels[1][1] - 1e-9)


def test_ticket_save_load_bit_for_bit(csbm, tmp_path):
    ticket = find_ticket("gcn", csbm, *ugs_levels([2])[0], method="teddy", epochs=5, verbose=False)
    path = tmp_path / "ticket.npz"
    ticket.save(path)
    loaded = GraphLotteryTicket.load(path)
    assert loaded == ticket
    assert loaded.edge_mask.dtype == bool and np.array_equal(loaded.edge_mask, ticket.edge_mask)
    for name in ticket.state_dict:
        assert loaded.state_dict[name].tobytes() == ticket.state_dict[name].tobytes()
    assert loaded.summary() == ticket.summary() and loaded.config == ticket.config
    fresh_a, fresh_b = GCN(csbm.x.size(1), 512, 3), GCN(csbm.x.size(1), 512, 3)
    ticket.apply(fresh_a)
    loaded.apply(fresh_b)
    for (_, a), (_, b) in zip(fresh_a.named_parameters(), fresh_b.named_parameters()):
        assert torch.equal(a, b)
    ticket.save(tmp_path / "again.npz")
    assert GraphLotteryTicket.load(tmp_path / "again.npz") == loaded


def test_ticket_on_model_of_other_shape_raises(csbm):
    ticket = find_ticket("gcn", csbm, 0.1, 0.2, method="teddy", epochs=3, verbose=False)
    with pytest.raises(ValueError, match="shape"):
        ticket.apply(GCN(csbm.x.size(1), 64, 3))
    with pytest.raises(ValueError, match="does not have"):
        ticket.apply(GIN(csbm.x.size(1), 512, 3))
    with pytest.raises(ValueError, match="another graph"):
        ticket.prune_graph(csbm.subgraph(torch.arange(50)))


@pytest.mark.parametrize("method", ["ugs", "random"])
def test_baselines_end_to_end(csbm, method):
    levels = ugs_levels([1, 2])
    tickets = find_tickets("gcn", csbm, levels, method, epochs=8, verbose=False)
    assert [t.method for t in tickets] == [method, method]
    for ticket, (s_g, s_w) in zip(tickets, levels):
        num_pairs = csbm.edge_index.size(1) // 2
        assert ticket.edge_sparsity == pytest.approx(math.floor(num_pairs * s_g + 1e-9) / num_pairs)
        assert ticket.weight_sparsity == pytest.approx(s_w, abs=1e-3)
        # edge masks keep both directions together
        src, dst = csbm.edge_index
        kept = set(zip(src[torch.from_numpy(ticket.edge_mask)].tolist(), dst[torch.from_numpy(ticket.edge_mask)].tolist()))
        assert all((j, i) in kept for i, j in kept)
    assert not (tickets[1].edge_mask & ~tickets[0].edge_mask).any()
    for name, mask in tickets[1].weight_masks.items():
        assert not (mask & ~tickets[0].weight_masks[name]).any()  # nested weights


@pytest.mark.parametrize("name", ["gat", "gin"])
def test_other_backbones_find_tickets(csbm, name):
    ticket = find_ticket(name, csbm, *ugs_levels([3])[0], method="teddy", epochs=4, verbose=False)
    assert ticket.config["model"] == name and ticket.weight_sparsity >= 1 - 0.8 ** 3 - 1e-9


def test_find_ticket_bad_input(csbm):
    with pytest.raises(ValueError, match="edge_sparsity"):
        find_ticket("gcn", csbm, 1.0, 0.5, epochs=1, verbose=False)
    with pytest.raises(ValueError, match="weight_sparsity"):
        find_ticket("gcn", csbm, 0.1, -0.5, epochs=1, verbose=False)
    with pytest.raises(ValueError, match="method"):
        find_ticket("gcn", csbm, 0.1, 0.1, method="magic", epochs=1, verbose=False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        find_ticket(lambda: torch.nn.Identity(), csbm, 0.1, 0.1, epochs=1, verbose=False)
    with pytest.raises(TypeError, match="model"):
        find_ticket(42, csbm, 0.1, 0.1, epochs=1, verbose=False)
    with pytest.raises(ValueError, match="schedule"):
        find_ticket("gcn", csbm, 0.3, 0.3, method="ugs", epochs=1, verbose=False)
    directed = csbm.clone()
    directed.edge_index = torch.tensor([[0, 1, 2], [1, 2, 0]])
    with pytest.raises(ValueError, match="directed"):
        find_ticket("gcn", directed, 0.1, 0.1, epochs=1, verbose=False)


def test_gcn_edge_weight_gradient_matches_pyg_scatter_reference(csbm):
    """The fast differentiable CSR path equals PyG's own GCNConv (normalize=True) in value and
    in the gradient with respect to the edge weights and the parameters."""
    from torch_geometric.nn import GCNConv

    torch.manual_seed(0)
    model = GCN(csbm.x.size(1), 8, 3, dropout=0.0)
    reference1 = GCNConv(csbm.x.size(1), 8, bias=False)
    reference2 = GCNConv(8, 3, bias=False)
    reference1.lin.weight.data.copy_(model.conv1.lin.weight.data)
    reference2.lin.weight.data.copy_(model.conv2.lin.weight.data)
    weight = torch.rand(csbm.edge_index.size(1), dtype=torch.float32) + 0.5
    weight_a = weight.clone().requires_grad_(True)
    weight_b = weight.clone().requires_grad_(True)
    ours = model(csbm.x, csbm.edge_index, weight_a)
    theirs = reference2(torch.relu(reference1(csbm.x, csbm.edge_index, weight_b)), csbm.edge_index, weight_b)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)
    probe = torch.randn_like(ours)
    (ours * probe).sum().backward()
    (theirs * probe).sum().backward()
    torch.testing.assert_close(weight_a.grad, weight_b.grad, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(model.conv1.lin.weight.grad, reference1.lin.weight.grad, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ boundary checks (#13)
def test_find_ticket_refuses_masks_with_splits_first(csbm):
    data = csbm.clone()
    for key in ("train_mask", "val_mask", "test_mask"):
        data[key] = torch.stack([csbm[key], csbm[key]])  # (splits, N) instead of (N, splits)
    with pytest.raises(ValueError, match=r"splits first.*\.T"):
        find_ticket("gcn", data, 0.1, 0.1, epochs=1, verbose=False)


def test_find_ticket_split_with_one_dimensional_masks(csbm):
    assert csbm.train_mask.dim() == 1
    with pytest.raises(ValueError, match="1-D.*split=2"):
        find_ticket("gcn", csbm, 0.1, 0.1, epochs=1, split=2, verbose=False)


def test_find_ticket_negative_labels(csbm):
    data = csbm.clone()
    data.y = csbm.y.clone()
    node = int(csbm.train_mask.nonzero()[0])
    data.y[node] = -1
    with pytest.raises(ValueError, match="negative label"):
        find_ticket("gcn", data, 0.1, 0.1, epochs=1, verbose=False)
    # unlabelled nodes outside every split are allowed (they never enter the loss or a score)
    for key in ("train_mask", "val_mask", "test_mask"):
        data[key] = data[key].clone()
        data[key][node] = False
    ticket = find_ticket("gcn", data, 0.1, 0.1, epochs=2, verbose=False)
    assert np.isfinite(ticket.test_score)


def test_ugs_mask_search_keeps_edge_masks_valid_at_large_lr(csbm):
    """Regression: with Adam at a large lr the l1 sub-gradient (and, before, weight decay on the
    masks) drives every mask down by ~lr per epoch; the edge mask used to cross 0, the GCN degree
    ``1 + sum m`` turned negative and every later output was NaN. Now the edge mask is projected
    onto ``>= 0`` after each step: no forward pass ever sees a negative edge weight or gives NaN."""
    seen = {"min_weight": math.inf, "forwards": 0, "nonfinite": 0}

    def hooked_gcn():
        model = GCN(csbm.x.size(1), 16, 3)

        def record(module, args, output):
            seen["forwards"] += 1
            if len(args) > 2 and args[2] is not None:
                seen["min_weight"] = min(seen["min_weight"], float(args[2].detach().min()))
            seen["nonfinite"] += int(not torch.isfinite(output).all())

        model.register_forward_hook(record)
        return model

    tickets = find_tickets(hooked_gcn, csbm, ugs_levels([1, 2]), "ugs", epochs=40, lr=0.1, ugs_s1=1e-2, ugs_s2=1e-2,
                           ugs_mask_weight_decay=5e-4, verbose=False)
    assert seen["forwards"] >= 2 * 40
    assert seen["min_weight"] >= 0.0
    assert seen["nonfinite"] == 0
    assert all(math.isfinite(t.val_score) and t.val_score > 0.34 for t in tickets)


def test_gcn_refuses_negative_or_nan_edge_weight(csbm):
    model = GCN(csbm.x.size(1), 8, 3)
    weight = torch.ones(csbm.edge_index.size(1))
    weight[3] = -0.5
    with pytest.raises(ValueError, match="edge_weight"):
        model(csbm.x, csbm.edge_index, weight)
    with pytest.raises(ValueError, match="edge_weight"):
        model.prepare_graph(csbm.edge_index, weight, csbm.num_nodes)
    weight[3] = float("nan")
    with pytest.raises(ValueError, match="edge_weight"):
        model(csbm.x, csbm.edge_index, weight)
    weight[3] = 0.0  # a zero weight is a removed edge: fine
    assert torch.isfinite(model(csbm.x, csbm.edge_index, weight)).all()


@pytest.mark.parametrize("option,value,error", [("lr", 0.0, ValueError), ("lr", float("nan"), ValueError),
                                                ("weight_decay", -1e-4, ValueError), ("ugs_s1", -0.1, ValueError),
                                                ("ugs_s2", float("inf"), ValueError),
                                                ("ugs_mask_weight_decay", -1.0, ValueError),
                                                ("ugs_s1", "0.1", TypeError)])
def test_find_tickets_refuses_bad_optimiser_options(csbm, option, value, error):
    # refused before any training: a NaN or negative coefficient would give NaN masks, silently
    with pytest.raises(error, match=option):
        find_tickets("gcn", csbm, ugs_levels([1]), "ugs", epochs=2, verbose=False, **{option: value})
