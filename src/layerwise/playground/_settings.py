"""What the page may set: data, inputs, training settings, a shared link's whole state.

:class:`Settings` is the part of :class:`~layerwise.playground._session.Session` that checks
and applies them; every value is checked before anything changes, so a refused request
changes nothing.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypedDict

import layerwise as lw
from layerwise.playground import _export as export
from layerwise.playground import _validate as v
from layerwise.playground import data
from layerwise.playground._validate import PlaygroundError

if TYPE_CHECKING:
    import threading

    import numpy as np

    from layerwise.playground import _pictures as pictures

__all__ = ["Settings", "DATASETS", "FEATURES", "LIMITS", "hidden_activations", "optimizer_names"]
__all__ += ["has_l2"]

DATASETS = [
    "circles",
    "xor",
    "gauss",
    "spirals",
    "plane",
    "multi-gauss",
    "moons",
    "blobs",
    "flower",
]
FEATURES = list(data.FEATURES)


class Limits(TypedDict):
    """The bounds of every value the page may set (sent to the page as they are)."""

    max_hidden_layers: int
    max_units: int
    min_samples: int
    max_samples: int
    max_lr: float
    max_l2: float
    max_weight: float
    max_points_added: int
    max_noise: float
    min_test_ratio: float
    max_test_ratio: float
    max_compare_epochs: int


LIMITS: Limits = {
    "max_hidden_layers": 6,
    "max_units": 32,
    "min_samples": 20,
    "max_samples": 1000,
    "max_lr": 10.0,
    "max_l2": 1.0,
    "max_weight": 100.0,
    "max_points_added": 500,
    "max_noise": 1.0,
    "min_test_ratio": 0.1,
    "max_test_ratio": 0.9,
    "max_compare_epochs": 5000,
}


def hidden_activations() -> list[str]:
    return [a for a in lw.activations.names() if a != "softmax"]


def optimizer_names() -> list[str]:
    return lw.optimizers.names()


def has_l2() -> bool:
    return "l2" in inspect.signature(lw.Dense).parameters


class Settings:
    """The setters of a session (mixed into :class:`~layerwise.playground._session.Session`,
    whose lock, data and model they use)."""

    if TYPE_CHECKING:  # what the session provides (declared only: Session defines them)
        lock: threading.RLock
        mode: str
        data_cfg: dict[str, Any]
        settings: dict[str, Any]
        features: list[str]
        custom: tuple[np.ndarray, np.ndarray] | None
        added: list[tuple[float, float, float]]
        init_seed: int
        compare: dict[str, Any] | None
        model: lw.Sequential
        task: str
        n_classes: int | None
        y_scale: float
        domain: pictures.Domain
        _wake: threading.Event

        @property
        def epoch(self) -> int: ...
        def _make_data(self) -> None: ...
        def _reset_model(self, widths: list[int], acts: list[str]) -> None: ...
        def _architecture(self) -> tuple[list[int], list[str]]: ...
        def _apply_l2(self, model: lw.Sequential) -> None: ...
        def _record_point(self) -> None: ...
        def _bump(self) -> None: ...
        def _say(self, level: str, text: str) -> None: ...

    def _check_data(self, body: dict[str, Any]) -> dict[str, Any]:
        c, L = self.data_cfg, LIMITS
        names = DATASETS + (["csv"] if self.custom is not None else [])
        return {
            "dataset": v.choice(body, "dataset", names, default=c["dataset"]),
            "noise": v.number(body, "noise", 0.0, L["max_noise"], default=c["noise"]),
            "test_ratio": v.number(
                body,
                "test_ratio",
                L["min_test_ratio"],
                L["max_test_ratio"],
                default=c["test_ratio"],
            ),  # fmt: skip
            "n_samples": v.integer(
                body, "n_samples", L["min_samples"], L["max_samples"], default=c["n_samples"]
            ),
            "seed": v.integer(body, "seed", 0, 2**31 - 1, default=c["seed"]),
        }

    def _restart(self, what: str) -> None:
        """New data or inputs: new weights and history, the same hidden layers. Training
        goes on if it was on (a comparison in progress ends, and the main network resumes
        as it was before it), or stays paused; the message says which."""
        if self.mode == "comparing":
            self.mode = self.compare["resume"] if self.compare else "paused"
        self.compare = None
        self._make_data()
        widths, acts = self._architecture()
        self._reset_model(widths, acts)
        shape = " x ".join(map(str, widths)) or "no hidden layer"
        going = (
            "training goes on from epoch 0"
            if self.mode == "training"
            else "paused as before (press play to train)"
        )
        self._say("info", f"{what}: new weights, the network ({shape}) kept; {going}.")
        self._wake.set()

    @contextlib.contextmanager
    def _all_or_nothing(self) -> Iterator[None]:
        """A change the library refuses halfway (a size beyond the memory this process may
        use) leaves the session exactly as it was, and its reason becomes the message."""
        saved = dict(self.__dict__)
        try:
            yield
        except ValueError as exc:
            # no moment without an attribute: the training thread reads ``closed`` unlocked
            for key in set(self.__dict__) - set(saved):
                del self.__dict__[key]
            self.__dict__.update(saved)
            if isinstance(exc, PlaygroundError):
                raise
            raise PlaygroundError(str(exc)) from None

    @staticmethod
    def _data_change(old: dict[str, Any], new: dict[str, Any], regenerate: bool) -> str:
        """What a change of data is, in the page's words: ``Data set spirals, noise 0.2``."""
        words = {
            "dataset": lambda x: f"data set {x}",
            "noise": lambda x: f"noise {x:g}",
            "test_ratio": lambda x: f"test split {x:.0%}",
            "n_samples": lambda x: f"{x} points",
            "seed": lambda x: f"data seed {x}",
        }
        parts = [words[k](new[k]) for k in words if new[k] != old.get(k) and k != "seed"]
        if regenerate:
            parts.append("a new draw of the points")
        elif new["seed"] != old.get("seed"):
            parts.append(words["seed"](new["seed"]))
        text = ", ".join(parts) or "the same data drawn again"
        return text[0].upper() + text[1:]

    def set_data(self, body: Any) -> dict[str, Any]:
        """Data set, noise, test ratio, number of samples, ``regenerate`` (new draw),
        ``add_point`` ([x1, x2, label]: one more training point, training goes on).

        A change of data starts again from new weights (history cleared), keeps the
        hidden layers, and goes on training if the session was training.
        """
        fields = ("dataset", "noise", "test_ratio", "n_samples", "seed", "regenerate", "add_point")
        body = v.check_fields(body, fields)
        if "add_point" in body:
            return self._add_point(body)
        new = self._check_data(body)
        if v.flag(body, "regenerate"):
            new["seed"] += 1
        with self.lock, self._all_or_nothing():
            what = self._data_change(self.data_cfg, new, v.flag(body, "regenerate"))
            if new["dataset"] != self.data_cfg["dataset"]:
                self.added = []
            self.data_cfg = new
            self._restart(what)
            return {"data": dict(self.data_cfg), "mode": self.mode}

    def _add_point(self, body: dict[str, Any]) -> dict[str, Any]:
        if set(body) != {"add_point"}:
            raise PlaygroundError("add_point goes alone, without other fields")
        point = body["add_point"]
        d = self.domain
        if not (isinstance(point, list) and len(point) == 3):
            raise PlaygroundError(f"add_point must be [x1, x2, label], got {v._show(point)}")
        x = v.number({"x1": point[0]}, "x1", d.x0, d.x1)
        y = v.number({"x2": point[1]}, "x2", d.y0, d.y1)
        if self.n_classes is None:  # a regression: a target within the drawn range
            label = v.number({"label": point[2]}, "label", -self.y_scale, self.y_scale)
        else:
            label = float(v.integer({"label": point[2]}, "label", 0, self.n_classes - 1))
        with self.lock:
            if len(self.added) >= LIMITS["max_points_added"]:
                raise PlaygroundError(
                    f"already {len(self.added)} points added, the most allowed; change the "
                    "data set to start over"
                )
            self.added.append((x, y, label))
            self._make_data()
            self._record_point()
            self._bump()
            return {"added": len(self.added)}

    def set_features(self, names: list[str]) -> None:
        """Use ``names`` as the network's inputs (lock held); restarts training."""
        self.features = names
        self._restart(f"Inputs {', '.join(names)}")

    def _check_settings(self, body: dict[str, Any]) -> dict[str, Any]:
        s, L = self.settings, LIMITS
        new: dict[str, Any] = {
            "optimizer": v.choice(body, "optimizer", optimizer_names(), default=s["optimizer"]),
            "lr": v.number(body, "lr", 0.0, L["max_lr"], default=s["lr"], lo_open=True),
            "batch_size": v.integer(
                body, "batch_size", 1, L["max_samples"], default=s["batch_size"]
            ),
            "l1": v.number(body, "l1", 0.0, L["max_l2"], default=s["l1"]),
            "l2": v.number(body, "l2", 0.0, L["max_l2"], default=s["l2"]),
        }
        if new["l2"] > 0 and not has_l2():
            raise PlaygroundError(
                "L2 needs layerwise.Dense(..., l2=...), which this version of layerwise does "
                "not have; set l2 to 0",
                status=501,
            )
        return new

    def set_settings(self, body: Any) -> dict[str, Any]:
        """Optimizer, learning rate, batch size, L1, L2, ``features``; applied from the
        next step on (a change of features restarts training)."""
        body = v.check_fields(body, ("optimizer", "lr", "batch_size", "l1", "l2", "features"))
        new = self._check_settings(body)
        feats = v.names(body, "features", FEATURES, default=self.features)
        with self.lock, self._all_or_nothing():
            self.settings = new
            self._apply_l2(self.model)
            if feats != self.features:
                self.set_features(feats)
            self._bump()
            return {"settings": dict(self.settings), "features": list(self.features)}

    def set_state(self, body: Any) -> dict[str, Any]:
        """Rebuild the whole state a shared link describes: data, features, network,
        activations, optimizer, lr, seed. Everything is checked before anything changes;
        the same state and seed give the same weights, so the same run."""
        fields: tuple[str, ...] = ("dataset", "noise", "test_ratio", "n_samples", "data_seed")
        fields += ("features",)
        fields += ("units", "activations", "optimizer", "lr", "batch_size", "l1", "l2", "seed")
        body = v.check_fields(body, fields)
        cfg = self._check_data(
            {k: body[k] for k in ("dataset", "noise", "test_ratio", "n_samples") if k in body}
            | ({"seed": body["data_seed"]} if "data_seed" in body else {})
        )
        settings = self._check_settings(
            {k: body[k] for k in ("optimizer", "lr", "batch_size", "l1", "l2") if k in body}
        )
        feats = v.names(body, "features", FEATURES, default=self.features)
        widths, acts = self._architecture()
        L = LIMITS
        widths = v.integers(
            body, "units", 1, L["max_units"], L["max_hidden_layers"], default=widths
        )
        acts = body.get("activations", acts if len(acts) == len(widths) else ["tanh"] * len(widths))
        if not isinstance(acts, list) or len(acts) != len(widths):
            raise PlaygroundError(
                f"activations must be a list of {len(widths)} names, one per hidden layer; "
                f"got {acts!r}"
            )
        acts = [v.choice({"activations": a}, "activations", hidden_activations()) for a in acts]
        seed = v.integer(body, "seed", 0, 2**31 - 1, default=self.init_seed)
        with self.lock, self._all_or_nothing():
            self.mode, self.compare, self.added = "paused", None, []
            self.data_cfg, self.settings, self.features = cfg, settings, feats
            self.init_seed = seed
            self._make_data()
            self._reset_model(widths, acts)
            return {"state": "rebuilt", "epoch": self.epoch}

    def upload_csv(self, body: Any) -> dict[str, Any]:
        """``{"csv": text}``: a CSV of two feature columns and a target column (last),
        read by :func:`layerwise.datasets.load_csv`; becomes the data set ``"csv"``."""
        body = v.check_fields(body, ("csv", "name"))
        text = body.get("csv")
        if not isinstance(text, str) or not text.strip():
            raise PlaygroundError("csv must be the text of a CSV file with a header row")
        X, y = export.read_csv(text, max_rows=LIMITS["max_samples"])
        with self.lock, self._all_or_nothing():
            self.custom = (X, y)
            self.added = []
            self.data_cfg = dict(self.data_cfg, dataset="csv", n_samples=len(X))
            self._restart(f"Data from {body.get('name') or 'your CSV'} ({len(X)} rows)")
            return {"data": dict(self.data_cfg), "task": self.task}
