"""layerwise.saving._api: lw.save / lw.load of models. Exact round trips, bit-for-bit
resumed training, the header read without the weights, refused formats and versions,
NaN weights refused both ways, the examples of docs/files.md. What the loaded model is made
of (layers, optimizer, random generator, scaler, history ...) is in test_rebuild.py.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw
from layerwise.saving import _api as lwio
from tests import twins
from tests.saving.helpers import (
    assert_load_refused,
    edited_copy,
    npy_bytes,
    rewrite_npz,
    trained_model,
    write_zip,
    zip_members,
)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_predicts_exactly(tmp_path, dtype):
    model, history, X, _ = trained_model(dtype)
    path = tmp_path / "model.npz"
    lw.save(model, path, history=history)
    loaded = lw.load(path)
    assert loaded.dtype == np.dtype(dtype)
    assert loaded.get_config() == model.get_config()
    for a, b in zip(model.parameters().values(), loaded.parameters().values(), strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
        assert b.flags.writeable and b.flags.c_contiguous
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.history.loss == history.loss
    assert loaded.epochs_trained == model.epochs_trained == 3


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_resumed_training_is_bit_for_bit(tmp_path, dtype):
    # The oracle is the original model trained on without a save in between.
    model, _, X, y = trained_model(dtype)
    lw.save(model, tmp_path / "m.npz")
    loaded = lw.load(tmp_path / "m.npz")
    kwargs = dict(loss="bce", lr=0.3, epochs=4, batch_size=16, verbose=False)
    h1, h2 = model.fit(X, y, **kwargs), loaded.fit(X, y, **kwargs)
    assert h1.loss == h2.loss and h1.epoch == h2.epoch == [4, 5, 6, 7]
    for a, b in zip(model.parameters().values(), loaded.parameters().values(), strict=True):
        assert np.array_equal(a, b)
    assert model.rng.random() == loaded.rng.random()


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.npz"):
        lw.load(tmp_path / "nothere.npz")


def test_foreign_files_are_refused(tmp_path):
    npz = tmp_path / "plain.npz"
    np.savez(npz, a=np.arange(3))
    with pytest.raises(ValueError, match=r"plain\.npz.*not a layerwise model"):
        lw.load(npz)
    z = tmp_path / "other.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match=r"other\.zip"):
        lw.load(z)
    text = tmp_path / "notes.npz"
    text.write_text("W = [[1, 2]]\n")
    with pytest.raises(ValueError, match=r"notes\.npz.*not a layerwise model"):
        lw.load(text)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty\.npz"):
        lw.load(empty)


def test_wrong_format_name_and_newer_version(saved, tmp_path):
    path, _, _ = saved
    bad = tmp_path / "renamed.npz"
    rewrite_npz(path, bad, edit_header=lambda h: h.update(format="something-else"))
    with pytest.raises(ValueError, match=r"renamed\.npz.*not a layerwise model"):
        lw.load(bad)
    newer = tmp_path / "newer.npz"
    rewrite_npz(path, newer, edit_header=lambda h: h.update(version=99))
    with pytest.raises(ValueError, match=r"newer\.npz.*version 99.*upgrade"):
        lw.load(newer)


def test_bad_arguments_to_save(tmp_path):
    model = lw.mlp(2, [3], 1, seed=0)
    with pytest.raises(TypeError, match="metadata must be JSON-serialisable"):
        lw.save(model, tmp_path / "m.npz", metadata={"f": object()})
    assert not (tmp_path / "m.npz").exists()
    with pytest.raises(TypeError, match="model must be a layerwise Sequential"):
        lw.save("model", tmp_path / "m.npz")
    with pytest.raises(TypeError, match="scaler must be a StandardScaler"):
        lw.save(model, tmp_path / "m.npz", scaler={"mean": [0]})


def test_read_header_without_weights(saved):
    path, model, _ = saved
    header = lwio.read_header(path)
    assert header["format"] == "layerwise-model" and header["version"] == 1
    assert header["model"] == model.get_config()
    assert header["optimizer"]["config"] == {"name": "sgd", "lr": 0.3}


def test_examples_in_docs_files_md_run(tmp_path, monkeypatch):

    doc = Path(__file__).resolve().parents[2] / "docs" / "files.md"
    if not doc.exists():
        pytest.skip("docs/files.md is not part of this installation")
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(), re.S)
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, str(doc), "exec"), {})  # their asserts are the checks
    assert (tmp_path / "moons.npz").exists()


def test_save_refuses_a_scaler_of_another_width(tmp_path):
    # The file was written and only `layerwise predict` failed later, far from the cause.
    model = lw.mlp(2, [3], 1, seed=0)
    scaler = lw.datasets.StandardScaler().fit(np.arange(15.0).reshape(3, 5))
    path = tmp_path / "m.npz"
    with pytest.raises(ValueError, match=r"scaler.*5 features.*model takes 2"):
        lw.save(model, path, scaler=scaler)
    assert not path.exists()
    lw.save(model, path, scaler=lw.datasets.StandardScaler().fit(np.arange(6.0).reshape(3, 2)))
    assert lw.load(path).scaler.n_features_in_ == 2


# the twin check of tests/twins.py: a refused call leaves the model as it was
REFUSED = {
    "save into a missing folder": (
        FileNotFoundError, lambda m: lw.save(m, "/nonexistent-folder/m.npz")),
    "save with metadata that is not JSON": (
        TypeError, lambda m: lw.save(m, "/tmp/never-written.npz", metadata={"f": object()})),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_call_changes_nothing(case):
    twins.assert_refusal_changes_nothing(*REFUSED[case])


def test_nan_weights_are_refused(adam_saved, tmp_path):
    members = zip_members(adam_saved)
    W = np.load(adam_saved)["params/dense_0/W"].copy()
    W[0, 0] = np.nan
    members["params/dense_0/W.npy"] = npy_bytes(W)
    assert_load_refused(
        write_zip(tmp_path / "nan.npz", members), match="'params/dense_0/W' holds NaN"
    )


def test_save_refuses_nan_weights(tmp_path):
    model = lw.mlp(2, [3], 1, seed=0)
    model.layers[0].W[0, 0] = np.inf
    with pytest.raises(ValueError, match="dense_0/W holds NaN or infinity"):
        lw.save(model, tmp_path / "m.npz")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("version, match", [("1", "invalid .*version '1'"), (0, "invalid"),
                                            (2, "newer than")])  # fmt: skip
def test_version_that_is_not_a_valid_integer(adam_saved, tmp_path, version, match):
    assert_load_refused(
        edited_copy(adam_saved, tmp_path / "v.npz", lambda h: h.update(version=version)),
        match=match,
    )


def test_a_good_file_still_loads_exactly(adam_saved):
    model = lw.load(adam_saved)
    X = np.random.default_rng(1).normal(size=(5, 2))
    with np.load(adam_saved) as npz:
        np.testing.assert_array_equal(model.layers[0].W, npz["params/dense_0/W"])
    assert model.predict(X).shape == (5, 1) and model.optimizer.name == "adam"
