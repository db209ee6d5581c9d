"""The authorization code flow, revocation and id_tokens, over real mTLS sockets.

A requests session plays the browser: it reads the consent page's form with
the standard library's HTML parser and posts it back, never following
redirects, so each 302 is looked at where it points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from conftest import ApiClient

from simulator.auth.models import ALL_SCOPES
from simulator.store import Simulator
from simulator.testing import ThreadedSimulator

AUTHORIZE = "/am/oauth2/authorize"
TOKEN = "/am/oauth2/access_token"
REVOKE = "/am/oauth2/token/revoke"
JWKS = "/am/oauth2/connect/jwk_uri"
REDIRECT = "http://127.0.0.1:8765/callback"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
DEMO_AUTH = ("demo-client", "demo-secret")
TITLE = "Connected car simulator — sign in"


@dataclass
class Form:
    """The consent form as a browser would submit it."""

    action: str = ""
    method: str = ""
    hidden: dict[str, str] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)
    checkboxes: list[tuple[str, str, bool]] = field(default_factory=list)
    buttons: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (name, value)

    def scopes(self) -> list[str]:
        return [value for name, value, _ in self.checkboxes if name == "scope"]

    def checked(self) -> list[str]:
        return [value for name, value, on in self.checkboxes if name == "scope" and on]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.form = Form()
        self.title = ""
        self.errors: list[str] = []
        self._in: str | None = None
        self._button: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.form.action, self.form.method = a.get("action", ""), a.get("method", "")
        elif tag == "input":
            kind, name, value = a.get("type", "text"), a.get("name", ""), a.get("value", "")
            if kind == "hidden":
                self.form.hidden[name] = value
            elif kind == "checkbox":
                self.form.checkboxes.append((name, value, "checked" in a))
            else:
                self.form.text[name] = value
        elif tag == "button":
            self._button = (a.get("name", ""), a.get("value", ""))
            self._in = "button"
        elif tag == "title":
            self._in = "title"
        elif tag == "p" and "error" in a.get("class", "").split():
            self._in = "error"
            self.errors.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("button", "title", "p"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "error":
            self.errors[-1] += data
        elif self._in == "button" and self._button is not None:
            self.form.buttons[data.strip()] = self._button


def parse_page(html: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser


def open_page(api: ApiClient, **params: str | None) -> requests.Response:
    query = {
        "client_id": "demo-client",
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": " ".join(ALL_SCOPES),
        "state": "st-123",
        **params,
    }
    return api.raw(
        "GET",
        AUTHORIZE,
        params={k: v for k, v in query.items() if v is not None},
        headers={"Accept": BROWSER_ACCEPT},
        allow_redirects=False,
    )


def submit(
    api: ApiClient,
    form: Form,
    *,
    button: str = "Allow",
    username: str = "demo@example.com",
    password: str = "demo",
    untick: tuple[str, ...] = (),
    extra: tuple[tuple[str, str], ...] = (),
    tamper: dict[str, str] | None = None,
) -> requests.Response:
    fields: list[tuple[str, str]] = list({**form.hidden, **(tamper or {})}.items())
    fields += [("username", username), ("password", password)]
    fields += [(n, v) for n, v, on in form.checkboxes if on and v not in untick]
    fields += list(extra)
    fields.append(form.buttons[button])
    return api.raw(
        "POST",
        form.action,
        data=fields,
        headers={"Accept": BROWSER_ACCEPT},
        allow_redirects=False,
    )


def redirect_params(response: requests.Response, target: str = REDIRECT) -> dict[str, str]:
    assert response.status_code == 302, response.text[:500]
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == target, location
    return {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}


def get_code(api: ApiClient, *, untick: tuple[str, ...] = (), **params: str) -> dict[str, str]:
    page = open_page(api, **params)
    assert page.status_code == 200, page.text[:500]
    return redirect_params(submit(api, parse_page(page.text).form, untick=untick))


def exchange(
    api: ApiClient, code: str, redirect_uri: str = REDIRECT, auth: tuple[str, str] = DEMO_AUTH
) -> requests.Response:
    return api.raw(
        "POST",
        TOKEN,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
        auth=auth,
    )


def refresh(api: ApiClient, refresh_token: str) -> requests.Response:
    return api.raw(
        "POST",
        TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=DEMO_AUTH,
    )


def revoke(api: ApiClient, auth: tuple[str, str] = DEMO_AUTH, **form: str) -> requests.Response:
    return api.raw("POST", REVOKE, data=form, auth=auth)


def user_status(api: ApiClient, access_token: str) -> int:
    return ApiClient(api.server, access_token).get("/user").status_code


def _add_other_client(sim: Simulator) -> None:
    sim.identity.add_client(
        "other-client",
        "other-secret",
        name="Other <b>client</b>",
        scopes=("data:telemetry", "openid"),
        redirect_uris=("https://app.example/cb",),
        auto_consent=True,
    )


# ----------------------------------------------------------------- the happy path
def test_full_code_flow_from_page_to_api_call(api: ApiClient) -> None:
    page = open_page(api, locale="fr-FR", login_hint="demo@example.com")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Frame-Options"] == "DENY"
    csp = page.headers["Content-Security-Policy"]
    for directive in ("default-src 'none'", "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in csp
    assert "http://127.0.0.1:8765" in csp  # the form's redirect may land on the client
    assert "<script" not in page.text and "http" not in page.text.split("<body>")[0].lower()
    parsed = parse_page(page.text)
    form = parsed.form
    assert parsed.title == TITLE
    assert '<html lang="fr-FR">' in page.text
    assert form.method == "post" and form.action == AUTHORIZE
    assert set(form.buttons) == {"Allow", "Deny"}
    assert form.scopes() == list(ALL_SCOPES) == form.checked()
    assert form.text["username"] == "demo@example.com"  # login_hint pre-fills the page
    assert {"client_id", "redirect_uri", "state", "requested_scope", "locale"} <= set(form.hidden)
    assert len(form.hidden["request_token"]) >= 32

    params = redirect_params(submit(api, form))
    assert params["state"] == "st-123"
    assert params["scope"].split() == list(ALL_SCOPES)
    answer = exchange(api, params["code"])
    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"].split() == list(ALL_SCOPES)
    assert body["id_token"].count(".") == 2
    client = ApiClient(api.server, body["access_token"])
    me = client.get("/user")
    assert me.status_code == 200
    assert "demo@example.com" in me.text
    vid = client.vehicle_ids()[0]
    assert client.get(f"/user/vehicles/{vid}/lastPosition").status_code == 200


def test_refused_consent_redirects_access_denied(api: ApiClient) -> None:
    page = open_page(api)
    denied = submit(api, parse_page(page.text).form, button="Deny", password="")
    params = redirect_params(denied)
    assert params["error"] == "access_denied"
    assert params["state"] == "st-123"
    assert "code" not in params


def test_partial_consent_narrows_the_token(api: ApiClient) -> None:
    params = get_code(api, untick=("data:position",))
    assert "data:position" not in params["scope"].split()
    assert "data:telemetry" in params["scope"].split()
    body = exchange(api, params["code"]).json()
    assert "data:position" not in body["scope"].split()
    client = ApiClient(api.server, body["access_token"])
    vid = client.vehicle_ids()[0]
    assert client.get(f"/user/vehicles/{vid}/status").status_code == 200
    forbidden = client.get(f"/user/vehicles/{vid}/lastPosition")
    assert forbidden.status_code == 403


def test_partial_consent_refuses_the_unticked_remote(api: ApiClient) -> None:
    params = get_code(api, untick=("remote:door:write",))
    granted = params["scope"].split()
    assert "remote:door:write" not in granted and "remote:horn:write" in granted
    client = ApiClient(api.server, exchange(api, params["code"]).json()["access_token"])
    vid = client.vehicle_ids()[0]
    callback = client.raw(
        "POST",
        "/connectedcar/v4/user/callbacks",
        params={"client_id": "demo-client"},
        headers=client.headers(),
        json={
            "label": "remotes",
            "type": ["Remote"],
            "callback": {"webhook": {"target": "https://localhost:9/r", "name": "r"}},
        },
    ).json()["callbackId"]

    def send(body: dict[str, object]) -> requests.Response:
        return client.raw(
            "POST",
            f"/connectedcar/v4/user/vehicles/{vid}/callbacks/{callback}/remotes",
            params={"client_id": "demo-client"},
            headers=client.headers(),
            json=body,
        )

    refused = send({"door": {"state": "Unlocked"}})
    assert refused.status_code == 403
    assert refused.json()["debug"] == "remote:door:write"
    assert send({"horn": {"state": "Activated"}}).status_code == 202
    client.session.close()


def test_only_requested_scopes_are_shown_and_granted(api: ApiClient) -> None:
    page = open_page(api, scope="data:telemetry openid")
    form = parse_page(page.text).form
    assert form.scopes() == ["data:telemetry", "openid"]
    # a box the page never showed, added by hand, grants nothing
    params = redirect_params(submit(api, form, extra=(("scope", "remote:door:write"),)))
    assert params["scope"] == "data:telemetry openid"


def test_wrong_password_shows_the_page_again(api: ApiClient) -> None:
    form = parse_page(open_page(api).text).form
    again = submit(api, form, password="wrong", untick=("data:trip",))
    assert again.status_code == 200
    assert "Location" not in again.headers
    assert again.headers["X-Frame-Options"] == "DENY"
    parsed = parse_page(again.text)
    assert parsed.errors == ["Wrong e-mail or password."]
    assert parsed.form.text["username"] == "demo@example.com"
    assert "data:trip" not in parsed.form.checked()  # the user's choices are kept
    new_token = parsed.form.hidden["request_token"]
    assert new_token != form.hidden["request_token"]
    # the first page's token is spent
    stale = submit(api, form)
    assert stale.status_code == 400 and "Location" not in stale.headers
    params = redirect_params(submit(api, parsed.form))
    assert "data:trip" not in params["scope"].split()


def test_too_many_wrong_passwords_end_the_request(api: ApiClient) -> None:
    form = parse_page(open_page(api).text).form
    for _ in range(4):
        again = submit(api, form, password="wrong")
        assert again.status_code == 200
        form = parse_page(again.text).form
    params = redirect_params(submit(api, form, password="wrong"))
    assert params["error"] == "access_denied"


def test_unticking_everything_asks_again(api: ApiClient) -> None:
    form = parse_page(open_page(api, scope="data:telemetry").text).form
    again = submit(api, form, untick=("data:telemetry",))
    assert again.status_code == 200
    assert parse_page(again.text).errors == ["Tick at least one permission, or choose Deny."]


def test_state_is_optional_and_the_redirect_query_is_kept(api: ApiClient) -> None:
    target = "http://localhost:9/cb"
    page = open_page(api, state=None, redirect_uri=target + "?tenant=a%20b")
    response = submit(api, parse_page(page.text).form)
    params = redirect_params(response, target)
    assert "state" not in params
    assert params["tenant"] == "a b"
    assert exchange(api, params["code"], target + "?tenant=a%20b").status_code == 200


# ----------------------------------------------------------------- codes
def test_code_reuse_fails_and_revokes_the_first_tokens(api: ApiClient) -> None:
    code = get_code(api)["code"]
    first = exchange(api, code).json()
    assert user_status(api, first["access_token"]) == 200
    second = exchange(api, code)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    assert user_status(api, first["access_token"]) == 401
    assert refresh(api, first["refresh_token"]).json()["error"] == "invalid_grant"


def test_code_reuse_also_revokes_rotated_tokens(api: ApiClient) -> None:
    code = get_code(api)["code"]
    first = exchange(api, code).json()
    rotated = refresh(api, first["refresh_token"]).json()
    assert user_status(api, rotated["access_token"]) == 200
    assert exchange(api, code).json()["error"] == "invalid_grant"
    assert user_status(api, rotated["access_token"]) == 401


def test_expired_code_is_refused(api: ApiClient) -> None:
    code = get_code(api)["code"]
    api.server.call(lambda sim: sim.clock.advance(61))
    answer = exchange(api, code)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_code_still_valid_just_before_expiry(api: ApiClient) -> None:
    code = get_code(api)["code"]
    api.server.call(lambda sim: sim.clock.advance(59))
    assert exchange(api, code).status_code == 200


def test_wrong_redirect_uri_or_client_at_the_token_endpoint(api: ApiClient) -> None:
    api.server.call(_add_other_client)
    code = get_code(api)["code"]
    wrong_uri = exchange(api, code, "http://127.0.0.1:8765/other")
    assert wrong_uri.status_code == 400
    assert wrong_uri.json()["error"] == "invalid_grant"
    missing = api.raw(
        "POST", TOKEN, data={"grant_type": "authorization_code", "code": code}, auth=DEMO_AUTH
    )
    assert missing.json()["error"] == "invalid_grant"
    other = exchange(api, code, auth=("other-client", "other-secret"))
    assert other.status_code == 400
    assert other.json()["error"] == "invalid_grant"
    unknown = exchange(api, "not-a-code")
    assert unknown.json()["error"] == "invalid_grant"


# ----------------------------------------------------------------- untrusted requests
@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/cb",
        "http://localhost@evil.example/",
        "http://localhost:80@evil.example/",
        "http://evil.example\\@localhost/",
        "http://localhost.evil.example/",
        "http://127.0.0.1.evil.example/cb",
        "http://[::1].evil.example/",
        "javascript:alert(1)",
        "ftp://localhost/cb",
        "//localhost/cb",
        "http://localhost:99999/cb",
        "http://localhost/cb#fragment",
        "http://localhost/\ncb",
        None,
        "",
    ],
)
def test_no_open_redirect(api: ApiClient, redirect_uri: str | None) -> None:
    page = open_page(api, redirect_uri=redirect_uri)
    assert page.status_code == 400
    assert "Location" not in page.headers
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert parse_page(page.text).title == TITLE
    assert "evil.example" not in page.text
    # an API client (no text/html in Accept) gets RFC 6749 JSON, and no redirect either
    query = {"client_id": "demo-client", "response_type": "code", "state": "s"}
    if redirect_uri is not None:
        query["redirect_uri"] = redirect_uri
    plain = api.raw("GET", AUTHORIZE, params=query, allow_redirects=False)
    assert plain.status_code == 400 and "Location" not in plain.headers
    assert plain.json()["error"] == "invalid_request"


def test_unknown_client_gets_a_page(api: ApiClient) -> None:
    for client_id in ("nobody", ""):
        page = open_page(api, client_id=client_id)
        assert page.status_code == 400 and "Location" not in page.headers
        assert parse_page(page.text).errors


def test_registered_uris_only_for_other_clients(api: ApiClient) -> None:
    api.server.call(_add_other_client)
    local = open_page(api, client_id="other-client", scope="data:telemetry")
    assert local.status_code == 400  # no localhost allowance for this client
    page = open_page(
        api, client_id="other-client", redirect_uri="https://app.example/cb", scope="openid"
    )
    assert page.status_code == 200
    assert "Other &lt;b&gt;client&lt;/b&gt;" in page.text  # names are escaped


def test_errors_after_trust_go_back_to_the_client(api: ApiClient) -> None:
    odd_type = redirect_params(open_page(api, response_type="token"))
    assert odd_type["error"] == "unsupported_response_type"
    assert odd_type["state"] == "st-123"
    assert odd_type["error_description"]
    missing_type = redirect_params(open_page(api, response_type=None))
    assert missing_type["error"] == "invalid_request"
    bad_scope = redirect_params(open_page(api, scope="data:telemetry data:everything"))
    assert bad_scope["error"] == "invalid_scope"
    api.server.call(_add_other_client)
    wider = redirect_params(
        open_page(
            api,
            client_id="other-client",
            redirect_uri="https://app.example/cb",
            scope="data:position",
        ),
        "https://app.example/cb",
    )
    assert wider["error"] == "invalid_scope"


def test_hostile_parameters_are_escaped(api: ApiClient) -> None:
    evil = '"><script>alert(1)</script>'
    page = open_page(api, state=evil, locale=evil, login_hint=evil)
    assert page.status_code == 200
    assert "<script>" not in page.text
    form = parse_page(page.text).form
    assert form.hidden["state"] == evil
    assert '<html lang="en">' in page.text
    assert redirect_params(submit(api, form))["state"] == evil


def test_tampered_hidden_fields_change_nothing(api: ApiClient) -> None:
    api.server.call(_add_other_client)
    form = parse_page(open_page(api, scope="data:telemetry openid").text).form
    tampered = submit(
        api,
        form,
        tamper={
            "redirect_uri": "https://evil.example/steal",
            "client_id": "other-client",
            "state": "forged",
            "requested_scope": " ".join(ALL_SCOPES),
        },
        extra=(("scope", "remote:door:write"),),
    )
    params = redirect_params(tampered)  # still the original redirect URI
    assert params["state"] == "st-123"
    assert params["scope"] == "data:telemetry openid"
    assert exchange(api, params["code"], "https://evil.example/steal").status_code == 400
    assert exchange(api, params["code"], auth=("other-client", "other-secret")).status_code == 400
    body = exchange(api, params["code"]).json()
    assert body["scope"] == "data:telemetry openid"


def test_forged_or_missing_request_token(api: ApiClient) -> None:
    form = parse_page(open_page(api).text).form
    for token in ("forged", ""):
        response = submit(api, form, tamper={"request_token": token})
        assert response.status_code == 400
        assert "Location" not in response.headers
    as_json = api.raw("POST", AUTHORIZE, json={"request_token": "x"}, allow_redirects=False)
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"


def test_consent_page_expires_with_the_code_life(api: ApiClient) -> None:
    form = parse_page(open_page(api).text).form
    api.server.call(lambda sim: sim.clock.advance(61))
    late = submit(api, form)
    assert late.status_code == 400
    assert "Location" not in late.headers


# ----------------------------------------------------------------- headless consent
def test_prompt_none_with_login_hint_skips_the_page(api: ApiClient) -> None:
    params = redirect_params(open_page(api, prompt="none", login_hint="DEMO@example.com"))
    assert params["state"] == "st-123"
    assert params["scope"].split() == list(ALL_SCOPES)
    assert user_status(api, exchange(api, params["code"]).json()["access_token"]) == 200


def test_prompt_none_without_a_known_user_needs_login(api: ApiClient) -> None:
    for hint in (None, "nobody@example.com"):
        params = redirect_params(open_page(api, prompt="none", login_hint=hint))
        assert params["error"] == "login_required"
        assert params["state"] == "st-123"


def test_auto_consent_client_with_login_hint(api: ApiClient) -> None:
    api.server.call(_add_other_client)
    target = "https://app.example/cb"
    params = redirect_params(
        open_page(
            api,
            client_id="other-client",
            redirect_uri=target,
            scope="data:telemetry",
            login_hint="demo@example.com",
        ),
        target,
    )
    answer = exchange(api, params["code"], target, auth=("other-client", "other-secret"))
    assert answer.status_code == 200
    assert answer.json()["scope"] == "data:telemetry"
    # registered for openid, so a user sign-in answers an id_token for this client
    assert _verify(api, answer.json()["id_token"], "other-client")["sub"] == "demo@example.com"
    # without a login hint the page is shown
    page = open_page(api, client_id="other-client", redirect_uri=target, scope="data:telemetry")
    assert page.status_code == 200


# ----------------------------------------------------------------- revocation
def test_revoked_access_token_is_refused(api: ApiClient) -> None:
    tokens = exchange(api, get_code(api)["code"]).json()
    assert user_status(api, tokens["access_token"]) == 200
    answer = revoke(api, token=tokens["access_token"], token_type_hint="access_token")
    assert answer.status_code == 200 and answer.content == b""
    assert user_status(api, tokens["access_token"]) == 401
    # its refresh token lives on
    assert refresh(api, tokens["refresh_token"]).status_code == 200


def test_revoked_refresh_token_takes_its_access_tokens(api: ApiClient) -> None:
    tokens = exchange(api, get_code(api)["code"]).json()
    rotated = refresh(api, tokens["refresh_token"]).json()
    answer = api.raw(
        "POST",
        REVOKE,
        data={
            "refresh_token": rotated["refresh_token"],
            "client_id": "demo-client",
            "client_secret": "demo-secret",
        },
    )
    assert answer.status_code == 200
    assert user_status(api, rotated["access_token"]) == 401
    assert user_status(api, tokens["access_token"]) == 401
    assert refresh(api, rotated["refresh_token"]).json()["error"] == "invalid_grant"


def test_rotated_refresh_tokens(api: ApiClient) -> None:
    tokens = exchange(api, get_code(api)["code"]).json()
    rotated = refresh(api, tokens["refresh_token"])
    assert rotated.status_code == 200
    assert rotated.json()["refresh_token"] != tokens["refresh_token"]
    assert "id_token" in rotated.json()  # openid was granted
    old = refresh(api, tokens["refresh_token"])
    assert old.status_code == 400 and old.json()["error"] == "invalid_grant"
    assert user_status(api, rotated.json()["access_token"]) == 200


def test_revocation_rules(api: ApiClient) -> None:
    api.server.call(_add_other_client)
    tokens = exchange(api, get_code(api)["code"]).json()
    # another client's token: ignored, and 200 all the same (RFC 7009)
    foreign = revoke(api, ("other-client", "other-secret"), token=tokens["access_token"])
    assert foreign.status_code == 200
    assert user_status(api, tokens["access_token"]) == 200
    assert revoke(api, token="never-issued").status_code == 200
    unauthenticated = api.raw("POST", REVOKE, data={"token": tokens["access_token"]})
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"] == "invalid_client"
    bad_secret = revoke(api, ("demo-client", "nope"), token=tokens["access_token"])
    assert bad_secret.status_code == 401
    missing = revoke(api)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    assert user_status(api, tokens["access_token"]) == 200


# ----------------------------------------------------------------- id_token
def _verify(api: ApiClient, id_token: str, audience: str = "demo-client") -> dict[str, Any]:
    keys = api.raw("GET", JWKS)
    assert keys.status_code == 200
    assert keys.headers["Content-Type"].startswith("application/json")
    (jwk,) = keys.json()["keys"]
    assert {jwk["kty"], jwk["crv"], jwk["use"], jwk["alg"]} == {"EC", "P-256", "sig", "ES256"}
    assert jwt.get_unverified_header(id_token)["kid"] == jwk["kid"]
    key = jwt.PyJWK(jwk)
    # The simulator signs with its own clock (manual here, ahead of the wall clock after
    # other tests advanced it): PyJWT checks the signature, aud and iss; time below.
    claims: dict[str, Any] = jwt.decode(
        id_token,
        key,
        algorithms=["ES256"],
        audience=audience,
        issuer=api.server.url + "/am/oauth2",
        options={"verify_exp": False, "verify_iat": False, "require": ["exp", "iat", "sub"]},
    )
    return claims


def test_id_token_verifies_against_the_jwks(api: ApiClient) -> None:
    tokens = exchange(api, get_code(api)["code"]).json()
    now = api.server.call(lambda sim: sim.clock.time())
    claims = _verify(api, tokens["id_token"])
    assert claims["sub"] == "demo@example.com"
    assert claims["email"] == "demo@example.com"
    assert claims["aud"] == "demo-client"
    assert claims["exp"] - claims["iat"] == tokens["expires_in"] == 3600
    assert abs(claims["iat"] - now) <= 2
    assert claims["exp"] > now
    assert claims["auth_time"] <= claims["iat"]
    with pytest.raises(jwt.InvalidSignatureError):
        head, _body, sig = tokens["id_token"].split(".")
        forged_body = jwt.utils.base64url_encode(b'{"sub":"eve@example.com"}').decode()
        _verify(api, f"{head}.{forged_body}.{sig}")


def test_id_token_on_every_grant_with_a_user(api: ApiClient) -> None:
    password = api.server.token()
    assert "id_token" in password
    assert _verify(api, password["id_token"])["sub"] == "demo@example.com"
    without_openid = exchange(api, get_code(api, scope="data:telemetry")["code"]).json()
    assert _verify(api, without_openid["id_token"])["aud"] == "demo-client"
    cc = api.raw("POST", TOKEN, data={"grant_type": "client_credentials"}, auth=DEMO_AUTH).json()
    assert "access_token" in cc and "id_token" not in cc


def test_the_signing_key_belongs_to_one_simulator(api: ApiClient, ccsim: ThreadedSimulator) -> None:
    kid = api.raw("GET", JWKS).json()["keys"][0]["kid"]
    ccsim.call(lambda sim: sim.reset())
    assert api.raw("GET", JWKS).json()["keys"][0]["kid"] == kid  # a reset keeps it
    other = ccsim.call(lambda sim: Simulator(sim.settings).identity.key_id)
    assert other != kid


def test_openapi_lists_the_identity_operations(api: ApiClient) -> None:
    paths = api.raw("GET", "/simulator/v1/openapi.json").json()["paths"]
    page = paths["/am/oauth2/authorize"]["get"]
    assert "text/html" in page["responses"]["200"]["content"]
    assert "text/html" in paths["/am/oauth2/authorize"]["post"]["responses"]["200"]["content"]
    assert "post" in paths["/am/oauth2/token/revoke"]
    assert "get" in paths["/am/oauth2/connect/jwk_uri"]
