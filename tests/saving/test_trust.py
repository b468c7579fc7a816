"""layerwise.saving._trust: the types trusted by construction, and an untrusted importable
type that loads only when named in ``trusted=`` (the step that holds it named).
"""

from __future__ import annotations

import pytest

import layerwise

pytest.importorskip("sklearn")

from sklearn.pipeline import make_pipeline  # noqa: E402

import layerwise as lw  # noqa: E402
import layerwise.saving  # noqa: E402
from layerwise.saving import _trust  # noqa: E402
from tests.saving.sklearn_objects import Doubler  # noqa: E402
from tests.saving.sklearn_objects import clf as _clf  # noqa: E402
from tests.saving.sklearn_objects import fit as _fit  # noqa: E402
from tests.saving.sklearn_objects import same_predictions as _same_predictions  # noqa: E402


# ------------------------------------------------------------------ refused, and how
def test_an_untrusted_importable_type_needs_trusted_at_load(tmp_path):
    pipe = _fit(make_pipeline(Doubler(), _clf()))
    lw.save(pipe, tmp_path / "p.npz")
    name = f"{Doubler.__module__}.Doubler"
    with pytest.raises(ValueError, match=rf"{name} \(in step 'doubler' \(Doubler\)\).*trusted="):
        lw.load(tmp_path / "p.npz")
    _same_predictions(pipe, lw.load(tmp_path / "p.npz", trusted=[name]))
    _same_predictions(pipe, lw.load(tmp_path / "p.npz", trusted=[Doubler]))


@pytest.mark.parametrize(
    "name, trusted",
    [("numpy.dtype", True), ("numpy.dtypes.Float64DType", True), ("numpy.mean", True),
     ("numpy.load", False), ("sklearn.feature_selection._univariate_selection.f_classif", True),
     ("sklearn.impute._base.SimpleImputer", True),
     ("sklearn.utils._testing.assert_allclose", False),
     ("sklearn.utils.fixes.sp_version", False), ("layerwise.model.Sequential", True),
     ("layerwise.cli.main", False),
     ("scipy.sparse._csr.csr_matrix", True), ("scipy.linalg.solve", False),
     ("builtins.eval", False), ("os.system", False),
     ("__main__.Doubler", False), ("sklearn", False)],
)  # fmt: skip
def test_the_types_trusted_by_construction(name, trusted):
    assert _trust.by_construction(name) is trusted


def test_old_schedule_paths_in_a_saved_file_are_still_trusted():
    # skops records class paths: a file saved before the move names layerwise.schedules.X
    from layerwise.saving import _trust

    assert _trust.by_construction("layerwise.schedules.StepLR")
    assert _trust.by_construction("layerwise.training.schedules.StepLR")
