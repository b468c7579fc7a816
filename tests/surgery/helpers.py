"""Helpers shared by the test modules of tests/surgery/."""

from __future__ import annotations

import inspect

import numpy as np

import layerwise as lw


def trained_case(case, epochs=3):
    """A NetCase's model after a few epochs of training, with fresh inputs to compare on."""
    model, X, y = case.build("float64")
    model.fit(X, y, loss=case.loss, lr=0.05, epochs=epochs, verbose=False)
    X_new = np.random.default_rng(case.seed + 1).normal(0.0, 1.5, (20, case.n_in))
    return model, X, y, X_new


def regression_data(seed=0, n=128, d=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2]
    return X, y


# ---------------------------------------------------------------------------- optimizer state
class TinyMomentum(lw.optimizers.Optimizer):
    """A stateful optimizer written here, independent of the library's: heavy-ball momentum
    with a per-parameter step counter that is not shaped like the parameter."""

    name = "tiny_momentum"

    def step(self, params):
        self.iterations += 1
        for key, p, g in params:
            st_ = self.state.setdefault(key, {"v": np.zeros_like(p), "t": np.zeros((), int)})
            st_["t"] += 1
            st_["v"] *= 0.9
            st_["v"] += g
            p -= self.lr * st_["v"]


def stateful_optimizers():
    makers = [lambda: TinyMomentum(lr=0.01)]
    if "momentum" in inspect.signature(lw.optimizers.SGD).parameters:
        makers.append(lambda: lw.optimizers.SGD(lr=0.01, momentum=0.9))
    for name in lw.optimizers.names():
        if name != "sgd":
            makers.append(lambda name=name: lw.optimizers.get(name, lr=0.01))
    return makers


STATEFUL = stateful_optimizers()


def param_shaped(entry, shape):
    return {n: a for n, a in entry.items() if isinstance(a, np.ndarray) and a.shape == shape}
