"""layerwise.training._monitor: the one "has it improved" rule and the direction in which
each monitored value improves, for every user of ``mode="auto"``; the non-strict rule
against scikit-learn's own (its MLP's tol comparison, written out)."""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from layerwise.training import _monitor, schedules

# ------------------------------------------------------------------ which way is better
# every monitored name the library documents (fit's logs, the estimators' val_score), with
# the direction in which it improves
DOCUMENTED = {
    "loss": "min", "val_loss": "min", "mae": "min", "val_mae": "min",
    "accuracy": "max", "val_accuracy": "max", "r2": "max", "val_r2": "max",
    "val_score": "max", "score": "max", "binary_accuracy": "max",
}  # fmt: skip


@pytest.mark.parametrize("monitor, mode", sorted(DOCUMENTED.items()))
def test_one_rule_chooses_max_for_scores_and_min_for_losses(monitor, mode):
    from layerwise.training import callbacks

    assert _monitor.monitor_mode(monitor) == mode
    assert schedules.ReduceLROnPlateau(monitor).mode == mode
    assert callbacks.ReduceLROnPlateau(monitor).plateau.mode == mode
    assert callbacks.EarlyStopping(monitor).mode == mode
    assert callbacks.ModelCheckpoint("m.npz", monitor).mode == mode
    assert callbacks.GrowOnPlateau(monitor=monitor).mode == mode
    # and the rule acts that way: a step in the improving direction improves
    better, worse = (0.5, 0.6) if mode == "min" else (0.6, 0.5)
    assert _monitor.improved(better, worse, mode=_monitor.monitor_mode(monitor))


def test_every_value_fit_reports_has_a_direction():
    X = np.random.default_rng(0).normal(size=(40, 2))
    for y, loss, out in [(X[:, 0] > 0, "bce", "sigmoid"), (X[:, 0], "mse", "identity")]:
        model = lw.mlp(2, [4], 1, output_activation=out, seed=0)
        seen: list[set] = []
        cb = lw.callbacks.LambdaCallback(on_epoch_end=lambda e, logs, s=seen: s.append(set(logs)))
        model.fit(X, y, loss=loss, epochs=1, validation_split=0.25, callbacks=[cb],
                  verbose=False)  # fmt: skip
        for name in seen[0] - {"lr"}:
            assert _monitor.monitor_mode(name) == DOCUMENTED[name]


def test_unknown_names_and_bad_modes_are_refused():
    with pytest.raises(ValueError, match="give mode='max' or mode='min'"):
        schedules.ReduceLROnPlateau("throughput")
    assert schedules.ReduceLROnPlateau("throughput", mode="max").mode == "max"
    with pytest.raises(TypeError, match="monitor must be"):
        _monitor.monitor_mode(3)
    with pytest.raises(ValueError, match="mode must be"):
        lw.callbacks.EarlyStopping("loss", mode="up")


@pytest.mark.parametrize("tol", [0.0, 1e-4])
def test_improved_non_strict_is_scikit_learns_rule(tol):
    # sklearn counts no improvement when loss > best_loss - tol (validation: score <
    # best + tol); equality and NaN count as an improvement there
    values = [0.5, 1.0 - tol, 1.0, 2.0, np.inf, -np.inf, np.nan]
    for v in values:
        for best in [1.0, np.inf]:
            no_loss = v > best - tol
            assert _monitor.improved(v, best, delta=tol, strict=False) is not no_loss
            no_score = v < -best + tol
            got = _monitor.improved(v, -best, mode="max", delta=tol, strict=False)
            assert got is not no_score
    assert not _monitor.improved(1.0 - tol, 1.0, delta=tol)  # the callbacks' strict rule
