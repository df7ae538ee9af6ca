"""Citizens as the app signs them in (SMS code over the API), the six demo people, and a
few shortcuts through the ORM where the API has no way (raising a test account's
assurance level: the sandbox IDV knows only the six demo citizens; accounts and sessions
to act on)."""

from __future__ import annotations

import itertools
import re
import time

import jwt
import requests

from integrations.sandbox.demo_data import CITIZENS
from nanhaitong import db
from nanhaitong.identity import codes, sessions
from nanhaitong.identity.models import User

CHEN, LIANG, HUANG, LI, HE, OU = CITIZENS  # see integrations/sandbox/demo_data.py
STRANGER_PHONE = "13900139000"  # signs in, never verifies


def read_code(app, phone: str) -> str:
    """The newest code the sandbox SMS gateway delivered to ``phone`` (over HTTP). A staff
    code is texted once the answer has been sent, so a browser may ask before it arrives:
    the first one is waited for, a few seconds at most."""
    deadline = time.monotonic() + 5
    while True:
        answer = requests.get(f"{app.config['SANDBOX_URL']}/sms/messages", params={"phone": phone}, timeout=5)
        answer.raise_for_status()
        messages = answer.json()["messages"]
        if messages or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert messages, f"no SMS for {phone}"
    return re.search(r"\d{6}", messages[0]["text"]).group(0)


class Citizen:
    def __init__(self, client, app, phone: str, tokens: dict):
        self.client, self.app, self.phone, self.tokens = client, app, phone, tokens

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    def get(self, path, **kw):
        return self.client.get(path, headers=self.headers, **kw)

    def post(self, path, **kw):
        return self.client.post(path, headers=self.headers, **kw)

    def put(self, path, **kw):
        return self.client.put(path, headers=self.headers, **kw)

    def delete(self, path, **kw):
        return self.client.delete(path, headers=self.headers, **kw)


def request_code(client, phone: str, purpose: str = "login"):
    return client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": purpose})


def sign_in_with(app, client):
    """Sign a phone in by SMS code; returns a Citizen carrying its token pair."""

    def _sign_in(phone: str = "13800138001", client_kind: str = "app") -> Citizen:
        assert request_code(client, phone).status_code == 202
        answer = client.post("/api/v1/auth/tokens", json={
            "grant_type": "sms_code", "phone": phone, "code": read_code(app, phone), "client": client_kind})
        assert answer.status_code == 200, answer.get_json()
        return Citizen(client, app, phone, answer.get_json())

    return _sign_in


def verified(sign_in, person):
    """Sign a demo citizen in and verify their real name (assurance level 2)."""
    citizen = sign_in(person.phone)
    answer = citizen.post("/api/v1/me/real-name-verification", json={"name": person.name, "id_number": person.id_number})
    assert answer.status_code == 200 and answer.get_json()["assurance_level"] == 2, answer.get_json()
    return citizen


def user_id(citizen) -> str:
    return citizen.get("/api/v1/me").get_json()["id"]


_phones = itertools.count(1)


def fresh_phone() -> str:
    """A phone no demo citizen has (137 prefix), different on every call."""
    return f"137{next(_phones):08d}"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def claims(access_token: str) -> dict:
    return jwt.decode(access_token, options={"verify_signature": False})


def acting(citizen: Citizen, pair: dict) -> Citizen:
    return Citizen(citizen.client, citizen.app, citizen.phone, pair)


def refresh(client, refresh_token: str):
    return client.post("/api/v1/auth/tokens", json={"grant_type": "refresh_token", "refresh_token": refresh_token})


def set_level(app, user_id_: str, level: int) -> None:
    """Raise a test account's assurance level (the sandbox IDV knows only the six demo citizens)."""
    with app.app_context():
        db.session().get(User, user_id_).assurance_level = level
        db.session().commit()


def citizen_at(sign_in, level: int = 1, phone: str | None = None) -> tuple[Citizen, str]:
    """A signed-in non-demo citizen at ``level``; returns it and its user id."""
    citizen = sign_in(phone or fresh_phone())
    ident = user_id(citizen)
    if level > 1:
        set_level(citizen.app, ident, level)
    return citizen, ident


def account(app, level: int = 1) -> tuple[str, str]:
    """A registered citizen account that never signs in: (user id, phone)."""
    phone = fresh_phone()
    with app.app_context():
        user = User(phone=phone, phone_index=codes.phone_index(phone), assurance_level=level)
        db.session().add(user)
        db.session().commit()
        return user.id, phone


def open_session(app, user_id_: str) -> str:
    """Another signed-in device of the citizen (a session), straight in the database."""
    with app.test_request_context():
        auth_session = sessions.open_session(account_kind="citizen", account_id=user_id_, audience="app")
        db.session().commit()
        return auth_session.id
