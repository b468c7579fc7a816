"""One playground session (one browser tab): its data, its network, training, and edits.

A session owns a background thread that trains a few epochs per tick while the session is
playing. Every change from the page takes the session's lock, so it lands between two
ticks, never inside an epoch. This module knows nothing about HTTP: the server turns its
:class:`~layerwise.playground._validate.PlaygroundError` into a JSON error response.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, cast

import numpy as np

import layerwise as lw
from layerwise import targets
from layerwise.playground import _compare as compare
from layerwise.playground import _edits as edits
from layerwise.playground import _export as export
from layerwise.playground import _pictures as pictures
from layerwise.playground import _validate as v
from layerwise.playground import _views as views
from layerwise.playground import data
from layerwise.playground._settings import (
    DATASETS,
    FEATURES,
    LIMITS,
    Settings,
    has_l2,
    hidden_activations,
    optimizer_names,
)
from layerwise.playground._validate import PlaygroundError

__all__ = ["Session", "LIMITS", "DATASETS", "FEATURES", "hidden_activations", "optimizer_names"]
__all__ += ["has_l2"]

EPOCHS_PER_TICK = 5  # a tick stays short, so an edit waits a few milliseconds at most
TICK_PAUSE = 0.004  # seconds between ticks: lets edits and snapshots take the lock
MAX_HISTORY = 20000  # loss points kept per session before thinning


class Session(Settings):
    """The state behind one tab.

    Parameters
    ----------
    sid : str
        The id the page made for itself.
    seed : int
        Seeds the data, the weights and every random choice of the session.
    clock : callable
        Returns seconds (monotonic); the manager's idle timeout reads ``last_seen`` with it.
    """

    limits = LIMITS

    def __init__(self, sid: str, *, seed: int = 0, clock: Callable[[], float] = time.monotonic):
        self.sid = sid
        self.clock = clock
        self.last_seen = clock()
        self.lock = threading.RLock()
        self.closed = False
        self.version = 0
        self.mode = "paused"  # "training" or "comparing"
        self.message: dict[str, Any] | None = None
        self.data_cfg: dict[str, Any] = {
            "dataset": "circles",
            "noise": 0.1,
            "test_ratio": 0.3,
            "n_samples": 300,
            "seed": seed,
        }
        self.settings: dict[str, Any] = {
            # plain SGD at 0.03 on batches of 32: every built-in data set's curves fall
            # without a spike over the first 500 epochs (no rise above 2.7% between
            # consecutive epochs, measured; 0.1 on batches of 16 rose 3x on spirals)
            "optimizer": "sgd",
            "lr": 0.03,
            "batch_size": 32,
            "l1": 0.0,
            "l2": 0.0,
        }
        self.features = ["x1", "x2"]
        self.custom: tuple[np.ndarray, np.ndarray] | None = None  # (X, y) of an uploaded CSV
        self.added: list[tuple[float, float, float]] = []  # points clicked onto the plane
        self.init_seed = seed
        self.compare: dict[str, Any] | None = None
        self._make_data()
        self._reset_model([6, 4], ["tanh", "tanh"])
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"playground-{sid}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ life
    def touch(self) -> None:
        self.last_seen = self.clock()

    def close(self) -> None:
        """Stop the training thread and drop the model (idempotent)."""
        self.closed = True
        self._wake.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=2.0)

    def _bump(self) -> None:
        self.version += 1

    def _say(self, level: str, text: str) -> None:
        seq = self.message["seq"] + 1 if self.message else 1
        self.message = {"seq": seq, "level": level, "text": text}
        self._bump()

    def _run(self) -> None:
        while not self.closed:
            if self.mode == "paused":
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            with self.lock:
                try:
                    if self.mode == "training":
                        self._train(EPOCHS_PER_TICK)
                    elif self.mode == "comparing":
                        compare.tick(self, EPOCHS_PER_TICK)
                except Exception as exc:  # never a dead thread behind a live page
                    self.mode = "paused"
                    self._say("error", f"Paused: training failed ({type(exc).__name__}: {exc})")
            time.sleep(TICK_PAUSE)

    # ------------------------------------------------------------------ data and model
    @property
    def epoch(self) -> int:
        return self.model.epochs_trained

    def _make_data(self) -> None:
        """Draw (or take the uploaded) points, split them, add the clicked ones, featurize."""
        c = self.data_cfg
        if c["dataset"] == "csv" and self.custom is not None:
            X, y = self.custom
        else:
            X, y = data.load(
                c["dataset"], n_samples=c["n_samples"], noise=c["noise"], seed=c["seed"]
            )
        self.task = (
            "regression" if y.dtype.kind == "f" else ("binary" if y.max() < 2 else "multiclass")
        )
        Xtr, self.X_test, ytr, self.y_test = lw.datasets.train_test_split(
            X, y, test_size=c["test_ratio"], seed=c["seed"]
        )
        if self.added:
            extra = np.asarray(self.added, dtype=np.float64)
            Xtr = np.vstack([Xtr, extra[:, :2]])
            ytr = np.concatenate([ytr, extra[:, 2].astype(ytr.dtype)])
        self.X_train, self.y_train = Xtr, ytr
        self.n_classes = None if self.task == "regression" else int(max(y.max(), ytr.max())) + 1
        self.loss = targets.output_for(self.task)[1]
        # a regression is drawn on [-scale, scale]: 1 for the built-in sets, wider for a CSV
        self.y_scale = float(max(1.0, np.abs(y).max())) if self.task == "regression" else 1.0
        self.domain = pictures.Domain(np.vstack([X, Xtr]))
        self._featurize()
        self.data_version = getattr(self, "data_version", 0) + 1

    def _featurize(self) -> None:
        self.F_train = data.features(self.X_train, self.features)
        self.F_test = data.features(self.X_test, self.features)

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """The network's inputs for points ``X`` (n, 2): the chosen features."""
        return data.features(X, self.features)

    def _fresh_model(self, widths: list[int], acts: list[str], seed: int) -> lw.Sequential:
        out_act = targets.output_for(self.task)[0]
        out = 1 if self.task != "multiclass" else cast(int, self.n_classes)  # set: multiclass
        model = lw.mlp(
            len(self.features), widths, out, activation=acts, output_activation=out_act,
            seed=seed, dtype="float64",
        )  # fmt: skip
        self._apply_l2(model)
        return model

    def _reset_model(self, widths: list[int], acts: list[str]) -> None:
        self.model = self._fresh_model(widths, acts, self.init_seed)
        self.history: dict[str, list[float]] = {"epoch": [], "train": [], "test": []}
        self.edits: list[dict[str, Any]] = []
        self._record_point()
        self._bump()

    def _architecture(self) -> tuple[list[int], list[str]]:
        hidden = cast("list[lw.Dense]", self.model.layers[:-1])  # the playground's: Dense
        return [l.units for l in hidden], [l.activation.name for l in hidden]

    def _apply_l2(self, model: lw.Sequential) -> None:
        for layer in model.layers:
            if hasattr(layer, "l2"):
                layer.l2 = self.settings["l2"]

    def _losses(self, model: lw.Sequential) -> tuple[float, float]:
        """Mean data loss on the training and the test set, without any L2 penalty: the
        penalty is not what the network computes, and a function-preserving edit must
        leave this number unchanged even when it changes the weights' norm."""
        loss = lw.losses.get(self.loss)
        out = []
        for X, y in ((self.F_train, self.y_train), (self.F_test, self.y_test)):
            Y = model.prepare_targets(y, loss, len(X))
            out.append(float(loss.value(model.predict(X), Y)))
        return out[0], out[1]

    def _record_point(self) -> None:
        train, test = self._losses(self.model)
        h = self.history
        h["epoch"].append(self.epoch)
        h["train"].append(train)
        h["test"].append(test)
        if len(h["epoch"]) > MAX_HISTORY:
            # a long run keeps every other point, and every point at an edit
            edited = {e["epoch"] for e in self.edits}
            keep = [k for k, e in enumerate(h["epoch"]) if k % 2 == 0 or e in edited]
            if keep[-1] != len(h["epoch"]) - 1:
                keep.append(len(h["epoch"]) - 1)
            for key in h:
                h[key] = [h[key][k] for k in keep]

    # ------------------------------------------------------------------ training
    def _fit(
        self, model: lw.Sequential, epochs: int, lr: float, on_epoch: Callable[[], None]
    ) -> None:
        s = self.settings
        if model.optimizer is not None and model.optimizer.name == s["optimizer"]:
            # a new learning rate keeps the optimizer's state (fit would start a new one)
            model.optimizer.lr = lr
        callbacks: list[lw.callbacks.Callback] = [
            lw.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: on_epoch())
        ]
        if s["l1"] > 0:
            callbacks.append(data.SoftThreshold(s["l1"], lambda: model.optimizer.lr))
        model.fit(
            self.F_train,
            self.y_train,
            loss=self.loss,
            optimizer=s["optimizer"],
            lr=lr,
            epochs=epochs,
            batch_size=s["batch_size"],
            callbacks=callbacks,
            verbose=False,
        )

    def _train(self, epochs: int) -> None:
        def on_epoch() -> None:
            self._record_point()
            self._bump()

        try:
            self._fit(self.model, epochs, self.settings["lr"], on_epoch)
        except lw.DivergenceError as exc:
            self.mode = "paused"
            self._say("error", f"Paused: {exc}")

    def control(self, body: Any) -> dict[str, Any]:
        """``{"action": "play" | "pause" | "step" | "reset"}``."""
        body = v.check_fields(body, ("action",))
        action = v.choice(body, "action", ["play", "pause", "step", "reset"])
        with self.lock:
            if action == "play":
                self.mode = "training"
                self._wake.set()
            elif action == "pause":
                self.mode = "paused"
            elif action == "step":
                self.mode = "paused"
                self._train(1)
            else:
                with self._all_or_nothing():
                    self.mode = "paused"
                    self.init_seed += 1
                    self._reset_model(*self._architecture())
            self._bump()
            return {"mode": self.mode, "epoch": self.epoch}

    # ------------------------------------------------------------------ network edits
    def _layer_index(self, body: dict[str, Any], action: str) -> int:
        n_hidden = len(self.model.layers) - 1
        if action == "set_weight":
            return v.integer(body, "layer", 0, n_hidden)
        if n_hidden == 0 and action != "add_layer":
            raise PlaygroundError(f"{action}: the network has no hidden layer; add one first")
        if action in ("add_layer", "remove_layer"):
            lo = -1 if action == "add_layer" else 0
            return v.integer(body, "layer", lo, n_hidden - 1, default=n_hidden - 1)
        return v.integer(body, "layer", 0, n_hidden - 1)

    def _apply_edit(self, action: str, i: int, body: dict[str, Any]) -> tuple[str, bool]:
        m, L = self.model, LIMITS
        if action == "add_neuron":
            return edits.add_neuron(m, i, max_units=L["max_units"])
        if action == "remove_neuron":
            return edits.remove_neuron(m, i, data=self.F_train)
        if action == "add_layer":
            return edits.add_layer(m, i, max_layers=L["max_hidden_layers"])
        if action == "remove_layer":
            return edits.remove_layer(m, i)
        if action == "set_weight":
            layer = cast(lw.Dense, m.layers[i])  # the playground builds Dense layers only
            j = v.integer(body, "to", 0, layer.units - 1)
            k = v.integer(body, "from", -1, layer.W.shape[0] - 1)
            value = v.number(body, "value", -L["max_weight"], L["max_weight"])
            return edits.set_weight(m, i, k, j, value)
        return edits.set_activation(m, i, v.choice(body, "activation", hidden_activations()))

    def edit(self, body: Any) -> dict[str, Any]:
        """Change the network between two steps, measuring the training loss before and
        after (function-preserving changes leave it equal).

        Actions: ``add_neuron`` / ``remove_neuron`` (``layer``), ``add_layer`` (after
        ``layer``, default the last hidden layer), ``remove_layer`` (``layer``, default the
        last hidden layer), ``activation`` (``layer``, ``activation``), ``set_weight``
        (``layer``, ``from`` (-1: the bias), ``to``, ``value``).
        """
        body = v.check_fields(body, ("action", "layer", "activation", "from", "to", "value"))
        actions = ["add_neuron", "remove_neuron", "add_layer", "remove_layer", "activation"]
        action = v.choice(body, "action", [*actions, "set_weight"])
        with self.lock, self._all_or_nothing():
            i = self._layer_index(body, action)
            before = self._losses(self.model)
            change, preserving = self._apply_edit(action, i, body)
            self._apply_l2(self.model)
            record = {
                "epoch": self.epoch,
                "action": action,
                "layer": i,
                "change": change,
                "preserving": preserving,
                "loss_before": before[0],
                "loss_after": self._losses(self.model)[0],
                "test_before": before[1],
            }
            self.edits.append(record)
            self._record_point()
            self._bump()
            return {"edit": record}

    # ------------------------------------------------------------------ compare
    def start_compare(self, body: Any) -> dict[str, Any]:
        """Two learning rates side by side; see :func:`layerwise.playground._compare.start`."""
        return compare.start(self, body)

    # ------------------------------------------------------------------ export
    def model_bytes(self) -> bytes:
        """The current model as a layerwise file (``lw.save``), as bytes."""
        with self.lock:
            model = self.model.copy()
            meta = {
                "playground": {
                    "data": dict(self.data_cfg),
                    "settings": dict(self.settings),
                    "features": list(self.features),
                }
            }
        return export.model_file(model, meta)

    def snippet(self) -> str:
        """Python code that rebuilds this architecture and trains it on the same data."""
        with self.lock:
            dense = cast("list[lw.Dense]", self.model.layers)  # the playground's: Dense
            layers = [(l.units, l.activation.name) for l in dense]
            return export.snippet(
                self.data_cfg, self.settings, layers, self.loss, max(self.epoch, 100),
                features=self.features, seed=self.init_seed,
            )  # fmt: skip

    # ------------------------------------------------------------------ snapshots
    def points(self) -> dict[str, Any]:
        """The data set's points (sent when ``data_version`` changes, not every snapshot)."""
        with self.lock:
            return views.points(self)

    def snapshot(self) -> dict[str, Any]:
        """Everything the page draws, as JSON-able data; see :func:`views.snapshot`."""
        with self.lock:
            return views.snapshot(self)
