"""Rate limiting with Flask-Limiter: in memory by default, Redis when NHT_REDIS_URL is set.

A default per-client limit (NHT_RATELIMIT_DEFAULT) covers every route but the health
probes. Domains enforce their own limits on their own keys (per phone, per account)
with ``enforce``, on the same storage, so they hold across API instances too.
Refusals leave in the one error shape with ``Retry-After``.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from limits import parse

from .errors import RateLimited, handle_app_error


def _refuse(limit: RequestLimit):
    return handle_app_error(RateLimited(retry_after=limit.reset_at - time.time()))


def _exempt_now() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    view = getattr(view, "view_class", view)  # MethodView classes carry the mark
    return getattr(view, "_nht_ratelimit_exempt", False)


def init_app(app: Flask) -> None:
    # One Limiter per app: its storage follows that app's settings (tests make many apps).
    limiter = Limiter(
        key_func=get_remote_address,
        on_breach=_refuse,
        # Our 429s carry their own Retry-After; Flask-Limiter's header injection would
        # rewrite it on domain refusals too.
        headers_enabled=False,
        strategy="moving-window",
        storage_uri=app.config["REDIS_URL"] or "memory://",
        key_prefix="nht-rl",
        default_limits=[app.config["RATELIMIT_DEFAULT"]],
        default_limits_exempt_when=_exempt_now,
    )
    limiter.init_app(app)
    app.extensions["nht.limiter"] = limiter


def exempt(view):
    """Mark a view free of the default limit (health probes, polled by load balancers)."""
    view._nht_ratelimit_exempt = True
    return view


def enforce(limit: str, *key: str, count: bool = True) -> None:
    """Count one hit of ``limit`` (e.g. "5 per day") on ``key``; raise RateLimited beyond it.

    With ``count=False`` only check that a hit would be allowed: for allowances that
    should be spent only when the guarded work really happens (call ``enforce`` after).
    """
    strategy = current_app.extensions["nht.limiter"].limiter
    item = parse(limit)
    allowed = strategy.hit(item, "nht", *key) if count else strategy.test(item, "nht", *key)
    if not allowed:
        reset_at = strategy.get_window_stats(item, "nht", *key).reset_time
        raise RateLimited(retry_after=reset_at - time.time())
