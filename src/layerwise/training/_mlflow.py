"""``layerwise.training.callbacks.MLflowLogger``: a training run, logged to MLflow as it happens.

MLflow's ``mlflow.sklearn.autolog()`` patches the ``fit`` of scikit-learn's own classes
only (it lists them with ``sklearn.utils.all_estimators``), so a layerwise estimator's fit is
not logged by it (inside a scikit-learn ``Pipeline`` it is, as one of the Pipeline's steps).
This logger does the same work for layerwise, for a ``Sequential`` (as a callback of ``fit``)
and for a fitted estimator (``log_estimator``). MLflow is imported only when it logs.
"""

from __future__ import annotations

import math
import os
import tempfile
import warnings
from typing import Any

from layerwise._internal.validation import Boolean, Instance, set_params
from layerwise.training._callback import Callback  # the base class lives with the loop


def _mlflow() -> Any:
    try:
        with warnings.catch_warnings():
            # MLflow's own import-time notice about its type hints (mlflow.pyfunc), which
            # says nothing about the caller's code
            warnings.filterwarnings("ignore", ".*Any type hint is inferred", UserWarning)
            import mlflow
            import mlflow.pyfunc  # noqa: F401 (loaded lazily by mlflow.sklearn otherwise)
            import mlflow.sklearn
    except ImportError as exc:
        raise ImportError(
            "MLflowLogger needs MLflow; install it with: pip install 'layerwise[mlflow]' "
            "(or pip install mlflow)"
        ) from exc
    return mlflow


def _flat(prefix: str, value: Any, out: dict[str, Any]) -> None:
    """Nested dicts as ``"a.b"`` keys; MLflow keeps every parameter as a string."""
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = value if isinstance(value, str | int | float | bool) else repr(value)


def _metrics(values: dict[str, Any]) -> dict[str, float]:
    out = {}
    for k, v in values.items():
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            out[k] = float(v)
    return out


class MLflowLogger(Callback):
    """Log a training run to MLflow: its parameters, every epoch's loss and metrics, and the
    final model.

    As a callback of ``model.fit(..., callbacks=[MLflowLogger()])``: at the start, the run's
    settings (``History.params``: loss, optimizer and its hyperparameters, lr, batch size,
    epochs ...) and the architecture (``layers``, ``n_params``) as parameters; after each
    epoch, every value of its logs (``loss``, ``val_loss``, ``accuracy``, ``lr`` ...) as a
    metric at ``step=epoch``; at the end, the model saved by ``lw.save`` as the artifact
    ``model/model.npz`` (read it back with ``lw.load``).

    For a fitted ``lw.MLPClassifier`` / ``MLPRegressor`` (or a Pipeline ending in one), call
    :meth:`log_estimator` after ``fit``.

    The run is MLflow's active run; without one, the logger starts a run when training
    starts and ends it when training ends. Where MLflow writes is MLflow's setting
    (``mlflow.set_tracking_uri``, ``MLFLOW_TRACKING_URI``).

    Parameters
    ----------
    log_model : bool, default True
        Log the final model as an artifact.
    params : dict, optional
        More parameters to log (the data set's name, ...), JSON-like values.

    Examples
    --------
    >>> import mlflow, layerwise as lw                                    # doctest: +SKIP
    >>> with mlflow.start_run():                                         # doctest: +SKIP
    ...     model.fit(X, y, loss="bce", epochs=50,
    ...               callbacks=[lw.callbacks.MLflowLogger(params={"data": "moons"})])
    """

    _parameter_constraints = {
        "log_model": [Boolean()],
        "params": [Instance(dict, what="a dict"), None],
    }
    log_model: bool  # set by set_params

    def __init__(self, *, log_model: bool = True, params: dict[str, Any] | None = None) -> None:
        set_params(self, log_model=log_model, params=params)
        self.params = dict(params or {})
        self._started = False
        self.run_id: str | None = None

    def _start(self) -> Any:
        mlflow = _mlflow()
        self._started = mlflow.active_run() is None
        run = mlflow.start_run() if self._started else mlflow.active_run()
        self.run_id = run.info.run_id
        return mlflow

    def _end(self, mlflow: Any) -> None:
        if self._started:
            mlflow.end_run()
            self._started = False

    def _log_params(self, mlflow: Any, params: dict[str, Any]) -> None:
        flat: dict[str, Any] = {}
        _flat("", {**params, **self.params}, flat)
        logged = mlflow.get_run(self.run_id).data.params  # a second fit in the same run
        mlflow.log_params({k: v for k, v in flat.items() if k not in logged})

    # ------------------------------------------------------------------ Sequential.fit
    def on_train_begin(self, logs: dict[str, Any]) -> None:
        mlflow = self._start()
        model = self.model
        params = dict(getattr(self.history, "params", None) or {})
        params.pop("threads", None)  # the machine's, not the run's
        layers = ", ".join(
            f"{type(layer).__name__}({getattr(layer, 'units', '')}"
            f"{', ' + layer.activation.name if hasattr(layer, 'activation') else ''})"
            for layer in model.layers
        )
        self._log_params(
            mlflow,
            {
                **params,
                "input_dim": model.input_dim,
                "layers": layers,
                "n_params": model.n_params(),
                "dtype": model.dtype.name,
            },  # fmt: skip
        )

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        _mlflow().log_metrics(_metrics(logs), step=int(epoch), run_id=self.run_id)

    def on_train_end(self, logs: dict[str, Any]) -> None:
        mlflow = _mlflow()
        if self.log_model:
            from layerwise.saving import save

            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "model.npz")
                save(self.model, path, history=self.history)
                mlflow.log_artifact(path, artifact_path="model", run_id=self.run_id)
        self._end(mlflow)

    # ------------------------------------------------------------------ estimators
    def log_estimator(self, estimator: Any, **log_model_kwargs: Any) -> str:
        """Log a fitted estimator (or a Pipeline, search ... holding one): its parameters
        (``get_params()``, nested ones as ``step__name``), its loss curve and validation
        scores at ``step=epoch``, the final ``loss_``, ``best_loss_``,
        ``best_validation_score_`` and ``n_iter_``, and (``log_model=True``) the estimator
        itself by ``mlflow.sklearn.log_model`` in MLflow's default (skops) format, with the
        types layerwise trusts (``layerwise.saving.trusted_types``); ``log_model_kwargs`` go to
        ``log_model`` (``name="model"`` by default). Returns the run's id."""
        from layerwise.saving._sklearn import is_sklearn_object, trusted_types

        if not is_sklearn_object(estimator):
            raise TypeError(
                "log_estimator takes a fitted scikit-learn estimator (lw.MLPClassifier, "
                f"lw.MLPRegressor, a Pipeline ...), got {type(estimator).__name__}; for a "
                "Sequential pass the logger to fit(callbacks=[...])"
            )
        mlp = estimator
        while hasattr(mlp, "steps"):  # a Pipeline: its last step
            mlp = mlp.steps[-1][1]
        mlp = getattr(mlp, "best_estimator_", mlp)
        if not hasattr(mlp, "n_iter_"):
            raise ValueError(
                f"log_estimator needs a fitted estimator; {type(estimator).__name__} is not "
                "fitted (or does not end in an MLP): call fit first"
            )
        mlflow = self._start()
        try:
            self._log_params(mlflow, {k: v for k, v in estimator.get_params().items()
                                      if not hasattr(v, "get_params")})  # fmt: skip
            for step, loss in enumerate(getattr(mlp, "loss_curve_", None) or []):
                mlflow.log_metrics(_metrics({"loss": loss}), step=step, run_id=self.run_id)
            for step, score in enumerate(getattr(mlp, "validation_scores_", None) or []):
                mlflow.log_metrics(_metrics({"val_score": score}), step=step, run_id=self.run_id)
            final = {k: getattr(mlp, k, None) for k in
                     ("loss_", "best_loss_", "best_validation_score_", "n_iter_")}  # fmt: skip
            mlflow.log_metrics(_metrics(final), run_id=self.run_id)
            if self.log_model:
                kwargs = {"name": "model", **log_model_kwargs}
                kwargs.setdefault("skops_trusted_types", trusted_types(estimator))
                mlflow.sklearn.log_model(estimator, **kwargs)
        finally:
            self._end(mlflow)
        assert self.run_id is not None  # set by _start
        return self.run_id
