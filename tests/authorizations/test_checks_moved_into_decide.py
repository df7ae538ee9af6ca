"""Access checks that services used to make inline, now actions the one decision
(``authorizations.authorize``) answers: each over HTTP, allowed and refused, with the
answer a client saw before they moved (status and code) and the evidence a refusal leaves."""

from __future__ import annotations

import base64
import json

import jwt

from tests.support.audit import audit_rows
from tests.support.citizens import CHEN, HUANG, LI, OU, user_id, verified
from tests.support.enterprises import GUICHENG, act_for, registered
from tests.support.errors import assert_error
from tests.support.grants import act_under, create_grant, grant_body


def sid(citizen) -> str:
    return jwt.decode(citizen.tokens["access_token"], options={"verify_signature": False})["sid"]


def session_ids(citizen) -> set[str]:
    return {s["id"] for s in citizen.get("/api/v1/me/sessions").get_json()["sessions"]}


# -- identity: ending a session (account:manage, decided on the caller's own account) ------

def test_a_citizen_ends_their_own_session_even_while_acting_for_an_enterprise(app, sign_in):
    app.config["SMS_RESEND_SECONDS"] = 0
    chen, other_device = verified(sign_in, CHEN), sign_in(CHEN.phone)
    for_firm = act_for(chen, registered(chen))
    # The token acts for the enterprise; the session it ends is still the citizen's own.
    assert for_firm.delete(f"/api/v1/me/sessions/{sid(other_device)}").status_code == 204
    assert_error(other_device.get("/api/v1/me"), 401, "session_ended")
    assert sid(other_device) not in session_ids(chen)


def test_another_citizens_session_is_not_found_and_stays_live(sign_in):
    mine, theirs = sign_in("13800138001"), sign_in("13800138002")
    assert_error(mine.delete(f"/api/v1/me/sessions/{sid(theirs)}"), 404, "session_not_found")
    assert theirs.get("/api/v1/me").status_code == 200


# -- identity: removing a member (members:manage, and members:remove_admin for another admin) --

def members(enterprise_id: str) -> str:
    return f"/api/v1/enterprises/{enterprise_id}/members"


def test_only_the_legal_representative_removes_another_admin_and_the_refusal_is_kept(app, sign_in):
    chen = verified(sign_in, CHEN)
    firm = registered(chen)
    huang, li, ou = verified(sign_in, HUANG), verified(sign_in, LI), verified(sign_in, OU)
    for person, role in ((HUANG, "admin"), (LI, "admin"), (OU, "handler")):
        assert chen.post(members(firm), json={"role": role, "phone": person.phone}).status_code == 201

    assert_error(huang.delete(f"{members(firm)}/{user_id(li)}"), 403, "legal_representative_required")
    [denied] = audit_rows(app, "authorization.denied")
    assert (denied.actor, denied.result, denied.object_type, denied.object_id) == (
        f"citizen:{user_id(huang)}", "denied", "enterprise", firm)
    assert json.loads(denied.details) == {"action": "members:manage", "reason": "legal_representative_required"}
    # A handler is still refused by its role first, as before.
    assert_error(ou.delete(f"{members(firm)}/{user_id(li)}"), 403, "member_role_required")

    assert huang.delete(f"{members(firm)}/{user_id(ou)}").status_code == 204  # an admin removes a handler
    assert huang.delete(f"{members(firm)}/{user_id(huang)}").status_code == 204  # and may leave
    assert chen.delete(f"{members(firm)}/{user_id(li)}").status_code == 204  # the legal representative removes an admin
    assert [m["role"] for m in chen.get(members(firm)).get_json()["members"]] == ["legal_representative"]


def test_a_delegate_holding_members_manage_removes_handlers_never_admins(app, sign_in):
    from tests.support.grants import act_under, create_grant

    chen = verified(sign_in, CHEN)
    firm = registered(chen)
    huang, li, ou = verified(sign_in, HUANG), verified(sign_in, LI), verified(sign_in, OU)
    assert chen.post(members(firm), json={"role": "admin", "phone": LI.phone}).status_code == 201
    assert chen.post(members(firm), json={"role": "handler", "phone": OU.phone}).status_code == 201
    grant = create_grant(act_for(chen, firm), {"phone": HUANG.phone}, ["members:manage"])
    delegate = act_under(huang, grant["id"])

    assert_error(delegate.delete(f"{members(firm)}/{user_id(li)}"), 403, "legal_representative_required")
    assert delegate.delete(f"{members(firm)}/{user_id(ou)}").status_code == 204
    assert_error(delegate.delete(f"{members(firm)}/{user_id(ou)}"), 404, "member_not_found")
    assert {m["role"] for m in chen.get(members(firm)).get_json()["members"]} == {"legal_representative", "admin"}


# -- esign: an envelope's parties (esign:envelope.read for its creator and signers,
#    esign:envelope.remind for its creator) ----------------------------------------------

def envelope_for(creator, *signers) -> dict:
    from tests.support.documents import make_pdf
    from tests.support.esign import ESIGN

    answer = creator.post(f"{ESIGN}/envelopes", json={
        "title": "房屋租赁合同", "file_name": "lease.pdf", "document_base64": base64.b64encode(make_pdf()).decode(),
        "routing": "parallel", "signers": [{"role": "citizen", "phone": s.phone} for s in signers]})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_an_envelope_is_seen_by_its_creator_and_signers_and_reminded_by_its_creator_only(app, sign_in):
    from tests.support.esign import ESIGN

    li, chen, ou = verified(sign_in, LI), verified(sign_in, CHEN), verified(sign_in, OU)
    envelope = envelope_for(li, chen)
    path = f"{ESIGN}/envelopes/{envelope['id']}"

    for party in (li, chen, act_for(chen, registered(chen))):  # a signer acting for an enterprise is still they
        assert party.get(path).get_json()["id"] == envelope["id"]
        assert party.get(f"{path}/document").status_code == 200
    assert li.post(f"{path}/remind").get_json() == {"reminded": 1}

    # A signer may not remind: refused (they know the envelope), and the refusal kept.
    assert_error(chen.post(f"{path}/remind"), 403, "not_the_creator")
    [denied] = audit_rows(app, "authorization.denied")
    assert (denied.actor, denied.object_type, denied.object_id) == (f"citizen:{user_id(chen)}", "envelope",
                                                                    envelope["id"])
    assert json.loads(denied.details) == {"action": "esign:envelope.remind", "reason": "not_the_creator"}

    # Anyone else learns nothing of it: the same 404 as an envelope that does not exist.
    for answer in (ou.get(path), ou.get(f"{path}/document"), ou.post(f"{path}/remind")):
        assert_error(answer, 404, "envelope_not_found")
    assert_error(ou.get(f"{ESIGN}/envelopes/01J0000000000000000000000X"), 404, "envelope_not_found")
    assert len(audit_rows(app, "authorization.denied")) == 1


# -- authorizations: reading an access log (access_log:read, the owner's alone) -------------

def test_an_enterprises_access_log_is_read_by_its_managers_and_a_handlers_refusal_is_kept(app, sign_in):
    chen, ou = verified(sign_in, CHEN), verified(sign_in, OU)
    firm = registered(chen)
    assert chen.post(members(firm), json={"role": "handler", "phone": OU.phone}).status_code == 201

    assert act_for(chen, firm).get("/api/v1/me/access-log").status_code == 200
    assert ou.get("/api/v1/me/access-log").status_code == 200  # their own, personal log
    assert_error(act_for(ou, firm).get("/api/v1/me/access-log"), 403, "not_authorized")
    [denied] = audit_rows(app, "authorization.denied")
    assert (denied.actor, denied.object_type) == (f"citizen:{user_id(ou)}", "access_log")
    assert json.loads(denied.details) == {"action": "access_log:read"}


# -- messages: removing a registered phone (account:manage on the device) -------------------

def test_a_citizen_removes_their_own_phone_whatever_they_act_for_and_never_anothers(sign_in):
    chen, ou = verified(sign_in, CHEN), verified(sign_in, OU)

    def device_of(citizen) -> str:
        answer = citizen.post("/api/v1/me/devices", json={"platform": "android", "token": f"token-{citizen.phone}"})
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["id"]

    chens, ous = device_of(chen), device_of(ou)
    assert_error(chen.delete(f"/api/v1/me/devices/{ous}"), 404, "device_not_found")
    assert [d["id"] for d in ou.get("/api/v1/me/devices").get_json()["items"]] == [ous]
    assert act_for(chen, registered(chen)).delete(f"/api/v1/me/devices/{chens}").status_code == 204
    assert chen.get("/api/v1/me/devices").get_json()["items"] == []


# -- authorizations: passing on a grant (grants:pass_on, sub-delegation) -------------------

def test_a_delegate_passes_on_nothing_the_grant_does_not_allow_and_the_refusal_is_kept(app, sign_in):
    li, ou, huang = verified(sign_in, LI), verified(sign_in, OU), verified(sign_in, HUANG)
    grant = create_grant(li, {"phone": ou.phone}, ["gov_services:query"])
    acting = act_under(ou, grant["id"])
    answer = acting.post("/api/v1/authorizations", json=grant_body({"phone": huang.phone}, ["gov_services:query"],
                                                                     days=5))
    assert_error(answer, 403, "sub_delegation_not_allowed")
    [denied] = audit_rows(app, "authorization.denied")
    assert json.loads(denied.details)["action"] == "grants:pass_on"
    assert huang.get("/api/v1/authorizations?direction=received").get_json()["items"] == []


# -- identity: registering an enterprise (enterprises:register) ----------------------------

def test_only_the_legal_representative_the_registry_names_registers_from_a_personal_session(app, sign_in):
    chen, li = verified(sign_in, CHEN), verified(sign_in, LI)
    assert_error(li.post("/api/v1/enterprises", json={"uscc": GUICHENG}), 403, "not_legal_representative")
    firm = registered(chen)
    assert_error(act_for(chen, firm).post("/api/v1/enterprises", json={"uscc": GUICHENG}), 403,
                 "personal_context_required")
    reasons = [json.loads(e.details)["reason"] for e in audit_rows(app, "enterprise.registration")
               if e.result == "denied"]
    assert reasons == ["not_legal_representative", "personal_context_required"]
    assert audit_rows(app, "authorization.denied") == []  # kept once, as the refused registration
