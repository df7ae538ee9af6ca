"""Upstream failures reach clients as 502/503/504 in the one error shape."""

import pytest
from flask import Flask

from integrations.errors import (
    CircuitOpenError,
    NonRetryableError,
    RetryableError,
    ThrottledError,
    UpstreamRejectedError,
    UpstreamTimeoutError,
)
from nanhaitong.errors import UpstreamFailed, UpstreamTimeout, UpstreamUnavailable
from nanhaitong.upstream import upstream_errors


@pytest.mark.parametrize("raised, expected, retry_after", [
    (UpstreamTimeoutError("idv", "POST /x timed out"), UpstreamTimeout, None),
    (RetryableError("idv", "POST /x answered 503", status=503), UpstreamUnavailable, None),
    (ThrottledError("idv", "POST /x answered 429", retry_after=7), UpstreamUnavailable, "7"),
    (CircuitOpenError("idv", "circuit open"), UpstreamUnavailable, "30"),
    (NonRetryableError("idv", "POST /x answered 401", status=401), UpstreamFailed, None),
    (UpstreamRejectedError("idv", "refused", upstream_code="x"), UpstreamFailed, None),
])
def test_mapping(raised, expected, retry_after):
    with Flask(__name__).app_context(), pytest.raises(expected) as caught:
        with upstream_errors("identity verification"):
            raise raised
    assert caught.value.details == {"upstream": "identity verification"}
    assert caught.value.headers.get("Retry-After") == retry_after
