"""Acting for an enterprise (RFC 8693 ``act``), and how removal ends it."""

from __future__ import annotations

import jwt
from sqlalchemy import delete

from nanhaitong import db
from nanhaitong.identity.models import EnterpriseMember
from tests.support.citizens import CHEN, LI, LIANG, STRANGER_PHONE, user_id, verified
from tests.support.enterprises import registered
from tests.support.errors import assert_error


def act_as(citizen, enterprise_id: str):
    return citizen.post("/api/v1/auth/act-as", json={"enterprise_id": enterprise_id})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def refresh(client, refresh_token: str):
    return client.post("/api/v1/auth/tokens", json={"grant_type": "refresh_token", "refresh_token": refresh_token})


def claims(access_token: str) -> dict:
    return jwt.decode(access_token, options={"verify_signature": False})


def test_the_legal_representative_acts_for_the_enterprise(sign_in, client):
    chen = verified(sign_in, CHEN)
    enterprise_id = registered(chen)
    answer = act_as(chen, enterprise_id)
    assert answer.status_code == 200, answer.get_json()
    pair = answer.get_json()
    assert pair["token_type"] == "Bearer" and pair["refresh_token"]
    token = claims(pair["access_token"])
    assert token["sub"] == enterprise_id and token["sub_type"] == "enterprise"
    assert token["act"] == {"sub": user_id(chen), "role": "legal_representative"}

    me = client.get("/api/v1/me", headers=bearer(pair["access_token"])).get_json()
    assert me["acting_for"] == enterprise_id and me["id"] == user_id(chen)
    assert chen.get("/api/v1/me").get_json()["acting_for"] is None  # the personal token is unchanged

    refreshed = refresh(client, pair["refresh_token"])
    assert refreshed.status_code == 200
    assert claims(refreshed.get_json()["access_token"])["act"] == token["act"]


def test_a_handler_acts_with_their_role(sign_in, client):
    chen = verified(sign_in, CHEN)
    enterprise_id = registered(chen)
    li = sign_in(LI.phone)  # level 1 is enough to be a member and act
    assert chen.post(f"/api/v1/enterprises/{enterprise_id}/members",
                     json={"phone": LI.phone, "role": "handler"}).status_code == 201
    pair = act_as(li, enterprise_id).get_json()
    assert claims(pair["access_token"])["act"] == {"sub": user_id(li), "role": "handler"}
    assert client.get(f"/api/v1/enterprises/{enterprise_id}",
                      headers=bearer(pair["access_token"])).get_json()["role"] == "handler"


def test_a_non_members_act_as_is_404(sign_in):
    chen = verified(sign_in, CHEN)
    enterprise_id = registered(chen)
    liang = verified(sign_in, LIANG)
    assert_error(act_as(liang, enterprise_id), 404, "enterprise_not_found")
    assert_error(act_as(sign_in(STRANGER_PHONE), enterprise_id), 404, "enterprise_not_found")
    assert_error(act_as(chen, "01J0000000000000000000000X"), 404, "enterprise_not_found")


def _member_acting(sign_in, chen, enterprise_id):
    li = sign_in(LI.phone)
    assert chen.post(f"/api/v1/enterprises/{enterprise_id}/members",
                     json={"phone": LI.phone, "role": "handler"}).status_code == 201
    pair = act_as(li, enterprise_id).get_json()
    return li, pair


def test_removal_ends_the_members_enterprise_context_access_and_refresh(sign_in, client):
    chen = verified(sign_in, CHEN)
    enterprise_id = registered(chen)
    li, pair = _member_acting(sign_in, chen, enterprise_id)
    assert client.get("/api/v1/me", headers=bearer(pair["access_token"])).get_json()["acting_for"] == enterprise_id

    assert chen.delete(f"/api/v1/enterprises/{enterprise_id}/members/{user_id(li)}").status_code == 204

    assert_error(client.get("/api/v1/me", headers=bearer(pair["access_token"])), 401)
    assert_error(client.get(f"/api/v1/enterprises/{enterprise_id}", headers=bearer(pair["access_token"])), 401)
    assert_error(refresh(client, pair["refresh_token"]), 401)
    # the member's own account carries on
    assert li.get("/api/v1/me").status_code == 200
    assert_error(li.get(f"/api/v1/enterprises/{enterprise_id}"), 404, "enterprise_not_found")
    assert_error(act_as(li, enterprise_id), 404, "enterprise_not_found")

    # added back later, the old enterprise-context tokens stay dead; a new act-as works
    assert chen.post(f"/api/v1/enterprises/{enterprise_id}/members",
                     json={"phone": LI.phone, "role": "admin"}).status_code == 201
    assert_error(client.get("/api/v1/me", headers=bearer(pair["access_token"])), 401)
    assert_error(refresh(client, pair["refresh_token"]), 401)
    again = act_as(li, enterprise_id).get_json()
    assert claims(again["access_token"])["act"]["role"] == "admin"


def test_membership_is_checked_on_every_request_and_every_refresh(app, sign_in, client):
    """Without the session revocation removal also does, the membership checks alone refuse."""
    chen = verified(sign_in, CHEN)
    enterprise_id = registered(chen)
    li, pair = _member_acting(sign_in, chen, enterprise_id)
    with app.app_context():  # the membership disappears behind the service's back
        db.session().execute(delete(EnterpriseMember).where(EnterpriseMember.user_id == user_id(li)))
        db.session().commit()

    assert_error(client.get("/api/v1/me", headers=bearer(pair["access_token"])), 401, "enterprise_context_ended")
    assert_error(refresh(client, pair["refresh_token"]), 401, "enterprise_context_ended")
    assert li.get("/api/v1/me").status_code == 200
