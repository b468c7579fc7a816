"""Initialisers: distributions against their formulas (scipy's KS test), seeds, defaults."""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from layerwise import initializers as init

stats = pytest.importorskip("scipy.stats")

N_IN, N_OUT = 300, 200

# name: scipy distribution of each entry for (n_in, n_out)
DISTRIBUTIONS = {
    "he_normal": stats.norm(0, np.sqrt(2 / N_IN)),
    "he_uniform": stats.uniform(-np.sqrt(6 / N_IN), 2 * np.sqrt(6 / N_IN)),
    "glorot_normal": stats.norm(0, np.sqrt(2 / (N_IN + N_OUT))),
    "glorot_uniform": stats.uniform(-np.sqrt(6 / (N_IN + N_OUT)), 2 * np.sqrt(6 / (N_IN + N_OUT))),
    "small_random": stats.norm(0, 0.01),
}


def test_names_and_aliases():
    assert init.names() == sorted([*DISTRIBUTIONS, "zeros"])
    assert init.get("he") is init.he_normal
    assert init.get("Glorot") is init.glorot_uniform
    assert init.get("xavier") is init.glorot_uniform
    assert init.name_of("he") == "he_normal"
    assert init.name_of(lambda rng, n_in, n_out, dtype: None) is None


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_distribution_matches_its_formula(name, dtype):
    W = init.get(name)(np.random.default_rng(0), N_IN, N_OUT, dtype)
    assert W.shape == (N_IN, N_OUT) and W.dtype == dtype
    dist = DISTRIBUTIONS[name]
    # 60,000 draws: a scale 5% off gives p ~ 3e-9 (he_normal), the right one p = 0.83
    assert stats.kstest(W.ravel().astype(np.float64), dist.cdf).pvalue > 1e-4
    assert np.var(W) == pytest.approx(dist.var(), rel=0.03)
    lo, hi = dist.support()
    assert lo <= W.min() and W.max() <= hi


def test_zeros():
    W = init.zeros(np.random.default_rng(0), 3, 2, np.float32)
    assert W.dtype == np.float32
    np.testing.assert_array_equal(W, np.zeros((3, 2)))


def test_same_generator_state_same_weights():
    a = init.he_normal(np.random.default_rng(5), 4, 3)
    b = init.he_normal(np.random.default_rng(5), 4, 3)
    c = init.he_normal(np.random.default_rng(6), 4, 3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    "activation,expected",
    [
        ("relu", "he_normal"),
        ("leaky_relu", "he_normal"),
        ("elu", "he_normal"),
        ("gelu", "he_normal"),
        ("tanh", "glorot_uniform"),
        ("sigmoid", "glorot_uniform"),
        ("identity", "glorot_uniform"),
        ("softmax", "glorot_uniform"),
        ("softplus", "glorot_uniform"),
    ],
)
def test_default_follows_the_activation(activation, expected):
    assert init.default_for(activation) == expected
    # and the model draws exactly that, from its Generator, layer by layer
    model = lw.Sequential([lw.Dense(5, activation), lw.Dense(2, "identity")], input_dim=3,
                          seed=11, dtype="float64")  # fmt: skip
    rng = np.random.default_rng(11)
    W0 = init.get(expected)(rng, 3, 5, np.float64)
    W1 = init.glorot_uniform(rng, 5, 2, np.float64)
    np.testing.assert_array_equal(model.layers[0].W, W0)
    np.testing.assert_array_equal(model.layers[1].W, W1)
    np.testing.assert_array_equal(model.layers[0].b, np.zeros(5))


def test_init_by_name_or_callable_in_a_layer():
    model = lw.mlp(4, [3], 1, init="small_random", seed=2, dtype="float64")
    rng = np.random.default_rng(2)
    np.testing.assert_array_equal(model.layers[0].W, 0.01 * rng.standard_normal((4, 3)))

    def ones(rng, n_in, n_out, dtype):
        return np.ones((n_in, n_out), dtype=dtype)

    model = lw.Sequential([lw.Dense(2, "tanh", init=ones)], input_dim=3)
    np.testing.assert_array_equal(model.layers[0].W, np.ones((3, 2), dtype=np.float32))
    assert model.layers[0].W.dtype == np.float32


def test_unknown_init_lists_valid_names():
    with pytest.raises(ValueError, match="unknown init 'lecun'; valid names: glorot_normal"):
        lw.Dense(3, init="lecun")
    with pytest.raises(TypeError, match="init must be a name or a callable"):
        init.get(3)


def test_unknown_init_given_to_mlp_lists_valid_names():
    with pytest.raises(ValueError, match="unknown init 'lecun'; valid names: .*he_normal"):
        lw.mlp(2, [3], 1, init="lecun")
