"""Surgery on a trained network: change its shape without losing what it learned.

Every function takes a :class:`~layerwise.model.Sequential` and changes it in place, between
training steps or epochs; ``Sequential.widen``, ``prune``, ``deepen``, ``resize``, ``freeze``
and ``unfreeze`` are thin methods over them.

=====================  ==========================================  =======================
function               what changes                                the network's function
=====================  ==========================================  =======================
``widen(i, units)``    Dense hidden layer i grows to ``units``     preserved (noise=0)
                       neurons: copies (Net2WiderNet) or fresh
                       ones (``init="gradmax"``, random, zeros)
``prune(i, units)``    layer i keeps its most useful neurons;      changed as little as a
                       the next layer is refitted on ``data``      least-squares refit can
``deepen(i)``          an identity-initialised Dense layer is      preserved (or refused)
                       inserted after layer i
``resize(i, units)``   layer i shrinks or grows, overlapping       changed
                       weights kept
``freeze(i)``          layer i stops learning (``trainable``)      unchanged
=====================  ==========================================  =======================

The optimizer follows every change. Its state (``model.optimizer.state``, keyed
``"<layer name>/<param>"``) is left alone for untouched parameters; for a parameter whose
shape changes, every state array shaped like that parameter (momentum buffers, Adam's
moments, ...) is remapped with the same index map as the weights: a Net2Net copy takes the
state of the neuron it copies, a kept neuron keeps its own, a brand-new neuron starts at 0.
Arrays of any other shape (step counters) are kept as they are. Each change made after
training started is recorded in ``model.events`` (and so in ``History.events``) as
``{"epoch": e, "change": "widen layer 1: 8 -> 12 units"}``, short enough to label a plot.

>>> import numpy as np, layerwise as lw
>>> model = lw.mlp(3, [4], 1, activation="relu", seed=0, dtype="float64")
>>> X = np.random.default_rng(1).normal(size=(5, 3))
>>> before = model.predict(X)
>>> model.widen(0, 7).deepen(0).layers[0].units, len(model.layers)
(7, 3)
>>> bool(np.allclose(model.predict(X), before, rtol=1e-12, atol=1e-12))
True
"""

from layerwise.surgery._methods import SurgeryMethods as SurgeryMethods
from layerwise.surgery._ops import (
    deepen,
    freeze,
    match_input,
    output_activation,
    preserves,
    preserving_activation,
    resize,
    unfreeze,
)
from layerwise.surgery._ops import insert as insert  # Sequential.insert, remove, add
from layerwise.surgery._ops import remove as remove
from layerwise.surgery._ops import repair as repair
from layerwise.surgery._prune import prune, refit
from layerwise.surgery._widen import gradmax_matrix, gradmax_rows, widen

__all__ = ["widen", "deepen", "resize", "prune", "refit", "gradmax_matrix", "freeze", "unfreeze"]
__all__ += ["gradmax_rows", "match_input", "preserves", "output_activation"]
__all__ += ["preserving_activation"]
