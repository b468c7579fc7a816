"""Shared fixtures: random networks with data, for the gradient tests.

tests/ mirrors src/layerwise/ (tests/README.md gives the rule; tests/project/test_layout.py
holds it): the tests of ``layerwise/<folder>/_<name>.py`` are in
``tests/<folder>/test_<name>.py``, and the tests of the repository as a whole (docs, README,
notebooks, examples, import rules, size budget, reproducibility across processes,
scikit-learn's own suite) are in tests/project/.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import strategies as st

import layerwise as lw

HIDDEN_ACTIVATIONS = (
    "identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu",
)  # fmt: skip


@dataclass
class NetCase:
    """One architecture, loss and data set, all drawn from ``seed``."""

    n_in: int
    widths: list[int]
    activations: list[str]
    units: int
    output_activation: str
    loss: str
    targets: str  # "real", "binary", "labels" or "onehot"
    n_samples: int
    seed: int

    def build(self, dtype: str = "float64"):
        """Return ``(model, X, y)``.

        Biases are drawn at random: at their initial value 0, a relu layer whose inputs are
        all zero for some sample sits exactly on its kink (Z = b = 0), where the derivative
        is undefined and no two oracles need agree.
        """
        rng = np.random.default_rng(self.seed)
        model = lw.mlp(
            self.n_in, self.widths, self.units, activation=self.activations,
            output_activation=self.output_activation, seed=self.seed, dtype=dtype,
        )  # fmt: skip
        for layer in model.layers:
            layer.b[:] = rng.normal(0.0, 0.5, layer.units)
        X = rng.normal(0.0, 1.0, (self.n_samples, self.n_in))
        n, k = self.n_samples, self.units
        if self.targets == "real":
            y = rng.normal(0.0, 1.0, (n, k))
            y = y[:, 0] if k == 1 and self.seed % 2 else y
        elif self.targets == "binary":
            y = rng.integers(0, 2, (n, k)).astype(float)
        else:
            y = rng.integers(0, k, n)
            y = np.eye(k)[y] if self.targets == "onehot" else y
        return model, X, y


@st.composite
def _net_cases(draw) -> NetCase:
    depth = draw(st.integers(0, 4))
    widths = draw(st.lists(st.integers(1, 16), min_size=depth, max_size=depth))
    acts = draw(st.lists(st.sampled_from(HIDDEN_ACTIVATIONS), min_size=depth, max_size=depth))
    loss = draw(st.sampled_from(["mse", "bce", "cce"]))
    if loss == "mse":
        out = draw(st.sampled_from([*HIDDEN_ACTIVATIONS, "softmax"]))
        units = draw(st.integers(2 if out == "softmax" else 1, 4))
        targets = "real"
    elif loss == "bce":
        out, units, targets = "sigmoid", draw(st.integers(1, 3)), "binary"
    else:
        out, units = "softmax", draw(st.integers(2, 5))
        targets = draw(st.sampled_from(["labels", "onehot"]))
    return NetCase(
        n_in=draw(st.integers(1, 6)), widths=widths, activations=acts, units=units,
        output_activation=out, loss=loss, targets=targets,
        n_samples=draw(st.integers(1, 12)), seed=draw(st.integers(0, 2**32 - 1)),
    )  # fmt: skip


@pytest.fixture(scope="session")
def net_cases():
    """A hypothesis strategy of :class:`NetCase`: depth 0-4, widths 1-16, every hidden
    activation, mse with any output activation, bce+sigmoid, cce+softmax (labels, one-hot).

    Session-scoped so that ``@given(data=st.data())`` tests can draw from it.
    """
    return _net_cases()


@pytest.fixture(scope="session")
def net_case():
    """The :class:`NetCase` class, to build one named case."""
    return NetCase
