"""Short-lived shared state: the query result cache and the callback nonces.

Redis when NHT_REDIS_URL is set (shared by every instance), else in-process (the
embedded mode's one process). Cached results hold personal data: in Redis they are
sealed with the field cipher, like every other personal value at rest.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict

from flask import current_app

from ..redis_client import redis_client

CACHE_CONTEXT = "gov_services.query_cache"
LOCAL_ENTRIES = 5000


class _LocalStore:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.values: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def get(self, key: str) -> str | None:
        with self.lock:
            entry = self.values.get(key)
            if entry is None or entry[0] < time.monotonic():
                self.values.pop(key, None)
                return None
            return entry[1]

    def put(self, key: str, value: str, ttl: int, *, only_new: bool = False) -> bool:
        with self.lock:
            entry = self.values.get(key)
            if only_new and entry is not None and entry[0] >= time.monotonic():
                return False
            self.values[key] = (time.monotonic() + ttl, value)
            self.values.move_to_end(key)
            while len(self.values) > LOCAL_ENTRIES:
                self.values.popitem(last=False)
            return True


def _local() -> _LocalStore:
    return current_app.extensions.setdefault("nht.gov_services.store", _LocalStore())


def cache_get(key: str) -> dict | None:
    redis = redis_client()
    if redis is not None:
        sealed = redis.get(f"nht:gov:query:{key}")
        if sealed is None:
            return None
        return json.loads(current_app.extensions["nht.cipher"].decrypt(sealed.decode(), context=CACHE_CONTEXT))
    value = _local().get(f"query:{key}")
    return json.loads(value) if value is not None else None


def cache_put(key: str, value: dict, ttl: int) -> None:
    text = json.dumps(value, ensure_ascii=False)
    redis = redis_client()
    if redis is not None:
        sealed = current_app.extensions["nht.cipher"].encrypt(text, context=CACHE_CONTEXT)
        redis.set(f"nht:gov:query:{key}", sealed, ex=ttl)
        return
    _local().put(f"query:{key}", text, ttl)


def remember_nonce(key: str, ttl: int) -> bool:
    """Store a callback nonce; False when it was seen within ``ttl``."""
    redis = redis_client()
    if redis is not None:
        return bool(redis.set(f"nht:gov:nonce:{key}", "1", nx=True, ex=ttl))
    return _local().put(f"nonce:{key}", "1", ttl, only_new=True)
