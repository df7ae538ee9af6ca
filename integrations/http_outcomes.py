"""What an upstream exchange that did not succeed means: a transport failure in words,
a Retry-After in seconds, the upstream's own error code (shown only when it looks like one)."""

from __future__ import annotations

import email.utils
import re
import time

import requests
import urllib3.exceptions

_TOKEN = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")

TIMED_OUT = "timed out"


def transport_failure(exc: requests.RequestException) -> str:
    # Once retries are spent, requests reports even a read timeout as a
    # ConnectionError wrapping urllib3's MaxRetryError; look through it.
    # (urllib3's NewConnectionError, a refused connection, subclasses its timeouts.)
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        return "failed: connection refused or unreachable"
    if isinstance(exc, requests.Timeout) or isinstance(reason, urllib3.exceptions.TimeoutError):
        return TIMED_OUT
    return f"failed: {type(reason or exc).__name__}"


def parse_retry_after(value: str | None) -> int | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0, round(when.timestamp() - time.time()))


def error_code(response: requests.Response) -> str | None:
    try:
        payload = response.json()
    except ValueError:
        return None
    if isinstance(payload, dict) and isinstance(payload.get("code"), str) and payload["code"]:
        return payload["code"]
    return None


def rejected(said: str, code: str) -> str:
    # The code is the upstream's text; show it only when it looks like a code.
    return f"{said}: rejected ({code})" if _TOKEN.match(code) else f"{said}: rejected"
