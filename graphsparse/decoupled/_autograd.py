"""A differentiable ``T x`` for torch on the shared SpMM (for the models with the graph in the loop).

Forward ``y = T x`` and backward ``dL/dx = T^T dL/dy`` both run :func:`graphsparse.ops.spmm` on
NumPy views of contiguous CPU float32 tensors (no copy of the backend, no torch sparse tensor).
"""
from __future__ import annotations

import numpy as np
import torch


class _Propagate(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, op):
        ctx.op = op
        x_np = x.detach().contiguous().numpy()
        return torch.from_numpy(op.matmul(x_np))

    @staticmethod
    def backward(ctx, grad):
        g = np.ascontiguousarray(grad.detach().numpy(), dtype=np.float32)
        return torch.from_numpy(ctx.op.matmul_transposed(g)), None


def propagate_torch(op, x: torch.Tensor) -> torch.Tensor:
    """``T x`` for ``x`` a CPU float32 tensor of shape ``(n, d)``; differentiable in ``x``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.device.type != "cpu" or x.dtype != torch.float32 or x.dim() != 2:
        raise ValueError(f"x must be a 2-D CPU float32 tensor, got {x.dtype} {tuple(x.shape)} on {x.device}")
    return _Propagate.apply(x, op)
