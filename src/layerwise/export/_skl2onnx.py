"""skl2onnx converters for ``lw.MLPClassifier`` / ``lw.MLPRegressor``.

With them, ``skl2onnx.to_onnx(Pipeline([..., ("mlp", lw.MLPClassifier())]), X[:1])`` converts
the whole pipeline (scalers included) as skl2onnx converts scikit-learn's own MLPs: the
graph is skl2onnx's MLP graph, read from a view of our estimator under scikit-learn's names.
Importing ``layerwise.estimators`` arranges the registration for the moment skl2onnx is
imported (:func:`register_skl2onnx_on_import`); this module imports skl2onnx only inside
its functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["register_skl2onnx", "register_skl2onnx_on_import"]

# the hidden activations skl2onnx's MLP graph knows, by our estimators' names
_SKL2ONNX_HIDDEN = {"identity": "identity", "linear": "identity", "logistic": "logistic",
                    "sigmoid": "logistic", "tanh": "tanh", "relu": "relu"}  # fmt: skip


def _sklearn_view(est: Any) -> Any:
    """``est`` under scikit-learn's attribute names and activation names, which skl2onnx's
    MLP graph builder reads (``coefs_``, ``intercepts_``, ``activation``, ...)."""
    from types import SimpleNamespace

    hidden = _SKL2ONNX_HIDDEN.get(est.activation)
    if hidden is None:
        raise ValueError(
            f"skl2onnx cannot convert activation={est.activation!r}; it converts "
            f"{sorted(_SKL2ONNX_HIDDEN)}. Export the network alone with "
            "lw.export.to_onnx(estimator, path), which writes every layerwise activation"
        )
    out = "identity" if est.out_activation_ == "exp" else est.out_activation_
    view = SimpleNamespace(**{k: getattr(est, k) for k in ("coefs_", "intercepts_", "n_layers_")})
    view.activation, view.out_activation_ = hidden, out
    for name in ("classes_", "_label_binarizer"):
        if hasattr(est, name):
            setattr(view, name, getattr(est, name))
    return view


def _convert_classifier(scope: Any, operator: Any, container: Any) -> None:
    from skl2onnx.operator_converters.multilayer_perceptron import (
        convert_sklearn_mlp_classifier,
    )

    est = operator.raw_operator
    operator.raw_operator = _sklearn_view(est)
    try:
        convert_sklearn_mlp_classifier(scope, operator, container)
    finally:
        operator.raw_operator = est


def _convert_regressor(scope: Any, operator: Any, container: Any) -> None:
    from skl2onnx.common._apply_operation import apply_reshape
    from skl2onnx.common.data_types import guess_proto_type
    from skl2onnx.operator_converters.multilayer_perceptron import _predict
    from skl2onnx.proto import onnx_proto

    est = operator.raw_operator
    dtype = guess_proto_type(operator.inputs[0].type)
    if dtype != onnx_proto.TensorProto.DOUBLE:
        dtype = onnx_proto.TensorProto.FLOAT
    y = _predict(scope, operator.inputs[0].full_name, container, _sklearn_view(est), dtype)
    if est.out_activation_ == "exp":
        exp = scope.get_unique_variable_name("exp")
        container.add_node("Exp", y, exp, name=scope.get_unique_operator_name("Exp"))
        y = exp
    apply_reshape(
        scope, y, operator.output_full_names, container, desired_shape=(-1, est.n_outputs_)
    )


def _regressor_shape(operator: Any) -> None:
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    kind = DoubleTensorType if isinstance(operator.inputs[0].type, DoubleTensorType) else None
    kind = kind or FloatTensorType
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = kind([n, operator.raw_operator.n_outputs_])


def register_skl2onnx(classifier: type, regressor: type) -> None:
    """Register converters for ``classifier`` and ``regressor`` (layerwise's estimator
    classes) with skl2onnx. Done for you: importing ``layerwise.estimators`` arranges it for
    the moment skl2onnx is imported (or at once, if it already is)."""
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes

    update_registered_converter(
        classifier, "LayerwiseMLPClassifier", calculate_linear_classifier_output_shapes,
        _convert_classifier,
        options={"zipmap": [True, False, "columns"], "nocl": [True, False],
                 "output_class_labels": [False, True]},
    )  # fmt: skip
    update_registered_converter(
        regressor, "LayerwiseMLPRegressor", _regressor_shape, _convert_regressor
    )


class _LoaderThen:
    """A module loader that runs ``then()`` once the module has executed; any other
    attribute is the wrapped loader's (resource readers, ``get_data`` ...)."""

    def __init__(self, loader: Any, then: Callable[[], None]) -> None:
        self._loader, self._then = loader, then

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)
        self._then()


class _AfterImport:
    """A ``sys.meta_path`` finder that, the first time ``name`` is imported, finds it with
    the usual finders and wraps its loader to run ``then()`` after it."""

    def __init__(self, name: str, then: Callable[[], None]) -> None:
        self.name, self.then = name, then

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        import importlib.util
        import sys

        sys.meta_path.remove(self)  # once; and the lookup below must not find us again
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            # a loader by duck typing (create_module, exec_module, the rest delegated), not
            # a subclass of importlib.abc.Loader, whose methods would shadow the delegation
            spec.loader = _LoaderThen(spec.loader, self.then)  # type: ignore[assignment]
        return spec


def register_skl2onnx_on_import(classifier: type, regressor: type) -> None:
    """Register the converters now if skl2onnx is imported, else when it is (importing
    skl2onnx costs about a second, too much to pay for every estimator user)."""
    import sys

    def then() -> None:
        register_skl2onnx(classifier, regressor)

    if "skl2onnx" in sys.modules:
        then()
    elif not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport("skl2onnx", then))
