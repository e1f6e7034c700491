"""One-shot, structure-only edge sparsification (TEDDY and simple baselines).

* :func:`teddy_edge_scores`, :func:`edge_scores` -- O(E) Numba scores per stored edge;
* :func:`sparsify` -- drop the lowest-scored undirected edges (both directions together,
  self-loops kept, nested across sparsities);
* :func:`edge_keep_mask` -- the same decision as a mask over the columns of an edge index;
* :class:`TEDDY` -- PyG transform pruning ``edge_index`` and every edge attribute consistently.

Reference: Seo, Kim, Lee, Ko, Park, "TEDDY: Trimming Edges with Degree-based Discrimination
strategY", ICLR 2024.
"""
from graphsparse.sparsify.core import (SCORE_METHODS, edge_keep_mask, edge_keep_masks, edge_scores, pair_keep_mask,
                                       sparsify,
                                       teddy_edge_scores)
from graphsparse.sparsify.transforms import TEDDY, SparsifyEdges

__all__ = ["SCORE_METHODS", "teddy_edge_scores", "edge_scores", "sparsify", "edge_keep_mask", "edge_keep_masks", "pair_keep_mask",
           "TEDDY", "SparsifyEdges"]
