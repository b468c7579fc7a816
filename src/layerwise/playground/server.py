"""The playground's web app (Starlette): the page, a JSON API, and a stream of snapshots.

===========================================  ==================================================
route                                        what it does
===========================================  ==================================================
``GET /``                                    the page (``static/index.html``)
``GET /api/options``                         data sets, activations, optimizers, limits
``POST /api/session``                        ``{"session": id}``: open (or rejoin) a session
``GET /api/session/{id}``                    one snapshot (JSON)
``GET /api/session/{id}/stream``             snapshots as server-sent events, <= ``rate``/s
``GET /api/session/{id}/points``             the data set's points
``POST /api/session/{id}/control``           ``{"action": "play"|"pause"|"step"|"reset"}``
``POST /api/session/{id}/data``              data set, noise, test ratio, regenerate
``POST /api/session/{id}/settings``          optimizer, lr, batch size, L2
``POST /api/session/{id}/network``           add/remove neuron or layer, activation
``POST /api/session/{id}/compare``           two learning rates side by side
``GET /api/session/{id}/model``              the model file (``lw.save``), as a download
``GET /api/session/{id}/snippet``            Python code that rebuilds the network
``POST /api/session/{id}/close``             free the session now (the page calls it on unload)
===========================================  ==================================================

Every error is a JSON object ``{"error": message}`` with a 4xx status (5xx only for a bug),
and the session stays usable.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from layerwise.playground import session as _session
from layerwise.playground.manager import SessionManager
from layerwise.playground.validate import PlaygroundError

__all__ = ["create_app", "STATIC_DIR"]

STATIC_DIR = Path(__file__).parent / "static"
MAX_BODY = 16_384  # bytes: every control fits in a few hundred


def create_app(
    *,
    max_sessions: int = 20,
    idle_timeout: float = 600.0,
    rate: float = 10.0,
    seed: int = 0,
    clock: Callable[[], float] = time.monotonic,
):
    """Build the Starlette app.

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

    Returns
    -------
    starlette.applications.Starlette
        With ``app.state.manager``, the :class:`SessionManager`.
    """
    try:
        import anyio
        from starlette.applications import Starlette
        from starlette.concurrency import run_in_threadpool
        from starlette.requests import Request
        from starlette.responses import (
            FileResponse,
            JSONResponse,
            PlainTextResponse,
            Response,
            StreamingResponse,
        )
        from starlette.routing import Mount, Route
        from starlette.staticfiles import StaticFiles
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the playground needs Starlette and uvicorn: pip install 'layerwise[playground]'"
        ) from exc
    if not (isinstance(rate, int | float) and math.isfinite(rate) and rate > 0):
        raise ValueError(f"rate must be a positive number of snapshots per second, got {rate!r}")
    manager = SessionManager(
        max_sessions=max_sessions, idle_timeout=idle_timeout, seed=seed, clock=clock
    )
    interval = 1.0 / rate

    def error(message: str, status: int) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    async def read_json(request: Request) -> Any:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise PlaygroundError(f"request body of {len(raw)} bytes is too large", status=413)
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PlaygroundError(f"the request body is not valid JSON ({exc})") from exc

    def api(fn: Callable) -> Callable:
        """Run ``fn(request)``; every refusal becomes a JSON error, never a traceback."""

        async def endpoint(request: Request) -> Response:
            try:
                return await fn(request)
            except PlaygroundError as exc:
                return error(str(exc), exc.status)
            except (ValueError, TypeError) as exc:  # the library refused: its message is clear
                return error(str(exc), 400)
            except Exception as exc:  # a bug: say so, and keep serving
                return error(f"internal error ({type(exc).__name__}: {exc})", 500)

        return endpoint

    def action(method: str) -> Callable:
        """A POST endpoint calling ``session.<method>(body)`` off the event loop."""

        async def run(request: Request) -> Response:
            body = await read_json(request)
            session = manager.get(request.path_params["sid"])
            return JSONResponse(await run_in_threadpool(getattr(session, method), body))

        return api(run)

    async def index(request: Request) -> Response:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    async def options(request: Request) -> Response:
        return JSONResponse(
            {
                "datasets": _session.DATASETS,
                "activations": _session.hidden_activations(),
                "optimizers": _session.optimizer_names(),
                "limits": _session.LIMITS,
                "rate": rate,
                "idle_timeout": manager.idle_timeout,
            }
        )

    async def open_session(request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or set(body) != {"session"}:
            raise PlaygroundError('send {"session": "<id>"} to open a session')
        session = await run_in_threadpool(manager.create, body["session"])
        return JSONResponse(await run_in_threadpool(session.snapshot))

    async def snapshot(request: Request) -> Response:
        session = manager.get(request.path_params["sid"])
        return JSONResponse(await run_in_threadpool(session.snapshot))

    async def points(request: Request) -> Response:
        session = manager.get(request.path_params["sid"])
        return JSONResponse(await run_in_threadpool(session.points))

    async def close(request: Request) -> Response:
        closed = await run_in_threadpool(manager.close, request.path_params["sid"])
        return JSONResponse({"closed": closed})

    async def stream(request: Request) -> Response:
        session = manager.get(request.path_params["sid"])
        raw = request.query_params.get("max_events", "0")
        if not raw.isdigit() or int(raw) > 100_000:
            raise PlaygroundError(f"max_events must be an integer in [0, 100000], got {raw!r}")
        max_events = int(raw)

        async def events():
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
                await anyio.sleep(interval)
                quiet += interval
            yield 'event: closed\ndata: {"closed": true}\n\n'

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def download(request: Request) -> Response:
        session = manager.get(request.path_params["sid"])
        data = await run_in_threadpool(session.model_bytes)
        return Response(
            data,
            media_type="application/octet-stream",
            headers={"Content-Disposition": 'attachment; filename="playground-model.npz"'},
        )

    async def snippet(request: Request) -> Response:
        session = manager.get(request.path_params["sid"])
        text = await run_in_threadpool(session.snippet)
        disposition = "attachment" if request.query_params.get("download") else "inline"
        return PlainTextResponse(
            text,
            media_type="text/x-python",
            headers={"Content-Disposition": f'{disposition}; filename="playground_model.py"'},
        )

    @contextlib.asynccontextmanager
    async def lifespan(app):
        manager.start_reaper()
        try:
            yield
        finally:
            manager.close_all()

    sid = "/api/session/{sid}"
    routes = [
        Route("/", index),
        Route("/api/options", api(options)),
        Route("/api/session", api(open_session), methods=["POST"]),
        Route(sid, api(snapshot)),
        Route(f"{sid}/stream", api(stream)),
        Route(f"{sid}/points", api(points)),
        Route(f"{sid}/close", api(close), methods=["POST"]),
        Route(f"{sid}/control", action("control"), methods=["POST"]),
        Route(f"{sid}/data", action("set_data"), methods=["POST"]),
        Route(f"{sid}/settings", action("set_settings"), methods=["POST"]),
        Route(f"{sid}/network", action("edit"), methods=["POST"]),
        Route(f"{sid}/compare", action("start_compare"), methods=["POST"]),
        Route(f"{sid}/model", api(download)),
        Route(f"{sid}/snippet", api(snippet)),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.manager = manager
    return app
