"""PyTorch bridges: a layerwise model to ``torch.nn.Sequential`` and back.

==============================  ==========================================================
layerwise                       PyTorch
==============================  ==========================================================
Dense(units, act)               ``nn.Linear(n_in, units)`` (``weight = W.T``, ``bias = b``),
                                then the activation's module (none for identity)
relu, sigmoid, tanh             ``nn.ReLU``, ``nn.Sigmoid``, ``nn.Tanh``
leaky_relu                      ``nn.LeakyReLU(0.01)``
elu                             ``nn.ELU(alpha=1.0)``
softplus                        ``nn.Softplus(beta=1)`` (see below)
gelu                            ``nn.GELU(approximate="none")``
softmax                         ``nn.Softmax(dim=-1)``
BatchNorm(momentum, eps, act)   ``nn.BatchNorm1d(units, eps, momentum)``, then the activation
Dropout(rate)                   ``nn.Dropout(rate)``
==============================  ==========================================================

``from_torch`` also accepts ``nn.Identity``, ``nn.Softmax(dim=1)`` and nested
``nn.Sequential`` containers; anything else is refused with its name.

Softplus: PyTorch returns ``x`` itself where ``beta * x > threshold`` (20 by default) instead
of ``log(1 + e^x)``. The two differ by ``log1p(e^-x) < 2.1e-9`` there: below float32's
resolution at x = 20, but not float64's, so ``to_torch`` sets ``threshold=40`` for float64
models (where the difference, ``4e-18``, is below float64's resolution at 40), and
``from_torch`` accepts thresholds of at least 20.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from layerwise._internal.validation import check_allocation
from layerwise.layers import Dense, Layer
from layerwise.model import Sequential
from layerwise.regularization import BatchNorm, Dropout

__all__ = ["to_torch", "from_torch"]


def _torch() -> Any:
    # imported here, not from layerwise.export, which imports this module (no cycle)
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            "lw.export.to_torch/from_torch needs torch, which is not installed; install it "
            "with: pip install 'layerwise[torch]'"
        ) from exc
    return torch


def _activation_module(nn: Any, name: str, dtype: np.dtype[Any]) -> Any:
    if name == "identity":
        return None
    if name == "softplus":
        return nn.Softplus(beta=1.0, threshold=40.0 if dtype == np.float64 else 20.0)
    makers: dict[str, Callable[[], Any]] = {
        "relu": nn.ReLU,
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "leaky_relu": lambda: nn.LeakyReLU(0.01),
        "elu": lambda: nn.ELU(alpha=1.0),
        "gelu": lambda: nn.GELU(approximate="none"),
        "softmax": lambda: nn.Softmax(dim=-1),
    }
    if name not in makers:
        raise ValueError(f"activation {name!r} has no PyTorch module")
    return makers[name]()


def to_torch(model: Sequential) -> Any:
    """A ``torch.nn.Sequential`` that computes what ``model.predict`` computes.

    Every Dense layer becomes an ``nn.Linear`` with ``weight = W.T`` (shape (units, n_in))
    and ``bias = b``, followed by its activation's module; BatchNorm becomes
    ``nn.BatchNorm1d`` with the running statistics, Dropout ``nn.Dropout``. Parameters are
    copies in the model's dtype (float32 or float64), on the CPU. The module is returned in
    eval mode (inference, as ``model.predict``); call ``.train()`` to train it further.

    Parameters
    ----------
    model : Sequential
        A built model (or a fitted ``lw.MLPClassifier``/``lw.MLPRegressor``).

    Returns
    -------
    torch.nn.Sequential
        Input (batch, n_features) -> output (batch, output_dim).

    Examples
    --------
    >>> import layerwise as lw, torch                                  # doctest: +SKIP
    >>> model = lw.mlp(4, [8], 1, output_activation="sigmoid", seed=0)  # doctest: +SKIP
    >>> lw.export.to_torch(model)                                      # doctest: +SKIP
    Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=1, bias=True)
      (3): Sigmoid()
    )
    """
    from layerwise.export.onnx import _as_model

    torch = _torch()
    nn = torch.nn
    model = _as_model(model)
    tdtype = torch.float64 if model.dtype == np.float64 else torch.float32
    modules: list[Any] = []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Dense):
            assert layer.W is not None  # built: _as_model refuses a model that is not
            linear = nn.Linear(layer.n_in, layer.units, dtype=tdtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(layer.W.T)))
                linear.bias.copy_(torch.from_numpy(np.array(layer.b)))
            modules.append(linear)
        elif isinstance(layer, BatchNorm):
            bn = nn.BatchNorm1d(layer.units, eps=layer.eps, momentum=layer.momentum, dtype=tdtype)
            with torch.no_grad():
                for ours, theirs in (
                    ("gamma", "weight"),
                    ("beta", "bias"),
                    ("running_mean", "running_mean"),
                    ("running_var", "running_var"),
                ):
                    getattr(bn, theirs).copy_(torch.from_numpy(np.array(getattr(layer, ours))))
            modules.append(bn)
        elif isinstance(layer, Dropout):
            modules.append(nn.Dropout(layer.rate))
            continue
        else:
            raise TypeError(
                f"layer {i} ({type(layer).__name__}) has no PyTorch module; supported layers: "
                "Dense, BatchNorm, Dropout"
            )
        act = _activation_module(nn, layer.activation.name, model.dtype)
        if act is not None:
            modules.append(act)
    return nn.Sequential(*modules).eval()


def _flatten(module: Any, nn: Any) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for name, child in module.named_children():
        if isinstance(child, nn.Sequential):
            out.extend((f"{name}.{n}", c) for n, c in _flatten(child, nn))
        else:
            out.append((name, child))
    return out


def _activation_name(nn: Any, module: Any, where: str) -> str | None:
    """The layerwise activation of a torch activation module (None if it is not one)."""
    simple = {nn.ReLU: "relu", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.Identity: "identity"}
    for cls, name in simple.items():
        if type(module) is cls:
            return name
    if type(module) is nn.LeakyReLU:
        if module.negative_slope != 0.01:
            raise ValueError(
                f"{where}: LeakyReLU(negative_slope={module.negative_slope}) is not supported; "
                "layerwise's leaky_relu has slope 0.01"
            )
        return "leaky_relu"
    if type(module) is nn.ELU:
        if module.alpha != 1.0:
            raise ValueError(f"{where}: ELU(alpha={module.alpha}) is not supported; only alpha=1")
        return "elu"
    if type(module) is nn.Softplus:
        if module.beta != 1.0 or module.threshold < 20:
            raise ValueError(
                f"{where}: Softplus(beta={module.beta}, threshold={module.threshold}) is not "
                "supported; layerwise's softplus is beta=1 (threshold >= 20, where PyTorch's "
                "linear switch differs from log(1 + e^x) by < 2.1e-9)"
            )
        return "softplus"
    if type(module) is nn.GELU:
        if module.approximate != "none":
            raise ValueError(
                f"{where}: GELU(approximate={module.approximate!r}) is not supported; "
                "layerwise's gelu is the exact one (approximate='none')"
            )
        return "gelu"
    if type(module) is nn.Softmax:
        if module.dim not in (-1, 1):
            raise ValueError(
                f"{where}: Softmax(dim={module.dim}) is not supported; use dim=-1 (or 1), over "
                "the features of each sample"
            )
        return "softmax"
    return None


def from_torch(module: Any, *, seed: int | np.random.Generator | None = None) -> Sequential:
    """A layerwise Sequential with the weights and function of a ``torch.nn.Sequential``.

    Each ``nn.Linear`` becomes a Dense layer (``W = weight.T``, ``b = bias`` or zeros) whose
    activation is the supported activation module that follows it, if any;
    ``nn.BatchNorm1d`` (with running statistics) becomes BatchNorm, likewise taking a
    following activation; ``nn.Dropout`` becomes Dropout; ``nn.Identity`` is skipped and
    nested ``nn.Sequential`` containers are flattened. The dtype (float32 or float64) is
    the module's.

    Parameters
    ----------
    module : torch.nn.Sequential
    seed : int or numpy.random.Generator, optional
        The new model's source of randomness for further training (the weights are copied).

    Returns
    -------
    Sequential

    Raises
    ------
    TypeError
        For a module that is not an ``nn.Sequential``, or that contains an unsupported
        module (named in the message, with its position).
    ValueError
        For a supported module with settings layerwise cannot reproduce (a LeakyReLU slope
        other than 0.01, ELU alpha other than 1, Softplus beta other than 1, tanh-approximate
        GELU, Softmax over another dim), an activation with no layer before it, mixed or
        non-float dtypes, or widths that do not chain.
    """
    torch = _torch()
    nn = torch.nn
    if not isinstance(module, nn.Sequential):
        raise TypeError(
            f"from_torch needs a torch.nn.Sequential, got {type(module).__name__}; wrap the "
            "layers in nn.Sequential(...)"
        )
    children = _flatten(module, nn)
    dtype = _check_tensors(torch, module)
    layers: list[Layer] = []
    weights: list[tuple[str, dict[str, np.ndarray]]] = []
    input_dim = None
    # the last layer, when it is a Linear or BatchNorm1d with no activation yet
    open_layer: Dense | BatchNorm | None = None
    for name, child in children:
        where = f"module {name} ({type(child).__name__})"
        converted = _convert(nn, child, where, dtype)
        if converted is None:  # an activation: goes into the layer before it
            if _attach_activation(nn, child, where, open_layer):
                open_layer = None
            continue
        layer, kind, arrays = converted
        layers.append(layer)
        weights.append((kind, arrays))
        open_layer = layer if isinstance(layer, Dense | BatchNorm) else None  # not Dropout
        if input_dim is None and kind != "dropout":
            input_dim = child.in_features if kind == "dense" else child.num_features
    if not any(isinstance(layer, Dense) for layer in layers):
        raise ValueError("the module holds no Linear layer")
    model = Sequential(layers, input_dim=input_dim, seed=seed, dtype=dtype)
    for i, (layer, (kind, arrays)) in enumerate(zip(model.layers, weights, strict=True)):
        if isinstance(layer, Dense):  # kind "dense"
            if arrays["W"].shape[0] != layer.n_in:
                raise ValueError(
                    f"Linear layer at position {i} has in_features={arrays['W'].shape[0]} but "
                    f"the layer before it gives {layer.n_in}"
                )
            layer.set_weights(arrays["W"], arrays["b"])
        elif kind == "bn":
            if arrays["gamma"].shape[0] != layer.n_in:
                raise ValueError(
                    f"BatchNorm1d at position {i} has {arrays['gamma'].shape[0]} features but "
                    f"the layer before it gives {layer.n_in}"
                )
            for k, v in arrays.items():
                setattr(layer, k, v)
    return model


def _check_tensors(torch: Any, module: Any) -> str:
    """The module's dtype name, after checking that every tensor has data (not the meta
    device), one float dtype, and a size that fits in memory (copied about 3 times)."""
    tensors = [*module.parameters(), *(b for b in module.buffers() if b.is_floating_point())]
    if not tensors:
        raise ValueError("the module has no parameters: it holds no Linear layer")
    dtypes = {t.dtype for t in tensors}
    if dtypes - {torch.float32, torch.float64} or len(dtypes) > 1:
        raise ValueError(
            f"the module's parameters have dtype(s) {sorted(map(str, dtypes))}; layerwise needs "
            "all float32 or all float64 (convert with module.float() or module.double())"
        )
    dtype = "float64" if dtypes == {torch.float64} else "float32"
    n = sum(t.numel() for t in tensors)
    if any(t.is_meta for t in tensors):
        raise ValueError(
            f"the module's tensors are on the meta device ({n:,} values with no data); "
            "materialise them first: module.to_empty(device='cpu'), then load the weights"
        )
    check_allocation(3 * n, dtype, f"from_torch of a module of {n:,} parameters")
    return dtype


def _convert(
    nn: Any, child: Any, where: str, dtype: str
) -> tuple[Layer, str, dict[str, np.ndarray]] | None:
    """The layerwise layer for ``child`` with its arrays, or None for an activation."""

    def array(t: Any) -> np.ndarray:
        return np.ascontiguousarray(t.detach().cpu().numpy(), dtype=dtype)

    if isinstance(child, nn.Linear):
        W = array(child.weight).T.copy()
        b = array(child.bias) if child.bias is not None else np.zeros(W.shape[1], dtype)
        return Dense(child.out_features, "identity"), "dense", {"W": W, "b": b}
    if isinstance(child, nn.BatchNorm1d):
        if not child.track_running_stats or child.running_mean is None:
            raise ValueError(f"{where}: needs running statistics (track_running_stats=True)")
        if child.momentum is None:
            raise ValueError(
                f"{where}: momentum=None (a cumulative average) is not supported; give the "
                "BatchNorm1d a momentum such as 0.1"
            )
        n = child.num_features
        return BatchNorm(momentum=child.momentum, eps=child.eps), "bn", {
            "gamma": array(child.weight) if child.affine else np.ones(n, dtype),
            "beta": array(child.bias) if child.affine else np.zeros(n, dtype),
            "running_mean": array(child.running_mean),
            "running_var": array(child.running_var),
        }  # fmt: skip
    if isinstance(child, nn.Dropout):
        return Dropout(child.p), "dropout", {}
    return None


def _attach_activation(nn: Any, child: Any, where: str, layer: Dense | BatchNorm | None) -> bool:
    """Give ``layer`` the activation ``child``; False for an identity (nothing to give)."""
    act = _activation_name(nn, child, where)
    if act is None:
        raise TypeError(
            f"{where} is not supported by from_torch; supported: Linear, BatchNorm1d, "
            "Dropout, ReLU, Sigmoid, Tanh, LeakyReLU(0.01), ELU(1), Softplus, "
            "GELU('none'), Softmax(dim=-1), Identity and nested Sequential"
        )
    if act == "identity":
        return False
    if layer is None:
        raise ValueError(
            f"{where}: an activation must follow a Linear or BatchNorm1d layer (that "
            "has no activation yet); layerwise keeps each activation inside its layer"
        )
    if act == "softmax" and isinstance(layer, BatchNorm):
        raise ValueError(f"{where}: softmax after BatchNorm1d is not supported")
    from layerwise import activations

    layer.activation = activations.get(act)
    return True
