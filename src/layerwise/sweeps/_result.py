"""SweepResult: the table of a sweep, the best configuration, and its pictures."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layerwise._internal.files import atomic_write
from layerwise.sweeps._runs import METRICS
from layerwise.sweeps._store import Store, columns, format_row, make_row
from layerwise.training import History

if TYPE_CHECKING:
    import pandas
    from matplotlib.figure import Figure

__all__ = ["SweepResult"]

_NUMERIC = (*METRICS, "epochs_run", "seconds")
_HIGHER_IS_BETTER = {"accuracy", "r2"}


def _label(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "none"
    return "full" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _key(config: dict[str, Any]) -> str:
    return json.dumps(config, sort_keys=True)


class SweepResult:
    """What a sweep found: one row per run, their histories, and summaries over seeds.

    Attributes
    ----------
    table : list of dict
        One row per run, in grid order then seed order: ``run_id``, the configuration's
        settings (grid and fixed keys), ``seed``, ``status`` ("ok"/"failed"), ``error``,
        ``train_loss``, ``best_train_loss``, ``val_loss``, ``best_val_loss`` (final and
        lowest), ``accuracy`` / ``r2`` (final, on validation data), ``epochs_run``,
        ``seconds``, ``worker``, and ``config`` (the complete configuration).
    histories : dict of str to History
        The per-epoch record of every run, by run id (empty for a run whose worker died).
    metric : str
        The default metric of :meth:`best` and the pictures.
    keys : list of str
        The settings shown as columns; ``grid_keys`` those the grid varied.
    out : Path or None
        The folder the sweep wrote to.
    n_executed : int
        Runs trained by this call (the others were already in ``out``: resumed).
    """

    def __init__(
        self,
        table: Sequence[dict[str, Any]],
        histories: dict[str, History],
        *,
        metric: str = "val_loss",
        keys: Sequence[str] = (),
        grid_keys: Sequence[str] = (),
        out: str | os.PathLike | None = None,
        n_executed: int = 0,
    ) -> None:
        self.table = list(table)
        self.histories = dict(histories)
        self.metric = _check_metric(metric)
        self.keys, self.grid_keys = list(keys), list(grid_keys)
        self.out = None if out is None else Path(out)
        self.n_executed = n_executed

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        failed = sum(r["status"] != "ok" for r in self.table)
        return (
            f"SweepResult({len(self.table)} runs, {failed} failed, "
            f"{len(self.by_config())} configurations, metric={self.metric!r})"
        )

    # ------------------------------------------------------------------ tables
    def to_csv(self, path: str | os.PathLike | None = None) -> str:
        """The table as CSV (the format of ``results.csv``), written atomically to ``path``."""
        header = columns(self.keys)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(header)
        text = buf.getvalue() + "".join(format_row(r, header) for r in self.table)
        if path is not None:
            with atomic_write(path, newline="") as f:
                f.write(text)
        return text

    def to_pandas(self) -> pandas.DataFrame:
        """The table as a ``pandas.DataFrame`` (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("to_pandas needs pandas: pip install pandas") from exc
        return pd.DataFrame(self.table, columns=columns(self.keys))

    def by_config(self, metric: str | None = None, mode: str | None = None) -> list[dict]:
        """One entry per configuration, best first, with the metric's mean and spread.

        Parameters
        ----------
        metric : str, optional
            A result column (default :attr:`metric`): ``val_loss``, ``best_val_loss``,
            ``train_loss``, ``best_train_loss``, ``accuracy``, ``r2``, ``seconds``...
        mode : {"min", "max"}, optional
            Default "max" for accuracy and r2, "min" otherwise.

        Returns
        -------
        list of dict
            Keys: the settings in :attr:`keys`, ``config``, ``metric``, ``mean``, ``std``
            (sample standard deviation over seeds, NaN for one seed), ``n`` (runs ok),
            ``n_failed``, ``values`` and ``run_ids``. Configurations where every run
            finished come first, then those where some failed (their mean is over the
            runs that finished), then those where all failed (``mean`` None).
        """
        metric, mode = _check_metric(metric or self.metric), _check_mode(mode, metric)
        groups: dict[str, dict[str, Any]] = {}
        for row in self.table:
            g = groups.setdefault(
                _key(row["config"]),
                {k: row["config"].get(k) for k in self.keys}
                | {"config": row["config"], "values": [], "run_ids": [], "n_failed": 0},
            )
            g["run_ids"].append(row["run_id"])
            if row["status"] != "ok":
                g["n_failed"] += 1
            elif row.get(metric) is None:
                raise ValueError(
                    f"metric {metric!r} was not measured for run {row['run_id']} (accuracy "
                    "exists for classification, r2 for regression); choose another metric"
                )
            else:
                g["values"].append(float(row[metric]))
        out = []
        for g in groups.values():
            vals = g["values"]
            n = len(vals)
            mean = sum(vals) / n if n else None
            std = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1)) if n > 1 else math.nan
            out.append(g | {"metric": metric, "mean": mean, "std": std, "n": n})
        sign = -1.0 if mode == "max" else 1.0

        def rank(g: dict[str, Any]) -> tuple[bool, bool, float]:
            return g["mean"] is None, g["n_failed"] > 0, sign * (g["mean"] or 0.0)

        out.sort(key=rank)
        return out

    def best(self, metric: str | None = None, mode: str | None = None) -> dict[str, Any]:
        """The best configuration by ``metric``: the first entry of :meth:`by_config`.

        Returns
        -------
        dict
            ``config`` (complete), the settings, ``mean`` and ``std`` over seeds, ``n``,
            ``n_failed``, ``values``, ``run_ids``.
        """
        ranked = self.by_config(metric, mode)
        if not ranked or ranked[0]["mean"] is None:
            raise ValueError("no run of this sweep finished; see the error column of .table")
        return ranked[0]

    # ------------------------------------------------------------------ pictures
    def plot_curves(
        self,
        *,
        curve: str = "val_loss",
        logy: bool | str = False,
        path: str | os.PathLike | None = None,
    ) -> Figure:
        """Overlaid per-epoch curves, one per configuration (mean over seeds, with the
        range over seeds shaded).

        Parameters
        ----------
        curve : str, default "val_loss"
            ``"loss"`` (training), ``"val_loss"``, or a History metric such as
            ``"val_accuracy"``.
        logy : bool or "both", default False
            A log-scaled y axis; "both" draws linear and log side by side.
        path : str or PathLike, optional
            Write a PNG there (atomically).

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.figure import Figure

        if logy not in (False, True, "both"):
            raise ValueError(f"logy must be False, True or 'both', got {logy!r}")
        scales = ["linear", "log"] if logy == "both" else ["log" if logy else "linear"]
        fig = Figure(figsize=(6.5 * len(scales) + 2.5, 4.5), layout="constrained")
        axes = fig.subplots(1, len(scales), squeeze=False)[0]
        entries = self.by_config()
        colors = _colors(len(entries))
        label_keys = self.grid_keys or self.keys
        ok = {r["run_id"] for r in self.table if r["status"] == "ok"}  # failed: no curve
        drawn = 0
        for entry, color in zip(entries, colors):
            runs = [rid for rid in entry["run_ids"] if rid in ok]
            series = [s for s in (_series(self.histories.get(rid), curve) for rid in runs) if s]
            if not series:
                continue
            n = min(len(s) for s in series)
            cols = list(zip(*(s[:n] for s in series)))
            mean = [sum(c) / len(c) for c in cols]
            epochs = range(1, n + 1)
            label = " ".join(f"{k}={_label(entry[k])}" for k in label_keys)
            for ax in axes:
                ax.plot(epochs, mean, color=color, lw=1.5, label=label)
                if len(series) > 1:
                    ax.fill_between(epochs, [min(c) for c in cols], [max(c) for c in cols],
                                    color=color, alpha=0.15, lw=0)  # fmt: skip
            drawn += 1
        if not drawn:
            raise ValueError(f"no finished run recorded {curve!r}; try curve='loss'")
        n_seeds = max(len(e["run_ids"]) for e in entries)
        for ax, scale in zip(axes, scales):
            ax.set_yscale(scale)
            ax.set_xlabel("epoch")
            ax.set_ylabel(curve)
            ax.set_title(f"{curve}, {scale} scale (mean of {n_seeds} seed(s), range shaded)")
            ax.grid(True, alpha=0.3)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside right upper", fontsize="small")
        _save(fig, path)
        return fig

    def plot_heatmap(
        self,
        x: str,
        y: str,
        metric: str | None = None,
        *,
        mode: str | None = None,
        path: str | os.PathLike | None = None,
    ) -> Figure:
        """A heat map of ``metric`` (mean over seeds) over two settings of the grid.

        Where other settings vary too, each cell shows the best (by ``mode``) over them.

        Parameters
        ----------
        x, y : str
            Settings (columns of :attr:`keys`) for the horizontal and vertical axes.
        metric : str, optional
            Default :attr:`metric`.
        mode : {"min", "max"}, optional
            Default "max" for accuracy and r2, "min" otherwise.
        path : str or PathLike, optional
            Write a PNG there (atomically).

        Returns
        -------
        matplotlib.figure.Figure
        """
        import numpy as np
        from matplotlib.figure import Figure

        for name, axis in (("x", x), ("y", y)):
            if axis not in self.keys:
                raise ValueError(
                    f"{name}={axis!r} is not a setting of this sweep; valid: {self.keys}"
                )
        if x == y:
            raise ValueError(f"x and y must be two different settings, both are {x!r}")
        metric = _check_metric(metric or self.metric)
        mode = _check_mode(mode, metric)
        entries = self.by_config(metric, mode)
        xs = _unique(r["config"].get(x) for r in self.table)  # grid order
        ys = _unique(r["config"].get(y) for r in self.table)
        grid = np.full((len(ys), len(xs)), np.nan)
        pick = max if mode == "max" else min
        for e in entries:
            if e["mean"] is None:
                continue
            i, j = ys.index(e[y]), xs.index(e[x])
            grid[i, j] = e["mean"] if np.isnan(grid[i, j]) else pick(grid[i, j], e["mean"])
        fig = Figure(figsize=(1.3 * len(xs) + 3, 0.8 * len(ys) + 2.2), layout="constrained")
        ax = fig.subplots()
        cmap = "viridis_r" if mode == "min" else "viridis"  # bright = better
        image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, aspect="auto")
        fig.colorbar(image, ax=ax, label=metric)
        ax.set_xticks(range(len(xs)), [_label(v) for v in xs])
        ax.set_yticks(range(len(ys)), [_label(v) for v in ys])
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        others = [k for k in self.grid_keys if k not in (x, y)]
        how = f", {mode} over {', '.join(others)}" if others else ""
        ax.set_title(f"{metric} (mean over seeds{how})")
        finite = grid[np.isfinite(grid)]
        lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        for i in range(len(ys)):
            for j in range(len(xs)):
                v = grid[i, j]
                text = "failed" if np.isnan(v) else f"{v:.3g}"
                dark = not np.isnan(v) and (v - lo) / ((hi - lo) or 1) > 0.5
                dark = dark if mode == "min" else not dark
                ax.text(j, i, text, ha="center", va="center", fontsize="small",
                        color="white" if dark else "black")  # fmt: skip
        _save(fig, path)
        return fig

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, out: str | os.PathLike, *, metric: str = "val_loss") -> SweepResult:
        """Read a sweep's folder (``results.csv`` and ``histories/``) back.

        The last row of each run id wins (a resumed sweep may have run it again).
        """
        from layerwise.sweeps._runs import expand_grid, run_id

        path = Path(out) / "results.csv"
        if not path.exists():
            raise FileNotFoundError(f"{path} not found; give the out folder of a sweep")
        rows = {r["run_id"]: r for r in Store(out, []).read_rows()[0]}  # bad lines: named
        manifest = Store(out, []).read_manifest()
        grid, fixed = manifest["grid"], manifest["fixed"]
        # the manifest's grid is stored column-wise, one value per configuration
        configs = [dict(zip(grid, vals)) for vals in zip(*grid.values())] if grid else [{}]
        order: list[str] = []
        for c in configs:
            full = expand_grid({}, {**fixed, **c})[0]
            order += [run_id(full, s) for s in manifest["seeds"]]
        keys = [*grid, *fixed]
        rank = {rid: i for i, rid in enumerate(order)}
        store = Store(out, keys)
        table, histories = [], {}
        for rid in sorted(rows, key=lambda r: rank.get(r, len(rank))):
            table.append(make_row(rows[rid], rows[rid]["config"], keys))
            h = store.read_history(rid)
            if h is not None:
                histories[rid] = History.from_dict(h)
        grid_keys = [k for k, vals in grid.items() if len(_unique(vals)) > 1]
        return cls(table, histories, metric=metric, keys=keys, grid_keys=grid_keys, out=out)


def _series(history: History | None, curve: str) -> list[float]:
    if history is None:
        return []
    if curve == "loss":
        return list(history.loss)
    if curve == "val_loss":
        return list(history.val_loss)
    return list(history.metrics.get(curve, []))


def _unique(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def _colors(n: int) -> list[Any]:
    from matplotlib import colormaps

    if n <= 10:
        return [colormaps["tab10"](i) for i in range(n)]
    return [colormaps["viridis"](i / max(n - 1, 1)) for i in range(n)]


def _save(fig: Figure, path: str | os.PathLike | None) -> None:
    if path is not None:
        from layerwise.plot._figures import save_figure  # the package's one figure saver

        save_figure(fig, path, dpi=110)


def _check_metric(metric: str) -> str:
    if metric not in _NUMERIC:
        raise ValueError(f"metric must be one of {', '.join(_NUMERIC)}, got {metric!r}")
    return metric


def _check_mode(mode: str | None, metric: str) -> str:
    if mode is None:
        return "max" if metric in _HIGHER_IS_BETTER else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    return mode
