"""One 400 for a body pydantic refuses (issue 20, item 5): the same function and the
same message format (``"<field> <what is wrong>"``) in the v4 API and the control API."""

from __future__ import annotations

import pytest
from conftest import API, ApiClient
from pydantic import BaseModel, ValidationError, field_validator

from simulator.bodies.errors import Located, invalid


class _Inner(BaseModel):
    start: int

    @field_validator("start")
    @classmethod
    def _small(cls, value: int) -> int:
        if value > 10:
            raise Located(("hours",), "must be at most 10")
        return value


class _Outer(BaseModel):
    inner: _Inner
    items: list[_Inner] = []
    label: str = ""

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        if value == "bad":
            raise ValueError("must not be bad")
        return value


def _error(data: object, prefix: tuple[str | int, ...] = ()) -> tuple[str | None, str]:
    with pytest.raises(ValidationError) as caught:
        _Outer.model_validate(data)
    error = invalid(caught.value, prefix)
    return error.debug, error.message


def test_the_field_is_named_as_a_dotted_path_then_what_is_wrong() -> None:
    assert _error({"inner": {"start": 1}, "items": [{"start": "x"}]}) == (
        "items.0.start",
        "items.0.start Input should be a valid integer, unable to parse string as an integer",
    )
    assert _error({"inner": {"start": 1}, "label": "bad"}) == ("label", "label must not be bad")


def test_a_prefix_places_the_model_in_the_body_and_located_goes_deeper() -> None:
    assert _error({"inner": {"start": 11}}, ("door",)) == (
        "door.inner.start.hours",
        "door.inner.start.hours must be at most 10",
    )


def test_an_object_expected_says_so_and_the_whole_body_is_body() -> None:
    assert _error({"inner": 3}) == ("inner", "inner must be a JSON object")
    assert _error([]) == ("body", "body must be a JSON object")


def test_v4_and_control_api_answer_in_the_same_format(api: ApiClient) -> None:
    v4 = api.raw(
        "POST",
        API + "/user/callbacks",
        params={"client_id": "demo-client"},
        headers=api.headers(),
        json={"label": "x", "type": ["Remote"], "callback": 3},
    ).json()
    assert (v4["code"], v4["debug"]) == (40001, "callback")
    assert v4["message"] == "callback must be a JSON object"
    control = api.raw("POST", "/simulator/v1/clock/advance", json={"seconds": "soon"}).json()
    assert (control["code"], control["debug"]) == (40001, "seconds")
    assert control["message"].startswith("seconds Input should be a valid number")
