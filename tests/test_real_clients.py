"""What the most used open-source clients of the real API send, over real mTLS.

Two kinds of client are played here exactly as they talk to the real identity
server and API:

* a mobile-app style client (as a home-automation integration signs in with
  the brand app's client): authorize with a private-use scheme redirect URI
  and ``scope=openid profile email``, consent in a page, then token, refresh
  and revocation requests whose parameters are all in the query string, with
  HTTP basic client authentication and an empty form body (aiohttp, as they do);
* a swagger-client style app: ``scope=openid profile`` on the password grant
  and the code flow with PKCE (``requests``, form bodies).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import jwt
import pytest
import requests
from conftest import API, ApiClient
from test_oauth_flow import BROWSER_ACCEPT, parse_page, submit

from simulator.api.journal import redact_target
from simulator.auth.models import API_SCOPES, DATA_SCOPES
from simulator.testing import ThreadedSimulator

TOKEN = "/am/oauth2/access_token"
AUTHORIZE = "/am/oauth2/authorize"
REVOKE = "/am/oauth2/token/revoke"
USERINFO = "/am/oauth2/userinfo"
DISCOVERY = "/am/oauth2/.well-known/openid-configuration"
APP_ID, APP_SECRET = "mymap-app", "mymap-secret-1"
APP_REDIRECT = "mymap://oauth2redirect/gb"
DEMO_AUTH = ("demo-client", "demo-secret")
REALM = "clientsB2CPeugeot"


def _register_app(api: ApiClient, **extra: Any) -> requests.Response:
    body = {
        "clientId": APP_ID,
        "clientSecret": APP_SECRET,
        "name": "MyMap",
        "redirectUris": [APP_REDIRECT],
        **extra,
    }
    return api.raw("POST", "/simulator/v1/clients", json=body)


def _read_everything(api: ApiClient, token: str, client_id: str = "demo-client") -> None:
    """Every data read a client's contract allows answers 200, position included."""
    reader = ApiClient(api.server, token)
    headers = reader.headers()
    query = {"client_id": client_id}
    vehicles = reader.get("/user/vehicles", params=query, headers=headers)
    assert vehicles.status_code == 200, vehicles.text
    vid = vehicles.json()["_embedded"]["vehicles"][0]["id"]
    for tail in ("/status", "/lastPosition", "/alerts", "/maintenance", "/trips", "/telemetry"):
        answer = reader.get(f"/user/vehicles/{vid}{tail}", params=query, headers=headers)
        assert answer.status_code == 200, (tail, answer.text)
    status = reader.get(f"/user/vehicles/{vid}/status", params=query, headers=headers).json()
    assert "lastPosition" in status


# ----------------------------------------------------------------- scopes
def test_openid_profile_reads_everything_the_contract_allows(api: ApiClient) -> None:
    answer = api.server.token(scope="openid profile")
    granted = set(answer["scope"].split())
    assert granted == {*API_SCOPES, "openid", "profile"}
    assert "email" not in granted
    _read_everything(api, answer["access_token"])


def test_naming_api_scopes_narrows_them(api: ApiClient) -> None:
    answer = api.server.token(scope="openid data:telemetry")
    assert set(answer["scope"].split()) == {"openid", "data:telemetry"}
    reader = ApiClient(api.server, answer["access_token"])
    vid = reader.vehicle_ids()[0]
    assert reader.get(f"/user/vehicles/{vid}/lastPosition").status_code == 403
    assert reader.get(f"/user/vehicles/{vid}/alerts").status_code == 403
    assert "lastPosition" not in reader.get(f"/user/vehicles/{vid}/status").json()


def test_client_credentials_and_refresh_follow_the_same_rule(api: ApiClient) -> None:
    cc = api.raw(
        "POST",
        TOKEN,
        data={"grant_type": "client_credentials", "scope": "openid profile"},
        auth=DEMO_AUTH,
    ).json()
    assert set(DATA_SCOPES) <= set(cc["scope"].split())
    first = api.server.token(scope="openid profile")
    # A refresh naming only OpenID scopes (as swagger-client apps send) keeps the API scopes.
    refreshed = api.raw(
        "POST",
        TOKEN,
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "scope": "openid profile",
        },
        auth=DEMO_AUTH,
    )
    assert refreshed.status_code == 200, refreshed.text
    assert set(refreshed.json()["scope"].split()) == {*API_SCOPES, "openid", "profile"}
    _read_everything(api, refreshed.json()["access_token"])
    # ... and still cannot widen: email was not granted.
    wider = api.raw(
        "POST",
        TOKEN,
        data={
            "grant_type": "refresh_token",
            "refresh_token": refreshed.json()["refresh_token"],
            "scope": "openid email",
        },
        auth=DEMO_AUTH,
    )
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"
    assert "email" in wider.json()["error_description"]


def test_a_contract_without_position_still_gets_no_position(api: ApiClient) -> None:
    assert _register_app(api, scopes=["data:telemetry", "data:trip"]).status_code == 201
    answer = api.server.token(client_id=APP_ID, client_secret=APP_SECRET, scope="openid profile")
    assert set(answer["scope"].split()) == {"data:telemetry", "data:trip", "openid", "profile"}
    reader = ApiClient(api.server, answer["access_token"])
    vid = reader.get("/user/vehicles", params={"client_id": APP_ID}).json()["_embedded"][
        "vehicles"
    ][0]["id"]
    position = reader.get(f"/user/vehicles/{vid}/lastPosition", params={"client_id": APP_ID})
    assert position.status_code == 403
    refused = api.raw(
        "POST",
        TOKEN,
        data={"grant_type": "password", "username": "demo@example.com", "password": "demo"}
        | {"scope": "openid data:position"},
        auth=(APP_ID, APP_SECRET),
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"


# ----------------------------------------------------------------- email, userinfo, discovery
def _claims(api: ApiClient, id_token: str, audience: str = "demo-client") -> dict[str, Any]:
    keys = api.raw("GET", "/am/oauth2/connect/jwk_uri").json()["keys"]
    decoded: dict[str, Any] = jwt.decode(
        id_token,
        jwt.PyJWK(keys[0]),
        algorithms=["ES256"],
        audience=audience,
        options={"verify_exp": False, "verify_iat": False},
    )
    return decoded


def test_email_scope_puts_email_in_the_id_token_and_userinfo(api: ApiClient) -> None:
    answer = api.server.token(scope="openid profile email")
    assert {"openid", "profile", "email"} <= set(answer["scope"].split())
    claims = _claims(api, answer["id_token"])
    assert claims["email"] == "demo@example.com" and claims["email_verified"] is True
    assert claims["given_name"] == "Demo" and claims["family_name"] == "User"
    assert claims["name"] == "Demo User"
    bearer = {"Authorization": f"Bearer {answer['access_token']}"}
    info = api.raw("GET", USERINFO, headers=bearer)
    assert info.status_code == 200 and info.headers["Cache-Control"] == "no-store"
    assert info.json() == {
        "sub": "demo@example.com",
        "email": "demo@example.com",
        "email_verified": True,
        "name": "Demo User",
        "given_name": "Demo",
        "family_name": "User",
    }
    posted = api.raw("POST", USERINFO, data={"access_token": answer["access_token"]})
    assert posted.status_code == 200 and posted.json() == info.json()


def test_without_email_scope_no_email_claim(api: ApiClient) -> None:
    answer = api.server.token(scope="openid")
    claims = _claims(api, answer["id_token"])
    assert claims["sub"] == "demo@example.com"
    assert "email" not in claims and "given_name" not in claims
    info = api.raw("GET", USERINFO, headers={"Authorization": f"Bearer {answer['access_token']}"})
    assert info.json() == {"sub": "demo@example.com"}


def test_userinfo_refusals(api: ApiClient) -> None:
    no_token = api.raw("GET", USERINFO)
    assert no_token.status_code == 401 and no_token.json()["error"] == "invalid_token"
    assert no_token.headers["WWW-Authenticate"].startswith("Bearer ")
    junk = api.raw("GET", USERINFO, headers={"Authorization": "Bearer junk"})
    assert junk.status_code == 401 and 'error="invalid_token"' in junk.headers["WWW-Authenticate"]
    no_openid = api.server.token(scope="data:telemetry")["access_token"]
    denied = api.raw("GET", USERINFO, headers={"Authorization": f"Bearer {no_openid}"})
    assert denied.status_code == 403 and denied.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in denied.headers["WWW-Authenticate"]


def test_discovery_document_points_at_working_endpoints(api: ApiClient) -> None:
    meta = api.raw("GET", DISCOVERY).json()
    base = api.server.url
    assert meta["issuer"] == base + "/am/oauth2"
    assert meta["token_endpoint"] == base + TOKEN
    assert meta["authorization_endpoint"] == base + AUTHORIZE
    assert meta["userinfo_endpoint"] == base + USERINFO
    assert meta["revocation_endpoint"] == base + REVOKE
    assert "S256" in meta["code_challenge_methods_supported"]
    assert {"openid", "profile", "email"} <= set(meta["scopes_supported"])
    keys = api.session.get(meta["jwks_uri"], timeout=30).json()["keys"]
    token = api.server.token(scope="openid email")
    assert jwt.decode(
        token["id_token"],
        jwt.PyJWK(keys[0]),
        algorithms=meta["id_token_signing_alg_values_supported"],
        audience="demo-client",
        issuer=meta["issuer"],
        options={"verify_exp": False, "verify_iat": False},
    )["email"] == ("demo@example.com")


# ----------------------------------------------------------------- query-string parameters
def test_token_parameters_in_the_query_string(api: ApiClient) -> None:
    form = "application/x-www-form-urlencoded"
    password = api.raw(
        "POST",
        TOKEN,
        params={"grant_type": "password", "username": "demo@example.com", "password": "demo"},
        headers={"Content-Type": form},
        auth=DEMO_AUTH,
    )
    assert password.status_code == 200, password.text
    # No content type and no body at all works too.
    refreshed = api.raw(
        "POST",
        TOKEN,
        params={"grant_type": "refresh_token", "refresh_token": password.json()["refresh_token"]},
        auth=DEMO_AUTH,
    )
    assert refreshed.status_code == 200, refreshed.text
    # The body wins on a conflict: here the body's wrong password decides.
    conflict = api.raw(
        "POST",
        TOKEN,
        params={"grant_type": "password", "username": "demo@example.com", "password": "demo"},
        data={"password": "wrong"},
        auth=DEMO_AUTH,
    )
    assert conflict.status_code == 400 and conflict.json()["error"] == "invalid_grant"
    body_wins = api.raw(
        "POST",
        TOKEN,
        params={"grant_type": "client_credentials"},
        data={"grant_type": "password", "username": "demo@example.com", "password": "demo"},
        auth=DEMO_AUTH,
    )
    assert body_wins.status_code == 200 and "id_token" in body_wins.json()  # a user grant
    # Twice with different values in one place: refused.  The same value twice: fine.
    twice = api.raw(
        "POST",
        TOKEN + "?grant_type=password&grant_type=client_credentials",
        headers={"Content-Type": form},
        auth=DEMO_AUTH,
    )
    assert twice.status_code == 400 and twice.json()["error"] == "invalid_request"
    assert "grant_type" in twice.json()["error_description"]
    same = api.raw(
        "POST",
        TOKEN + "?grant_type=client_credentials&grant_type=client_credentials",
        auth=DEMO_AUTH,
    )
    assert same.status_code == 200
    in_body = api.raw(
        "POST", TOKEN, data=[("grant_type", "password"), ("grant_type", "x")], auth=DEMO_AUTH
    )
    assert in_body.status_code == 400 and in_body.json()["error"] == "invalid_request"
    # A body that is not a form is still refused.
    json_body = api.raw("POST", TOKEN, json={"grant_type": "password"}, auth=DEMO_AUTH)
    assert json_body.status_code == 400 and json_body.json()["error"] == "invalid_request"


def test_query_string_secrets_never_reach_the_journal(api: ApiClient) -> None:
    secret_bits = {
        "password": "pw-not-in-journal",
        "client_secret": "cs-not-in-journal",
        "refresh_token": "rt-0123456789-secret",
    }
    api.raw(
        "POST",
        TOKEN,
        params={
            "grant_type": "password",
            "username": "demo@example.com",
            "client_id": "demo-client",
            **secret_bits,
        },
    )
    api.raw("POST", TOKEN + "?grant_type=refresh_token&Refresh%5FToken=rt-encoded-secret")
    entries = api.raw("GET", "/simulator/v1/requests", params={"path": TOKEN, "limit": 5}).json()[
        "requests"
    ]
    queries = [e["query"] for e in entries]
    assert any("username=demo%40example.com" in q for q in queries), queries
    text = " ".join(queries)
    for value in (*secret_bits.values(), "rt-encoded-secret"):
        assert value not in text, text
    assert "password=[redacted]" in text and "client_secret=[redacted]" in text
    assert "Refresh_Token=[redacted]" in text  # (requests sends %5F as _)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/connectedcar/v4/user?client_id=abc", "/connectedcar/v4/user?client_id=abc"),
        ("/x", "/x"),
        ("/t?code=1&state=2", "/t?code=[redacted]&state=2"),
        ("/t?codes=1&x_code=2", "/t?codes=1&x_code=2"),
        ("/t?pass%77ord=p&token", "/t?pass%77ord=[redacted]&token"),
        ("/t?a=1&TOKEN=s&b=", "/t?a=1&TOKEN=[redacted]&b="),
    ],
)
def test_redaction_rule(target: str, expected: str) -> None:
    assert redact_target(target) == expected


# ----------------------------------------------------------------- native-app redirect URIs
@pytest.mark.parametrize(
    "uri",
    [
        "javascript:alert(1)",
        "data:text/html,hi",
        "file:///etc/passwd",
        "JavaScript://x/%0aalert(1)",
        "mymap://oauth2redirect/*",
        "mymap://oauth2redirect/gb#frag",
        "mymap:",
        "http:///no-host",
        "mymap://oauth2 redirect",
        "oauth2redirect/gb",
    ],
)
def test_hostile_redirect_uris_are_refused(api: ApiClient, uri: str) -> None:
    answer = _register_app(api, redirectUris=[uri])
    assert answer.status_code == 400, answer.text
    assert "redirectUris" in answer.json()["debug"]


def test_unregistered_custom_scheme_gets_a_page_not_a_redirect(api: ApiClient) -> None:
    assert _register_app(api).status_code == 201
    for uri in ("mymap://oauth2redirect/fr", "othermap://oauth2redirect/gb"):
        page = api.raw(
            "GET",
            AUTHORIZE,
            params={
                "client_id": APP_ID,
                "response_type": "code",
                "redirect_uri": uri,
                "scope": "openid",
            },
            headers={"Accept": BROWSER_ACCEPT},
            allow_redirects=False,
        )
        assert page.status_code == 400 and "Location" not in page.headers
    # The demo client's localhost allowance is http(s) only.
    page = api.raw(
        "GET",
        AUTHORIZE,
        params={"client_id": "demo-client", "response_type": "code", "redirect_uri": APP_REDIRECT},
        allow_redirects=False,
    )
    assert page.status_code == 400 and "Location" not in page.headers


# ----------------------------------------------------------------- the mobile app, end to end
def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _consent_code(api: ApiClient, query: str) -> dict[str, str]:
    """A browser opens ``query`` (built by hand, unencoded, as the app does) and allows."""
    page = api.raw(
        "GET", f"{AUTHORIZE}?{query}", headers={"Accept": BROWSER_ACCEPT}, allow_redirects=False
    )
    assert page.status_code == 200, page.text[:300]
    form = parse_page(page.text).form
    assert {"openid", "profile", "email", *API_SCOPES} == set(form.scopes())
    answer = submit(api, form)
    assert answer.status_code == 302, answer.text[:300]
    location = answer.headers["Location"]
    assert location.startswith(APP_REDIRECT + "?"), location
    # The consent page allowed the app's scheme as a form target.
    assert "mymap:" in page.headers["Content-Security-Policy"]
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def _mobile_app(server: ThreadedSimulator, api: ApiClient, code: str) -> dict[str, Any]:
    """Token, data, refresh and revoke as the integration does it: all in the query string."""
    basic = base64.b64encode(f"{APP_ID}:{APP_SECRET}".encode()).decode()
    token_headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": f"Basic {basic}",
    }
    seen: dict[str, Any] = {}
    connector = aiohttp.TCPConnector(ssl=server.client_context())
    async with aiohttp.ClientSession(connector=connector) as session:

        async def post(url: str) -> tuple[int, dict[str, Any]]:
            async with session.request("POST", url, headers=token_headers) as resp:
                return resp.status, await resp.json()

        status, tokens = await post(
            f"{server.url}{TOKEN}?redirect_uri={APP_REDIRECT}"
            f"&grant_type=authorization_code&code={code}"
        )
        assert status == 200, tokens
        seen["tokens"] = tokens
        data_headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        data_headers["x-introspect-realm"] = REALM
        vehicles_url = f"{server.url}{API}/user/vehicles?client_id={APP_ID}&locale=en_GB"
        async with session.get(vehicles_url, headers=data_headers) as resp:
            assert resp.status == 200
            vehicle = (await resp.json())["_embedded"]["vehicles"][0]
        status_url = f"{server.url}{API}/user/vehicles/{vehicle['id']}/status?client_id={APP_ID}"
        async with session.get(status_url, headers=data_headers) as resp:
            assert resp.status == 200
            seen["status"] = await resp.json()
        status, refreshed = await post(
            f"{server.url}{TOKEN}?grant_type=refresh_token&refresh_token={tokens['refresh_token']}"
        )
        assert status == 200, refreshed
        assert refreshed["refresh_token"] != tokens["refresh_token"]
        seen["refreshed"] = refreshed
        status, _ = await post(
            f"{server.url}{TOKEN}?grant_type=refresh_token&refresh_token={tokens['refresh_token']}"
        )
        assert status == 400  # rotated: the old refresh token is spent
        async with session.post(
            f"{server.url}{REVOKE}?token={refreshed['refresh_token']}", headers=token_headers
        ) as resp:
            assert resp.status == 200
        status, after = await post(
            f"{server.url}{TOKEN}?grant_type=refresh_token"
            f"&refresh_token={refreshed['refresh_token']}"
        )
        assert status == 400 and after["error"] == "invalid_grant"
        async with session.get(
            status_url,
            headers={"Authorization": f"Bearer {refreshed['access_token']}"}
            | {"x-introspect-realm": REALM},
        ) as resp:
            assert resp.status == 401  # revoking the refresh token took its access token
    return seen


def test_mobile_app_code_flow_end_to_end(api: ApiClient, ccsim: ThreadedSimulator) -> None:
    assert _register_app(api).status_code == 201
    query = (
        f"client_id={APP_ID}&response_type=code&redirect_uri={APP_REDIRECT}"
        "&scope=openid profile email&locale=en_GB&state=s1"
    )
    params = _consent_code(api, query)
    assert params["state"] == "s1"
    assert set(params["scope"].split()) == {"openid", "profile", "email", *API_SCOPES}
    seen = asyncio.run(_mobile_app(ccsim, api, params["code"]))
    tokens = seen["tokens"]
    assert set(tokens["scope"].split()) == {"openid", "profile", "email", *API_SCOPES}
    claims = _claims(api, tokens["id_token"], audience=APP_ID)
    assert claims["email"] == "demo@example.com" and claims["email_verified"] is True
    assert "lastPosition" in seen["status"]
    assert set(seen["refreshed"]["scope"].split()) == set(tokens["scope"].split())
    # Nothing secret from the query strings is in the journal.
    text = api.raw("GET", "/simulator/v1/requests", params={"path": TOKEN}).text
    assert tokens["refresh_token"] not in text and params["code"] not in text


def test_swagger_client_app_with_pkce(api: ApiClient) -> None:
    """Password grant and the code flow with PKCE S256 and ``scope=openid profile``."""
    assert _register_app(api).status_code == 201
    verifier, challenge = _pkce_pair()
    query = (
        f"client_id={APP_ID}&response_type=code&redirect_uri={APP_REDIRECT}"
        f"&scope=openid%20profile%20email&state=xyz&code_challenge={challenge}"
        "&code_challenge_method=S256"
    )

    def redeem(code: str, **extra: str) -> requests.Response:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": APP_REDIRECT}
        return api.raw("POST", TOKEN, data=form | extra, auth=(APP_ID, APP_SECRET))

    missing = redeem(_consent_code(api, query)["code"])
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"
    assert "code_verifier" in missing.json()["error_description"]
    wrong = redeem(_consent_code(api, query)["code"], code_verifier=_pkce_pair()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    short = redeem(_consent_code(api, query)["code"], code_verifier="short")
    assert short.status_code == 400 and short.json()["error"] == "invalid_request"
    good = redeem(_consent_code(api, query)["code"], code_verifier=verifier)
    assert good.status_code == 200, good.text
    _read_everything(api, good.json()["access_token"], client_id=APP_ID)
    # A verifier for a code asked without a challenge is refused (no downgrade).
    plain_query = query.split("&code_challenge=")[0]
    downgrade = redeem(_consent_code(api, plain_query)["code"], code_verifier=verifier)
    assert downgrade.status_code == 400 and downgrade.json()["error"] == "invalid_grant"
    # The plain method works too, an unknown one goes back to the app as an error.
    plain = f"{plain_query}&code_challenge={verifier}&code_challenge_method=plain"
    assert redeem(_consent_code(api, plain)["code"], code_verifier=verifier).status_code == 200
    odd = api.raw(
        "GET",
        f"{AUTHORIZE}?{plain_query}&code_challenge={challenge}&code_challenge_method=S512",
        allow_redirects=False,
    )
    assert odd.status_code == 302
    location = odd.headers["Location"]
    assert location.startswith(APP_REDIRECT) and "error=invalid_request" in location


def test_scenario_clients_take_custom_scheme_redirects(tmp_path: Any) -> None:
    from simulator.scenario import ScenarioError, load_scenario

    good = tmp_path / "good.yaml"
    good.write_text(
        "users: [{email: a@example.com, password: pw}]\n"
        "clients:\n"
        f"  - {{clientId: app, clientSecret: s, redirectUris: ['{APP_REDIRECT}']}}\n"
    )
    scenario = load_scenario(good)
    assert scenario.clients[0].redirectUris == [APP_REDIRECT]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "users: [{email: a@example.com, password: pw}]\n"
        "clients:\n"
        "  - clientId: app\n"
        "    clientSecret: s\n"
        "    redirectUris: ['javascript:alert(1)']\n"
    )
    with pytest.raises(ScenarioError) as failure:
        load_scenario(bad)
    assert "redirectUris" in str(failure.value) and ":5" in str(failure.value)
