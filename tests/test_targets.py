"""layerwise.targets: ``y`` checked and prepared for the loss, and the output layer checked
against it; each mistake gets an error naming it and the fix.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from tests.helpers import X4, Y4, binary, fit


def softmax3():
    return lw.mlp(2, [3], 3, output_activation="softmax", seed=0)


@pytest.mark.parametrize(
    "loss,model", [("mse", lambda: lw.mlp(2, [3], 1)), ("bce", binary), ("cce", softmax3)]
)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_y(loss, model, bad):
    with pytest.raises(ValueError, match="y contains NaN or infinity"):
        fit(model(), y=np.array([0.0, bad, 1.0, 0.0]), loss=loss)


def test_strings_in_y():
    with pytest.raises(TypeError, match="y must be numeric"):
        fit(binary(), y=["a", "b", "a", "b"])


@pytest.mark.parametrize("y,got", [(Y4[:3], "3 rows"), (np.zeros(0), "0 rows"), (1, "a scalar")])
def test_y_length_differs(y, got):
    with pytest.raises(ValueError, match=f"X has 4 samples but y has {got}; they must match"):
        fit(binary(), y=y)
    with pytest.raises(ValueError, match="X has 4 samples but y has"):
        binary().evaluate(X4, y, "bce")


def test_y_shape_does_not_fit_the_output():
    with pytest.raises(ValueError, match=r"y has shape \(4, 3\) but the model has 1 output unit"):
        fit(lw.mlp(2, [3], 1), y=np.zeros((4, 3)), loss="mse")


@pytest.mark.parametrize("labels,lo,hi", [([0, 1, 2, 3], 0, 3), ([0, 1, 2, -1], -1, 2)])
def test_cce_labels_that_do_not_fit_the_output_layer(labels, lo, hi):
    with pytest.raises(
        ValueError,
        match=f"class labels from {lo} to {hi} but the output layer "
        r"has 3 units \(labels 0..2\)",
    ):
        fit(softmax3(), y=labels, loss="cce")


def test_cce_fractional_labels():
    with pytest.raises(ValueError, match="'cce' needs integer class labels; y has fractions"):
        fit(softmax3(), y=[0, 1, 2, 0.5], loss="cce")


def test_bce_label_2():
    with pytest.raises(
        ValueError,
        match=r"'bce' needs targets in \[0, 1\], got values from 0 "
        "to 2; encode the two classes as 0 and 1",
    ):
        fit(binary(), y=[0, 1, 2, 0])


def test_y_too_large_for_float32():
    with pytest.raises(ValueError, match="y has values too large for float32"):
        fit(lw.mlp(2, [3], 1), y=[1e39, 0.0, 0.0, 0.0], loss="mse")


def test_cce_on_a_one_unit_sigmoid_output():
    with pytest.raises(
        ValueError,
        match="'cce' needs a softmax output layer with one unit per "
        "class.*'sigmoid' with 1 unit.*loss='bce'",
    ):
        fit(binary(), loss="cce")


def test_bce_on_a_relu_output():
    model = lw.mlp(2, [3], 1, output_activation="relu")
    with pytest.raises(
        ValueError,
        match="'bce' needs probabilities in \\(0, 1\\), but the output "
        "activation is 'relu'; use output_activation='sigmoid'",
    ):
        fit(model)
    with pytest.raises(ValueError, match="'bce' needs probabilities"):
        model.backward(model.forward(X4)[1], Y4, "bce")


RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3))


def test_ragged_y_is_named():
    model = lw.mlp(3, [4], 1, seed=0)
    with pytest.raises(ValueError, match="y could not be read as an array"):
        model.fit(X, [[0.0], [1.0, 2.0]] * 10, epochs=1, verbose=False)
