"""Token endpoint and the request checks every /connectedcar/v4 call goes through."""

from __future__ import annotations

import requests
from conftest import ApiClient

from simulator.fleet.generate import generate_fleet
from simulator.store import Simulator
from simulator.testing import ThreadedSimulator

TOKEN_PATH = "/am/oauth2/access_token"


def _token(api: ApiClient, **form: str) -> requests.Response:
    return api.raw("POST", TOKEN_PATH, data=form)


def test_password_grant_answers_the_documented_fields(api: ApiClient) -> None:
    answer = _token(
        api,
        grant_type="password",
        username="demo@example.com",
        password="demo",
        client_id="demo-client",
        client_secret="demo-secret",
        realm="clientsB2CPeugeot",
    )
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body) >= {"access_token", "refresh_token", "scope", "expires_in"}
    assert "data:position" in body["scope"].split()
    assert len(body["access_token"]) >= 32 and body["access_token"] != body["refresh_token"]


def test_basic_auth_and_client_credentials(api: ApiClient) -> None:
    answer = api.raw(
        "POST",
        TOKEN_PATH,
        data={"grant_type": "client_credentials", "scope": "data:telemetry"},
        auth=("demo-client", "demo-secret"),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "data:telemetry"
    client = ApiClient(api.server, answer.json()["access_token"])
    assert client.get("/user/vehicles").status_code == 200


def test_oauth_errors_follow_rfc_6749(api: ApiClient) -> None:
    wrong_secret = _token(
        api,
        grant_type="password",
        username="demo@example.com",
        password="demo",
        client_id="demo-client",
        client_secret="nope",
    )
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"] == "invalid_client"
    wrong_password = _token(
        api,
        grant_type="password",
        username="demo@example.com",
        password="nope",
        client_id="demo-client",
        client_secret="demo-secret",
    )
    assert wrong_password.status_code == 400
    assert wrong_password.json()["error"] == "invalid_grant"
    odd_grant = _token(
        api, grant_type="implicit", client_id="demo-client", client_secret="demo-secret"
    )
    assert odd_grant.json()["error"] == "unsupported_grant_type"
    bad_scope = _token(
        api,
        grant_type="client_credentials",
        client_id="demo-client",
        client_secret="demo-secret",
        scope="data:everything",
    )
    assert bad_scope.json()["error"] == "invalid_scope"
    as_json = api.raw("POST", TOKEN_PATH, json={"grant_type": "password"})
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"


def test_refresh_tokens_rotate(api: ApiClient) -> None:
    first = api.server.token()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"],
        "client_id": "demo-client",
        "client_secret": "demo-secret",
    }
    second = _token(api, **form)
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    reused = _token(api, **form)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    fresh = ApiClient(api.server, second.json()["access_token"])
    assert fresh.get("/user").status_code == 200


def test_tokens_expire_on_the_simulator_clock(api: ApiClient) -> None:
    assert api.get("/user").status_code == 200
    api.server.call(lambda sim: sim.clock.advance(3599))
    assert api.get("/user").status_code == 200
    api.server.call(lambda sim: sim.clock.advance(2))
    expired = api.get("/user")
    assert expired.status_code == 401
    assert expired.headers["WWW-Authenticate"].startswith("Bearer")
    assert expired.json()["code"] == 40101


def test_check_order_and_answers(api: ApiClient) -> None:
    url = api.server.url + "/connectedcar/v4/user"
    none = api.session.get(
        url, params={"client_id": "demo-client"}, headers={"x-introspect-realm": "clientsB2CDS"}
    )
    assert none.status_code == 401
    assert none.headers["WWW-Authenticate"].startswith("Bearer")
    assert none.json()["debug"] == "Authorization"
    bogus = api.session.get(
        url,
        params={"client_id": "demo-client"},
        headers=ThreadedSimulator.api_headers("not-a-token"),
    )
    assert bogus.status_code == 401
    missing_client = api.session.get(url, verify=api.verify, headers=api.headers())
    assert missing_client.status_code == 400
    assert missing_client.json()["debug"] == "client_id"
    other_client = api.get("/user", params={"client_id": "someone-else"})
    assert other_client.status_code == 401
    assert other_client.json()["code"] == 40102
    no_realm = api.session.get(
        url, params={"client_id": "demo-client"}, headers={"Authorization": f"Bearer {api.token}"}
    )
    assert no_realm.status_code == 400
    assert no_realm.json()["debug"] == "x-introspect-realm"
    bad_realm = api.get("/user", headers=api.headers(**{"x-introspect-realm": "clientsB2CFiat"}))
    assert bad_realm.status_code == 400
    for realm in ("clientsB2COpel", "OTPVauxhall", "clientsB2CCitroen"):
        assert api.get("/user", headers=api.headers(**{"x-introspect-realm": realm})).ok


def _add_second_user(sim: Simulator) -> list[str]:
    sim.identity.add_user("eve@example.com", "eve-secret", first_name="Eve")
    vehicles = generate_fleet(99, 2, "eve@example.com", sim.clock.now())
    for vehicle in vehicles:
        sim.fleet.add(vehicle)
    return [v.id for v in vehicles]


def test_users_never_see_each_others_vehicles(api: ApiClient) -> None:
    eve_ids = api.server.call(_add_second_user)
    mine = api.vehicle_ids()
    assert not set(mine) & set(eve_ids)
    eve = ApiClient(api.server, api.server.token("eve@example.com", "eve-secret")["access_token"])
    assert sorted(eve.vehicle_ids()) == sorted(eve_ids)
    for path in ("", "/status", "/lastPosition", "/alerts", "/trips", "/maintenance"):
        foreign = api.get(f"/user/vehicles/{eve_ids[0]}{path}")
        unknown = api.get(f"/user/vehicles/no-such-vehicle{path}")
        assert foreign.status_code == unknown.status_code == 403, path
        assert foreign.json()["code"] == unknown.json()["code"] == 40302
        assert foreign.json()["message"] == unknown.json()["message"]
        assert eve_ids[0] not in foreign.text
        assert eve.get(f"/user/vehicles/{eve_ids[0]}{path}").status_code == 200, path


def test_expired_tokens_are_purged_as_new_ones_are_issued() -> None:
    """Tokens nobody presents again do not pile up: issuing purges the expired ones."""
    from simulator.auth.models import PURGE_EVERY, REFRESH_TOKEN_LIFETIME, Identity

    identity = Identity()
    client = identity.add_client("c", "s")
    identity.add_user("u@example.com", "pw")
    for i in range(50):
        identity.issue(client, "u@example.com", client.scopes, float(i))
    assert len(identity._access) == 50
    later = 3600.0 + 100  # every access token has expired; the refresh tokens live on
    identity.issue(client, "u@example.com", client.scopes, later)
    assert len(identity._access) == 1
    assert len(identity._refresh) == 51
    much_later = later + REFRESH_TOKEN_LIFETIME + PURGE_EVERY
    identity.issue(client, "u@example.com", client.scopes, much_later)
    assert len(identity._access) == 1 and len(identity._refresh) == 1
    assert len(identity._families) == 1
    # Within the hour after a purge, issuing does not scan again.
    identity.issue(client, "u@example.com", client.scopes, much_later + 10)
    assert len(identity._access) == 2
