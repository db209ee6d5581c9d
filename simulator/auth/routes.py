"""The identity server's route table: the routes and their OpenAPI description, in one place.

The handlers live in :mod:`simulator.auth.web`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulator.api.http import Handler
from simulator.api.operations import Operation, Param, add_routes
from simulator.auth.models import PKCE_METHODS, PKCE_VALUE_SCHEMA, REALMS
from simulator.auth.web import (
    FORM,
    HTML,
    access_token,
    authorize,
    authorize_answer,
    discovery,
    jwks,
    revoke_token,
    userinfo,
)

# ----------------------------------------------------------------- route table
# The identity endpoints answer RFC 6749 errors, written here; only a body over the
# size limit (413) gets the API's error body, from the layer below them.
_STRING = {"type": "string"}
_GIVEN = {"type": "string", "minLength": 1}  # _required(): an empty value is missing
_GRANT_TYPES = ("authorization_code", "password", "client_credentials", "refresh_token")
_GRANT_NEEDS = {
    "authorization_code": ("code",),
    "password": ("username", "password"),
    "client_credentials": (),
    "refresh_token": ("refresh_token",),
}
"""What each grant reads with :func:`_required` (the rest is optional)."""
_TOKEN_FIELDS: dict[str, dict[str, Any]] = {
    "grant_type": {"type": "string", "enum": list(_GRANT_TYPES)},
    "client_id": _STRING,
    "client_secret": _STRING,
    "code": _STRING,
    "redirect_uri": _STRING,
    "code_verifier": PKCE_VALUE_SCHEMA,
    "username": _STRING,
    "password": _STRING,
    "scope": {"type": "string", "description": "space-separated scopes"},
    "refresh_token": _STRING,
    "realm": {"type": "string", "enum": sorted(REALMS)},
}
_TOKEN_FORM: dict[str, Any] = {
    "type": "object",
    "required": ["grant_type"],
    "properties": _TOKEN_FIELDS,
    "oneOf": [
        {
            "properties": {
                "grant_type": {"const": grant},
                **{name: _GIVEN for name in needs},
            },
            "required": list(needs),
        }
        for grant, needs in _GRANT_NEEDS.items()
    ],
    "description": "the client authenticates with HTTP basic (client_id:client_secret) or "
    "with client_id and client_secret here; every field may come in the query string "
    "instead (the body wins)",
}
_REVOKE_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "token": _STRING,
        "refresh_token": _STRING,
        "token_type_hint": _STRING,
        "client_id": _STRING,
        "client_secret": _STRING,
    },
    # token, or else refresh_token, non-empty
    "anyOf": [
        {"required": ["token"], "properties": {"token": _GIVEN}},
        {"required": ["refresh_token"], "properties": {"refresh_token": _GIVEN}},
    ],
}
_CONSENT_FORM: dict[str, Any] = {
    "type": "object",
    "required": ["request_token"],
    "properties": {
        "request_token": {
            **_GIVEN,
            "description": "single use, from the page (expired or used: 400)",
        },
        "action": {
            "type": "string",
            "description": "allow or deny; anything else shows the page again",
        },
        "username": _STRING,
        "password": _STRING,
        "scope": {"type": "array", "items": _STRING, "description": "the ticked scopes"},
    },
}


def _form_body(schema: dict[str, Any], *, body_required: bool = True) -> dict[str, Any]:
    # other fields are ignored, but each once (_single_values): one string each
    schema = {**schema, "additionalProperties": _STRING}
    return {"requestBody": {"required": body_required, "content": {FORM: {"schema": schema}}}}


_OAUTH_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "error_description"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}
_HTML_PAGE = {HTML: {"schema": {"type": "string"}}}
_REDIRECT = {
    "description": "back to redirect_uri with code, state and scope, or error and state",
    "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
}
_UNTRUSTED = {
    "description": "unknown client or redirect URI: a page for browsers, never a redirect",
    "content": {**_HTML_PAGE, "application/json": {"schema": _OAUTH_ERROR_SCHEMA}},
}
_OAUTH_FAILURE = {
    "description": "RFC 6749 error",
    "content": {"application/json": {"schema": _OAUTH_ERROR_SCHEMA}},
}

_TOKEN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["access_token", "token_type", "expires_in", "refresh_token", "scope"],
    "properties": {
        "access_token": {"type": "string"},
        "token_type": {"type": "string", "enum": ["Bearer"]},
        "expires_in": {"type": "integer"},
        "refresh_token": {"type": "string"},
        "scope": {"type": "string"},
        "id_token": {"type": "string"},
    },
}
_CLAIMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["sub"],
    "properties": {
        "sub": {"type": "string"},
        "email": {"type": "string"},
        "email_verified": {"type": "boolean"},
        "name": {"type": "string"},
        "given_name": {"type": "string"},
        "family_name": {"type": "string"},
    },
}
_USERINFO_RESPONSES = {
    "200": {
        "description": "the user's claims that the token's scopes allow",
        "content": {"application/json": {"schema": _CLAIMS_SCHEMA}},
    },
    "400": _OAUTH_FAILURE,
    "401": _OAUTH_FAILURE,
    "403": _OAUTH_FAILURE,
}


def _query(name: str, description: str, schema: dict[str, Any] = _STRING) -> Param:
    return Param(name, "query", schema, description=description)


def _userinfo_operation(method: str, operation_id: str) -> Operation:
    return Operation(
        method,
        "/userinfo",
        userinfo,
        operation_id,
        "OpenID Connect UserInfo (bearer access token granted openid)",
        {200: None},
        content_type="application/json",
        params=(
            Param(
                "Authorization",
                "header",
                {"type": "string"},
                description="Bearer <access token>",
            ),
        ),
        tags=("Identity",),
        security=False,
        extra={
            "responses": _USERINFO_RESPONSES,
            **(
                _form_body(
                    {"type": "object", "properties": {"access_token": _STRING}},
                    body_required=False,
                )
                if method == "POST"
                else {}
            ),
        },
        errors=(413,) if method == "POST" else (),
    )


def _json_get(
    path: str,
    handler: Handler,
    operation_id: str,
    summary: str,
    described: str,
    schema: dict[str, Any],
) -> Operation:
    """A GET answering one JSON document and nothing else."""
    return Operation(
        "GET",
        path,
        handler,
        operation_id,
        summary,
        {200: None},
        content_type="application/json",
        tags=("Identity",),
        security=False,
        extra={
            "responses": {
                "200": {
                    "description": described,
                    "content": {"application/json": {"schema": schema}},
                }
            }
        },
    )


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        "/access_token",
        access_token,
        "accessToken",
        "OAuth 2 token endpoint (authorization_code, password, client_credentials, "
        "refresh_token grants)",
        {200: None},
        content_type="application/json",
        params=tuple(
            _query(name, "also accepted in the form body (the body wins)", schema)
            for name, schema in _TOKEN_FIELDS.items()
        ),
        tags=("Identity",),
        security=False,
        extra={
            **_form_body(_TOKEN_FORM, body_required=False),
            "security": [{"clientBasic": []}, {}],
            "responses": {
                "200": {
                    "description": "the tokens",
                    "content": {"application/json": {"schema": _TOKEN_SCHEMA}},
                },
                "400": _OAUTH_FAILURE,
                "401": _OAUTH_FAILURE,
            },
        },
        errors=(413,),
    ),
    Operation(
        "GET",
        "/authorize",
        authorize,
        "authorize",
        "Authorization code flow: the sign-in and consent page",
        {200: None, 302: None, 400: None},
        content_type=HTML,
        params=(
            Param("client_id", "query", _GIVEN, True, "the client asking (unknown: 400)"),
            Param(
                "response_type",
                "query",
                {"type": "string", "enum": ["code"]},
                True,
                "code (another: an error back to redirect_uri)",
            ),
            Param(
                "redirect_uri",
                "query",
                _GIVEN,
                True,
                "registered, or localhost for the demo client (else 400)",
            ),
            _query("scope", "space-separated scopes (default: all of the client's)"),
            _query("state", "echoed back on the redirect"),
            _query("locale", "the page's language tag, e.g. fr-FR"),
            _query("login_hint", "the user's e-mail (pre-fills the page)"),
            _query("prompt", "none: consent without a page for the login_hint user (sim)"),
            _query("code_challenge", "RFC 7636 (PKCE)", PKCE_VALUE_SCHEMA),
            _query(
                "code_challenge_method",
                "with code_challenge (default plain)",
                {"type": "string", "enum": list(PKCE_METHODS)},
            ),
        ),
        tags=("Identity",),
        security=False,
        extra={
            "responses": {
                "200": {"description": "the sign-in and consent page", "content": _HTML_PAGE},
                "302": _REDIRECT,
                "400": _UNTRUSTED,
            }
        },
    ),
    Operation(
        "POST",
        "/authorize",
        authorize_answer,
        "authorizeConsent",
        "Authorization code flow: the consent page's answer (Allow or Deny)",
        {200: None, 302: None, 400: None},
        content_type=HTML,
        tags=("Identity",),
        security=False,
        extra={
            **_form_body(_CONSENT_FORM),
            "responses": {
                "200": {"description": "the page again, with an error", "content": _HTML_PAGE},
                "302": _REDIRECT,
                "400": _UNTRUSTED,
            },
        },
        errors=(413,),
    ),
    Operation(
        "POST",
        "/token/revoke",
        revoke_token,
        "revokeToken",
        "RFC 7009 token revocation (a refresh token takes its access tokens along)",
        {200: None},
        content_type="application/json",
        params=tuple(
            _query(name, "also accepted in the form body (the body wins)")
            for name in _REVOKE_FORM["properties"]
        ),
        tags=("Identity",),
        security=False,
        extra={
            **_form_body(_REVOKE_FORM, body_required=False),
            "security": [{"clientBasic": []}, {}],
            "responses": {
                "200": {"description": "revoked, or nothing to revoke"},
                "400": _OAUTH_FAILURE,
                "401": _OAUTH_FAILURE,
            },
        },
        errors=(413,),
    ),
    _userinfo_operation("GET", "userinfo"),
    _userinfo_operation("POST", "userinfoPost"),
    _json_get(
        "/.well-known/openid-configuration",
        discovery,
        "openidConfiguration",
        "OpenID Provider metadata: the endpoints, scopes and methods of this identity server",
        "the metadata",
        {"type": "object", "required": ["issuer", "token_endpoint", "jwks_uri"]},
    ),
    _json_get(
        "/connect/jwk_uri",
        jwks,
        "jwks",
        "The JSON Web Key Set that verifies id_tokens (ES256)",
        "the keys",
        {
            "type": "object",
            "required": ["keys"],
            "properties": {"keys": {"type": "array", "items": {"type": "object"}}},
        },
    ),
)


def create_app() -> web.Application:
    app = web.Application()
    add_routes(app, OPERATIONS)
    return app


__all__ = ["OPERATIONS", "create_app"]
