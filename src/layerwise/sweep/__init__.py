"""Sweeps: train a grid of networks, every configuration times every seed, in parallel.

Runs go to a local process pool or a Dask cluster; results arrive as runs finish.

>>> import layerwise as lw
>>> result = lw.sweep({"lr": [0.5, 0.1], "hidden": [[4], [8]]}, "moons",
...                   fixed={"epochs": 5}, n_jobs=1, verbose=False)
>>> len(result.table), sorted(result.best())[:3]
(4, ['config', 'hidden', 'lr'])

``dask`` is imported only when ``backend="dask"`` is asked for.
"""

from layerwise.sweep._api import sweep
from layerwise.sweep._cli import configure_parser, run_cli
from layerwise.sweep._result import SweepResult
from layerwise.sweep._runs import SweepData, expand_grid, prepare_data, run_id, run_one

# ``layerwise.sweep`` names both this package and the function ``lw.sweep``: after
# ``import layerwise``, the attribute ``layerwise.sweep`` is the function, so that
# ``from layerwise import sweep`` gives the function. The command-line hooks hang on it
# too, so that the CLI can call ``sweep.configure_parser`` whichever one it got.
sweep.configure_parser = configure_parser  # type: ignore[attr-defined]
sweep.run_cli = run_cli  # type: ignore[attr-defined]

__all__ = [
    "SweepData",
    "SweepResult",
    "configure_parser",
    "expand_grid",
    "prepare_data",
    "run_cli",
    "run_id",
    "run_one",
    "sweep",
]
