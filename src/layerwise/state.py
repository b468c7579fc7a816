"""The state of a training run, kept apart from the model it trains.

A :class:`~layerwise.model.Sequential` is the network: layers, the three steps, surgery,
config. Everything that belongs to *training* it, and that a resumed run needs to continue
bit for bit, lives in one declared object, ``model.state``:

==================  ========================================================================
field               what it holds
==================  ========================================================================
``optimizer``       the optimizer (its per-parameter state, its schedule at
                    ``optimizer.schedule``); ``fit`` called again continues it
``epochs_trained``  epochs run by ``fit`` over the model's life
``events``          changes of shape made after training started, ``{"epoch", "change"}``
``callbacks``       the counters of the last ``fit``'s callbacks (EarlyStopping's best and
                    wait, GrowOnPlateau's patience, ...), by key (``"EarlyStopping"``)
``rng``             the Generator of every random choice (init, shuffling, dropout): its
                    position is part of the run
``stop_training``   set by a callback to end ``fit`` after the current epoch
``history``         the History a loaded file or the command line attached (or None)
==================  ========================================================================

``lw.save`` writes all of it and ``lw.load`` restores all of it; ``model.optimizer``,
``model.epochs_trained``, ``model.events``, ``model.rng`` and ``model.stop_training`` are
properties that read and write these fields.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

import numpy as np

P = ParamSpec("P")  # the arguments of a surgery function after its model
R = TypeVar("R")

__all__ = ["TrainingState", "snapshot", "restore", "move", "through_numpy"]


@dataclass
class TrainingState:
    """The state of a model's training run; see the module's docstring for each field."""

    rng: np.random.Generator = field(default_factory=np.random.default_rng)
    optimizer: Any = None
    epochs_trained: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    callbacks: dict[str, Any] = field(default_factory=dict)
    stop_training: bool = False
    history: Any = None

    def counters(self) -> dict[str, dict[str, Any]]:
        """The callbacks' counters by key, as plain data (what ``lw.save`` writes).

        During and after a ``fit`` the entries are the live callbacks, asked now; after
        ``lw.load`` they are the saved dicts."""
        return {
            key: cb if isinstance(cb, dict) else cb.get_state()
            for key, cb in self.callbacks.items()
        }


def _state_arrays(model: Any) -> dict[str, Any]:
    return {
        f"{layer.name}/{name}": arr
        for layer in model.layers
        for name, arr in {**layer.params(), **layer.buffers()}.items()
        if arr is not None
    }


def snapshot(model: Any) -> dict[str, Any]:
    """Copies of every parameter and buffer array of ``model``, keyed ``"layer/name"``: the
    one snapshot that the divergence guard, early stopping and the estimators restore with
    :func:`restore` (arrays of any library)."""
    from layerwise._internal.array_api import array_namespace

    return {k: array_namespace(a).asarray(a, copy=True) for k, a in _state_arrays(model).items()}


def restore(model: Any, saved: dict[str, Any]) -> bool:
    """Copy a :func:`snapshot` back into the model's arrays; False (and nothing done)
    when the network changed shape since it was taken."""
    current = _state_arrays(model)
    if set(current) != set(saved) or any(current[k].shape != saved[k].shape for k in saved):
        return False
    layers = {layer.name: layer for layer in model.layers}
    for k, arr in current.items():
        try:  # in place: whoever holds the array (an estimator's coefs_) sees the values
            arr[...] = saved[k]
        except TypeError:  # a library whose arrays cannot change (JAX): a copy takes its place
            name, attr = k.rsplit("/", 1)
            setattr(layers[name], attr, saved[k] + 0)
    return True


def move(model: Any, like: Any) -> Any:
    """Move every array of ``model`` (weights, buffers, the optimizer's state) to the array
    library and device of ``like``: an array of PyTorch, CuPy, JAX ..., or ``"numpy"``.

    ``fit`` does this itself for a model that has not been trained yet, so that the arrays
    follow the data: ``model.fit(torch_X, y)`` trains with PyTorch on ``torch_X``'s device.
    Returns the model.

    Raises
    ------
    TypeError
        ``like`` is neither an array nor ``"numpy"``.
    """
    from layerwise._internal import array_api as aa

    if isinstance(like, str):
        if like != "numpy":
            raise ValueError(f"like must be an array or 'numpy', got {like!r}")
        like = np.empty(0)
    elif not isinstance(like, np.ndarray) and not aa.is_foreign(like):
        raise TypeError(f"like must be an array or 'numpy', got {type(like).__name__}")
    for layer in model.layers:
        for name, arr in {**layer.params(), **layer.buffers()}.items():
            if arr is not None:
                setattr(layer, name, aa.convert(arr, like))
    opt = model.state.optimizer
    for slots in opt.state.values() if opt is not None else ():
        for name, value in slots.items():
            if name != "step":  # the step counts stay NumPy scalars
                slots[name] = aa.convert(value, like)
    return model


def through_numpy(edit: Callable[Concatenate[Any, P], R]) -> Callable[Concatenate[Any, P], R]:
    """For surgery, which is NumPy code (least squares and SVD are not in the Array API
    standard): ``edit(model, ...)`` on a model of another library moves it to NumPy for
    the edit and back to its library and device, its optimizer's state included;
    ``data`` (``(X, y)`` or an array ``X``) is read as NumPy too."""

    @functools.wraps(edit)
    def run(model: Any, *args: P.args, **kwargs: P.kwargs) -> R:
        from layerwise._internal import array_api as aa

        like = aa.model_arrays(model)
        if isinstance(like, np.ndarray):
            return edit(model, *args, **kwargs)
        data: Any = kwargs.get("data")  # (X, y), X alone (prune), or None
        if isinstance(data, tuple | list):
            kwargs["data"] = tuple(aa.to_numpy(d) if aa.is_foreign(d) else d for d in data)
        elif data is not None and aa.is_foreign(data):
            kwargs["data"] = aa.to_numpy(data)
        move(model, "numpy")
        try:
            return edit(model, *args, **kwargs)
        finally:
            move(model, like)

    return run
