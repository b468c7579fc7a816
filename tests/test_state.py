"""layerwise.state: resuming from a checkpoint continues bit for bit.

The oracle is the uninterrupted run itself: a run stopped at epoch k (by a callback, or
simply checkpointed at k) and resumed from its file must end with weights, buffers and
optimizer state IDENTICAL (np.array_equal) to the run that never stopped, with Adam,
mini-batches, shuffling, dropout, BatchNorm, a schedule and growth all in play.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from layerwise.training import callbacks as cbs
from layerwise.training import schedules
from tests import twins

EPOCHS, K = 8, 3


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4))
    y = (X[:, 0] * X[:, 1] + X[:, 2] > 0).astype(int) + (X[:, 3] > 1)
    return X, y


def _model(dtype):
    return lw.Sequential(
        [lw.Dense(12, "identity"), lw.BatchNorm(activation="relu"), lw.Dropout(0.3),
         lw.Dense(8, "tanh", l2=1e-3), lw.Dropout(0.1), lw.Dense(3, "softmax")],
        input_dim=4, seed=11, dtype=dtype,
    )  # fmt: skip


def _make_schedule(kind):
    if kind == "cosine":
        return schedules.CosineAnnealing(EPOCHS, eta_min=1e-4, warmup_epochs=2)
    if kind == "plateau":
        return schedules.ReduceLROnPlateau("loss", patience=0, factor=0.5, threshold=0.2)
    return None


def _fit_kwargs(**extra):
    kw = dict(loss="cce", batch_size=16, shuffle=True, validation_split=0.2, verbose=False)
    kw.update(extra)
    return kw


class _StopAt(cbs.Callback):
    def __init__(self, k):
        self.k = k

    def on_epoch_end(self, epoch, logs):
        if epoch == self.k:
            self.model.stop_training = True


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", ["cosine", "plateau", None])
def test_stopped_run_resumed_from_checkpoint_is_identical(tmp_path, dtype, kind):
    X, y = _data()
    full = _model(dtype)
    h_full = full.fit(X, y, optimizer="adam", lr=0.01, epochs=EPOCHS, clipnorm=5.0,
                      schedule=_make_schedule(kind), **_fit_kwargs())  # fmt: skip

    part = _model(dtype)
    ck = cbs.ModelCheckpoint(tmp_path / "ck.npz")
    kw = _fit_kwargs(callbacks=[ck, _StopAt(K)], schedule=_make_schedule(kind))
    part.fit(X, y, optimizer="adam", lr=0.01, epochs=EPOCHS, clipnorm=5.0, **kw)
    assert part.epochs_trained == K

    resumed = lw.load(tmp_path / "ck.npz")
    assert resumed.epochs_trained == K
    h_rest = resumed.fit(X, y, epochs=EPOCHS, initial_epoch=K, clipnorm=5.0, **_fit_kwargs())
    twins.assert_same(resumed, full)
    assert h_rest.epoch == list(range(K + 1, EPOCHS + 1))
    assert h_rest.loss == h_full.loss[K:]
    assert h_rest.lr == h_full.lr[K:]
    if kind is not None:
        assert len(set(h_full.lr)) > 1  # the schedule moved the rate


def test_checkpoint_mid_run_and_plain_fit_continue(tmp_path):
    """Saving at k without stopping; then the loaded model's plain ``fit`` (no
    initial_epoch, optimizer given again by name) continues the same run."""
    X, y = _data()
    full = _model("float32")
    every = cbs.ModelCheckpoint(str(tmp_path / "ep{epoch}.npz"))
    full.fit(X, y, optimizer="adam", lr=0.01, epochs=EPOCHS, callbacks=[every],
             schedule=schedules.StepLR(2, 0.5), **_fit_kwargs())  # fmt: skip
    resumed = lw.load(tmp_path / f"ep{K}.npz")
    resumed.fit(X, y, optimizer="adam", lr=0.01, epochs=EPOCHS - K, **_fit_kwargs())
    twins.assert_same(resumed, full)


def test_a_fresh_optimizer_would_not_be_identical(tmp_path):
    """The check above can fail: resuming without the optimizer's state diverges."""
    X, y = _data()
    full = _model("float64")
    full.fit(X, y, optimizer="adam", lr=0.01, epochs=EPOCHS, **_fit_kwargs())
    part = _model("float64")
    ck = cbs.ModelCheckpoint(tmp_path / "ck.npz")
    part.fit(X, y, optimizer="adam", lr=0.01, epochs=K, callbacks=[ck], **_fit_kwargs())
    resumed = lw.load(tmp_path / "ck.npz")
    resumed.fit(X, y, optimizer=lw.optimizers.Adam(lr=0.01), epochs=EPOCHS - K, **_fit_kwargs())
    assert not np.array_equal(resumed.layers[0].W, full.layers[0].W)


# ------------------------------------------------------------------ callbacks' counters too
def _growth_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2))
    return X, ((X**2).sum(1) < 1.2).astype(int)  # inside a circle: 3 relus are too few


def _growth_model():
    return lw.Sequential(
        [lw.Dense(3, "relu"), lw.Dropout(0.2), lw.Dense(3, "tanh"), lw.Dense(1, "sigmoid")],
        input_dim=2, seed=5, dtype="float64",
    )  # fmt: skip


def _growth_callbacks():
    return [
        cbs.GrowOnPlateau(patience=2, widen_by=2, max_units=9, monitor="loss", min_delta=0.02),
        cbs.EarlyStopping("val_loss", patience=6, min_delta=0.005, restore_best_weights=True),
        cbs.ReduceLROnPlateau("loss", factor=0.5, patience=1, min_delta=0.01),
    ]


_GROWTH_FIT = dict(loss="bce", batch_size=16, validation_split=0.25, verbose=False)


@pytest.fixture(scope="module")
def growth_run(tmp_path_factory):
    """One uninterrupted run that grows (widen and deepen), reduces its rate (callback and
    schedule) and stops early, restoring its best weights; a checkpoint after every epoch."""
    folder = tmp_path_factory.mktemp("growth")
    X, y = _growth_data()
    model = _growth_model()
    ckpt = cbs.ModelCheckpoint(str(folder / "ck{epoch}.npz"))
    plateau = schedules.ReduceLROnPlateau("loss", patience=1, factor=0.7, threshold=0.05)
    history = model.fit(X, y, optimizer="adam", lr=0.05, epochs=40, schedule=plateau,
                        callbacks=[*_growth_callbacks(), ckpt], **_GROWTH_FIT)  # fmt: skip
    # the run exercises what the counters decide
    assert {e["change"].split()[0] for e in history.events} == {"widen", "deepen"}
    assert model.state.callbacks["EarlyStopping"]["stopped_epoch"] == len(history) < 40
    return folder, model, history


@pytest.mark.parametrize("k", [1, 3, 5, 9, 12, 16, 20, 22])
def test_resume_with_growth_early_stopping_and_plateaus_is_identical(growth_run, k):
    folder, full, h_full = growth_run
    X, y = _growth_data()
    resumed = lw.load(folder / f"ck{k}.npz")
    h = resumed.fit(X, y, epochs=40, initial_epoch=k, callbacks=_growth_callbacks(),
                    **_GROWTH_FIT)  # fmt: skip
    assert [layer.units for layer in resumed.layers] == [layer.units for layer in full.layers]
    twins.assert_same(resumed, full)
    assert h.loss == h_full.loss[k:] and h.lr == h_full.lr[k:]
    assert resumed.events == full.events


def test_resume_without_the_counters_would_differ(growth_run):
    # the check above can fail: fresh counters grow and stop at other epochs
    folder, full, h_full = growth_run
    X, y = _growth_data()
    resumed = lw.load(folder / "ck9.npz")
    resumed.state.callbacks = {}
    h = resumed.fit(X, y, epochs=40, initial_epoch=9, callbacks=_growth_callbacks(),
                    **_GROWTH_FIT)  # fmt: skip
    assert h.loss != h_full.loss[9:] or resumed.events != full.events


def test_after_fit_the_state_keeps_the_callbacks_counters_not_the_callbacks():
    class Holds(lw.callbacks.Callback):
        def __init__(self):
            self.gen = (i for i in range(3))  # a generator cannot be deep-copied

    model = lw.mlp(2, [3], 1, seed=0)
    X = np.random.default_rng(0).normal(size=(20, 2))
    stop = lw.callbacks.EarlyStopping("loss", patience=50)
    model.fit(X, X[:, 0], loss="mse", epochs=3, callbacks=[Holds(), stop], verbose=False)
    assert model.state.callbacks == {"Holds": {}, "EarlyStopping": stop.get_state()}
    twin = model.copy()  # the model copies; the live callbacks were never part of it
    assert twin.state.callbacks["EarlyStopping"]["best_epoch"] == stop.best_epoch == 3
