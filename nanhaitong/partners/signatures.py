"""Signed requests (HMAC-SHA256 or HMAC-SM3), as government gateways expect for server-to-server calls.

Headers: ``X-NHT-AppId``, ``X-NHT-Timestamp`` (Unix seconds), ``X-NHT-Nonce`` (8-64
characters of [A-Za-z0-9_-]), ``X-NHT-Signature`` (lowercase hex). The signature is
HMAC-SHA256 with the partner's ``hmac_secret`` over the canonical string::

    METHOD \\n PATH \\n SORTED_QUERY \\n TIMESTAMP \\n NONCE \\n hex(SHA-256(body))

METHOD upper case; PATH as sent, without the query; SORTED_QUERY the query parameters
sorted by name then value, each name and value percent-encoded (RFC 3986, unreserved
characters kept), joined ``name=value`` with ``&`` (empty when there is none); the body
hash is of the raw body bytes (of nothing for a GET). Timestamps more than
``WINDOW_SECONDS`` from our clock and nonces already used within the window are refused.

National suite (GM/T): with ``X-NHT-Signature-Method: HMAC-SM3`` both the body hash and the
HMAC use SM3 instead of SHA-256; without the header the method is HMAC-SHA256.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from urllib.parse import parse_qsl, quote

from ..errors import Unauthorized
from . import registry, replay
from .models import Partner

WINDOW_SECONDS = 300
HEADERS = ("X-NHT-AppId", "X-NHT-Timestamp", "X-NHT-Nonce", "X-NHT-Signature")
METHOD_HEADER = "X-NHT-Signature-Method"
METHODS = {"HMAC-SHA256": "sha256", "HMAC-SM3": "sm3"}
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def sorted_query(query_string: str) -> str:
    pairs = parse_qsl(query_string, keep_blank_values=True)
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(pairs))


def canonical_string(method: str, path: str, query_string: str, timestamp: str, nonce: str, body: bytes,
                     *, signature_method: str = "HMAC-SHA256") -> str:
    return "\n".join((method.upper(), path, sorted_query(query_string), timestamp, nonce,
                      hashlib.new(METHODS[signature_method], body or b"").hexdigest()))


def sign(secret: str, canonical: str, *, signature_method: str = "HMAC-SHA256") -> str:
    return hmac.new(secret.encode(), canonical.encode(), METHODS[signature_method]).hexdigest()


def present(headers) -> bool:
    return any(headers.get(name) for name in HEADERS)


def _refuse(code: str, message: str, **details):
    raise Unauthorized(message, code=code, details=details,
                       headers={"WWW-Authenticate": 'NHT-HMAC-SHA256 realm="nanhaitong"'})


def verify(method: str, path: str, query_string: str, headers, body: bytes, *, now: float | None = None) -> Partner:
    """The partner whose signature this request carries; 401 with a precise code otherwise."""
    missing = [name for name in HEADERS if not headers.get(name)]
    if missing:
        _refuse("signature_missing", "Signed requests need all four X-NHT-* headers.", missing=missing)
    app_id, timestamp, nonce, signature = (headers.get(name).strip() for name in HEADERS)
    partner = registry.by_app_id(app_id)
    if partner is None:
        _refuse("unknown_app", "No partner has this X-NHT-AppId.")
    if partner.status != "active":
        _refuse("partner_suspended", "This partner is suspended.")
    now = time.time() if now is None else now
    if not timestamp.isdigit() or abs(now - int(timestamp)) > WINDOW_SECONDS:
        _refuse("timestamp_out_of_window",
                "X-NHT-Timestamp must be Unix seconds within %(window_seconds)s s of our clock.",
                server_time=int(now), window_seconds=WINDOW_SECONDS)
    if not _NONCE.match(nonce):
        _refuse("signature_invalid", "X-NHT-Nonce must be 8 to 64 characters of A-Z a-z 0-9 _ -.")
    signature_method = (headers.get(METHOD_HEADER) or "HMAC-SHA256").strip().upper()
    if signature_method not in METHODS:
        _refuse("signature_invalid", "X-NHT-Signature-Method must be HMAC-SHA256 or HMAC-SM3.",
                methods=sorted(METHODS))
    expected = sign(partner.hmac_secret, canonical_string(method, path, query_string, timestamp, nonce, body,
                                                          signature_method=signature_method),
                    signature_method=signature_method)
    if not hmac.compare_digest(expected, signature.lower()):
        _refuse("signature_invalid",
                "X-NHT-Signature does not match: compute the HMAC over the canonical string (see the docs).",
                signature_method=signature_method)
    # Checked after the signature, so strangers cannot spend a partner's nonces.
    if not replay.remember("nonce", partner.id, nonce, 2 * WINDOW_SECONDS):
        _refuse("nonce_replayed", "This X-NHT-Nonce was already used; send a fresh one with every request.")
    return partner
