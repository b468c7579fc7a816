"""``layerwise gradcheck``, ``predict``, ``info`` and ``export``: the tools that check or
use a network rather than train one."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

import layerwise as lw
from layerwise import targets
from layerwise._internal.files import atomic_write
from layerwise.cli._common import CLIError, _final, _fmt
from layerwise.cli._data import _load_data
from layerwise.cli._model import (
    _build_model,
    _load_network,
    _output_dim,
    _resolve_output,
    _targets,
)


# ---------------------------------------------------------------------------- gradcheck
def _cmd_gradcheck(args: argparse.Namespace) -> int:
    if args.model is not None:
        model = _load_network(args.model)
        data = _load_data(args)
        X = data["X"][: args.rows]
        if getattr(model, "scaler", None) is not None:
            X = model.scaler.transform(X)
        loss = args.loss or model.metadata.get("settings", {}).get("loss")
        if loss is None:
            out = model.layers[-1].describe()
            loss = targets.loss_for_output(out)
        args.loss = loss
        y = _targets(data["y"][: args.rows], args, model.output_dim)
    else:
        data = _load_data(args)
        _resolve_output(args, data["task"])
        out_dim = _output_dim(args, data)
        X = lw.datasets.StandardScaler().fit_transform(data["X"])[: args.rows]
        y = _targets(data["y"][: args.rows], args, out_dim)
        args.dtype = "float64"
        model = _build_model(args, X.shape[1], out_dim)
        # random biases: at b = 0 relu units could sit exactly on their kink
        rng = np.random.default_rng(args.seed)
        for layer in model.layers:
            b = getattr(layer, "b", None)
            if b is not None:
                b[:] = rng.normal(0.0, 0.5, b.shape)
    error = lw.gradient_check(model, X, y, args.loss)
    verdict = "PASS" if error < args.threshold else "FAIL"
    print(model.summary())
    print(
        f"max relative error: {error:.3e} on {len(X)} samples, loss {args.loss} "
        f"(threshold {args.threshold:g}): {verdict}"
    )
    return 0 if verdict == "PASS" else 1


# ---------------------------------------------------------------------------- predict
def _read_features(path: str, model: lw.Sequential, columns: list[str] | None) -> np.ndarray:
    """The feature columns of a CSV: those named by ``columns``, else the model's feature
    names (a model trained on a CSV), else every column (or every column but the target)."""
    meta = getattr(model, "metadata", {}) or {}
    names, target = columns or meta.get("feature_names"), meta.get("target")
    header = lw.datasets.csv_header(path)  # the package's one CSV reader
    n = model.input_dim
    if columns:
        missing = [c for c in columns if c not in header]
        if missing:
            raise ValueError(f"{path}: line 1: no column {missing[0]!r}; columns: {header}")
        if len(columns) != n:
            raise ValueError(f"--columns names {len(columns)} columns; the model takes {n}")
    if names and all(name in header for name in names):
        cols = [header.index(name) for name in names]
    elif len(header) == n:
        cols = list(range(n))
    elif target in header and len(header) - 1 == n:
        cols = [j for j, h in enumerate(header) if h != target]
    else:
        raise ValueError(
            f"{path}: line 1: {len(header)} columns, but the model takes {n} features"
            + (f" ({', '.join(names)})" if names else "; choose them with --columns a,b")
        )
    return lw.datasets.read_features(path, [header[j] for j in cols])


def _cmd_predict(args: argparse.Namespace) -> int:
    model = _load_network(args.model)
    X = _read_features(args.csv, model, args.columns)
    if getattr(model, "scaler", None) is not None:
        X = model.scaler.transform(X)
    out = np.asarray(model.predict(X), dtype=np.float64)
    act = model.layers[-1].describe()
    classes = (model.metadata or {}).get("classes")
    header: list[str]
    if act == "sigmoid" and out.shape[1] == 1:
        names = classes if classes and len(classes) == 2 else [0, 1]
        header = ["prediction", "probability"]
        rows = [[names[int(p > 0.5)], repr(float(p))] for p in out[:, 0]]
    elif act == "softmax":
        names = classes if classes and len(classes) == out.shape[1] else list(range(out.shape[1]))
        header = ["prediction"] + [f"p_{c}" for c in names]
        rows = [[names[int(r.argmax())], *map(repr, map(float, r))] for r in out]
    else:
        header = ["prediction"] if out.shape[1] == 1 else [f"y_{j}" for j in range(out.shape[1])]
        rows = [list(map(repr, map(float, r))) for r in out]
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    if args.out is None:
        sys.stdout.write(buf.getvalue())
    else:
        with atomic_write(args.out, newline="") as fh:
            fh.write(buf.getvalue())
        print(f"wrote {len(rows)} predictions to {args.out}")
    return 0


# ---------------------------------------------------------------------------- info, export
def _printable(text: str) -> str:
    """``text`` with control and other unprintable characters escaped (``\\x1b``), so that
    a crafted file cannot send escape sequences to the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _summarised(obj: Any, *, in_history: bool = False) -> Any:
    """``obj`` with each list of more than 10 numbers under a ``history`` key (one value
    per epoch) replaced by its length, first, last and lowest values; the rest as it is."""
    if isinstance(obj, dict):
        return {k: _summarised(v, in_history=in_history or k == "history") for k, v in obj.items()}
    if isinstance(obj, list):
        numbers = [v for v in obj if isinstance(v, int | float) and not isinstance(v, bool)]
        if in_history and len(obj) > 10 and len(numbers) == len(obj):
            return {"n": len(obj), "first": obj[0], "last": obj[-1], "min": min(obj)}
        return [_summarised(v, in_history=in_history) for v in obj]
    return obj


def _cmd_info(args: argparse.Namespace) -> int:
    model = _load_network(args.model)
    if args.json:
        header = lw.saving.read_header(args.model)
        header.pop("rng_state", None)
        if not args.history:
            header = _summarised(header)
        print(json.dumps(header, indent=2, default=str))  # escapes control characters
        return 0
    if args.history:
        raise CLIError("--history goes with --json (the full history, epoch by epoch)")
    lines = [model.summary(), f"epochs trained: {model.epochs_trained}"]
    stopped = (getattr(model, "metadata", None) or {}).get("interrupted")
    if isinstance(stopped, dict):
        lines.append(
            f"INTERRUPTED by {stopped.get('signal', '?')} after {stopped.get('epochs_trained')} "
            f"of {stopped.get('epochs_asked')} epochs; resume with: {stopped.get('resume', '?')}"
        )
    if model.optimizer is not None:
        lines.append(f"optimizer: {model.optimizer!r} after {model.optimizer.iterations} steps")
    scaler = getattr(model, "scaler", None)
    lines.append(f"scaler: {'standard scaler' if scaler is not None else 'none'}")
    history = getattr(model, "history", None)
    if history is not None and len(history):
        f = _final(history)
        lines.append(f"final loss: {_fmt(f['loss'])} (validation {_fmt(f['val_loss'])})")
    if model.events:
        changes = (f"epoch {e.get('epoch', '?')}: {e.get('change', e)}" for e in model.events)
        lines.append("changes of shape: " + "; ".join(changes))
    metadata = getattr(model, "metadata", None)
    if metadata:
        lines.append("metadata:")
        for key, value in metadata.items():
            lines.append(f"  {key}: {json.dumps(value, default=str)}")
    print("\n".join(_printable(line) for part in lines for line in part.split("\n")))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    model = _load_network(args.model)
    try:
        from layerwise.export import to_onnx
    except ImportError as exc:
        raise ImportError(
            f"ONNX export is not available ({exc}); install it with pip install 'layerwise[onnx]'"
        ) from exc
    kwargs = {} if args.opset is None else {"opset": args.opset}
    to_onnx(model, args.onnx, **kwargs)
    if getattr(model, "scaler", None) is not None:
        print(
            "note: the ONNX graph expects standardised inputs (the model's scaler is not "
            "part of it); see 'layerwise info' for its mean and scale"
        )
    print(f"wrote {args.onnx}")
    return 0
