"""MLPClassifier and MLPRegressor: scikit-learn's signatures over :class:`BaseMLP`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from layerwise import targets
from layerwise.estimators._base import BaseMLP
from layerwise.estimators._dispatch import at_the_edge
from layerwise.training.schedules import Schedule

_SKLEARN_OUTPUT = {"sigmoid": "logistic", "softmax": "softmax", "identity": "identity"}


def _init_params(est: Any, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name not in ("self", "__class__"):
            setattr(est, name, value)


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier: scikit-learn's, on a layerwise network.

    Binary and multi-label targets get sigmoid outputs, multiclass a softmax, all trained on
    the log loss. Parameters, attributes and behaviour are scikit-learn's.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (100,)
        Width of each hidden layer.
    activation : str, default "relu"
        Hidden activation: scikit-learn's "identity", "logistic", "tanh", "relu", or any
        other layerwise activation ("gelu", "elu", "leaky_relu", "softplus", ...).
    solver : str, default "adam"
        "lbfgs" (scipy's L-BFGS-B over all parameters, full batch), "sgd", "adam", or a
        layerwise optimizer: "adamw", "rmsprop", "adagrad", "momentum", "nesterov".
    alpha : float, default 1e-4
        L2 penalty: the loss gets ``alpha / 2 * sum ||W||^2 / n_samples`` (weights only).
    batch_size : int or "auto", default "auto"
        Samples per step; "auto" is ``min(200, n_samples)``.
    learning_rate : {"constant", "invscaling", "adaptive"}, default "constant"
        Schedule of every stochastic solver but adam (as in scikit-learn).
    learning_rate_init : float, default 1e-3
    power_t : float, default 0.5
        Exponent of "invscaling": ``learning_rate_init / (t + 1) ** power_t``.
    max_iter : int, default 200
        Epochs of the stochastic solvers, iterations of lbfgs.
    shuffle : bool, default True
    random_state : int, RandomState or None
        Initial weights (scikit-learn's Glorot-uniform draws, in its order), shuffling,
        the early-stopping split.
    tol : float, default 1e-4
    verbose : bool or int, default False
        Print scikit-learn's progress lines ("Iteration 1, loss = ...").
    warm_start : bool, default False
    momentum : float, default 0.9
        sgd only.
    nesterovs_momentum : bool, default True
        sgd only.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` (stratified for single-output classification),
        stop on its score, restore the best weights.
    validation_fraction : float, default 0.1
    beta_1, beta_2, epsilon : float, default 0.9, 0.999, 1e-8
        adam only.
    n_iter_no_change : int or np.inf, default 10
    max_fun : int, default 15000
        lbfgs only: most loss evaluations.
    dropout : float, default 0.0
        layerwise's addition: dropout after every hidden layer during training.
    dtype : {None, "float32", "float64"}, default None
        layerwise's addition: the network's precision. None follows X (float32 in,
        float32 network; anything else float64), as scikit-learn.
    schedule : layerwise.training.schedules.Schedule or None, default None
        layerwise's addition: a learning-rate schedule (``lw.schedules.StepLR(10)``, ...)
        applied epoch by epoch to the stochastic solvers' optimizer, starting from
        ``learning_rate_init``; the estimator runs a copy, so the object given is not
        changed. Needs a stochastic solver and ``learning_rate="constant"``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coefs_, intercepts_ : list of ndarray
        ``coefs_[i]`` of shape (n_in, n_out), ``intercepts_[i]`` of shape (n_out,);
        assignable, as in scikit-learn.
    model_ : layerwise.Sequential
        The network over those arrays, with the whole layerwise API.
    loss_, best_loss_, loss_curve_, validation_scores_, best_validation_score_
    n_iter_ : int
        Epochs (or lbfgs iterations) of the last ``fit``.
    t_ : int
        Training samples seen by the stochastic solvers, over all calls.
    n_layers_, n_outputs_, out_activation_, n_features_in_, feature_names_in_

    Examples
    --------
    >>> import layerwise as lw
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = lw.MLPClassifier((16,), solver="lbfgs", random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    """

    def __init__(
        self, hidden_layer_sizes: int | Sequence[int] = (100,), activation: str = "relu", *,
        solver: str = "adam", alpha: float = 0.0001, batch_size: int | str = "auto",
        learning_rate: str = "constant", learning_rate_init: float = 0.001,
        power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None, tol: float = 1e-4,
        verbose: bool | int = False, warm_start: bool = False, momentum: float = 0.9,
        nesterovs_momentum: bool = True, early_stopping: bool = False,
        validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
        epsilon: float = 1e-8, n_iter_no_change: int | float = 10, max_fun: int = 15000,
        dropout: float = 0.0, dtype: str | type | None = None,
        schedule: Schedule | None = None,
    ) -> None:  # fmt: skip
        _init_params(self, locals())

    loss = "log_loss"

    def _out_activation(self) -> str:
        task = "multiclass" if self._label_binarizer.y_type_ == "multiclass" else "binary"
        if self._label_binarizer.y_type_.startswith("multilabel"):
            task = "multilabel"
        return _SKLEARN_OUTPUT[targets.output_for(task)[0]]

    def _validate_input(
        self, X: Any, y: Any, incremental: bool, reset: bool
    ) -> tuple[Any, np.ndarray]:
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
            dtype=(np.float64, np.float32), reset=reset,
        )  # fmt: skip
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in "
                        f"the previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}; pass every class on the first call "
                    "to partial_fit (classes=...)"
                )
        # bool keeps float32 training in float32
        return X, self._label_binarizer.transform(y).astype(bool)

    @at_the_edge
    def predict(self, X: Any) -> Any:
        """Predicted classes, shape (n_samples,) (or (n_samples, n_classes) multi-label)."""
        check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X: Any, check_input: bool = True) -> np.ndarray:
        y_pred = self._forward_pass_fast(X, check_input=check_input)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        return self._label_binarizer.inverse_transform(y_pred)

    def _score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        return self._score_with_function(X, y, sample_weight, accuracy_score)

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None) -> Self:
        """One epoch over (X, y). ``classes`` (every label) is needed on the first call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
        sample_weight : array-like of shape (n_samples,), default None
        classes : array-like of shape (n_classes,), default None

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True, classes=classes)

    def _before_fit(self, y: Any, classes: Any) -> None:
        if self._first_partial_fit(classes):
            lb = LabelBinarizer()
            multilabel = type_of_target(y).startswith("multilabel")
            self._label_binarizer = lb.fit(y if multilabel else classes)

    def _first_partial_fit(self, classes: Any) -> bool:
        previous = getattr(self, "classes_", None)
        if previous is None and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: every label that "
                "can occur, e.g. classes=np.unique(y_all)"
            )
        if classes is None:
            return False
        if previous is not None:
            if not np.array_equal(previous, unique_labels(classes)):
                raise ValueError(
                    f"`classes={classes!r}` is not the same as on the first call to "
                    f"partial_fit, {previous}; pass the same classes"
                )
            return False
        self.classes_ = unique_labels(classes)
        return True

    @at_the_edge
    def predict_log_proba(self, X: Any) -> Any:
        """Log of :meth:`predict_proba`, shape (n_samples, n_classes)."""
        proba = self._predict_proba(X)
        return np.log(proba, out=proba)

    @at_the_edge
    def predict_proba(self, X: Any) -> Any:
        """Class probabilities, shape (n_samples, n_classes), in ``classes_`` order."""
        return self._predict_proba(X)

    def _predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        y_pred = self._forward_pass_fast(X)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        return np.vstack([1 - y_pred, y_pred]).T if y_pred.ndim == 1 else y_pred

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor: scikit-learn's, on a layerwise network.

    Parameters
    ----------
    loss : {"squared_error", "poisson"}, default "squared_error"
        Half squared error (linear output), or half Poisson deviance (exp output; the
        network's last layer is linear and the estimator applies exp).
    hidden_layer_sizes : int or sequence of int, default (100,)
        Width of each hidden layer.
    activation : str, default "relu"
        Hidden activation: scikit-learn's "identity", "logistic", "tanh", "relu", or any
        other layerwise activation ("gelu", "elu", "leaky_relu", "softplus", ...).
    solver : str, default "adam"
        "lbfgs" (scipy's L-BFGS-B over all parameters, full batch), "sgd", "adam", or a
        layerwise optimizer: "adamw", "rmsprop", "adagrad", "momentum", "nesterov".
    alpha : float, default 1e-4
        L2 penalty: the loss gets ``alpha / 2 * sum ||W||^2 / n_samples`` (weights only).
    batch_size : int or "auto", default "auto"
        Samples per step; "auto" is ``min(200, n_samples)``.
    learning_rate : {"constant", "invscaling", "adaptive"}, default "constant"
        Schedule of every stochastic solver but adam (as in scikit-learn).
    learning_rate_init : float, default 1e-3
    power_t : float, default 0.5
        Exponent of "invscaling": ``learning_rate_init / (t + 1) ** power_t``.
    max_iter : int, default 200
        Epochs of the stochastic solvers, iterations of lbfgs.
    shuffle : bool, default True
    random_state : int, RandomState or None
        Initial weights (scikit-learn's Glorot-uniform draws, in its order), shuffling,
        the early-stopping split.
    tol : float, default 1e-4
    verbose : bool or int, default False
        Print scikit-learn's progress lines ("Iteration 1, loss = ...").
    warm_start : bool, default False
    momentum : float, default 0.9
        sgd only.
    nesterovs_momentum : bool, default True
        sgd only.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` (stratified for single-output classification),
        stop on its score, restore the best weights.
    validation_fraction : float, default 0.1
    beta_1, beta_2, epsilon : float, default 0.9, 0.999, 1e-8
        adam only.
    n_iter_no_change : int or np.inf, default 10
    max_fun : int, default 15000
        lbfgs only: most loss evaluations.
    dropout : float, default 0.0
        layerwise's addition: dropout after every hidden layer during training.
    dtype : {None, "float32", "float64"}, default None
        layerwise's addition: the network's precision. None follows X (float32 in,
        float32 network; anything else float64), as scikit-learn.
    schedule : layerwise.training.schedules.Schedule or None, default None
        layerwise's addition: a learning-rate schedule (``lw.schedules.StepLR(10)``, ...)
        applied epoch by epoch to the stochastic solvers' optimizer, starting from
        ``learning_rate_init``; the estimator runs a copy, so the object given is not
        changed. Needs a stochastic solver and ``learning_rate="constant"``.

    Attributes
    ----------
    coefs_, intercepts_ : list of ndarray
        ``coefs_[i]`` of shape (n_in, n_out), ``intercepts_[i]`` of shape (n_out,);
        assignable, as in scikit-learn.
    model_ : layerwise.Sequential
        The network over those arrays, with the whole layerwise API.
    loss_, best_loss_, loss_curve_, validation_scores_, best_validation_score_
    n_iter_ : int
        Epochs (or lbfgs iterations) of the last ``fit``.
    t_ : int
        Training samples seen by the stochastic solvers, over all calls.
    n_layers_, n_outputs_, out_activation_, n_features_in_, feature_names_in_

    Examples
    --------
    >>> import layerwise as lw
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = lw.MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0)
    >>> reg = reg.fit(X, y / 100)
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: dict[str, list[Any]] = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self, loss: str = "squared_error", hidden_layer_sizes: int | Sequence[int] = (100,),
        activation: str = "relu", *, solver: str = "adam", alpha: float = 0.0001,
        batch_size: int | str = "auto", learning_rate: str = "constant",
        learning_rate_init: float = 0.001, power_t: float = 0.5, max_iter: int = 200,
        shuffle: bool = True, random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4, verbose: bool | int = False, warm_start: bool = False,
        momentum: float = 0.9, nesterovs_momentum: bool = True, early_stopping: bool = False,
        validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
        epsilon: float = 1e-8, n_iter_no_change: int | float = 10, max_fun: int = 15000,
        dropout: float = 0.0, dtype: str | type | None = None,
        schedule: Schedule | None = None,
    ) -> None:  # fmt: skip
        _init_params(self, locals())

    def _out_activation(self) -> str:
        if self.loss == "poisson":
            return "exp"
        return _SKLEARN_OUTPUT[targets.output_for("regression")[0]]

    @at_the_edge
    def predict(self, X: Any) -> Any:
        """Predictions, shape (n_samples,) for one target, else (n_samples, n_outputs)."""
        check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X: Any, check_input: bool = True) -> np.ndarray:
        y_pred = self._forward_pass_fast(X, check_input=check_input)
        return y_pred.ravel() if y_pred.shape[1] == 1 else y_pred

    def _score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        return self._score_with_function(X, y, sample_weight, r2_score)

    def _validate_input(
        self, X: Any, y: Any, incremental: bool, reset: bool
    ) -> tuple[Any, np.ndarray]:
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], multi_output=True, y_numeric=True,
            dtype=(np.float64, np.float32), reset=reset,
        )  # fmt: skip
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> Self:
        """One epoch over (X, y), continuing from the current network (or starting one).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default None

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)
