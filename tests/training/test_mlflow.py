"""layerwise.training._mlflow: MLflowLogger logs a run's parameters, every epoch's
metrics and the model into a local MLflow store (read back with MLflow's client).
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw


# ------------------------------------------------------------------ MLflowLogger
@pytest.fixture
def mlflow_store(tmp_path, monkeypatch):
    """MLflow with a local file store in a temporary folder."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLflow's own import-time notices
        pytest.importorskip("mlflow")
        pytest.importorskip("mlflow.pyfunc")
        pytest.importorskip("mlflow.sklearn")
    import mlflow

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri("file://" + str(tmp_path / "mlruns"))
    yield mlflow
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


def test_mlflow_logger_logs_params_every_epoch_and_the_model(mlflow_store, tmp_path):
    mlflow = mlflow_store
    X = np.random.default_rng(0).normal(size=(60, 3))
    y = X[:, 0] > 0
    model = lw.mlp(3, [6], 1, output_activation="sigmoid", seed=0)
    logger = lw.callbacks.MLflowLogger(params={"data": "noise"})
    history = model.fit(X, y, loss="bce", optimizer="adam", lr=0.01, epochs=4,
                        validation_split=0.25, callbacks=[logger], verbose=False)  # fmt: skip
    run = mlflow.get_run(logger.run_id)
    assert run.info.status == "FINISHED"  # the logger started the run, and ended it
    params = run.data.params
    assert params["loss"] == "bce" and params["optimizer.name"] == "adam"
    assert params["layers"] == "Dense(6, relu), Dense(1, sigmoid)" and params["data"] == "noise"
    assert params["n_params"] == str(model.n_params())
    client = mlflow.MlflowClient()
    for name in ("loss", "val_loss", "accuracy", "val_accuracy"):
        logged = client.get_metric_history(logger.run_id, name)
        values = history.loss if name == "loss" else history.val_loss if name == "val_loss" else (
            history.metrics[name])  # fmt: skip
        assert [m.value for m in sorted(logged, key=lambda m: m.step)] == values
        assert [m.step for m in sorted(logged, key=lambda m: m.step)] == [1, 2, 3, 4]
    folder = mlflow.artifacts.download_artifacts(run_id=logger.run_id, artifact_path="model",
                                                 dst_path=str(tmp_path / "back"))  # fmt: skip
    again = lw.load(f"{folder}/model.npz")
    np.testing.assert_array_equal(again.predict(X), model.predict(X))


def test_mlflow_logger_logs_into_the_active_run_and_a_second_fit(mlflow_store):
    mlflow = mlflow_store
    X = np.random.default_rng(0).normal(size=(40, 2))
    model = lw.mlp(2, [3], 1, seed=0)
    logger = lw.callbacks.MLflowLogger(log_model=False)
    with mlflow.start_run() as run:
        model.fit(X, X[:, 0], loss="mse", epochs=2, callbacks=[logger], verbose=False)
        model.fit(X, X[:, 0], loss="mse", epochs=2, callbacks=[logger], verbose=False)
        assert mlflow.active_run().info.run_id == run.info.run_id  # not ended by the logger
    steps = mlflow.MlflowClient().get_metric_history(run.info.run_id, "loss")
    assert sorted(m.step for m in steps) == [1, 2, 3, 4]


@pytest.mark.slow
def test_mlflow_logger_logs_a_fitted_estimator(mlflow_store):
    pytest.importorskip("sklearn")
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    mlflow = mlflow_store
    X = np.random.default_rng(0).normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = lw.MLPClassifier(
        (5,),
        max_iter=8,
        early_stopping=True,
        learning_rate_init=0.05,
        validation_fraction=0.25,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    run_id = lw.callbacks.MLflowLogger().log_estimator(clf, pip_requirements=[])
    run = mlflow.get_run(run_id)
    assert run.data.params["hidden_layer_sizes"] == "(5,)"
    assert len(run.data.params) == len(clf.get_params())
    history = mlflow.MlflowClient().get_metric_history(run_id, "val_score")
    assert {m.step: m.value for m in history} == dict(enumerate(clf.validation_scores_))
    assert run.data.metrics["n_iter_"] == clf.n_iter_
    again = mlflow.sklearn.load_model(f"runs:/{run_id}/model")
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_mlflow_logger_refuses_bad_arguments():
    with pytest.raises(TypeError, match="log_model must be True or False"):
        lw.callbacks.MLflowLogger(log_model="yes")
    with pytest.raises(TypeError, match="params must be a dict"):
        lw.callbacks.MLflowLogger(params=["a"])
    with pytest.raises(TypeError, match="log_estimator takes a fitted scikit-learn estimator"):
        lw.callbacks.MLflowLogger().log_estimator(lw.mlp(2, [3], 1))
