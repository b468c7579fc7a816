"""layerwise.training._settings: the checked settings of one fit call, built before
anything changes. Each bad argument is named, and a refused fit leaves the model and its
training state as a twin that never saw it (tests/twins.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from tests import twins
from tests.helpers import binary, fit


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


def test_failed_fit_leaves_the_model_untouched():
    model = binary()
    before = [p.copy() for p in model.parameters().values()]
    with pytest.raises(ValueError):
        fit(model, y=[0, 1, 2, 0])
    for p, q in zip(model.parameters().values(), before, strict=True):
        np.testing.assert_array_equal(p, q)
    assert model.epochs_trained == 0


# ------------------------------------------------------- validate first, then change
# (tests/twins.py: a refused call leaves the model as a twin that never saw it)
TX, TY, TFIT = twins.X, twins.y, twins.FIT
REFUSED = {
    # the three defects named in issue 12
    "sgd with a one-element validation_data": (
        TypeError, lambda m: m.fit(TX, TY, optimizer="sgd", validation_data=(TX,), **TFIT)),
    "initial_epoch with batch_size=0": (
        ValueError, lambda m: m.fit(TX, TY, initial_epoch=3, epochs=5, loss="bce", batch_size=0)),
    "a schedule with bad callbacks": (
        TypeError, lambda m: m.fit(TX, TY, schedule=lw.schedules.StepLR(2), callbacks=[object()],
                                   **TFIT)),
    # and more of fit's arguments
    "a new lr with bad metrics": (
        ValueError, lambda m: m.fit(TX, TY, lr=0.5, metrics=["nope"], **TFIT)),
    "a new optimizer with bad epochs": (
        ValueError, lambda m: m.fit(TX, TY, optimizer="rmsprop", epochs=0, **TFIT)),
    "a schedule with bad clipnorm": (
        ValueError, lambda m: m.fit(TX, TY, schedule=lw.schedules.StepLR(2), clipnorm=-1, **TFIT)),
    "y of the wrong length": (ValueError, lambda m: m.fit(TX, TY[:10], **TFIT)),
    "bce on labels 0..2": (ValueError, lambda m: m.fit(TX, TY + 1, **TFIT)),
    "X with NaN": (ValueError, lambda m: m.fit(np.where(TX > 2, np.nan, TX), TY, **TFIT)),
    "validation_split of 1": (ValueError, lambda m: m.fit(TX, TY, validation_split=1.0, **TFIT)),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_call_changes_nothing(case):
    twins.assert_refusal_changes_nothing(*REFUSED[case])


def test_the_twin_check_can_fail():
    # a call that is not refused does change the state: the comparison sees it
    model, twin = twins.trained(), twins.trained()
    model.fit(TX, TY, optimizer="sgd", lr=0.1, epochs=1, **TFIT)
    with pytest.raises(AssertionError):
        twins.assert_same(model, twin)


RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3))
Y_BIN = (X[:, 0] > 0).astype(float)


def test_metrics_as_one_string_is_one_metric():
    model = lw.mlp(3, [4], 1, output_activation="sigmoid", seed=0)
    history = model.fit(X, Y_BIN, loss="bce", epochs=1, metrics="accuracy", verbose=False)
    assert list(history.metrics) == ["accuracy"]
    A = lw.mlp(3, [4], 1, output_activation="sigmoid", seed=0).predict(X)
    assert history.metrics["accuracy"][0] == np.mean((A[:, 0] > 0.5) == (Y_BIN > 0.5))


def test_validation_targets_of_the_wrong_length_name_x_val_and_y_val():
    model = lw.mlp(3, [4], 1, seed=0)
    with pytest.raises(ValueError, match="X_val has 20 samples but y_val has 5"):
        model.fit(X, Y_BIN, epochs=1, validation_data=(X, Y_BIN[:5]), verbose=False)


def test_initial_epoch_is_validated():
    with pytest.raises(ValueError, match=r"initial_epoch must be an integer in \[0, 3\), got 3"):
        fit(binary(), epochs=3, initial_epoch=3)
