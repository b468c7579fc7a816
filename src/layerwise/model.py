"""Sequential: a stack of layers, trained by three visible steps.

>>> import numpy as np, layerwise as lw
>>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
>>> y = np.array([0, 1, 1, 0])
>>> model = lw.mlp(2, [4], 1, activation="tanh", output_activation="sigmoid", seed=0)
>>> A, caches = model.forward(X)               # 1. forward: caches[i] = (A_prev, W, b, Z, A)
>>> grads = model.backward(caches, y, "bce")   # 2. backward: grads[i] = (dW, db)
>>> model.update(grads, lr=0.5)                # 3. update: W -= lr*dW, b -= lr*db
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from layerwise import losses as _losses
from layerwise import regularization  # noqa: F401 (registers Dropout, BatchNorm for from_config)
from layerwise import surgery as _surgery
from layerwise import targets as _targets
from layerwise._internal import array_api as _aa
from layerwise._internal import validation as rules
from layerwise._internal.array_api import array_namespace
from layerwise.layers import Dense, Layer, get_layer_class
from layerwise.state import TrainingState, move, restore, snapshot
from layerwise.surgery import SurgeryMethods

if TYPE_CHECKING:
    from layerwise.training import History

__all__ = ["Sequential"]


def _field(name: str, doc: str) -> property:
    """A property of Sequential that reads and writes the field ``name`` of its ``state``."""
    return property(
        lambda self: getattr(self.state, name),
        lambda self, value: setattr(self.state, name, value),
        doc=doc,
    )


class Sequential(SurgeryMethods):
    """A feed-forward stack of layers: any depth, any widths, changeable at any time.

    Parameters
    ----------
    layers : sequence of Layer, optional
        Layers in order, input to output. More can be added with :meth:`add`.
    input_dim : int, optional
        Number of input features. Without it, the layers are built (weights drawn) on the
        first call to ``forward`` or ``fit``, from the data's width.
    seed : int or numpy.random.Generator, optional
        Source of every random choice (weights, shuffling, dropout). The same seed gives
        bit-for-bit the same run.
    dtype : {"float32", "float64"}, default "float32"
        Dtype of every array the model makes; inputs are converted to it.

    Attributes
    ----------
    layers : list of Layer
        ``layers[i].W`` (n_in, units) and ``layers[i].b`` (units,) are writable arrays.
    state : TrainingState
        The training run: optimizer (with its schedule), epoch count, events, the
        callbacks' counters, the random generator (see :mod:`layerwise.state`). The
        properties ``optimizer``, ``epochs_trained``, ``events``, ``rng`` and
        ``stop_training`` read and write its fields.
    scaler : StandardScaler or None
        The feature scaler the model was trained with, if any (saved with it).
    metadata : dict
        Free-form, JSON-able notes saved with the model (training settings ...).
    """

    # every attribute a model has: nothing can attach an undeclared one
    __slots__ = tuple("dtype input_dim seed layers state scaler metadata _name_counter".split())

    _parameter_constraints = {
        "layers": [rules.Instance(Iterable, what="a list of layers"), None],
        "input_dim": [rules.POSITIVE_INT, None],
        "seed": rules.SEED,
        "dtype": [rules.DTYPE],
    }

    def __init__(
        self,
        layers: Sequence[Layer] | None = None,
        *,
        input_dim: int | None = None,
        seed: rules.SeedLike = None,
        dtype: str = "float32",
    ) -> None:
        p = rules.check_params(self, layers=layers, input_dim=input_dim, seed=seed, dtype=dtype)
        self.dtype, self.input_dim = p["dtype"], p["input_dim"]
        self.state = TrainingState(rng=rules.check_seed(seed))
        self.seed = seed if not isinstance(seed, np.random.Generator) else None
        self.layers: list[Layer] = []
        self.scaler: Any = None
        self.metadata: dict[str, Any] = {}
        self._name_counter = 0
        for layer in layers or ():
            self.add(layer)

    # the training run's fields, kept in self.state (declared there)
    optimizer = _field("optimizer", "The optimizer of the last fit (``state.optimizer``).")
    epochs_trained = _field("epochs_trained", "Epochs run by fit, over all calls.")
    events = _field("events", "Changes of shape after training started: {epoch, change}.")
    rng = _field("rng", "The Generator of every random choice (``state.rng``).")
    stop_training = _field("stop_training", "Set by a callback to end fit after this epoch.")
    history = _field("history", "The History attached by lw.load or the command line.")

    # ------------------------------------------------------------------ structure
    @property
    def built(self) -> bool:
        return bool(self.layers) and all(layer.built for layer in self.layers)

    @property
    def output_dim(self) -> int:
        self._require_layers()
        return self.layers[-1].units

    def _require_layers(self) -> None:
        if not self.layers:
            raise ValueError("the model has no layers; add some with model.add(lw.Dense(...))")

    def _n_in_of(self, i: int) -> int | None:
        return self.input_dim if i == 0 else self.layers[i - 1].units

    def add(self, layer: Layer) -> Sequential:
        """Append ``layer`` after the current output layer; returns the model."""
        return self.insert(len(self.layers), layer)

    def insert(self, i: int, layer: Layer) -> Sequential:
        """Insert ``layer`` at position ``i`` (0 = first), repairing the next layer's input.
        See :func:`layerwise.surgery.insert`."""
        _surgery.insert(self, i, layer)
        return self

    def remove(self, i: int) -> Layer:
        """Remove and return layer ``i`` (not the output layer), repairing the next layer's
        input. See :func:`layerwise.surgery.remove`."""
        return _surgery.remove(self, i)

    def build(self, input_dim: int | None = None) -> Sequential:
        """Draw the weights of every layer not yet built, for ``input_dim`` features."""
        self._require_layers()
        if input_dim is not None:
            input_dim = rules.check_positive(input_dim, "input_dim", integer=True)
            if self.input_dim is not None and self.built and input_dim != self.input_dim:
                raise ValueError(
                    f"X has {input_dim} features but the model expects {self.input_dim}"
                )
            self.input_dim = input_dim
        if self.input_dim is None:
            raise ValueError("the model does not know its input width; pass input_dim")
        for i, layer in enumerate(self.layers):
            if not layer.built:  # (_n_in_of(i) is an int: input_dim is known)
                layer.build(self._n_in_of(i), self.rng, self.dtype)  # type: ignore[arg-type]
            elif layer.n_in != self._n_in_of(i):
                _surgery.repair(self, i)
        return self

    # ------------------------------------------------------------------ the three steps
    def check_input(
        self, X: Any, name: str = "X", *, build: bool = True, place: bool = True
    ) -> Any:
        """Validate X (2-D, numeric, finite, right width) and return it as an array of the
        model's dtype; an unbuilt model is built for its width unless ``build=False``. X of
        another library or device than the model's weights is refused (TypeError) unless
        ``place=False`` (``fit`` moves an untrained model to its data)."""
        self._require_layers()
        X = rules.check_X(X, self.dtype, name=name, n_features=self.input_dim)
        if build and not self.built:
            self.build(X.shape[1])
        if place and self.built:
            fix = f"move the model with model.to({name}) first (or convert {name})"
            _aa.check_same_place(X, _aa.model_arrays(self), name, "the weights", fix)
        return X

    def to(self, like: Any) -> Sequential:
        """Move the weights, buffers and optimizer state to the array library and device of
        ``like`` (an array, or ``"numpy"``): :func:`layerwise.state.move`. ``fit`` does it
        itself for an untrained model, so that the arrays follow the data."""
        return move(self, like)

    def forward(
        self, X: Any, training: bool = False, *, check_input: bool = True
    ) -> tuple[Any, list[Any]]:
        """Step 1: propagate X through every layer.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        training : bool, default False
            True activates training-only behaviour (dropout, batch statistics).
        check_input : bool, default True
            False skips validating X (``fit`` checked the whole data once): X must be a
            2-D array of the model's dtype and width.

        Returns
        -------
        A : array of shape (n_samples, output_dim)
        caches : list
            ``caches[i]`` for layer i; for Dense a :class:`~layerwise.layers.Cache` with
            fields ``A_prev, W, b, Z, A``.
        """
        A = self.check_input(X) if check_input else X
        rng = self.state.rng
        caches = []
        for layer in self.layers:
            A, cache = layer.forward(A, training=training, rng=rng)
            caches.append(cache)
        return A, caches

    def output_loss(self, loss: str | _losses.Loss) -> _losses.Loss:
        """Resolve ``loss`` and check it can work on this model's output layer."""
        loss = _losses.get(loss)
        self._require_layers()
        out = self.layers[-1]
        if not isinstance(out, Dense):
            raise ValueError(f"the output layer must be Dense, got {type(out).__name__}")
        _targets.check_output(loss.name, out.activation.name, out.units)
        return loss

    def prepare_targets(self, y: Any, loss: _losses.Loss, n_samples: int, like: Any = None) -> Any:
        """Validate y against the output layer; return it as (n_samples, output_dim), an array
        of the library and device of ``like`` (NumPy by default)."""
        y_arr = _targets.with_rows(_aa.to_numpy(y) if _aa.is_foreign(y) else y, n_samples)
        Y = loss.prepare_targets(y_arr, self.output_dim, self.dtype)
        return Y if like is None or isinstance(like, np.ndarray) else _aa.convert(Y, like)

    def backward(
        self, caches: list[Any], y: Any, loss: str | _losses.Loss, *, check_input: bool = True
    ) -> list[Any]:
        """Step 2: gradients of the mean loss with respect to every parameter.

        Parameters
        ----------
        caches : list
            From :meth:`forward`.
        y : array-like of shape (n_samples,) or (n_samples, output_dim)
            Targets (class labels for ``cce``; 0/1 for ``bce``).
        loss : {"mse", "bce", "cce"} or Loss
        check_input : bool, default True
            False skips validation (``fit``): ``y`` must come from :meth:`prepare_targets`
            and ``loss`` be a Loss.

        Returns
        -------
        grads : list
            ``grads[i]`` for layer i: for Dense a :class:`~layerwise.layers.Grads`, ``dW``
            and ``db`` shaped like ``W`` and ``b`` (None for layers without parameters).
        """
        if check_input:
            loss = self.output_loss(loss)
            self._check_caches(caches)
            y = self.prepare_targets(y, loss, caches[-1].A.shape[0], like=caches[-1].A)
        last = len(self.layers) - 1
        output: Dense = self.layers[last]  # type: ignore[assignment]  # as output_loss checks
        loss_fn: _losses.Loss = loss  # type: ignore[assignment]  # a Loss, as check_input says
        grads: list[Any] = [None] * (last + 1)
        if loss_fn.fuses_with(output.activation):  # dL/dZ of the output layer, exact and stable
            dZ = loss_fn.fused_gradient(caches[last].A, y)
            dA, grads[last] = output.backward_linear(dZ, caches[last], need_dA_prev=last > 0)
        else:
            dA = loss_fn.gradient(caches[last].A, y)
            dA, grads[last] = output.backward(dA, caches[last], need_dA_prev=last > 0)
        for i in range(last - 1, -1, -1):
            dA, grads[i] = self.layers[i].backward(dA, caches[i], need_dA_prev=i > 0)
        return grads

    def _check_caches(self, caches: list[Any]) -> None:
        if len(caches) != len(self.layers):
            raise ValueError(
                f"got {len(caches)} caches for {len(self.layers)} layers; pass the caches "
                "returned by model.forward on the current model"
            )
        for i, (layer, cache) in enumerate(zip(self.layers, caches)):
            W = getattr(cache, "W", None)
            if isinstance(layer, Dense) and W is not None and W.shape != layer.W.shape:
                raise ValueError(
                    f"caches[{i}] holds W of shape {W.shape} but layer {i} now has "
                    f"{layer.W.shape}: the network changed shape since forward; run "
                    "model.forward again"
                )

    def update(self, grads: list[Any], lr: float) -> None:
        """Step 3: plain gradient descent, ``p -= lr * dp`` for every trainable parameter."""
        lr = rules.check_positive(lr, "lr")
        if len(grads) != len(self.layers):
            raise ValueError(f"got {len(grads)} grads for {len(self.layers)} layers")
        pgs = self.param_grads(grads)
        for key, p, g in pgs:  # all checked before any is applied: no half-done update
            if tuple(getattr(g, "shape", ())) != tuple(p.shape):
                raise ValueError(
                    f"the gradient of {key} has shape {getattr(g, 'shape', None)} but the "
                    f"parameter has {p.shape}: the network changed shape since forward; run "
                    "model.forward and model.backward again"
                )
        for key, p, g in pgs:
            W = p
            W -= lr * g  # in place (NumPy, PyTorch, CuPy); JAX rebinds W to a new array
            if W is not p:
                self.assign({key: W})

    def assign(self, arrays: dict[str, Any]) -> None:
        """Put new parameter arrays in place, by key ``"layer_name/param"`` (what an optimizer
        step returns for a library whose arrays cannot change in place, such as JAX)."""
        layers = {layer.name: layer for layer in self.layers}
        for key, arr in arrays.items():
            name, param = key.rsplit("/", 1)
            setattr(layers[name], param, arr)

    def param_grads(self, grads: list[Any]) -> list[tuple[str, Any, Any]]:
        """``(key, param, grad)`` for every trainable parameter; key = "layer/param"."""
        return [
            (f"{layer.name}/{pname}", getattr(layer, pname), d)
            for layer, g in zip(self.layers, grads, strict=True)
            if g is not None and layer.trainable
            for pname, d in zip(layer.param_names, g, strict=True)
        ]

    def snapshot(self) -> dict[str, Any]:
        """Copies of every parameter and buffer array: :func:`layerwise.state.snapshot`."""
        return snapshot(self)

    def restore(self, saved: dict[str, Any]) -> bool:
        """Copy a :meth:`snapshot` back; False if the shapes changed: :func:`.state.restore`."""
        return restore(self, saved)

    def parameters(self) -> dict[str, Any]:
        """Every parameter array by key "layer_name/param" (the arrays themselves)."""
        return {f"{layer.name}/{p}": a for layer in self.layers for p, a in layer.params().items()}

    # ------------------------------------------------------------------ conveniences
    def fit(self, X: Any, y: Any, **kwargs: Any) -> History:
        """Train with mini-batch gradient descent; see :func:`layerwise.training.fit`."""
        from layerwise.training import fit

        return fit(self, X, y, **kwargs)

    def predict(self, X: Any, *, batch_size: int | None = None) -> Any:
        """Outputs for X (inference mode), shape (n_samples, output_dim).

        For a sigmoid/softmax output these are probabilities; take ``> 0.5`` or
        ``argmax(axis=1)`` for labels.
        """
        batch_size = rules.check_positive(batch_size, "batch_size", integer=True, allow_none=True)
        X = self.check_input(X)
        rows = batch_size or X.shape[0]  # None: all of X as one batch
        parts = [
            self.forward(X[s : min(s + rows, X.shape[0]), :], check_input=False)[0]
            for s in range(0, X.shape[0], rows)
        ]
        return parts[0] if len(parts) == 1 else array_namespace(X).concat(parts)

    def evaluate(self, X: Any, y: Any, loss: str | _losses.Loss) -> float:
        """Mean loss on (X, y) in inference mode, plus the layers' L2 penalty (as Keras:
        the objective that training minimises; 0 without ``l2``)."""
        loss = self.output_loss(loss)
        X = self.check_input(X, build=False)
        rules.check_same_length(X, y)
        Y = self.prepare_targets(y, loss, X.shape[0], like=X)
        self.check_input(X)  # builds an unbuilt model, once every argument is known good
        return loss.value(self.forward(X, check_input=False)[0], Y) + self.penalty()

    def penalty(self) -> float:
        """The term added to the loss: the layers' ``penalty()`` summed (``l2 * sum(W**2)``)."""
        return sum([layer.penalty() for layer in self.layers if layer.built], 0.0)

    def train_on_batch(self, X: Any, y: Any, **kwargs: Any) -> float:
        """One optimizer step on one batch; returns its loss: :func:`.training.train_on_batch`."""
        from layerwise.training import train_on_batch

        return train_on_batch(self, X, y, **kwargs)

    def copy(self) -> Sequential:
        """An independent deep copy (weights, optimizer state and random state included)."""
        return copy.deepcopy(self)

    def __getstate__(self) -> dict[str, Any]:  # for skops (and pickle): slots, no __dict__
        return {name: getattr(self, name) for name in self.__slots__ if hasattr(self, name)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)

    def n_params(self) -> int:
        return sum(layer.n_params() for layer in self.layers if layer.built)

    def summary(self) -> str:
        """A table of layers: index, type, units, activation, parameters (printable)."""
        from layerwise._internal.summary import summary  # a leaf: imports nothing of layerwise

        return summary(self)

    def _repr_html_(self) -> str:
        from layerwise._internal.display import model_html  # a leaf: imports nothing else

        return model_html(self)

    def __repr__(self) -> str:
        inside = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential([{inside}], input_dim={self.input_dim}, dtype={self.dtype.name!r})"

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """A JSON-able description of the architecture (not the weights)."""
        layers = [layer.get_config() for layer in self.layers]
        return {"input_dim": self.input_dim, "dtype": self.dtype.name, "layers": layers}

    @classmethod
    def from_config(cls, config: dict[str, Any], *, seed: rules.SeedLike = None) -> Sequential:
        """Rebuild an (untrained) model from :meth:`get_config`'s output."""
        layers = [get_layer_class(c["type"]).from_config(c) for c in config["layers"]]
        return cls(layers, input_dim=config.get("input_dim"), seed=seed, dtype=config["dtype"])
