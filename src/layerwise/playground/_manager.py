"""The sessions of one server: created on demand, capped in number, freed when idle."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable

from layerwise.playground._session import Session
from layerwise.playground._validate import PlaygroundError, SessionGone, session_id

__all__ = ["SessionManager"]


class SessionManager:
    """Holds the live sessions by id.

    Parameters
    ----------
    max_sessions : int
        More at once are refused (HTTP 503) until one is closed or freed.
    idle_timeout : float
        Seconds without a request or an open stream after which a session is freed.
    seed : int
        Seed of every new session (each tab gets the same starting data and weights).
    clock : callable
        Monotonic seconds; a test passes a fake clock to free sessions without waiting.
    """

    def __init__(
        self,
        *,
        max_sessions: int = 20,
        idle_timeout: float = 600.0,
        seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_sessions < 1:
            raise ValueError(f"max_sessions must be >= 1, got {max_sessions!r}")
        if not idle_timeout > 0:
            raise ValueError(f"idle_timeout must be > 0 seconds, got {idle_timeout!r}")
        self.max_sessions = max_sessions
        self.idle_timeout = float(idle_timeout)
        self.seed = seed
        self.clock = clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._reaper: threading.Thread | None = None

    def __len__(self) -> int:
        return len(self._sessions)

    def ids(self) -> list[str]:
        return list(self._sessions)

    def create(self) -> Session:
        """A new session, under an id chosen here (random, never the page's)."""
        self.reap()
        with self._lock:
            if len(self._sessions) >= self.max_sessions:
                raise PlaygroundError(
                    f"the playground already runs {len(self._sessions)} sessions, its "
                    f"limit; close another tab or wait for idle sessions to be freed "
                    f"(after {self.idle_timeout:g} s)",
                    status=503,
                )
            sid = secrets.token_urlsafe(18)
            session = Session(sid, seed=self.seed, clock=self.clock)
            self._sessions[sid] = session
        return session

    def rejoin(self, sid: object) -> Session:
        """The live session ``sid`` (a reloaded page keeps its network), or :class:`SessionGone`."""
        return self.get(session_id(sid))

    def get(self, sid: str) -> Session:
        """The live session ``sid`` (its idle time restarts), or :class:`SessionGone`."""
        session = self._sessions.get(sid)
        if session is None or session.closed:
            raise SessionGone(sid)
        session.touch()
        return session

    def close(self, sid: str) -> bool:
        with self._lock:
            session = self._sessions.pop(sid, None)
        if session is not None:
            session.close()
        return session is not None

    def reap(self) -> list[str]:
        """Free every session idle for longer than ``idle_timeout``; return their ids."""
        now = self.clock()
        with self._lock:
            gone = [s for s, x in self._sessions.items() if now - x.last_seen > self.idle_timeout]
            freed = [self._sessions.pop(s) for s in gone]
        for session in freed:
            session.close()
        return gone

    def start_reaper(self) -> None:
        """Check for idle sessions in a background thread, a few times per timeout."""
        if self._reaper is not None:
            return
        interval = min(max(self.idle_timeout / 4, 0.05), 5.0)

        def loop() -> None:
            while not self._stop.wait(interval):
                self.reap()

        self._reaper = threading.Thread(target=loop, name="playground-reaper", daemon=True)
        self._reaper.start()

    def close_all(self) -> None:
        self._stop.set()
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()
