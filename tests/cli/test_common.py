"""layerwise.cli._common: what the subcommands share. Bad arguments give one line and
status 2 (a misspelt option with "did you mean"), train/compare/sweep share one vocabulary
and its defaults. The data options are tested in test_data.py, the network's in
test_model.py.
"""

from __future__ import annotations

import pytest

from layerwise import cli
from tests.cli.helpers import one_line_error, run, subparsers

pytest.importorskip("matplotlib")


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "args, needles",
    [
        (["train", "nosuchset"], ["unknown data set 'nosuchset'", "moons"]),
        (["train", "moons", "--hidden", "4,x"], ["--hidden", "'4,x'"]),
        (["train", "moons", "--lr", "-0.1"], ["--lr must be a positive number", "'-0.1'"]),
        (["train", "moons", "--activation", "swish"], ["swish"]),
        (["train", "missing.csv"], ["missing.csv: no such file"]),
        (["train", "iris", "--n-samples", "10"], ["n_samples does not apply"]),
        (["info", "missing.npz"], ["missing.npz: no such file"]),
        (["train", "moons", "--noise", "-1"], ["noise must be a finite number >= 0"]),
        (["frobnicate"], ["invalid choice"]),
    ],
)
def test_bad_arguments_give_one_line_and_status_2(args, needles):
    one_line_error(run(*args), *needles)


def test_train_compare_and_sweep_share_one_vocabulary_and_defaults(tmp_path):
    from layerwise.cli._common import DEFAULTS
    from layerwise.sweeps._cli import _grid

    subs = subparsers(cli.build_parser())
    train = subs["train"].parse_args(["moons"])
    compare = subs["compare"].parse_args(["--data", "moons"])
    sweep = subs["sweep"].parse_args(["moons", "--out", str(tmp_path / "s")])
    assert (train.data, compare.data_option, sweep.data) == ("moons", "moons", "moons")
    grid = _grid(sweep)
    assert train.hidden == compare.hidden[0] == grid["hidden"][0] == DEFAULTS["hidden"]
    assert train.lr == compare.lr[0] == grid["lr"][0] == DEFAULTS["lr"]
    assert train.epochs == compare.epochs == grid["epochs"][0] == DEFAULTS["epochs"]
    assert train.activation == compare.activation == DEFAULTS["activation"]
    for spelling in ("none", "0"):
        assert subs["train"].parse_args(["moons", "--hidden", spelling]).hidden == []
        args = subs["sweep"].parse_args(["moons", "--hidden", spelling, "--out", "x"])
        assert _grid(args)["hidden"] == [[]]


def test_a_misspelt_option_gets_did_you_mean(capsys):
    from layerwise.cli import main

    assert main(["train", "moons", "--epohcs", "3"]) == 2
    assert "did you mean --epohcs -> --epochs?" in capsys.readouterr().err
