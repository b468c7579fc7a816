"""layerwise.estimators (the package): without scikit-learn, the ImportError names the
extra to install.
"""

from __future__ import annotations

import sys

import pytest

import layerwise as lw


def test_missing_sklearn_names_the_extra(monkeypatch):
    for name in [m for m in sys.modules if m == "sklearn" or m.startswith("sklearn.")]:
        monkeypatch.setitem(sys.modules, name, None)  # None: "import sklearn..." fails
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.delitem(sys.modules, "layerwise.estimators")
    monkeypatch.delattr(lw, "MLPClassifier", raising=False)  # lw caches what it loaded
    with pytest.raises(ImportError, match=r"pip install 'layerwise\[sklearn\]'"):
        lw.MLPClassifier  # noqa: B018
