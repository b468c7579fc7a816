"""layerwise.saving._rebuild: the model rebuilt from a checked file, the saved model its
oracle. Its optimizer state, scaler, history, metadata, events, random generator (of any
bit generator), training counters and the layers of other modules (with their buffers) come
back exactly, an unbuilt model stays unbuilt, and no weight is drawn; what the description's
checks leave to the rebuild is refused here, naming the file: an unknown random generator,
a layer's array of the wrong shape, callback counters that are not dicts.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import layerwise as lw
from layerwise.layers import Layer, register_layer
from tests.saving.helpers import assert_load_refused, moons_data, rewrite_npz, trained_model


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


def test_training_counters_come_back(tmp_path):
    # the saved model the oracle: its seed, epoch count, name counter, callbacks' counters
    X, y = moons_data()
    model = lw.mlp(2, [4], 1, output_activation="sigmoid", seed=5)
    stop = lw.callbacks.EarlyStopping("loss", patience=50)
    model.fit(X, y, loss="bce", epochs=4, callbacks=[stop], verbose=False)
    model.widen(0, 6).deepen(0).deepen(0)
    model.remove(1)  # the name counter is ahead of the layers now
    lw.save(model, tmp_path / "m.npz")
    loaded = lw.load(tmp_path / "m.npz")
    assert loaded.seed == model.seed == 5 and loaded.epochs_trained == model.epochs_trained == 4
    assert loaded.state.callbacks == model.state.callbacks
    assert loaded.state.callbacks["EarlyStopping"]["best_epoch"] == stop.best_epoch
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    # where the names of new layers go on from (surgery renumbers the layers it moves, so
    # the counter shows in names only after a collision: read it)
    assert loaded._name_counter == model._name_counter > len(model.layers)


def test_arrays_come_back_c_contiguous_and_in_the_layers_dtype(tmp_path):
    model = lw.Sequential([lw.Dense(3, "tanh"), _ScaleForIOTest(2.0), lw.Dense(1)], input_dim=2,
                          seed=0, dtype="float32")  # fmt: skip
    lw.save(model, tmp_path / "m.npz")
    g = np.array([0.5, -1.0, 3.0])  # float64, where the layer is float32

    def edit(arrays):
        arrays["params/dense_0/W"] = np.asfortranarray(arrays["params/dense_0/W"])
        arrays["params/_scaleforiotest_1/g"] = g

    rewrite_npz(tmp_path / "m.npz", tmp_path / "edited.npz", edit_arrays=edit)
    with np.load(tmp_path / "edited.npz") as npz:  # the file holds what the edit wrote
        assert (
            np.isfortran(npz["params/dense_0/W"])
            and npz["params/_scaleforiotest_1/g"].dtype == np.float64
        )
    loaded = lw.load(tmp_path / "edited.npz")
    W = loaded.layers[0].W
    assert W.flags.c_contiguous and W.flags.writeable
    np.testing.assert_array_equal(W, model.layers[0].W)
    assert loaded.layers[1].g.dtype == np.float32 and loaded.layers[1].g.tolist() == g.tolist()


def test_an_unknown_random_generator_is_refused(tmp_path):
    model, _, _, _ = trained_model()
    lw.save(model, tmp_path / "m.npz")
    bad = tmp_path / "xorshift.npz"
    rewrite_npz(tmp_path / "m.npz", bad,
                edit_header=lambda h: h["rng_state"].update(bit_generator="Xorshift"))  # fmt: skip
    assert_load_refused(bad, match="unknown random generator 'Xorshift' in the file")
    partial = tmp_path / "partial.npz"  # a known generator, its state missing
    rewrite_npz(tmp_path / "m.npz", partial,
                edit_header=lambda h: h.update(rng_state={"bit_generator": "PCG64"}))  # fmt: skip
    assert_load_refused(
        partial, match=r"the model description is invalid \(missing entry 'state'\)"
    )


@pytest.mark.parametrize(
    "entry, shape, needs",
    [("params/_scaleforiotest_1/g", (4,), (3,)),
     ("buffers/_scaleforiotest_1/seen", (1, 2), (1,))],
)  # fmt: skip
def test_an_array_of_another_layer_type_of_the_wrong_shape_is_refused(
    tmp_path, entry, shape, needs
):
    # the description's checks know the shapes of Dense layers only: other types check theirs
    model = lw.Sequential([lw.Dense(3, "tanh"), _ScaleForIOTest(2.0), lw.Dense(1)], input_dim=2,
                          seed=0)  # fmt: skip
    lw.save(model, tmp_path / "m.npz")
    bad = tmp_path / "bad.npz"

    def edit(arrays):
        arrays[entry] = np.ones(shape, arrays[entry].dtype)

    rewrite_npz(tmp_path / "m.npz", bad, edit_arrays=edit)
    assert_load_refused(
        bad, match=re.escape(f"entry {entry} has shape {shape} but the layer needs {needs}")
    )


def test_callback_counters_that_are_not_dicts_are_refused(tmp_path):
    model, _, _, _ = trained_model()
    lw.save(model, tmp_path / "m.npz")
    bad = tmp_path / "counters.npz"
    rewrite_npz(tmp_path / "m.npz", bad,
                edit_header=lambda h: h.update(callbacks={"EarlyStopping": 3}))  # fmt: skip
    assert_load_refused(
        bad, match=re.escape("callbacks must be a dict of the callbacks' counters (dicts)")
    )
