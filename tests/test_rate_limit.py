"""Rate limits: the four X-RateLimit headers, 429s, the burst and the sliding day window.

Real server, real TLS, manual clock: time moves only when a test advances it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import ApiClient

from simulator.auth.quota import (
    BUCKET_SECONDS,
    DAY_BUCKETS,
    DAY_SECONDS,
    ClientQuota,
    DayWindow,
    RateLimiter,
)
from simulator.config import RateLimit
from simulator.testing import ThreadedSimulator

CONTROL = "/simulator/v1"
HEADERS = ("X-RateLimit-Limit-1", "X-RateLimit-Remaining-1", "X-RateLimit-Limit-2")


@pytest.fixture(scope="module")
def limited_server(ccsim_certs: Path) -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(
        ccsim_certs, manual_clock=True, vehicles=2, seed=0, rate_limit=RateLimit(5, 3)
    ) as server:
        yield server


def _align(server: ThreadedSimulator, offset: float = 0.0) -> float:
    """Move the clock to the start of a coming minute plus ``offset``; return that time."""

    def align(sim: Any) -> float:
        now = sim.clock.time()
        target = (math.floor(now / BUCKET_SECONDS) + 2) * BUCKET_SECONDS + offset
        sim.clock.set(datetime.fromtimestamp(target, UTC))
        return float(sim.clock.time())

    return float(server.call(align))


@pytest.fixture
def limited(limited_server: ThreadedSimulator) -> ThreadedSimulator:
    limited_server.call(lambda sim: sim.reset())
    return limited_server


def _advance(server: ThreadedSimulator, seconds: float) -> None:
    server.call(lambda sim: sim.clock.advance(seconds))


def _limits(response: requests.Response) -> tuple[int, int, int, int]:
    h = response.headers
    return (
        int(h["X-RateLimit-Limit-1"]),
        int(h["X-RateLimit-Remaining-1"]),
        int(h["X-RateLimit-Limit-2"]),
        int(h["X-RateLimit-Remaining-2"]),
    )


def _control(api: ApiClient, method: str, path: str, **kw: Any) -> requests.Response:
    return api.raw(method, CONTROL + path, **kw)


# ---------------------------------------------------------------------- server


def test_off_by_default_no_headers(api: ApiClient) -> None:
    response = api.get("/user/vehicles")
    assert response.status_code == 200
    assert not any(h in response.headers for h in HEADERS)


def test_headers_count_down_request_by_request(limited: ThreadedSimulator) -> None:
    _align(limited)
    api = ApiClient(limited)
    seen = []
    for _ in range(3):
        response = api.get("/user/vehicles")
        assert response.status_code == 200
        seen.append(_limits(response))
        _advance(limited, 1)
    assert seen == [(5, 4, 3, 2), (5, 3, 3, 2), (5, 2, 3, 2)]


def test_burst_gives_429_with_retry_after_then_passes_after_one_second(
    limited: ThreadedSimulator,
) -> None:
    start = _align(limited, 0.25)
    api = ApiClient(limited)
    assert [_limits(api.get("/user/vehicles"))[3] for _ in range(3)] == [2, 1, 0]
    refused = api.get("/user/vehicles")
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == 42901
    assert body["uuid"] == refused.headers["X-Request-Id"]
    assert refused.headers["Retry-After"] == "1"
    assert refused.headers["X-RateLimit-Reset"] == str(math.ceil(start + 1))
    assert _limits(refused) == (5, 2, 3, 0)

    _advance(limited, 0.5)
    again = api.get("/user/vehicles")
    assert again.status_code == 429
    assert again.headers["Retry-After"] == "1"  # 0.5 s left, rounded up

    _advance(limited, 0.5)
    passed = api.get("/user/vehicles")
    assert passed.status_code == 200
    # the two 429s were not counted: 3 + this one
    assert _limits(passed) == (5, 1, 3, 2)


def test_day_window_slides(limited: ThreadedSimulator) -> None:
    start = _align(limited, 10)
    api = ApiClient(limited)
    for _ in range(3):
        assert api.get("/user/vehicles").status_code == 200
    _advance(limited, 3600)
    api = ApiClient(limited)  # tokens live an hour
    assert api.get("/user/vehicles").status_code == 200
    last = api.get("/user/vehicles")
    assert _limits(last)[1] == 0

    refused = api.get("/user/vehicles")
    assert refused.status_code == 429
    # the first three leave the window at the end of their minute + 24 h
    frees = start - 10 + BUCKET_SECONDS + DAY_SECONDS
    now = start + 3600
    assert refused.headers["Retry-After"] == str(math.ceil(frees - now))
    assert refused.headers["X-RateLimit-Reset"] == str(math.ceil(frees))

    _advance(limited, frees - now - 5)  # less than 24 h after the first requests... almost
    api = ApiClient(limited)
    still = api.get("/user/vehicles")
    assert still.status_code == 429
    assert still.headers["Retry-After"] == "5"

    _advance(limited, 5)
    allowed = api.get("/user/vehicles")
    assert allowed.status_code == 200
    assert _limits(allowed)[1] == 2  # three left, this one counted


def test_headers_on_errors_after_the_token_check_only(limited: ThreadedSimulator) -> None:
    _align(limited)
    api = ApiClient(limited)
    forbidden = api.get("/user/vehicles/not-a-vehicle")
    assert forbidden.status_code == 403
    assert _limits(forbidden) == (5, 4, 3, 2)
    bad_realm = api.get("/user/vehicles", headers=api.headers(**{"x-introspect-realm": "nope"}))
    assert bad_realm.status_code == 400
    assert _limits(bad_realm) == (5, 3, 3, 1)
    bad_token = api.get("/user/vehicles", headers=api.headers(Authorization="Bearer nope"))
    assert bad_token.status_code == 401
    assert not any(h in bad_token.headers for h in HEADERS)


def test_per_client_setting_overrides_global_and_turns_off(limited: ThreadedSimulator) -> None:
    _align(limited)
    api = ApiClient(limited)
    state = _control(api, "GET", "/clients/demo-client/rate-limit").json()
    assert state == {
        "clientId": "demo-client",
        "enabled": True,
        "source": "global",
        "perDay": 5,
        "burst": 3,
        "remainingPerDay": 5,
        "remainingBurst": 3,
    }
    assert api.get("/user/vehicles").status_code == 200

    put = _control(
        api, "PUT", "/clients/demo-client/rate-limit", json={"perDay": 1000, "burst": 10}
    )
    assert put.status_code == 200
    assert put.json()["source"] == "client"
    assert put.json()["remainingPerDay"] == 999  # counts made so far stay
    assert _limits(api.get("/user/vehicles")) == (1000, 998, 10, 8)

    off = _control(api, "PUT", "/clients/demo-client/rate-limit", json={"perDay": None})
    assert off.json() == {"clientId": "demo-client", "enabled": False, "source": "client"}
    for _ in range(6):
        response = api.get("/user/vehicles")
        assert response.status_code == 200
        assert "X-RateLimit-Limit-1" not in response.headers

    # a reset goes back to the global setting
    limited.call(lambda sim: sim.reset())
    assert _control(api, "GET", "/clients/demo-client/rate-limit").json()["source"] == "global"


def test_per_client_setting_turns_limits_on(ccsim: ThreadedSimulator, api: ApiClient) -> None:
    put = _control(api, "PUT", "/clients/demo-client/rate-limit", json={"perDay": 3, "burst": 2})
    assert put.status_code == 200
    assert _limits(api.get("/user/vehicles")) == (3, 2, 2, 1)
    assert _limits(api.get("/user/vehicles")) == (3, 1, 2, 0)
    refused = api.get("/user/vehicles")
    assert refused.status_code == 429
    assert refused.json()["code"] == 42901
    state = _control(api, "GET", "/clients/demo-client/rate-limit").json()
    assert (state["remainingPerDay"], state["remainingBurst"]) == (1, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"perDay": 0, "burst": 1}, "perDay"),
        ({"perDay": 10}, "burst"),
        ({"perDay": 10, "burst": "x"}, "burst"),
        ({"burst": 3}, "perDay"),
        ({"perDay": 10, "burst": 1, "extra": 1}, "extra"),
    ],
)
def test_rate_limit_setting_validation(
    ccsim: ThreadedSimulator, api: ApiClient, body: dict[str, Any], field: str
) -> None:
    response = _control(api, "PUT", "/clients/demo-client/rate-limit", json=body)
    assert response.status_code == 400
    assert response.json()["debug"] == field


def test_rate_limit_of_unknown_client_is_404(ccsim: ThreadedSimulator, api: ApiClient) -> None:
    assert _control(api, "GET", "/clients/nobody/rate-limit").status_code == 404
    response = _control(api, "PUT", "/clients/nobody/rate-limit", json={"perDay": None})
    assert response.status_code == 404


# ---------------------------------------------------------------------- units


def test_day_window_memory_is_bounded_by_its_buckets() -> None:
    quota = ClientQuota(RateLimit(100_000, 100_000))
    now = 1_700_000_000.0
    for _ in range(200_000):  # one request every 0.9 s for two days
        assert quota.take(now).allowed or quota.day.total == 100_000
        now += 0.9
        assert len(quota.day) <= DAY_BUCKETS + 1
    assert len(quota.day) == DAY_BUCKETS + 1 or len(quota.day) == DAY_BUCKETS
    assert len(quota._burst) <= 100_000
    # the same number of requests at one instant take one bucket
    burst = ClientQuota(RateLimit(100_000, 100_000))
    for _ in range(50_000):
        burst.take(now)
    assert len(burst.day) == 1
    assert burst.remaining(now) == (50_000, 50_000)


def test_day_window_requests_leave_at_end_of_minute_plus_24h() -> None:
    window = DayWindow()
    minute = 1_700_000_040.0  # a minute boundary
    assert minute % BUCKET_SECONDS == 0
    window.add(minute + 5)
    window.add(minute + 59)
    window.add(minute + 60)
    assert window.total == 3 and len(window) == 2
    window.expire(minute + BUCKET_SECONDS + DAY_SECONDS - 0.001)
    assert window.total == 3
    window.expire(minute + BUCKET_SECONDS + DAY_SECONDS)
    assert window.total == 1
    assert window.frees_at(1) == minute + 2 * BUCKET_SECONDS + DAY_SECONDS


def test_retry_after_waits_for_both_windows() -> None:
    quota = ClientQuota(RateLimit(2, 1))
    t = 1_700_000_000.0
    assert quota.take(t).allowed
    assert quota.take(t + 2).allowed
    refused = quota.take(t + 2.2)
    assert not refused.allowed
    frees = (t // 60 + 1) * 60 + DAY_SECONDS
    assert refused.headers["Retry-After"] == str(math.ceil(frees - (t + 2.2)))
    assert refused.headers["X-RateLimit-Remaining-1"] == "0"
    assert refused.headers["X-RateLimit-Remaining-2"] == "0"


def test_limiter_lookup_and_overrides() -> None:
    limiter = RateLimiter()
    assert limiter.quota("a") is None
    limiter.configure("a", RateLimit(10, 2))
    assert limiter.quota("b") is None
    quota = limiter.quota("a")
    assert quota is not None and limiter.quota("a") is quota
    limiter.reset(RateLimit(5, 1))
    assert limiter.limit_for("b") == RateLimit(5, 1)
    limiter.configure("b", None)
    assert limiter.quota("b") is None
    assert limiter.status("b", 0.0) is None
    assert limiter.status("c", 0.0) == (RateLimit(5, 1), 5, 1)
