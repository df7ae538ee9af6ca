"""The shared Redis connection, when NHT_REDIS_URL is set."""

from __future__ import annotations

import redis
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    url = app.config["REDIS_URL"]
    app.extensions["nht.redis"] = (
        redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2) if url else None
    )


def redis_client() -> redis.Redis | None:
    return current_app.extensions["nht.redis"]
