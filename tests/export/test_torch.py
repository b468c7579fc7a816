"""layerwise.export.torch: a model to ``torch.nn.Sequential`` and back, against PyTorch's
own outputs; a module built and trained in PyTorch imports; what cannot be converted (or does
not fit in memory) is refused with a named reason.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from tests.export.helpers import every_activation_model, inputs

torch = pytest.importorskip("torch")
nn = torch.nn


def test_from_torch_of_a_huge_meta_device_linear_is_a_clear_error():
    with torch.device("meta"):
        module = torch.nn.Sequential(torch.nn.Linear(10**6, 10**6), torch.nn.ReLU())
    with pytest.raises(ValueError, match=r"meta device \(1,000,001,000,000 values"):
        lw.export.from_torch(module)


def test_from_torch_refuses_a_module_beyond_memory(monkeypatch):
    from layerwise._internal import memory as _memory

    module = torch.nn.Sequential(torch.nn.Linear(100, 100))
    tiny = [_memory.Limit("a tiny machine", 1000)]
    monkeypatch.setattr(_memory, "limits", lambda: tiny)
    with pytest.raises(ValueError, match="from_torch of a module of 10,100 parameters needs"):
        lw.export.from_torch(module)


def _torch_out(module, X):
    with torch.no_grad():
        return module(torch.from_numpy(X)).numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity"])
def test_to_torch_and_back(dtype, output):
    model = every_activation_model(dtype, output)
    module = lw.export.to_torch(model)
    assert not module.training
    assert all(p.dtype == getattr(torch, dtype) for p in module.parameters())
    linears = [m for m in module if isinstance(m, nn.Linear)]
    dense = [layer for layer in model.layers if isinstance(layer, lw.Dense)]
    assert len(linears) == len(dense)
    for lin, layer in zip(linears, dense):
        np.testing.assert_array_equal(lin.weight.detach().numpy(), layer.W.T)
        np.testing.assert_array_equal(lin.bias.detach().numpy(), layer.b)
    X = inputs(dtype)
    tol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(_torch_out(module, X), model.predict(X), rtol=tol, atol=tol)

    back = lw.export.from_torch(module)
    assert back.dtype == model.dtype
    assert [type(l).__name__ for l in back.layers] == [type(l).__name__ for l in model.layers]
    for a, b in zip(model.layers, back.layers):
        assert getattr(a, "activation", None) == getattr(b, "activation", None)
        for (ka, va), (kb, vb) in zip(
            {**a.params(), **a.buffers()}.items(), {**b.params(), **b.buffers()}.items()
        ):
            assert ka == kb and va.dtype == vb.dtype
            np.testing.assert_array_equal(va, vb)
    np.testing.assert_allclose(back.predict(X), model.predict(X), rtol=tol, atol=tol)


def test_from_torch_module_built_and_trained_in_torch():
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Linear(5, 8, bias=False),
        nn.GELU(),
        nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8), nn.ELU()),
        nn.Dropout(0.2),
        nn.Identity(),
        nn.Linear(8, 6),
        nn.Softplus(),
        nn.Linear(6, 4),
        nn.Softmax(dim=1),
    ).double()
    opt = torch.optim.SGD(module.parameters(), lr=0.1)
    X = torch.randn(32, 5, dtype=torch.float64)
    for _ in range(5):  # moves the BatchNorm running statistics and every weight
        opt.zero_grad()
        module(X).log().sum().neg().backward()
        opt.step()
    module.eval()
    model = lw.export.from_torch(module, seed=0)
    assert model.dtype == np.float64
    assert [type(l).__name__ for l in model.layers] == [
        "Dense", "Dense", "BatchNorm", "Dropout", "Dense", "Dense",
    ]  # fmt: skip
    np.testing.assert_array_equal(model.layers[0].b, 0.0)
    Xn = X.numpy() * 3
    np.testing.assert_allclose(model.predict(Xn), _torch_out(module, Xn), rtol=1e-12, atol=1e-12)


def test_softplus_threshold():
    """PyTorch's Softplus returns x above its threshold (20); to_torch raises it to 40 for
    float64, where log1p(e^-x) is below the resolution; from_torch refuses a low one."""
    for dtype in ("float32", "float64"):
        model = lw.Sequential([lw.Dense(1, "softplus")], input_dim=1, dtype=dtype)
        model.layers[0].W[...], model.layers[0].b[...] = 1.0, 0.0
        X = np.linspace(-50, 60, 221, dtype=dtype)[:, None]
        tol = 1e-5 if dtype == "float32" else 1e-15
        out = _torch_out(lw.export.to_torch(model), X)
        np.testing.assert_allclose(out, model.predict(X), rtol=tol, atol=tol)
    with pytest.raises(ValueError, match="threshold"):
        lw.export.from_torch(nn.Sequential(nn.Linear(2, 2), nn.Softplus(threshold=10)))


@pytest.mark.parametrize(
    "module, error, match",
    [
        (nn.Sequential(nn.Linear(2, 3), nn.Conv1d(1, 1, 1)), TypeError, "Conv1d"),
        (nn.Sequential(nn.Linear(2, 3), nn.SiLU()), TypeError, "SiLU"),
        (nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.2)), ValueError, "LeakyReLU"),
        (nn.Sequential(nn.Linear(2, 3), nn.ELU(alpha=0.5)), ValueError, "ELU"),
        (nn.Sequential(nn.Linear(2, 3), nn.Softplus(beta=2)), ValueError, "beta"),
        (nn.Sequential(nn.Linear(2, 3), nn.GELU("tanh")), ValueError, "approximate"),
        (nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=0)), ValueError, "dim"),
        (nn.Sequential(nn.ReLU(), nn.Linear(2, 3)), ValueError, "must follow"),
        (nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Tanh()), ValueError, "must follow"),
        (nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1)), ValueError, "in_features=4"),
        (nn.Sequential(nn.Linear(2, 3).half()), ValueError, "float16"),
        (nn.Linear(2, 3), TypeError, "nn.Sequential"),
    ],
)
def test_from_torch_refuses_with_a_named_reason(module, error, match):
    with pytest.raises(error, match=match):
        lw.export.from_torch(module)
