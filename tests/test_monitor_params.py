"""Monitor bodies: what is accepted in both forms, and the 400 naming the field for each rule
broken (parse_monitor directly, and the JSON error body through the running server)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from conftest import API, ApiClient

from simulator.errors import InvalidField
from simulator.monitors.geometry import Circle, Polygon
from simulator.monitors.params import DataSpec, TimeSpec, ZoneSpec, parse_monitor

CIRCLE = {"center": {"longitude": 2.35, "latitude": 48.85}, "radius": 2}
SQUARE = [[2.30, 48.80], [2.40, 48.80], [2.40, 48.90], [2.30, 48.90]]


def body(*triggers: dict[str, Any], expression: str | None = None, **extra: Any) -> dict[str, Any]:
    names = [t["name"] for t in triggers]
    param: dict[str, Any] = {"triggers": list(triggers)}
    param["boolExp"] = expression if expression is not None else " & ".join(names)
    return {"label": "m", "triggerParam": param, **extra}


def zone(name: str = "z", **shape: Any) -> dict[str, Any]:
    return {"name": name, "zone": {"transition": "In", **(shape or {"place": CIRCLE})}}


def data(name: str = "d", **trigger: Any) -> dict[str, Any]:
    return {"name": name, "data": trigger}


def time_trigger(name: str = "t", **entry: Any) -> dict[str, Any]:
    return {"name": name, "time": {"times": [entry]}}


LEGACY_HOOK = {"callback": {"target": "https://example.com/hook", "name": "old"}}


# ------------------------------------------------------------------ accepted
def test_every_spelling_of_a_zone() -> None:
    for shape in (
        {"place": CIRCLE},
        {"circle": CIRCLE},
        {"place": {"type": "ExtCircle", "coordinates": CIRCLE}},
        {"place": {"type": "Polygon", "coordinates": SQUARE}},
        {"polygon": {"type": "Polygon", "coordinates": [[*SQUARE, SQUARE[0]]]}},  # GeoJSON
    ):
        spec = parse_monitor(body(zone(**shape)), legacy=False)
        trigger = spec.triggers[0]
        assert isinstance(trigger, ZoneSpec)
        kind = Polygon if "Polygon" in str(shape) else Circle
        assert isinstance(trigger.shape, kind)


def test_canonical_echo_and_routing() -> None:
    spec = parse_monitor(
        body(
            zone("home"),
            time_trigger("night", recurrence="Daily", start="PT23H", duration="PT6H"),
            data("fuel", data="vehicle.energy.fuel.level", op="lowerThan", value=["10"]),
            expression="(home | !night) & fuel",
            subscribeParam={
                "refreshEvent": 120,
                "callbackAttributes": {"webhook": [{"type": "Header", "key": "X-A", "value": "1"}]},
            },
            attributes=[{"type": "Body", "key": "who", "value": "$MonitorLabel"}],
            extendedEventParam=["vehicle.position", "vehicle.telemetry.vehicle.engines"],
        ),
        legacy=False,
    )
    assert [type(t) for t in spec.triggers] == [ZoneSpec, TimeSpec, DataSpec]
    assert spec.refresh_s == 120 and spec.inline is None
    assert spec.expression([True, True, True]) and not spec.expression([False, True, True])
    assert spec.monitor["triggerParam"]["boolExp"] == "(home | !night) & fuel"
    assert spec.monitor["subscribeParam"]["callbackAttributes"]["webhook"][0]["key"] == "X-A"
    assert spec.extended == ("vehicle.position", "vehicle.telemetry.vehicle.engines")


def test_older_form() -> None:
    legacy = {
        "label": "old",
        "subscribeParam": {
            **LEGACY_HOOK,
            "batchNotify": {"size": 10, "timeWindow": 60},
            "retryPolicy": {"policy": "Bounded", "maxRetryNumber": 3, "retryDelay": 30},
            "refreshEvent": 60.0,
        },
        "triggerParam": {
            "dataTriggers": [{"data": "vehicle.speed", "op": "eqaualsTo", "value": 130}],
            "timeZoneTriggers": {"zoneTrigger": {"transition": "Out", "place": CIRCLE}},
        },
    }
    spec = parse_monitor(legacy, legacy=True)
    assert spec.inline is not None and spec.inline.target == "https://example.com/hook"
    assert spec.retry.policy == "Bounded" and spec.retry.max_retries == 3
    assert spec.retry.delay == 30.0
    assert spec.batch is not None and spec.batch.size == 10
    assert spec.refresh_s == 60
    assert spec.monitor["triggerParam"]["boolExp"] == "data1 & zone"
    first = spec.triggers[0]
    assert isinstance(first, DataSpec)
    assert first.field.name == "vehicle.kinetic.speed" and first.op == "equalsTo"


# ------------------------------------------------------------------ refused
def _mutate(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    parts = path.split(".")
    target: Any = doc
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    if value is _DELETE:
        del target[int(last) if last.isdigit() else last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return doc


_DELETE = object()
ZONE_BODY = body(zone())
DATA_BODY = body(data(data="vehicle.kinetic.speed", op="greaterThan", value=["100"]))
TIME_BODY = body(time_trigger(recurrence="Daily", start="PT23H", duration="PT6H"))

BAD: list[tuple[str, dict[str, Any], str]] = [
    ("no label", _mutate(ZONE_BODY, "label", _DELETE), "label"),
    ("no trigger kind", body({"name": "x"}), "triggerParam.triggers.0"),
    ("two kinds", body({"name": "x", "zone": {}, "data": {}}), "triggerParam.triggers.0"),
    ("bad name", body({**zone(), "name": "1z"}), "triggerParam.triggers.0.name"),
    (
        "duplicate name",
        body(zone(), zone(), expression="z"),
        "triggerParam.triggers.1.name",
    ),
    (
        "six triggers",
        body(*[zone(f"z{i}") for i in range(6)]),
        "triggerParam.triggers",
    ),
    (
        "polygon of two points",
        body(zone(polygon={"type": "Polygon", "coordinates": SQUARE[:2]})),
        "triggerParam.triggers.0.zone.polygon.coordinates",
    ),
    (
        "polygon point not a pair",
        body(zone(polygon={"type": "Polygon", "coordinates": [[2.3], *SQUARE[1:]]})),
        "triggerParam.triggers.0.zone.polygon.coordinates.0",
    ),
    (
        "radius zero",
        _mutate(ZONE_BODY, "triggerParam.triggers.0.zone.place.radius", 0),
        "triggerParam.triggers.0.zone.place.radius",
    ),
    (
        "radius too large",
        _mutate(ZONE_BODY, "triggerParam.triggers.0.zone.place.radius", 5000),
        "triggerParam.triggers.0.zone.place.radius",
    ),
    (
        "latitude out of range",
        _mutate(ZONE_BODY, "triggerParam.triggers.0.zone.place.center.latitude", 91),
        "triggerParam.triggers.0.zone.place.center.latitude",
    ),
    (
        "bad transition",
        _mutate(ZONE_BODY, "triggerParam.triggers.0.zone.transition", "Inside"),
        "triggerParam.triggers.0.zone.transition",
    ),
    (
        "daily start past midnight",
        _mutate(TIME_BODY, "triggerParam.triggers.0.time.times.0.start", "PT25H"),
        "triggerParam.triggers.0.time.times.0.start",
    ),
    (
        "daily without duration",
        _mutate(TIME_BODY, "triggerParam.triggers.0.time.times.0.duration", _DELETE),
        "triggerParam.triggers.0.time.times.0.duration",
    ),
    (
        "duration not ISO 8601",
        _mutate(TIME_BODY, "triggerParam.triggers.0.time.times.0.duration", "6 hours"),
        "triggerParam.triggers.0.time.times.0.duration",
    ),
    (
        "occurence with no recurrence",
        body(
            time_trigger(
                recurrence="None", start="2026-01-01T00:00:00Z", occurence={"day": ["Mon"]}
            )
        ),
        "triggerParam.triggers.0.time.times.0.occurence",
    ),
    (
        "absolute start not RFC 3339",
        body(time_trigger(recurrence="None", start="tomorrow")),
        "triggerParam.triggers.0.time.times.0.start",
    ),
    (
        "unknown time zone",
        _mutate(TIME_BODY, "triggerParam.triggers.0.time.timeZone", "Mars/Olympus"),
        "triggerParam.triggers.0.time.timeZone",
    ),
    (
        "bad day",
        body(time_trigger(start="PT8H", duration="PT1H", occurence={"day": ["Monday"]})),
        "triggerParam.triggers.0.time.times.0.occurence.day.0",
    ),
    (
        "unknown data",
        _mutate(DATA_BODY, "triggerParam.triggers.0.data.data", "vehicle.colour"),
        "triggerParam.triggers.0.data.data",
    ),
    (
        "unknown operator",
        _mutate(DATA_BODY, "triggerParam.triggers.0.data.op", "above"),
        "triggerParam.triggers.0.data.op",
    ),
    (
        "operator not allowed for the data",
        body(data(data="vehicle.doorsState.opening", op="greaterThan", value=["1"])),
        "triggerParam.triggers.0.data.op",
    ),
    (
        "number expected",
        _mutate(DATA_BODY, "triggerParam.triggers.0.data.value", ["fast"]),
        "triggerParam.triggers.0.data.value.0",
    ),
    (
        "integer expected",
        body(data(data="vehicle.energy.fuel.level", op="lowerThan", value=["9.5"])),
        "triggerParam.triggers.0.data.value.0",
    ),
    (
        "boolean expected",
        body(data(data="vehicle.kinetic.moving", op="equalsTo", value=["yes"])),
        "triggerParam.triggers.0.data.value.0",
    ),
    (
        "enum value unknown",
        body(data(data="vehicle.energy.charging.status", op="equalsTo", value=["Charging"])),
        "triggerParam.triggers.0.data.value.0",
    ),
    (
        "onChange with a value",
        body(data(data="vehicle.kinetic.moving", op="onChange", value=["true"])),
        "triggerParam.triggers.0.data.value",
    ),
    (
        "two values for greaterThan",
        _mutate(DATA_BODY, "triggerParam.triggers.0.data.value", ["1", "2"]),
        "triggerParam.triggers.0.data.value",
    ),
    (
        "previous not allowed",
        body(
            data(
                data="vehicle.kinetic.speed",
                op="greaterThan",
                value=["1"],
                previous={"op": "equalsTo", "value": ["0"]},
            )
        ),
        "triggerParam.triggers.0.data.previous.op",
    ),
    (
        "boolExp missing",
        _mutate(ZONE_BODY, "triggerParam.boolExp", _DELETE),
        "triggerParam.boolExp",
    ),
    (
        "boolExp undeclared",
        _mutate(ZONE_BODY, "triggerParam.boolExp", "z & y"),
        "triggerParam.boolExp",
    ),
    (
        "boolExp always true",
        _mutate(ZONE_BODY, "triggerParam.boolExp", "z | !z"),
        "triggerParam.boolExp",
    ),
    ("boolExp syntax", _mutate(ZONE_BODY, "triggerParam.boolExp", "(z"), "triggerParam.boolExp"),
    (
        "triggers mixed with dataTriggers",
        _mutate(ZONE_BODY, "triggerParam.dataTriggers", []),
        "triggerParam",
    ),
    (
        "refreshEvent under 60 s",
        {**ZONE_BODY, "subscribeParam": {"refreshEvent": 30}},
        "subscribeParam.refreshEvent",
    ),
    (
        "unknown extension",
        {**ZONE_BODY, "extendedEventParam": ["vehicle.colour"]},
        "extendedEventParam.0",
    ),
    (
        "header injection in an attribute",
        {**ZONE_BODY, "attributes": [{"type": "Header", "key": "X-A", "value": "a\r\nX-B: b"}]},
        "attributes.0.value",
    ),
    (
        "unknown variable",
        {**ZONE_BODY, "attributes": [{"type": "Header", "key": "X-A", "value": "$RemoteType"}]},
        "attributes.0.value",
    ),
]

LEGACY_BAD: list[tuple[str, dict[str, Any], str]] = [
    ("no webhook", ZONE_BODY, "subscribeParam.callback"),
    (
        "http webhook",
        {**ZONE_BODY, "subscribeParam": {"callback": {"target": "http://x.test/h", "name": "n"}}},
        "subscribeParam.callback.target",
    ),
    (
        "retry count out of range",
        {
            **ZONE_BODY,
            "subscribeParam": {
                **LEGACY_HOOK,
                "retryPolicy": {"policy": "Bounded", "maxRetryNumber": 0},
            },
        },
        "subscribeParam.retryPolicy.maxRetryNumber",
    ),
    (
        "bounded without a count",
        {**ZONE_BODY, "subscribeParam": {**LEGACY_HOOK, "retryPolicy": {"policy": "Bounded"}}},
        "subscribeParam.retryPolicy.maxRetryNumber",
    ),
    (
        "unknown retry policy",
        {**ZONE_BODY, "subscribeParam": {**LEGACY_HOOK, "retryPolicy": {"policy": "Sometimes"}}},
        "subscribeParam.retryPolicy.policy",
    ),
    (
        "batch size out of range",
        {
            **ZONE_BODY,
            "subscribeParam": {**LEGACY_HOOK, "batchNotify": {"size": 0, "timeWindow": 60}},
        },
        "subscribeParam.batchNotify.size",
    ),
    (
        "batch window out of range",
        {
            **ZONE_BODY,
            "subscribeParam": {**LEGACY_HOOK, "batchNotify": {"size": 10, "timeWindow": 5}},
        },
        "subscribeParam.batchNotify.timeWindow",
    ),
]


@pytest.mark.parametrize(("case", "doc", "field"), BAD, ids=[c for c, _, _ in BAD])
def test_refused_naming_the_field(case: str, doc: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidField) as caught:
        parse_monitor(doc, legacy=False)
    assert caught.value.debug == field, caught.value.message


@pytest.mark.parametrize(("case", "doc", "field"), LEGACY_BAD, ids=[c for c, _, _ in LEGACY_BAD])
def test_older_form_refused_naming_the_field(case: str, doc: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidField) as caught:
        parse_monitor(doc, legacy=True)
    assert caught.value.debug == field, caught.value.message


def test_boolexp_error_names_the_position() -> None:
    with pytest.raises(InvalidField) as caught:
        parse_monitor(_mutate(ZONE_BODY, "triggerParam.boolExp", "z & )"), legacy=False)
    assert "position 4" in caught.value.message


def test_errors_through_the_server(api: ApiClient) -> None:
    vid = api.vehicle_ids()[0]
    for doc, field in (
        (BAD[8][1], BAD[8][2]),  # radius zero
        ("not an object", "body"),
    ):
        answer = api.raw(
            "POST",
            f"{API}/user/vehicles/{vid}/monitors",
            params={"client_id": "demo-client"},
            headers=api.headers(),
            json=doc,
        )
        assert answer.status_code == 400, answer.text
        error = answer.json()
        assert error["code"] == 40001 and error["debug"] == field
    answer = api.raw(
        "POST",
        f"{API}/user/vehicles/{vid}/monitors",
        params={"client_id": "demo-client"},
        headers={**api.headers(), "Content-Type": "application/json"},
        data=b"{not json",
    )
    assert answer.status_code == 400 and answer.json()["code"] == 40002
    unknown = api.raw(
        "GET",
        f"{API}/user/vehicles/{vid}/monitors/nope",
        params={"client_id": "demo-client"},
        headers=api.headers(),
    )
    assert unknown.status_code == 404
    other = api.raw(
        "GET",
        f"{API}/user/vehicles/not-mine/monitors",
        params={"client_id": "demo-client"},
        headers=api.headers(),
    )
    assert other.status_code == 403


@pytest.mark.parametrize(
    "doc",
    [
        body(
            zone("home"),
            zone("u", polygon={"type": "Polygon", "coordinates": SQUARE}),
            time_trigger("night", recurrence="Daily", start="PT23H", duration="PT6H"),
            time_trigger("once", recurrence="None", start="2026-01-01T00:00:00+01:00"),
            data(
                "plug",
                data="vehicle.energy.charging.plugged",
                op="equalsTo",
                value=["false"],
                previous={"op": "equalsTo", "value": ["true"]},
            ),
            expression="home & !u | night & once | plug",
            subscribeParam={"refreshEvent": 90},
            extendedEventParam=["vehicle.alerts"],
        ),
        {
            "label": "old",
            "subscribeParam": {
                **LEGACY_HOOK,
                "batchNotify": {"size": 3, "timeWindow": 120},
                "retryPolicy": {"policy": "Always"},
            },
            "triggerParam": {"dataTriggers": [{"data": "vehicle.moving", "op": "onChange"}]},
        },
    ],
)
def test_the_canonical_form_parses_to_itself(doc: dict[str, Any]) -> None:
    """What GET serves (and --data-dir stores) is accepted again, unchanged."""
    legacy = "callback" in doc.get("subscribeParam", {})
    first = parse_monitor(doc, legacy=legacy)
    again = parse_monitor(first.monitor, legacy=legacy)
    assert again.monitor == first.monitor
    assert again.retry == first.retry and again.batch == first.batch
    assert [type(t) for t in again.triggers] == [type(t) for t in first.triggers]
