"""The same seed, data and settings give the same run bit for bit, whatever else the machine
is running; and an interrupted fit keeps a consistent, resumable model.

The oracle of "the same run" is the run itself: two fits in fresh processes, one of them
while another process keeps a core busy, must agree to the last bit in weights, history and
predictions. (With BLAS threads chosen by timing, as ``threads="auto"`` does, a busy core
changes the choice and the MNIST-shaped run's last bits.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

FIT = textwrap.dedent(
    """
    import hashlib, json, numpy as np, layerwise as lw
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1536, 196)).astype(np.float32)
    y = rng.integers(0, 10, 1536)
    model = lw.mlp(196, [256, 128], 10, output_activation="softmax", seed=7)
    h = model.fit(X, y, loss="cce", optimizer="adam", lr=1e-3, epochs=2, batch_size=128,
                  verbose=False)
    digest = hashlib.sha256()
    for layer in model.layers:
        digest.update(layer.W.tobytes()); digest.update(layer.b.tobytes())
    digest.update(model.predict(X).tobytes())
    print(json.dumps({"weights": digest.hexdigest(), "loss": h.loss,
                      "accuracy": h.metrics["accuracy"]}))
    """
)


def _run_fit() -> dict:
    out = subprocess.run([sys.executable, "-c", FIT], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.slow
def test_two_fits_are_bit_identical_with_one_core_kept_busy():
    quiet = _run_fit()
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        loaded = _run_fit()
    finally:
        busy.kill()
        busy.wait()
    assert loaded == quiet  # weights, predictions (a digest of their bytes) and history
