"""Stored password hashes made under other Argon2id parameters than the current profile's
are re-made at the next successful sign-in (issue 26), by citizens' password grant and by
staff's password + SMS code; a failed sign-in leaves the stored hash as it was.

Two apps on one database play the deployment before and after the profile changed."""

from __future__ import annotations

import argon2
from sqlalchemy import text

from nanhaitong import db
from tests.support.citizens import read_code, request_code, sign_in_with
from tests.support.errors import assert_error
from tests.support.staff import STAFF_PASSWORD, STAFF_PHONE, ask_code, create_staff, password_sms

PASSWORD = "Harbour2024x"
OWASP = (19 * 1024, 2, 1)
RFC_9106 = (65536, 3, 4)


def stored(app, table: str) -> str:
    with app.app_context():
        [(password_hash,)] = db.session().execute(text(f"SELECT password_hash FROM {table}")).all()  # noqa: S608
    return password_hash


def cost(password_hash: str) -> tuple[int, int, int]:
    parameters = argon2.extract_parameters(password_hash)
    return parameters.memory_cost, parameters.time_cost, parameters.parallelism


def password_login(client, password: str):
    return client.post("/api/v1/auth/tokens", json={"grant_type": "password", "phone": "13800138001",
                                                    "password": password, "client": "app"})


def test_a_citizen_hash_of_older_parameters_is_remade_at_the_next_sign_in(make_app):
    before = make_app(PASSWORD_HASH_PROFILE="rfc9106")
    citizen = sign_in_with(before, before.test_client())("13800138001")
    assert request_code(citizen.client, citizen.phone, "step_up").status_code == 202
    answer = citizen.put("/api/v1/me/password", json={"new_password": PASSWORD,
                                                      "step_up_code": read_code(before, citizen.phone)})
    assert answer.status_code == 204, answer.get_json()
    old = stored(before, "users")
    assert cost(old) == RFC_9106

    after = make_app(PASSWORD_HASH_PROFILE="owasp")  # the default profile (test apps' is "cheap")
    client = after.test_client()
    assert_error(password_login(client, "Wrong2024zz"), 401, "invalid_credentials")
    assert stored(after, "users") == old  # a wrong password upgrades nothing

    assert password_login(client, PASSWORD).status_code == 200
    new = stored(after, "users")
    assert new != old and cost(new) == OWASP
    assert argon2.PasswordHasher().verify(new, PASSWORD)  # argon2-cffi's own verifier
    assert password_login(client, PASSWORD).status_code == 200
    assert stored(after, "users") == new  # current parameters: not hashed again


def test_a_staff_hash_of_older_parameters_is_remade_at_the_next_sign_in(make_app):
    before = make_app(PASSWORD_HASH_PROFILE="cheap", SMS_RESEND_SECONDS=0)
    create_staff(before)
    old = stored(before, "staff_accounts")
    assert cost(old) == (1024, 1, 1)

    after = make_app(PASSWORD_HASH_PROFILE="owasp", SMS_RESEND_SECONDS=0)
    client = after.test_client()
    assert ask_code(client, STAFF_PHONE).status_code == 202
    assert_error(password_sms(client, STAFF_PHONE, "wrong horse 42 battery", read_code(after, STAFF_PHONE)),
                 401, "invalid_credentials")
    assert stored(after, "staff_accounts") == old
    # The right password with a wrong code is a failed sign-in too: nothing upgraded.
    assert ask_code(client, STAFF_PHONE).status_code == 202
    assert_error(password_sms(client, STAFF_PHONE, STAFF_PASSWORD, "000000"), 401, "invalid_credentials")
    assert stored(after, "staff_accounts") == old

    assert ask_code(client, STAFF_PHONE).status_code == 202
    answer = password_sms(client, STAFF_PHONE, STAFF_PASSWORD, read_code(after, STAFF_PHONE))
    assert answer.status_code == 200, answer.get_json()
    new = stored(after, "staff_accounts")
    assert cost(new) == OWASP and argon2.PasswordHasher().verify(new, STAFF_PASSWORD)
