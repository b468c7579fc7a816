"""ThreadChooser (``fit(threads="auto")``): BLAS threads chosen by measurement, tested
without timing anything; and fit's default, which leaves the threads alone.

The chooser reads time through an injected clock; these tests advance a fake clock by a
cost that depends on the thread count applied, so each scenario (a quiet machine, a busy
one, a load that comes and goes) is exact. What is applied is read back from BLAS itself
through threadpoolctl, the oracle for "the count in effect" and "restored after".
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import layerwise as lw
from layerwise.training import _threads
from layerwise.training._threads import ThreadChooser

MS = 1e-3


def blas_counts() -> list[int]:
    """Threads of the BLAS that NumPy's products run on (its wheel's ``numpy.libs``; every
    BLAS for a NumPy linked elsewhere). A BLAS loaded later by another package (SciPy's,
    when another test imported scikit-learn first in the same worker) runs none of fit's
    products, and the chooser leaves it alone."""
    blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
    own = [lib for lib in blas if Path(lib["filepath"]).parent.name == "numpy.libs"]
    return [lib["num_threads"] for lib in own or blas]


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def train(chooser: ThreadChooser, clock: FakeClock, cost, batches: int, start: int = 0):
    """Run ``batches`` fake batches; ``cost(threads, i)`` is the seconds batch ``i`` takes."""
    seen = []
    for i in range(start, start + batches):
        chooser.before_batch()
        clock.t += cost(chooser.threads, i)
        seen.append(chooser.threads)
        chooser.after_batch()
    return seen


def make(**kw) -> tuple[ThreadChooser, FakeClock]:
    clock = FakeClock()
    return ThreadChooser("auto", clock=clock, cores=2, environ={}, **kw), clock


def busy(threads, i):  # one core taken: two threads wait for it
    return 3 * MS if threads == 1 else 9 * MS


def quiet(threads, i):
    return 3 * MS if threads == 1 else 2 * MS


def test_a_busy_machine_gets_one_thread_and_the_timings_are_recorded():
    chooser, clock = make()
    before = blas_counts()
    with chooser:
        seen = train(chooser, clock, busy, 20)
        assert blas_counts() == [1] * len(before)  # applied to BLAS itself, not just noted
    # one batch sizes the work, then 1, 2: two threads three times slower end the measurement
    assert seen[:3] == [1, 1, 2]
    assert set(seen[3:]) == {1}
    assert chooser.describe() == {
        "threads": 1,
        "reason": "measured: 3 ms per batch at 1 thread, 9 ms at 2",
        "checks": 1,
        "ms_per_batch": {"1": 3.0, "2": 9.0},
    }
    assert chooser.postfix() == {"threads": "1 (measured)"}
    assert blas_counts() == before
    json.dumps(chooser.describe())  # History.params is saved as JSON


def test_a_description_taken_before_the_loop_ends_up_with_the_choice():
    chooser, clock = make()
    early = chooser.describe()
    with chooser:
        train(chooser, clock, busy, 20)
    assert early["threads"] == 1 and early["checks"] == 1 and early["reason"].startswith("meas")
    assert early is chooser.describe()


def test_a_quiet_machine_gets_every_core():
    chooser, clock = make()
    with chooser:
        seen = train(chooser, clock, quiet, 20)
    assert seen[:7] == [1, 1, 2, 1, 2, 1, 2]
    assert set(seen[7:]) == {2}
    assert chooser.describe()["threads"] == 2


def test_one_thread_must_be_clearly_faster():
    # a near tie keeps every core (BLAS's own choice without the chooser), either way round
    for one, two in ((3.0, 2.9), (2.9, 3.0)):
        chooser, clock = make()
        with chooser:
            train(chooser, clock, lambda n, i, one=one, two=two: (one if n == 1 else two) * MS, 20)
        assert chooser.threads == 2
    chooser, clock = make()
    with chooser:
        train(chooser, clock, lambda n, i: 2.5 * MS if n == 1 else 3 * MS, 20)
    assert chooser.threads == 1


def test_a_median_shrugs_off_one_outlier():
    chooser, clock = make()
    # the second one-thread trial batch (batch 3) is hit by something else: 50 ms
    with chooser:
        train(chooser, clock, lambda n, i: 50 * MS if i == 3 else quiet(n, i), 20)
    assert chooser.threads == 2
    assert chooser.describe()["ms_per_batch"] == {"1": 3.0, "2": 2.0}


def test_small_batches_are_left_alone_and_pay_no_measurement():
    chooser, clock = make()
    before = blas_counts()
    with chooser:
        seen = train(chooser, clock, lambda n, i: 50e-6, 50)
    assert set(seen) == {1}  # the first batch ran at one thread, and so did every other
    assert chooser.checks == 0
    assert chooser.reason == "batches of 50 us, too small to gain from threads: kept at 1"
    assert chooser.postfix() == {"threads": "1 (as is)"}
    assert blas_counts() == before


def test_a_load_that_arrives_is_seen_from_slow_batches():
    chooser, clock = make()
    with chooser:
        seen = train(chooser, clock, quiet, 20)
        assert chooser.threads == 2
        seen = train(chooser, clock, busy, 20, start=20)  # the other process starts
    # within a window of SLOW_RUN batches at 2 threads, a new measurement, ended early after
    # one batch each, then one thread
    k = seen.index(1)
    assert 1 <= k <= _threads.SLOW_RUN and seen[k : k + 2] == [1, 2]
    assert set(seen[k + 2 :]) == {1}
    assert chooser.checks == 2


def test_a_load_that_goes_away_is_seen_by_the_periodic_recheck():
    chooser, clock = make()
    with chooser:
        train(chooser, clock, busy, 20)
        assert chooser.threads == 1
        # one-thread batches do not slow down when the load leaves: only the re-check sees it
        n = int(_threads.RECHECK_S / (3 * MS)) + 20
        seen = train(chooser, clock, quiet, n, start=20)
    assert chooser.threads == 2 and chooser.checks == 2
    assert seen[-10:] == [2] * 10


def test_every_core_is_rechecked_rarely_one_thread_soon():
    # at every core a load that arrives shows in the batches; at one thread only a re-check
    # sees a load leave
    chooser, clock = make()
    with chooser:
        train(chooser, clock, quiet, 20)
        n = int(_threads.RECHECK_S / (2 * MS)) * 3  # 9 s of batches
        train(chooser, clock, quiet, n, 20)
    assert chooser.checks == 1 and chooser.threads == 2
    chooser, clock = make()
    with chooser:
        train(chooser, clock, busy, 20)
        train(chooser, clock, busy, int(_threads.RECHECK_S / (3 * MS)) * 3, 20)
    assert chooser.checks >= 3 and chooser.threads == 1


def test_slow_batches_at_one_thread_do_not_trigger_a_measurement():
    chooser, clock = make()
    with chooser:
        train(chooser, clock, busy, 20)
        train(chooser, clock, lambda n, i: 3 * busy(n, i), 50, 20)  # busier still
    assert chooser.checks == 1 and chooser.threads == 1


def test_a_confirmed_choice_is_rechecked_less_and_less_often():
    chooser, clock = make()
    with chooser:
        train(chooser, clock, busy, 20)
        starts = []
        for _ in range(4):
            checks = chooser.checks
            while chooser.checks == checks:
                train(chooser, clock, busy, 1)
            starts.append(clock.t)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    # 3 s, then 6, 12, 24 (plus the measurement's own batches), capped at RECHECK_MAX_S
    assert [round(g / 3) for g in gaps] == [2, 4, 8]
    assert chooser.threads == 1


def test_a_close_call_is_measured_longer():
    # 3.0 against 2.9 ms: within CLOSE, so three more batches each, up to MAX_TRIAL_ROUNDS
    chooser, clock = make()
    with chooser:
        seen = train(chooser, clock, lambda n, i: (3.0 if n == 1 else 2.9) * MS, 40)
    trial = seen[1 : 1 + 2 * _threads.MAX_TRIAL_ROUNDS]
    assert trial == [1, 2] * _threads.MAX_TRIAL_ROUNDS and chooser.checks == 1
    assert set(seen[1 + len(trial) :]) == {2}
    # clearly apart (quiet: 3 against 2 ms): three each are enough
    chooser, clock = make()
    with chooser:
        seen = train(chooser, clock, quiet, 20)
    assert seen[7:] == [2] * 13


def test_a_count_far_faster_ends_the_measurement_after_one_batch_each():
    # large batches on a quiet machine (one thread 3x slower): a short fit of a few batches
    # spends two of them at one thread, not four
    chooser, clock = make()
    with chooser:
        seen = train(chooser, clock, lambda n, i: 6 * MS if n == 1 else 2 * MS, 8)
    assert seen == [1, 1, 2, 2, 2, 2, 2, 2] and chooser.checks == 1
    assert chooser.describe()["ms_per_batch"] == {"1": 6.0, "2": 2.0}


def test_the_mean_decides_not_the_median():
    # two threads: 2 ms a batch but stalled at 9 ms in bursts (batches 6-8 of the trial),
    # a median of 2 ms but a mean of 5.9 ms against one thread's steady 4 ms
    def bursty(n, i):
        return 4 * MS if n == 1 else (9 * MS if i in (6, 8, 10, 12, 14) else 2 * MS)

    chooser, clock = make()
    with chooser:
        train(chooser, clock, bursty, 20)
    assert chooser.threads == 1
    assert chooser.describe()["ms_per_batch"]["1"] == 4.0


def test_a_load_that_stalls_in_bursts_is_followed():
    # quiet at first; then two-thread batches stall at 30 ms in pairs (every 4th and 5th):
    # never three slow in a row, but the window's mean is four times the chosen one's
    def stalls(n, i):
        return 4 * MS if n == 1 else (30 * MS if i % 4 in (0, 1) else 2 * MS)

    chooser, clock = make()
    with chooser:
        train(chooser, clock, quiet, 20)
        assert chooser.threads == 2
        seen = train(chooser, clock, stalls, 60, start=20)
    assert chooser.checks >= 2 and set(seen[-20:]) == {1}


def test_one_noisy_batch_does_not_trigger_a_measurement():
    chooser, clock = make()
    with chooser:
        train(chooser, clock, quiet, 20)
        train(chooser, clock, lambda n, i: 20 * MS if i % 10 == 0 else quiet(n, i), 100, 20)
    assert chooser.checks == 1


def test_threads_argument_is_applied_and_restored():
    before = blas_counts()
    clock = FakeClock()
    with ThreadChooser(1, clock=clock, cores=2, environ={"OMP_NUM_THREADS": "2"}) as chooser:
        assert blas_counts() == [1] * len(before)
        seen = train(chooser, clock, busy, 20)
    assert set(seen) == {1} and chooser.checks == 0
    assert chooser.describe()["reason"] == "set by the caller (threads=1)"
    assert chooser.postfix() == {"threads": "1 (set)"}
    assert blas_counts() == before


def test_restored_after_an_exception_mid_measurement():
    before = blas_counts()
    chooser, clock = make()
    with pytest.raises(RuntimeError), chooser:
        train(chooser, clock, busy, 1)  # sized up: the measurement starts at one thread
        assert blas_counts() == [1] * len(before)
        raise RuntimeError("diverged")
    assert blas_counts() == before


def test_an_environment_variable_wins():
    clock = FakeClock()
    before = blas_counts()
    with ThreadChooser("auto", clock=clock, cores=2, environ={"OPENBLAS_NUM_THREADS": "1"}) as c:
        seen = train(c, clock, busy, 20)
    assert set(seen) == {before[0]} and c.checks == 0
    assert c.reason == "set by the environment (OPENBLAS_NUM_THREADS=1): left as is"


def test_threadpool_limits_around_the_call_wins():
    before = blas_counts()
    if max(before) < 2:
        pytest.skip("BLAS runs one thread by default here: a limit cannot be told apart")
    with threadpool_limits(limits=1, user_api="blas"):
        chooser, clock = make()
        with chooser:
            seen = train(chooser, clock, quiet, 20)  # two threads would be faster
        assert set(seen) == {1} and chooser.checks == 0
        assert chooser.reason.startswith("held to 1 outside fit")
        assert blas_counts() == [1] * len(before)
    assert blas_counts() == before


def test_a_second_fit_at_the_same_time_leaves_threads_to_the_first():
    # fits in two threads (the playground's sessions): BLAS threads are the process's
    before = blas_counts()
    first, clock = make()
    with first:
        train(first, clock, busy, 20)
        second = ThreadChooser(2, clock=clock, cores=2, environ={})
        with second:
            seen = train(second, clock, quiet, 20)
        assert set(seen) == {1} and blas_counts() == [1] * len(before)  # the first's choice
        assert second.reason == "another fit in this process manages BLAS threads: left as is"
    assert blas_counts() == before
    with ThreadChooser(2, clock=clock, cores=2, environ={}) as third:  # the first has ended
        assert third.reason == "set by the caller (threads=2)"


def test_threadpool_limits_is_seen_even_if_layerwise_was_first_imported_inside_it(monkeypatch):
    # layerwise loads fit (and this module) on first use: maybe inside the caller's limits
    if {lib["internal_api"] for lib in threadpool_info()} - {"openblas", "blis"}:
        pytest.skip("only OpenBLAS and BLIS have a default known without the capture")
    with threadpool_limits(limits=1, user_api="blas"):
        monkeypatch.setattr(_threads, "_DEFAULTS", blas_counts())  # captured inside: all 1
        chooser, clock = make()
        with chooser:
            seen = train(chooser, clock, quiet, 20)
    assert set(seen) == {1} and chooser.reason == (
        "held to 1 outside fit (threadpool_limits?), below the process default 2: left as is"
    )


def test_one_core_has_nothing_to_choose():
    clock = FakeClock()
    with ThreadChooser("auto", clock=clock, cores=1, environ={}) as chooser:
        train(chooser, clock, busy, 20)
    assert chooser.checks == 0 and chooser.reason == "one core available: nothing to choose"


@pytest.mark.parametrize("bad", [0, -2])
def test_bad_thread_counts_are_refused(bad):
    with pytest.raises(ValueError, match=rf"threads must be at least 1, got {bad}; .*'auto'"):
        ThreadChooser(bad)


@pytest.mark.parametrize("bad", [1.5, "2", True, "fast"])
def test_thread_counts_of_the_wrong_type_are_refused(bad):
    with pytest.raises(TypeError, match=r"threads must be an int, 'auto' or None, got"):
        ThreadChooser(bad)


def test_numpy_integers_are_accepted():
    assert ThreadChooser(np.int64(2)).requested == 2


# -- through fit ---------------------------------------------------------------------------

needs_wiring = pytest.mark.skipif(
    "threads" not in inspect.signature(lw.fit).parameters,
    reason="fit(threads=...) is not wired yet",
)


class CountsDuringFit(lw.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.counts: list[list[int]] = []

    def on_batch_end(self, batch, logs=None):
        self.counts.append(blas_counts())


def _data(n=64):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 3)), rng.integers(0, 2, n)


@needs_wiring
def test_fit_applies_threads_and_records_it_and_restores():
    X, y = _data()
    before = blas_counts()
    model = lw.mlp(3, [4], 1, output_activation="sigmoid", seed=0)
    spy = CountsDuringFit()
    history = model.fit(X, y, loss="bce", epochs=2, batch_size=16, threads=1, callbacks=[spy],
                        verbose=False)  # fmt: skip
    assert spy.counts and all(c == [1] * len(before) for c in spy.counts)
    assert history.params["threads"]["threads"] == 1
    assert history.params["threads"]["reason"] == "set by the caller (threads=1)"
    assert blas_counts() == before


def test_fit_by_default_leaves_the_threads_as_they_are():
    X, y = _data()
    before = blas_counts()
    model = lw.mlp(3, [4], 1, output_activation="sigmoid", seed=0)
    spy = CountsDuringFit()
    history = model.fit(X, y, loss="bce", epochs=3, batch_size=16, callbacks=[spy], verbose=False)
    assert history.params["threads"] is None
    assert spy.counts and all(c == before for c in spy.counts)
    assert blas_counts() == before


def test_auto_records_its_reason_and_restores():
    X, y = _data()
    before = blas_counts()
    model = lw.mlp(3, [4], 1, output_activation="sigmoid", seed=0)
    history = model.fit(X, y, loss="bce", epochs=3, threads="auto", verbose=False)
    assert set(history.params["threads"]) == {"threads", "reason", "checks", "ms_per_batch"}
    assert blas_counts() == before


def test_no_module_state_carries_a_choice_from_one_fit_to_the_next():
    # a chooser measures its own run: nothing at module level remembers the last choice
    state = {
        k: v
        for k, v in vars(_threads).items()
        if isinstance(v, dict | list) and not k.startswith("__")
    }
    # the BLAS defaults read at import (a fact of the process), and the choosers running now
    assert set(state) == {"_DEFAULTS", "_ACTIVE"} and state["_ACTIVE"] == [], state
    first, clock = make()
    with first:
        train(first, clock, quiet, 20)
    second, clock2 = make()
    with second:
        seen = train(second, clock2, quiet, 20)
    assert seen[0] == 1 and second.checks == 1  # measured afresh, from one thread


@needs_wiring
def test_fit_refuses_bad_threads_before_changing_anything():
    X, y = _data()
    model = lw.mlp(3, [4], 1, output_activation="sigmoid", seed=0)
    W = model.layers[0].W.copy()
    with pytest.raises(ValueError, match="threads must be at least 1"):
        model.fit(X, y, loss="bce", epochs=1, threads=0, verbose=False)
    np.testing.assert_array_equal(model.layers[0].W, W)
    assert model.epochs_trained == 0


@needs_wiring
def test_fit_leaves_an_environment_choice_alone():
    code = (
        "import numpy as np, layerwise as lw, json\n"
        "X = np.random.default_rng(0).standard_normal((64, 3)); y = (X[:, 0] > 0) * 1\n"
        "m = lw.mlp(3, [4], 1, output_activation='sigmoid', seed=0)\n"
        "h = m.fit(X, y, loss='bce', epochs=2, threads='auto', verbose=False)\n"
        "print(json.dumps(h.params['threads']))\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k not in _threads.ENV_VARS}
    env["OPENBLAS_NUM_THREADS"] = "1"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["reason"] == "set by the environment (OPENBLAS_NUM_THREADS=1): left as is"
    assert got["threads"] == 1 and got["checks"] == 0


# -- predict on large inputs ------------------------------------------------------------------


@needs_wiring
def test_a_first_fit_inside_threadpool_limits_is_left_alone():
    if max(blas_counts()) < 2:
        pytest.skip("BLAS runs one thread by default here: a limit cannot be told apart")
    code = (
        "import json, numpy as np, layerwise as lw\n"
        "from threadpoolctl import threadpool_limits\n"
        "X = np.random.default_rng(0).standard_normal((64, 3)); y = (X[:, 0] > 0) * 1\n"
        "m = lw.mlp(3, [4], 1, output_activation='sigmoid', seed=0)\n"
        "with threadpool_limits(limits=1, user_api='blas'):  # fit's first import: in here\n"
        "    h = m.fit(X, y, loss='bce', epochs=2, threads='auto', verbose=False)\n"
        "print(json.dumps(h.params['threads']))\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k not in _threads.ENV_VARS}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["threads"] == 1 and got["reason"].startswith("held to 1 outside fit")


def test_the_progress_bar_says_nothing_of_threads(capsys):
    X, y = _data()
    model = lw.mlp(3, [4], 1, output_activation="sigmoid", seed=0)
    model.fit(X, y, loss="bce", epochs=2, threads=1, verbose=True)
    err = capsys.readouterr().err
    assert "loss=" in err and "threads" not in err
