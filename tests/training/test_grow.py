"""Tests of TODO training/test_grow.py."""

from __future__ import annotations

import pytest

import layerwise as lw
from tests import twins


def test_a_callback_that_refuses_the_model_refuses_the_call():
    # GrowOnPlateau needs a hidden layer: checked with the other arguments, before the
    # schedule is attached or the optimizer replaced
    X, y, FIT = twins.X, twins.y, twins.FIT
    model = lw.mlp(3, [], 1, output_activation="sigmoid", seed=0, dtype="float64")
    model.fit(X, y, optimizer="adam", lr=0.01, epochs=2, **FIT)
    twin = model.copy()
    with pytest.raises(ValueError, match="at least one Dense hidden layer"):
        model.fit(X, y, optimizer="sgd", schedule=lw.schedules.StepLR(1),
                  callbacks=[lw.callbacks.GrowOnPlateau()], **FIT)  # fmt: skip
    assert model.optimizer.schedule is None
    twins.assert_same(model, twin)
