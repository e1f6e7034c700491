"""Shared fixtures: the data folder (tests that need it skip with the reason) and --slow."""
from __future__ import annotations

import os

import numpy as np
import pytest

from graphsparse.graph import default_data_root

try:  # property tests are reproducible in CI: a fixed example stream. HYPOTHESIS_PROFILE=explore
    from hypothesis import settings as _hypothesis_settings  # draws fresh random examples instead.

    _hypothesis_settings.register_profile("ci", derandomize=True, database=None)
    _hypothesis_settings.register_profile("explore", derandomize=False)
    _hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
except ImportError:  # hypothesis is in the test extra; without it the property tests are not collected
    pass


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", default=False, help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow test: run with --slow (as .ci/run does)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def data_root() -> str:
    """Folder of the shared datasets; skips the test when it is absent."""
    root = default_data_root()
    if not os.path.isfile(os.path.join(root, "MANIFEST.md")):
        pytest.skip(f"shared datasets not found in {root!r}: set GRAPHSPARSE_DATA to the folder "
                    "holding MANIFEST.md")
    return root


@pytest.fixture(autouse=True)
def one_torch_thread():
    """One torch thread per test: tests run two at a time (pytest -n 2) on two cores, and torch's
    spinning thread pool only adds contention there."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
