"""notify_enterprises (the bulk send policy push uses) keeps notify_enterprise's rules:
once per dedupe key (also across the two), unsubscribed enterprises skipped, copies to
following members only, pushes to their phones; encrypted at rest like any message."""

from __future__ import annotations

from sqlalchemy import select, text

from nanhaitong import db
from nanhaitong.messages import service
from nanhaitong.messages.models import Message
from tests.support.citizens import CHEN, HUANG, verified
from tests.support.enterprises import SHISHAN, act_for, registered
from tests.support.messages import pushes, send_to_enterprise

from .conftest import MESSAGES

TOKEN = "fcm-bulk-token-0123456789"


def bulk(app, ids, key="policy:B1:v1", **fields) -> dict:
    with app.app_context():
        counts = service.notify_enterprises(ids, topic="policy", title=fields.get("title", "批量政策"),
                                            body="南海区惠企政策。", data={"policy_id": "B1"}, dedupe_key=key)
        db.session().commit()
        return counts


def test_bulk_sends_once_like_the_single_send(app, sign_in):
    chen, huang = verified(sign_in, CHEN), verified(sign_in, HUANG)
    guicheng, shishan = registered(chen), registered(huang, SHISHAN)
    assert huang.post("/api/v1/me/devices", json={"platform": "android", "token": TOKEN}).status_code == 201
    assert huang.put(f"{MESSAGES}/subscriptions", json={"enterprise_topics": ["policy"]}).status_code == 200
    as_guicheng = act_for(chen, guicheng)
    assert as_guicheng.put(f"{MESSAGES}/subscriptions", json={"topics": ["payment"]}).status_code == 200

    # One enterprise already had this key through the single send.
    assert send_to_enterprise(app, shishan, dedupe_key="policy:B1:v1") is not None
    assert bulk(app, [guicheng, shishan, shishan]) == {"delivered": 0, "member_copies": 0, "pushes": 0}

    assert bulk(app, [guicheng, shishan], key="policy:B1:v2", title="第二版") == {
        "delivered": 1, "member_copies": 1, "pushes": 1}
    assert bulk(app, [guicheng, shishan], key="policy:B1:v2") == {"delivered": 0, "member_copies": 0, "pushes": 0}
    assert [m["title"] for m in act_for(huang, shishan).get(MESSAGES).get_json()["items"]] == ["第二版", "政策推送"]
    copy, first = huang.get(MESSAGES).get_json()["items"]  # the single send copied v1 to him too
    assert copy["data"] == {"policy_id": "B1", "enterprise_id": shishan} and first["title"] == "政策推送"
    assert [p["title"] for p in pushes(app, TOKEN)] == ["第二版", "政策推送"]  # newest first
    assert as_guicheng.get(MESSAGES).get_json()["items"] == []  # unsubscribed from policy

    with app.app_context():  # encrypted at rest
        raw = db.session().execute(text("SELECT title, body FROM messages WHERE dedupe_key = 'policy:B1:v2'")).all()
        assert raw and all("第二版" not in title and "惠企" not in body for title, body in raw)
        assert db.session().execute(select(Message.title).where(Message.dedupe_key == "policy:B1:v2")).scalar() == "第二版"
