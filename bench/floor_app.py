"""The floor of an authenticated read: the ceiling app plus what every authenticated
request of the API must do before any endpoint's own work.

1. Count the caller against the shared default rate limit: the API's own
   ``nanhaitong.ratelimit.RateLimits`` on the same storage (Redis, or memory on SQLite),
   so the floor makes exactly the API's check: the sliding-window counter, one script
   call per request (it was a moving window, a timestamp list per key, until issue 26).
2. Look the token's session up by primary key, so that logout and revocation take
   effect on the next request: one indexed SELECT, sent through the database driver
   itself (no ORM, no SQLAlchemy), on a connection and cursor kept per thread (a cursor
   made per statement was a quarter of the driver's CPU for this SELECT).

``/`` does both; ``/rate-limit`` does step 1 alone. The token's signature is not
checked here: the API remembers tokens it has verified (identity.tokens.VerifiedTokens),
so on repeated requests its check costs a dictionary lookup. The gap between the ceiling
and these rows is what no implementation of these checks in this shape can avoid; the
gap between them and an endpoint's row is what the framework (flask-smorest,
marshmallow, SQLAlchemy) and the endpoint's own work cost.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import threading

from flask import Flask, request

from nanhaitong.errors import RateLimited
from nanhaitong.ratelimit import RateLimits

_DATABASE_URL = os.environ["NHT_DATABASE_URL"]
_limits = RateLimits(os.environ.get("NHT_REDIS_URL") or "memory://",
                     os.environ.get("NHT_RATELIMIT_DEFAULT", "300 per minute"))
_connections = threading.local()
_SESSION = "SELECT revoked_at, expires_at, account_kind FROM auth_sessions WHERE id = "


def _cursor_and_statement():
    if not hasattr(_connections, "pair"):
        if _DATABASE_URL.startswith("sqlite:///"):
            conn = sqlite3.connect(_DATABASE_URL.removeprefix("sqlite:///"))
            _connections.pair = conn.cursor(), _SESSION + "?"
        else:
            import psycopg

            url = _DATABASE_URL.replace("postgresql+psycopg://", "postgresql://")
            _connections.pair = psycopg.connect(url, autocommit=True).cursor(), _SESSION + "%s"
    return _connections.pair


def _session_id() -> str:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sid"]


app = Flask(__name__)
app.register_error_handler(RateLimited, lambda _refused: ({"code": "rate_limited"}, 429))


def _count_hit() -> None:
    _limits.hit(_limits.default, "floor", request.remote_addr or "-", request.path)


@app.get("/rate-limit")
def rate_limited_empty():
    """Step 1 alone: what a request that must count against a limit shared by every
    instance costs, before it reads anything."""
    _count_hit()
    return {}


@app.get("/")
def authenticated_empty():
    _count_hit()
    cursor, statement = _cursor_and_statement()
    cursor.execute(statement, (_session_id(),))
    row = cursor.fetchone()
    if row is None or row[0] is not None:
        return {"code": "session_ended"}, 401
    return {}
