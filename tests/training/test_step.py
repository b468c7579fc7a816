"""layerwise.training._step: step 3 with an optimizer. train_on_batch streams and keeps
the optimizer, an optimizer object keeps its own lr, a new plain SGD replaces Nesterov.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from tests import twins

# the twin check of tests/twins.py: a refused call leaves the model as it was
REFUSED = {
    "train_on_batch with a bad clipnorm": (
        TypeError,
        lambda m: m.train_on_batch(twins.X, twins.y, loss="bce", lr=0.9, clipnorm="x"),
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_call_changes_nothing(case):
    twins.assert_refusal_changes_nothing(*REFUSED[case])


RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3))


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


def _regression(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=n)
    return X, y


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
