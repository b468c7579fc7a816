"""Tests of TODO training/test_step.py."""

from __future__ import annotations

import pytest

from tests import twins

# the twin check of tests/twins.py: a refused call leaves the model as it was
REFUSED = {
    "train_on_batch with a bad clipnorm": (
        TypeError,
        lambda m: m.train_on_batch(twins.X, twins.y, loss="bce", lr=0.9, clipnorm="x"),
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_call_changes_nothing(case):
    twins.assert_refusal_changes_nothing(*REFUSED[case])
