"""PyTorch as the oracle of the gradient tests (test_model, test_activations,
surgery/test_widen): torch when it is installed (None otherwise, and ``needs_torch`` skips
the tests that need it), and each activation written in torch."""

from __future__ import annotations

import math
from typing import Any

import pytest

try:  # PyTorch is the oracle of some tests; the others run without it
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(
    torch is None, reason="needs PyTorch: pip install 'layerwise[torch]'"
)
F: Any = None if torch is None else torch.nn.functional


def _gelu(z: Any) -> Any:
    # F.gelu(approximate="none") computes Phi as 0.5 (1 + erf(z / sqrt 2)), which cancels for
    # z << 0: its gradient is 6e-9 off (relative) at z = -6.36 and 1% off at z = -10
    # (see test_torch_gelu_agrees_where_it_is_accurate). Phi = erfc(-z / sqrt 2) / 2 is
    # torch's exact form of the same function.
    return z * 0.5 * torch.special.erfc(-z / math.sqrt(2.0))


def _softplus(z: Any) -> Any:
    # F.softplus switches to the identity above z = 20 (threshold), which differs from
    # log(1 + e^z) by ~e^-20; this is the exact function
    return F.relu(z) + torch.log1p(torch.exp(-z.abs()))


TORCH_ACTS: dict[str, Any] = (
    {}
    if torch is None
    else {
        "identity": lambda z: z,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": F.relu,
        "leaky_relu": lambda z: F.leaky_relu(z, 0.01),
        "elu": lambda z: F.elu(z, alpha=1.0),
        "softplus": _softplus,
        "gelu": _gelu,
        "softmax": lambda z: torch.softmax(z, dim=1),
    }
)
