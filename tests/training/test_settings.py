"""Tests of TODO tests/training/test_settings.py."""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from tests import twins

X4 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


Y4 = np.array([0, 1, 1, 0])


def binary(**kwargs):
    return lw.mlp(2, [3], 1, output_activation="sigmoid", seed=0, **kwargs)


def fit(model, X=X4, y=Y4, loss="bce", **kwargs):
    kwargs.setdefault("epochs", 1)
    return model.fit(X, y, loss=loss, verbose=False, **kwargs)


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
    with pytest.raises(exc, match="batch_size must be a positive integer, got"):
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
X, y, FIT = twins.X, twins.y, twins.FIT
REFUSED = {
    # the three defects named in issue 12
    "sgd with a one-element validation_data": (
        TypeError, lambda m: m.fit(X, y, optimizer="sgd", validation_data=(X,), **FIT)),
    "initial_epoch with batch_size=0": (
        ValueError, lambda m: m.fit(X, y, initial_epoch=3, epochs=5, loss="bce", batch_size=0)),
    "a schedule with bad callbacks": (
        TypeError, lambda m: m.fit(X, y, schedule=lw.schedules.StepLR(2), callbacks=[object()],
                                   **FIT)),
    # and more of fit's arguments
    "a new lr with bad metrics": (
        ValueError, lambda m: m.fit(X, y, lr=0.5, metrics=["nope"], **FIT)),
    "a new optimizer with bad epochs": (
        ValueError, lambda m: m.fit(X, y, optimizer="rmsprop", epochs=0, **FIT)),
    "a schedule with bad clipnorm": (
        ValueError, lambda m: m.fit(X, y, schedule=lw.schedules.StepLR(2), clipnorm=-1, **FIT)),
    "y of the wrong length": (ValueError, lambda m: m.fit(X, y[:10], **FIT)),
    "bce on labels 0..2": (ValueError, lambda m: m.fit(X, y + 1, **FIT)),
    "X with NaN": (ValueError, lambda m: m.fit(np.where(X > 2, np.nan, X), y, **FIT)),
    "validation_split of 1": (ValueError, lambda m: m.fit(X, y, validation_split=1.0, **FIT)),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_call_changes_nothing(case):
    twins.assert_refusal_changes_nothing(*REFUSED[case])


def test_the_twin_check_can_fail():
    # a call that is not refused does change the state: the comparison sees it
    model, twin = twins.trained(), twins.trained()
    model.fit(X, y, optimizer="sgd", lr=0.1, epochs=1, **FIT)
    with pytest.raises(AssertionError):
        twins.assert_same(model, twin)
