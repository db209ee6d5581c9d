"""Bodies no parser should choke on, over real mTLS: always the v4 JSON error, never a 500."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import API, ApiClient

from simulator.api.http import MAX_JSON_DEPTH, json_depth_exceeded
from simulator.testing import ThreadedSimulator

JSON = {"Content-Type": "application/json"}


def _post_api(api: ApiClient, body: str) -> tuple[int, dict[str, object]]:
    answer = api.session.post(
        api.server.url + API + "/user/callbacks",
        params={"client_id": "demo-client"},
        data=body.encode(),
        headers=api.headers(**JSON),
        timeout=30,
    )
    return answer.status_code, answer.json()


def _post_control(api: ApiClient, body: str) -> tuple[int, dict[str, object]]:
    answer = api.raw("POST", "/simulator/v1/clock/advance", data=body.encode(), headers=JSON)
    return answer.status_code, answer.json()


@pytest.mark.parametrize("post", [_post_api, _post_control], ids=["api", "control"])
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
def test_deep_nesting_is_a_400_naming_the_body(api: ApiClient, post: object, depth: int) -> None:
    for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        status, error = post(api, body)  # type: ignore[operator]
        assert status == 400, error
        assert error["code"] == 40002 and error["debug"] == "body"
        assert "64 levels" in str(error["message"])


@pytest.mark.parametrize("post", [_post_api, _post_control], ids=["api", "control"])
def test_depth_at_the_limit_is_read(api: ApiClient, post: object) -> None:
    body = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    status, error = post(api, body)  # type: ignore[operator]
    assert status == 400 and error["code"] == 40001  # parsed, then refused by the model


def test_brackets_inside_strings_do_not_count(api: ApiClient) -> None:
    label = "[" * 500 + "{" * 500
    body = (
        '{"label": "' + label + '", "type": ["Remote"],'
        ' "callback": {"webhook": {"name": "w", "target": "https://127.0.0.1:9/x"}}}'
    )
    status, answer = _post_api(api, body)
    assert status != 400 or answer["debug"] != "body", answer


def test_huge_integer_is_a_400(api: ApiClient) -> None:
    status, error = _post_control(api, '{"seconds": ' + "9" * 5000 + "}")
    assert status == 400 and error["code"] == 40002 and error["debug"] == "body"


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ("[]", False),
        ("[" * 64 + "]" * 64, False),
        ("[" * 65 + "]" * 65, True),
        ('["' + "[" * 100 + '"]', False),
        ('["\\"' + "[" * 100 + '"]', False),
        ("[" * 30 + '{"a":' * 35 + "1" + "}" * 35 + "]" * 30, True),
        ("[[]]" * 100, False),
    ],
)
def test_depth_scan(text: str, deep: bool) -> None:
    assert json_depth_exceeded(text) is deep


def test_vehicles_can_be_made_decades_ahead(ccsim_certs: Path) -> None:
    """A vehicle generated after the clock moved 40 years: its service history, not a 500."""
    with ThreadedSimulator(ccsim_certs, manual_clock=True) as server:
        client = ApiClient(server)
        for _ in range(4):
            moved = client.raw(
                "POST", "/simulator/v1/clock/advance", json={"seconds": 10 * 365 * 86400}
            )
            assert moved.status_code == 200, moved.text
        for seed in range(5):
            made = client.raw(
                "POST",
                "/simulator/v1/vehicles",
                json={"owner": "demo@example.com", "seed": 1000 + seed},
            )
            assert made.status_code == 201, made.text
