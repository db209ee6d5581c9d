"""Collections as real third-party clients use them, live over mTLS.

* an unencoded ``+`` in a ``timestamps`` offset (decoded as a space) is read as the
  offset's sign, and only there;
* ``total`` counts the whole (filtered) collection whatever ``indexRange`` selects;
  ``totalPage`` / ``currentPage`` count pages of the selection.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from conftest import API, ApiClient
from multidict import MultiDict
from yarl import URL

from simulator.api.paging import TimeRange, paginate, parse_timestamps
from simulator.errors import ApiError, ErrorCode
from simulator.testing.receiver import WebhookReceiver

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
T0 = datetime(2026, 12, 1, 14, 45, 8, tzinfo=UTC)


# ------------------------------------------------------------------ helpers
def raw_get(api: ApiClient, path_and_query: str) -> tuple[int, Any]:
    """GET with the request line exactly as given: nothing re-encodes the ``+``."""
    url = urllib.parse.urlsplit(api.server.url)
    assert url.hostname is not None
    connection = http.client.HTTPSConnection(
        url.hostname, url.port, context=api.server.client_context(), timeout=30
    )
    try:
        connection.request("GET", API + path_and_query, headers=api.headers())
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def stamp(when: datetime, offset: timedelta, form: str = "HH:MM") -> str:
    """``when`` written in the zone ``offset`` with a literal sign, as a client would."""
    local = when.astimezone(timezone(offset)).replace(tzinfo=None).isoformat()
    minutes = int(abs(offset).total_seconds()) // 60
    sign = "-" if offset < timedelta(0) else "+"
    hours, mins = divmod(minutes, 60)
    zone = {"HH:MM": f"{hours:02}:{mins:02}", "HHMM": f"{hours:02}{mins:02}", "HH": f"{hours:02}"}
    return f"{local}{sign}{zone[form]}"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def vehicle_with_most_trips(api: ApiClient) -> tuple[str, list[dict[str, Any]]]:
    best: tuple[str, list[dict[str, Any]]] = ("", [])
    for vid in api.vehicle_ids():
        trips = api.get(f"/user/vehicles/{vid}/trips").json()["_embedded"]["trips"]
        if len(trips) > len(best[1]):
            best = (vid, trips)
    assert len(best[1]) >= 5, "the seed fleet should have a vehicle with 5+ trips"
    return best


def _key(item: dict[str, Any]) -> Any:
    """What tells two items apart: the id, else the self link (telemetry), else all of it."""
    if "id" in item:
        return item["id"]
    if "_links" in item:
        return item["_links"]["self"]["href"]
    return item


def parse(*values: str) -> list[TimeRange]:
    return parse_timestamps(MultiDict(("timestamps", v) for v in values), NOW)


# ------------------------------------------------------------------ parser, unit
@pytest.mark.parametrize(
    ("decoded", "plus"),
    [
        ("2026-12-01T14:45:08 00:00/", "2026-12-01T14:45:08+00:00/"),
        ("2026-12-01T16:45:08 02:00/", "2026-12-01T16:45:08+02:00/"),
        ("2026-12-01T16:45:08 0200/", "2026-12-01T16:45:08+02:00/"),
        ("2026-12-01T16:45:08 02/", "2026-12-01T16:45:08+02:00/"),
        ("2026-12-01T20:15:08.250 05:30/", "2026-12-01T20:15:08.250+05:30/"),
        ("/2026-12-01T16:45:08 02:00", "/2026-12-01T16:45:08+02:00"),
        ("2026-12-01T16:45:08 02:00/P1D", "2026-12-01T16:45:08+02:00/P1D"),
        (
            "2026-12-01T15:45:08 01:00/2026-12-02T03:00:00 0300",
            "2026-12-01T15:45:08+01:00/2026-12-02T03:00:00+03:00",
        ),
    ],
)
def test_a_space_in_the_offset_sign_is_read_as_plus(decoded: str, plus: str) -> None:
    assert parse(decoded) == parse(plus)


def test_spaced_offsets_give_the_right_instants() -> None:
    [r] = parse("2026-12-01T16:45:08 02:00/2026-12-01T21:15:08 05:30")
    assert r == TimeRange(T0, T0 + timedelta(hours=1))  # a "-" reading would be hours off
    [r] = parse("2026-12-01T16:45:08 02/P1D")
    assert r == TimeRange(T0, T0 + timedelta(days=1))
    [r] = parse("2026-12-01T16:45:08 02:00/")
    assert r == TimeRange(T0, NOW)
    [r] = parse("/2026-12-01T16:45:08 0200")
    assert r == TimeRange(None, T0)


def test_negative_and_hour_only_offsets() -> None:
    [r] = parse("2026-12-01T12:45:08-02/2026-12-01T12:45:08-0200")
    assert r == TimeRange(T0, T0)
    [r] = parse("2026-12-01T16:45:08+02/")
    assert r.start == T0


def test_several_ranges_with_spaced_offsets() -> None:
    one = "2026-12-01T16:45:08 02:00/2026-12-01T17:45:08 02:00"
    two = "2026-12-02T00:00:00 01:00/"
    three = "/2026-11-30T00:00:00 0100"
    expected = [
        TimeRange(T0, T0 + timedelta(hours=1)),
        TimeRange(datetime(2026, 12, 1, 23, tzinfo=UTC), NOW),
        TimeRange(None, datetime(2026, 11, 29, 23, tzinfo=UTC)),
    ]
    assert parse(f"{one},{two},{three}") == expected
    assert parse(one, two, three) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-01 14:45:08Z/",  # date and time: an unencoded "+" elsewhere
        "2026-12-01T14:45:08 Z/",  # before Z: not digits
        "2026-12-01T14:45 01:00/",  # no seconds: not where the rule looks
        "2026-12-01T14:45:08  01:00/",  # two spaces
        "2026-12-01T14:45:08 1:00/",  # one-digit hour
        "2026-12-01T14:45:08 001/",  # three digits
        "2026-12-01T14:45:08 01:00:00/",  # offset with seconds
        "2026-12-01T14:45:08 01: 00/",
        "2026-12-01T14:45:08+01 00/",
        "2026-12-01T14:45:08 +01:00/",  # a space and the sign
        "2026-12-01T14:45:08 -01:00/",
        "2026-12-01T14:45:08Z 01:00/",
        "2026-12-01T14:45:08 01:00 /",  # trailing space inside the range
        "2026-12-01T14:45:08Z/ P1D",
        "2026-12-01T14:45:08Z/P 1D",
        "2026-12-01T14:45:08Z/ 2026-12-02T14:45:08Z",
        "2026-12-01 T14:45:08 00:00/",
        "2026-12-01T14:45:08\t01:00/",  # only a space is a decoded "+"
        "1764600308 00:00/",  # no date-time before the offset
        "2026-12-01T14:45:08 24:00/",  # read as +24:00, still invalid
    ],
)
def test_a_space_anywhere_else_is_refused(value: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse(value)
    assert caught.value.code is ErrorCode.INVALID_PARAMETER
    assert caught.value.debug == "timestamps"


def test_plain_values_unchanged() -> None:
    assert parse("2026-12-01T14:45:08Z/") == [TimeRange(T0, NOW)]
    assert parse("2026-12-01T14:45:08+00:00/P1D") == [TimeRange(T0, T0 + timedelta(days=1))]
    with pytest.raises(ApiError):
        parse("2026-12-01T14:45:08/")  # still needs a zone


# ------------------------------------------------------------------ paginate, unit
def _page(items: list[int], **query: str) -> tuple[list[int], int, int, int]:
    page = paginate(items, MultiDict(query), URL("https://sim.test/c"))
    return page.items, page.total, page.total_page, page.current_page


def test_paginate_total_is_the_whole_collection() -> None:
    items = list(range(7))
    assert _page(items, indexRange="0-0") == ([0], 7, 1, 1)
    assert _page(items, indexRange="2-4") == ([2, 3, 4], 7, 1, 1)
    assert _page(items, indexRange="2-", pageSize="2") == ([2, 3], 7, 3, 1)
    token = paginate(items, MultiDict(indexRange="2-", pageSize="2"), URL("https://s/c"))
    last = URL(token.links["last"]).query["pageToken"]
    assert _page(items, indexRange="2-", pageSize="2", pageToken=last) == ([6], 7, 3, 3)
    assert _page(items, indexRange="9-") == ([], 7, 1, 1)
    assert _page([], indexRange="0-0") == ([], 0, 1, 1)


# ------------------------------------------------------------------ live: the "+" in timestamps
def _case(trips: list[dict[str, Any]]) -> list[tuple[str, list[int]]]:
    """(raw query value with a literal "+", indexes of the trips it must select)."""
    s = [at(t["startedAt"]) for t in trips]
    ist, cet = timedelta(hours=5, minutes=30), timedelta(hours=1)
    return [
        (f"{stamp(s[1], ist)}/{stamp(s[3], cet)}", [1, 2, 3]),
        (f"{stamp(s[1], ist, 'HHMM')}/PT{int((s[3] - s[1]).total_seconds())}S", [1, 2, 3]),
        (f"{stamp(s[2], timedelta(hours=3), 'HH')}/", list(range(2, len(s)))),
        (f"/{stamp(s[1], cet, 'HHMM')}", [0, 1]),
        (
            f"{stamp(s[0], ist)}/{stamp(s[0], cet)},{stamp(s[-1], timedelta(hours=2))}/",
            [0, len(s) - 1],
        ),
    ]


def test_unencoded_plus_in_timestamps_filters(api: ApiClient) -> None:
    vid, trips = vehicle_with_most_trips(api)
    ids = [t["id"] for t in trips]
    for value, chosen in _case(trips):
        assert "+" in value and " " not in value
        status, body = raw_get(
            api, f"/user/vehicles/{vid}/trips?client_id=demo-client&timestamps={value}"
        )
        assert status == 200, (value, body)
        assert [t["id"] for t in body["_embedded"]["trips"]] == [ids[i] for i in chosen], value
        assert body["total"] == len(chosen) < len(ids)
        encoded = api.get(f"/user/vehicles/{vid}/trips", params={"timestamps": value}).json()
        assert encoded["_embedded"] == body["_embedded"]  # same as a "%2B" client


def test_unencoded_plus_on_both_ends_and_repeated_parameters(api: ApiClient) -> None:
    vid, trips = vehicle_with_most_trips(api)
    s = [at(t["startedAt"]) for t in trips]
    east = timedelta(hours=9)
    first = f"{stamp(s[0], east)}/{stamp(s[0], east)}"
    last = f"{stamp(s[-1], east, 'HHMM')}/{stamp(s[-1], east, 'HH')}"
    status, body = raw_get(
        api,
        f"/user/vehicles/{vid}/trips?client_id=demo-client&timestamps={first}&timestamps={last}",
    )
    assert status == 200, body
    assert [t["id"] for t in body["_embedded"]["trips"]] == [trips[0]["id"], trips[-1]["id"]]


def test_unencoded_plus_on_telemetry_with_index_range(api: ApiClient) -> None:
    vid = api.vehicle_ids()[1]
    # the fleet is made at the session clock's "now" (earlier tests move it): when the
    # vehicle's history holds fewer than three telemetries, short trips add some
    for _ in range(4):
        page = api.get(f"/user/vehicles/{vid}/telemetry").json()
        full = page.get("_embedded", {}).get("telemetries", [])
        if len(full) >= 3:
            break

        def drive(sim: Any) -> None:
            vehicle = sim.fleet.get(vid)
            here = vehicle.state.position
            sim.operations.drive(vehicle, (here.lon + 0.02, here.lat))
            sim.clock.advance(900)

        api.server.call(drive)
    assert len(full) >= 3
    cut = at(full[1]["createdAt"])
    expected = [_key(t) for t in full if at(t["createdAt"]) <= cut]
    assert 2 <= len(expected) < len(full)
    query = f"client_id=demo-client&timestamps=/{stamp(cut, timedelta(hours=4))}"
    status, body = raw_get(api, f"/user/vehicles/{vid}/telemetry?{query}")
    assert status == 200, body
    assert [_key(t) for t in body["_embedded"]["telemetries"]] == expected
    assert body["total"] == len(expected)
    status, one = raw_get(api, f"/user/vehicles/{vid}/telemetry?{query}&indexRange=1-1")
    assert status == 200, one
    assert (one["total"], one["totalPage"], one["currentPage"]) == (len(expected), 1, 1)
    assert [_key(t) for t in one["_embedded"]["telemetries"]] == expected[1:2]


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-01+14:45:08Z/",  # "+" where the "T" belongs
        "2026-12-01T14:45:08+Z/",
        "2026-12-01T14:45+01:00/",  # no seconds
        "2026-12-01T14:45:08++01:00/",
        "2026-12-01T14:45:08+01:00/+P1D",
        "2026-12-01T14:45:08+01:00+/",
        "2026-12-01T14:45:08%2001:00%20/",
        "2026-12-01T14:45:08Z/%20P1D",
    ],
)
def test_a_misplaced_space_is_still_400(api: ApiClient, value: str) -> None:
    vid = api.vehicle_ids()[0]
    status, body = raw_get(
        api, f"/user/vehicles/{vid}/trips?client_id=demo-client&timestamps={value}"
    )
    assert status == 400, body
    assert body["code"] == 40005 and body["debug"] == "timestamps"


# ------------------------------------------------------------------ live: total and indexRange
def test_vehicles_total_ignores_index_range(api: ApiClient) -> None:
    full = api.get("/user/vehicles").json()
    ids = [v["id"] for v in full["_embedded"]["vehicles"]]
    assert full["total"] == len(ids) == 3
    one = api.get("/user/vehicles", params={"indexRange": "0-0"}).json()
    assert (one["total"], one["totalPage"], one["currentPage"]) == (3, 1, 1)
    assert [v["id"] for v in one["_embedded"]["vehicles"]] == ids[:1]
    paged = api.get("/user/vehicles", params={"indexRange": "1-", "pageSize": "1"}).json()
    assert (paged["total"], paged["totalPage"], paged["currentPage"]) == (3, 2, 1)
    assert [v["id"] for v in paged["_embedded"]["vehicles"]] == ids[1:2]
    nxt = api.session.get(paged["_links"]["next"]["href"], headers=api.headers(), timeout=30)
    second = nxt.json()
    assert (second["total"], second["totalPage"], second["currentPage"]) == (3, 2, 2)
    assert [v["id"] for v in second["_embedded"]["vehicles"]] == ids[2:3]
    assert "next" not in second["_links"]


def test_total_counts_the_time_filtered_collection(api: ApiClient) -> None:
    vid, trips = vehicle_with_most_trips(api)
    since = at(trips[2]["startedAt"])
    expected = [t["id"] for t in trips if at(t["startedAt"]) >= since]
    assert 2 <= len(expected) < len(trips)
    status, body = raw_get(
        api,
        f"/user/vehicles/{vid}/trips?client_id=demo-client&indexRange=0-0"
        f"&timestamps={stamp(since, timedelta(hours=2))}/",
    )
    assert status == 200, body
    assert (body["total"], body["totalPage"], body["currentPage"]) == (len(expected), 1, 1)
    assert [t["id"] for t in body["_embedded"]["trips"]] == expected[:1]


def _post(api: ApiClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = api.raw(
        "POST", API + path, params={"client_id": "demo-client"}, headers=api.headers(), json=body
    )
    assert answer.status_code in (200, 202), answer.text
    created: dict[str, Any] = answer.json()
    return created


def test_every_collection_total_ignores_index_range(
    api: ApiClient, ccsim_webhook: WebhookReceiver
) -> None:
    vids = api.vehicle_ids()
    vid, trips = vehicle_with_most_trips(api)
    hook = {"webhook": {"target": ccsim_webhook.url + "/in", "name": "h"}}
    cbids = [
        _post(api, "/user/callbacks", {"label": f"cb{i}", "type": ["Monitor", "Remote"],
                                       "callback": hook})["callbackId"]
        for i in range(2)
    ]  # fmt: skip
    monitor = {
        "label": "fuel",
        "triggerParam": {
            "triggers": [
                {
                    "name": "d",
                    "data": {
                        "data": "vehicle.energy.fuel.level",
                        "op": "lowerThan",
                        "value": ["5"],
                    },
                }
            ],
            "boolExp": "d",
        },
    }
    for _ in range(2):
        _post(api, f"/user/vehicles/{vid}/callbacks/{cbids[0]}/monitors", monitor)
    remotes = f"/user/vehicles/{vid}/callbacks/{cbids[0]}/remotes"
    _post(api, remotes, {"horn": {"state": "Activated"}})
    _post(api, remotes, {"lights": {"on": True}})
    paths = [
        "/user/vehicles",
        "/user/trips",
        "/user/callbacks",
        f"/user/vehicles/{vid}/callbacks/{cbids[0]}/monitors",
        f"/user/vehicles/{vid}/monitors",
        remotes,
    ]
    for trip in trips:
        paths += [
            f"/user/vehicles/{vid}/trips/{trip['id']}/{name}"
            for name in ("wayPoints", "alerts", "collisions", "telemetry")
        ]
    for v in vids:
        paths += [
            f"/user/vehicles/{v}/{name}"
            for name in ("trips", "telemetry", "alerts", "alarms", "collisions")
        ]
    multi = 0
    for path in paths:
        full = api.get(path, params={"pageSize": "60"})
        assert full.status_code == 200, (path, full.text)
        body = full.json()
        [key] = body["_embedded"]
        items = body["_embedded"][key]
        n = body["total"]
        assert n >= len(items), path
        one = api.get(path, params={"indexRange": "0-0"}).json()
        assert (one["total"], one["totalPage"], one["currentPage"]) == (n, 1, 1), path
        assert [_key(i) for i in one["_embedded"][key]] == [_key(i) for i in items[:1]], path
        if n < 2:
            continue
        multi += 1
        rest = api.get(path, params={"indexRange": "1-", "pageSize": "1"}).json()
        assert (rest["total"], rest["totalPage"], rest["currentPage"]) == (n, n - 1, 1), path
        assert [_key(i) for i in rest["_embedded"][key]] == [_key(i) for i in items[1:2]], path
    assert multi >= 8
