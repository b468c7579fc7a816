"""Bridges to other runtimes: ONNX (for ONNX Runtime and serving) and PyTorch, both ways.

>>> import layerwise as lw
>>> model = lw.mlp(4, [8], 3, output_activation="softmax", seed=0)
>>> lw.export.to_onnx(model, "model.onnx")          # doctest: +SKIP
>>> module = lw.export.to_torch(model)               # doctest: +SKIP
>>> back = lw.export.from_torch(module)              # doctest: +SKIP

Importing this package imports neither onnx nor torch; each function imports what it needs
and, when it is missing, raises an ImportError that names the extra to install
(``pip install 'layerwise[onnx]'``, ``pip install 'layerwise[torch]'``).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from layerwise.export.onnx import to_onnx
from layerwise.export.torch import from_torch, to_torch

__all__ = ["from_torch", "to_onnx", "to_torch"]


def require(module: str, extra: str, *, what: str) -> ModuleType:
    """Import ``module`` or raise an ImportError naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{what} needs {module.split('.')[0]}, which is not installed; install it with: "
            f"pip install 'layerwise[{extra}]'"
        ) from exc
