"""Regularising layers: :class:`Dropout` and :class:`BatchNorm`, for dense networks.

Both follow the layer protocol of :mod:`layerwise.layers` (``forward`` returns
``(A, cache)``, ``backward`` returns ``(dA_prev, grads)``) and behave differently in
training (``forward(..., training=True)``, as ``fit`` does) and inference (``predict``).

Dropout (inverted, as PyTorch's ``nn.Dropout``), rate ``p``, on ``A_prev`` (n, units)::

    training:   mask = (u >= p) / (1 - p),  u ~ U[0, 1) from the model's Generator
                A = A_prev * mask           dA_prev = dA * mask
    inference:  A = A_prev

BatchNorm (PyTorch's ``nn.BatchNorm1d``) on ``A_prev`` (n, units), per column::

    training:   mu = mean(A_prev), var = mean((A_prev - mu)^2)          (biased)
                xhat = (A_prev - mu) / sqrt(var + eps),  Y = gamma * xhat + beta
                running_mean = (1 - m) running_mean + m mu
                running_var  = (1 - m) running_var  + m var n / (n - 1)  (unbiased)
    inference:  xhat = (A_prev - running_mean) / sqrt(running_var + eps)
    backward:   dgamma = sum(dY * xhat), dbeta = sum(dY)
                training:  dA_prev = (n dxhat - sum(dxhat) - xhat sum(dxhat xhat))
                                     / (n sqrt(var + eps)),  dxhat = dY * gamma
                inference: dA_prev = dY * gamma / sqrt(running_var + eps)

>>> import layerwise as lw
>>> model = lw.Sequential([lw.Dense(16, "identity"), lw.BatchNorm(activation="relu"),
...                        lw.Dropout(0.2), lw.Dense(1, "sigmoid")], input_dim=4, seed=0)
>>> [type(layer).__name__ for layer in model.layers]
['Dense', 'BatchNorm', 'Dropout', 'Dense']
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar, NamedTuple

import numpy as np

from layerwise import activations
from layerwise._internal.array_api import array_namespace, device_of, is_numpy
from layerwise._internal.validation import POSITIVE, Constraints, Interval, check_params
from layerwise.layers import Layer, Rng, register_layer

__all__ = ["Dropout", "DropoutCache", "BatchNorm", "BatchNormCache", "BatchNormGrads"]


class DropoutCache(NamedTuple):
    """The mask of a Dropout forward step, (n, units), already scaled by ``1/(1-rate)``;
    None in inference mode (or with rate 0)."""

    mask: Any


class _PassThrough(Layer):
    """A layer whose output width is its input width."""

    @property
    def units(self) -> int:
        if self.n_in is None:
            raise ValueError(f"{type(self).__name__} is not built yet; its width is unknown")
        return self.n_in


@register_layer
class Dropout(_PassThrough):
    """Inverted dropout: in training, zero each entry with probability ``rate`` and scale the
    survivors by ``1 / (1 - rate)``, so the expected activation is unchanged; in inference,
    the identity.

    The mask comes from the ``rng`` passed to ``forward`` (the model's Generator), so the
    same seed gives the same masks. No parameters; its grads are None.

    Parameters
    ----------
    rate : float
        Probability of dropping an entry, in [0, 1).

    Examples
    --------
    >>> import layerwise as lw
    >>> model = lw.Sequential([lw.Dense(8), lw.Dropout(0.5), lw.Dense(1)], input_dim=2)
    """

    _parameter_constraints: ClassVar[Constraints] = {
        "rate": [Interval(numbers.Real, 0, 1, closed="left")]  # a probability in [0, 1)
    }

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = check_params(self, rate=rate)["rate"]

    def forward(
        self, A_prev: Any, *, training: bool = False, rng: Rng = None
    ) -> tuple[Any, DropoutCache]:
        """Return ``A`` (n, units) and a :class:`DropoutCache`."""
        if not training or self.rate == 0.0:
            return A_prev, DropoutCache(None)
        if rng is None:
            raise ValueError("Dropout in training mode needs the model's Generator as rng")
        xp = array_namespace(A_prev)
        # drawn by the model's NumPy Generator whatever the array library, so that the
        # same seed gives the same masks everywhere
        dtype = np.float32 if A_prev.dtype == xp.float32 else np.float64
        keep = rng.random(tuple(A_prev.shape), dtype=dtype) >= self.rate
        mask = keep.astype(dtype) * dtype(1.0 / (1.0 - self.rate))
        if not is_numpy(xp):
            mask = xp.asarray(mask, device=device_of(A_prev))
        return A_prev * mask, DropoutCache(mask)

    def backward(
        self, dA: Any, cache: DropoutCache, *, need_dA_prev: bool = True
    ) -> tuple[Any, None]:
        """``dA_prev = dA * mask``; no parameters, so grads are None."""
        if not need_dA_prev:
            return None, None
        return (dA if cache.mask is None else dA * cache.mask), None

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["rate"] = self.rate
        return config

    def describe(self) -> str:
        return f"dropout {self.rate:g}"

    def __repr__(self) -> str:
        return f"Dropout({self.rate!r})"


class BatchNormCache(NamedTuple):
    """What BatchNorm's forward keeps: ``xhat`` (n, units), ``inv_std`` (units,) (of the
    batch in training, of the running variance in inference), ``gamma`` (units,), the
    normalised-and-scaled ``Y`` and the output ``A`` (n, units) for the activation's
    backward, and whether it ran in ``training`` mode."""

    xhat: Any
    inv_std: Any
    gamma: Any
    Y: Any
    A: Any
    training: bool


class BatchNormGrads(NamedTuple):
    """Gradients of BatchNorm: ``dgamma`` and ``dbeta``, shaped (units,)."""

    dgamma: Any
    dbeta: Any


@register_layer
class BatchNorm(_PassThrough):
    """Batch normalisation of each column of a dense layer's output (``nn.BatchNorm1d``).

    In training mode each column is normalised with the batch's mean and biased variance
    and the running statistics are updated (with the unbiased variance, as PyTorch); in
    inference mode the running statistics are used. A batch of one sample cannot be
    normalised in training mode (ValueError, as PyTorch).

    Parameters
    ----------
    momentum : float, default 0.1
        Weight of the new batch in the running averages, in (0, 1].
    eps : float, default 1e-5
        Added to the variance before its square root.
    activation : str, default "identity"
        Applied after normalisation, so that ``Dense(k, "identity"), BatchNorm(activation=
        "relu")`` gives the classic Dense -> BN -> relu ordering.

    Attributes
    ----------
    gamma, beta : ndarray of shape (units,)
        Learnable scale (starts at 1) and shift (starts at 0).
    running_mean, running_var : ndarray of shape (units,)
        Buffers (``buffers()``), saved with the model; start at 0 and 1.
    """

    param_names = ("gamma", "beta")

    _parameter_constraints: ClassVar[Constraints] = {
        "momentum": [Interval(numbers.Real, 0, 1, closed="right")], "eps": [POSITIVE],
        "activation": [activations.RULE],
    }  # fmt: skip

    def __init__(
        self,
        momentum: float = 0.1,
        eps: float = 1e-5,
        *,
        activation: str | activations.Activation | None = "identity",
    ) -> None:
        super().__init__()
        p = check_params(self, momentum=momentum, eps=eps, activation=activation)
        self.momentum, self.eps, self.activation = p.values()
        if self.activation.name == "softmax":
            raise ValueError("BatchNorm's activation cannot be softmax; use an output Dense layer")
        self.gamma: Any = None  # arrays of any library (``model.to``), None until built
        self.beta: Any = None
        self.running_mean: Any = None
        self.running_var: Any = None

    def build(self, n_in: int, rng: np.random.Generator, dtype: np.dtype) -> None:
        super().build(n_in, rng, dtype)
        self.gamma = np.ones(n_in, dtype=dtype)
        self.beta = np.zeros(n_in, dtype=dtype)
        self.running_mean = np.zeros(n_in, dtype=dtype)
        self.running_var = np.ones(n_in, dtype=dtype)

    def buffers(self) -> dict[str, Any]:
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def forward(
        self, A_prev: Any, *, training: bool = False, rng: Rng = None
    ) -> tuple[Any, BatchNormCache]:
        """Return ``A`` (n, units) and a :class:`BatchNormCache`."""
        xp = array_namespace(A_prev)
        if training:
            n = A_prev.shape[0]
            if n < 2:
                raise ValueError(
                    "BatchNorm needs at least 2 samples per batch in training mode, got 1; "
                    "use a larger batch_size"
                )
            mu = xp.mean(A_prev, axis=0)
            xc = A_prev - mu
            var = xp.mean(xc * xc, axis=0)
            inv_std = 1.0 / xp.sqrt(var + self.eps)
            # the running statistics are new arrays (JAX's cannot be written in place)
            m = self.momentum
            self.running_mean = self.running_mean * (1 - m) + mu * m
            self.running_var = self.running_var * (1 - m) + var * (m * n / (n - 1))
        else:
            xc = A_prev - self.running_mean
            inv_std = 1.0 / xp.sqrt(self.running_var + self.eps)
        xhat = xc * inv_std
        Y = xhat * self.gamma
        Y += self.beta
        A = self.activation.forward(Y)
        return A, BatchNormCache(xhat, inv_std, self.gamma, Y, A, training)

    def backward(
        self, dA: Any, cache: BatchNormCache, *, need_dA_prev: bool = True
    ) -> tuple[Any, BatchNormGrads]:
        """From ``dA`` (n, units) return ``dA_prev`` (n, units) and :class:`BatchNormGrads`."""
        xp = array_namespace(dA)
        dY = self.activation.backward(dA, cache.Y, cache.A)
        dgamma = xp.sum(dY * cache.xhat, axis=0)
        dbeta = xp.sum(dY, axis=0)
        dA_prev = None
        if need_dA_prev:
            dxhat = dY * cache.gamma
            if cache.training:
                n = dY.shape[0]
                # d xhat / d A_prev couples the batch through mu and var
                dA_prev = dxhat * n
                dA_prev -= xp.sum(dxhat, axis=0)
                dA_prev -= cache.xhat * xp.sum(dxhat * cache.xhat, axis=0)
                dA_prev *= cache.inv_std / n
            else:
                dA_prev = dxhat * cache.inv_std
        return dA_prev, BatchNormGrads(dgamma, dbeta)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(momentum=self.momentum, eps=self.eps, activation=self.activation.name)
        return config

    def describe(self) -> str:
        act = self.activation.name
        return "batchnorm" + (f" {act}" if act != "identity" else "")

    def __repr__(self) -> str:
        return f"BatchNorm(momentum={self.momentum!r}, eps={self.eps!r})"
