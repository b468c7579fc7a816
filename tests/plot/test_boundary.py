"""layerwise.plot._boundary: the decision boundary against the closed-form line of a linear
model, through the scaler and softmax classes; axes and classes named from the data.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

import layerwise as lw
from tests.plot.helpers import png


def test_decision_boundary_contour_is_the_closed_form_line():
    # P(class 1) = sigmoid(2*x0 - x1 + 0.5): the 0.5 contour is the line x1 = 2*x0 + 0.5.
    model = lw.mlp(2, [], 1, output_activation="sigmoid", seed=0, dtype="float64")
    model.layers[0].W[:] = [[2.0], [-1.0]]
    model.layers[0].b[:] = [0.5]
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (60, 2))
    y = (2 * X[:, 0] - X[:, 1] + 0.5 > 0).astype(int)
    fig = lw.plot.decision_boundary(model, X, y, resolution=120)
    ax = fig.axes[0]
    boundary = [
        c
        for c in ax.collections
        if getattr(c, "levels", None) is not None and list(c.levels) == [0.5]
    ]
    assert len(boundary) == 1
    vertices = np.concatenate([p.vertices for p in boundary[0].get_paths()])
    assert len(vertices) > 10
    np.testing.assert_allclose(vertices[:, 1], 2 * vertices[:, 0] + 0.5, atol=1e-6)
    assert "accuracy 1.000 on 60 points" in ax.get_title()
    assert ax.get_xlabel() == "feature 0" and ax.get_ylabel() == "feature 1"


def test_decision_boundary_uses_the_scaler_and_softmax_classes(tmp_path):
    X, y = lw.datasets.load("blobs", n_samples=90, seed=1)
    scaler = lw.datasets.StandardScaler().fit(X)
    model = lw.mlp(2, [8], 3, activation="tanh", output_activation="softmax", seed=0)
    model.fit(scaler.transform(X), y, loss="cce", lr=0.5, epochs=60, verbose=False)
    acc = float(np.mean(model.predict(scaler.transform(X)).argmax(1) == y))
    path = tmp_path / "db.png"
    fig = lw.plot.decision_boundary(model, X, y, scaler=scaler, path=path)
    assert f"accuracy {acc:.3f}" in fig.axes[0].get_title()
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        "class 0",
        "class 1",
        "class 2",
    ]
    png(path, (480, 550))
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\), got \(90, 3\)"):
        lw.plot.decision_boundary(model, np.ones((90, 3)), y)


def _legend_texts(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


@pytest.mark.parametrize(
    ("units", "output", "names"),
    [(1, "sigmoid", ["cat", "dog"]), (3, "softmax", ["setosa", "versicolor", "virginica"])],
)
def test_decision_boundary_names_axes_and_classes(units, output, names, tmp_path):
    X, y = lw.datasets.load("blobs" if units == 3 else "moons", n_samples=60, seed=0)
    model = lw.mlp(2, [4], units, output_activation=output, seed=0)
    path = tmp_path / "named.png"
    fig = lw.plot.decision_boundary(
        model,
        X,
        y,
        resolution=20,
        feature_names=("width", "length"),
        class_names=names,
        path=path,
    )
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("width", "length")
    assert _legend_texts(fig) == names
    if output == "sigmoid":
        assert fig.axes[1].get_ylabel() == "P(dog)"
    png(path, (480, 550))


def test_decision_boundary_names_text_labels_and_named_values():
    X, y = lw.datasets.load("moons", n_samples=40, seed=0)
    sigmoid = lw.mlp(2, [4], 1, output_activation="sigmoid", seed=0)
    fig = lw.plot.decision_boundary(sigmoid, X, np.where(y > 0, "yes", "no"), resolution=10)
    assert _legend_texts(fig) == ["no", "yes"] and fig.axes[1].get_ylabel() == "P(yes)"
    # an identity output on labels: a legend only when the classes are named
    identity = lw.mlp(2, [4], 1, seed=0)
    assert lw.plot.decision_boundary(identity, X, y, resolution=10).axes[0].get_legend() is None
    fig = lw.plot.decision_boundary(identity, X, y, resolution=10, class_names=["a", "b"])
    assert _legend_texts(fig) == ["a", "b"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"feature_names": "ab"}, TypeError, "feature_names must be a sequence of 2 strings"),
        ({"feature_names": ["a", 1]}, TypeError, r"feature_names must be strings, got \['a', 1\]"),
        ({"feature_names": ["a"]}, ValueError, "must name the 2 features of X, got 1"),
        ({"class_names": 3}, TypeError, "class_names must be a sequence of strings, got int"),
        ({"class_names": ["a", None]}, TypeError, "class_names must be strings"),
        ({"class_names": ["a", "b", "c"]}, ValueError, "must give 2 names, one per class of this"),
    ],
)
def test_decision_boundary_refuses_bad_names(kwargs, error, match):
    X, y = lw.datasets.load("moons", n_samples=20, seed=0)
    model = lw.mlp(2, [3], 1, output_activation="sigmoid", seed=0)
    before = plt.get_fignums()
    with pytest.raises(error, match=match):
        lw.plot.decision_boundary(model, X, y, resolution=5, **kwargs)
    assert plt.get_fignums() == before  # refused before drawing anything
    identity = lw.mlp(2, [3], 1, seed=0)
    with pytest.raises(ValueError, match="gives 1 names but y has labels from 0 to 1"):
        lw.plot.decision_boundary(identity, X, y, resolution=5, class_names=["a"])
    with pytest.raises(ValueError, match="y is continuous"):
        lw.plot.decision_boundary(identity, X, y + 0.5, resolution=5, class_names=["a", "b"])


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_decision_boundary_with_string_labels(output):
    # String class labels used to give NumPy's UFuncTypeError (sigmoid) or a figure with
    # no points at all (softmax). Labels are ranked in sorted order, as load_csv,
    # the CLI and MLPClassifier encode them.
    pytest.importorskip("matplotlib")
    X, y = lw.datasets.load("moons", n_samples=40, seed=0)
    units = 1 if output == "sigmoid" else 2
    model = lw.mlp(2, [4], units, output_activation=output, seed=0)
    names = np.where(y > 0, "yes", "no")  # sorted: "no" -> 0, "yes" -> 1
    fig = lw.plot.decision_boundary(model, X, names, resolution=10)
    ref = lw.plot.decision_boundary(model, X, y, resolution=10)
    from matplotlib.collections import PathCollection  # what scatter draws

    points = [c.get_offsets() for c in fig.axes[0].collections if type(c) is PathCollection]
    expected = [c.get_offsets() for c in ref.axes[0].collections if type(c) is PathCollection]
    assert len(points) == len(expected) == 2
    for got, want in zip(points, expected):
        np.testing.assert_array_equal(got, want)
    assert fig.axes[0].get_title() == ref.axes[0].get_title()
    lw.plot.close(fig)
    lw.plot.close(ref)
