"""Tests of TODO tests/_internal/test_files.py."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest

import layerwise as lw
from layerwise._internal import files as _files


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
