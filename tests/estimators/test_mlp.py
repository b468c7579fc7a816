"""scikit-learn estimators: sklearn's estimator checks at the defaults, and sklearn's own MLPs
as the oracle (same settings, same initial weights, same training). scikit-learn's
test_mlp.py runs on ours in test_sklearn_suite.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn import neural_network  # noqa: E402
from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402
from sklearn.datasets import load_iris, load_wine, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import layerwise as lw  # noqa: E402

CHECKED = [lw.MLPClassifier(), lw.MLPRegressor()]


def _check_name(check) -> str:
    return getattr(check, "func", check).__name__


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(CHECKED)
def test_sklearn_estimator_checks(estimator, check):
    if _check_name(check).startswith("check_array_api") and not os.environ.get("SCIPY_ARRAY_API"):
        # These checks raise SkipTest unless SCIPY_ARRAY_API=1 was set before SciPy was
        # imported, which this process cannot do any more: they all run in one fresh
        # interpreter, and each case here reads its own outcome.
        key = f"{' '.join(repr(estimator).split())} {_check_name(check)} " + repr(
            sorted(check.keywords.items())
        )
        outcome = _array_api_results().get(key)
        assert outcome is not None, f"not run: {key}"
        if outcome.startswith("SKIP "):  # a library or device this machine does not have
            pytest.skip(outcome)
        assert outcome == "OK", outcome
        return
    check(estimator)


_ARRAY_API_CACHE: dict = {}


def _array_api_results() -> dict[str, str]:
    """Run every array API check scikit-learn yields for the CHECKED estimators in one
    subprocess (with SCIPY_ARRAY_API=1); return "OK", "SKIP <why>" or the error, by case."""
    if not _ARRAY_API_CACHE:
        code = (
            "import json, traceback, warnings\n"
            "from unittest import SkipTest\n"
            "from sklearn.exceptions import ConvergenceWarning\n"
            "warnings.simplefilter('ignore', ConvergenceWarning)\n"
            "from layerwise import MLPClassifier, MLPRegressor\n"
            "from sklearn.utils.estimator_checks import _yield_array_api_checks\n"
            "out = {}\n"
            f"for est in [{', '.join(repr(e) for e in CHECKED)}]:\n"
            "    for check in _yield_array_api_checks(est):\n"
            "        key = (' '.join(repr(est).split()) + ' ' + check.func.__name__ + ' '\n"
            "               + repr(sorted(check.keywords.items())))\n"
            "        try:\n"
            "            check(type(est).__name__, est)\n"
            "            out[key] = 'OK'\n"
            "        except SkipTest as e:\n"
            "            out[key] = f'SKIP {e}'\n"
            "        except Exception:\n"
            "            out[key] = traceback.format_exc()\n"
            "print(json.dumps(out))\n"
        )
        env = dict(os.environ, SCIPY_ARRAY_API="1")
        proc = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        _ARRAY_API_CACHE.update(json.loads(proc.stdout.splitlines()[-1]))
    return _ARRAY_API_CACHE


# ---------------------------------------------------------------------------------------
# scikit-learn's MLPs as the oracle: the same settings give the same network


def _both(kind: str, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return getattr(lw, kind)(**params), getattr(neural_network, kind)(**params)


def _fit_both(kind, X, y, **params):
    ours, theirs = _both(kind, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y)
        theirs.fit(X, y)
    return ours, theirs


def _assert_same_weights(ours, theirs, rtol):
    assert len(ours.coefs_) == len(theirs.coefs_)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_same_initial_weights_as_sklearn(activation):
    X, y = load_iris(return_X_y=True)
    params = dict(hidden_layer_sizes=(7, 5), activation=activation, random_state=3)
    ours, theirs = _both("MLPClassifier", **params, solver="sgd", learning_rate_init=1e-12)
    ours.partial_fit(X, y, classes=[0, 1, 2])
    theirs.partial_fit(X, y, classes=[0, 1, 2])
    _assert_same_weights(ours, theirs, rtol=1e-10)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("kind", ["MLPClassifier", "MLPRegressor"])
def test_sgd_training_follows_sklearn_step_for_step(kind, momentum):
    """30 epochs of shuffled mini-batch SGD (Nesterov momentum at 0.9, sklearn's default):
    the same weights, so the same loss curve, as scikit-learn's."""
    X, y = load_iris(return_X_y=True)
    if kind == "MLPRegressor":
        X, y = X[:, :3], X[:, 3]
    params = dict(hidden_layer_sizes=(10,), solver="sgd", momentum=momentum, batch_size=32,
                  learning_rate_init=0.01, alpha=1e-3, max_iter=30, random_state=0)  # fmt: skip
    ours, theirs = _fit_both(kind, X, y, **params)
    _assert_same_weights(ours, theirs, rtol=1e-9)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    assert ours.n_iter_ == theirs.n_iter_ and ours.t_ == theirs.t_


def test_lbfgs_follows_sklearn():
    X, y = load_wine(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    params = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=15, random_state=1)
    ours, theirs = _fit_both("MLPClassifier", X, y, **params)
    _assert_same_weights(ours, theirs, rtol=1e-6)
    assert ours.n_iter_ == theirs.n_iter_ == 15
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=1e-8)


def test_adam_quality_matches_sklearn():
    """Adam's one difference from scikit-learn's (epsilon added after the bias correction, as
    in torch) changes the weights slightly, not the result."""
    X, y = load_wine(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    ours, theirs = _fit_both("MLPClassifier", X, y, hidden_layer_sizes=(16,), max_iter=50,
                             random_state=0)  # fmt: skip
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-3)
    assert abs(ours.score(X, y) - theirs.score(X, y)) <= 0.01


def test_sample_weight_equals_repeated_rows():
    """lbfgs on the full batch: weight 2 is the same objective as the row twice."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 3)), rng.integers(0, 2, 30)
    w = rng.integers(1, 3, 30)
    params = dict(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=30, random_state=0)
    weighted = lw.MLPClassifier(**params)
    repeated = lw.MLPClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted.fit(X, y, sample_weight=w)
        repeated.fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-6)


# ---------------------------------------------------------------------------------------
# Dtype, refusals, the network


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_follows_the_input_and_dtype_overrides(dtype):
    X, y = make_regression(60, 4, random_state=0)
    reg = lw.MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X.astype(dtype), y)
        assert {a.dtype for a in reg.coefs_ + reg.intercepts_} == {np.dtype(dtype)}
        assert reg.predict(X.astype(dtype)).dtype == dtype
        other = "float64" if dtype == np.float32 else "float32"
        reg.set_params(dtype=other).fit(X.astype(dtype), y)
    assert {a.dtype for a in reg.coefs_ + reg.intercepts_} == {np.dtype(other)}


def test_refused_fit_leaves_the_fitted_estimator_as_it_was():
    X, y = load_iris(return_X_y=True)
    clf = lw.MLPClassifier((5,), solver="lbfgs", max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    before = clf.predict_proba(X)
    state = {k: v for k, v in vars(clf).items() if not k.startswith("_")}
    clf.set_params(hidden_layer_sizes=(10**9,))
    with pytest.raises(ValueError, match=r"hidden_layer_sizes=\(1000000000,\)"):
        clf.fit(X, y)
    clf.set_params(hidden_layer_sizes=(5,), early_stopping=True, validation_fraction=0.01)
    with pytest.raises(ValueError, match="validation set is too small"):
        clf.set_params(solver="adam").fit(X[:20], y[:20])
    assert {k: v for k, v in vars(clf).items() if not k.startswith("_")}.keys() == state.keys()
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    assert clf.n_iter_ == state["n_iter_"]


def test_a_fit_that_diverges_gives_the_estimator_back_as_it_was():
    rng = np.random.RandomState(0)
    X, y = rng.uniform(size=(10, 2)), rng.standard_normal(10)
    reg = lw.MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    before, n_iter = reg.predict(X), reg.n_iter_
    huge = np.finfo(np.float64).max * X  # sklearn's test_nonfinite_params data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow in the forward step
        with pytest.raises(ValueError, match="non-finite parameter weights"):
            reg.set_params(solver="adam").fit(huge, y)
    np.testing.assert_array_equal(reg.predict(X), before)
    assert reg.n_iter_ == n_iter and np.isfinite(reg.coefs_[0]).all()


def test_a_failed_warm_start_restores_the_arrays_it_trained_in_place():
    # warm_start trains coefs_ in place, here an array assigned by hand (not yet bound to
    # the network): the failed fit copies its values back into that very array
    rng = np.random.RandomState(0)
    X, y = rng.uniform(size=(10, 2)), rng.standard_normal(10)
    reg = lw.MLPRegressor(
        hidden_layer_sizes=(4,), solver="adam", max_iter=5, random_state=0, warm_start=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    W = rng.standard_normal(reg.coefs_[0].shape)
    reg.coefs_[0] = W
    saved, before = W.copy(), reg.predict(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow in the forward step
        with pytest.raises(ValueError, match="non-finite parameter weights"):
            reg.fit(np.finfo(np.float64).max * X, y)
    assert reg.coefs_[0] is W
    np.testing.assert_array_equal(W, saved)
    np.testing.assert_array_equal(reg.predict(X), before)


@pytest.mark.parametrize("tol", [0.0, 1e-4])
def test_improved_non_strict_is_scikit_learns_rule(tol):
    # sklearn counts no improvement when loss > best_loss - tol (validation: score <
    # best + tol); equality and NaN count as an improvement there
    values = [0.5, 1.0 - tol, 1.0, 2.0, np.inf, -np.inf, np.nan]
    for v in values:
        for best in [1.0, np.inf]:
            no_loss = v > best - tol
            assert lw.schedules.improved(v, best, delta=tol, strict=False) is not no_loss
            no_score = v < -best + tol
            got = lw.schedules.improved(v, -best, mode="max", delta=tol, strict=False)
            assert got is not no_score
    assert not lw.schedules.improved(1.0 - tol, 1.0, delta=tol)  # the callbacks' strict rule


def test_schedule_sets_the_learning_rate_of_each_epoch(monkeypatch, tmp_path):
    from layerwise.estimators import _solvers

    X, y = load_iris(return_X_y=True)
    schedule = lw.schedules.StepLR(step_size=2, gamma=0.5)
    clf = lw.MLPClassifier(
        (8,), solver="sgd", learning_rate_init=0.1, max_iter=5, random_state=0,
        n_iter_no_change=np.inf, schedule=schedule,
    )  # fmt: skip
    seen, epoch = [], _solvers._epoch
    monkeypatch.setattr(
        _solvers,
        "_epoch",
        lambda est, *a: seen.append(est._optimizer.learning_rate) or epoch(est, *a),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    oracle = lw.schedules.StepLR(step_size=2, gamma=0.5)
    oracle.base_lr = 0.1
    assert seen == [oracle.lr_at(k) for k in range(5)]  # [0.1, 0.1, 0.05, 0.05, 0.025]
    assert schedule.epoch == 0 and schedule.base_lr is None  # the parameter is not changed
    lw.save(clf, tmp_path / "clf.zip")
    loaded = lw.load(tmp_path / "clf.zip")
    assert repr(loaded.schedule) == repr(schedule)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_schedule_is_refused_where_it_cannot_apply():
    X, y = load_iris(return_X_y=True)
    step = lw.schedules.StepLR(2)
    with pytest.raises(ValueError, match="not solver='lbfgs'"):
        lw.MLPClassifier(solver="lbfgs", schedule=step).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate='constant'"):
        lw.MLPClassifier(solver="sgd", learning_rate="adaptive", schedule=step).fit(X, y)
    with pytest.raises(ValueError, match="'schedule' parameter"):
        lw.MLPClassifier(schedule="step").fit(X, y)


def test_bad_parameters_name_the_parameter_and_value():
    X, y = np.zeros((4, 2)), np.arange(4.0)
    for params, match in [
        (dict(alpha=-1.0), r"'alpha' parameter .* Got -1.0"),
        (dict(solver="newton"), r"'solver' parameter .*'lbfgs'.* Got 'newton'"),
        (dict(learning_rate=0.01), r"'learning_rate' parameter .*'constant'"),
        (dict(max_iter=0), r"'max_iter' parameter .* Got 0"),
    ]:
        with pytest.raises(ValueError, match=match):
            lw.MLPRegressor(**params).fit(X, y)
    with pytest.raises(TypeError, match="'max_iter' parameter"):
        lw.MLPRegressor(max_iter="many").fit(X, y)


def test_model_is_the_network_and_open_to_surgery():
    X, y = load_iris(return_X_y=True)
    clf = lw.MLPClassifier((6,), solver="sgd", random_state=0, max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    net = clf.model_
    assert isinstance(net, lw.Sequential)
    assert net.layers[0].W is clf.coefs_[0] and net.layers[-1].b is clf.intercepts_[-1]
    np.testing.assert_allclose(net.predict(X), clf.predict_proba(X), rtol=1e-12)
    before = clf.predict_proba(X)
    net.widen(0, 10)  # function-preserving: same predictions, wider network
    assert clf.coefs_[0].shape == (4, 10) and clf.coefs_[1].shape == (10, 3)
    np.testing.assert_allclose(clf.predict_proba(X), before, rtol=1e-10, atol=1e-12)
    clf.partial_fit(X, y)
    assert clf.model_.layers[0].W.shape == (4, 10)
    net.widen(0, 12)  # then a fresh fit (no warm_start) builds the network of the parameters
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert [W.shape for W in clf.coefs_] == [(4, 6), (6, 3)]
    assert clf.model_.layers[0].W is clf.coefs_[0]


def test_our_solvers_activations_and_dropout():
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    for solver, activation in [("adamw", "gelu"), ("rmsprop", "elu"), ("nesterov", "tanh")]:
        clf = lw.MLPClassifier((16,), solver=solver, activation=activation, dropout=0.2,
                               batch_size=16, learning_rate_init=0.01, max_iter=100,
                               random_state=0)  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        kinds = [type(layer).__name__ for layer in clf.model_.layers]
        assert kinds == ["Dense", "Dropout", "Dense"]
        np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))
        assert clf.score(X, y) > 0.9, (solver, activation)


def test_grid_search_with_sklearn_parameter_names():
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", lw.MLPClassifier(random_state=0))])
    grid = {"mlp__max_iter": [300], "mlp__solver": ["lbfgs", "adam"],
            "mlp__learning_rate": ["constant"], "mlp__hidden_layer_sizes": [(8,)]}  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    assert search.best_score_ > 0.9


# ---------------------------------------------------------------------------------------
# Saving: no pickle, identical predictions


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


# ---------------------------------------------------------------------------------------
# Imports


def test_import_layerwise_needs_no_optional_dependency():
    code = (
        "import sys, layerwise\n"
        "heavy = ('sklearn', 'torch', 'onnx', 'onnxruntime', 'skops', 'skl2onnx', 'scipy')\n"
        "assert not [m for m in heavy if m in sys.modules]\n"
        "layerwise.export\n"
        "assert not [m for m in heavy if m in sys.modules]\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_missing_sklearn_names_the_extra(monkeypatch):
    for name in [m for m in sys.modules if m == "sklearn" or m.startswith("sklearn.")]:
        monkeypatch.setitem(sys.modules, name, None)  # None: "import sklearn..." fails
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.delitem(sys.modules, "layerwise.estimators")
    monkeypatch.delattr(lw, "MLPClassifier", raising=False)  # lw caches what it loaded
    with pytest.raises(ImportError, match=r"pip install 'layerwise\[sklearn\]'"):
        lw.MLPClassifier  # noqa: B018


# ---------------------------------------------------------------------------------------
# The migration example of docs/ecosystem.md


@pytest.mark.slow
def test_docs_migration_example_is_a_sklearn_script_that_runs(capsys):
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "ecosystem.md").read_text("utf-8")
    block = next(
        b
        for b in re.findall(r"```python\n(.*?)```", doc, flags=re.S)
        if "# from sklearn.neural_network import MLPClassifier" in b
    )
    ours = "from layerwise import MLPClassifier\n"
    assert block.count(ours) == 1
    assert "lw." not in block and block.count("layerwise") == 1  # only the import changed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        exec(compile(block, "docs/ecosystem.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert float(lines[0]) > 0.95  # 5-fold CV accuracy on wine


class Doubler(TransformerMixin, BaseEstimator):
    """A transformer skops does not trust by default (it is defined here, not in sklearn)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return 2 * np.asarray(X)


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
