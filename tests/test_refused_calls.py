"""Validate first, then change: a refused call leaves the model and its training state as
they were.

The oracle is a twin that never saw the refused calls: after them, the same next ``fit`` on
both must give bit-identical weights, optimizer state, epoch count, events and random
state. The first three cases are the defects of issue 12 (Adam state lost by a bad
validation_data, epochs_trained moved by a bad batch_size, a schedule left attached by bad
callbacks).
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 3))
y = (X[:, 0] + X[:, 1] > 0).astype(int)
FIT = dict(loss="bce", batch_size=16, verbose=False)


def _trained():
    model = lw.mlp(3, [5], 1, activation="tanh", output_activation="sigmoid", seed=2,
                   dtype="float64")  # fmt: skip
    model.fit(X, y, optimizer="adam", lr=0.01, epochs=3, **FIT)
    return model


def _same(a, b):
    for (ka, pa), (kb, pb) in zip(a.parameters().items(), b.parameters().items(), strict=True):
        assert ka == kb and pa.tobytes() == pb.tobytes(), ka
    assert a.optimizer.get_config() == b.optimizer.get_config()
    assert a.optimizer.iterations == b.optimizer.iterations
    assert set(a.optimizer.state) == set(b.optimizer.state)
    for k, slots in a.optimizer.state.items():
        for name, v in slots.items():
            assert np.asarray(v).tobytes() == np.asarray(b.optimizer.state[k][name]).tobytes()
    assert a.epochs_trained == b.epochs_trained and a.events == b.events
    assert a.rng.bit_generator.state == b.rng.bit_generator.state


REFUSED = {
    # the three defects named in the issue
    "sgd with a one-element validation_data": (
        TypeError, lambda m: m.fit(X, y, optimizer="sgd", validation_data=(X,), **FIT)),
    "initial_epoch with batch_size=0": (
        ValueError, lambda m: m.fit(X, y, initial_epoch=3, epochs=5, loss="bce", batch_size=0)),
    "a schedule with bad callbacks": (
        TypeError, lambda m: m.fit(X, y, schedule=lw.schedules.StepLR(2), callbacks=[object()],
                                   **FIT)),
    # and more of fit's arguments
    "a new lr with bad metrics": (
        ValueError, lambda m: m.fit(X, y, lr=0.5, metrics=["nope"], **FIT)),
    "a new optimizer with bad epochs": (
        ValueError, lambda m: m.fit(X, y, optimizer="rmsprop", epochs=0, **FIT)),
    "a schedule with bad clipnorm": (
        ValueError, lambda m: m.fit(X, y, schedule=lw.schedules.StepLR(2), clipnorm=-1, **FIT)),
    "y of the wrong length": (ValueError, lambda m: m.fit(X, y[:10], **FIT)),
    "bce on labels 0..2": (ValueError, lambda m: m.fit(X, y + 1, **FIT)),
    "X with NaN": (ValueError, lambda m: m.fit(np.where(X > 2, np.nan, X), y, **FIT)),
    "validation_split of 1": (ValueError, lambda m: m.fit(X, y, validation_split=1.0, **FIT)),
    "train_on_batch with a bad clipnorm": (
        TypeError, lambda m: m.train_on_batch(X, y, loss="bce", lr=0.9, clipnorm="x")),
    "evaluate with bad y": (ValueError, lambda m: m.evaluate(X, y[:5], "bce")),
    "predict with batch_size 0": (ValueError, lambda m: m.predict(X, batch_size=0)),
    # the model's own surgery entry points
    "insert at a bad position": (ValueError, lambda m: m.insert(7, lw.Dense(3))),
    "insert a layer too large for memory": (ValueError, lambda m: m.insert(1, lw.Dense(10**10))),
    "add a non-layer": (TypeError, lambda m: m.add("dense")),
    "add a layer already in the model": (ValueError, lambda m: m.add(m.layers[0])),
    "remove the output layer": (ValueError, lambda m: m.remove(1)),
    "widen to fewer units": (ValueError, lambda m: m.widen(0, 2)),
    "widen the output layer": (ValueError, lambda m: m.widen(1, 4)),
    "deepen a bad index": (ValueError, lambda m: m.deepen(5)),
    "freeze a bad index": (TypeError, lambda m: m.freeze("0")),
    # saving
    "save into a missing folder": (
        FileNotFoundError, lambda m: lw.save(m, "/nonexistent-folder/m.npz")),
    "save with metadata that is not JSON": (
        TypeError, lambda m: lw.save(m, "/tmp/never-written.npz", metadata={"f": object()})),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_call_changes_nothing(case):
    error, call = REFUSED[case]
    model, twin = _trained(), _trained()
    _same(model, twin)
    with pytest.raises(error):
        call(model)
    _same(model, twin)
    for m in (model, twin):  # and the next fit continues identically
        m.fit(X, y, epochs=2, **FIT)
    _same(model, twin)


def test_the_twin_check_can_fail():
    # a call that is not refused does change the state: the comparison sees it
    model, twin = _trained(), _trained()
    model.fit(X, y, optimizer="sgd", lr=0.1, epochs=1, **FIT)
    with pytest.raises(AssertionError):
        _same(model, twin)


def test_a_callback_that_refuses_the_model_refuses_the_call():
    # GrowOnPlateau needs a hidden layer: checked with the other arguments, before the
    # schedule is attached or the optimizer replaced
    model = lw.mlp(3, [], 1, output_activation="sigmoid", seed=0, dtype="float64")
    model.fit(X, y, optimizer="adam", lr=0.01, epochs=2, **FIT)
    twin = model.copy()
    with pytest.raises(ValueError, match="at least one Dense hidden layer"):
        model.fit(X, y, optimizer="sgd", schedule=lw.schedules.StepLR(1),
                  callbacks=[lw.callbacks.GrowOnPlateau()], **FIT)  # fmt: skip
    assert model.optimizer.schedule is None
    _same(model, twin)
