"""Learning-rate schedules: how the optimizer's ``lr`` moves from epoch to epoch.

A schedule is given to ``fit(..., schedule=...)``, which attaches it to the optimizer
(``optimizer.schedule``). Before each epoch ``fit`` sets ``optimizer.lr`` to
``schedule.lr_at(schedule.epoch)``; after it, ``schedule.end_epoch(logs, optimizer)``
advances the schedule's own epoch counter (and lets reduce-on-plateau react to the
monitored value). The learning rate of the first epoch is the optimizer's own, the
schedule's ``base_lr``. The values follow ``torch.optim.lr_scheduler`` epoch by epoch
(``lr_at(k)`` is the rate after ``k`` calls of ``scheduler.step()``):

==========================  =============================================================
``StepLR(s, gamma)``        ``base * gamma ** (k // s)``
``ExponentialLR(gamma)``    ``base * gamma ** k``
``CosineAnnealing(T, m)``   ``m + (base - m) (1 + cos(pi k / T)) / 2``; with ``warmup_epochs
                            = w``: ``base (k + 1) / (w + 1)`` for ``k < w``, then the cosine
                            from ``base`` to ``m`` over epochs ``w .. T``
``ReduceLROnPlateau``       multiply by ``factor`` after ``patience`` epochs without
                            improvement of the monitored value
==========================  =============================================================

Because the schedule lives in the optimizer's config, with its epoch counter and (for
plateaus) its best value, a checkpoint saved by ``lw.save`` resumes it where it stopped.

>>> import layerwise as lw
>>> s = lw.schedules.StepLR(step_size=2, gamma=0.5)
>>> s.base_lr = 0.1
>>> [s.lr_at(k) for k in range(5)]
[0.1, 0.1, 0.05, 0.05, 0.025]
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from layerwise._internal.validation import (
    MODE,
    MONITOR,
    NON_NEGATIVE,
    NON_NEGATIVE_INT,
    POSITIVE_INT,
    Interval,
    Options,
    Rule,
    set_params,
)
from layerwise.training._monitor import (  # noqa: F401 (public here too: lw.schedules.*)
    HIGHER_IS_BETTER,
    LOWER_IS_BETTER,
    improved,
    monitor_mode,
    resolve_mode,
)

FACTOR = Interval(numbers.Real, 0, 1, closed="right")  # a decay factor in (0, 1]

__all__ = [
    "Schedule",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealing",
    "ReduceLROnPlateau",
    "from_config",
    "from_spec",
    "names",
    "monitor_mode",
]


class Schedule:
    """Base class.

    Attributes
    ----------
    base_lr : float or None
        The learning rate of epoch 0; taken from the optimizer when the schedule is first
        attached (``fit`` does it), unless set before.
    epoch : int
        Epochs run under this schedule so far.
    """

    name = ""

    def __init__(self) -> None:
        self.base_lr: float | None = None
        self.epoch = 0

    def attach(self, optimizer: Any) -> None:
        """Start (or continue) scheduling ``optimizer``'s learning rate."""
        if self.base_lr is None:
            self.base_lr = float(optimizer.lr)
        optimizer.schedule = self

    def lr_at(self, epoch: int) -> float | None:
        """The learning rate of epoch ``epoch`` (0-based), or None to leave it as it is."""
        raise NotImplementedError

    def begin_epoch(self, optimizer: Any) -> None:
        """Set the optimizer's lr for the epoch about to run."""
        lr = self.lr_at(self.epoch)
        if lr is not None:
            optimizer.lr = lr

    def end_epoch(self, logs: dict[str, Any], optimizer: Any) -> None:
        """Advance one epoch (``logs`` holds that epoch's loss, val_loss and metrics)."""
        self.epoch += 1

    _parameter_constraints: dict[str, list[Rule | None]] = {}

    def _args(self) -> dict[str, Any]:
        """The constructor's arguments, by name (the declared parameters)."""
        return {name: getattr(self, name) for name in self._parameter_constraints}

    @property
    def _base(self) -> float:
        if self.base_lr is None:
            raise ValueError("the schedule has no base_lr yet: attach it to an optimizer first")
        return self.base_lr

    def _state(self) -> dict[str, Any]:
        return {"base_lr": self.base_lr, "epoch": self.epoch}

    def get_config(self) -> dict[str, Any]:
        """A JSON-able description: name, arguments and position (``base_lr``, ``epoch``)."""
        return {"name": self.name, **self._args(), "state": self._state()}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.base_lr = state.get("base_lr")
        self.epoch = int(state.get("epoch", 0))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._args().items())
        return f"{type(self).__name__}({args})"


class StepLR(Schedule):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs (torch's StepLR).

    Parameters
    ----------
    step_size : int
        Epochs between decays (> 0).
    gamma : float, default 0.1
        Factor in (0, 1].
    """

    name = "step"

    _parameter_constraints = {"step_size": [POSITIVE_INT], "gamma": [FACTOR]}

    step_size: int
    gamma: float

    def __init__(self, step_size: int, gamma: float = 0.1) -> None:
        super().__init__()
        set_params(self, step_size=step_size, gamma=gamma)

    def lr_at(self, epoch: int) -> float:
        return self._base * self.gamma ** (epoch // self.step_size)


class ExponentialLR(Schedule):
    """Multiply the learning rate by ``gamma`` every epoch (torch's ExponentialLR).

    Parameters
    ----------
    gamma : float
        Factor in (0, 1].
    """

    name = "exponential"

    _parameter_constraints = {"gamma": [FACTOR]}

    gamma: float

    def __init__(self, gamma: float) -> None:
        super().__init__()
        set_params(self, gamma=gamma)

    def lr_at(self, epoch: int) -> float:
        return self._base * self.gamma**epoch


class CosineAnnealing(Schedule):
    """Cosine annealing from ``base_lr`` to ``eta_min`` by epoch ``T_max``, with an optional
    linear warm-up (torch's CosineAnnealingLR; with warm-up, torch's
    ``SequentialLR([LinearLR(start_factor=1/(w+1), total_iters=w),
    CosineAnnealingLR(T_max=T_max-w)], milestones=[w])``).

    Parameters
    ----------
    T_max : int
        The epoch (0-based, warm-up included) at which the rate reaches ``eta_min``; after
        it the cosine rises again, as in torch.
    eta_min : float, default 0
        Lowest learning rate.
    warmup_epochs : int, default 0
        Epochs ``k < warmup_epochs`` use ``base_lr * (k + 1) / (warmup_epochs + 1)``.
    """

    name = "cosine"

    _parameter_constraints = {
        "T_max": [POSITIVE_INT],
        "eta_min": [NON_NEGATIVE],
        "warmup_epochs": [NON_NEGATIVE_INT],
    }

    T_max: int
    eta_min: float
    warmup_epochs: int

    def __init__(self, T_max: int, eta_min: float = 0.0, warmup_epochs: int = 0) -> None:
        super().__init__()
        set_params(self, T_max=T_max, eta_min=eta_min, warmup_epochs=warmup_epochs)
        if self.warmup_epochs >= self.T_max:
            raise ValueError(
                f"warmup_epochs must be in [0, T_max) = [0, {self.T_max}), got {warmup_epochs}"
            )

    def lr_at(self, epoch: int) -> float:
        w = self.warmup_epochs
        if epoch < w:
            return self._base * (epoch + 1) / (w + 1)
        k, T = epoch - w, self.T_max - w
        return self.eta_min + (self._base - self.eta_min) * (1 + math.cos(math.pi * k / T)) / 2


class ReduceLROnPlateau(Schedule):
    """Reduce the learning rate when a monitored value stops improving (torch's
    ReduceLROnPlateau, same defaults and counting).

    After each epoch the monitored value ``a`` is compared with the best so far: in mode
    "min" it improves when ``a < best * (1 - threshold)`` (threshold_mode "rel") or
    ``a < best - threshold`` ("abs"). When more than ``patience`` epochs in a row have not
    improved, ``lr = max(lr * factor, min_lr)`` (skipped if that changes lr by less than
    ``eps``) and ``cooldown`` epochs follow in which bad epochs are not counted.

    Parameters
    ----------
    monitor : str, default "val_loss"
        A key of the epoch's logs: "loss", "val_loss", "val_accuracy", ...; for the
        estimators' ``schedule=``, "loss" or (with ``early_stopping=True``) "val_score".
    mode : {"auto", "min", "max"}, default "auto"
        "auto": :func:`monitor_mode`, "max" for scores and accuracies (``"val_score"``,
        ``"val_accuracy"``, ``"r2"``), "min" for losses and errors.
    factor : float, default 0.1
    patience : int, default 10
    threshold : float, default 1e-4
    threshold_mode : {"rel", "abs"}, default "rel"
    cooldown : int, default 0
    min_lr : float, default 0
    eps : float, default 1e-8
    """

    name = "plateau"

    _parameter_constraints = {
        "monitor": [MONITOR], "mode": [MODE], "patience": [NON_NEGATIVE_INT],
        "factor": [Interval(numbers.Real, 0, 1, closed="neither")], "threshold": [NON_NEGATIVE],
        "threshold_mode": [Options("rel", "abs")], "cooldown": [NON_NEGATIVE_INT],
        "min_lr": [NON_NEGATIVE], "eps": [NON_NEGATIVE],
    }  # fmt: skip

    monitor: str
    mode: str
    factor: float
    patience: int
    threshold: float
    threshold_mode: str
    cooldown: int
    min_lr: float
    eps: float

    def __init__(
        self,
        monitor: str = "val_loss",
        *,
        mode: str = "auto",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        super().__init__()
        set_params(
            self, monitor=monitor, mode=mode, factor=factor, patience=patience,
            threshold=threshold, threshold_mode=threshold_mode, cooldown=cooldown,
            min_lr=min_lr, eps=eps,
        )  # fmt: skip
        self.mode = resolve_mode(mode, monitor)
        self.best: float | None = None
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def lr_at(self, epoch: int) -> float | None:
        return None  # the rate only moves at the end of a bad epoch

    def is_better(self, a: float) -> bool:
        return improved(a, self.best, mode=self.mode, delta=self.threshold,
                        relative=self.threshold_mode == "rel")  # fmt: skip

    def end_epoch(self, logs: dict[str, Any], optimizer: Any) -> None:
        super().end_epoch(logs, optimizer)
        if self.monitor not in logs:
            raise ValueError(
                f"ReduceLROnPlateau monitors {self.monitor!r} but the epoch's logs only have "
                f"{sorted(logs)}; pass validation data or monitor='loss'"
            )
        self.step_value(float(logs[self.monitor]), optimizer)

    def step_value(self, value: float, optimizer: Any) -> None:
        """Count one epoch whose monitored value is ``value``; reduce ``optimizer.lr`` if due."""
        if self.is_better(value):
            self.best = value
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            new_lr = max(optimizer.lr * self.factor, self.min_lr)
            if optimizer.lr - new_lr > self.eps:
                optimizer.lr = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

    def _state(self) -> dict[str, Any]:
        return {
            **super()._state(),
            "best": self.best,
            "num_bad_epochs": self.num_bad_epochs,
            "cooldown_counter": self.cooldown_counter,
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        super()._set_state(state)
        self.best = state.get("best")
        self.num_bad_epochs = int(state.get("num_bad_epochs", 0))
        self.cooldown_counter = int(state.get("cooldown_counter", 0))


_REGISTRY: dict[str, type[Schedule]] = {
    c.name: c for c in (StepLR, ExponentialLR, CosineAnnealing, ReduceLROnPlateau)
}


def names() -> list[str]:
    """Schedule names used in configs and by :func:`from_spec`."""
    return sorted(_REGISTRY)


def from_config(config: dict[str, Any]) -> Schedule:
    """Rebuild a schedule, at its saved position, from :meth:`Schedule.get_config`."""
    config = dict(config)
    name = config.pop("name", None)
    state = config.pop("state", {})
    if name not in _REGISTRY:
        raise ValueError(f"unknown schedule {name!r} in config; valid names: {', '.join(names())}")
    schedule = _REGISTRY[name](**config)
    schedule._set_state(state)
    return schedule


def from_spec(spec: str, *, epochs: int | None = None) -> Schedule:
    """A schedule from a short text, as given on the command line.

    ``NAME[:key=value,...]``: ``"step:step_size=10,gamma=0.5"``, ``"exponential:gamma=0.95"``,
    ``"cosine"`` (``T_max`` defaults to ``epochs``), ``"cosine:warmup_epochs=5"``,
    ``"plateau:patience=5,factor=0.5"``. Values are read as int, float or text.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(
            f"schedule must be a text like 'cosine' or 'step:step_size=10', got {spec!r}"
        )
    name, _, rest = spec.strip().partition(":")
    name = {"exp": "exponential", "cos": "cosine"}.get(name.lower(), name.lower())
    if name not in _REGISTRY:
        raise ValueError(f"unknown schedule {name!r}; valid names: {', '.join(names())}")
    kwargs: dict[str, Any] = {}
    for item in filter(None, (s.strip() for s in rest.split(","))):
        key, eq, text = item.partition("=")
        if not eq:
            raise ValueError(f"schedule option {item!r} must be key=value (in {spec!r})")
        value: Any = text.strip()
        for conv in (int, float):
            try:
                value = conv(value)
                break
            except ValueError:
                continue
        kwargs[key.strip()] = value
    if name == "cosine" and "T_max" not in kwargs:
        if epochs is None:
            raise ValueError("schedule 'cosine' needs T_max (e.g. 'cosine:T_max=100')")
        kwargs["T_max"] = epochs
    try:
        return _REGISTRY[name](**kwargs)
    except TypeError as exc:
        raise ValueError(f"bad options for schedule {name!r} in {spec!r}: {exc}") from exc
