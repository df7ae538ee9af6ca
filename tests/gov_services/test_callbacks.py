"""Status callbacks: verified (HMAC-SHA256, timestamp window, nonce) or refused, and a
refused one changes nothing. The HMAC is checked against openssl, independently."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time

import requests

from integrations.gov_gateway import canonical_request, sign_headers
from tests.support.audit import audit_rows, details
from tests.support.citizens import CHEN, verified
from tests.support.enterprises import GUICHENG, act_for, registered
from tests.support.errors import assert_error
from tests.support.gov_services import SAMPLES, apply, report, send

from .conftest import application, upstream_applications

PATH = "/api/v1/gov-services/callbacks/status"


def submitted(app, sign_in) -> tuple[object, dict]:
    chen = verified(sign_in, CHEN)
    return chen, apply(chen, "yss.hukou.certificate", SAMPLES["yss.hukou.certificate"]).get_json()


def refused(answer: requests.Response, reason: str) -> None:
    body = answer.json()
    assert answer.status_code == 401, body
    assert set(body) == {"code", "message", "details", "request_id"}
    assert body["code"] == "invalid_callback_signature" and body["details"] == {"reason": reason}


def test_a_signed_callback_is_applied_once(app, sign_in):
    chen, created = submitted(app, sign_in)
    answer = send(app, report(created))
    assert answer.status_code == 200 and answer.json() == {
        "application_id": created["id"], "status": "accepted", "applied": True}
    again = send(app, report(created))  # the same report again (a fresh nonce): nothing new
    assert again.status_code == 200 and again.json()["applied"] is False
    older = send(app, report(created, "submitted", 1))
    assert older.json()["applied"] is False and application(chen, created["id"])["status"] == "accepted"


def test_forged_callbacks_are_refused_and_change_nothing(app, sign_in):
    chen, created = submitted(app, sign_in)
    before = application(chen, created["id"])
    forged = report(created, "approved", 5)
    refused(send(app, forged, secret="guessed-secret"), "bad_signature")
    refused(send(app, forged, app_key="someone"), "unknown_app_key")
    refused(send(app, forged, now=time.time() - 3600), "stale_timestamp")
    refused(send(app, forged, now=time.time() + 3600), "stale_timestamp")
    refused(send(app, forged, drop="X-Gov-Signature"), "missing_signature_headers")
    # A genuine callback's signature over another body.
    genuine = report(created, "accepted", 2)
    tampered = json.dumps({**genuine, "status": "approved"}).encode()
    refused(send(app, genuine, tamper=tampered), "bad_signature")
    # Signed with Yueshangtong's secret but claiming to be Yueshengshi.
    refused(send(app, forged, secret=app.config["YUESHANGTONG_GATEWAY_CALLBACK_SECRET"]), "bad_signature")
    assert_error(app.test_client().post(PATH, json=forged), 401, "invalid_callback_signature")
    assert application(chen, created["id"]) == before
    denials = audit_rows(app, "gov_services.callback.refused")
    assert len(denials) == 8 and {e.result for e in denials} == {"denied"}


def test_a_replayed_callback_is_refused(app, sign_in):
    chen, created = submitted(app, sign_in)
    nonce = "replay-nonce-0123456789"
    assert send(app, report(created), nonce=nonce).status_code == 200
    refused(send(app, report(created, "approved", 3), nonce=nonce), "replayed_nonce")
    assert application(chen, created["id"])["status"] == "accepted"


def test_callbacks_only_move_their_providers_applications(app, sign_in):
    chen, created = submitted(app, sign_in)
    as_other = send(app, report(created), app_key="yueshangtong_gateway",
                    secret=app.config["YUESHANGTONG_GATEWAY_CALLBACK_SECRET"])
    assert as_other.status_code == 404 and as_other.json()["code"] == "application_not_found"
    unknown = {**report(created), "reference": "YSS-20990101-999999"}
    assert send(app, unknown).status_code == 404
    not_a_report = send(app, {"reference": created["upstream_reference"], "status": "teleported"})
    assert not_a_report.status_code == 400 and not_a_report.json()["code"] == "invalid_callback"
    assert application(chen, created["id"])["status"] == "submitted"


def test_enterprise_callbacks_come_from_yueshangtong(app, sign_in):
    chen = verified(sign_in, CHEN)
    for_guicheng = act_for(chen, registered(chen, GUICHENG))
    created = apply(for_guicheng, "ysst.invoice.quota_adjustment", SAMPLES["ysst.invoice.quota_adjustment"]).get_json()
    url = f"{app.config['SANDBOX_URL']}/_control/ysst/applications/{created['upstream_reference']}/status"
    answer = requests.post(url, timeout=5, json={"status": "accepted"})
    assert answer.json()["callback_status"] == 200
    assert application(for_guicheng, created["id"])["status"] == "accepted"
    [received] = [e for e in audit_rows(app, "gov_services.callback.received")]
    assert received.actor == "upstream:yueshangtong" and details(received)["applied"] is True


def test_the_signature_is_plain_hmac_sha256(tmp_path):
    """openssl, knowing nothing of our code, computes the same signature over the canonical request."""
    body = json.dumps({"params": {"year": 2025}}).encode()
    headers = {"X-Gov-User-Name": "%E9%99%88%E5%AE%B6%E8%B1%AA", "X-Gov-Subject-Kind": "citizen"}
    signed = sign_headers("s3cr3t", "nanhaitong", "POST", "/yss/gateway/v1/services/x.y.z/queries", "b=2&a=1", body,
                          headers, now=1_790_000_000, nonce="abcdefghijklmnop")
    canonical = canonical_request("POST", "/yss/gateway/v1/services/x.y.z/queries", "b=2&a=1", signed, body)
    assert canonical.split("\n")[:3] == ["POST", "/yss/gateway/v1/services/x.y.z/queries", "a=1&b=2"]
    assert canonical.split("\n")[-1] == hashlib.sha256(body).hexdigest()
    assert "x-gov-timestamp:1790000000" in canonical and "x-gov-signature" not in canonical
    message = tmp_path / "canonical"
    message.write_bytes(canonical.encode())
    out = subprocess.run(["openssl", "dgst", "-sha256", "-hmac", "s3cr3t", str(message)], capture_output=True,
                         text=True, check=True, timeout=10).stdout
    assert out.strip().endswith(signed["X-Gov-Signature"])


def test_the_gateway_refuses_replays_and_stale_requests(app):
    url_path = "/yss/gateway/v1/applications/YSS-20990101-000001"
    secret = app.config["YUESHENGSHI_APP_SECRET"]

    def get(headers):
        return requests.get(f"{app.config['SANDBOX_URL']}{url_path}", timeout=5, headers=headers)

    headers = sign_headers(secret, "nanhaitong-sandbox", "GET", url_path, "", b"")
    assert get(headers).status_code == 404  # verified, then: no such application
    replay = get(headers)
    assert replay.status_code == 401 and replay.json()["message"] == "replayed_nonce"
    stale = sign_headers(secret, "nanhaitong-sandbox", "GET", url_path, "", b"", now=time.time() - 301)
    assert get(stale).json()["message"] == "stale_timestamp"
    wrong = sign_headers("not-the-secret", "nanhaitong-sandbox", "GET", url_path, "", b"")
    assert get(wrong).json()["message"] == "bad_signature"
    assert upstream_applications(app) == []
