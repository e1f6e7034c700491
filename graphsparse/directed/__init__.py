"""Directed-graph learning: sparse direction-aware operators, transforms, models, tasks.

After "Towards Data-centric Machine Learning on Directed Graphs: a Survey" (arXiv 2412.01849).

* :mod:`graphsparse.directed.operators` -- normalisations, symmetrisations, DGCN / DiGCN
  proximities, PageRank family (Perron vector, DiGCN approximate-PPR adjacency, push PPR),
  magnetic Laplacian, homophily / reciprocity diagnostics, SCC / DAG helpers (NumPy/SciPy/Numba;
  importing this package does not import torch). Re-exported here.
* :mod:`graphsparse.directed.tasks` -- :func:`link_split` (existence / direction / three-class) and
  :func:`train_link_predictor` (torch imported when called).
* :mod:`graphsparse.directed.layers` -- the layers (Dir-GCN, Dir-SAGE, Dir-GAT, MagNet, DiGCN
  convolutions) and the operator cache ``DirectedOperators``, on the backend's torch CSR product
  (:mod:`graphsparse.torch_ops`);
* :mod:`graphsparse.directed.models` -- the models (``DirGNN`` with ``alpha='auto'``, ``MagNet``,
  ``DiGCN``, ``SymGCN``, ``MLP``, ``DirectedLinkPredictor``); re-exports the layers and the
  training helpers (import them from ``graphsparse.directed.models``);
* :mod:`graphsparse.directed.training` -- ``train_node_classifier`` (on the shared
  :mod:`graphsparse.training` loop) and the exact mini-batches ``khop_batches``.
* :mod:`graphsparse.directed.transforms` -- PyG transforms (``ToDirGCNAdj``, ``MagneticLaplacian``,
  ``DiGCNAdj``, ``AddReverseEdgeType``, ``DirectionalHomophily``, ``MagneticEigenvectorPE``).
* Generator: :func:`graphsparse.datasets.dsbm.directed_sbm`.
"""
from graphsparse.directed.operators import *  # noqa: F401,F403
from graphsparse.directed.operators import __all__ as _operators_all
from graphsparse.directed.tasks import link_split, train_link_predictor

__all__ = list(_operators_all) + ["link_split", "train_link_predictor"]
