"""layerwise._internal.special: erf and the normal CDF against scipy.special, to the last
digits, over the whole range where float64 keeps them.
"""

from __future__ import annotations

import numpy as np
import pytest

from layerwise._internal import special as _special

sp = pytest.importorskip("scipy.special")


def test_special_functions_match_scipy_over_a_wide_range():
    # below -37.5, Phi(z) < 1e-300 is subnormal, where neither library keeps 15 digits
    x = np.concatenate([np.linspace(-37.5, 37.5, 300_001), [-8.0, -1.0, 1.0, 8.0]])
    np.testing.assert_allclose(_special.ndtr(x), sp.ndtr(x), rtol=2e-15, atol=0)
    np.testing.assert_allclose(_special.erf(x), sp.erf(x), rtol=2e-16, atol=1e-300)
    edges = np.array([-np.inf, -1e300, -40.0, 40.0, 1e300, np.inf])
    with np.errstate(all="raise", under="ignore"):
        np.testing.assert_array_equal(_special.ndtr(edges), [0, 0, 0, 1, 1, 1])
        np.testing.assert_array_equal(_special.erf(edges), [-1, -1, -1, 1, 1, 1])
    assert _special.ndtr(np.array([-3, 0])).dtype == np.float64  # integers: not truncated
    assert _special.ndtr(np.float32(0.5)).dtype == np.float32
