"""The snapshot: everything the page draws about one session, as JSON-able data.

Called with the session's lock held (see ``Session.snapshot``), so it sees a state between
two training ticks. ``session`` below is a :class:`~layerwise.playground._session.Session`;
this module does not import it (the session imports this one).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import layerwise as lw
from layerwise.playground import _compare as compare
from layerwise.playground import _pictures as pictures
from layerwise.playground import _settings as settings

__all__ = ["points", "snapshot"]


def points(session: Any) -> dict[str, Any]:
    """The data set's points (sent when ``data_version`` changes, not every snapshot)."""
    return {
        "data_version": session.data_version,
        "n_classes": session.n_classes,
        "domain": session.domain.to_dict(),
        "task": session.task,
        "scale": session.y_scale,
        "train": {"X": np.round(session.X_train, 5).tolist(), "y": _labels(session.y_train)},
        "test": {"X": np.round(session.X_test, 5).tolist(), "y": _labels(session.y_test)},
    }


def _labels(y: np.ndarray) -> list[Any]:
    return np.round(y, 5).tolist() if y.dtype.kind == "f" else y.tolist()


def _accuracy(model: lw.Sequential, X: np.ndarray, y: np.ndarray, task: str) -> float | None:
    if task == "regression":
        return None
    P = model.predict(X)
    labels = (P[:, 0] > 0.5).astype(np.int64) if P.shape[1] == 1 else P.argmax(axis=1)
    return float(np.mean(labels == y))


def snapshot(session: Any) -> dict[str, Any]:
    """Everything the page draws, as JSON-able data (losses of the whole run are
    thinned to a few hundred points, always keeping the points beside each edit)."""
    f = pictures.finite
    h = session.history
    epochs = np.asarray(h["epoch"])
    edit_epochs = [e["epoch"] for e in session.edits]
    keep = np.concatenate(
        [
            np.arange(np.searchsorted(epochs, e, "left") - 1, np.searchsorted(epochs, e, "right"))
            for e in edit_epochs
        ]
        or [np.zeros(0, np.int64)]
    )
    idx = pictures.decimate(len(epochs), keep.tolist())
    m = session.model
    snap = {
        "session": session.sid,
        "version": session.version,
        "mode": session.mode,
        "epoch": session.epoch,
        "data": dict(
            session.data_cfg,
            data_version=session.data_version,
            n_classes=session.n_classes,
            task=session.task,
            loss=session.loss,
            added=len(session.added),
        ),
        "features": list(session.features),
        "seed": session.init_seed,
        "settings": dict(session.settings),
        "layers": [
            {"units": l.units, "activation": l.activation.name, "name": l.name} for l in m.layers
        ],
        "loss": {"train": f(h["train"][-1]), "test": f(h["test"][-1])},
        "accuracy": {
            "train": _accuracy(m, session.F_train, session.y_train, session.task),
            "test": _accuracy(m, session.F_test, session.y_test, session.task),
        },
        "history": {k: [f(h[k][j]) for j in idx] for k in ("train", "test")}
        | {"epoch": [int(epochs[j]) for j in idx]},
        "edits": [
            dict(
                e,
                loss_before=f(e["loss_before"]),
                loss_after=f(e["loss_after"]),
                test_before=f(e["test_before"]),
            )
            for e in session.edits
        ],
        "boundary": pictures.boundary_map(
            m, session.domain, session.n_classes, session.inputs, scale=session.y_scale
        ),
        "inputs": pictures.input_maps(session.domain, session.features, session.inputs),
        "neurons": pictures.neuron_maps(m, session.domain, session.inputs),
        "weights": pictures.weights(m),
        "compare": _compare_snapshot(session),
        "message": session.message,
        "limits": settings.LIMITS,
        "supports": {
            "l2": settings.has_l2(),
            "widen": hasattr(m, "widen"),
            "deepen": hasattr(m, "deepen"),
            "save": hasattr(lw, "save"),
        },
    }
    return snap


def _compare_snapshot(session: Any) -> dict[str, Any] | None:
    c = session.compare
    if c is None:
        return None
    runs = []
    for r in c["runs"]:
        idx = pictures.decimate(len(r["epoch"]))
        runs.append(
            {
                "lr": r["lr"],
                "diverged_at": r["diverged_at"],
                "verdict": compare.judge(r["train"], r["diverged_at"]),
                "epoch": [r["epoch"][j] for j in idx],
                "train": [pictures.finite(r["train"][j]) for j in idx],
                "test": [pictures.finite(r["test"][j]) for j in idx],
            }
        )
    running = session.mode == "comparing"
    return {"epochs": c["epochs"], "running": running, "from": c["from"], "runs": runs}
