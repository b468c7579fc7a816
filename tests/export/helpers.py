"""Helpers shared by the test modules of tests/export/."""

from __future__ import annotations

import numpy as np

import layerwise as lw

HIDDEN = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu")


def every_activation_model(dtype: str, output: str = "softmax", *, seed: int = 0):
    """Dense layers with every hidden activation, a BatchNorm (with non-trivial running
    statistics and affine parameters) and a Dropout, then the output layer."""
    rng = np.random.default_rng(seed)
    layers = [lw.Dense(6, a) for a in HIDDEN]
    layers.insert(3, lw.BatchNorm(activation="tanh", eps=1e-3))
    layers.insert(5, lw.Dropout(0.3))
    layers.append(lw.Dense(3 if output == "softmax" else 2, output))
    model = lw.Sequential(layers, input_dim=4, seed=seed, dtype=dtype)
    for layer in model.layers:
        for name, arr in {**layer.params(), **layer.buffers()}.items():
            if name == "running_var":
                arr[...] = rng.uniform(0.5, 2.0, arr.shape)
            elif name in ("b", "beta", "running_mean", "gamma"):
                arr[...] = rng.normal(0.0, 0.5, arr.shape) + (name == "gamma")
    return model


def inputs(dtype: str, n: int = 64, seed: int = 1) -> np.ndarray:
    # wide range: reaches the far tails of softplus, elu, gelu and sigmoid
    X = np.random.default_rng(seed).normal(0.0, 1.0, (n, 4)) * np.logspace(-2, 1.5, n)[:, None]
    return X.astype(dtype)
