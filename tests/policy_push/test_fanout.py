"""Publishing sends the policy to each matching enterprise's inbox (and to the members who
follow it, pushed to their phones), exactly once per version; a push outage keeps the
inbox and the push is retried; the progress record is visible to editors."""

from __future__ import annotations

from sqlalchemy import func, select

from nanhaitong import db
from nanhaitong.messages.models import Message, PushDelivery
from nanhaitong.policy_push import fanout
from nanhaitong.policy_push.models import PolicyFanOut
from tests.support.citizens import CHEN, HUANG, verified
from tests.support.enterprises import GUICHENG, SHISHAN, act_for, registered
from tests.support.messages import end_outage, push_due, push_outage, pushes
from tests.support.policies import ADMIN, create, policy_body, publish, published

from .conftest import MESSAGES

TOKEN = "fcm-policy-token-0123456789"


def policy_messages(citizen) -> list[dict]:
    return [m for m in citizen.get(f"{MESSAGES}?topic=policy").get_json()["items"]]


def count_messages(app) -> int:
    with app.app_context():
        return db.session().execute(select(func.count()).select_from(Message)).scalar_one()


def test_publishing_reaches_matching_enterprises_once_per_version(app, sign_in, editor):
    chen, huang = verified(sign_in, CHEN), verified(sign_in, HUANG)
    guicheng, shishan = registered(chen, GUICHENG), registered(huang, SHISHAN)
    as_guicheng, as_shishan = act_for(chen, guicheng), act_for(huang, shishan)

    policy = published(editor, title="金属制品企业技改补贴", rules={"industry_codes": ["C33"]})
    [run] = policy["fanouts"]
    assert (run["status"], run["version"], run["total"], run["matched"], run["processed"], run["delivered"]) == (
        "done", 1, 2, 1, 1, 1)
    assert run["started_at"].endswith("Z") and run["finished_at"].endswith("Z")
    [message] = policy_messages(as_shishan)
    assert message["title"] == "金属制品企业技改补贴"
    assert message["data"]["policy_id"] == policy["id"] and message["data"]["version"] == 1
    assert policy_messages(as_guicheng) == []

    # Publishing the same version again (twice) sends nothing new; the records say so.
    before = count_messages(app)
    again = publish(editor, policy["id"])
    publish(editor, policy["id"])
    assert count_messages(app) == before
    assert again["fanouts"][0]["matched"] == 1 and again["fanouts"][0]["delivered"] == 0
    assert len(policy_messages(as_shishan)) == 1
    runs = editor.get(f"{ADMIN}/{policy['id']}/fanouts").get_json()["items"]
    assert [(r["status"], r["delivered"]) for r in runs] == [("done", 0), ("done", 0), ("done", 1)]

    # Re-running a finished job, or the job of an old fan-out, sends nothing either.
    with app.app_context():
        assert fanout.run(runs[0]["id"]) == "done"
    assert count_messages(app) == before

    # An amendment is a new version: it is sent again, once, now also to the software firm.
    editor.put(f"{ADMIN}/{policy['id']}", json=policy_body(title="技改补贴（修订）",
                                                           rules={"industry_codes": ["C33", "I65"]}))
    amended = publish(editor, policy["id"])
    assert amended["fanouts"][0]["version"] == 2 and amended["fanouts"][0]["delivered"] == 2
    assert [m["title"] for m in policy_messages(as_shishan)] == ["技改补贴（修订）", "金属制品企业技改补贴"]
    assert [m["data"]["version"] for m in policy_messages(as_guicheng)] == [2]


def test_following_members_get_a_copy_pushed_to_their_phones_and_an_outage_is_retried(app, sign_in, editor):
    huang = verified(sign_in, HUANG)
    shishan = registered(huang, SHISHAN)
    assert huang.post("/api/v1/me/devices", json={"platform": "android", "token": TOKEN}).status_code == 201
    assert huang.put(f"{MESSAGES}/subscriptions", json={"enterprise_topics": ["policy"]}).status_code == 200

    push_outage(app)
    policy = published(editor, title="南海区制造业数字化转型补贴")
    assert policy["fanouts"][0]["member_copies"] == 1
    # The inbox has it, for the enterprise and in the member's own inbox; the push waits.
    [copy] = policy_messages(huang)
    assert copy["data"]["enterprise_id"] == shishan and copy["data"]["policy_id"] == policy["id"]
    assert len(policy_messages(act_for(huang, shishan))) == 1
    assert pushes(app, TOKEN) == []
    with app.app_context():
        [delivery] = db.session().execute(select(PushDelivery)).scalars().all()
        assert delivery.status == "pending" and "503" in delivery.last_error

    end_outage(app)
    assert '"sent": 1' in push_due(app)
    [push] = pushes(app, TOKEN)
    assert push["title"] == "南海区制造业数字化转型补贴" and push["data"]["message_id"] == copy["id"]
    # Republishing neither copies nor pushes again.
    publish(editor, policy["id"])
    assert len(policy_messages(huang)) == 1 and push_due(app).strip() == "{}"
    assert len(pushes(app, TOKEN)) == 1


def test_an_enterprise_that_unsubscribed_from_policies_gets_none(app, sign_in, editor):
    huang = verified(sign_in, HUANG)
    shishan = registered(huang, SHISHAN)
    as_shishan = act_for(huang, shishan)
    assert as_shishan.put(f"{MESSAGES}/subscriptions", json={"topics": ["payment"]}).status_code == 200
    policy = published(editor)
    assert (policy["fanouts"][0]["matched"], policy["fanouts"][0]["delivered"]) == (1, 0)
    assert policy_messages(as_shishan) == []


def test_withdrawing_keeps_what_was_sent_and_stops_a_run_not_yet_done(app, sign_in, editor, monkeypatch):
    huang = verified(sign_in, HUANG)
    shishan = registered(huang, SHISHAN)
    as_shishan = act_for(huang, shishan)
    policy = published(editor)
    assert editor.post(f"{ADMIN}/{policy['id']}/withdraw").status_code == 200
    assert len(policy_messages(as_shishan)) == 1  # already sent: stays

    # A fan-out still queued when the policy is withdrawn sends nothing.
    draft = create(editor, title="未发送的政策")
    held = []
    monkeypatch.setattr(fanout, "queue_fanout", held.append)  # hold the job back, as a busy queue would
    publish(editor, draft["id"])
    editor.post(f"{ADMIN}/{draft['id']}/withdraw")
    with app.app_context():
        assert fanout.run(held[0]) == "stopped"
        run = db.session().get(PolicyFanOut, held[0])
        assert (run.matched, run.processed, run.delivered) == (1, 0, 0)
    assert [m["title"] for m in policy_messages(as_shishan)] == ["南海区企业研发费用补贴"]


def test_a_failed_fan_out_is_recorded_and_a_rerun_completes_it_without_duplicates(app, sign_in, editor, monkeypatch):
    huang, chen = verified(sign_in, HUANG), verified(sign_in, CHEN)
    shishan, guicheng = registered(huang, SHISHAN), registered(chen, GUICHENG)
    real = fanout.messages.notify_enterprises
    calls = []

    def flaky(ids, **kw):
        calls.append(len(ids))
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(ids, **kw)

    monkeypatch.setattr(fanout, "BATCH", 1)
    monkeypatch.setattr(fanout.messages, "notify_enterprises", flaky)
    policy = published(editor)
    [run] = policy["fanouts"]
    assert (run["status"], run["error"], run["processed"]) == ("failed", "RuntimeError", 1)
    assert len(policy_messages(act_for(huang, shishan))) + len(policy_messages(act_for(chen, guicheng))) == 1

    with app.app_context():  # the job's retry
        assert fanout.run(run["id"]) == "done"
    [run] = editor.get(f"{ADMIN}/{policy['id']}/fanouts").get_json()["items"]
    assert (run["status"], run["error"], run["matched"], run["processed"], run["delivered"]) == (
        "done", None, 2, 2, 1)
    assert len(policy_messages(act_for(huang, shishan))) == 1 and len(policy_messages(act_for(chen, guicheng))) == 1
