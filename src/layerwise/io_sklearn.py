"""Save and load fitted scikit-learn objects that hold layerwise estimators, without pickle.

:func:`layerwise.save` and :func:`layerwise.load` hand these objects here: a fitted
``lw.MLPClassifier`` / ``lw.MLPRegressor``, or a fitted ``Pipeline`` whose steps are
scikit-learn preprocessors and layerwise estimators. The file is an ``.npz`` archive read with
``allow_pickle=False``: a JSON description (``__layerwise_sklearn__``), the estimators'
weights as plain arrays, and every other step in skops' safe format (which loads only
types it trusts: numpy, scipy and scikit-learn's own). This module imports neither
scikit-learn nor skops until a file of this kind is written or read.

>>> import layerwise as lw, numpy as np, os, tempfile
>>> X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
>>> clf = lw.MLPClassifier((4,), solver="lbfgs", max_iter=50, random_state=0).fit(X, y)
>>> path = os.path.join(tempfile.mkdtemp(), "clf.npz")
>>> lw.save(clf, path)
>>> bool((lw.load(path).predict_proba(X) == clf.predict_proba(X)).all())
True
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from typing import Any

import numpy as np

from layerwise import schedules
from layerwise._files import atomic_write

__all__ = ["is_sklearn_object", "is_sklearn_file", "save", "load"]

FORMAT = "layerwise-sklearn"
FORMAT_VERSION = 1
_HEADER = "__layerwise_sklearn__"
# fitted attributes of an estimator that are plain JSON values
_SCALARS = (
    "n_features_in_", "n_iter_", "t_", "n_outputs_", "n_layers_", "out_activation_",
    "loss_", "best_loss_", "loss_curve_", "validation_scores_", "best_validation_score_",
)  # fmt: skip


def is_sklearn_object(obj: Any) -> bool:
    """True for what this module writes: a layerwise estimator, or a Pipeline."""
    kind = type(obj)
    return kind.__module__.startswith("layerwise.estimators") or (
        kind.__name__ == "Pipeline" and kind.__module__.startswith("sklearn.")
    )


def is_sklearn_file(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is an archive written by :func:`save` (False for anything else,
    including files that cannot be read: ``lw.load`` then reports why)."""
    if not os.path.isfile(path):  # a FIFO or a device: lw.load's own checks refuse it
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            return f"{_HEADER}.npy" in zf.namelist()
    except (OSError, zipfile.BadZipFile, ValueError, NotImplementedError):
        return False


# ------------------------------------------------------------------ save
def _json_value(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | list):
        return [_json_value(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return {"float": str(value)}  # inf and nan, which JSON lacks
    if isinstance(value, schedules.Schedule):  # the estimators' schedule=
        return {"schedule": value.get_config()}
    return value


def _estimator(est: Any, prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est, "coefs_")
    params = est.get_params()
    if not isinstance(params["random_state"], int | type(None)):
        params["random_state"] = None  # a RandomState object: its position is not kept
    desc: dict[str, Any] = {
        "kind": type(est).__name__,
        "params": {k: _json_value(v) for k, v in params.items()},
        "fitted": {k: _json_value(getattr(est, k)) for k in _SCALARS if hasattr(est, k)},
    }
    for i, (W, b) in enumerate(zip(est.coefs_, est.intercepts_, strict=True)):
        arrays[f"{prefix}coef{i}"], arrays[f"{prefix}intercept{i}"] = W, b
    if hasattr(est, "feature_names_in_"):
        desc["feature_names_in_"] = est.feature_names_in_.tolist()
    if hasattr(est, "classes_"):
        lb = est._label_binarizer
        desc["y_type"] = lb.y_type_
        classes = np.asarray(lb.classes_)
        if classes.dtype.kind in "biuf":
            arrays[f"{prefix}classes"] = classes
        else:
            desc["classes"] = [str(c) for c in classes]
            desc["classes_dtype"] = "object" if classes.dtype == object else classes.dtype.str
    return desc


def _other_step(step: Any, prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    try:
        import skops.io as sio
    except ImportError as exc:  # pragma: no cover - skops comes with the sklearn extra
        raise ImportError(
            f"saving the {type(step).__name__} step needs skops; install it with: pip install "
            "'layerwise[sklearn]'"
        ) from exc
    arrays[f"{prefix}skops"] = np.frombuffer(sio.dumps(step), dtype=np.uint8)
    return {"kind": "skops"}


def save(
    obj: Any,
    path: str | os.PathLike[str],
    *,
    scaler: Any = None,
    history: Any = None,
    metadata: dict | None = None,
) -> None:
    """Write a fitted layerwise estimator, or a fitted Pipeline holding one, to ``path``.

    ``scaler`` and ``history`` belong to a Sequential's file: an estimator keeps its
    ``loss_curve_``, and a Pipeline its own scaler step.
    """
    for name, value in (("scaler", scaler), ("history", history)):
        if value is not None:
            raise TypeError(
                f"lw.save({type(obj).__name__}, ...) takes no {name}=: put the scaler in the "
                "Pipeline as a step; an estimator keeps its loss_curve_ itself"
            )
    arrays: dict[str, np.ndarray] = {}
    if type(obj).__module__.startswith("layerwise.estimators"):
        desc: dict[str, Any] = {"estimator": _estimator(obj, "e/", arrays)}
    else:
        steps = []
        for i, (name, step) in enumerate(obj.steps):
            if step is None or step == "passthrough":
                steps.append({"name": name, "kind": "passthrough"})
                continue
            write = _estimator if is_sklearn_object(step) else _other_step
            steps.append({"name": name, **write(step, f"s{i}/", arrays)})
        desc = {"pipeline": steps, "verbose": bool(obj.verbose)}
    header = {"format": FORMAT, "version": FORMAT_VERSION, **desc, "metadata": metadata}
    try:
        text = json.dumps(header)
    except TypeError as exc:
        raise TypeError(f"metadata must be JSON-serialisable: {exc}") from None
    arrays[_HEADER] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays)


# ------------------------------------------------------------------ load
def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"float"}:
        return float(value["float"])
    if isinstance(value, dict) and set(value) == {"schedule"}:
        return schedules.from_config(value["schedule"])
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _load_estimator(desc: dict, prefix: str, arrays: Any, where: str) -> Any:
    from sklearn.preprocessing import LabelBinarizer

    import layerwise.estimators as est_mod

    kind = desc.get("kind")
    if kind not in est_mod.__all__:
        raise ValueError(f"{where}: unknown estimator kind {kind!r}; the file is damaged")
    params = {k: _from_json(v) for k, v in desc["params"].items()}
    if isinstance(params.get("hidden_layer_sizes"), list):
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    est = getattr(est_mod, kind)(**params)
    for k, v in desc["fitted"].items():
        if k in _SCALARS:
            setattr(est, k, _from_json(v))
    n = int(est.n_layers_) - 1
    est.coefs_ = [np.array(arrays[f"{prefix}coef{i}"]) for i in range(n)]
    est.intercepts_ = [np.array(arrays[f"{prefix}intercept{i}"]) for i in range(n)]
    for i, (W, b) in enumerate(zip(est.coefs_, est.intercepts_, strict=True)):
        n_in = est.n_features_in_ if i == 0 else est.coefs_[i - 1].shape[1]
        if W.ndim != 2 or W.shape[0] != n_in or b.shape != (W.shape[1],):
            raise ValueError(f"{where}: layer {i} has inconsistent shapes; the file is damaged")
    if "feature_names_in_" in desc:
        est.feature_names_in_ = np.asarray(desc["feature_names_in_"], dtype=object)
    if "y_type" in desc:
        if f"{prefix}classes" in arrays:
            classes = np.array(arrays[f"{prefix}classes"])
        else:
            classes = np.asarray(desc["classes"], dtype=desc["classes_dtype"])
        lb = LabelBinarizer()
        lb.classes_, lb.y_type_, lb.sparse_input_ = classes, desc["y_type"], False
        est._label_binarizer, est.classes_ = lb, classes
    from sklearn.utils import check_random_state

    est._random_state = check_random_state(est.random_state)
    return est


def _load_step(desc: dict, prefix: str, arrays: Any, where: str) -> Any:
    if desc.get("kind") == "passthrough":
        return "passthrough"
    if desc.get("kind") != "skops":
        return _load_estimator(desc, prefix, arrays, where)
    import skops.io as sio

    data = np.array(arrays[f"{prefix}skops"]).tobytes()
    untrusted = sio.get_untrusted_types(data=data)
    if untrusted:
        raise ValueError(
            f"{where}: step {desc.get('name')!r} holds types that skops does not trust by "
            f"default ({', '.join(untrusted)}); refusing to load it. Load the step with "
            "skops.io.load(..., trusted=[...]) after checking those types yourself."
        )
    return sio.loads(data)


def load(path: str | os.PathLike[str]) -> Any:
    """Read what :func:`save` wrote: an estimator, or a Pipeline, that predicts identically."""
    where = os.fspath(path)
    with open(where, "rb") as fh:
        data = fh.read()
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        try:
            header = json.loads(np.array(arrays[_HEADER]).tobytes().decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"{where}: unreadable description ({exc}); save it again") from None
        if header.get("format") != FORMAT or header.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"{where}: format {header.get('format')!r} version {header.get('version')!r} "
                f"is not {FORMAT!r} version {FORMAT_VERSION}; save it again with this layerwise"
            )
        try:
            if "estimator" in header:
                return _load_estimator(header["estimator"], "e/", arrays, where)
            from sklearn.pipeline import Pipeline

            steps = [
                (d["name"], _load_step(d, f"s{i}/", arrays, where))
                for i, d in enumerate(header["pipeline"])
            ]
            return Pipeline(steps, verbose=header.get("verbose", False))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{where}: the description is invalid ({exc!r})") from None
