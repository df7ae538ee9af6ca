"""Finding 4: five wrong passwords with any code locked a staff phone for everyone, for as
long as someone kept trying, and staff had no way back in. Now failures slow down the
address that makes them (and, more gently, the phone from anywhere), and the staff member
lifts the waits with an SMS code."""

from __future__ import annotations

import re
import time

import pytest
import requests

from tests.support.staff import create_staff

STAFF_PHONE, PASSWORD = "13900139001", "Staff-password-2026"


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    """Argon2id at test cost (the "cheap" profile): the same code paths, without 19 MiB per hash."""
    monkeypatch.setenv("NHT_PASSWORD_HASH_PROFILE", "cheap")


@pytest.fixture
def app(make_app):
    # Behind one proxy: the client address is the X-Forwarded-For entry, so one test plays
    # attackers at many addresses and the staff member at another.
    made = make_app(PROXY_COUNT=1, SMS_RESEND_SECONDS=0, SMS_DAILY_PER_IP=100_000, SMS_DAILY_PER_PHONE=1000,
                    RATELIMIT_DEFAULT="100000 per minute")
    create_staff(made, STAFF_PHONE, "operator", PASSWORD)
    return made


def _post(live_server, path, address, body):
    return requests.post(f"{live_server.url}/api/v1/admin/auth/{path}", json=body, timeout=10,
                         headers={"X-Forwarded-For": address})


def _login(live_server, address, password, code="123456"):
    return _post(live_server, "tokens", address, {"phone": STAFF_PHONE, "password": password, "code": code})


def _texts(app) -> list[str]:
    answer = requests.get(f"{app.config['SANDBOX_URL']}/sms/messages", params={"phone": STAFF_PHONE}, timeout=5)
    return [m["text"] for m in answer.json()["messages"]]


def _code(app, live_server, address):
    """Ask for a code and read it: staff codes are texted after the answer (finding 11)."""
    before = len(_texts(app))
    assert _post(live_server, "sms-codes", address, {"phone": STAFF_PHONE}).status_code == 202
    for _ in range(200):
        texts = _texts(app)
        if len(texts) > before:
            return re.search(r"\d{6}", texts[0]).group(0)
        time.sleep(0.05)
    raise AssertionError("the staff code never arrived")


def test_an_attacker_cannot_lock_a_staff_member_out(app, live_server):
    attacker = "203.0.113.7"
    answers = [_login(live_server, attacker, "wrong password 99").status_code for _ in range(8)]
    free = app.config["LOGIN_FAILURES_BEFORE_LOCK"]
    assert answers[:free] == [401] * free and set(answers[free:]) == {429}, answers  # the attacker is slowed
    # The staff member, at their own address, signs in at once with password and code.
    own = _login(live_server, "198.51.100.20", PASSWORD, _code(app, live_server, "198.51.100.20"))
    assert own.status_code == 200, own.text


def test_a_distributed_attack_only_slows_the_phone_and_sms_lifts_it(app, live_server):
    free = app.config["LOGIN_FAILURES_BEFORE_LOCK"] * 4
    for i in range(free + 3):  # one wrong try from each of many addresses
        assert _login(live_server, f"203.0.113.{i + 1}", "wrong password 99").status_code in (401, 429)
    staff_address = "198.51.100.20"
    slowed = _login(live_server, staff_address, PASSWORD, _code(app, live_server, staff_address))
    assert slowed.status_code == 429, slowed.text
    assert 1 <= int(slowed.headers["Retry-After"]) <= 60  # a wait, not a lock
    # The way back in: an SMS code lifts the waits, then password and a new code sign in.
    lifted = _post(live_server, "unlock", staff_address, {"phone": STAFF_PHONE,
                                                          "code": _code(app, live_server, staff_address)})
    assert lifted.status_code == 204, lifted.text
    own = _login(live_server, staff_address, PASSWORD, _code(app, live_server, staff_address))
    assert own.status_code == 200, own.text


def test_unlock_needs_the_real_code(app, live_server):
    for _ in range(app.config["LOGIN_FAILURES_BEFORE_LOCK"] + 1):
        _login(live_server, "203.0.113.7", "wrong password 99")
    _code(app, live_server, "203.0.113.7")
    refused = _post(live_server, "unlock", "203.0.113.7", {"phone": STAFF_PHONE, "code": "000000"})
    assert refused.status_code == 401
    assert _login(live_server, "203.0.113.7", "wrong password 99").status_code == 429
