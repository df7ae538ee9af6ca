"""Calls to partner platforms: fetching a partner's JWKS, delivering webhooks.

Partners are many and each is its own upstream, so there is no shared circuit breaker:
each delivery is one attempt with a timeout, and the outbox (in nanhaitong.partners)
decides when to try again. Failures leave as the integrations/errors.py taxonomy.
"""

from __future__ import annotations

from typing import Any, Mapping

import requests

from integrations.errors import NonRetryableError, RetryableError, ThrottledError, UpstreamTimeoutError

MAX_JWKS_BYTES = 64 * 1024


class PartnerHttpClient:
    upstream_name = "partner"

    def __init__(self, *, timeout: float, user_agent: str = "Nanhai-Tong-Webhooks/1") -> None:
        if not timeout or timeout <= 0:
            raise ValueError("a positive timeout is required")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent

    def fetch_jwks(self, url: str) -> dict[str, Any]:
        """The partner's JWK set at ``url`` (a JSON object with ``keys``)."""
        try:
            response = self.session.get(url, timeout=self.timeout, allow_redirects=False,
                                        headers={"Accept": "application/json"})
        except requests.Timeout:
            raise UpstreamTimeoutError(self.upstream_name, "JWKS URI did not answer in time") from None
        except requests.RequestException as exc:
            raise RetryableError(self.upstream_name, f"JWKS URI unreachable: {type(exc).__name__}") from None
        if response.status_code != 200 or len(response.content) > MAX_JWKS_BYTES:
            raise NonRetryableError(self.upstream_name, "JWKS URI answered badly", status=response.status_code)
        try:
            data = response.json()
        except ValueError:
            raise NonRetryableError(self.upstream_name, "JWKS URI answered no JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise NonRetryableError(self.upstream_name, "JWKS URI answered no JWK set")
        return data

    def post_webhook(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """POST one delivery; the HTTP status on any 2xx, else raise (retryable or not)."""
        try:
            response = self.session.post(url, timeout=self.timeout, data=body, allow_redirects=False,
                                         headers={"Content-Type": "application/json", **headers})
        except requests.Timeout:
            raise UpstreamTimeoutError(self.upstream_name, "the partner did not answer in time") from None
        except requests.RequestException as exc:
            raise RetryableError(self.upstream_name, f"the partner is unreachable: {type(exc).__name__}") from None
        if 200 <= response.status_code < 300:
            return response.status_code
        if response.status_code == 429:
            raise ThrottledError(self.upstream_name, "the partner asked us to slow down", status=429)
        # Any other answer may be a passing fault on the partner's side: the outbox retries.
        raise RetryableError(self.upstream_name, f"the partner answered {response.status_code}",
                             status=response.status_code)
