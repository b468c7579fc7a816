"""Who may talk to the playground: the person who started it, from its own page.

The same defences as Jupyter's server, as an ASGI middleware in front of every route:

* **Host** must name the address served (``localhost``, a loopback address, the host given
  to ``--host``, or one named with ``--allow-host``): a page on another site that rebinds its
  DNS name to 127.0.0.1 sends its own name as ``Host`` and is refused.
* **A token**, random per start and printed in the address at start-up, is required on
  every request: as ``?token=`` (the page then gets it as an ``HttpOnly``, ``SameSite=Strict``
  cookie and is redirected to the same address without it), as that cookie, or as an
  ``Authorization: token <token>`` header (scripts).
* **State-changing requests** (POST, PUT, PATCH, DELETE) must be ``application/json`` (so no
  HTML form and no ``text/plain`` "simple" request can send one without a CORS preflight,
  which this server never grants) and, when the browser says where they come from
  (``Origin``, ``Sec-Fetch-Site``), come from this very origin.
* A declared body larger than the limit is refused (413) before any of it is read.

Every refusal is a JSON ``{"error": message}`` with status 403, 413 or 415, except the page
itself, which answers a browser without the token with a short page asking for it.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
from collections.abc import Iterable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = ["Guard", "new_token", "is_loopback", "cookie_name", "COOKIE"]

COOKIE = "layerwise_playground_token"  # + the address: two playgrounds never share one
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}

_ASK_TOKEN = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>layerwise playground: token needed</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>This playground needs its token</h1>
<p>Open the address that <code>layerwise playground</code> printed when it started (it ends in
<code>?token=...</code>), or paste the token here; the settings in this link are kept.</p>
<form id="f"><input id="t" size="50" autofocus> <button>open</button></form>
<script>
document.getElementById("f").onsubmit = (e) => {
  e.preventDefault();
  const t = encodeURIComponent(document.getElementById("t").value.trim());
  location.href = location.pathname + "?token=" + t + location.hash;
};
</script></body></html>"""


def new_token() -> str:
    """A fresh random token (32 bytes from :mod:`secrets`, URL-safe)."""
    return secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` is reachable from this machine only."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def cookie_name(host: str) -> str:
    """The token cookie's name for the address ``host`` (the ``Host`` header, port included).

    Cookies ignore ports, so two playgrounds on one machine would overwrite each other's
    token under a single name (Jupyter names its cookie after the port for the same reason).
    """
    return COOKIE + "_" + "".join(c if c.isalnum() else "_" for c in host.lower())


def _host_name(value: str) -> str:
    """``Host`` header -> the name alone: ``[::1]:8765`` -> ``::1``, ``a.b:80`` -> ``a.b``."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class Guard:
    """ASGI middleware that lets in only the person who started the server.

    Parameters
    ----------
    app : ASGI application
    token : str
        The secret every request must carry.
    host : str
        The address served (``--host``); ``0.0.0.0`` or ``::`` also accept any IP address
        as ``Host`` (DNS rebinding needs a name, never a bare address).
    allow_hosts : iterable of str
        Further names accepted as ``Host``; ``"*"`` accepts any.
    max_body : int
        Largest ``Content-Length`` accepted.
    """

    def __init__(
        self, app: Any, *, token: str, host: str, allow_hosts: Iterable[str], max_body: int
    ) -> None:
        self.app = app
        self.state = getattr(app, "state", None)  # the app's state (manager, token), for tests
        self.token = token
        self.max_body = max_body
        names = {_host_name(h) for h in allow_hosts}
        self.any_host = "*" in names
        self.hosts = LOOPBACK_NAMES | names | {host.strip("[]").lower()}
        self.any_ip = host.strip("[]") in ("0.0.0.0", "::")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._check(scope, headers)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        status, message = refusal
        if status == 303:
            cookie = f"{cookie_name(headers.get('host', ''))}={self.token}"
            location = [(b"location", message.encode("latin-1"))]
            await _respond(send, 303, b"", location, cookie)
        elif status == 403 and scope["method"] == "GET" and scope["path"] == "/":
            await _respond(send, 403, _ASK_TOKEN.encode(), [(b"content-type", b"text/html")])
        else:
            body = json.dumps({"error": message}).encode()
            await _respond(send, status, body, [(b"content-type", b"application/json")])

    def _check(self, scope: dict[str, Any], headers: dict[str, str]) -> tuple[int, str] | None:
        """``None`` to let the request in, else ``(status, message)`` (303: the address)."""
        host = headers.get("host", "")
        name = _host_name(host)
        if not (self.any_host or name in self.hosts or (self.any_ip and _is_ip(name))):
            return 403, (
                f"Host {host!r} is not the address this playground serves; open it by the "
                "address it printed, or start it with --allow-host NAME"
            )
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        given = query.get("token")
        if given is not None and self._valid(given) and scope["path"] == "/":
            rest = urlencode({k: v for k, v in query.items() if k != "token"})
            return 303, scope["path"] + (f"?{rest}" if rest else "")
        if not self._authorised(headers, given, cookie_name(host)):
            return 403, (
                "this playground needs its token: open the address it printed at start-up "
                "(ending in ?token=...)"
            )
        if scope["method"] in UNSAFE:
            return self._check_unsafe(headers, host)
        return None

    def _valid(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.token.encode())

    def _authorised(self, headers: dict[str, str], given: str | None, name: str) -> bool:
        if given is not None and self._valid(given):
            return True
        auth = headers.get("authorization", "")
        if auth.lower().startswith("token ") and self._valid(auth[6:].strip()):
            return True
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is no token
            return False
        return name in cookie and self._valid(cookie[name].value)

    def _check_unsafe(self, headers: dict[str, str], host: str) -> tuple[int, str] | None:
        origin = headers.get("origin")
        if origin is not None:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or parts.netloc.lower() != host.lower():
                return 403, f"cross-origin request from {origin!r} refused"
        if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return 403, "cross-site request refused (Sec-Fetch-Site)"
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            return 415, (f"send the body as Content-Type: application/json, got {kind or 'none'!r}")
        length = headers.get("content-length", "0")
        if not length.isdigit():
            return 400, f"Content-Length must be a number of bytes, got {length!r}"
        if int(length) > self.max_body:
            return 413, (
                f"request body of {int(length)} bytes is too large (the limit is "
                f"{self.max_body} bytes)"
            )
        return None


async def _respond(
    send: Any,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    cookie: str | None = None,
) -> None:
    if cookie is not None:
        cookie += "; Path=/; HttpOnly; SameSite=Strict"
        headers = [*headers, (b"set-cookie", cookie.encode("latin-1"))]
    length = str(len(body)).encode()
    headers = [*headers, (b"content-length", length), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
