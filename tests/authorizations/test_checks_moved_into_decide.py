"""Access checks that services used to make inline, now actions the one decision
(``authorizations.authorize``) answers: each over HTTP, allowed and refused, with the
answer a client saw before they moved (status and code) and the evidence a refusal leaves."""

from __future__ import annotations

import json

import jwt
import pytest

from tests.support.audit import audit_rows
from tests.support.citizens import CHEN, HUANG, LI, OU, user_id, verified
from tests.support.enterprises import act_for, registered
from tests.support.errors import assert_error


def sid(citizen) -> str:
    return jwt.decode(citizen.tokens["access_token"], options={"verify_signature": False})["sid"]


def session_ids(citizen) -> set[str]:
    return {s["id"] for s in citizen.get("/api/v1/me/sessions").get_json()["sessions"]}


# -- identity: ending a session (account:manage, decided on the caller's own account) ------

def test_a_citizen_ends_their_own_session_even_while_acting_for_an_enterprise(app, sign_in):
    app.config["SMS_RESEND_SECONDS"] = 0
    chen, other_device = verified(sign_in, CHEN), sign_in(CHEN.phone)
    for_firm = act_for(chen, registered(chen))
    # The token acts for the enterprise; the session it ends is still the citizen's own.
    assert for_firm.delete(f"/api/v1/me/sessions/{sid(other_device)}").status_code == 204
    assert_error(other_device.get("/api/v1/me"), 401, "session_ended")
    assert sid(other_device) not in session_ids(chen)


def test_another_citizens_session_is_not_found_and_stays_live(sign_in):
    mine, theirs = sign_in("13800138001"), sign_in("13800138002")
    assert_error(mine.delete(f"/api/v1/me/sessions/{sid(theirs)}"), 404, "session_not_found")
    assert theirs.get("/api/v1/me").status_code == 200
