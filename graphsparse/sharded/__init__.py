"""Beyond one machine: sharded on-disk graphs and out-of-core / Dask-distributed propagation.

* :mod:`~graphsparse.sharded.format` -- the on-disk format (row-block CSR shards + manifest) and
  :class:`ShardedGraph` / :class:`ShardedArray`; :func:`open_graph`, :func:`from_graph`.
* :mod:`~graphsparse.sharded.build` -- :func:`build_from_edgelist` (text/CSV/gzip/Parquet larger
  than RAM), :func:`build_from_chunks`.
* :mod:`~graphsparse.sharded.ops` -- :func:`spmm`: ``diag(r) A diag(c) X`` one task per shard.
* :mod:`~graphsparse.sharded.fastrp` -- :func:`fit_fastrp`: a :class:`graphsparse.embed.FastRP`
  fitted on a sharded graph, equal to the in-memory fit.
* :mod:`~graphsparse.sharded.teddy` -- :func:`teddy_edge_scores`, :func:`degree_statistics`.

Every computation takes ``client=`` (a ``distributed.Client``): one Dask task per shard and pass;
without it the same tasks run shard by shard in this process. Dask is only imported when a client
is used or a ``dask.array`` is asked for (``pip install 'graphsparse[distributed]'``).
"""
from graphsparse.sharded.build import build_from_chunks, build_from_edgelist, derived_graph, read_edge_chunks
from graphsparse.sharded.fastrp import fit_fastrp
from graphsparse.sharded.format import (ShardedArray, ShardedGraph, ShardFormatError, from_graph, open_array,
                                        open_graph, save_array)
from graphsparse.sharded.ops import spmm
from graphsparse.sharded.teddy import degree_statistics, teddy_edge_scores

__all__ = ["ShardedGraph", "ShardedArray", "ShardFormatError", "open_graph", "open_array", "from_graph",
           "save_array", "build_from_edgelist", "build_from_chunks", "read_edge_chunks", "derived_graph", "spmm",
           "fit_fastrp", "teddy_edge_scores", "degree_statistics"]
