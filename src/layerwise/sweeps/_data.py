"""The data of a sweep: train and validation arrays, resolved once from a data set's name,
``(X, y)`` or four arrays, shipped to every worker, and fingerprinted for the manifest."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from layerwise import datasets as _datasets

__all__ = ["SweepData", "prepare_data"]


@dataclass(frozen=True)
class SweepData:
    """The data every run of a sweep trains and validates on (picklable, shipped once).

    Attributes
    ----------
    X_train : ndarray of shape (n_train, n_features)
    y_train : ndarray of shape (n_train,) or (n_train, n_outputs)
    X_val : ndarray of shape (n_val, n_features)
    y_val : ndarray of shape (n_val,) or (n_val, n_outputs)
    task : {"binary", "multiclass", "regression"}
    description : str
        Where the data came from, for the sweep's manifest.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    task: str
    description: str

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_val.max())) + 1

    def fingerprint(self) -> str:
        """SHA-256 of the arrays (shapes, dtypes, bytes) and the task."""
        h = hashlib.sha256(self.task.encode())
        for a in (self.X_train, self.y_train, self.X_val, self.y_val):
            h.update(f"{a.shape}{a.dtype.str}".encode())
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()


def _infer_task(y: np.ndarray) -> str:
    if y.dtype.kind in "biu":
        classes = np.unique(y)
        # checked here, before any run: otherwise every run would fail with the same bce
        # error (labels {1, 2}), or "learn" a single class
        if len(classes) < 2 or classes[0] < 0 or (len(classes) == 2 and classes[1] != 1):
            shown = ", ".join(str(c) for c in classes[:5]) + (", ..." if len(classes) > 5 else "")
            raise ValueError(
                f"data: integer labels mean classification and must be 0, 1, ... (at least "
                f"two classes), got {shown}; recode them with np.unique(y, "
                "return_inverse=True)[1], or give float targets for regression"
            )
        return "binary" if len(classes) <= 2 else "multiclass"
    return "regression"


def _split(X: np.ndarray, y: np.ndarray, task: str, description: str) -> SweepData:
    """``(X, y)`` split 75/25 (stratified for classification, seed 0)."""
    stratify = task != "regression"
    X_tr, X_va, y_tr, y_va = _datasets.train_test_split(
        X, y, test_size=0.25, seed=0, stratify=stratify
    )
    return SweepData(X_tr, y_tr, X_va, y_va, task, description)


def prepare_data(data: Any) -> SweepData:
    """Resolve a sweep's ``data`` argument to train and validation arrays.

    Parameters
    ----------
    data : str, dict, tuple or SweepData
        - a data set name (``"moons"``) or ``{"name": "moons", **load_options}``: loaded
          with :func:`layerwise.datasets.load` (``seed=0`` unless given), split 75/25
          (stratified for classification, seed 0), features standardised on the training
          part, regression targets too;
        - ``(X, y)``: split 75/25 the same way, not scaled;
        - ``(X_train, y_train, X_val, y_val)``: used as given.

    Returns
    -------
    SweepData
    """
    if isinstance(data, SweepData):
        return data
    if isinstance(data, str | Mapping):
        options: dict[str, Any] = {"name": data} if isinstance(data, str) else dict(data)
        name = options.pop("name", None)
        if not isinstance(name, str):
            raise ValueError(f"data as a dict needs a 'name' (a data set name), got {data!r}")
        if _datasets.info(name).synthetic:
            options.setdefault("seed", 0)
        X, y = _datasets.load(name, **options)
        task: str = _datasets.task(name, n_classes=options.get("n_classes"))
        d = _split(X, y, task, f"{name} {options}" if options else name)
        scaler = _datasets.StandardScaler().fit(d.X_train)
        y_tr, y_va = d.y_train, d.y_val
        if task == "regression":
            mean, std = y_tr.mean(), y_tr.std() or 1.0
            y_tr, y_va = (y_tr - mean) / std, (y_va - mean) / std
        return SweepData(
            scaler.transform(d.X_train), y_tr, scaler.transform(d.X_val), y_va,
            task, d.description + " (standardised)",
        )  # fmt: skip
    if isinstance(data, tuple | list) and len(data) in (2, 4):
        arrays = [np.asarray(a) for a in data]
        names = ("X", "y") if len(arrays) == 2 else ("X_train", "y_train", "X_val", "y_val")
        for i in (0, 2)[: len(arrays) // 2]:
            (xn, yn), X, y = names[i : i + 2], arrays[i], arrays[i + 1]
            if X.ndim != 2:
                raise ValueError(f"data: {xn} must be 2-D (n_samples, n_features), got {X.shape}")
            if y.ndim == 0 or len(X) != len(y):
                raise ValueError(f"data: {xn} has {len(X)} rows but {yn} has shape {y.shape}")
        task = _infer_task(arrays[1])
        if len(arrays) == 2:
            return _split(arrays[0], arrays[1], task, f"arrays X{arrays[0].shape}")
        X_tr, y_tr, X_va, y_va = arrays
        return SweepData(
            X_tr, y_tr, X_va, y_va, task, f"arrays X_train{X_tr.shape} X_val{X_va.shape}"
        )
    raise TypeError(
        "data must be a data set name such as 'moons', (X, y) or (X_train, y_train, X_val, "
        f"y_val), got {type(data).__name__}"
    )
