"""The live view (``/simulator/ui/``) in a real headless Chromium, driven by Playwright.

The simulator runs with a manual clock, the scenario ``scenarios/live-view.yaml`` and
its plain-HTTP ``--ui-port`` listener on 127.0.0.1 (``ui_port=0``: a free port); the
browser opens the page there, the tests steer the simulator through the API and the
control API over mTLS (as an integrator would) and through the page's own controls, and
wait on page conditions (never on the wall clock). Screenshots go to
``test-artifacts/ui/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import launched, require_chromium
from conftest import API, ApiClient

from simulator.testing import ThreadedSimulator
from simulator.testing.receiver import WebhookReceiver

CHROMIUM, sync_api = require_chromium()
expect = sync_api.expect
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "ui"
SCENARIO = Path(__file__).resolve().parent / "scenarios" / "live-view.yaml"
CONTROL = "/simulator/v1"
WAIT_MS = 20_000
FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1'])"


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def server(ccsim_certs: Path) -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(
        ccsim_certs, manual_clock=True, vehicles=3, scenario=SCENARIO, ui_port=0
    ) as sim:
        yield sim


@pytest.fixture(scope="module")
def ui_url(server: ThreadedSimulator) -> str:
    url = server.ui_url
    assert url is not None, "the simulator started without its --ui-port listener"
    assert url.startswith("http://127.0.0.1:"), url
    root = url.split("/simulator/ui")[0].rstrip("/")
    return root + "/simulator/ui/"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched(CHROMIUM, sync_api) as chromium:
        yield chromium


@pytest.fixture
def sim(server: ThreadedSimulator) -> ThreadedSimulator:
    server.reset()  # the initial fleet, the scenario set up and played again from now
    return server


@pytest.fixture
def api(sim: ThreadedSimulator) -> Iterator[ApiClient]:
    client = ApiClient(sim)
    yield client
    client.session.close()


class Page:
    """One browser tab on the live view, with what went wrong in it."""

    def __init__(self, browser: Any, url: str, width: int, height: int) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.context.set_default_timeout(WAIT_MS)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on(
            "console",
            lambda m: self.problems.append(m.text) if m.type in ("error", "warning") else None,
        )
        response = self.page.goto(url)
        assert response is not None and response.status == 200
        assert "default-src 'self'" in response.headers["content-security-policy"]
        self.page.wait_for_selector("body[data-ready]")
        expect(self.page.locator("#connection")).to_have_text("Live: receiving events")

    def vehicle(self, vehicle_id: str) -> Any:
        return self.page.locator(f'#map-vehicles .vehicle[data-id="{vehicle_id}"]')

    def select(self, vehicle_id: str) -> None:
        self.vehicle(vehicle_id).click()
        expect(self.vehicle(vehicle_id)).to_have_attribute("aria-pressed", "true")

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()
        assert not self.problems, self.problems


@pytest.fixture
def page(browser: Any, ui_url: str, sim: ThreadedSimulator) -> Iterator[Page]:
    tab = Page(browser, ui_url, 1280, 800)
    yield tab
    tab.close()


# ------------------------------------------------------------------ helpers
def control(api: ApiClient, method: str, path: str, body: Any = None) -> Any:
    response = api.raw(method, CONTROL + path, json=body)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def create_callback(api: ApiClient, target: str, types: list[str]) -> str:
    body = {
        "label": "live view",
        "type": types,
        "callback": {"webhook": {"name": "lv", "target": target}},
    }
    answer = api.raw(
        "POST", API + "/user/callbacks", params={"client_id": "demo-client"},
        headers=api.headers(), json=body,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    callback_id: str = answer.json()["callbackId"]
    return callback_id


def fleet_position(api: ApiClient, vehicle_id: str) -> tuple[float, float]:
    for vehicle in control(api, "GET", "/fleet")["vehicles"]:
        if vehicle["id"] == vehicle_id:
            return float(vehicle["latitude"]), float(vehicle["longitude"])
    raise AssertionError(f"vehicle {vehicle_id} not in /fleet")


def dom_position(tab: Page, vehicle_id: str) -> tuple[float, float]:
    node = tab.vehicle(vehicle_id)
    return float(node.get_attribute("data-latitude")), float(node.get_attribute("data-longitude"))


# ------------------------------------------------------------------ tests
def test_the_fleet_is_on_the_map(page: Page, sim: ThreadedSimulator, api: ApiClient) -> None:
    fleet = control(api, "GET", "/fleet")
    tab = page.page
    expect(tab.locator("#map-vehicles .vehicle")).to_have_count(len(fleet["vehicles"]))
    for vehicle in fleet["vehicles"]:
        node = page.vehicle(vehicle["id"])
        expect(node).to_have_attribute("data-state", vehicle["state"])
        expect(node).to_have_attribute(
            "aria-label", f"{vehicle['label']} {vehicle['vin']}, " + vehicle["state"]
        )
    names = tab.locator("#map-cities .city-name").all_text_contents()
    assert {"Paris", "Lyon"} <= set(names), names
    assert set(names) == {city["name"] for city in fleet["cities"]}
    # the scenario's monitor zones: a circle (Paris) and a polygon (Lyon)
    expect(tab.locator("#map-zones circle.zone")).to_have_count(1)
    expect(tab.locator("#map-zones polygon.zone")).to_have_count(1)
    expect(tab.locator("#legend li")).to_have_count(6)
    expect(tab.locator("#scenario")).to_be_visible()
    expect(tab.locator("#scenario-summary")).to_contain_text("live-view.yaml: 0/1 steps")

    paris = sim.vehicles["paris-car"]
    page.vehicle(paris.id).focus()
    tab.keyboard.press("Enter")  # a vehicle of the map is selected with the keyboard
    expect(tab.locator("#vehicle-title")).to_have_text(f"Vehicle: {paris.label}")
    expect(tab.locator("#monitors li[data-monitor]")).to_have_count(1)
    expect(tab.locator("#monitors")).to_contain_text("near home")
    tab.locator("#status-details summary").click()
    expect(tab.locator("#status-json")).to_contain_text('"energies"')
    shown = tab.content()
    assert api.token not in shown and "demo-secret" not in shown and "BEGIN" not in shown
    page.shot("live-view-1280x800.png")


def test_a_remote_shows_its_notification_sequence(
    page: Page, sim: ThreadedSimulator, api: ApiClient, ccsim_webhook: WebhookReceiver
) -> None:
    car = sim.vehicles["paris-car"]
    page.select(car.id)
    callback_id = create_callback(api, ccsim_webhook.url + "/remote", ["Remote"])
    answer = api.raw(
        "POST", f"{API}/user/vehicles/{car.id}/callbacks/{callback_id}/remotes",
        params={"client_id": "demo-client"}, headers=api.headers(),
        json={"label": "unlock it", "door": {"state": "Unlocked"}},
    )  # fmt: skip
    assert answer.status_code == 202, answer.text
    remote_id = answer.json()["remoteActionId"]
    sim.advance(120)
    sent = ccsim_webhook.wait_for(remote=remote_id, status="Success")
    statuses = [m["remoteEvent"]["eventStatus"]["status"] for m in ccsim_webhook.messages()]
    assert sent and statuses[-1] == "Success", statuses

    tab = page.page
    steps = tab.locator(f'#remotes li[data-remote="{remote_id}"] .steps li')
    expect(steps).to_have_count(len(statuses))
    assert [s.get_attribute("data-status") for s in steps.all()] == statuses
    expect(tab.locator(f'#remotes li[data-remote="{remote_id}"]')).to_contain_text("unlock it")
    # the same steps came live into the timeline
    live = tab.locator(f'#events li.kind-remote[data-remote="{remote_id}"]')
    expect(live).to_have_count(len(statuses))
    expect(live.first).to_contain_text("Done: Success")
    tab.select_option("#filter-kind", "remote")
    expect(tab.locator("#events li.kind-delivery")).to_have_count(0)
    page.shot("remote-sequence.png")


def test_a_failing_webhook_retries_dead_letters_and_replays_from_the_page(
    page: Page, sim: ThreadedSimulator, api: ApiClient, ccsim_webhook: WebhookReceiver
) -> None:
    car = sim.vehicles["lyon-car"]
    ccsim_webhook.set_default(500)
    callback_id = create_callback(api, ccsim_webhook.url + "/failing", ["Remote"])
    raised = control(api, "POST", "/notifications", {
        "callbackId": callback_id, "vin": car.vin, "type": "Remote",
        "remoteEvent": {"remoteActionId": "ra-ui", "remoteType": "Doors",
                        "eventStatus": {"type": "Done", "status": "Success"}},
        "retryPolicy": {"policy": "Bounded", "maxRetryNumber": 2, "retryDelay": 10},
    })  # fmt: skip
    (event_id,) = raised["eventIds"]
    sim.settle()
    tab = page.page
    failed = tab.locator(
        f'#events li.kind-delivery[data-event-id="{event_id}"][data-outcome="failed"]'
    )
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("HTTP 500")
    expect(failed).to_contain_text("next retry")

    # the page's own advance control moves the clock past the retries
    tab.fill("#advance-by", "PT1M")
    tab.click("#advance-button")
    expect(failed).to_have_count(3)  # the first attempt and two retries
    dead = tab.locator(f'#events li[data-event-id="{event_id}"][data-outcome="deadLettered"]')
    expect(dead).to_have_count(1)
    letter = tab.locator(f'#dead-letters li[data-event-id="{event_id}"]')
    expect(letter).to_contain_text("3 attempts")
    assert len(ccsim_webhook.received) == 3
    page.shot("dead-letter.png")

    ccsim_webhook.set_default(200)
    letter.get_by_role("button", name=f"Replay dead letter {event_id[:8]}").click()
    expect(tab.locator("#announce")).to_contain_text("queued again")
    sim.settle()
    (message,) = ccsim_webhook.wait_for(remote="ra-ui", status="Success")
    assert message["remoteEvent"]["remoteActionId"] == "ra-ui"
    delivered = tab.locator(f'#events li[data-event-id="{event_id}"][data-outcome="delivered"]')
    expect(delivered).to_have_count(1)
    expect(tab.locator(f'#dead-letters li[data-event-id="{event_id}"]')).to_have_count(0)
    page.shot("dead-letter-replayed.png")


def test_advancing_the_clock_from_the_page_moves_a_driving_car(
    page: Page, sim: ThreadedSimulator, api: ApiClient
) -> None:
    car = sim.vehicles["paris-car"]
    page.select(car.id)
    start = dom_position(page, car.id)
    assert start == pytest.approx(fleet_position(api, car.id))
    control(api, "POST", f"/vehicles/{car.id}/drive",
            {"to": {"longitude": 2.45, "latitude": 48.92}, "speedKmh": 50})  # fmt: skip
    tab = page.page
    before = dom_position(page, car.id)
    clock_before = tab.locator("#clock-now").inner_text()

    tab.fill("#advance-by", "PT5M")
    tab.click("#advance-button")
    expect(tab.locator("#clock-now")).not_to_have_text(clock_before)
    after_api = fleet_position(api, car.id)
    assert after_api != pytest.approx(before)
    tab.wait_for_function(
        """([id, lat, lon]) => {
            const node = document.querySelector(`#map-vehicles .vehicle[data-id="${id}"]`);
            return Math.abs(Number(node.dataset.latitude) - lat) < 1e-9
                && Math.abs(Number(node.dataset.longitude) - lon) < 1e-9;
        }""",
        arg=[car.id, after_api[0], after_api[1]],
    )
    assert dom_position(page, car.id) == pytest.approx(after_api)
    expect(page.vehicle(car.id)).to_have_attribute("data-state", "driving")  # ~10 km to go
    track = tab.locator(f'#map-tracks polyline[data-vehicle="{car.id}"]')
    assert len((track.get_attribute("points") or "").split()) >= 3
    expect(tab.locator("#chart-speed")).not_to_have_attribute("data-points", "0")
    expect(tab.locator("#vehicle-summary .position")).to_have_text(
        f"{after_api[0]:.5f}, {after_api[1]:.5f}"
    )
    tab.click("#zoom-map")  # the car, its track and its zone fill the map
    expect(tab.locator("#map-zones circle.zone-selected")).to_have_count(1)
    page.shot("drive-advanced.png")


def _accessible(tab: Any) -> tuple[str, str]:
    """Chromium's own role and accessible name of the focused element."""
    cdp = tab.context.new_cdp_session(tab)
    try:
        focused = cdp.send("Runtime.evaluate", {"expression": "document.activeElement"})
        tree = cdp.send(
            "Accessibility.getPartialAXTree",
            {"objectId": focused["result"]["objectId"], "fetchRelatives": False},
        )
    finally:
        cdp.detach()
    node = tree["nodes"][0]
    return str(node.get("role", {}).get("value", "")), str(node.get("name", {}).get("value", ""))


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (400, 800)])
def test_every_control_is_reachable_by_tab_and_named(
    browser: Any, ui_url: str, sim: ThreadedSimulator, width: int, height: int
) -> None:
    tab = Page(browser, ui_url, width, height)
    try:
        page = tab.page
        page.locator("#vehicle-list button").first.click()  # the vehicle panel's controls show
        expect(page.locator("#vehicle-body")).to_be_visible()
        page.locator("#status-details summary").click()
        expect(page.locator("#status-json")).to_contain_text("{")
        controls = page.evaluate(
            """(selector) => {
                const all = [...document.querySelectorAll(selector)].filter(
                    (el) => !el.disabled && el.checkVisibility());
                all.forEach((el, i) => (el.dataset.a11y = String(i)));
                return all.length;
            }""",
            FOCUSABLE,
        )
        assert controls > 20
        page.locator("body").focus()
        reached: dict[str, tuple[str, str]] = {}
        for _ in range(controls * 2 + 10):
            page.keyboard.press("Tab")
            index = page.evaluate("document.activeElement && document.activeElement.dataset.a11y")
            if index is None:
                continue
            if index in reached:
                break
            reached[index] = _accessible(page)
        missing = page.evaluate(
            """(seen) => [...document.querySelectorAll('[data-a11y]')]
                .filter((el) => !seen.includes(el.dataset.a11y))
                .map((el) => el.outerHTML.slice(0, 120))""",
            list(reached),
        )
        assert not missing, f"not reachable by Tab: {missing}"
        unnamed = {i: role for i, (role, name) in reached.items() if not name.strip()}
        assert not unnamed, f"controls without an accessible name: {unnamed}"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if width < 900:  # narrow: the panels stack
            boxes = [
                page.locator(s).bounding_box()
                for s in ("#map-section", "#vehicle-panel", "#timeline")
            ]
            assert all(box is not None for box in boxes)
            assert boxes[0]["y"] + boxes[0]["height"] <= boxes[1]["y"]
            assert boxes[1]["y"] + boxes[1]["height"] <= boxes[2]["y"]
        page.locator("#map-vehicles .vehicle").first.focus()
        tab.shot(f"keyboard-{width}x{height}.png")
    finally:
        tab.close()


def test_set_data_and_place_a_vehicle_from_the_page(
    page: Page, sim: ThreadedSimulator, api: ApiClient
) -> None:
    car = sim.vehicles["lyon-car"]  # a petrol car: its energy level is its fuel
    page.select(car.id)
    tab = page.page
    tab.fill("#ctl-energy", "42")
    tab.click("#energy-form button[type=submit]")
    expect(tab.locator("#announce")).to_have_text("Energy set to 42 %")
    levels = {v["id"]: v["energyLevel"] for v in control(api, "GET", "/fleet")["vehicles"]}
    assert levels[car.id] == 42
    tab.click("#ctl-unlock")
    expect(tab.locator("#announce")).to_have_text("Doors unlocked")

    before = fleet_position(api, car.id)
    tab.click("#place-mode")
    expect(tab.locator("#place-mode")).to_have_attribute("aria-pressed", "true")
    box = tab.locator("#map").bounding_box()
    assert box is not None
    tab.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    expect(tab.locator("#announce")).to_contain_text("placed at")
    after = fleet_position(api, car.id)
    assert after != pytest.approx(before)
    tab.wait_for_function(
        """([id, lat]) => Math.abs(Number(document.querySelector(
            `#map-vehicles .vehicle[data-id="${id}"]`).dataset.latitude) - lat) < 1e-9""",
        arg=[car.id, after[0]],
    )
