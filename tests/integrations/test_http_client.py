"""HttpClient: timeouts, retries, the circuit breaker and the error taxonomy, over real HTTP.

The sandbox's fault rules count down as requests hit them, which is how these tests
see how many attempts reached the upstream.
"""

from __future__ import annotations

import threading
import time
import traceback

import pytest
from werkzeug.wrappers import Response

from integrations.errors import (
    CircuitOpenError,
    IntegrationError,
    NonRetryableError,
    RetryableError,
    ThrottledError,
    UpstreamRejectedError,
    UpstreamTimeoutError,
)
from integrations.http import HttpClient

PHONE = "13800138000"


def leaked_text(error: BaseException) -> str:
    """Everything a log line or traceback of the error would show."""
    return "".join(traceback.format_exception(error)) + repr(error)


@pytest.mark.parametrize("timeout", [None, (1.0, None), 0, -1, (1.0, 2.0, 3.0)])
def test_a_timeout_is_mandatory(timeout):
    with pytest.raises(ValueError):
        HttpClient("http://127.0.0.1:1", upstream="x", timeout=timeout)


def test_taxonomy_shape():
    assert issubclass(ThrottledError, RetryableError)
    assert issubclass(CircuitOpenError, RetryableError)
    assert issubclass(UpstreamRejectedError, NonRetryableError)
    assert issubclass(RetryableError, IntegrationError) and issubclass(NonRetryableError, IntegrationError)


def test_idempotent_post_is_retried_through_passing_503s(sandbox, make_sms_client):
    sms = make_sms_client(retries=2)
    fault = sandbox.add_fault("/sms/", status=503, times=2)

    message_id = sms.send(PHONE, "notice", {"text": "hi"}, idempotency_key="retry-1")

    assert sandbox.remaining(fault) == 0  # two failed attempts, then the third got through
    assert [m["id"] for m in sandbox.messages(PHONE)] == [message_id]


def test_post_without_idempotency_key_is_not_retried(sandbox, make_sms_client):
    sms = make_sms_client(retries=2)
    fault = sandbox.add_fault("/sms/", status=503, times=2)

    with pytest.raises(RetryableError) as caught:
        sms.send(PHONE, "notice", {"text": "hi"})

    assert caught.value.status == 503
    assert sandbox.remaining(fault) == 1


def test_persisting_503_ends_as_retryable_after_bounded_retries(sandbox, make_http_client):
    client = make_http_client(retries=2)
    fault = sandbox.add_fault("/demo", status=503, times=10)

    with pytest.raises(RetryableError) as caught:
        client.request("GET", "/demo")

    assert type(caught.value) is RetryableError
    assert caught.value.status == 503
    assert sandbox.remaining(fault) == 7  # 1 attempt + 2 retries


def test_429_is_throttled_with_retry_after_and_not_retried(sandbox, make_http_client):
    client = make_http_client(retries=2)
    fault = sandbox.add_fault("/demo", status=429, times=3)

    with pytest.raises(ThrottledError) as caught:
        client.request("GET", "/demo")

    assert caught.value.retry_after == 1
    assert sandbox.remaining(fault) == 2


def test_slow_upstream_times_out_quickly_as_retryable(sandbox, make_sms_client):
    sms = make_sms_client(timeout=0.2)
    # With a status, the abandoned request changes nothing after the test has ended.
    sandbox.add_fault("/sms/", latency_ms=1000, status=503)

    started = time.monotonic()
    with pytest.raises(RetryableError) as caught:
        sms.send(PHONE, "notice", {"text": "hi"})

    assert time.monotonic() - started < 0.8
    assert "timed out" in str(caught.value) and isinstance(caught.value, UpstreamTimeoutError)
    assert caught.value.status is None


def test_read_timeout_on_get_is_retried(sandbox, make_http_client):
    client = make_http_client(timeout=0.2, retries=1)
    fault = sandbox.add_fault("/demo", latency_ms=600, times=1)

    assert "sms" in client.request("GET", "/demo")
    assert sandbox.remaining(fault) == 0


def test_get_timing_out_on_every_attempt_is_retryable(sandbox, make_http_client):
    client = make_http_client(timeout=0.2, retries=1)
    fault = sandbox.add_fault("/demo", latency_ms=500, times=3)

    with pytest.raises(RetryableError) as caught:
        client.request("GET", "/demo")

    assert str(caught.value) == "sandbox: GET /demo timed out"
    assert sandbox.remaining(fault) == 1


def test_unreachable_upstream_is_retryable():
    client = HttpClient("http://127.0.0.1:9", upstream="nowhere", timeout=0.5, retries=0)

    with pytest.raises(RetryableError) as caught:
        client.request("GET", "/anything")

    assert str(caught.value) == "nowhere: GET /anything failed: connection refused or unreachable"


def test_non_json_success_is_non_retryable(serve):
    url = serve(lambda environ, start_response: Response("<html>ok</html>", mimetype="text/html")(
        environ, start_response))
    client = HttpClient(url, upstream="html", timeout=1)

    with pytest.raises(NonRetryableError) as caught:
        client.request("GET", "/")

    assert caught.value.status == 200


def test_4xx_without_code_is_non_retryable(serve):
    url = serve(lambda environ, start_response: Response("no", status=400)(environ, start_response))
    client = HttpClient(url, upstream="plain", timeout=1)

    with pytest.raises(NonRetryableError) as caught:
        client.request("POST", "/", json={"a": 1})

    assert not isinstance(caught.value, UpstreamRejectedError)
    assert caught.value.status == 400


def test_circuit_opens_after_repeated_failures_and_then_fails_fast(sandbox, make_http_client):
    client = make_http_client(retries=0, breaker_fail_max=3, breaker_reset_timeout=30)
    fault = sandbox.add_fault("/demo", status=503, times=100)

    for _ in range(3):
        with pytest.raises(RetryableError) as caught:
            client.request("GET", "/demo")
        assert not isinstance(caught.value, CircuitOpenError)
    assert client.circuit_state == "open"
    assert sandbox.remaining(fault) == 97

    started = time.monotonic()
    with pytest.raises(CircuitOpenError):
        client.request("GET", "/demo")

    assert time.monotonic() - started < 0.05
    assert sandbox.remaining(fault) == 97  # the sandbox never saw that call


def test_circuit_lets_a_trial_through_after_reset_timeout(sandbox, make_http_client):
    client = make_http_client(retries=0, breaker_fail_max=1, breaker_reset_timeout=0.2)
    sandbox.add_fault("/demo", status=503, times=1)
    with pytest.raises(RetryableError):
        client.request("GET", "/demo")
    with pytest.raises(CircuitOpenError):
        client.request("GET", "/demo")

    time.sleep(0.25)

    assert "sms" in client.request("GET", "/demo")
    assert client.circuit_state == "closed"


def test_business_refusals_do_not_open_the_circuit(sandbox, make_sms_client):
    sms = make_sms_client(breaker_fail_max=2)

    for _ in range(3):
        with pytest.raises(UpstreamRejectedError):
            sms.send("123", "notice", {"text": "hi"})

    assert sms.circuit_state == "closed"


def test_slow_calls_do_not_queue_behind_each_other(sandbox, make_http_client):
    # pybreaker serialises calls made through CircuitBreaker.call; ours must not.
    # Each call waits a second at the sandbox: queued, four take at least 4 s; at once,
    # about 1 s plus whatever the machine adds (over 1 s when the whole suite runs).
    client = make_http_client(timeout=3)
    sandbox.add_fault("/demo", latency_ms=1000, times=4)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.request("GET", "/demo")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=call) for _ in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert time.monotonic() - started < 3.0


def test_errors_never_show_the_phone_number(sandbox, make_sms_client, make_http_client):
    sms = make_sms_client(timeout=0.2, retries=0)
    client = make_http_client(timeout=0.2, retries=0)
    errors: list[IntegrationError] = []

    sandbox.add_fault("/sms/", status=503)
    sandbox.add_fault("/sms/", status=429)
    sandbox.add_fault("/sms/", latency_ms=600, status=503)
    sandbox.add_fault("/sms/", latency_ms=600, status=503)  # the GET below, phone in the query
    for attempt in (
        lambda: sms.send(PHONE, "notice", {"text": "hi"}),
        lambda: sms.send(PHONE, "notice", {"text": "hi"}),
        lambda: sms.send(PHONE, "notice", {"text": "hi"}),
        lambda: client.request("GET", "/sms/messages", params={"phone": PHONE}),
        lambda: sms.send(PHONE[:-1], "notice", {"text": "hi"}),
        lambda: make_sms_client(api_key="wrong").send(PHONE, "notice", {"text": "hi"}),
    ):
        with pytest.raises(IntegrationError) as caught:
            attempt()
        errors.append(caught.value)

    assert [type(e) for e in errors] == [
        RetryableError, ThrottledError, UpstreamTimeoutError, UpstreamTimeoutError,
        UpstreamRejectedError, NonRetryableError,
    ]
    for error in errors:
        assert PHONE not in leaked_text(error) and PHONE[:-1] not in leaked_text(error)
        assert "/sms/" in error.message


# -- the environment is read once, when the client is built ---------------------------

def _dead_proxy() -> str:
    """A loopback port nobody listens on: a call sent through it fails to connect."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_proxy_from_the_environment_is_used(sandbox, make_http_client, monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", _dead_proxy())
    client = make_http_client(retries=0)

    with pytest.raises(RetryableError):
        client.request("GET", "/demo")


def test_no_proxy_from_the_environment_is_honoured(sandbox, make_http_client, monkeypatch):
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTP_PROXY", _dead_proxy())
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    client = make_http_client(retries=0)

    assert "sms" in client.request("GET", "/demo")


def test_the_environment_is_not_read_again_on_each_call(sandbox, make_http_client, monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    client = make_http_client(retries=0)
    monkeypatch.setenv("HTTP_PROXY", _dead_proxy())  # after the client was built: not seen

    assert "sms" in client.request("GET", "/demo")
    assert client._session.trust_env is False
