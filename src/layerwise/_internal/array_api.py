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

__all__ = ["array_namespace", "convert", "describe", "device_of", "dtype_of", "is_foreign",
           "is_numpy", "same_place", "to_numpy"]  # fmt: skip

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


def is_foreign(x: Any) -> bool:
    """Whether ``x`` is an array of a library other than NumPy (PyTorch, CuPy, JAX ...)."""
    if isinstance(x, np.ndarray) or type(x) in (list, tuple):
        return False
    if type(x) in _BY_TYPE:
        return True
    import array_api_compat

    return array_api_compat.is_array_api_obj(x) and not isinstance(x, np.generic)


def same_place(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are arrays of the same library on the same device."""
    return array_namespace(a) is array_namespace(b) and device_of(a) == device_of(b)


def describe(x: Any) -> str:
    """``"numpy"`` or e.g. ``"torch on cuda:0"``: where an array lives, for error messages."""
    if isinstance(x, np.ndarray):
        return "numpy"
    return f"{type(x).__module__.split('.')[0]} on {device_of(x)}"


def convert(x: Any, like: Any) -> Any:
    """``x`` (an array of any library) as an array of ``like``'s library and device, with
    ``x``'s dtype; NumPy in between when the two libraries differ."""
    if isinstance(like, np.ndarray):
        return to_numpy(x)
    if is_foreign(x) and same_place(x, like):
        return x
    xp = array_namespace(like)
    return xp.asarray(to_numpy(x), device=device_of(like))


def dtype_of(xp: Any, dtype: Any) -> Any:
    """The dtype of namespace ``xp`` named like the NumPy ``dtype`` (float32, float64)."""
    return getattr(xp, np.dtype(dtype).name)


def check_same_place(x: Any, like: Any, name: str, what: str, fix: str) -> None:
    """Refuse ``x`` (TypeError naming both places and ``fix``) unless it lives where ``like``
    does (the same library and device)."""
    if not same_place(x, like):
        raise TypeError(
            f"{name} is a {describe(x)} array but {what} are {describe(like)} arrays; {fix}"
        )


def model_arrays(model: Any) -> Any:
    """An array of the library and device where ``model``'s weights live (NumPy until the
    model is moved, or while it has none)."""
    for layer in model.layers:
        for arr in layer.params().values():
            if arr is not None:
                return arr
    return np.empty(0)
