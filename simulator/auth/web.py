"""The OAuth server's HTTP face, at the real identity server's paths (``/am/oauth2``).

* ``GET /authorize`` checks the client and its redirect URI, then shows the
  sign-in and consent page (or, with ``prompt=none`` and a ``login_hint``,
  consents at once); ``POST /authorize`` takes the page's answer.  Until the
  redirect URI is trusted nothing redirects: errors are a page (or, for a
  caller that does not ask for HTML, an RFC 6749 JSON body), status 400.
* ``POST /access_token``: the token endpoint, every grant.
* ``POST /token/revoke``: RFC 7009 revocation.
* ``GET /connect/jwk_uri``: the key that signs id_tokens.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

from aiohttp import web
from multidict import MultiDict, MultiDictProxy, MultiMapping

from simulator.api.http import sim_of
from simulator.auth.models import (
    ALL_SCOPES,
    ID_TOKEN_ALGORITHM,
    MAX_LOGIN_ATTEMPTS,
    PKCE_METHODS,
    REALMS,
    AuthorizationRequest,
    Client,
    Identity,
    OAuthError,
    TokenPair,
    check_pkce_value,
    redirect_uri_allowed,
)
from simulator.auth.pages import ConsentView, consent_page, error_page, html_response

FORM = "application/x-www-form-urlencoded"
HTML = "text/html"

# Parameters of /authorize that must not be repeated (RFC 6749 §3.1).
_AUTHORIZE_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "locale",
    "login_hint",
    "prompt",
    "code_challenge",
    "code_challenge_method",
)


def oauth_error(error: OAuthError) -> web.Response:
    body = json.dumps({"error": error.error, "error_description": error.description})
    response = web.Response(
        text=body, status=error.status, content_type="application/json", charset=None
    )
    response.headers["Cache-Control"] = "no-store"
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="connectedcar-simulator"'
    return response


def _client_credentials(request: web.Request, form: MultiMapping[str]) -> tuple[str, str]:
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


def _required(form: MultiMapping[str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise OAuthError("invalid_request", f"missing parameter: {name}")
    return value


def _scope_string(scopes: frozenset[str]) -> str:
    return " ".join(s for s in ALL_SCOPES if s in scopes)


def _issuer(request: web.Request) -> str:
    """This identity server's URL as clients reach it: origin plus the mount prefix."""
    token_path = str(request.app.router["accessToken"].url_for())
    return str(request.url.origin()) + token_path.removesuffix("/access_token")


def _token_body(pair: TokenPair, id_token: str | None = None) -> web.Response:
    body: dict[str, Any] = {
        "access_token": pair.access_token,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
        "refresh_token": pair.refresh_token,
        "scope": pair.scope,
    }
    if id_token is not None:
        body["id_token"] = id_token
    response = web.Response(text=json.dumps(body), content_type="application/json", charset=None)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


async def _form(request: web.Request) -> MultiDictProxy[str]:
    """The form body; an empty body (any or no content type) is an empty form."""
    if not request.body_exists and request.content_type != FORM:
        return MultiDictProxy(MultiDict())
    if request.content_type != FORM:
        raise OAuthError("invalid_request", f"this endpoint takes {FORM}")
    try:
        raw = await request.post()
    except (ValueError, UnicodeDecodeError):
        raise OAuthError("invalid_request", "the form could not be decoded") from None
    return MultiDictProxy(MultiDict((k, v) for k, v in raw.items() if isinstance(v, str)))


def _single_values(source: MultiMapping[str], where: str) -> dict[str, str]:
    """Each parameter once; one given twice with different values is refused."""
    values: dict[str, str] = {}
    for name, value in source.items():
        if values.setdefault(name, value) != value:
            raise OAuthError("invalid_request", f"parameter {name} is given twice in the {where}")
    return values


async def _parameters(request: web.Request) -> MultiDictProxy[str]:
    """Token and revocation parameters from the query string and the form body.

    Real clients of the identity server send them either way (mobile apps POST
    ``?grant_type=...&code=...`` with an empty body), and the real server takes
    both.  On a conflict the body wins.  The request journal redacts the secret
    ones from the query string it keeps.
    """
    form = await _form(request)
    merged = _single_values(request.query, "query string")
    merged.update(_single_values(form, "form body"))
    return MultiDictProxy(MultiDict(merged))


def _wants_id_token(grant_type: str, client: Client, pair: TokenPair) -> bool:
    """OpenID Connect: an id_token when there is a signed-in user and ``openid`` applies.

    The scope granted decides; a client registered for ``openid`` (the demo
    client is registered for everything) also gets one on the grants where a
    user signs in.  Client-credentials tokens have no signed-in user.
    """
    if grant_type == "client_credentials" or pair.user_id is None:
        return False
    if "openid" in pair.scopes:
        return True
    return grant_type in ("authorization_code", "password") and "openid" in client.scopes


async def access_token(request: web.Request) -> web.Response:
    sim = sim_of(request)
    try:
        form = await _parameters(request)
        client_id, secret = _client_credentials(request, form)
        client: Client = sim.identity.authenticate_client(client_id, secret)
        grant_type = _required(form, "grant_type")
        now = sim.clock.time()
        realm = form.get("realm")
        if realm is not None and realm not in REALMS:
            raise OAuthError("invalid_request", f"unknown realm: {realm}")
        if grant_type == "authorization_code":
            pair = sim.identity.redeem_code(
                client,
                _required(form, "code"),
                form.get("redirect_uri", ""),
                now,
                form.get("code_verifier"),
            )
        elif grant_type == "password":
            user = sim.identity.authenticate_user(
                _required(form, "username"), _required(form, "password")
            )
            scopes = sim.identity.requested_scopes(client, form.get("scope"))
            pair = sim.identity.issue(client, user.id, scopes, now, auth_time=now)
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
    id_token = None
    if _wants_id_token(grant_type, client, pair):
        id_token = sim.identity.id_token(pair, _issuer(request), now)
    return _token_body(pair, id_token)


# ----------------------------------------------------------------- /authorize
def _wants_html(request: web.Request) -> bool:
    """Whether the caller asked for HTML by name (browsers do; API clients send ``*/*``)."""
    for item in request.headers.get("Accept", "").split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if media.lower() not in ("text/html", "application/xhtml+xml"):
            continue
        refused = any(
            p.replace(" ", "").lower() in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params
        )
        if not refused:
            return True
    return False


def _untrusted(request: web.Request, message: str) -> web.Response:
    """A request whose redirect URI cannot be trusted: an answer here, never a redirect."""
    if _wants_html(request):
        return html_response(error_page(message), status=400)
    return oauth_error(OAuthError("invalid_request", message))


def _redirect(redirect_uri: str, params: dict[str, str | None]) -> web.Response:
    """302 to the (trusted) redirect URI, its own query kept, ``params`` added (§4.1.2)."""
    parts = urlsplit(redirect_uri)
    added = urlencode([(k, v) for k, v in params.items() if v is not None], quote_via=quote)
    query = f"{parts.query}&{added}" if parts.query else added
    response = web.Response(status=302)
    response.headers["Location"] = urlunsplit(parts._replace(query=query))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _error_redirect(record: AuthorizationRequest, error: str, description: str) -> web.Response:
    return _redirect(
        record.redirect_uri,
        {"error": error, "error_description": description, "state": record.state},
    )


def _code_redirect(
    identity: Identity,
    record: AuthorizationRequest,
    user_id: str,
    scopes: frozenset[str],
    now: float,
) -> web.Response:
    code = identity.create_code(
        record.client_id,
        record.redirect_uri,
        user_id,
        scopes,
        now,
        challenge=record.code_challenge,
        challenge_method=record.code_challenge_method,
    )
    return _redirect(
        record.redirect_uri,
        {"code": code, "state": record.state, "scope": _scope_string(scopes)},
    )


def _consent(
    request: web.Request,
    client: Client,
    record: AuthorizationRequest,
    *,
    checked: frozenset[str],
    username: str,
    error: str | None = None,
) -> web.Response:
    """Park ``record`` under a fresh single-use token and show its page."""
    sim = sim_of(request)
    token = sim.identity.park_authorization(record, sim.clock.time())
    view = ConsentView(
        action=str(request.app.router["authorize"].url_for()),
        request_token=token,
        client_id=client.client_id,
        client_name=client.name,
        redirect_uri=record.redirect_uri,
        scopes=record.scopes,
        checked=checked,
        scope=record.scope,
        state=record.state,
        locale=record.locale,
        username=username,
        error=error,
    )
    return html_response(consent_page(view), redirect_uri=record.redirect_uri)


def _pkce(query: MultiMapping[str]) -> dict[str, Any]:
    """RFC 7636 §4.3: the code challenge of an authorization request, checked."""
    challenge = query.get("code_challenge")
    method = query.get("code_challenge_method")
    if challenge is None:
        if method is not None:
            raise OAuthError("invalid_request", "code_challenge_method without code_challenge")
        return {}
    method = method or "plain"
    if method not in PKCE_METHODS:
        raise OAuthError(
            "invalid_request", f"code_challenge_method must be one of {', '.join(PKCE_METHODS)}"
        )
    return {
        "code_challenge": check_pkce_value("code_challenge", challenge),
        "code_challenge_method": method,
    }


async def authorize(request: web.Request) -> web.Response:
    """``GET /authorize``: check the request, then the consent page or an immediate answer."""
    sim = sim_of(request)
    query = request.query
    for name in ("client_id", "redirect_uri"):
        if len(query.getall(name, [])) > 1:
            return _untrusted(request, f"parameter {name} is repeated")
    client_id = query.get("client_id", "")
    client = sim.identity.clients.get(client_id) if client_id else None
    if client is None:
        return _untrusted(request, "unknown client_id" if client_id else "missing client_id")
    redirect_uri = query.get("redirect_uri", "")
    if not redirect_uri:
        return _untrusted(request, "missing redirect_uri")
    if not redirect_uri_allowed(client, redirect_uri):
        return _untrusted(request, "redirect_uri is not registered for this client")
    # From here on the redirect URI is trusted: errors go back to it.
    record = AuthorizationRequest(
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        scopes=frozenset(),
        scope=query.get("scope", ""),
        state=query.get("state"),
        locale=query.get("locale"),
        login_hint=query.get("login_hint"),
    )
    try:
        for name in _AUTHORIZE_PARAMS:
            if len(query.getall(name, [])) > 1:
                raise OAuthError("invalid_request", f"parameter {name} is repeated")
        response_type = query.get("response_type")
        if not response_type:
            raise OAuthError("invalid_request", "missing parameter: response_type")
        if response_type != "code":
            raise OAuthError(
                "unsupported_response_type", f"unsupported response_type: {response_type}"
            )
        scopes = Identity.requested_scopes(client, query.get("scope"))
        if not scopes:
            raise OAuthError("invalid_scope", "no scope requested")
        record = dataclasses.replace(record, scopes=scopes, **_pkce(query))
        prompt = query.get("prompt", "").split()
        hint = record.login_hint
        user = sim.identity.users.get(hint.lower()) if hint else None
        if "none" in prompt:
            if len(prompt) > 1:
                raise OAuthError("invalid_request", "prompt=none cannot be combined")
            if user is None:
                raise OAuthError("login_required", "prompt=none needs the login_hint of a user")
            return _code_redirect(sim.identity, record, user.id, scopes, sim.clock.time())
        if client.auto_consent and user is not None and not prompt:
            return _code_redirect(sim.identity, record, user.id, scopes, sim.clock.time())
    except OAuthError as error:
        return _error_redirect(record, error.error, error.description)
    return _consent(request, client, record, checked=scopes, username=record.login_hint or "")


async def authorize_answer(request: web.Request) -> web.Response:
    """``POST /authorize``: the consent page's answer.

    The request itself (client, redirect URI, scopes, state) comes from the
    server-side record the page's ``request_token`` names; the form's hidden
    copies of it are never read.
    """
    sim = sim_of(request)
    try:
        form = await _form(request)
    except OAuthError as error:
        return _untrusted(request, error.description)
    now = sim.clock.time()
    token = form.get("request_token", "")
    record = sim.identity.take_authorization(token, now) if token else None
    if record is None:
        return _untrusted(request, "this sign-in page has expired or was already used")
    client = sim.identity.clients.get(record.client_id)
    if client is None or not redirect_uri_allowed(client, record.redirect_uri):
        return _untrusted(request, "the client of this sign-in request no longer exists")
    action = form.get("action")
    if action == "deny":
        return _error_redirect(record, "access_denied", "the user denied the request")
    checked = frozenset(form.getall("scope", [])) & record.scopes
    username = form.get("username", "").strip()
    if action != "allow":
        return _consent(
            request,
            client,
            record,
            checked=checked,
            username=username,
            error="Choose Allow or Deny.",
        )
    try:
        user = sim.identity.authenticate_user(username, form.get("password", ""))
    except OAuthError:
        attempts = record.attempts + 1
        if attempts >= MAX_LOGIN_ATTEMPTS:
            return _error_redirect(record, "access_denied", "too many failed sign-in attempts")
        return _consent(
            request,
            client,
            dataclasses.replace(record, attempts=attempts),
            checked=checked,
            username=username,
            error="Wrong e-mail or password.",
        )
    if not checked:
        return _consent(
            request,
            client,
            record,
            checked=checked,
            username=username,
            error="Tick at least one permission, or choose Deny.",
        )
    return _code_redirect(sim.identity, record, user.id, checked, now)


# ----------------------------------------------------------------- revocation, keys
async def revoke_token(request: web.Request) -> web.Response:
    """RFC 7009: revoke an access token, or a refresh token and its whole family.

    Unknown tokens and other clients' tokens change nothing and answer 200 too.
    """
    sim = sim_of(request)
    try:
        form = await _parameters(request)
        client_id, secret = _client_credentials(request, form)
        client = sim.identity.authenticate_client(client_id, secret)
        token = form.get("token") or form.get("refresh_token")
        if not token:
            raise OAuthError("invalid_request", "missing parameter: token")
        sim.identity.revoke(token, client.client_id)
    except OAuthError as error:
        return oauth_error(error)
    response = web.Response(status=200)
    response.headers["Cache-Control"] = "no-store"
    return response


def _json(body: dict[str, Any], *, cache: str = "no-store") -> web.Response:
    response = web.Response(text=json.dumps(body), content_type="application/json", charset=None)
    response.headers["Cache-Control"] = cache
    return response


def _bearer_token(request: web.Request, form: MultiMapping[str]) -> str:
    """RFC 6750 §2.1 (the header) or §2.2 (a form body's ``access_token``), not both."""
    header = request.headers.get("Authorization", "")
    from_form = form.get("access_token")
    if header[:7].lower() == "bearer ":
        if from_form is not None:
            raise OAuthError("invalid_request", "the token is given twice")
        return header[7:].strip()
    if from_form:
        return from_form
    raise OAuthError("invalid_token", "a bearer access token is required", 401)


async def userinfo(request: web.Request) -> web.Response:
    """OpenID Connect UserInfo: the signed-in user's claims that the token's scopes allow."""
    sim = sim_of(request)
    try:
        form = await _form(request) if request.method == "POST" else MultiDictProxy(MultiDict())
        claims = sim.identity.userinfo(_bearer_token(request, form), sim.clock.time())
    except OAuthError as error:
        response = oauth_error(error)
        if error.status in (401, 403):
            description = error.description.replace('"', "'")
            response.headers["WWW-Authenticate"] = (
                f'Bearer realm="connectedcar-simulator", error="{error.error}", '
                f'error_description="{description}"'
            )
        return response
    return _json(claims)


async def discovery(request: web.Request) -> web.Response:
    """OpenID Provider metadata (OpenID Connect Discovery §3, RFC 8414)."""
    issuer = _issuer(request)
    origin = str(request.url.origin())
    router = request.app.router

    def url(name: str) -> str:
        return origin + str(router[name].url_for())

    return _json(
        {
            "issuer": issuer,
            "authorization_endpoint": url("authorize"),
            "token_endpoint": url("accessToken"),
            "userinfo_endpoint": url("userinfo"),
            "revocation_endpoint": url("revokeToken"),
            "jwks_uri": url("jwks"),
            "scopes_supported": list(ALL_SCOPES),
            "claims_supported": [
                "sub",
                "email",
                "email_verified",
                "name",
                "given_name",
                "family_name",
                "auth_time",
            ],
            "response_types_supported": ["code"],
            "grant_types_supported": [
                "authorization_code",
                "password",
                "client_credentials",
                "refresh_token",
            ],
            "code_challenge_methods_supported": list(PKCE_METHODS),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "revocation_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ID_TOKEN_ALGORITHM],
        },
        cache="no-cache",
    )


async def jwks(request: web.Request) -> web.Response:
    body = json.dumps(sim_of(request).identity.jwks())
    response = web.Response(text=body, content_type="application/json", charset=None)
    response.headers["Cache-Control"] = "no-cache"  # a new key each time a simulator starts
    return response
