"""Subscriptions, quiet hours and pushes (issue 10): a push-provider outage leaves the
inbox intact and the push is retried; quiet hours hold pushes back, not messages."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from nanhaitong import db
from nanhaitong.messages import service
from nanhaitong.messages.models import Device, PushDelivery
from tests.support.citizens import citizen_at
from tests.support.errors import assert_error
from tests.support.messages import end_outage, push_due, push_outage, pushes, send_to_user

from .conftest import DEVICES, MESSAGES

TOKEN = "fcm-token-0123456789abcdef"


def register(citizen, token=TOKEN, platform="android"):
    answer = citizen.post(DEVICES, json={"platform": platform, "token": token})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def deliveries(app) -> list[PushDelivery]:
    with app.app_context():
        return db.session().execute(select(PushDelivery).order_by(PushDelivery.id)).scalars().all()


def test_a_message_is_pushed_to_each_registered_phone_once(app, sign_in):
    alice, alice_id = citizen_at(sign_in)
    device = register(alice)
    register(alice, token="apns-token-aaaaaaaaaaaaaaaa", platform="ios")
    assert TOKEN not in device["token"] and device["token"].startswith("fcm-")
    message_id = send_to_user(app, alice_id, title="缴费成功", topic="payment")

    [push] = pushes(app, TOKEN)
    assert (push["title"], push["platform"], push["data"]) == (
        "缴费成功", "android", {"message_id": message_id, "topic": "payment"})
    assert len(pushes(app, "apns-token-aaaaaaaaaaaaaaaa")) == 1
    assert {d.status for d in deliveries(app)} == {"sent"}
    assert push_due(app).strip() == "{}"  # nothing owed: nothing sent twice
    assert len(pushes(app, TOKEN)) == 1


def test_a_push_outage_keeps_the_inbox_and_the_push_is_retried_once_it_ends(app, sign_in):
    alice, alice_id = citizen_at(sign_in)
    register(alice)
    push_outage(app)
    message_id = send_to_user(app, alice_id)
    assert [i["id"] for i in alice.get(MESSAGES).get_json()["items"]] == [message_id]
    [delivery] = deliveries(app)
    assert delivery.status == "pending" and delivery.attempts == 1 and "503" in delivery.last_error
    assert pushes(app, TOKEN) == []

    assert '"retry": 1' in push_due(app)  # still down
    end_outage(app)
    assert '"sent": 1' in push_due(app)
    assert len(pushes(app, TOKEN)) == 1
    assert push_due(app).strip() == "{}"
    assert len(pushes(app, TOKEN)) == 1


def test_a_rolled_back_message_is_neither_kept_nor_pushed(app, sign_in):
    alice, alice_id = citizen_at(sign_in)
    register(alice)
    with app.app_context():
        service.notify_user(alice_id, topic="payment", title="t", body="b")
        db.session().rollback()
    assert alice.get(MESSAGES).get_json()["items"] == []
    assert pushes(app, TOKEN) == [] and deliveries(app) == []


def test_an_uninstalled_app_token_is_dropped(app, sign_in):
    alice, alice_id = citizen_at(sign_in)
    register(alice, token="expired-token-00000000")
    send_to_user(app, alice_id)
    [delivery] = deliveries(app)
    assert (delivery.status, delivery.last_error) == ("dropped", "unknown_token")
    assert alice.get(DEVICES).get_json() == {"items": []}


def test_quiet_hours_hold_the_push_back_but_not_the_message(app, sign_in):
    alice, alice_id = citizen_at(sign_in)
    register(alice)
    # Quiet from now (China time) for the next hour or so, whatever the clock says.
    now = datetime.now(timezone.utc).astimezone(service.CHINA_STANDARD_TIME)
    start, end = f"{now.hour:02d}:00", f"{(now.hour + 2) % 24:02d}:00"
    answer = alice.put(f"{MESSAGES}/subscriptions", json={"quiet_start": start, "quiet_end": end})
    assert answer.get_json()["quiet_start"] == start, answer.get_json()
    send_to_user(app, alice_id)
    assert len(alice.get(MESSAGES).get_json()["items"]) == 1
    [delivery] = deliveries(app)
    assert delivery.status == "pending"
    assert '"waiting": 1' in push_due(app) or push_due(app).strip() == "{}"
    assert pushes(app, TOKEN) == []


@pytest.mark.parametrize(("start", "end", "local", "expected_local"), [
    ("22:00", "07:30", "23:15", "07:30+1"),  # across midnight, before it
    ("22:00", "07:30", "03:00", "07:30"),  # across midnight, after it
    ("22:00", "07:30", "12:00", None),  # outside
    ("12:00", "14:00", "13:59", "14:00"),
    ("12:00", "14:00", "14:00", None),  # the end is not quiet
])
def test_quiet_until(start, end, local, expected_local):
    tz = service.CHINA_STANDARD_TIME
    now_local = datetime(2026, 11, 22, *map(int, local.split(":")), tzinfo=tz)
    now = now_local.astimezone(timezone.utc)
    until = service.quiet_until({"quiet_start": start, "quiet_end": end}, now)
    if expected_local is None:
        assert until == now
    else:
        hhmm, _, next_day = expected_local.partition("+")
        hour, minute = map(int, hhmm.split(":"))
        expected = now_local.replace(hour=hour, minute=minute, day=now_local.day + int(next_day or 0))
        assert until == expected.astimezone(timezone.utc)


def test_unsubscribed_topics_are_not_pushed_and_policy_is_not_kept(app, sign_in):
    alice, alice_id = citizen_at(sign_in)
    register(alice)
    answer = alice.put(f"{MESSAGES}/subscriptions", json={"topics": ["payment"]})
    assert answer.get_json()["topics"] == ["payment"]
    assert send_to_user(app, alice_id, topic="application_status") is not None  # own affairs: kept
    assert send_to_user(app, alice_id, topic="policy") is None  # optional: not kept
    assert pushes(app, TOKEN) == []
    send_to_user(app, alice_id, topic="payment")
    assert len(pushes(app, TOKEN)) == 1


@pytest.mark.parametrize("body", [
    {"quiet_start": "25:00", "quiet_end": "07:00"},
    {"quiet_start": "22:00"},
    {"topics": ["gossip"]},
    {"enterprise_topics": "policy"},
    {"colour": "red"},
])
def test_bad_subscriptions_are_422(app, sign_in, body):
    alice, _ = citizen_at(sign_in)
    assert_error(alice.put(f"{MESSAGES}/subscriptions", json=body), 422, "validation_failed")


def test_devices_move_to_their_last_registrant_and_can_be_removed(app, sign_in):
    alice, _ = citizen_at(sign_in)
    bob, bob_id = citizen_at(sign_in)
    first = register(alice)
    again = register(bob)
    assert again["id"] == first["id"]
    assert alice.get(DEVICES).get_json() == {"items": []}
    with app.app_context():
        assert db.session().get(Device, first["id"]).user_id == bob_id
    assert_error(alice.delete(f"{DEVICES}/{first['id']}"), 404, "device_not_found")
    assert bob.delete(f"{DEVICES}/{first['id']}").status_code == 204
    assert bob.get(DEVICES).get_json() == {"items": []}
    assert_error(bob.post(DEVICES, json={"platform": "nokia", "token": TOKEN}), 422, "validation_failed")
    assert_error(bob.post(DEVICES, json={"platform": "ios", "token": "short"}), 422, "validation_failed")
