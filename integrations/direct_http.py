"""The direct path of :class:`integrations.http.HttpClient`: a urllib3 pool straight to
the upstream, used when requests would add nothing but its own CPU."""

from __future__ import annotations

import json as jsonlib
import os
import re
from types import SimpleNamespace
from typing import Any, Mapping
from urllib.parse import urlencode

import requests
import urllib3

TIMED_OUT = "timed out"

# What requests sends unless told otherwise; the direct path sends the same.
REQUESTS_DEFAULT_HEADERS = dict(requests.utils.default_headers())


class Answer:
    """An upstream's answer read through the direct pool: what the clients read of a
    ``requests.Response`` (status_code, headers, content, text, json(), request.path_url)."""

    __slots__ = ("status_code", "headers", "content", "request")

    def __init__(self, status_code: int, headers, content: bytes, path_url: str) -> None:
        self.status_code, self.headers, self.content = status_code, headers, content
        self.request = SimpleNamespace(path_url=path_url)  # what was asked for: path and query

    @property
    def text(self) -> str:
        charset = re.search(r"charset=([\w.:-]+)", self.headers.get("Content-Type", ""))
        return self.content.decode(charset.group(1) if charset else "utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)  # ValueError when it is not JSON


def direct_pool(base_url: str, session: requests.Session) -> urllib3.HTTPConnectionPool | None:
    """A urllib3 pool straight to the upstream, when requests would add nothing but its
    own CPU: no proxy, no netrc credentials, no client certificate, verified TLS.
    Preparing a request, merging settings and cookies and wrapping the answer cost
    requests about as much as urllib3's own work (two upstream calls are most of a
    payment order's CPU). Anything else keeps going through the session."""
    if session.proxies or session.auth is not None or session.cert or session.verify is False:
        return None
    tls = {}
    if base_url.startswith("https:"):
        bundle = session.verify if isinstance(session.verify, str) else requests.utils.DEFAULT_CA_BUNDLE_PATH
        tls = {"cert_reqs": "CERT_REQUIRED",
               **({"ca_cert_dir": bundle} if os.path.isdir(bundle) else {"ca_certs": bundle})}
    # requests' own pool sizes (HTTPAdapter: 10 connections kept per host, more opened when busy).
    return urllib3.PoolManager(num_pools=1, maxsize=10, block=False, **tls).connection_from_url(base_url)


def urllib3_failure(exc: urllib3.exceptions.HTTPError) -> str:
    """``transport_failure`` for urllib3's exceptions (what requests wraps)."""
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        return "failed: connection refused or unreachable"
    if isinstance(reason, urllib3.exceptions.TimeoutError):
        return TIMED_OUT
    return f"failed: {type(reason).__name__}"


def urllib3_timeout(timeout: float | tuple[float, float]) -> urllib3.Timeout:
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return urllib3.Timeout(connect=connect, read=read)


def encode(path: str, *, params: Mapping[str, Any] | None, json: Any, data: bytes | None,
           headers: Mapping[str, str] | None) -> tuple[str, bytes | None, dict[str, str]]:
    """The query, body and headers requests would make of these arguments."""
    if params:
        pairs = [(key, value) for key, value in params.items() if value is not None]
        path += ("&" if "?" in path else "?") + urlencode(pairs, doseq=True)
    headers = dict(headers or {})
    if data is None and json is not None:
        data = jsonlib.dumps(json, allow_nan=False).encode()
        headers = {"Content-Type": "application/json", **headers}
    return path, data, headers
