"""Helpers shared by the test modules of tests/saving/."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import layerwise as lw

MiB = 1 << 20


def zip_members(path):
    with zipfile.ZipFile(path) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def file_header(path):
    with np.load(path, allow_pickle=False) as npz:
        return json.loads(npz["__layerwise__"].tobytes())


def write_zip(dst, members, *, header_text=None, compress=zipfile.ZIP_STORED):
    """A zip of raw members; ``header_text`` replaces the description (as a .npy member)."""
    members = dict(members)
    if header_text is not None:
        arr = np.frombuffer(header_text.encode(), dtype=np.uint8)
        members["__layerwise__.npy"] = npy_bytes(arr)
    with zipfile.ZipFile(dst, "w", compression=compress) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return dst


def npy_bytes(arr):
    import io

    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
    return buf.getvalue()


def edited_copy(src, dst, edit):
    header = file_header(src)
    edit(header)
    return write_zip(dst, zip_members(src), header_text=json.dumps(header))


def assert_load_refused(path, error=ValueError, match=None):
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


MEMORY_BOUND = 64 * MiB  # the real file is ~10 KB; a refused file must not cost more


WATCHDOG_S = 60  # not a timing claim: a load still running after a minute has hung


SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def real_file() -> bytes:
    model = lw.Sequential(
        [lw.Dense(5, "tanh"), lw.Dense(4, "relu"), lw.Dense(3, "softmax")], input_dim=3, seed=0
    )
    X = np.random.default_rng(0).normal(size=(32, 3))
    y = np.arange(32) % 3
    history = model.fit(X, y, loss="cce", optimizer="adam", lr=0.01, epochs=2, verbose=0)
    scaler = lw.datasets.StandardScaler().fit(X)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "m.npz"
        lw.save(model, target, scaler=scaler, history=history, metadata={"data": "fuzz"})
        return target.read_bytes()


REAL = real_file()


with zipfile.ZipFile(io.BytesIO(REAL)) as _z:
    MEMBERS = {info.filename: _z.read(info) for info in _z.infolist()}


def npy_header(shape, descr, fortran=False) -> bytes:
    text = repr({"descr": descr, "fortran_order": fortran, "shape": shape})
    text += " " * ((64 - (10 + len(text) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode("latin1")


def zip_bytes(members, compression=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@contextlib.contextmanager
def watchdog(seconds):
    def expired(signum, frame):
        raise TimeoutError(f"lw.load still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check_load(tmp_path, data: bytes) -> None:
    path = tmp_path / "fuzzed.npz"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        with watchdog(WATCHDOG_S):
            try:
                model = lw.load(path)
            except (ValueError, TypeError) as exc:
                assert str(path) in str(exc), f"the error does not name the file: {exc!r}"
                model = None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"peak {peak / MiB:.1f} MiB"
    if model is not None:  # what loads must work
        out = model.predict(np.zeros((2, model.input_dim)))
        assert out.shape == (2, model.output_dim)


def moons_data(n=48, seed=0):
    return lw.datasets.load("moons", n_samples=n, seed=seed)


def trained_model(dtype="float32", epochs=3, seed=1):
    X, y = moons_data()
    model = lw.mlp(2, [5, 3], 1, activation="tanh", output_activation="sigmoid", seed=seed,
                   dtype=dtype)  # fmt: skip
    history = model.fit(X, y, loss="bce", lr=0.3, epochs=epochs, batch_size=16, verbose=False)
    return model, history, X, y


def rewrite_npz(src, dst, edit_header=None, edit_arrays=None):
    with np.load(src, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    header = json.loads(arrays["__layerwise__"].tobytes())
    if edit_header:
        edit_header(header)
    if edit_arrays:
        edit_arrays(arrays)
    arrays["__layerwise__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(dst, **arrays)
