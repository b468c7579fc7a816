"""Tests of TODO tests/export/test_torch.py."""

from __future__ import annotations

import pytest

import layerwise as lw


def test_from_torch_of_a_huge_meta_device_linear_is_a_clear_error():
    torch = pytest.importorskip("torch")
    with torch.device("meta"):
        module = torch.nn.Sequential(torch.nn.Linear(10**6, 10**6), torch.nn.ReLU())
    with pytest.raises(ValueError, match=r"meta device \(1,000,001,000,000 values"):
        lw.export.from_torch(module)


def test_from_torch_refuses_a_module_beyond_memory(monkeypatch):
    torch = pytest.importorskip("torch")
    from layerwise._internal import memory as _memory

    module = torch.nn.Sequential(torch.nn.Linear(100, 100))
    tiny = [_memory.Limit("a tiny machine", 1000)]
    monkeypatch.setattr(_memory, "limits", lambda: tiny)
    with pytest.raises(ValueError, match="from_torch of a module of 10,100 parameters needs"):
        lw.export.from_torch(module)
