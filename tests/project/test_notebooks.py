"""The tutorial notebooks: stored without outputs, and each one runs top to bottom.

Each notebook is executed in a fresh IPython kernel (nbclient, as ``jupyter nbconvert
--execute`` and nbmake do), with a temporary folder as its working directory: a notebook
that breaks fails the suite, and one that writes a file outside a temporary folder is
caught by the check that its working directory stays empty.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIALS = sorted((ROOT / "docs" / "tutorials").glob("*.ipynb"))
TIMEOUT = 120  # seconds per cell; each notebook takes well under that on 2 cores

nbformat = pytest.importorskip("nbformat", reason="needs the docs extra")
nbclient = pytest.importorskip("nbclient", reason="needs the docs extra")


def test_there_are_the_five_tutorials():
    assert [p.name[:2] for p in TUTORIALS] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_stored_without_outputs(path: Path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, f"{path.name} has no code"
    for k, cell in enumerate(code):
        assert cell["outputs"] == [], f"{path.name}: code cell {k} has stored outputs"
        assert cell["execution_count"] is None, f"{path.name}: code cell {k} was numbered"
    assert nb["cells"][0]["cell_type"] == "markdown"
    assert "".join(nb["cells"][0]["source"]).startswith("# "), "the first cell is the title"


@pytest.fixture
def own_ipython_profile(tmp_path_factory, monkeypatch):
    """An IPython profile of the test's own: the user's startup files cannot change a run
    (and ipykernel's notice about its local TCP transport is not logged)."""
    root = tmp_path_factory.mktemp("ipython")
    (root / "profile_default").mkdir()
    (root / "profile_default" / "ipython_kernel_config.py").write_text(
        "c.IPKernelApp.log_level = 'ERROR'\n"
    )
    monkeypatch.setenv("IPYTHONDIR", str(root))


def _outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


@pytest.mark.slow
@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_runs_top_to_bottom_with_pictures(path: Path, tmp_path: Path, own_ipython_profile):
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=TIMEOUT, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on an error
    outputs = _outputs(nb)
    assert not [o for o in outputs if o.output_type == "error"]

    def is_picture(data: dict) -> bool:  # a figure, or a model drawn inline by _repr_html_
        return "image/png" in data or "image/svg+xml" in data or "<svg" in data.get("text/html", "")

    pictures = [o for o in outputs if is_picture(o.get("data", {}))]
    assert len(pictures) >= 2, f"{path.name} drew {len(pictures)} picture(s)"
    assert list(tmp_path.iterdir()) == [], "the notebook wrote into its working directory"
    if path.name.startswith("02"):
        # the progress bar of fit(verbose=True) is tqdm's notebook widget, not text
        widgets = [
            o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
        ]
        assert widgets, "no notebook progress bar"
        assert not [o for o in outputs if o.get("name") == "stderr" and "%|" in o.get("text", "")]
