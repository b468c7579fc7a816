"""The divergence guard: the last finite weights and optimizer state, put back when the
loss stops being finite, and the DivergenceError it raises."""

from __future__ import annotations

from typing import Any

from layerwise._internal.array_api import array_namespace
from layerwise.state import _state_arrays, restore, snapshot
from layerwise.training._history import History


class DivergenceError(FloatingPointError):
    """Training produced a NaN or infinite loss; the model was reset to finite weights.

    Attributes
    ----------
    epoch : int
        The epoch (counted from 1 over the model's life) where the loss stopped being finite.
    history : History
        What was recorded before that.
    """

    def __init__(self, message: str, *, epoch: int, history: History) -> None:
        super().__init__(message)
        self.epoch, self.history = epoch, history


class _Guard:
    """The divergence guard: the model's :func:`~layerwise.state.snapshot` and a copy of the
    optimizer's state at the start of the last two epochs. A non-finite loss puts the last
    finite ones back (weights and optimizer together) and raises DivergenceError."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.snaps: list[tuple[dict, dict, int]] = []  # the newest first, two at most

    def begin_epoch(self) -> None:
        """Take this epoch's snapshot (the arrays as they are now, whatever surgery or the
        optimizer's first steps made of them)."""
        opt = self.model.state.optimizer
        state = {k: _copy_slots(slots) for k, slots in opt.state.items()}
        self.snaps = [(snapshot(self.model), state, opt.iterations), *self.snaps[:1]]

    def follow(self) -> None:
        """After callbacks that may have changed the network (surgery, renaming): if its
        arrays changed shape or name, the snapshots start again from it."""
        now = {k: a.shape for k, a in _state_arrays(self.model).items()}
        if not self.snaps or now != {k: a.shape for k, a in self.snaps[0][0].items()}:
            self.snaps = []
            self.begin_epoch()

    def diverged(self, epoch: int, history: History, lr: float, *, older: bool) -> None:
        """Restore the newest snapshot (``older``: the one before) and raise."""
        weights, state, iterations = self.snaps[1 if older and len(self.snaps) > 1 else 0]
        restore(self.model, weights)
        opt = self.model.optimizer
        opt.state = {k: _copy_slots(slots) for k, slots in state.items()}
        opt.iterations = iterations
        raise DivergenceError(
            f"training diverged at epoch {epoch}: the loss became NaN or infinite. The model "
            f"keeps its last finite weights. Try a smaller learning rate (lr={lr:g} now), "
            "standardised inputs, or gradient clipping.",
            epoch=epoch,
            history=history,
        )


def _copy_slots(slots: dict[str, Any]) -> dict[str, Any]:
    """A copy of one parameter's optimizer state: arrays copied, the step count (a NumPy
    scalar, which cannot change) as it is."""
    return {
        n: v if n == "step" else array_namespace(v).asarray(v, copy=True) for n, v in slots.items()
    }
