"""What :func:`layerwise.load` checks in a model file's description before it reads any
array: every field typed and ranged, the architecture's counts and total size against the
memory available, and every archive member (its shape and dtype, from its ``.npy`` header)
against what the architecture and the optimizer's state need."""

from __future__ import annotations

import math
from typing import Any, Literal, overload

import numpy as np

from layerwise._internal.validation import check_allocation, check_dtype
from layerwise.layers import Dense, get_layer_class
from layerwise.saving import _archive

_META = _archive.META
#: The most layers a model file may describe (a dense network of 10,000 layers is already
#: far beyond any that trains; the cap keeps a crafted file from costing minutes).
MAX_LAYERS = 10_000
_UNKNOWN = -1  # the input width of a layer after one of a type other than Dense


@overload
def _int(value: Any, what: str, low: int = 0, *, none: Literal[False] = False) -> int: ...
@overload
def _int(value: Any, what: str, low: int = 0, *, none: bool) -> int | None: ...
def _int(value: Any, what: str, low: int = 0, *, none: bool = False) -> int | None:
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an integer, got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{what} must be >= {low}, got {value}")
    return value


def check_header(header: dict[str, Any], members: dict[str, Any], where: str) -> list[str]:
    """Check the whole description against the archive's members (shapes and dtypes from
    their headers, nothing read yet); return the members to read."""
    for field in ("epochs_trained", "name_counter"):
        _int(header.get(field, 0), field)
    _int(header.get("seed"), "seed", none=True)
    if not isinstance(header.get("events") or [], list):
        raise TypeError("events must be a list")
    if not isinstance(header.get("rng_state"), dict):
        raise TypeError("rng_state must be a dict")
    if not isinstance(header.get("callbacks") or {}, dict):
        raise TypeError("callbacks must be a dict of the callbacks' counters")
    for field in ("metadata", "history", "scaler"):
        if header.get(field) is not None and not isinstance(header[field], dict):
            raise TypeError(f"{field} must be a dict or null, got {type(header[field]).__name__}")
    shapes, others = _param_shapes(header.get("model"), members, where)
    dtype = np.dtype(header["model"]["dtype"])
    expected: dict[str, tuple[tuple[int, ...] | None, np.dtype[Any] | None]]
    expected = {key: (shape, dtype) for key, shape in shapes.items()}
    for name in members:  # the arrays of layer types other than Dense: they check their own
        if name.split("/")[0] in ("params", "buffers") and name.split("/")[1:2] in others:
            expected[name] = (None, None)
    _check_scaler(header.get("scaler"), header["model"].get("input_dim"))
    params = {k: v[0] for k, v in expected.items() if k.startswith("params/")}
    expected.update(_optimizer_members(header.get("optimizer"), params, members, dtype))
    for name, member in members.items():
        if name == _META:
            continue
        if name not in expected:
            raise ValueError(
                f"{where}: entry {name!r} belongs to no layer of the architecture in the file "
                "(or is not listed in the optimizer's state); the file is inconsistent"
            )
        shape, want = expected[name]
        if shape is not None and member.shape != shape:
            raise ValueError(
                f"{where}: entry {name!r} has shape {member.shape} but the architecture in "
                f"the file needs {shape}; the file is inconsistent"
            )
        if want is not None and member.dtype != want:
            raise ValueError(
                f"{where}: entry {name!r} has dtype {member.dtype} but the model is "
                f"{dtype.name}; the file is inconsistent"
            )
    missing = sorted(set(expected) - set(members))
    if missing:
        raise ValueError(f"{where}: entry {missing[0]!r} is missing; the file is incomplete")
    nbytes = sum(math.prod(m.shape) * m.dtype.itemsize for m in members.values())
    check_allocation(nbytes, np.uint8, f"{where}: the arrays in the file")
    return sorted(expected)


def _param_shapes(
    config: Any, members: dict[str, Any], where: str
) -> tuple[dict[str, tuple[int, ...]], list[list[str]]]:
    """``{"params/<layer>/<param>": shape}`` of the Dense layers in the file and the names
    of layers of other types (whose arrays only they know), after checking the counts and
    the total size. A Dense layer after another type reads its input width from its W."""
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError(
            f"{where}: the model description is invalid ('model' must be a dict with a list "
            "of 'layers')"
        )
    layers = config["layers"]
    if len(layers) > MAX_LAYERS:
        raise ValueError(
            f"{where}: the model description has {len(layers):,} layers, more than "
            f"{MAX_LAYERS:,}; the file was not written by lw.save"
        )
    dtype = check_dtype(config.get("dtype"))
    n_in = _int(config.get("input_dim"), "input_dim", 1, none=True)
    shapes: dict[str, tuple[int, ...]] = {}
    others: list[list[str]] = []
    names: set[str] = set()
    total = 0
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict):
            raise TypeError(f"layer {i} must be a dict, got {type(layer).__name__}")
        name, kind = layer.get("name"), layer.get("type")
        if not isinstance(name, str) or not name or len(name) > 200 or name in names:
            raise ValueError(f"layer {i} has an invalid or repeated name {name!r}")
        names.add(name)
        cls = get_layer_class(kind) if isinstance(kind, str) else None
        if cls is None:
            raise TypeError(f"layer {i} has no type name")
        if cls is not Dense:
            others.append([name])
            n_in = _UNKNOWN if n_in is not None else None
            continue
        units = _int(layer.get("units"), f"layer {i} units", 1)
        if n_in is _UNKNOWN:
            W = members.get(f"params/{name}/W")
            n_in = W.shape[0] if W is not None and len(W.shape) == 2 else 1
        if n_in is not None:
            shapes[f"params/{name}/W"], shapes[f"params/{name}/b"] = (n_in, units), (units,)
            total += (n_in + 1) * units
        n_in = units
    check_allocation(total, dtype, f"{where}: the model's {total:,} parameters")
    return shapes, others


def _check_scaler(scaler: dict[str, Any] | None, input_dim: int | None) -> None:
    if scaler is None or scaler.get("mean") is None:
        return
    mean, scale = scaler.get("mean"), scaler.get("scale")
    if not isinstance(mean, list) or not isinstance(scale, list) or len(mean) != len(scale):
        raise ValueError("the scaler needs 'mean' and 'scale' lists of equal length")
    if input_dim is not None and len(mean) != input_dim:
        raise ValueError(
            f"the scaler was fitted on {len(mean)} features but the model takes {input_dim}"
        )


def _optimizer_members(
    info: Any, shapes: dict[str, Any], members: dict[str, Any], dtype: np.dtype[Any]
) -> dict[str, tuple[tuple[int, ...] | None, np.dtype[Any] | None]]:
    """The optimizer's state entries: each 0-d, or shaped like its parameter in its dtype."""
    if info is None:
        return {}
    if not isinstance(info, dict) or not isinstance(info.get("config"), dict):
        raise TypeError("optimizer must be a dict with a 'config' dict")
    _int(info.get("iterations"), "optimizer iterations")
    entries = info.get("state")
    if not isinstance(entries, list) or len(entries) > _archive.MAX_MEMBERS:
        raise TypeError("the optimizer's state must be a list of [key, name, kind] entries")
    expected: dict[str, tuple[tuple[int, ...] | None, np.dtype[Any] | None]] = {}
    for entry in entries:
        if not (
            isinstance(entry, list)
            and len(entry) == 3
            and all(isinstance(e, str) for e in entry)
            and entry[2] in ("array", "scalar")
        ):
            raise TypeError(f"optimizer state entry {entry!r} is not [key, name, kind]")
        key, name, _ = entry
        member = f"optim/{key}/{name}"
        param = f"params/{key}"
        if member in expected or param not in shapes:
            raise ValueError(f"optimizer state {member!r} is repeated or has no parameter")
        got = members.get(member)
        if got is not None and got.shape == () or shapes[param] is None:
            expected[member] = (None, None)  # a 0-d counter ("step") in its own dtype
        else:
            expected[member] = (shapes[param], dtype)
    return expected
