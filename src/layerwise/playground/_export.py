"""What the page exports: the model file and a Python snippet that rebuilds the network."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from typing import Any

import numpy as np

import layerwise as lw
from layerwise.playground._validate import PlaygroundError

__all__ = ["model_file", "snippet", "read_csv", "FILENAME"]

FILENAME = "playground-model.npz"


def model_file(model: lw.Sequential, metadata: dict[str, Any]) -> bytes:
    """``model`` saved by ``lw.save`` (weights, architecture, optimizer state), as bytes.

    The file is written to a private temporary folder, read back and removed at once: the
    playground keeps no files.
    """
    if not hasattr(lw, "save"):
        raise PlaygroundError("this version of layerwise has no lw.save", status=501)
    with tempfile.TemporaryDirectory(prefix="layerwise-playground-") as tmp:
        path = os.path.join(tmp, FILENAME)
        lw.save(model, path, metadata=metadata)
        with open(path, "rb") as f:
            return f.read()


def read_csv(text: str, *, max_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (n, 2) and ``y`` from the text of a CSV file, by :func:`layerwise.datasets.load_csv`.

    The file needs a header row, two numeric feature columns and a target column (the
    last): integer labels (at most 6 classes) or numbers (a regression).
    """
    with tempfile.TemporaryDirectory(prefix="layerwise-playground-") as tmp:
        path = os.path.join(tmp, "upload.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            X, y = lw.datasets.load_csv(path)
        except ValueError as exc:  # its message names our temporary file: name the upload
            raise PlaygroundError(str(exc).replace(path, "your CSV")) from exc
    if X.shape[1] != 2:
        raise PlaygroundError(
            f"your CSV has {X.shape[1]} feature columns; the playground draws the plane of "
            "exactly 2 (x1, x2), then the target column last"
        )
    if not 20 <= len(X) <= max_rows:
        raise PlaygroundError(f"your CSV has {len(X)} rows; give 20 to {max_rows}")
    if y.dtype.kind != "f" and y.max() >= 6:
        raise PlaygroundError(f"your CSV has {int(y.max()) + 1} classes; give at most 6")
    return X.astype(np.float64), y


def snippet(
    data: dict[str, Any],
    settings: dict[str, Any],
    layers: list[tuple[int, str]],
    loss: str,
    epochs: int,
    features: Sequence[str] = ("x1", "x2"),
    seed: int = 0,
) -> str:
    """Python code that builds the same architecture and trains it on the same data.

    Parameters
    ----------
    data : dict
        ``dataset``, ``n_samples``, ``noise``, ``seed``, ``test_ratio``.
    settings : dict
        ``optimizer``, ``lr``, ``batch_size``, ``l1``, ``l2``.
    layers : list of (units, activation)
        Every layer, output layer last.
    loss : str
    epochs : int
    features : sequence of str
        The network's inputs (keys of :data:`layerwise.playground.data.FEATURES`).
    seed : int
        Seed of the initial weights.
    """
    l2 = f", l2={settings['l2']!r}" if settings["l2"] > 0 else ""
    rows = "".join(f"        lw.Dense({u}, {a!r}{l2}),\n" for u, a in layers)
    l1 = settings.get("l1", 0.0)
    source = (
        "# your CSV: X, y = lw.datasets.load_csv('your.csv')\n"
        if data["dataset"] == "csv"
        else f"X, y = data.load({data['dataset']!r}, n_samples={data['n_samples']}, "
        f"noise={data['noise']!r}, seed={data['seed']})\n"
    )
    return (
        "import layerwise as lw\n"
        "from layerwise.playground import data\n\n"
        + source
        + "X_train, X_test, y_train, y_test = lw.datasets.train_test_split(\n"
        f"    X, y, test_size={data['test_ratio']!r}, seed={data['seed']}\n)\n"
        f"inputs = {list(features)!r}  # the features the network sees\n"
        "X_train, X_test = data.features(X_train, inputs), data.features(X_test, inputs)\n"
        "model = lw.Sequential(\n    [\n" + rows + "    ],\n"
        f'    input_dim={len(features)},\n    seed={seed},\n    dtype="float64",\n)\n'
        + (
            f"l1 = data.SoftThreshold({l1!r}, lambda: model.optimizer.lr)  # L1, a proximal step\n"
            if l1 > 0
            else ""
        )
        + "history = model.fit(\n    X_train, y_train,\n"
        f"    loss={loss!r}, optimizer={settings['optimizer']!r}, lr={settings['lr']!r},\n"
        f"    epochs={epochs}, batch_size={settings['batch_size']},\n"
        "    validation_data=(X_test, y_test),\n"
        + ("    callbacks=[l1],\n" if l1 > 0 else "")
        + ")\n"
        "print(model.summary())\n"
        f'print("test loss:", model.evaluate(X_test, y_test, {loss!r}))\n'
        "# or load the trained weights downloaded from the playground:\n"
        f'# model = lw.load("{FILENAME}")\n'
    )
