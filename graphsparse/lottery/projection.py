"""Projection of GNN weights onto the l0 ball (TEDDY's weight sparsification).

``l0_project_(params, weight_sparsity)`` concatenates the chosen parameters into one vector
``theta`` of length ``P`` and zeroes its ``k = ceil(P * s_w)`` globally smallest magnitudes::

    P_{l0}(theta) = argmin_{||u||_0 <= P - k} ||u - theta||_2 = theta * 1[|theta| > tau],
    tau = k-th smallest |theta|

(Seo et al., ICLR 2024, Sec. 4.3: projected gradient descent, applied after every optimiser
step; global over all layers, not per layer; no persistent mask -- a zeroed entry can regrow).
Entries tied with ``tau`` are zeroed too, so at least ``k`` entries are zero afterwards (the
reference zeroes exactly ``k`` with ``topk``; ties at a non-zero ``tau`` are measure-zero, and
``kthvalue`` is ~4x faster than ``topk`` on CPU).
"""
from __future__ import annotations

import math

import torch

from graphsparse._validation import check_fraction

__all__ = ["l0_project_", "prunable_parameters"]


def prunable_parameters(module_or_params, which: str = "all"):
    """``[(name, parameter)]`` to sparsify: ``which="all"`` (every trainable parameter, TEDDY)
    or ``"weights"`` (only parameters with ``ndim >= 2``, the weight matrices UGS masks)."""
    if which not in ("all", "weights"):
        raise ValueError(f"which must be 'all' or 'weights', got {which!r}")
    if isinstance(module_or_params, torch.nn.Module):
        named = [(name, p) for name, p in module_or_params.named_parameters() if p.requires_grad]
    else:
        named = []
        for index, item in enumerate(module_or_params):
            if isinstance(item, tuple):
                named.append(item)
            else:
                named.append((str(index), item))
    if which == "weights":
        named = [(name, p) for name, p in named if p.dim() >= 2]
    for name, p in named:
        if not isinstance(p, torch.Tensor):
            raise TypeError(f"parameter {name!r} is a {type(p).__name__}, expected a torch.Tensor")
    return named


@torch.no_grad()
def l0_project_(module_or_params, weight_sparsity: float, which: str = "all") -> dict:
    """Zero (in place) the ``ceil(P * weight_sparsity)`` smallest-magnitude entries, globally.

    Parameters
    ----------
    module_or_params : torch.nn.Module or iterable of Tensor or of (str, Tensor)
        An ``nn.Module`` (its trainable parameters) or an iterable of tensors or
        ``(name, tensor)`` pairs.
    weight_sparsity : float in [0, 1)
        Target fraction of zero entries over all chosen parameters.
    which : {"all", "weights"}, default="all"
        ``"all"`` parameters (as TEDDY) or only ``"weights"`` (``ndim >= 2``).

    Returns
    -------
    ``{name: bool mask of kept entries}`` (the support after projection).

    Raises
    ------
    ValueError if there is no parameter to project or ``weight_sparsity`` is outside ``[0, 1)``.

    Examples
    --------
    >>> import torch
    >>> from graphsparse.lottery import l0_project_
    >>> layer = torch.nn.Linear(4, 5)  # 20 weights + 5 biases
    >>> with torch.no_grad():
    ...     _ = layer.weight.copy_(torch.arange(1.0, 21.0).view(5, 4))
    >>> masks = l0_project_(layer, 0.5, which="weights")  # the 10 smallest weights go
    >>> w = layer.weight.detach()
    >>> int((w == 0).sum()), int(masks["weight"].sum()), float(w.max())
    (10, 10, 20.0)
    """
    weight_sparsity = check_fraction(weight_sparsity, "weight_sparsity")
    named = prunable_parameters(module_or_params, which)
    total = sum(p.numel() for _, p in named)
    if total == 0:
        raise ValueError("the model has no parameters to project (no trainable parameters with entries)")
    num_zero = math.ceil(total * weight_sparsity - 1e-9)
    if num_zero == 0:
        return {name: torch.ones_like(p, dtype=torch.bool) for name, p in named}
    magnitudes = torch.cat([p.detach().reshape(-1).abs() for _, p in named])
    threshold = torch.kthvalue(magnitudes, num_zero).values
    masks = {}
    for name, p in named:
        keep = p.abs() > threshold
        p.mul_(keep)
        masks[name] = keep
    return masks
