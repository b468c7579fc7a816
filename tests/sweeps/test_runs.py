"""layerwise.sweeps._runs: one run is the plain training on a standardised split (the
oracle: ``lw.mlp`` + ``fit`` written out here), the grid expands to canonical values, bad
grids are refused before any run, a divergence is recorded. The data of a sweep (labels
refused before any run) is tested in test_data.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from layerwise.sweeps import expand_grid, prepare_data, run_id, run_one


def test_run_one_is_the_plain_training_on_a_standardised_split():
    X, y = lw.datasets.load("moons", seed=0)
    X_tr, X_va, y_tr, y_va = lw.datasets.train_test_split(X, y, 0.25, seed=0, stratify=True)
    scaler = lw.datasets.StandardScaler().fit(X_tr)
    model = lw.mlp(2, [8, 4], 1, activation="tanh", output_activation="sigmoid", seed=3)
    h = model.fit(
        scaler.transform(X_tr), y_tr, loss="bce", lr=0.3, epochs=12, batch_size=32,
        validation_data=(scaler.transform(X_va), y_va), verbose=False,
    )  # fmt: skip
    config = expand_grid(
        {}, {"hidden": [8, 4], "activation": "tanh", "lr": 0.3, "epochs": 12, "batch_size": 32}
    )[0]
    out = run_one(config, 3, "moons")
    assert out["history"]["loss"] == h.loss
    assert out["history"]["val_loss"] == h.val_loss
    assert out["val_loss"] == h.val_loss[-1] and out["best_val_loss"] == min(h.val_loss)
    assert out["accuracy"] == h.metrics["val_accuracy"][-1]
    assert out["r2"] is None and out["epochs_run"] == 12


def test_regression_data_as_arrays_gets_mse_and_r2():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=80)
    result = lw.sweep({"lr": [0.05]}, (X, y), fixed={"epochs": 30}, n_jobs=1, verbose=False)
    row = result.table[0]
    assert row["status"] == "ok" and row["accuracy"] is None
    d = prepare_data((X, y))
    assert len(d.X_train) == 60 and len(d.X_val) == 20 and d.task == "regression"
    model = lw.mlp(3, [16], 1, seed=0)
    h = model.fit(d.X_train, d.y_train, loss="mse", lr=0.05, epochs=30,
                  validation_data=(d.X_val, d.y_val), verbose=False)  # fmt: skip
    assert row["r2"] == h.metrics["val_r2"][-1] and row["val_loss"] == h.val_loss[-1]


def test_grid_expands_every_combination_with_canonical_values():
    configs = expand_grid({"hidden": [4, [8, 4]], "lr": [1, 0.1]}, {"activation": "tanh"})
    assert [(c["hidden"], c["lr"]) for c in configs] == [
        ([4], 1.0), ([4], 0.1), ([8, 4], 1.0), ([8, 4], 0.1)
    ]  # fmt: skip
    assert all(c["activation"] == "tanh" and c["optimizer"] == "sgd" for c in configs)
    assert isinstance(configs[0]["lr"], float)
    ids = {run_id(c, s) for c in configs for s in range(3)}
    assert len(ids) == 12
    # the same run gets the same id whatever way its settings were written
    same = expand_grid({"hidden": [[4]]}, {"lr": 1.0, "activation": "tanh"})[0]
    assert run_id(same, 0) == run_id(configs[0], 0)


@pytest.mark.parametrize(
    ("grid", "fixed", "match"),
    [
        ({"lr": 0.1}, None, "non-empty list"),
        ({"lr": []}, None, "non-empty list"),
        ({"learning_rate": [0.1]}, None, "unknown setting 'learning_rate'"),
        ({"activation": ["relu", "swish"]}, None, "swish"),
        ({"lr": [0.1, -1.0]}, None, "lr"),
        ({"hidden": [[4, 0]]}, None, "positive integers"),
        ({"lr": [0.1]}, {"lr": 0.2}, "both grid and fixed"),
        ({"epochs": [0]}, None, "epochs"),
    ],
)
def test_bad_grids_are_refused_before_any_run(grid, fixed, match):
    with pytest.raises((ValueError, TypeError), match=match):
        lw.sweep(grid, "moons", fixed=fixed, n_jobs=1, verbose=False)


def test_divergence_is_recorded_and_the_others_go_on():
    result = lw.sweep({"lr": [1e4, 0.1]}, "moons", fixed={"epochs": 40}, n_jobs=2, verbose=False)
    bad, good = result.table
    assert bad["status"] == "failed" and bad["error"].startswith("DivergenceError")
    assert 0 < bad["epochs_run"] < 40  # the epochs before divergence are kept
    assert good["status"] == "ok" and good["epochs_run"] == 40
    assert result.best()["lr"] == 0.1


def test_optimizer_with_options_and_schedule_are_settings():
    fixed = {"epochs": 12, "lr": 0.05, "schedule": "step:step_size=10,gamma=0.5"}
    grid = {"optimizer": [{"name": "sgd", "momentum": 0.9}]}
    result = lw.sweep(grid, "moons", fixed=fixed, n_jobs=1, verbose=False)
    row = result.table[0]
    assert row["status"] == "ok", row["error"]
    h = result.histories[row["run_id"]]
    assert h.lr == [0.05] * 10 + [0.025] * 2  # StepLR: halved after 10 epochs
    d = prepare_data("moons")
    model = lw.mlp(2, [16], 1, output_activation="sigmoid", seed=0)
    opt = lw.optimizers.from_config({"name": "sgd", "momentum": 0.9, "lr": 0.05})
    by_hand = model.fit(
        d.X_train, d.y_train, loss="bce", optimizer=opt, epochs=12,
        schedule=lw.schedules.StepLR(10, 0.5), validation_data=(d.X_val, d.y_val),
        verbose=False,
    )  # fmt: skip
    assert h.val_loss == by_hand.val_loss


def test_sweep_grid_accepts_numpy_arrays_of_values():
    # np.logspace(...) is the natural way to write a grid of learning rates; it used to
    # fail with NumPy's "truth value of an array is ambiguous".
    from layerwise.sweeps._runs import expand_grid

    configs = expand_grid({"lr": np.array([0.1, 0.01])}, {"epochs": 2})
    assert [c["lr"] for c in configs] == [0.1, 0.01]
    assert all(type(c["lr"]) is float for c in configs)
