"""Sweeps: train a grid of networks, every configuration times every seed, in parallel.

Runs go to a local process pool or a Dask cluster; results arrive as runs finish.

>>> import layerwise as lw
>>> result = lw.sweep({"lr": [0.5, 0.1], "hidden": [[4], [8]]}, "moons",
...                   fixed={"epochs": 5}, n_jobs=1, verbose=False)
>>> len(result.table), sorted(result.best())[:3]
(4, ['config', 'hidden', 'lr'])

``dask`` is imported only when ``backend="dask"`` is asked for.
"""

from layerwise.sweeps._api import sweep
from layerwise.sweeps._cli import configure_parser, run_cli
from layerwise.sweeps._data import SweepData, prepare_data
from layerwise.sweeps._result import SweepResult
from layerwise.sweeps._runs import expand_grid, run_id, run_one

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
