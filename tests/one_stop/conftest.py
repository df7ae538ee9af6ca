"""Helpers for the one-stop tests (issue 27): an operator signed in through the staff API,
matters made through it, citizens at an assurance level, and a few database shortcuts for
what no API can do (moving an appointment or a case into the past, running a job now)."""

from __future__ import annotations

import itertools

import pytest

from tests.authorizations.helpers import APP_SETTINGS, citizen_at
from tests.identity.test_staff_auth import sign_in_staff
from tests.identity.test_staff_cli import create_staff

PUBLIC = "/api/v1/one-stop"
ADMIN = "/api/v1/admin/one-stop"
OPERATOR_PHONE = "13900139021"
ALL_CENTRES = ["guicheng", "jiujiang", "xiqiao", "danzao", "shishan", "dali", "lishui"]

_codes = itertools.count(1)


@pytest.fixture
def app(make_app):
    return make_app(**APP_SETTINGS)


@pytest.fixture
def operator(app, client):
    create_staff(app, OPERATOR_PHONE, "operator")
    return sign_in_staff(app, client, OPERATOR_PHONE)


@pytest.fixture
def citizen(sign_in):
    person, _ = citizen_at(sign_in, level=2)
    return person


def matter_body(name="居民身份证换领", code=None, **extra) -> dict:
    return {"code": code or f"T-{next(_codes):04d}", "name": name, "department": "佛山市公安局南海分局",
            "audience": "citizen", "centres": ["guicheng", "shishan"],
            "materials": [{"name": "居民户口簿", "copies": 0, "note": "原件核验"}],
            "legal_days": 20, "promised_days": 5, "fee_fen": 2000, "fee_note": "工本费20元", "online": True,
            "by_post": True, "visits": 1, "slot_capacity": 2, **extra}


def add_matter(operator, **kw) -> dict:
    answer = operator.post(f"{ADMIN}/matters", json=matter_body(**kw))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()
