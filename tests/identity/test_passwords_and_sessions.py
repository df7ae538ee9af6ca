"""Passwords (set by step-up, login, no enumeration, lockout) and sessions (list, end, password
change ends the others), and moving an account to a new phone."""

from __future__ import annotations

import jwt
import pytest
from sqlalchemy import text

from nanhaitong import db
from tests.support.citizens import Citizen, read_code, request_code
from tests.support.errors import assert_error

TOKENS = "/api/v1/auth/tokens"
PASSWORD = "Harbour2024x"


def strip(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "request_id"}


def password_login(client, phone: str, password: str, **kw):
    return client.post(TOKENS, json={"grant_type": "password", "phone": phone, "password": password,
                                     "client": "app"}, **kw)


def refresh(client, citizen: Citizen):
    return client.post(TOKENS, json={"grant_type": "refresh_token", "refresh_token": citizen.tokens["refresh_token"]})


def step_up_code(app, client, phone: str) -> str:
    assert request_code(client, phone, "step_up").status_code == 202
    return read_code(app, phone)


def set_password(app, citizen: Citizen, password: str = PASSWORD) -> None:
    code = step_up_code(app, citizen.client, citizen.phone)
    answer = citizen.put("/api/v1/me/password", json={"new_password": password, "step_up_code": code})
    assert answer.status_code == 204, answer.get_json()


def sid(citizen: Citizen) -> str:
    return jwt.decode(citizen.tokens["access_token"], options={"verify_signature": False})["sid"]


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    """Argon2id at test cost (the "cheap" profile): the same code paths, without 19 MiB per hash."""
    monkeypatch.setenv("NHT_PASSWORD_HASH_PROFILE", "cheap")


@pytest.fixture
def two_devices(app, sign_in):
    """One account signed in on two devices."""
    app.config["SMS_RESEND_SECONDS"] = 0
    return sign_in("13800138001"), sign_in("13800138001")


# -- passwords -------------------------------------------------------------------------

def test_set_password_with_step_up_then_log_in_with_it(app, client, sign_in):
    citizen = sign_in("13800138001")
    assert citizen.get("/api/v1/me").get_json()["has_password"] is False
    assert_error(password_login(client, "13800138001", PASSWORD), 401, "invalid_credentials")
    set_password(app, citizen)
    assert citizen.get("/api/v1/me").get_json()["has_password"] is True
    answer = password_login(client, "+86 138 0013 8001", PASSWORD)
    assert answer.status_code == 200, answer.get_json()
    by_password = Citizen(client, app, "13800138001", answer.get_json())
    assert by_password.get("/api/v1/me").get_json()["id"] == citizen.get("/api/v1/me").get_json()["id"]
    with app.app_context():
        [(stored,)] = db.session().execute(text("SELECT password_hash FROM users")).all()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_password_change_needs_proof_and_a_good_password(app, client, sign_in):
    citizen = sign_in("13800138001")
    assert_error(citizen.put("/api/v1/me/password", json={"new_password": PASSWORD}), 401, "reauthentication_required")
    for weak in ("short1", "allletters", "1234567890", "a1" * 40, ""):
        body = assert_error(citizen.put("/api/v1/me/password", json={"new_password": weak, "step_up_code": "123456"}),
                            422, "validation_failed")
        assert "new_password" in body["details"]["fields"], (weak, body)
    assert_error(citizen.put("/api/v1/me/password", json={"new_password": PASSWORD, "step_up_code": "123456"}),
                 401, "invalid_code")  # no step_up code was ever sent
    set_password(app, citizen)
    # with a password set, the current one proves it is you; a wrong one does not
    assert_error(citizen.put("/api/v1/me/password", json={"new_password": "Other2024yy",
                                                          "current_password": "Wrong2024zz"}), 401, "invalid_credentials")
    assert citizen.put("/api/v1/me/password", json={"new_password": "Other2024yy",
                                                    "current_password": PASSWORD}).status_code == 204
    assert_error(password_login(client, "13800138001", PASSWORD), 401, "invalid_credentials")
    assert password_login(client, "13800138001", "Other2024yy").status_code == 200


def test_wrong_password_and_unknown_phone_answer_alike(app, client, sign_in):
    set_password(app, sign_in("13800138001"))
    sign_in("13800138002")  # an account with no password
    wrong = password_login(client, "13800138001", "Wrong2024zz")
    unknown = password_login(client, "13900139999", "Wrong2024zz")
    no_password = password_login(client, "13800138002", "Wrong2024zz")
    for answer in (wrong, unknown, no_password):
        assert_error(answer, 401, "invalid_credentials")
    assert strip(wrong.get_json()) == strip(unknown.get_json()) == strip(no_password.get_json())
    assert set(wrong.headers.keys()) == set(unknown.headers.keys())


def test_lockout_after_failures_known_and_unknown_phone(make_app):
    from tests.support.citizens import Citizen as _Citizen

    app = make_app(LOGIN_FAILURES_BEFORE_LOCK=3)
    client = app.test_client()
    request_code(client, "13800138001")
    pair = client.post(TOKENS, json={"grant_type": "sms_code", "phone": "13800138001",
                                     "code": read_code(app, "13800138001"), "client": "app"}).get_json()
    set_password(app, _Citizen(client, app, "13800138001", pair))

    locked = {}
    for phone in ("13800138001", "13900139999"):
        for _ in range(3):
            assert_error(password_login(client, phone, "Wrong2024zz"), 401, "invalid_credentials")
        # locked now: even the right password is refused, with Retry-After
        answer = password_login(client, phone, PASSWORD)
        body = assert_error(answer, 429, "rate_limited")
        assert 1 <= body["details"]["retry_after"] <= app.config["LOGIN_LOCK_SECONDS"]
        assert 1 <= int(answer.headers["Retry-After"]) <= app.config["LOGIN_LOCK_SECONDS"]
        locked[phone] = strip(body)
    assert locked["13800138001"] == locked["13900139999"]  # the lock does not tell either

    # the lock covers changing the password with the current one, not other phones or SMS sign-in
    citizen = _Citizen(client, app, "13800138001", pair)
    assert_error(citizen.put("/api/v1/me/password", json={"new_password": "Other2024yy", "current_password": PASSWORD}),
                 429, "rate_limited")
    assert_error(password_login(client, "13800138002", "Wrong2024zz"), 401, "invalid_credentials")
    app.config["SMS_RESEND_SECONDS"] = 0
    request_code(client, "13800138001")
    assert client.post(TOKENS, json={"grant_type": "sms_code", "phone": "13800138001",
                                     "code": read_code(app, "13800138001"), "client": "app"}).status_code == 200


def test_failures_below_the_limit_do_not_lock(make_app):
    app = make_app(LOGIN_FAILURES_BEFORE_LOCK=3)
    client = app.test_client()
    request_code(client, "13800138001")
    pair = client.post(TOKENS, json={"grant_type": "sms_code", "phone": "13800138001",
                                     "code": read_code(app, "13800138001"), "client": "app"}).get_json()
    set_password(app, Citizen(client, app, "13800138001", pair))
    for _ in range(2):
        assert_error(password_login(client, "13800138001", "Wrong2024zz"), 401, "invalid_credentials")
    assert password_login(client, "13800138001", PASSWORD).status_code == 200


def test_password_change_ends_other_sessions_keeps_this_one(app, client, two_devices):
    this, other = two_devices
    assert other.get("/api/v1/me").status_code == 200
    set_password(app, this)
    assert_error(other.get("/api/v1/me"), 401, "session_ended")
    assert_error(refresh(client, other), 401, "invalid_refresh_token")
    assert this.get("/api/v1/me").status_code == 200
    assert refresh(client, this).status_code == 200
    sessions = this.get("/api/v1/me/sessions").get_json()["sessions"]
    assert [s["id"] for s in sessions] == [sid(this)]


def test_token_and_account_responses_are_not_cacheable(sign_in, client):
    # RFC 6749 section 5.1: token responses MUST carry Cache-Control: no-store (missing at 0671380).
    citizen = sign_in("13800138001")
    answer = refresh(client, citizen)
    assert answer.status_code == 200
    assert "no-store" in answer.headers.get("Cache-Control", ""), dict(answer.headers)
    for path in ("/api/v1/me", "/api/v1/me/sessions"):
        assert "no-store" in citizen.get(path).headers.get("Cache-Control", ""), path


# -- sessions --------------------------------------------------------------------------

def test_sessions_list_marks_the_current_one(two_devices):
    first, second = two_devices
    for me in (first, second):
        sessions = me.get("/api/v1/me/sessions").get_json()["sessions"]
        assert {s["id"] for s in sessions} == {sid(first), sid(second)}
        current = [s for s in sessions if s["current"]]
        assert [s["id"] for s in current] == [sid(me)]
        for s in sessions:
            assert set(s) == {"id", "client", "enterprise_id", "created_at", "last_seen_at", "expires_at",
                              "user_agent", "current"}
            assert s["client"] == "app" and s["enterprise_id"] is None
            assert all(s[k].endswith("Z") for k in ("created_at", "last_seen_at", "expires_at"))


def test_end_another_session(client, two_devices):
    first, second = two_devices
    assert first.delete(f"/api/v1/me/sessions/{sid(second)}").status_code == 204
    assert_error(second.get("/api/v1/me"), 401, "session_ended")
    assert_error(refresh(client, second), 401, "invalid_refresh_token")
    assert [s["id"] for s in first.get("/api/v1/me/sessions").get_json()["sessions"]] == [sid(first)]
    assert_error(first.delete(f"/api/v1/me/sessions/{sid(second)}"), 404, "session_not_found")  # already ended


def test_end_own_current_session(sign_in):
    citizen = sign_in("13800138001")
    assert citizen.delete(f"/api/v1/me/sessions/{sid(citizen)}").status_code == 204
    assert_error(citizen.get("/api/v1/me"), 401, "session_ended")


def test_session_of_another_user_is_not_found(sign_in):
    mine, theirs = sign_in("13800138001"), sign_in("13800138002")
    missing = mine.delete("/api/v1/me/sessions/01HZZZZZZZZZZZZZZZZZZZZZZZ")
    foreign = mine.delete(f"/api/v1/me/sessions/{sid(theirs)}")
    assert_error(missing, 404, "session_not_found")
    assert_error(foreign, 404, "session_not_found")
    assert strip(missing.get_json()) == strip(foreign.get_json())  # does not tell it exists
    assert theirs.get("/api/v1/me").status_code == 200
    for odd in ("x" * 300, "..%2F..%2Fetc", "' OR 1=1 --", "%E9%99%88", "%20"):
        assert_error(mine.delete(f"/api/v1/me/sessions/{odd}"), 404, ("session_not_found", "not_found"))


def test_nul_byte_in_a_path_id_is_404(sign_in):
    mine = sign_in("13800138001")
    for odd in ("%00", "a%00b"):
        assert_error(mine.delete(f"/api/v1/me/sessions/{odd}"), 404, ("session_not_found", "not_found"))


def test_sessions_need_a_token(client):
    assert_error(client.get("/api/v1/me/sessions"), 401, "missing_token")
    assert_error(client.delete("/api/v1/me/sessions/01HZZZZZZZZZZZZZZZZZZZZZZZ"), 401, "missing_token")


# -- phone change ----------------------------------------------------------------------

def _change_phone_codes(app, client, old_phone: str, new_phone: str) -> tuple[str, str]:
    step_up = step_up_code(app, client, old_phone)
    assert request_code(client, new_phone, "change_phone").status_code == 202
    return step_up, read_code(app, new_phone)


def test_phone_change_with_codes_from_both_phones(app, client, sign_in):
    citizen = sign_in("13800138001")
    account = citizen.get("/api/v1/me").get_json()["id"]
    step_up, new_code = _change_phone_codes(app, client, "13800138001", "13800138011")
    answer = citizen.put("/api/v1/me/phone", json={"new_phone": "13800138011", "new_phone_code": new_code,
                                                   "step_up_code": step_up})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["phone"] == "138****8011" and answer.get_json()["id"] == account
    assert citizen.get("/api/v1/me").status_code == 200  # this session goes on
    # the new phone signs in to the same account; the old one is a stranger now
    app.config["SMS_RESEND_SECONDS"] = 0
    assert sign_in("13800138011").get("/api/v1/me").get_json()["id"] == account
    assert sign_in("13800138001").get("/api/v1/me").get_json()["id"] != account


def test_phone_change_needs_the_right_codes(app, client, sign_in):
    citizen = sign_in("13800138001")
    step_up, new_code = _change_phone_codes(app, client, "13800138001", "13800138011")
    body = {"new_phone": "13800138011", "new_phone_code": new_code, "step_up_code": step_up}
    for bad in ({"step_up_code": new_code}, {"new_phone_code": step_up}, {"step_up_code": "000000"},
                {"new_phone_code": "000000"}):
        if bad.get("step_up_code") == step_up or bad.get("new_phone_code") == new_code:
            continue  # the two codes happen to be equal
        assert_error(citizen.put("/api/v1/me/phone", json={**body, **bad}), 401, "invalid_code")
    assert citizen.get("/api/v1/me").get_json()["phone"] == "138****8001"
    # a login code sent to the new phone is not a change_phone code
    app.config["SMS_RESEND_SECONDS"] = 0
    request_code(client, "13800138011", "login")
    step_up = step_up_code(app, client, "13800138001")
    assert_error(citizen.put("/api/v1/me/phone", json={"new_phone": "13800138011", "step_up_code": step_up,
                                                       "new_phone_code": read_code(app, "13800138011")}),
                 401, "invalid_code")
    missing = assert_error(citizen.put("/api/v1/me/phone", json={"new_phone": "13800138011"}), 422, "validation_failed")
    assert {"new_phone_code", "step_up_code"} <= set(missing["details"]["fields"])
    bad_phone = assert_error(citizen.put("/api/v1/me/phone", json={**body, "new_phone": "12345"}),
                             422, "validation_failed")
    assert "new_phone" in bad_phone["details"]["fields"]


def test_phone_of_another_account_is_409(app, client, sign_in):
    app.config["SMS_RESEND_SECONDS"] = 0
    other = sign_in("13800138002")
    citizen = sign_in("13800138001")
    step_up, new_code = _change_phone_codes(app, client, "13800138001", "13800138002")
    answer = citizen.put("/api/v1/me/phone", json={"new_phone": "13800138002", "new_phone_code": new_code,
                                                   "step_up_code": step_up})
    assert_error(answer, 409, "phone_taken")
    assert citizen.get("/api/v1/me").get_json()["phone"] == "138****8001"
    assert other.get("/api/v1/me").get_json()["phone"] == "138****8002"
