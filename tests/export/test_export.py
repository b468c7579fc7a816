"""layerwise.export (the package): ``require`` turns a missing onnx or torch into an
ImportError that names the extra to install.
"""

from __future__ import annotations

import sys

import pytest

import layerwise as lw


def test_missing_onnx_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'layerwise\[onnx\]'"):
        lw.export.to_onnx(lw.mlp(2, [3], 1), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_missing_torch_names_the_extra(monkeypatch):
    model = lw.mlp(2, [3], 1)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"pip install 'layerwise\[torch\]'"):
        lw.export.to_torch(model)
    with pytest.raises(ImportError, match=r"pip install 'layerwise\[torch\]'"):
        lw.export.from_torch(object())
