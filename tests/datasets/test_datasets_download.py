"""download_dataset against a file:// mirror (no network here): fetch, verify, refuse altered files."""
from __future__ import annotations

import os

import pytest

from graphsparse.datasets.download import download_dataset
from graphsparse.datasets.loaders import DatasetChecksumError, dataset_info, load_dataset


def test_registry_urls_point_at_pinned_commits():
    for name in ("cora", "dblp", "tolokers"):
        for meta in dataset_info(name)["files"].values():
            assert meta["url"] == f"https://raw.githubusercontent.com/{meta['repo']}/{meta['commit']}/{meta['path']}"


@pytest.mark.data
def test_download_from_mirror_then_load(data_root, tmp_path):
    mirror = "file://" + os.path.abspath(data_root) + "/{folder}/{file}"
    folder = download_dataset("dblp", root=tmp_path, url_template=mirror)
    assert folder == os.path.join(str(tmp_path), "dblp_prone")
    assert sorted(os.listdir(folder)) == ["dblp.cmty", "dblp.ungraph"]
    assert load_dataset("dblp", root=tmp_path).num_nodes == 51264


def test_download_refuses_altered_file(tmp_path):
    mirror_dir = tmp_path / "mirror"
    mirror_dir.mkdir()
    (mirror_dir / "karate.adjlist").write_text("1 2\n")
    target = tmp_path / "data"
    with pytest.raises(DatasetChecksumError, match="sha256"):
        download_dataset("karate", root=target, url_template=f"file://{mirror_dir}/{{file}}")
    assert os.listdir(target / "karate") == [], "a bad download must not land"


def test_download_unknown_name():
    with pytest.raises(ValueError, match="known datasets"):
        download_dataset("no_such_graph", root="/nonexistent")
