"""PyG transform of the decoupled precompute (``PrecomputeHops``, functional name ``precompute_hops``)."""
from __future__ import annotations

import torch
from torch_geometric.data import Data
from torch_geometric.data.datapipes import functional_transform
from torch_geometric.transforms import BaseTransform

from graphsparse.decoupled.propagation import METHODS, OPERATORS, precompute

__all__ = ["PrecomputeHops"]


@functional_transform("precompute_hops")
class PrecomputeHops(BaseTransform):
    """Precompute ``K`` propagations of ``data.x`` on the shared SpMM, stored as ``data.x1 .. data.xK``.

    1. ``method="hops"``: ``x_k = T^k x`` -- with ``operator="sym", self_loops=False`` this is
       exactly PyG's :class:`torch_geometric.transforms.SIGN` (``D^-1/2 A D^-1/2``, messages source
       -> target, in-degree normalisation); the default ``self_loops=True`` is GCN's / SGC's
       ``D~^-1/2 (A + I) D~^-1/2``.
    2. ``method="ppr"``: ``x_k = (1 - alpha) T x_{k-1} + alpha x`` (APPNP iterates).
    3. ``method="s2gc"``: one attribute ``data.x_s2gc = alpha x + (1 - alpha)/K sum_k T^k x``.

    See :mod:`graphsparse.decoupled.propagation` for the formulas (float32; ``edge_weight`` used when
    present). Unlike PyG's ``SIGN`` the products run on graphsparse's fused CSR kernel.

    Parameters
    ----------
    K : int
        Number of hops.
    operator : {"sym", "rw"}
    self_loops : bool
    method : {"hops", "ppr", "s2gc"}
    alpha : float, optional
        Teleport (``"ppr"``, default 0.1) or S2GC's ``alpha`` (default 0.05).
    block_size : int, optional
        Feature columns per block (bounds the working memory).
    verbose : bool

    Examples
    --------
    >>> import torch
    >>> from torch_geometric.data import Data
    >>> from graphsparse.decoupled.transforms import PrecomputeHops
    >>> data = Data(x=torch.eye(3), edge_index=torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]))
    >>> data = PrecomputeHops(K=2, self_loops=False)(data)
    >>> data.x2.shape
    torch.Size([3, 3])
    """

    def __init__(self, K: int, operator: str = "sym", self_loops: bool = True, method: str = "hops",
                 alpha: float | None = None, block_size: int | None = None, verbose: bool = False):
        if operator not in OPERATORS:
            raise ValueError(f"operator must be one of {OPERATORS}, got {operator!r}")
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        self.K, self.operator, self.self_loops, self.method = K, operator, self_loops, method
        self.alpha, self.block_size, self.verbose = alpha, block_size, verbose

    def forward(self, data: Data) -> Data:
        if getattr(data, "x", None) is None:
            raise ValueError("PrecomputeHops needs node features data.x")
        x = data.x
        features = x.detach().cpu().float().numpy()  # no copy for a CPU float32 x
        if self.method == "s2gc":
            result = precompute(data, features, self.K, self.method, self.operator, self.self_loops,
                                alpha=self.alpha, block_size=self.block_size, verbose=self.verbose)
            data.x_s2gc = torch.from_numpy(result).to(x.device)
            return data
        # hops 1..K only (data.x stays the caller's tensor): one (K, n, f) buffer, x{k} are views of it
        result = precompute(data, features, self.K, self.method, self.operator, self.self_loops, alpha=self.alpha,
                            block_size=self.block_size, include_x=False, verbose=self.verbose)
        for k in range(1, self.K + 1):
            data[f"x{k}"] = torch.from_numpy(result[k - 1]).to(x.device)
        return data

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(K={self.K}, operator={self.operator!r}, self_loops={self.self_loops}, "
                f"method={self.method!r})")
