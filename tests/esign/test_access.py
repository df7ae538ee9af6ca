"""Who may get certificates, register seals and apply them; staff use lands in the access log."""

from __future__ import annotations

from tests.support.audit import audit_rows, details
from tests.support.citizens import citizen_at, user_id
from tests.support.documents import make_pdf
from tests.support.enterprises import act_for
from tests.support.errors import assert_error
from tests.support.esign import ESIGN, esign_code, issue, request_signing, sign
from tests.support.grants import act_under, create_grant, revoke

from .conftest import register_seal


def _member(chen, sign_in, role="handler", level=3):
    member, member_id = citizen_at(sign_in, level=level)
    added = chen.post(f"/api/v1/enterprises/{chen.enterprise_id}/members", json={"phone": member.phone, "role": role})
    assert added.status_code == 201, added.get_json()
    return member, member_id


def test_personal_certificates_need_a_verified_name(sign_in):
    level1, _ = citizen_at(sign_in, level=1)
    assert_error(level1.post(f"{ESIGN}/certificates", json={"kind": "personal"}), 403, "assurance_level_required")
    # level 2 by the database alone, with no verified name: nothing to put in the certificate
    unnamed, _ = citizen_at(sign_in, level=2)
    assert_error(unnamed.post(f"{ESIGN}/certificates", json={"kind": "personal"}), 403, "assurance_level_required")


def test_only_the_legal_representative_gets_the_seal_certificate(chen, sign_in, li):
    admin, _ = _member(chen, sign_in, role="admin")
    assert_error(admin.post(f"{ESIGN}/certificates", json={"kind": "enterprise_seal",
                                                           "enterprise_id": chen.enterprise_id}),
                 403, "member_role_required")
    assert_error(li.post(f"{ESIGN}/certificates", json={"kind": "enterprise_seal",
                                                        "enterprise_id": chen.enterprise_id}),
                 404, "esign_certificate_not_found")
    assert_error(li.post(f"{ESIGN}/certificates", json={"kind": "enterprise_seal"}), 422)
    # Acting for the enterprise, no enterprise_id needed.
    cert = issue(act_for(chen, chen.enterprise_id), "enterprise_seal")
    assert cert["owner"] == {"kind": "enterprise", "id": chen.enterprise_id}
    # and a personal certificate is not asked for while acting for an enterprise
    assert_error(act_for(chen, chen.enterprise_id).post(f"{ESIGN}/certificates", json={"kind": "personal"}), 422)
    [event] = audit_rows(chen.app, "esign.certificate_issued")
    assert event.on_behalf_of == f"enterprise:{chen.enterprise_id}"


def test_a_member_granted_esign_seal_seals_and_the_enterprise_sees_it(chen, sign_in):
    cert = issue(chen, "enterprise_seal", enterprise_id=chen.enterprise_id)
    register_seal(chen, cert["id"])
    handler, handler_id = _member(chen, sign_in)
    # Without the grant: refused.
    assert_error(request_signing(handler, cert["id"], make_pdf()), 403, "member_role_required")
    grant = create_grant(act_for(chen, chen.enterprise_id), handler_id, ["esign:seal"], purpose="合同盖章")
    request, _ = sign(handler, cert["id"], make_pdf(), page=1, x=400, y=50, width=120, height=120)
    assert request["signer_kind"] == "seal" and request["seal_id"]

    # The enterprise's access log shows the staff member's use of the seal.
    log = act_for(chen, chen.enterprise_id).get("/api/v1/me/access-log?limit=100").get_json()["items"]
    uses = [entry for entry in log if entry["action"] == "esign:seal"]
    assert uses, log
    assert all(entry["grant_id"] == grant["id"] for entry in uses)
    [applied] = audit_rows(chen.app, "esign.seal_applied")
    assert applied.actor == f"citizen:{handler_id}" and applied.on_behalf_of == f"enterprise:{chen.enterprise_id}"
    assert details(applied)["certificate_id"] == cert["id"]

    # Acting under the grant works too; once it is revoked, the seal is refused again.
    under = act_under(handler, grant["id"])
    assert request_signing(under, cert["id"], make_pdf()).status_code == 202
    revoke(act_for(chen, chen.enterprise_id), grant["id"])
    assert_error(request_signing(handler, cert["id"], make_pdf()), 403)


def test_the_legal_representative_sealing_is_no_staff_use(chen):
    cert = issue(chen, "enterprise_seal", enterprise_id=chen.enterprise_id)
    sign(chen, cert["id"], make_pdf())
    log = act_for(chen, chen.enterprise_id).get("/api/v1/me/access-log?limit=100").get_json()["items"]
    assert [entry for entry in log if entry["action"] == "esign:seal"] == []
    assert len(audit_rows(chen.app, "esign.seal_applied")) == 1


def test_only_the_signer_who_asked_confirms(chen, sign_in):
    cert = issue(chen, "enterprise_seal", enterprise_id=chen.enterprise_id)
    handler, handler_id = _member(chen, sign_in)
    create_grant(act_for(chen, chen.enterprise_id), handler_id, ["esign:seal"])
    asked = request_signing(handler, cert["id"], make_pdf())
    assert asked.status_code == 202
    # The legal representative may see it, but the code went to the handler: only they confirm.
    assert_error(chen.post(f"{ESIGN}/signing-requests/{asked.get_json()['id']}/confirm",
                           json={"code": esign_code(handler)}), 403, "not_the_signer")


def test_a_revoked_certificate_signs_nothing_more(li):
    cert = issue(li)
    asked = request_signing(li, cert["id"], make_pdf())
    code = esign_code(li)
    assert li.post(f"{ESIGN}/certificates/{cert['id']}/revoke", json={}).status_code == 200
    assert_error(li.post(f"{ESIGN}/signing-requests/{asked.get_json()['id']}/confirm", json={"code": code}), 409,
                 "certificate_revoked")
    assert_error(request_signing(li, cert["id"], make_pdf()), 409, "certificate_revoked")
    assert audit_rows(li.app, "esign.signed") == []


def test_the_step_up_code_is_texted_to_the_signer(li):
    import requests

    def texts():
        answer = requests.get(f"{li.app.config['SANDBOX_URL']}/sms/messages", params={"phone": li.phone}, timeout=5)
        return answer.json()["messages"]

    cert = issue(li)
    before = len(texts())
    asked = request_signing(li, cert["id"], make_pdf())
    assert asked.status_code == 202
    assert len(texts()) == before + 1
    # A code for login is no code for signing.
    from tests.support.citizens import request_code

    assert request_code(li.client, li.phone, "login").status_code == 202
    assert_error(li.post(f"{ESIGN}/signing-requests/{asked.get_json()['id']}/confirm",
                         json={"code": esign_code(li)}), 401, "invalid_code")


def test_a_code_confirms_only_its_own_request(li):
    cert = issue(li)
    first = request_signing(li, cert["id"], make_pdf()).get_json()["id"]
    first_code = esign_code(li)
    second = request_signing(li, cert["id"], make_pdf(pages=2)).get_json()["id"]
    second_code = esign_code(li)
    if first_code != second_code:  # (one in a million they are the same digits)
        assert_error(li.post(f"{ESIGN}/signing-requests/{first}/confirm", json={"code": second_code}), 401,
                     "invalid_code")
    # Each request's own code still works: a later request does not cancel an earlier one.
    for request_id, code in ((first, first_code), (second, second_code)):
        answer = li.post(f"{ESIGN}/signing-requests/{request_id}/confirm", json={"code": code})
        assert answer.status_code == 200, answer.get_json()


def test_a_new_code_can_be_asked_for_a_pending_request(li, chen):
    cert = issue(li)
    request_id = request_signing(li, cert["id"], make_pdf()).get_json()["id"]
    old = esign_code(li)
    answer = li.post(f"{ESIGN}/signing-requests/{request_id}/code")
    assert answer.status_code == 200 and answer.get_json()["sent"] is True
    new = esign_code(li)
    if new != old:
        assert_error(li.post(f"{ESIGN}/signing-requests/{request_id}/confirm", json={"code": old}), 401)
    assert li.post(f"{ESIGN}/signing-requests/{request_id}/confirm", json={"code": new}).status_code == 200
    assert_error(li.post(f"{ESIGN}/signing-requests/{request_id}/code"), 409, "signing_request_closed")
    assert_error(chen.post(f"{ESIGN}/signing-requests/{request_id}/code"), 404)


def test_confirming_and_resending_the_code_are_the_requesters_alone_and_a_refusal_is_kept(chen, sign_in):
    """The one decision (not the signing service) says who takes a request's next step: for a
    PDF signing request and a detached signature alike, the legal representative who may see
    the request is refused (403 not_the_signer), the refusal kept; the handler who asked goes on."""
    import hashlib
    import json

    chen.app.config["SMS_RESEND_SECONDS"] = 0
    cert = issue(chen, "enterprise_seal", enterprise_id=chen.enterprise_id)
    handler, handler_id = _member(chen, sign_in)
    create_grant(act_for(chen, chen.enterprise_id), handler_id, ["esign:seal"])
    pdf_request = request_signing(handler, cert["id"], make_pdf()).get_json()["id"]
    detached = handler.post(f"{ESIGN}/detached-signatures", json={
        "certificate_id": cert["id"], "sha256": hashlib.sha256(b"loan").hexdigest(), "title": "借款合同"})
    assert detached.status_code == 202, detached.get_json()
    steps = {"signing_request": f"{ESIGN}/signing-requests/{pdf_request}",
             "detached_signature": f"{ESIGN}/detached-signatures/{detached.get_json()['id']}"}

    for object_type, path in steps.items():
        assert chen.get(path).status_code == 200  # he may see it
        assert_error(chen.post(f"{path}/code"), 403, "not_the_signer")
        assert_error(chen.post(f"{path}/confirm", json={"code": "123456"}), 403, "not_the_signer")
        denied = [e for e in audit_rows(chen.app, "authorization.denied") if e.object_type == object_type]
        assert [(e.actor, json.loads(e.details)) for e in denied] == [
            (f"citizen:{user_id(chen)}", {"action": "esign:seal", "reason": "not_the_signer"})] * 2
        assert handler.post(f"{path}/code").status_code == 200
        confirmed = handler.post(f"{path}/confirm", json={"code": esign_code(handler)})
        assert confirmed.status_code == 200, confirmed.get_json()
        assert confirmed.get_json()["status"] == "signed"
