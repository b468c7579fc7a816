"""layerwise.surgery._methods: Sequential's surgery methods are the surgery functions.

Oracle: the function itself, called on a twin of the model (same weights, optimizer state
and Generator): the method must leave the model bit for bit where the function leaves the
twin, with the same recorded events, and return the model (``prune``: the function's
refit error), so that calls chain.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from layerwise import surgery


def _trained() -> tuple[lw.Sequential, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(64, 3))
    y = np.sin(X @ np.array([1.0, -2.0, 0.5]))
    model = lw.mlp(3, [6, 5], 1, activation="tanh", seed=1, dtype="float64")
    model.fit(X, y, loss="mse", optimizer="adam", lr=0.01, epochs=3, batch_size=16, verbose=False)
    return model, X, y


CALLS = [
    ("widen", (0, 9), dict(noise=0.01)),
    ("widen", (1, 8), dict(init="gradmax", data="Xy", loss="mse")),
    ("deepen", (0,), dict(activation="identity")),
    ("resize", (1, 3), {}),
    ("freeze", (0,), {}),
    ("prune", (0, 4), dict(data="X")),
]


@pytest.mark.parametrize("name, args, kwargs", CALLS, ids=[c[0] for c in CALLS])
def test_a_method_does_what_its_function_does(name, args, kwargs):
    model, X, y = _trained()
    twin = model.copy()
    data = {"X": X, "Xy": (X, y)}
    kwargs = {k: data.get(v, v) if k == "data" else v for k, v in kwargs.items()}
    got = getattr(model, name)(*args, **kwargs)
    expected = getattr(surgery, name)(twin, *args, **kwargs)
    if name == "prune":
        assert got == expected  # the refit's error
    else:
        assert got is model
    assert [type(a) for a in model.layers] == [type(b) for b in twin.layers]
    for (ka, a), (kb, b) in zip(model.parameters().items(), twin.parameters().items(), strict=True):
        assert ka == kb and np.array_equal(a, b)
    assert model.events == twin.events
    assert [layer.trainable for layer in model.layers] == [t.trainable for t in twin.layers]
    np.testing.assert_array_equal(model.predict(X), twin.predict(X))


def test_unfreeze_undoes_freeze_and_calls_chain():
    model, X, y = _trained()
    assert model.freeze(1).unfreeze(1).widen(0, 7).deepen(0, "identity") is model
    assert [layer.trainable for layer in model.layers] == [True] * len(model.layers)
    assert model.layers[0].units == 7 and len(model.layers) == 4
    before = {k: v.copy() for k, v in model.parameters().items()}
    model.fit(X, y, loss="mse", epochs=1, verbose=False)
    assert all(not np.array_equal(before[k], v) for k, v in model.parameters().items())
