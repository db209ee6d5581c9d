"""The identity server's HTML: the sign-in and consent page, and the error page.

Self-contained pages: one inline style sheet (allowed by its hash in the
Content-Security-Policy), no script, no external asset.  Every value that
comes from a request or a declaration is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

from aiohttp import web

from simulator.auth.models import ALL_SCOPES

__all__ = [
    "PAGE_TITLE",
    "SCOPE_LABELS",
    "ConsentView",
    "consent_page",
    "error_page",
    "html_response",
]

PAGE_TITLE = "Connected car simulator — sign in"

SCOPE_LABELS: dict[str, str] = {
    "data:telemetry": "Read the vehicle's telemetry (energy, mileage, doors, maintenance)",
    "data:position": "Read the vehicle's position",
    "data:trip": "Read the vehicle's trips",
    "data:alert": "Read the vehicle's alerts",
    "data:collision": "Read the vehicle's collision reports",
    "remote:door:write": "Lock and unlock the doors",
    "remote:preconditioning:write": "Start and stop air conditioning",
    "remote:horn:write": "Sound the horn",
    "remote:charging:write": "Start, stop and schedule charging",
    "remote:lights:write": "Flash the lights",
    "remote:wakeup:write": "Wake the vehicle up",
    "remote:navigation:write": "Send destinations to the navigation system",
    "openid": "Know who you are (your account id)",
    "profile": "Read your name and e-mail address",
}

_CSS = """
*{box-sizing:border-box}
body{margin:0;background:#eef1f5;color:#1d2430;
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:30rem;margin:2.5rem auto;padding:1.75rem 2rem;background:#fff;
border-radius:10px;box-shadow:0 2px 14px rgba(20,30,50,.12)}
h1{font-size:1.3rem;margin:0 0 .3rem}
p{margin:.4rem 0}
.muted{color:#5b6575;font-size:.9rem}
.error{background:#fdecec;border:1px solid #f2b8b8;color:#8a1f1f;padding:.6rem .8rem;
border-radius:6px}
label.field{display:block;margin:.9rem 0 .25rem;font-weight:600}
input[type=text],input[type=email],input[type=password]{width:100%;padding:.55rem .65rem;
border:1px solid #b9c1cd;border-radius:6px;font:inherit}
input:focus{outline:2px solid #2f6fde;outline-offset:1px}
fieldset{border:1px solid #d7dce4;border-radius:8px;margin:1.2rem 0;padding:.6rem .9rem}
legend{font-weight:600;padding:0 .3rem}
ul{list-style:none;margin:0;padding:0}
li{padding:.3rem 0;border-bottom:1px solid #f0f2f5}
li:last-child{border-bottom:0}
li label{display:flex;gap:.6rem;align-items:flex-start;cursor:pointer}
li input{margin-top:.25rem}
code{font-size:.8rem;color:#5b6575}
.actions{display:flex;flex-direction:row-reverse;gap:.75rem;margin-top:1.2rem}
button{font:inherit;padding:.55rem 1.3rem;border-radius:6px;border:1px solid #b9c1cd;
background:#fff;cursor:pointer}
button.primary{background:#2f6fde;border-color:#2f6fde;color:#fff;font-weight:600}
button:focus{outline:2px solid #1d2430;outline-offset:2px}
"""

_STYLE_HASH = base64.b64encode(hashlib.sha256(_CSS.encode("utf-8")).digest()).decode("ascii")

# Only inline style (by hash) and form posts; nothing may frame the page or load from elsewhere.
_CSP = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; frame-ancestors 'none'"
)

_LANG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}")
# A redirect target's origin as a CSP source expression: nothing that could end the directive.
_SAFE_SOURCE = re.compile(r"(?:https?://[A-Za-z0-9.\-]+|https?://\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")
_SAFE_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def _lang(locale: str | None) -> str:
    if locale and _LANG.fullmatch(locale):
        return locale.replace("_", "-")
    return "en"


def _form_action(redirect_uri: str | None) -> str:
    """The ``form-action`` directive: our own form, and the redirect it leads to.

    Browsers check form-action against the redirects that follow a form post, so
    the client's redirect target must be allowed too, or consent could not land.
    """
    sources = ["'self'"]
    if redirect_uri:
        try:
            parts = urlsplit(redirect_uri)
        except ValueError:
            parts = None
        if parts is not None and parts.scheme in ("http", "https"):
            origin = f"{parts.scheme}://{parts.netloc}"
            if _SAFE_SOURCE.fullmatch(origin):
                sources.append(origin)
        elif parts is not None and _SAFE_SCHEME.fullmatch(parts.scheme + ":"):
            sources.append(parts.scheme + ":")
    return "form-action " + " ".join(sources)


def html_response(text: str, *, status: int = 200, redirect_uri: str | None = None) -> web.Response:
    """An HTML page with the headers every identity page carries."""
    response = web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    response.headers["Content-Security-Policy"] = f"{_CSP}; {_form_action(redirect_uri)}"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _document(body: str, lang: str = "en") -> str:
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{escape(PAGE_TITLE)}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n"
    )


def error_page(message: str, *, title: str = "This sign-in request cannot be used") -> str:
    """The page shown when the request cannot be trusted enough to redirect anywhere."""
    return _document(
        f"<h1>{escape(title)}</h1>\n"
        f'<p class="error" role="alert">{escape(message)}</p>\n'
        '<p class="muted">Go back to the application and start signing in again.</p>\n'
    )


@dataclass(frozen=True, slots=True)
class ConsentView:
    """What the consent page shows (all of it escaped on the way out)."""

    action: str  # where the form posts
    request_token: str
    client_id: str
    client_name: str
    redirect_uri: str
    scopes: frozenset[str]  # requested
    checked: frozenset[str]  # ticked boxes
    scope: str = ""  # the scope parameter as the client sent it
    state: str | None = None
    locale: str | None = None
    username: str = ""
    error: str | None = None


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">\n'


def consent_page(view: ConsentView) -> str:
    """The sign-in form, the requested scopes as checkboxes, and Allow / Deny."""
    try:
        target = urlsplit(view.redirect_uri).netloc or view.redirect_uri
    except ValueError:
        target = view.redirect_uri
    items = []
    for index, scope in enumerate(s for s in ALL_SCOPES if s in view.scopes):
        checked = " checked" if scope in view.checked else ""
        label = SCOPE_LABELS.get(scope, scope)
        items.append(
            f'<li><label for="scope-{index}">'
            f'<input type="checkbox" id="scope-{index}" name="scope" value="{escape(scope)}"'
            f"{checked}>"
            f"<span>{escape(label)}<br><code>{escape(scope)}</code></span></label></li>\n"
        )
    error = f'<p class="error" role="alert">{escape(view.error)}</p>\n' if view.error else ""
    body = (
        "<h1>Sign in</h1>\n"
        f'<p><strong>{escape(view.client_name)}</strong> <span class="muted">'
        f"({escape(view.client_id)})</span> asks to access your connected car.</p>\n"
        f'<p class="muted">After you answer you will be sent back to '
        f"<strong>{escape(target)}</strong>.</p>\n"
        f"{error}"
        f'<form method="post" action="{escape(view.action)}" autocomplete="on">\n'
        f"{_hidden('request_token', view.request_token)}"
        f"{_hidden('client_id', view.client_id)}"
        f"{_hidden('redirect_uri', view.redirect_uri)}"
        f"{_hidden('state', view.state or '')}"
        f"{_hidden('requested_scope', view.scope)}"
        f"{_hidden('locale', view.locale or '')}"
        '<label class="field" for="username">E-mail or user name</label>\n'
        '<input type="text" id="username" name="username" inputmode="email"'
        ' autocomplete="username" autocapitalize="none" spellcheck="false" required'
        f' value="{escape(view.username)}">\n'
        '<label class="field" for="password">Password</label>\n'
        '<input type="password" id="password" name="password"'
        ' autocomplete="current-password" required>\n'
        "<fieldset>\n<legend>Permissions requested</legend>\n"
        f"<ul>\n{''.join(items)}</ul>\n</fieldset>\n"
        '<p class="muted">Untick what you do not want to share.</p>\n'
        # Allow comes first in the document so that Enter in a field means Allow;
        # the row is drawn reversed so that Allow still sits on the right.
        '<div class="actions">\n'
        '<button type="submit" name="action" value="allow" class="primary">Allow</button>\n'
        '<button type="submit" name="action" value="deny" formnovalidate>Deny</button>\n'
        "</div>\n</form>\n"
    )
    return _document(body, _lang(view.locale))
