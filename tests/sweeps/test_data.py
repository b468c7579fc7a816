"""layerwise.sweeps._data: the data of a sweep. A data set's name is loaded, split and
standardised as the library does it by hand (the oracle: ``load``, ``train_test_split``,
``StandardScaler``, and scikit-learn's scaler); ``(X, y)`` is split, four arrays are used as
given; integer labels no run can use and malformed arrays are refused before any run; the
fingerprint of the manifest follows the arrays' values, dtypes and shapes and the task.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import layerwise as lw
from layerwise.sweeps import SweepData, prepare_data


# ------------------------------------------------------------------------------ labels
@pytest.mark.parametrize("labels", [[1, 2], [-1, 1], [0, 0], [3, 3]])
def test_sweep_refuses_integer_labels_no_run_can_use(labels):
    # Labels {1, 2} or {-1, 1} made every run fail with the same bce error, one row per
    # run; a single class "trained" to a meaningless accuracy. Refused before any run.
    X = np.arange(40.0).reshape(20, 2)
    y = np.array(labels * 10)
    with pytest.raises(ValueError, match=r"labels.*0, 1"):
        prepare_data((X, y))


def test_sweep_still_takes_labels_from_zero():
    X = np.arange(60.0).reshape(30, 2)
    assert prepare_data((X, np.arange(30) % 2)).task == "binary"
    assert prepare_data((X, np.arange(30) % 3)).task == "multiclass"
    assert prepare_data((X, np.arange(30) % 2 == 1)).task == "binary"


# ------------------------------------------------------------------------------ the data
def _by_hand(name, **options):
    """A named set as prepare_data should give it: loaded, split 75/25 (stratified for
    classification, seed 0), features standardised on the training part."""
    X, y = lw.datasets.load(name, **options)
    task = lw.datasets.task(name, n_classes=options.get("n_classes"))
    X_tr, X_va, y_tr, y_va = lw.datasets.train_test_split(
        X, y, 0.25, seed=0, stratify=task != "regression"
    )
    scaler = lw.datasets.StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), y_tr, scaler.transform(X_va), y_va, task


def test_a_named_set_is_loaded_split_and_standardised():
    d = prepare_data("moons")
    X_tr, y_tr, X_va, y_va, task = _by_hand("moons", seed=0)  # synthetic: seed 0
    for got, want in zip((d.X_train, d.y_train, d.X_val, d.y_val), (X_tr, y_tr, X_va, y_va)):
        np.testing.assert_array_equal(got, want)
    assert d.task == task == "binary"
    assert d.description == "moons {'seed': 0} (standardised)"
    assert len(d.X_train) == 3 * len(d.X_val)
    # the scaling is scikit-learn's StandardScaler fitted on the training part
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    X, y = lw.datasets.load("moons", seed=0)
    raw_tr, raw_va, _, _ = lw.datasets.train_test_split(X, y, 0.25, seed=0, stratify=True)
    scaler = preprocessing.StandardScaler().fit(raw_tr)
    np.testing.assert_allclose(d.X_train, scaler.transform(raw_tr), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(d.X_val, scaler.transform(raw_va), rtol=1e-12, atol=1e-12)


def test_a_named_set_with_options_and_a_real_set():
    d = prepare_data({"name": "blobs", "n_samples": 80, "n_classes": 4, "noise": 0.5})
    X_tr, _, _, y_va, task = _by_hand("blobs", n_samples=80, n_classes=4, noise=0.5,
                                            seed=0)  # fmt: skip
    np.testing.assert_array_equal(d.X_train, X_tr)
    np.testing.assert_array_equal(d.y_val, y_va)
    assert (d.task, task, d.n_classes) == ("multiclass", "multiclass", 4)
    assert d.description == (
        "blobs {'n_samples': 80, 'n_classes': 4, 'noise': 0.5, 'seed': 0} (standardised)"
    )
    # a real set takes no seed
    d = prepare_data({"name": "iris"})
    np.testing.assert_array_equal(d.X_val, _by_hand("iris")[2])
    assert (d.task, d.n_classes, d.description) == ("multiclass", 3, "iris (standardised)")


def test_regression_targets_are_standardised_with_the_training_part():
    d = prepare_data("sine")
    X, y = lw.datasets.load("sine", seed=0)
    _, _, y_tr, y_va = lw.datasets.train_test_split(X, y, 0.25, seed=0, stratify=False)
    mean, std = y_tr.mean(), y_tr.std()
    np.testing.assert_array_equal(d.y_train, (y_tr - mean) / std)
    np.testing.assert_array_equal(d.y_val, (y_va - mean) / std)
    np.testing.assert_allclose([d.y_train.mean(), d.y_train.std()], [0, 1], atol=1e-12)
    assert d.task == "regression"


def test_x_and_y_are_split_unscaled_and_four_arrays_are_used_as_given():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)) * 10, np.arange(40) % 2
    d = prepare_data((X, y))
    X_tr, X_va, y_tr, y_va = lw.datasets.train_test_split(X, y, 0.25, seed=0, stratify=True)
    for got, want in zip((d.X_train, d.y_train, d.X_val, d.y_val), (X_tr, y_tr, X_va, y_va)):
        np.testing.assert_array_equal(got, want)
    assert (d.task, d.description) == ("binary", "arrays X(40, 3)")
    # four arrays: as given, no copy
    d = prepare_data((X[:30], y[:30], X[30:], y[30:]))
    assert d.description == "arrays X_train(30, 3) X_val(10, 3)"
    assert np.shares_memory(d.X_train, X) and np.shares_memory(d.y_val, y)
    np.testing.assert_array_equal(d.X_val, X[30:])
    assert prepare_data(d) is d


@pytest.mark.parametrize(
    "data, error, message",
    [
        ({"n_samples": 10}, ValueError,
         "data as a dict needs a 'name' (a data set name), got {'n_samples': 10}"),
        ((np.zeros(6), np.zeros(6)), ValueError,
         "data: X must be 2-D (n_samples, n_features), got (6,)"),
        ((np.zeros((6, 2)), np.zeros(5)), ValueError, "data: X has 6 rows but y has shape (5,)"),
        ((np.zeros((6, 2)), np.zeros(6), np.zeros((2, 2)), np.zeros(())), ValueError,
         "data: X_val has 2 rows but y_val has shape ()"),
        (42, TypeError, "data must be a data set name such as 'moons', (X, y) or (X_train, "
         "y_train, X_val, y_val), got int"),
    ],
)  # fmt: skip
def test_malformed_data_is_refused_with_its_name(data, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        prepare_data(data)


def test_n_classes_counts_the_labels_of_both_parts():
    X = np.zeros((4, 1))
    d = SweepData(X, np.array([0, 2, 1, 0]), X, np.array([0, 1, 1, 3]), "multiclass", "")
    assert d.n_classes == 4


def test_the_fingerprint_follows_values_dtypes_shapes_and_task():
    d = prepare_data("moons")
    print_ = d.fingerprint()
    assert re.fullmatch("[0-9a-f]{64}", print_)
    assert prepare_data("moons").fingerprint() == print_  # the same data, the same print
    # the same values laid out in Fortran order: the same print
    fortran = SweepData(np.asfortranarray(d.X_train), d.y_train, d.X_val, d.y_val,
                        d.task, "another description")  # fmt: skip
    assert fortran.fingerprint() == print_
    changed = d.X_train.copy()
    changed[7, 1] = np.nextafter(changed[7, 1], np.inf)
    others = [
        SweepData(changed, d.y_train, d.X_val, d.y_val, d.task, ""),
        SweepData(d.X_train.astype(np.float32), d.y_train, d.X_val, d.y_val, d.task, ""),
        SweepData(d.X_train.reshape(-1, 1), d.y_train, d.X_val, d.y_val, d.task, ""),
        SweepData(d.X_train, d.y_train, d.X_val, d.y_val, "regression", ""),
    ]
    prints = {print_, *(o.fingerprint() for o in others)}
    assert len(prints) == 5
