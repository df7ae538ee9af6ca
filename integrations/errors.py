"""What can go wrong when we call an upstream, in the terms a service needs to decide.

Services map these to our own error codes; they should only ever need to ask
"may I try again later?" (:class:`RetryableError`) or "was this refused for a reason
I can tell the user?" (:class:`UpstreamRejectedError`).

Messages name the upstream, method, path and status only. They never carry request
bodies, query strings or the upstream's own wording, any of which may hold personal
data (phone numbers, ID numbers) that would then reach our logs.
"""

from __future__ import annotations


class IntegrationError(Exception):
    """Base of every failure talking to an upstream."""

    def __init__(self, upstream: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.upstream = upstream
        self.message = message
        self.status = status  # the upstream's HTTP status, when there was one

    def __str__(self) -> str:
        return self.message


class RetryableError(IntegrationError):
    """The upstream was unreachable, slow or unwell; the same call may succeed later."""


class UpstreamTimeoutError(RetryableError):
    """The upstream did not answer in time (it may still have acted on the request)."""


class NonRetryableError(IntegrationError):
    """Our request was wrong or unauthorized, or the answer made no sense; retrying won't help."""


class ThrottledError(RetryableError):
    """The upstream asked us to slow down (429)."""

    def __init__(
        self,
        upstream: str,
        message: str,
        *,
        retry_after: int | None = None,
        status: int | None = 429,
    ) -> None:
        super().__init__(upstream, message, status=status)
        self.retry_after = retry_after  # seconds, when the upstream said


class UpstreamRejectedError(NonRetryableError):
    """The upstream understood the request and refused it for a business reason."""

    def __init__(
        self,
        upstream: str,
        message: str,
        *,
        upstream_code: str,
        status: int | None = None,
    ) -> None:
        super().__init__(upstream, message, status=status)
        self.upstream_code = upstream_code


class CircuitOpenError(RetryableError):
    """Recent calls failed so often that we stopped calling the upstream for a while."""
