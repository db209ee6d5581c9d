"""The shapes of declared users, clients and vehicles, and of a scenario file.

One set of pydantic models serves the control API's request bodies
(``POST /simulator/v1/users`` ...) and the scenario files, and gives the scenario's
JSON schema.  Field names are the wire's (camelCase).
"""

from __future__ import annotations

import functools
import random
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StrictInt, StrictStr

from simulator.auth.models import ALL_SCOPES, check_redirect_uri
from simulator.bodies.rules import SPACE_CHARS, rfc3339
from simulator.config import DEFAULT_CLIENT_ID, DEFAULT_USER, RateLimit
from simulator.fleet import catalog
from simulator.fleet.generate import generate_vehicle, new_faker
from simulator.fleet.models import Motorization
from simulator.scenario.base import Name, SpecModel
from simulator.scenario.checks import script_problems
from simulator.scenario.script import (
    CallbackDecl,
    Expectation,
    Label,
    MonitorDecl,
    Offset,
    Point,
    ReceiverDecl,
    Step,
)

if TYPE_CHECKING:  # faker is imported where a fleet is made: start-up stays fast
    from faker import Faker

__all__ = [
    "ClientSpec",
    "Problem",
    "Scenario",
    "UserSpec",
    "VehicleGroup",
    "VehicleSpec",
    "check_redirect_uri",
]

Problem = tuple[tuple[str | int, ...], str]
"""Where (a path into the document) and what."""


EMAIL_SCHEMA = {"pattern": "^[^@]+@.+$", "not": {"pattern": f"[{SPACE_CHARS}]"}}
"""What :func:`_email` accepts: a name, "@", a domain, no white space."""


def _email(value: str) -> str:
    local, at, domain = value.partition("@")
    if not at or not local or not domain or any(c.isspace() for c in value):
        raise ValueError("must be an e-mail address (name@domain)")
    return value


def _scope(value: str) -> str:
    if value not in ALL_SCOPES:
        raise ValueError(f"unknown scope {value!r}; known: {' '.join(ALL_SCOPES)}")
    return value


def _names(lookup: str) -> list[str]:
    """What :func:`_known` knows (it also takes a brand's or city's slug, any case)."""
    if lookup == "brand":
        return [brand.name for brand in catalog.BRANDS]
    if lookup == "city":
        return [city.name for city in catalog.CITIES]
    return [str(m) for m in Motorization]


def _known(lookup: str) -> AfterValidator:
    def check(value: str) -> str:
        try:
            if lookup == "brand":
                catalog.brand_by_name(value)
            elif lookup == "city":
                catalog.city_by_name(value)
            else:
                Motorization(value)
        except (KeyError, ValueError):
            raise ValueError(f"unknown {lookup} {value!r}") from None
        return value

    return AfterValidator(check)


def _enum(lookup: str) -> Any:
    """Documents :func:`_known`: motorizations are exact; a brand or city is also known by
    its slug, in any case, accents optional (said in words: no enum can list them)."""
    names = _names(lookup)
    if lookup == "motorization":
        schema: dict[str, Any] = {"enum": names}
        return Field(json_schema_extra=schema)
    listed = ", ".join(names)
    return Field(description=f"one of {listed} (or its slug; any case, accents optional)")


Email = Annotated[
    StrictStr, AfterValidator(_email), Field(max_length=254, json_schema_extra=EMAIL_SCHEMA)
]
Secret = Annotated[StrictStr, Field(min_length=1, max_length=1024)]
Scope = Annotated[
    StrictStr, AfterValidator(_scope), Field(json_schema_extra={"enum": list(ALL_SCOPES)})
]
RedirectUri = Annotated[StrictStr, AfterValidator(check_redirect_uri), Field(max_length=2048)]
ClientId = Annotated[
    StrictStr, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._~:@+-]+$")
]


class UserSpec(SpecModel):
    """A user who can log in (password grant or login page) and own vehicles."""

    email: Email
    password: Secret
    firstName: Name = ""
    lastName: Name = ""


class ClientSpec(SpecModel):
    """An OAuth client; ``scopes`` defaults to every scope."""

    clientId: ClientId
    clientSecret: Secret
    name: Name | None = None
    redirectUris: list[RedirectUri] = Field(default_factory=list)
    scopes: list[Scope] = Field(default_factory=lambda: list(ALL_SCOPES))
    autoConsent: StrictBool = False
    allowLocalhostRedirects: StrictBool = False
    defaultUser: Email | None = None


class VehicleSpec(SpecModel):
    """One generated vehicle; the optional fields narrow the random choices."""

    owner: Email
    brand: Annotated[StrictStr, _known("brand"), _enum("brand")] | None = None
    model: Name | None = None
    motorization: Annotated[StrictStr, _known("motorization"), _enum("motorization")] | None = None
    city: Annotated[StrictStr, _known("city"), _enum("city")] | None = None
    seed: Annotated[StrictInt, Field(ge=0, le=2**63 - 1)] | None = None

    def problem(self) -> tuple[str, str] | None:
        """(field, message) when the catalog has no vehicle of this description."""
        try:
            generate_vehicle(
                random.Random(0),
                _dry_run_faker(),
                self.owner,
                _DRY_RUN_NOW,
                brand=self.brand,
                model=self.model,
                motorization=self.motorization,
                city=self.city,
            )
        except ValueError as exc:
            return self.explain(exc)
        return None

    def explain(self, exc: ValueError) -> tuple[str, str]:
        """(field, message) for the ``ValueError`` of ``generate_vehicle`` on this spec."""
        message = str(exc).strip('"')
        if "do not live in" in message:
            return "city", message
        return (
            "model" if self.model else "motorization" if self.motorization else "brand"
        ), message


class VehicleGroup(VehicleSpec):
    """``count`` vehicles of one description (a scenario's ``vehicles`` entry)."""

    count: Annotated[StrictInt, Field(ge=1, le=1000)] = 1
    name: Label | None = Field(
        default=None, description="the vehicle's name in the file (then count must be 1)"
    )
    state: dict[str, Any] | None = Field(
        default=None,
        description="the control API's state body, set at the start; position may name a place",
    )


def _rate_limit(value: str) -> str:
    RateLimit.parse(value)
    return value


def _start(value: object) -> object:
    if isinstance(value, datetime):  # YAML may read a timestamp itself
        if value.tzinfo is None:
            raise ValueError("start must have an offset, such as 2026-03-02T06:30:00+01:00")
        return value
    return rfc3339(value)


class Scenario(SpecModel):
    """A scenario file: who exists, with which clients and vehicles, and the rate limit;
    then what it scripts (places, receivers, callbacks, monitors, a timeline) and what
    must follow (``expect``).

    If ``users`` is not empty they replace the demo user, client and fleet; otherwise
    the clients and vehicles are added to them.
    """

    start: Annotated[datetime, BeforeValidator(_start)] | None = Field(
        default=None,
        description="the simulated start (RFC 3339 with offset); default: the wall clock",
        json_schema_extra={"type": "string", "format": "date-time"},
    )
    life: StrictBool | None = Field(
        default=None, description="the living fleet runs (default: true for serve, false for run)"
    )
    users: list[UserSpec] = Field(default_factory=list)
    clients: list[ClientSpec] = Field(default_factory=list)
    vehicles: list[VehicleGroup] = Field(default_factory=list)
    rateLimit: Annotated[StrictStr, AfterValidator(_rate_limit)] | None = Field(
        default=None, description="DAY/BURST, e.g. 100000/100; --rate-limit wins over it"
    )
    places: dict[Label, Point] = Field(
        default_factory=dict, description="named points, usable wherever a position is asked"
    )
    receivers: list[ReceiverDecl] = Field(default_factory=list)
    callbacks: list[CallbackDecl] = Field(default_factory=list)
    monitors: list[MonitorDecl] = Field(default_factory=list)
    timeline: list[Step] = Field(default_factory=list)
    expect: list[Expectation] = Field(default_factory=list)
    until: Offset | None = Field(
        default=None,
        description="how long the run goes (default: the last step or within, the later)",
    )

    @property
    def scripted(self) -> bool:
        """Something to play: receivers, callbacks, monitors, a timeline or expectations."""
        return bool(
            self.receivers or self.callbacks or self.monitors or self.timeline or self.expect
        )

    @property
    def duration(self) -> timedelta:
        """How long a run plays: ``until``, else the last step or deadline."""
        if self.until is not None:
            return self.until
        moments = [step.at for step in self.timeline]
        moments += [e.within for e in self.expect if e.within is not None]
        moments += [e.after for e in self.expect if e.after is not None]
        return max(moments, default=timedelta(0))

    @property
    def rate_limit(self) -> RateLimit | None:
        return RateLimit.parse(self.rateLimit) if self.rateLimit is not None else None

    @property
    def keeps_demo(self) -> bool:
        return not self.users

    def problems(self) -> list[Problem]:
        """What the field checks cannot see: duplicates, unknown users, impossible vehicles,
        names that refer to nothing."""
        found = self._declaration_problems()
        if not found:
            found = script_problems(self)
        return found

    def _declaration_problems(self) -> list[Problem]:
        found: list[Problem] = []
        emails = {DEFAULT_USER} if self.keeps_demo else set()
        for i, user in enumerate(self.users):
            key = user.email.lower()
            if key in emails:
                found.append((("users", i, "email"), f"user {user.email} is declared twice"))
            emails.add(key)
        client_ids = {DEFAULT_CLIENT_ID} if self.keeps_demo else set()
        for i, client in enumerate(self.clients):
            if client.clientId in client_ids:
                found.append(
                    (("clients", i, "clientId"), f"client {client.clientId} is declared twice")
                )
            client_ids.add(client.clientId)
            if client.defaultUser is not None and client.defaultUser.lower() not in emails:
                found.append(
                    (("clients", i, "defaultUser"), f"no user {client.defaultUser} is declared")
                )
        seeds: dict[int, int] = {}
        for i, group in enumerate(self.vehicles):
            if group.seed is not None:
                if group.seed in seeds:
                    found.append(
                        (
                            ("vehicles", i, "seed"),
                            f"seed already used by vehicles[{seeds[group.seed]}]",
                        )
                    )
                seeds.setdefault(group.seed, i)
            if group.owner.lower() not in emails:
                found.append((("vehicles", i, "owner"), f"no user {group.owner} is declared"))
            problem = group.problem()
            if problem is not None:
                found.append((("vehicles", i, problem[0]), problem[1]))
            if group.name is not None and group.count != 1:
                found.append((("vehicles", i, "count"), "a named vehicle has count 1"))
        return found


_DRY_RUN_NOW = datetime(2026, 1, 1, tzinfo=UTC)


@functools.cache
def _dry_run_faker() -> Faker:
    return new_faker()
