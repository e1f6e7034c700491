"""PrecomputeHops against PyG's own SIGN transform (which runs here: it needs no torch_sparse)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.transforms import SIGN, BaseTransform

from graphsparse.datasets.generators import contextual_sbm
from graphsparse.decoupled import ppr_hops, s2gc_features
from graphsparse.decoupled.transforms import PrecomputeHops


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_equals_pyg_sign(directed, weighted):
    data = contextual_sbm(200, num_classes=3, num_features=6, directed=directed, seed=2)
    if weighted:
        data.edge_weight = torch.rand(data.num_edges, generator=torch.Generator().manual_seed(0)) + 0.5
    ours = PrecomputeHops(K=4, operator="sym", self_loops=False)(data.clone())
    theirs = SIGN(4)(data.clone())
    for k in range(1, 5):
        torch.testing.assert_close(ours[f"x{k}"], theirs[f"x{k}"], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ours.x, data.x)


def test_functional_name_ppr_and_s2gc():
    import torch_geometric.transforms as T

    assert issubclass(PrecomputeHops, BaseTransform)
    data = contextual_sbm(100, num_features=4, seed=0)
    out = T.Compose([PrecomputeHops(K=3, method="ppr", alpha=0.2)])(data.clone())
    expected = ppr_hops(data, data.x.numpy(), 3, 0.2, verbose=False)
    torch.testing.assert_close(out.x3, torch.from_numpy(expected[3]))
    s2gc = PrecomputeHops(K=3, method="s2gc")(data.clone())
    torch.testing.assert_close(s2gc.x_s2gc, torch.from_numpy(s2gc_features(data, data.x.numpy(), 3, verbose=False)))
    from torch.utils.data.datapipes.iter import IterableWrapper  # the functional_transform registration

    piped = list(IterableWrapper([data.clone()]).precompute_hops(K=3, method="ppr", alpha=0.2))[0]
    torch.testing.assert_close(piped.x3, out.x3)
    assert "K=3" in repr(PrecomputeHops(K=3))


def test_bad_arguments():
    with pytest.raises(ValueError, match="operator"):
        PrecomputeHops(2, operator="lap")
    with pytest.raises(ValueError, match="method"):
        PrecomputeHops(2, method="gbp")
    with pytest.raises(ValueError, match="data.x"):
        PrecomputeHops(2)(Data(edge_index=torch.tensor([[0], [1]]), num_nodes=2))
    assert np.isfinite(PrecomputeHops(2)(Data(x=torch.ones(3, 2), edge_index=torch.tensor([[0], [1]]))).x2).all()
