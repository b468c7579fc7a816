"""layerwise.saving._sklearn: fitted scikit-learn objects that hold layerwise estimators.
pickle, skops, lw.save / lw.load (any Pipeline, searches, wrappers; trusted types), and
MLflow's sklearn flavour.
"""

from __future__ import annotations

import inspect
import os
import pickle
import subprocess
import sys
import textwrap
import warnings
from copy import deepcopy
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw
import layerwise.saving
from layerwise.saving import _trust

pytest.importorskip("sklearn")
sio = pytest.importorskip("skops.io")

from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.cluster import Birch  # noqa: E402
from sklearn.compose import TransformedTargetRegressor, make_column_transformer  # noqa: E402
from sklearn.datasets import load_iris, load_wine  # noqa: E402
from sklearn.ensemble import BaggingClassifier, StackingClassifier  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.feature_selection import SelectKBest, f_classif  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV  # noqa: E402
from sklearn.pipeline import FeatureUnion, make_pipeline  # noqa: E402
from sklearn.preprocessing import (  # noqa: E402
    FunctionTransformer,
    PolynomialFeatures,
    SplineTransformer,
    StandardScaler,
)

from tests.saving.sklearn_objects import Doubler, X, Y  # noqa: E402
from tests.saving.sklearn_objects import clf as _clf  # noqa: E402
from tests.saving.sklearn_objects import fit as _fit  # noqa: E402
from tests.saving.sklearn_objects import same_predictions as _same_predictions  # noqa: E402

X_MISSING = X.copy()
X_MISSING[::7, 1] = np.nan


# ------------------------------------------------------------------ pickle and skops
def _layerwise_objects():
    seq = lw.mlp(4, [6], 3, output_activation="softmax", seed=0)
    seq.fit(X, Y, loss="cce", optimizer="adam", lr=0.01, epochs=3, verbose=False,
            schedule=lw.schedules.StepLR(2))  # fmt: skip
    seq_bn = lw.Sequential([lw.Dense(6, "relu"), lw.BatchNorm(), lw.Dropout(0.2),
                            lw.Dense(3, "softmax")], input_dim=4, seed=1)  # fmt: skip
    seq_bn.fit(X, Y, loss="cce", optimizer="sgd", lr=0.05, epochs=2, verbose=False)
    plateau = lw.schedules.ReduceLROnPlateau("val_score", patience=1)
    return {
        "sequential-adam": seq,
        "sequential-batchnorm-dropout": seq_bn,
        "untrained": lw.mlp(4, [3], 1, seed=0),
        "classifier-adam": _fit(_clf()),
        "classifier-sgd-dropout": _fit(_clf(solver="sgd", dropout=0.1)),
        "classifier-early-plateau": _fit(_clf(early_stopping=True, schedule=plateau)),
        "classifier-lbfgs": _fit(_clf(solver="lbfgs")),
        "regressor-poisson": _fit(lw.MLPRegressor(loss="poisson", hidden_layer_sizes=(3,),
                                                  max_iter=10, random_state=0), y=Y + 1.0),
        "pipeline": _fit(make_pipeline(StandardScaler(), _clf())),
    }  # fmt: skip


OBJECTS = _layerwise_objects()


def _predict(obj):
    if isinstance(obj, lw.Sequential):
        return obj.predict(X)
    return obj.predict_proba(X) if hasattr(obj, "predict_proba") else obj.predict(X)


def _continue(obj):
    """Train one more step, so that a copy that lost any training state differs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if isinstance(obj, lw.Sequential):
            if obj.optimizer is not None:
                obj.fit(X, Y, loss="cce", epochs=1, verbose=False)
        elif getattr(obj, "solver", "lbfgs") != "lbfgs" and not obj.early_stopping:
            obj.partial_fit(X, Y + 1.0 if obj.loss == "poisson" else Y)
    return _predict(obj)


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_every_layerwise_object_pickles_and_goes_through_skops(name):
    obj = OBJECTS[name]
    data = sio.dumps(obj)
    untrusted = sio.get_untrusted_types(data=data)
    assert all(_trust.by_construction(t) for t in untrusted), untrusted
    assert sorted(untrusted) == layerwise.saving.trusted_types(obj)
    for again in (pickle.loads(pickle.dumps(obj)), sio.loads(data, trusted=untrusted)):
        np.testing.assert_array_equal(_predict(again), _predict(obj))
    # the training state came along: one more step gives the same weights, bit for bit,
    # as one more step of an in-memory copy
    copies = [sio.loads(data, trusted=untrusted), pickle.loads(pickle.dumps(obj)), deepcopy(obj)]
    after = [_continue(c) for c in copies]
    np.testing.assert_array_equal(after[0], after[2])
    np.testing.assert_array_equal(after[1], after[2])


# ------------------------------------------------------------------ lw.save / lw.load
def _round_trip(obj, tmp_path, X_=X, **load):
    path = tmp_path / "obj.npz"
    lw.save(obj, path, metadata={"kind": type(obj).__name__})
    with np.load(path, allow_pickle=False) as archive:  # no pickle anywhere
        assert all(archive[k].dtype != object for k in archive.files)
    again = lw.load(path, **load)
    assert type(again) is type(obj)
    _same_predictions(obj, again, X_)
    assert again.metadata == {"kind": type(obj).__name__}
    return again


PIPELINES = {
    "imputer (numpy.dtype)": (make_pipeline(SimpleImputer(), _clf()), X_MISSING),
    "imputer in a ColumnTransformer": (
        make_pipeline(
            make_column_transformer((SimpleImputer(), [0, 1]), remainder=StandardScaler()),
            _clf(),
        ),
        X_MISSING,
    ),
    "SplineTransformer (scipy BSpline)": (make_pipeline(SplineTransformer(), _clf()), X),
    "SelectKBest(f_classif)": (make_pipeline(SelectKBest(f_classif, k=2), _clf()), X),
    "nested Pipelines": (make_pipeline(make_pipeline(StandardScaler()), _clf()), X),
    "FeatureUnion": (
        make_pipeline(
            FeatureUnion([("s", StandardScaler()), ("p", PolynomialFeatures(2))]), _clf()
        ),
        X,
    ),  # fmt: skip
    "StackingClassifier step": (
        make_pipeline(
            StandardScaler(), StackingClassifier([("a", _clf()), ("b", _clf(solver="sgd"))], cv=2)
        ),
        X,
    ),  # fmt: skip
}


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_pipelines_of_the_issue_round_trip_with_nothing_to_trust(name, tmp_path):
    pipe, X_ = PIPELINES[name]
    _fit(pipe, X_)
    _round_trip(pipe, tmp_path, X_)
    assert layerwise.saving.read_header(tmp_path / "obj.npz")["trust"] == {}


def _wrappers():
    grid = {"mlpclassifier__alpha": [1e-4, 1e-2]}
    return {
        "GridSearchCV": GridSearchCV(make_pipeline(StandardScaler(), _clf()), grid, cv=2),
        "RandomizedSearchCV": RandomizedSearchCV(
            _clf(), {"alpha": [1e-4, 1e-3, 1e-2]}, n_iter=2, cv=2, random_state=0
        ),
        "TransformedTargetRegressor": TransformedTargetRegressor(
            lw.MLPRegressor(hidden_layer_sizes=(4,), max_iter=10, random_state=0),
            transformer=StandardScaler(),
        ),
        "BaggingClassifier": BaggingClassifier(_clf(), n_estimators=3, random_state=0),
        "CalibratedClassifierCV": CalibratedClassifierCV(_clf(), cv=2),
        "StackingClassifier": StackingClassifier([("a", _clf()), ("b", _clf())], cv=2),
    }


@pytest.mark.parametrize("name", sorted(_wrappers()))
def test_searches_and_wrappers_round_trip(name, tmp_path):
    obj = _wrappers()[name]
    y = Y.astype(float) if name == "TransformedTargetRegressor" else Y
    _fit(obj, X, y)
    again = _round_trip(obj, tmp_path)
    if hasattr(obj, "best_estimator_"):
        _same_predictions(obj.best_estimator_, again.best_estimator_)
        assert again.best_params_ == obj.best_params_


def test_a_loaded_object_saved_again_keeps_its_metadata_and_reads_its_header(tmp_path):
    pipe = _fit(make_pipeline(StandardScaler(), _clf()))
    lw.save(pipe, tmp_path / "a.npz", metadata={"data": "iris", "n": 150})
    lw.save(lw.load(tmp_path / "a.npz"), tmp_path / "b.npz")
    for name in ("a.npz", "b.npz"):
        header = layerwise.saving.read_header(tmp_path / name)
        assert header["format"] == "layerwise-sklearn" and header["version"] == 2
        assert header["metadata"] == {"data": "iris", "n": 150}
        assert header["estimator"] == "sklearn.pipeline.Pipeline"
        assert "mlpclassifier: layerwise.estimators._mlp.MLPClassifier" in header["steps"]
        assert lw.load(tmp_path / name).metadata == {"data": "iris", "n": 150}
    clf = _fit(_clf())
    lw.save(clf, tmp_path / "c.npz")
    assert lw.load(tmp_path / "c.npz").metadata == {}  # none saved: empty, as a Sequential's


def test_metadata_comes_back_on_every_kind_of_object(tmp_path):
    seq = OBJECTS["sequential-adam"]
    for obj in (seq, _fit(_clf()), _fit(make_pipeline(StandardScaler(), _clf())),
                _fit(GridSearchCV(_clf(), {"alpha": [1e-4, 1e-2]}, cv=2))):  # fmt: skip
        path = tmp_path / f"{type(obj).__name__}.npz"
        lw.save(obj, path, metadata={"note": type(obj).__name__, "values": [1, 2.5]})
        assert lw.load(path).metadata == {"note": type(obj).__name__, "values": [1, 2.5]}
        assert layerwise.saving.read_header(path)["metadata"]["note"] == type(obj).__name__


def test_what_could_not_be_loaded_is_refused_at_save_naming_the_step(tmp_path):
    class Local(Doubler):  # defined in a function: no other program can import it
        pass

    cases = {
        "lambda": (make_pipeline(FunctionTransformer(lambda a: a + 1), _clf()),
                   r"step 'functiontransformer' \(FunctionTransformer\).*top level"),
        "local class": (make_pipeline(make_pipeline(Local()), _clf()),
                        r"step 'pipeline > local' \(Local\).*could not import"),
        "skops cannot write it": (make_pipeline(Birch(n_clusters=2), _clf()),
                                  r"step 'birch' \(Birch\).*skops"),
    }  # fmt: skip
    for name, (pipe, match) in cases.items():
        _fit(pipe)
        with pytest.raises(ValueError, match=match):
            lw.save(pipe, tmp_path / "p.npz")
        assert not (tmp_path / "p.npz").exists(), name
    search = _fit(GridSearchCV(make_pipeline(Birch(n_clusters=2), _clf()), {}, cv=2))
    with pytest.raises(ValueError, match=r"lw.save\(search.best_estimator_, path\)"):
        lw.save(search, tmp_path / "s.npz")


def test_bad_arguments_are_refused_with_the_fix(tmp_path):
    pipe = _fit(make_pipeline(StandardScaler(), _clf()))
    lw.save(pipe, tmp_path / "p.npz")
    with pytest.raises(TypeError, match="model must be a layerwise Sequential, or a fitted"):
        lw.save({"not": "a model"}, tmp_path / "x.npz")
    with pytest.raises(NotFittedError, match="lw.save saves fitted objects"):
        lw.save(make_pipeline(StandardScaler(), _clf()), tmp_path / "x.npz")
    with pytest.raises(TypeError, match="metadata must be a dict"):
        lw.save(pipe, tmp_path / "x.npz", metadata=["a"])
    with pytest.raises(TypeError, match="metadata must be JSON-serialisable"):
        lw.save(pipe, tmp_path / "x.npz", metadata={"f": object()})
    with pytest.raises(TypeError, match="takes no scaler="):
        lw.save(pipe, tmp_path / "x.npz", scaler=StandardScaler())
    assert not (tmp_path / "x.npz").exists()
    for trusted in ("mymodule.Thing", [3], 3):
        with pytest.raises(TypeError, match="trusted must"):
            lw.load(tmp_path / "p.npz", trusted=trusted)
    with pytest.raises(TypeError, match="trusted must"):
        lw.load(_seq_file(tmp_path), trusted="x")


def _seq_file(tmp_path):
    lw.save(lw.mlp(2, [3], 1, seed=0), tmp_path / "seq.npz")
    return tmp_path / "seq.npz"


# ------------------------------------------------------------------ MLflow
MLFLOW_SCRIPT = """
import os, sys, warnings
warnings.simplefilter("error")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # MLflow's own import-time notices
    import mlflow, mlflow.pyfunc, mlflow.sklearn
import numpy as np
mlflow.set_tracking_uri("file://" + sys.argv[1])
X = np.load(sys.argv[2])
"""


def _run(code, *args):
    env = {**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"}
    proc = subprocess.run([sys.executable, "-c", MLFLOW_SCRIPT + textwrap.dedent(code), *args],
                          capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_mlflow_log_model_and_load_model_in_fresh_processes(tmp_path):
    pytest.importorskip("mlflow")
    np.save(tmp_path / "X.npy", X)
    store = str(tmp_path / "mlruns")
    uri = _run(
        """
        import layerwise as lw
        from layerwise.saving import trusted_types
        from sklearn.datasets import load_iris
        from sklearn.pipeline import make_pipeline
        from sklearn.impute import SimpleImputer
        from sklearn.exceptions import ConvergenceWarning
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe = make_pipeline(SimpleImputer(), lw.MLPClassifier((5,), max_iter=15,
                             random_state=0)).fit(*load_iris(return_X_y=True))
        np.save(sys.argv[3], pipe.predict_proba(X))
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(pipe, name="m", pip_requirements=[],
                                            skops_trusted_types=trusted_types(pipe))
        print(info.model_uri)
        """,
        store, str(tmp_path / "X.npy"), str(tmp_path / "expected.npy"),
    )  # fmt: skip
    flavor = (Path(store).rglob("MLmodel")).__next__().read_text()
    assert "serialization_format: skops" in flavor  # MLflow's default format
    out = _run(
        """
        model = mlflow.sklearn.load_model(sys.argv[3])
        expected = np.load(sys.argv[4])
        print(type(model).__name__, bool((model.predict_proba(X) == expected).all()))
        """,
        store, str(tmp_path / "X.npy"), uri, str(tmp_path / "expected.npy"),
    )  # fmt: skip
    assert out == "Pipeline True"


# ------------------------------------------------------------------ every transformer
def _transformers():
    """Every transformer scikit-learn lists, made with the arguments it needs (if any)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.utils import all_estimators

    needs = {
        "ColumnTransformer": lambda c: c([("s", StandardScaler(), [0, 1])], remainder="drop"),
        "FeatureUnion": lambda c: c([("s", StandardScaler()), ("i", SimpleImputer())]),
        "SparseCoder": lambda c: c(dictionary=np.eye(4)[:2]),
        "GaussianRandomProjection": lambda c: c(n_components=2, random_state=0),
        "SparseRandomProjection": lambda c: c(n_components=2, random_state=0),
    }
    for name, cls in all_estimators(type_filter="transformer"):
        try:
            if name in needs:
                yield name, needs[name](cls)
            elif list(inspect.signature(cls).parameters)[:1] == ["estimator"]:
                yield name, cls(LogisticRegression(max_iter=50))
            else:
                yield name, cls()
        except TypeError:  # a required argument this table does not give: not numeric-table
            continue


def test_every_transformer_round_trips_or_is_refused_at_save(tmp_path):
    rng = np.random.default_rng(0)
    X_ = np.abs(rng.normal(size=(40, 4))) + 0.1  # positive: chi2, log-based transformers
    y = (X_[:, 0] + X_[:, 1] > 2.0).astype(int)
    tried, round_trips, refused = 0, [], []
    for name, transformer in _transformers():
        pipe = make_pipeline(transformer, lw.MLPClassifier((3,), max_iter=3, random_state=0))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pipe.fit(X_, y)
                pipe.predict(X_)
        except Exception:  # does not fit a small numeric table (text, labels, 1-D ...)
            continue
        tried += 1
        path = tmp_path / f"{name}.npz"
        try:
            lw.save(pipe, path)
        except ValueError as exc:
            assert "lw.save cannot write step" in str(exc) and "(" in str(exc), (name, exc)
            assert not path.exists(), name  # refused: nothing written
            refused.append(name)
            continue
        again = lw.load(path)  # nothing to trust: scikit-learn's own types only
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _same_predictions(pipe, again, X_)
        round_trips.append(name)
    assert tried >= 50, (tried, round_trips, refused)
    print(f"{tried} transformers fit: {len(round_trips)} round-trip, refused: {refused}")
    assert refused == ["Birch"], refused  # skops: "Objects of type Birch are not supported yet"


def test_save_and_load_an_estimator_and_a_pipeline(tmp_path):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    X, y = load_wine(return_X_y=True)
    labels = np.array(["barolo", "grignolino", "barbera"], dtype=object)[y]
    pipe = make_pipeline(StandardScaler(), PolynomialFeatures(2),
                         lw.MLPClassifier((8,), max_iter=30, random_state=0))  # fmt: skip
    reg = lw.MLPRegressor(loss="poisson", hidden_layer_sizes=(4,), solver="lbfgs",
                          max_iter=20, random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X, labels)
        reg.fit(X[:, :5] / 10, y.astype(float))
    for obj, name in [(pipe, "pipe.npz"), (reg, "reg.npz")]:
        lw.save(obj, tmp_path / name)
        with np.load(tmp_path / name, allow_pickle=False) as archive:  # no pickle anywhere
            assert all(archive[k].dtype != object for k in archive.files)
    back = lw.load(tmp_path / "pipe.npz")
    assert [type(s).__name__ for _, s in back.steps] == [type(s).__name__ for _, s in pipe.steps]
    np.testing.assert_array_equal(back.predict_proba(X), pipe.predict_proba(X))
    np.testing.assert_array_equal(back.predict(X), pipe.predict(X))
    reg_back = lw.load(tmp_path / "reg.npz")
    np.testing.assert_array_equal(reg_back.predict(X[:, :5] / 10), reg.predict(X[:, :5] / 10))
    reg_back.partial_fit if reg_back.solver != "lbfgs" else None  # noqa: B018
    assert reg_back.get_params() == reg.get_params()


def test_load_refuses_steps_skops_does_not_trust_and_unfitted_estimators(tmp_path):
    from sklearn.exceptions import NotFittedError
    from sklearn.pipeline import make_pipeline

    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(Doubler(), lw.MLPClassifier((4,), solver="lbfgs", max_iter=5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X, y)
    lw.save(pipe, tmp_path / "pipe.npz")
    with pytest.raises(ValueError, match="Doubler.*refusing to load it"):
        lw.load(tmp_path / "pipe.npz")
    with pytest.raises(NotFittedError):
        lw.save(lw.MLPRegressor(), tmp_path / "unfitted.npz")
    with pytest.raises(TypeError, match="takes no scaler="):
        lw.save(pipe, tmp_path / "unfitted.npz", scaler=Doubler())
    assert not (tmp_path / "unfitted.npz").exists()
