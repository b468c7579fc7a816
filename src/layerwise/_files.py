"""Atomic file writes: a crash or a failed write never leaves a half-written file."""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", **kwargs) -> Iterator[IO]:
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
    try:
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
