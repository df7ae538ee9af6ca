"""Values accepted once within a window: signed-request nonces, client-assertion jtis.

With Redis configured, ``SET NX EX`` remembers them for every API instance at once;
otherwise a database row does (the primary key refuses the second insert), which holds
across instances sharing the database too.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from .. import db
from ..redis_client import redis_client
from ..timeutil import utcnow
from .models import ReplayGuard


def _key(kind: str, owner: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\x00{owner}\x00{value}".encode()).hexdigest()


def remember(kind: str, owner: str, value: str, ttl_seconds: int) -> bool:
    """True the first time ``value`` is seen for (kind, owner) within ``ttl_seconds``; False after."""
    key = _key(kind, owner, value)
    redis = redis_client()
    if redis is not None:
        return bool(redis.set(f"nht-replay:{key}", b"1", nx=True, ex=max(1, int(ttl_seconds))))
    # A unit of its own, committed at once: the value is spent even if the request fails
    # later, and a concurrent replay finds it.
    now = utcnow()
    with db.independent_unit() as session:
        session.execute(delete(ReplayGuard).where(ReplayGuard.key == key, ReplayGuard.expires_at <= now))
        try:
            with session.begin_nested():
                session.add(ReplayGuard(key=key, expires_at=now + timedelta(seconds=max(1, int(ttl_seconds)))))
        except IntegrityError:
            return False
    return True


@db.unit_of_work()
def purge() -> int:
    """Delete expired guard rows (a job; the Redis keys expire by themselves)."""
    return db.session().execute(delete(ReplayGuard).where(ReplayGuard.expires_at <= utcnow())).rowcount
