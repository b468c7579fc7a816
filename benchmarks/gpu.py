"""layerwise on a GPU: the MNIST-shaped and wide workloads on CUDA, against PyTorch eager.

Contenders, alternating round by round from the same initial weights and data:

- ``layerwise (torch cuda)``: ``model.fit`` on PyTorch CUDA tensors, the same core that runs
  on NumPy (``xp`` is PyTorch there);
- ``layerwise (cupy)``: ``model.fit`` on CuPy arrays, if CuPy is installed;
- ``torch eager``: ``nn.Sequential`` + ``CrossEntropyLoss`` + ``optim.Adam``, eager mode;
- ``layerwise (numpy, this host's CPU)``: for the "20x the CPU" comparison.

Usage (on a machine with CUDA; nothing here runs without it)::

    python benchmarks/gpu.py [--out benchmarks/GPU_RESULTS.md] [--rounds 5] [--quick]

Writes a markdown table of the median time per epoch and the ratios the targets name
(layerwise on CUDA >= 0.8x PyTorch eager for both workloads; >= 20x layerwise on the CPU
for wide).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from benchmarks.workloads import classification_data  # noqa: E402

import layerwise as lw  # noqa: E402

WORKLOADS = {
    "MNIST-shaped": dict(sizes=(784, 256, 128, 10), n=9984, batch=128),
    "wide": dict(sizes=(784, 1024, 1024, 10), n=8192, batch=1024),
}


def contenders(sizes, n, batch, *, with_cpu: bool):
    """One zero-argument callable per contender, each doing one epoch (synchronised)."""
    import torch

    X, Y = classification_data(n, sizes[0], sizes[-1], np.float32, 0)
    labels = Y.argmax(axis=1)
    model = lw.mlp(sizes[0], list(sizes[1:-1]), sizes[-1], activation="relu",
                   output_activation="softmax", seed=0)  # fmt: skip
    fit_kw = dict(loss="cce", optimizer="adam", lr=1e-3, epochs=1, batch_size=batch,
                  verbose=False)  # fmt: skip
    runs = {}
    dev = torch.device("cuda")
    Xt, yt = torch.asarray(X, device=dev), torch.asarray(labels, device=dev)
    on_torch = model.copy().to(Xt)

    def layerwise_torch():
        on_torch.fit(Xt, yt, **fit_kw)
        torch.cuda.synchronize()

    runs["layerwise (torch cuda)"] = layerwise_torch
    try:
        import cupy as cp
    except ImportError:
        cp = None
    if cp is not None:
        Xc, yc = cp.asarray(X), cp.asarray(labels)
        on_cupy = model.copy().to(Xc)

        def layerwise_cupy():
            on_cupy.fit(Xc, yc, **fit_kw)
            cp.cuda.Device().synchronize()

        runs["layerwise (cupy)"] = layerwise_cupy
    mods = []
    for i, layer in enumerate(model.layers):
        lin = torch.nn.Linear(layer.n_in, layer.units, device=dev)
        with torch.no_grad():
            lin.weight.copy_(torch.asarray(layer.W.T.copy(), device=dev))
            lin.bias.copy_(torch.asarray(layer.b, device=dev))
        mods += [lin] if i == len(model.layers) - 1 else [lin, torch.nn.ReLU()]
    net = torch.nn.Sequential(*mods)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    crit = torch.nn.CrossEntropyLoss()
    gen = torch.Generator(device=dev).manual_seed(0)

    def torch_eager():
        perm = torch.randperm(n, device=dev, generator=gen)
        for s in range(0, n, batch):
            idx = perm[s : s + batch]
            opt.zero_grad(set_to_none=True)
            loss = crit(net(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            loss.item()  # the per-batch loss, as layerwise records it
        torch.cuda.synchronize()

    runs["torch eager"] = torch_eager
    if with_cpu:
        on_cpu = model.copy()
        runs["layerwise (numpy, this host's CPU)"] = lambda: on_cpu.fit(X, labels, **fit_kw)
    return runs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "GPU_RESULTS.md"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="2 rounds, for a smoke test")
    args = ap.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print("benchmarks/gpu.py needs a CUDA device; none is available here", file=sys.stderr)
        return 2
    rounds = 2 if args.quick else args.rounds
    lines = [
        "# layerwise on a GPU",
        "",
        f"Device: {torch.cuda.get_device_name()}; PyTorch {torch.__version__}; "
        f"layerwise {lw.__version__}; {rounds} rounds after a warm-up epoch, median time per "
        "epoch, contenders alternating. float32, Adam, cce.",
        "",
        "| workload | contender | median epoch | vs torch eager | vs layerwise on CPU |",
        "|---|---|---|---|---|",
    ]
    for name, w in WORKLOADS.items():
        runs = contenders(w["sizes"], w["n"], w["batch"], with_cpu=name == "wide")
        for fn in runs.values():  # warm-up: CUDA context, kernels, allocator
            fn()
        times: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(rounds):
            for k, fn in runs.items():
                t0 = time.perf_counter()
                fn()
                times[k].append(time.perf_counter() - t0)
        med = {k: statistics.median(v) for k, v in times.items()}
        cpu = med.get("layerwise (numpy, this host's CPU)")
        for k, t in med.items():
            vs_torch = med["torch eager"] / t
            vs_cpu = f"{cpu / t:.1f}x" if cpu and "numpy" not in k else ""
            lines.append(f"| {name} | {k} | {t * 1e3:.1f} ms | {vs_torch:.2f}x | {vs_cpu} |")
        print("\n".join(lines[-len(med) :]), flush=True)
    lines += [
        "",
        "Targets: layerwise on CUDA >= 0.8x PyTorch eager (the 'vs torch eager' column, > 1 "
        "is faster than torch) for both workloads; >= 20x layerwise on the CPU for wide (the "
        "last column; compare also with the wide row of benchmarks/RESULTS.md, measured on "
        "the development machine's CPU).",
    ]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
