"""Fetch a registered dataset's files from their pinned upstream commits, verifying each sha256.

Every file of ``registry.json`` carries the raw GitHub URL of the exact commit it was taken from
(``https://raw.githubusercontent.com/<repo>/<commit>/<path>``). :func:`download_dataset` fetches
the missing ones into ``<root>/<folder>/``, checks size and sha256 before moving a file into place
(a partial or altered download never lands), and returns the folder. ``url_template`` points it at a
mirror: ``"{repo}"``, ``"{commit}"``, ``"{path}"``, ``"{folder}"`` and ``"{file}"`` are filled in
(for example ``"file:///mnt/mirror/{folder}/{file}"``).

Not exercised against the network in the test suite (the build machines have none); the tests
use a ``file://`` mirror.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request

from graphsparse.datasets.loaders import (DatasetChecksumError, _check_name, _registry, data_root,
                                          verify_dataset)

__all__ = ["download_dataset"]


def _fetch(url: str, destination: str, expected: dict, timeout: float) -> None:
    folder = os.path.dirname(destination)
    digest = hashlib.sha256()
    size = 0
    handle, partial = tempfile.mkstemp(prefix=".partial-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            for block in iter(lambda: response.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
                out.write(block)
        if size != expected["bytes"] or digest.hexdigest() != expected["sha256"]:
            raise DatasetChecksumError(f"{url}: got {size} bytes with sha256 {digest.hexdigest()}, the registry "
                                       f"expects {expected['bytes']} bytes with sha256 {expected['sha256']}")
        os.replace(partial, destination)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def download_dataset(name: str, root=None, url_template: str | None = None, overwrite: bool = False,
                     timeout: float = 60.0) -> str:
    """Download the files of dataset ``name`` into ``<root>/<folder>/`` and verify them.

    Parameters
    ----------
    name : str
        A registered dataset name (see :func:`graphsparse.datasets.available_datasets`).
    root : str, os.PathLike or None, default=None
        Data folder; default ``$GRAPHSPARSE_DATA``, else ``../shared/datasets`` next to the checkout.
    url_template : str or None, default=None
        Mirror URL pattern (see the module docstring); default: the registry's raw GitHub URLs.
    overwrite : bool, default=False
        Re-fetch files that already exist (otherwise existing files are only verified).
    timeout : float, default=60.0
        Seconds per connection.

    Returns
    -------
    str
        The dataset's folder, after every file's size and sha256 were checked.

    Examples
    --------
    A name is checked against the registry before any connection is made:

    >>> from graphsparse.datasets import download_dataset
    >>> download_dataset("no-such-graph")
    Traceback (most recent call last):
    ...
    ValueError: unknown dataset 'no-such-graph'; known datasets: blogcatalog, citeseer, ...
    """
    key = _check_name(name)
    entry = _registry()[key]
    folder = os.path.join(data_root(root), entry["folder"])
    os.makedirs(folder, exist_ok=True)
    for file_name, meta in entry["files"].items():
        destination = os.path.join(folder, file_name)
        if os.path.isfile(destination) and not overwrite:
            continue
        if url_template is None:
            url = meta["url"]
        else:
            url = url_template.format(repo=meta.get("repo", ""), commit=meta.get("commit", ""),
                                      path=meta.get("path", ""), folder=entry["folder"], file=file_name)
        _fetch(url, destination, meta, timeout)
    return verify_dataset(key, root)

