"""The reference: a minimal hand-written NumPy training loop for a dense network.

This is what a careful person writes by hand without a library: the seed note's three
steps (forward, backward with the fused output gradient, update) in a loop, the loss of
every batch recorded on the way forward, nothing else. layerwise is measured against it.

Weights are lists ``Ws[i]`` of shape (n_in, n_out) and ``bs[i]`` of shape (n_out,), updated
in place. Hidden layers use one activation (``tanh`` or ``relu``); the output is a sigmoid
with binary cross-entropy or a softmax with categorical cross-entropy (one-hot ``Y``).
"""

from __future__ import annotations

import numpy as np


def train(
    X: np.ndarray,
    Y: np.ndarray,
    Ws: list[np.ndarray],
    bs: list[np.ndarray],
    *,
    hidden: str = "tanh",
    output: str = "sigmoid",
    optimizer: str = "sgd",
    lr: float = 0.01,
    epochs: int = 1,
    batch_size: int | None = None,
    rng: np.random.Generator | None = None,
    state: dict | None = None,
) -> list[float]:
    """Train in place; return the loss of every epoch (mean of its batches' losses).

    ``X`` (n, n_in) and one-hot/0-1 ``Y`` (n, n_out) of the weights' dtype. ``state``
    keeps Adam's moments between calls.
    """
    n = len(X)
    bsz = n if batch_size is None else batch_size
    L = len(Ws)
    if optimizer == "adam" and state is not None and not state:
        state.update(t=0, m=[np.zeros_like(p) for p in Ws + bs])
        state["v"] = [np.zeros_like(p) for p in Ws + bs]
    history = []
    for _ in range(epochs):
        if bsz < n:
            perm = rng.permutation(n)
            Xs, Ys = X[perm], Y[perm]  # one gather per epoch; batches are views
        else:
            Xs, Ys = X, Y
        total = 0.0
        for s in range(0, n, bsz):
            xb, yb = Xs[s : s + bsz], Ys[s : s + bsz]
            m = len(xb)
            # forward
            As = [xb]
            for i in range(L - 1):
                Z = As[-1] @ Ws[i] + bs[i]
                As.append(np.tanh(Z) if hidden == "tanh" else np.maximum(Z, 0))
            Z = As[-1] @ Ws[-1] + bs[-1]
            if output == "sigmoid":
                P = 1.0 / (1.0 + np.exp(-Z))
                Pc = np.clip(P, 1e-7, 1 - 1e-7)  # a saturated output must not give log(0)
                total += -np.mean(yb * np.log(Pc) + (1 - yb) * np.log(1 - Pc)) * m
                dZ = (P - yb) / P.size
            else:
                E = np.exp(Z - Z.max(axis=1, keepdims=True))
                P = E / E.sum(axis=1, keepdims=True)
                total += -np.sum(yb * np.log(np.clip(P, 1e-7, 1.0)))
                dZ = (P - yb) / m
            # backward
            grads = []
            for i in range(L - 1, -1, -1):
                grads.append((As[i].T @ dZ, dZ.sum(axis=0)))
                if i:
                    dA = dZ @ Ws[i].T
                    dZ = dA * (1 - As[i] ** 2) if hidden == "tanh" else dA * (As[i] > 0)
            grads.reverse()
            # update
            if optimizer == "sgd":
                for i, (dW, db) in enumerate(grads):
                    Ws[i] -= lr * dW
                    bs[i] -= lr * db
            else:
                _adam(Ws + bs, [g[0] for g in grads] + [g[1] for g in grads], state, lr)
        history.append(total / n)
    return history


def _adam(params, grads, state, lr, b1=0.9, b2=0.999, eps=1e-8):
    state["t"] += 1
    t = state["t"]
    for p, g, m, v in zip(params, grads, state["m"], state["v"]):
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        p -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
