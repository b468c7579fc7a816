"""layerwise.playground._pictures: the grid, the heat maps decoded as the page decodes them
against the model's own predictions, the points kept by decimate, numbers fit for JSON; and
a regression drawn on the scale of its targets.
"""

from __future__ import annotations

import base64

import numpy as np
import pytest

import layerwise as lw
from layerwise.playground import _pictures as pictures
from tests.playground.helpers import (
    new_session,
    post_to,
    snapshot_of,
)


def _decoded(text: str) -> np.ndarray:
    """The page's decoding of a heat map: byte q stands for q / 127.5 - 1."""
    return np.frombuffer(base64.b64decode(text), dtype=np.uint8) / 127.5 - 1.0


def test_the_grid_is_cell_centres_from_the_top_row():
    domain = pictures.Domain(np.array([[0.0, 0.0], [4.0, 2.0]]), margin=0.0)
    assert domain.to_dict() == {"x0": -0.1, "x1": 4.1, "y0": -0.1, "y1": 2.1}  # pad >= 0.1
    g = domain.grid(2)
    xs = [-0.1 + 4.2 / 4, -0.1 + 3 * 4.2 / 4]  # centres of the two columns, left to right
    ys = [2.1 - 2.2 / 4, 2.1 - 3 * 2.2 / 4]  # of the two rows, top first
    np.testing.assert_allclose(g, [[x, y] for y in ys for x in xs])


@pytest.mark.parametrize("units", [1, 3])
def test_the_boundary_map_decodes_to_the_models_predictions_on_the_grid(units):
    rng = np.random.default_rng(units)
    X = rng.normal(size=(30, 2))
    out = "sigmoid" if units == 1 else "softmax"
    model = lw.mlp(2, [5], units, activation="tanh", output_activation=out, seed=units)
    domain = pictures.Domain(X)
    got = pictures.boundary_map(model, domain, units if units > 1 else 2, lambda P: P)
    n = pictures.BOUNDARY_GRID
    P = model.predict(domain.grid(n)).astype(np.float64)
    assert got["grid"] == n and got["kind"] == ("binary" if units == 1 else "multiclass")
    if units == 1:  # 2 p - 1, to the precision of a byte
        np.testing.assert_allclose(_decoded(got["values"]), 2 * P[:, 0] - 1, atol=1 / 127.5)
    else:
        classes = np.frombuffer(base64.b64decode(got["classes"]), dtype=np.uint8)
        np.testing.assert_array_equal(classes, P.argmax(axis=1))
        np.testing.assert_allclose(_decoded(got["values"]), 2 * P.max(axis=1) - 1, atol=1 / 127.5)


def test_a_regression_map_is_the_prediction_over_its_scale_clipped():
    model = lw.mlp(2, [], 1, seed=0, dtype="float64")
    model.layers[0].W[:] = [[1.0], [0.0]]  # the prediction is x itself
    model.layers[0].b[:] = 0.0
    domain = pictures.Domain(np.array([[-4.0, 0.0], [4.0, 1.0]]))
    got = pictures.boundary_map(model, domain, None, lambda P: P, scale=2.0)
    x = domain.grid(pictures.BOUNDARY_GRID)[:, 0]
    assert got["kind"] == "regression" and got["scale"] == 2.0
    np.testing.assert_allclose(_decoded(got["values"]), np.clip(x / 2.0, -1, 1), atol=1 / 127.5)


def test_decimate_keeps_first_last_and_the_points_asked_for():
    np.testing.assert_array_equal(pictures.decimate(7, max_points=10), np.arange(7))
    idx = pictures.decimate(10_001, keep=[5, 9_999, 20_000, -1], max_points=400)
    even = np.linspace(0, 10_000, 400).round().astype(int)  # the oracle: evenly spaced
    np.testing.assert_array_equal(idx, np.union1d(even, [5, 9_999]))
    assert idx[0] == 0 and idx[-1] == 10_000


def test_weights_and_losses_are_json_numbers():
    model = lw.mlp(2, [3], 1, seed=0, dtype="float64")
    model.layers[0].W[0, 0] = np.nan
    w = pictures.weights(model)
    assert w[0]["W"][0][0] == 0.0  # JSON has no NaN
    np.testing.assert_array_equal(w[1]["W"], np.round(model.layers[1].W, 4))
    assert [pictures.finite(v) for v in (1.5, np.nan, np.inf, None, np.float32(2))] == [
        1.5, None, None, None, 2.0,
    ]  # fmt: skip


def test_a_regression_csv_is_drawn_on_the_scale_of_its_targets(client, tmp_path):
    sid = new_session(client)
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, size=(50, 2))
    text = "a,b,price\n" + "".join(f"{p:.5f},{q:.5f},{30 * p + 0.5:.5f}\n" for p, q in X)
    path = tmp_path / "prices.csv"
    path.write_text(text)
    _, y = lw.datasets.load_csv(path)
    assert post_to(client, sid, "csv", {"csv": text})["task"] == "regression"
    s = snapshot_of(client, sid)
    assert s["boundary"]["kind"] == "regression"
    assert s["boundary"]["scale"] == pytest.approx(np.abs(y).max())
    assert client.get(f"/api/session/{sid}/points").json()["scale"] == s["boundary"]["scale"]
