"""GrowOnPlateau: the network grows (wider, or deeper) when the monitored value stops
improving."""

from __future__ import annotations

from typing import Any

from layerwise._internal.validation import (
    MONITOR,
    NON_NEGATIVE,
    POSITIVE_INT,
    Boolean,
    Instance,
    Options,
    check_same_length,
    set_params,
)
from layerwise.layers import Dense
from layerwise.losses import Loss
from layerwise.surgery import preserving_activation
from layerwise.surgery._widen import INITS, check_init
from layerwise.training._callback import (
    Callback,  # the base class lives with the loop
    _monitored,
)
from layerwise.training.schedules import improved, monitor_mode


class GrowOnPlateau(Callback):
    """Grow the network, keeping what it learned, when the monitored loss stops improving.

    After ``patience`` epochs in which ``monitor`` has not fallen below its best value by
    more than ``min_delta``, the narrowest Dense hidden layer is widened by ``widen_by``
    neurons (function-preserving Net2WiderNet, plus ``noise`` to break the symmetry of the
    copies; or fresh neurons, ``init="gradmax"``, ``"random"`` or ``"zeros"``), capped at
    ``max_units``. When every hidden layer has ``max_units`` neurons, or
    with ``add_layer=True``, a layer is added instead: an identity-initialised Dense layer
    after the last hidden one (see ``Sequential.deepen``), with that layer's activation when
    it preserves the function, else relu (after non-negative activations) or identity. An
    identity layer adds no capacity (followed by the next Dense layer it is still one linear
    map), only another path for optimisation: with tanh, elu or gelu hidden layers prefer
    growth in width. Each
    growth is recorded in ``model.events`` and ``History.events``; the optimizer's state
    follows the change.

    Parameters
    ----------
    patience : int, default 5
        Epochs without improvement before growing; the count restarts after each growth.
    widen_by : int, default 4
        Neurons added per widening.
    max_units : int or None, default 64
        Widest a hidden layer may grow by widening (None: no limit, never add a layer
        unless ``add_layer``).
    add_layer : bool, default False
        Grow by adding layers instead of widening.
    max_layers : int or None, default 4
        At most this many Dense hidden layers (None: no limit); once reached, and every
        hidden layer has ``max_units``, nothing grows any more.
    monitor : str, default "val_loss"
        A key of the epoch logs (``"loss"`` when there is no validation data). Losses
        improve downwards, accuracies and scores upwards (``lw.schedules.monitor_mode``).
    min_delta : float, default 0.0
        Smallest change in that direction that counts as an improvement.
    noise : float, default 0.1
        Noise of each widening with ``init="copy"``, relative to the std of the widened
        layer's weights. Exact copies would learn in lockstep with their source and add
        nothing; 0.1 lets them drift apart while moving the outputs only a little.
    init : {"copy", "gradmax", "random", "zeros"}, default "copy"
        How each widening makes its neurons (see ``Sequential.widen``): copies (with
        ``noise``), or fresh neurons with zero incoming weights whose outgoing weights are
        chosen by GradMax on ``data``, at random, or zero. Every fresh init keeps the function.
    data : tuple (X, y), optional
        ``init="gradmax"`` only (required there): the batch GradMax computes its gradient on,
        e.g. a few hundred training samples; checked against the model when ``fit`` starts.
    loss : str or Loss, optional
        ``init="gradmax"`` only (required there): the loss ``fit`` trains with.

    Examples
    --------
    >>> import numpy as np, layerwise as lw
    >>> X = np.random.default_rng(1).normal(size=(200, 2))
    >>> y = (X**2).sum(axis=1) < 1.2                     # inside a circle: 2 relus are too few
    >>> model = lw.mlp(2, [2], 1, output_activation="sigmoid", seed=1)
    >>> grow = lw.callbacks.GrowOnPlateau(patience=5, widen_by=3, max_units=8, max_layers=2,
    ...                                   monitor="loss", min_delta=0.01)
    >>> history = model.fit(X, y, loss="bce", lr=0.5, epochs=300, callbacks=[grow], verbose=False)
    >>> [e["change"].split()[0] for e in history.events], [layer.units for layer in model.layers]
    (['widen', 'widen', 'deepen'], [8, 8, 1])
    >>> history.metrics["accuracy"][-1] > 0.95
    True
    """

    _parameter_constraints = {
        "patience": [POSITIVE_INT], "widen_by": [POSITIVE_INT], "max_units": [POSITIVE_INT, None],
        "add_layer": [Boolean()], "max_layers": [POSITIVE_INT, None], "monitor": [MONITOR],
        "min_delta": [NON_NEGATIVE], "noise": [NON_NEGATIVE], "init": [Options(*INITS)],
        "data": [Instance(tuple, what="a pair (X, y)"), None],
        "loss": [Instance(str, Loss, what="a loss name or Loss"), None],
    }  # fmt: skip
    # the parameters, set by set_params
    patience: int
    widen_by: int
    max_units: int | None
    add_layer: bool
    max_layers: int | None
    monitor: str
    min_delta: float
    noise: float
    init: str
    data: tuple[Any, Any] | None
    loss: str | Loss | None

    def __init__(
        self,
        *,
        patience: int = 5,
        widen_by: int = 4,
        max_units: int | None = 64,
        add_layer: bool = False,
        max_layers: int | None = 4,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        noise: float = 0.1,
        init: str = "copy",
        data: tuple[Any, Any] | None = None,
        loss: str | Loss | None = None,
    ) -> None:
        set_params(
            self, patience=patience, widen_by=widen_by, max_units=max_units, add_layer=add_layer,
            max_layers=max_layers, monitor=monitor, min_delta=min_delta, noise=noise, init=init,
            data=data, loss=loss,
        )  # fmt: skip
        check_init(init, 0.0, 0.0, data, loss, who="GrowOnPlateau")  # with its companions
        self.mode = monitor_mode(monitor)  # a loss falls, an accuracy rises
        self.best: float | None = None
        self.wait = 0

    def _hidden(self) -> list[int]:
        layers = self.model.layers
        return [k for k in range(len(layers) - 1) if isinstance(layers[k], Dense)]

    state_keys = ("best", "wait")

    def check(self, model: Any) -> None:
        if not any(isinstance(layer, Dense) for layer in model.layers[:-1]):
            raise ValueError(
                "GrowOnPlateau needs a model with at least one Dense hidden layer to grow "
                "(this one has only its output layer); build it with lw.mlp(n_in, [units], ...)"
            )
        if self.init == "gradmax":  # its batch must fit the model before training starts
            assert self.data is not None  # check_init refused gradmax without data
            X = model.check_input(self.data[0], name="GrowOnPlateau data X")
            check_same_length(X, self.data[1], names=("GrowOnPlateau data X", "data y"))
            model.prepare_targets(self.data[1], model.output_loss(self.loss), len(X))

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self.best, self.wait = None, 0

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        value = _monitored(logs, self.monitor, "GrowOnPlateau")
        if improved(value, self.best, mode=self.mode, delta=self.min_delta):
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.wait = 0
            self.grow()

    def grow(self) -> str | None:
        """Grow once now; return the change recorded, or None when nothing can grow."""
        model, hidden = self.model, self._hidden()
        n_events = len(model.events)
        narrow = [
            k for k in hidden if self.max_units is None or model.layers[k].units < self.max_units
        ]
        if narrow and not self.add_layer:
            k = min(narrow, key=lambda k: model.layers[k].units)
            units = model.layers[k].units + self.widen_by
            if self.max_units is not None:
                units = min(units, self.max_units)
            noise = self.noise if self.init == "copy" else 0.0
            model.widen(k, units, noise=noise, init=self.init, data=self.data, loss=self.loss)
        elif self.max_layers is None or len(hidden) < self.max_layers:
            k = len(model.layers) - 2  # the last hidden layer (Dense, BatchNorm, Dropout...)
            model.deepen(k, activation=preserving_activation(model, k))
        else:
            return None
        return model.events[-1]["change"] if len(model.events) > n_events else None
