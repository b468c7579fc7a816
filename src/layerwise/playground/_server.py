"""The playground's web app (Starlette): the page, a JSON API, and a stream of snapshots.

===========================================  ==================================================
route                                        what it does
===========================================  ==================================================
``GET /``                                    the page (``static/index.html``)
``GET /api/options``                         data sets, activations, optimizers, limits
``POST /api/session``                        ``{}``: a new session (its id chosen here);
                                             ``{"session": id}``: rejoin a live one
``GET /api/session/{id}``                    one snapshot (JSON)
``GET /api/session/{id}/stream``             snapshots as server-sent events, <= ``rate``/s
``GET /api/session/{id}/points``             the data set's points
``POST /api/session/{id}/control``           ``{"action": "play"|"pause"|"step"|"reset"}``
``POST /api/session/{id}/data``              data set, noise, test ratio, regenerate, a point
``POST /api/session/{id}/settings``          optimizer, lr, batch size, L1, L2, input features
``POST /api/session/{id}/network``           add/remove neuron or layer, activation, a weight
``POST /api/session/{id}/compare``           two learning rates side by side
``POST /api/session/{id}/state``             the whole state of a shared link, at once
``POST /api/session/{id}/csv``               ``{"csv": text}``: your own data (<= 64 KB)
``GET /api/session/{id}/model``              the model file (``lw.save``), as a download
``GET /api/session/{id}/snippet``            Python code that rebuilds the network
``POST /api/session/{id}/close``             free the session now (the page calls it on unload)
===========================================  ==================================================

Every error is a JSON object ``{"error": message}`` with a 4xx status (5xx only for a bug),
and the session stays usable. Every route sits behind :class:`~layerwise.playground._security.Guard`
(Host, token, Origin and content-type checks).
"""

from __future__ import annotations

import contextlib
import json
import math
import time
import types
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from layerwise.playground import _security as security
from layerwise.playground import _session
from layerwise.playground._manager import SessionManager
from layerwise.playground._validate import PlaygroundError

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    Endpoint = Callable[[Request], Awaitable[Response]]

__all__ = ["create_app", "STATIC_DIR"]

STATIC_DIR = Path(__file__).parent / "static"
MAX_BODY = 16_384  # bytes: every control fits in a few hundred
MAX_CSV = 65_536  # bytes: an uploaded CSV of 1000 rows of three numbers
MAX_STREAMS = 3  # open event streams per session (a tab needs one)


def create_app(
    *,
    max_sessions: int = 20,
    idle_timeout: float = 600.0,
    rate: float = 10.0,
    seed: int = 0,
    clock: Callable[[], float] = time.monotonic,
    token: str | None = None,
    host: str = "127.0.0.1",
    allow_hosts: tuple[str, ...] | list[str] = (),
) -> security.Guard:
    """Build the Starlette app, behind the playground's :class:`~.security.Guard`.

    Parameters
    ----------
    max_sessions : int, default 20
        Sessions (tabs) served at once.
    idle_timeout : float, default 600
        Seconds after which a session with no request and no open stream is freed.
    rate : float, default 10
        Most snapshots per second on a stream; a stream sends only the latest state, so a
        slow page never builds a backlog.
    seed : int, default 0
        Seed of every session's data and weights.
    clock : callable
        Monotonic clock of the idle timeout (tests pass a fake one).
    token : str, optional
        The secret every request must carry; default a new random one (``app.state.token``).
    host : str, default "127.0.0.1"
        The address served, accepted as ``Host`` besides ``localhost`` and loopback.
    allow_hosts : sequence of str
        Further ``Host`` names to accept (``"*"``: any).

    Returns
    -------
    ASGI application
        With ``app.state.manager`` (the :class:`SessionManager`) and ``app.state.token``.
    """
    try:
        from starlette.applications import Starlette
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the playground needs Starlette and uvicorn: pip install 'layerwise[playground]'"
        ) from exc
    if not (isinstance(rate, int | float) and math.isfinite(rate) and rate > 0):
        raise ValueError(f"rate must be a positive number of snapshots per second, got {rate!r}")
    if token is not None and (not isinstance(token, str) or len(token) < 8):
        raise ValueError(f"token must be a string of at least 8 characters, got {token!r}")
    manager = SessionManager(
        max_sessions=max_sessions, idle_timeout=idle_timeout, seed=seed, clock=clock
    )
    api = _Api(manager, 1.0 / rate, rate)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        manager.start_reaper()
        try:
            yield
        finally:
            manager.close_all()

    app = Starlette(routes=api.routes(), lifespan=lifespan)
    app.state.manager = manager
    app.state.token = token or security.new_token()
    return security.Guard(
        app, token=app.state.token, host=host, allow_hosts=allow_hosts, max_body=MAX_CSV
    )


async def read_json(request: Request, limit: int = MAX_BODY) -> Any:
    """The body as JSON, read no further than ``limit`` bytes (413 beyond)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # stop reading here: a 200 MB body never reaches memory
            raise PlaygroundError(
                f"request body of more than {limit} bytes is too large", status=413
            )
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlaygroundError(f"the request body is not valid JSON ({exc})") from exc
    except RecursionError as exc:
        raise PlaygroundError("the request body is nested too deeply to be a control") from exc


def _error(message: str, status: int) -> Response:
    from starlette.responses import JSONResponse

    return JSONResponse({"error": message}, status_code=status)


def _guarded(fn: Endpoint) -> Endpoint:
    """Run ``fn(request)``; every refusal becomes a JSON error, never a traceback."""

    async def endpoint(request: Request) -> Response:
        try:
            return await fn(request)
        except PlaygroundError as exc:
            return _error(str(exc), exc.status)
        except (ValueError, TypeError) as exc:  # the library refused: its message is clear
            return _error(str(exc), 400)
        except Exception as exc:  # a bug: say so, and keep serving
            return _error(f"internal error ({type(exc).__name__}: {exc})", 500)

    return endpoint


class _Api:
    """The route handlers, over one :class:`SessionManager`."""

    def __init__(self, manager: SessionManager, interval: float, rate: float) -> None:
        self.manager = manager
        self.interval = interval
        self.rate = rate
        # live event generators per session; a weak set, so that a stream that ended, or
        # one whose response never started, frees its slot without any bookkeeping
        self.streams: dict[str, weakref.WeakSet[types.AsyncGeneratorType[str, None]]] = {}

    def routes(self) -> list[BaseRoute]:
        from starlette.routing import Mount, Route
        from starlette.staticfiles import StaticFiles

        sid = "/api/session/{sid}"
        post = ["POST"]
        actions = {
            "control": "control",
            "data": "set_data",
            "settings": "set_settings",
            "network": "edit",
            "compare": "start_compare",
            "state": "set_state",
        }
        return [
            Route("/", self.index),
            Route("/api/options", _guarded(self.options)),
            Route("/api/session", _guarded(self.open_session), methods=post),
            Route(sid, _guarded(self.snapshot)),
            Route(f"{sid}/stream", _guarded(self.stream)),
            Route(f"{sid}/points", _guarded(self.points)),
            Route(f"{sid}/close", _guarded(self.close), methods=post),
            *[Route(f"{sid}/{p}", self.action(m), methods=post) for p, m in actions.items()],
            Route(f"{sid}/csv", self.action("upload_csv", MAX_CSV), methods=post),
            Route(f"{sid}/model", _guarded(self.download)),
            Route(f"{sid}/snippet", _guarded(self.snippet)),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ]

    def action(self, method: str, limit: int = MAX_BODY) -> Endpoint:
        """A POST endpoint calling ``session.<method>(body)`` off the event loop."""
        from starlette.concurrency import run_in_threadpool
        from starlette.responses import JSONResponse

        async def run(request: Request) -> Response:
            body = await read_json(request, limit)
            session = self.manager.get(request.path_params["sid"])
            return JSONResponse(await run_in_threadpool(getattr(session, method), body))

        return _guarded(run)

    async def index(self, request: Request) -> Response:
        from starlette.responses import FileResponse

        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    async def options(self, request: Request) -> Response:
        from starlette.responses import JSONResponse

        return JSONResponse(
            {
                "datasets": _session.DATASETS,
                "features": _session.FEATURES,
                "activations": _session.hidden_activations(),
                "optimizers": _session.optimizer_names(),
                "limits": _session.LIMITS,
                "rate": self.rate,
                "idle_timeout": self.manager.idle_timeout,
            }
        )

    async def open_session(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool
        from starlette.responses import JSONResponse

        body = await read_json(request)
        if not isinstance(body, dict) or not set(body) <= {"session"}:
            raise PlaygroundError(
                'send {} to open a new session, or {"session": "<id>"} to rejoin one'
            )
        if "session" in body:
            session = self.manager.rejoin(body["session"])
        else:
            session = await run_in_threadpool(self.manager.create)
        return JSONResponse(await run_in_threadpool(session.snapshot))

    async def snapshot(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool
        from starlette.responses import JSONResponse

        session = self.manager.get(request.path_params["sid"])
        return JSONResponse(await run_in_threadpool(session.snapshot))

    async def points(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool
        from starlette.responses import JSONResponse

        session = self.manager.get(request.path_params["sid"])
        return JSONResponse(await run_in_threadpool(session.points))

    async def close(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool
        from starlette.responses import JSONResponse

        closed = await run_in_threadpool(self.manager.close, request.path_params["sid"])
        return JSONResponse({"closed": closed})

    async def stream(self, request: Request) -> Response:
        from starlette.responses import StreamingResponse

        session = self.manager.get(request.path_params["sid"])
        raw = request.query_params.get("max_events", "0")
        if not raw.isdigit() or int(raw) > 100_000:
            raise PlaygroundError(f"max_events must be an integer in [0, 100000], got {raw!r}")
        for sid in [k for k, v in self.streams.items() if not v]:
            del self.streams[sid]  # sessions whose streams are all gone
        live = self.streams.setdefault(session.sid, weakref.WeakSet())
        if sum(g.ag_frame is not None for g in live) >= MAX_STREAMS:
            raise PlaygroundError(
                f"session {session.sid!r} already has {MAX_STREAMS} open streams, the most "
                "allowed; close a tab showing it",
                status=429,
            )
        # what an ``async def`` that yields returns (it has ``ag_frame``, read above)
        events = cast("types.AsyncGeneratorType[str, None]", self._events(session, int(raw)))
        live.add(events)
        return StreamingResponse(
            events,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def _events(
        self, session: _session.Session, max_events: int
    ) -> AsyncGenerator[str, None]:
        import anyio
        from starlette.concurrency import run_in_threadpool

        sent, count, quiet = -1, 0, 0.0
        while not session.closed:
            session.touch()  # an open page keeps its session alive
            if session.version != sent:
                snap = await run_in_threadpool(session.snapshot)
                sent = snap["version"]
                yield f"data: {json.dumps(snap)}\n\n"
                count, quiet = count + 1, 0.0
                if max_events and count >= max_events:
                    return
            elif quiet > 15.0:
                yield ": keep-alive\n\n"
                quiet = 0.0
            # sleeping after each send caps the rate; the next send is the newest state
            await anyio.sleep(self.interval)
            quiet += self.interval
        yield 'event: closed\ndata: {"closed": true}\n\n'

    async def download(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool
        from starlette.responses import Response

        session = self.manager.get(request.path_params["sid"])
        data = await run_in_threadpool(session.model_bytes)
        return Response(
            data,
            media_type="application/octet-stream",
            headers={"Content-Disposition": 'attachment; filename="playground-model.npz"'},
        )

    async def snippet(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool
        from starlette.responses import PlainTextResponse

        session = self.manager.get(request.path_params["sid"])
        text = await run_in_threadpool(session.snippet)
        disposition = "attachment" if request.query_params.get("download") else "inline"
        return PlainTextResponse(
            text,
            media_type="text/x-python",
            headers={"Content-Disposition": f'{disposition}; filename="playground_model.py"'},
        )
