"""The normal distribution function Phi(z), vectorised in any Array API library.

NumPy (and the Array API standard) have no ``erf``; the exact GELU needs
``Phi(z) = (1 + erf(z / sqrt 2)) / 2``. This is
Cephes' ``ndtr`` (S. L. Moshier), which keeps full double precision in both tails by
switching to ``erfc`` for ``|x| >= 1`` instead of computing ``1 - erf(x)`` (which would
cancel to zero for ``z < -6`` or so).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from layerwise._internal.array_api import array_namespace

# erf(x) = x * T(x^2) / U(x^2) for |x| < 1
_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
      7.00332514112805075473e3, 5.55923013010394962768e4)  # fmt: skip
_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
      2.26290000613890934246e4, 4.92673942608635921086e4)  # fmt: skip
# erfc(x) = exp(-x^2) * P(x) / Q(x) for 1 <= x < 8
_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
      4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
      9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)  # fmt: skip
_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
      9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
      1.65666309194161350182e3, 5.57535340817727675546e2)  # fmt: skip
# erfc(x) = exp(-x^2) * R(x) / S(x) for x >= 8
_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
      6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0)  # fmt: skip
_S = (1.0, 2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
      1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)  # fmt: skip

_SQRT1_2 = 0.7071067811865475244


def _poly(x: Any, coefs: tuple[float, ...]) -> Any:
    out = array_namespace(x).full_like(x, coefs[0])
    for c in coefs[1:]:
        out *= x
        out += c
    return out


def _erfc_pos(x: Any) -> Any:
    """erfc(x) for x >= 1, in float64."""
    xp = array_namespace(x)
    # erfc(x) underflows to 0 from x ~ 27.3; clamping keeps the polynomials (degree 8)
    # from overflowing to inf/inf = NaN for huge or infinite x
    x = xp.minimum(x, 40.0)
    big = x >= 8.0
    num = xp.where(big, _poly(x, _R), _poly(x, _P))
    den = xp.where(big, _poly(x, _S), _poly(x, _Q))
    return xp.exp(-x * x) * num / den


def erf(x: np.ndarray) -> np.ndarray:
    """Error function, elementwise, to about 1e-16 relative (float64 internally)."""
    x = np.asarray(x)
    x64 = x.astype(np.float64, copy=False)
    ax = np.abs(x64)
    small = ax < 1.0
    xs = np.where(small, x64, 0.0)  # the |x| < 1 branch only sees small x: no overflow
    z = xs * xs
    inner = xs * _poly(z, _T) / _poly(z, _U)
    outer = np.sign(x64) * (1.0 - _erfc_pos(np.maximum(ax, 1.0)))
    return np.where(small, inner, outer).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def ndtr(z: Any) -> Any:
    """Standard normal distribution function ``Phi(z)``, elementwise, in z's float dtype.

    Parameters
    ----------
    z : array of float (any Array API library), any shape

    Returns
    -------
    array, same shape, dtype and library as ``z`` (computed in float64)
    """
    if isinstance(z, list | tuple | float | int):
        z = np.asarray(z, dtype=np.float64)
    xp = array_namespace(z)
    x = xp.astype(z, xp.float64) * _SQRT1_2
    ax = xp.abs(x)
    small = ax < 1.0
    xs = xp.where(small, x, 0.0)
    zz = xs * xs
    mid = 0.5 + 0.5 * xs * _poly(zz, _T) / _poly(zz, _U)
    tail = 0.5 * _erfc_pos(xp.maximum(ax, 1.0))  # Phi(-|z|), exact in the far tail
    out = xp.where(small, mid, xp.where(x > 0, 1.0 - tail, tail))
    return xp.astype(out, z.dtype if xp.isdtype(z.dtype, "real floating") else xp.float64)
