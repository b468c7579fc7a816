"""BLAS threads for a training run, chosen by measurement: ``fit(threads="auto")``, an opt-in.

By default ``fit`` leaves BLAS's threads as they are (one per core, or what the caller set
with threadpoolctl or an environment variable): the thread count changes the last bits of a
matrix product, and a count chosen by timing depends on what else the machine is running, so
only a fixed count keeps the promise that the same seed gives the same run bit for bit.
``threads="auto"`` trades that for speed on a busy machine, as measured below.

On a busy machine OpenBLAS's threads spin while they wait for a core that is not free: the
MNIST-shaped fit took 3.3x as long at two threads as at one with one core kept busy, while on
a quiet machine two threads were 1.4x faster. No fixed count is right, so ``fit`` measures::

    chooser = ThreadChooser(threads)      # threads: None (choose by measurement) or int >= 1
    with chooser:                         # limits applied inside, the user's restored after
        for each batch:
            chooser.before_batch()        # one clock call
            ... forward, backward, step ...
            chooser.after_batch()         # times the batch; may switch the count, rarely
    chooser.describe()                    # {"threads", "reason", ...}: for History.params

Choosing: the first batch runs at one thread and is timed; under ``SMALL_BATCH_S`` the run
stays there (too small for BLAS to thread at all: nothing to gain, nothing to pay). Otherwise
``TRIAL_ROUNDS`` batches each run at one thread and at every available core, alternating
(stopped early when more threads are ``ABORT_FACTOR`` times slower or ``DECISIVE_FACTOR``
times faster: a short fit of large batches must not spend itself measuring), and
``TRIAL_ROUNDS`` more each while the two are within ``CLOSE`` of each other (up to
``MAX_TRIAL_ROUNDS``); the count with the lower mean batch time is kept, one thread only when
clearly faster. At more than one thread the choice is measured again as soon as
``SLOW_RUN`` batches take ``SLOW_FACTOR`` times the chosen count's mean (a load arrived), and
otherwise every ``RECHECK_MAX_S`` seconds; at one thread, whose batches do not speed up when
a load leaves, after ``RECHECK_S`` seconds, twice as long each time it is confirmed, up to
``RECHECK_MAX_S``. So a load that comes and goes is followed; a fit that starts before the
next re-check of the last one starts from its choice.

Means, not medians: a busy core makes BLAS's threads wait in bursts. Measured with one of two
cores kept busy (784-256-128-10, batch 128): at one thread 4.3 ms a batch, steady; at two,
8 ms most of the time with a stall of 45-84 ms every dozen batches or so, a median of 8.2 ms
but a mean of 14.5 ms, and the time a run takes is the mean. Each mean leaves out its slowest
batch (of three or more), so that one hiccup of the machine does not decide alone.

A caller's own choice always wins and is only recorded: ``threads=k`` (applied for the run),
a thread variable in the environment (``OMP_NUM_THREADS``...), or BLAS held below its process
default by a ``threadpoolctl.threadpool_limits`` around the call (as sweeps do). BLAS threads
belong to the process: while one fit manages them, a fit started in another thread (the
playground's sessions) leaves them alone, even with ``threads=k``, and says so.

The thread count changes the last bits of a matrix product, so a measured choice is
reproducible bit for bit only at the same counts: pass ``threads=1`` for runs that must be.
"""

from __future__ import annotations

import numbers
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["ThreadChooser", "available_cores", "check_threads"]

# the variables BLAS and OpenMP libraries read at start-up; any of them set means the user chose
ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "GOTO_NUM_THREADS",
)
# A batch under ~0.2 ms at one thread has matrix products near or under OpenBLAS's own
# threading threshold (m*n*k <= 262,144, about 10 us at one thread): more threads change
# little. On the (loaded) development machine, 1 and 2 threads timed the same for networks
# up to 64-128-1 at batch 256, and gave bit-identical weights; 784-256-128 at batch 128
# (about 3 ms a batch) is where they part. Loaded, small batches take longer and get
# measured anyway: harmless, the two counts time the same and compute the same.
SMALL_BATCH_S = 2e-4
TRIAL_ROUNDS = 3  # batches per candidate in one measurement, the slowest left out...
CLOSE = 1.2  # ...three more each while the two means are within this factor...
MAX_TRIAL_ROUNDS = 9  # ...up to this many each
PREFER_FEWER = 1.1  # one thread must be 10% faster: a near tie keeps every core, what BLAS
# does without the chooser (on a noisy but quiet host a 1.1x margin the other way picked one
# thread in some fits, 1.3x slower; a busy machine's one thread is 2-7x faster either way)
RECHECK_S = 3.0  # at one thread, a load that goes away is seen within this many seconds...
RECHECK_MAX_S = 30.0  # ...doubling up to this while each re-check confirms the choice (and
# at every core: a load that arrives is seen from the batches themselves)
SLOW_FACTOR = 1.4  # batches this much slower than the chosen count's mean on average...
SLOW_RUN = 4  # ...over a window of this many (at more than one thread): measure again now
ABORT_FACTOR = 2.0  # a trial batch at more threads this much slower ends the measurement...
DECISIVE_FACTOR = 1.5  # ...and so does one this much faster than every one-thread batch


def available_cores() -> int:
    """The number of cores this process may run on (its affinity mask, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _blas_controller() -> Any:
    """threadpoolctl's controller of the BLAS libraries loaded now (NumPy's, the one fit's
    products run on; a BLAS another package loads later is left alone), or None."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # a core dependency; an old environment may still lack it
        return None
    return ThreadpoolController().select(user_api="blas")


def _counts(controller: Any) -> list[int]:
    return [] if controller is None else [lc.get_num_threads() for lc in controller.lib_controllers]


# The process default, captured when this module is first imported (with training, on the
# first fit): a count below it inside fit means the caller limited BLAS around the call.
_CONTROLLER = _blas_controller()
_DEFAULTS = _counts(_CONTROLLER)
_LOCK = threading.Lock()
_ACTIVE: list[ThreadChooser] = []  # choosers inside their ``with`` (fits in other threads)
_REAL_CLOCK = time.perf_counter


def _mean_but_slowest(times: list[float]) -> float:
    """The mean of ``times`` with the slowest left out (of three or more)."""
    if len(times) < 3:
        return sum(times) / len(times)
    return (sum(times) - max(times)) / (len(times) - 1)


def check_threads(threads: Any) -> int | str | None:
    """``fit``'s ``threads``: None (as they are), an int >= 1, or ``"auto"``."""
    if threads is None or threads == "auto":
        return threads
    hint = (
        "pass a number of BLAS threads such as threads=1, 'auto' to choose by measurement, "
        "or None to leave them as they are"
    )
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral):
        raise TypeError(f"threads must be an int, 'auto' or None, got {threads!r}; {hint}")
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}; {hint}")
    return int(threads)


class ThreadChooser:
    """Choose and apply the BLAS thread count around a training loop.

    Parameters
    ----------
    threads : int or "auto"
        "auto": chosen by measurement (unless the caller fixed it another way, see the module
        docstring); an int >= 1: exactly that many threads for the run.
    clock : callable, optional
        Returns seconds as a float; ``time.perf_counter`` unless a test injects another.
    cores : int, optional
        The largest count tried; the process's available cores by default.
    environ : mapping, optional
        Where the thread variables are looked up; ``os.environ`` by default.

    Attributes
    ----------
    threads : int or None
        The count applied now (None when BLAS could not be seen).
    reason : str
        Why: the caller's choice, the measurement, or why nothing was chosen.
    checks : int
        How many measurements ran (the first and every re-check).
    """

    def __init__(
        self,
        threads: int | str = "auto",
        *,
        clock: Callable[[], float] | None = None,
        cores: int | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        checked = check_threads(threads)
        self.requested = None if checked in (None, "auto") else int(checked)
        self.threads: int | None = self.requested
        self.reason = "not started"
        self.checks = 0
        self.timings: dict[int, float] = {}  # the last measurement: count -> mean seconds
        self._clock = _REAL_CLOCK if clock is None else clock
        self._cores = available_cores() if cores is None else int(cores)
        self._environ = os.environ if environ is None else environ
        self._controller = _CONTROLLER
        self._saved: list[int] = []
        self._owner = False
        self._info: dict[str, Any] = {}
        self._timing = False  # True while batches are timed (the "choose" mode)
        self._t0 = 0.0
        self._plan: list[int] = []  # counts still to try in the running measurement
        self._samples: dict[int, list[float]] = {}
        self._ref = 0.0  # the chosen count's mean batch time
        self._window: list[float] = []  # the latest batch times at the chosen count
        self._next_check = 0.0
        self._interval = RECHECK_S
        self._before: int | None = None  # the choice a measurement re-checks, if any

    # -- entering and leaving: apply the caller's choice or decide to measure ----------------

    def __enter__(self) -> ThreadChooser:
        with _LOCK:  # BLAS threads are the process's: one chooser at a time manages them
            self._owner = not _ACTIVE
            _ACTIVE.append(self)
        counts = _counts(self._controller)
        self._saved = counts
        self.threads = min(counts) if counts else None
        defaults = self._defaults() if counts else []
        if not counts:
            self.reason = "no BLAS thread pool found (is threadpoolctl installed?): left as is"
        elif not self._owner:
            self.reason = "another fit in this process manages BLAS threads: left as is"
        elif self.requested is not None:
            self._apply(self.requested)
            self.reason = f"set by the caller (threads={self.requested})"
        elif env := [f"{k}={self._environ[k]}" for k in ENV_VARS if self._environ.get(k)]:
            self.reason = f"set by the environment ({', '.join(env)}): left as is"
        elif any(c < d for c, d in zip(counts, defaults)):
            self.reason = (
                f"held to {self.threads} outside fit (threadpool_limits?), below the process "
                f"default {max(defaults)}: left as is"
            )
        elif self._cores < 2:
            self.reason = "one core available: nothing to choose"
        else:
            self._timing = True
            self._start()
        return self

    def _defaults(self) -> list[int]:
        """Each library's count when nobody limits it: as captured at import, and for
        OpenBLAS and BLIS, which start one thread per available core, at least that (the
        first import may itself have run inside a caller's threadpool_limits)."""
        libs = self._controller.lib_controllers
        return [
            max(d, self._cores) if lc.internal_api in ("openblas", "blis") else d
            for lc, d in zip(libs, _DEFAULTS)
        ]

    def _start(self) -> None:
        # the first batch runs at one thread: never much worse, and sizes the work. Nothing
        # is remembered from an earlier fit: each run measures its own machine.
        self._apply(1)
        self.reason = "measuring"

    def __exit__(self, *exc: Any) -> None:
        self._timing = False
        self.describe()
        if self._owner and _counts(self._controller) != self._saved:  # the caller's, as were
            for lc, n in zip(self._controller.lib_controllers, self._saved):
                lc.set_num_threads(n)
        with _LOCK:
            _ACTIVE.remove(self)

    def _apply(self, n: int) -> None:
        for lc in self._controller.lib_controllers:
            lc.set_num_threads(n)
        self.threads = n

    # -- per batch: two clock calls, and a decision only at the end of a measurement --------

    def before_batch(self) -> None:
        """Called before each batch step: starts its clock."""
        if self._timing:
            self._t0 = self._clock()

    def after_batch(self) -> None:
        """Called after each batch step: times it, and may change the count for the next."""
        if not self._timing:
            return
        now = self._clock()
        dt = now - self._t0
        assert self.threads is not None  # timing starts only once a count was applied
        if self._plan:
            self._samples.setdefault(self.threads, []).append(dt)
            self._plan.pop()
            if self.threads > 1 and (
                dt > ABORT_FACTOR * max(self._samples[1])
                or dt * DECISIVE_FACTOR < min(self._samples[1])
            ):
                self._plan.clear()  # far slower or far faster: no need to see it twice more
            if self._plan:
                self._apply(self._plan[-1])
            else:
                self._decide(now)
        elif self._ref == 0.0:
            self._size_up(dt)
        elif now >= self._next_check:
            self._measure()
        elif self.threads > 1:  # (slow at one thread: more threads would only wait longer)
            self._window.append(dt)
            if len(self._window) == SLOW_RUN:
                slow = _mean_but_slowest(self._window) > SLOW_FACTOR * self._ref
                self._window.clear()
                if slow:
                    self._measure()

    def _size_up(self, dt: float) -> None:
        """The first batch (at one thread): too small to gain from more, or worth measuring."""
        if dt < SMALL_BATCH_S:
            self._timing = False
            self.reason = f"batches of {dt * 1e6:.0f} us, too small to gain from threads: kept at 1"
        else:
            self._measure()

    def _measure(self) -> None:
        # alternate, one thread first: the plan is popped from its end
        self._plan = [self._cores, 1] * TRIAL_ROUNDS
        self._before = self.threads if self._ref else None
        self._samples = {}
        self._window.clear()
        self.checks += 1
        self._apply(self._plan[-1])

    def _decide(self, now: float) -> None:
        mean = {n: _mean_but_slowest(ts) for n, ts in self._samples.items()}
        one, many = mean[1], mean[self._cores]
        if max(one, many) < CLOSE * min(one, many) and len(self._samples[1]) < MAX_TRIAL_ROUNDS:
            self._plan = [self._cores, 1] * TRIAL_ROUNDS  # too close to call: look longer
            self._apply(self._plan[-1])
            return
        self.timings = mean
        best = 1 if one * PREFER_FEWER < many else self._cores
        self._apply(best)
        self._ref = mean[best]
        if best > 1:  # a load that arrives slows these batches, and the window sees it
            self._interval = RECHECK_MAX_S
        else:  # one-thread batches do not speed up when a load leaves: only a re-check sees
            # it; one that confirms the choice waits twice as long for the next
            same = best == self._before
            self._interval = min(2 * self._interval, RECHECK_MAX_S) if same else RECHECK_S
        self._next_check = now + self._interval
        self.reason = (
            f"measured: {one * 1e3:.3g} ms per batch at 1 thread, {many * 1e3:.3g} ms at "
            f"{self._cores}"
        )
        self.describe()

    # -- reporting ------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """The choice and why, for ``History.params["threads"]`` (JSON-ready).

        Every call returns the same dict, brought up to date, and the chooser updates it
        again after each measurement and on leaving the ``with``: a dict taken before the
        loop holds the run's final choice once it ends.

        Returns
        -------
        dict
            ``threads`` (the count at the end, or None), ``reason`` (a sentence),
            ``checks`` (measurements made) and ``ms_per_batch`` (the last measurement's
            mean per count, the slowest batch left out, keys as strings; empty when
            nothing was measured).
        """
        self._info.update(
            threads=self.threads,
            reason=self.reason,
            checks=self.checks,
            ms_per_batch={str(n): round(t * 1e3, 4) for n, t in sorted(self.timings.items())},
        )
        return self._info

    def postfix(self) -> dict[str, str]:
        """A short entry for the progress bar, e.g. ``{"threads": "1 (measured)"}``."""
        if self.requested is not None:
            how = "set"
        elif self.checks or self.reason.startswith("measured"):
            how = "measured"
        elif self._timing:
            how = "measuring"
        else:
            how = "as is"
        return {"threads": f"{self.threads} ({how})"}
