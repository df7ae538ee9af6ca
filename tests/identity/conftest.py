"""Helpers that sign citizens in through the API, as the app does."""

from __future__ import annotations

import re

import pytest
import requests


def read_code(app, phone: str) -> str:
    """The newest code the sandbox SMS gateway delivered to ``phone`` (over HTTP)."""
    answer = requests.get(f"{app.config['SANDBOX_URL']}/sms/messages", params={"phone": phone}, timeout=5)
    answer.raise_for_status()
    messages = answer.json()["messages"]
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


@pytest.fixture
def sign_in(app, client):
    return sign_in_with(app, client)


ERROR_KEYS = {"code", "message", "details", "request_id"}


def assert_error(response, status: int, code: str | set | tuple | None = None) -> dict:
    """Assert the one error shape with ``status`` and (one of) ``code``; returns the body."""
    body = response.get_json()
    assert response.status_code == status, (response.status_code, body)
    assert isinstance(body, dict) and set(body) == ERROR_KEYS, body
    assert isinstance(body["details"], dict) and isinstance(body["message"], str) and body["request_id"]
    if code is not None:
        codes = {code} if isinstance(code, str) else set(code)
        assert body["code"] in codes, body
    if status == 401:
        assert response.headers.get("WWW-Authenticate", "").startswith("Bearer"), dict(response.headers)
    if status == 429:
        retry_after = response.headers.get("Retry-After")
        assert retry_after and retry_after.isdigit() and int(retry_after) >= 1, dict(response.headers)
    return body
