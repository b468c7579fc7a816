"""A playground in the browser, backed by the real library: build, grow and train a network
live, and watch it learn.

Start it with ``layerwise playground`` (or ``python -m layerwise.playground``) and open the
address it prints. It needs the optional extra: ``pip install 'layerwise[playground]'``.

This package imports nothing heavy: Starlette and uvicorn are imported when the server is
built (:func:`create_app`) or started (:func:`serve`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import socket

    from layerwise.playground._security import Guard

__all__ = ["configure_parser", "run_cli", "create_app", "serve"]

_INSTALL = "the playground needs Starlette and uvicorn: pip install 'layerwise[playground]'"


def create_app(**kwargs: Any) -> Guard:
    """The Starlette app; see :func:`layerwise.playground._server.create_app`."""
    from layerwise.playground._server import create_app as _create_app

    return _create_app(**kwargs)


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the playground's options to ``parser`` (the ``layerwise playground`` command)."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also accept requests addressed to NAME (as Host); repeat for more, '*' for any",
    )
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0: any free)")
    parser.add_argument(
        "--max-sessions", type=int, default=20, help="browser tabs served at once (default 20)"
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=600.0,
        help="seconds before an idle tab's session is freed (default 600)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of data and weights (default 0)")
    return parser


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    max_sessions: int = 20,
    idle_timeout: float = 600.0,
    seed: int = 0,
    on_start: Callable[[str], object] | None = None,
    allow_hosts: Sequence[str] = (),
    token: str | None = None,
) -> None:
    """Run the playground server until interrupted (Ctrl-C).

    Parameters
    ----------
    host, port
        Where to listen; the default is reachable from this machine only.
    max_sessions, idle_timeout, seed, allow_hosts, token
        As in :func:`layerwise.playground._server.create_app` (a new random token by default).
    on_start : callable, optional
        Called with the address, token included (``"http://host:port/?token=..."``), once
        the server listens.
    """
    try:
        import uvicorn
    except ImportError as exc:
        raise ImportError(_INSTALL) from exc
    app = create_app(
        max_sessions=max_sessions,
        idle_timeout=idle_timeout,
        seed=seed,
        host=host,
        allow_hosts=tuple(allow_hosts),
        token=token,
    )
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=1
    )

    class Server(uvicorn.Server):
        """uvicorn's server, calling ``on_start`` with the address once it listens."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if on_start is not None and self.started:
                bound = self.servers[0].sockets[0].getsockname()[1] if self.servers else port
                shown = f"[{host}]" if ":" in host else host
                on_start(f"http://{shown}:{bound}/?token={app.token}")

    Server(config).run()


def run_cli(args: argparse.Namespace) -> int:
    """Run ``layerwise playground`` with parsed ``args``; returns the exit status."""
    errors = []
    if not 0 <= args.port <= 65535:
        errors.append(f"--port must be in 0..65535, got {args.port}")
    if args.max_sessions < 1:
        errors.append(f"--max-sessions must be >= 1, got {args.max_sessions}")
    if not args.idle_timeout > 0:
        errors.append(f"--idle-timeout must be > 0 seconds, got {args.idle_timeout}")
    if errors:
        for e in errors:
            print(f"layerwise playground: error: {e}", file=sys.stderr)
        return 2

    from layerwise.playground._security import is_loopback

    if not is_loopback(args.host):
        print(
            f"layerwise playground: WARNING: listening on {args.host}, beyond this machine: "
            "anyone on the network who learns the token (sent in clear: plain HTTP) can use "
            "this playground. Keep the default --host 127.0.0.1 unless you mean it.",
            file=sys.stderr,
            flush=True,
        )

    def announce(address: str) -> None:
        print(f"layerwise playground: open {address} in a browser (Ctrl-C to stop)", flush=True)

    try:
        serve(
            host=args.host,
            port=args.port,
            max_sessions=args.max_sessions,
            idle_timeout=args.idle_timeout,
            seed=args.seed,
            on_start=announce,
            allow_hosts=args.allow_host,
        )
    except ImportError as exc:
        print(f"layerwise playground: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(
            f"layerwise playground: error: cannot listen on {args.host}:{args.port} ({exc})",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        pass
    return 0
