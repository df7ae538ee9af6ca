"""`flask licences notify-expiring` (issue 5): the holder is texted once about a licence
that runs out within 30 days. 黄志强's driver licence expires 21 days after the sandbox started."""

from __future__ import annotations

from datetime import date, timedelta

from integrations.sandbox.licence_data import EXPIRING_IN_DAYS
from nanhaitong.licences import service
from nanhaitong.timeutil import china_today
from tests.support.audit import audit_rows
from tests.support.citizens import CHEN, HUANG, user_id, verified
from tests.support.enterprises import SHISHAN, act_for, registered
from tests.support.licences import by_code, sms_messages, sms_texts, sync

from .conftest import EXPIRING_CODE, library_change


def notify(app) -> str:
    result = app.test_cli_runner().invoke(args=["licences", "notify-expiring"])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_holder_is_texted_once_about_a_licence_expiring_within_30_days(app, sign_in):
    huang = verified(sign_in, HUANG)
    chen = verified(sign_in, CHEN)
    sync(huang)
    sync(chen)  # nothing of CHEN's runs out soon
    expiring = by_code(huang, EXPIRING_CODE)
    assert expiring["valid_until"] == (china_today() + timedelta(days=EXPIRING_IN_DAYS)).isoformat()
    huang_before, chen_before = len(sms_texts(app, HUANG.phone)), len(sms_texts(app, CHEN.phone))

    assert notify(app).strip() == "notified 1 licence(s)"
    texts = sms_texts(app, HUANG.phone)
    assert len(texts) == huang_before + 1
    # The registered licence_expiry template (not a free-text notice), the date as people read it.
    until = date.fromisoformat(expiring["valid_until"])
    assert texts[0] == f"【南海通】您的机动车驾驶证将于{until.year}年{until.month}月{until.day}日到期，请及时办理续期。"
    [sent] = [m for m in sms_messages(app, HUANG.phone) if m["text"] == texts[0]]
    assert sent["template"] == "licence_expiry"
    assert sent["params"] == {"licence": "机动车驾驶证", "date": f"{until.year}年{until.month}月{until.day}日"}
    assert HUANG.id_number not in texts[0]
    assert len(sms_texts(app, CHEN.phone)) == chen_before

    [event] = audit_rows(app, "licence.expiry_notified")
    assert (event.actor, event.object_id, event.on_behalf_of) == (
        "system:jobs", expiring["id"], f"citizen:{user_id(huang)}")

    assert notify(app).strip() == "notified 0 licence(s)"  # a second run sends nothing
    assert len(sms_texts(app, HUANG.phone)) == huang_before + 1
    sync(huang)  # pulling again does not make it news again
    assert notify(app).strip() == "notified 0 licence(s)"
    assert len(sms_texts(app, HUANG.phone)) == huang_before + 1


def test_revoked_or_already_expired_licences_are_not_announced(app, sign_in):
    huang = verified(sign_in, HUANG)
    sync(huang)
    library_change(app, EXPIRING_CODE, status="revoked")
    sync(huang)
    before = len(sms_texts(app, HUANG.phone))
    assert notify(app).strip() == "notified 0 licence(s)"
    library_change(app, EXPIRING_CODE, status="valid", valid_until=(china_today() - timedelta(days=1)).isoformat())
    sync(huang)
    assert notify(app).strip() == "notified 0 licence(s)"
    assert len(sms_texts(app, HUANG.phone)) == before


def test_an_enterprise_licence_is_announced_to_its_legal_representative(app, sign_in):
    huang = verified(sign_in, HUANG)
    enterprise_id = registered(huang, SHISHAN)
    acting = act_for(huang, enterprise_id)
    sync(acting)
    [permit] = [i for i in acting.get("/api/v1/licences?type_code=food_business_permit").get_json()["items"]]
    until = (china_today() + timedelta(days=10)).isoformat()
    library_change(app, permit["code"], valid_until=until)
    sync(acting)
    before = len(sms_texts(app, HUANG.phone))
    assert notify(app).strip() == "notified 1 licence(s)"
    texts = sms_texts(app, HUANG.phone)
    day = date.fromisoformat(until)
    assert len(texts) == before + 1
    assert texts[0] == f"【南海通】您的食品经营许可证将于{day.year}年{day.month}月{day.day}日到期，请及时办理续期。"


def test_a_renewed_licence_is_announced_again_before_its_new_expiry(app, sign_in):
    huang = verified(sign_in, HUANG)
    sync(huang)
    assert notify(app).strip() == "notified 1 licence(s)"
    renewed_until = china_today() + timedelta(days=3650)
    library_change(app, EXPIRING_CODE, valid_until=renewed_until.isoformat())
    assert sync(huang)["updated"] == [EXPIRING_CODE]
    with app.app_context():
        # Ten years on, 20 days before the new expiry.
        assert service.notify_expiring(today=renewed_until - timedelta(days=20)) == 1
