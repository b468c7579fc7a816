"""Export a layerwise model to ONNX: one Gemm per Dense layer, then its activation.

======================  =============================================================
layerwise               ONNX (float32)
======================  =============================================================
Dense                   ``Gemm(A, W, b)`` (W stored as (n_in, units), no transpose)
relu, sigmoid, tanh     ``Relu``, ``Sigmoid``, ``Tanh``
softmax                 ``Softmax(axis=-1)``
leaky_relu              ``LeakyRelu(alpha=0.01)``
elu                     ``Elu(alpha=1)``
softplus                ``Softplus`` (ONNX Runtime computes it without overflow)
gelu                    ``Gelu`` (opset >= 20), else ``0.5 x (1 + Erf(x / sqrt 2))``
BatchNorm               ``BatchNormalization`` with the running statistics (inference)
Dropout                 nothing: the identity at inference
======================  =============================================================

float64 models export with ``double`` tensors. ONNX Runtime's CPU provider has no double
kernels for ``Elu``, ``Softplus``, ``Erf``, ``Gelu`` (nor ``LeakyRelu`` from opset 16 on), so
in float64 these are written with elementary ops, each exact: ``Relu(x) + Exp(Min(x, 0)) -
1``, the overflow-free ``Relu(x) + Log(1 + Exp(-Abs(x)))``, ``Max(x, 0.01 x)``, and for gelu
``x Phi(x)`` with ``Phi`` built node for node from layerwise's own double-precision normal
distribution function (Cephes' rational approximations, ~90 nodes per gelu layer).
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from layerwise._internal.array_api import model_arrays
from layerwise._internal.files import atomic_write
from layerwise.layers import Dense
from layerwise.model import Sequential
from layerwise.regularization import BatchNorm, Dropout
from layerwise.state import move

__all__ = ["to_onnx"]

_MIN_OPSET = 13  # Softmax over one axis (not a flattened 2-D view) from opset 13 on


def _as_model(model: Any) -> Sequential:
    """A Sequential, or the ``model_`` of a fitted layerwise estimator; a copy on NumPy when
    its arrays live in another library (export reads weights as NumPy)."""
    inner = getattr(model, "model_", None)
    if isinstance(inner, Sequential):
        model = inner
    if not isinstance(model, Sequential):
        raise TypeError(
            f"model must be a layerwise Sequential (or a fitted lw.MLPClassifier/MLPRegressor), "
            f"got {type(model).__name__}"
        )
    if not model.built:
        raise ValueError(
            "the model is not built (its weights do not exist yet); give it input_dim or run "
            "it on data once before exporting"
        )
    if not isinstance(model_arrays(model), np.ndarray):  # PyTorch, CuPy, JAX: read as NumPy
        model = move(model.copy(), "numpy")
    return model


class _Graph:
    """Nodes and initializers under construction, with unique tensor names."""

    def __init__(self, helper: Any, numpy_helper: Any, dtype: np.dtype[Any]) -> None:
        self.helper, self.numpy_helper, self.dtype = helper, numpy_helper, dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, name: str, value: Any) -> str:
        arr = np.asarray(value, dtype=self.dtype)
        self.initializers.append(self.numpy_helper.from_array(arr, name=name))
        return name

    def node(self, op: str, inputs: list[str], hint: str, **attrs: Any) -> str:
        out = self.name(hint)
        self.nodes.append(self.helper.make_node(op, inputs, [out], name=out, **attrs))
        return out


def _activation(g: _Graph, name: str, x: str, prefix: str, opset: int) -> str:
    """Append the nodes of activation ``name`` applied to tensor ``x``; return the output."""
    double = g.dtype == np.float64
    p = f"{prefix}.{name}"
    if name == "identity":
        return x
    if name in ("relu", "sigmoid", "tanh"):
        return g.node({"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}[name], [x], p)
    if name == "softmax":
        return g.node("Softmax", [x], p, axis=-1)
    if name == "leaky_relu":
        if not double:
            return g.node("LeakyRelu", [x], p, alpha=0.01)
        # max(x, 0.01 x) is leaky_relu exactly (0.01 x > x only for x < 0)
        return g.node("Max", [x, g.node("Mul", [x, g.const(f"{p}.slope", 0.01)], p)], p)
    if name == "elu":
        if not double:
            return g.node("Elu", [x], p, alpha=1.0)
        zero, one = g.const(f"{p}.zero", 0.0), g.const(f"{p}.one", 1.0)
        neg = g.node("Exp", [g.node("Min", [x, zero], p)], p)
        return g.node("Add", [g.node("Relu", [x], p), g.node("Sub", [neg, one], p)], p)
    if name == "softplus":
        if not double:
            return g.node("Softplus", [x], p)
        # max(x, 0) + log(1 + e^-|x|): e^-|x| <= 1 never overflows
        one = g.const(f"{p}.one", 1.0)
        e = g.node("Exp", [g.node("Neg", [g.node("Abs", [x], p)], p)], p)
        tail = g.node("Log", [g.node("Add", [one, e], p)], p)
        return g.node("Add", [g.node("Relu", [x], p), tail], p)
    if name == "gelu":
        if double:
            return g.node("Mul", [x, _ndtr(g, x, p)], p)
        if opset >= 20:
            return g.node("Gelu", [x], p, approximate="none")
        inv_sqrt2 = g.const(f"{p}.inv_sqrt2", 1.0 / math.sqrt(2.0))
        half, one = g.const(f"{p}.half", 0.5), g.const(f"{p}.one", 1.0)
        erf = g.node("Erf", [g.node("Mul", [x, inv_sqrt2], p)], p)
        phi = g.node("Mul", [half, g.node("Add", [one, erf], p)], p)
        return g.node("Mul", [x, phi], p)
    raise ValueError(
        f"activation {name!r} has no ONNX export; supported: identity, relu, sigmoid, tanh, "
        "softmax, leaky_relu, elu, softplus, gelu"
    )


def _poly(g: _Graph, x: str, coefs: tuple[float, ...], p: str) -> str:
    """Horner's scheme: c0 x^n + c1 x^(n-1) + ... + cn."""
    out = g.const(g.name(f"{p}.c"), coefs[0])
    for c in coefs[1:]:
        out = g.node("Add", [g.node("Mul", [out, x], p), g.const(g.name(f"{p}.c"), c)], p)
    return out


def _ndtr(g: _Graph, z: str, p: str) -> str:
    """Phi(z) in double from elementary ops: layerwise's own ``_internal.special.ndtr`` (Cephes),
    node for node, for runtimes without a double ``Erf`` (ONNX Runtime's CPU provider)."""
    from layerwise._internal import special as sp

    c = {v: g.const(g.name(f"{p}.k"), v) for v in (0.0, 0.5, 1.0, 8.0, sp._SQRT1_2)}
    x = g.node("Mul", [z, c[sp._SQRT1_2]], p)
    ax = g.node("Abs", [x], p)
    small = g.node("Less", [ax, c[1.0]], p)
    xs = g.node("Where", [small, x, c[0.0]], p)
    zz = g.node("Mul", [xs, xs], p)
    ratio = g.node("Div", [_poly(g, zz, sp._T, p), _poly(g, zz, sp._U, p)], p)
    mid = g.node("Add", [c[0.5], g.node("Mul", [g.node("Mul", [c[0.5], xs], p), ratio], p)], p)
    ac = g.node("Max", [ax, c[1.0]], p)
    big = g.node("GreaterOrEqual", [ac, c[8.0]], p)
    num = g.node("Where", [big, _poly(g, ac, sp._R, p), _poly(g, ac, sp._P, p)], p)
    den = g.node("Where", [big, _poly(g, ac, sp._S, p), _poly(g, ac, sp._Q, p)], p)
    gauss = g.node("Exp", [g.node("Neg", [g.node("Mul", [ac, ac], p)], p)], p)
    erfc = g.node("Div", [g.node("Mul", [gauss, num], p), den], p)
    tail = g.node("Mul", [c[0.5], erfc], p)  # Phi(-|z|), exact in the far tail
    upper = g.node("Sub", [c[1.0], tail], p)
    positive = g.node("Greater", [x, c[0.0]], p)
    return g.node("Where", [small, mid, g.node("Where", [positive, upper, tail], p)], p)


def _require_onnx() -> Any:
    # not layerwise.export.require: this module is imported by layerwise.export (no cycle)
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            "lw.export.to_onnx needs onnx, which is not installed; install it with: "
            "pip install 'layerwise[onnx]'"
        ) from exc
    return onnx


def _check_args(onnx: Any, opset: Any, input_name: Any, output_name: Any) -> None:
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int | np.integer):
        raise TypeError(f"opset must be an integer, got {opset!r}")
    if not _MIN_OPSET <= opset <= newest:
        raise ValueError(
            f"opset must be between {_MIN_OPSET} and {newest} (the newest this onnx knows), "
            f"got {opset}"
        )
    for name, arg in (("input_name", input_name), ("output_name", output_name)):
        if not isinstance(arg, str) or not arg:
            raise ValueError(f"{name} must be a non-empty string, got {arg!r}")
    if input_name == output_name:
        raise ValueError(f"input_name and output_name must differ, both are {input_name!r}")


def _layer_nodes(g: _Graph, model: Sequential, x: str, opset: int) -> str:
    """The nodes of every layer, from input ``x``; returns the last output's name."""
    for i, layer in enumerate(model.layers):
        prefix = layer.name or f"layer_{i}"
        if isinstance(layer, Dense):
            W = g.const(f"{prefix}.W", layer.W)
            b = g.const(f"{prefix}.b", layer.b)
            x = g.node("Gemm", [x, W, b], f"{prefix}.gemm")
            x = _activation(g, layer.activation.name, x, prefix, opset)
        elif isinstance(layer, BatchNorm):
            inputs = [
                g.const(f"{prefix}.{k}", getattr(layer, k))
                for k in ("gamma", "beta", "running_mean", "running_var")
            ]
            x = g.node("BatchNormalization", [x, *inputs], f"{prefix}.bn", epsilon=layer.eps)
            x = _activation(g, layer.activation.name, x, prefix, opset)
        elif isinstance(layer, Dropout):
            continue  # the identity at inference
        else:
            raise TypeError(
                f"layer {i} ({type(layer).__name__}) has no ONNX export; supported layers: "
                "Dense, BatchNorm, Dropout"
            )
    return x


def to_onnx(
    model: Sequential,
    path: str | os.PathLike,
    *,
    opset: int = 17,
    input_name: str = "input",
    output_name: str = "output",
) -> Any:
    """Write ``model`` as an ONNX graph to ``path`` (atomically) and return the ModelProto.

    The graph takes ``input_name`` of shape (batch, n_features) and gives ``output_name`` of
    shape (batch, output_dim), in the model's dtype (float32 -> ``float``, float64 ->
    ``double``); its outputs are ``model.predict``'s (inference mode: BatchNorm uses its
    running statistics, Dropout is left out). The model is checked with
    ``onnx.checker.check_model`` (with shape inference) before anything is written.

    Parameters
    ----------
    model : Sequential
        A built model of Dense, BatchNorm and Dropout layers (or a fitted
        ``lw.MLPClassifier``/``lw.MLPRegressor``, whose ``model_`` is exported: its
        outputs are the network's, e.g. one sigmoid column for two classes).
    path : str or PathLike
        The ``.onnx`` file to write.
    opset : int, default 17
        ONNX operator set, from 13 to the installed onnx's newest. From 20 on, gelu is one
        ``Gelu`` node.
    input_name, output_name : str
        Names of the graph's input and output.

    Returns
    -------
    onnx.ModelProto

    Raises
    ------
    ImportError
        Without onnx (``pip install 'layerwise[onnx]'``).
    TypeError, ValueError
        For a model that is not a built Sequential, a layer or activation with no ONNX
        form, or a bad opset.

    Examples
    --------
    >>> import layerwise as lw, onnxruntime as ort                    # doctest: +SKIP
    >>> model = lw.mlp(4, [8], 3, output_activation="softmax", seed=0)  # doctest: +SKIP
    >>> lw.export.to_onnx(model, "model.onnx")                          # doctest: +SKIP
    >>> session = ort.InferenceSession("model.onnx")                    # doctest: +SKIP
    >>> session.run(None, {"input": X.astype("float32")})[0]            # doctest: +SKIP
    """
    onnx = _require_onnx()
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    exp = getattr(model, "out_activation_", None) == "exp"  # MLPRegressor(loss="poisson")
    model = _as_model(model)
    _check_args(onnx, opset, input_name, output_name)
    dtype = model.dtype
    elem = onnx.TensorProto.DOUBLE if dtype == np.float64 else onnx.TensorProto.FLOAT
    g = _Graph(helper, numpy_helper, dtype)
    x = _layer_nodes(g, model, input_name, opset)
    if exp:
        x = g.node("Exp", [x], "output.exp")
    g.nodes.append(helper.make_node("Identity", [x], [output_name], name="output"))
    graph = helper.make_graph(
        g.nodes,
        "layerwise",
        [helper.make_tensor_value_info(input_name, elem, ["batch", model.input_dim])],
        [helper.make_tensor_value_info(output_name, elem, ["batch", model.output_dim])],
        initializer=g.initializers,
    )
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(
        graph,
        opset_imports=opsets,
        producer_name="layerwise",
        ir_version=helper.find_min_ir_version_for(opsets),
        doc_string=f"exported by layerwise: {model!r}",
    )
    onnx.checker.check_model(proto, full_check=True)
    data = proto.SerializeToString()
    with atomic_write(path, "wb") as f:
        f.write(data)
    return proto
