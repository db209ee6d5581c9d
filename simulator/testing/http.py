"""A small JSON-over-HTTPS transport for the test helpers (standard library only).

It presents the simulator's client certificate, trusts its CA, never goes through an
``https_proxy`` from the environment (the simulator is local), and hands back parsed
JSON.  A non-2xx answer raises :class:`ApiCallError`, whose message holds the method,
the path, the status and the answer's body (the v4 error body), never a header: a
bearer token never appears in it.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ApiCallError", "Http", "Params", "Response"]

Params = Mapping[str, Any] | None
_BODY_SHOWN = 2000  # characters of an error body kept in the message


def _text(body: bytes) -> str:
    """The body as compact JSON when it is JSON, else as text (cut when long)."""
    try:
        text = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        text = body.decode("utf-8", "replace")
    return text if len(text) <= _BODY_SHOWN else text[:_BODY_SHOWN] + "..."


class ApiCallError(Exception):
    """A call answered with a status outside 2xx.

    ``str(error)`` is ``"POST /connectedcar/v4/... -> 400 Bad Request: {the body}"``;
    ``status``, ``body`` (parsed JSON, or the text when not JSON), ``method`` and
    ``path`` are attributes.
    """

    def __init__(self, method: str, path: str, status: int, reason: str, raw: bytes) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        try:
            self.body: Any = json.loads(raw) if raw.strip() else None
        except ValueError:
            self.body = raw.decode("utf-8", "replace")
        shown = _text(raw) if raw.strip() else "(no body)"
        super().__init__(f"{method} {path} -> {status} {reason}: {shown}")


@dataclass(frozen=True)
class Response:
    """An answer: ``status``, ``headers`` (lower-case names), the raw ``body``."""

    status: int
    reason: str
    headers: dict[str, str]
    body: bytes = field(repr=False)

    def json(self) -> Any:
        """The body parsed as JSON; None when it is empty (204)."""
        return json.loads(self.body) if self.body.strip() else None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Http:
    """HTTPS calls to one server, with the client certificate of ``context``."""

    def __init__(self, base_url: str, context: Callable[[], ssl.SSLContext], timeout: float = 30):
        self.base_url = base_url.rstrip("/")
        self._context = context
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """One call; any status comes back (see :meth:`call` for the raising form)."""
        url = self.base_url + path
        if params:
            query = {k: _param(v) for k, v in params.items() if v is not None}
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query, doseq=True)
        sent = dict(headers or {})
        data: bytes | None = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            data = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        sent.setdefault("Accept", "application/json")
        request = urllib.request.Request(url, data=data, headers=sent, method=method)
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=self._context())
        )
        try:
            with opener.open(request, timeout=self.timeout) as answer:
                return Response(
                    answer.status, answer.reason, _headers(answer.headers), answer.read()
                )
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, error.reason, _headers(error.headers), error.read())

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """The parsed JSON answer (None when empty); :class:`ApiCallError` unless 2xx."""
        answer = self.request(method, path, json_body=json_body, params=params, headers=headers)
        return checked(method, path, answer)


def checked(method: str, path: str, answer: Response) -> Any:
    """``answer``'s JSON, or :class:`ApiCallError` when it is not a 2xx."""
    if not answer.ok:
        raise ApiCallError(method, path, answer.status, answer.reason, answer.body)
    return answer.json()


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _headers(message: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in message.items()} if message else {}
