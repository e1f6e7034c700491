"""Temporal link prediction with neighbourhood caches: NAT (Luo & Li, LoG 2022).

* :class:`NCache` - per-node 0/1/2-hop hash tables (Numba or torch), usable alone as a fast
  joint-neighbourhood feature extractor (:meth:`NCache.joint_features`).
* :class:`NAT` - the model (time encoding, GRU value refresh, self representation, distance
  encoding, sum pooling, MLP decoder).
* :class:`NATTrainer` - chronological split, streaming training with early stopping, transductive
  and inductive evaluation with random / historical / inductive negatives.
"""
from graphsparse.temporal.data import TemporalEdges, as_temporal, load_collegemsg, toy_temporal_graph
from graphsparse.temporal.ncache import NCache, CacheView, JointFeatures

__all__ = ["NCache", "CacheView", "JointFeatures", "TemporalEdges", "as_temporal", "load_collegemsg",
           "toy_temporal_graph", "NAT", "NATTrainer", "chronological_split", "NegativeSampler"]


def __getattr__(name):  # torch-heavy parts load lazily
    if name == "NAT":
        from graphsparse.temporal.model import NAT

        return NAT
    if name in ("NATTrainer", "chronological_split", "NegativeSampler"):
        from graphsparse.temporal import train

        return getattr(train, name)
    raise AttributeError(f"module 'graphsparse.temporal' has no attribute {name!r}")
