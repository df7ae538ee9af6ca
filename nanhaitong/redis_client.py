"""The shared Redis connection, when NHT_REDIS_URL is set."""

from __future__ import annotations

import redis
from flask import Flask, current_app

# One bound for every Redis client of the API, the limiter's included (redis-py's default
# is 5 s): a Redis that stops answering fails the request in 2 s as 503 store_unavailable.
TIMEOUTS = {"socket_timeout": 2, "socket_connect_timeout": 2}


def init_app(app: Flask) -> None:
    url = app.config["REDIS_URL"]
    app.extensions["nht.redis"] = redis.Redis.from_url(url, **TIMEOUTS) if url else None


def redis_client() -> redis.Redis | None:
    return current_app.extensions["nht.redis"]
