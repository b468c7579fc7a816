"""Save and load models: one ``.npz`` file, read with ``allow_pickle=False``, never a pickle.

The file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays) holding:

=================================  ===========================================================
entry                              content
=================================  ===========================================================
``params/<layer name>/<param>``    every ``layer.params()`` array (``W``, ``b``), in its dtype
``buffers/<layer name>/<buf>``     every ``layer.buffers()`` array (running statistics ...)
``optim/<key>/<name>``             optimizer state, ``model.optimizer.state[key][name]``
``__layerwise__``                  uint8 array: UTF-8 JSON, described below
=================================  ===========================================================

The JSON holds the format name and version, ``model.get_config()`` (the layers, their
activations, the dtype), the model's training state (``epochs_trained``, ``events``, the
exact state of its random generator), the optimizer's config, iteration count and the list
of its state entries, the scaler (``StandardScaler.get_config()``), the history
(``History.to_dict()``) and free-form metadata (for example the training settings).

The file is written to a temporary file beside ``path`` and renamed over it, so a crash
never leaves a half-written model and an existing file survives a failed overwrite.

>>> import layerwise as lw, tempfile, os
>>> model = lw.mlp(2, [4], 1, output_activation="sigmoid", seed=0)
>>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
>>> lw.save(model, path, metadata={"note": "untrained"})
>>> lw.load(path).metadata
{'note': 'untrained'}
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from layerwise import optimizers as _optimizers
from layerwise._files import atomic_write
from layerwise.datasets import StandardScaler
from layerwise.model import Sequential
from layerwise.training import History

__all__ = ["FORMAT", "FORMAT_VERSION", "save", "load", "read_header"]

FORMAT = "layerwise-model"
FORMAT_VERSION = 1
_META = "__layerwise__"
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


# ---------------------------------------------------------------------------------- JSON
def _encode(obj: Any) -> Any:
    """``json.dumps`` default: NumPy scalars as Python numbers, arrays tagged with dtype."""
    if isinstance(obj, np.ndarray):
        return {"__ndarray__": obj.tolist(), "dtype": obj.dtype.str}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return os.fspath(obj)
    raise TypeError(f"{type(obj).__name__} {obj!r} is not JSON-serialisable")


def _decode(obj: dict[str, Any]) -> Any:
    if set(obj) == {"__ndarray__", "dtype"}:
        return np.asarray(obj["__ndarray__"], dtype=np.dtype(obj["dtype"]))
    return obj


def _to_json(obj: Any, what: str) -> str:
    try:
        return json.dumps(obj, default=_encode, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{what} must be JSON-serialisable (numbers, strings, lists, dicts): {exc}"
        ) from exc


# ---------------------------------------------------------------------------------- save
def save(
    model: Sequential,
    path: str | os.PathLike[str],
    *,
    scaler: StandardScaler | None = None,
    history: History | None = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """Write ``model`` (weights, architecture, training state) to one ``.npz`` file.

    Parameters
    ----------
    model : Sequential
        Built or not; every layer's ``params()`` and ``buffers()`` arrays are saved in
        their dtype, with the optimizer's state and the random generator's exact state,
        so a loaded model predicts identically and continues training bit for bit.
    path : str or path-like
        The file to write, exactly this name (no suffix is added; ``.npz`` is customary).
        Written atomically: an existing file is replaced only once the new one is complete.
    scaler : StandardScaler, optional
        The feature scaler the model was trained with. Default: ``model.scaler`` if set
        (as on a loaded model).
    history : History, optional
        What ``fit`` returned. Default: ``model.history`` if set.
    metadata : dict, optional
        JSON-able settings to keep (training config, data set name ...). Default:
        ``model.metadata`` if set.

    Raises
    ------
    TypeError
        ``model`` is not a Sequential, or metadata/history is not JSON-able.
    ValueError
        ``scaler`` was fitted on another number of features than the model takes.
    FileNotFoundError, PermissionError, IsADirectoryError
        The folder of ``path`` is missing or not writable, or ``path`` is a folder.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a layerwise Sequential, got {type(model).__name__}")
    scaler = scaler if scaler is not None else getattr(model, "scaler", None)
    history = history if history is not None else getattr(model, "history", None)
    metadata = metadata if metadata is not None else getattr(model, "metadata", None)
    if scaler is not None and not isinstance(scaler, StandardScaler):
        raise TypeError(f"scaler must be a StandardScaler or None, got {type(scaler).__name__}")
    n_scaled = scaler.n_features_in_ if scaler is not None else 0
    if n_scaled and model.input_dim is not None and n_scaled != model.input_dim:
        raise ValueError(
            f"scaler was fitted on {n_scaled} features but the model takes {model.input_dim}; "
            "save the scaler the model was trained with"
        )
    if history is not None and not isinstance(history, History):
        raise TypeError(f"history must be a History or None, got {type(history).__name__}")
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict or None, got {type(metadata).__name__}")

    arrays: dict[str, np.ndarray] = {}
    for layer in model.layers:
        for group, values in (("params", layer.params()), ("buffers", layer.buffers())):
            for pname, arr in values.items():
                if arr is not None:
                    arrays[f"{group}/{layer.name}/{pname}"] = _numeric(arr, f"{layer.name}/{pname}")
    optimizer = None
    if model.optimizer is not None:
        entries = []
        for key, slots in model.optimizer.state.items():
            for name, value in slots.items():
                # 0-d values are restored as NumPy scalars so that their dtype, and thus the
                # arithmetic of a resumed run, is unchanged.
                entries.append([key, name, "array" if isinstance(value, np.ndarray) else "scalar"])
                arrays[f"optim/{key}/{name}"] = _numeric(value, f"optimizer state {key}/{name}")
        optimizer = {
            "config": model.optimizer.get_config(),
            "iterations": int(model.optimizer.iterations),
            "state": entries,
        }
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "model": model.get_config(),
        "dtype": model.dtype.name,
        "seed": model.seed if isinstance(model.seed, int) else None,
        "epochs_trained": int(model.epochs_trained),
        "events": model.events,
        "name_counter": int(getattr(model, "_name_counter", 0)),
        "rng_state": model.rng.bit_generator.state,
        "optimizer": optimizer,
        "scaler": scaler.get_config() if scaler is not None else None,
        "history": history.to_dict() if history is not None else None,
        "metadata": metadata,
    }
    text = _to_json(header, "the model's configuration, history and metadata")
    arrays[_META] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays)


def _numeric(value: Any, what: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what} has dtype {arr.dtype}; only numeric arrays can be saved")
    return arr


# ---------------------------------------------------------------------------------- load
def _read(path: str | os.PathLike[str]) -> tuple[str, dict[str, Any], dict[str, np.ndarray]]:
    """Open ``path`` and return (name for messages, JSON header, arrays), refusing bad files."""
    where = os.fspath(path)
    if not os.path.exists(where):
        raise FileNotFoundError(f"{where}: no such file")
    if os.path.isdir(where):
        raise IsADirectoryError(f"{where} is a folder, not a saved model")
    with open(where, "rb") as fh:
        magic = fh.read(4)
    if magic != b"PK\x03\x04":
        raise ValueError(
            f"{where}: not a layerwise model file (not an .npz archive); save models with "
            "lw.save(model, path)"
        )
    arrays: dict[str, np.ndarray] = {}
    try:
        # np.load is given an open file, so a failed read never leaves it open
        with open(where, "rb") as fh, np.load(fh, allow_pickle=False) as npz:
            for key in npz.files:
                arrays[key] = npz[key]
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object arrays" in str(exc).lower():
            raise ValueError(
                f"{where}: holds a pickled object array; layerwise never writes pickles, so "
                "this file is not a layerwise model or was tampered with; refusing to load it"
            ) from exc
        raise ValueError(f"{where}: corrupted model file ({exc})") from exc
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as exc:
        raise ValueError(
            f"{where}: truncated or corrupted model file ({exc}); save it again"
        ) from exc
    if _META not in arrays:
        raise ValueError(
            f"{where}: not a layerwise model file (an .npz archive without the "
            f"{_META!r} entry; a plain NumPy archive?)"
        )
    raw = arrays.pop(_META)
    try:
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise ValueError(f"the {_META!r} entry must be a 1-D uint8 array")
        header = json.loads(raw.tobytes().decode("utf-8"), object_hook=_decode)
    except (ValueError, UnicodeDecodeError, TypeError) as exc:
        raise ValueError(f"{where}: the model description is corrupted ({exc})") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{where}: not a layerwise model file (format is not {FORMAT!r})")
    version = header.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{where}: model file format version {version!r} is newer than this layerwise "
            f"reads ({FORMAT_VERSION}); upgrade layerwise"
        )
    return where, header, arrays


def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON description of a saved model (config, history, metadata), without weights.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    dict
        Keys ``format``, ``version``, ``model``, ``dtype``, ``epochs_trained``,
        ``optimizer``, ``scaler``, ``history``, ``metadata`` and more.
    """
    return _read(path)[1]


def load(path: str | os.PathLike[str]) -> Sequential:
    """Read a model written by :func:`save`.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    Sequential
        Predicts exactly as the saved model did and continues training identically
        (optimizer state, epoch count and random state restored). Also sets
        ``model.scaler`` (StandardScaler or None), ``model.history`` (History or None)
        and ``model.metadata`` (dict, empty when none was saved).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        The file is truncated, corrupted, not a layerwise model, holds a pickled array,
        or its weights disagree with its architecture. The message names the file.
    """
    where, header, arrays = _read(path)
    try:
        model = _rebuild(header, arrays, where)
    except (KeyError, TypeError, IndexError, AttributeError, ValueError) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(where):
            raise
        detail = f"missing entry {exc}" if isinstance(exc, KeyError) else str(exc)
        raise ValueError(f"{where}: the model description is invalid ({detail})") from exc
    return model


def _rebuild(header: dict[str, Any], arrays: dict[str, np.ndarray], where: str) -> Sequential:
    config = header["model"]
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError(f"{where}: the model description has no list of layers")
    model = Sequential.from_config(config)
    dtype = model.dtype
    used: set[str] = set()
    for layer in model.layers:
        for group, expected in (("params", layer.params()), ("buffers", layer.buffers())):
            for pname, current in expected.items():
                key = f"{group}/{layer.name}/{pname}"
                if current is None:
                    continue
                if key not in arrays:
                    raise ValueError(f"{where}: entry {key!r} is missing; the file is incomplete")
                arr = arrays[key]
                want = np.shape(current)
                if arr.shape != want:
                    raise ValueError(
                        f"{where}: entry {key!r} has shape {arr.shape} but the architecture in "
                        f"the file needs {want}; the file is inconsistent"
                    )
                if group == "params" and arr.dtype != dtype:
                    raise ValueError(
                        f"{where}: entry {key!r} has dtype {arr.dtype} but the model is "
                        f"{dtype.name}; the file is inconsistent"
                    )
                cur_dtype = np.asarray(current).dtype
                setattr(layer, pname, np.array(arr, dtype=cur_dtype, order="C", copy=True))
                used.add(key)
    extra = sorted(k for k in arrays if not k.startswith("optim/") and k not in used)
    if extra:
        raise ValueError(
            f"{where}: entries {extra} belong to no layer of the architecture in the file; "
            "the file is inconsistent"
        )

    model.seed = header.get("seed")
    model.epochs_trained = int(header.get("epochs_trained", 0))
    model.events = list(header.get("events") or [])
    model._name_counter = int(header.get("name_counter", len(model.layers)))
    model.rng = _restore_rng(header["rng_state"], where)
    model.optimizer = _restore_optimizer(header.get("optimizer"), arrays, where)
    scaler = header.get("scaler")
    model.scaler = StandardScaler.from_config(scaler) if scaler is not None else None
    history = header.get("history")
    model.history = History.from_dict(history) if history is not None else None
    metadata = header.get("metadata")
    model.metadata = dict(metadata) if metadata is not None else {}
    return model


def _restore_rng(state: dict[str, Any], where: str) -> np.random.Generator:
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in _BIT_GENERATORS:
        raise ValueError(f"{where}: unknown random generator {name!r} in the file")
    bit_generator = getattr(np.random, name)()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def _restore_optimizer(info: dict[str, Any] | None, arrays: dict[str, np.ndarray], where: str):
    stored = {k for k in arrays if k.startswith("optim/")}
    if info is None:
        if stored:
            raise ValueError(f"{where}: optimizer state without an optimizer; file inconsistent")
        return None
    optimizer = _optimizers.from_config(info["config"])
    optimizer.iterations = int(info["iterations"])
    for key, name, kind in info["state"]:
        entry = f"optim/{key}/{name}"
        if entry not in arrays:
            raise ValueError(f"{where}: entry {entry!r} is missing; the file is incomplete")
        arr = np.array(arrays[entry], order="C", copy=True)
        optimizer.state.setdefault(key, {})[name] = arr if kind == "array" else arr[()]
        stored.discard(entry)
    if stored:
        raise ValueError(
            f"{where}: entries {sorted(stored)} are not listed in the optimizer's state; "
            "the file is inconsistent"
        )
    return optimizer
