"""Defects found by an adversarial review of the numeric core and training loop.

Each test pins one defect: it failed before its fix. Oracles: PyTorch autograd, finite
differences (``gradient_check``), and an equal network trained without the change.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3))
Y_BIN = (X[:, 0] > 0).astype(float)


# --- cce targets whose rows do not sum to 1 ---------------------------------------------
# The fused softmax+cce gradient A - Y is exact only when every row of Y sums to 1; for
# multi-hot or unnormalised rows it silently differed from the gradient of the loss value
# the model reports (gradient_check gave 0.38 for multi-hot rows).


@pytest.mark.parametrize(
    "row", [[1.0, 1.0, 0.0], [0.2, 0.2, 0.2], [0.0, 0.0, 0.0]], ids=["multi-hot", "0.6", "zero"]
)
def test_cce_refuses_target_rows_that_do_not_sum_to_one(row):
    model = lw.mlp(3, [4], 3, output_activation="softmax", seed=0, dtype="float64")
    Y = np.tile(row, (len(X), 1))
    with pytest.raises(ValueError, match="cce.*sum to 1"):
        model.fit(X, Y, loss="cce", epochs=1, verbose=False)
    with pytest.raises(ValueError, match="cce.*sum to 1"):
        lw.gradient_check(model, X, Y, "cce")


def test_cce_probability_rows_still_match_torch():
    torch = pytest.importorskip("torch")
    model = lw.mlp(3, [4], 3, output_activation="softmax", seed=0, dtype="float64")
    P = RNG.dirichlet(np.ones(3), size=len(X))  # soft labels: rows sum to 1
    A, caches = model.forward(X)
    grads = model.backward(caches, P, "cce")
    W = [torch.tensor(layer.W, requires_grad=True) for layer in model.layers]
    b = [torch.tensor(layer.b, requires_grad=True) for layer in model.layers]
    h = torch.relu(torch.tensor(X) @ W[0] + b[0])
    logp = torch.log_softmax(h @ W[1] + b[1], dim=1)
    (-(torch.tensor(P) * logp).sum(dim=1).mean()).backward()
    for g, w, bb in zip(grads, W, b):
        np.testing.assert_allclose(g.dW, w.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(g.db, bb.grad.numpy(), rtol=1e-10, atol=1e-12)


# --- a network changed by a callback in the middle of an epoch -----------------------


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


# --- caches and grads made before a change of shape ------------------------------------


@pytest.mark.parametrize("stale", ["caches", "grads"])
def test_stale_caches_or_grads_after_widen_are_refused_clearly(stale):
    model = lw.mlp(3, [4], 1, output_activation="sigmoid", seed=0)
    _, caches = model.forward(X)
    if stale == "caches":
        model.widen(0, 6)
        with pytest.raises(ValueError, match="changed shape.*forward"):
            model.update(model.backward(caches, Y_BIN, "bce"), lr=0.1)
    else:
        grads = model.backward(caches, Y_BIN, "bce")
        model.widen(0, 6)
        before = [p.copy() for p in model.parameters().values()]
        with pytest.raises(ValueError, match="changed shape.*forward"):
            model.update(grads, lr=0.1)
        for p, q in zip(model.parameters().values(), before):
            np.testing.assert_array_equal(p, q)  # nothing half-updated


# --- arguments at the public boundary ---------------------------------------------------


@pytest.mark.parametrize("seed", [-1, np.int64(-3)])
def test_negative_seed_is_named(seed):
    with pytest.raises(ValueError, match=r"seed must be .*>= 0.*got -\d"):
        lw.mlp(3, [4], 1, seed=seed)


def test_metrics_as_one_string_is_one_metric():
    model = lw.mlp(3, [4], 1, output_activation="sigmoid", seed=0)
    history = model.fit(X, Y_BIN, loss="bce", epochs=1, metrics="accuracy", verbose=False)
    assert list(history.metrics) == ["accuracy"]
    A = lw.mlp(3, [4], 1, output_activation="sigmoid", seed=0).predict(X)
    assert history.metrics["accuracy"][0] == np.mean((A[:, 0] > 0.5) == (Y_BIN > 0.5))


def test_callbacks_that_are_not_callbacks_are_named():
    model = lw.mlp(3, [4], 1, seed=0)
    with pytest.raises(TypeError, match="callbacks must be .*got int"):
        model.fit(X, Y_BIN, epochs=1, callbacks=5, verbose=False)


def test_validation_targets_of_the_wrong_length_name_x_val_and_y_val():
    model = lw.mlp(3, [4], 1, seed=0)
    with pytest.raises(ValueError, match="X_val has 20 samples but y_val has 5"):
        model.fit(X, Y_BIN, epochs=1, validation_data=(X, Y_BIN[:5]), verbose=False)


def test_ragged_y_is_named():
    model = lw.mlp(3, [4], 1, seed=0)
    with pytest.raises(ValueError, match="y could not be read as an array"):
        model.fit(X, [[0.0], [1.0, 2.0]] * 10, epochs=1, verbose=False)


# --- an optimizer named by fit ------------------------------------------------------------


def test_fit_sgd_after_nesterov_is_plain_sgd_and_momentum_twice_continues():
    torch = pytest.importorskip("torch")
    model = lw.mlp(3, [4], 1, seed=0, dtype="float64")
    model.fit(X, X[:, 0], optimizer="nesterov", lr=0.05, epochs=2, verbose=False)
    before = [p.copy() for p in model.parameters().values()]
    # oracle: one full-batch step of plain SGD (torch) from the same weights
    W = [torch.tensor(layer.W, requires_grad=True) for layer in model.layers]
    b = [torch.tensor(layer.b, requires_grad=True) for layer in model.layers]
    out = torch.relu(torch.tensor(X) @ W[0] + b[0]) @ W[1] + b[1]
    ((out[:, 0] - torch.tensor(X[:, 0])) ** 2).mean().backward()
    model.fit(X, X[:, 0], optimizer="sgd", lr=0.05, epochs=1, verbose=False)
    expected = [t.detach().numpy() - 0.05 * t.grad.numpy() for pair in zip(W, b) for t in pair]
    for p, e, q in zip(model.parameters().values(), expected, before):
        np.testing.assert_allclose(p, e, rtol=1e-12, atol=1e-14)
        assert not np.array_equal(p, q)
    assert model.optimizer.momentum == 0.0
    # the same name and rate twice continues with the optimizer's state, as for "adam"
    model.fit(X, X[:, 0], optimizer="momentum", lr=0.05, epochs=1, verbose=False)
    opt = model.optimizer
    model.fit(X, X[:, 0], optimizer="momentum", lr=0.05, epochs=1, verbose=False)
    assert model.optimizer is opt
