"""Serving the live view: the page's files at ``/simulator/ui/`` (read from the package's
``static/`` folder at each request, with a strict content security policy), the
redirects to it, and the guards of the plain-HTTP ``--ui-port`` listener (a loopback
``Host`` only: no DNS rebinding; no write from another origin: no CSRF)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aiohttp import web

from simulator.errors import ApiError, ErrorCode

UI_PATH: Final = "/simulator/ui/"
STATIC = Path(__file__).parent / "static"

SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
    "Referrer-Policy": "no-referrer",
}

_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
}

LOOPBACK_HOSTS: Final = frozenset(("localhost", "127.0.0.1", "::1", "[::1]"))
_SAFE_METHODS: Final = frozenset(("GET", "HEAD", "OPTIONS"))


def _file(name: str) -> Path | None:
    """The static file ``name`` names (``""``: the page), None when there is none: no
    hidden file, no way out of the folder, only the types above."""
    parts = [part for part in (name or "index.html").split("/") if part]
    if not parts or any(part.startswith(".") or "\\" in part for part in parts):
        return None
    path = STATIC.joinpath(*parts)
    if path.suffix not in _TYPES:
        return None
    try:
        resolved = path.resolve(strict=True)
    except OSError:
        return None
    root = STATIC.resolve()
    if root not in resolved.parents or not resolved.is_file():
        return None
    return resolved


async def ui_file(request: web.Request) -> web.Response:
    path = _file(request.match_info.get("name", ""))
    if path is None:
        raise web.HTTPNotFound()
    return web.Response(
        body=path.read_bytes(),
        headers={"Content-Type": _TYPES[path.suffix], **SECURITY_HEADERS},
    )


async def to_ui(request: web.Request) -> web.Response:
    return web.Response(status=302, headers={"Location": UI_PATH, "Cache-Control": "no-cache"})


def add_ui_routes(app: web.Application) -> None:
    """``/simulator/ui/...`` (the page and its files), ``/`` and ``/simulator/ui``: 302
    to the page."""
    app.router.add_get("/", to_ui, name="uiRoot")
    app.router.add_get(UI_PATH.rstrip("/"), to_ui, name="uiRedirect")
    app.router.add_get(UI_PATH + "{name:.*}", ui_file, name="uiFile")


def host_name(host: str) -> str:
    """The host part of a ``Host`` header or an origin's netloc (no port), lower-cased."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def foreign_origin(request: web.BaseRequest) -> bool:
    """A write (not GET/HEAD/OPTIONS) whose ``Origin`` is present and is not the origin
    the request was sent to (a page of another site posting here)."""
    if request.method in _SAFE_METHODS:
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    _, sep, netloc = origin.partition("://")
    return not sep or netloc.lower() != request.headers.get("Host", "").lower()


def _refused(message: str, debug: str) -> ApiError:
    return ApiError(ErrorCode.FOREIGN_REQUEST, message, debug=debug)


def check_local_request(request: web.BaseRequest) -> None:
    """The ``--ui-port`` listener's guard, before anything else: 403 to a ``Host`` that is
    not a loopback name (a DNS-rebound page) and to a write from another origin."""
    if host_name(request.headers.get("Host", "")) not in LOOPBACK_HOSTS:
        raise _refused("this listener only answers to localhost, 127.0.0.1 or [::1]", "Host")
    if foreign_origin(request):
        raise _refused("a write from another origin is refused", "Origin")
