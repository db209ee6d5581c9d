"""The consent page in a real headless Chromium, driven by Playwright.

The browser reaches the simulator over mTLS with Playwright's
``client_certificates``: Playwright's driver then makes the TLS connection to
the simulator itself, presenting the client certificate, and it verifies the
simulator's certificate against Node's trust store, which we extend with our
CA through ``NODE_EXTRA_CA_CERTS``.  So ``ignore_https_errors`` stays False:
no certificate check is switched off anywhere.

The client's redirect lands on a plain-http receiver on 127.0.0.1 (the demo
client accepts localhost redirects), which records what the browser brought.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from browser import launched, require_chromium
from conftest import ApiClient

from simulator.auth.models import ALL_SCOPES
from simulator.testing import ThreadedSimulator

CHROMIUM, sync_api = require_chromium()
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
TITLE = "Connected car simulator — sign in"


class Receiver:
    """A plain-http redirect target on 127.0.0.1 that remembers every request."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                body = b"<!DOCTYPE html><title>back in the app</title><p>signed in</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/callback"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def last(self) -> dict[str, str]:
        """The query of the latest redirect (the browser also asks for /favicon.ico)."""
        callbacks = [hit for hit in self.hits if urlsplit(hit).path == "/callback"]
        assert callbacks, f"the browser never reached the redirect target: {self.hits}"
        query = urlsplit(callbacks[-1]).query
        return {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(ccsim_server: ThreadedSimulator) -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as patch:
        # read by Playwright's driver (Node) when it starts: trust the simulator's CA
        patch.setenv("NODE_EXTRA_CA_CERTS", str(ccsim_server.certs.ca))
        with launched(CHROMIUM, sync_api) as chromium:
            yield chromium


@pytest.fixture
def page(browser: Any, ccsim: ThreadedSimulator) -> Iterator[Any]:
    context = browser.new_context(
        ignore_https_errors=False,
        client_certificates=[
            {
                "origin": ccsim.url,
                "certPath": str(ccsim.certs.client_cert),
                "keyPath": str(ccsim.certs.client_key),
            }
        ],
        viewport={"width": 800, "height": 1100},
    )
    context.set_default_timeout(20_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    target = Receiver()
    try:
        yield target
    finally:
        target.close()


def _authorize_url(ccsim: ThreadedSimulator, redirect_uri: str, **extra: str) -> str:
    query = {
        "client_id": "demo-client",
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": " ".join(ALL_SCOPES),
        "state": "browser-state",
        **extra,
    }
    return f"{ccsim.url}/am/oauth2/authorize?{urlencode(query)}"


def _exchange(api: ApiClient, code: str, redirect_uri: str) -> dict[str, Any]:
    answer = api.raw(
        "POST",
        "/am/oauth2/access_token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
        auth=("demo-client", "demo-secret"),
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_consent_in_a_real_browser(
    page: Any, ccsim: ThreadedSimulator, receiver: Receiver, api: ApiClient
) -> None:
    response = page.goto(_authorize_url(ccsim, receiver.url))
    assert response is not None and response.status == 200
    assert page.title() == TITLE
    assert response.headers["x-frame-options"] == "DENY"
    boxes = page.locator('input[type="checkbox"][name="scope"]')
    assert boxes.count() == len(ALL_SCOPES)
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "consent-page.png"), full_page=True)

    page.fill("#username", "demo@example.com")
    page.fill("#password", "demo")
    page.uncheck('input[name="scope"][value="data:position"]')
    with page.expect_request(lambda r: r.url.startswith(receiver.url)):
        page.click('button[value="allow"]')
    page.wait_for_url(receiver.url + "*")
    assert page.title() == "back in the app"

    params = receiver.last()
    assert params["state"] == "browser-state"
    granted = params["scope"].split()
    assert "data:position" not in granted
    assert set(granted) == set(ALL_SCOPES) - {"data:position"}
    tokens = _exchange(api, params["code"], receiver.url)
    assert "data:position" not in tokens["scope"].split()
    client = ApiClient(ccsim, tokens["access_token"])
    assert client.get("/user").status_code == 200
    vid = client.vehicle_ids()[0]
    assert client.get(f"/user/vehicles/{vid}/lastPosition").status_code == 403


def test_deny_needs_no_password_and_enter_means_allow(
    page: Any, ccsim: ThreadedSimulator, receiver: Receiver, api: ApiClient
) -> None:
    page.goto(_authorize_url(ccsim, receiver.url))
    with page.expect_request(lambda r: r.url.startswith(receiver.url)):
        page.click('button[value="deny"]')  # the empty required fields do not block Deny
    page.wait_for_url(receiver.url + "*")
    denied = receiver.last()
    assert denied["error"] == "access_denied"
    assert denied["state"] == "browser-state"

    page.goto(_authorize_url(ccsim, receiver.url, scope="data:telemetry"))
    page.fill("#username", "demo@example.com")
    page.fill("#password", "wrong")
    page.press("#password", "Enter")
    page.wait_for_selector(".error")
    assert page.locator(".error").inner_text() == "Wrong e-mail or password."
    assert page.input_value("#username") == "demo@example.com"
    page.fill("#password", "demo")
    with page.expect_request(lambda r: r.url.startswith(receiver.url)):
        page.press("#password", "Enter")
    page.wait_for_url(receiver.url + "*")
    params = receiver.last()
    assert params["scope"] == "data:telemetry"
    assert _exchange(api, params["code"], receiver.url)["scope"] == "data:telemetry"


def test_native_app_redirect_in_a_real_browser(
    page: Any, ccsim: ThreadedSimulator, api: ApiClient
) -> None:
    """A private-use scheme redirect (RFC 8252): the browser is sent to the app's URI.

    Headless Chromium has no app for ``mymap:``, so the hand-over is seen in the
    302 the consent form's post gets; the console shows no Content-Security-Policy
    refusal of the form target, which would stop a real phone's browser too.
    """
    app_uri = "mymap://oauth2redirect/gb"
    created = api.raw(
        "POST",
        "/simulator/v1/clients",
        json={"clientId": "mymap", "clientSecret": "mymap-s3cret", "redirectUris": [app_uri]},
    )
    assert created.status_code == 201, created.text
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    query = {
        "client_id": "mymap",
        "response_type": "code",
        "redirect_uri": app_uri,
        "scope": "openid profile email",
        "state": "app-state",
    }
    page.goto(f"{ccsim.url}/am/oauth2/authorize?{urlencode(query)}")
    assert page.title() == TITLE
    page.fill("#username", "demo@example.com")
    page.fill("#password", "demo")
    with page.expect_response(
        lambda r: r.url.startswith(ccsim.url + "/am/oauth2/authorize") and r.status == 302
    ) as answer:
        page.click('button[value="allow"]')
    location = answer.value.headers["location"]
    assert location.startswith(app_uri + "?"), location
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert params["state"] == "app-state"
    assert not [line for line in console if "Content Security Policy" in line], console
    tokens = api.raw(
        "POST",
        "/am/oauth2/access_token",
        params={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": app_uri,
        },
        auth=("mymap", "mymap-s3cret"),
    )
    assert tokens.status_code == 200, tokens.text
    assert "data:position" in tokens.json()["scope"].split()
