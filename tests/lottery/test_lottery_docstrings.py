"""The Examples sections of the lottery backbones run as written."""
from __future__ import annotations

import doctest

import graphsparse.lottery.models


def test_backbone_docstring_examples():
    result = doctest.testmod(graphsparse.lottery.models, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
