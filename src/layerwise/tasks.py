"""The one table from a learning task to the output activation and loss that fit it.

Used by the command line, sweeps, the scikit-learn estimators and the playground, so that
"binary" means the same everywhere.

>>> from layerwise import tasks
>>> tasks.output_for("multiclass")
('softmax', 'cce')
"""

from __future__ import annotations

__all__ = ["TASKS", "output_for", "loss_for_output"]

#: task -> (output activation, loss). Each pair is one of the fused, exact output
#: gradients of :mod:`layerwise.losses` (sigmoid+bce, softmax+cce, identity+mse).
TASKS: dict[str, tuple[str, str]] = {
    "binary": ("sigmoid", "bce"),
    "multilabel": ("sigmoid", "bce"),
    "multiclass": ("softmax", "cce"),
    "regression": ("identity", "mse"),
}


def output_for(task: str) -> tuple[str, str]:
    """The ``(output_activation, loss)`` pair for ``task`` (a key of :data:`TASKS`)."""
    if not isinstance(task, str):
        raise TypeError(f"task must be a string, got {type(task).__name__} {task!r}")
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; valid: {', '.join(TASKS)}")
    return TASKS[task]


def loss_for_output(activation: str) -> str:
    """The loss that fuses with an output ``activation`` ("mse" for any other)."""
    for act, loss in TASKS.values():
        if act == activation:
            return loss
    return "mse"
