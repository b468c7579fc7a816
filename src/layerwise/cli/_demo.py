"""``layerwise demo``: the seed's experiment, two learning rates from the same initial
weights and a deeper network for contrast."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import layerwise as lw
from layerwise._internal.files import atomic_write
from layerwise.cli._common import _markdown, _run_folder, _verbose

_DEMO_RATES = (0.01, 0.005)
_DEMO_DEEP = [16, 16, 8]


def _cmd_demo(args: argparse.Namespace) -> int:
    """The seed's experiment: one hidden layer of 4 tanh units, the same initial weights at
    two learning rates, full batch, plain gradient descent; and a deeper net for contrast."""
    X, y = lw.datasets.load(args.data, seed=args.seed)
    scaler = lw.datasets.StandardScaler().fit(X)
    Xs = scaler.transform(X)
    fit = {"loss": "bce", "epochs": args.epochs, "verbose": _verbose(args)}
    shallow = lw.mlp(2, [4], 1, activation="tanh", output_activation="sigmoid", seed=args.seed)
    models: dict[str, lw.Sequential] = {}
    runs: dict[str, lw.History] = {}
    for lr in _DEMO_RATES:
        label = f"4 tanh, lr={lr:g}"
        models[label] = shallow.copy()  # the same initial weights for every rate
        runs[label] = models[label].fit(Xs, y, lr=lr, **fit)
    label = f"{','.join(map(str, _DEMO_DEEP))} tanh, lr={_DEMO_RATES[0]:g}"
    models[label] = lw.mlp(
        2, _DEMO_DEEP, 1, activation="tanh", output_activation="sigmoid", seed=args.seed
    )
    runs[label] = models[label].fit(Xs, y, lr=_DEMO_RATES[0], **fit)

    out = _run_folder(args.out, "demo")
    about = f"{args.data} ({len(X)} points), full batch, plain gradient descent, bce"
    pictures = _demo_pictures(out, about, models, runs, X, y, scaler)
    files = []
    for i, (name, model) in enumerate(models.items()):
        stem = ("lr" + f"{_DEMO_RATES[i]:g}") if i < len(_DEMO_RATES) else "deep"
        files += [out / f"history_{stem}.csv", out / f"model_{stem}.npz"]
        runs[name].to_csv(files[-2])
        lw.save(
            model,
            files[-1],
            scaler=scaler,
            history=runs[name],
            metadata={"demo": name, "data": args.data, "seed": args.seed},
        )
    _demo_report(out, about, runs, args.epochs)
    print("\npictures:")
    for path in pictures:
        print(f"  {path}")
    print(f"summary: {out / 'summary.md'}")
    print(f"histories and models: {', '.join(str(p) for p in files)}")
    return 0


def _demo_pictures(
    out: Path,
    about: str,
    models: dict[str, lw.Sequential],
    runs: dict[str, lw.History],
    X: np.ndarray,
    y: np.ndarray,
    scaler: lw.datasets.StandardScaler,
) -> list[Path]:
    """The demo's four figures, written into ``out``; returns their paths."""
    pictures = [
        out / "lr_comparison.png",
        out / "loss_curves.png",
        out / "decision_boundaries.png",
        out / "architecture.png",
    ]
    shallow_runs: dict[float | str, lw.History] = dict(zip(_DEMO_RATES, list(runs.values())[:2]))
    lw.plot.learning_rate_comparison(
        shallow_runs,
        path=pictures[0],
        title=f"Model error vs epoch, one hidden layer of 4 tanh units, same initial weights"
        f"\n{about}",
    )
    lw.plot.loss_panels(
        runs, val=False, path=pictures[1], title=f"Error per epoch, shallow and deep\n{about}"
    )
    fig, axes = lw.plot.subplots(1, len(models), figsize=(5.2 * len(models), 4.6))
    for ax, (name, model) in zip(axes, models.items()):
        lw.plot.decision_boundary(model, X, y, ax=ax, scaler=scaler, resolution=150)
        ax.set_title(f"{name}\n{ax.get_title().splitlines()[-1]}", fontsize=10)
    lw.plot.save_figure(fig, pictures[2])
    lw.plot.close(fig)
    fig, axes = lw.plot.subplots(1, 2, figsize=(12.0, 5.2))
    first, deep = list(models.values())[0], list(models.values())[-1]
    lw.plot.architecture(first, ax=axes[0], max_neurons=10)
    lw.plot.architecture(deep, ax=axes[1], max_neurons=10)
    lw.plot.save_figure(fig, pictures[3])
    lw.plot.close(fig)
    return pictures


def _demo_report(out: Path, about: str, runs: dict[str, lw.History], epochs: int) -> None:
    """The table of errors at chosen epochs and what it shows: printed and in summary.md."""
    checkpoints = sorted({e for e in (1, 10, 100, 1000, 2000, epochs) if e <= epochs})
    rows = [("run", *(f"epoch {e}" for e in checkpoints), "accuracy")]
    for name, h in runs.items():
        rows.append(
            (
                name,
                *(f"{h.loss[e - 1]:.4f}" for e in checkpoints),
                f"{h.metrics['accuracy'][-1]:.3f}",
            )
        )
    table = _markdown(rows)
    fast, slow = (h.loss for h in list(runs.values())[:2])
    above = sum(s > f for f, s in zip(fast[1:], slow[1:]))
    notes = [
        f"after epoch 1 the lr=0.005 error lies above the lr=0.01 error at {above} of "
        f"{len(fast) - 1} epochs (both start from the same weights, so epoch 1 is equal)",
        f"the deeper network ends at error {list(runs.values())[-1].loss[-1]:.4f}, the "
        f"shallow one at {fast[-1]:.4f} (same learning rate 0.01)",
    ]
    with atomic_write(out / "summary.md") as fh:
        fh.write(
            f"# layerwise demo: {about}, {epochs} epochs\n\nerror (mean binary "
            f"cross-entropy) at chosen epochs\n\n{table}\n\n"
            + "\n".join(f"- {n}" for n in notes)
            + "\n"
        )
    print(f"layerwise demo: {about}, {epochs} epochs\n")
    print(table + "\n")
    for n in notes:
        print(f"- {n}")
