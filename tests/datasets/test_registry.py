"""layerwise.datasets._registry: names, info and task of every named data set."""

from __future__ import annotations

import pytest

from layerwise import datasets as ds

SYNTHETIC = ["xor", "moons", "circles", "spirals", "blobs", "flower", "sine"]


REAL = {
    # name: (n_samples, n_features, n_classes or None)
    "iris": (150, 4, 3),
    "digits": (1797, 64, 10),
    "wine": (178, 13, 3),
    "breast_cancer": (569, 30, 2),
    "diabetes": (442, 10, None),
}


def test_names_lists_every_set():
    assert ds.names() == SYNTHETIC + list(REAL)


@pytest.mark.parametrize(
    "name, expected",
    [("xor", "binary"), ("moons", "binary"), ("blobs", "multiclass"), ("sine", "regression"),
     ("iris", "multiclass"), ("breast_cancer", "binary"), ("diabetes", "regression")],
)  # fmt: skip
def test_task(name, expected):
    assert ds.task(name) == expected


def test_task_follows_n_classes():
    assert ds.task("spirals") == "binary"
    assert ds.task("spirals", n_classes=3) == "multiclass"
    assert ds.task("blobs", n_classes=2) == "binary"


def test_info_fields():
    spec = ds.info("moons")
    assert (spec.n_features, spec.n_classes, spec.synthetic) == (2, 2, True)
    assert not ds.info("iris").synthetic and ds.info("iris").noise is None


def test_unknown_name_lists_names():
    with pytest.raises(ValueError, match="valid names: xor, moons") as exc:
        ds.load("mnist")
    assert "diabetes" in str(exc.value)
    with pytest.raises(ValueError, match="mnist"):
        ds.task("mnist")
