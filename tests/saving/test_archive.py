"""layerwise.saving._archive: crafted, huge, odd and random model files. Each is refused with a
ValueError/TypeError that names the file, before any expensive work (bounded with
tracemalloc, which counts NumPy's allocations), and never by a raw MemoryError,
RecursionError, OverflowError or a hang; random corruptions (hypothesis) of a real file's
member headers and bytes either load into a working model or are refused so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import layerwise as lw
from tests.saving.helpers import (
    MEMBERS,
    REAL,
    SETTINGS,
    MiB,
    assert_load_refused,
    check_load,
    edited_copy,
    file_header,
    npy_header,
    rewrite_npz,
    write_zip,
    zip_bytes,
    zip_members,
)


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    code = "import layerwise as lw, sys\ntry:\n    lw.load(sys.argv[1])\nexcept ValueError as e:\n    print(e)"  # noqa: E501
    # a subprocess with a deadline: before the fix, open() on a FIFO blocked forever
    done = subprocess.run([sys.executable, "-c", code, str(fifo)], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert "FIFO" in done.stdout and str(fifo) in done.stdout, done.stderr


def test_member_that_lies_about_its_size(adam_saved, tmp_path):
    members = zip_members(adam_saved)
    data = members["params/dense_0/W.npy"]
    members["params/dense_0/W.npy"] = data.replace(b"(2, 4)", b"(9999999, 4)")
    assert_load_refused(write_zip(tmp_path / "liar.npz", members), match="archive directory says")


def test_metadata_dtype_string_declaring_a_big_array(adam_saved, tmp_path):
    def tag(h):
        h["metadata"] = {"x": {"__ndarray__": [0], "dtype": "(4000,4000)f8"}}

    peak = assert_load_refused(
        edited_copy(adam_saved, tmp_path / "subarray.npz", tag), match="plain numeric dtypes"
    )
    assert peak < 4 * MiB  # before: a (4000, 4000) float64 array (128 MB) from 30 bytes


def test_deeply_nested_json(adam_saved, tmp_path):
    header = file_header(adam_saved)
    header["metadata"] = "DEEP"
    deep = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    text = json.dumps(header).replace('"DEEP"', deep)
    assert deep in text
    path = write_zip(tmp_path / "nested.npz", zip_members(adam_saved), header_text=text)
    assert_load_refused(path, match="nested")


def test_header_stored_as_a_raw_member(adam_saved, tmp_path):
    members = zip_members(adam_saved)
    members["__layerwise__"] = json.dumps(file_header(adam_saved)).encode()
    del members["__layerwise__.npy"]
    assert_load_refused(write_zip(tmp_path / "raw.npz", members), match="is not a .npy array")


def test_duplicate_and_lzma_members(adam_saved, tmp_path):
    members = zip_members(adam_saved)
    path = tmp_path / "dup.npz"
    with zipfile.ZipFile(path, "w") as z, pytest.warns(UserWarning, match="Duplicate"):
        for name, data in members.items():
            z.writestr(name, data)
        z.writestr("params/dense_0/b.npy", members["params/dense_0/b.npy"])
    assert_load_refused(path, match="appears twice")
    lz = write_zip(tmp_path / "lzma.npz", members, compress=zipfile.ZIP_LZMA)
    assert_load_refused(lz, match="compression method")


def test_deep_metadata_at_save_is_the_documented_type_error(tmp_path):
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(TypeError, match="nested at most"):
        lw.save(lw.mlp(2, [3], 1, seed=0), tmp_path / "m.npz", metadata={"deep": deep})
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("field, value", [(6, 0xFF), (8, 0x60)])  # extract version; flag bits
def test_zip_features_zipfile_does_not_implement(adam_saved, tmp_path, field, value):
    data = bytearray(adam_saved.read_bytes())
    central = data.find(b"PK\x01\x02")  # the first entry of the central directory
    data[central + field] = value  # was a NotImplementedError from zipfile
    if field == 8:  # flag bit 5/6 (patched data, strong encryption) in the local header too
        data[6] = value
    path = tmp_path / "unsupported.npz"
    path.write_bytes(bytes(data))
    assert_load_refused(path, match="unsupported|corrupted")


def test_a_member_marked_encrypted_is_refused_by_name(adam_saved, tmp_path):
    # found by fuzzing (test_fuzz_load, then): zipfile raised RuntimeError("... password required")
    data = bytearray(adam_saved.read_bytes())
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x01  # general purpose flag bit 0: encrypted
    path = tmp_path / "encrypted.npz"
    path.write_bytes(bytes(data))
    assert_load_refused(path, match="marked encrypted")


def test_a_member_claiming_more_than_deflate_can_expand(adam_saved, tmp_path):
    path = write_zip(
        tmp_path / "forged.npz", zip_members(adam_saved), compress=zipfile.ZIP_DEFLATED
    )
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("params/dense_0/W.npy")
    # the uncompressed size of W in its central directory entry becomes 2 GiB
    entry = data.find(info.filename.encode(), data.find(b"PK\x01\x02")) - 46
    assert data[entry : entry + 4] == b"PK\x01\x02"
    data[entry + 24 : entry + 28] = (2**31).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    assert_load_refused(path, match="more than deflate can expand")


def test_an_estimator_file_with_a_member_that_lies_is_refused_before_np_load(tmp_path):
    pytest.importorskip("sklearn")
    X = np.random.default_rng(0).normal(size=(40, 3))
    clf = lw.MLPClassifier((4,), solver="lbfgs", max_iter=2000, random_state=0)
    clf.fit(X, np.arange(40) % 2)
    good = tmp_path / "clf.npz"
    lw.save(clf, good)
    members = zip_members(good)
    name = "skops.npy"  # the estimator, in skops' format, as one uint8 member
    size = len(members[name]) - 128
    members[name] = members[name].replace(b"(%d,)" % size, b"(12000000000,)")
    path = write_zip(tmp_path / "forged_clf.npz", members)
    peak = assert_load_refused(path, match="archive directory says")
    assert peak < 4 * MiB  # np.load would have reserved 45 GiB for it
    assert lw.load(good).predict(X).shape == (40,)


descrs = st.sampled_from(
    ["<f4", "<f8", "|u1", "<i8", "|b1", ">f4", "<c16", "|O", "(3,3)<f4", "[('a', '<f4')]", "<U4"]
)


shapes = st.lists(st.integers(min_value=0, max_value=2**40), max_size=3).map(tuple)


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
    members = {**MEMBERS, member: npy_header(shape, descr, fortran) + data[start:]}
    check_load(tmp_path, zip_bytes(members, compression))


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
    check_load(tmp_path, bytes(data))


@pytest.mark.parametrize("extra_mib", [128])
def test_extra_member_expanding_far_beyond_the_file(tmp_path, extra_mib):
    # a deflated member of zeros: ~1000x smaller in the file than in memory
    zeros = npy_header((extra_mib * MiB,), "|u1") + bytes(extra_mib * MiB)
    data = zip_bytes({**MEMBERS, "params/dense_0/extra.npy": zeros}, zipfile.ZIP_DEFLATED)
    assert len(data) < extra_mib * MiB / 100
    check_load(tmp_path, data)


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.999])
def test_truncated_file(saved, tmp_path, keep):
    path, _, _ = saved
    data = path.read_bytes()
    bad = tmp_path / "truncated.npz"
    bad.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ValueError, match=r"truncated\.npz.*(truncated|corrupted)"):
        lw.load(bad)


def test_flipped_byte_in_weights_is_refused(saved, tmp_path):
    # .npz members carry a CRC-32; a changed weight byte must not load silently.
    path, _, _ = saved
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("params/dense_0/W.npy")
    data[info.header_offset + 30 + len(info.filename) + info.extra.__len__() + 140] ^= 0xFF
    bad = tmp_path / "flipped.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"flipped\.npz"):
        lw.load(bad)


def test_pickled_object_array_is_refused(saved, tmp_path):
    path, _, _ = saved
    bad = tmp_path / "pickled.npz"
    rewrite_npz(path, bad, edit_arrays=lambda a: a.update(evil=np.array([{"x": 1}], dtype=object)))
    with pytest.raises(ValueError, match=r"pickled\.npz.*pickled object array"):
        lw.load(bad)
