"""Reading the first format of ``lw.save(estimator or Pipeline)`` (``layerwise-sklearn``
version 1), which layerwise no longer writes: a JSON description of each layerwise estimator
(its parameters and fitted scalars) with its weights as plain arrays, and every other step of
a flat Pipeline in skops' format. Files of version 2 (:mod:`layerwise.saving._sklearn`) hold the
whole object in skops' format instead."""

from __future__ import annotations

from typing import Any

import numpy as np

from layerwise.training import schedules

# fitted attributes of an estimator that version 1 stored as plain JSON values
_SCALARS = (
    "n_features_in_", "n_iter_", "t_", "n_outputs_", "n_layers_", "out_activation_",
    "loss_", "best_loss_", "loss_curve_", "validation_scores_", "best_validation_score_",
)  # fmt: skip


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"float"}:
        return float(value["float"])  # inf and nan, which JSON lacks
    if isinstance(value, dict) and set(value) == {"schedule"}:
        return schedules.from_config(value["schedule"])
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _estimator(desc: dict, prefix: str, arrays: Any, where: str) -> Any:
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.utils import check_random_state

    import layerwise.estimators as est_mod

    kind = desc.get("kind")
    if kind not in est_mod.__all__:
        raise ValueError(f"{where}: unknown estimator kind {kind!r}; the file is damaged")
    params = {k: _from_json(v) for k, v in desc["params"].items()}
    if isinstance(params.get("hidden_layer_sizes"), list):
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    est = getattr(est_mod, kind)(**params)
    for k, v in desc["fitted"].items():
        if k in _SCALARS:
            setattr(est, k, _from_json(v))
    n = int(est.n_layers_) - 1
    est.coefs_ = [np.array(arrays[f"{prefix}coef{i}"]) for i in range(n)]
    est.intercepts_ = [np.array(arrays[f"{prefix}intercept{i}"]) for i in range(n)]
    for i, (W, b) in enumerate(zip(est.coefs_, est.intercepts_, strict=True)):
        n_in = est.n_features_in_ if i == 0 else est.coefs_[i - 1].shape[1]
        if W.ndim != 2 or W.shape[0] != n_in or b.shape != (W.shape[1],):
            raise ValueError(f"{where}: layer {i} has inconsistent shapes; the file is damaged")
    if "feature_names_in_" in desc:
        est.feature_names_in_ = np.asarray(desc["feature_names_in_"], dtype=object)
    if "y_type" in desc:
        if f"{prefix}classes" in arrays:
            classes = np.array(arrays[f"{prefix}classes"])
        else:
            classes = np.asarray(desc["classes"], dtype=desc["classes_dtype"])
        lb = LabelBinarizer()
        lb.classes_, lb.y_type_, lb.sparse_input_ = classes, desc["y_type"], False
        est._label_binarizer, est.classes_ = lb, classes
    est._random_state = check_random_state(est.random_state)
    return est


def _step(desc: dict, prefix: str, arrays: Any, where: str, load_skops: Any) -> Any:
    if desc.get("kind") == "passthrough":
        return "passthrough"
    if desc.get("kind") != "skops":
        return _estimator(desc, prefix, arrays, where)
    return load_skops(np.array(arrays[f"{prefix}skops"]).tobytes(), repr(desc.get("name")))


def load(header: dict, arrays: Any, where: str, load_skops: Any) -> Any:
    """The estimator or Pipeline of a version-1 file; ``load_skops(data, step)`` reads one
    step written by skops (with the caller's rules of trust)."""
    try:
        if "estimator" in header:
            return _estimator(header["estimator"], "e/", arrays, where)
        from sklearn.pipeline import Pipeline

        steps = [
            (d["name"], _step(d, f"s{i}/", arrays, where, load_skops))
            for i, d in enumerate(header["pipeline"])
        ]
        return Pipeline(steps, verbose=header.get("verbose", False))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{where}: the description is invalid ({exc!r})") from None
