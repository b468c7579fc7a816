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
