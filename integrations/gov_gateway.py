"""The provincial services gateway protocol, shared by Yueshengshi (粤省事) and Yueshangtong (粤商通).

Both provincial platforms expose their high-frequency services through the same kind of
gateway. Every request (ours to them, and their status callbacks to us) is signed:

``X-Gov-App-Key``
    who signs (our app key towards the gateway; the provider's name on callbacks)
``X-Gov-Timestamp``
    Unix seconds; a request outside the window (default 300 s) either way is refused
``X-Gov-Nonce``
    16 to 64 characters ``[A-Za-z0-9_-]``, never accepted twice within the window
``X-Gov-Signature``
    lowercase hex HMAC-SHA256, with the shared secret, of the canonical request::

        METHOD \\n path \\n canonical query \\n signed headers \\n hex SHA-256 of the body

    where the canonical query is the query's ``name=value`` pairs, percent-encoded
    (RFC 3986) and sorted, joined by ``&``; and the signed headers are every ``x-gov-*``
    header except the signature, lowercased, sorted, one ``name:value`` per line.

The end user's verified identity travels in signed headers (so it cannot be changed on
the way): ``X-Gov-Subject-Kind`` (``citizen`` or ``enterprise``), ``X-Gov-User-Name``
(percent-encoded UTF-8), ``X-Gov-User-Id-Number`` and, for an enterprise,
``X-Gov-Enterprise-Uscc`` and ``X-Gov-Enterprise-Name`` (percent-encoded). For an
enterprise the user headers name the member acting for it.

Paths under the gateway's prefix (``/yss/gateway`` or ``/ysst/gateway``):

- ``POST {prefix}/v1/services/{code}/queries`` ``{"params": {...}}`` answers
  ``{"request_id", "data": {"summary", "fields": [{"key", "label", "value"}], "records": [{...}]}}``
- ``POST {prefix}/v1/applications`` ``{"application_id", "service_code", "form", "attachments"}``
  answers ``{"reference", "status", "version", "accepted_at"}``; idempotent on ``application_id``
  (201 the first time, 200 with the same reference after).
- ``GET {prefix}/v1/applications/{reference}`` answers the status and its history.

Status callbacks are POSTed, signed with the provider's callback secret, to the URL we
registered: ``{"reference", "application_id", "status", "version", "occurred_at", "note"}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl, quote, unquote

from integrations.errors import (
    CircuitOpenError,
    NonRetryableError,
    RetryableError,
    ThrottledError,
    UpstreamTimeoutError,
)
from integrations.http import HttpClient, TimeoutSpec

HEADER_APP_KEY = "X-Gov-App-Key"
HEADER_TIMESTAMP = "X-Gov-Timestamp"
HEADER_NONCE = "X-Gov-Nonce"
HEADER_SIGNATURE = "X-Gov-Signature"
SIGNED_PREFIX = "x-gov-"
WINDOW_SECONDS = 300

STATUSES = ("submitted", "accepted", "need_more_materials", "approved", "rejected")
FINAL_STATUSES = frozenset({"approved", "rejected"})

_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")
_REFERENCE = re.compile(r"^[A-Z0-9-]{6,40}$")
_CODE = re.compile(r"^[a-z0-9_.]{2,64}$")


# -- signing -----------------------------------------------------------------------------

def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


def canonical_request(method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> str:
    pairs = sorted((_encode(k), _encode(v)) for k, v in parse_qsl(query or "", keep_blank_values=True))
    signed = sorted(
        (name.lower(), str(value).strip()) for name, value in headers.items()
        if name.lower().startswith(SIGNED_PREFIX) and name.lower() != HEADER_SIGNATURE.lower()
    )
    return "\n".join([
        method.upper(),
        path,
        "&".join(f"{k}={v}" for k, v in pairs),
        "\n".join(f"{name}:{value}" for name, value in signed),
        hashlib.sha256(body or b"").hexdigest(),
    ])


def signature(secret: str, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> str:
    message = canonical_request(method, path, query, headers, body).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign_headers(secret: str, app_key: str, method: str, path: str, query: str, body: bytes,
                 extra: Mapping[str, str] | None = None, *, now: float | None = None,
                 nonce: str | None = None) -> dict[str, str]:
    """The ``X-Gov-*`` headers (extra ones included) for this request, signature last."""
    headers = {
        **(extra or {}),
        HEADER_APP_KEY: app_key,
        HEADER_TIMESTAMP: str(int(time.time() if now is None else now)),
        HEADER_NONCE: nonce or secrets.token_urlsafe(18),
    }
    headers[HEADER_SIGNATURE] = signature(secret, method, path, query, headers, body)
    return headers


class SignatureError(Exception):
    """A signed request that must be refused; ``reason`` says why (no secret in it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def verify_signed_request(secrets_by_app_key: Mapping[str, str], method: str, path: str, query: str,
                          headers: Mapping[str, str], body: bytes, *,
                          remember_nonce: Callable[[str, int], bool], now: float | None = None,
                          window: int = WINDOW_SECONDS) -> str:
    """Check a signed request; answer its app key, or raise :class:`SignatureError`.

    ``remember_nonce(key, ttl)`` stores the nonce and answers False when it was seen
    before. It is called only once the signature verified, so nobody can burn the nonces
    of others with unsigned requests.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    app_key = lowered.get(HEADER_APP_KEY.lower())
    stamp = lowered.get(HEADER_TIMESTAMP.lower(), "")
    nonce = lowered.get(HEADER_NONCE.lower(), "")
    given = lowered.get(HEADER_SIGNATURE.lower(), "")
    if not app_key or not stamp or not nonce or not given:
        raise SignatureError("missing_signature_headers")
    secret = secrets_by_app_key.get(app_key)
    if secret is None:
        raise SignatureError("unknown_app_key")
    if not stamp.isdigit() or not _NONCE.match(nonce) or not _SIGNATURE.match(given):
        raise SignatureError("malformed_signature_headers")
    now = time.time() if now is None else now
    if abs(now - int(stamp)) > window:
        raise SignatureError("stale_timestamp")
    expected = signature(secret, method, path, query, {k: v for k, v in headers.items()}, body)
    if not hmac.compare_digest(expected, given):
        raise SignatureError("bad_signature")
    if not remember_nonce(f"{app_key}:{nonce}", 2 * window):
        raise SignatureError("replayed_nonce")
    return app_key


# -- identity ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ForwardedIdentity:
    """The verified end user an upstream call is made for (personal data: never log it)."""

    subject_kind: str  # "citizen" | "enterprise"
    name: str | None  # the citizen's real name; for an enterprise, the acting member's (when verified)
    id_number: str | None  # the citizen's resident ID number; for an enterprise, the acting member's
    uscc: str | None = None
    enterprise_name: str | None = None

    def __repr__(self) -> str:  # keep personal data out of tracebacks and logs
        return f"ForwardedIdentity(subject_kind={self.subject_kind!r})"

    def headers(self) -> dict[str, str]:
        headers = {"X-Gov-Subject-Kind": self.subject_kind}
        if self.name and self.id_number:
            headers["X-Gov-User-Name"] = _encode(self.name)
            headers["X-Gov-User-Id-Number"] = self.id_number
        if self.subject_kind == "enterprise":
            headers["X-Gov-Enterprise-Uscc"] = self.uscc or ""
            headers["X-Gov-Enterprise-Name"] = _encode(self.enterprise_name or "")
        return headers

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> ForwardedIdentity | None:
        lowered = {name.lower(): value for name, value in headers.items()}
        kind = lowered.get("x-gov-subject-kind")
        name = unquote(lowered.get("x-gov-user-name", ""))
        id_number = lowered.get("x-gov-user-id-number", "")
        if kind == "enterprise":
            uscc = lowered.get("x-gov-enterprise-uscc", "")
            if not uscc:
                return None
            return cls(kind, name or None, id_number or None, uscc, unquote(lowered.get("x-gov-enterprise-name", "")))
        if kind != "citizen" or not name or not id_number:
            return None
        return cls(kind, name, id_number)


# -- answers -------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueryAnswer:
    request_id: str
    summary: str
    fields: list[dict[str, Any]]
    records: list[dict[str, Any]]


@dataclass(frozen=True)
class Receipt:
    reference: str
    status: str
    version: int
    accepted_at: str


@dataclass(frozen=True)
class StatusReport:
    reference: str
    application_id: str
    status: str
    version: int
    history: list[dict[str, Any]] = field(default_factory=list)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


class GovGatewayClient(HttpClient):
    """A provincial services gateway: signed requests, forwarded identity, checked answers.

    Retries (fresh nonce and signature each time) happen only for safe calls (queries
    and status reads), only after a 502/503/504 or a refused connection, and at most
    ``retries`` times: a timeout is not retried, so a slow upstream costs one timeout.
    Submissions are never retried here; the upstream is idempotent on our application
    id, so the caller may deliver again later.
    """

    def __init__(self, base_url: str, *, provider: str, prefix: str, app_key: str, app_secret: str,
                 timeout: TimeoutSpec, retries: int = 1, backoff: float = 0.1,
                 breaker_fail_max: int = 5, breaker_reset_timeout: float = 30, **kw: Any) -> None:
        if not app_key or not app_secret:
            raise ValueError("app_key and app_secret are required")
        super().__init__(base_url, upstream=provider, timeout=timeout, retries=0,
                         breaker_fail_max=breaker_fail_max, breaker_reset_timeout=breaker_reset_timeout, **kw)
        self.provider = provider
        self.prefix = "/" + prefix.strip("/")
        self._app_key = app_key
        self._app_secret = app_secret
        self._safe_retries = max(0, retries)
        self._backoff = backoff

    def __repr__(self) -> str:
        return f"GovGatewayClient({self.provider!r}, {self.base_url!r})"

    # -- calls ---------------------------------------------------------------------------

    def query(self, service_code: str, params: dict[str, Any], identity: ForwardedIdentity) -> QueryAnswer:
        self._check_code(service_code)
        answer = self._signed("POST", f"{self.prefix}/v1/services/{service_code}/queries",
                              {"params": params}, identity, safe=True)
        data = answer.get("data")
        request_id = answer.get("request_id")
        if not (isinstance(request_id, str) and request_id and isinstance(data, dict)
                and isinstance(data.get("summary"), str) and isinstance(data.get("fields"), list)
                and isinstance(data.get("records"), list)):
            raise self._malformed("POST", "query result")
        fields = data["fields"]
        for item in fields:
            if not (isinstance(item, dict) and isinstance(item.get("key"), str)
                    and isinstance(item.get("label"), str) and _scalar(item.get("value"))):
                raise self._malformed("POST", "query field")
        records = data["records"]
        if not all(isinstance(r, dict) and all(_scalar(v) for v in r.values()) for r in records):
            raise self._malformed("POST", "query record")
        return QueryAnswer(request_id, data["summary"], fields, records)

    def submit(self, application_id: str, service_code: str, form: dict[str, Any],
               attachments: list[dict[str, Any]], identity: ForwardedIdentity) -> Receipt:
        self._check_code(service_code)
        answer = self._signed("POST", f"{self.prefix}/v1/applications", {
            "application_id": application_id, "service_code": service_code, "form": form,
            "attachments": attachments}, identity, safe=False)
        reference, status, version = answer.get("reference"), answer.get("status"), answer.get("version")
        accepted_at = answer.get("accepted_at")
        if not (isinstance(reference, str) and _REFERENCE.match(reference) and status in STATUSES
                and isinstance(version, int) and not isinstance(version, bool) and isinstance(accepted_at, str)):
            raise self._malformed("POST", "application receipt")
        return Receipt(reference, status, version, accepted_at)

    def status(self, reference: str) -> StatusReport:
        if not isinstance(reference, str) or not _REFERENCE.match(reference):
            raise ValueError("not an upstream reference")
        answer = self._signed("GET", f"{self.prefix}/v1/applications/{reference}", None, None, safe=True)
        report = parse_status(answer)
        if report is None or report.reference != reference:
            raise self._malformed("GET", "application status")
        return report

    # -- internals -----------------------------------------------------------------------

    def _check_code(self, code: str) -> None:
        if not isinstance(code, str) or not _CODE.match(code):
            raise ValueError("not a service code")

    def _malformed(self, method: str, what: str) -> NonRetryableError:
        return NonRetryableError(self.upstream, f"{self.upstream}: {method} {self.prefix}/... answered a malformed {what}")

    def _signed(self, method: str, path: str, body: dict | None, identity: ForwardedIdentity | None, *,
                safe: bool) -> dict[str, Any]:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8") if body is not None else b""
        attempts = 1 + (self._safe_retries if safe else 0)
        for attempt in range(attempts):
            headers = sign_headers(self._app_secret, self._app_key, method, path, "", raw,
                                   identity.headers() if identity else None)
            if body is not None:
                headers["Content-Type"] = "application/json; charset=utf-8"
            try:
                return self.request(method, path, data=raw if body is not None else None, headers=headers,
                                    idempotent=False)
            except (CircuitOpenError, UpstreamTimeoutError, ThrottledError):
                raise
            except RetryableError:
                if attempt + 1 >= attempts:
                    raise
                time.sleep(self._backoff * (2 ** attempt))
        raise AssertionError("unreachable")


def parse_status(payload: Any) -> StatusReport | None:
    """A status answer or callback body, checked; None when it is not one."""
    if not isinstance(payload, dict):
        return None
    reference, application_id = payload.get("reference"), payload.get("application_id")
    status, version, history = payload.get("status"), payload.get("version"), payload.get("history", [])
    if not (isinstance(reference, str) and _REFERENCE.match(reference) and isinstance(application_id, str)
            and status in STATUSES and isinstance(version, int) and not isinstance(version, bool)
            and version >= 0 and isinstance(history, list)):
        return None
    clean = []
    for entry in history:
        if not (isinstance(entry, dict) and entry.get("status") in STATUSES
                and isinstance(entry.get("occurred_at"), str)):
            return None
        note = entry.get("note")
        clean.append({"status": entry["status"], "occurred_at": entry["occurred_at"],
                      "note": note if isinstance(note, str) else None, "version": entry.get("version")})
    return StatusReport(reference, application_id, status, version, clean)
