"""Tests for layerwise.datasets: generators, real sets, CSV, splits, scaling, one-hot."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw
from layerwise import cli
from layerwise import datasets as ds

SYNTHETIC = ["xor", "moons", "circles", "spirals", "blobs", "flower", "sine"]
REAL = {
    # name: (n_samples, n_features, n_classes or None)
    "iris": (150, 4, 3),
    "digits": (1797, 64, 10),
    "wine": (178, 13, 3),
    "breast_cancer": (569, 30, 2),
    "diabetes": (442, 10, None),
}


# --- registry -----------------------------------------------------------------


def test_names_lists_every_set():
    assert ds.names() == SYNTHETIC + list(REAL)


@pytest.mark.parametrize(
    "name, expected",
    [("xor", "binary"), ("moons", "binary"), ("blobs", "multiclass"), ("sine", "regression"),
     ("iris", "multiclass"), ("breast_cancer", "binary"), ("diabetes", "regression")],
)  # fmt: skip
def test_task(name, expected):
    assert ds.task(name) == expected


def test_task_follows_n_classes():
    assert ds.task("spirals") == "binary"
    assert ds.task("spirals", n_classes=3) == "multiclass"
    assert ds.task("blobs", n_classes=2) == "binary"


def test_info_fields():
    spec = ds.info("moons")
    assert (spec.n_features, spec.n_classes, spec.synthetic) == (2, 2, True)
    assert not ds.info("iris").synthetic and ds.info("iris").noise is None


def test_unknown_name_lists_names():
    with pytest.raises(ValueError, match="valid names: xor, moons") as exc:
        ds.load("mnist")
    assert "diabetes" in str(exc.value)
    with pytest.raises(ValueError, match="mnist"):
        ds.task("mnist")


# --- synthetic sets -----------------------------------------------------------


@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_shapes_and_dtypes(name):
    spec = ds.info(name)
    X, y = ds.load(name, seed=0)
    assert X.shape == (spec.n_samples, spec.n_features) and X.dtype == np.float64
    assert y.shape == (spec.n_samples,)
    assert np.all(np.isfinite(X))
    if spec.task == "regression":
        assert y.dtype == np.float64
    else:
        assert y.dtype == np.int64
        assert set(np.unique(y).tolist()) == set(range(spec.n_classes))
    X, y = ds.load(name, n_samples=37, seed=1)
    assert X.shape == (37, spec.n_features) and y.shape == (37,)


@pytest.mark.parametrize("name", SYNTHETIC)
def test_same_seed_same_arrays_different_seed_differs(name):
    X1, y1 = ds.load(name, seed=42)
    X2, y2 = ds.load(name, seed=42)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = ds.load(name, seed=43)
    assert not np.array_equal(X1, X3)
    X4, y4 = ds.load(name, seed=np.random.default_rng(42))
    np.testing.assert_array_equal(X1, X4)
    np.testing.assert_array_equal(y1, y4)


def test_no_global_random_state_used():
    state = np.random.get_state()  # noqa: NPY002
    ds.load("moons", seed=0)
    after = np.random.get_state()  # noqa: NPY002
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2] == after[2]


@pytest.mark.parametrize(
    "name, n_classes, n", [("xor", 2, 201), ("moons", 2, 201), ("circles", 2, 200),
                           ("flower", 2, 400), ("spirals", 5, 303), ("blobs", 4, 102)],
)  # fmt: skip
def test_classes_balanced(name, n_classes, n):
    kwargs = {"n_classes": n_classes} if name in ("spirals", "blobs") else {}
    _, y = ds.load(name, n_samples=n, seed=0, **kwargs)
    counts = np.bincount(y, minlength=n_classes)
    assert len(counts) == n_classes
    if name == "xor":  # xor labels come from uniform quadrants: roughly balanced
        assert abs(counts[0] - counts[1]) < 0.2 * n
    else:
        assert counts.max() - counts.min() <= 1


def test_rows_are_shuffled():
    _, y = ds.load("blobs", seed=0)
    assert not np.all(np.diff(y) >= 0)


def test_xor_label_is_quadrant_xor_without_noise():
    X, y = ds.load("xor", n_samples=500, noise=0.0, seed=3)
    np.testing.assert_array_equal(y, (X[:, 0] > 0) ^ (X[:, 1] > 0))
    assert np.all(np.abs(X) <= 1.0)


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = ds.load("moons", n_samples=300, noise=0.0, seed=0)
    outer, inner = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*outer.T), 1.0)
    assert np.all(outer[:, 1] >= 0)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0)
    assert np.all(inner[:, 1] <= 0.5)


def test_circles_inner_class_has_smaller_radius():
    X, y = ds.load("circles", noise=0.0, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.5)
    X, y = ds.load("circles", seed=0)  # default noise keeps the classes apart by radius
    r = np.hypot(X[:, 0], X[:, 1])
    assert r[y == 1].max() < r[y == 0].min()


def test_blobs_are_separated():
    X, y = ds.load("blobs", n_classes=5, n_samples=500, seed=0)
    means = np.array([X[y == c].mean(axis=0) for c in range(5)])
    nearest = np.argmin(((X[:, None, :] - means[None]) ** 2).sum(axis=2), axis=1)
    assert np.mean(nearest == y) > 0.95
    within = max(X[y == c].std(axis=0).max() for c in range(5))
    between = min(np.linalg.norm(means[a] - means[b]) for a in range(5) for b in range(a))
    assert between > 3 * within


def test_spirals_arms_rotate_with_radius():
    X, y = ds.load("spirals", n_classes=3, n_samples=600, noise=0.0, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    theta = np.arctan2(X[:, 1], X[:, 0])
    expected = 2 * np.pi * (y / 3 + r)
    np.testing.assert_allclose(np.cos(theta - expected), 1.0, atol=1e-9)
    # Not linearly trivial: each class spans all directions.
    for c in range(3):
        quadrants = {(a, b) for a, b in (X[y == c] > 0).tolist()}
        assert len(quadrants) == 4


def test_flower_points_lie_on_the_rose_without_noise():
    X, y = ds.load("flower", noise=0.0, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    phi = np.arctan2(X[:, 0], X[:, 1])  # x = r sin t, y = r cos t
    np.testing.assert_allclose(r, 4 * np.abs(np.sin(4 * phi)), atol=1e-9)
    assert r.max() == pytest.approx(4.0, abs=0.05)
    assert np.bincount(y).tolist() == [200, 200]


def test_sine_is_regression_on_sine():
    X, y = ds.load("sine", n_samples=100, noise=0.0, seed=0)
    assert X.shape == (100, 1) and y.shape == (100,)
    np.testing.assert_allclose(y, np.sin(X[:, 0]))
    assert np.all(np.abs(X) <= np.pi)
    _, y_noisy = ds.load("sine", n_samples=2000, noise=0.3, seed=0)
    X, _ = ds.load("sine", n_samples=2000, noise=0.3, seed=0)
    assert np.std(y_noisy - np.sin(X[:, 0])) == pytest.approx(0.3, rel=0.1)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"n_samples": 0}, "n_samples must be an integer >= 1, got 0"),
     ({"n_samples": 10.0}, "n_samples"),
     ({"n_samples": True}, "n_samples"),
     ({"noise": -0.1}, "noise must be a finite number >= 0, got -0.1"),
     ({"noise": float("nan")}, "noise"),
     ({"noise": "0.1"}, "noise"),
     ({"n_classes": 3}, "n_classes does not apply to 'moons'"),
     ({"seed": -1}, "seed")],
)  # fmt: skip
def test_load_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ds.load("moons", **kwargs)


def test_load_n_classes_checks():
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        ds.load("spirals", n_classes=1)
    with pytest.raises(ValueError, match=r"n_samples must be >= n_classes \(4\)"):
        ds.load("blobs", n_classes=4, n_samples=3)
    _, y = ds.load("spirals", n_classes=4, seed=0)
    assert set(y.tolist()) == {0, 1, 2, 3}


# --- real sets ----------------------------------------------------------------


@pytest.mark.parametrize("name", list(REAL))
def test_real_sets_known_shapes(name):
    pytest.importorskip("sklearn")
    n, d, k = REAL[name]
    X, y = ds.load(name)
    assert X.shape == (n, d) and X.dtype == np.float64 and y.shape == (n,)
    if k is None:
        assert y.dtype == np.float64 and ds.task(name) == "regression"
    else:
        assert y.dtype == np.int64
        np.testing.assert_array_equal(np.unique(y), np.arange(k))
    assert (ds.info(name).n_samples, ds.info(name).n_features) == (n, d)


def test_real_sets_reject_synthetic_options():
    with pytest.raises(ValueError, match="n_samples does not apply to the real data set 'iris'"):
        ds.load("iris", n_samples=10)
    with pytest.raises(ValueError, match="noise does not apply"):
        ds.load("wine", noise=0.1)
    with pytest.raises(ValueError, match="n_classes does not apply"):
        ds.load("digits", n_classes=3)


def test_missing_sklearn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn` fail
    with pytest.raises(ImportError, match=re.escape("pip install 'layerwise[sklearn]'")):
        ds.load("iris")


def _imports_from_outside_the_package(path: Path) -> set[str]:
    """Top-level names of the module-level imports of ``path``, less those of
    layerwise.datasets' own modules (absolute, or relative to the package)."""
    top = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:  # sklearn: inside a function
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not (alias.name + ".").startswith("layerwise.datasets."):
                    top.add(alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1 or (
                node.level == 0 and (module + ".").startswith("layerwise.datasets.")
            ):
                continue
            top.add("." * node.level + module.split(".")[0])
    return top


def test_imports_only_numpy_and_stdlib():
    modules = sorted(Path(ds.__file__).parent.glob("*.py"))
    assert Path(ds.__file__).name == "__init__.py" and len(modules) > 1, modules
    allowed = {"__future__", "array", "collections", "contextlib", "csv", "dataclasses", "math",
               "numpy", "operator", "os", "typing", "layerwise"}  # fmt: skip
    # of layerwise itself only the boundary checks (which import only NumPy)
    for path in modules:
        text = path.read_text(encoding="utf-8")
        imported = set(re.findall(r"from (layerwise(?:\.\w+)+)", text))
        outside = {m for m in imported if m.split(".")[:2] != ["layerwise", "datasets"]}
        assert outside <= {"layerwise._internal.validation"}, (path, outside)
    for path in modules:
        top = _imports_from_outside_the_package(path)
        assert top <= allowed, (path.name, top - allowed)
    code = (
        "import sys, layerwise; before = set(sys.modules);"
        "import layerwise.datasets as d; d.load('moons');"
        "new = [m for m in set(sys.modules) - before if m.split('.')[0] == 'sklearn'];"
        "assert not new, new"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- CSV ----------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_string_labels(tmp_path):
    path = write(tmp_path, "a,b,species\n1,2,setosa\n3,4.5,virginica\n\n5,6,setosa\n")
    X, y = ds.load_csv(path)
    np.testing.assert_array_equal(X, [[1, 2], [3, 4.5], [5, 6]])
    assert X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(y, [0, 1, 0])
    X, y, meta = ds.load_csv(str(path), return_info=True)
    assert meta == ds.CSVInfo(["a", "b"], "species", "binary", ["setosa", "virginica"])
    json.dumps(meta.__dict__)


def test_csv_target_by_name_numeric_labels_and_delimiter(tmp_path):
    path = write(tmp_path, "label;x1;x2\n3;0.5;1\n1;1.5;2\n2;2.5;3\n3;0;0\n")
    X, y, meta = ds.load_csv(path, "label", delimiter=";", return_info=True)
    np.testing.assert_array_equal(X, [[0.5, 1], [1.5, 2], [2.5, 3], [0, 0]])
    np.testing.assert_array_equal(y, [2, 0, 1, 2])
    assert meta.classes == [1, 2, 3] and meta.task == "multiclass"
    assert meta.feature_names == ["x1", "x2"]


def test_csv_regression_target(tmp_path):
    path = write(tmp_path, "x,y\n1,0.5\n2,1.25\n")
    X, y, meta = ds.load_csv(path, return_info=True)
    assert y.dtype == np.float64 and y.tolist() == [0.5, 1.25]
    assert meta.task == "regression" and meta.classes is None
    path = write(tmp_path, "x,y\n1,3\n2,4\n")
    _, y, meta = ds.load_csv(path, task="regression", return_info=True)
    assert y.dtype == np.float64 and meta.task == "regression"


def error_of(path: Path, **kwargs) -> str:
    with pytest.raises(ValueError) as exc:
        ds.load_csv(path, **kwargs)
    return str(exc.value)


def test_csv_error_non_numeric_cell(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,0\n3,oops,1\n")
    msg = error_of(path)
    assert str(path) in msg and "line 3" in msg and "'b'" in msg and "index 1" in msg
    assert "'oops'" in msg


def test_csv_error_line_counts_blank_lines_and_quoted_newlines(tmp_path):
    path = write(tmp_path, 'a,b,y\n1,2,"x\ny"\n\n5,,1\n')
    msg = error_of(path)
    assert str(path) in msg and "line 5" in msg and "'b' (index 1)" in msg


def test_csv_error_non_finite_cell(tmp_path):
    msg = error_of(write(tmp_path, "a,b,y\n1,nan,0\n"))
    assert "line 2" in msg and "'b' (index 1)" in msg and "finite" in msg


def test_csv_error_ragged_row(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,0\n1,2\n")
    msg = error_of(path)
    assert str(path) in msg and "line 3" in msg and "'y' (index 2)" in msg
    assert "2 fields" in msg and "header has 3" in msg
    msg = error_of(write(tmp_path, "a,b,y\n1,2,0,9\n"))
    assert "line 2" in msg and "index 3" in msg and "'y'" in msg


def test_csv_error_missing_target_column(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,0\n")
    msg = error_of(path, target="label")
    assert str(path) in msg and "line 1" in msg and "'label'" in msg and "a, b, y" in msg


def test_csv_error_empty_file_and_header_only(tmp_path):
    path = write(tmp_path, "")
    msg = error_of(path)
    assert str(path) in msg and "line 1" in msg and "empty" in msg
    path = write(tmp_path, "a,b,y\n", "header.csv")
    msg = error_of(path)
    assert str(path) in msg and "line 2" in msg and "no data rows" in msg


def test_csv_error_header_problems(tmp_path):
    msg = error_of(write(tmp_path, "a,a,y\n1,2,3\n"))
    assert "line 1" in msg and "'a' (index 1)" in msg and "duplicate" in msg
    msg = error_of(write(tmp_path, "a,,y\n1,2,3\n"))
    assert "line 1" in msg and "index 1" in msg and "empty column name" in msg
    msg = error_of(write(tmp_path, "y\n1\n"))
    assert "feature column" in msg


def test_csv_error_target_cells(tmp_path):
    msg = error_of(write(tmp_path, "a,y\n1,cat\n2, \n"))
    assert "line 3" in msg and "'y' (index 1)" in msg and "empty target" in msg
    msg = error_of(write(tmp_path, "a,y\n1,0.5\n2,cat\n"), task="regression")
    assert "line 3" in msg and "'y' (index 1)" in msg and "'cat'" in msg
    assert "task must be" in error_of(write(tmp_path, "a,y\n1,2\n"), task="other")


def test_csv_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError, match=re.escape(str(path))):
        ds.load_csv(path)


# --- train_test_split -----------------------------------------------------------


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


# --- StandardScaler -------------------------------------------------------------


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


# --- one-hot --------------------------------------------------------------------


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


# --- CSV: hostile and huge input (issue 13) ---------------------------------------------


@pytest.mark.parametrize("cell", ["1_000", "١٢", "１２", "1e5_0"])
def test_csv_plain_ascii_numbers_only(tmp_path, cell):
    assert float(cell)  # Python's float reads each of these
    path = write(tmp_path, f"a,y\n1,0\n{cell},1\n")
    msg = error_of(path)
    assert "line 3" in msg and repr(cell) in msg and "'a' (index 0)" in msg


def test_csv_field_over_the_limit_is_a_clear_error(tmp_path):
    path = write(tmp_path, 'a,y\n1,0\n"2,1\n' + "3,0\n" * 40_000)  # an unclosed quote
    msg = error_of(path)
    assert str(path) in msg and "longer than 131,072 characters" in msg and "quote" in msg


def test_csv_nul_byte_is_a_clear_error(tmp_path):
    path = write(tmp_path, "a,y\n1,0\n2\x00,1\n")
    assert "line 3" in error_of(path)


def test_csv_integer_target_with_many_values_is_a_regression(tmp_path):
    rng = np.random.default_rng(0)
    price = rng.integers(100, 5000, size=3000)
    x = rng.normal(size=3000).tolist()
    path = tmp_path / "p.csv"
    path.write_text("x,price\n" + "".join(f"{a!r},{p}\n" for a, p in zip(x, price, strict=True)))
    X, y, meta = ds.load_csv(path, return_info=True)
    assert meta.task == "regression" and y.dtype == np.float64
    np.testing.assert_array_equal(y, price)
    np.testing.assert_array_equal(X[:, 0], x)  # repr round-trips exactly
    msg = error_of(path, task="classification")
    assert "classes, more than the limit of 1,000" in msg and "regression" in msg
    _, y, meta = ds.load_csv(path, task="classification", max_classes=None, return_info=True)
    assert meta.classes == sorted(set(price.tolist())) and y.max() == len(meta.classes) - 1


def test_csv_text_target_with_too_many_labels(tmp_path):
    path = write(tmp_path, "x,id\n" + "".join(f"{i},user{i}\n" for i in range(30)))
    assert "more than 20 distinct values" in error_of(path, max_classes=20)
    assert "more than 20 distinct values" in error_of(
        write(tmp_path, "x,id\n" + "".join(f"{i},{i}\n" for i in range(30)) + "0,cat\n"),
        task="classification", max_classes=20,
    )  # fmt: skip


def test_csv_numbers_agree_with_float_over_many_rows(tmp_path):
    # more rows than the first guess of the array's size: it grows in place
    rng = np.random.default_rng(1)
    data = rng.normal(size=(5000, 3)) * 10.0 ** rng.integers(-5, 5, size=(5000, 3))
    path = tmp_path / "many.csv"
    path.write_text("a,b,c,y\n" + "".join(f"{a!r},{b!r},{c!r},{i % 3}\n" for i, (a, b, c)
                                          in enumerate(data.tolist())))  # fmt: skip
    X, y = ds.load_csv(path)
    np.testing.assert_array_equal(X, data)
    np.testing.assert_array_equal(y, np.arange(5000) % 3)


def test_csv_peak_memory_is_at_most_three_times_the_file(tmp_path):
    import tracemalloc

    rng = np.random.default_rng(2)
    rows = 40_000
    data = rng.normal(size=(rows, 8))
    path = tmp_path / "big.csv"
    with path.open("w") as f:
        f.write(",".join(f"x{j}" for j in range(8)) + ",y\n")
        for i, r in enumerate(data):
            f.write(",".join(map(repr, r.tolist())) + f",{i % 2}\n")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        X, _ = ds.load_csv(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert X.shape == (rows, 8)
    assert peak <= 3 * size, f"peak {peak / size:.2f}x the file size"  # before: ~12x


def test_read_features_and_csv_header(tmp_path):
    path = write(tmp_path, "a,label,b\n1,cat,2\n3,dog,4.5\n")
    assert ds.csv_header(path) == ["a", "label", "b"]
    np.testing.assert_array_equal(ds.read_features(path, ["b", "a"]), [[2, 1], [4.5, 3]])
    with pytest.raises(ValueError, match="no column 'c'"):
        ds.read_features(path, ["c"])
    with pytest.raises(ValueError, match=r"line 2, column 'label' \(index 1\): 'cat'"):
        ds.read_features(path, ["label"])


def test_nullable_pandas_integers_without_missing_values(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": pd.array([1, 2, 3, 4], dtype="Int64"), "y": [0, 1, 0, 1]})
    path = tmp_path / "nullable.csv"
    frame.to_csv(path, index=False)
    X, y = ds.load_csv(path)
    np.testing.assert_array_equal(X[:, 0], [1, 2, 3, 4])
    assert ds.infer_task(frame["a"]) == "multiclass"


def test_load_refuses_sizes_beyond_memory():
    from layerwise._internal.validation import available_memory

    with pytest.raises(ValueError, match=r"n_samples=1,000,000,000.*needs .* GiB.*than the"):
        ds.load("moons", n_samples=10**9)
    assert available_memory() > 0


def test_one_hot_refuses_sizes_beyond_memory():
    with pytest.raises(ValueError, match=r"one_hot of 1,000 labels x 1,000,000,000,000 classes"):
        ds.one_hot(np.zeros(1000, dtype=int), n_classes=10**12)


def test_a_semicolon_or_tab_separated_csv_is_recognised(tmp_path):
    for sep in (";", "\t"):
        path = tmp_path / "semi.csv"
        path.write_text(sep.join(["a", "b", "label"]) + "\n" + "".join(
            sep.join([str(i), str(2 * i), "xy"[i % 2]]) + "\n" for i in range(6)))  # fmt: skip
        X, y, info = ds.load_csv(path, return_info=True)
        np.testing.assert_array_equal(X, [[i, 2 * i] for i in range(6)])
        assert info.feature_names == ["a", "b"] and info.classes == ["x", "y"]
        assert ds.csv_header(path) == ["a", "b", "label"]


def test_a_csv_that_is_not_utf8_gets_an_error_naming_the_file(tmp_path, capsys):
    # It used to be a bare "'utf-8' codec can't decode byte 0xe9 in position 13" that
    # named neither the file nor the fix.
    path = tmp_path / "latin1.csv"
    path.write_bytes("a,b,label\n1,2,caf\xe9\n3,4,th\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1\.csv.*UTF-8"):
        lw.datasets.load_csv(path)
    lw.save(lw.mlp(2, [3], 1, seed=0), tmp_path / "m.npz")
    status = cli.main(["predict", str(tmp_path / "m.npz"), str(path)])
    err = capsys.readouterr().err.strip()
    assert status == 2 and len(err.splitlines()) == 1
    assert "latin1.csv" in err and "UTF-8" in err
