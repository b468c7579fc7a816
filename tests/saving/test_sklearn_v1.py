"""layerwise.saving._sklearn_v1: a file of the first format (tests/saving/data) still loads
and predicts what it predicted when saved.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_iris  # noqa: E402

import layerwise as lw  # noqa: E402
import layerwise.saving  # noqa: E402

X, Y = load_iris(return_X_y=True)


def test_a_version_1_file_still_loads():
    path = Path(__file__).parent / "data" / "sklearn_v1_pipeline.npz"
    pipe = lw.load(path)
    expected = np.array(pipe.metadata["predict_proba"])
    np.testing.assert_array_equal(pipe.predict_proba(X[::10]), expected)
    assert layerwise.saving.read_header(path)["version"] == 1
