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

import os
import zipfile
from typing import Any

import numpy as np

from layerwise._internal.array_api import is_foreign, model_arrays
from layerwise._internal.files import atomic_write
from layerwise._internal.validation import all_finite
from layerwise.datasets import StandardScaler
from layerwise.model import Sequential
from layerwise.saving import _archive, _loadcheck
from layerwise.saving import _sklearn as io_sklearn
from layerwise.saving._rebuild import rebuild
from layerwise.state import move
from layerwise.training import History

__all__ = ["FORMAT", "FORMAT_VERSION", "save", "load", "read_header", "trusted_types"]

trusted_types = io_sklearn.trusted_types

FORMAT = "layerwise-model"
FORMAT_VERSION = 1
_META = _archive.META


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

    A fitted scikit-learn object (a layerwise estimator, a Pipeline, a ColumnTransformer, a
    search or any scikit-learn estimator holding them) is written whole in skops' safe
    format (see :mod:`layerwise.saving._sklearn`); one that could not be loaded back is refused
    here, with the step that holds the problem named.

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
        ``model`` is neither a Sequential nor a scikit-learn estimator, or metadata/history
        is not JSON-able.
    ValueError
        ``scaler`` was fitted on another number of features than the model takes.
    FileNotFoundError, PermissionError, IsADirectoryError
        The folder of ``path`` is missing or not writable, or ``path`` is a folder.
    """
    if io_sklearn.is_sklearn_object(model):  # an estimator, Pipeline, search, wrapper ...
        return io_sklearn.save(model, path, scaler=scaler, history=history, metadata=metadata)
    if not isinstance(model, Sequential):
        raise TypeError(
            "model must be a layerwise Sequential, or a fitted scikit-learn estimator (a "
            "layerwise estimator, a Pipeline, ColumnTransformer, GridSearchCV, any "
            f"scikit-learn estimator holding them); got {type(model).__name__}"
        )
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
    if not isinstance(model_arrays(model), np.ndarray):  # PyTorch, CuPy, JAX: the file is NumPy
        model = move(model.copy(), "numpy")
    _write(model, path, scaler, history, metadata)


def _write(model: Sequential, path: Any, scaler: Any, history: Any, metadata: Any) -> None:
    """The file of a checked Sequential: its arrays and its JSON description."""
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
        "callbacks": model.state.counters(),  # EarlyStopping's best and wait ... (issue 12)
        "optimizer": optimizer,
        "scaler": scaler.get_config() if scaler is not None else None,
        "history": history.to_dict() if history is not None else None,
        "metadata": metadata,
    }
    text = _archive.to_json(header, "the model's configuration, history and metadata")
    arrays[_META] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    with atomic_write(path, "wb") as f:
        np.savez(f, allow_pickle=False, **arrays)  # numeric arrays only (_numeric)


def _numeric(value: Any, what: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what} has dtype {arr.dtype}; only numeric arrays can be saved")
    if not all_finite(arr):
        # load refuses such a file: refuse to write it rather than keep a model nobody can open
        raise ValueError(
            f"{what} holds NaN or infinity (the training diverged?); restore finite weights "
            "(lower the learning rate and train again) before saving"
        )
    return arr


# ---------------------------------------------------------------------------------- load


def _read(
    path: str | os.PathLike[str], *, weights: bool = True
) -> tuple[str, dict[str, Any], dict[str, np.ndarray]]:
    """Open ``path`` and return (name for messages, JSON header, arrays), refusing bad files.

    Nothing is read or allocated before it is checked: the path must be a regular file,
    the zip directory and every member's ``.npy`` header must agree, the description must
    be a valid model whose parameter count fits in memory, and every member must be one it
    expects, with the shape and dtype it expects. Only then are the arrays read.
    """
    where = os.fspath(path)
    with _archive.open_regular(where) as fh:
        if fh.read(4) != b"PK\x03\x04":
            raise ValueError(
                f"{where}: not a layerwise model file (not an .npz archive); save models with "
                "lw.save(model, path)"
            )
        fh.seek(0)
        try:
            zf = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise ValueError(
                f"{where}: truncated or corrupted model file ({exc}); save it again"
            ) from None
        with zf:
            members = _archive.read_members(zf, where)
            header = _archive.read_description(zf, members, where)
            _check_format(header, where)
            if not weights:
                return where, header, {}
            try:
                wanted = _loadcheck.check_header(header, members, where)
            except (KeyError, TypeError, IndexError, AttributeError, ValueError) as exc:
                raise _invalid(exc, where) from None
            arrays = {name: _archive.read_array(zf, members[name], where) for name in wanted}
    for name, arr in arrays.items():
        if not all_finite(arr):
            raise ValueError(
                f"{where}: entry {name!r} holds NaN or infinity; the model diverged before it "
                "was saved or the file was tampered with; refusing to load it"
            )
    return where, header, arrays


def _invalid(exc: BaseException, where: str) -> ValueError:
    if isinstance(exc, ValueError) and str(exc).startswith(where):
        return exc
    detail = f"missing entry {exc}" if isinstance(exc, KeyError) else str(exc)
    return ValueError(f"{where}: the model description is invalid ({detail})")


def _check_format(header: Any, where: str) -> None:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{where}: not a layerwise model file (format is not {FORMAT!r})")
    version = header.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(
            f"{where}: invalid model file format version {version!r}; it must be an integer "
            f"from 1 to {FORMAT_VERSION}; the file was not written by lw.save"
        )
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{where}: model file format version {version!r} is newer than this layerwise "
            f"reads ({FORMAT_VERSION}); upgrade layerwise"
        )


def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON description of a saved model (config, history, metadata), without weights.

    A file of a scikit-learn object has its own description (``format``
    ``"layerwise-sklearn"``: the estimator's class, its steps, the libraries' versions, the
    metadata); see :func:`layerwise.saving._sklearn.read_header`.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    dict
        Keys ``format``, ``version``, ``model``, ``dtype``, ``epochs_trained``,
        ``optimizer``, ``scaler``, ``history``, ``metadata`` and more.

    Raises
    ------
    FileNotFoundError, IsADirectoryError
        ``path`` does not exist or is a folder.
    ValueError
        The file is not a regular file, truncated, corrupted or not a layerwise model.
    """
    if io_sklearn.is_sklearn_file(path):
        _archive.check_archive(os.fspath(path))
        return io_sklearn.read_header(path)
    return _read(path, weights=False)[1]


def load(path: str | os.PathLike[str], *, trusted: Any = None, like: Any = None) -> Any:
    """Read a model written by :func:`save`.

    The file is checked whole before anything is allocated (see :func:`_read`): a crafted,
    truncated or oversized file is refused in about the time it takes to read its zip
    directory and description, never by drawing weights or decompressing members first.

    Parameters
    ----------
    path : str or path-like
    trusted : list of str or of classes, optional
        For a file of a scikit-learn object only: the types beyond those trusted by
        construction (layerwise's, scikit-learn's own, NumPy's dtypes) that it may hold,
        such as your own transformer (``["mypackage.MyTransformer"]``), as
        ``skops.io.load`` takes them. The error for an untrusted type lists them.
    like : array, optional
        For a Sequential: put the loaded model on this array's library and device (a
        PyTorch, CuPy or JAX array; :meth:`Sequential.to`). Default: NumPy.

    Returns
    -------
    Sequential, or the scikit-learn object saved
        Predicts exactly as the saved model did and continues training identically
        (optimizer state, epoch count and random state restored). Also sets
        ``model.scaler`` (StandardScaler or None), ``model.history`` (History or None)
        and ``model.metadata`` (dict, empty when none was saved).

    Raises
    ------
    FileNotFoundError, IsADirectoryError
        ``path`` does not exist or is a folder.
    ValueError
        The file is not a regular file (a FIFO ...), truncated, corrupted, not a layerwise
        model, holds a pickled or non-numeric array, NaN or infinite weights, a model
        larger than the memory available, or weights, optimizer state or scaler that
        disagree with its architecture. The message names the file.
    """
    if like is not None and not is_foreign(like) and not isinstance(like, np.ndarray):
        raise TypeError(f"like must be an array (NumPy, PyTorch, CuPy, JAX ...), got {like!r}")
    if io_sklearn.is_sklearn_file(path):  # lw.save(estimator), lw.save(pipeline) ...
        if like is not None:
            raise ValueError("like= places a Sequential; a scikit-learn object's file has none")
        _archive.check_archive(os.fspath(path))  # sizes and headers, before np.load reads
        return io_sklearn.load(path, trusted=trusted)
    if trusted is not None:
        io_sklearn.check_trusted(trusted)  # wrong types are refused whatever the file
    where, header, arrays = _read(path)
    try:
        model = rebuild(header, arrays, where)
    except (KeyError, TypeError, IndexError, AttributeError, ValueError, OverflowError) as exc:
        raise _invalid(exc, where) from None
    return model if like is None else model.to(like)
