"""layerwise.datasets._preprocessing: train_test_split (sizes, disjointness,
stratification), StandardScaler (against the formula, constant columns, config round trip)
and one-hot encoding, with their refusals.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from layerwise import datasets as ds


def test_split_sizes_disjoint_and_complete():
    X = np.arange(50, dtype=float).reshape(25, 2)
    y = np.arange(25)
    X_tr, X_te, y_tr, y_te = ds.train_test_split(X, y, 0.3, seed=0)
    assert (len(X_tr), len(X_te)) == (17, 8)  # ceil(0.3 * 25) = 8
    np.testing.assert_array_equal(X_tr[:, 0] // 2, y_tr)  # rows stay paired
    np.testing.assert_array_equal(X_te[:, 0] // 2, y_te)
    assert set(y_tr.tolist()).isdisjoint(y_te.tolist())
    assert sorted(y_tr.tolist() + y_te.tolist()) == list(range(25))
    again = ds.train_test_split(X, y, 0.3, seed=0)
    np.testing.assert_array_equal(again[3], y_te)
    other = ds.train_test_split(X, y, 0.3, seed=1)
    assert not np.array_equal(other[3], y_te)


def test_split_stratified_keeps_proportions():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    X = np.arange(100, dtype=float)[:, None]
    _, X_te, y_tr, y_te = ds.train_test_split(X, y, 0.2, seed=0, stratify=True)
    assert np.bincount(y_te).tolist() == [12, 6, 2]
    assert np.bincount(y_tr).tolist() == [48, 24, 8]
    np.testing.assert_array_equal(y[X_te[:, 0].astype(int)], y_te)
    Y = ds.one_hot(y)  # one-hot targets stratify the same way
    _, _, _, Y_te = ds.train_test_split(X, Y, 0.2, seed=0, stratify=True)
    assert Y_te.sum(axis=0).tolist() == [12, 6, 2]


def test_split_stratified_uneven_total_is_exact():
    y = np.repeat([0, 1, 2], [7, 7, 7])
    _, X_te, _, y_te = ds.train_test_split(np.zeros((21, 1)), y, 0.25, seed=0, stratify=True)
    assert len(X_te) == 6  # ceil(5.25)
    assert all(abs(c - 1.75) < 1 for c in np.bincount(y_te))


@pytest.mark.parametrize(
    "args, kwargs, match",
    [((np.zeros((5, 2)), np.zeros(4)), {}, r"same number of samples.*\(5, 2\).*\(4,\)"),
     ((np.zeros((5, 2)), np.zeros(5), 0.0), {}, r"test_size must be in \(0, 1\), got 0.0"),
     ((np.zeros((5, 2)), np.zeros(5), 1.0), {}, "test_size"),
     ((np.zeros((5, 2)), np.zeros(5), True), {}, "test_size"),
     ((np.zeros((5, 2)), np.zeros(5), 0.9), {}, "no training samples")],
)  # fmt: skip
def test_split_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ds.train_test_split(*args, **kwargs)


def test_scaler_standardizes_and_inverts():
    rng = np.random.default_rng(0)
    X = rng.normal([5.0, -3.0, 100.0], [2.0, 0.1, 30.0], size=(200, 3))
    scaler = ds.StandardScaler()
    Z = scaler.fit_transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1.0)
    np.testing.assert_allclose(scaler.mean_, X.mean(axis=0))
    np.testing.assert_allclose(scaler.scale_, X.std(axis=0))
    np.testing.assert_allclose(scaler.inverse_transform(Z), X)
    assert scaler.n_features_in_ == 3
    assert scaler.transform(X.astype(np.float32)).dtype == np.float32


def test_scaler_constant_column_gets_scale_one():
    X = np.array([[1.0, 0.1], [2.0, 0.1], [3.0, 0.1]])
    scaler = ds.StandardScaler().fit(X)
    assert scaler.scale_[1] == 1.0
    np.testing.assert_allclose(scaler.transform(X)[:, 1], 0.0, atol=1e-15)


def test_scaler_config_round_trip():
    X = np.random.default_rng(1).normal(size=(20, 4))
    scaler = ds.StandardScaler().fit(X)
    config = json.loads(json.dumps(scaler.get_config()))
    assert all(isinstance(v, float) for v in config["mean"] + config["scale"])
    clone = ds.StandardScaler.from_config(config)
    np.testing.assert_array_equal(clone.transform(X), scaler.transform(X))
    empty = ds.StandardScaler.from_config(ds.StandardScaler().get_config())
    assert empty.mean_ is None
    with pytest.raises(ValueError, match="equal length"):
        ds.StandardScaler.from_config({"mean": [0.0, 1.0], "scale": [1.0]})
    with pytest.raises(ValueError, match="scale > 0"):
        ds.StandardScaler.from_config({"mean": [0.0], "scale": [0.0]})


def test_scaler_errors():
    scaler = ds.StandardScaler()
    with pytest.raises(ValueError, match="not fitted"):
        scaler.transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="not fitted"):
        scaler.inverse_transform(np.zeros((2, 2)))
    scaler.fit(np.ones((3, 4)))
    with pytest.raises(ValueError, match="X has 3 features, but .* fitted with 4 features"):
        scaler.transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="2-D"):
        scaler.fit(np.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        scaler.fit(np.array([[np.nan]]))


def test_one_hot_round_trip():
    y = np.array([2, 0, 1, 2])
    Y = ds.one_hot(y)
    np.testing.assert_array_equal(Y, np.eye(3)[y])
    assert Y.dtype == np.float64
    np.testing.assert_array_equal(ds.from_one_hot(Y), y)
    assert ds.from_one_hot(Y).dtype == np.int64
    assert ds.one_hot(y, 5).shape == (4, 5)
    assert ds.one_hot(y, dtype=np.float32).dtype == np.float32
    assert ds.one_hot(np.array([1.0, 0.0])).tolist() == [[0, 1], [1, 0]]


def test_one_hot_errors():
    with pytest.raises(ValueError, match="needs n_classes > 2, got n_classes=2"):
        ds.one_hot(np.array([0, 2]), 2)
    with pytest.raises(ValueError, match="non-negative integer"):
        ds.one_hot(np.array([0, -1]))
    with pytest.raises(ValueError, match="non-negative integer"):
        ds.one_hot(np.array([0.5]))
    with pytest.raises(ValueError, match="1-D"):
        ds.one_hot(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="2-D"):
        ds.from_one_hot(np.zeros(3))


def test_one_hot_refuses_sizes_beyond_memory():
    with pytest.raises(ValueError, match=r"one_hot of 1,000 labels x 1,000,000,000,000 classes"):
        ds.one_hot(np.zeros(1000, dtype=int), n_classes=10**12)
