"""Crafted, huge and odd model files: each is refused with a ValueError/TypeError that names
the file, before any expensive work (bounded with tracemalloc, which counts NumPy's
allocations), and never by a raw MemoryError, RecursionError, OverflowError or a hang."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest

import layerwise as lw
from layerwise._internal import files as _files

MiB = 1 << 20


@pytest.fixture
def saved(tmp_path):
    model = lw.mlp(2, [4], 1, output_activation="sigmoid", seed=0)
    X = np.random.default_rng(0).normal(size=(16, 2))
    y = (X[:, 0] > 0).astype(float)
    model.fit(X, y, loss="bce", optimizer="adam", lr=0.01, epochs=2, verbose=0)
    path = tmp_path / "model.npz"
    lw.save(model, path)
    return path


def _members(path):
    with zipfile.ZipFile(path) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def _header(path):
    with np.load(path, allow_pickle=False) as npz:
        return json.loads(npz["__layerwise__"].tobytes())


def _write(dst, members, *, header_text=None, compress=zipfile.ZIP_STORED):
    """A zip of raw members; ``header_text`` replaces the description (as a .npy member)."""
    members = dict(members)
    if header_text is not None:
        arr = np.frombuffer(header_text.encode(), dtype=np.uint8)
        members["__layerwise__.npy"] = _npy(arr)
    with zipfile.ZipFile(dst, "w", compression=compress) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return dst


def _npy(arr):
    import io

    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
    return buf.getvalue()


def _edit(src, dst, edit):
    header = _header(src)
    edit(header)
    return _write(dst, _members(src), header_text=json.dumps(header))


def _refused(path, error=ValueError, match=None):
    """Load ``path`` under tracemalloc; assert the error names the file and return the peak
    of traced memory (bytes)."""
    tracemalloc.start()
    try:
        with pytest.raises(error, match=match) as exc:
            lw.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert os.fspath(path) in str(exc.value)
    return peak


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    code = "import layerwise as lw, sys\ntry:\n    lw.load(sys.argv[1])\nexcept ValueError as e:\n    print(e)"  # noqa: E501
    # a subprocess with a deadline: before the fix, open() on a FIFO blocked forever
    done = subprocess.run([sys.executable, "-c", code, str(fifo)], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert "FIFO" in done.stdout and str(fifo) in done.stdout, done.stderr


def test_zip_bomb_member_is_refused_unread(saved, tmp_path):
    bomb = np.zeros(64 * MiB, dtype=np.uint8)
    members = _members(saved)
    members["extra.npy"] = _npy(bomb)
    del bomb
    path = _write(tmp_path / "bomb.npz", members, compress=zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < MiB
    peak = _refused(path, match="'extra' belongs to no layer")
    assert peak < 4 * MiB


def test_member_that_lies_about_its_size(saved, tmp_path):
    members = _members(saved)
    data = members["params/dense_0/W.npy"]
    members["params/dense_0/W.npy"] = data.replace(b"(2, 4)", b"(9999999, 4)")
    _refused(_write(tmp_path / "liar.npz", members), match="archive directory says")


def test_header_claiming_a_huge_layer_draws_nothing(saved, tmp_path):
    def grow(h):
        h["model"]["input_dim"] = 12000
        h["model"]["layers"][0]["units"] = 12000

    peak = _refused(_edit(saved, tmp_path / "huge.npz", grow), match="needs \\(12000, 12000\\)")
    assert peak < 4 * MiB  # before: a 12000x12000 matrix of random weights (576 MB)


def test_units_beyond_memory(saved, tmp_path):
    def grow(h):
        h["model"]["layers"][0]["units"] = 10**12

    _refused(_edit(saved, tmp_path / "units.npz", grow), match="parameters needs .*TiB")


def test_metadata_dtype_string_declaring_a_big_array(saved, tmp_path):
    def tag(h):
        h["metadata"] = {"x": {"__ndarray__": [0], "dtype": "(4000,4000)f8"}}

    peak = _refused(_edit(saved, tmp_path / "subarray.npz", tag), match="plain numeric dtypes")
    assert peak < 4 * MiB  # before: a (4000, 4000) float64 array (128 MB) from 30 bytes


def test_thirty_thousand_layers(saved, tmp_path):
    def stack(h):
        h["model"]["input_dim"] = None
        h["model"]["layers"] = [{"type": "Dense", "name": f"d{i}", "units": 1}
                                for i in range(30_000)]  # fmt: skip
        h["optimizer"] = None

    members = {"__layerwise__.npy": b""}  # the description only: no weights
    header = _header(saved)
    stack(header)
    path = _write(tmp_path / "deep.npz", {}, header_text=json.dumps(header))
    del members
    _refused(path, match="30,000 layers, more than 10,000")


def test_deeply_nested_json(saved, tmp_path):
    header = _header(saved)
    header["metadata"] = "DEEP"
    deep = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    text = json.dumps(header).replace('"DEEP"', deep)
    assert deep in text
    _refused(_write(tmp_path / "nested.npz", _members(saved), header_text=text),
             match="nested")  # fmt: skip


@pytest.mark.parametrize("field", ["epochs_trained", "name_counter"])
def test_infinity_in_integer_fields(saved, tmp_path, field):
    header = _header(saved)
    header[field] = float("inf")
    path = _write(tmp_path / "inf.npz", _members(saved), header_text=json.dumps(header))
    _refused(path, match=f"{field} must be an integer")


def test_infinity_in_units(saved, tmp_path):
    path = _edit(saved, tmp_path / "inf_units.npz",
                 lambda h: h["model"]["layers"][0].update(units=float("inf")))  # fmt: skip
    _refused(path, match="units must be an integer")


def test_header_stored_as_a_raw_member(saved, tmp_path):
    members = _members(saved)
    members["__layerwise__"] = json.dumps(_header(saved)).encode()
    del members["__layerwise__.npy"]
    _refused(_write(tmp_path / "raw.npz", members), match="is not a .npy array")


def test_nan_weights_are_refused(saved, tmp_path):
    members = _members(saved)
    W = np.load(saved)["params/dense_0/W"].copy()
    W[0, 0] = np.nan
    members["params/dense_0/W.npy"] = _npy(W)
    _refused(_write(tmp_path / "nan.npz", members), match="'params/dense_0/W' holds NaN")


def test_save_refuses_nan_weights(tmp_path):
    model = lw.mlp(2, [3], 1, seed=0)
    model.layers[0].W[0, 0] = np.inf
    with pytest.raises(ValueError, match="dense_0/W holds NaN or infinity"):
        lw.save(model, tmp_path / "m.npz")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("bad", ["shape", "dtype"])
def test_optimizer_state_of_the_wrong_shape_or_dtype(saved, tmp_path, bad):
    members = _members(saved)
    key = "optim/dense_0/W/exp_avg.npy"
    m = np.load(saved)[key[: -len(".npy")]]
    members[key] = _npy(m[:1] if bad == "shape" else m.astype(np.float64))
    want = "has shape \\(1, 4\\)" if bad == "shape" else "has dtype float64"
    _refused(_write(tmp_path / "optim.npz", members), match=f"exp_avg' {want}")


def test_scaler_of_the_wrong_width(saved, tmp_path):
    def widen(h):
        h["scaler"] = {"mean": [0.0, 0.0, 0.0], "scale": [1.0, 1.0, 1.0]}

    _refused(_edit(saved, tmp_path / "scaler.npz", widen),
             match="scaler was fitted on 3 features but the model takes 2")  # fmt: skip


@pytest.mark.parametrize("version, match", [("1", "invalid .*version '1'"), (0, "invalid"),
                                            (2, "newer than")])  # fmt: skip
def test_version_that_is_not_a_valid_integer(saved, tmp_path, version, match):
    _refused(_edit(saved, tmp_path / "v.npz", lambda h: h.update(version=version)), match=match)


def test_duplicate_and_lzma_members(saved, tmp_path):
    members = _members(saved)
    path = tmp_path / "dup.npz"
    with zipfile.ZipFile(path, "w") as z, pytest.warns(UserWarning, match="Duplicate"):
        for name, data in members.items():
            z.writestr(name, data)
        z.writestr("params/dense_0/b.npy", members["params/dense_0/b.npy"])
    _refused(path, match="appears twice")
    lz = _write(tmp_path / "lzma.npz", members, compress=zipfile.ZIP_LZMA)
    _refused(lz, match="compression method")


def test_deep_metadata_at_save_is_the_documented_type_error(tmp_path):
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(TypeError, match="nested at most"):
        lw.save(lw.mlp(2, [3], 1, seed=0), tmp_path / "m.npz", metadata={"deep": deep})
    assert not list(tmp_path.iterdir())


def test_a_read_only_filesystem_names_the_target(tmp_path, monkeypatch):
    def read_only(*args, dir=None, prefix="", suffix="", **kwargs):
        name = os.path.join(dir, prefix + "abcd1234" + suffix)
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), name)

    monkeypatch.setattr(_files.tempfile, "mkstemp", read_only)
    target = tmp_path / "model.npz"
    with pytest.raises(OSError, match="Read-only file system") as exc:
        lw.save(lw.mlp(2, [3], 1, seed=0), target)
    assert str(target) in str(exc.value) and ".tmp" not in str(exc.value)
    assert exc.value.errno == errno.EROFS


def test_a_good_file_still_loads_exactly(saved):
    model = lw.load(saved)
    X = np.random.default_rng(1).normal(size=(5, 2))
    with np.load(saved) as npz:
        np.testing.assert_array_equal(model.layers[0].W, npz["params/dense_0/W"])
    assert model.predict(X).shape == (5, 1) and model.optimizer.name == "adam"


def test_the_next_save_removes_leftovers_of_killed_saves_only(tmp_path):
    target = tmp_path / "model.npz"
    code = (
        "import sys, time\nfrom layerwise._internal.files import atomic_write\n"
        "with atomic_write(sys.argv[1], 'wb') as f:\n"
        "    f.write(b'x' * 1000); f.flush(); print('writing', flush=True); time.sleep(600)\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE)
    assert writer.stdout.readline() == b"writing\n"
    writer.kill()  # kill -9 mid-save: its temp file stays behind
    writer.wait()
    writer.stdout.close()
    (killed,) = tmp_path.glob(".model.npz.*.tmp")
    old = os.stat(killed).st_mtime - 2 * _files.LEFTOVER_AGE
    os.utime(killed, (old, old))
    fresh = tmp_path / ".model.npz.fresh123.tmp"  # a writer at work right now: too young
    locked = tmp_path / ".model.npz.locked12.tmp"  # old, but its writer holds the lock
    other = tmp_path / ".other.npz.abcdefgh.tmp"  # another target's
    unlike = tmp_path / ".model.npz.tmp"  # not a name atomic_write makes
    for p in (fresh, locked, other, unlike):
        p.write_bytes(b"x")
    for p in (locked, other, unlike):
        os.utime(p, (old, old))
    import fcntl

    with open(locked, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        lw.save(lw.mlp(2, [3], 1, seed=0), target)
    assert not killed.exists()
    assert all(p.exists() for p in (fresh, locked, other, unlike))
    assert lw.load(target).layers[0].W.shape == (2, 3)


@pytest.mark.parametrize("field, value", [(6, 0xFF), (8, 0x60)])  # extract version; flag bits
def test_zip_features_zipfile_does_not_implement(saved, tmp_path, field, value):
    data = bytearray(saved.read_bytes())
    central = data.find(b"PK\x01\x02")  # the first entry of the central directory
    data[central + field] = value  # was a NotImplementedError from zipfile
    if field == 8:  # flag bit 5/6 (patched data, strong encryption) in the local header too
        data[6] = value
    path = tmp_path / "unsupported.npz"
    path.write_bytes(bytes(data))
    _refused(path, match="unsupported|corrupted")


def test_a_member_marked_encrypted_is_refused_by_name(saved, tmp_path):
    # found by test_fuzz_load: zipfile raised RuntimeError("... password required")
    data = bytearray(saved.read_bytes())
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x01  # general purpose flag bit 0: encrypted
    path = tmp_path / "encrypted.npz"
    path.write_bytes(bytes(data))
    _refused(path, match="marked encrypted")


def test_a_member_claiming_more_than_deflate_can_expand(saved, tmp_path):
    path = _write(tmp_path / "forged.npz", _members(saved), compress=zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("params/dense_0/W.npy")
    # the uncompressed size of W in its central directory entry becomes 2 GiB
    entry = data.find(info.filename.encode(), data.find(b"PK\x01\x02")) - 46
    assert data[entry : entry + 4] == b"PK\x01\x02"
    data[entry + 24 : entry + 28] = (2**31).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    _refused(path, match="more than deflate can expand")


def test_load_never_draws_weights(saved, monkeypatch):
    from layerwise.layers import Dense

    def no_drawing(self, n_in, rng, dtype):
        raise AssertionError("lw.load drew random weights")

    monkeypatch.setattr(Dense, "build", no_drawing)
    model = lw.load(saved)  # before: every layer drawn, then overwritten
    with np.load(saved) as npz:
        for layer in model.layers:
            np.testing.assert_array_equal(layer.W, npz[f"params/{layer.name}/W"])
            np.testing.assert_array_equal(layer.b, npz[f"params/{layer.name}/b"])
    assert model.predict(np.zeros((1, 2))).shape == (1, 1)


def test_an_estimator_file_with_a_member_that_lies_is_refused_before_np_load(tmp_path):
    pytest.importorskip("sklearn")
    X = np.random.default_rng(0).normal(size=(40, 3))
    clf = lw.MLPClassifier((4,), solver="lbfgs", max_iter=2000, random_state=0)
    clf.fit(X, np.arange(40) % 2)
    good = tmp_path / "clf.npz"
    lw.save(clf, good)
    members = _members(good)
    name = "skops.npy"  # the estimator, in skops' format, as one uint8 member
    size = len(members[name]) - 128
    members[name] = members[name].replace(b"(%d,)" % size, b"(12000000000,)")
    path = _write(tmp_path / "forged_clf.npz", members)
    peak = _refused(path, match="archive directory says")
    assert peak < 4 * MiB  # np.load would have reserved 45 GiB for it
    assert lw.load(good).predict(X).shape == (40,)
