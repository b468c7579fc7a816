"""layerwise.cli._fitting: one training run of train or compare. The run options (their
defaults and refusals), the keyword arguments of ``fit`` built from them, a fit without
signal handling that is the plain ``fit`` (the oracle), the history of a resumed run joined
into that of the uninterrupted run, and the progress bar (--quiet) on a terminal only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import numpy as np
import pytest

import layerwise as lw
from layerwise import cli
from layerwise.cli._common import DEFAULTS
from layerwise.cli._fitting import _fit_interruptibly, _fit_kwargs, _joined
from tests.cli.helpers import subparsers

pytest.importorskip("matplotlib")


def _parsed(command: str, *argv: str) -> argparse.Namespace:
    args = subparsers(cli.build_parser())[command].parse_args(["moons", *argv])
    args.loss = "bce"  # as _resolve_output sets it for moons
    return args


# ------------------------------------------------------------------------------ options
def test_run_options_defaults():
    for command in ("train", "compare"):
        args = _parsed(command)
        assert (args.test_size, args.epochs, args.batch_size, args.out, args.quiet) == (
            0.2, DEFAULTS["epochs"], None, None, False
        )  # fmt: skip


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--test-size", "1"], "argument --test-size: --test-size must be in [0, 1), got '1'"),
        (["--test-size", "-0.1"], "--test-size must be in [0, 1), got '-0.1'"),
        (["--batch-size", "0"], "argument --batch-size: --batch-size must be a positive "
         "integer, got '0'"),
        (["--epochs", "2.5"], "argument --epochs: --epochs must be a positive integer, got '2.5'"),
    ],
)  # fmt: skip
def test_run_options_are_refused_in_one_line(argv, message, capsys):
    for command in ("train", "compare"):
        assert cli.main([command, "moons", *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err


def test_fit_keywords_from_the_options():
    args = _parsed("train", "--optimizer", "adam", "--lr", "0.01", "--epochs", "7",
                   "--batch-size", "16", "--schedule", "step:step_size=3,gamma=0.5",
                   "--early-stopping", "4", "--checkpoint", "ck.npz", "--quiet",
                   "--grow", "patience=3")  # fmt: skip
    kwargs = _fit_kwargs(args)
    callbacks = kwargs.pop("callbacks")
    schedule = kwargs.pop("schedule")
    assert kwargs == {"loss": "bce", "lr": 0.01, "epochs": 7, "batch_size": 16,
                      "verbose": False, "optimizer": "adam"}  # fmt: skip
    assert isinstance(schedule, lw.schedules.StepLR)
    assert (schedule.step_size, schedule.gamma) == (3, 0.5)
    grow, stop, checkpoint = callbacks
    assert isinstance(grow, lw.callbacks.GrowOnPlateau)
    assert (grow.patience, grow.monitor) == (3, "val_loss")
    assert isinstance(stop, lw.callbacks.EarlyStopping)
    assert (stop.monitor, stop.patience, stop.restore_best_weights) == ("val_loss", 4, True)
    assert isinstance(checkpoint, lw.callbacks.ModelCheckpoint)
    assert (os.fspath(checkpoint.path), checkpoint.monitor) == ("ck.npz", "val_loss")


def test_without_a_validation_split_the_callbacks_watch_the_loss():
    args = _parsed("train", "--test-size", "0", "--early-stopping", "2", "--grow", "")
    grow, stop = _fit_kwargs(args)["callbacks"]
    assert grow.monitor == stop.monitor == "loss"


def test_compare_fits_with_sgd_and_no_callbacks():
    args = _parsed("compare", "--lr", "0.1", "0.2")
    args.lr = 0.1  # compare fits one rate at a time
    assert _fit_kwargs(args) == {"loss": "bce", "lr": 0.1, "epochs": DEFAULTS["epochs"],
                                 "batch_size": None, "verbose": "auto", "callbacks": [],
                                 "optimizer": "sgd"}  # fmt: skip


# ------------------------------------------------------------------------------ the fit
def _moons():
    X, y = lw.datasets.load("moons", n_samples=60, seed=2)
    return X[15:], y[15:], (X[:15], y[:15])


def _network():
    return lw.mlp(2, [4], 1, activation="tanh", output_activation="sigmoid", seed=1)


def test_a_fit_without_signal_handling_is_the_plain_fit():
    X, y, validation = _moons()
    args = _parsed("train", "--epochs", "5", "--batch-size", "16", "--quiet")
    kwargs = {**_fit_kwargs(args), "validation_data": validation}
    model = _network()
    expected = model.copy()
    history, signum = _fit_interruptibly(args, model, X, y, kwargs)
    plain = expected.fit(X, y, **kwargs)
    assert signum is None
    assert history.to_dict() == plain.to_dict()
    for a, b in zip(model.parameters().values(), expected.parameters().values(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_history_of_a_resumed_run_is_the_uninterrupted_one():
    X, y, validation = _moons()
    fit = {"loss": "bce", "lr": 0.3, "batch_size": 16, "validation_data": validation,
           "verbose": False}  # fmt: skip
    whole = _network().fit(X, y, epochs=6, **fit).to_dict()
    model = _network()
    before = model.fit(X, y, epochs=3, **fit)
    after = model.fit(X, y, epochs=6, initial_epoch=3, **fit)
    joined = _joined(before, after)
    assert joined.epoch == [1, 2, 3, 4, 5, 6]
    for key in ("epoch", "loss", "val_loss", "metrics", "lr", "events"):
        assert joined.to_dict()[key] == whole[key], key
    assert joined.params == after.params  # the settings of the run that continued


def test_joined_histories_keep_the_events_and_take_no_overlap():
    def history(epochs, events):
        return lw.History.from_dict({
            "epoch": epochs, "loss": [float(e) for e in epochs],
            "val_loss": [e / 10 for e in epochs], "lr": [0.1] * len(epochs),
            "metrics": {"accuracy": [e / 100 for e in epochs]},
            "events": events, "params": {"epochs": epochs[-1]},
        })  # fmt: skip

    before = history([1, 2], [{"epoch": 2, "change": "widen"}])
    after = history([3, 4], [{"epoch": 4, "change": "deepen"}])
    assert _joined(before, after).to_dict() == {
        "epoch": [1, 2, 3, 4], "loss": [1.0, 2.0, 3.0, 4.0], "val_loss": [0.1, 0.2, 0.3, 0.4],
        "metrics": {"accuracy": [0.01, 0.02, 0.03, 0.04]}, "lr": [0.1] * 4,
        "events": [{"epoch": 2, "change": "widen"}, {"epoch": 4, "change": "deepen"}],
        "params": {"epochs": 4},
    }  # fmt: skip
    # nothing before, or an after that starts at or before the last epoch saved: as it is
    assert _joined(None, after) is after
    assert _joined(lw.History(), after) is after
    assert _joined(history([1, 2, 3], []), after) is after


# ------------------------------------------------------------------------------ progress
def test_progress_bar_on_a_terminal_only(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    import struct
    import termios

    for quiet in (False, True):
        master, slave = os.openpty()
        # a terminal has a size (tqdm draws nothing on a 0-column one): 80 columns, where
        # tqdm's own postfix used to cut val_loss and leave no room for the bar
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        args = [
            sys.executable,
            "-m",
            "layerwise",
            "train",
            "moons",
            "--n-samples",
            "40",
            "--epochs",
            "30",
            "--hidden",
            "3",
            "--out",
            str(tmp_path / f"r{quiet}"),
        ]
        proc = subprocess.run(
            args + (["--quiet"] if quiet else []), stdout=subprocess.PIPE, stderr=slave, timeout=120
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(master)
        err = b"".join(chunks).decode(errors="replace")
        assert proc.returncode == 0
        if quiet:
            assert err == ""
        else:
            frames = [f for f in err.replace("\r", "\n").split("\n") if f.strip()]
            assert all(len(f) < 80 for f in frames), frames  # the last column left free
            assert frames[-1].startswith("30/30 |" + "█" * 10)  # the bar, full
            # the bar ends showing the last epoch's losses, as recorded in the history
            history = lw.load(tmp_path / "rFalse" / "model.npz").history
            assert (
                f"loss={history.loss[-1]:.4g} val_loss={history.val_loss[-1]:.4g}" in (frames[-1])
            )
