"""The Examples sections of the public directed layers, models and transforms run as written."""
from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["graphsparse.directed.layers", "graphsparse.directed.models",
                                    "graphsparse.directed.transforms", "graphsparse.directed.training",
                                    "graphsparse.torch_ops", "graphsparse.training"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
