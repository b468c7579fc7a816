"""layerwise.saving._loadcheck: a file's description checked before any array is read. Huge
or infinite sizes, 30,000 layers, members that belong to no layer or have the wrong shape or
dtype, a scaler of the wrong width; and random edits (hypothesis) of a real file's JSON
description, each either loading into a working model or refused with an error naming the
file, within a memory bound and a watchdog.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import layerwise as lw
from tests.saving.helpers import (
    MEMBERS,
    SETTINGS,
    MiB,
    assert_load_refused,
    check_load,
    edited_copy,
    file_header,
    npy_bytes,
    rewrite_npz,
    write_zip,
    zip_bytes,
    zip_members,
)

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


def _with_header(header) -> bytes:
    text = json.dumps(header).encode()
    arr = np.frombuffer(text, dtype=np.uint8)
    out = io.BytesIO()
    np.lib.format.write_array(out, arr)
    return zip_bytes({**MEMBERS, "__layerwise__.npy": out.getvalue()})


@SETTINGS
@given(value=json_values, choices=st.lists(st.integers(min_value=0, max_value=50), max_size=6))
def test_random_header_edits(tmp_path, value, choices):
    check_load(tmp_path, _with_header(_replace_somewhere(HEADER, value, choices)))


def test_zip_bomb_member_is_refused_unread(adam_saved, tmp_path):
    bomb = np.zeros(64 * MiB, dtype=np.uint8)
    members = zip_members(adam_saved)
    members["extra.npy"] = npy_bytes(bomb)
    del bomb
    path = write_zip(tmp_path / "bomb.npz", members, compress=zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < MiB
    peak = assert_load_refused(path, match="'extra' belongs to no layer")
    assert peak < 4 * MiB


def test_header_claiming_a_huge_layer_draws_nothing(adam_saved, tmp_path):
    def grow(h):
        h["model"]["input_dim"] = 12000
        h["model"]["layers"][0]["units"] = 12000

    peak = assert_load_refused(
        edited_copy(adam_saved, tmp_path / "huge.npz", grow), match="needs \\(12000, 12000\\)"
    )
    assert peak < 4 * MiB  # before: a 12000x12000 matrix of random weights (576 MB)


def test_units_beyond_memory(adam_saved, tmp_path):
    def grow(h):
        h["model"]["layers"][0]["units"] = 10**12

    assert_load_refused(
        edited_copy(adam_saved, tmp_path / "units.npz", grow), match="parameters needs .*TiB"
    )


def test_thirty_thousand_layers(adam_saved, tmp_path):
    def stack(h):
        h["model"]["input_dim"] = None
        h["model"]["layers"] = [{"type": "Dense", "name": f"d{i}", "units": 1}
                                for i in range(30_000)]  # fmt: skip
        h["optimizer"] = None

    members = {"__layerwise__.npy": b""}  # the description only: no weights
    header = file_header(adam_saved)
    stack(header)
    path = write_zip(tmp_path / "deep.npz", {}, header_text=json.dumps(header))
    del members
    assert_load_refused(path, match="30,000 layers, more than 10,000")


@pytest.mark.parametrize("field", ["epochs_trained", "name_counter"])
def test_infinity_in_integer_fields(adam_saved, tmp_path, field):
    header = file_header(adam_saved)
    header[field] = float("inf")
    path = write_zip(tmp_path / "inf.npz", zip_members(adam_saved), header_text=json.dumps(header))
    assert_load_refused(path, match=f"{field} must be an integer")


def test_infinity_in_units(adam_saved, tmp_path):
    path = edited_copy(adam_saved, tmp_path / "inf_units.npz",
                       lambda h: h["model"]["layers"][0].update(units=float("inf")))  # fmt: skip
    assert_load_refused(path, match="units must be an integer")


@pytest.mark.parametrize("bad", ["shape", "dtype"])
def test_optimizer_state_of_the_wrong_shape_or_dtype(adam_saved, tmp_path, bad):
    members = zip_members(adam_saved)
    key = "optim/dense_0/W/exp_avg.npy"
    m = np.load(adam_saved)[key[: -len(".npy")]]
    members[key] = npy_bytes(m[:1] if bad == "shape" else m.astype(np.float64))
    want = "has shape \\(1, 4\\)" if bad == "shape" else "has dtype float64"
    assert_load_refused(write_zip(tmp_path / "optim.npz", members), match=f"exp_avg' {want}")


def test_scaler_of_the_wrong_width(adam_saved, tmp_path):
    def widen(h):
        h["scaler"] = {"mean": [0.0, 0.0, 0.0], "scale": [1.0, 1.0, 1.0]}

    path = edited_copy(adam_saved, tmp_path / "scaler.npz", widen)
    assert_load_refused(path, match="scaler was fitted on 3 features but the model takes 2")


def test_config_edited_to_a_wrong_shape(saved, tmp_path):
    path, _, _ = saved
    bad = tmp_path / "edited.npz"

    def widen(h):
        h["model"]["layers"][0]["units"] = 6

    rewrite_npz(path, bad, edit_header=widen)
    with pytest.raises(ValueError, match=r"edited\.npz.*'params/dense_0/W' has shape \(2, 5\)"):
        lw.load(bad)


def test_config_with_extra_or_missing_entries(saved, tmp_path):
    path, _, _ = saved
    missing = tmp_path / "missing.npz"
    rewrite_npz(path, missing, edit_arrays=lambda a: a.pop("params/dense_1/b"))
    with pytest.raises(ValueError, match=r"missing\.npz.*'params/dense_1/b' is missing"):
        lw.load(missing)

    def drop_layer(h):
        h["model"]["layers"].pop(1)

    extra = tmp_path / "extra.npz"
    rewrite_npz(path, extra, edit_header=drop_layer)
    with pytest.raises(ValueError, match=r"extra\.npz"):
        lw.load(extra)


def test_config_with_wrong_dtype_or_unknown_layer(saved, tmp_path):
    path, _, _ = saved
    wrong = tmp_path / "dtype.npz"
    rewrite_npz(path, wrong, edit_header=lambda h: h["model"].update(dtype="float64"))
    with pytest.raises(ValueError, match=r"dtype\.npz.*dtype float32 but the model is float64"):
        lw.load(wrong)

    def rename(h):
        h["model"]["layers"][0]["type"] = "Conv2D"

    unknown = tmp_path / "unknown.npz"
    rewrite_npz(path, unknown, edit_header=rename)
    with pytest.raises(ValueError, match=r"unknown\.npz.*unknown layer type 'Conv2D'"):
        lw.load(unknown)
    broken = tmp_path / "broken.npz"
    rewrite_npz(path, broken, edit_header=lambda h: h.pop("model"))
    with pytest.raises(ValueError, match=r"broken\.npz.*invalid.*'model'"):
        lw.load(broken)
