"""The request journal: every request received, kept in memory and bounded."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from typing import NamedTuple
from urllib.parse import unquote_plus

#: Query parameters whose values are secrets: never kept in the journal or logged.
SECRET_PARAMETERS = frozenset(
    [
        "access_token",
        "client_secret",
        "code",
        "code_verifier",
        "id_token",
        "id_token_hint",
        "password",
        "refresh_token",
        "token",
    ]
)
# Cheap test first: a query that names none of them (after a & or ?) is kept as is.
_MAYBE_SECRET = re.compile(
    r"(?:^|&)(?:%|" + "|".join(sorted(SECRET_PARAMETERS, key=len, reverse=True)) + ")",
    re.IGNORECASE,
)
REDACTED = "[redacted]"


def redact_target(target: str) -> str:
    """``target`` (path and raw query) with the values of secret parameters replaced.

    Names are compared decoded and case-insensitively, so ``pass%77ord=`` is
    caught too; the rest of the query is kept byte for byte.
    """
    path, sep, query = target.partition("?")
    if not sep or _MAYBE_SECRET.search(query) is None:
        return target
    pairs = []
    for pair in query.split("&"):
        name, eq, _value = pair.partition("=")
        if eq and unquote_plus(name).lower() in SECRET_PARAMETERS:
            pair = f"{name}={REDACTED}"
        pairs.append(pair)
    return f"{path}?{'&'.join(pairs)}"


class RequestRecord(NamedTuple):  # a tuple: recorded on every request, so cheap to build
    request_id: str
    at: float  # simulator clock, POSIX seconds
    method: str
    target: str  # path and query string as received (still percent-encoded), secrets redacted
    status: int
    duration_ms: float
    client_id: str | None
    user_id: str | None
    error_code: int | None

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]


class RequestJournal:
    """Newest last; the oldest records fall off past ``capacity``."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=capacity)
        self.total = 0

    def record(self, entry: RequestRecord) -> None:
        self._records.append(entry)
        self.total += 1

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self._records)

    def clear(self) -> None:
        self._records.clear()
        self.total = 0

    def query(
        self,
        *,
        method: str | None = None,
        path_prefix: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        since: float | None = None,
        limit: int = 100,
    ) -> list[RequestRecord]:
        """Newest first, filtered."""
        found: list[RequestRecord] = []
        for entry in reversed(self._records):
            if method is not None and entry.method != method.upper():
                continue
            if path_prefix is not None and not entry.path.startswith(path_prefix):
                continue
            if status is not None and entry.status != status:
                continue
            if request_id is not None and entry.request_id != request_id:
                continue
            if since is not None and entry.at < since:
                break
            found.append(entry)
            if len(found) >= limit:
                break
        return found
