"""layerwise.training._progress: the progress bar draws in Jupyter and on a terminal, not in
a pipe, and fits 80 columns, dropping metrics before the losses.
"""

from __future__ import annotations

import numpy as np

import layerwise as lw


def test_verbose_auto_draws_a_bar_in_jupyter_not_in_a_pipe(monkeypatch, capsys):
    # a Jupyter kernel's stderr is no terminal, yet "auto" must draw there (tqdm.auto
    # makes it a widget); under pytest stderr is captured (not a terminal) and no kernel runs
    import sys
    import types

    X = np.linspace(-1, 1, 20).reshape(-1, 1)
    y = X[:, 0] ** 2
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    lw.mlp(1, [3], 1, seed=0).fit(X, y, loss="mse", epochs=3, verbose="auto")
    assert "3/3" not in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    lw.mlp(1, [3], 1, seed=0).fit(X, y, loss="mse", epochs=3, verbose="auto")
    assert "3/3" in capsys.readouterr().err


def _bar_frames(monkeypatch, ncols: str | None, epochs: int = 300) -> tuple[list[str], lw.History]:
    """Train with the bar drawn into a fake stderr (``COLUMNS`` wide, or of no known width); the
    frames it drew, one per redraw, and the run's History."""
    import io
    import sys

    if ncols is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", ncols)
    X, y = lw.datasets.load("moons", n_samples=80, seed=0)
    fake = io.StringIO()
    monkeypatch.setattr(sys, "stderr", fake)
    model = lw.mlp(2, [6], 1, activation="tanh", output_activation="sigmoid", seed=0)
    history = model.fit(
        X[:60],
        y[:60],
        loss="bce",
        lr=0.1,
        epochs=epochs,
        metrics=["accuracy"],
        validation_data=(X[60:], y[60:]),
        verbose=True,
    )
    frames = [f for f in fake.getvalue().replace("\r", "\n").split("\n") if f.strip()]
    return frames, history


def test_progress_bar_fits_80_columns_with_the_bar_and_val_loss(monkeypatch):
    # tqdm's own postfix (", loss=..., accuracy=..., val_...") used to fill an 80-column line:
    # cut before val_loss, and no room left for the bar
    frames, history = _bar_frames(monkeypatch, "80")
    assert frames and all(len(f) <= 80 for f in frames), [len(f) for f in frames]
    last = frames[-1]
    assert last.startswith("300/300 |") and "00<00:00, " in last
    bar = last.split("|")[1]
    assert len(bar) >= 10 and set(bar) <= set("#█")  # the bar drawn, full at the end
    assert f"loss={history.loss[-1]:.4g} val_loss={history.val_loss[-1]:.4g}" in last


def test_progress_bar_drops_metrics_before_the_losses_and_shows_all_when_wide(monkeypatch):
    frames, history = _bar_frames(monkeypatch, "200")
    acc, val_acc = history.metrics["accuracy"][-1], history.metrics["val_accuracy"][-1]
    assert frames[-1].endswith(
        f"loss={history.loss[-1]:.4g} val_loss={history.val_loss[-1]:.4g} "
        f"acc={acc:.4g} val_acc={val_acc:.4g}"
    )
    frames, _ = _bar_frames(monkeypatch, None)  # no known width (a log file): everything
    assert f"val_acc={val_acc:.4g}" in frames[-1]
    frames, history = _bar_frames(monkeypatch, "50")
    assert all(len(f) <= 50 for f in frames)
    assert "| 00:" in frames[-1] and f"loss={history.loss[-1]:.4g}" in frames[-1]
    assert "acc=" not in frames[-1]  # a narrow line keeps the loss and the bar first
