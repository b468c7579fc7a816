"""Tests of TODO tests/test_builders.py."""

from __future__ import annotations

import pytest

import layerwise as lw


def test_input_dim():
    with pytest.raises(ValueError, match="input_dim must be a positive integer, got 0"):
        lw.mlp(0, [3], 1)
