"""Same settings, both libraries: layerwise's MLPClassifier/MLPRegressor against
scikit-learn's on its bundled data sets.

Each row is 5-fold cross-validation (stratified for classification) of
``Pipeline(StandardScaler(), MLP(**settings, random_state=seed))`` for the seeds given, with
the settings identical for both libraries (150 fits per seed); the regression targets are
standardised
(``TransformedTargetRegressor``). Scores are accuracy (classification) and R^2 (diabetes),
in points (x100). The table is printed and written as Markdown to
``runs/bench_sklearn/table.md``.

    python benchmarks/bench_sklearn.py             # seed 0
    python benchmarks/bench_sklearn.py --seeds 3   # seeds 0, 1, 2 (three times as long)

It exits with status 1 when a row differs by more than one point.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np

# BLAS threads do not pay on matrices this small, and the two libraries should get the same
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from sklearn import datasets, neural_network  # noqa: E402
from sklearn.compose import TransformedTargetRegressor  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import layerwise as lw  # noqa: E402

# data set -> loader; every row uses the settings of SETTINGS[solver]
DATASETS = {
    "iris": "load_iris",
    "wine": "load_wine",
    "breast_cancer": "load_breast_cancer",
    "digits": "load_digits",
    "diabetes": "load_diabetes",
}
SETTINGS = {
    "adam": dict(hidden_layer_sizes=(32,), max_iter=200),  # the defaults but the width
    "sgd": dict(hidden_layer_sizes=(32,), max_iter=200, solver="sgd", learning_rate_init=0.01),
    "lbfgs": dict(hidden_layer_sizes=(32,), max_iter=200, solver="lbfgs"),
}


def cv_score(module, name: str, settings: dict, seed: int) -> float:
    X, y = getattr(datasets, DATASETS[name])(return_X_y=True)
    regression = name == "diabetes"
    kind = "MLPRegressor" if regression else "MLPClassifier"
    est = make_pipeline(StandardScaler(), getattr(module, kind)(**settings, random_state=seed))
    if regression:
        est = TransformedTargetRegressor(regressor=est, transformer=StandardScaler())
    cv = (KFold if regression else StratifiedKFold)(5, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # both stop at max_iter
        return float(np.mean(cross_val_score(est, X, y, cv=cv)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=1, help="seeds per row (default 1)")
    parser.add_argument("--out", default="runs/bench_sklearn", help="folder for table.md")
    args = parser.parse_args(argv)
    lines = [
        "| data set | solver | scikit-learn | layerwise | difference |",
        "|---|---|---:|---:|---:|",
    ]
    worst = 0.0
    for solver, settings in SETTINGS.items():
        for name in DATASETS:
            theirs = np.mean(
                [cv_score(neural_network, name, settings, s) for s in range(args.seeds)]
            )
            ours = np.mean([cv_score(lw, name, settings, s) for s in range(args.seeds)])
            worst = max(worst, abs(ours - theirs) * 100)
            lines.append(
                f"| {name} | {solver} | {theirs * 100:.1f} | {ours * 100:.1f} | "
                f"{(ours - theirs) * 100:+.1f} |"
            )
            print(lines[-1], flush=True)
    lines.append("")
    lines.append(
        f"5-fold CV, mean of {args.seeds} seed(s); accuracy (R^2 for diabetes) in points; "
        f"largest difference {worst:.1f} points."
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "table.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[-2:]))
    print(f"wrote {out / 'table.md'}")
    return 0 if worst <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
