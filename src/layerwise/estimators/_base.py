"""What MLPClassifier and MLPRegressor share: the settings their parameters give,
initialisation, the loss and its gradient through the layerwise network, and ``fit``."""

from __future__ import annotations

import copy
from collections.abc import Callable
from numbers import Integral
from typing import Any, Self

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from layerwise._internal import array_api as _aa
from layerwise._internal.validation import check_allocation
from layerwise.estimators import _net, _solvers
from layerwise.estimators._checks import PARAMETERS, STOCHASTIC, check_sample_weight
from layerwise.estimators._dispatch import dispatched
from layerwise.model import Sequential
from layerwise.training.schedules import improved


class BaseMLP(BaseEstimator):
    """Shared code; the subclasses define ``__init__`` (scikit-learn's signatures)."""

    _parameter_constraints: dict[str, list[Any]] = PARAMETERS

    # ------------------------------------------------------------------ settings
    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, Integral | np.integer) or s <= 0:
                raise ValueError(
                    f"hidden_layer_sizes must be > 0, got {sizes}: give one positive integer "
                    "width per hidden layer, such as (100,) or (64, 32)"
                )
        return [int(s) for s in sizes]

    def _dtype(self, X: Any) -> np.dtype[Any]:
        if self.dtype is None:
            return X.dtype
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            dtype = None
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be None, 'float32' or 'float64', got {self.dtype!r}")
        return dtype

    def _check_data(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple[Any, Any]:
        X, y = self._validate_input(X, y, incremental, reset=reset)
        return X.astype(self._dtype(X), copy=False), y

    # ------------------------------------------------------------------ initialisation
    def _initialize(self, y: np.ndarray, layer_units: list[int], dtype: np.dtype[Any]) -> None:
        self.__dict__.pop("_net", None)  # a new network: the old one is not followed
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._out_activation()
        self.coefs_, self.intercepts_ = [], []
        for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:], strict=True):
            W, b = self._init_coef(fan_in, fan_out, dtype)
            self.coefs_.append(W)
            self.intercepts_.append(b)
        _net.build(self)
        self._best_params = _net.view(self).snapshot()
        if self.solver in STOCHASTIC:
            self.loss_curve_: list[float] = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_: list[float] | None = []
                self.best_validation_score_: float | None = -np.inf
                self.best_loss_: float | None = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = self.best_validation_score_ = None

    def _init_coef(
        self, fan_in: int, fan_out: int, dtype: np.dtype[Any]
    ) -> tuple[np.ndarray, np.ndarray]:
        # Glorot uniform with scikit-learn's factor (2 for logistic, 6 otherwise), drawn
        # from the same RandomState in the same order: the same random_state gives
        # scikit-learn's initial weights
        factor = 2.0 if self.activation == "logistic" else 6.0
        bound = np.sqrt(factor / (fan_in + fan_out))
        W = self._random_state.uniform(-bound, bound, (fan_in, fan_out))
        b = self._random_state.uniform(-bound, bound, fan_out)
        return W.astype(dtype, copy=False), b.astype(dtype, copy=False)

    # ------------------------------------------------------------------ the network
    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices, ``coefs_[i]`` of shape (n_in, n_out): the network's own arrays.
        Assignable (the list, or items of it), as in scikit-learn."""
        _net.follow(self)
        try:
            return self.__dict__["coefs_"]
        except KeyError:
            raise AttributeError("coefs_ exists once the estimator is fitted") from None

    @coefs_.setter
    def coefs_(self, value: list[np.ndarray]) -> None:
        self.__dict__["coefs_"] = value

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, ``intercepts_[i]`` of shape (n_out,): the network's own arrays."""
        _net.follow(self)
        try:
            return self.__dict__["intercepts_"]
        except KeyError:
            raise AttributeError("intercepts_ exists once the estimator is fitted") from None

    @intercepts_.setter
    def intercepts_(self, value: list[np.ndarray]) -> None:
        self.__dict__["intercepts_"] = value

    @property
    def model_(self) -> Sequential:
        """The layerwise network: its Dense layers hold ``coefs_[i]`` and ``intercepts_[i]``
        (the same arrays). Change it in place (``model_.widen(0, 64)``) and the next
        ``partial_fit`` or ``fit(warm_start=True)`` trains the changed network."""
        check_is_fitted(self, "coefs_")
        return _net.sync(self)

    def _forward_pass_fast(self, X: Any, check_input: bool = True) -> np.ndarray:
        if check_input:
            X = validate_data(
                self, X, accept_sparse=["csr", "csc"], reset=False,
                dtype=(np.float64, np.float32),
            )  # fmt: skip
        if self.dtype is not None:
            X = X.astype(self._dtype(X), copy=False)
        out, _ = _net.forward(_net.sync(self), X)
        return np.exp(out) if self.out_activation_ == "exp" else out

    def _backprop(
        self, X: Any, y: np.ndarray, sample_weight: np.ndarray | None
    ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """``(loss, coef_grads, intercept_grads)`` of scikit-learn's objective on (X, y):
        the mean loss plus ``alpha / 2 * sum ||W||^2`` over the summed sample weight."""
        net = _net.sync(self)
        out, caches = _net.forward(net, X, training=True)
        if self.out_activation_ == "exp":
            out = np.exp(out)
        name = self.loss
        if name == "log_loss" and self.out_activation_ == "logistic":
            name = "binary_log_loss"
        sw_sum = X.shape[0] if sample_weight is None else sample_weight.sum()
        loss = (
            float(_solvers.LOSSES[name](y, out, sample_weight))
            + (0.5 * self.alpha * sum(float(np.dot(W.ravel(), W.ravel())) for W in self.coefs_))
            / sw_sum
        )
        # The gradient of each canonical pair (sigmoid + log loss, softmax + log loss,
        # identity + squared error, exp + Poisson) with respect to the output Z is out - y.
        delta = out - y
        if sample_weight is not None:
            delta *= sample_weight.reshape(-1, 1)
        grads = _net.backward(net, caches, delta.astype(out.dtype, copy=False))
        # scikit-learn's order of operations, (A.T @ delta + alpha W) / n, so that the same
        # settings round the same way
        coef_grads = [(g.dW + self.alpha * W) / sw_sum for g, W in zip(grads, self.coefs_)]
        return loss, coef_grads, [g.db / sw_sum for g in grads]

    def _loss_grad_lbfgs(
        self, packed: np.ndarray, X: Any, y: np.ndarray, sample_weight: np.ndarray | None,
        *buffers: Any,
    ) -> tuple[float, np.ndarray]:  # fmt: skip
        """Loss and flat gradient at the flat parameters ``packed`` (scikit-learn's
        signature; its preallocated ``buffers`` are not needed)."""
        _solvers.unpack(packed, self.coefs_ + self.intercepts_)
        loss, coef_grads, intercept_grads = self._backprop(X, y, sample_weight)
        return loss, _solvers.pack(coef_grads + intercept_grads)

    def _step(self, coef_grads: list[np.ndarray], intercept_grads: list[np.ndarray]) -> None:
        params = [
            *((f"W{i}", W, g) for i, (W, g) in enumerate(zip(self.coefs_, coef_grads))),
            *((f"b{i}", b, g) for i, (b, g) in enumerate(zip(self.intercepts_, intercept_grads))),
        ]
        self._optimizer.optimizer.step(params)

    # ------------------------------------------------------------------ fit
    def _before_fit(self, y: Any, classes: Any) -> None:
        """The classifier's partial_fit: take ``classes`` on the first call."""

    def _check_schedule(self) -> None:
        if self.schedule is None:
            return
        if self.solver not in STOCHASTIC:
            raise ValueError(
                f"schedule={self.schedule!r} applies to the stochastic solvers "
                f"({', '.join(STOCHASTIC)}), not solver={self.solver!r}: L-BFGS has no "
                "learning rate; give schedule=None or a stochastic solver"
            )
        monitor = getattr(self.schedule, "monitor", None)  # ReduceLROnPlateau's
        logged = ("loss", "val_score") if self.early_stopping else ("loss",)
        if monitor is not None and monitor not in logged:
            raise ValueError(
                f"schedule={self.schedule!r} monitors {monitor!r}, but each epoch of this "
                f"estimator reports only {' and '.join(map(repr, logged))} (the training "
                "loss; the validation score with early_stopping=True); monitor one of those"
                + ("" if self.early_stopping else ", or set early_stopping=True")
            )
        if self.learning_rate != "constant":
            raise ValueError(
                f"schedule={self.schedule!r} sets the learning rate itself, so "
                f"learning_rate={self.learning_rate!r} would be a second schedule; give "
                "learning_rate='constant' with it"
            )

    def _fit(
        self, X: Any, y: Any, sample_weight: Any = None, incremental: bool = False,
        classes: Any = None,
    ) -> Self:  # fmt: skip
        like = dispatched(X)
        if like is not None:  # scikit-learn's solvers are NumPy: the data goes there
            X, y, sample_weight, classes = (
                _aa.to_numpy(a) if _aa.is_foreign(a) else a for a in (X, y, sample_weight, classes)
            )
        self._fit_numpy(X, y, sample_weight, incremental, classes)
        # where predictions go back to (None: NumPy, or dispatch off)
        self._array_like = None if like is None else _aa.convert(np.empty(0), like)
        return self

    def _fit_numpy(
        self, X: Any, y: Any, sample_weight: Any, incremental: bool, classes: Any
    ) -> Self:
        self._validate_params()
        self._check_schedule()
        sizes = self._hidden_sizes()
        before = self._snapshot()
        try:
            if incremental:
                self._before_fit(y, classes)
            first = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
            self._fit_checked(X, y, sample_weight, incremental, sizes, first)
        except BaseException:
            # a refused or failed fit leaves the estimator as it was before the call
            self._restore(before)
            raise
        return self

    # what a fit changes in place besides the weights (the rest of __dict__ it only rebinds)
    _MUTABLE = ("loss_curve_", "validation_scores_", "_optimizer", "_random_state")

    def _snapshot(self) -> tuple[dict[str, Any], Sequential | None, dict[str, np.ndarray]]:
        # first: it may point coefs_ at a widened network's arrays
        net = _net.view(self) if "coefs_" in self.__dict__ else None
        d = self.__dict__
        saved = {k: copy.deepcopy(v) if k in self._MUTABLE else v for k, v in d.items()}
        return saved, net, {} if net is None else net.snapshot()

    def _restore(
        self, snapshot: tuple[dict[str, Any], Sequential | None, dict[str, np.ndarray]]
    ) -> None:
        saved, net, weights = snapshot
        self.__dict__.clear()
        self.__dict__.update(saved)
        if net is not None:
            # the fit trains these very arrays in place (never reshapes them), so the
            # shapes agree and restore cannot refuse
            restored = net.restore(weights)
            assert restored, "a fit changed the shape of the arrays it was given"

    def _fit_checked(
        self, X: Any, y: Any, sample_weight: Any, incremental: bool, sizes: list[int],
        first: bool,
    ) -> None:  # fmt: skip
        if self.early_stopping and incremental:
            raise ValueError(
                "partial_fit does not support early_stopping=True; set early_stopping=False "
                "or call fit"
            )
        X, y = self._check_data(X, y, incremental, reset=first)
        sample_weight = check_sample_weight(sample_weight, X)
        y = y.reshape(-1, 1) if y.ndim == 1 else y
        units = [X.shape[1], *sizes, y.shape[1]]
        n_params = sum(a * b + b for a, b in zip(units[:-1], units[1:], strict=True))
        check_allocation(n_params, X.dtype, f"hidden_layer_sizes={tuple(sizes)}")
        self._random_state = check_random_state(self.random_state)
        if first:
            self._initialize(y, units, X.dtype)
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} output(s) but the fitted network has {self.n_outputs_}; "
                "give targets of the same shape as before, or warm_start=False"
            )
        if self.solver in STOCHASTIC:
            _solvers.fit_stochastic(self, X, y, sample_weight, incremental)
        else:
            _solvers.fit_lbfgs(self, X, y, sample_weight)
        if not all(np.isfinite(a).all() for a in self.coefs_ + self.intercepts_):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may contain "
                "large values and need to be preprocessed (for example with StandardScaler)."
            )

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Self:
        """Fit the network to X (n_samples, n_features) and y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (or an indicator matrix) for the classifier, numbers for the
            regressor.
        sample_weight : array-like of shape (n_samples,), default None

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    def _check_solver(self) -> bool:
        if self.solver not in STOCHASTIC:
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers. {self.solver} is "
                "not stochastic."
            )
        return True

    # ------------------------------------------------------------------ scores
    def _update_no_improvement_count(
        self, early_stopping: bool, X_val: Any, y_val: Any, sw_val: np.ndarray | None
    ) -> None:
        if early_stopping:
            score = self._score(X_val, y_val, sample_weight=sw_val)
            # a list since _initialize ran with early_stopping (None if a warm start turned
            # it on later: AttributeError, as in scikit-learn)
            self.validation_scores_.append(score)  # type: ignore[union-attr]
            if self.verbose:
                print(f"Validation score: {score:f}")
            # scikit-learn's rule (not the callbacks' strict one): no improvement when
            # score < best + tol
            if improved(
                score, self.best_validation_score_, mode="max", delta=self.tol, strict=False
            ):
                self._no_improvement_count = 0
            else:
                self._no_improvement_count += 1
            if improved(score, self.best_validation_score_, mode="max"):
                self.best_validation_score_ = score
                self._best_params = _net.view(self).snapshot()
        else:
            # scikit-learn's rule: no improvement when loss > best_loss - tol
            last = self.loss_curve_[-1]
            if improved(last, self.best_loss_, delta=self.tol, strict=False):
                self._no_improvement_count = 0
            else:
                self._no_improvement_count += 1
            if improved(last, self.best_loss_):  # min(best, last), NaN never the best
                self.best_loss_ = last

    def _score_with_function(
        self, X: Any, y: Any, sample_weight: Any, score_function: Callable[..., Any]
    ) -> float:
        y_pred = self._predict(X, check_input=False)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return float(score_function(y, y_pred, sample_weight=sample_weight))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True  # see dispatched(): NumPy inside, X's library outside
        return tags
