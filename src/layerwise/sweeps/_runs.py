"""One run of a sweep: its configuration, its id, and the pure function that trains it.

Everything here is picklable and importable by a worker process: a worker receives
``(config, seed)`` and the prepared data (:mod:`layerwise.sweeps._data`) once, and sends
back one row.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import itertools
import json
import math
import numbers
import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from layerwise import optimizers as _optimizers
from layerwise import targets
from layerwise.builders import mlp
from layerwise.sweeps._data import prepare_data
from layerwise.training import History, fit

__all__ = ["expand_grid", "run_id", "run_one"]

#: Settings every run has unless the grid or ``fixed`` says otherwise.
DEFAULTS: dict[str, Any] = {
    "hidden": [16],
    "activation": "relu",
    "optimizer": "sgd",
    "lr": 0.01,
    "epochs": 100,
    "batch_size": None,
}
_MODEL_KEYS = ("hidden", "activation", "output_activation", "init", "dtype")
# fit's own data and reporting arguments are set by run_one, not by a configuration
# (and "metrics", "initial_epoch": the result columns need the default metrics and a fresh start)
_NOT_CONFIG = {
    "model", "X", "y", "validation_data", "validation_split", "callbacks", "verbose",
    "metrics", "initial_epoch",
}  # fmt: skip
#: Result columns; no configuration key may take one of these names.
METRICS = ("train_loss", "best_train_loss", "val_loss", "best_val_loss", "accuracy", "r2")
RESULT_COLUMNS = ("status", "error", *METRICS, "epochs_run", "seconds", "worker")


def config_keys() -> list[str]:
    """Every key a configuration may hold: ``task``, the model's and ``fit``'s settings."""
    fit_keys = [p for p in inspect.signature(fit).parameters if p not in _NOT_CONFIG]
    return ["task", *_MODEL_KEYS, *(k for k in fit_keys if k not in _MODEL_KEYS)]


@functools.cache
def _float_keys() -> set[str]:
    """Settings that are real numbers (``lr``, ...): 1 and 1.0 are one value for them."""
    params = inspect.signature(fit).parameters
    return {k for k, p in params.items() if "float" in str(p.annotation)} | {"lr"}


def _canonical(key: str, value: Any, where: str) -> Any:
    """A JSON-able, canonical form of one setting (so equal settings hash equally)."""
    if key == "hidden":
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            value = [value]
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise TypeError(
                f"{where}: 'hidden' must be a list of layer widths such as [16, 8], got {value!r}"
            )
        widths = []
        for w in value:
            if isinstance(w, bool) or not isinstance(w, numbers.Integral) or w < 1:
                raise ValueError(
                    f"{where}: 'hidden' widths must be positive integers, got {value!r}"
                )
            widths.append(int(w))
        return widths
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral) and key not in _float_keys():
        return int(value)
    if isinstance(value, numbers.Real):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {key!r} must be finite, got {value!r}")
        return float(value)
    if isinstance(value, Sequence):
        return [_canonical(key, v, where) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _canonical(str(k), v, where) for k, v in sorted(value.items())}
    raise TypeError(
        f"{where}: {key!r} must be a number, a string, None, or a list or dict of them (a sweep's "
        f"settings are written to CSV and hashed), got {type(value).__name__} {value!r}"
    )


def _check_config(config: dict[str, Any], where: str) -> None:
    """Catch bad settings in the main process, before any worker starts."""
    valid = config_keys()
    for key in config:
        if key not in valid:
            raise ValueError(f"{where}: unknown setting {key!r}; valid: {', '.join(valid)}")
    task = config.get("task")
    if task not in (None, "binary", "multiclass", "regression"):
        raise ValueError(
            f"{where}: 'task' must be 'binary', 'multiclass' or 'regression', got {task!r}"
        )
    # Building the network and the optimizer validates widths, activations, init, dtype, lr.
    try:
        mlp(
            1, config["hidden"], 1, activation=config["activation"],
            init=config.get("init"), dtype=config.get("dtype", "float32"),
        )  # fmt: skip
        _fit_objects(config)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{where}: {exc}") from None
    for key in ("epochs", "batch_size"):
        value = config.get(key)
        if value is None and key == "batch_size":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{where}: {key!r} must be a positive integer, got {value!r}")


def _fit_objects(config: dict[str, Any]) -> dict[str, Any]:
    """``optimizer`` and ``schedule`` as ``fit`` takes them, from their JSON-able forms.

    ``optimizer``: a name, or a dict such as ``{"name": "sgd", "momentum": 0.9}`` (the
    config's ``lr`` unless the dict has one). ``schedule``: a text such as ``"cosine"`` or
    ``"step:step_size=10,gamma=0.5"``, or a dict from ``Schedule.get_config()``.
    """
    from layerwise.training import schedules

    out: dict[str, Any] = {}
    opt = config.get("optimizer")
    if isinstance(opt, dict):
        out["optimizer"] = _optimizers.from_config({"lr": config.get("lr"), **opt})
    elif opt is not None:
        out["optimizer"] = _optimizers.get(opt, lr=config.get("lr") or 0.01)
    spec = config.get("schedule")
    if isinstance(spec, dict):
        out["schedule"] = schedules.from_config(spec)
    elif spec is not None:
        out["schedule"] = schedules.from_spec(spec, epochs=config.get("epochs"))
    return out


def expand_grid(
    grid: Mapping[str, Sequence[Any]], fixed: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every combination of the grid's values, merged over ``fixed`` and the defaults.

    Parameters
    ----------
    grid : dict of str to list
        ``{"lr": [0.1, 0.01], "hidden": [[4], [16, 8]]}``: each key's list of values.
    fixed : dict of str to value, optional
        Settings shared by every configuration.

    Returns
    -------
    list of dict
        One complete configuration per combination, in grid order (the last key varies
        fastest), each with canonical values (``hidden`` a list of ints, floats as floats).
    """
    if not isinstance(grid, Mapping):
        raise TypeError(f"grid must be a dict of setting -> list of values, got {grid!r}")
    if fixed is not None and not isinstance(fixed, Mapping):
        raise TypeError(f"fixed must be a dict of setting -> value, got {fixed!r}")
    fixed = dict(fixed or {})
    both = sorted(set(grid) & set(fixed))
    if both:
        raise ValueError(f"{both} given in both grid and fixed; put each setting in one")
    axes: list[list[Any]] = []
    for key, values in grid.items():
        if isinstance(values, np.ndarray) and values.ndim == 1:  # np.logspace(...) and the like
            values = values.tolist()
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
            raise ValueError(
                f"grid[{key!r}] must be a non-empty list of values, got {values!r}"
                + ("; for one value write [value], or put it in fixed" if values else "")
            )
        axes.append([_canonical(key, v, f"grid[{key!r}]") for v in values])
    base = {**DEFAULTS, **{k: _canonical(k, v, f"fixed[{k!r}]") for k, v in fixed.items()}}
    configs = []
    for combo in itertools.product(*axes):
        config = {**base, **dict(zip(grid, combo))}
        if config not in configs:  # [16] and 16 are the same layout: run it once
            configs.append(config)
    for i, config in enumerate(configs):
        _check_config(config, f"configuration {i} {_short(config, list(grid))}")
    return configs


def _short(config: Mapping[str, Any], keys: Sequence[str]) -> str:
    return "(" + ", ".join(f"{k}={config[k]!r}" for k in keys) + ")"


def run_id(config: Mapping[str, Any], seed: int) -> str:
    """A stable 12-hex-digit id of one run: a hash of its full configuration and its seed."""
    text = json.dumps({"config": config, "seed": seed}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# ---------------------------------------------------------------------------
# Running


def run_one(config: Mapping[str, Any], seed: int, data: Any) -> dict[str, Any]:
    """Train one configuration with one seed; the unit of work of a sweep.

    A pure function of its arguments: BLAS runs on one thread inside it, so the same
    ``(config, seed, data)`` gives bit-for-bit the same numbers in any process.

    Parameters
    ----------
    config : dict
        A complete configuration (see :func:`expand_grid`): ``hidden``, ``activation``,
        ``optimizer``, ``lr``, ``epochs``, ``batch_size``, and optionally ``task``,
        ``output_activation``, ``loss``, ``init``, ``dtype`` or other ``fit`` settings.
    seed : int
        Seeds the model (initial weights, shuffling).
    data : SweepData or anything :func:`prepare_data` accepts

    Returns
    -------
    dict
        ``train_loss``, ``best_train_loss``, ``val_loss``, ``best_val_loss`` (final and
        lowest), ``accuracy`` (validation, classification) or ``r2`` (validation,
        regression), ``epochs_run`` and ``history`` (``History.to_dict()``).

    Raises
    ------
    DivergenceError
        When the loss becomes NaN or infinite (its ``history`` holds the epochs before).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # without it runs use BLAS's default threads: exact only per backend

        def threadpool_limits(limits: int) -> contextlib.nullcontext[None]:
            return contextlib.nullcontext()

    data = prepare_data(data)
    config = dict(config)
    task = config.pop("task", None) or data.task
    out_act, loss = targets.output_for(task)
    if task == "binary":
        n_out = 1
    elif task == "multiclass":
        n_out = data.n_classes
    else:
        n_out = 1 if data.y_train.ndim == 1 else data.y_train.shape[1]
    config.update(_fit_objects(config))
    model_kwargs = {k: config.pop(k) for k in _MODEL_KEYS if k in config}
    model_kwargs.setdefault("output_activation", out_act)
    config.setdefault("loss", loss)
    hidden = model_kwargs.pop("hidden")
    # Thread count changes how BLAS splits sums, so the last bits of the weights too.
    with threadpool_limits(limits=1):
        model = mlp(data.X_train.shape[1], hidden, n_out, seed=seed, **model_kwargs)
        history = fit(
            model, data.X_train, data.y_train, validation_data=(data.X_val, data.y_val),
            verbose=False, **config,
        )  # fmt: skip
    return {**summarize(history), "history": history.to_dict()}


def summarize(history: History) -> dict[str, Any]:
    """The result columns of a run from its History (None where not measured)."""

    def last(xs: Sequence[float]) -> float | None:
        return float(xs[-1]) if xs else None

    def low(xs: Sequence[float]) -> float | None:
        return float(min(xs)) if xs else None

    return {
        "train_loss": last(history.loss),
        "best_train_loss": low(history.loss),
        "val_loss": last(history.val_loss),
        "best_val_loss": low(history.val_loss),
        "accuracy": last(history.metrics.get("val_accuracy", [])),
        "r2": last(history.metrics.get("val_r2", [])),
        "epochs_run": len(history.loss),
    }


def execute(
    runner: Callable[..., dict[str, Any]], config: dict[str, Any], seed: int, data: Any
) -> dict[str, Any]:
    """Run ``runner(config, seed, data)`` and return a complete row; never raises.

    An exception becomes a row with ``status="failed"`` and its error (the history so far
    kept when the exception carries one, as :class:`~layerwise.DivergenceError` does).
    """
    start = time.perf_counter()
    row: dict[str, Any] = {"run_id": run_id(config, seed), "seed": seed}
    try:
        out = dict(runner(config, seed, data))
        row.update(status="ok", error=None)
    except Exception as exc:  # a failed run is a result: record it, the sweep goes on
        partial = getattr(exc, "history", None)
        history = partial if isinstance(partial, History) else History()
        out = {**summarize(history), "history": history.to_dict()}
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}")
    row.update({k: out.get(k) for k in METRICS}, epochs_run=out.get("epochs_run"))
    row["seconds"] = time.perf_counter() - start
    row["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    row["history"] = out.get("history") or History().to_dict()
    return row
