"""The array namespace (``xp``) of the data: NumPy, or any library of the Array API standard.

The numeric core writes its maths as ``xp.tanh(Z)``, ``xp.sum(dZ, axis=0)``, ``A @ W`` ...,
with ``xp = array_namespace(Z)``: the module of functions for ``Z``'s library. For a NumPy
array that is NumPy itself (NumPy 2 implements the standard in its main namespace); for
PyTorch, CuPy and JAX arrays it is ``array-api-compat``'s wrapper of that library, and an
``array_api_strict`` array brings its own. The lookup is cached by the array's type, so it
costs a dictionary lookup per call (array-api-compat's own takes about 2.5 us, as much as
a small layer's whole forward step).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["array_namespace", "is_numpy", "to_numpy", "device_of"]

_BY_TYPE: dict[type, Any] = {np.ndarray: np}  # a cache of facts about types, not a choice


def array_namespace(x: Any) -> Any:
    """The namespace of ``x``'s array library (``numpy`` for a NumPy array).

    Raises
    ------
    TypeError
        For an object of no array library the Array API knows.
    """
    try:
        return _BY_TYPE[type(x)]
    except KeyError:
        return _lookup(x)


def _lookup(x: Any) -> Any:
    if isinstance(x, np.ndarray):  # a subclass (np.memmap ...): NumPy still
        xp: Any = np
    elif hasattr(x, "__array_namespace__") and type(x).__module__.startswith("array_api_strict"):
        xp = x.__array_namespace__()
    else:
        try:
            import array_api_compat
        except ImportError:  # pragma: no cover - a core dependency
            raise ImportError(
                f"arrays of type {type(x).__name__} need array-api-compat: "
                "pip install array-api-compat"
            ) from None
        try:
            xp = array_api_compat.array_namespace(x)
        except TypeError:
            raise TypeError(
                f"expected an array (NumPy, PyTorch, CuPy, JAX or another Array API "
                f"library), got {type(x).__module__}.{type(x).__name__}"
            ) from None
    _BY_TYPE[type(x)] = xp
    return xp


def is_numpy(xp: Any) -> bool:
    """Whether ``xp`` is NumPy (or array-api-compat's wrapper of it)."""
    return xp is np or getattr(xp, "__name__", "") == "array_api_compat.numpy"


def device_of(x: Any) -> Any:
    """The device ``x`` lives on (``"cpu"`` for NumPy)."""
    if isinstance(x, np.ndarray):
        return "cpu"
    import array_api_compat

    return array_api_compat.device(x)


def to_numpy(x: Any) -> np.ndarray:
    """``x`` as a NumPy array (copied from a GPU where it lives there)."""
    if isinstance(x, np.ndarray):
        return x
    import array_api_compat

    if array_api_compat.is_torch_array(x):
        return x.detach().cpu().numpy()
    if array_api_compat.is_cupy_array(x):
        return x.get()
    if hasattr(x, "__dlpack__"):  # array_api_strict and JAX: the standard's exchange protocol
        return np.from_dlpack(x)
    return np.asarray(x)
