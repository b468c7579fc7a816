"""The surgery functions as methods of ``Sequential`` (a mixin): ``model.widen(0, 8)`` is
``widen(model, 0, 8)``. Each keeps the optimizer's state in step and records the change in
``model.events``; all but ``prune`` return the model, so calls chain."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from layerwise.surgery._ops import deepen, freeze, resize, unfreeze
from layerwise.surgery._prune import prune
from layerwise.surgery._widen import widen

if TYPE_CHECKING:
    from layerwise.activations import Activation
    from layerwise.losses import Loss


class SurgeryMethods:
    """``widen``, ``prune``, ``deepen``, ``resize``, ``freeze`` and ``unfreeze`` of a
    :class:`~layerwise.model.Sequential` (see :mod:`layerwise.surgery`)."""

    __slots__ = ()

    def widen(
        self,
        i: int,
        units: int,
        noise: float = 0.0,
        *,
        init: str = "copy",
        split: float = 0.0,
        data: Any = None,
        loss: str | Loss | None = None,
    ) -> Self:
        """Grow hidden layer ``i`` to ``units``, keeping the function: :func:`.surgery.widen`."""
        widen(self, i, units, noise=noise, init=init, split=split, data=data, loss=loss)
        return self

    def prune(self, i: int, units: int, *, data: Any) -> float:
        """Keep the ``units`` most useful neurons of layer ``i``: :func:`.surgery.prune`."""
        return prune(self, i, units, data=data)

    def deepen(self, i: int, activation: str | Activation | None = None) -> Self:
        """Insert an identity-initialised layer after layer ``i``: :func:`.surgery.deepen`."""
        deepen(self, i, activation=activation)
        return self

    def resize(self, i: int, units: int) -> Self:
        """Resize layer ``i`` to ``units``, keeping the overlap: :func:`.surgery.resize`."""
        resize(self, i, units)
        return self

    def freeze(self, i: int) -> Self:
        """Stop layer ``i`` from learning: :func:`.surgery.freeze`."""
        freeze(self, i)
        return self

    def unfreeze(self, i: int) -> Self:
        """Let a frozen layer ``i`` learn again: :func:`.surgery.unfreeze`."""
        unfreeze(self, i)
        return self
