"""Staff sign-in (password and SMS code), staff tokens, roles, and their separation from citizens."""

from __future__ import annotations

import json

import pytest
import requests

from nanhaitong.api import AUTH_ATTR
from nanhaitong.identity.staff import STAFF_ROLES

from .conftest import Citizen, read_code
from .test_staff_cli import STAFF_PASSWORD, audit_events, create_staff, run

STAFF_PHONE = "13900139001"


def sms_messages(app, phone: str) -> list:
    answer = requests.get(f"{app.config['SANDBOX_URL']}/sms/messages", params={"phone": phone}, timeout=5)
    answer.raise_for_status()
    return answer.json()["messages"]


def ask_code(client, phone: str):
    # Buffered: the test client closes the response before returning, as a server does once
    # the answer is sent, and the staff code is texted on close (issue 21, finding 11).
    return client.post("/api/v1/admin/auth/sms-codes", json={"phone": phone}, buffered=True)


def password_sms(client, phone: str, password: str, code: str):
    return client.post("/api/v1/admin/auth/tokens", json={"phone": phone, "password": password, "code": code})


def sign_in_staff(app, client, phone: str = STAFF_PHONE, password: str = STAFF_PASSWORD) -> Citizen:
    """Sign a staff member in through the API; the Citizen helper just carries the tokens."""
    assert ask_code(client, phone).status_code == 202
    answer = password_sms(client, phone, password, read_code(app, phone))
    assert answer.status_code == 200, answer.get_json()
    return Citizen(client, app, phone, answer.get_json())


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def comparable(answer) -> tuple:
    body = answer.get_json()
    body.pop("request_id")
    return answer.status_code, body, answer.headers.get("WWW-Authenticate")


@pytest.fixture
def app(make_app):
    return make_app(SMS_RESEND_SECONDS=0)


def test_sign_in_me_refresh_and_logout(app, client):
    created = create_staff(app, STAFF_PHONE, "operator")
    staff = sign_in_staff(app, client)
    assert staff.tokens["token_type"] == "Bearer" and staff.tokens["expires_in"] == 900

    me = staff.get("/api/v1/admin/me")
    assert me.status_code == 200 and me.get_json() == {"id": created["id"], "phone": "139****9001", "role": "operator"}

    refreshed = client.post("/api/v1/admin/auth/refresh", json={"refresh_token": staff.tokens["refresh_token"]})
    assert refreshed.status_code == 200
    staff.tokens = refreshed.get_json()
    assert staff.get("/api/v1/admin/me").status_code == 200

    assert staff.post("/api/v1/admin/auth/logout").status_code == 204
    after = staff.get("/api/v1/admin/me")
    assert after.status_code == 401 and after.get_json()["code"] == "session_ended"

    [success] = [e for e in audit_events(app, "auth.login") if e.result == "success"]
    assert success.actor == f"staff:{created['id']}"
    [logout] = audit_events(app, "auth.logout")
    assert logout.actor == f"staff:{created['id']}"


def test_refresh_token_reuse_ends_the_staff_session(app, client):
    create_staff(app, STAFF_PHONE)
    staff = sign_in_staff(app, client)
    old = staff.tokens["refresh_token"]
    new = client.post("/api/v1/admin/auth/refresh", json={"refresh_token": old}).get_json()
    reused = client.post("/api/v1/admin/auth/refresh", json={"refresh_token": old})
    assert reused.status_code == 401 and reused.get_json()["code"] == "invalid_refresh_token"
    assert client.post("/api/v1/admin/auth/refresh", json={"refresh_token": new["refresh_token"]}).status_code == 401
    assert client.get("/api/v1/admin/me", headers={"Authorization": f"Bearer {new['access_token']}"}).status_code == 401


def test_code_request_answers_the_same_for_any_phone_but_texts_only_staff(app, client):
    create_staff(app, STAFF_PHONE)
    app.config["SMS_RESEND_SECONDS"] = 60
    for_staff, for_stranger = ask_code(client, STAFF_PHONE), ask_code(client, "13800138009")
    assert for_staff.status_code == for_stranger.status_code == 202
    assert for_staff.get_json() == for_stranger.get_json()
    again_staff, again_stranger = ask_code(client, STAFF_PHONE), ask_code(client, "13800138009")
    assert again_staff.status_code == again_stranger.status_code == 429
    assert again_staff.headers["Retry-After"] and again_stranger.headers["Retry-After"]
    assert len(sms_messages(app, STAFF_PHONE)) == 1
    assert sms_messages(app, "13800138009") == []


def test_every_failure_gets_the_same_answer(app, client):
    created = create_staff(app, STAFF_PHONE)
    create_staff(app, "13900139002")
    answers = []

    ask_code(client, "13800138009")  # not staff: no SMS, any code is wrong
    answers.append(password_sms(client, "13800138009", STAFF_PASSWORD, "123456"))

    ask_code(client, STAFF_PHONE)
    answers.append(password_sms(client, STAFF_PHONE, "wrong password 99", read_code(app, STAFF_PHONE)))

    ask_code(client, STAFF_PHONE)
    answers.append(password_sms(client, STAFF_PHONE, STAFF_PASSWORD, wrong(read_code(app, STAFF_PHONE))))

    ask_code(client, "13900139002")
    code = read_code(app, "13900139002")
    run(app, "deactivate", "--id", json.loads(run(app, "list").stdout)[1]["id"])
    answers.append(password_sms(client, "13900139002", STAFF_PASSWORD, code))

    first = comparable(answers[0])
    assert first[0] == 401 and first[1]["code"] == "invalid_credentials"
    assert all(comparable(a) == first for a in answers)

    reasons = [json.loads(e.details)["reason"] for e in audit_events(app, "auth.login") if e.result == "failure"]
    assert reasons == ["unknown_account", "invalid_password", "invalid_code", "inactive_account"]
    actors = [e.actor for e in audit_events(app, "auth.login")]
    assert actors[0] == "anonymous" and actors[1] == f"staff:{created['id']}"


def test_a_wrong_password_spends_the_code(app, client):
    create_staff(app, STAFF_PHONE)
    ask_code(client, STAFF_PHONE)
    code = read_code(app, STAFF_PHONE)
    assert password_sms(client, STAFF_PHONE, "wrong password 99", code).status_code == 401
    assert password_sms(client, STAFF_PHONE, STAFF_PASSWORD, code).status_code == 401


@pytest.mark.parametrize("phone", [STAFF_PHONE, "13800138009"])
def test_lockout_after_repeated_failures(make_app, phone):
    app = make_app(LOGIN_FAILURES_BEFORE_LOCK=3, SMS_RESEND_SECONDS=0)
    client = app.test_client()
    create_staff(app, STAFF_PHONE)
    for _ in range(3):
        assert password_sms(client, phone, "wrong password 99", "123456").status_code == 401
    assert ask_code(client, phone).status_code == 202
    code = read_code(app, phone) if phone == STAFF_PHONE else "123456"
    locked = password_sms(client, phone, STAFF_PASSWORD, code)  # right, for the staff phone, yet refused
    assert locked.status_code == 429 and locked.get_json()["code"] == "rate_limited"
    assert 0 < int(locked.headers["Retry-After"]) <= app.config["LOGIN_LOCK_SECONDS"]
    # Citizens' lock is a different one: the same phone may still try as a citizen.
    citizen = client.post("/api/v1/auth/tokens", json={
        "grant_type": "password", "phone": phone, "password": "wrong password 99", "client": "app"})
    assert citizen.status_code == 401


def test_staff_tokens_are_refused_by_citizen_routes(app, client):
    create_staff(app, STAFF_PHONE)
    staff = sign_in_staff(app, client)
    # Accepted where it belongs first: a token verified once is still held to each audience.
    assert staff.get("/api/v1/admin/me").status_code == 200
    refused = staff.get("/api/v1/me")
    assert refused.status_code == 401 and refused.get_json()["code"] == "invalid_token"
    assert staff.post("/api/v1/auth/logout").status_code == 401


def test_citizen_tokens_are_refused_by_admin_routes(app, client, sign_in):
    citizen = sign_in("13800138001")
    # Accepted where it belongs first: a token verified once is still held to each audience.
    assert citizen.get("/api/v1/me").status_code == 200
    for path in ("/api/v1/admin/me", "/api/v1/admin/audit/verify"):
        refused = citizen.get(path)
        assert refused.status_code == 401 and refused.get_json()["code"] == "invalid_token"
    assert citizen.post("/api/v1/admin/auth/logout").status_code == 401
    # A citizen's refresh token is refused here, and not spent: it still works where it belongs.
    token = citizen.tokens["refresh_token"]
    here = client.post("/api/v1/admin/auth/refresh", json={"refresh_token": token})
    assert here.status_code == 401 and here.get_json()["code"] == "invalid_refresh_token"
    home = client.post("/api/v1/auth/tokens", json={"grant_type": "refresh_token", "refresh_token": token})
    assert home.status_code == 200


def test_no_token_is_401(client):
    for path in ("/api/v1/admin/me", "/api/v1/admin/audit/verify"):
        answer = client.get(path)
        assert answer.status_code == 401 and answer.get_json()["code"] == "missing_token"


def test_audit_verify_is_for_auditors_only(app, client):
    create_staff(app, STAFF_PHONE, "operator")
    auditor_account = create_staff(app, "13900139002", "auditor")
    operator = sign_in_staff(app, client, STAFF_PHONE)
    auditor = sign_in_staff(app, client, "13900139002")

    refused = operator.get("/api/v1/admin/audit/verify")
    assert refused.status_code == 403 and refused.get_json()["code"] == "staff_role_required"
    assert refused.get_json()["details"] == {"roles": ["auditor"]}

    report = auditor.get("/api/v1/admin/audit/verify")
    assert report.status_code == 200
    body = report.get_json()
    assert body["ok"] is True and body["events"] >= 4 and body["problem"] is None
    [event] = audit_events(app, "audit.chain_verified")
    assert event.actor == f"staff:{auditor_account['id']}" and json.loads(event.details)["ok"] is True
    # the verification's own event keeps the chain whole
    assert auditor.get("/api/v1/admin/audit/verify").get_json()["events"] == body["events"] + 1


def test_deactivation_takes_effect_on_the_next_request(app, client):
    created = create_staff(app, STAFF_PHONE, "auditor")
    staff = sign_in_staff(app, client)
    assert staff.get("/api/v1/admin/audit/verify").status_code == 200
    assert run(app, "deactivate", "--id", created["id"]).exit_code == 0

    after = staff.get("/api/v1/admin/me")
    assert after.status_code == 401 and after.get_json()["code"] == "session_ended"
    refresh = client.post("/api/v1/admin/auth/refresh", json={"refresh_token": staff.tokens["refresh_token"]})
    assert refresh.status_code == 401
    ask_code(client, STAFF_PHONE)
    again = password_sms(client, STAFF_PHONE, STAFF_PASSWORD, "123456")
    assert again.status_code == 401 and again.get_json()["code"] == "invalid_credentials"
    assert len(sms_messages(app, STAFF_PHONE)) == 1  # a deactivated account is not texted


def test_role_change_ends_sessions(app, client):
    created = create_staff(app, STAFF_PHONE, "operator")
    staff = sign_in_staff(app, client)
    assert staff.get("/api/v1/admin/audit/verify").status_code == 403
    assert run(app, "set-role", "--id", created["id"], "--role", "auditor").exit_code == 0
    assert staff.get("/api/v1/admin/me").status_code == 401
    again = sign_in_staff(app, client)
    assert again.get("/api/v1/admin/audit/verify").status_code == 200
    assert again.get("/api/v1/admin/me").get_json()["role"] == "auditor"


def test_token_request_needs_all_three_fields(client):
    answer = client.post("/api/v1/admin/auth/tokens", json={"phone": STAFF_PHONE})
    assert answer.status_code == 422
    assert set(answer.get_json()["details"]["fields"]) == {"password", "code"}
    citizen_grant = client.post("/api/v1/admin/auth/tokens", json={"grant_type": "sms_code", "phone": STAFF_PHONE})
    assert citizen_grant.status_code == 422


def test_routes_require_only_known_staff_roles(app):
    """A typo in ``roles=(...)`` would lock everyone out silently; the vocabulary is STAFF_ROLES."""
    required = set()
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        for method in (rule.methods - {"HEAD", "OPTIONS"}) if view_class else ():
            auth = getattr(getattr(view_class, method.lower()), AUTH_ATTR, None)
            if isinstance(auth, tuple) and auth[0] == "staff":
                required.update(auth[1].get("roles", ()))
    assert "auditor" in required
    assert required <= set(STAFF_ROLES)


def test_staff_routes_are_documented_with_their_security(app):
    paths = app.extensions["nht.api"].spec.to_dict()["paths"]
    verify = paths["/api/v1/admin/audit/verify"]["get"]
    assert verify["security"] == [{"staff": []}] and {"401", "403"} <= set(map(str, verify["responses"]))
    assert paths["/api/v1/admin/auth/tokens"]["post"]["security"] == []
    assert paths["/api/v1/admin/me"]["get"]["security"] == [{"staff": []}]
