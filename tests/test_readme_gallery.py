"""The "Request bodies that work" of docs/local.md (issue 22): every block, read from the page
as a user would copy it, is accepted by a running simulator, and the gallery shows a
webhook callback, the nine remote actions and the three monitors it promises."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import API, ApiClient

from simulator.control.openapi import openapi_document
from simulator.remotes.commands import WIRE_KEYS
from simulator.testing import ThreadedSimulator

README = Path(__file__).resolve().parents[1] / "docs" / "local.md"
SECTION = "## Request bodies that work"
BLOCK = re.compile(r"\*\*`(POST|PUT|PATCH) (\S+)`\*\*[^\n]*\n\n```json\n(.*?)\n```", re.DOTALL)


def _gallery() -> list[tuple[str, str, Any]]:
    text = README.read_text(encoding="utf-8")
    assert SECTION in text, "docs/local.md has no gallery"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = [(m, p, json.loads(body)) for m, p, body in BLOCK.findall(section)]
    assert section.count("```json") == len(blocks), "a JSON block without its method and path"
    return blocks


def test_the_gallery_shows_what_it_promises() -> None:
    blocks = _gallery()
    callbacks = [b for m, p, b in blocks if p == API + "/user/callbacks"]
    assert len(callbacks) == 1 and "webhook" in callbacks[0]["callback"]
    remotes = [b for _, p, b in blocks if p.endswith("/remotes")]
    actions = [key for body in remotes for key in body if key in WIRE_KEYS.values()]
    assert sorted(actions) == sorted(WIRE_KEYS.values())
    triggers = [
        t for _, p, b in blocks if p.endswith("/monitors") for t in b["triggerParam"]["triggers"]
    ]
    assert any(t.get("zone", {}).get("transition") == "Out" for t in triggers)
    night = [t["time"]["times"][0] for t in triggers if "time" in t]
    assert night and night[0]["start"] == "PT23H"
    assert any(t.get("data", {}).get("data") == "vehicle.energy.fuel.level" for t in triggers)


def test_each_block_is_one_of_the_documented_examples() -> None:
    """The gallery and the OpenAPI document show the same bodies."""
    paths = openapi_document()["paths"]
    for method, path, body in _gallery():
        media = paths[path][method.lower()]["requestBody"]["content"]["application/json"]
        documented = [example["value"] for example in media["examples"].values()]
        assert body in documented, (method, path, body)


@pytest.fixture(scope="module")
def own(ccsim_certs: Path) -> Iterator[ApiClient]:
    """A simulator of its own: the remotes (stolen, immobilized) stay in its vehicle."""
    with ThreadedSimulator(ccsim_certs, manual_clock=True, vehicles=1, seed=22) as server:
        client = ApiClient(server)
        yield client
        client.session.close()


def test_every_block_works_when_pasted(own: ApiClient) -> None:
    api = own
    vehicle = api.vehicle_ids()[0]
    ids = {"{id}": vehicle}
    made: list[str] = []
    for method, path, body in _gallery():
        for name, value in ids.items():
            path = path.replace(name, value)
        response = api.raw(
            method,
            path,
            params={"client_id": "demo-client"},
            headers=api.headers(),
            json=body,
        )
        assert 200 <= response.status_code < 300, (method, path, response.text)
        answer = response.json()
        if path == API + "/user/callbacks":
            ids["{cbid}"] = answer["callbackId"]
        if "monitorId" in answer:
            made.append(f"{path}/{answer['monitorId']}")
    assert len(made) == 3
