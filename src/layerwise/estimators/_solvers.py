"""The solvers of the estimators, as scikit-learn runs them: L-BFGS over the flattened
parameters, and the stochastic loop (sgd, adam and layerwise's other optimizers) with
scikit-learn's learning-rate schedules, stopping rules and verbose output.

Both call the estimator's ``_backprop`` (the network's own forward and backward steps, see
:mod:`layerwise.estimators._net`) for the loss and its gradient.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.optimize
from scipy import sparse
from scipy.special import xlogy
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches, shuffle

from layerwise import optimizers as _optimizers
from layerwise.estimators import _net

# ------------------------------------------------------------------ losses (sklearn's)
# Each is sklearn's definition (sklearn/neural_network/_base.py), so that loss_ and
# loss_curve_ read the same numbers: half squared error, half Poisson deviance, log loss.


def _squared(y: np.ndarray, out: np.ndarray, sw: np.ndarray | None) -> float:
    return 0.5 * np.average((y - out) ** 2, weights=sw, axis=0).mean()


def _poisson(y: np.ndarray, out: np.ndarray, sw: np.ndarray | None) -> float:
    return np.average(xlogy(y, y / out) - y + out, weights=sw, axis=0).sum()


def _log_loss(y: np.ndarray, prob: np.ndarray, sw: np.ndarray | None) -> float:
    eps = np.finfo(prob.dtype).eps  # clip so that log never sees 0 or 1
    prob = np.clip(prob, eps, 1 - eps)
    if prob.shape[1] == 1:
        prob = np.append(1 - prob, prob, axis=1)
    if y.shape[1] == 1:
        y = np.append(1 - y, y, axis=1)
    return -np.average(xlogy(y, prob), weights=sw, axis=0).sum()


def _binary_log_loss(y: np.ndarray, prob: np.ndarray, sw: np.ndarray | None) -> float:
    eps = np.finfo(prob.dtype).eps
    prob = np.clip(prob, eps, 1 - eps)
    terms = xlogy(y, prob) + xlogy(1 - y, 1 - prob)
    return -np.average(terms, weights=sw, axis=0).sum()


LOSSES: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray | None], float]] = {
    "squared_error": _squared,
    "poisson": _poisson,
    "log_loss": _log_loss,
    "binary_log_loss": _binary_log_loss,
}


# ------------------------------------------------------------------ learning rate


class LearningRate:
    """A layerwise optimizer under scikit-learn's learning-rate rules.

    ``learning_rate`` is the optimizer's ``lr``. ``"invscaling"`` sets it to
    ``learning_rate_init / (t + 1) ** power_t`` after every epoch (``t``: samples seen);
    ``"adaptive"`` divides it by 5 each time training stalls, and stops once it is below
    1e-6. Adam keeps its rate constant, as in scikit-learn.
    """

    def __init__(self, optimizer: _optimizers.Optimizer, schedule: str, power_t: float):
        self.optimizer = optimizer
        self.learning_rate_init = float(optimizer.lr)
        self.schedule = "constant" if optimizer.name == "adam" else schedule
        self.power_t = power_t

    @property
    def learning_rate(self) -> float:
        return self.optimizer.lr

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.optimizer.lr = float(value)

    def iteration_ends(self, time_step: int) -> None:
        if self.schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (time_step + 1) ** self.power_t

    def trigger_stopping(self, msg: str, verbose: Any) -> bool:
        """True to stop; with "adaptive", first lower the rate while it is above 1e-6."""
        if self.schedule != "adaptive":
            _say(verbose, msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            _say(verbose, msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        _say(verbose, f"{msg} Setting learning rate to {self.learning_rate:f}")
        return False


def _say(verbose: Any, line: str) -> None:
    # scikit-learn's verbose output is print() to stdout; a drop-in prints the same lines
    if verbose:
        print(line)


def make_optimizer(est: Any) -> LearningRate:
    """The optimizer named by ``est.solver``, with scikit-learn's settings."""
    lr = est.learning_rate_init
    if est.solver == "sgd":
        opt: _optimizers.Optimizer = _optimizers.SGD(
            lr, momentum=est.momentum, nesterov=bool(est.nesterovs_momentum and est.momentum)
        )
    elif est.solver == "adam":
        opt = _optimizers.Adam(lr, betas=(est.beta_1, est.beta_2), eps=est.epsilon)
    else:
        opt = _optimizers.get(est.solver, lr=lr)
    if getattr(est, "schedule", None) is not None:
        copy.deepcopy(est.schedule).attach(opt)  # a copy: fit leaves its parameters alone
    return LearningRate(opt, est.learning_rate, est.power_t)


# ------------------------------------------------------------------ L-BFGS


def pack(arrays: list[np.ndarray]) -> np.ndarray:
    return np.hstack([np.ravel(a) for a in arrays]).astype(np.float64, copy=False)


def unpack(packed: np.ndarray, arrays: list[np.ndarray]) -> None:
    """Copy ``packed`` into ``arrays`` in place (their dtype and identity are kept)."""
    start = 0
    for a in arrays:
        a[...] = packed[start : start + a.size].reshape(a.shape)
        start += a.size


def fit_lbfgs(est: Any, X: Any, y: np.ndarray, sample_weight: np.ndarray | None) -> None:
    """scipy's L-BFGS-B over the flattened ``coefs_ + intercepts_``."""
    X = X.toarray() if sparse.issparse(X) else X  # once, not at every evaluation
    result = scipy.optimize.minimize(
        est._loss_grad_lbfgs,
        pack(est.coefs_ + est.intercepts_),
        method="L-BFGS-B",
        jac=True,
        options={"maxfun": est.max_fun, "maxiter": est.max_iter, "gtol": est.tol},
        args=(X, y, sample_weight),
    )
    if result.status != 0:
        message = result.message
        message = message.decode("latin1") if isinstance(message, bytes) else message
        warnings.warn(
            f"lbfgs failed to converge after {result.nit} iteration(s) (status="
            f"{result.status}): {message}. Increase the number of iterations (max_iter) "
            "or the number of function evaluations (max_fun), or scale the data.",
            ConvergenceWarning,
            stacklevel=4,
        )
    est.n_iter_ = min(int(result.nit), est.max_iter)
    est.loss_ = float(result.fun)
    unpack(result.x, est.coefs_ + est.intercepts_)


# ------------------------------------------------------------------ stochastic


_DENSE_AT_ONCE = 2**22  # elements (32 MiB of float64)


def _split(
    est: Any, X: Any, y: np.ndarray, sample_weight: np.ndarray | None
) -> tuple[tuple[Any, np.ndarray, Any], tuple[Any, Any, Any]]:
    """The early-stopping split, as scikit-learn's: stratified for single-output
    classification, at least 2 validation samples."""
    stratify = y if is_classifier(est) and est.n_outputs_ == 1 else None
    arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
    parts = train_test_split(
        *arrays, random_state=est._random_state, test_size=est.validation_fraction,
        stratify=stratify,
    )  # fmt: skip
    X_tr, X_val, y_tr, y_val = parts[:4]
    sw_tr, sw_val = (parts[4], parts[5]) if sample_weight is not None else (None, None)
    if X_val.shape[0] < 2:
        raise ValueError(
            f"The validation set is too small: early_stopping with validation_fraction="
            f"{est.validation_fraction} of {X.shape[0]} samples leaves {X_val.shape[0]} "
            "for validation. Increase 'validation_fraction' or the size of your dataset."
        )
    if is_classifier(est):
        y_val = est._label_binarizer.inverse_transform(y_val)
    return (X_tr, y_tr, sw_tr), (X_val, y_val, sw_val)


def _batch_size(est: Any, n_samples: int) -> int:
    if est.batch_size == "auto":
        return min(200, n_samples)
    if est.batch_size > n_samples:
        warnings.warn(
            f"batch_size={est.batch_size} is larger than the {n_samples} training samples; "
            f"it is clipped to {n_samples}",
            UserWarning,
            stacklevel=4,
        )
    return int(np.clip(est.batch_size, 1, n_samples))


def _epoch(
    est: Any, X: Any, y: np.ndarray, sw: np.ndarray | None, idx: np.ndarray, batch_size: int
) -> float:
    """One pass over the batches in the order ``idx``; returns the sample-averaged loss."""
    total = 0.0
    for batch in gen_batches(len(idx), batch_size):
        rows = idx[batch] if est.shuffle else batch
        sw_b = None if sw is None else sw[rows]
        loss, coef_grads, intercept_grads = est._backprop(X[rows], y[rows], sw_b)
        total += loss * (batch.stop - batch.start)
        est._step(coef_grads, intercept_grads)
    return total / len(idx)


def _forget_reshaped(est: Any) -> None:
    """Reset, on purpose, the optimizer state of parameters whose shape changed since the
    last call (the network was widened or pruned in between)."""
    opt = est._optimizer.optimizer
    params = {f"W{i}": W for i, W in enumerate(est.coefs_)}
    params.update({f"b{i}": b for i, b in enumerate(est.intercepts_)})
    for key, state in list(opt.state.items()):
        p = params.get(key)
        if p is None or any(np.shape(v) not in ((), p.shape) for v in state.values()):
            opt.forget(key=key)


def fit_stochastic(
    est: Any, X: Any, y: np.ndarray, sample_weight: np.ndarray | None, incremental: bool
) -> None:
    """scikit-learn's epoch loop: ``max_iter`` epochs (one for ``partial_fit``), stopping
    when the training loss (or, with early stopping, the validation score) has not
    improved by ``tol`` for more than ``n_iter_no_change`` epochs."""
    if not incremental or not hasattr(est, "_optimizer"):
        est._optimizer = make_optimizer(est)
    _forget_reshaped(est)
    early = est.early_stopping
    weights = _net.view(est)
    best = getattr(est, "_best_params", None)
    shapes = {k: a.shape for k, a in weights.parameters().items()}
    if best is None or {k: a.shape for k, a in best.items()} != shapes:
        est._best_params = weights.snapshot()  # (the network changed shape)
    if early:
        (X, y, sample_weight), validation = _split(est, X, y, sample_weight)
    else:
        validation = (None, None, None)
    if sparse.issparse(X) and X.shape[0] * X.shape[1] <= _DENSE_AT_ONCE:
        X = X.toarray()  # small enough: once, rather than one batch at a time every epoch
    idx = np.arange(X.shape[0])
    batch_size = _batch_size(est, X.shape[0])
    est.n_iter_ = 0
    schedule = est._optimizer.optimizer.schedule  # layerwise's schedule=, or None
    for _ in range(est.max_iter):
        if est.shuffle:  # each epoch permutes the last one's order, as scikit-learn does
            idx = shuffle(idx, random_state=est._random_state)
        if schedule is not None:
            schedule.begin_epoch(est._optimizer.optimizer)
        est.loss_ = float(_epoch(est, X, y, sample_weight, idx, batch_size))
        est.n_iter_ += 1
        est.t_ += X.shape[0]
        est.loss_curve_.append(est.loss_)
        _say(est.verbose, f"Iteration {est.n_iter_}, loss = {est.loss_:.8f}")
        est._update_no_improvement_count(early, *validation)
        if schedule is not None:
            logs = {"loss": est.loss_}
            if early:
                logs["val_score"] = est.validation_scores_[-1]
            schedule.end_epoch(logs, est._optimizer.optimizer)
        est._optimizer.iteration_ends(est.t_)
        if est._no_improvement_count > est.n_iter_no_change:
            what = "Validation score" if early else "Training loss"
            msg = (
                f"{what} did not improve more than tol={est.tol:f} for "
                f"{est.n_iter_no_change} consecutive epochs."
            )
            if est._optimizer.trigger_stopping(msg, est.verbose):
                break
            est._no_improvement_count = 0
        if incremental:
            break
        if est.n_iter_ == est.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=4,
            )
    if early:  # the weights of the best validation score
        _net.view(est).restore(est._best_params)
