"""Signing PDFs: personal signatures and enterprise seals, checked by pyHanko's own validator."""

from __future__ import annotations

import hashlib
import io

from pyhanko.pdf_utils.reader import PdfFileReader

from tests.crypto_suite import NATIONAL, pades_only
from tests.support.audit import audit_rows, details
from tests.support.documents import make_pdf
from tests.support.errors import assert_error
from tests.support.esign import ESIGN, esign_code, issue, request_signing, sign
from tests.support.ses import checked_signatures
from tests.support.signing import pyhanko_statuses

from .conftest import ca_bundle, register_seal


@pades_only
def test_a_citizen_signs_a_pdf_that_pyhanko_accepts(li):
    cert = issue(li)
    assert cert["kind"] == "personal" and cert["status"] == "active"
    assert "CN=李*" in cert["subject"] or "CN=*" in cert["subject"]  # masked in the answer
    assert "PRIVATE KEY" not in str(cert)
    original = make_pdf()
    signed_request, signed = sign(li, cert["id"], original, reason="同意")
    assert signed_request["document_sha256"] == hashlib.sha256(original).hexdigest()
    assert signed_request["signed_sha256"] == hashlib.sha256(signed).hexdigest()
    assert signed.startswith(original)  # an incremental update of the uploaded bytes

    [status] = pyhanko_statuses(signed, ca_bundle(li))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.bottom_line
    assert status.signing_cert.subject.native["common_name"] == LI_NAME(li)
    # PAdES with an RFC 3161 signature timestamp from our own TSA, trusted through our root.
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    [embedded] = reader.embedded_regular_signatures
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"

    [event] = audit_rows(li.app, "esign.signed")
    assert event.object_id == signed_request["id"]
    assert details(event)["signed_sha256"] == signed_request["signed_sha256"]


def LI_NAME(citizen) -> str:  # noqa: N802
    from tests.support.citizens import LI

    return LI.name


@pades_only
def test_visible_stamp_and_then_the_enterprise_seals_the_same_document(li, chen):
    personal = issue(li)
    _, signed_once = sign(li, personal["id"], make_pdf(pages=2), page=1, x=50, y=50, width=180, height=60)

    seal_cert = issue(chen, "enterprise_seal", enterprise_id=chen.enterprise_id)
    assert seal_cert["kind"] == "seal" and "91440605MA4UJ2K83Y" in seal_cert["subject"]
    seal = register_seal(chen, seal_cert["id"])
    request, signed_twice = sign(chen, seal_cert["id"], signed_once, page=2, x=380, y=80, width=120, height=120)
    assert request["seal_id"] == seal["id"] and request["signer_kind"] == "seal"
    assert signed_twice.startswith(signed_once)

    first, second = pyhanko_statuses(signed_twice, ca_bundle(li))
    # The citizen's signature survives the seal: intact, trusted, only a signature added after it.
    assert first.intact and first.valid and first.trusted
    assert first.docmdp_ok
    # Covered up to its revision; after it only the validation data and document timestamp (B-LTA).
    assert second.intact and second.valid and second.trusted and second.coverage.name == "ENTIRE_REVISION"
    assert second.modification_level.name == "LTA_UPDATES"
    assert second.signing_cert.subject.native["organization_identifier"] == "91440605MA4UJ2K83Y"
    # The stamp is a visible widget on page 2 with the seal image in its appearance.
    reader = PdfFileReader(io.BytesIO(signed_twice), strict=False)
    widget = reader.embedded_regular_signatures[1].sig_field
    rect = [float(v) for v in widget["/Rect"]]
    assert rect == [380, 80, 500, 200]
    appearance = widget["/AP"]["/N"]
    assert "/XObject" in appearance["/Resources"]

    [applied] = audit_rows(li.app, "esign.seal_applied")
    assert applied.on_behalf_of == f"enterprise:{chen.enterprise_id}"


def test_a_previous_request_is_signed_again_in_order(chen, tmp_path):
    personal = issue(chen)
    first, _ = sign(chen, personal["id"], make_pdf())
    seal_cert = issue(chen, "enterprise_seal", enterprise_id=chen.enterprise_id)
    register_seal(chen, seal_cert["id"])
    second, document = sign(chen, seal_cert["id"], previous_request_id=first["id"])
    assert second["previous_request_id"] == first["id"]
    if NATIONAL:
        assert len(checked_signatures(document, tmp_path)) == 2
        return
    statuses = pyhanko_statuses(document, ca_bundle(chen))
    assert len(statuses) == 2 and all(s.intact and s.valid and s.trusted for s in statuses)


def test_a_wrong_code_counts_and_five_close_the_request(li):
    cert = issue(li)
    asked = request_signing(li, cert["id"], make_pdf())
    assert asked.status_code == 202
    request_id = asked.get_json()["id"]
    right = esign_code(li)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        assert_error(li.post(f"{ESIGN}/signing-requests/{request_id}/confirm", json={"code": wrong}), 401,
                     "invalid_code")
    assert li.get(f"{ESIGN}/signing-requests/{request_id}").get_json()["status"] == "failed"
    assert_error(li.post(f"{ESIGN}/signing-requests/{request_id}/confirm", json={"code": right}), 409,
                 "signing_request_closed")
    assert_error(li.get(f"{ESIGN}/signing-requests/{request_id}/document"), 409, "not_signed")
    assert len(audit_rows(li.app, "esign.confirmation_failed")) == 5
    assert audit_rows(li.app, "esign.signed") == []


def test_a_confirmed_request_replays_with_its_idempotency_key(li):
    cert = issue(li)
    asked = request_signing(li, cert["id"], make_pdf())
    request_id = asked.get_json()["id"]
    body = {"code": esign_code(li)}
    headers = {**li.headers, "Idempotency-Key": "confirm-1"}
    first = li.client.post(f"{ESIGN}/signing-requests/{request_id}/confirm", json=body, headers=headers)
    again = li.client.post(f"{ESIGN}/signing-requests/{request_id}/confirm", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true" and again.get_json() == first.get_json()
    assert len(audit_rows(li.app, "esign.signed")) == 1


def test_the_seal_needs_esign_seal(li, chen, sign_in):
    from tests.support.citizens import citizen_at

    seal_cert = issue(chen, "enterprise_seal", enterprise_id=chen.enterprise_id)
    handler, handler_id = citizen_at(sign_in, level=3)
    added = chen.post(f"/api/v1/enterprises/{chen.enterprise_id}/members", json={"phone": handler.phone,
                                                                                  "role": "handler"})
    assert added.status_code == 201, added.get_json()
    # A handler has no esign:seal by role.
    assert_error(request_signing(handler, seal_cert["id"], make_pdf()), 403, "member_role_required")
    # An outsider does not learn the certificate exists.
    assert_error(request_signing(li, seal_cert["id"], make_pdf()), 404, "esign_certificate_not_found")
    # A personal certificate is its owner's alone.
    personal = issue(li)
    assert_error(request_signing(chen, personal["id"], make_pdf()), 404, "esign_certificate_not_found")


def test_the_signer_and_the_enterprise_are_told_in_their_inbox(li, chen):
    cert = issue(li)
    request, _ = sign(li, cert["id"], make_pdf())
    inbox = li.get("/api/v1/messages").get_json()["items"]
    [message] = [m for m in inbox if m["topic"] == "esign"]
    assert message["data"]["signing_request_id"] == request["id"] and message["title"] == "文件已签署"

    seal_cert = issue(chen, "enterprise_seal", enterprise_id=chen.enterprise_id)
    sealed, _ = sign(chen, seal_cert["id"], make_pdf())
    from tests.support.enterprises import act_for

    enterprise_inbox = act_for(chen, chen.enterprise_id).get("/api/v1/messages").get_json()["items"]
    assert [m["data"]["signing_request_id"] for m in enterprise_inbox if m["title"] == "电子印章已使用"] == [
        sealed["id"]]
    # Revoking a certificate is announced too.
    assert li.post(f"{ESIGN}/certificates/{cert['id']}/revoke", json={}).status_code == 200
    titles = [m["title"] for m in li.get("/api/v1/messages").get_json()["items"]]
    assert "签名证书已吊销" in titles


def test_a_signing_request_replays_with_its_idempotency_key(li):
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    cert = issue(li)
    pdf_file = FileStorage(io.BytesIO(make_pdf()), filename="a.pdf", content_type="application/pdf")
    boundary, body = encode_multipart({"certificate_id": cert["id"], "file": pdf_file},
                                      boundary="nht-test-boundary")
    headers = {**li.headers, "Idempotency-Key": "sign-request-1",
               "Content-Type": f"multipart/form-data; boundary={boundary}"}
    first = li.client.post(f"{ESIGN}/signing-requests", data=body, headers=headers)
    again = li.client.post(f"{ESIGN}/signing-requests", data=body, headers=headers)
    assert first.status_code == again.status_code == 202, first.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true" and again.get_json()["id"] == first.get_json()["id"]
    assert len(audit_rows(li.app, "esign.signing_requested")) == 1
