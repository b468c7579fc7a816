"""scikit-learn's MLP estimators on layerwise networks: :class:`MLPClassifier`,
:class:`MLPRegressor`.

They take scikit-learn's parameters in its order and with its meanings (``solver``,
``learning_rate_init``, ``max_iter``, ...), behave as its ``MLPClassifier`` and
``MLPRegressor`` do (the same Glorot-uniform initial weights for a ``random_state``, the same
stopping rules, ``ConvergenceWarning``, ``partial_fit``, ``sample_weight``, sparse X, multi-label
targets) and pass scikit-learn's own test_mlp.py with the import swapped, so a script written for
``sklearn.neural_network`` runs unchanged. Underneath, the network is a
:class:`layerwise.Sequential` (``model_``) trained by its own forward and backward steps, with
layerwise's optimizers (``solver="adamw"``, ``"rmsprop"``, ...), activations (``"gelu"``, ...)
and dropout on top.

This package needs scikit-learn and scipy (``pip install 'layerwise[sklearn]'``);
``import layerwise`` does not import them, ``lw.MLPClassifier`` does.

>>> import layerwise as lw
>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True)
>>> clf = lw.MLPClassifier((16,), solver="lbfgs", random_state=0).fit(X, y)
>>> clf.score(X, y) > 0.95
True
"""

from __future__ import annotations

try:
    import scipy.optimize  # noqa: F401
    import sklearn  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised through sys.modules in the tests
    raise ImportError(
        "layerwise.MLPClassifier and layerwise.MLPRegressor need scikit-learn and scipy; "
        "install them with: pip install 'layerwise[sklearn]'"
    ) from exc

from layerwise.estimators._mlp import MLPClassifier, MLPRegressor
from layerwise.export._skl2onnx import register_skl2onnx_on_import

__all__ = ["MLPClassifier", "MLPRegressor"]

# skl2onnx.to_onnx(pipeline) converts our estimators once skl2onnx is imported
register_skl2onnx_on_import(MLPClassifier, MLPRegressor)
