"""Fuzzing lw.load: random corruptions of a real model file (its JSON description, its
members' .npy headers, its bytes) either load into a working model or are refused with a
ValueError/TypeError that names the file; each ends (a watchdog alarm) and stays within a
memory bound (tracemalloc, which counts NumPy's allocations)."""

from __future__ import annotations

import contextlib
import io
import json
import signal
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import layerwise as lw

MiB = 1 << 20
MEMORY_BOUND = 64 * MiB  # the real file is ~10 KB; a refused file must not cost more
WATCHDOG_S = 60  # not a timing claim: a load still running after a minute has hung
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _real_file() -> bytes:
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


REAL = _real_file()
with zipfile.ZipFile(io.BytesIO(REAL)) as _z:
    MEMBERS = {info.filename: _z.read(info) for info in _z.infolist()}
HEADER = json.loads(np.load(io.BytesIO(MEMBERS["__layerwise__.npy"])).tobytes())

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([0, 1, -1, 2, 12000, 10**9, 10**12, 2**63])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["Dense", "float64", "relu", "adam", "(12000,12000)f8", "|O", "PCG64"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=8,
)
descrs = st.sampled_from(
    ["<f4", "<f8", "|u1", "<i8", "|b1", ">f4", "<c16", "|O", "(3,3)<f4", "[('a', '<f4')]", "<U4"]
)
shapes = st.lists(st.integers(min_value=0, max_value=2**40), max_size=3).map(tuple)


def _replace_somewhere(tree, value, choices):
    """``tree`` with one node (chosen by ``choices``, a list of ints) replaced by ``value``."""
    if not choices or not isinstance(tree, dict | list) or not tree:
        return value
    first, rest = choices[0], choices[1:]
    if isinstance(tree, dict):
        key = sorted(tree)[first % len(tree)]
        return {**tree, key: _replace_somewhere(tree[key], value, rest)}
    i = first % len(tree)
    return tree[:i] + [_replace_somewhere(tree[i], value, rest)] + tree[i + 1 :]


def _npy_header(shape, descr, fortran=False) -> bytes:
    text = repr({"descr": descr, "fortran_order": fortran, "shape": shape})
    text += " " * ((64 - (10 + len(text) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode("latin1")


def _zip(members, compression=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _with_header(header) -> bytes:
    text = json.dumps(header).encode()
    arr = np.frombuffer(text, dtype=np.uint8)
    out = io.BytesIO()
    np.lib.format.write_array(out, arr)
    return _zip({**MEMBERS, "__layerwise__.npy": out.getvalue()})


@contextlib.contextmanager
def _watchdog(seconds):
    def expired(signum, frame):
        raise TimeoutError(f"lw.load still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _check(tmp_path, data: bytes) -> None:
    path = tmp_path / "fuzzed.npz"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        with _watchdog(WATCHDOG_S):
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


@SETTINGS
@given(value=json_values, choices=st.lists(st.integers(min_value=0, max_value=50), max_size=6))
def test_random_header_edits(tmp_path, value, choices):
    _check(tmp_path, _with_header(_replace_somewhere(HEADER, value, choices)))


@SETTINGS
@given(
    member=st.sampled_from(sorted(MEMBERS)),
    shape=shapes,
    descr=descrs,
    fortran=st.booleans(),
    compression=st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
)
def test_random_member_headers(tmp_path, member, shape, descr, fortran, compression):
    data = MEMBERS[member]
    start = 10 + int.from_bytes(data[8:10], "little")
    members = {**MEMBERS, member: _npy_header(shape, descr, fortran) + data[start:]}
    _check(tmp_path, _zip(members, compression))


@SETTINGS
@given(
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), max_size=8),
    keep=st.none() | st.floats(min_value=0.0, max_value=1.0),
)
def test_random_bytes(tmp_path, flips, keep):
    data = bytearray(REAL)
    for position, mask in flips:
        data[position % len(data)] ^= mask
    if keep is not None:
        data = data[: int(len(data) * keep)]
    _check(tmp_path, bytes(data))


@pytest.mark.parametrize("extra_mib", [128])
def test_extra_member_expanding_far_beyond_the_file(tmp_path, extra_mib):
    # a deflated member of zeros: ~1000x smaller in the file than in memory
    zeros = _npy_header((extra_mib * MiB,), "|u1") + bytes(extra_mib * MiB)
    data = _zip({**MEMBERS, "params/dense_0/extra.npy": zeros}, zipfile.ZIP_DEFLATED)
    assert len(data) < extra_mib * MiB / 100
    _check(tmp_path, data)
