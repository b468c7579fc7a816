"""Guard for optimisations: float64 trainings whose results must not move.

    python benchmarks/exactness.py save PATH    # before a change
    python benchmarks/exactness.py check PATH   # after it: every array within 1e-12,
                                                # and says whether all are bit-identical

Each case trains a small network (different activations, losses, batch sizes, shuffling,
optimizers, a widening mid-training) and records its per-epoch losses and metrics, final
weights and predictions.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
import layerwise as lw  # noqa: E402

CASES = {
    "seed_tanh_sigmoid_bce_full": dict(
        sizes=(2, [4], 1), act="tanh", out="sigmoid", loss="bce", bs=None, opt="sgd", lr=0.5
    ),
    "relu_elu_softmax_cce_b7": dict(
        sizes=(5, [16, 8], 3),
        act=["relu", "elu"],
        out="softmax",
        loss="cce",
        bs=7,
        opt="sgd",
        lr=0.1,
    ),  # fmt: skip
    "sigmoid_gelu_softplus_mse_b10": dict(
        sizes=(4, [6, 5, 3], 2),
        act=["sigmoid", "gelu", "softplus"],
        out="identity",
        loss="mse",
        bs=10,
        opt="adam",
        lr=0.01,
    ),  # fmt: skip
    "leaky_tanh_sigmoid_mse_b16": dict(
        sizes=(3, [8, 4], 2),
        act=["leaky_relu", "tanh"],
        out="sigmoid",
        loss="mse",
        bs=16,
        opt="sgd",
        lr=0.3,
    ),  # fmt: skip
    "identity_softmax_mse_b9": dict(
        sizes=(3, [7], 3), act="identity", out="softmax", loss="mse", bs=9, opt="sgd", lr=0.3
    ),
}


def run_case(name: str, c: dict) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(len(name))
    n_in, hidden, k = c["sizes"]
    X = rng.standard_normal((60, n_in))
    if c["loss"] == "cce":
        y = rng.integers(0, k, 60)
    elif c["loss"] == "bce":
        y = (X[:, 0] * X[:, 1] > 0).astype(float)
    else:
        y = rng.standard_normal((60, k)) * (0.3 if c["out"] == "sigmoid" else 1.0)
        if c["out"] in ("sigmoid", "softmax"):
            y = 1 / (1 + np.exp(-y))
    opt = c["opt"] if c["opt"] in lw.optimizers.names() else "sgd"
    model = lw.mlp(n_in, hidden, k, activation=c["act"], output_activation=c["out"], seed=3,
                   dtype="float64")  # fmt: skip
    h1 = model.fit(X, y, loss=c["loss"], optimizer=opt, lr=c["lr"], epochs=15,
                   batch_size=c["bs"], verbose=False)  # fmt: skip
    out = {"loss1": np.array(h1.loss)}
    for m, v in h1.metrics.items():
        out[f"m1_{m}"] = np.array(v)
    if hasattr(model, "widen") and len(model.layers) > 1:
        model.widen(0, model.layers[0].units + 2)
        h2 = model.fit(X, y, loss=c["loss"], optimizer=opt, lr=c["lr"], epochs=5,
                       batch_size=c["bs"], verbose=False)  # fmt: skip
        out["loss2"] = np.array(h2.loss)
    for i, layer in enumerate(model.layers):
        out[f"W{i}"], out[f"b{i}"] = layer.W, layer.b
    out["pred"] = model.predict(X)
    A, caches = model.forward(X[:11])
    for i, g in enumerate(model.backward(caches, y[:11], c["loss"])):
        out[f"dW{i}"], out[f"db{i}"] = g.dW, g.db
    return out


def collect() -> dict[str, np.ndarray]:
    res = {}
    for name, c in CASES.items():
        for k, v in run_case(name, c).items():
            res[f"{name}:{k}"] = np.asarray(v)
    return res


def main(argv: list[str]) -> int:
    mode, path = argv[1], argv[2]
    res = collect()
    if mode == "save":
        np.savez(path, **res)
        print(f"saved {len(res)} arrays to {path}")
        return 0
    ref = np.load(path)
    worst, bad = 0.0, []
    for k in ref.files:
        if k not in res or ref[k].shape != res[k].shape:
            bad.append(f"{k}: missing or reshaped")
            continue
        d = float(np.max(np.abs(ref[k] - res[k]) / (1.0 + np.abs(ref[k])), initial=0.0))
        worst = max(worst, d)
        if not d <= 1e-12:
            bad.append(f"{k}: {d:.3g}")
    same = sum(k in res and ref[k].tobytes() == np.asarray(res[k]).tobytes() for k in ref.files)
    print(f"{len(ref.files)} arrays, worst relative difference {worst:.3g}, "
          f"{same} of {len(ref.files)} bit-identical")  # fmt: skip
    for b in bad:
        print("  DIFFERS", b)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
