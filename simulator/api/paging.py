"""Collection parameters (``pageSize``, ``indexRange``, ``pageToken``, ``timestamps``) and links.

Rules (connectedcar-v4.md, Collections): pages are 1-based; ``indexRange``
selects items before paging; ``total`` counts the whole collection (after the
handler's filters), ``totalPage`` / ``currentPage`` the pages of the selection;
``pageToken`` is opaque and made here; hrefs are absolute and repeat every
query parameter of the request with the page changed.  Out-of-range values
answer 400 naming the parameter.

Every rule is written once, below, as a constant that both the parser applies and
the route tables document (:func:`paging_params`, :data:`TIMESTAMPS_PARAM`): the
OpenAPI document states exactly what is accepted.

``timestamps`` leniency: clients often send an offset's ``+`` unencoded and
query decoding makes it a space.  A space is read as ``+`` only where an
offset's sign belongs (see :data:`TIME_RANGE_PATTERN`); a space anywhere else is
still a 400 naming ``timestamps``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Generic, TypeVar

from multidict import MultiMapping
from yarl import URL

from simulator.api.operations import Param
from simulator.errors import ApiError, ErrorCode

T = TypeVar("T")

# ------------------------------------------------------------------ the rules
# Each rule is written once, here: the parsers below apply it and the route tables
# document it (``*_SCHEMA``), so the OpenAPI document says exactly what is accepted.
# Patterns are matched as JSON Schema matches them (a search; they are anchored).
PAGE_SIZE_DEFAULT = 60
PAGE_SIZE_MAX = 60
HIGH_FREQUENCY_PAGE_SIZE_MAX = 2000
"""``pageSize`` of telemetry and waypoints (the reference's ``pageSizeHighFrequency``)."""

INDEX_RANGE_PATTERN = r"^([0-9]{1,9})-([0-9]{1,9})?$"
"""``start-end`` or ``start-`` (the reference's ``Range``), 0-based and inclusive; an
end before the start selects nothing (as a start past the last item does)."""

PAGE_TOKEN_PATTERN = r"^p([1-9][0-9]{0,8})$"
"""The tokens this server writes into ``next`` / ``prev`` / ``last`` links."""

MAX_TIMESTAMP_RANGES = 10

_YEAR = "(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"  # 0001..9999
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][48]|[13579][26]|[2468]0)00)"
_DATE = f"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?"
# "Z", or an offset: the sign (or the space query decoding makes of an unencoded "+"),
# then HH:MM, HHMM or HH.
_OFFSET = "(?:[Zz]|[+ -](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)"
_INSTANT = f"{_DATE}[Tt]{_TIME}{_OFFSET}"
_SECONDS = r"[0-9]+(?:\.[0-9]+)?S"
_TIME_PART = f"T(?:[0-9]+H(?:[0-9]+M)?(?:{_SECONDS})?|[0-9]+M(?:{_SECONDS})?|{_SECONDS})"
_DATE_PART = (
    "(?:[0-9]+Y(?:[0-9]+M)?(?:[0-9]+W)?(?:[0-9]+D)?"
    "|[0-9]+M(?:[0-9]+W)?(?:[0-9]+D)?|[0-9]+W(?:[0-9]+D)?|[0-9]+D)"
)
_DURATION = f"P(?:{_DATE_PART}(?:{_TIME_PART})?|{_TIME_PART})"
TIME_RANGE_PATTERN = f"^(?:{_INSTANT}/(?:{_INSTANT}|{_DURATION})?|/{_INSTANT})$"
"""One ``timestamps`` range: ``T1/T2``, ``T1/duration``, ``T1/`` (to now) or ``/T2``.

T1 and T2 are RFC 3339 date-times with a zone (``Z`` or an offset; the offset may be
``HH:MM``, ``HHMM`` or ``HH``, and its ``+`` may arrive as a space when a client sent it
unencoded); the duration is ISO 8601 (``Y`` = 365 days, ``M`` = 30 days; only seconds
take a fraction).  A range that ends before it starts matches nothing."""

INDEX_RANGE_SCHEMA: dict[str, Any] = {"type": "string", "pattern": INDEX_RANGE_PATTERN}
PAGE_TOKEN_SCHEMA: dict[str, Any] = {"type": "string", "pattern": PAGE_TOKEN_PATTERN}
TIMESTAMPS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "maxItems": MAX_TIMESTAMP_RANGES,
    "items": {"type": "string", "pattern": TIME_RANGE_PATTERN},
}

_RANGE = re.compile(INDEX_RANGE_PATTERN)
_TOKEN = re.compile(PAGE_TOKEN_PATTERN)
_TIME_RANGE = re.compile(TIME_RANGE_PATTERN)
# Reading (not judging) an instant or a duration the pattern above has accepted.
_INSTANT_PARTS = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(?:[Zz]|([+ -])([0-9]{2}):?([0-9]{2})?)"
)
_DURATION_PARTS = re.compile(
    r"P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)W)?(?:([0-9]+)D)?"
    r"(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+(?:\.[0-9]+)?)S)?)?"
)
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def _bad(param: str, message: str) -> ApiError:
    return ApiError(ErrorCode.INVALID_PARAMETER, message, debug=param)


def encode_page_token(page: int) -> str:
    return f"p{page}"


def decode_page_token(token: str) -> int:
    match = _TOKEN.search(token)
    if match is None:
        raise _bad("pageToken", "pageToken is not a token this server made")
    return int(match.group(1))


def single(query: MultiMapping[str], name: str) -> str | None:
    values = query.getall(name, [])
    if len(values) > 1:
        raise _bad(name, f"{name} must be given once")
    return values[0] if values else None


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: datetime | None
    end: datetime | None

    def contains(self, when: datetime) -> bool:
        return (self.start is None or when >= self.start) and (self.end is None or when <= self.end)


def _parse_instant(text: str) -> datetime:
    """One end of a range the pattern accepted, in UTC (clamped to what Python can hold)."""
    match = _INSTANT_PARTS.fullmatch(text)
    assert match is not None, text
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    micro = int((match.group(7) or "").ljust(6, "0")[:6])
    offset = timedelta(0)
    if match.group(8) is not None:
        offset = timedelta(hours=int(match.group(9)), minutes=int(match.group(10) or 0))
        if match.group(8) == "-":
            offset = -offset
    local = datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone(offset))
    try:
        return local.astimezone(UTC)
    except OverflowError:  # within a day of year 1 or year 9999
        return _EARLIEST if offset > timedelta(0) else _LATEST


def _parse_duration(text: str) -> timedelta:
    match = _DURATION_PARTS.fullmatch(text)
    assert match is not None, text
    years, months, weeks, days, hours, minutes = (int(match.group(i) or 0) for i in range(1, 7))
    seconds = float(match.group(7) or 0)
    return timedelta(
        days=years * 365 + months * 30 + weeks * 7 + days,
        hours=hours,
        minutes=minutes,
        seconds=seconds,
    )


def _end_after(start: datetime, duration: str) -> datetime:
    try:
        return start + _parse_duration(duration)
    except OverflowError:  # past year 9999: no end in practice
        return _LATEST


def parse_timestamps(query: MultiMapping[str], now: datetime) -> list[TimeRange]:
    """``timestamps``: 1..10 ranges (:data:`TIME_RANGE_PATTERN`), as repeated parameters
    or comma separated in one value (the form older generated clients send)."""
    raw: list[str] = []
    for value in query.getall("timestamps", []):
        raw.extend(value.split(","))
    if len(raw) > MAX_TIMESTAMP_RANGES:
        raise _bad("timestamps", f"at most {MAX_TIMESTAMP_RANGES} time ranges")
    ranges = []
    for item in raw:
        match = _TIME_RANGE.search(item)
        if match is None:
            raise _bad(
                "timestamps",
                f"time range {item!r} is not T1/T2, T1/duration, T1/ or /T2 in ISO 8601",
            )
        left, right = match.group().split("/")
        start = _parse_instant(left) if left else None
        if right.startswith("P"):
            assert start is not None
            end: datetime | None = _end_after(start, right)
        else:
            end = _parse_instant(right) if right else now
        ranges.append(TimeRange(start, end))
    return ranges


def filter_by_time(
    items: Sequence[T], ranges: Sequence[TimeRange], when: Callable[[T], datetime]
) -> list[T]:
    if not ranges:
        return list(items)
    return [item for item in items if any(r.contains(when(item)) for r in ranges)]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a collection, with what the CollectionResult needs."""

    items: list[T]
    total: int
    total_page: int
    current_page: int
    links: dict[str, str]


_DIGITS = re.compile("^[0-9]+$")


def int_query(query: MultiMapping[str], name: str, low: int, high: int | None = None) -> int | None:
    """An integer query parameter in ``low..high`` (given once), or None when absent.
    Documented by :func:`int_param` with the same bounds."""
    text = single(query, name)
    if text is None:
        return None
    value = int(text) if _DIGITS.search(text) else None
    if value is None or value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f"at least {low}"
        raise _bad(name, f"{name} must be an integer, {bounds}")
    return value


def int_param(name: str, low: int, high: int | None = None, description: str = "") -> Param:
    """How :func:`int_query` is documented."""
    schema: dict[str, Any] = {"type": "integer", "minimum": low}
    if high is not None:
        schema["maximum"] = high
    return Param(name, "query", schema, description=description)


def paginate(
    items: Sequence[T],
    query: MultiMapping[str],
    url: URL,
    *,
    max_page_size: int = PAGE_SIZE_MAX,
) -> Page[T]:
    """Select ``indexRange``, then cut the page.

    ``total`` is the size of ``items`` (the whole collection, already filtered);
    ``totalPage`` and ``currentPage`` count pages of the ``indexRange`` selection.
    A well-formed ``pageToken`` past the last page (the collection shrank since the
    link was made) answers 404 naming ``pageToken``.
    """
    size = int_query(query, "pageSize", 1, max_page_size) or PAGE_SIZE_DEFAULT
    selected: Sequence[T] = items
    index_range = single(query, "indexRange")
    if index_range is not None:
        match = _RANGE.search(index_range)
        if not match:
            raise _bad("indexRange", "indexRange must look like 'start-end' or 'start-'")
        start = int(match.group(1))
        end = int(match.group(2)) + 1 if match.group(2) is not None else len(items)
        selected = items[start:end] if end > start else []
    token = single(query, "pageToken")
    page = decode_page_token(token) if token is not None else 1
    total_page = max(1, -(-len(selected) // size))
    if page > total_page:
        raise ApiError(
            ErrorCode.UNKNOWN_RESOURCE,
            f"pageToken points past the last page ({total_page})",
            debug="pageToken",
        )
    chosen = list(selected[(page - 1) * size : page * size])

    def href(p: int) -> str:
        params = [(k, v) for k, v in query.items() if k != "pageToken"]
        if p > 1:
            params.append(("pageToken", encode_page_token(p)))
        return str(url.with_query(params))

    links = {"self": href(page), "first": href(1)}
    if page > 1:
        links["prev"] = href(page - 1)
    if page < total_page:
        links["next"] = href(page + 1)
    links["last"] = href(total_page)
    return Page(chosen, len(items), total_page, page, links)


def paging_params(max_page_size: int = PAGE_SIZE_MAX) -> tuple[Param, ...]:
    """The collection parameters :func:`paginate` reads, as the route tables declare them."""
    return (
        Param(
            "pageSize",
            "query",
            {**int_param("pageSize", 1, max_page_size).schema, "default": PAGE_SIZE_DEFAULT},
            description=f"1..{max_page_size}",
        ),
        Param(
            "indexRange",
            "query",
            INDEX_RANGE_SCHEMA,
            description="start-end or start- (0-based, inclusive); an end before the start "
            "selects nothing",
        ),
        Param(
            "pageToken",
            "query",
            PAGE_TOKEN_SCHEMA,
            description="from a previous page's links; past the last page: 404",
        ),
    )


TIMESTAMPS_PARAM = Param(
    "timestamps",
    "query",
    TIMESTAMPS_SCHEMA,
    description="ISO 8601 ranges T1/T2, T1/duration, T1/ (to now), /T2; a range that ends "
    "before it starts matches nothing; comma-separated lists in one value are read too",
)
