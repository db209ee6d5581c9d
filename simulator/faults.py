"""API fault injection: rules that delay or fail the simulated API's requests.

A rule names which requests it applies to (an HTTP method or any; a path pattern on the
simulated API's paths; optionally a client id or a user), what happens (``latency_ms``
of real wall-clock delay before the answer, and/or an error ``status``), and how often
(the next ``count`` matching requests, each with ``probability`` drawn from the
simulator's seeded random source, until a simulated time).  Rules are tried in creation
order; the first that fires decides the request.

Path patterns: ``/connectedcar/v4/user/vehicles/*/status`` (``*`` is exactly one
segment), ``/connectedcar/v4/user/callbacks/**`` (a final ``**`` is any rest, none
included).  A pattern starts with ``/connectedcar/v4`` or ``/am/oauth2``: the control
API is never faulted, and the identity endpoints only by a rule whose path names them.

No HTTP here: the API layer (``simulator.api.faults``) asks :meth:`FaultRules.pick` and
answers with :func:`fault_error`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus

from simulator.errors import ApiError, ErrorCode
from simulator.paths import API_PREFIX, AUTH_PREFIX

__all__ = [
    "FAULT_STATUSES",
    "METHODS",
    "ROOTS",
    "FaultRule",
    "FaultRules",
    "Who",
    "fault_error",
    "pattern_problem",
]

FAULT_STATUSES = (400, 401, 403, 404, 429, 500, 502, 503, 504)
"""The error statuses a rule may answer: the ones the real API (or its gateway) answers."""
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
ROOTS = (API_PREFIX, AUTH_PREFIX)
"""Where a pattern may point: the v4 API and the identity server, never the control API."""
ANY_SEGMENT = "*"
ANY_REST = "**"
DEFAULT_PATH = API_PREFIX + "/" + ANY_REST

_CODES = {int(code) // 100: code for code in ErrorCode if int(code) % 100 == 99}

Who = Callable[[], tuple[str | None, str | None]]
"""The request's (client id, user id), asked only when a rule filters on them."""


def _segments(path: str) -> tuple[str, ...]:
    return tuple(part for part in path.split("/") if part)


def pattern_problem(pattern: str) -> str | None:
    """What is wrong with a path pattern, or None."""
    if not pattern.startswith(ROOTS):
        return f"must start with {' or '.join(ROOTS)}"
    root = next(r for r in ROOTS if pattern.startswith(r))
    if pattern[len(root) :] and not pattern[len(root) :].startswith("/"):
        return f"must start with {' or '.join(ROOTS)}"
    if "?" in pattern or "#" in pattern:
        return "is a path only (no query)"
    parts = _segments(pattern)
    for index, part in enumerate(parts):
        if ANY_SEGMENT in part and part not in (ANY_SEGMENT, ANY_REST):
            return "uses * for a whole segment only"
        if part == ANY_REST and index != len(parts) - 1:
            return "has ** as its last segment only"
    return None


def _path_matches(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    for index, part in enumerate(pattern):
        if part == ANY_REST:
            return True
        if index >= len(path) or (part != ANY_SEGMENT and part != path[index]):
            return False
    return len(path) == len(pattern)


@dataclass(slots=True)
class FaultRule:
    """One rule; ``fired`` counts the requests it delayed or failed."""

    id: str
    created_at: float
    path: str = DEFAULT_PATH
    name: str | None = None
    method: str | None = None
    client_id: str | None = None
    user: str | None = None  # a user id: the e-mail in lower case
    latency_ms: int = 0
    status: int | None = None
    message: str | None = None
    retry_after: int | None = None
    count: int | None = None
    probability: float | None = None
    until: float | None = None
    fired: int = 0
    _pattern: tuple[str, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        problem = pattern_problem(self.path)
        if problem is not None:
            raise ValueError(f"path {problem}")
        if self.status is not None and self.status not in FAULT_STATUSES:
            raise ValueError(f"status must be one of {FAULT_STATUSES}")
        self._pattern = _segments(self.path)
        if self.user is not None:
            self.user = self.user.lower()

    @property
    def remaining(self) -> int | None:
        return None if self.count is None else max(0, self.count - self.fired)

    def live(self, now: float) -> bool:
        """Not used up (``count``) and not over (``until``)."""
        return (self.count is None or self.fired < self.count) and (
            self.until is None or now < self.until
        )

    @property
    def filters_caller(self) -> bool:
        return self.client_id is not None or self.user is not None

    def matches(self, method: str, path: tuple[str, ...], who: Who) -> bool:
        if self.method is not None and method != self.method:
            return False
        if not _path_matches(self._pattern, path):
            return False
        if self.filters_caller:
            client_id, user = who()
            if self.client_id is not None and client_id != self.client_id:
                return False
            if self.user is not None and user != self.user:
                return False
        return True


class FaultRules:
    """The rules of one simulator, in creation order; a reset makes new ones (ids and the
    random source start again from the seed)."""

    def __init__(self, seed: int | str) -> None:
        self.rules: list[FaultRule] = []
        self._rng = random.Random(f"{seed}:faults")
        self._next = 0

    def __len__(self) -> int:
        return len(self.rules)

    def new_id(self) -> str:
        """The id of the next rule: ``fault-1``, ``fault-2``... (again from 1 after a reset)."""
        self._next += 1
        return f"fault-{self._next}"

    def add(self, rule: FaultRule) -> FaultRule:
        """Tried after the rules already there."""
        self.rules.append(rule)
        return rule

    def get(self, rule_id: str) -> FaultRule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)

    def remove(self, rule_id: str) -> bool:
        rule = self.get(rule_id)
        if rule is None:
            return False
        self.rules.remove(rule)
        return True

    def clear(self) -> None:
        self.rules.clear()

    @staticmethod
    def covers(path: str) -> bool:
        """Whether a request path is one rules may apply to (never the control API)."""
        return path.startswith(ROOTS)

    def pick(self, method: str, path: str, now: float, who: Who) -> FaultRule | None:
        """The first active rule matching the request that fires (its ``probability``
        drawn from the seeded source, in rule order), counted as fired; else None."""
        segments = _segments(path)
        for rule in self.rules:
            if not rule.live(now) or not rule.matches(method, segments, who):
                continue
            if rule.probability is not None and self._rng.random() >= rule.probability:
                continue
            rule.fired += 1
            return rule
        return None


def fault_error(rule: FaultRule, now: float) -> ApiError:
    """The API's error answer for a rule with a ``status`` (v4 error body, code status ×
    100 + 99, ``debug`` the rule's id), with the headers the real answer carries."""
    assert rule.status is not None
    status = rule.status
    message = rule.message or (
        f"{HTTPStatus(status).phrase.lower()} (injected by the simulator: {rule.id})"
    )
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="connectedcar", error="invalid_token"'
    retry_after = rule.retry_after
    if status == 429:
        retry_after = 1 if retry_after is None else retry_after
        headers["X-RateLimit-Reset"] = str(math.ceil(now + retry_after))
    if retry_after is not None and status in (429, 503):
        headers["Retry-After"] = str(retry_after)
    return ApiError(_CODES[status], message, debug=rule.id, headers=headers)
