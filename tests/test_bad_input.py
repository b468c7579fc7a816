"""Bad input gets a ValueError/TypeError naming the argument, the value and the fix, never a
NumPy traceback, a warning or a silent NaN. One test per kind of mistake."""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw

X4 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y4 = np.array([0, 1, 1, 0])


def binary(**kwargs):
    return lw.mlp(2, [3], 1, output_activation="sigmoid", seed=0, **kwargs)


def softmax3():
    return lw.mlp(2, [3], 3, output_activation="softmax", seed=0)


def fit(model, X=X4, y=Y4, loss="bce", **kwargs):
    kwargs.setdefault("epochs", 1)
    return model.fit(X, y, loss=loss, verbose=False, **kwargs)


# --- X -----------------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_X(bad):
    X = X4.copy()
    X[2, 1] = bad
    for call in (lambda: fit(binary(), X), lambda: binary().predict(X)):
        with pytest.raises(ValueError, match=r"X contains NaN or infinity \(first at row 2, col"):
            call()


def test_X_too_large_for_float32():
    with pytest.raises(ValueError, match="X has values too large for float32.*dtype='float64'"):
        binary().predict([[1e39, 0.0]])
    assert np.isfinite(binary(dtype="float64").predict([[1e39, 0.0]])).all()


@pytest.mark.parametrize(
    "X,fragment",
    [
        (np.zeros(4), r"got shape \(4,\); for one feature use X.reshape\(-1, 1\)"),
        (np.zeros((2, 2, 2)), r"got shape \(2, 2, 2\)"),
        (3.0, r"got shape \(\)"),
    ],
)
def test_X_not_2d(X, fragment):
    with pytest.raises(ValueError, match=r"X must be 2-D \(n_samples, n_features\), " + fragment):
        binary().predict(X)


def test_ragged_X():
    with pytest.raises(ValueError, match="X could not be read as an array"):
        binary().predict([[1.0, 2.0], [3.0]])


@pytest.mark.parametrize("X", [[["a", "b"]], np.array([[1, None]], dtype=object)])
def test_strings_in_X(X):
    with pytest.raises(TypeError, match="X must be numeric.*convert or encode them as numbers"):
        binary().predict(X)


def test_complex_X():
    with pytest.raises(TypeError, match="X must be numeric, got an array of dtype complex128"):
        binary().predict(np.zeros((2, 2), dtype=complex))


@pytest.mark.parametrize("shape", [(0, 2), (3, 0)])
def test_empty_X(shape):
    with pytest.raises(ValueError, match=r"X is empty \(shape \(\d, \d\)\); give at least one"):
        binary().predict(np.zeros(shape))
    with pytest.raises(ValueError, match="X is empty"):
        fit(binary(), np.zeros(shape), np.zeros(shape[0]))


def test_wrong_feature_count():
    with pytest.raises(ValueError, match="X has 3 features but the model expects 2"):
        binary().predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="X has 3 features but the model expects 2"):
        fit(binary(), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="X_val has 3 features but the model expects 2"):
        fit(binary(), validation_data=(np.zeros((2, 3)), [0, 1]))


# --- y -----------------------------------------------------------------------


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


# --- names -------------------------------------------------------------------


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match="unknown activation 'sigmod'; valid names: .*sigmoid"):
        lw.mlp(2, [3], 1, output_activation="sigmod")


def test_unknown_loss_lists_valid_names():
    with pytest.raises(ValueError, match="unknown loss 'hinge'; valid names: bce, cce, mse"):
        fit(binary(), loss="hinge")


def test_unknown_init_lists_valid_names():
    with pytest.raises(ValueError, match="unknown init 'lecun'; valid names: .*he_normal"):
        lw.mlp(2, [3], 1, init="lecun")


def test_bad_dtype_and_seed():
    with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64', got 'float16'"):
        lw.mlp(2, [3], 1, dtype="float16")
    with pytest.raises(TypeError, match="seed must be an integer >= 0, a numpy Generator or None"):
        lw.mlp(2, [3], 1, seed=1.5)


# --- non-positive numbers ----------------------------------------------------


@pytest.mark.parametrize(
    "units,exc",
    [(0, ValueError), (-2, ValueError), (2.5, TypeError), (True, TypeError), ("3", TypeError)],
)
def test_units(units, exc):
    with pytest.raises(exc, match=f"units must be a positive integer, got .*{units!r}"):
        lw.Dense(units)
    with pytest.raises(exc, match="units must be a positive integer"):
        lw.mlp(2, [units], 1)


def test_input_dim():
    with pytest.raises(ValueError, match="input_dim must be a positive integer, got 0"):
        lw.mlp(0, [3], 1)


@pytest.mark.parametrize(
    "lr,exc",
    [
        (0, ValueError),
        (-0.1, ValueError),
        (np.nan, ValueError),
        (np.inf, ValueError),
        ("0.1", TypeError),
    ],
)
def test_lr(lr, exc):
    with pytest.raises(exc, match="lr must be a positive number, got"):
        fit(binary(), lr=lr)
    model = binary()
    grads = model.backward(model.forward(X4)[1], Y4, "bce")
    with pytest.raises(exc, match="lr must be a positive number"):
        model.update(grads, lr=lr)


@pytest.mark.parametrize(
    "epochs,exc", [(0, ValueError), (-1, ValueError), (2.5, TypeError), (None, TypeError)]
)
def test_epochs(epochs, exc):
    with pytest.raises(exc, match="epochs must be a positive integer, got"):
        fit(binary(), epochs=epochs)


@pytest.mark.parametrize(
    "batch_size,exc", [(0, ValueError), (-1, ValueError), (2.5, TypeError), ("4", TypeError)]
)
def test_batch_size(batch_size, exc):
    with pytest.raises(exc, match="batch_size must be a positive integer( or None)?, got"):
        fit(binary(), batch_size=batch_size)


# --- output layer and loss ---------------------------------------------------


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


# --- surgery -----------------------------------------------------------------


@pytest.mark.parametrize("i", [1, -1])
def test_remove_the_output_layer(i):
    with pytest.raises(ValueError, match="layer 1 is the output layer and cannot be removed"):
        binary().remove(i)


@pytest.mark.parametrize("i", [2, 5, -3])
def test_layer_index_out_of_range(i):
    with pytest.raises(
        ValueError,
        match=rf"layer index {i} is out of range: the model has 2 "
        r"layer\(s\) \(valid: 0..1\)",
    ):
        binary().remove(i)


def test_layer_index_not_an_integer():
    with pytest.raises(TypeError, match="layer index must be an integer, got str '0'"):
        binary().remove("0")


@pytest.mark.parametrize("i", [3, -1])
def test_insert_position_out_of_range(i):
    with pytest.raises(ValueError, match=rf"insert position {i} is out of range \(valid: 0..2\)"):
        binary().insert(i, lw.Dense(2))


def test_add_something_that_is_not_a_new_layer():
    model = binary()
    with pytest.raises(TypeError, match="expected a Layer such as lw.Dense"):
        model.add("dense")
    with pytest.raises(ValueError, match="is already in this model; create a new one"):
        model.add(model.layers[0])


def test_empty_model():
    with pytest.raises(ValueError, match="the model has no layers; add some with model.add"):
        lw.Sequential().predict(X4)


def test_failed_fit_leaves_the_model_untouched():
    model = binary()
    before = [p.copy() for p in model.parameters().values()]
    with pytest.raises(ValueError):
        fit(model, y=[0, 1, 2, 0])
    for p, q in zip(model.parameters().values(), before, strict=True):
        np.testing.assert_array_equal(p, q)
    assert model.epochs_trained == 0


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: lw.Dense(4, l2=-0.1), ValueError, r"l2 must be a number >= 0, got -0.1"),
        (lambda: lw.Dense(4, l2=float("inf")), ValueError, r"l2 must be a number >= 0"),
        (lambda: lw.Dense(4, l2="big"), TypeError, r"l2 must be a number >= 0, got str"),
        (lambda: lw.schedules.StepLR(2, gamma=0), ValueError, r"gamma must be a number in \(0, 1"),
        (lambda: lw.schedules.ReduceLROnPlateau(patience=1.5), TypeError, "patience must be an"),
        (lambda: lw.optimizers.Adam(eps=float("nan")), ValueError, "eps must be a number >= 0"),
    ],
)
def test_hyperparameter_ranges_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_nullable_pandas_columns_without_missing_values_are_numbers():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    values = rng.integers(-5, 5, size=(20, 2))
    frame = pd.DataFrame({"a": pd.array(values[:, 0], dtype="Int64"),
                          "b": pd.array(values[:, 1].astype(float), dtype="Float64")})  # fmt: skip
    y = pd.Series((values[:, 0] > 0).astype(int), dtype="Int64")
    fitted = []
    for X, target in ((frame, y), (values.astype(float), (values[:, 0] > 0).astype(float))):
        model = lw.mlp(2, [3], 1, output_activation="sigmoid", seed=0)
        model.fit(X, target, loss="bce", epochs=3, verbose=0)
        fitted.append(model.layers[0].W)
    np.testing.assert_array_equal(fitted[0], fitted[1])  # the same numbers as NumPy's
    frame.loc[3, "a"] = pd.NA
    with pytest.raises(ValueError, match="NaN"):
        lw.mlp(2, [3], 1, seed=0).predict(frame)


def test_from_torch_of_a_huge_meta_device_linear_is_a_clear_error():
    torch = pytest.importorskip("torch")
    with torch.device("meta"):
        module = torch.nn.Sequential(torch.nn.Linear(10**6, 10**6), torch.nn.ReLU())
    with pytest.raises(ValueError, match=r"meta device \(1,000,001,000,000 values"):
        lw.export.from_torch(module)


def test_from_torch_refuses_a_module_beyond_memory(monkeypatch):
    torch = pytest.importorskip("torch")
    from layerwise._internal import memory as _memory

    module = torch.nn.Sequential(torch.nn.Linear(100, 100))
    tiny = [_memory.Limit("a tiny machine", 1000)]
    monkeypatch.setattr(_memory, "limits", lambda: tiny)
    with pytest.raises(ValueError, match="from_torch of a module of 10,100 parameters needs"):
        lw.export.from_torch(module)


# ------------------------------------------------------------ the finiteness check itself
def test_all_finite_agrees_with_the_elementwise_check():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from layerwise._internal.validation import all_finite

    specials = st.sampled_from([np.nan, np.inf, -np.inf, 3e38, -3e38, 1e308, 0.0])

    @settings(max_examples=300, deadline=None)
    @given(
        st.sampled_from([np.float32, np.float64]),
        st.integers(1, 40),
        st.lists(st.tuples(st.integers(0, 10**6), specials), max_size=4),
    )
    def check(dtype, n, inserts):
        a = np.random.default_rng(n).standard_normal(n)
        with np.errstate(over="ignore"):
            for i, v in inserts:
                a[i % n] = v
            a = a.astype(dtype)
        assert all_finite(a) == bool(np.isfinite(a).all())

    check()
    # finite values whose sum overflows: the fast sum says inf, the answer is still True
    assert all_finite(np.full(4, 3e38, np.float32))
    assert not all_finite(np.array([np.inf, -np.inf]))  # a sum of nan, not of inf
    assert all_finite(np.arange(5))  # integers are finite


def test_check_X_tells_too_large_for_float32_from_nan():
    X = np.ones((4, 3))
    X[2, 1] = 1e39
    with pytest.raises(ValueError, match=r"too large for float32 \(first at row 2, column 1\)"):
        lw.mlp(3, [2], 1, seed=0).predict(X)
    X[3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        lw.mlp(3, [2], 1, seed=0).predict(X)
