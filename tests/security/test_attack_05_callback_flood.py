"""Finding 5: payment callback routes were exempt from limits, every refused callback wrote
an audit row (800 unsigned callbacks in 20 s made 800 rows), and every unknown
Wechatpay-Serial made a certificate request upstream (which opened the breaker and failed
real orders). Now refusals are counted per source (429 beyond a limit), audited once per
source, reason and minute, and unknown serials cannot drive upstream calls."""

from __future__ import annotations

import json
import secrets
import time

import pytest
import requests

from tests.support.audit import audit_rows, details

WECHAT = "/api/v1/payments/callbacks/wechat"
ALIPAY = "/api/v1/payments/callbacks/alipay"


@pytest.fixture
def app(relaxed_app):
    return relaxed_app


def _unsigned(live_server):
    return requests.post(f"{live_server.url}{WECHAT}", timeout=10, data=json.dumps({"id": "x", "resource": {}}),
                         headers={"Content-Type": "application/json"})


def test_a_flood_of_refused_callbacks_is_limited_and_audited_once(app, live_server):
    limit = app.config["PAYMENTS_CALLBACK_REFUSALS_PER_MINUTE"]
    answers = [_unsigned(live_server) for _ in range(limit + 30)]
    assert [a.status_code for a in answers[:limit]] == [401] * limit
    assert {a.status_code for a in answers[limit:]} == {429}
    assert int(answers[-1].headers["Retry-After"]) >= 1 and answers[-1].json()["code"] == "FAIL"
    rows = audit_rows(app, "payment.callback_rejected")
    assert len(rows) == 1 and details(rows[0])["reason"] == "missing_signature_headers", [details(r) for r in rows]
    # The other channel from the same source is counted on its own.
    alipay = requests.post(f"{live_server.url}{ALIPAY}", timeout=10, data={"out_trade_no": "x", "sign": "x"})
    assert alipay.status_code == 200 and alipay.text == "fail"


def test_unknown_serials_do_not_drive_certificate_requests(app, live_server):
    sandbox = app.config["SANDBOX_URL"]
    fault = requests.post(f"{sandbox}/_control/faults", timeout=5,
                          json={"path_prefix": "/wechat/v3/certificates", "status": 500, "times": 50}).json()
    try:
        for _ in range(15):
            answer = requests.post(f"{live_server.url}{WECHAT}", timeout=10, data='{"id": "x"}', headers={
                "Content-Type": "application/json", "Wechatpay-Timestamp": str(int(time.time())),
                "Wechatpay-Nonce": secrets.token_hex(8), "Wechatpay-Signature": "AAAA",
                "Wechatpay-Serial": secrets.token_hex(16).upper()})
            assert answer.status_code in (401, 503), answer.text
        faults = requests.get(f"{sandbox}/_control/faults", timeout=5).json()["faults"]
        remaining = next((f["remaining"] for f in faults if f["id"] == fault["id"]), 0)
        assert 50 - remaining <= 1, f"{50 - remaining} certificate requests went upstream"
    finally:
        requests.delete(f"{sandbox}/_control/faults", timeout=5)
