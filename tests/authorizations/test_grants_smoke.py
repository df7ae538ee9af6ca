"""Delegation end to end: grant, act under it, access log, revoke."""

from datetime import datetime, timedelta, timezone

import jwt

from integrations.sandbox.demo_data import CITIZENS
from tests.identity.conftest import Citizen


def verified(sign_in, demo) -> Citizen:
    citizen = sign_in(demo.phone)
    answer = citizen.post("/api/v1/me/real-name-verification", json={"name": demo.name, "id_number": demo.id_number})
    assert answer.status_code == 200, answer.get_json()
    return citizen


def in_days(days: int) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).isoformat().replace("+00:00", "Z")


def test_delegate_acts_for_grantor_until_revoked(sign_in, client):
    client.application.config["SMS_RESEND_SECONDS"] = 0
    grantor = verified(sign_in, CITIZENS[0])
    grantee = verified(sign_in, CITIZENS[1])
    created = grantor.post("/api/v1/authorizations", json={
        "grantee": {"phone": grantee.phone}, "scopes": ["gov_services:query"],
        "purpose": "代办社保查询", "expires_at": in_days(30)})
    assert created.status_code == 201, created.get_json()
    grant = created.get_json()
    assert grant["status"] == "active" and grant["history"][0]["event"] == "created"

    acting = grantee.post("/api/v1/auth/act-as", json={"authorization_id": grant["id"]})
    assert acting.status_code == 200, acting.get_json()
    pair = acting.get_json()
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
    grantor_id = grantor.get("/api/v1/me").get_json()["id"]
    assert claims["sub"] == grantor_id and claims["act"]["grant"] == grant["id"]
    as_delegate = Citizen(client, grantee.app, grantee.phone, pair)
    assert as_delegate.get("/api/v1/me").status_code == 200

    received = grantee.get("/api/v1/authorizations?direction=received").get_json()
    assert [g["id"] for g in received["items"]] == [grant["id"]]
    assert grantee.get(f"/api/v1/authorizations/{grant['id']}").status_code == 200

    stranger = verified(sign_in, CITIZENS[2])
    assert stranger.get(f"/api/v1/authorizations/{grant['id']}").status_code == 404
    assert stranger.post(f"/api/v1/authorizations/{grant['id']}/revoke").status_code == 404

    revoked = grantor.post(f"/api/v1/authorizations/{grant['id']}/revoke")
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    after = as_delegate.get("/api/v1/me")
    assert after.status_code == 401 and after.get_json()["code"] == "authorization_ended"


def test_unknown_scope_is_422(sign_in):
    grantor = verified(sign_in, CITIZENS[0])
    answer = grantor.post("/api/v1/authorizations", json={
        "grantee": {"phone": "13800138099"}, "scopes": ["licences:delete"], "purpose": "x" * 5,
        "expires_at": in_days(3)})
    assert answer.status_code == 422 and "scopes" in answer.get_json()["details"]["fields"]
