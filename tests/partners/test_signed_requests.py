"""Signed requests (X-NHT-AppId/-Timestamp/-Nonce/-Signature): the canonical string, the
refusals with their codes, and the worked example in docs/partners.md (computed here, and
checked with openssl, so it cannot drift)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

from nanhaitong.partners.signatures import canonical_string, sign
from tests.support.partners import bearer, client_credentials, independent_canonical, register, signed_headers

DOC = Path(__file__).resolve().parents[2] / "docs" / "partners.md"
VERIFY = "/open/v1/presentation-verifications"

# The worked example of docs/partners.md.
EXAMPLE = {
    "secret": "demo-hmac-secret-do-not-use",
    "method": "POST",
    "path": VERIFY,
    "query": "lang=zh-CN&b=2&a=1",
    "timestamp": "1763780400",
    "nonce": "7f3c9a1e-5b2d-4e8f",
    "body": b'{"token":"eyJhbGciOiJFUzI1NiJ9.e30.c2ln"}',
}


def call(live_server, headers, body: dict | None = None, query: str = ""):
    raw = json.dumps(body or {"token": "x" * 20}).encode()
    return requests.post(f"{live_server.url}{VERIFY}{'?' + query if query else ''}", timeout=10, data=raw,
                         headers={"Content-Type": "application/json", **headers}), raw


def assert_refused(answer, code: str):
    body = answer.json()
    assert answer.status_code == 401, (answer.status_code, body)
    assert body["code"] == code and set(body) == {"code", "message", "details", "request_id"}, body


def test_worked_example_matches_the_docs_and_openssl():
    ex = EXAMPLE
    ours = canonical_string(ex["method"], ex["path"], ex["query"], ex["timestamp"], ex["nonce"], ex["body"])
    assert ours == independent_canonical(ex["method"], ex["path"], ex["query"], ex["timestamp"], ex["nonce"],
                                         ex["body"])
    assert ours.split("\n")[2] == "a=1&b=2&lang=zh-CN"
    signature = sign(ex["secret"], ours)
    if shutil.which("openssl"):
        out = subprocess.run(["openssl", "dgst", "-sha256", "-hmac", ex["secret"]], input=ours.encode(),
                             capture_output=True, check=True, timeout=10).stdout.decode()
        assert out.strip().endswith(signature), out
        body_hash = subprocess.run(["openssl", "dgst", "-sha256"], input=ex["body"], capture_output=True,
                                   check=True, timeout=10).stdout.decode()
        assert body_hash.strip().endswith(ours.split("\n")[-1])
    doc = DOC.read_text(encoding="utf-8")
    assert "```text\n" + ours + "\n```" in doc, f"docs/partners.md must show the canonical string:\n{ours}"
    assert f"X-NHT-Signature: {signature}" in doc, f"docs/partners.md must show the signature {signature}"


def test_signed_request_stands_in_for_a_token(live_server, operator):
    partner = register(operator)
    raw = json.dumps({"token": "x" * 20}).encode()
    answer, _ = call(live_server, signed_headers(partner, "POST", VERIFY, "b=2&a=1", raw), query="b=2&a=1")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["valid"] is False


def test_refusals_have_clear_codes(live_server, operator):
    partner = register(operator)
    raw = json.dumps({"token": "x" * 20}).encode()

    headers = signed_headers(partner, "POST", VERIFY, body=raw)
    assert call(live_server, headers)[0].status_code == 200
    assert_refused(call(live_server, headers)[0], "nonce_replayed")

    stale = signed_headers(partner, "POST", VERIFY, body=raw, timestamp=int(time.time()) - 301)
    answer = call(live_server, stale)[0]
    assert_refused(answer, "timestamp_out_of_window")
    assert answer.json()["details"]["window_seconds"] == 300
    future = signed_headers(partner, "POST", VERIFY, body=raw, timestamp=int(time.time()) + 400)
    assert_refused(call(live_server, future)[0], "timestamp_out_of_window")

    wrong = signed_headers(partner, "POST", VERIFY, body=raw, secret="not-the-secret")
    assert_refused(call(live_server, wrong)[0], "signature_invalid")
    # The signature covers the body, the query and the path.
    tampered = signed_headers(partner, "POST", VERIFY, body=raw)
    assert_refused(call(live_server, tampered, body={"token": "y" * 20})[0], "signature_invalid")
    queried = signed_headers(partner, "POST", VERIFY, "a=1", raw)
    assert_refused(call(live_server, queried, query="a=2")[0], "signature_invalid")

    unknown = {**signed_headers(partner, "POST", VERIFY, body=raw), "X-NHT-AppId": "nhta_nobody"}
    assert_refused(call(live_server, unknown)[0], "unknown_app")
    partial = signed_headers(partner, "POST", VERIFY, body=raw)
    del partial["X-NHT-Nonce"]
    assert_refused(call(live_server, partial)[0], "signature_missing")


def test_a_wrong_signature_does_not_spend_the_nonce(live_server, operator):
    partner = register(operator)
    raw = json.dumps({"token": "x" * 20}).encode()
    nonce = uuid.uuid4().hex
    assert_refused(call(live_server, signed_headers(partner, "POST", VERIFY, body=raw, nonce=nonce,
                                                    secret="wrong"))[0], "signature_invalid")
    assert call(live_server, signed_headers(partner, "POST", VERIFY, body=raw, nonce=nonce))[0].status_code == 200


def test_rotated_hmac_secret_and_suspension(live_server, operator):
    partner = register(operator)
    raw = json.dumps({"token": "x" * 20}).encode()
    rotated = operator.post(f"/api/v1/admin/partners/{partner['id']}/rotate-credentials").get_json()
    assert_refused(call(live_server, signed_headers(partner, "POST", VERIFY, body=raw))[0], "signature_invalid")
    assert call(live_server, signed_headers(rotated, "POST", VERIFY, body=raw))[0].status_code == 200
    assert operator.post(f"/api/v1/admin/partners/{partner['id']}/suspend").status_code == 200
    assert_refused(call(live_server, signed_headers(rotated, "POST", VERIFY, body=raw))[0], "partner_suspended")


def test_user_data_needs_a_user_token_not_a_signature(live_server, operator):
    partner = register(operator)
    headers = signed_headers(partner, "GET", "/open/v1/userinfo")
    answer = requests.get(f"{live_server.url}/open/v1/userinfo", headers=headers, timeout=10)
    assert_refused(answer, "user_token_required")


@pytest.mark.skipif("os.environ.get('NHT_TEST_BACKEND') != 'postgresql'")
def test_nonces_live_in_redis_when_configured(app, live_server, operator):
    import redis

    partner = register(operator)
    raw = json.dumps({"token": "x" * 20}).encode()
    nonce = uuid.uuid4().hex
    assert call(live_server, signed_headers(partner, "POST", VERIFY, body=raw, nonce=nonce))[0].status_code == 200
    keys = redis.Redis.from_url(app.config["REDIS_URL"]).keys("nht-replay:*")
    assert keys, "the nonce was not remembered in Redis"


def test_bearer_and_signature_combined(live_server, operator):
    partner = register(operator)
    token = client_credentials(live_server, partner)
    raw = json.dumps({"token": "x" * 20}).encode()
    answer, _ = call(live_server, {**bearer(token), **signed_headers(partner, "POST", VERIFY, body=raw)})
    assert answer.status_code == 200


def test_a_request_signed_with_hmac_sm3_by_openssl_is_accepted(live_server, operator):
    """The national suite's request signature: SM3 body hash and HMAC-SM3, both by openssl."""
    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command line")
    partner = register(operator)
    raw = json.dumps({"token": "x" * 20}).encode()
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
    body_sm3 = subprocess.run(["openssl", "dgst", "-sm3", "-r"], input=raw, capture_output=True, check=True,
                              timeout=10).stdout.split()[0].decode()
    canonical = f"POST\n{VERIFY}\na=1\n{timestamp}\n{nonce}\n{body_sm3}"
    signature = subprocess.run(["openssl", "dgst", "-sm3", "-r", "-hmac", partner["credentials"]["hmac_secret"]],
                               input=canonical.encode(), capture_output=True, check=True,
                               timeout=10).stdout.split()[0].decode()
    headers = {"X-NHT-AppId": partner["app_id"], "X-NHT-Timestamp": timestamp, "X-NHT-Nonce": nonce,
               "X-NHT-Signature": signature, "X-NHT-Signature-Method": "HMAC-SM3"}
    answer, _ = call(live_server, headers, query="a=1")
    assert answer.status_code == 200, answer.json()
    # The same signature under the other method's name does not verify.
    wrong = {**headers, "X-NHT-Nonce": uuid.uuid4().hex, "X-NHT-Signature-Method": "HMAC-SHA256"}
    assert_refused(call(live_server, wrong, query="a=1")[0], "signature_invalid")
    unknown = {**headers, "X-NHT-Nonce": uuid.uuid4().hex, "X-NHT-Signature-Method": "HMAC-MD5"}
    assert_refused(call(live_server, unknown, query="a=1")[0], "signature_invalid")
