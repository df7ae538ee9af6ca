"""Benefits without application (免申即享): a published policy granted automatically is offered
to the enterprises its targeting rules match, and only to them; the legal representative (or
an authorised member) confirms it once by SMS code, and a disbursement is recorded."""

from __future__ import annotations

import pytest

from nanhaitong import db
from nanhaitong.identity.models import EnterpriseMember
from nanhaitong.one_stop import benefits as benefit_service
from tests.support.audit import audit_rows
from tests.support.citizens import citizen_at, read_code
from tests.support.enterprises import act_for
from tests.support.errors import assert_error
from tests.support.policies import create, make_enterprises, published
from tests.support.staff import create_staff, sign_in_staff

from .conftest import ADMIN, run_in_app

ENTERPRISES = "/api/v1/enterprises"
RULES = {"industry_codes": ["C33"], "towns": ["狮山镇", "大沥镇"]}
MATCHING = {"industry_code": "C3311", "size": "small", "town": "狮山镇", "registered_on": "2020-01-01"}


@pytest.fixture
def editor(app, client):
    create_staff(app, "13900139031", "policy_editor")
    return sign_in_staff(app, client, "13900139031")


def member(app, sign_in, enterprise_id: str, role: str):
    person, user_id = citizen_at(sign_in, level=2)
    with app.app_context():
        db.session().add(EnterpriseMember(enterprise_id=enterprise_id, user_id=user_id, role=role))
        db.session().commit()
    return person


def grant(editor, policy_id: str, amount_fen: int = 5_000_000):
    return editor.post(f"{ADMIN}/benefits", json={"policy_id": policy_id, "amount_fen": amount_fen})


def test_offered_only_to_matching_enterprises_and_confirmed_once(app, editor, sign_in):
    matching, other_industry, other_town = make_enterprises(app, [
        MATCHING, {**MATCHING, "industry_code": "I6510"}, {**MATCHING, "town": "九江镇"}])
    policy = published(editor, title="南海区金属制品企业技改奖励（免申即享）", rules=RULES)
    answer = grant(editor, policy["id"])
    assert answer.status_code == 201, answer.get_json()
    benefit = answer.get_json()
    assert (benefit["offered"], benefit["new_offers"], benefit["confirmed"]) == (1, 1, 0)

    boss = member(app, sign_in, matching, "legal_representative")
    offers = boss.get(f"{ENTERPRISES}/{matching}/benefit-offers").get_json()["items"]
    assert [(o["amount_fen"], o["status"], o["disbursement"]) for o in offers] == [(5_000_000, "offered", None)]
    offer = offers[0]
    titles = [m["title"] for m in act_for(boss, matching).get("/api/v1/messages").get_json()["items"]]
    assert "免申即享：政策资金待确认" in titles

    # The enterprise that does not match is offered nothing, and sees why.
    outsider = member(app, sign_in, other_industry, "legal_representative")
    assert outsider.get(f"{ENTERPRISES}/{other_industry}/benefit-offers").get_json()["items"] == []
    why = outsider.get(f"{ENTERPRISES}/{other_industry}/benefits/{benefit['id']}/eligibility").get_json()
    assert why["matches"] is False and why["offer_id"] is None
    assert {r["rule"]: r["matched"] for r in why["rules"]} == {"industry_codes": False, "towns": True}
    assert member(app, sign_in, other_town, "legal_representative").get(
        f"{ENTERPRISES}/{other_town}/benefit-offers").get_json()["items"] == []
    # Nobody sees another enterprise's offers.
    assert_error(outsider.get(f"{ENTERPRISES}/{matching}/benefit-offers"), 404)

    # A handler may read but not confirm; the legal representative confirms with the SMS code.
    handler = member(app, sign_in, matching, "handler")
    assert len(handler.get(f"{ENTERPRISES}/{matching}/benefit-offers").get_json()["items"]) == 1
    assert_error(handler.post(f"{ENTERPRISES}/{matching}/benefit-offers/{offer['id']}/sms-codes"), 403,
                 "member_role_required")
    code_url = f"{ENTERPRISES}/{matching}/benefit-offers/{offer['id']}/sms-codes"
    assert boss.post(code_url).status_code == 200
    confirm_url = f"{ENTERPRISES}/{matching}/benefit-offers/{offer['id']}/confirm"
    code = read_code(app, boss.phone)
    assert_error(boss.post(confirm_url, json={"code": f"{(int(code) + 1) % 10**6:06d}"}), 401, "invalid_code")
    confirmed = boss.post(confirm_url, json={"code": code})
    assert confirmed.status_code == 200, confirmed.get_json()
    body = confirmed.get_json()
    assert body["status"] == "confirmed" and body["disbursement"]["amount_fen"] == 5_000_000
    assert body["disbursement"]["status"] == "scheduled"
    # Confirmed once: a second confirmation, even with a fresh code, is refused.
    assert_error(boss.post(code_url), 409, "offer_already_confirmed")
    assert_error(boss.post(confirm_url, json={"code": code}), 409, "offer_already_confirmed")
    assert editor.get(f"{ADMIN}/benefits").get_json()["items"][0]["confirmed"] == 1
    assert [e.action for e in audit_rows(app, prefix="one_stop.benefit")] == [
        "one_stop.benefit_created", "one_stop.benefit_offered", "one_stop.benefit_confirmed"]


def test_matching_again_offers_new_matches_and_nobody_twice(app, editor):
    make_enterprises(app, [MATCHING])
    policy = published(editor, rules=RULES)
    benefit = grant(editor, policy["id"]).get_json()
    again = editor.post(f"{ADMIN}/benefits/{benefit['id']}/offers")
    assert again.status_code == 200 and (again.get_json()["new_offers"], again.get_json()["offered"]) == (0, 1)
    make_enterprises(app, [{**MATCHING, "town": "大沥镇"}])
    assert run_in_app(app, benefit_service.sync_all) == 1
    assert run_in_app(app, benefit_service.sync_all) == 0
    assert_error(grant(editor, policy["id"]), 409, "benefit_exists")


def test_only_published_policies_by_policy_editors(app, client, editor):
    draft = create(editor, rules=RULES)
    assert_error(grant(editor, draft["id"]), 409, "policy_not_published")
    create_staff(app, "13900139032", "operator")
    operator = sign_in_staff(app, client, "13900139032")
    assert_error(grant(operator, draft["id"]), 403, "staff_role_required")
    assert_error(editor.post(f"{ADMIN}/benefits", json={"policy_id": draft["id"], "amount_fen": 0}), 422)
