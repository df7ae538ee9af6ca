"""Revealing a licence unmasked (issue 5): only its holder, only after a step-up SMS code."""

from __future__ import annotations

import json

from nanhaitong import db
from nanhaitong.licences.models import Licence
from tests.support.audit import audit_rows
from tests.support.citizens import CHEN, LI, OU, read_code, user_id, verified
from tests.support.errors import assert_error
from tests.support.grants import act_under, create_grant
from tests.support.licences import LICENCES, sync

from .conftest import by_type, step_up_code


def reveal(citizen, licence_id: str, code: str):
    return citizen.post(f"{LICENCES}/{licence_id}/reveal", json={"step_up_code": code})


def test_the_holder_sees_the_licence_unmasked_after_a_step_up_code(app, sign_in):
    chen = verified(sign_in, CHEN)
    sync(chen)
    card = by_type(chen, "resident_id_card")
    answer = reveal(chen, card["id"], step_up_code(chen))
    assert answer.status_code == 200, answer.get_json()
    shown = answer.get_json()
    with app.app_context():
        row = db.session().get(Licence, card["id"])
        plain = (row.holder_name, row.number, json.loads(row.fields))
    assert shown["revealed"] is True
    assert (shown["holder_name"], shown["number"], shown["fields"]) == plain
    assert shown["holder_name"] == CHEN.name and shown["fields"]["id_number"] == CHEN.id_number
    assert {k: v for k, v in shown.items() if k not in ("holder_name", "number", "fields", "revealed")} == {
        k: v for k, v in card.items() if k not in ("holder_name", "number", "fields", "revealed")}

    [event] = audit_rows(app, "licence.revealed")
    assert (event.actor, event.object_type, event.object_id, event.result) == (
        f"citizen:{user_id(chen)}", "licence", card["id"], "success")
    assert CHEN.id_number not in event.details and CHEN.name not in event.details

    # Reading it afterwards is masked again.
    assert chen.get(f"{LICENCES}/{card['id']}").get_json() == card


def test_a_step_up_code_works_once_and_a_wrong_one_is_401(app, sign_in):
    chen = verified(sign_in, CHEN)
    sync(chen)
    card = by_type(chen, "resident_id_card")
    code = step_up_code(chen)
    wrong = "000000" if code != "000000" else "111111"
    assert_error(reveal(chen, card["id"], wrong), 401, "invalid_code")
    assert reveal(chen, card["id"], code).status_code == 200
    assert_error(reveal(chen, card["id"], code), 401, "invalid_code")  # spent
    assert len(audit_rows(app, "licence.revealed")) == 1

    # A login code is not a step-up code.
    login_code_answer = chen.client.post("/api/v1/auth/sms-codes", json={"phone": chen.phone, "purpose": "login"})
    assert login_code_answer.status_code == 202
    assert_error(reveal(chen, card["id"], read_code(app, chen.phone)), 401, "invalid_code")
    for body in ({}, {"step_up_code": "12ab"}, {"step_up_code": "123456", "extra": 1}):
        assert_error(chen.post(f"{LICENCES}/{card['id']}/reveal", json=body), 422, "validation_failed")


def test_someone_else_cannot_reveal_and_spends_no_code(app, sign_in):
    chen = verified(sign_in, CHEN)
    sync(chen)
    card = by_type(chen, "resident_id_card")
    li = verified(sign_in, LI)
    assert_error(reveal(li, card["id"], step_up_code(li)), 404, "licence_not_found")
    assert audit_rows(app, "licence.revealed") == []


def test_a_delegate_reading_under_a_grant_cannot_reveal(app, sign_in):
    li = verified(sign_in, LI)
    sync(li)
    ou = verified(sign_in, OU)
    grant = create_grant(li, {"phone": ou.phone}, ["licences:read", "licences:present"])
    acting = act_under(ou, grant["id"])
    degree = by_type(acting, "degree_certificate")  # the delegate reads it, masked
    assert degree["revealed"] is False
    body = assert_error(reveal(acting, degree["id"], step_up_code(ou)), 403, "not_authorized")
    assert body["details"] == {"action": "licences:reveal"}
    [denied] = [e for e in audit_rows(app, "authorization.denied") if "licences:reveal" in e.details]
    assert denied.actor == f"citizen:{user_id(ou)}" and denied.on_behalf_of == f"citizen:{user_id(li)}"
    assert audit_rows(app, "licence.revealed") == []

    # And revealing cannot be granted at all.
    answer = li.post("/api/v1/authorizations", json={
        "grantee": {"phone": ou.phone}, "scopes": ["licences:reveal"], "purpose": "代办",
        "expires_at": grant["expires_at"]})
    assert "scopes" in assert_error(answer, 422, "validation_failed")["details"]["fields"]
