"""The examples of examples/, run as a user runs them.

growth_mnist1d.py in its --quick mode: real data from the mnist1d package, real files in a
run folder (read back), FLOPs against a count by hand. grow_demo.py: the grown network beats
the fixed one, and its summary lists the layers in order (one run of the demo, shared).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import random
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "growth_mnist1d.py"


def _example():
    pytest.importorskip("mnist1d")
    spec = importlib.util.spec_from_file_location("growth_mnist1d", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_flops_are_counted_from_the_layer_sizes():
    ex = _example()
    # 40 -> 100 -> 100 -> 10: forward 2 n_in n_out per layer, backward 2 n_in n_out for dW
    # and 2 n_in n_out for the input gradient, except the first layer's
    by_hand = 4 * 40 * 100 + 6 * 100 * 100 + 6 * 100 * 10
    assert ex.flops_per_sample([40, 100, 100, 10]) == by_hand


@pytest.mark.slow
def test_quick_run_writes_its_results_and_leaves_global_random_state_alone(tmp_path):
    from matplotlib.image import imread
    from mnist1d.data import get_dataset_args, make_dataset

    ex = _example()
    np.random.seed(123)  # noqa: NPY002 - checking that the example restores it
    random.seed(7)
    np_before, py_before = np.random.get_state()[1].copy(), random.getstate()  # noqa: NPY002
    results = ex.main(["--quick", "--out", str(tmp_path / "run")])
    assert np.array_equal(np.random.get_state()[1], np_before)  # noqa: NPY002
    assert random.getstate() == py_before

    run = tmp_path / "run"
    # the cached data set is mnist1d's own, with its default arguments (but the size)
    with np.load(run / "mnist1d_1000.npz", allow_pickle=False) as f:
        X, y = f["X"], f["y"]
    args = get_dataset_args()
    args.num_samples = 1000
    state = np.random.get_state()  # noqa: NPY002
    reference = make_dataset(args)
    np.random.set_state(state)  # noqa: NPY002
    np.testing.assert_array_equal(X, reference["x"])
    np.testing.assert_array_equal(y, reference["y"])

    saved = json.loads((run / "results.json").read_text())
    assert saved["grow"]["widths"] == results["grow"]["widths"] == [16, 44, 72, 100]
    for init in ex.INITS:
        assert len(saved["inits"][init]["grad_norm"]) == 2
    assert saved["inits"]["zeros"]["grad_norm"] == [0.0, 0.0]  # zero outgoing weights
    assert all(g > 0 for g in saved["inits"]["gradmax"]["grad_norm"])
    text = (run / "results.md").read_text()
    assert "| gradmax |" in text and "| prune |" in text
    for name in ("growth_inits.png", "growth_vs_scratch.png", "prune.png"):
        image = imread(run / name)
        assert image.ndim == 3 and image.shape[0] > 200 and image.std() > 0


# --------------------------------------------------------------------------- grow_demo.py
@pytest.fixture(scope="module")
def grow_demo(tmp_path_factory):
    """One run of examples/grow_demo.py: its histories, its picture and what it printed."""
    spec = importlib.util.spec_from_file_location("grow_demo", ROOT / "examples" / "grow_demo.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    out = tmp_path_factory.mktemp("grow_demo") / "grow.png"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        runs = demo.main(out)
    return runs, out, printed.getvalue()


def test_grow_demo_grown_network_beats_the_fixed_one(grow_demo):
    runs, out, _ = grow_demo
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [e["epoch"] for e in runs["grown"].events] == [200, 400]
    assert runs["grown"].val_loss[-1] < 0.5 * runs["fixed 2-4-1"].val_loss[-1]


def test_the_grow_demo_summary_lists_its_layers_in_order(grow_demo):
    table = grow_demo[2].split("Sequential (")[1]
    rows = [line.split() for line in table.splitlines() if line[:1].isdigit()]
    assert [r[:3] for r in rows] == [
        ["0", "dense_0", "24"],
        ["1", "dense_1", "24"],
        ["2", "dense_2", "1"],
    ]
