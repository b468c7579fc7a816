"""The real sets, the small ones bundled with scikit-learn; it is imported only when one
is loaded."""

from __future__ import annotations

import numpy as np

from layerwise.datasets._registry import _REGISTRY


def _load_real(name: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn import datasets as skd
    except ImportError as exc:
        raise ImportError(
            f"the data set {name!r} comes from scikit-learn; "
            "install it with: pip install 'layerwise[sklearn]'"
        ) from exc
    X, y = getattr(skd, f"load_{name}")(return_X_y=True)
    dtype = np.float64 if _REGISTRY[name].task == "regression" else np.int64
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=dtype)
