"""``parse_remote``: every action in every accepted spelling, and every bad body the spec lists."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.errors import ErrorCode, InvalidField
from simulator.fleet.enums import Recurrence, Weekday
from simulator.remotes.commands import (
    ACTION_KEYS,
    REMOTE_TYPES,
    SCOPES,
    WIRE_KEYS,
    ActionName,
    Charging,
    Doors,
    Navigation,
    Preconditioning,
    RemoteCommand,
    WakeUp,
    parse_remote,
)

SET_PROGRAM: dict[str, Any] = {
    "recurrence": "Daily",
    "start": "PT14H30M",
    "occurence": {"day": ["Mon"]},
    "slot": 0,
    "enabled": True,
}
"""The seed's preconditioning program."""


def _program(**changes: Any) -> dict[str, Any]:
    program = {**SET_PROGRAM, "slot": 1}
    program.update(changes)
    return {k: v for k, v in program.items() if v is not ...}


def _precond(*programs: dict[str, Any], **conditioning: Any) -> dict[str, Any]:
    air: dict[str, Any] = dict(conditioning)
    if programs:
        air["programs"] = list(programs)
    return {"preconditioning": {"airConditioning": air}}


def _charge_program(**changes: Any) -> dict[str, Any]:
    program: dict[str, Any] = {
        "slot": 1,
        "enabled": True,
        "start": "PT22H",
        "end": "PT6H",
        "occurence": {"day": ["Mon", "Fri"]},
    }
    program.update(changes)
    return program


def _point(*coordinates: Any, kind: str = "Point") -> dict[str, Any]:
    return {"type": kind, "coordinates": list(coordinates)}


def _nav(*positions: Any, **extra: Any) -> dict[str, Any]:
    return {"navigation": {"positions": list(positions), **extra}}


HORN = {"horn": {"state": "Activated"}}


def invalid(body: Any) -> InvalidField:
    with pytest.raises(InvalidField) as caught:
        parse_remote(body)
    error = caught.value
    assert error.code is ErrorCode.INVALID_FIELD
    assert error.status == 400
    assert error.debug is not None
    assert error.message.startswith(error.debug), error.message
    return error


# ------------------------------------------------------------------ tables
def test_tables_cover_every_action() -> None:
    actions = set(get_args(ActionName))
    assert set(REMOTE_TYPES) == set(SCOPES) == set(WIRE_KEYS) == actions
    assert set(ACTION_KEYS.values()) == actions
    assert all(
        scope.startswith("remote:") and scope.endswith(":write") for scope in SCOPES.values()
    )
    assert REMOTE_TYPES["immobilization"] == "Immobilization"
    assert REMOTE_TYPES["stolen"] == "Stolen"
    assert SCOPES["immobilization"] == SCOPES["stolen"] == "remote:door:write"


# ------------------------------------------------------------------ valid bodies
VALID: list[tuple[str, dict[str, Any], ActionName, str, dict[str, Any]]] = [
    # (id, body, action, canonical key, canonical action object)
    (
        "seed-preonditionning",
        {
            "label": "string",
            "preonditionning": {"airConditioning": {"immediate": False, "programs": [SET_PROGRAM]}},
        },
        "preconditioning",
        "preconditioning",
        {
            "airConditioning": {
                "immediate": False,
                "programs": [{**SET_PROGRAM, "actionsType": "Set"}],
            }
        },
    ),
    (
        "seed-preconditionning",
        {"preconditionning": {"airConditioning": {"immediate": True}}},
        "preconditioning",
        "preconditioning",
        {"airConditioning": {"immediate": True}},
    ),
    (
        "reference-preconditioning",
        _precond(
            _program(slot=4, recurrence=..., occurence={"day": ["Sun", "Mon", "Sun"]}),
            _program(slot=2, actionsType="Delete", enabled=..., start=..., occurence=...),
        ),
        "preconditioning",
        "preconditioning",
        {
            "airConditioning": {
                "programs": [
                    {
                        "slot": 4,
                        "enabled": True,
                        "recurrence": "Daily",
                        "start": "PT14H30M",
                        "occurence": {"day": ["Mon", "Sun"]},
                        "actionsType": "Set",
                    },
                    {"slot": 2, "actionsType": "Delete"},
                ]
            }
        },
    ),
    (
        "immobilization",
        {"immobilization": {"activate": True}},
        "immobilization",
        "immobilization",
        {"activate": True},
    ),
    (
        "door",
        {"door": {"state": "Unlocked"}},
        "door",
        "door",
        {"state": "Unlocked", "forced": False},
    ),
    (
        "door-forced",
        {"door": {"state": "Locked", "forced": True}},
        "door",
        "door",
        {"state": "Locked", "forced": True},
    ),
    ("horn", {"horn": {"state": "Activated"}}, "horn", "horn", {"state": "Activated"}),
    ("horn-off", {"horn": {"state": "Unactivated"}}, "horn", "horn", {"state": "Unactivated"}),
    (
        "seed-charging",
        {"charging": {"nextDelayedTime": "2024-05-01T22:00:00Z", "immediate": False}},
        "charging",
        "charging",
        {"immediate": False, "schedule": {"nextDelayedTime": "2024-05-01T22:00:00Z"}},
    ),
    (
        "charging-stop",
        {"charging": {"immediate": False}},
        "charging",
        "charging",
        {"immediate": False},
    ),
    (
        "charging-schedule-time",
        {"charging": {"schedule": {"nextDelayedTime": "2024-05-01T22:00:00.5+02:00"}}},
        "charging",
        "charging",
        {"schedule": {"nextDelayedTime": "2024-05-01T22:00:00.500000+02:00"}},
    ),
    (
        "charging-schedule-programs",
        {"charging": {"immediate": True, "schedule": {"programs": [_charge_program()]}}},
        "charging",
        "charging",
        {"immediate": True, "schedule": {"programs": [_charge_program()]}},
    ),
    (
        "charging-preferences",
        {"charging": {"preferences": {"level": "Level3", "type": "Full"}}},
        "charging",
        "charging",
        {"preferences": {"level": "Level3", "type": "Full"}},
    ),
    ("stolen", {"stolen": {"stolen": True}}, "stolen", "stolen", {"stolen": True}),
    ("lights", {"lights": {"on": False}}, "lights", "lights", {"on": False}),
    ("seed-ligths", {"ligths": {"on": True}}, "lights", "lights", {"on": True}),
    ("seed-state", {"state": {"action": "state"}}, "wakeup", "wakeUp", {"action": "WakeUp"}),
    ("state-default", {"state": {}}, "wakeup", "wakeUp", {"action": "WakeUp"}),
    ("wakeUp", {"wakeUp": {"action": "WakeUp"}}, "wakeup", "wakeUp", {"action": "WakeUp"}),
    ("wakeUp-default", {"wakeUp": {}}, "wakeup", "wakeUp", {"action": "WakeUp"}),
    (
        "seed-navigation",
        _nav(_point(5.970338, -62.536239), driverApproval=True),
        "navigation",
        "navigation",
        {"positions": [_point(5.970338, -62.536239)], "driverApproval": True},
    ),
    (
        "navigation-ten-points",
        _nav(*[_point(i, -i, 100) for i in range(10)]),
        "navigation",
        "navigation",
        {
            "positions": [_point(float(i), float(-i), 100.0) for i in range(10)],
            "driverApproval": False,
        },
    ),
]


@pytest.mark.parametrize(
    ("body", "action", "key", "expected"),
    [case[1:] for case in VALID],
    ids=[case[0] for case in VALID],
)
def test_valid_action(
    body: dict[str, Any], action: ActionName, key: str, expected: dict[str, Any]
) -> None:
    original = copy.deepcopy(body)
    command = parse_remote(body)
    assert isinstance(command, RemoteCommand)
    assert body == original  # the input is not touched
    assert command.action == action
    assert command.remote_type == REMOTE_TYPES[action]
    assert command.scope == SCOPES[action]
    assert command.remote[key] == expected
    assert command.remote["attributes"] == []
    assert set(command.remote) - {"label", "attributes", "callbackAttributes"} == {key}
    assert command.label == body.get("label")
    # the canonical request is JSON and is itself a valid body with the same canonical form
    assert json.loads(json.dumps(command.remote)) == command.remote
    again = parse_remote(command.remote)
    assert again.remote == command.remote
    assert again.params == command.params


@pytest.mark.parametrize(("key", "action"), sorted(ACTION_KEYS.items()))
def test_every_accepted_key_is_read(key: str, action: ActionName) -> None:
    by_action = {case[2]: case[1] for case in VALID}
    body = next(iter(v for k, v in by_action[action].items() if k != "label"))
    if key == "state":
        body = {"action": "state"}
    command = parse_remote({key: body})
    assert command.action == action
    assert WIRE_KEYS[action] in command.remote


def test_unknown_members_inside_an_action_are_ignored() -> None:
    command = parse_remote({"door": {"state": "Locked", "speed": 3}, "label": "x"})
    assert command.remote == {
        "label": "x",
        "attributes": [],
        "door": {"state": "Locked", "forced": False},
    }


def test_preconditioning_params() -> None:
    command = parse_remote(
        _precond(
            _program(slot=3, start="PT6H5M30S", occurence={"day": ["Sun", "Wed", "Wed"]}),
            _program(slot=1, actionsType="Delete", start=..., enabled=..., occurence=...),
            immediate=True,
        )
    )
    params = command.params
    assert isinstance(params, Preconditioning)
    assert params.immediate is True
    assert params.programs is not None
    set_, delete = params.programs
    assert set_.slot == 3 and set_.actions_type == "Set" and set_.enabled is True
    assert set_.start == timedelta(hours=6, minutes=5, seconds=30)
    assert set_.days == (Weekday.WED, Weekday.SUN)
    assert set_.recurrence is Recurrence.DAILY
    assert delete.slot == 1 and delete.actions_type == "Delete" and delete.start is None


def test_preconditioning_recurrence_none_is_kept() -> None:
    command = parse_remote(_precond(_program(recurrence="None")))
    programs = command.remote["preconditioning"]["airConditioning"]["programs"]
    assert programs[0]["recurrence"] == "None"


def test_charging_params() -> None:
    delayed = parse_remote({"charging": {"nextDelayedTime": "2024-05-01T22:00:00+02:00"}}).params
    assert isinstance(delayed, Charging)
    assert delayed.next_delayed_time == datetime(2024, 5, 1, 20, tzinfo=UTC)
    assert delayed.next_delayed_time.utcoffset() == timedelta(hours=2)
    assert delayed.programs is None and delayed.preferences is None and delayed.immediate is None

    body = {"charging": {"schedule": {"programs": [_charge_program(end=None, slot=None)]}}}
    del body["charging"]["schedule"]["programs"][0]["end"]
    del body["charging"]["schedule"]["programs"][0]["slot"]
    scheduled = parse_remote(body).params
    assert isinstance(scheduled, Charging)
    assert scheduled.programs is not None
    (program,) = scheduled.programs
    assert program.start == timedelta(hours=22) and program.end is None and program.slot is None
    assert program.days == (Weekday.MON, Weekday.FRI)

    preferred = parse_remote({"charging": {"preferences": {"type": "Partial"}}}).params
    assert isinstance(preferred, Charging)
    assert preferred.preferences is not None
    assert preferred.preferences.type == "Partial" and preferred.preferences.level is None


def test_navigation_params() -> None:
    params = parse_remote(_nav(_point(2.35, 48.85), _point(5, 45.5, 212.5))).params
    assert isinstance(params, Navigation)
    assert params.driver_approval is False
    assert params.positions[0].coordinates == (2.35, 48.85)
    assert params.destination.longitude == 5.0
    assert params.destination.latitude == 45.5
    assert params.destination.altitude == 212.5


def test_simple_params_are_the_models() -> None:
    params = parse_remote({"door": {"state": "Locked", "forced": True}}).params
    assert params == Doors(state="Locked", forced=True)
    assert isinstance(parse_remote({"state": {"action": "state"}}).params, WakeUp)


def test_envelope_is_canonical() -> None:
    command = parse_remote(
        {
            "label": "remote_name",
            "attributes": [
                {"type": "Header", "key": "X-Vehicle_Id", "value": "$vin"},
                {"type": "Query", "key": "kind", "value": "$remoteType"},
                {"type": "Body", "key": "who", "value": "$RemoteLabel"},
            ],
            "callbackAttributes": {
                "webhook": [{"type": "Header", "key": "X-Status", "value": "$RemoteStatus"}],
                "websocket": [
                    {"type": "Header", "key": "k", "value": "$CallbackID"},
                    {"key": "j", "value": "v"},
                ],
                "pushnotif": [
                    {"key": "title", "value": "$CallbackLabel"},
                    {"type": "Body", "key": "b", "value": "x"},
                ],
            },
            **HORN,
        }
    )
    assert command.label == "remote_name"
    assert command.attributes == (
        {"type": "Header", "key": "X-Vehicle_Id", "value": "$vin"},
        {"type": "Query", "key": "kind", "value": "$remoteType"},
        {"type": "Body", "key": "who", "value": "$RemoteLabel"},
    )
    assert command.callback_attributes == {
        "webhook": ({"type": "Header", "key": "X-Status", "value": "$RemoteStatus"},),
        "websocket": (
            {"type": "Body", "key": "k", "value": "$CallbackID"},
            {"type": "Body", "key": "j", "value": "v"},
        ),
        "pushnotif": (
            {"type": "Header", "key": "title", "value": "$CallbackLabel"},
            {"type": "Body", "key": "b", "value": "x"},
        ),
    }
    assert command.remote == {
        "label": "remote_name",
        "attributes": [dict(a) for a in command.attributes],
        "callbackAttributes": {
            k: [dict(a) for a in v] for k, v in command.callback_attributes.items()
        },
        "horn": {"state": "Activated"},
    }


def test_envelope_defaults() -> None:
    command = parse_remote({**HORN, "label": None, "callbackAttributes": {"webhook": []}})
    assert command.label is None
    assert command.attributes == ()
    assert command.callback_attributes == {"webhook": ()}
    assert command.remote == {"attributes": [], "callbackAttributes": {"webhook": []}, **HORN}


# ------------------------------------------------------------------ durations and times
@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("PT14H30M", timedelta(hours=14, minutes=30)),
        ("PT0S", timedelta(0)),
        ("P0D", timedelta(0)),
        ("PT23H59M59S", timedelta(hours=23, minutes=59, seconds=59)),
        ("PT1439M", timedelta(minutes=1439)),
        ("PT0.5S", timedelta(milliseconds=500)),
        ("PT86399S", timedelta(seconds=86399)),
    ],
)
def test_start_durations(start: str, expected: timedelta) -> None:
    params = parse_remote(_precond(_program(start=start))).params
    assert isinstance(params, Preconditioning) and params.programs is not None
    assert params.programs[0].start == expected


BAD_DURATIONS = [
    "PT24H",
    "PT25H",
    "P1D",
    "PT1440M",
    "PT86400S",
    "P1W",
    "P1Y",
    "-PT1H",
    "14:30",
    "14:30:00",
    "PT",
    "P",
    "",
    "pt1h",
    "PT1H ",
    "PT1.5H",
    3600,
    1.5,
    True,
    None,
]


@pytest.mark.parametrize("start", BAD_DURATIONS, ids=repr)
def test_bad_preconditioning_start(start: Any) -> None:
    error = invalid(_precond(_program(slot=1), _program(slot=2, start=start)))
    assert error.debug == "preconditioning.airConditioning.programs.1.start"


@pytest.mark.parametrize("end", BAD_DURATIONS[:-1], ids=repr)
def test_bad_charge_program_end(end: Any) -> None:
    error = invalid({"charging": {"schedule": {"programs": [_charge_program(end=end)]}}})
    assert error.debug == "charging.schedule.programs.0.end"


@pytest.mark.parametrize(
    "when",
    [
        "2024-05-01T22:00:00Z",
        "2024-05-01t22:00:00z",
        "2024-05-01T22:00:00+02:00",
        "2024-05-01T22:00:00.123456-05:30",
        "2024-02-29T00:00:00+00:00",
    ],
)
def test_rfc3339_times(when: str) -> None:
    params = parse_remote({"charging": {"schedule": {"nextDelayedTime": when}}}).params
    assert isinstance(params, Charging)
    assert params.next_delayed_time is not None
    assert params.next_delayed_time.tzinfo is not None


@pytest.mark.parametrize(
    "when",
    [
        "2024-05-01T22:00:00",
        "2024-05-01 22:00:00Z",
        "2024-05-01",
        "22:00:00Z",
        "garbage",
        "",
        "2024-02-30T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2024-05-01T25:00:00Z",
        "2024-05-01T22:00:00+0200",
        "1714600800",
        1714600800,
        None,
    ],
    ids=repr,
)
@pytest.mark.parametrize("where", ["top", "schedule"])
def test_bad_rfc3339(when: Any, where: str) -> None:
    if where == "top":
        body: dict[str, Any] = {"charging": {"nextDelayedTime": when}}
        field = "charging.nextDelayedTime"
    else:
        body = {"charging": {"schedule": {"nextDelayedTime": when}}}
        field = "charging.schedule.nextDelayedTime"
    if when is None:
        # null is "not given": then nothing is asked
        field = "charging" if where == "top" else "charging.schedule"
    assert invalid(body).debug == field


# ------------------------------------------------------------------ bad bodies
INVALID: list[tuple[str, Any, str]] = [
    # the body and the action member
    ("not-an-object", [HORN], "body"),
    ("a-string", "horn", "body"),
    ("null", None, "body"),
    ("no-action", {}, "body"),
    ("only-envelope", {"label": "x", "attributes": [], "callbackAttributes": {}}, "body"),
    ("two-actions", {"horn": {"state": "Activated"}, "door": {"state": "Locked"}}, "door"),
    ("two-spellings", {"lights": {"on": True}, "ligths": {"on": True}}, "ligths"),
    ("state-and-wakeUp", {"state": {}, "wakeUp": {}}, "wakeUp"),
    ("unknown-action", {"honk": {"state": "Activated"}}, "honk"),
    ("unknown-after-action", {**HORN, "lable": "x"}, "lable"),
    ("wrong-case-action", {"Door": {"state": "Locked"}}, "Door"),
    ("action-not-object", {"door": "Locked"}, "door"),
    ("action-null", {"door": None}, "door"),
    ("action-list", {"door": [{"state": "Locked"}]}, "door"),
    # wrong types
    ("label-number", {**HORN, "label": 3}, "label"),
    ("label-crlf", {**HORN, "label": "a\r\nX-Evil: 1"}, "label"),
    ("attributes-object", {**HORN, "attributes": {}}, "attributes"),
    ("door-state-missing", {"door": {}}, "door.state"),
    ("door-forced-string", {"door": {"state": "Locked", "forced": "true"}}, "door.forced"),
    ("immobilization-string", {"immobilization": {"activate": "true"}}, "immobilization.activate"),
    ("immobilization-int", {"immobilization": {"activate": 1}}, "immobilization.activate"),
    ("immobilization-missing", {"immobilization": {}}, "immobilization.activate"),
    ("stolen-string", {"stolen": {"stolen": "yes"}}, "stolen.stolen"),
    ("lights-string", {"lights": {"on": "on"}}, "lights.on"),
    ("ligths-missing", {"ligths": {}}, "ligths.on"),
    ("charging-immediate-string", {"charging": {"immediate": "false"}}, "charging.immediate"),
    ("precond-immediate-int", _precond(immediate=0), "preconditioning.airConditioning.immediate"),
    (
        "navigation-approval-string",
        _nav(_point(1, 2), driverApproval="no"),
        "navigation.driverApproval",
    ),
    (
        "slot-string",
        _precond(_program(slot="1")),
        "preconditioning.airConditioning.programs.0.slot",
    ),
    ("slot-bool", _precond(_program(slot=True)), "preconditioning.airConditioning.programs.0.slot"),
    ("slot-float", _precond(_program(slot=1.0)), "preconditioning.airConditioning.programs.0.slot"),
    (
        "enabled-string",
        _precond(_program(enabled="true")),
        "preconditioning.airConditioning.programs.0.enabled",
    ),
    ("programs-object", _precond(programs={}), "preconditioning.airConditioning.programs"),
    (
        "day-not-list",
        _precond(_program(occurence={"day": "Mon"})),
        "preconditioning.airConditioning.programs.0.occurence.day",
    ),
    (
        "occurence-list",
        _precond(_program(occurence=["Mon"])),
        "preconditioning.airConditioning.programs.0.occurence",
    ),
    ("coordinates-strings", _nav(_point("1", "2")), "navigation.positions.0.coordinates.0"),
    ("coordinates-bool", _nav(_point(True, 2)), "navigation.positions.0.coordinates.0"),
    ("positions-object", {"navigation": {"positions": _point(1, 2)}}, "navigation.positions"),
    # unknown enum values
    ("door-state", {"door": {"state": "Open"}}, "door.state"),
    ("door-state-case", {"door": {"state": "locked"}}, "door.state"),
    ("horn-state", {"horn": {"state": "On"}}, "horn.state"),
    (
        "recurrence",
        _precond(_program(recurrence="Weekly")),
        "preconditioning.airConditioning.programs.0.recurrence",
    ),
    (
        "actionsType",
        _precond(_program(actionsType="Update")),
        "preconditioning.airConditioning.programs.0.actionsType",
    ),
    ("level", {"charging": {"preferences": {"level": "Level6"}}}, "charging.preferences.level"),
    ("charge-type", {"charging": {"preferences": {"type": "Half"}}}, "charging.preferences.type"),
    ("state-action", {"state": {"action": "WakeUp"}}, "state.action"),
    ("wakeUp-action", {"wakeUp": {"action": "state"}}, "wakeUp.action"),
    ("wakeUp-action-case", {"wakeUp": {"action": "wakeup"}}, "wakeUp.action"),
    (
        "attribute-type",
        {**HORN, "attributes": [{"type": "Cookie", "key": "k", "value": "v"}]},
        "attributes.0.type",
    ),
    (
        "ws-attribute-type",
        {
            **HORN,
            "callbackAttributes": {"websocket": [{"type": "Query", "key": "k", "value": "v"}]},
        },
        "callbackAttributes.websocket.0.type",
    ),
    (
        "push-attribute-type",
        {
            **HORN,
            "callbackAttributes": {"pushnotif": [{"type": "Query", "key": "k", "value": "v"}]},
        },
        "callbackAttributes.pushnotif.0.type",
    ),
    # preconditioning rules
    ("precond-empty", _precond(), "preconditioning.airConditioning"),
    ("precond-no-airConditioning", {"preconditioning": {}}, "preconditioning.airConditioning"),
    (
        "precond-airConditioning-null",
        {"preconditioning": {"airConditioning": None}},
        "preconditioning.airConditioning",
    ),
    ("slot-5", _precond(_program(slot=5)), "preconditioning.airConditioning.programs.0.slot"),
    (
        "slot-minus-1",
        _precond(_program(slot=-1)),
        "preconditioning.airConditioning.programs.0.slot",
    ),
    (
        "slot-missing",
        _precond(_program(slot=...)),
        "preconditioning.airConditioning.programs.0.slot",
    ),
    (
        "slot-missing-delete",
        _precond({"actionsType": "Delete"}),
        "preconditioning.airConditioning.programs.0.slot",
    ),
    (
        "duplicate-slot",
        _precond(_program(slot=1), _program(slot=2), _program(slot=1)),
        "preconditioning.airConditioning.programs.2.slot",
    ),
    (
        "duplicate-slot-delete",
        _precond(_program(slot=0), {"slot": 0, "actionsType": "Delete"}),
        "preconditioning.airConditioning.programs.1.slot",
    ),
    (
        "five-programs",
        _precond(*[_program(slot=i) for i in range(5)]),
        "preconditioning.airConditioning.programs",
    ),
    (
        "set-without-start",
        _precond(_program(start=...)),
        "preconditioning.airConditioning.programs.0.start",
    ),
    (
        "set-without-enabled",
        _precond(_program(enabled=...)),
        "preconditioning.airConditioning.programs.0.enabled",
    ),
    (
        "set-without-occurence",
        _precond(_program(occurence=...)),
        "preconditioning.airConditioning.programs.0.occurence",
    ),
    (
        "occurence-without-day",
        _precond(_program(occurence={})),
        "preconditioning.airConditioning.programs.0.occurence.day",
    ),
    (
        "day-Monday",
        _precond(_program(occurence={"day": ["Mon", "Monday"]})),
        "preconditioning.airConditioning.programs.0.occurence.day.1",
    ),
    (
        "day-lowercase",
        _precond(_program(occurence={"day": ["mon"]})),
        "preconditioning.airConditioning.programs.0.occurence.day.0",
    ),
    (
        "day-number",
        _precond(_program(occurence={"day": [1]})),
        "preconditioning.airConditioning.programs.0.occurence.day.0",
    ),
    (
        "seed-typo-path",
        {"preonditionning": {"airConditioning": {"programs": [_program(slot=9)]}}},
        "preonditionning.airConditioning.programs.0.slot",
    ),
    # charging rules
    ("charging-empty", {"charging": {}}, "charging"),
    ("charging-all-null", {"charging": {"immediate": None, "schedule": None}}, "charging"),
    (
        "preferences-and-immediate",
        {"charging": {"immediate": True, "preferences": {"level": "Level1"}}},
        "charging.preferences",
    ),
    (
        "preferences-and-immediate-false",
        {"charging": {"immediate": False, "preferences": {"type": "Full"}}},
        "charging.preferences",
    ),
    (
        "preferences-and-schedule",
        {
            "charging": {
                "schedule": {"nextDelayedTime": "2024-05-01T22:00:00Z"},
                "preferences": {"type": "Full"},
            }
        },
        "charging.preferences",
    ),
    (
        "preferences-and-delayed",
        {"charging": {"nextDelayedTime": "2024-05-01T22:00:00Z", "preferences": {"type": "Full"}}},
        "charging.preferences",
    ),
    ("preferences-empty", {"charging": {"preferences": {}}}, "charging.preferences"),
    ("schedule-empty", {"charging": {"schedule": {}}}, "charging.schedule"),
    (
        "schedule-both",
        {"charging": {"schedule": {"nextDelayedTime": "2024-05-01T22:00:00Z", "programs": []}}},
        "charging.schedule.programs",
    ),
    (
        "delayed-and-schedule",
        {"charging": {"nextDelayedTime": "2024-05-01T22:00:00Z", "schedule": {"programs": []}}},
        "charging.nextDelayedTime",
    ),
    (
        "charge-program-no-start",
        {"charging": {"schedule": {"programs": [_charge_program(start=None)]}}},
        "charging.schedule.programs.0.start",
    ),
    (
        "charge-program-slot-5",
        {"charging": {"schedule": {"programs": [_charge_program(slot=5)]}}},
        "charging.schedule.programs.0.slot",
    ),
    (
        "charge-program-duplicate-slot",
        {"charging": {"schedule": {"programs": [_charge_program(), _charge_program()]}}},
        "charging.schedule.programs.1.slot",
    ),
    (
        "charge-program-day",
        {"charging": {"schedule": {"programs": [_charge_program(occurence={"day": ["Friday"]})]}}},
        "charging.schedule.programs.0.occurence.day.0",
    ),
    (
        "charge-program-recurrence",
        {"charging": {"schedule": {"programs": [_charge_program(recurrence="Hourly")]}}},
        "charging.schedule.programs.0.recurrence",
    ),
    # navigation rules
    ("no-positions", {"navigation": {}}, "navigation.positions"),
    ("zero-positions", _nav(), "navigation.positions"),
    ("eleven-positions", _nav(*[_point(0, 0)] * 11), "navigation.positions"),
    (
        "not-a-point",
        _nav(_point(1, 2), {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}),
        "navigation.positions.1.type",
    ),
    (
        "feature-not-point",
        _nav({"type": "Feature", "geometry": _point(1, 2)}),
        "navigation.positions.0.type",
    ),
    ("point-without-type", _nav({"coordinates": [1, 2]}), "navigation.positions.0.type"),
    ("point-lowercase", _nav(_point(1, 2, kind="point")), "navigation.positions.0.type"),
    ("point-without-coordinates", _nav({"type": "Point"}), "navigation.positions.0.coordinates"),
    ("one-coordinate", _nav(_point(1)), "navigation.positions.0.coordinates"),
    ("four-coordinates", _nav(_point(1, 2, 3, 4)), "navigation.positions.0.coordinates"),
    ("longitude-181", _nav(_point(181, 0)), "navigation.positions.0.coordinates"),
    ("longitude-minus-180.5", _nav(_point(-180.5, 0)), "navigation.positions.0.coordinates"),
    ("latitude-91", _nav(_point(0, 91)), "navigation.positions.0.coordinates"),
    (
        "latitude-minus-90.01",
        _nav(_point(0, 0), _point(0, -90.01)),
        "navigation.positions.1.coordinates",
    ),
    ("swapped-lat-lon", _nav(_point(45.5, 120.0)), "navigation.positions.0.coordinates"),
    ("position-not-object", _nav([1, 2]), "navigation.positions.0"),
    # attributes
    (
        "attribute-header-cr",
        {**HORN, "attributes": [{"type": "Header", "key": "X-A", "value": "a\rb"}]},
        "attributes.0.value",
    ),
    (
        "attribute-header-lf",
        {**HORN, "attributes": [{"type": "Header", "key": "X-A", "value": "a\nX-Evil: 1"}]},
        "attributes.0.value",
    ),
    (
        "attribute-nul",
        {**HORN, "attributes": [{"type": "Body", "key": "k", "value": "a\x00"}]},
        "attributes.0.value",
    ),
    (
        "attribute-key-crlf",
        {**HORN, "attributes": [{"type": "Body", "key": "k\r\n", "value": "v"}]},
        "attributes.0.key",
    ),
    (
        "attribute-header-not-token",
        {**HORN, "attributes": [{"type": "Header", "key": "X A", "value": "v"}]},
        "attributes.0.key",
    ),
    (
        "attribute-header-colon",
        {**HORN, "attributes": [{"type": "Header", "key": "X-A:", "value": "v"}]},
        "attributes.0.key",
    ),
    (
        "attribute-key-empty",
        {**HORN, "attributes": [{"type": "Body", "key": "", "value": "v"}]},
        "attributes.0.key",
    ),
    (
        "attribute-no-type",
        {**HORN, "attributes": [{"key": "k", "value": "v"}]},
        "attributes.0.type",
    ),
    (
        "attribute-value-number",
        {**HORN, "attributes": [{"type": "Body", "key": "k", "value": 1}]},
        "attributes.0.value",
    ),
    (
        "unknown-variable",
        {**HORN, "attributes": [{"type": "Body", "key": "k", "value": "$foo"}]},
        "attributes.0.value",
    ),
    (
        "monitor-variable",
        {**HORN, "attributes": [{"type": "Body", "key": "k", "value": "$MonitorID"}]},
        "attributes.0.value",
    ),
    (
        "webhook-crlf",
        {
            **HORN,
            "callbackAttributes": {"webhook": [{"type": "Header", "key": "X-A", "value": "\r\n"}]},
        },
        "callbackAttributes.webhook.0.value",
    ),
    (
        "websocket-variable",
        {**HORN, "callbackAttributes": {"websocket": [{"key": "k", "value": "$nope"}]}},
        "callbackAttributes.websocket.0.value",
    ),
    (
        "push-from",
        {**HORN, "callbackAttributes": {"pushnotif": [{"key": "from", "value": "v"}]}},
        "callbackAttributes.pushnotif.0.key",
    ),
    (
        "push-message_type",
        {**HORN, "callbackAttributes": {"pushnotif": [{"key": "message_type", "value": "v"}]}},
        "callbackAttributes.pushnotif.0.key",
    ),
    (
        "push-google",
        {
            **HORN,
            "callbackAttributes": {
                "pushnotif": [
                    {"key": "ok", "value": "v"},
                    {"type": "Body", "key": "Google.x", "value": "v"},
                ]
            },
        },
        "callbackAttributes.pushnotif.1.key",
    ),
    (
        "push-gcm",
        {**HORN, "callbackAttributes": {"pushnotif": [{"key": "gcm_id", "value": "v"}]}},
        "callbackAttributes.pushnotif.0.key",
    ),
    ("callbackAttributes-list", {**HORN, "callbackAttributes": []}, "callbackAttributes"),
]


@pytest.mark.parametrize(
    ("body", "field"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_invalid(body: Any, field: str) -> None:
    assert invalid(body).debug == field


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "needs exactly one action: preconditioning, immobilization, door"),
        ({**HORN, "door": {"state": "Locked"}}, "already horn"),
        ({"honk": {}}, "not a known action"),
        ({"door": {"state": "Open"}}, "door.state Input should be 'Locked' or 'Unlocked'"),
        ({"door": "Locked"}, "door must be a JSON object"),
        (_precond(_program(start="PT25H")), "ISO 8601 duration under 24 hours"),
        (_precond(_program(slot=2), _program(slot=2)), "slot 2 is used twice"),
        (_nav(_point(200, 0)), "longitude 200.0 is out of -180..180"),
        (_nav(_point(0, -95)), "latitude -95.0 is out of -90..90"),
        ({"charging": {"nextDelayedTime": "2024-05-01T22:00:00"}}, "RFC 3339"),
        (
            {"charging": {"immediate": True, "preferences": {"level": "Level1"}}},
            "cannot be combined",
        ),
        (
            {**HORN, "attributes": [{"type": "Body", "key": "k", "value": "$foo"}]},
            "unknown variable $foo",
        ),
        ({**HORN, "attributes": [{"type": "Body", "key": "k", "value": "\n"}]}, "CR, LF or NUL"),
        (
            {**HORN, "callbackAttributes": {"pushnotif": [{"key": "gcm", "value": "v"}]}},
            "reserved push notification key",
        ),
    ],
)
def test_messages(body: Any, needle: str) -> None:
    assert needle in invalid(body).message


@pytest.mark.parametrize(
    "value",
    [
        "$vin",
        "$VIN",
        "$callbackid",
        "$CallbackLabel",
        "$remoteType",
        "$REMOTESTATUS",
        "$RemoteLabel",
        "plain",
        "",
        "a$b",
    ],
)
def test_known_variables(value: str) -> None:
    command = parse_remote(
        {**HORN, "attributes": [{"type": "Header", "key": "X-A", "value": value}]}
    )
    assert command.attributes[0]["value"] == value


def test_first_offending_field_is_named() -> None:
    body = {"door": {"state": "Open", "forced": "yes"}}
    assert invalid(body).debug == "door.state"
    # envelope errors come before the action's
    assert invalid({**body, "label": 1}).debug == "label"


def test_errors_are_raised_before_any_side_channel() -> None:
    # an unknown key wins over an otherwise valid action that follows it
    assert invalid({"bogus": 1, **HORN}).debug == "bogus"


# ------------------------------------------------------------------ coordinates (property based)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)
latitudes = st.floats(min_value=-90, max_value=90, allow_nan=False)


@given(st.lists(st.tuples(longitudes, latitudes), min_size=1, max_size=10))
def test_coordinates_in_range_are_kept(points: list[tuple[float, float]]) -> None:
    command = parse_remote(_nav(*[_point(lon, lat) for lon, lat in points]))
    params = command.params
    assert isinstance(params, Navigation)
    assert [p.coordinates for p in params.positions] == points
    assert command.remote["navigation"]["positions"] == [_point(lon, lat) for lon, lat in points]


@given(
    st.one_of(
        st.tuples(
            st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: abs(x) > 180),
            latitudes,
        ),
        st.tuples(
            longitudes,
            st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: abs(x) > 90),
        ),
    )
)
def test_coordinates_out_of_range_are_refused(point: tuple[float, float]) -> None:
    error = invalid(_nav(_point(0, 0), _point(*point)))
    assert error.debug == "navigation.positions.1.coordinates"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_coordinates_are_refused(value: float) -> None:
    assert invalid(_nav(_point(value, 0))).debug == "navigation.positions.0.coordinates.0"


def test_offset_kept_in_canonical_time() -> None:
    command = parse_remote({"charging": {"nextDelayedTime": "2024-05-01T22:00:00-05:00"}})
    assert command.remote["charging"]["schedule"]["nextDelayedTime"] == "2024-05-01T22:00:00-05:00"
    params = command.params
    assert isinstance(params, Charging)
    assert params.next_delayed_time == datetime(
        2024, 5, 1, 22, tzinfo=timezone(timedelta(hours=-5))
    )
