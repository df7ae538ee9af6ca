"""An envelope a partner creates through the OpenAPI (client credentials, scope
esign:envelopes): the citizens sign in the app, the partner hears of every step by a signed
webhook to its own HTTP endpoint, and downloads the final PDF."""

from __future__ import annotations

import base64
import io
import time

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from tests.crypto_suite import NATIONAL
from tests.support.audit import audit_rows
from tests.support.esign import issue, notices, sign_envelope
from tests.support.partners import OPERATOR_PHONE, Receiver, bearer, check_signature, client_credentials, register
from tests.support.ses import signature_fields
from tests.support.staff import create_staff, sign_in_staff

from .conftest import clean_pdf

OPEN = "/open/v1/esign"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def partner(app, receiver):
    create_staff(app, OPERATOR_PHONE, "operator")
    operator = sign_in_staff(app, app.test_client(), OPERATOR_PHONE)
    return register(operator, scopes=["esign:envelopes"], optional_scopes=[], webhook_url=receiver.url)


def webhooks(receiver, count: int, secret: str) -> list[dict]:
    for _ in range(200):  # deliveries leave after the request, on a worker thread of the app
        if len(receiver.received) >= count:
            break
        time.sleep(0.05)
    return [check_signature(secret, delivery) for delivery in receiver.received]


def test_a_partner_creates_an_envelope_follows_it_by_webhook_and_downloads_the_result(
        app, live_server, li, chen, partner, receiver):
    token = client_credentials(live_server, partner, scope="esign:envelopes")
    li_cert, chen_cert = issue(li), issue(chen)
    client = app.test_client()
    made = client.post(f"{OPEN}/envelopes", headers=bearer(token), json={
        "title": "开户协议", "file_name": "account.pdf", "document_base64": base64.b64encode(clean_pdf()).decode(),
        "signers": [{"role": "citizen", "phone": li.phone}, {"role": "citizen", "phone": chen.phone}]})
    assert made.status_code == 201, made.get_json()
    envelope = made.get_json()
    assert notices(li, envelope["id"], "esign_invitation")
    # Without the scope's token: refused.
    assert client.post(f"{OPEN}/envelopes", json={}).status_code == 401

    sign_envelope(li, envelope["id"], li_cert["id"])
    sign_envelope(chen, envelope["id"], chen_cert["id"])
    payloads = webhooks(receiver, 3, partner["credentials"]["webhook_secret"])
    assert [p["event"] for p in payloads] == ["esign.envelope_changed"] * 3
    assert [(p["data"]["step"], p["data"]["signed_count"]) for p in payloads] == [
        ("signed", 1), ("signed", 2), ("completed", 2)]
    assert all(p["data"]["envelope_id"] == envelope["id"] for p in payloads)

    read = client.get(f"{OPEN}/envelopes/{envelope['id']}", headers=bearer(token))
    assert read.status_code == 200 and read.get_json()["status"] == "completed"
    final = client.get(f"{OPEN}/envelopes/{envelope['id']}/document", headers=bearer(token))
    assert final.status_code == 200
    if NATIONAL:  # GB/T 38540 signature fields, which pyHanko leaves aside
        assert len(signature_fields(final.data)) == 2
    else:
        assert len(list(PdfFileReader(io.BytesIO(final.data), strict=False).embedded_regular_signatures)) == 2
    [created] = audit_rows(app, "esign.envelope_created")
    assert created.object_id == envelope["id"] and created.actor == f"partner:{partner['id']}"


def test_a_decline_reaches_the_partner(app, live_server, li, partner, receiver):
    token = client_credentials(live_server, partner, scope="esign:envelopes")
    client = app.test_client()
    envelope = client.post(f"{OPEN}/envelopes", headers=bearer(token), json={
        "title": "开户协议", "document_base64": base64.b64encode(clean_pdf()).decode(),
        "signers": [{"role": "citizen", "phone": li.phone}]}).get_json()
    assert li.post(f"/api/v1/esign/envelopes/{envelope['id']}/decline", json={"reason": "不认识此机构"}).status_code == 200
    [payload] = webhooks(receiver, 1, partner["credentials"]["webhook_secret"])
    assert payload["data"]["step"] == "declined" and payload["data"]["status"] == "declined"
    # Another partner cannot read it.
    assert client.get(f"{OPEN}/envelopes/{envelope['id']}").status_code == 401
