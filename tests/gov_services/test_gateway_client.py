"""The gateway client checks what an upstream answers before anything uses it."""

from __future__ import annotations

import json
import threading

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from integrations.errors import NonRetryableError, UpstreamRejectedError
from integrations.gov_gateway import ForwardedIdentity, verify_signed_request
from integrations.yueshengshi import YueshengshiClient

IDENTITY = ForwardedIdentity("citizen", "陈家豪", "440622198503121234")


class FakeGateway:
    """Answers whatever the test sets, after checking the request's signature."""

    def __init__(self):
        self.answer: tuple[int, object] = (200, {})
        self.seen: list[dict] = []
        self.nonces: set[str] = set()

    def remember(self, key, ttl):
        fresh = key not in self.nonces
        self.nonces.add(key)
        return fresh

    def __call__(self, environ, start_response):
        request = Request(environ)
        verify_signed_request({"app": "secret"}, request.method, request.path, "", dict(request.headers),
                              request.get_data(), remember_nonce=self.remember)
        self.seen.append(dict(request.headers))
        status, body = self.answer
        text = body if isinstance(body, str) else json.dumps(body)
        return Response(text, status=status, content_type="application/json")(environ, start_response)


@pytest.fixture
def gateway():
    fake = FakeGateway()
    server = make_server("127.0.0.1", 0, fake, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    client = YueshengshiClient(f"http://127.0.0.1:{server.server_port}", app_key="app", app_secret="secret",
                               timeout=2, retries=0)
    yield fake, client
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("body", [
    "not json",
    [1, 2],
    {"request_id": "r1"},
    {"request_id": "r1", "data": {"summary": "x", "fields": "no", "records": []}},
    {"request_id": "r1", "data": {"summary": "x", "fields": [{"key": "a", "label": "b", "value": {"x": 1}}],
                                  "records": []}},
    {"request_id": "r1", "data": {"summary": "x", "fields": [], "records": [{"nested": [1]}]}},
])
def test_malformed_query_answers_are_refused(gateway, body):
    fake, client = gateway
    fake.answer = (200, body)
    with pytest.raises(NonRetryableError):
        client.query("yss.housing_fund.balance", {}, IDENTITY)


@pytest.mark.parametrize("body", [
    {"reference": "bad ref!", "status": "submitted", "version": 1, "accepted_at": "x"},
    {"reference": "YSS-1-000001", "status": "teleported", "version": 1, "accepted_at": "x"},
    {"reference": "YSS-1-000001", "status": "submitted", "version": True, "accepted_at": "x"},
])
def test_malformed_receipts_are_refused(gateway, body):
    fake, client = gateway
    fake.answer = (201, body)
    with pytest.raises(NonRetryableError):
        client.submit("01ARZ3NDEKTSV4RRFFQ69G5FAV", "yss.hukou.certificate", {}, [], IDENTITY)


def test_a_good_answer_and_the_identity_sent(gateway):
    fake, client = gateway
    fake.answer = (200, {"request_id": "r1", "data": {"summary": "ok", "fields": [
        {"key": "balance_fen", "label": "余额", "value": 12}], "records": []}})
    answer = client.query("yss.housing_fund.balance", {}, IDENTITY)
    assert answer.fields[0]["value"] == 12
    sent = {k.lower(): v for k, v in fake.seen[0].items()}
    assert sent["x-gov-user-id-number"] == "440622198503121234"
    assert sent["x-gov-user-name"] == "%E9%99%88%E5%AE%B6%E8%B1%AA"  # percent-encoded UTF-8
    assert "陈" not in repr(IDENTITY) and "4406" not in repr(IDENTITY)  # never in logs or tracebacks


def test_refusals_keep_the_upstream_code(gateway):
    fake, client = gateway
    fake.answer = (409, {"code": "application_id_reused", "message": "..."})
    with pytest.raises(UpstreamRejectedError) as refused:
        client.query("yss.housing_fund.balance", {}, IDENTITY)
    assert refused.value.upstream_code == "application_id_reused"
