"""The live learning-rate comparison: two copies of the network, trained side by side.

The copies start from the same weights, fresh ones (``"from": "fresh"``) or the main
network's current ones (``"from": "current"``); the main network is left alone and, when the
comparison ends or is stopped, resumes as it was (training again if it was training). Each
run is judged as it goes: ``diverged`` (non-finite loss), ``unstable`` (the loss jumped up by
more than a fifth from one epoch to the next, even if it got better overall), ``oscillating``
(the loss goes up and down without getting better), ``not improving``, or ``improving``.

``session`` below is a :class:`~layerwise.playground._session.Session`; this module does not
import it (the session imports this one).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import layerwise as lw
from layerwise.playground import _validate as v

__all__ = ["start", "tick", "judge", "spikes"]

MIN_EPOCHS = 10  # too early to judge a run before this
RISES = 0.25  # share of epochs whose loss rose, beyond which a run that does not improve oscillates
SPIKE = 0.2  # a rise of more than this fraction from one epoch to the next makes a run unstable
FLOOR = 0.01  # ... when it is also more than this fraction of the starting loss (not noise at 1e-6)


def spikes(losses: list[float]) -> int:
    """How many times the loss rose by more than ``SPIKE`` of its previous value (and by
    more than ``FLOOR`` of the starting loss) from one point to the next."""
    y = np.asarray(losses, dtype=np.float64)
    if len(y) < 2:
        return 0
    rise = np.diff(y)
    return int(np.sum((rise > SPIKE * y[:-1]) & (rise > FLOOR * y[0])))


def judge(losses: list[float], diverged_at: int | None) -> str | None:
    """``"diverged"``, ``"unstable"``, ``"oscillating"``, ``"not improving"``,
    ``"improving"`` or ``None`` (too early to say).

    ``losses`` holds the training loss at the start and after every epoch. A run with a
    spike (:func:`spikes`) is unstable, whether or not it got better overall; otherwise it
    improves when the best loss of its last fifth is 1% below where it started, and a run
    that does not, and whose loss rose in more than a quarter of its epochs, oscillates.
    """
    if diverged_at is not None:
        return "diverged"
    if len(losses) <= MIN_EPOCHS:
        return None
    y = np.asarray(losses, dtype=np.float64)
    if spikes(losses):
        return "unstable"
    tail = y[-max(2, len(y) // 5) :]
    if tail.min() < 0.99 * y[0]:
        return "improving"
    rises = float(np.mean(np.diff(y) > 0))
    return "oscillating" if rises > RISES else "not improving"


def start(session: Any, body: Any) -> dict[str, Any]:
    """``{"lr_a", "lr_b", "epochs", "from": "fresh"|"current", "action": "start"|"stop"}``."""
    body = v.check_fields(body, ("lr_a", "lr_b", "epochs", "action", "from"))
    action = v.choice(body, "action", ["start", "stop"], default="start")
    if action == "stop":
        with session.lock:
            if session.mode == "comparing":
                finish(session)
            session._bump()
            return {"mode": session.mode}
    limit = session.limits
    lrs = [v.number(body, k, 0.0, limit["max_lr"], lo_open=True) for k in ("lr_a", "lr_b")]
    epochs = v.integer(body, "epochs", 1, limit["max_compare_epochs"], default=300)
    origin = v.choice(body, "from", ["fresh", "current"], default="fresh")
    with session.lock:
        if origin == "current":
            base = session.model
        else:
            base = session._fresh_model(*session._architecture(), seed=session.init_seed)
        runs = []
        for lr in lrs:
            m = base.copy()
            train, test = session._losses(m)
            runs.append(
                {
                    "lr": lr,
                    "model": m,
                    "start": m.epochs_trained,
                    "epoch": [0],
                    "train": [train],
                    "test": [test],
                    "diverged_at": None,
                }
            )
        resume = session.mode if session.mode != "comparing" else session.compare["resume"]
        session.compare = {"epochs": epochs, "runs": runs, "from": origin, "resume": resume}
        session.mode = "comparing"
        session._wake.set()
        session._bump()
        return {"mode": session.mode}


def finish(session: Any) -> None:
    """End the comparison (lock held): the main network resumes as it was."""
    session.mode = session.compare["resume"] if session.compare else "paused"
    session._wake.set()


def tick(session: Any, epochs: int) -> None:
    """Train each run up to ``epochs`` more epochs (lock held)."""
    c = session.compare
    if c is None:
        session.mode = "paused"
        return
    for run in c["runs"]:
        m = run["model"]
        k = min(epochs, c["epochs"] - (m.epochs_trained - run["start"]))
        if k <= 0 or run["diverged_at"] is not None:
            continue

        def on_epoch(run: dict[str, Any] = run, m: lw.Sequential = m) -> None:
            train, test = session._losses(m)
            run["epoch"].append(m.epochs_trained - run["start"])
            run["train"].append(train)
            run["test"].append(test)

        try:
            session._fit(m, k, run["lr"], on_epoch)
        except lw.DivergenceError as exc:
            run["diverged_at"] = exc.epoch - run["start"]
    session._bump()
    if all(
        r["diverged_at"] is not None or r["model"].epochs_trained - r["start"] >= c["epochs"]
        for r in c["runs"]
    ):
        finish(session)
        verdicts = [f"lr {r['lr']:g}: {judge(r['train'], r['diverged_at'])}" for r in c["runs"]]
        session._say("info", f"Learning-rate comparison finished ({'; '.join(verdicts)}).")
