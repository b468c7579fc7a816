"""Checks for every value the page sends: a bad value becomes a message, never a crash.

Each checker takes the decoded JSON body (a dict), the field name and its limits, and
returns the value in the type the session uses, or raises :class:`PlaygroundError` whose
text is shown in the page as it is.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["PlaygroundError", "SessionGone", "check_fields", "number", "integer", "choice"]
__all__ += ["flag", "session_id", "names", "integers"]

_MISSING = object()
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class PlaygroundError(ValueError):
    """A value or an action the playground refuses; ``status`` is the HTTP status to send."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class SessionGone(PlaygroundError):
    """The session does not exist (never created, closed, or freed after being idle)."""

    def __init__(self, sid: str) -> None:
        super().__init__(
            f"session {sid!r} does not exist or was freed after being idle; reload the page "
            "to start a new one",
            status=404,
        )


def session_id(value: Any) -> str:
    """A session id as the page makes them: 8 to 64 letters, digits, '-' or '_'."""
    if not isinstance(value, str) or not _SESSION_ID.match(value):
        raise PlaygroundError(
            f"session id must be 8 to 64 letters, digits, '-' or '_', got {value!r}"
        )
    return value


def check_fields(body: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    """The body must be a JSON object whose keys are all in ``allowed``."""
    if not isinstance(body, dict):
        raise PlaygroundError(f"the request body must be a JSON object, got {_show(body)}")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise PlaygroundError(
            f"unknown field(s) {', '.join(map(repr, unknown))}; valid fields: "
            f"{', '.join(allowed) if allowed else 'none'}"
        )
    return body


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def number(
    body: dict[str, Any],
    key: str,
    lo: float,
    hi: float,
    *,
    default: Any = _MISSING,
    lo_open: bool = False,
) -> float:
    """A finite real number in ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``)."""
    value = body.get(key, default)
    if value is _MISSING:
        raise PlaygroundError(f"{key} is missing; give a number")
    left = "(" if lo_open else "["
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PlaygroundError(
            f"{key} must be a number in {left}{lo:g}, {hi:g}], got {_show(value)}"
        )
    if not math.isfinite(value) or value > hi or value < lo or (lo_open and value == lo):
        raise PlaygroundError(
            f"{key} must be a number in {left}{lo:g}, {hi:g}], got {_show(value)}"
        )
    return float(value)


def integer(body: dict[str, Any], key: str, lo: int, hi: int, *, default: Any = _MISSING) -> int:
    """An integer in ``[lo, hi]`` (a float with no fraction, such as 16.0, is accepted)."""
    value = body.get(key, default)
    if value is _MISSING:
        raise PlaygroundError(f"{key} is missing; give an integer")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise PlaygroundError(f"{key} must be an integer in [{lo}, {hi}], got {_show(value)}")
    return value


def choice(body: dict[str, Any], key: str, options: list[str], *, default: Any = _MISSING) -> str:
    """One of ``options`` (compared case-insensitively, returned as listed)."""
    value = body.get(key, default)
    if value is _MISSING:
        raise PlaygroundError(f"{key} is missing; valid values: {', '.join(options)}")
    if isinstance(value, str):
        for option in options:
            if value.strip().lower() == option.lower():
                return option
    raise PlaygroundError(f"{key} must be one of {', '.join(options)}; got {_show(value)}")


def flag(body: dict[str, Any], key: str, *, default: bool = False) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise PlaygroundError(f"{key} must be true or false, got {_show(value)}")
    return value


def names(
    body: dict[str, Any], key: str, options: list[str], *, default: Any = _MISSING
) -> list[str]:
    """A non-empty list of distinct names from ``options``, returned in ``options``' order."""
    value = body.get(key, default)
    if value is _MISSING:
        raise PlaygroundError(f"{key} is missing; give a list of {', '.join(options)}")
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(x, str) and x in options for x in value)
        or len(set(value)) != len(value)
    ):
        raise PlaygroundError(
            f"{key} must be a non-empty list of distinct names from {', '.join(options)}; "
            f"got {_show(value)}"
        )
    return [o for o in options if o in value]


def integers(
    body: dict[str, Any], key: str, lo: int, hi: int, max_len: int, *, default: Any = _MISSING
) -> list[int]:
    """A list of at most ``max_len`` integers, each in ``[lo, hi]``."""
    value = body.get(key, default)
    if value is _MISSING:
        raise PlaygroundError(f"{key} is missing; give a list of integers")
    if not isinstance(value, list) or len(value) > max_len:
        raise PlaygroundError(
            f"{key} must be a list of at most {max_len} integers in [{lo}, {hi}], got "
            f"{_show(value)}"
        )
    return [integer({key: x}, key, lo, hi) for x in value]
