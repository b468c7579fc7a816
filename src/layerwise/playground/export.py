"""What the page exports: the model file and a Python snippet that rebuilds the network."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import layerwise as lw
from layerwise.playground.validate import PlaygroundError

__all__ = ["model_file", "snippet", "FILENAME"]

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


def snippet(
    data: dict[str, Any],
    settings: dict[str, Any],
    layers: list[tuple[int, str]],
    loss: str,
    epochs: int,
) -> str:
    """Python code that builds the same architecture and trains it on the same data.

    Parameters
    ----------
    data : dict
        ``dataset``, ``n_samples``, ``noise``, ``seed``, ``test_ratio``.
    settings : dict
        ``optimizer``, ``lr``, ``batch_size``, ``l2``.
    layers : list of (units, activation)
        Every layer, output layer last.
    loss : str
    epochs : int
    """
    l2 = f", l2={settings['l2']!r}" if settings["l2"] > 0 else ""
    rows = "".join(f"        lw.Dense({u}, {a!r}{l2}),\n" for u, a in layers)
    return (
        "import layerwise as lw\n\n"
        f"X, y = lw.datasets.load({data['dataset']!r}, n_samples={data['n_samples']}, "
        f"noise={data['noise']!r}, seed={data['seed']})\n"
        "X_train, X_test, y_train, y_test = lw.datasets.train_test_split(\n"
        f"    X, y, test_size={data['test_ratio']!r}, seed={data['seed']}\n)\n"
        "model = lw.Sequential(\n    [\n" + rows + "    ],\n"
        '    input_dim=2,\n    seed=0,\n    dtype="float64",\n)\n'
        "history = model.fit(\n    X_train, y_train,\n"
        f"    loss={loss!r}, optimizer={settings['optimizer']!r}, lr={settings['lr']!r},\n"
        f"    epochs={epochs}, batch_size={settings['batch_size']},\n"
        "    validation_data=(X_test, y_test),\n)\n"
        "print(model.summary())\n"
        f'print("test loss:", model.evaluate(X_test, y_test, {loss!r}))\n'
        "# or load the trained weights downloaded from the playground:\n"
        f'# model = lw.load("{FILENAME}")\n'
    )
