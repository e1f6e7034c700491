"""Datasets: seeded generators, the registry of the shared real datasets, and their loaders.

* Generators (:mod:`graphsparse.datasets.generators`): :func:`rmat`, :func:`sbm`,
  :func:`contextual_sbm`, :func:`temporal_graph`; directed SBM in :mod:`graphsparse.datasets.dsbm`.
* Real data (:mod:`graphsparse.datasets.loaders`): :func:`load_dataset` (PyG ``Data`` /
  ``TemporalData``), :func:`load_graph` (:class:`graphsparse.Graph`), checked against
  ``registry.json`` (files, sha256, counts).
"""
from graphsparse.datasets.generators import contextual_sbm, random_split_masks, rmat, sbm, temporal_graph

__all__ = ["rmat", "sbm", "contextual_sbm", "temporal_graph", "random_split_masks"]

try:  # loaders (registry + readers)
    from graphsparse.datasets.loaders import (DatasetNotFoundError, available_datasets, dataset_info,
                                              load_dataset, load_graph)

    from graphsparse.datasets.download import download_dataset

    __all__ += ["load_dataset", "load_graph", "available_datasets", "dataset_info", "DatasetNotFoundError",
                "download_dataset"]
except ModuleNotFoundError as _err:  # pragma: no cover - only while loaders.py is being written
    if _err.name != "graphsparse.datasets.loaders":
        raise

try:  # directed SBM, written by the directed-graph engineer
    import importlib as _importlib

    _dsbm = _importlib.import_module("graphsparse.datasets.dsbm")

    for _name in getattr(_dsbm, "__all__", ["directed_sbm"]):
        if hasattr(_dsbm, _name):
            globals()[_name] = getattr(_dsbm, _name)
            __all__.append(_name)
except ModuleNotFoundError as _err:  # pragma: no cover - dsbm.py not there yet
    if _err.name != "graphsparse.datasets.dsbm":
        raise
