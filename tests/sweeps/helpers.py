"""Helpers shared by the test modules of tests/sweeps/."""

from __future__ import annotations

import os
import struct

import layerwise as lw
from layerwise.sweeps import expand_grid, prepare_data, run_id, run_one

GRID = {"hidden": [[4], [8, 4]], "lr": [0.5, 0.05]}


FIXED = {"epochs": 15}


VOLATILE = ("seconds", "worker")  # differ between runs by nature


def numbers(table):
    """The table without timings and worker names."""
    return [{k: v for k, v in row.items() if k not in VOLATILE} for row in table]


def reference(grid, fixed, seeds, data):
    """Every run computed in this process, one after another."""
    d = prepare_data(data)
    return {run_id(c, s): run_one(c, s, d) for c in expand_grid(grid, fixed) for s in range(seeds)}


def assert_matches(result, ref):
    for row in result.table:
        want = ref[row["run_id"]]
        assert row["status"] == "ok", row["error"]
        for key in ("train_loss", "best_train_loss", "val_loss", "best_val_loss", "accuracy"):
            assert row[key] == want[key], (key, row[key], want[key])  # bit for bit
        h = result.histories[row["run_id"]]
        assert h.loss == want["history"]["loss"]
        assert h.val_loss == want["history"]["val_loss"]


def crash_on_lr_0_5(config, seed, data):
    """A runner whose worker dies (no exception, no cleanup) on one configuration."""
    if config["lr"] == 0.5 and config["hidden"] == [4]:
        os._exit(13)
    return run_one(config, seed, data)


def png_size(path):
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def finished_sweep(out):
    return lw.sweep({"lr": [0.5, 0.05]}, "moons", fixed=FIXED, n_jobs=1, out=out, verbose=False)


def resume_sweep(out):
    return lw.sweep({"lr": [0.5, 0.05]}, "moons", fixed=FIXED, n_jobs=1, out=out, resume=True,
                    verbose=False)  # fmt: skip
