"""Optimizers against torch.optim: 25 full-batch steps of a small float64 MLP.

layerwise computes its gradients with its own backward step; torch computes its own with
autograd on a torch copy of the network and steps it with torch.optim. The weights must
agree to 1e-10 relative after every variant (weight decay, momentum, nesterov, centred,
amsgrad, ...).
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from layerwise import optimizers as opts

torch = pytest.importorskip("torch")

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.02)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.003, alpha=0.9, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.002, momentum=0.9, centered=True)),
    ("RMSprop", dict(lr=0.002, momentum=0.5, weight_decay=0.1)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, eps=1e-6)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.05, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)),
]


def _torch_net(model):
    mods = []
    for layer in model.layers:
        lin = torch.nn.Linear(layer.n_in, layer.units).double()
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(layer.W.T.copy()))
            lin.bias.copy_(torch.from_numpy(layer.b.copy()))
        mods.append(lin)
        if layer.activation.name == "tanh":
            mods.append(torch.nn.Tanh())
    return torch.nn.Sequential(*mods)


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    model = lw.mlp(5, [8, 6], 3, activation="tanh", seed=seed, dtype="float64")
    for layer in model.layers:
        layer.b[:] = rng.normal(0, 0.3, layer.units)
    X = rng.normal(size=(40, 5))
    y = rng.normal(size=(40, 3))
    return model, X, y


@pytest.mark.parametrize(("cls", "kwargs"), CASES, ids=[f"{c}-{k}" for c, k in CASES])
def test_matches_torch_optim_over_25_steps(cls, kwargs):
    model, X, y = _problem()
    net = _torch_net(model)
    opt = getattr(opts, cls)(**kwargs)
    topt = getattr(torch.optim, cls)(net.parameters(), **kwargs)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(25):
        A, caches = model.forward(X, training=True)
        opt.step(model.param_grads(model.backward(caches, y, "mse")))
        topt.zero_grad()
        torch.nn.functional.mse_loss(net(Xt), yt).backward()
        topt.step()
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    for layer, lin in zip(model.layers, linears, strict=True):
        for ours, theirs in ((layer.W, lin.weight.detach().numpy().T), (layer.b, lin.bias)):
            theirs = np.asarray(theirs.detach().numpy() if hasattr(theirs, "detach") else theirs)
            rel = np.linalg.norm(ours - theirs) / np.linalg.norm(theirs)
            assert rel < 1e-10, (cls, kwargs, rel)
    # the weights did move: a no-op optimizer would fail the comparison above only if
    # torch did not move either
    assert not np.allclose(model.layers[0].W, _problem()[0].layers[0].W, atol=1e-4)
    assert opt.iterations == 25
    assert all(int(s["step"]) == 25 for s in opt.state.values())


def test_defaults_are_torchs():
    import inspect

    for cls in ("SGD", "RMSprop", "Adam", "AdamW", "Adagrad"):
        ours = inspect.signature(getattr(opts, cls)).parameters
        theirs = inspect.signature(getattr(torch.optim, cls)).parameters
        for name, p in ours.items():
            if name == "lr" and cls == "SGD":
                continue  # torch's SGD has lr=1e-3 as a default; ours keeps the seed's 0.01
            assert p.default == theirs[name].default, (cls, name)


def test_state_is_keyed_by_parameter_and_forget_drops_it():
    model, X, y = _problem()
    opt = opts.Adam()
    A, caches = model.forward(X)
    opt.step(model.param_grads(model.backward(caches, y, "mse")))
    assert set(opt.state) == set(model.parameters())
    key = next(iter(model.parameters()))
    assert opt.state[key]["exp_avg"].shape == model.parameters()[key].shape
    opt.forget(prefix=f"{model.layers[0].name}/")
    assert not any(k.startswith(f"{model.layers[0].name}/") for k in opt.state)
    assert len(opt.state) == 4


def test_config_round_trip_and_get():
    opt = opts.Adam(lr=0.01, betas=(0.8, 0.9), amsgrad=True)
    again = opts.from_config(opt.get_config())
    assert type(again) is opts.Adam and again.get_config() == opt.get_config()
    assert opts.get("adamw", lr=0.5).lr == 0.5
    nes = opts.get("nesterov", lr=0.1)
    assert isinstance(nes, opts.SGD) and nes.nesterov and nes.momentum == 0.9
    assert opts.get(opt) is opt
    for name in opts.names():
        o = opts.get(name, lr=0.1)
        assert opts.from_config(o.get_config()).get_config() == o.get_config()


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: opts.get("adamx"), "valid names"),
        (lambda: opts.SGD(lr=-1), "lr must be a positive"),
        (lambda: opts.SGD(momentum=1.5), "momentum must be a number in"),
        (lambda: opts.SGD(nesterov=True), "nesterov=True needs momentum"),
        (lambda: opts.Adam(betas=(0.9, 1.0)), r"betas\[1\] must be a number in"),
        (lambda: opts.RMSprop(alpha=-0.1), "alpha must be a number in"),
        (lambda: opts.Adagrad(eps=-1), "eps must be a number >= 0"),
    ],
)
def test_bad_hyperparameters_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_float32_stays_float32():
    model = lw.mlp(3, [4], 1, seed=0)
    X = np.random.default_rng(0).normal(size=(10, 3))
    for name in opts.names():
        m = model.copy()
        opt = opts.get(name, lr=0.01)
        for _ in range(2):
            A, caches = m.forward(X)
            opt.step(m.param_grads(m.backward(caches, X[:, :1], "mse")))
        assert all(p.dtype == np.float32 for p in m.parameters().values())
        assert all(
            a.dtype == np.float32 for s in opt.state.values() for k, a in s.items() if k != "step"
        )
