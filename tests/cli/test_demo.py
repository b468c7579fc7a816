"""layerwise.cli._demo: ``layerwise demo`` reproduces the seed's experiment (two learning
rates from the same weights, a deeper network) and writes its files and report.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from tests.cli.helpers import png, read_csv, run

pytest.importorskip("matplotlib")


# ------------------------------------------------------------------------------ demo
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "runs" / "demo"
    result = run("demo", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out, result


@pytest.mark.slow
def test_demo_reproduces_the_seed_experiment(demo):
    out, result = demo
    fast = [float(r["loss"]) for r in read_csv(out / "history_lr0.01.csv")]
    slow = [float(r["loss"]) for r in read_csv(out / "history_lr0.005.csv")]
    deep = [float(r["loss"]) for r in read_csv(out / "history_deep.csv")]
    assert len(fast) == len(slow) == len(deep) == 5000
    assert fast[0] == slow[0]  # the same initial weights: the first error is the same
    # after the first epochs the smaller rate is behind at every epoch
    assert all(s > f for f, s in zip(fast[1:], slow[1:]))
    # both fall: end far below the start, and never rise by more than rounding
    for curve in (fast, slow):
        assert curve[-1] < 0.8 * curve[0]
        assert max(np.diff(curve)) < 1e-6
    assert deep[-1] < fast[-1] < slow[-1]  # the deeper network reaches a lower error


@pytest.mark.slow
def test_demo_files_and_report(demo):
    out, result = demo
    png(out / "lr_comparison.png", (420, 1100))
    png(out / "loss_curves.png", (420, 1100))
    png(out / "decision_boundaries.png", (460, 1560))
    png(out / "architecture.png", (520, 1200))
    for name in ("lr_comparison", "loss_curves", "decision_boundaries", "architecture"):
        assert str(out / f"{name}.png") in result.stdout
    summary = (out / "summary.md").read_text()
    assert "| 4 tanh, lr=0.01 " in summary and "| 16,16,8 tanh, lr=0.01 " in summary
    assert "epoch 1000" in summary and "epoch 5000" in summary
    # the table prints the errors of the history files
    fast = read_csv(out / "history_lr0.01.csv")
    assert f"{float(fast[999]['loss']):.4f}" in summary.split("| 4 tanh, lr=0.01 ")[1]
    model = lw.load(out / "model_deep.npz")
    assert [layer.units for layer in model.layers] == [16, 16, 8, 1]
    assert model.history.loss == [float(r["loss"]) for r in read_csv(out / "history_deep.csv")]
