"""layerwise.training._guard: a diverging fit stops with the last finite weights and
optimizer state, also after surgery that renamed or widened layers mid-run.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3))


def _finite_weights(model):
    return all(np.isfinite(p).all() for p in model.parameters().values())


def test_divergence_stops_with_the_last_finite_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = X @ [1.0, -2.0, 3.0] + 1.0

    def model():
        return lw.mlp(3, [8], 1, activation="tanh", seed=0, dtype="float64")

    diverging = model()
    with pytest.raises(lw.DivergenceError, match=r"diverged at epoch \d+.*smaller learning rate"):
        diverging.fit(X, y, loss="mse", lr=50.0, epochs=200, verbose=False)
    try:
        model().fit(X, y, loss="mse", lr=50.0, epochs=200, verbose=False)
    except lw.DivergenceError as exc:
        err = exc
    assert f"epoch {err.epoch}" in str(err) and "lr=50" in str(err)
    losses = err.history.loss
    assert len(losses) == err.epoch - 1 and np.isfinite(losses).all()
    assert _finite_weights(diverging)
    # the weights are those at the start of the last epoch whose loss was finite: a rerun
    # stopped one epoch before that start has the very same bits
    reference = model()
    reference.fit(X, y, loss="mse", lr=50.0, epochs=err.epoch - 2, verbose=False)
    for p, q in zip(diverging.parameters().values(), reference.parameters().values()):
        np.testing.assert_array_equal(p, q)
    assert diverging.evaluate(X, y, "mse") == losses[-1]


def test_divergence_with_mini_batches_keeps_finite_weights():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(64, 3))
    y = X @ [1.0, -2.0, 3.0]
    model = lw.mlp(3, [8], 1, activation="tanh", seed=0, dtype="float64")
    with pytest.raises(lw.DivergenceError) as info:
        model.fit(X, y, loss="mse", lr=30.0, epochs=200, batch_size=16, verbose=False)
    assert _finite_weights(model)
    # restored to the start of the diverging epoch: the end of the last complete one
    reference = lw.mlp(3, [8], 1, activation="tanh", seed=0, dtype="float64")
    reference.fit(X, y, loss="mse", lr=30.0, epochs=info.value.epoch - 1, batch_size=16,
                  verbose=False)  # fmt: skip
    for p, q in zip(model.parameters().values(), reference.parameters().values()):
        np.testing.assert_array_equal(p, q)


def test_divergence_restores_the_optimizer_state_with_the_weights():
    # AdamW at an absurd rate overflows in epoch 3; the guard puts back the last finite
    # weights AND the moments and step counts that go with them: the state of a twin that
    # trained exactly as many epochs (the oracle), not the moments of the diverged steps
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 3)), rng.normal(size=64) * 10
    kw = dict(loss="mse", optimizer="adamw", lr=1e3, batch_size=16, verbose=False)
    model = lw.mlp(3, [8], 1, activation="relu", seed=0)
    with pytest.raises(lw.DivergenceError) as info:
        model.fit(X, y, epochs=40, **kw)
    assert info.value.epoch == 3
    done = model.optimizer.iterations // 4  # 4 batches per epoch
    assert done in (1, 2)
    twin = lw.mlp(3, [8], 1, activation="relu", seed=0)
    twin.fit(X, y, epochs=done, **kw)
    for a, b in zip(model.parameters().values(), twin.parameters().values(), strict=True):
        assert np.isfinite(a).all() and a.tobytes() == b.tobytes()
    assert set(model.optimizer.state) == set(twin.optimizer.state)
    for key, slots in twin.optimizer.state.items():
        for name, value in slots.items():
            assert np.array_equal(model.optimizer.state[key][name], value), (key, name)


def test_divergence_guard_starts_again_when_surgery_renames_layers():
    # a parameter-free layer inserted first renumbers the layers after it (dense_0 ->
    # dense_1) without changing a shape; the guard's copy of the optimizer state must not
    # keep the old keys, or a divergence would put back state that belongs to no parameter
    from layerwise.training._guard import _Guard

    X, y = lw.datasets.load("moons", n_samples=40, seed=0)
    model = lw.mlp(2, [4], 1, output_activation="sigmoid", seed=0)
    model.fit(X, y, loss="bce", optimizer="adam", epochs=2, verbose=False)
    guard = _Guard(model)
    guard.begin_epoch()
    model.insert(0, lw.Dropout(0.1))
    guard.follow()
    assert set(guard.snaps[0][1]) == set(model.optimizer.state) == set(model.parameters())


class _WidenThenBlowUp(lw.callbacks.Callback):
    """After the first batch of epoch 2: widen layer 0, then set a learning rate that
    makes the next steps diverge."""

    def on_batch_end(self, batch, logs):
        if batch == 0 and self.model.epochs_trained == 1:
            self.model.widen(0, 6)
            self.widened = [p.copy() for p in self.model.parameters().values()]
            self.model.optimizer.lr = 1e30


def test_divergence_after_a_mid_epoch_widen_restores_the_widened_network():
    model = lw.mlp(3, [4], 1, seed=0, dtype="float64")
    cb = _WidenThenBlowUp()
    with pytest.raises(lw.DivergenceError):
        model.fit(X, X[:, 0], epochs=5, batch_size=5, shuffle=False, callbacks=[cb],
                  verbose=False)  # fmt: skip
    # the last finite weights are those right after the widening (before it, the network
    # had another shape); before the fix the model kept weights of about 5e29
    params = list(model.parameters().values())
    assert [p.shape for p in params] == [w.shape for w in cb.widened]
    for p, w in zip(params, cb.widened):
        np.testing.assert_array_equal(p, w)
