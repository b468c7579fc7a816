"""layerwise.training._interrupts: Ctrl-C in fit, in real processes. A signal stops fit at
the end of its batch with a consistent model, a second one interrupts at once, SIGTERM is
left alone unless asked for, and fit puts back the handlers it held.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import layerwise as lw

INTERRUPT = textwrap.dedent(
    """
    import json, os, signal, sys, numpy as np, layerwise as lw
    send = json.loads(sys.argv[1])  # {batch number over the run: signal to send there}
    if "term" in sys.argv[2:]:
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM as Ctrl-C
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 3)); y = (X[:, 0] > 0) * 1.0
    model = lw.mlp(3, [5], 1, activation="tanh", output_activation="sigmoid", seed=1,
                   dtype="float64")
    seen = []

    class Spy(lw.callbacks.Callback):
        def on_batch_end(self, batch, logs):
            seen.append([l.W.tolist() for l in self.model.layers])
            for sig in send.get(str(len(seen)), []):
                os.kill(os.getpid(), getattr(signal, sig))

    try:
        model.fit(X, y, loss="bce", optimizer="adam", lr=0.01, epochs=5, batch_size=30,
                  callbacks=[Spy()], verbose=False)
        print(json.dumps({"finished": True}))
    except lw.training.TrainingInterrupted as err:
        W = [l.W.tolist() for l in model.layers]
        model.fit(X, y, loss="bce", epochs=1, batch_size=30, verbose=False)  # resumable
        print(json.dumps({"signum": err.signum, "epoch": err.epoch, "batches": len(seen),
                          "W_is_last_batch": W == seen[-1], "history": len(err.history.loss),
                          "trained": model.epochs_trained, "message": str(err)}))
    except KeyboardInterrupt:
        print(json.dumps({"at_once": True, "batches": len(seen)}))
    """
)


def _interrupt(send: dict, *extra: str) -> dict:
    out = subprocess.run([sys.executable, "-c", INTERRUPT, json.dumps(send), *extra],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("sig, extra", [("SIGINT", ()), ("SIGTERM", ("term",))])
def test_a_signal_stops_fit_at_the_end_of_the_batch_with_a_consistent_model(sig, extra):
    got = _interrupt({"6": [sig]}, *extra)  # batch 6 = the 2nd of epoch 2 (4 batches an epoch)
    assert got["signum"] == getattr(signal, sig)
    assert got["batches"] == 6 and got["W_is_last_batch"]  # the batch finished, no more ran
    assert got["epoch"] == 1 and got["history"] == 1  # only completed epochs are counted
    assert got["trained"] == 2  # and fit continues from there
    assert "call fit again to continue" in got["message"]


def test_a_second_signal_interrupts_at_once():
    got = _interrupt({"3": ["SIGINT", "SIGINT"]})
    assert got == {"at_once": True, "batches": 3}


def test_sigterm_is_left_alone_unless_the_program_asks_for_it():
    # fit holds SIGTERM only where the program made it a KeyboardInterrupt; else: exit
    out = subprocess.run([sys.executable, "-c", INTERRUPT, json.dumps({"2": ["SIGTERM"]})],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == -signal.SIGTERM


def test_fit_restores_the_signal_handlers_it_held():
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    model = lw.mlp(2, [3], 1, seed=0)
    model.fit(np.zeros((4, 2)), np.zeros(4), epochs=2, verbose=False)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
