"""layerwise.sweeps._result: the best configuration is the mean over seeds (failures last),
the pictures, the table as pandas, and a bad line of results.csv named on loading.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from layerwise.sweeps import SweepResult
from tests.sweeps.helpers import FIXED, finished_sweep, png_size


def test_best_is_the_mean_over_seeds_and_failures_rank_last():
    grid = {"lr": [1e4, 0.5, 0.05]}
    result = lw.sweep(grid, "moons", fixed=FIXED, seeds=3, n_jobs=1, verbose=False)
    ranked = result.by_config()
    assert [e["lr"] for e in ranked][-1] == 1e4 and ranked[-1]["mean"] is None
    for e in ranked[:2]:
        vals = [r["val_loss"] for r in result.table if r["lr"] == e["lr"]]
        assert e["mean"] == pytest.approx(np.mean(vals), rel=1e-12)
        assert e["std"] == pytest.approx(np.std(vals, ddof=1), rel=1e-12)
    best = result.best()
    assert best["mean"] == min(e["mean"] for e in ranked[:2])
    acc = result.best("accuracy")
    assert acc["mean"] == max(np.mean([r["accuracy"] for r in result.table if r["lr"] == lr])
                              for lr in (0.5, 0.05))  # fmt: skip
    with pytest.raises(ValueError, match="r2"):
        result.best("r2")


def test_pictures(tmp_path):
    grid = {"hidden": [[4], [8, 4]], "lr": [0.5, 0.05], "activation": ["relu", "tanh"]}
    result = lw.sweep(grid, "moons", fixed=FIXED, seeds=2, n_jobs=1, verbose=False)
    fig = result.plot_curves(logy="both", path=tmp_path / "curves.png")
    assert [ax.get_yscale() for ax in fig.axes[:2]] == ["linear", "log"]
    assert len(fig.axes[0].lines) == 8  # one mean curve per configuration
    w, h = png_size(tmp_path / "curves.png")
    assert w > h > 200
    fig = result.plot_heatmap("lr", "hidden", path=tmp_path / "heat.png")
    cells = np.asarray(fig.axes[0].images[0].get_array())
    for i, hidden in enumerate([[4], [8, 4]]):
        for j, lr in enumerate([0.5, 0.05]):
            means = [
                np.mean([r["val_loss"] for r in result.table
                         if r["hidden"] == hidden and r["lr"] == lr and r["activation"] == a])
                for a in ("relu", "tanh")
            ]  # fmt: skip
            assert cells[i, j] == pytest.approx(min(means), rel=1e-12)
    png_size(tmp_path / "heat.png")
    with pytest.raises(ValueError, match="not a setting"):
        result.plot_heatmap("lr", "momentum")


def test_to_pandas_needs_pandas_or_gives_the_table():
    result = lw.sweep({"lr": [0.5, 0.05]}, "moons", fixed=FIXED, n_jobs=1, verbose=False)
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install pandas"):
            result.to_pandas()
    else:
        frame = result.to_pandas()
        assert list(frame["lr"]) == [0.5, 0.05] and frame.shape[0] == 2


def test_loading_a_folder_with_a_bad_line_names_it(tmp_path):
    finished_sweep(tmp_path)
    path = tmp_path / "results.csv"
    path.write_text(path.read_text().replace(",ok,", ",??,", 1))
    with pytest.raises(ValueError, match=r"results\.csv: line 2: .*'\?\?'"):
        SweepResult.load(tmp_path)
