"""The workloads of ``make bench`` and, for each, one runner per contender.

A runner is a zero-argument callable doing one timed unit of work (a number of epochs, or
one prediction pass); every contender of a workload starts from the same weights and data,
uses the same optimizer settings and takes the same number of steps per unit.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from benchmarks import reference_numpy

import layerwise as lw

Runner = Callable[[], Any]


@dataclass
class Workload:
    name: str
    description: str
    epochs_per_run: int  # units of work per runner call (epochs; prediction: 1 pass)
    samples: int  # samples per unit
    n_weights: int
    runners: dict[str, Runner] = field(default_factory=dict)
    memory: dict[str, Callable[[], Runner]] = field(default_factory=dict)  # runner factories
    bound_bytes: int = 0
    bound_parts: dict[str, int] = field(default_factory=dict)
    rounds: int = 9
    kind: str = "train"  # or "predict"
    matmul_probe: bool = False  # time a 2048^2 float32 matmul in the same rounds
    notes: list[str] = field(default_factory=list)


def adam_available() -> bool:
    return "adam" in lw.optimizers.names()


def _weights(model):
    return [l.W.copy() for l in model.layers], [l.b.copy() for l in model.layers]


def _bound(sizes, bs, n_params, itemsize, data_bytes, opt_slots):
    """data + parameters + optimizer state + one batch of activations and gradients.

    One batch: the input batch, Z and A of every layer (activations), dZ and dA_prev of
    every layer and dW, db (gradients).
    """
    acts = bs * (sizes[0] + 2 * sum(sizes[1:])) * itemsize
    grads = (bs * (sum(sizes[1:]) + sum(sizes[:-1])) + n_params) * itemsize
    parts = {
        "data": data_bytes,
        "parameters": n_params * itemsize,
        "optimizer state": opt_slots * n_params * itemsize,
        "batch activations": acts,
        "batch gradients": grads,
    }
    return sum(parts.values()), parts


# ----------------------------------------------------------------- torch and sklearn
def _torch_model(Ws, bs, hidden, dtype):
    import torch

    tdt = torch.float32 if dtype == np.float32 else torch.float64
    mods = []
    for i, (W, b) in enumerate(zip(Ws, bs)):
        lin = torch.nn.Linear(W.shape[0], W.shape[1], dtype=tdt)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b.copy()))
        mods.append(lin)
        if i < len(Ws) - 1:
            mods.append(torch.nn.Tanh() if hidden == "tanh" else torch.nn.ReLU())
    return torch.nn.Sequential(*mods)


def _torch_runner(net, X, Y, *, output, optimizer, lr, epochs, batch_size, threads, seed):
    import torch

    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    if output == "softmax":
        Yt = Yt.argmax(dim=1)
        crit = torch.nn.CrossEntropyLoss()
    else:
        crit = torch.nn.BCEWithLogitsLoss()
    if optimizer == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=lr)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=lr)
    n = len(X)
    bsz = n if batch_size is None else batch_size
    gen = torch.Generator().manual_seed(seed)

    def run():
        torch.set_num_threads(threads)
        for _ in range(epochs):
            if bsz < n:
                perm = torch.randperm(n, generator=gen)
                Xs, Ys = Xt[perm], Yt[perm]
            else:
                Xs, Ys = Xt, Yt
            total = 0.0
            for s in range(0, n, bsz):
                opt.zero_grad(set_to_none=True)
                out = net(Xs[s : s + bsz])
                loss = crit(out, Ys[s : s + bsz])
                loss.backward()
                opt.step()
                total += loss.item()

    return run


def _layerwise_on_torch(model, X, Y, *, fit_kw, threads):
    """layerwise's own fit on PyTorch CPU tensors: the cost of the namespace layer, beside
    layerwise on NumPy and PyTorch's nn + optim (torch at ``threads`` intra-op threads)."""
    import torch

    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    model.to(Xt)

    def run():
        torch.set_num_threads(threads)
        model.fit(Xt, Yt, **fit_kw)

    return run


def _sklearn_estimator(Ws, bs, X, Y, *, hidden, output, optimizer, lr, batch_size, epochs):
    """A scikit-learn MLP with our initial weights: partial_fit once (to build it), then
    coefs_/intercepts_ overwritten. Returns (estimator, run)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    n = len(X)
    labels = Y.argmax(axis=1) if output == "softmax" else Y[:, 0].astype(int)
    kw = dict(
        hidden_layer_sizes=tuple(W.shape[1] for W in Ws[:-1]),
        activation=hidden,
        solver=optimizer,
        alpha=0.0,
        batch_size=n if batch_size is None else batch_size,
        learning_rate_init=lr,
        shuffle=batch_size is not None,
        random_state=0,
    )
    if optimizer == "sgd":
        kw.update(momentum=0.0, nesterovs_momentum=False)
    full_batch = batch_size is None
    if full_batch:  # one fit call per run: warm start, max_iter epochs, never stop early
        kw.update(warm_start=True, max_iter=epochs, tol=0.0, n_iter_no_change=10**9)
    est = MLPClassifier(**kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.partial_fit(X, labels, classes=np.unique(labels))
    est.coefs_ = [W.copy() for W in Ws]
    est.intercepts_ = [b.copy() for b in bs]

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if full_batch:
                est.fit(X, labels)
            else:
                for _ in range(epochs):
                    est.partial_fit(X, labels)

    return est, run


# ----------------------------------------------------------------- workloads
def classification_data(n, d, k, dtype, seed):
    """Gaussian inputs and labels from a random teacher network, with 10% label noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(dtype)
    if k == 1:
        lab = ((X[:, 0] * X[:, 1] > 0) ^ (rng.random(n) < 0.1)).astype(int)
        return X, lab.reshape(-1, 1).astype(dtype)
    T = rng.standard_normal((d, k))
    lab = np.where(rng.random(n) < 0.1, rng.integers(0, k, n), (X @ T).argmax(axis=1))
    return X, np.eye(k, dtype=dtype)[lab]


def training_workload(
    name,
    *,
    sizes,
    hidden,
    output,
    n,
    dtype,
    optimizer,
    lr,
    batch_size,
    epochs_per_run,
    rounds,
    torch_threads=(1, 2),
    sklearn=True,
    seed=0,
) -> Workload:
    X, Y = classification_data(n, sizes[0], sizes[-1], dtype, seed)
    loss = "bce" if output == "sigmoid" else "cce"
    dname = np.dtype(dtype).name
    model = lw.mlp(sizes[0], sizes[1:-1], sizes[-1], activation=hidden,
                   output_activation=output, seed=seed, dtype=dname)  # fmt: skip
    Ws, bs = _weights(model)
    n_weights = model.n_params()
    batch = "full batch" if batch_size is None else f"batch {batch_size}"
    w = Workload(
        name=name,
        description=f"{'-'.join(map(str, sizes))} {hidden}/{output}, {loss}, {optimizer}, "
        f"{batch}, {n} samples, {dname}",
        epochs_per_run=epochs_per_run,
        samples=n,
        n_weights=n_weights,
        rounds=rounds,
    )

    def fit_fn(m, epochs):
        return lambda: m.fit(X, Y, loss=loss, optimizer=optimizer, lr=lr, epochs=epochs,
                             batch_size=batch_size, verbose=False)  # fmt: skip

    w.runners["layerwise"] = fit_fn(model, epochs_per_run)

    ref_W, ref_b = _weights(model)
    ref_state: dict = {}
    ref_rng = np.random.default_rng(seed)

    def ref_fn(Wl, bl, st, epochs):
        return lambda: reference_numpy.train(
            X, Y, Wl, bl, hidden=hidden, output=output, optimizer=optimizer, lr=lr,
            epochs=epochs, batch_size=batch_size, rng=ref_rng, state=st,
        )  # fmt: skip

    w.runners["numpy loop"] = ref_fn(ref_W, ref_b, ref_state, epochs_per_run)
    w.runners["layerwise on torch"] = _layerwise_on_torch(
        model.copy(), X, Y, fit_kw=dict(loss=loss, optimizer=optimizer, lr=lr,
        epochs=epochs_per_run, batch_size=batch_size, verbose=False),
        threads=1 if n_weights < 10_000 else 2,
    )  # fmt: skip
    for t in torch_threads:
        net = _torch_model(Ws, bs, hidden, dtype)
        w.runners[f"torch {t}t"] = _torch_runner(
            net, X, Y, output=output, optimizer=optimizer, lr=lr, epochs=epochs_per_run,
            batch_size=batch_size, threads=t, seed=seed,
        )  # fmt: skip
    if sklearn:
        _, w.runners["sklearn"] = _sklearn_estimator(
            Ws, bs, X, Y, hidden=hidden, output=output, optimizer=optimizer, lr=lr,
            batch_size=batch_size, epochs=epochs_per_run,
        )  # fmt: skip
        w.notes.append(
            "sklearn: MLPClassifier with the same initial weights (built by one partial_fit, "
            "then coefs_/intercepts_ overwritten)"
            + (", fit with warm_start" if batch_size is None else ", one partial_fit per epoch")
        )

    # memory: fresh copies, one epoch (or the run's epochs for full batch), traced
    mem_epochs = epochs_per_run if batch_size is None else 1
    # factories: the copies are made before tracing starts, the runner is traced
    w.memory["layerwise"] = lambda: fit_fn(model.copy(), mem_epochs)
    w.memory["numpy loop"] = lambda: ref_fn(*_weights(model), {}, mem_epochs)
    bsz = n if batch_size is None else batch_size
    itemsize = np.dtype(dtype).itemsize
    w.bound_bytes, w.bound_parts = _bound(
        sizes, bsz, n_weights, itemsize, X.nbytes + Y.nbytes, 2 if optimizer == "adam" else 0
    )
    return w


def prediction_workload(n=20_000, seed=0, batch_size=None) -> Workload:
    X, _ = classification_data(n, 784, 10, np.float32, seed)
    model = lw.mlp(784, [256, 128], 10, activation="relu", output_activation="softmax",
                   seed=seed)  # fmt: skip
    Ws, bs = _weights(model)
    w = Workload(
        name="predict",
        description=f"prediction, 784-256-128-10 relu/softmax, {n} samples in one call, float32",
        epochs_per_run=1,
        samples=n,
        n_weights=model.n_params(),
        rounds=9,
        kind="predict",
    )
    w.runners["layerwise"] = lambda: model.predict(X)

    def ref():
        A = X
        for W, b in zip(Ws[:-1], bs[:-1]):
            A = np.maximum(A @ W + b, 0)
        Z = A @ Ws[-1] + bs[-1]
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True)

    w.runners["numpy loop"] = ref
    import torch

    net = _torch_model(Ws, bs, "relu", np.float32)
    Xt = torch.from_numpy(X)
    for t in (1, 2):

        def run(t=t):
            torch.set_num_threads(t)
            with torch.inference_mode():
                return torch.softmax(net(Xt), dim=1)

        w.runners[f"torch {t}t"] = run
    est, _ = _sklearn_estimator(
        Ws, bs, X[:1000], np.eye(10, dtype=np.float32)[np.arange(1000) % 10], hidden="relu",
        output="softmax", optimizer="sgd", lr=0.01, batch_size=200, epochs=1,
    )  # fmt: skip
    est.coefs_ = [W.copy() for W in Ws]
    est.intercepts_ = [b.copy() for b in bs]
    w.runners["sklearn"] = lambda: est.predict_proba(X)
    return w


def all_workloads(quick: bool = False) -> list[Workload]:
    opt = "adam" if adam_available() else "sgd"
    lr_mnist = 1e-3 if opt == "adam" else 0.05
    scale = 0.2 if quick else 1.0

    def r(k):
        return max(3, int(k * scale))

    out = [
        training_workload(
            f"seed-sized {dt}",
            sizes=(2, 4, 1),
            hidden="tanh",
            output="sigmoid",
            n=1000,
            dtype=getattr(np, dt),
            optimizer="sgd",
            lr=0.5,
            batch_size=None,
            epochs_per_run=200,
            rounds=r(21),
        )  # fmt: skip
        for dt in ("float32", "float64")
    ]
    out.append(
        training_workload(
            "MNIST-shaped",
            sizes=(784, 256, 128, 10),
            hidden="relu",
            output="softmax",
            n=int(10_000 * scale) // 128 * 128,
            dtype=np.float32,
            optimizer=opt,
            lr=lr_mnist,
            batch_size=128,
            epochs_per_run=1,
            rounds=r(9),
        )  # fmt: skip
    )
    out.append(
        training_workload(
            "wide",
            sizes=(784, 1024, 1024, 10),
            hidden="relu",
            output="softmax",
            n=8192 if not quick else 2048,
            dtype=np.float32,
            optimizer=opt,
            lr=lr_mnist,
            batch_size=1024,
            epochs_per_run=1,
            rounds=r(7),
        )  # fmt: skip
    )
    out[-1].matmul_probe = True
    out.append(prediction_workload(n=int(20_000 * scale)))
    return out
