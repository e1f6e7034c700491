"""Shared fixtures of the directed tests: a small DSBM and a full-batch train/evaluate helper."""
from __future__ import annotations

import pytest
import torch

from graphsparse.datasets.dsbm import directed_sbm


@pytest.fixture(scope="module")
def small_dsbm():
    return directed_sbm(num_nodes=300, num_classes=3, p_in=0.05, eta=0.05, num_features=8, feature_signal=0.5,
                        num_splits=1, train_fraction=0.3, val_fraction=0.2, random_state=0)


def _train_eval(model, data, epochs=60, lr=0.02):
    """Train ``model`` full batch on split 0 of ``data``; return its test accuracy."""
    torch.manual_seed(0)
    ops = model.build_operators(data.edge_index, data.num_nodes)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    train, test = data.train_mask[:, 0], data.test_mask[:, 0]
    for _ in range(epochs):
        model.train()
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(data.x, ops)[train], data.y[train]).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        pred = model(data.x, ops).argmax(1)
    return (pred[test] == data.y[test]).float().mean().item()


@pytest.fixture
def train_eval():
    return _train_eval
