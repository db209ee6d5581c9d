"""Errors that carry their wire answer, raised anywhere, written once by api/.

``code`` in the v4 error body is the HTTP status × 100 plus a two-digit
detail.  The detail numbers are ours; the table lives here and in
``docs/errors.md``.
"""

from __future__ import annotations

from enum import IntEnum


class ErrorCode(IntEnum):
    INVALID_FIELD = 40001
    MALFORMED_JSON = 40002
    MISSING_CLIENT_ID = 40003
    BAD_REALM = 40004
    INVALID_PARAMETER = 40005
    MALFORMED_REQUEST = 40006
    BAD_TOKEN = 40101
    CLIENT_MISMATCH = 40102
    CONTROL_TOKEN = 40103
    SCOPE_MISSING = 40301
    VEHICLE_FORBIDDEN = 40302
    NO_END_USER = 40303
    FOREIGN_REQUEST = 40304  # the UI listener's Host check, a write from another origin
    UNKNOWN_PATH = 40401
    UNKNOWN_RESOURCE = 40402
    POSITION_HIDDEN = 40403
    METHOD_NOT_ALLOWED = 40501
    CONFLICT = 40901
    BODY_TOO_LARGE = 41301
    UNSUPPORTED_MEDIA_TYPE = 41501
    RATE_LIMITED = 42901
    UNEXPECTED = 50001
    TOO_MANY_CONNECTIONS = 50301
    # detail 99: an answer injected by a fault rule of the control API (simulator.faults)
    FAULT_400 = 40099
    FAULT_401 = 40199
    FAULT_403 = 40399
    FAULT_404 = 40499
    FAULT_429 = 42999
    FAULT_500 = 50099
    FAULT_502 = 50299
    FAULT_503 = 50399
    FAULT_504 = 50499

    @property
    def status(self) -> int:
        return int(self) // 100


class DomainError(Exception):
    """Base of every error the simulator raises on purpose."""


class ApiError(DomainError):
    """An error answered with the v4 JSON error body."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        debug: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.debug = debug
        self.headers = headers or {}

    @property
    def status(self) -> int:
        return self.code.status


class InvalidField(ApiError):
    """400 naming the offending field in ``debug``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(ErrorCode.INVALID_FIELD, message, debug=field)


class NotFound(ApiError):
    def __init__(self, what: str) -> None:
        super().__init__(ErrorCode.UNKNOWN_RESOURCE, f"{what} not found")


class VehicleForbidden(ApiError):
    """Unknown ids and other users' ids get this same answer, so ids leak nothing."""

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.VEHICLE_FORBIDDEN, "access to this vehicle is not granted to the user"
        )


class Conflict(ApiError):
    """409: the thing to declare already exists (``debug`` names the field that clashes)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(ErrorCode.CONFLICT, message, debug=field)
