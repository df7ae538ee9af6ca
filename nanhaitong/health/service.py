"""Dependency checks behind /health/ready."""

import logging

from flask import current_app

from .. import db
from ..errors import AppError
from ..redis_client import redis_client

log = logging.getLogger(__name__)


class NotReady(AppError):
    status, code, message = 503, "not_ready", "A dependency is not available."


def check_dependencies() -> dict[str, str]:
    checks = {"database": _state(db.ping), "redis": "disabled"}
    if current_app.config["REDIS_URL"]:
        checks["redis"] = _state(_ping_redis)
    if "down" in checks.values():
        raise NotReady(details={"checks": checks})
    return checks


def _ping_redis() -> None:
    redis_client().ping()


def _state(probe) -> str:
    try:
        probe()
    except Exception as exc:  # any failure means not ready; the reason goes to the log
        log.warning("readiness probe failed", extra={"fields": {"probe": probe.__name__, "error": type(exc).__name__}})
        return "down"
    return "ok"
