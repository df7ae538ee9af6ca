"""The console's own session cookie, CSRF tokens and security headers.

The cookie (``nht_console``, path ``/console``) is signed with the app's SECRET_KEY and
holds the staff session's id, a CSRF token and when it was last used: HttpOnly,
SameSite=Strict, Secure in production. The staff session it names is the same one the
admin API's tokens belong to, so signing out, deactivation and a role change end it at
once. An idle console session ends after ``IDLE_SECONDS``.

Every POST carries the CSRF token in a hidden field (or an ``X-CSRF-Token`` header from
htmx) and is refused without it. Every answer carries a strict Content-Security-Policy:
scripts and styles from our own origin only (no inline code), nothing framed.
"""

from __future__ import annotations

import hmac
import secrets
import time
from functools import wraps

from flask import current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..api import AUTH_ATTR, PUBLIC
from ..errors import AppError
from ..identity import staff

COOKIE = "nht_console"
IDLE_SECONDS = 30 * 60
MAX_AGE_SECONDS = 12 * 3600
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
CONSOLE_AUTH = ("console", {})  # what the route-auth test sees: a session of its own


class CsrfFailed(AppError):
    status, code, message = 400, "csrf_failed", "The form has expired; reload the page and try again."


class SignInRequired(AppError):
    status, code, message = 401, "console_sign_in_required", "Sign in to the console."


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="nht-console-session")


def load() -> dict:
    """The cookie's content (fresh, empty with a new CSRF token when absent or stale)."""
    raw = request.cookies.get(COOKIE)
    data = {}
    if raw:
        try:
            data = _serializer().loads(raw, max_age=MAX_AGE_SECONDS)
        except BadSignature:
            data = {}
    if data.get("sid") and time.time() - data.get("seen", 0) > IDLE_SECONDS:
        data = {}
    if "csrf" not in data:
        data = {"csrf": secrets.token_urlsafe(32)}
    return data


def save(response, data: dict):
    data = {**data, "seen": int(time.time())}
    response.set_cookie(COOKIE, _serializer().dumps(data), max_age=MAX_AGE_SECONDS, path="/console",
                        httponly=True, samesite="Strict", secure=current_app.config["ENV"] == "production")
    return response


def check_csrf(data: dict) -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if not hmac.compare_digest(sent, data.get("csrf", "")):
        raise CsrfFailed()


def current_principal(data: dict):
    sid = data.get("sid")
    return staff.console_principal(sid) if sid else None


def security_headers(response):
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def public(view):
    setattr(view, AUTH_ATTR, PUBLIC)
    return view


def signed_in(view):
    """A page for a signed-in staff member (any role: each page's service asks ``authorize``)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("principal") is None:
            raise SignInRequired()
        return view(*args, **kwargs)

    setattr(wrapper, AUTH_ATTR, CONSOLE_AUTH)
    return wrapper
