"""layerwise.training._grow: GrowOnPlateau widens, then adds a layer, keeping the function
at each growth and learning on; its inits; its refusals, before anything changes.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from tests import twins


def test_a_callback_that_refuses_the_model_refuses_the_call():
    # GrowOnPlateau needs a hidden layer: checked with the other arguments, before the
    # schedule is attached or the optimizer replaced
    X, y, FIT = twins.X, twins.y, twins.FIT
    model = lw.mlp(3, [], 1, output_activation="sigmoid", seed=0, dtype="float64")
    model.fit(X, y, optimizer="adam", lr=0.01, epochs=2, **FIT)
    twin = model.copy()
    with pytest.raises(ValueError, match="at least one Dense hidden layer"):
        model.fit(X, y, optimizer="sgd", schedule=lw.schedules.StepLR(1),
                  callbacks=[lw.callbacks.GrowOnPlateau()], **FIT)  # fmt: skip
    assert model.optimizer.schedule is None
    twins.assert_same(model, twin)


TOL = dict(rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------- GrowOnPlateau
def _plateau_data():
    rng = np.random.default_rng(14)
    X = rng.normal(size=(200, 2))
    y = ((X[:, 0] ** 2 + X[:, 1] ** 2) < 1.2).astype(float)
    return X, y


def test_grow_on_plateau_widens_then_adds_a_layer_and_keeps_learning():
    X, y = _plateau_data()
    fixed = lw.mlp(2, [2], 1, activation="relu", output_activation="sigmoid", seed=14,
                   dtype="float64")  # fmt: skip
    model = fixed.copy()
    h_fixed = fixed.fit(X, y, loss="bce", lr=0.5, epochs=300, verbose=False)
    grow = lw.callbacks.GrowOnPlateau(patience=5, widen_by=3, max_units=8, max_layers=2,
                                      monitor="loss", min_delta=1e-2)  # fmt: skip
    h = model.fit(X, y, loss="bce", lr=0.5, epochs=300, callbacks=[grow], verbose=False)
    kinds = [e["change"].split()[0] for e in h.events]
    assert kinds == ["widen", "widen", "deepen"], kinds
    assert [layer.units for layer in model.layers] == [8, 8, 1]
    assert model.layers[1].activation.name == "relu"
    # two relu units cannot draw a circle; the grown network can
    assert h_fixed.metrics["accuracy"][-1] < 0.8 < 0.95 < h.metrics["accuracy"][-1]
    assert h.loss[-1] < h.loss[0]


def test_grow_on_plateau_preserves_the_function_at_each_growth():
    X, y = _plateau_data()
    model = lw.mlp(2, [3], 1, activation="tanh", output_activation="sigmoid", seed=15,
                   dtype="float64")  # fmt: skip
    grow = lw.callbacks.GrowOnPlateau(patience=1, add_layer=True, max_layers=3, monitor="loss")
    model.fit(X, y, loss="bce", epochs=2, verbose=False)
    grow.set_context(model, None)
    for _ in range(3):
        before = model.predict(X)
        grow.grow()
        np.testing.assert_allclose(model.predict(X), before, **TOL)
    # tanh layers: the only preserving new layer is linear; max_layers caps the depth
    assert [layer.activation.name for layer in model.layers] == [
        "tanh",
        "identity",
        "identity",
        "sigmoid",
    ]
    assert grow.grow() is None


def test_grow_on_plateau_needs_validation_loss_or_says_so():
    X, y = _plateau_data()
    model = lw.mlp(2, [2], 1, output_activation="sigmoid", seed=0)
    with pytest.raises(ValueError, match="val_loss.*validation_data"):
        model.fit(X, y, loss="bce", epochs=2, verbose=False,
                  callbacks=[lw.callbacks.GrowOnPlateau()])  # fmt: skip
    h = model.fit(X, y, loss="bce", epochs=6, verbose=False, validation_split=0.25,
                  callbacks=[lw.callbacks.GrowOnPlateau(patience=1, min_delta=1.0)])  # fmt: skip
    assert len(h.events) == 5  # after the first epoch it never improves by 1.0: grows each time


@pytest.mark.parametrize(
    "kwargs, error", [(dict(patience=0), ValueError), (dict(widen_by=-1), ValueError),
                      (dict(max_units=0), ValueError), (dict(min_delta=-1.0), ValueError),
                      (dict(noise=float("inf")), ValueError), (dict(patience=2.5), TypeError)]
)  # fmt: skip
def test_grow_on_plateau_bad_arguments(kwargs, error):
    with pytest.raises(error, match=next(iter(kwargs))):
        lw.callbacks.GrowOnPlateau(**kwargs)


def test_grow_on_plateau_without_hidden_layer_is_refused():
    X, y = _plateau_data()
    model = lw.mlp(2, [], 1, output_activation="sigmoid", seed=0)
    with pytest.raises(ValueError, match="hidden layer"):
        model.fit(X, y, loss="bce", epochs=2, verbose=False,
                  callbacks=[lw.callbacks.GrowOnPlateau(monitor="loss")])  # fmt: skip


@pytest.mark.parametrize("init", ["gradmax", "random", "zeros"])
def test_grow_on_plateau_widens_with_the_init_and_keeps_the_function(init):
    rng = np.random.default_rng(10)
    X = rng.normal(size=(120, 2))
    y = ((X**2).sum(axis=1) < 1.2).astype(int)
    model = lw.mlp(2, [2], 2, activation="tanh", output_activation="softmax", seed=1,
                   dtype="float64")  # fmt: skip
    kw = {"data": (X[:64], y[:64]), "loss": "cce"} if init == "gradmax" else {}
    grow = lw.callbacks.GrowOnPlateau(patience=2, widen_by=3, max_units=8, max_layers=1,
                                      monitor="loss", min_delta=0.01, init=init, **kw)  # fmt: skip
    before, after = [], []
    first, last = (
        lw.callbacks.LambdaCallback(on_epoch_end=lambda e, logs, o=o: o.append(model.predict(X)))
        for o in (before, after)
    )
    history = model.fit(X, y, loss="cce", lr=0.5, epochs=60, callbacks=[first, grow, last],
                        verbose=False)  # fmt: skip
    for event in history.events:  # growth left the outputs as they were
        e = event["epoch"] - 1
        np.testing.assert_allclose(after[e], before[e], rtol=1e-10, atol=1e-10)
    changes = [e["change"] for e in history.events]
    assert changes[:2] == [f"widen layer 0: 2 -> 5 units ({init})",
                           f"widen layer 0: 5 -> 8 units ({init})"]  # fmt: skip
    assert model.layers[0].units == 8


def test_grow_on_plateau_refuses_bad_inits_at_once():
    with pytest.raises(ValueError, match="init must be one of"):
        lw.callbacks.GrowOnPlateau(init="gradient")
    with pytest.raises(ValueError, match=r"needs data=\(X, y\)"):
        lw.callbacks.GrowOnPlateau(init="gradmax", loss="cce")
    with pytest.raises(ValueError, match="needs loss="):
        lw.callbacks.GrowOnPlateau(init="gradmax", data=(np.zeros((2, 2)), np.zeros(2)))
    X = np.random.default_rng(0).normal(size=(20, 2))
    model = lw.mlp(2, [2], 2, output_activation="softmax", seed=0)
    grow = lw.callbacks.GrowOnPlateau(init="gradmax", data=(X[:, :1], np.zeros(20)), loss="cce")
    W = model.layers[0].W.copy()
    with pytest.raises(ValueError, match="features"):
        model.fit(X, np.zeros(20, dtype=int), loss="cce", epochs=2, callbacks=[grow],
                  verbose=False)  # fmt: skip
    np.testing.assert_array_equal(model.layers[0].W, W)
