"""scikit-learn estimators over layerwise models: :class:`MLPClassifier`, :class:`MLPRegressor`.

They follow scikit-learn's conventions (``fit``/``predict``/``score``, ``get_params``,
fitted attributes ending in ``_``) and pass its ``check_estimator`` suite, so they work in
``Pipeline``, ``GridSearchCV`` and ``cross_val_score``. The network itself is a plain
:class:`layerwise.Sequential`, reachable as ``model_`` with its whole API: inspect its
weights, run the three steps by hand, widen or deepen it, then keep training with
``partial_fit`` (or ``fit`` with ``warm_start=True``).

Parameters mirror scikit-learn's ``MLPClassifier``/``MLPRegressor`` where they overlap
(``hidden_layer_sizes``, ``alpha``, ``batch_size``, ``tol``, ``n_iter_no_change``,
``early_stopping``, ``validation_fraction``), with layerwise names for the rest
(``optimizer`` for ``solver``, ``learning_rate`` for ``learning_rate_init``, ``epochs`` for
``max_iter``).

This module needs scikit-learn (``pip install 'layerwise[sklearn]'``); ``import layerwise``
does not import it, ``lw.MLPClassifier`` does.

>>> import layerwise as lw
>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True)
>>> clf = lw.MLPClassifier((16,), epochs=50, learning_rate=0.01, random_state=0).fit(X, y)
>>> clf.predict_proba(X[:2]).shape
(2, 3)
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.model_selection import train_test_split
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
except ImportError as exc:  # pragma: no cover - exercised through sys.modules in the tests
    raise ImportError(
        "layerwise.MLPClassifier and layerwise.MLPRegressor need scikit-learn; install it "
        "with: pip install 'layerwise[sklearn]'"
    ) from exc

from layerwise import activations as _activations
from layerwise import optimizers as _optimizers
from layerwise._validation import check_dtype
from layerwise.callbacks import Callback
from layerwise.layers import Dense, Layer
from layerwise.model import Sequential
from layerwise.regularization import Dropout

__all__ = ["MLPClassifier", "MLPRegressor"]

# scikit-learn's names for activations, accepted so that its settings carry over
_SKLEARN_ACTIVATIONS = {"logistic": "sigmoid"}


def _check_int(value: Any, name: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_real(value: Any, name: str, *, low: float, high: float | None = None,
                low_open: bool = False, high_open: bool = True) -> float:  # fmt: skip
    interval = (
        f"{'(' if low_open else '['}{low:g}, "
        f"{'inf)' if high is None else f'{high:g}' + (')' if high_open else ']')}"
    )
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in {interval}, got {value!r}")
    v = float(value)
    bad_low = v <= low if low_open else v < low
    bad_high = high is not None and (v >= high if high_open else v > high)
    if not np.isfinite(v) or bad_low or bad_high:
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
    return v


class _Stopping(Callback):
    """scikit-learn's stopping rule for MLPs, run as a layerwise callback.

    Without early stopping, training stops once the training loss has failed to fall by
    at least ``tol`` below its best value for more than ``n_iter_no_change`` consecutive
    epochs. With early stopping the same rule watches the validation score (accuracy or
    R², higher is better), and the weights of the best-scoring epoch are restored at the
    end.
    """

    def __init__(self, est: _BaseMLP, *, tol: float, patience: int, score_key: str | None):
        self.est, self.tol, self.patience, self.score_key = est, tol, patience, score_key
        self.count = 0
        self.best_weights: list[np.ndarray] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        est = self.est
        est.loss_curve_.append(float(logs["loss"]))
        est.n_iter_ += 1
        if self.score_key is None:
            loss = est.loss_curve_[-1]
            self.count = self.count + 1 if loss > est.best_loss_ - self.tol else 0
            est.best_loss_ = min(est.best_loss_, loss)
        else:
            score = float(logs[self.score_key])
            est.validation_scores_.append(score)
            self.count = self.count + 1 if score < est.best_validation_score_ + self.tol else 0
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                self.best_weights = [a.copy() for a in _state_arrays(self.model)]
        if self.patience and self.count > self.patience:
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any]) -> None:
        if self.best_weights is not None:
            for dst, src in zip(_state_arrays(self.model), self.best_weights, strict=True):
                np.copyto(dst, src)


def _state_arrays(model: Sequential) -> list[np.ndarray]:
    """Every parameter and buffer array of the model, in a fixed order."""
    out: list[np.ndarray] = []
    for layer in model.layers:
        out.extend(layer.params().values())
        out.extend(layer.buffers().values())
    return out


class _BaseMLP(BaseEstimator):
    """Shared parameters, validation and training of both estimators."""

    def __init__(
        self,
        hidden_layer_sizes: Iterable[int] | int = (100,),
        activation: str = "relu",
        *,
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        epochs: int = 200,
        batch_size: int | str | None = None,
        alpha: float = 1e-4,
        dropout: float = 0.0,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        tol: float = 1e-4,
        n_iter_no_change: int = 10,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        dtype: str = "float32",
        verbose: bool = False,
        warm_start: bool = False,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.alpha = alpha
        self.dropout = dropout
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle
        self.random_state = random_state
        self.dtype = dtype
        self.verbose = verbose
        self.warm_start = warm_start

    # ------------------------------------------------------------------ subclass hooks
    _loss = "mse"
    _score_key = "val_r2"

    def _encode_targets(self, y: np.ndarray, *, first: bool, classes: Any = None) -> np.ndarray:
        raise NotImplementedError

    def _output_layer(self) -> Dense:
        raise NotImplementedError

    # ------------------------------------------------------------------ validation
    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = [sizes]
        try:
            sizes = list(sizes)
        except TypeError:
            raise TypeError(
                f"hidden_layer_sizes must be a sequence of positive integers such as (100,) or "
                f"(64, 32), got {self.hidden_layer_sizes!r}"
            ) from None
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1:
                raise ValueError(
                    f"hidden_layer_sizes must hold positive integers (one width per hidden "
                    f"layer), got {self.hidden_layer_sizes!r}"
                )
        return [int(s) for s in sizes]

    def _check_params(self) -> dict[str, Any]:
        act = self.activation
        if isinstance(act, str):
            act = _SKLEARN_ACTIVATIONS.get(act.strip().lower(), act)
        _activations.get(act)  # raises with the list of valid names
        if isinstance(self.optimizer, str):
            if self.optimizer.strip().lower() not in _optimizers.names():
                raise ValueError(
                    f"unknown optimizer {self.optimizer!r}; valid names: "
                    f"{', '.join(_optimizers.names())}"
                )
        elif not isinstance(self.optimizer, _optimizers.Optimizer):
            raise TypeError(
                f"optimizer must be a name ({', '.join(_optimizers.names())}) or a "
                f"layerwise Optimizer, got {self.optimizer!r}"
            )
        bs = self.batch_size
        if bs is not None and bs != "auto":
            bs = _check_int(bs, "batch_size")
        dropout = _check_real(self.dropout, "dropout", low=0.0, high=1.0)
        return {
            "sizes": self._hidden_sizes(),
            "activation": act,
            "learning_rate": _check_real(
                self.learning_rate, "learning_rate", low=0.0, low_open=True
            ),  # fmt: skip
            "epochs": _check_int(self.epochs, "epochs"),
            "batch_size": None if bs == "auto" else bs,
            "alpha": _check_real(self.alpha, "alpha", low=0.0),
            "dropout": dropout,
            "validation_fraction": _check_real(
                self.validation_fraction,
                "validation_fraction",
                low=0.0,
                high=1.0,
                low_open=True,
            ),  # fmt: skip
            "tol": _check_real(self.tol, "tol", low=0.0),
            "n_iter_no_change": _check_int(self.n_iter_no_change, "n_iter_no_change"),
            "dtype": check_dtype(self.dtype).name,
        }

    # ------------------------------------------------------------------ training
    def _seed(self) -> int | None:
        if self.random_state is None:
            return None
        if isinstance(self.random_state, numbers.Integral) and not isinstance(
            self.random_state, bool
        ):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _build_model(self, p: dict[str, Any], n_features: int) -> Sequential:
        layers: list[Layer] = []
        for units in p["sizes"]:
            layers.append(Dense(units, p["activation"]))
            if p["dropout"] > 0:
                layers.append(Dropout(p["dropout"]))
        layers.append(self._output_layer())
        return Sequential(layers, input_dim=n_features, seed=self._seed(), dtype=p["dtype"])

    def _fit(self, X: Any, y: Any, *, incremental: bool, classes: Any = None):
        p = self._check_params()
        first = not hasattr(self, "model_") or (not incremental and not self.warm_start)
        X, y = validate_data(
            self, X, y, reset=first, dtype=(np.float64, np.float32), **self._y_check_params()
        )
        Y = self._encode_targets(y, first=first, classes=classes)
        if first:
            self.model_ = self._build_model(p, X.shape[1])
            self.loss_curve_: list[float] = []
            self.n_iter_ = 0
            self.best_loss_ = np.inf
            self._optimizer_source = None
        early = self.early_stopping and not incremental
        self.validation_scores_: list[float] | None = [] if early else None
        self.best_validation_score_ = -np.inf if early else None
        if not early:
            if not incremental or self.best_loss_ is None:  # None after early stopping
                self.best_loss_ = np.inf
        validation = None
        if early:
            X, Xv, Y, Yv = self._split(X, Y, p["validation_fraction"])
            validation = (Xv, Yv)
        bs = min(200, len(X)) if p["batch_size"] is None else p["batch_size"]
        stopper = _Stopping(
            self,
            tol=p["tol"],
            patience=0 if incremental else p["n_iter_no_change"],
            score_key=self._score_key if early else None,
        )
        # scikit-learn's L2 gradient is alpha * W / batch_size on every weight matrix (not
        # the biases); Dense's l2 adds 2 * l2 * W. Set on every Dense layer of model_, so
        # layers a user added on the fly are regularised too.
        coef = self._l2_coef(p["alpha"], bs)
        for layer in self.model_.layers:
            if isinstance(layer, Dense):
                layer.l2 = coef / 2.0
        optimizer, lr = self._optimizer_for_fit(p)
        self.model_.fit(
            X,
            Y,
            loss=self._loss,
            optimizer=optimizer,
            lr=lr,
            epochs=1 if incremental else p["epochs"],
            batch_size=bs,
            shuffle=bool(self.shuffle),
            validation_data=validation,
            metrics=(self._score_key[4:],),
            callbacks=[stopper],
            verbose=bool(self.verbose),
        )
        if early:
            self.best_loss_ = None
        return self

    def _split(self, X, Y, fraction):
        n_val = int(round(len(X) * fraction))
        if n_val < 1 or len(X) - n_val < 1:
            raise ValueError(
                f"early_stopping holds out validation_fraction={fraction:g} of {len(X)} "
                f"samples, which leaves {n_val} for validation; give more samples, a larger "
                "validation_fraction, or early_stopping=False"
            )
        stratify = self._stratify(Y)
        seed = int(self.model_.rng.integers(np.iinfo(np.int32).max))
        X_tr, X_val, Y_tr, Y_val = train_test_split(
            X, Y, test_size=n_val, random_state=seed, stratify=stratify
        )
        return X_tr, X_val, Y_tr, Y_val

    def _stratify(self, Y: np.ndarray) -> np.ndarray | None:
        return None

    def _optimizer_for_fit(self, p: dict[str, Any]) -> tuple[Any, float | None]:
        """``(optimizer, lr)`` for ``model_.fit``. A name with an unchanged learning rate
        makes ``fit`` continue with the model's optimizer and its state (Adam's moments), so
        ``partial_fit`` and ``warm_start`` carry it over like scikit-learn; an optimizer
        object is copied once per new model, then continued."""
        if isinstance(self.optimizer, str):
            return self.optimizer.strip().lower(), p["learning_rate"]
        if self._optimizer_source is not self.optimizer or self.model_.optimizer is None:
            self._optimizer_source = self.optimizer
            return copy.deepcopy(self.optimizer), None
        return self.model_.optimizer, None

    def _l2_coef(self, alpha: float, batch_size: int) -> float:
        # scikit-learn's objective adds (alpha / 2) * ||W||^2 / batch_size to the batch's
        # mean log-loss (or half squared error); its gradient is alpha * W / batch_size.
        return alpha / batch_size

    # ------------------------------------------------------------------ inference
    def _forward(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return self.model_.predict(X).astype(np.float64)

    @property
    def coefs_(self) -> list[np.ndarray]:
        """``W`` of every Dense layer, shape (n_in, units) each (the live arrays)."""
        return [layer.W for layer in self.model_.layers if isinstance(layer, Dense)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """``b`` of every Dense layer, shape (units,) each (the live arrays)."""
        return [layer.b for layer in self.model_.layers if isinstance(layer, Dense)]


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multilayer perceptron classifier (scikit-learn estimator) over a layerwise model.

    Two classes get one sigmoid output unit and binary cross-entropy; more classes get one
    softmax unit per class and categorical cross-entropy. Labels may be of any type
    scikit-learn accepts (ints, strings, ...).

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default (100,)
        Width of each hidden layer; ``()`` gives logistic regression.
    activation : str, default "relu"
        Hidden activation: any of :func:`layerwise.activations.names` (scikit-learn's
        ``"logistic"`` is accepted for ``"sigmoid"``).
    optimizer : str or layerwise Optimizer, default "adam"
        A name (built with ``learning_rate``) or an optimizer object (copied at the first
        ``fit``; its own learning rate rules).
    learning_rate : float, default 1e-3
    epochs : int, default 200
        Maximum number of passes over the training data (scikit-learn's ``max_iter``).
    batch_size : int or None, default None
        Samples per gradient step; None (or "auto") means ``min(200, n_samples)`` as in
        scikit-learn.
    alpha : float, default 1e-4
        L2 penalty on the weights (not the biases), scaled as scikit-learn's: the gradient
        of each weight matrix gets ``alpha * W / batch_size``.
    dropout : float, default 0.0
        Dropout rate after every hidden layer (training only).
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the data (stratified) and stop when the
        validation accuracy has not improved by ``tol`` for ``n_iter_no_change`` epochs;
        the best weights are restored.
    validation_fraction : float, default 0.1
    tol : float, default 1e-4
    n_iter_no_change : int, default 10
        Without early stopping, training stops once the training loss has not fallen by
        ``tol`` for more than this many epochs (scikit-learn's rule).
    shuffle : bool, default True
        Reshuffle the samples every epoch.
    random_state : int, RandomState or None
        Seed of the weights, the shuffling, the validation split and dropout.
    dtype : {"float32", "float64"}, default "float32"
        Precision of the network. Predictions are returned as float64.
    verbose : bool, default False
        Show a progress bar.
    warm_start : bool, default False
        A new ``fit`` continues from the current ``model_`` (classes must not change).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X had string column names (a DataFrame).
    model_ : layerwise.Sequential
        The network: ``model_.layers[i].W`` has shape (n_in, units). Open to its whole API,
        including changes of shape (``model_.widen(0, 64)``) before further training.
    loss_curve_ : list of float
        Training loss of every epoch: mean cross-entropy plus the L2 penalty, defined as
        scikit-learn's.
    validation_scores_ : list of float or None
        Validation accuracy of every epoch (early stopping only).
    best_validation_score_ : float or None
    best_loss_ : float or None
    n_iter_ : int
        Epochs run so far, over all calls.
    coefs_, intercepts_ : list of ndarray
        The weight matrices and bias vectors of the Dense layers (the live arrays).

    Examples
    --------
    >>> import layerwise as lw
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> pipe = make_pipeline(StandardScaler(), lw.MLPClassifier((32,), random_state=0))
    >>> pipe.fit(X, y).score(X, y) > 0.95
    True
    """

    _score_key = "val_accuracy"

    def _y_check_params(self) -> dict[str, Any]:
        return {}

    def _output_layer(self) -> Dense:
        if len(self.classes_) == 2:
            return Dense(1, "sigmoid")
        return Dense(len(self.classes_), "softmax")

    @property
    def _loss(self) -> str:  # type: ignore[override]
        return "bce" if len(self.classes_) == 2 else "cce"

    def _encode_targets(self, y, *, first, classes=None):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if classes is not None and (first or not hasattr(self, "classes_")):
            check_classification_targets(np.asarray(classes))
            new_classes = np.unique(classes)
        elif first:
            new_classes = np.unique(y)
        else:
            new_classes = self.classes_
        if hasattr(self, "classes_") and not first and classes is not None:
            if not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(
                    f"classes={np.unique(classes).tolist()} differs from the classes of the first "
                    f"call to partial_fit, {self.classes_.tolist()}; pass the same classes"
                )
        if hasattr(self, "classes_") and self.warm_start and not first and classes is None:
            seen = np.unique(y)
            if not np.isin(seen, self.classes_).all():
                raise ValueError(
                    "warm_start can only be used where y has the same classes as in the "
                    f"previous call to fit; previously got {self.classes_.tolist()}, y has "
                    f"{seen.tolist()}"
                )
        if len(new_classes) < 2:
            raise ValueError(
                f"y has 1 class ({new_classes[0]!r}); a classifier needs at least 2 classes"
            )
        unknown = np.setdiff1d(y, new_classes)
        if unknown.size:
            raise ValueError(
                f"y has labels {unknown.tolist()} that are not in classes {new_classes.tolist()}; "
                "pass every label that can occur in classes= on the first call"
            )
        self.classes_ = new_classes
        return np.searchsorted(new_classes, y).astype(np.int64)

    def _stratify(self, Y):
        counts = np.bincount(Y)
        return Y if counts[counts > 0].min() >= 2 else None

    def fit(self, X: Any, y: Any) -> MLPClassifier:
        """Train on X (n_samples, n_features) and labels y (n_samples,); returns self."""
        if not self.warm_start and hasattr(self, "classes_"):
            del self.classes_
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> MLPClassifier:
        """One epoch over (X, y); ``classes`` (every label) is required on the first call."""
        if not hasattr(self, "model_") and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: every label that "
                "can occur, e.g. classes=np.unique(y_all)"
            )
        return self._fit(X, y, incremental=True, classes=classes)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        A = self._forward(X)
        if A.shape[1] == 1:
            return np.hstack([1.0 - A, A])
        return A / A.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log of :meth:`predict_proba` (``-inf`` where a probability is 0)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels, shape (n_samples,), taken from ``classes_``."""
        check_is_fitted(self, "model_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multilayer perceptron regressor (scikit-learn estimator) over a layerwise model.

    The output layer is linear with one unit per target; the loss is the mean squared
    error over all elements. Parameters and attributes are those of :class:`MLPClassifier`
    (no ``classes_``; ``validation_scores_`` holds R²). ``alpha`` means what it means in
    scikit-learn: the penalty is scaled so that the regularised objective is proportional
    to scikit-learn's (whose squared-error gradient is ``(A - Y) / n_samples``, ours
    ``2 (A - Y) / (n_samples n_targets)``): each weight matrix's gradient gets
    ``2 * alpha * W / (batch_size * n_targets)``. ``loss_curve_`` holds our mse (penalty
    included), which is ``2 / n_targets`` times scikit-learn's.

    Examples
    --------
    >>> import layerwise as lw
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = lw.MLPRegressor((16,), learning_rate=0.01, random_state=0).fit(X, y / 100)
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    _loss = "mse"
    _score_key = "val_r2"

    def _y_check_params(self) -> dict[str, Any]:
        return {"multi_output": True, "y_numeric": True}

    def _output_layer(self) -> Dense:
        return Dense(self._n_outputs, "identity")

    def _encode_targets(self, y, *, first, classes=None):
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if first:
            self._n_outputs = Y.shape[1]
        elif Y.shape[1] != self.model_.output_dim:
            raise ValueError(
                f"y has {Y.shape[1]} target column(s) but the fitted model has "
                f"{self.model_.output_dim} output(s); give the same targets as before"
            )
        return Y

    def _l2_coef(self, alpha: float, batch_size: int) -> float:
        # scikit-learn's squared-error gradient is (A - Y) / n_samples; our mse (a mean over
        # all n_samples * n_targets elements, no 1/2) has 2 / n_targets times that. Scaling
        # the penalty by the same factor keeps both objectives proportional: same minimiser,
        # same Adam steps.
        return 2.0 * alpha / (batch_size * self.model_.output_dim)

    def fit(self, X: Any, y: Any) -> MLPRegressor:
        """Train on X (n_samples, n_features) and y (n_samples,) or (n_samples, n_targets)."""
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X: Any, y: Any) -> MLPRegressor:
        """One epoch over (X, y), continuing from the current model (or starting one)."""
        return self._fit(X, y, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions, shape (n_samples,) for one target, else (n_samples, n_targets)."""
        A = self._forward(X)
        return A[:, 0] if A.shape[1] == 1 else A

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
