"""Helpers for the privacy tests (issue 23): an operator publishing terms, sign-up with
agreement, and citizens signed in as the app or the mini-program does."""

from __future__ import annotations

import pytest

from tests.support.citizens import Citizen, read_code, request_code
from tests.support.settings import APP_SETTINGS
from tests.support.staff import create_staff, sign_in_staff

OPERATOR_PHONE = "13900139021"
DOCS = "/api/v1/legal-documents"
ADMIN_DOCS = "/api/v1/admin/legal-documents"

TERMS_TEXT = "南海通用户服务协议\n一、总则\n欢迎您使用南海通。请您仔细阅读本协议……"
PRIVACY_TEXT = "南海通隐私政策\n一、我们如何收集和使用您的个人信息\n我们仅在实现服务所必需的范围内收集……"


@pytest.fixture
def app(make_app):
    return make_app(**APP_SETTINGS)


@pytest.fixture
def operator(app, client):
    create_staff(app, OPERATOR_PHONE, "operator")
    return sign_in_staff(app, client, OPERATOR_PHONE)


def publish(operator, kind: str = "terms", body: str | None = None, **extra) -> dict:
    answer = operator.post(ADMIN_DOCS, json={"kind": kind, "body": body or (
        TERMS_TEXT if kind == "terms" else PRIVACY_TEXT), **extra})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def current_agreements(client) -> list[dict]:
    return [{"kind": d["kind"], "version": d["version"]} for d in client.get(DOCS).get_json()["items"]]


def token_request(app, client, phone: str, client_kind: str = "app", agreements=None, user_agent="NanhaiTong/5.2"):
    assert request_code(client, phone).status_code == 202
    body = {"grant_type": "sms_code", "phone": phone, "code": read_code(app, phone), "client": client_kind}
    if agreements is not None:
        body["agreements"] = agreements
    return client.post("/api/v1/auth/tokens", json=body, headers={"User-Agent": user_agent})


def sign_up(app, client, phone: str, client_kind: str = "app") -> Citizen:
    """Sign in agreeing to whatever is current (a new account needs it)."""
    answer = token_request(app, client, phone, client_kind, agreements=current_agreements(client))
    assert answer.status_code == 200, answer.get_json()
    return Citizen(client, app, phone, answer.get_json())
