"""Grow and shrink a network by what the data says, on MNIST-1D.

Three experiments, one command::

    python examples/growth_mnist1d.py            # a few minutes; writes runs/growth_mnist1d/
    python examples/growth_mnist1d.py --quick    # seconds: small data, 2 seeds (the tests)
    python examples/growth_mnist1d.py --out DIR  # another run folder

(a) growth inits: a trained [32, 32] relu net grows by 32 (and, in a second table, by 4)
    neurons per hidden layer with each ``widen`` init (gradmax, random, zeros, and Net2Net
    copies with ``split``); we record the gradient norm of the new incoming weights right
    after growth and the training loss 10 epochs later, over several seeds (SGD with
    momentum: with Adam the size of a gradient hardly matters).
(b) grow vs scratch: [16, 16] grown with gradmax in equal steps to [100, 100] during
    training, against [100, 100] from the start, the same number of epochs (Adam): test
    accuracy and training FLOPs, counted from the layer sizes and the samples seen.
(c) prune: the [100, 100] nets of (b) pruned to [50, 50] by ``prune`` (least-squares refit),
    by plain removal (``resize``) and by random removal; test accuracy right after and after
    5 epochs of fine-tuning (the training's Adam continues, at a third of its rate).

MNIST-1D (Greydanus 2020; 4000 training and 1000 test signals of length 40, 10 classes) is
generated locally by the ``mnist1d`` package (``pip install 'layerwise[mnist1d]'``) with its
default arguments, and cached in the run folder as ``mnist1d_5000.npz``. The run folder gets
``results.json``, ``results.md`` (the tables of docs/on-the-fly.md) and three figures.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

import layerwise as lw
from layerwise._internal.files import atomic_write

INITS = ("gradmax", "random", "zeros", "copy")
COLORS = {"gradmax": "C0", "random": "C1", "zeros": "C2", "copy": "C3"}


# ---------------------------------------------------------------------------- data
def load_mnist1d(folder: Path, num_samples: int) -> dict[str, np.ndarray]:
    """MNIST-1D from ``mnist1d.data.make_dataset`` (no download), cached as npz."""
    cache = folder / f"mnist1d_{num_samples}.npz"
    if cache.exists():
        with np.load(cache, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as exc:  # pragma: no cover - the extra is part of `test`
        raise SystemExit("this example needs mnist1d: pip install 'layerwise[mnist1d]'") from exc
    args = get_dataset_args()
    args.num_samples = num_samples
    # make_dataset seeds NumPy's and Python's global generators: put them back afterwards
    np_state, py_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    try:
        d = make_dataset(args)
    finally:
        np.random.set_state(np_state)  # noqa: NPY002
        random.setstate(py_state)
    data = {"X": d["x"], "y": d["y"], "X_test": d["x_test"], "y_test": d["y_test"]}
    with atomic_write(cache, "wb") as f:
        np.savez(f, **data)
    return data


# ---------------------------------------------------------------------------- helpers
def flops_per_sample(widths: list[int]) -> int:
    """Multiply-adds x 2 of one training step per sample: forward 2 n_in n_out per Dense
    layer, backward 2 n_in n_out for dW and (but for the first layer) 2 n_in n_out for the
    gradient of the layer's input."""
    total = 0
    for k, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        total += (6 if k else 4) * n_in * n_out
    return total


def accuracy(model, X, y) -> float:
    return float((model.predict(X).argmax(axis=1) == y).mean())


def new_grad_norm(model, X, y, old: list[int]) -> float:
    """||dL/dW|| over the incoming weights of the neurons added after ``old`` widths."""
    _, caches = model.forward(X)
    grads = model.backward(caches, y, "cce")
    return float(np.sqrt(sum(np.sum(grads[i].dW[:, n:] ** 2) for i, n in enumerate(old))))


def grow(model, widths: list[int], data: tuple, init: str) -> int:
    """Widen each hidden layer to ``widths``, deepest first (so that a lower layer's
    gradmax sees the widened layer above it: more directions to choose from). Returns the
    FLOPs of gradmax's probes: one forward and backward pass of the batch through the net
    with ``n_next`` extra neurons in the grown layer, per grown layer."""
    probe = 0
    for i in reversed(range(len(widths))):
        kw = {"data": data, "loss": "cce"} if init == "gradmax" else {}
        if init == "copy":
            kw = {"split": 0.5}
        if init == "gradmax":
            sizes = [40, *[layer.units for layer in model.layers]]
            sizes[i + 1] += sizes[i + 2]
            probe += flops_per_sample(sizes) * len(data[0])
        model.widen(i, widths[i], init=init, **kw)
    return probe


def remove_random(model, i: int, units: int, rng: np.random.Generator) -> None:
    """Keep ``units`` neurons of layer i chosen at random; no refit. The optimizer's state
    (``model.optimizer.state``, keyed "<layer name>/<param>") is cut down the same way, as
    ``resize`` and ``prune`` do it, so that all three fine-tune alike."""
    layer, nxt = model.layers[i], model.layers[i + 1]
    keep = np.sort(rng.choice(layer.units, units, replace=False))
    cuts = {f"{layer.name}/W": (layer.W.shape, 1), f"{layer.name}/b": (layer.b.shape, 0),
            f"{nxt.name}/W": (nxt.W.shape, 0)}  # fmt: skip
    for key, (shape, axis) in cuts.items():
        for name, arr in model.optimizer.state.get(key, {}).items():
            if isinstance(arr, np.ndarray) and arr.shape == shape:
                model.optimizer.state[key][name] = np.take(arr, keep, axis=axis)
    layer.set_weights(np.ascontiguousarray(layer.W[:, keep]), layer.b[keep].copy())
    nxt.set_weights(np.ascontiguousarray(nxt.W[keep]), nxt.b)


def spread(values) -> dict[str, float]:
    v = np.asarray(values, dtype=float)
    return {"mean": float(v.mean()), "std": float(v.std()), "min": float(v.min()),
            "max": float(v.max())}  # fmt: skip


# ---------------------------------------------------------------------------- (a)
def experiment_inits(d, seeds, cfg, add: int = 32) -> dict:
    """Grow trained [32, 32] nets by ``add`` neurons per layer with each init."""
    X, y = d["X"], d["y"]
    out = {init: {"grad_norm": [], "loss_after": [], "curve": []} for init in INITS}
    out["loss_before"], out["epoch_loss_before"] = [], []
    sgd = {"loss": "cce", "batch_size": 64, "verbose": False}
    for seed in seeds:
        base = lw.mlp(40, [32, 32], 10, output_activation="softmax", seed=seed)
        h = base.fit(X, y, optimizer="momentum", lr=cfg["lr_sgd"], epochs=cfg["base_epochs"], **sgd)
        out["loss_before"].append(base.evaluate(X, y, "cce"))
        out["epoch_loss_before"].append(h.loss[-1])  # as the curves: mean over an epoch's batches
        batch = np.random.default_rng(seed).choice(len(X), min(512, len(X)), replace=False)
        for init in INITS:
            model = base.copy()
            grow(model, [32 + add] * 2, (X[batch], y[batch]), init)
            out[init]["grad_norm"].append(new_grad_norm(model, X, y, [32, 32]))
            h = model.fit(X, y, epochs=cfg["after_epochs"], **sgd)
            out[init]["curve"].append(list(h.loss))
            out[init]["loss_after"].append(model.evaluate(X, y, "cce"))
        print(
            f"(a) +{add}, seed {seed}: "
            + ", ".join(
                f"{i} {out[i]['grad_norm'][-1]:.3g}/{out[i]['loss_after'][-1]:.3f}" for i in INITS
            )
        )
    return out


# ---------------------------------------------------------------------------- (b)
def experiment_grow(d, seeds, cfg) -> dict:
    X, y, Xt, yt = d["X"], d["y"], d["X_test"], d["y_test"]
    epochs, steps = cfg["epochs"], cfg["grow_at"]
    widths = np.linspace(16, 100, len(steps) + 1).round().astype(int).tolist()
    res = {"scratch": {"acc": [], "flops": [], "curve": []}, "grown": {"acc": [], "flops": [],
           "curve": []}, "widths": widths, "grow_at": steps}  # fmt: skip
    adam = {"loss": "cce", "batch_size": 64, "verbose": False}
    models = []
    for seed in seeds:
        scratch = lw.mlp(40, [100, 100], 10, output_activation="softmax", seed=seed)
        per_epoch = flops_per_sample([40, 100, 100, 10]) * len(X)
        curve = []
        for e in range(epochs):
            scratch.fit(X, y, optimizer="adam", lr=cfg["lr_adam"], epochs=1, **adam)
            curve.append(((e + 1) * per_epoch, accuracy(scratch, Xt, yt)))
        res["scratch"]["curve"].append(curve)
        res["scratch"]["acc"].append(curve[-1][1])
        res["scratch"]["flops"].append(curve[-1][0])
        models.append(scratch)

        grown = lw.mlp(40, [16, 16], 10, output_activation="softmax", seed=seed)
        rng, flops, curve, stage = np.random.default_rng(seed), 0, [], 0
        for e in range(epochs):
            if stage < len(steps) and e == steps[stage]:
                stage += 1
                batch = rng.choice(len(X), 512, replace=False)
                w = [widths[stage]] * 2
                flops += grow(grown, w, (X[batch], y[batch]), "gradmax")
            grown.fit(X, y, optimizer="adam", lr=cfg["lr_adam"], epochs=1, **adam)
            flops += flops_per_sample([40, *[layer.units for layer in grown.layers]]) * len(X)
            curve.append((flops, accuracy(grown, Xt, yt)))
        res["grown"]["curve"].append(curve)
        res["grown"]["acc"].append(curve[-1][1])
        res["grown"]["flops"].append(flops)
        print(
            f"(b) seed {seed}: scratch {res['scratch']['acc'][-1]:.3f}, grown "
            f"{res['grown']['acc'][-1]:.3f} at {flops / res['scratch']['flops'][-1]:.0%} FLOPs"
        )
    return res, models


# ---------------------------------------------------------------------------- (c)
def experiment_prune(d, models, cfg) -> dict:
    X, y, Xt, yt = d["X"], d["y"], d["X_test"], d["y_test"]
    methods = ("prune", "resize", "random")
    res = {"unpruned": [], **{m: {"right_after": [], "fine_tuned": [], "change": []}
                              for m in methods}}  # fmt: skip
    for seed, trained in enumerate(models):
        res["unpruned"].append(accuracy(trained, Xt, yt))
        before = trained.predict(X)
        for method in methods:
            model = trained.copy()
            for i in (0, 1):
                if method == "prune":
                    model.prune(i, 50, data=X)
                elif method == "resize":
                    model.resize(i, 50)
                else:
                    remove_random(model, i, 50, np.random.default_rng(100 + seed))
            change = np.linalg.norm(model.predict(X) - before) / np.linalg.norm(before)
            res[method]["change"].append(float(change))
            res[method]["right_after"].append(accuracy(model, Xt, yt))
            # fine-tuning continues the training's Adam (its state follows the cut), slower
            model.fit(X, y, loss="cce", lr=cfg["lr_tune"], epochs=cfg["tune_epochs"],
                      batch_size=64, verbose=False)  # fmt: skip
            res[method]["fine_tuned"].append(accuracy(model, Xt, yt))
        print(
            f"(c) model {seed}: unpruned {res['unpruned'][-1]:.3f}; "
            + ", ".join(
                f"{m} {res[m]['right_after'][-1]:.3f} -> {res[m]['fine_tuned'][-1]:.3f}"
                for m in methods
            )
        )
    return res


# ---------------------------------------------------------------------------- report
def figures(a, b, c, folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for k, init in enumerate(INITS):
        g = np.asarray(a[init]["grad_norm"])
        ax1.bar(k, g.mean(), color=COLORS[init], alpha=0.6)
        ax1.plot(np.full(len(g), k), g, "k.", ms=6)
        curves = np.asarray(a[init]["curve"])
        ep = np.arange(1, curves.shape[1] + 1)
        ax2.plot(ep, curves.mean(axis=0), color=COLORS[init], label=init)
        ax2.fill_between(ep, curves.min(axis=0), curves.max(axis=0), color=COLORS[init],
                         alpha=0.15)  # fmt: skip
    ax1.set_xticks(range(len(INITS)), INITS)
    ax1.set_ylabel("gradient norm of the new incoming weights")
    ax1.set_title("right after growth (dots: seeds)")
    ax2.axhline(np.mean(a["epoch_loss_before"]), color="gray", ls="--", lw=1,
                label="last epoch before growth")  # fmt: skip
    ax2.set_xlabel("epoch after growth")
    ax2.set_ylabel("training loss (cce, mean over each epoch)")
    ax2.set_title("training after growth (band: min-max over seeds)")
    ax2.legend(frameon=False, loc="lower left")
    fig.tight_layout()
    fig.savefig(folder / "growth_inits.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, color in (("scratch", "C7"), ("grown", "C0")):
        for s, curve in enumerate(b[name]["curve"]):
            f, acc = np.asarray(curve).T
            label = f"{name} [100, 100]" if name == "scratch" else "grown from [16, 16]"
            ax.plot(f / 1e9, acc, color=color, alpha=0.8, label=label if s == 0 else None)
    ax.set_xlabel("training GFLOPs (cumulative)")
    ax.set_ylabel("test accuracy")
    ax.set_title("MNIST-1D: growing with gradmax vs training big from the start")
    ax.legend(frameon=False, loc="lower right")
    fig.tight_layout()
    fig.savefig(folder / "growth_vs_scratch.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.5, 4))
    methods = ("prune", "resize", "random")
    for k, m in enumerate(methods):
        for off, key, alpha in ((-0.18, "right_after", 0.35), (0.18, "fine_tuned", 0.8)):
            v = np.asarray(c[m][key])
            label = ("right after" if key == "right_after" else "after fine-tuning") if k == 0 \
                else None  # fmt: skip
            ax.bar(k + off, v.mean(), width=0.34, color="C0", alpha=alpha, label=label)
            ax.plot(np.full(len(v), k + off), v, "k.", ms=5)
    ax.axhline(np.mean(c["unpruned"]), color="gray", ls="--", lw=1, label="unpruned [100, 100]")
    ax.set_xticks(range(3), ["prune (least squares)", "resize (plain)", "random removal"])
    ax.set_ylabel("test accuracy")
    ax.set_title("[100, 100] -> [50, 50]")
    ax.legend(frameon=False, loc="lower left")
    fig.tight_layout()
    fig.savefig(folder / "prune.png", dpi=120)
    plt.close(fig)


def _ms(values, fmt="{:.3f}") -> str:
    s = spread(values)
    return f"{fmt.format(s['mean'])} ± {fmt.format(s['std'])}"


def _inits_table(a, add: int) -> list[str]:
    lines = [f"(a) growth inits, [32, 32] -> [{32 + add}, {32 + add}], mean ± std over "
             f"{len(a['loss_before'])} seeds (training loss before growth "
             f"{_ms(a['loss_before'])})", "",
             "| init | gradient norm of new weights | training loss 10 epochs later |",
             "|---|---|---|"]  # fmt: skip
    for init in INITS:
        lines.append(f"| {init} | {_ms(a[init]['grad_norm'], '{:.4f}')} | "
                     f"{_ms(a[init]['loss_after'])} |")  # fmt: skip
    return lines


def tables(a, a4, b, c) -> str:
    lines = [*_inits_table(a, 32), "", *_inits_table(a4, 4)]
    ratio = np.asarray(b["grown"]["flops"]) / np.asarray(b["scratch"]["flops"])
    gap = 100 * (np.asarray(b["scratch"]["acc"]) - np.asarray(b["grown"]["acc"]))
    lines += ["", f"(b) grow vs scratch, {len(ratio)} seeds, widths {b['widths']} "
              f"(grown at epochs {b['grow_at']})", "",
              "| run | test accuracy | training GFLOPs |", "|---|---|---|",
              f"| [100, 100] from scratch | {_ms(b['scratch']['acc'])} | "
              f"{np.mean(b['scratch']['flops']) / 1e9:.2f} |",
              f"| grown from [16, 16] | {_ms(b['grown']['acc'])} | "
              f"{np.mean(b['grown']['flops']) / 1e9:.2f} ({ratio.mean():.0%} of scratch) |",
              "", f"accuracy gap (scratch - grown): {gap.mean():.1f} points (per seed: "
              + ", ".join(f"{g:.1f}" for g in gap) + ")"]  # fmt: skip
    lines += ["", f"(c) prune [100, 100] -> [50, 50], {len(c['unpruned'])} models; unpruned "
              f"test accuracy {_ms(c['unpruned'])}", "",
              "| method | output change on training set | right after | after fine-tuning |",
              "|---|---|---|---|"]  # fmt: skip
    for m in ("prune", "resize", "random"):
        lines.append(f"| {m} | {_ms(c[m]['change'])} | {_ms(c[m]['right_after'])} | "
                     f"{_ms(c[m]['fine_tuned'])} |")  # fmt: skip
    return "\n".join(lines) + "\n"


CONFIGS = {
    "full": {"num_samples": 5000, "seeds": 5, "b_seeds": 5, "lr_sgd": 0.05, "base_epochs": 20,
             "after_epochs": 10, "lr_adam": 3e-3, "epochs": 40, "grow_at": [7, 14, 21, 28],
             "lr_tune": 1e-3, "tune_epochs": 5},
    "quick": {"num_samples": 1000, "seeds": 2, "b_seeds": 1, "lr_sgd": 0.05, "base_epochs": 3,
              "after_epochs": 2, "lr_adam": 3e-3, "epochs": 4, "grow_at": [1, 2, 3],
              "lr_tune": 1e-3, "tune_epochs": 1},
}  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/growth_mnist1d"))
    parser.add_argument("--quick", action="store_true", help="small data, few epochs (tests)")
    args = parser.parse_args(argv)
    cfg = CONFIGS["quick" if args.quick else "full"]
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    d = load_mnist1d(args.out, cfg["num_samples"])
    a = experiment_inits(d, range(cfg["seeds"]), cfg)
    a4 = experiment_inits(d, range(cfg["seeds"]), cfg, add=4)  # few neurons, wide next layer
    b, models = experiment_grow(d, range(cfg["b_seeds"]), cfg)
    c = experiment_prune(d, models, cfg)
    results = {"config": cfg, "inits": a, "inits_4": a4, "grow": b, "prune": c,
               "seconds": time.perf_counter() - start}  # fmt: skip
    with atomic_write(args.out / "results.json") as f:
        json.dump(results, f, indent=1)
    text = tables(a, a4, b, c)
    with atomic_write(args.out / "results.md") as f:
        f.write(text)
    figures(a, b, c, args.out)
    print(text)
    print(f"written to {args.out}/ in {results['seconds']:.0f} s")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
