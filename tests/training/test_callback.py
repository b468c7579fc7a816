"""layerwise.training._callback: the Callback base class (a user's callback stops
training), and the checks of fit's callbacks and of the value they monitor.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from layerwise.training import callbacks as cbs

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3))
Y_BIN = (X[:, 0] > 0).astype(float)


def test_callbacks_that_are_not_callbacks_are_named():
    model = lw.mlp(3, [4], 1, seed=0)
    with pytest.raises(TypeError, match="callbacks must be .*got int"):
        model.fit(X, Y_BIN, epochs=1, callbacks=5, verbose=False)


def _regression(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=n)
    return X, y


def test_user_callback_stops_training():
    class StopAt(cbs.Callback):
        def on_epoch_end(self, epoch, logs):
            if epoch == 4:
                self.model.stop_training = True

    X, y = _regression()
    model = lw.mlp(3, [4], 1, seed=0)
    h = model.fit(X, y, epochs=50, callbacks=[StopAt()], verbose=False)
    assert len(h) == 4 and model.epochs_trained == 4
    h2 = model.fit(X, y, epochs=2, verbose=False)  # the flag is reset by the next fit
    assert h2.epoch == [5, 6]


def test_monitor_missing_is_a_clear_error():
    X, y = _regression()
    with pytest.raises(ValueError, match="pass validation_data"):
        lw.mlp(3, [4], 1).fit(X, y, epochs=2, callbacks=[cbs.EarlyStopping()], verbose=False)
