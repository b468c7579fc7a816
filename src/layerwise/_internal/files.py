"""Atomic file writes: a crash or a failed write never leaves a half-written file."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Write to a temporary file beside ``path`` and rename it over ``path`` on success.

    On any error the temporary file is removed and an existing ``path`` is untouched.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {parent} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except PermissionError as exc:
        raise PermissionError(f"cannot write {path}: no permission to write in {parent}") from exc
    except OSError as exc:  # read-only file system, no space...: name the target, not the temp
        raise OSError(exc.errno, f"cannot write {path}: {exc.strerror}") from exc
    try:
        _lock(fd)  # held while the temp file is ours, so no cleaner takes it from us
        with os.fdopen(fd, mode, **kwargs) as f:
            # mkstemp makes the file private (0600); give it the mode a plain open() would
            os.chmod(tmp, _new_file_mode(path))
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    remove_leftovers(path)


#: A temp file untouched this long, and not locked, belongs to a writer that died.
LEFTOVER_AGE = 60.0


def remove_leftovers(path: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files that interrupted writes of ``path`` left behind.

    Only files named as :func:`atomic_write` names them for this target
    (``.<name>.<8 random characters>.tmp``), not modified for :data:`LEFTOVER_AGE`
    seconds and not locked by a writer still at work, are removed. Returns them.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    pattern = re.compile(re.escape(f".{path.name}.") + r"[a-z0-9_]{8}\.tmp")
    removed: list[Path] = []
    try:
        names = [n for n in os.listdir(parent) if pattern.fullmatch(n)]
    except OSError:
        return removed
    for name in names:
        candidate = parent / name
        with contextlib.suppress(OSError):
            fd = os.open(
                candidate, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
            )
            try:
                info = os.fstat(fd)
                if stat.S_ISREG(info.st_mode) and time.time() - info.st_mtime > LEFTOVER_AGE:
                    if _lock(fd, blocking=False):
                        os.unlink(candidate)
                        removed.append(candidate)
            finally:
                os.close(fd)
    return removed


def _lock(fd: int, *, blocking: bool = True) -> bool:
    """An exclusive advisory lock on ``fd`` (POSIX flock); False if another holds it."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; the age test alone protects other writers
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _new_file_mode(path: Path) -> int:
    """The mode of the file being replaced, or 0666 less the process umask for a new one."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        pass
    return 0o666 & ~_umask()


@functools.cache
def _umask() -> int:
    # reading the umask means setting it: done once, so threads writing files later
    # never see a umask of 0 in between
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
