"""layerwise._internal.files: atomic writes, through lw.save.

A failed or killed write never leaves a half-written file: the target keeps its old bytes,
the temporary file is removed (or, after a kill -9, by the next save, once it is old and
unlocked), errors name the target and not the temporary file, and the file gets the mode a
plain ``open`` would give.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import layerwise as lw
from layerwise._internal import files as _files
from layerwise.saving import _api as lwio


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


# ----------------------------------------------------------------------- failed writes
def test_write_into_missing_or_file_parent(tmp_path):
    model = lw.mlp(2, [3], 1, seed=0)
    with pytest.raises(FileNotFoundError, match="nofolder"):
        lw.save(model, tmp_path / "nofolder" / "m.npz")
    # Tests run as root, which ignores permission bits; a parent that is a file is a folder
    # no one can write into, whoever runs the test.
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(FileNotFoundError, match=r"afile/m\.npz"):
        lw.save(model, blocker / "m.npz")
    with pytest.raises(IsADirectoryError, match=str(tmp_path)):
        lw.save(model, tmp_path)


def test_write_into_read_only_folder(tmp_path, monkeypatch):
    # As root, chmod 0o500 would not stop the write, so the refusal of the OS is simulated
    # where it happens: creating the temporary file in the folder.
    model = lw.mlp(2, [3], 1, seed=0)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError, match=r"m\.npz.*no permission"):
        lw.save(model, tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []


def test_existing_file_survives_a_failed_overwrite(tmp_path, monkeypatch):
    model = lw.mlp(2, [5, 3], 1, activation="tanh", output_activation="sigmoid", seed=1)
    X, y = lw.datasets.load("moons", n_samples=48, seed=0)
    model.fit(X, y, loss="bce", lr=0.3, epochs=3, batch_size=16, verbose=False)
    path = tmp_path / "model.npz"
    lw.save(model, path)
    before = path.read_bytes()
    expected = model.predict(X)

    def crash(f, **arrays):
        f.write(b"PK\x03\x04 half a model")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lwio.np, "savez", crash)
    other = lw.mlp(2, [7], 1, seed=9)
    with pytest.raises(OSError, match="No space left"):
        lw.save(other, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == ["model.npz"]  # no temporary file left behind
    np.testing.assert_array_equal(lw.load(path).predict(X), expected)


def test_saved_file_has_the_mode_of_a_plain_open(tmp_path):
    # The temporary file behind the atomic write is private (0600); the saved model must
    # not be: it gets the mode open() would give, or keeps the mode of the file it replaces.
    model = lw.mlp(2, [3], 1, seed=0)
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    lw.save(model, tmp_path / "m.npz")
    assert (tmp_path / "m.npz").stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
    os.chmod(tmp_path / "m.npz", 0o640)
    lw.save(model, tmp_path / "m.npz")
    assert (tmp_path / "m.npz").stat().st_mode & 0o777 == 0o640
