"""Collection parameters (``pageSize``, ``indexRange``, ``pageToken``, ``timestamps``) and links.

Rules (connectedcar-v4.md, Collections): pages are 1-based; ``indexRange``
selects items before paging; ``total`` counts the whole collection (after the
handler's filters), ``totalPage`` / ``currentPage`` the pages of the selection;
``pageToken`` is opaque and made here; hrefs are absolute and repeat every
query parameter of the request with the page changed.  Out-of-range values
answer 400 naming the parameter.

``timestamps`` leniency: clients often send an offset's ``+`` unencoded and
query decoding makes it a space.  A space is read as ``+`` only where an
offset's sign belongs (see :func:`_parse_instant`); a space anywhere else is
still a 400 naming ``timestamps``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from multidict import MultiMapping
from pydantic import TypeAdapter, ValidationError
from yarl import URL

from simulator.errors import ApiError, ErrorCode

T = TypeVar("T")

_RANGE = re.compile(r"^(\d{1,9})-(\d{1,9})?$")
_TOKEN = re.compile(r"^p(\d{1,9})$")
_DATETIME = TypeAdapter(datetime)
# An RFC 3339 date-time up to its seconds (and fraction), then an offset: the sign (or
# the space that query decoding made of an unencoded "+"), then HH:MM, HHMM or HH.
_OFFSET_INSTANT = re.compile(
    r"(?P<local>[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?)"
    r"(?P<sign>[ +-])(?P<hours>[0-9]{2})(?P<minutes>:?[0-9]{2})?"
)
_DURATION = TypeAdapter(timedelta)
MAX_TIMESTAMP_RANGES = 10


def _bad(param: str, message: str) -> ApiError:
    return ApiError(ErrorCode.INVALID_PARAMETER, message, debug=param)


def encode_page_token(page: int) -> str:
    return base64.urlsafe_b64encode(f"p{page}".encode()).decode().rstrip("=")


def decode_page_token(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        raise _bad("pageToken", "pageToken is not a token this server made") from None
    match = _TOKEN.match(raw)
    if not match or int(match.group(1)) < 1:
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
    """One end of a time range: an ISO 8601 date-time with a zone, in UTC.

    The one leniency: when the whole text is ``<date>T<hh:mm:ss[.fraction]>`` then a
    space then ``HH:MM``, ``HHMM`` or ``HH``, the space is the offset's ``+`` (sent
    unencoded, decoded as a space).  A ``±HH`` offset means ``±HH:00``.  Any other
    whitespace is invalid.
    """
    match = _OFFSET_INSTANT.fullmatch(text)
    if match is not None:
        sign = "+" if match["sign"] == " " else match["sign"]
        text = f"{match['local']}{sign}{match['hours']}{match['minutes'] or ':00'}"
    if any(char.isspace() for char in text):
        raise ValueError("whitespace in a timestamp")
    value = _DATETIME.validate_python(text)
    if value.tzinfo is None:
        raise ValueError("timestamp without a zone")
    return value.astimezone(UTC)


def parse_timestamps(query: MultiMapping[str], now: datetime) -> list[TimeRange]:
    """``timestamps``: 1..10 ISO 8601 intervals ``T1/T2``, ``T1/PnD``, ``T1/``, ``/T2``.

    Several ranges may come as repeated parameters or comma separated.
    """
    raw: list[str] = []
    for value in query.getall("timestamps", []):
        raw.extend(part.strip() for part in value.split(",") if part.strip())
    if not raw:
        return []
    if len(raw) > MAX_TIMESTAMP_RANGES:
        raise _bad("timestamps", f"at most {MAX_TIMESTAMP_RANGES} time ranges")
    ranges = []
    for item in raw:
        if item.count("/") != 1:
            raise _bad("timestamps", f"time range {item!r} is not T1/T2, T1/duration, T1/ or /T2")
        left, right = item.split("/")
        try:
            start = _parse_instant(left) if left else None
            if right.startswith(("P", "-P")):
                if any(char.isspace() for char in right):
                    raise ValueError("whitespace in a duration")
                if start is None:
                    raise ValueError("a duration needs a start")
                end: datetime | None = start + _DURATION.validate_python(right)
            else:
                end = _parse_instant(right) if right else (now if start is not None else None)
        except (ValueError, ValidationError):
            raise _bad("timestamps", f"time range {item!r} is not valid ISO 8601") from None
        if start is None and end is None:
            raise _bad("timestamps", "a time range needs a start or an end")
        if start is not None and end is not None and end < start:
            raise _bad("timestamps", f"time range {item!r} ends before it starts")
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


def paginate(
    items: Sequence[T], query: MultiMapping[str], url: URL, *, max_page_size: int = 60
) -> Page[T]:
    """Select ``indexRange``, then cut the page.

    ``total`` is the size of ``items`` (the whole collection, already filtered);
    ``totalPage`` and ``currentPage`` count pages of the ``indexRange`` selection.
    """
    size_text = single(query, "pageSize")
    if size_text is None:
        size = 60
    else:
        if not size_text.isdigit() or not 1 <= int(size_text) <= max_page_size:
            raise _bad("pageSize", f"pageSize must be an integer in 1..{max_page_size}")
        size = int(size_text)
    selected: Sequence[T] = items
    index_range = single(query, "indexRange")
    if index_range is not None:
        match = _RANGE.match(index_range)
        if not match:
            raise _bad("indexRange", "indexRange must look like 'start-end' or 'start-'")
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) is not None else None
        if end is not None and end < start:
            raise _bad("indexRange", "indexRange ends before it starts")
        selected = items[start : (end + 1 if end is not None else None)]
    token = single(query, "pageToken")
    page = decode_page_token(token) if token is not None else 1
    total_page = max(1, -(-len(selected) // size))
    if page > total_page:
        raise _bad("pageToken", "pageToken points past the last page")
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
