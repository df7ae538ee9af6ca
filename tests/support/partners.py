"""Requests signed as a partner would sign them from docs/partners.md (not with our code)."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from urllib.parse import quote


def independent_canonical(method, path, query, timestamp, nonce, body: bytes) -> str:
    """The canonical string as a partner would write it from the docs (not our code)."""
    pairs = [tuple(part.split("=", 1)) for part in query.split("&") if part] if query else []
    encoded = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(pairs))
    return f"{method}\n{path}\n{encoded}\n{timestamp}\n{nonce}\n{hashlib.sha256(body).hexdigest()}"


def signed_headers(partner: dict, method: str, path: str, query: str = "", body: bytes = b"", *,
                   timestamp: int | None = None, nonce: str | None = None, secret: str | None = None) -> dict:
    """The X-NHT-AppId/-Timestamp/-Nonce/-Signature headers for one request of ``partner``."""
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or uuid.uuid4().hex
    canonical = independent_canonical(method, path, query, timestamp, nonce, body)
    signature = hmac.new((secret or partner["credentials"]["hmac_secret"]).encode(), canonical.encode(),
                         hashlib.sha256).hexdigest()
    return {"X-NHT-AppId": partner["app_id"], "X-NHT-Timestamp": timestamp, "X-NHT-Nonce": nonce,
            "X-NHT-Signature": signature}
