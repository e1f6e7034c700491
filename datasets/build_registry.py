"""Regenerate ``graphsparse/datasets/registry.json`` from ``MANIFEST.md`` of the shared data folder.

Usage (from the repository root)::

    python datasets/build_registry.py [/path/to/shared/datasets]

File sizes, sha256 and origin (repository, commit, path -> raw GitHub URL) are parsed from the
manifest's "Files" table; the expected counts below
are copied by hand from the manifest's "what" column (they are what the loaders are tested
against, so they are deliberately NOT computed by our own loaders). ``num_edges`` counts edges
as the manifest does: an undirected edge once, a directed edge once, a temporal event once;
``edge_index_columns`` is the number of columns of the loaded ``edge_index`` (both directions of
an undirected edge are stored, as in PyG).
"""
from __future__ import annotations

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REGISTRY = os.path.join(HERE, "..", "graphsparse", "datasets", "registry.json")

# name -> metadata (counts from MANIFEST.md "what"; format = loader used)
DATASETS = {
    "cora": dict(folder="cora_planetoid", format="planetoid", prefix="cora", num_nodes=2708, num_edges=5278,
                 edge_index_columns=10556, num_classes=7, num_features=1433, directed=False, temporal=False,
                 multilabel=False, split=dict(kind="planetoid_public", train=140, val=500, test=1000),
                 source="kimiyoung/planetoid@af6abf468a77 data/",
                 citation="Yang, Cohen & Salakhutdinov, ICML 2016; Sen et al., AI Magazine 2008"),
    "citeseer": dict(folder="citeseer_planetoid", format="planetoid", prefix="citeseer", num_nodes=3327,
                     num_edges=4552, edge_index_columns=9104, num_classes=6, num_features=3703, directed=False,
                     temporal=False, multilabel=False, split=dict(kind="planetoid_public", train=120, val=500, test=1000),
                     notes="15 test-range ids have no feature row: zero features and label, as PyG/GCN loaders do",
                     source="kimiyoung/planetoid@af6abf468a77 data/",
                     citation="Yang, Cohen & Salakhutdinov, ICML 2016; Sen et al., AI Magazine 2008"),
    "blogcatalog": dict(folder="blogcatalog", format="mat", num_nodes=10312, num_edges=333983,
                        edge_index_columns=667966, num_classes=39, num_features=None, directed=False,
                        temporal=False, multilabel=True, num_label_assignments=14476, split=None,
                        source="phanein/deepwalk@6e6dff245e46 example_graphs/blogcatalog.mat",
                        citation="Tang & Liu, KDD 2009"),
    "karate": dict(folder="karate", format="adjlist", num_nodes=34, num_edges=78, edge_index_columns=156,
                   num_classes=None, num_features=None, directed=False, temporal=False, multilabel=False, split=None,
                   notes="file ids are 1-based; node k of the file is node k - 1",
                   source="phanein/deepwalk@6e6dff245e46 example_graphs/karate.adjlist",
                   citation="Zachary, J. Anthropol. Res. 1977"),
    "gnutella": dict(folder="p2p_gnutella08", format="edgelist", num_nodes=6301, num_edges=20777,
                     edge_index_columns=20777, num_classes=None, num_features=None, directed=True, temporal=False,
                     multilabel=False, split=None, notes="tab-separated, CRLF line ends, 0-based",
                     source="phanein/deepwalk@6e6dff245e46 example_graphs/p2p-Gnutella08.edgelist",
                     citation="Ripeanu, Foster & Iamnitchi, IEEE Internet Computing 2002 (SNAP)"),
    "collegemsg": dict(folder="collegemsg", format="snap_temporal", num_nodes=1899, num_edges=59835,
                       edge_index_columns=59835, num_distinct_pairs=20296, t_min=1082040961, t_max=1098777142,
                       num_classes=None, num_features=None, directed=True, temporal=True, multilabel=False,
                       split=None, notes="file ids 1..1899 relabelled 0-based in increasing order; events stably "
                                         "sorted by time",
                       source="USFDataVisualization/Persistent-Homology-On-Time-Varying-Graphs@fb38be6585af "
                              "data/CollegeMsg.txt.gz",
                       citation="Panzarasa, Opsahl & Carley, JASIST 2009 (SNAP)"),
    "cora_ml": dict(folder="cora_ml", format="g2g_npz", num_nodes=2995, num_edges=8416, edge_index_columns=8416,
                    num_reciprocal_pairs=258, num_classes=7, num_features=2879, directed=True, temporal=False,
                    multilabel=False, split=None, source="danielzuegner/gnn-meta-attack@982d900d05f1 data/cora_ml.npz",
                    citation="McCallum et al. 2000; Bojchevski & Guennemann, ICLR 2018"),
    "polblogs": dict(folder="polblogs", format="g2g_npz", num_nodes=1490, num_edges=19025, edge_index_columns=19025,
                     num_reciprocal_pairs=2308, num_classes=2, num_features=None, directed=True, temporal=False,
                     multilabel=False, split=None,
                     notes="a few adjacency values are 2 and 3 self-loops exist; the loader keeps the structure "
                           "(all stored entries, self-loops included) and drops the values. num_reciprocal_pairs "
                           "is the manifest's nnz(A * A^T) // 2 with the self-loops included (2,307 pairs u != v)",
                     source="danielzuegner/nettack@da8ec64b2444 data/polblogs.npz",
                     citation="Adamic & Glance, LinkKDD 2005"),
    "dblp": dict(folder="dblp_prone", format="prone", num_nodes=51264, num_edges=127968, edge_index_columns=255936,
                 num_classes=60, num_features=None, directed=False, temporal=False, multilabel=False, split=None,
                 notes="every node is in exactly one community of dblp.cmty (line k = class k)",
                 source="THUDM/ProNE@873630a5943f data/dblp.ungraph, data/dblp.cmty",
                 citation="Zhang, Dong, Wang, Tang & Ding, IJCAI 2019"),
    "tolokers": dict(folder="tolokers", format="hetero_npz", num_nodes=11758, num_edges=519000,
                     edge_index_columns=1038000, num_classes=2, num_features=10, directed=False, temporal=False,
                     multilabel=False, split=dict(kind="fixed", num_splits=10),
                     source="yandex-research/heterophilous-graphs@a431395582e9 data/tolokers.npz",
                     citation="Platonov et al., ICLR 2023"),
    "squirrel_directed": dict(folder="squirrel_directed", format="hetero_npz", num_nodes=5201, num_edges=217073,
                              edge_index_columns=217073, num_classes=5, num_features=2089, directed=True,
                              temporal=False, multilabel=False, split=dict(kind="fixed", num_splits=10),
                              source="yandex-research/heterophilous-graphs@a431395582e9 data/squirrel_directed.npz",
                              citation="Rozemberczki, Allen & Sarkar, J. Complex Networks 2021; Platonov et al., "
                                       "ICLR 2023"),
    "citeseer_directed": dict(folder="citeseer_directed", format="g2g_npz", num_nodes=3312, num_edges=4715,
                              edge_index_columns=4715, num_classes=6, num_features=3703, directed=True,
                              temporal=False, multilabel=False, split=None,
                              source="SherylHYX/pytorch_geometric_signed_directed@ecdf3fcf94b1 datasets/citeseer.npz",
                              citation="Giles et al. 1998; Bojchevski & Guennemann, ICLR 2018"),
}

ROW = re.compile(r"^\|\s*`([^/`]+)/([^`]+)`\s*\|\s*([\d,]+)\s*\|\s*`([0-9a-f]{64})`\s*\|"
                 r"\s*([\w.-]+/[\w.-]+)\s*\|\s*`([0-9a-f]+)`\s*\|\s*`([^`]+)`\s*\|")
RAW_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = argv[0] if argv else os.path.normpath(os.path.join(HERE, "..", "..", "shared", "datasets"))
    files: dict[str, dict] = {}
    with open(os.path.join(root, "MANIFEST.md"), encoding="utf-8") as handle:
        for line in handle:
            match = ROW.match(line)
            if match:
                folder, name, size, digest, repo, commit, path = match.groups()
                files.setdefault(folder, {})[name] = dict(
                    bytes=int(size.replace(",", "")), sha256=digest, repo=repo, commit=commit, path=path,
                    url=RAW_URL.format(repo=repo, commit=commit, path=path))
    registry = {"format_version": 1,
                "num_edges_convention": "undirected edges once, directed edges once, temporal events once; "
                                        "edge_index_columns = stored directed entries",
                "datasets": {}}
    for name, meta in DATASETS.items():
        entry = dict(meta)
        if meta["folder"] not in files:
            raise SystemExit(f"{meta['folder']} is not in the manifest's file table")
        entry["files"] = files.pop(meta["folder"])
        registry["datasets"][name] = entry
    if files:
        raise SystemExit(f"manifest folders without a registry entry: {sorted(files)}")
    with open(REGISTRY, "w", encoding="utf-8") as handle:
        json.dump(registry, handle, indent=2)
        handle.write("\n")
    print(f"wrote {os.path.normpath(REGISTRY)} ({len(registry['datasets'])} datasets)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
