"""A Sequential rebuilt from a model file's checked description and arrays: its layers
and weights, training state, random generator, optimizer, scaler, history and metadata."""

from __future__ import annotations

from typing import Any

import numpy as np

from layerwise import optimizers as _optimizers
from layerwise.datasets import StandardScaler
from layerwise.layers import Dense, get_layer_class
from layerwise.model import Sequential
from layerwise.training import History

_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def rebuild(header: dict[str, Any], arrays: dict[str, np.ndarray], where: str) -> Sequential:
    """The model from a checked header and its arrays; no weight is drawn at random."""
    config = header["model"]
    model = Sequential(dtype=config["dtype"])
    for c in config["layers"]:
        layer = get_layer_class(c["type"]).from_config(c)
        n_in = config.get("input_dim") if not model.layers else model.layers[-1].units
        if n_in is not None:
            _fill(layer, n_in, arrays, model)
        model.layers.append(layer)  # names were checked unique: no renaming (O(n^2)) needed
    model.input_dim = config.get("input_dim")

    model.seed = header.get("seed")
    model.epochs_trained = int(header.get("epochs_trained", 0))
    model.events = list(header.get("events") or [])
    model._name_counter = int(header.get("name_counter", len(model.layers)))
    model.rng = _restore_rng(header["rng_state"], where)
    model.optimizer = _restore_optimizer(header.get("optimizer"), arrays, where)
    counters = header.get("callbacks") or {}  # the callbacks' counters, for fit(initial_epoch)
    if not isinstance(counters, dict) or not all(isinstance(c, dict) for c in counters.values()):
        raise TypeError("callbacks must be a dict of the callbacks' counters (dicts)")
    model.state.callbacks = dict(counters)
    scaler = header.get("scaler")
    model.scaler = StandardScaler.from_config(scaler) if scaler is not None else None
    history = header.get("history")
    model.history = History.from_dict(history) if history is not None else None
    metadata = header.get("metadata")
    model.metadata = dict(metadata) if metadata is not None else {}
    return model


def _fill(layer: Any, n_in: int, arrays: dict[str, np.ndarray], model: Sequential) -> None:
    """Give ``layer`` (n_in inputs) its arrays from the file: a Dense layer takes them as
    they are; another type is built first and its arrays are replaced, shape checked."""
    if not isinstance(layer, Dense):
        layer.build(n_in, model.rng, model.dtype)
    layer.n_in = n_in
    for group in ("params", "buffers"):
        names = layer.param_names if group == "params" else tuple(layer.buffers())
        for pname in names:
            arr = arrays[f"{group}/{layer.name}/{pname}"]
            current = getattr(layer, pname, None)
            if current is not None and np.shape(current) != arr.shape:
                raise ValueError(
                    f"entry {group}/{layer.name}/{pname} has shape {arr.shape} but the layer "
                    f"needs {np.shape(current)}"
                )
            dtype = np.asarray(current).dtype if current is not None else model.dtype
            setattr(layer, pname, np.ascontiguousarray(arr, dtype=dtype))


def _restore_rng(state: dict[str, Any], where: str) -> np.random.Generator:
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in _BIT_GENERATORS:
        raise ValueError(f"{where}: unknown random generator {name!r} in the file")
    bit_generator = getattr(np.random, name)()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def _restore_optimizer(
    info: dict[str, Any] | None, arrays: dict[str, np.ndarray], where: str
) -> _optimizers.Optimizer | None:
    if info is None:
        return None
    optimizer = _optimizers.from_config(info["config"])
    optimizer.iterations = int(info["iterations"])
    for key, name, kind in info["state"]:
        arr = arrays[f"optim/{key}/{name}"]
        optimizer.state.setdefault(key, {})[name] = arr if kind == "array" else arr[()]
    return optimizer
