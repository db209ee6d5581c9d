"""The base of every wire model: scalar types, :class:`ApiModel`, HAL links, the error
body and the collection page.

Python attribute names are snake_case; the JSON names (the reference's camelCase)
come from the alias generator, except where the reference is irregular (`_links`,
`_embedded`, `self`, the capitalised `Vehicles` and `Collisions`), which carry an
explicit alias.  Both spellings are accepted when building a model.
"""

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar, cast

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel


def format_utc(value: datetime) -> str:
    """RFC 3339 in UTC with `Z`: seconds, plus milliseconds when not zero."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: every API timestamp must carry its zone")
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    millis = utc.microsecond // 1000
    if millis:
        text += f".{millis:03d}"
    return text + "Z"


def format_duration(value: timedelta) -> str:
    """ISO 8601 duration in its short form: `PT1H30M`, `PT45S`, `PT0S`.

    Hours are not folded into days (`PT26H`), so the value never depends on
    the length of a calendar day.
    """
    if value < timedelta(0):
        raise ValueError("negative duration")
    micros = value // timedelta(microseconds=1)
    seconds, micros = divmod(micros, 1_000_000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = "PT"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    if micros:
        text += f"{seconds}.{micros:06d}".rstrip("0") + "S"
    elif seconds or text == "PT":
        text += f"{seconds}S"
    return text


def _non_negative(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError("duration must not be negative")
    return value


def _round_number(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value):
        return round(value)
    return value


UtcDateTime = Annotated[
    AwareDatetime,
    PlainSerializer(format_utc, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A timezone-aware datetime, written `2026-01-01T07:00:03Z`."""

IsoDuration = Annotated[
    timedelta,
    AfterValidator(_non_negative),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "duration"}),
]
"""A non-negative `timedelta` written as an ISO 8601 duration (`PT1H30M`).

Accepts a `timedelta`, an ISO 8601 duration string or a number of seconds.
"""

RoundedInt = Annotated[int, BeforeValidator(_round_number)]
"""An `int` member; a finite float is rounded to the nearest integer."""

# ---------------------------------------------------------------------------
# Base model and helpers
# ---------------------------------------------------------------------------


def _tidy_schema(schema: dict[str, Any], model: type[Any]) -> None:
    """Describe optional members as the wire has them: absent, never null.

    Also drops the per-member titles pydantic derives from Python names.
    """
    props: dict[str, Any] = schema.get("properties", {})
    required: list[str] = schema.get("required", [])
    for name, prop in props.items():
        prop.pop("title", None)
        variants = prop.get("anyOf")
        if not isinstance(variants, list):
            continue
        kept = [v for v in variants if v != {"type": "null"}]
        if len(kept) == len(variants):
            continue
        prop.pop("anyOf")
        if prop.get("default", 0) is None:
            prop.pop("default")
        if len(kept) == 1:
            prop.update(kept[0])
        else:
            prop["anyOf"] = kept
        if name in required:
            required.remove(name)
    if "required" in schema and not required:
        del schema["required"]


class ApiModel(BaseModel):
    """Base of every API body: snake_case attributes, the reference's camelCase names
    (aliases) on the wire, no extras."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
        extra="forbid",
        json_schema_extra=_tidy_schema,
        defer_build=True,  # built on first use: keeps start-up under a second
    )

    @model_validator(mode="before")
    @classmethod
    def _ignore_derived_members(cls, data: Any) -> Any:
        """Accept our own output back: derived (legacy) members are dropped."""
        computed = cls.__pydantic_computed_fields__
        if isinstance(data, dict) and computed:
            names = set(computed) | {c.alias for c in computed.values() if c.alias}
            if names.intersection(data):
                return {k: v for k, v in data.items() if k not in names}
        return data


def dump(model: BaseModel) -> dict[str, Any]:
    """The JSON-ready dict of an API body (aliases, `None` members left out)."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def dump_json(model: BaseModel) -> bytes:
    """The UTF-8 JSON text of an API body (aliases, `None` members left out)."""
    return model.model_dump_json(by_alias=True, exclude_none=True).encode()


# ---------------------------------------------------------------------------
# HAL links
# ---------------------------------------------------------------------------


class Link(ApiModel):
    href: str
    templated: bool | None = None
    type: str | None = None
    name: str | None = None
    title: str | None = None


class SelfLinks(ApiModel):
    self_: Link = Field(alias="self")


class TabLinks(SelfLinks):
    """Links of a collection page."""

    first: Link
    next: Link | None = None
    prev: Link | None = None
    last: Link | None = None


class StatusLinks(SelfLinks):
    vehicle: Link | None = None


class UserLinks(SelfLinks):
    vehicles: Link | None = None


class VehicleLinks(SelfLinks):
    user: Link | None = None
    last_position: Link | None = None
    trips: Link | None = None
    maintenance: Link | None = None
    alerts: Link | None = None
    status: Link | None = None
    telemetry: Link | None = None
    collisions: Link | None = None
    alarms: Link | None = None
    monitors: Link | None = None
    remotes: Link | None = None
    callbacks: Link | None = None


class AlertLinks(SelfLinks):
    vehicle: Link | None = None
    position: Link | None = None
    trips: list[Link] | None = None


class CollisionLinks(SelfLinks):
    vehicle: Link | None = None
    trip: Link | None = None


class MaintenanceLinks(SelfLinks):
    vehicle: Link | None = None
    alerts: Link | None = None


class TelemetryLinks(SelfLinks):
    vehicle: Link | None = None
    trip: Link | None = None


class TripLinks(SelfLinks):
    vehicle: Link | None = None
    waypoints: Link | None = None
    alerts: Link | None = None
    collisions: Link | None = None


class AlarmLinks(SelfLinks):
    """(sim) The reference gives alarms no links; every resource gets `self`."""

    vehicle: Link | None = None


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class ErrorBody(ApiModel):
    """Body of every non-2xx API answer (the reference's `xError` plus more)."""

    code: int
    uuid: str
    message: str
    timestamp: UtcDateTime
    debug: str | None = None


# ---------------------------------------------------------------------------
# Collections
# ---------------------------------------------------------------------------

EmbeddedT = TypeVar("EmbeddedT", bound=ApiModel)


class CollectionResult(ApiModel, Generic[EmbeddedT]):
    """A page of a collection; subclass as `XPage(CollectionResult[XEmbedded])`.

    `XEmbedded` has exactly one member, the list under its reference name.
    """

    links: TabLinks = Field(alias="_links")
    total: int = Field(ge=0)
    total_page: int = Field(ge=1)
    current_page: int = Field(ge=1)
    embedded: EmbeddedT = Field(alias="_embedded")

    embedded_key: ClassVar[str]
    """JSON name of the list inside `_embedded` (set on concrete pages)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        embedded = cls.model_fields["embedded"].annotation
        if isinstance(embedded, type) and issubclass(embedded, ApiModel):
            fields = embedded.model_fields
            if len(fields) == 1:
                name, info = next(iter(fields.items()))
                cls.embedded_key = info.alias or name

    @classmethod
    def from_items(
        cls,
        items: Sequence[Any],
        *,
        links: TabLinks,
        total: int,
        total_page: int = 1,
        current_page: int = 1,
    ) -> Self:
        """Build a page from its items (the page's slice, not the whole set)."""
        embedded_type = cast(type[ApiModel], cls.model_fields["embedded"].annotation)
        embedded = embedded_type.model_validate({cls.embedded_key: list(items)})
        return cls(
            links=links,
            total=total,
            total_page=total_page,
            current_page=current_page,
            embedded=embedded,
        )
