"""The floor of an authenticated read: the ceiling app plus what every authenticated
request of the API must do before any endpoint's own work.

1. Count the caller against the shared default rate limit: the same `limits` moving
   window on the same storage (Redis, or memory on SQLite) as nanhaitong/ratelimit.py.
2. Look the token's session up by primary key, so that logout and revocation take
   effect on the next request: one indexed SELECT, sent through the database driver
   itself (no ORM, no SQLAlchemy), on a connection kept per thread.

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
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

_DATABASE_URL = os.environ["NHT_DATABASE_URL"]
_LIMIT = parse(os.environ.get("NHT_RATELIMIT_DEFAULT", "600 per minute"))
_limiter = MovingWindowRateLimiter(storage_from_string(os.environ.get("NHT_REDIS_URL") or "memory://",
                                                       key_prefix="nht-floor"))
_connections = threading.local()
_SESSION = "SELECT revoked_at, expires_at, account_kind FROM auth_sessions WHERE id = "


def _connection_and_statement():
    if not hasattr(_connections, "pair"):
        if _DATABASE_URL.startswith("sqlite:///"):
            conn = sqlite3.connect(_DATABASE_URL.removeprefix("sqlite:///"))
            _connections.pair = conn, _SESSION + "?"
        else:
            import psycopg

            url = _DATABASE_URL.replace("postgresql+psycopg://", "postgresql://")
            _connections.pair = psycopg.connect(url, autocommit=True), _SESSION + "%s"
    return _connections.pair


def _session_id() -> str:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sid"]


app = Flask(__name__)


def _limited():
    if not _limiter.hit(_LIMIT, "default", request.remote_addr or "-", request.path):
        return {"code": "rate_limited"}, 429
    return None


@app.get("/rate-limit")
def rate_limited_empty():
    """Step 1 alone: what a request that must count against a limit shared by every
    instance costs, before it reads anything."""
    return _limited() or {}


@app.get("/")
def authenticated_empty():
    refused = _limited()
    if refused:
        return refused
    conn, statement = _connection_and_statement()
    row = conn.execute(statement, (_session_id(),)).fetchone()
    if row is None or row[0] is not None:
        return {"code": "session_ended"}, 401
    return {}
