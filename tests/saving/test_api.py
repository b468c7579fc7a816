"""layerwise.saving._api: lw.save / lw.load of models. Exact round trips, bit-for-bit
resumed training, the header read without the weights, refused formats and versions,
NaN weights refused both ways, a load that draws no weights, the examples of docs/files.md.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw
from layerwise.layers import Layer, register_layer
from layerwise.saving import _api as lwio
from tests import twins
from tests.saving.helpers import (
    assert_load_refused,
    edited_copy,
    moons_data,
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


def test_optimizer_state_round_trip(tmp_path):
    model, _, _, _ = trained_model()
    opt = model.optimizer
    opt.iterations = 17
    velocity = np.arange(10, dtype=np.float32).reshape(2, 5) / 7
    opt.state["dense_0/W"] = {"velocity": velocity, "t": np.float32(2.5)}
    opt.state["dense_0/b"] = {"velocity": np.full(5, -1.25, dtype=np.float32)}
    lw.save(model, tmp_path / "m.npz")
    got = lw.load(tmp_path / "m.npz").optimizer
    assert type(got) is type(opt) and got.get_config() == opt.get_config()
    assert got.iterations == 17
    assert set(got.state) == set(opt.state) >= {"dense_0/W", "dense_0/b"}
    for key, slots in opt.state.items():
        assert set(got.state[key]) == set(slots)
        for name, value in slots.items():
            assert np.asarray(got.state[key][name]).dtype == np.asarray(value).dtype
            np.testing.assert_array_equal(got.state[key][name], value)
    np.testing.assert_array_equal(got.state["dense_0/W"]["velocity"], velocity)
    assert got.state["dense_0/W"]["velocity"].dtype == np.float32
    t = got.state["dense_0/W"]["t"]
    assert isinstance(t, np.float32) and t == np.float32(2.5)
    np.testing.assert_array_equal(got.state["dense_0/b"]["velocity"], np.full(5, -1.25))
    with np.load(tmp_path / "m.npz", allow_pickle=False) as npz:
        assert "optim/dense_0/W/velocity" in npz.files
        assert "params/dense_0/W" in npz.files and "params/dense_1/b" in npz.files


def test_scaler_history_metadata_events_round_trip(tmp_path):
    model, history, X, _ = trained_model()
    scaler = lw.datasets.StandardScaler().fit(X * 3 + 1)
    model.events = [{"epoch": 2, "change": "widen layer 0"}]
    meta = {"data": "moons", "hidden": [5, 3], "lr": 0.3, "array": np.arange(3)}
    lw.save(model, tmp_path / "m.npz", scaler=scaler, history=history, metadata=meta)
    loaded = lw.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(loaded.scaler.mean_, scaler.mean_)
    np.testing.assert_array_equal(loaded.scaler.scale_, scaler.scale_)
    assert loaded.history.to_dict() == history.to_dict()
    assert loaded.metadata["hidden"] == [5, 3] and loaded.metadata["lr"] == 0.3
    np.testing.assert_array_equal(loaded.metadata["array"], np.arange(3))
    assert loaded.events == [{"epoch": 2, "change": "widen layer 0"}]
    # saving a loaded model keeps what it carries
    lw.save(loaded, tmp_path / "again.npz")
    again = lw.load(tmp_path / "again.npz")
    np.testing.assert_array_equal(again.scaler.mean_, scaler.mean_)
    assert again.history.loss == history.loss and again.metadata["data"] == "moons"


def test_without_extras_gives_none_and_empty_metadata(tmp_path):
    model = lw.mlp(3, [2], 2, output_activation="softmax", seed=0)
    lw.save(model, tmp_path / "m.npz")
    loaded = lw.load(tmp_path / "m.npz")
    assert loaded.scaler is None and loaded.history is None and loaded.metadata == {}
    assert loaded.optimizer is None


def test_unbuilt_model_round_trips(tmp_path):
    model = lw.Sequential([lw.Dense(4, "tanh"), lw.Dense(1, "sigmoid")], seed=3)
    lw.save(model, tmp_path / "m.npz")
    loaded = lw.load(tmp_path / "m.npz")
    assert not loaded.built and [l.units for l in loaded.layers] == [4, 1]
    X = np.ones((2, 5))
    # same random state, so the weights drawn on first use agree too
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_other_bit_generator_state_is_restored(tmp_path):
    rng = np.random.Generator(np.random.MT19937(5))
    model = lw.mlp(2, [3], 1, seed=rng)
    rng.random(7)
    lw.save(model, tmp_path / "m.npz")
    loaded = lw.load(tmp_path / "m.npz")
    assert type(loaded.rng.bit_generator).__name__ == "MT19937"
    np.testing.assert_array_equal(loaded.rng.random(5), model.rng.random(5))


@register_layer
class _ScaleForIOTest(Layer):
    """A layer another engineer might add: one parameter and one buffer."""

    param_names = ("g",)

    def __init__(self, factor: float = 1.0) -> None:
        super().__init__()
        self.factor = factor
        self.g = None
        self.seen = None

    @property
    def units(self):
        return self.n_in

    def build(self, n_in, rng, dtype):
        super().build(n_in, rng, dtype)
        self.g = np.full(n_in, self.factor, dtype=dtype)
        self.seen = np.zeros(1, dtype=np.int64)

    def forward(self, A_prev, *, training=False, rng=None):
        return A_prev * self.g, None

    def buffers(self):
        return {"seen": self.seen}

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_registered_layer_with_buffer_round_trips(tmp_path):
    model = lw.Sequential([lw.Dense(3, "tanh"), _ScaleForIOTest(2.0), lw.Dense(1)], input_dim=2,
                          seed=0, dtype="float64")  # fmt: skip
    model.layers[1].g[:] = [0.5, -1.0, 3.0]
    model.layers[1].seen[0] = 41
    lw.save(model, tmp_path / "m.npz")
    loaded = lw.load(tmp_path / "m.npz")
    assert isinstance(loaded.layers[1], _ScaleForIOTest) and loaded.layers[1].factor == 2.0
    np.testing.assert_array_equal(loaded.layers[1].g, [0.5, -1.0, 3.0])
    assert loaded.layers[1].seen.tolist() == [41] and loaded.layers[1].seen.dtype == np.int64
    X = np.random.default_rng(0).normal(size=(6, 2))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


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


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_dropout_batchnorm_and_optimizer_state_resume_bit_for_bit(tmp_path, optimizer):
    # Layers and optimizers written by other modules round-trip through their registries;
    # the oracle is the same model trained on without a save in between.
    X, y = moons_data(64)
    model = lw.Sequential(
        [lw.Dense(8, "relu"), lw.BatchNorm(), lw.Dropout(0.2), lw.Dense(1, "sigmoid")],
        input_dim=2,
        seed=0,
    )
    kwargs = dict(loss="bce", optimizer=optimizer, lr=0.01, epochs=3, batch_size=16, verbose=False)
    model.fit(X, y, **kwargs)
    lw.save(model, tmp_path / "m.npz")
    loaded = lw.load(tmp_path / "m.npz")
    assert [type(l).__name__ for l in loaded.layers] == ["Dense", "BatchNorm", "Dropout", "Dense"]
    for name, buf in model.layers[1].buffers().items():
        np.testing.assert_array_equal(loaded.layers[1].buffers()[name], buf)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    h1, h2 = model.fit(X, y, **kwargs), loaded.fit(X, y, **kwargs)
    assert h1.loss == h2.loss
    for a, b in zip(model.parameters().values(), loaded.parameters().values(), strict=True):
        assert np.array_equal(a, b)


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


def test_load_never_draws_weights(adam_saved, monkeypatch):
    from layerwise.layers import Dense

    def no_drawing(self, n_in, rng, dtype):
        raise AssertionError("lw.load drew random weights")

    monkeypatch.setattr(Dense, "build", no_drawing)
    model = lw.load(adam_saved)  # before: every layer drawn, then overwritten
    with np.load(adam_saved) as npz:
        for layer in model.layers:
            np.testing.assert_array_equal(layer.W, npz[f"params/{layer.name}/W"])
            np.testing.assert_array_equal(layer.b, npz[f"params/{layer.name}/b"])
    assert model.predict(np.zeros((1, 2))).shape == (1, 1)


def _regression(seed=0, n=128, d=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2]
    return X, y


def test_a_changed_model_saves_loads_and_resumes_bit_for_bit(tmp_path):
    X, y = _regression(seed=17)
    model = lw.mlp(3, [4], 1, seed=17, dtype="float64")
    model.fit(
        X, y, loss="mse", optimizer=lw.optimizers.get("rmsprop", lr=0.01), epochs=5, verbose=False
    )
    model.widen(0, 9, noise=0.1).deepen(0).freeze(1)
    lw.save(model, tmp_path / "m.npz")
    loaded = lw.load(tmp_path / "m.npz")
    assert [layer.units for layer in loaded.layers] == [9, 9, 1]
    assert [layer.trainable for layer in loaded.layers] == [True, False, True]
    assert loaded.events == model.events
    a = model.fit(X, y, loss="mse", epochs=3, verbose=False)
    b = loaded.fit(X, y, loss="mse", epochs=3, verbose=False)
    assert a.loss == b.loss
