"""The twin check of *validate first, then change*, shared by the test modules of every
entry point that can refuse a call (fit, train_on_batch, predict, surgery, save).

A refused call leaves the model and its training state as they were. The oracle is a twin
that never saw the refused call: after it, the same next ``fit`` on both must give
bit-identical weights, optimizer state, epoch count, events and random state. Each test
module lists the refusals of its own module in a ``REFUSED`` table of ``name: (error,
call)`` and runs :func:`assert_refusal_changes_nothing` on each; the first three cases of
tests/training/test_settings.py are the defects of issue 12 (Adam state lost by a bad
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


def trained():
    model = lw.mlp(3, [5], 1, activation="tanh", output_activation="sigmoid", seed=2,
                   dtype="float64")  # fmt: skip
    model.fit(X, y, optimizer="adam", lr=0.01, epochs=3, **FIT)
    return model


def assert_same(a, b):
    """Two models bit for bit: parameters, buffers, optimizer (config, steps, state), epoch
    count, events and random state."""
    for (ka, pa), (kb, pb) in zip(a.parameters().items(), b.parameters().items(), strict=True):
        assert ka == kb and pa.tobytes() == pb.tobytes(), ka
    for la, lb in zip(a.layers, b.layers, strict=True):  # running statistics too
        for k, v in la.buffers().items():
            assert np.asarray(v).tobytes() == np.asarray(lb.buffers()[k]).tobytes(), k
    assert a.optimizer.get_config() == b.optimizer.get_config()
    assert a.optimizer.iterations == b.optimizer.iterations
    assert set(a.optimizer.state) == set(b.optimizer.state)
    for k, slots in a.optimizer.state.items():
        for name, v in slots.items():
            assert np.asarray(v).tobytes() == np.asarray(b.optimizer.state[k][name]).tobytes()
    assert a.epochs_trained == b.epochs_trained and a.events == b.events
    assert a.rng.bit_generator.state == b.rng.bit_generator.state


def assert_refusal_changes_nothing(error, call):
    """``call(model)`` raises ``error`` and leaves the model as its twin: now and after the
    next fit."""
    model, twin = trained(), trained()
    assert_same(model, twin)
    with pytest.raises(error):
        call(model)
    assert_same(model, twin)
    for m in (model, twin):  # and the next fit continues identically
        m.fit(X, y, epochs=2, **FIT)
    assert_same(model, twin)
