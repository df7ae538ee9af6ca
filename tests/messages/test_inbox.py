"""The inbox (issue 10): what other domains send arrives once, unread first, per recipient."""

from __future__ import annotations

from nanhaitong.licences import service as licences
from tests.support.citizens import CHEN, citizen_at, user_id, verified
from tests.support.enterprises import act_for, add_member, registered
from tests.support.errors import assert_error
from tests.support.grants import act_under, create_grant
from tests.support.messages import send_to_enterprise, send_to_user
from tests.support.settings import NO_SUCH_ID

from .conftest import MESSAGES


def test_a_message_sent_by_another_domain_reaches_only_its_recipient(app, sign_in):
    alice, alice_id = citizen_at(sign_in)
    bob, _ = citizen_at(sign_in)
    message_id = send_to_user(app, alice_id, data={"application_id": "01J0000000000000000000000A"})

    inbox = alice.get(MESSAGES).get_json()
    assert inbox["unread_count"] == 1
    [item] = inbox["items"]
    assert item == {"id": message_id, "topic": "application_status", "title": "办件进度",
                    "body": "您的申请已受理。", "data": {"application_id": "01J0000000000000000000000A"},
                    "created_at": item["created_at"], "read": False, "read_at": None}
    assert item["created_at"].endswith("Z")
    assert bob.get(MESSAGES).get_json() == {"items": [], "next_cursor": None, "unread_count": 0}
    # Someone else's message is not there, exactly like one that does not exist.
    assert assert_error(bob.get(f"{MESSAGES}/{message_id}"), 404, "message_not_found")["message"] == \
        assert_error(bob.get(f"{MESSAGES}/{NO_SUCH_ID}"), 404, "message_not_found")["message"]
    assert_error(bob.post(f"{MESSAGES}/{message_id}/read"), 404, "message_not_found")
    assert alice.get(f"{MESSAGES}/{message_id}").get_json()["read"] is False


def test_a_dedupe_key_makes_a_message_exactly_once(app, sign_in):
    alice, alice_id = citizen_at(sign_in)
    first = send_to_user(app, alice_id, dedupe_key="application:A:accepted")
    assert send_to_user(app, alice_id, dedupe_key="application:A:accepted") is None
    assert send_to_user(app, alice_id, dedupe_key="application:A:approved") not in (None, first)
    assert alice.get("/api/v1/messages/unread-count").get_json() == {"unread_count": 2}


def test_unread_come_first_then_newest_and_pages_follow_the_cursor(app, sign_in):
    alice, alice_id = citizen_at(sign_in)
    ids = [send_to_user(app, alice_id, body=f"第{n}条") for n in range(7)]
    read_ids = {ids[5], ids[1]}
    for message_id in read_ids:
        answer = alice.post(f"{MESSAGES}/{message_id}/read")
        assert answer.status_code == 200 and answer.get_json()["read"] is True
        assert answer.get_json()["read_at"].endswith("Z")

    seen, cursor = [], None
    while True:
        page = alice.get(MESSAGES, query_string={"limit": 3, **({"cursor": cursor} if cursor else {})}).get_json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    unread = [i for i in reversed(ids) if i not in read_ids]
    assert seen == unread + [ids[5], ids[1]]
    assert [i["id"] for i in alice.get(MESSAGES, query_string={"unread_only": "true"}).get_json()["items"]] == unread
    assert_error(alice.get(MESSAGES, query_string={"cursor": "garbage"}), 422, "validation_failed")
    assert_error(alice.get(MESSAGES, query_string={"topic": "gossip"}), 422, "validation_failed")


def test_read_all_marks_everything_and_is_repeatable(app, sign_in):
    alice, alice_id = citizen_at(sign_in)
    for _ in range(3):
        send_to_user(app, alice_id)
    assert alice.post(f"{MESSAGES}/read-all").get_json() == {"marked": 3}
    assert alice.post(f"{MESSAGES}/read-all").get_json() == {"marked": 0}
    assert alice.get(MESSAGES).get_json()["unread_count"] == 0


def test_an_enterprise_inbox_is_read_by_its_members_and_copied_to_followers(app, sign_in):
    chen = verified(sign_in, CHEN)
    enterprise_id = registered(chen)
    message_id = send_to_enterprise(app, enterprise_id, dedupe_key="policy:P1:v1")

    as_enterprise = act_for(chen, enterprise_id)
    [item] = as_enterprise.get(MESSAGES).get_json()["items"]
    assert item["id"] == message_id
    assert chen.get(MESSAGES).get_json()["items"] == []  # not in his personal inbox: he does not follow

    # A member who follows the enterprise's policy messages gets their own copy, once.
    assert chen.put(f"{MESSAGES}/subscriptions", json={"enterprise_topics": ["policy"]}).status_code == 200
    send_to_enterprise(app, enterprise_id, dedupe_key="policy:P2:v1", body="第二条政策")
    send_to_enterprise(app, enterprise_id, dedupe_key="policy:P2:v1", body="第二条政策")
    [copy] = chen.get(MESSAGES).get_json()["items"]
    assert copy["body"] == "第二条政策" and copy["data"]["enterprise_id"] == enterprise_id
    assert len(as_enterprise.get(MESSAGES).get_json()["items"]) == 2

    # A handler reads the enterprise inbox; only admins change what it subscribes to.
    handler_id = add_member(app, enterprise_id, role="handler")
    assert handler_id
    assert as_enterprise.put(f"{MESSAGES}/subscriptions", json={"topics": ["application_status"]}).status_code == 200
    assert send_to_enterprise(app, enterprise_id, dedupe_key="policy:P3:v1") is None  # unsubscribed: not kept


def test_a_delegate_cannot_read_the_grantors_inbox(app, sign_in):
    grantor, grantor_id = citizen_at(sign_in, level=2)
    delegate, delegate_id = citizen_at(sign_in, level=2)
    send_to_user(app, grantor_id)
    grant = create_grant(grantor, delegate_id, ["licences:read"])
    acting = act_under(delegate, grant["id"])
    assert_error(acting.get(MESSAGES), 403, "not_authorized")


def test_an_expiring_licence_is_announced_in_the_inbox_once(app, sign_in):
    from integrations.sandbox.licence_data import EXPIRING_CODE
    from tests.support.citizens import HUANG
    from tests.support.licences import by_code, sync

    huang = verified(sign_in, HUANG)
    sync(huang)
    expiring = by_code(huang, EXPIRING_CODE)
    for _ in range(2):
        with app.app_context():
            licences.notify_expiring()
    [item] = huang.get(MESSAGES, query_string={"topic": "licence_expiry"}).get_json()["items"]
    assert item["data"] == {"licence_id": expiring["id"], "valid_until": expiring["valid_until"]}
    assert "机动车驾驶证" in item["body"]
    assert user_id(huang)
