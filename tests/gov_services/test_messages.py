"""Each status change reaches the user's inbox (GET /api/v1/messages), once."""

from __future__ import annotations

from tests.support.citizens import CHEN, verified
from tests.support.enterprises import GUICHENG, act_for, registered
from tests.support.gov_services import SAMPLES, advance, apply, report, send

from .conftest import poll


def application_messages(citizen, application_id: str) -> list[dict]:
    answer = citizen.get("/api/v1/messages?limit=100")
    assert answer.status_code == 200, answer.get_json()
    return [m for m in answer.get_json()["items"] if m["data"].get("application_id") == application_id]


def test_the_user_hears_of_each_change_once(app, sign_in):
    chen = verified(sign_in, CHEN)
    created = apply(chen, "yss.hukou.certificate", SAMPLES["yss.hukou.certificate"]).get_json()
    advance(app, created["upstream_reference"], "accepted")
    send(app, report(created, "accepted", 2))  # a duplicate callback: no second message
    advance(app, created["upstream_reference"], "need_more_materials", callback=False)
    poll(app)  # found by polling: a message too
    advance(app, created["upstream_reference"], "accepted")
    inbox = application_messages(chen, created["id"])
    assert sorted(m["data"]["status"] for m in inbox) == sorted(
        ["submitted", "accepted", "need_more_materials", "accepted"])
    assert {m["topic"] for m in inbox} == {"application_status"}
    assert any(m["title"] == "户籍证明开具：需补正材料" for m in inbox)
    assert all(created["upstream_reference"] in m["body"] for m in inbox)


def test_an_enterprise_application_is_announced_to_the_enterprise_and_the_applicant(app, sign_in):
    chen = verified(sign_in, CHEN)
    for_guicheng = act_for(chen, registered(chen, GUICHENG))
    created = apply(for_guicheng, "ysst.tax.clearance_certificate", SAMPLES["ysst.tax.clearance_certificate"]).get_json()
    advance(app, created["upstream_reference"], "rejected", short="ysst", note="存在欠税")
    assert [m["data"]["status"] for m in application_messages(chen, created["id"])] == ["rejected", "submitted"]
    assert sorted(m["data"]["status"] for m in application_messages(for_guicheng, created["id"])) == [
        "rejected", "submitted"]
