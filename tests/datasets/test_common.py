"""layerwise.datasets._common: the integer check and the seed every loader draws from.

Oracles: NumPy's own ``default_rng`` for the streams a seed gives, and the exact messages.
"""

from __future__ import annotations

import numpy as np
import pytest

from layerwise.datasets._common import _check_int, _rng


@pytest.mark.parametrize("value", [3, np.int64(3), np.uint8(3), 10**12])
def test_check_int_returns_a_python_int(value):
    got = _check_int(value, "n_samples", 1)
    assert got == int(value) and type(got) is int


@pytest.mark.parametrize("value", [0, -1, True, False, 2.0, "3", None, np.float64(3.0)])
def test_check_int_names_the_argument_the_bound_and_the_value(value):
    with pytest.raises(ValueError) as err:
        _check_int(value, "n_samples", 1)
    assert str(err.value) == f"n_samples must be an integer >= 1, got {value!r}"


def test_rng_draws_numpys_stream_for_a_seed_and_passes_a_generator_through():
    for seed in (0, 7, np.int64(7), 2**63):
        np.testing.assert_array_equal(
            _rng(seed).random(5), np.random.default_rng(int(seed)).random(5)
        )
    gen = np.random.default_rng(1)
    assert _rng(gen) is gen  # the caller's generator advances: no copy
    state = np.random.get_state()  # noqa: NPY002
    a, b = _rng(None).random(3), _rng(None).random(3)  # fresh entropy each time
    assert not np.array_equal(a, b)
    assert np.array_equal(np.random.get_state()[1], state[1])  # noqa: NPY002


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_rng_refuses_a_seed_that_is_not_a_nonnegative_integer(seed):
    with pytest.raises(ValueError, match=r"seed must be an integer >= 0, got "):
        _rng(seed)
