"""Decoupled deep GNNs: precomputed propagation on the shared SpMM, SGC / SIGN / S2GC / APPNP and AIR.

After Zhang et al., "Evaluating Deep Graph Neural Networks" (arXiv 2108.00955), published as "Model
Degradation Hinders Deep Graph Neural Networks" (KDD 2022; DGMLP).

* :mod:`graphsparse.decoupled.propagation` -- ``propagate_hops`` / ``ppr_hops`` / ``s2gc_features`` /
  ``precompute`` (float32, into one preallocated array or a memory-mapped ``.npy``, optional column
  blocks) and ``propagation_operator`` (importing this package does not import torch);
* :mod:`graphsparse.decoupled.transforms` -- the PyG transform ``PrecomputeHops`` (like ``SIGN``);
* :mod:`graphsparse.decoupled.models` -- SGC, S2GC, SIGN, SGC+AIR, APPNP, APPNP+AIR, GCN+AIR;
* :mod:`graphsparse.decoupled.train` -- mini-batch training over precomputed rows, early stopping,
  the one set of defaults per model (``DEFAULTS``) and ``run_model``.
"""
from graphsparse.decoupled.propagation import (METHODS, OPERATORS, PropagationOperator, ppr_hops, precompute,
                                               propagate_hops, propagation_operator, s2gc_features)

__all__ = ["precompute", "propagate_hops", "ppr_hops", "s2gc_features", "propagation_operator",
           "PropagationOperator", "OPERATORS", "METHODS"]
