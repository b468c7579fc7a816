"""layerwise.plot._figures: the backend (Agg without a display, a chosen one respected),
drawing into given axes, atomic files and released figures; importing layerwise loads no
matplotlib.
"""

from __future__ import annotations

import os
import subprocess
import sys

import matplotlib.pyplot as plt
import pytest

import layerwise as lw
from tests.plot.helpers import fitted_history


def test_import_layerwise_does_not_import_matplotlib():
    code = (
        "import sys, layerwise as lw\n"
        "assert 'matplotlib' not in sys.modules\n"
        "plot = lw.plot\n"
        "assert callable(plot.loss_curves) and 'matplotlib' not in sys.modules\n"
        "from layerwise import plot as p2\n"
        "assert p2 is plot\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_agg_backend_without_display_and_chosen_backend_respected():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    code = (
        "import layerwise as lw, matplotlib\n"
        "h = lw.History(epoch=[1, 2], loss=[1.0, 0.5])\n"
        "lw.plot.loss_curves(h)\n"
        "print(matplotlib.get_backend().lower())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "agg"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "MPLBACKEND": "svg"},
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == "svg"


def test_draw_into_given_axes_creates_no_figure():
    fig, axes = plt.subplots(1, 3)
    before = plt.get_fignums()
    h = fitted_history()
    assert lw.plot.loss_curves(h, ax=axes[0]) is fig
    assert lw.plot.accuracy_curves(h, ax=axes[1]) is fig
    model = lw.mlp(2, [3], 1, output_activation="sigmoid", seed=0)
    assert lw.plot.architecture(model, ax=axes[2]) is fig
    assert plt.get_fignums() == before
    assert axes[0].get_lines() and axes[2].get_lines()


def test_files_are_written_atomically_and_figures_released(tmp_path):
    h = fitted_history()
    before = len(plt.get_fignums())
    for i in range(5):
        lw.plot.loss_curves(h, path=tmp_path / f"l{i}.png")
    assert len(plt.get_fignums()) == before
    assert sorted(os.listdir(tmp_path)) == [f"l{i}.png" for i in range(5)]
    lw.plot.loss_curves(h, path=tmp_path / "curve.svg")
    assert (tmp_path / "curve.svg").read_text().lstrip().startswith("<?xml")
    with pytest.raises(FileNotFoundError, match="missing"):
        lw.plot.loss_curves(h, path=tmp_path / "missing" / "x.png")
