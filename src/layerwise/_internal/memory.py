"""How much memory this process may still allocate, and the refusal of sizes beyond it.

The host's free memory (``MemAvailable``) is only one of the limits a process lives under.
Notebooks, CI jobs and containers usually run under a tighter one that ``/proc/meminfo``
does not show: an address-space or data limit (``ulimit -v``, ``ulimit -d``: RLIMIT_AS,
RLIMIT_DATA) or a control group's memory limit (cgroup v2 ``memory.max``, v1
``memory.limit_in_bytes``). Past those, NumPy raises ``MemoryError`` or the kernel's OOM
killer ends the process. :func:`check_allocation` refuses such sizes first, with a
``ValueError`` that names the limit that applied.

Only the standard library and NumPy are imported: the numeric core calls this.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Limit", "limits", "tightest", "available_memory", "check_allocation"]

# the kernel's "no limit" in cgroup v1 is a page-rounded 2**63 - 1; anything this large is none
_UNLIMITED = 1 << 62
_FALLBACK = 1 << 34  # 16 GiB when the system says nothing at all


@dataclasses.dataclass(frozen=True)
class Limit:
    """One limit on this process's memory: its name and the bytes still free under it."""

    name: str
    available: int


# ---------------------------------------------------------------------------- the host
def host_limit(meminfo: str | Path = "/proc/meminfo") -> Limit:
    """The host's available memory (Linux ``MemAvailable``; elsewhere physical memory)."""
    try:
        with open(meminfo, encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return Limit("the host's available memory", int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        total = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        return Limit("the host's physical memory", total)
    except (ValueError, OSError, AttributeError):
        return Limit("an assumed 16 GiB (the system reports no memory size)", _FALLBACK)


# ---------------------------------------------------------------------------- rlimits
def _status_kib(status: str | Path) -> dict[str, int]:
    """``VmSize``, ``VmData``... of ``/proc/self/status``, in bytes."""
    values: dict[str, int] = {}
    try:
        with open(status, encoding="ascii", errors="replace") as f:
            for line in f:
                key, _, rest = line.partition(":")
                parts = rest.split()
                if key.startswith("Vm") and len(parts) == 2 and parts[1] == "kB":
                    values[key] = int(parts[0]) * 1024
    except (OSError, ValueError):
        pass
    return values


_RLIMITS = [("RLIMIT_AS", "ulimit -v", "VmSize"), ("RLIMIT_DATA", "ulimit -d", "VmData")]


def rlimit_limits(status: str | Path = "/proc/self/status") -> list[Limit]:
    """RLIMIT_AS and RLIMIT_DATA (soft limits) less what this process already uses of them
    (``VmSize``, ``VmData``); none where unlimited or where the system has no such limits."""
    try:
        import resource
    except ImportError:  # not on Windows
        return []
    used = _status_kib(status)
    found = []
    for name, shell, usage in _RLIMITS:
        kind = getattr(resource, name, None)
        if kind is None:
            continue
        try:
            soft, _hard = resource.getrlimit(kind)
        except (OSError, ValueError):
            continue
        if soft == resource.RLIM_INFINITY or soft < 0 or soft >= _UNLIMITED:
            continue
        free = max(0, soft - used.get(usage, 0))
        found.append(Limit(f"the process limit {name} ({shell}, {_human(soft)})", free))
    return found


# ---------------------------------------------------------------------------- cgroups
def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if text == "max":
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _mounts(mountinfo: str | Path) -> tuple[Path | None, Path | None]:
    """Mount points of the cgroup v2 hierarchy and of the v1 memory controller."""
    v2 = v1 = None
    try:
        with open(mountinfo, encoding="utf-8", errors="replace") as f:
            for line in f:
                left, _, right = line.partition(" - ")
                fields, extra = left.split(), right.split()
                if len(fields) < 5 or not extra:
                    continue
                if extra[0] == "cgroup2" and v2 is None:
                    v2 = Path(fields[4])
                elif extra[0] == "cgroup" and len(extra) >= 3 and "memory" in extra[2].split(","):
                    v1 = Path(fields[4])
    except OSError:
        pass
    return v2, v1


def _walk(mount: Path, inner: str) -> list[Path]:
    """The folders of the cgroup ``inner`` under ``mount``, from the leaf up to the mount;
    only the mount itself when the path is not visible there (a cgroup namespace)."""
    leaf = mount / inner.strip("/")
    if not leaf.is_dir():
        return [mount]
    folders = [leaf]
    while folders[-1] != mount and mount in folders[-1].parents:
        folders.append(folders[-1].parent)
    return folders


def cgroup_limits(
    proc_cgroup: str | Path = "/proc/self/cgroup",
    mountinfo: str | Path = "/proc/self/mountinfo",
    root: str | Path = "/sys/fs/cgroup",
) -> list[Limit]:
    """The tightest cgroup v2 (``memory.max - memory.current``) and v1
    (``memory.limit_in_bytes - memory.usage_in_bytes``) limit over this process's cgroup
    and its parents; none where no limit is set."""
    try:
        lines = Path(proc_cgroup).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    v2_mount, v1_mount = _mounts(mountinfo)
    root = Path(root)
    found = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hid, controllers, inner = parts
        if hid == "0" and controllers == "":
            mount = v2_mount or (root / "unified" if (root / "unified").is_dir() else root)
            files, version = ("memory.max", "memory.current"), "cgroup v2 memory.max"
        elif "memory" in controllers.split(","):
            mount = v1_mount or root / "memory"
            files = ("memory.limit_in_bytes", "memory.usage_in_bytes")
            version = "cgroup v1 memory.limit_in_bytes"
        else:
            continue
        best: Limit | None = None
        for folder in _walk(mount, inner):
            limit = _read_int(folder / files[0])
            if limit is None or limit >= _UNLIMITED:
                continue
            free = max(0, limit - (_read_int(folder / files[1]) or 0))
            if best is None or free < best.available:
                best = Limit(f"the container's {version} ({_human(limit)}, {folder})", free)
        if best is not None:
            found.append(best)
    return found


# ---------------------------------------------------------------------------- together
def limits() -> list[Limit]:
    """Every limit that applies to this process now, the host's first."""
    return [host_limit(), *rlimit_limits(), *cgroup_limits()]


def tightest() -> Limit:
    """The limit with the fewest bytes left (the host's on a tie)."""
    return min(limits(), key=lambda limit: limit.available)


def available_memory() -> int:
    """Bytes this process may still allocate: the smallest of :func:`limits`."""
    return tightest().available


def check_allocation(n_elements: Any, dtype: Any, what: str, *, fraction: float = 0.5) -> None:
    """Refuse, before allocating, ``n_elements`` values of ``dtype`` that would take more
    than ``fraction`` of the memory this process may still use (:func:`tightest`).

    Raises ValueError naming ``what``, the size asked for and the limit that applied,
    instead of letting NumPy raise MemoryError (or the OOM killer end the process) later.
    """
    nbytes = int(n_elements) * np.dtype(dtype).itemsize
    limit = tightest()
    allowed = int(limit.available * fraction)
    if nbytes > allowed:
        raise ValueError(
            f"{what} needs {_human(nbytes)} ({int(n_elements):,} values of "
            f"{np.dtype(dtype).name}), more than the {_human(allowed)} this process can give "
            f"it now ({fraction:.0%} of the {_human(limit.available)} left under "
            f"{limit.name}); choose smaller sizes"
        )


def _human(nbytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if nbytes < 1024 or unit == "TiB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    return f"{nbytes} B"
