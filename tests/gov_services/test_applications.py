"""Applications: every application service, attachments from the wallet, Idempotency-Key,
the status history kept in sync by callbacks and by polling, and the domain event."""

from __future__ import annotations

import pytest

from nanhaitong.events import application_status_changed
from tests.support.audit import audit_rows, details
from tests.support.citizens import CHEN, LI, user_id, verified
from tests.support.enterprises import GUICHENG, act_for, registered
from tests.support.errors import assert_error
from tests.support.gov_services import SAMPLES, advance, apply
from tests.support.grants import act_under, create_grant

from .conftest import APPLICATIONS, application, poll, upstream_applications

APPLICATION_ITEMS = sorted(code for code in SAMPLES if code in {
    "yss.hukou.certificate", "yss.social_insurance.certificate", "yss.housing_fund.withdrawal",
    "yss.medical_insurance.remote_filing", "yss.residence_permit.application", "yss.flexible_employment.registration",
    "ysst.tax.clearance_certificate", "ysst.social_insurance.enterprise_registration",
    "ysst.construction.joint_acceptance", "ysst.housing_fund.enterprise_deposit", "ysst.invoice.quota_adjustment",
    "ysst.environment.discharge_permit"})


def wallet(citizen) -> dict[str, str]:
    """Sync the wallet; type_code -> licence id."""
    assert citizen.post("/api/v1/licences/sync").status_code == 200
    items = citizen.get("/api/v1/licences?limit=100").get_json()["items"]
    return {item["type_code"]: item["id"] for item in items}


def applicant(sign_in, code: str):
    chen = verified(sign_in, CHEN)
    return act_for(chen, registered(chen, GUICHENG)) if code.startswith("ysst.") else chen


def test_the_list_matches_the_catalogue(client):
    codes = {i["code"] for i in client.get("/api/v1/gov-services?kind=application&limit=100").get_json()["items"]}
    assert codes == set(APPLICATION_ITEMS)


@pytest.mark.parametrize("code", APPLICATION_ITEMS)
def test_happy_path(app, client, sign_in, code):
    caller = applicant(sign_in, code)
    attachable = client.get(f"/api/v1/gov-services/{code}").get_json()["attachable_licence_types"]
    held = wallet(caller)
    attach = [held[t] for t in attachable if t in held][:1]
    created = apply(caller, code, SAMPLES[code], attach).get_json()
    assert created["status"] == "submitted" and created["upstream_reference"]
    assert created["service_code"] == code and created["final"] is False
    assert [a["licence_id"] for a in created["attachments"]] == attach
    assert [(h["status"], h["source"]) for h in created["history"]] == [("queued", "created"), ("submitted", "delivery")]
    short = code.split(".")[0]
    [upstream] = [a for a in upstream_applications(app, short) if a["application_id"] == created["id"]]
    assert upstream["reference"] == created["upstream_reference"] and upstream["attachments"] == len(attach)
    assert application(caller, created["id"])["id"] == created["id"]


def test_bad_forms_are_422_and_store_nothing(app, sign_in):
    chen = verified(sign_in, CHEN)
    url = "/api/v1/gov-services/yss.housing_fund.withdrawal/applications"
    bad = {**SAMPLES["yss.housing_fund.withdrawal"], "amount_fen": 12.5, "bank_account": "12ab"}
    body = assert_error(chen.post(url, json={"form": bad}), 422, "validation_failed")
    assert {"form.amount_fen", "form.bank_account"} <= set(body["details"]["fields"])
    assert_error(chen.post(url, json={}), 422)  # no form at all
    assert_error(chen.post(url, json={"form": SAMPLES["yss.housing_fund.withdrawal"], "licence_ids": ["x"]}), 422)
    assert_error(chen.post("/api/v1/gov-services/yss.housing_fund.balance/applications", json={"form": {}}), 409,
                 "not_an_application_service")
    assert chen.get(APPLICATIONS).get_json()["items"] == []
    assert upstream_applications(app) == []


def test_only_the_applicants_own_fitting_licences_attach(app, sign_in):
    chen, li = verified(sign_in, CHEN), verified(sign_in, LI)
    chens, lis = wallet(chen), wallet(li)
    form = SAMPLES["yss.hukou.certificate"]
    url = "/api/v1/gov-services/yss.hukou.certificate/applications"
    someone_elses = assert_error(chen.post(url, json={"form": form, "licence_ids": [lis["resident_id_card"]]}), 422)
    assert "licence_ids" in someone_elses["details"]["fields"]
    wrong_type = assert_error(chen.post(url, json={"form": form, "licence_ids": [chens["driver_licence"]]}), 422)
    assert "driver_licence" in wrong_type["details"]["fields"]["licence_ids"][0]
    twice = [chens["resident_id_card"]] * 2
    assert_error(chen.post(url, json={"form": form, "licence_ids": twice}), 422)
    assert upstream_applications(app) == []


def test_a_duplicate_idempotency_key_is_one_application(app, sign_in):
    chen = verified(sign_in, CHEN)
    form = SAMPLES["yss.social_insurance.certificate"]
    first = apply(chen, "yss.social_insurance.certificate", form, key="apply-once-1")
    again = apply(chen, "yss.social_insurance.certificate", form, key="apply-once-1")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    assert len(upstream_applications(app)) == 1 and upstream_applications(app)[0]["submissions"] == 1
    assert len(chen.get(APPLICATIONS).get_json()["items"]) == 1
    # The same key with another body is refused, not silently replayed.
    assert_error(chen.client.post("/api/v1/gov-services/yss.social_insurance.certificate/applications",
                                  headers={**chen.headers, "Idempotency-Key": "apply-once-1"},
                                  json={"form": {**form, "purpose": "loan"}}), 422, "idempotency_key_reused")
    assert len(upstream_applications(app)) == 1


def test_status_follows_callbacks_and_the_user_sees_the_history(app, sign_in):
    seen = []

    def listener(sender, **fields):
        seen.append(fields)

    chen = verified(sign_in, CHEN)
    created = apply(chen, "yss.residence_permit.application", SAMPLES["yss.residence_permit.application"]).get_json()
    reference = created["upstream_reference"]
    with application_status_changed.connected_to(listener):
        assert advance(app, reference, "accepted")["callback_status"] == 200
        assert advance(app, reference, "need_more_materials", note="请补充居住登记凭证")["callback_status"] == 200
        assert advance(app, reference, "accepted")["callback_status"] == 200
        assert advance(app, reference, "approved")["callback_status"] == 200
    current = application(chen, created["id"])
    assert current["status"] == "approved" and current["final"] is True
    assert [h["status"] for h in current["history"]] == [
        "queued", "submitted", "accepted", "need_more_materials", "accepted", "approved"]
    assert current["history"][3]["note"] == "请补充居住登记凭证" and current["history"][3]["source"] == "callback"
    assert all(h["occurred_at"].endswith("Z") for h in current["history"])
    assert [(e["previous_status"], e["status"]) for e in seen] == [
        ("submitted", "accepted"), ("accepted", "need_more_materials"), ("need_more_materials", "accepted"),
        ("accepted", "approved")]
    assert {e["application_id"] for e in seen} == {created["id"]}
    assert {e["user_id"] for e in seen} == {user_id(chen)} and {e["enterprise_id"] for e in seen} == {None}
    assert all(e["service_code"] == "yss.residence_permit.application" and e["occurred_at"].tzinfo for e in seen)
    changes = [details(e) for e in audit_rows(app, "gov_services.application.status_changed")]
    assert [c["status"] for c in changes] == ["submitted", "accepted", "need_more_materials", "accepted", "approved"]
    listed = chen.get(f"{APPLICATIONS}?status=approved").get_json()["items"]
    assert [a["id"] for a in listed] == [created["id"]]


def test_polling_catches_up_when_callbacks_are_missed(app, sign_in):
    chen = verified(sign_in, CHEN)
    created = apply(chen, "yss.hukou.certificate", SAMPLES["yss.hukou.certificate"]).get_json()
    advance(app, created["upstream_reference"], "accepted", callback=False)
    advance(app, created["upstream_reference"], "rejected", note="户籍不在本辖区", callback=False)
    assert application(chen, created["id"])["status"] == "submitted"  # no callback came
    assert poll(app)["changed"] == 2
    current = application(chen, created["id"])
    assert current["status"] == "rejected"
    assert [(h["status"], h["source"]) for h in current["history"][2:]] == [("accepted", "poll"), ("rejected", "poll")]
    assert poll(app) == {"delivered": 0, "still_queued": 0, "polled": 0, "changed": 0, "failed": 0}  # final: left alone


def test_enterprise_applications_are_the_enterprises(app, sign_in):
    chen = verified(sign_in, CHEN)
    enterprise_id = registered(chen, GUICHENG)
    for_guicheng = act_for(chen, enterprise_id)
    created = apply(for_guicheng, "ysst.tax.clearance_certificate", SAMPLES["ysst.tax.clearance_certificate"]).get_json()
    assert created["subject_kind"] == "enterprise"
    assert [a["id"] for a in for_guicheng.get(APPLICATIONS).get_json()["items"]] == [created["id"]]
    assert chen.get(APPLICATIONS).get_json()["items"] == []  # not among Chen's own
    assert chen.get(f"{APPLICATIONS}/{created['id']}").status_code == 200  # a member, with their own token
    stranger = verified(sign_in, LI)
    assert_error(stranger.get(f"{APPLICATIONS}/{created['id']}"), 404, "application_not_found")


def test_delegates_apply_within_their_grant(app, sign_in):
    li, chen = verified(sign_in, LI), verified(sign_in, CHEN)
    grant = create_grant(li, user_id(chen), ["gov_services:apply"], purpose="代办户籍证明",
                         constraints={"service_codes": ["yss.hukou.certificate"]})
    delegate = act_under(chen, grant["id"])
    created = apply(delegate, "yss.hukou.certificate", SAMPLES["yss.hukou.certificate"]).get_json()
    assert [a["id"] for a in li.get(APPLICATIONS).get_json()["items"]] == [created["id"]]  # Li's application
    assert_error(delegate.post("/api/v1/gov-services/yss.housing_fund.withdrawal/applications",
                               json={"form": SAMPLES["yss.housing_fund.withdrawal"]}), 403, "outside_grant_constraints")


def test_account_numbers_come_back_masked(sign_in):
    chen = verified(sign_in, CHEN)
    created = apply(chen, "yss.housing_fund.withdrawal", SAMPLES["yss.housing_fund.withdrawal"]).get_json()
    assert created["form"]["bank_account"] == "62*************6789"
    assert created["form"]["amount_fen"] == 180000
