"""Callbacks: EarlyStopping, ModelCheckpoint, CSVLogger, ReduceLROnPlateau, user stops;
validation and per-epoch metrics; train_on_batch; the digits benchmark."""

from __future__ import annotations

import csv
import time

import numpy as np
import pytest

import layerwise as lw
from layerwise.training import callbacks as cbs


def _regression(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=n)
    return X, y


def _scripted(values):
    """A callback that overwrites logs['val_loss'] with a scripted sequence (an oracle whose
    best epoch we know)."""

    class Script(cbs.Callback):
        def on_epoch_end(self, epoch, logs):
            logs["val_loss"] = values[epoch - 1]

    return Script()


def test_early_stopping_stops_after_patience_and_restores_best_weights():
    X, y = _regression()
    values = [5, 4, 3, 3.5, 3.2, 3.1, 3.0, 2.0, 9, 9]
    model = lw.mlp(3, [4], 1, seed=0, dtype="float64")
    weights = {}
    keep = cbs.LambdaCallback(
        on_epoch_end=lambda e, logs: weights.__setitem__(e, model.layers[0].W.copy())
    )
    stop = cbs.EarlyStopping(patience=3, restore_best_weights=True)
    h = model.fit(X, y, epochs=10, callbacks=[_scripted(values), keep, stop], verbose=False)
    # best = 3 at epoch 3; epochs 4, 5, 6 do not improve -> stop after epoch 6
    assert len(h) == 6 and stop.stopped_epoch == 6 and stop.best_epoch == 3
    np.testing.assert_array_equal(model.layers[0].W, weights[3])
    assert not np.array_equal(weights[3], weights[6])


def test_early_stopping_min_delta_and_mode_max():
    X, y = _regression()
    model = lw.mlp(3, [4], 1, seed=0)
    stop = cbs.EarlyStopping(patience=2, min_delta=0.5)
    h = model.fit(X, y, epochs=10, callbacks=[_scripted([5, 4.8, 4.6, 4.0, 1, 1])] + [stop],
                  verbose=False)  # fmt: skip
    assert len(h) == 3  # 4.8 and 4.6 are not 0.5 better than 5
    acc = cbs.EarlyStopping("val_accuracy", patience=1)
    assert acc.mode == "max"


def test_early_stopping_on_a_real_run_without_restore_keeps_last_weights():
    X, y = _regression()
    model = lw.mlp(3, [8], 1, seed=1)
    stop = cbs.EarlyStopping(monitor="val_loss", patience=3)
    h = model.fit(X, y, optimizer="adam", lr=0.3, epochs=400, validation_split=0.25,
                  callbacks=[stop], verbose=False)  # fmt: skip
    assert len(h) < 400
    assert min(h.val_loss) == stop.best
    assert len(h) == stop.best_epoch + 3


def test_user_callback_stops_training():
    class StopAt(cbs.Callback):
        def on_epoch_end(self, epoch, logs):
            if epoch == 4:
                self.model.stop_training = True

    X, y = _regression()
    model = lw.mlp(3, [4], 1, seed=0)
    h = model.fit(X, y, epochs=50, callbacks=[StopAt()], verbose=False)
    assert len(h) == 4 and model.epochs_trained == 4
    h2 = model.fit(X, y, epochs=2, verbose=False)  # the flag is reset by the next fit
    assert h2.epoch == [5, 6]


def test_monitor_missing_is_a_clear_error():
    X, y = _regression()
    with pytest.raises(ValueError, match="pass validation_data"):
        lw.mlp(3, [4], 1).fit(X, y, epochs=2, callbacks=[cbs.EarlyStopping()], verbose=False)


def test_csv_logger_writes_every_epoch(tmp_path):
    X, y = _regression()
    path = tmp_path / "log.csv"
    model = lw.mlp(3, [4], 1, seed=0)
    h = model.fit(X, y, epochs=5, validation_split=0.2, callbacks=[cbs.CSVLogger(path)],
                  verbose=False)  # fmt: skip
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4, 5]
    assert [float(r["loss"]) for r in rows] == h.loss
    assert [float(r["val_loss"]) for r in rows] == h.val_loss
    assert [float(r["val_r2"]) for r in rows] == h.metrics["val_r2"]
    model.fit(X, y, epochs=2, validation_split=0.2, verbose=False,
              callbacks=[cbs.CSVLogger(path, append=True)])  # fmt: skip
    with open(path, newline="") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [1, 2, 3, 4, 5, 6, 7]


def test_model_checkpoint_save_best_only(tmp_path):
    X, y = _regression()
    values = [3, 2, 2.5, 1, 4]
    model = lw.mlp(3, [4], 1, seed=0, dtype="float64")
    weights = {}
    keep = cbs.LambdaCallback(
        on_epoch_end=lambda e, logs: weights.__setitem__(e, model.layers[0].W.copy())
    )
    ck = cbs.ModelCheckpoint(tmp_path / "best.npz", save_best_only=True)
    every = cbs.ModelCheckpoint(str(tmp_path / "ep{epoch:02d}.npz"))
    model.fit(X, y, epochs=5, callbacks=[_scripted(values), keep, ck, every], verbose=False)
    best = lw.load(tmp_path / "best.npz")
    assert best.epochs_trained == 4
    np.testing.assert_array_equal(best.layers[0].W, weights[4])
    assert sorted(p.name for p in tmp_path.glob("ep*.npz")) == [f"ep0{i}.npz" for i in range(1, 6)]
    assert lw.load(tmp_path / "ep02.npz").epochs_trained == 2


def test_reduce_lr_on_plateau_callback():
    X, y = _regression()
    model = lw.mlp(3, [4], 1, seed=0)
    values = [5, 4, 4, 4, 4, 4, 4, 4]
    red = cbs.ReduceLROnPlateau(factor=0.5, patience=2, min_lr=0.003)
    h = model.fit(X, y, lr=0.01, epochs=8, callbacks=[_scripted(values), red], verbose=False)
    # torch's counting: a drop once more than 2 bad epochs in a row (after epochs 5 and 8)
    assert h.lr == pytest.approx([0.01] * 5 + [0.005] * 3)
    assert model.optimizer.lr == pytest.approx(0.003)  # floored at min_lr


def test_validation_data_and_metrics():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(100, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = lw.mlp(2, [8], 2, output_activation="softmax", seed=0, dtype="float64")
    h = model.fit(X[:80], y[:80], loss="cce", optimizer="adam", lr=0.05, epochs=5,
                  validation_data=(X[80:], y[80:]), verbose=False)  # fmt: skip
    pred = model.predict(X[80:]).argmax(1)
    assert h.metrics["val_accuracy"][-1] == np.mean(pred == y[80:])
    assert h.val_loss[-1] == pytest.approx(model.evaluate(X[80:], y[80:], "cce"), rel=1e-12)
    # regression metrics: r2 and mae, against scikit-learn
    from sklearn.metrics import mean_absolute_error, r2_score

    Xr, yr = _regression()
    m = lw.mlp(3, [8], 1, seed=0, dtype="float64")
    h = m.fit(Xr, yr, optimizer="adam", lr=0.05, epochs=5, validation_split=0.25, verbose=False)
    p = m.predict(Xr[60:])[:, 0]
    assert h.metrics["val_r2"][-1] == pytest.approx(r2_score(yr[60:], p), rel=1e-12)
    assert h.metrics["val_mae"][-1] == pytest.approx(mean_absolute_error(yr[60:], p), rel=1e-12)


def test_train_on_batch_streams_and_keeps_the_optimizer():
    X, y = _regression(n=200)
    model = lw.mlp(3, [8], 1, seed=0, dtype="float64")
    ref = model.copy()
    losses = [model.train_on_batch(X[i : i + 20], y[i : i + 20], optimizer="adam", lr=0.05)
              for i in range(0, 200, 20)]  # fmt: skip
    opt = model.optimizer
    assert isinstance(opt, lw.optimizers.Adam) and opt.iterations == 10
    model.train_on_batch(X[:20], y[:20])
    assert model.optimizer is opt and opt.iterations == 11
    # same as stepping by hand with the three steps and a torch-checked Adam
    hand = lw.optimizers.Adam(lr=0.05)
    for i in range(0, 200, 20):
        A, c = ref.forward(X[i : i + 20], training=True)
        assert losses[i // 20] == pytest.approx(ref.evaluate(X[i : i + 20], y[i : i + 20], "mse"))
        hand.step(ref.param_grads(ref.backward(c, y[i : i + 20], "mse")))
    ref_opt_model = ref  # after 10 steps
    model2 = lw.mlp(3, [8], 1, seed=0, dtype="float64")
    for i in range(0, 200, 20):
        model2.train_on_batch(X[i : i + 20], y[i : i + 20], optimizer="adam", lr=0.05)
    for a, b in zip(model2.parameters().values(), ref_opt_model.parameters().values()):
        np.testing.assert_array_equal(a, b)


def test_fit_optimizer_object_uses_its_own_lr_and_names_build_one():
    X, y = _regression()
    model = lw.mlp(3, [4], 1, seed=0)
    opt = lw.optimizers.RMSprop(lr=0.003)
    h = model.fit(X, y, optimizer=opt, lr=0.5, epochs=2, verbose=False)
    assert model.optimizer is opt and h.lr == [0.003, 0.003]
    h = model.fit(X, y, optimizer="adam", lr=1e-3, epochs=1, verbose=False)
    assert isinstance(model.optimizer, lw.optimizers.Adam) and h.lr == [1e-3]
    adam = model.optimizer
    model.fit(X, y, epochs=1, verbose=False)  # no optimizer given: continues Adam
    assert model.optimizer is adam and adam.iterations == 2


def test_digits_adam_early_stopping_reaches_97_percent():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    # the fixed split: scikit-learn's default shuffle with random_state=0. (On the stratified
    # split with the same seed this recipe scores 96.4-97.2% over seeds 0-2, where
    # scikit-learn's own MLPClassifier(128, 64) with early stopping scores 95.0-97.2%.)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0)
    sc = StandardScaler().fit(Xtr)
    Xtr, Xte = sc.transform(Xtr), sc.transform(Xte)
    model = lw.mlp(64, [128, 64], 10, output_activation="softmax", seed=0)
    stop = cbs.EarlyStopping(patience=10, restore_best_weights=True)
    t0 = time.perf_counter()
    model.fit(Xtr, ytr, loss="cce", optimizer="adam", lr=1e-3, epochs=200, batch_size=32,
              validation_split=0.1, callbacks=[stop], verbose=False)  # fmt: skip
    seconds = time.perf_counter() - t0
    acc = np.mean(model.predict(Xte).argmax(1) == yte)
    print(f"digits: test accuracy {acc:.4f}, {model.epochs_trained} epochs, {seconds:.2f} s")
    assert acc >= 0.97


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
