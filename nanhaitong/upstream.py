"""Turning integration failures into our error contract, in one place."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from integrations.errors import (
    CircuitOpenError,
    IntegrationError,
    RetryableError,
    ThrottledError,
    UpstreamTimeoutError,
)

from .errors import UpstreamFailed, UpstreamTimeout, UpstreamUnavailable

log = logging.getLogger(__name__)


@contextmanager
def upstream_errors(what: str):
    """Map a failed upstream call to 502/503/504; domain code catches the ones it can explain.

    ``what`` names the upstream for the client ("identity verification").
    """
    try:
        yield
    except IntegrationError as exc:
        log.warning("upstream call failed", extra={"fields": {
            "upstream": exc.upstream, "error": type(exc).__name__, "status": exc.status}})
        details = {"upstream": what}
        if isinstance(exc, UpstreamTimeoutError):
            raise UpstreamTimeout(details=details) from None
        if isinstance(exc, (ThrottledError, CircuitOpenError)):
            retry_after = getattr(exc, "retry_after", None) or 30
            raise UpstreamUnavailable(details=details, headers={"Retry-After": str(retry_after)}) from None
        if isinstance(exc, RetryableError):
            raise UpstreamUnavailable(details=details) from None
        raise UpstreamFailed(details=details) from None
