"""Reading a saved model's ``.npz`` archive without trusting it.

Everything an attacker or a damaged disk controls is checked before it costs anything:
the path must be a regular file (a FIFO would block forever), the zip directory must list
only ``.npy`` members, stored or deflated, within size limits; every member's ``.npy``
header (dtype, shape) must agree with its uncompressed size in the directory, so a member
that claims more than it holds, or a zip bomb, is refused before its data is read; the
JSON description is bounded in size and nesting depth, and its tagged arrays may only
have plain numeric dtypes. :mod:`layerwise.saving` then checks the description against the
members before reading any weights.
"""

from __future__ import annotations

import json
import math
import os
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any, Literal

import numpy as np

META = "__layerwise__"
#: The JSON description may take at most this many bytes (histories of ~10^6 epochs fit).
MAX_HEADER_BYTES = 64 << 20
#: Nesting depth of the JSON description (a model's own is about 6; metadata adds its own).
MAX_DEPTH = 64
#: Members of the archive (a layer has two parameters and up to a few optimizer slots each).
MAX_MEMBERS = 200_000
_NPY_HEADER_MAX = 10_000  # NumPy's own default limit for a .npy header


@dataclass(frozen=True)
class Member:
    """One ``.npy`` member as its headers describe it; nothing of its data read yet."""

    name: str  # without ".npy", as np.load names it
    info: zipfile.ZipInfo
    dtype: np.dtype
    shape: tuple[int, ...]
    fortran: bool
    offset: int  # bytes of .npy header before the data


def open_regular(where: str) -> IO[bytes]:
    """Open ``where`` for reading, refusing (before any read) anything but a regular file."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(where, flags)
    except FileNotFoundError:
        raise FileNotFoundError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"{where} is a folder, not a saved model") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(f"{where} is a folder, not a saved model")
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "not a regular file"
        raise ValueError(f"{where}: {kind}; give the path of a model file written by lw.save")
    return os.fdopen(fd, "rb")


def read_members(zf: zipfile.ZipFile, where: str, kinds: str = "biuf") -> dict[str, Member]:
    """Every member's dtype and shape from its ``.npy`` header, checked against the zip
    directory; raises ValueError naming the file and the member. ``kinds``: the dtype kinds
    accepted (numbers; ``"U"`` adds fixed-width strings, as scikit-learn's classes)."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ValueError(f"{where}: {len(infos):,} archive members, more than {MAX_MEMBERS:,}")
    members: dict[str, Member] = {}
    fp = zf.fp
    size = os.fstat(fp.fileno()).st_size if fp is not None and hasattr(fp, "fileno") else None
    for info in infos:
        if not info.filename.endswith(".npy") or info.is_dir():
            raise ValueError(
                f"{where}: archive member {info.filename!r} is not a .npy array; the file is "
                "not a layerwise model or was tampered with"
            )
        name = info.filename[: -len(".npy")]
        if name in members:
            raise ValueError(f"{where}: archive member {info.filename!r} appears twice")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValueError(
                f"{where}: archive member {info.filename!r} uses compression method "
                f"{info.compress_type}; only stored or deflated members are read"
            )
        if info.flag_bits & 0x1:  # zipfile would raise RuntimeError asking for a password
            raise ValueError(
                f"{where}: archive member {info.filename!r} is marked encrypted; layerwise "
                "never writes encrypted files: the file was tampered with"
            )
        members[name] = _member(zf, info, name, where, size, kinds)
    return members


#: Deflate cannot expand data more than about 1032 times: a member claiming more is forged.
_MAX_DEFLATE_RATIO = 1032


def _member(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    name: str,
    where: str,
    size: int | None,
    kinds: str,
) -> Member:
    what = f"{where}: archive member {info.filename!r}"
    if size is not None and info.header_offset + info.compress_size > size:
        raise ValueError(
            f"{what}: the archive directory places {info.compress_size:,} bytes at offset "
            f"{info.header_offset:,} of a {size:,}-byte file; the file is truncated"
        )
    if info.file_size > _MAX_DEFLATE_RATIO * info.compress_size + 1024:
        raise ValueError(
            f"{what}: claims {info.file_size:,} bytes from {info.compress_size:,} compressed, "
            "more than deflate can expand; the file was tampered with"
        )
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        raise ValueError(f"{what}: stored with {info.compress_size} bytes but declares "
                         f"{info.file_size}; the file is corrupted")  # fmt: skip
    try:
        with zf.open(info) as f:
            version = np.lib.format.read_magic(f)
            read = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, fortran, dtype = read(f, max_header_size=_NPY_HEADER_MAX)
            offset = f.tell()
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError, EOFError) as exc:
        raise ValueError(f"{what}: not a valid .npy array header ({_short(exc)})") from None
    except (zipfile.BadZipFile, OSError, NotImplementedError) as exc:
        raise ValueError(f"{what}: corrupted or unsupported ({_short(exc)})") from None
    if dtype.hasobject:
        raise ValueError(
            f"{what}: holds a pickled object array; layerwise never writes pickles, so this "
            "file is not a layerwise model or was tampered with; refusing to load it"
        )
    if dtype.kind not in kinds or dtype.shape != () or dtype.fields is not None:
        raise ValueError(
            f"{what}: dtype {dtype!r} is not a plain numeric dtype (object, structured or "
            "sub-array dtypes are never written by lw.save)"
        )
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ValueError(f"{what}: invalid shape {shape!r}")
    nbytes = math.prod(shape) * dtype.itemsize
    if offset + nbytes != info.file_size:
        raise ValueError(
            f"{what}: its header declares {shape} of {dtype.name} ({nbytes:,} bytes) but the "
            f"archive directory says it holds {info.file_size - offset:,}; the file is "
            "corrupted or was tampered with"
        )
    return Member(name, info, dtype, tuple(shape), bool(fortran), offset)


def check_archive(where: str, *, kinds: str = "biufU") -> None:
    """Check a whole ``.npz`` file from its zip directory and member headers, without
    reading any data: a regular file, members consistent with their sizes, and all of them
    together within the memory available. For loaders that then use ``np.load``."""
    from layerwise._internal.validation import check_allocation

    with open_regular(where) as fh:
        try:
            zf = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise ValueError(f"{where}: truncated or corrupted file ({_short(exc)})") from None
        with zf:
            members = read_members(zf, where, kinds)
    nbytes = sum(math.prod(m.shape) * m.dtype.itemsize for m in members.values())
    check_allocation(nbytes, np.uint8, f"{where}: the arrays in the file")


def read_array(zf: zipfile.ZipFile, member: Member, where: str) -> np.ndarray:
    """The data of ``member`` (already checked by :func:`read_members`), at most its declared
    size read, in C order."""
    try:
        with zf.open(member.info) as f:
            f.read(member.offset)
            data = f.read(member.info.file_size - member.offset)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise ValueError(
            f"{where}: archive member {member.info.filename!r} is truncated or corrupted "
            f"({_short(exc)}); save the model again"
        ) from None
    expected = member.info.file_size - member.offset
    if len(data) != expected:
        raise ValueError(
            f"{where}: archive member {member.info.filename!r} holds {len(data)} bytes, "
            f"{expected} expected; the file is truncated"
        )
    order: Literal["C", "F"] = "F" if member.fortran else "C"
    arr = np.frombuffer(data, dtype=member.dtype).reshape(member.shape, order=order)
    return np.array(arr, order="C", copy=True)


def read_description(zf: zipfile.ZipFile, members: dict[str, Member], where: str) -> Any:
    """The JSON description in the ``__layerwise__`` member, bounded in size and depth."""
    member = members.get(META)
    if member is None:
        raise ValueError(
            f"{where}: not a layerwise model file (an .npz archive without the {META!r} "
            "entry; a plain NumPy archive?)"
        )
    if member.dtype != np.uint8 or len(member.shape) != 1:
        raise ValueError(f"{where}: the {META!r} entry must be a 1-D uint8 array")
    if member.shape[0] > MAX_HEADER_BYTES:
        raise ValueError(
            f"{where}: the model description takes {member.shape[0]:,} bytes, more than "
            f"{MAX_HEADER_BYTES:,}; the file was not written by lw.save"
        )
    text = read_array(zf, member, where).tobytes()
    try:
        value = json.loads(text.decode("utf-8"), object_hook=decode)
    except RecursionError:
        raise ValueError(
            f"{where}: the model description is nested too deeply (more than {MAX_DEPTH} "
            "levels); the file was not written by lw.save"
        ) from None
    except (ValueError, UnicodeDecodeError, TypeError) as exc:
        raise ValueError(f"{where}: the model description is corrupted ({_short(exc)})") from None
    if nesting_depth(value) > MAX_DEPTH:
        raise ValueError(
            f"{where}: the model description is nested more than {MAX_DEPTH} levels deep; "
            "the file was not written by lw.save"
        )
    return value


def decode(obj: dict[str, Any]) -> Any:
    """``json.loads`` object hook: ``{"__ndarray__": [...], "dtype": str}`` -> ndarray of a
    plain numeric dtype (a dtype string such as "(12000,12000)f8" is refused: it would make
    an array far larger than the text)."""
    if set(obj) != {"__ndarray__", "dtype"}:
        return obj
    spec = obj["dtype"]
    try:
        dtype = np.dtype(spec) if isinstance(spec, str) and len(spec) <= 16 else None
    except (TypeError, ValueError, SyntaxError):
        dtype = None
    if dtype is None or dtype.kind not in "biufb" or dtype.shape != () or dtype.fields:
        raise ValueError(f"tagged array with dtype {spec!r}: only plain numeric dtypes are read")
    return np.asarray(obj["__ndarray__"], dtype=dtype)


def nesting_depth(value: Any) -> int:
    """How deeply lists and dicts nest in ``value`` (0 for a scalar), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:  # deeper is refused anyway: no need to walk it all
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _encode(obj: Any) -> Any:
    """``json.dumps`` default: NumPy scalars as Python numbers, arrays tagged with dtype
    (which :func:`decode` reads back), paths as strings."""
    if isinstance(obj, np.ndarray):
        return {"__ndarray__": obj.tolist(), "dtype": obj.dtype.str}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"{type(obj).__name__} {obj!r} is not JSON-serialisable")


def to_json(obj: Any, what: str) -> str:
    """The JSON description of a file (``what`` names it in the TypeError if it is not
    JSON-able, or nested deeper than a loader reads)."""
    # checked first: json.dumps would recurse into a 5000-deep list until RecursionError,
    # and load refuses descriptions deeper than this anyway
    if nesting_depth(obj) > MAX_DEPTH:
        raise TypeError(
            f"{what} must be JSON-serialisable and nested at most {MAX_DEPTH - 3} "
            "levels deep; flatten the metadata"
        )
    try:
        return json.dumps(obj, default=_encode, allow_nan=True)
    except (TypeError, ValueError, RecursionError) as exc:
        raise TypeError(
            f"{what} must be JSON-serialisable (numbers, strings, lists, dicts): {exc}"
        ) from None


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."
