"""Rate limits: a sliding-window counter, one round trip per check, in Redis when
NHT_REDIS_URL is set and in process otherwise.

A default per-client limit (NHT_RATELIMIT_DEFAULT) covers every route but the few marked
``exempt`` (health probes, upstream callbacks), counted per client address and route.
Domains enforce their own limits on their own keys (per phone, per account) with
``enforce``, on the same storage, so they hold across API instances too. Refusals leave
in the one error shape with ``Retry-After``.

The default limit is one ``before_request`` hook rather than Flask-Limiter: its per-request
bookkeeping (choosing among decorators, meta and blueprint limits we never use) cost a
sixth of an authenticated read's CPU, more than the Redis round trip itself.

The counting itself is ``ratelimit_counter.SlidingWindowCounter`` (issue 26): the moving window kept
a timestamp per hit in a Redis list; a pair of counters per key answers the same question
in one script call, and the refusal's Retry-After comes back with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, request
from limits import RateLimitItem, RateLimitItemPerSecond, parse
from limits.storage import storage_from_string

from .errors import RateLimited
from .ratelimit_counter import SlidingWindowCounter
from .redis_client import TIMEOUTS


class RateLimits:
    """One app's limit storage and strategy (tests make many apps, each with its own)."""

    def __init__(self, storage_uri: str, default: str):
        self.strategy = SlidingWindowCounter(storage_from_string(storage_uri, key_prefix="nht-rl", **TIMEOUTS))
        self.default = parse(default)

    def hit(self, item: RateLimitItem, *key: str, count: bool = True, message: str | None = None) -> None:
        """Count a hit (or with ``count=False`` only check one would be allowed); refuse beyond."""
        allowed, retry_after = self.strategy.check(item, *key, count=count)
        if not allowed:
            raise RateLimited(retry_after=retry_after, message=message)

def _exempt_now() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    view = getattr(view, "view_class", view)  # MethodView classes carry the mark
    return getattr(view, "_nht_ratelimit_exempt", False)


def _default_limit() -> None:
    if request.endpoint is None or _exempt_now():
        return  # unknown paths end as 404 without work worth limiting
    limits: RateLimits = current_app.extensions["nht.ratelimits"]
    limits.hit(limits.default, "default", request.remote_addr or "-", request.endpoint)


def init_app(app: Flask) -> None:
    app.extensions["nht.ratelimits"] = RateLimits(app.config["REDIS_URL"] or "memory://",
                                                  app.config["RATELIMIT_DEFAULT"])
    app.before_request(_default_limit)


def exempt(view):
    """Mark a view free of the default limit (health probes, polled by load balancers)."""
    view._nht_ratelimit_exempt = True
    return view


def strategy() -> SlidingWindowCounter:
    """The app's limiter, for counters that are not simple hits (e.g. failed logins)."""
    return current_app.extensions["nht.ratelimits"].strategy


def enforce(limit: str, *key: str, count: bool = True) -> None:
    """Count one hit of ``limit`` (e.g. "5 per day") on ``key``; raise RateLimited beyond it.

    With ``count=False`` only check that a hit would be allowed: for allowances that
    should be spent only when the guarded work really happens (call ``enforce`` after).
    """
    current_app.extensions["nht.ratelimits"].hit(parse(limit), "nht", *key, count=count)


@contextmanager
def once_per(seconds: int, *key: str, message: str) -> Iterator[None]:
    """Let the block run once per ``seconds`` for ``key``; a second caller within that time
    gets RateLimited with ``message``, even from another instance at the same moment (the
    hit is one atomic step on the shared storage).

    If the block raises, its turn is given back: the work did not happen, so asking again
    at once is fair. Only a one-per-window limit can be given back (clearing the key).
    ``seconds`` of 0 or less means no wait at all (tests, demos).
    """
    if seconds <= 0:
        yield
        return
    limits: RateLimits = current_app.extensions["nht.ratelimits"]
    item = RateLimitItemPerSecond(1, seconds)
    limits.hit(item, "nht", *key, message=message)
    try:
        yield
    except BaseException:
        limits.strategy.clear(item, "nht", *key)
        raise
