"""FastRP node embeddings (Chen et al., CIKM 2019; Neo4j GDS variant) on the graphsparse backend.

* :class:`FastRP` -- scikit-learn estimator (``fit(graph)``, ``embedding_``, ``transform(nodes)``,
  ``embed_new_nodes``); ``FastRP.paper()`` / ``FastRP.gds()`` give the two published configurations.
* :class:`FastRPTuner` -- seeded, time-bounded search of ``beta``, the last iteration weight and
  (optionally) the iteration-weight scheme and projection, on a validation split of the labelled nodes.
* :class:`SpectralPropagation` -- ProNE's spectral propagation (Chebyshev band-pass filter), on any
  embedding or as ``FastRP(spectral_propagation=True)``.
* :func:`embedding_cv_score` -- leak-free cross-validated node classification on embeddings.
* :class:`~graphsparse.embed.transforms.FastRPEmbedding` -- PyG transform (imported lazily: torch).
"""
from graphsparse.embed.fastrp import DEFAULTS, GDS_DEFAULTS, PAPER_DEFAULTS, FastRP
from graphsparse.embed.evaluation import embedding_cv_score
from graphsparse.embed.spectral import PRONE_DEFAULTS, SpectralPropagation
from graphsparse.embed.tuning import FastRPTuner, default_scorer

__all__ = ["FastRP", "FastRPTuner", "SpectralPropagation", "default_scorer", "PAPER_DEFAULTS", "GDS_DEFAULTS",
           "PRONE_DEFAULTS", "DEFAULTS", "embedding_cv_score"]
