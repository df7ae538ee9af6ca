"""Calls to partner platforms: fetching a partner's JWKS, delivering webhooks.

Partners are many and each is its own upstream, so there is no shared circuit breaker:
each delivery is one attempt with a timeout, and the outbox (in nanhaitong.partners)
decides when to try again. Failures leave as the integrations/errors.py taxonomy.

Partner URLs are set by operators but point wherever a partner (or whoever controls its
DNS) says, so every call is guarded against server-side request forgery:

* Only https URLs, except loopback ones when ``allow_loopback`` (development and tests).
* Every address the host name resolves to is checked when the connection is made, on the
  very address connected to (a DNS answer that changes between a check and the connect,
  "DNS rebinding", cannot slip through): only public (globally routable) addresses, plus
  loopback when ``allow_loopback`` says so (development and tests only).

JWK sets are read streamed with a byte cap and an overall deadline (a slow drip cannot
hold a thread past it), cached for their HTTP cache lifetime, refetched for an unknown
``kid`` at most once per ``JWKS_REFETCH_SECONDS``, one fetch at a time per URL.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_errors
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from integrations.errors import NonRetryableError, RetryableError, ThrottledError, UpstreamTimeoutError

MAX_JWKS_BYTES = 64 * 1024
JWKS_DEADLINE_SECONDS = 5.0
JWKS_MIN_TTL_SECONDS = 60
JWKS_MAX_TTL_SECONDS = 24 * 3600
JWKS_DEFAULT_TTL_SECONDS = 300
JWKS_REFETCH_SECONDS = 60
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE)


class AddressRefused(OSError):
    """The host resolved to an address partner calls may not reach."""


def address_problem(address: str, *, allow_loopback: bool) -> str | None:
    """Why a partner call may not connect to ``address`` (an IP literal), or None."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return "is not an IP address"
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "is a loopback address"
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "is not a public address"
    return None


def url_problem(url: str, *, allow_loopback: bool) -> str | None:
    """What is wrong with a partner URL before any resolution (scheme, literal addresses)."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https") or not hostname:
        return "is not an http(s) URL"
    if parts.fragment:
        return "must not have a fragment"
    if parts.username or parts.password:
        return "must not carry credentials"
    loopback_name = hostname.rstrip(".").lower() == "localhost" or hostname.rstrip(".").lower().endswith(".localhost")
    try:
        literal = ipaddress.ip_address(hostname)
    except ValueError:
        literal = None
    if loopback_name or (literal is not None and literal.is_loopback):
        if not allow_loopback:
            return "must not point at this machine (loopback)"
        return None
    if literal is not None:
        problem = address_problem(hostname, allow_loopback=allow_loopback)
        if problem:
            return f"{problem}: only public addresses"
    if parts.scheme != "https":
        return "must be https (http only for loopback in development)"
    return None


def _guarded(base, check: Callable[[str], str | None]):
    class Guarded(base):
        def _new_conn(self):
            host, port = self._dns_host, self.port
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError as exc:
                raise AddressRefused(f"cannot resolve {host}: {exc}") from None
            problems = []
            for *_rest, sockaddr in infos:
                address = sockaddr[0]
                problem = check(address)
                if problem:
                    problems.append(f"{address} {problem}")
                    continue
                self._dns_host = address  # connect to exactly the address that was checked
                try:
                    return super()._new_conn()
                finally:
                    self._dns_host = host
            raise AddressRefused("; ".join(problems) or f"{host} has no address")

    return Guarded


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, check: Callable[[str], str | None], **kw):
        self._check = check
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        http_conn, https_conn = _guarded(HTTPConnection, self._check), _guarded(HTTPSConnection, self._check)

        class HttpPool(HTTPConnectionPool):
            ConnectionCls = http_conn

        class HttpsPool(HTTPSConnectionPool):
            ConnectionCls = https_conn

        self.poolmanager.pool_classes_by_scheme = {"http": HttpPool, "https": HttpsPool}


@dataclass
class _CachedKeys:
    data: dict
    kids: frozenset
    fetched_at: float
    expires_at: float


@dataclass
class _Flight:
    lock: threading.Lock = field(default_factory=threading.Lock)


def _refused(exc: BaseException) -> AddressRefused | None:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, AddressRefused):
            return exc
        for arg in getattr(exc, "args", ()):
            if isinstance(arg, BaseException):
                found = _refused(arg)
                if found:
                    return found
        exc = getattr(exc, "reason", None) or exc.__cause__ or exc.__context__
    return None


class PartnerHttpClient:
    upstream_name = "partner"

    def __init__(self, *, timeout: float, user_agent: str = "Nanhai-Tong-Webhooks/1", allow_loopback: bool = False, jwks_deadline: float = JWKS_DEADLINE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not timeout or timeout <= 0:
            raise ValueError("a positive timeout is required")
        self.timeout = timeout
        self.allow_loopback = allow_loopback
        self.jwks_deadline = jwks_deadline
        self.clock = clock
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        adapter = _GuardedAdapter(lambda address: address_problem(address, allow_loopback=allow_loopback))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._jwks: dict[str, _CachedKeys] = {}
        self._flights: dict[str, _Flight] = {}
        self._flights_lock = threading.Lock()
        self.jwks_fetches = 0  # how many fetches went out (observability, tests)

    # -- guards -----------------------------------------------------------------------------

    def check_url(self, url: str) -> str | None:
        return url_problem(url, allow_loopback=self.allow_loopback)

    def _precheck(self, url: str) -> None:
        problem = self.check_url(url)
        if problem:
            raise NonRetryableError(self.upstream_name, f"partner URL refused: {problem}")

    def _transport_error(self, exc: requests.RequestException, what: str):
        refused = _refused(exc)
        if refused is not None:
            return NonRetryableError(self.upstream_name, f"{what} refused: {refused}")
        return RetryableError(self.upstream_name, f"{what} unreachable: {type(exc).__name__}")

    # -- JWKS -------------------------------------------------------------------------------

    def fetch_jwks(self, url: str) -> dict[str, Any]:
        """The partner's JWK set at ``url`` (a JSON object with ``keys``), fetched now."""
        data, _ttl = self._fetch_jwks(url)
        return data

    def jwks(self, url: str, kid: str | None = None) -> dict[str, Any]:
        """The partner's JWK set, from the cache while it is fresh and knows ``kid``.

        An unknown ``kid`` refetches at most once per JWKS_REFETCH_SECONDS per URL; one
        fetch at a time per URL (others wait for it and share its answer).
        """
        cached = self._fresh(url, kid)
        if cached is not None:
            return cached.data
        with self._flight(url).lock:
            cached = self._fresh(url, kid)  # another thread fetched while we waited
            if cached is not None:
                return cached.data
            data, ttl = self._fetch_jwks(url)
            now = self.clock()
            kids = frozenset(k.get("kid") for k in data["keys"] if isinstance(k, dict))
            self._jwks[url] = _CachedKeys(data, kids, now, now + ttl)
            return data

    def _fresh(self, url: str, kid: str | None) -> _CachedKeys | None:
        cached = self._jwks.get(url)
        if cached is None:
            return None
        now = self.clock()
        if now >= cached.expires_at:
            return None
        if kid is None or kid in cached.kids:
            return cached
        # An unknown kid: the partner may have rotated its keys, but refetch only so often.
        return cached if now - cached.fetched_at < JWKS_REFETCH_SECONDS else None

    def _flight(self, url: str) -> _Flight:
        with self._flights_lock:
            return self._flights.setdefault(url, _Flight())

    def _fetch_jwks(self, url: str) -> tuple[dict[str, Any], float]:
        self._precheck(url)
        deadline = self.clock() + self.jwks_deadline
        self.jwks_fetches += 1
        try:
            response = self.session.get(url, timeout=(self.timeout, min(self.timeout, self.jwks_deadline)),
                                        allow_redirects=False, stream=True, headers={"Accept": "application/json"})
        except requests.Timeout:
            raise UpstreamTimeoutError(self.upstream_name, "JWKS URI did not answer in time") from None
        except requests.RequestException as exc:
            raise self._transport_error(exc, "JWKS URI") from None
        try:
            if response.status_code != 200:
                raise NonRetryableError(self.upstream_name, "JWKS URI answered badly", status=response.status_code)
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > MAX_JWKS_BYTES:
                raise NonRetryableError(self.upstream_name, "JWKS URI answered too much")
            body = bytearray()
            try:
                while True:
                    # read1: whatever has arrived (at most one read of the socket), so a slow
                    # drip meets the deadline check after every piece, not after 4 KiB.
                    chunk = response.raw.read1(4096)
                    if not chunk:
                        break
                    body += chunk
                    if len(body) > MAX_JWKS_BYTES:
                        raise NonRetryableError(self.upstream_name, "JWKS URI answered too much")
                    if self.clock() > deadline:
                        raise UpstreamTimeoutError(self.upstream_name, "JWKS URI answered too slowly")
            except (requests.RequestException, OSError, urllib3_errors.HTTPError):
                raise UpstreamTimeoutError(self.upstream_name, "JWKS URI answered too slowly") from None
            ttl = _cache_lifetime(response.headers.get("Cache-Control", ""))
        finally:
            response.close()
        try:
            data = json.loads(bytes(body))
        except ValueError:
            raise NonRetryableError(self.upstream_name, "JWKS URI answered no JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise NonRetryableError(self.upstream_name, "JWKS URI answered no JWK set")
        return data, ttl

    # -- webhooks ---------------------------------------------------------------------------

    def post_webhook(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """POST one delivery; the HTTP status on any 2xx, else raise (retryable or not)."""
        self._precheck(url)
        try:
            response = self.session.post(url, timeout=self.timeout, data=body, allow_redirects=False,
                                         headers={"Content-Type": "application/json", **headers})
        except requests.Timeout:
            raise UpstreamTimeoutError(self.upstream_name, "the partner did not answer in time") from None
        except requests.RequestException as exc:
            raise self._transport_error(exc, "the partner") from None
        if 200 <= response.status_code < 300:
            return response.status_code
        if response.status_code == 429:
            raise ThrottledError(self.upstream_name, "the partner asked us to slow down", status=429)
        # Any other answer may be a passing fault on the partner's side: the outbox retries.
        raise RetryableError(self.upstream_name, f"the partner answered {response.status_code}",
                             status=response.status_code)


def _cache_lifetime(cache_control: str) -> float:
    """Seconds to keep a JWK set: its max-age, within [1 minute, 1 day]; 5 minutes if none."""
    lowered = cache_control.lower()
    if "no-store" in lowered or "no-cache" in lowered:
        return JWKS_MIN_TTL_SECONDS
    match = _MAX_AGE.search(cache_control)
    if not match:
        return JWKS_DEFAULT_TTL_SECONDS
    return float(min(JWKS_MAX_TTL_SECONDS, max(JWKS_MIN_TTL_SECONDS, int(match.group(1)))))
