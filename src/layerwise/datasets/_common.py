"""Types and argument checks shared by the modules of :mod:`layerwise.datasets`."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

Seed = int | np.random.Generator | None
Task = Literal["binary", "multiclass", "regression"]
_Pair = tuple[np.ndarray, np.ndarray]


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _rng(seed: Seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None:
        _check_int(seed, "seed", 0)
    return np.random.default_rng(seed)
