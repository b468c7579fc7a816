"""One playground session (one browser tab): its data, its network, training, and edits.

A session owns a background thread that trains a few epochs per tick while the session is
playing. Every change from the page takes the session's lock, so it lands between two
ticks, never inside an epoch. This module knows nothing about HTTP: the server turns its
:class:`~layerwise.playground.validate.PlaygroundError` into a JSON error response.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable
from typing import Any

import layerwise as lw
from layerwise.playground import edits, export, pictures, views
from layerwise.playground import validate as v
from layerwise.playground.validate import PlaygroundError

__all__ = ["Session", "LIMITS", "DATASETS", "FEATURES", "hidden_activations", "optimizer_names"]

DATASETS = ["xor", "moons", "circles", "spirals", "blobs", "flower"]
FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin x1", "sin x2"]
LIMITS = {
    "max_hidden_layers": 6,
    "max_units": 32,
    "min_samples": 20,
    "max_samples": 1000,
    "max_lr": 10.0,
    "max_l2": 1.0,
    "max_noise": 1.0,
    "min_test_ratio": 0.1,
    "max_test_ratio": 0.9,
    "max_compare_epochs": 5000,
}
EPOCHS_PER_TICK = 5  # a tick stays short, so an edit waits a few milliseconds at most
TICK_PAUSE = 0.004  # seconds between ticks: lets edits and snapshots take the lock
MAX_HISTORY = 20000  # loss points kept per session before thinning


def hidden_activations() -> list[str]:
    return [a for a in lw.activations.names() if a != "softmax"]


def optimizer_names() -> list[str]:
    return lw.optimizers.names()


def has_l2() -> bool:
    return "l2" in inspect.signature(lw.Dense).parameters


class Session:
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
        self.settings: dict[str, Any] = {"optimizer": "sgd", "lr": 0.1, "batch_size": 16, "l2": 0.0}
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
                        self._compare_tick(EPOCHS_PER_TICK)
                except Exception as exc:  # never a dead thread behind a live page
                    self.mode = "paused"
                    self._say("error", f"Paused: training failed ({type(exc).__name__}: {exc})")
            time.sleep(TICK_PAUSE)

    # ------------------------------------------------------------------ data and model
    @property
    def epoch(self) -> int:
        return self.model.epochs_trained

    def _make_data(self) -> None:
        c = self.data_cfg
        X, y = lw.datasets.load(
            c["dataset"], n_samples=c["n_samples"], noise=c["noise"], seed=c["seed"]
        )
        self.X_train, self.X_test, self.y_train, self.y_test = lw.datasets.train_test_split(
            X, y, test_size=c["test_ratio"], seed=c["seed"]
        )
        self.n_classes = int(y.max()) + 1
        self.loss = "bce" if self.n_classes == 2 else "cce"
        self.domain = pictures.Domain(X)
        self.data_version = getattr(self, "data_version", 0) + 1

    def _fresh_model(self, widths: list[int], acts: list[str], seed: int) -> lw.Sequential:
        out = (1, "sigmoid") if self.n_classes == 2 else (self.n_classes, "softmax")
        model = lw.mlp(
            2, widths, out[0], activation=acts, output_activation=out[1], seed=seed, dtype="float64"
        )
        self._apply_l2(model)
        return model

    def _reset_model(self, widths: list[int], acts: list[str]) -> None:
        self.model = self._fresh_model(widths, acts, self.init_seed)
        self.history: dict[str, list[float]] = {"epoch": [], "train": [], "test": []}
        self.edits: list[dict[str, Any]] = []
        self._record_point()
        self._bump()

    def _architecture(self) -> tuple[list[int], list[str]]:
        hidden = self.model.layers[:-1]
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
        for X, y in ((self.X_train, self.y_train), (self.X_test, self.y_test)):
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
    def _fit(self, model: lw.Sequential, epochs: int, lr: float, on_epoch: Callable) -> None:
        s = self.settings
        if model.optimizer is not None and model.optimizer.name == s["optimizer"]:
            # a new learning rate keeps the optimizer's state (fit would start a new one)
            model.optimizer.lr = lr
        cb = lw.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: on_epoch())
        model.fit(
            self.X_train,
            self.y_train,
            loss=self.loss,
            optimizer=s["optimizer"],
            lr=lr,
            epochs=epochs,
            batch_size=s["batch_size"],
            callbacks=[cb],
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
                self.mode = "paused"
                self.init_seed += 1
                self._reset_model(*self._architecture())
            self._bump()
            return {"mode": self.mode, "epoch": self.epoch}

    # ------------------------------------------------------------------ settings
    def set_data(self, body: Any) -> dict[str, Any]:
        """Data set, noise, test ratio, number of samples, ``regenerate`` (new draw).

        A new data set resets the network's weights and the loss history.
        """
        body = v.check_fields(body, ("dataset", "noise", "test_ratio", "n_samples", "regenerate"))
        c, L = self.data_cfg, LIMITS
        new = {
            "dataset": v.choice(body, "dataset", DATASETS, default=c["dataset"]),
            "noise": v.number(body, "noise", 0.0, L["max_noise"], default=c["noise"]),
            "test_ratio": v.number(
                body,
                "test_ratio",
                L["min_test_ratio"],
                L["max_test_ratio"],
                default=c["test_ratio"],
            ),
            "n_samples": v.integer(
                body, "n_samples", L["min_samples"], L["max_samples"], default=c["n_samples"]
            ),
            "seed": c["seed"] + (1 if v.flag(body, "regenerate") else 0),
        }
        with self.lock:
            self.data_cfg = new
            self.mode = "paused"
            self.compare = None
            self._make_data()
            self._reset_model(*self._architecture())
            return {"data": dict(self.data_cfg)}

    def set_settings(self, body: Any) -> dict[str, Any]:
        """Optimizer, learning rate, batch size, L2; applied from the next step on."""
        body = v.check_fields(body, ("optimizer", "lr", "batch_size", "l2"))
        s = self.settings
        new = {
            "optimizer": v.choice(body, "optimizer", optimizer_names(), default=s["optimizer"]),
            "lr": v.number(body, "lr", 0.0, LIMITS["max_lr"], default=s["lr"], lo_open=True),
            "batch_size": v.integer(
                body, "batch_size", 1, LIMITS["max_samples"], default=s["batch_size"]
            ),
            "l2": v.number(body, "l2", 0.0, LIMITS["max_l2"], default=s["l2"]),
        }
        if new["l2"] > 0 and not has_l2():
            raise PlaygroundError(
                "L2 needs layerwise.Dense(..., l2=...), which this version of layerwise does "
                "not have; set l2 to 0",
                status=501,
            )
        with self.lock:
            self.settings = new
            self._apply_l2(self.model)
            self._bump()
            return {"settings": dict(self.settings)}

    # ------------------------------------------------------------------ network edits
    def edit(self, body: Any) -> dict[str, Any]:
        """Change the network between two steps, measuring the training loss before and
        after (function-preserving changes leave it equal).

        Actions: ``add_neuron`` / ``remove_neuron`` (``layer``), ``add_layer`` (after
        ``layer``, default the last hidden layer), ``remove_layer`` (``layer``, default the
        last hidden layer), ``activation`` (``layer``, ``activation``).
        """
        body = v.check_fields(body, ("action", "layer", "activation"))
        actions = ["add_neuron", "remove_neuron", "add_layer", "remove_layer", "activation"]
        action = v.choice(body, "action", actions)
        with self.lock:
            n_hidden = len(self.model.layers) - 1
            if n_hidden == 0 and action != "add_layer":
                raise PlaygroundError(f"{action}: the network has no hidden layer; add one first")
            lo = -1 if action == "add_layer" else 0
            if action in ("add_layer", "remove_layer"):
                i = v.integer(body, "layer", lo, n_hidden - 1, default=n_hidden - 1)
            else:
                i = v.integer(body, "layer", lo, n_hidden - 1)
            act = None
            if action == "activation":
                act = v.choice(body, "activation", hidden_activations())
            before = self._losses(self.model)
            m, L = self.model, LIMITS
            if action == "add_neuron":
                change, preserving = edits.add_neuron(m, i, max_units=L["max_units"])
            elif action == "remove_neuron":
                change, preserving = edits.remove_neuron(m, i)
            elif action == "add_layer":
                change, preserving = edits.add_layer(m, i, max_layers=L["max_hidden_layers"])
            elif action == "remove_layer":
                change, preserving = edits.remove_layer(m, i)
            else:
                change, preserving = edits.set_activation(m, i, act)
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
        """Train two copies of a freshly initialised network (same weights) at two learning
        rates, side by side: ``{"lr_a", "lr_b", "epochs"}``."""
        body = v.check_fields(body, ("lr_a", "lr_b", "epochs", "action"))
        action = v.choice(body, "action", ["start", "stop"], default="start")
        with self.lock:
            if action == "stop":
                if self.mode == "comparing":
                    self.mode = "paused"
                self._bump()
                return {"mode": self.mode}
        lrs = [v.number(body, k, 0.0, LIMITS["max_lr"], lo_open=True) for k in ("lr_a", "lr_b")]
        epochs = v.integer(body, "epochs", 1, LIMITS["max_compare_epochs"], default=300)
        with self.lock:
            base = self._fresh_model(*self._architecture(), seed=self.init_seed)
            runs = []
            for lr in lrs:
                m = base.copy()
                train, test = self._losses(m)
                runs.append(
                    {
                        "lr": lr,
                        "model": m,
                        "epoch": [0],
                        "train": [train],
                        "test": [test],
                        "diverged_at": None,
                    }
                )
            self.compare = {"epochs": epochs, "runs": runs}
            self.mode = "comparing"
            self._wake.set()
            self._bump()
            return {"mode": self.mode}

    def _compare_tick(self, epochs: int) -> None:
        c = self.compare
        if c is None:
            self.mode = "paused"
            return
        for run in c["runs"]:
            m = run["model"]
            k = min(epochs, c["epochs"] - m.epochs_trained)
            if k <= 0 or run["diverged_at"] is not None:
                continue

            def on_epoch(run=run, m=m) -> None:
                train, test = self._losses(m)
                run["epoch"].append(m.epochs_trained)
                run["train"].append(train)
                run["test"].append(test)

            try:
                self._fit(m, k, run["lr"], on_epoch)
            except lw.DivergenceError as exc:
                run["diverged_at"] = exc.epoch
        self._bump()
        if all(
            r["diverged_at"] is not None or r["model"].epochs_trained >= c["epochs"]
            for r in c["runs"]
        ):
            self.mode = "paused"
            self._say("info", "Learning-rate comparison finished.")

    # ------------------------------------------------------------------ export
    def model_bytes(self) -> bytes:
        """The current model as a layerwise file (``lw.save``), as bytes."""
        with self.lock:
            model = self.model.copy()
            meta = {"playground": {"data": dict(self.data_cfg), "settings": dict(self.settings)}}
        return export.model_file(model, meta)

    def snippet(self) -> str:
        """Python code that rebuilds this architecture and trains it on the same data."""
        with self.lock:
            layers = [(l.units, l.activation.name) for l in self.model.layers]
            return export.snippet(
                self.data_cfg, self.settings, layers, self.loss, max(self.epoch, 100)
            )

    # ------------------------------------------------------------------ snapshots
    def points(self) -> dict[str, Any]:
        """The data set's points (sent when ``data_version`` changes, not every snapshot)."""
        with self.lock:
            return views.points(self)

    def snapshot(self) -> dict[str, Any]:
        """Everything the page draws, as JSON-able data; see :func:`views.snapshot`."""
        with self.lock:
            return views.snapshot(self)
