"""Grow a network while it learns: widen it, then deepen it, without losing what it learned.

Two copies of the same small network (2 -> 4 relu -> 1 sigmoid) learn the two-spirals
problem with Adam. One stays as it is. The other is widened to 24 neurons at epoch 200
(Net2WiderNet: new neurons copy old ones, so the function is unchanged, plus a little noise
to break the symmetry) and deepened at epoch 400 (a new relu layer initialised to the
identity). Both changes happen inside one ``fit`` call, from a callback; the optimizer's
state follows them, and the loss curves mark them.

Run it from anywhere::

    python examples/grow_demo.py                     # writes runs/grow_demo/grow.png
    python examples/grow_demo.py --out /tmp/grow.png

``runs/`` is the folder of the current directory, as for the ``layerwise`` command; the
picture in the docs was made with ``--out docs/img/grow.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import layerwise as lw

OUT = Path("runs") / "grow_demo" / "grow.png"


def main(out: Path = OUT) -> dict[str, lw.History]:
    X, y = lw.datasets.load("spirals", n_samples=600, seed=0)
    order = np.random.default_rng(0).permutation(len(X))
    train, val = order[:450], order[450:]

    fixed = lw.mlp(2, [4], 1, activation="relu", output_activation="sigmoid", seed=0)
    grown = fixed.copy()  # the same starting weights

    def grow(epoch: int, logs: dict) -> None:
        if epoch == 200:
            before = grown.predict(X[val])
            grown.widen(0, 24, noise=0.05)
            change = np.abs(grown.predict(X[val]) - before).max()
            print(f"epoch {epoch}: widened to 24 neurons, outputs moved by {change:.1e}")
        if epoch == 400:
            before = grown.predict(X[val])
            grown.deepen(0)
            change = np.abs(grown.predict(X[val]) - before).max()
            print(f"epoch {epoch}: new relu layer, outputs moved by {change:.1e}")

    settings = dict(loss="bce", optimizer="adam", lr=0.01, epochs=600, verbose=False,
                    validation_data=(X[val], y[val]))  # fmt: skip
    runs = {
        "fixed 2-4-1": fixed.fit(X[train], y[train], **settings),
        "grown": grown.fit(
            X[train],
            y[train],
            callbacks=[lw.callbacks.LambdaCallback(on_epoch_end=grow)],
            **settings,
        ),
    }
    for name, h in runs.items():
        print(f"{name:12s} val loss {h.val_loss[-1]:.3f}  val accuracy "
              f"{h.metrics['val_accuracy'][-1]:.1%}")  # fmt: skip
    print(grown.summary())

    out.parent.mkdir(parents=True, exist_ok=True)
    fig = lw.plot.loss_curves(
        runs, logy=True, title="Two spirals: one network grown in width, then depth, mid-run"
    )
    lw.plot.save_figure(fig, out, dpi=110)
    lw.plot.close(fig)
    print(f"wrote {out}")
    return runs


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"the picture (default {OUT})")
    main(parser.parse_args().out)
