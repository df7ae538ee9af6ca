"""Idempotency-Key: same key and body replays, another body is refused, errors keep nothing."""

from datetime import datetime, timedelta, timezone

from integrations.sandbox.demo_data import CITIZENS
from tests.support.citizens import verified


def _grant_body(phone: str, purpose: str = "代办社保查询") -> dict:
    expires = (datetime.now(timezone.utc) + timedelta(days=7)).isoformat().replace("+00:00", "Z")
    return {"grantee": {"phone": phone}, "scopes": ["gov_services:query"], "purpose": purpose, "expires_at": expires}


def test_retry_with_the_same_key_replays_and_creates_once(sign_in):
    grantor, grantee = verified(sign_in, CITIZENS[0]), verified(sign_in, CITIZENS[1])
    headers, body = {**grantor.headers, "Idempotency-Key": "grant-7f3a"}, _grant_body(grantee.phone)
    first = grantor.client.post("/api/v1/authorizations", json=body, headers=headers)
    again = grantor.client.post("/api/v1/authorizations", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    listed = grantor.get("/api/v1/authorizations?direction=granted").get_json()["items"]
    assert [item["id"] for item in listed] == [first.get_json()["id"]]


def test_same_key_with_another_body_is_422(sign_in):
    grantor, grantee = verified(sign_in, CITIZENS[0]), verified(sign_in, CITIZENS[1])
    headers = {**grantor.headers, "Idempotency-Key": "grant-1"}
    assert grantor.client.post("/api/v1/authorizations", json=_grant_body(grantee.phone),
                               headers=headers).status_code == 201
    other = grantor.client.post("/api/v1/authorizations", json=_grant_body(grantee.phone, "另一件事"), headers=headers)
    assert other.status_code == 422 and other.get_json()["code"] == "idempotency_key_reused"


def test_a_failed_request_keeps_nothing(sign_in):
    grantor, grantee = verified(sign_in, CITIZENS[0]), verified(sign_in, CITIZENS[1])
    headers = {**grantor.headers, "Idempotency-Key": "grant-2"}
    body = _grant_body(grantee.phone)
    refused = grantor.client.post("/api/v1/authorizations", json={**body, "scopes": ["esign:sign"]}, headers=headers)
    assert refused.status_code == 422
    # nothing was kept: the retry runs again (and is refused again) rather than replaying
    retried = grantor.client.post("/api/v1/authorizations", json={**body, "scopes": ["esign:sign"]}, headers=headers)
    assert retried.status_code == 422 and "Idempotent-Replayed" not in retried.headers


def test_keys_belong_to_their_caller(sign_in):
    first, second = verified(sign_in, CITIZENS[0]), verified(sign_in, CITIZENS[1])
    third = verified(sign_in, CITIZENS[2])
    for caller in (first, second):
        answer = caller.client.post("/api/v1/authorizations", json=_grant_body(third.phone),
                                    headers={**caller.headers, "Idempotency-Key": "shared-key"})
        assert answer.status_code == 201 and "Idempotent-Replayed" not in answer.headers


def test_malformed_key_is_422(sign_in):
    grantor = verified(sign_in, CITIZENS[0])
    answer = grantor.client.post("/api/v1/authorizations", json=_grant_body("13800138002"),
                                 headers={**grantor.headers, "Idempotency-Key": "has space"})
    assert answer.status_code == 422 and "Idempotency-Key" in answer.get_json()["details"]["fields"]


def _kept(app) -> list[dict]:
    from sqlalchemy import text

    from nanhaitong import db

    with app.app_context():
        return [dict(row) for row in db.session().execute(text(
            "SELECT key, status_code, body, created_at FROM idempotency_keys")).mappings()]


def test_a_kept_answer_is_encrypted_at_rest(sign_in):
    grantor, grantee = verified(sign_in, CITIZENS[0]), verified(sign_in, CITIZENS[1])
    answer = grantor.client.post("/api/v1/authorizations", json=_grant_body(grantee.phone),
                                 headers={**grantor.headers, "Idempotency-Key": "grant-at-rest"})
    assert answer.status_code == 201
    [kept] = _kept(grantor.app)
    assert kept["status_code"] == 201
    assert answer.get_json()["id"] not in kept["body"] and "代办社保查询" not in kept["body"]


def test_a_key_kept_past_its_day_runs_the_request_again(sign_in):
    from sqlalchemy import update

    from nanhaitong import db
    from nanhaitong.idempotency import KEEP_FOR, IdempotencyRecord

    grantor, grantee = verified(sign_in, CITIZENS[0]), verified(sign_in, CITIZENS[1])
    headers, body = {**grantor.headers, "Idempotency-Key": "grant-old"}, _grant_body(grantee.phone)
    first = grantor.client.post("/api/v1/authorizations", json=body, headers=headers)
    with grantor.app.app_context():
        db.session().execute(update(IdempotencyRecord).values(
            created_at=datetime.now(timezone.utc) - KEEP_FOR - timedelta(minutes=1)))
        db.session().commit()
    again = grantor.client.post("/api/v1/authorizations", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers and again.get_json()["id"] != first.get_json()["id"]
    replayed = grantor.client.post("/api/v1/authorizations", json=body, headers=headers)
    assert replayed.headers["Idempotent-Replayed"] == "true" and replayed.get_json() == again.get_json()
    assert len(_kept(grantor.app)) == 1
