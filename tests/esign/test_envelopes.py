"""Signing by several parties (envelopes): in order, in parallel, with an enterprise seal;
declining, reminders, expiry; the final PDF checked by pyhanko-cli run as a process."""

from __future__ import annotations

import base64
import io

from pyhanko.pdf_utils.reader import PdfFileReader

from tests.crypto_suite import NATIONAL
from tests.support.audit import audit_rows
from tests.support.citizens import LI
from tests.support.errors import assert_error
from tests.support.esign import ESIGN, issue, notices, sign_envelope
from tests.support.ses import checked_signatures
from tests.support.signing import validate_ades, validate_online, write

from .conftest import clean_pdf, register_seal, verify


def create(creator, signers: list, routing: str = "sequential", **extra):
    return creator.post(f"{ESIGN}/envelopes", json={
        "title": "房屋租赁合同", "file_name": "lease.pdf", "document_base64": base64.b64encode(clean_pdf()).decode(),
        "routing": routing, "signers": signers, **extra})


def test_two_signers_in_order_end_with_one_pdf_carrying_both_signatures(li, chen, tmp_path):
    li_cert, chen_cert = issue(li), issue(chen)
    made = create(li, [{"role": "citizen", "phone": li.phone},
                       {"role": "citizen", "phone": chen.phone, "page": 1, "x": 300, "y": 60, "width": 250,
                        "height": 80}])
    assert made.status_code == 201, made.get_json()
    envelope = made.get_json()
    assert [s["status"] for s in envelope["signers"]] == ["invited", "waiting"]
    assert notices(li, envelope["id"], "esign_invitation") and not notices(chen, envelope["id"], "esign_invitation")
    # Not the second signer's turn yet.
    assert_error(chen.post(f"{ESIGN}/envelopes/{envelope['id']}/sign", json={"certificate_id": chen_cert["id"]}),
                 409, "not_your_turn")

    sign_envelope(li, envelope["id"], li_cert["id"])
    after_first = li.get(f"{ESIGN}/envelopes/{envelope['id']}").get_json()
    assert [s["status"] for s in after_first["signers"]] == ["signed", "invited"]
    assert notices(chen, envelope["id"], "esign_invitation")  # invited now, in the inbox (and by SMS)

    sign_envelope(chen, envelope["id"], chen_cert["id"])
    done = chen.get(f"{ESIGN}/envelopes/{envelope['id']}").get_json()
    assert done["status"] == "completed" and done["final_sha256"] == done["current_sha256"]
    assert notices(li, envelope["id"], "esign_completed") and notices(chen, envelope["id"], "esign_completed")

    final = li.get(f"{ESIGN}/envelopes/{envelope['id']}/document")
    assert final.status_code == 200 and final.mimetype == "application/pdf"
    report = verify(li, final.data)
    assert report["signature_count"] == 2 and all(s["valid"] for s in report["signatures"])
    if NATIONAL:  # GB/T 38540 signatures, which pyHanko does not know: openssl checks them
        first, second = checked_signatures(final.data, tmp_path)
        assert LI.name in first["subject"] and LI.name not in second["subject"]
        return
    reader = PdfFileReader(io.BytesIO(final.data), strict=False)
    signatures = list(reader.embedded_regular_signatures)
    assert [s.signer_cert.subject.native["common_name"] for s in signatures] == [LI.name, signatures[1].signer_cert
                                                                                 .subject.native["common_name"]]
    assert signatures[0].signed_revision < signatures[1].signed_revision  # in order, incremental updates
    write(tmp_path, li, final.data)
    online = validate_online(tmp_path)
    assert online.returncode == 0 and online.stdout.count("judged VALID") == 2, online.stdout + online.stderr
    ades = validate_ades(tmp_path)
    assert ades.returncode == 0, ades.stdout + ades.stderr
    steps = [e.action for e in audit_rows(li.app) if e.object_id == envelope["id"]]
    for action in ("esign.envelope_created", "esign.envelope_invited", "esign.envelope_signing_started",
                   "esign.envelope_signed", "esign.envelope_completed"):
        assert action in steps, steps


def test_a_decline_stops_the_envelope_and_tells_the_others(li, chen):
    li_cert = issue(li)
    envelope = create(li, [{"role": "citizen", "phone": chen.phone}, {"role": "citizen", "phone": li.phone}],
                      routing="parallel").get_json()
    assert [s["status"] for s in envelope["signers"]] == ["invited", "invited"]
    declined = chen.post(f"{ESIGN}/envelopes/{envelope['id']}/decline", json={"reason": "租金条款有误"})
    assert declined.status_code == 200, declined.get_json()
    assert declined.get_json()["status"] == "declined" and declined.get_json()["declined_reason"] == "租金条款有误"
    [told] = notices(li, envelope["id"], "esign_declined")
    assert "租金条款有误" in told["body"]
    assert_error(li.post(f"{ESIGN}/envelopes/{envelope['id']}/sign", json={"certificate_id": li_cert["id"]}),
                 409, "envelope_closed")
    assert [e.object_id for e in audit_rows(li.app, "esign.envelope_declined")] == [envelope["id"]]


def test_an_enterprise_seal_by_its_representative_and_parallel_signing(li, chen):
    li_cert = issue(li)
    seal_cert = issue(chen, "enterprise_seal", enterprise_id=chen.enterprise_id)
    register_seal(chen, seal_cert["id"])
    envelope = create(li, [{"role": "citizen", "phone": li.phone},
                           {"role": "enterprise_seal", "phone": chen.phone, "enterprise_id": chen.enterprise_id,
                            "page": 1, "x": 300, "y": 60, "width": 150, "height": 150}],
                      routing="parallel").get_json()
    # A personal certificate is not the seal.
    chen_personal = issue(chen)
    assert chen.post(f"{ESIGN}/envelopes/{envelope['id']}/sign",
                     json={"certificate_id": chen_personal["id"]}).status_code == 422
    # In parallel: the seal goes first although listed second.
    sign_envelope(chen, envelope["id"], seal_cert["id"])
    sign_envelope(li, envelope["id"], li_cert["id"])
    final = li.get(f"{ESIGN}/envelopes/{envelope['id']}/document").data
    report = verify(li, final)
    assert report["signature_count"] == 2 and all(s["valid"] for s in report["signatures"])
    assert "91440605MA4UJ2K83Y" in report["signatures"][0]["signer"]


def test_reminders_expiry_and_strangers(li, chen, sign_in):
    envelope = create(li, [{"role": "citizen", "phone": chen.phone}], expires_in_hours=1).get_json()
    assert li.post(f"{ESIGN}/envelopes/{envelope['id']}/remind").get_json() == {"reminded": 1}
    assert li.post(f"{ESIGN}/envelopes/{envelope['id']}/remind").get_json() == {"reminded": 0}  # once an hour
    assert notices(chen, envelope["id"], "esign_reminder")
    assert chen.post(f"{ESIGN}/envelopes/{envelope['id']}/remind").status_code == 403
    assert_error(create(li, [{"role": "citizen", "phone": "13912345678"}]), 422, "validation_failed")
    # An envelope past its expiry closes (the job, or the next read) and tells its parties.
    from nanhaitong import db
    from nanhaitong.esign import envelopes
    from nanhaitong.esign.models import Envelope
    from nanhaitong.timeutil import utcnow

    with li.app.app_context():
        with db.unit_of_work():
            db.session().get(Envelope, envelope["id"]).expires_at = utcnow()
        assert envelopes.expire_due() == 1
    assert li.get(f"{ESIGN}/envelopes/{envelope['id']}").get_json()["status"] == "expired"
    assert notices(chen, envelope["id"], "esign_expired")
