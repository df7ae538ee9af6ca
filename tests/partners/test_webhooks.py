"""Webhooks: outbox rows written in the event's transaction, signed deliveries to a real
HTTP receiver, retries with backoff, recorded attempts, operator replay (API and CLI)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import jwt
import pytest

from nanhaitong import db, events
from nanhaitong.partners.models import WebhookDelivery
from tests.support.citizens import LI, user_id, verified
from tests.support.partners import ADMIN, Receiver, check_signature, code_flow, register


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def deliveries(operator, partner: dict) -> list[dict]:
    answer = operator.get(f"{ADMIN}/{partner['id']}/webhook-deliveries")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


def test_consent_revoked_is_delivered_signed(app, live_server, operator, sign_in, receiver):
    owner = verified(sign_in, LI)
    partner = register(operator, webhook_url=receiver.url)
    _, token = code_flow(app, live_server, partner, LI.phone, scope="openid profile:read")
    sub = jwt.decode(token["id_token"], options={"verify_signature": False})["sub"]
    [consent] = [g for g in owner.get("/api/v1/authorizations?direction=granted").get_json()["items"]
                 if g["grantee"]["kind"] == "partner"]
    assert owner.post(f"/api/v1/authorizations/{consent['id']}/revoke").status_code == 200

    [delivery] = receiver.received
    payload = check_signature(partner["credentials"]["webhook_secret"], delivery)
    assert payload["event"] == "consent.revoked" == delivery["headers"]["X-NHT-Webhook-Event"]
    assert payload["data"] == {"sub": sub, "consent_id": consent["id"]}
    assert payload["id"] == delivery["headers"]["X-NHT-Webhook-Id"]
    assert LI.phone not in delivery["body"].decode() and user_id(owner) not in delivery["body"].decode()
    [row] = deliveries(operator, partner)
    assert row["status"] == "delivered" and row["attempts"] == 1 and row["attempt_log"][0]["status_code"] == 204


def _status_changed(app, user: str, *, commit: bool = True):
    with app.test_request_context():
        events.application_status_changed.send(
            "gov_services", application_id="01JAPPLICATION0000000000001", user_id=user, enterprise_id=None,
            service_code="NH-HOUSING-001", status="approved", previous_status="submitted",
            occurred_at=datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc))
        if commit:
            db.session().commit()
        else:
            db.session().rollback()


def test_application_status_changed_goes_to_consenting_partners_only(app, live_server, operator, sign_in,
                                                                    receiver, runner):
    owner = verified(sign_in, LI)
    following = register(operator, name="跟进方", webhook_url=receiver.url)
    bystander = register(operator, name="旁观方", webhook_url=receiver.url)
    _, token = code_flow(app, live_server, following, LI.phone, scope="openid gov_services:query")
    code_flow(app, live_server, bystander, LI.phone, scope="openid")  # no gov_services:query
    sub = jwt.decode(token["id_token"], options={"verify_signature": False})["sub"]

    _status_changed(app, user_id(owner), commit=False)  # a rolled-back change announces nothing
    _status_changed(app, user_id(owner))
    assert receiver.received == []  # written to the outbox; sent by the dispatcher (outside a request)
    result = runner.invoke(args=["partners", "webhooks", "dispatch"])
    assert result.exit_code == 0 and json.loads(result.output) == {"attempted": 1}, result.output

    [delivery] = receiver.received
    payload = check_signature(following["credentials"]["webhook_secret"], delivery)
    assert payload["event"] == "application.status_changed"
    assert payload["occurred_at"] == "2026-11-22T03:00:00.000000Z"
    assert payload["data"] == {"sub": sub, "application_id": "01JAPPLICATION0000000000001",
                               "service_code": "NH-HOUSING-001", "status": "approved",
                               "previous_status": "submitted"}
    assert deliveries(operator, bystander) == []


def test_failures_back_off_are_recorded_and_an_operator_replays(app, live_server, operator, sign_in, receiver,
                                                                runner):
    owner = verified(sign_in, LI)
    partner = register(operator, webhook_url=receiver.url)
    code_flow(app, live_server, partner, LI.phone, scope="openid gov_services:query")
    receiver.fail = 2
    _status_changed(app, user_id(owner))
    assert json.loads(runner.invoke(args=["partners", "webhooks", "dispatch"]).output) == {"attempted": 1}
    [row] = deliveries(operator, partner)
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["attempt_log"][0]["status_code"] == 500 and "500" in row["attempt_log"][0]["error"]
    due = datetime.fromisoformat(row["next_attempt_at"].replace("Z", "+00:00"))
    assert 20 < (due - datetime.now(timezone.utc)).total_seconds() <= 31  # 30 s after the first failure
    # Not due yet: the dispatcher leaves it.
    assert json.loads(runner.invoke(args=["partners", "webhooks", "dispatch"]).output) == {"attempted": 0}

    # The operator replays it (API): it fails once more, then (CLI) succeeds.
    answer = operator.post(f"{ADMIN}/{partner['id']}/webhook-deliveries/{row['id']}/replay")
    assert answer.status_code == 200 and answer.get_json()["attempts"] == 2
    result = runner.invoke(args=["partners", "webhooks", "replay", row["id"]])
    assert result.exit_code == 0, result.output
    [row] = deliveries(operator, partner)
    assert row["status"] == "delivered" and row["attempts"] == 3
    assert [a["replay"] for a in row["attempt_log"]] == [False, True, True]
    assert len(receiver.received) == 3
    assert len({d["headers"]["X-NHT-Webhook-Id"] for d in receiver.received}) == 1  # one id to deduplicate on
    # A replay of another partner's delivery is not found.
    other = register(operator, name="别家")
    assert operator.post(f"{ADMIN}/{other['id']}/webhook-deliveries/{row['id']}/replay").status_code == 404


def test_backoff_grows_and_gives_up(app):
    from nanhaitong.partners import webhooks

    assert [webhooks.backoff(n) for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]
    with app.app_context():
        assert db.session().query(WebhookDelivery).count() == 0
