"""Optimizers: they own their state, keyed by parameter name, and know nothing of layers.

The model hands an optimizer ``(key, param, grad)`` triples, ``key`` being
``"<layer name>/<param name>"``; ``step`` updates each ``param`` in place. State (momentum,
moment estimates) lives in ``optimizer.state[key]``, so when the network changes shape the
model can remap or drop exactly the entries of the parameters that changed.

Every update rule is PyTorch's (``torch.optim``, single-tensor code path), with the same
defaults, so a run can be checked step by step against ``torch.optim``:

===========  ================================================================================
SGD          ``g += wd p``; ``buf = g`` (first step) or ``buf = mu buf + (1 - dampening) g``;
             ``g = g + mu buf`` (nesterov) or ``g = buf``; ``p -= lr g``
RMSprop      ``g += wd p``; ``v = alpha v + (1 - alpha) g^2``; centred: ``ga = alpha ga +
             (1 - alpha) g``, ``d = sqrt(v - ga^2) + eps``, else ``d = sqrt(v) + eps``;
             momentum: ``buf = mu buf + g / d``, ``p -= lr buf``; else ``p -= lr g / d``
Adam         ``g += wd p``; ``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g^2``;
             ``v_max = max(v_max, v)`` (amsgrad); ``p -= lr / (1 - b1^t) m /
             (sqrt(v) / sqrt(1 - b2^t) + eps)``
AdamW        Adam, but ``p *= 1 - lr wd`` instead of ``g += wd p`` (decoupled decay)
Adagrad      ``g += wd p``; ``s += g^2``; ``p -= lr / (1 + (t - 1) lr_decay) g / (sqrt(s) + eps)``
===========  ================================================================================

``t`` is the parameter's own step count, ``state[key]["step"]`` (an int64 scalar): a
parameter whose state was reset after a change of shape starts afresh, as in PyTorch.

>>> import layerwise as lw
>>> opt = lw.optimizers.get("sgd", lr=0.1)
>>> opt
SGD(lr=0.1)
>>> lw.optimizers.Adam(lr=1e-3, weight_decay=1e-4)
Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0001, amsgrad=False)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from layerwise._internal import validation as rules
from layerwise._internal.array_api import array_namespace
from layerwise._internal.validation import flag, hyperparameter, real

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "get", "names", "from_config"]

ParamGrad = tuple[str, Any, Any]  # (key, param, grad), arrays of any Array API library


@dataclass(eq=False, repr=False)
class Optimizer:
    """Base class. Subclasses declare their hyperparameters as dataclass fields (with
    ``_internal.validation.hyperparameter``) and implement ``_update(key, param, grad, state)``.

    Attributes
    ----------
    lr : float
        The learning rate of the next step (a schedule may change it between epochs).
    state : dict[str, dict[str, array]]
        Per-parameter state, keyed like the parameters: ``state[key][name]``. Every entry is
        an array of the parameter's library and shape, except ``"step"``, a NumPy int64
        scalar counting the steps that parameter has taken.
    iterations : int
        Number of ``step`` calls so far.
    schedule : Schedule or None
        The learning-rate schedule attached by ``fit(schedule=...)``; saved with the
        optimizer's config so that a resumed run continues it.
    """

    name: ClassVar[str] = ""
    lr: float = real(0.01, closed="neither")
    state: dict[str, dict[str, Any]] = field(default_factory=dict, init=False)
    iterations: int = field(default=0, init=False)
    schedule: Any = field(default=None, init=False)
    work: dict[str, Any] = field(default_factory=dict, init=False, repr=False)  # not state

    def __post_init__(self) -> None:
        rules.check_declared(self)

    def step(self, params: Iterable[ParamGrad]) -> dict[str, Any] | None:
        """Update every ``param`` from its ``grad`` (one step of the rule), in place.

        Returns None when every parameter was updated in place, else the new arrays of
        those that were not, by key (an immutable library such as JAX): the caller puts
        them in place of the old (``Sequential.assign``).
        """
        self.iterations += 1
        new, state = None, self.state
        for key, p, g in params:
            st = state.get(key)
            if st is None:
                st = state[key] = {"step": np.int64(0)}
            st["step"] += 1  # a NumPy scalar: saved with its dtype, 10x cheaper than a 0-d array
            q = self._update(key, p, g, st)
            if q is not p:
                new = new or {}
                new[key] = q
        return new

    def _update(self, key: str, p: Any, g: Any, state: dict[str, Any]) -> Any:
        raise NotImplementedError

    def forget(self, *, prefix: str | None = None, key: str | None = None) -> None:
        """Drop the state of one parameter (``key``) or of all keys starting with ``prefix``."""
        for k in list(self.state):
            if k == key or (prefix is not None and k.startswith(prefix)):
                del self.state[k]

    def hyperparameters(self) -> dict[str, Any]:
        """The constructor's arguments, ``lr`` first."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.init}

    def get_config(self) -> dict[str, Any]:
        """A JSON-able description: ``name``, ``lr``, every other hyperparameter that differs
        from its default and, when a schedule is attached, ``"schedule"`` (its config and
        position)."""
        config: dict[str, Any] = {"name": self.name, "lr": self.lr}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.init and f.name != "lr" and v != f.default:
                config[f.name] = list(v) if isinstance(v, tuple) else v  # JSON has no tuples
        if self.schedule is not None:
            config["schedule"] = self.schedule.get_config()
        return config

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"


def _into(fn: Any, *args: Any, out: Any) -> Any:
    """``fn(*args)`` into ``out`` (an array the step made) where the library takes ``out=``
    (NumPy, as scikit-learn's ``_modify_in_place_if_numpy``); else a new array."""
    return fn(*args, out=out) if isinstance(out, np.ndarray) else fn(*args)


def _decay(g: Any, p: Any, weight_decay: float) -> Any:
    """``g + wd * p`` in a new array (the caller's gradient is left alone), as torch."""
    return g + p * weight_decay if weight_decay else g


@dataclass(eq=False, repr=False)
class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum and weight decay.

    With the defaults it is the seed's update, ``p -= lr * g``. Matches ``torch.optim.SGD``.

    Parameters
    ----------
    lr : float, default 0.01
    momentum : float, default 0
        Momentum factor ``mu`` in [0, 1).
    dampening : float, default 0
        Dampening of the momentum, in [0, 1].
    nesterov : bool, default False
        Nesterov momentum (needs ``momentum > 0`` and ``dampening = 0``).
    weight_decay : float, default 0
        L2 penalty coefficient: ``g += weight_decay * p`` (the gradient of
        ``weight_decay / 2 * ||p||^2``), on every parameter, biases included.
    """

    name: ClassVar[str] = "sgd"
    momentum: float = real(0.0, 0.0, 1.0)
    dampening: float = real(0.0, 0.0, 1.0, closed="both")
    nesterov: bool = flag(False)
    weight_decay: float = real(0.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError(
                f"nesterov=True needs momentum > 0 and dampening = 0, got momentum="
                f"{self.momentum!r}, dampening={self.dampening!r}"
            )

    def _update(self, key: str, p: Any, g: Any, state: dict[str, Any]) -> Any:
        if self.weight_decay:
            g = g + p * self.weight_decay
        if self.momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = array_namespace(g).asarray(g, copy=True)
            else:
                buf *= self.momentum
                buf += g * (1.0 - self.dampening) if self.dampening else g
            state["momentum_buffer"] = buf
            g = g + buf * self.momentum if self.nesterov else buf
        p -= g * self.lr
        return p

    def __repr__(self) -> str:
        # the seed's plain update reads as such
        if not (self.momentum or self.weight_decay or self.dampening):
            return f"SGD(lr={self.lr!r})"
        return super().__repr__()


@dataclass(eq=False, repr=False)
class RMSprop(Optimizer):
    """RMSprop (Hinton), optionally centred and with momentum. Matches ``torch.optim.RMSprop``.

    Parameters
    ----------
    lr : float, default 0.01
    alpha : float, default 0.99
        Smoothing constant of the squared-gradient average, in [0, 1).
    eps : float, default 1e-8
        Added to the root mean square (outside the square root).
    weight_decay : float, default 0
    momentum : float, default 0
    centered : bool, default False
        Divide by the estimated standard deviation of the gradient instead of its RMS.
    """

    name: ClassVar[str] = "rmsprop"
    alpha: float = real(0.99, 0.0, 1.0)
    eps: float = real(1e-8)
    weight_decay: float = real(0.0)
    momentum: float = real(0.0, 0.0, 1.0)
    centered: bool = flag(False)

    def _update(self, key: str, p: Any, g: Any, state: dict[str, Any]) -> Any:
        xp = array_namespace(p)
        g = _decay(g, p, self.weight_decay)
        if "square_avg" not in state:
            state["square_avg"] = xp.zeros_like(p)
            if self.momentum:
                state["momentum_buffer"] = xp.zeros_like(p)
            if self.centered:
                state["grad_avg"] = xp.zeros_like(p)
        v = state["square_avg"]
        v *= self.alpha
        v += g * g * (1.0 - self.alpha)
        state["square_avg"] = v
        if self.centered:
            ga = state["grad_avg"]
            ga += (g - ga) * (1.0 - self.alpha)  # torch's lerp
            state["grad_avg"] = ga
            avg = xp.sqrt(v - ga * ga)
        else:
            avg = xp.sqrt(v)
        avg += self.eps
        if self.momentum:
            buf = state["momentum_buffer"]
            buf *= self.momentum
            buf += g / avg
            state["momentum_buffer"] = buf
            p -= buf * self.lr
        else:
            p -= g / avg * self.lr
        return p


@dataclass(eq=False, repr=False)
class Adam(Optimizer):
    """Adam (Kingma & Ba), with optional AMSGrad. Matches ``torch.optim.Adam``.

    Parameters
    ----------
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
        Decay rates of the first and second moment estimates, each in [0, 1).
    eps : float, default 1e-8
        Added to the bias-corrected root of the second moment.
    weight_decay : float, default 0
        L2 penalty added to the gradient (``g += weight_decay * p``); see :class:`AdamW`
        for the decoupled form.
    amsgrad : bool, default False
        Normalise by the running maximum of the second moment.
    """

    name: ClassVar[str] = "adam"
    decoupled: ClassVar[bool] = False
    lr: float = real(1e-3, closed="neither")
    betas: tuple[float, float] = hyperparameter((0.9, 0.999), rules.UnitPair())
    eps: float = real(1e-8)
    weight_decay: float = real(0.0)
    amsgrad: bool = flag(False)

    def _update(self, key: str, p: Any, g: Any, state: dict[str, Any]) -> Any:
        b1, b2 = self.betas
        if self.decoupled and self.weight_decay:
            p *= 1.0 - self.lr * self.weight_decay
        elif not self.decoupled:
            g = _decay(g, p, self.weight_decay)
        xp = array_namespace(p)
        if "exp_avg" not in state:
            state["exp_avg"] = xp.zeros_like(p)
            state["exp_avg_sq"] = xp.zeros_like(p)
            if self.amsgrad:
                state["max_exp_avg_sq"] = xp.zeros_like(p)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        t = int(state["step"])
        d: Any = self.work.get(key)  # kept across steps: fresh arrays took 1,169 us, not 343 us
        same = type(d) is type(p) and d.shape == p.shape  # d = g - m: torch's lerp below
        d = self.work[key] = _into(xp.subtract, g, m, out=d) if same else g - m
        d *= 1.0 - b1
        m += d
        d = _into(xp.multiply, g, g, out=d)
        d *= 1.0 - b2
        v *= b2
        v += d
        state["exp_avg"], state["exp_avg_sq"] = m, v
        if self.amsgrad:
            v = state["max_exp_avg_sq"] = xp.maximum(state["max_exp_avg_sq"], v)
        # torch: p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps); the same with sqrt(bc2)
        # moved into the constants, which saves a pass over v
        root_bc2 = math.sqrt(1.0 - b2**t)
        d = _into(xp.sqrt, v, out=d)
        d += self.eps * root_bc2
        d = _into(xp.divide, m, d, out=d)
        d *= self.lr * root_bc2 / (1.0 - b1**t)
        p -= d
        return p


@dataclass(eq=False, repr=False)
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p *= 1 - lr * weight_decay``
    before the Adam step, instead of adding ``weight_decay * p`` to the gradient. Matches
    ``torch.optim.AdamW``; the parameters are Adam's, with ``weight_decay=1e-2`` by default.
    """

    name: ClassVar[str] = "adamw"
    decoupled: ClassVar[bool] = True
    weight_decay: float = real(1e-2)


@dataclass(eq=False, repr=False)
class Adagrad(Optimizer):
    """Adagrad (Duchi et al.): per-entry steps shrink with the sum of squared gradients.
    Matches ``torch.optim.Adagrad``.

    Parameters
    ----------
    lr : float, default 1e-2
    lr_decay : float, default 0
        The step ``t`` uses ``lr / (1 + (t - 1) * lr_decay)``.
    weight_decay : float, default 0
    initial_accumulator_value : float, default 0
        Starting value of the sum of squared gradients.
    eps : float, default 1e-10
    """

    name: ClassVar[str] = "adagrad"
    lr_decay: float = real(0.0)
    weight_decay: float = real(0.0)
    initial_accumulator_value: float = real(0.0)
    eps: float = real(1e-10)

    def _update(self, key: str, p: Any, g: Any, state: dict[str, Any]) -> Any:
        g = _decay(g, p, self.weight_decay)
        xp = array_namespace(p)
        if "sum" not in state:
            state["sum"] = xp.full_like(p, self.initial_accumulator_value)
        s = state["sum"]
        s += g * g
        state["sum"] = s
        clr = self.lr / (1.0 + (int(state["step"]) - 1) * self.lr_decay)
        std = xp.sqrt(s)
        std += self.eps
        p -= g / std * clr
        return p


_CLASSES: dict[str, type[Optimizer]] = {c.name: c for c in (SGD, RMSprop, Adam, AdamW, Adagrad)}
_FACTORIES: dict[str, Callable[[float], Optimizer]] = {
    **_CLASSES,  # each class built with lr as its first argument
    "momentum": lambda lr: SGD(lr=lr, momentum=0.9),
    "nesterov": lambda lr: SGD(lr=lr, momentum=0.9, nesterov=True),
}


def names() -> list[str]:
    """Names accepted by :func:`get`: the optimizers, plus ``"momentum"`` (SGD with
    momentum 0.9) and ``"nesterov"`` (SGD with Nesterov momentum 0.9)."""
    return sorted(_FACTORIES)


def get(optimizer: str | Optimizer, lr: float = 0.01) -> Optimizer:
    """An optimizer from a name (with ``lr``) or the object itself (its own lr rules).

    Parameters
    ----------
    optimizer : str or Optimizer
        One of :func:`names` (case-insensitive), or an :class:`Optimizer`.
    lr : float, default 0.01
        Learning rate of an optimizer built from a name.
    """
    return rules.resolve(optimizer, _FACTORIES, Optimizer, build=lambda make: make(lr))


def from_config(config: dict[str, Any]) -> Optimizer:
    """Rebuild an optimizer (without its per-parameter state) from
    :meth:`Optimizer.get_config`; an attached schedule comes back with its position."""
    config = dict(config)
    name = config.pop("name", None)
    schedule = config.pop("schedule", None)
    if name not in _CLASSES:
        valid = ", ".join(sorted(_CLASSES))
        raise ValueError(f"unknown optimizer {name!r} in config; valid names: {valid}")
    opt = _CLASSES[name](**config)
    if schedule is not None:
        from layerwise.training import schedules

        opt.schedule = schedules.from_config(schedule)
    return opt
