"""The OAuth server's HTTP face, at the real identity server's paths (``/am/oauth2``)."""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import unquote

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from simulator.api.http import SIM, sim_of
from simulator.api.operations import Operation, Param, add_routes
from simulator.auth.models import REALMS, Client, OAuthError, TokenPair

FORM = "application/x-www-form-urlencoded"


def oauth_error(error: OAuthError) -> web.Response:
    body = json.dumps({"error": error.error, "error_description": error.description})
    response = web.Response(
        text=body, status=error.status, content_type="application/json", charset=None
    )
    response.headers["Cache-Control"] = "no-store"
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="connectedcar-simulator"'
    return response


def _client_credentials(request: web.Request, form: MultiDictProxy[str]) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", "malformed basic authorization", 401) from None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            raise OAuthError("invalid_client", "malformed basic authorization", 401)
        return unquote(client_id), unquote(secret)
    form_id, form_secret = form.get("client_id"), form.get("client_secret")
    if not form_id or form_secret is None:
        raise OAuthError("invalid_client", "client authentication is required", 401)
    return form_id, form_secret


def _required(form: MultiDictProxy[str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise OAuthError("invalid_request", f"missing parameter: {name}")
    return value


def _token_body(pair: TokenPair) -> web.Response:
    body = {
        "access_token": pair.access_token,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
        "refresh_token": pair.refresh_token,
        "scope": pair.scope,
    }
    response = web.Response(text=json.dumps(body), content_type="application/json", charset=None)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


async def _form(request: web.Request) -> MultiDictProxy[str]:
    if request.content_type != FORM:
        raise OAuthError("invalid_request", f"the token endpoint takes {FORM}")
    raw = await request.post()
    return MultiDictProxy(MultiDict((k, v) for k, v in raw.items() if isinstance(v, str)))


async def access_token(request: web.Request) -> web.Response:
    sim = sim_of(request)
    try:
        form = await _form(request)
        client_id, secret = _client_credentials(request, form)
        client: Client = sim.identity.authenticate_client(client_id, secret)
        grant_type = _required(form, "grant_type")
        now = sim.clock.time()
        realm = form.get("realm") or request.query.get("realm")
        if realm is not None and realm not in REALMS:
            raise OAuthError("invalid_request", f"unknown realm: {realm}")
        if grant_type == "password":
            user = sim.identity.authenticate_user(
                _required(form, "username"), _required(form, "password")
            )
            scopes = sim.identity.requested_scopes(client, form.get("scope"))
            pair = sim.identity.issue(client, user.id, scopes, now)
        elif grant_type == "client_credentials":
            scopes = sim.identity.requested_scopes(client, form.get("scope"))
            pair = sim.identity.issue(client, client.default_user, scopes, now)
        elif grant_type == "refresh_token":
            pair = sim.identity.refresh(
                client, _required(form, "refresh_token"), now, form.get("scope")
            )
        else:
            raise OAuthError("unsupported_grant_type", f"unsupported grant_type: {grant_type}")
    except OAuthError as error:
        return oauth_error(error)
    return _token_body(pair)


def _form_param(name: str, description: str) -> Param:
    return Param(name, "query", {"type": "string"}, description=description)


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        "/access_token",
        access_token,
        "accessToken",
        "OAuth 2 token endpoint (password, client_credentials, refresh_token grants)",
        {200: None},
        content_type="application/json",
        params=(_form_param("realm", "brand realm, also accepted in the form"),),
        tags=("Identity",),
        security=False,
        extra={
            "requestBody": {
                "content": {
                    FORM: {
                        "schema": {
                            "type": "object",
                            "required": ["grant_type"],
                            "properties": {
                                name: {"type": "string"}
                                for name in (
                                    "grant_type",
                                    "client_id",
                                    "client_secret",
                                    "username",
                                    "password",
                                    "scope",
                                    "refresh_token",
                                    "realm",
                                )
                            },
                        }
                    }
                }
            }
        },
    ),
)


def create_app() -> web.Application:
    app = web.Application()
    add_routes(app, OPERATIONS)
    return app


__all__ = ["OPERATIONS", "SIM", "create_app"]
