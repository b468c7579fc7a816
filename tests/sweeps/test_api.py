"""layerwise.sweeps._api: ``sweep``'s own arguments, and every example of docs/sweeps.md."""

from __future__ import annotations

import csv

import pytest

import layerwise as lw
from tests.sweeps.helpers import FIXED, GRID, assert_matches, numbers, reference


def test_bad_arguments_name_themselves(tmp_path):
    for kwargs, match in [
        ({"backend": "ray"}, "backend"),
        ({"seeds": 0}, "seeds"),
        ({"seeds": [1, 1]}, "repeats"),
        ({"metric": "f1"}, "metric"),
        ({"resume": True}, "resume=True needs out"),
        ({"scheduler": "tcp://127.0.0.1:1"}, "backend='dask'"),
        ({"n_jobs": 0}, "n_jobs"),
    ]:
        with pytest.raises((ValueError, TypeError), match=match):
            lw.sweep({"lr": [0.1]}, "moons", verbose=False, **kwargs)
    with pytest.raises(TypeError, match="data must be"):
        lw.sweep({"lr": [0.1]}, 42, verbose=False)


class Stop(Exception):
    pass


def test_an_interrupted_sweep_resumes_without_repeating_a_finished_run(tmp_path):
    ref = reference(GRID, FIXED, 2, "moons")
    seen: list[str] = []

    def stop_after_three(row):
        seen.append(row["run_id"])
        if len(seen) == 3:
            raise Stop

    with pytest.raises(Stop):
        lw.sweep(GRID, "moons", fixed=FIXED, seeds=2, n_jobs=2, out=tmp_path,
                 on_result=stop_after_three, verbose=False)  # fmt: skip
    with open(tmp_path / "results.csv") as f:
        first = [r["run_id"] for r in csv.DictReader(f)]
    assert first == seen
    # a crash may cut the last line short: resume drops it and runs that run again
    with open(tmp_path / "results.csv", "a") as f:
        f.write("deadbeef0000,[4],0.5")

    again: list[str] = []
    result = lw.sweep(GRID, "moons", fixed=FIXED, seeds=2, n_jobs=2, out=tmp_path,
                      resume=True, on_result=lambda row: again.append(row["run_id"]),
                      verbose=False)  # fmt: skip
    assert result.n_executed == len(again) == 5
    assert not set(again) & set(first)
    assert_matches(result, ref)
    with open(tmp_path / "results.csv") as f:
        ids = [r["run_id"] for r in csv.DictReader(f)]
    assert sorted(ids) == sorted(ref)  # each run once, the cut line gone
    done = lw.sweep(GRID, "moons", fixed=FIXED, seeds=2, out=tmp_path, resume=True, verbose=False)
    assert done.n_executed == 0 and numbers(done.table) == numbers(result.table)


# ---------------------------------------------------------------------------
# The guide


@pytest.mark.slow
def test_every_example_of_the_guide_runs(tmp_path, monkeypatch):
    import re
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "sweeps.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 6
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "guide"}  # the script's main() is defined, not called
    for block in blocks:
        exec(compile(block, "docs/sweeps.md", "exec"), namespace)
    assert namespace["more"].n_executed == 4 and len(namespace["more"].table) == 12
    assert (tmp_path / "sweep_curves.png").stat().st_size > 0
    assert all(row["status"] == "ok" for row in namespace["more"].table)
