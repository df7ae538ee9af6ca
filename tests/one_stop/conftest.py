"""Helpers for the one-stop tests (issue 27): an operator signed in through the staff API,
matters made through it, citizens at an assurance level, and a few database shortcuts for
what no API can do (moving an appointment or a case into the past, running a job now)."""

from __future__ import annotations

import pytest

from tests.support.citizens import citizen_at
from tests.support.one_stop import matter_body
from tests.support.settings import APP_SETTINGS
from tests.support.staff import create_staff, sign_in_staff

PUBLIC = "/api/v1/one-stop"
ADMIN = "/api/v1/admin/one-stop"
OPERATOR_PHONE = "13900139021"
ALL_CENTRES = ["guicheng", "jiujiang", "xiqiao", "danzao", "shishan", "dali", "lishui"]


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


def add_matter(operator, **kw) -> dict:
    answer = operator.post(f"{ADMIN}/matters", json=matter_body(**kw))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def run_in_app(app, func, *args, **kwargs):
    """Run a service function (a job) in a request context of the app, as a worker would."""
    with app.test_request_context():
        return func(*args, **kwargs)


def first_slot(client, centre: str, matter_id: str, *, skip: int = 0) -> dict:
    answer = client.get(f"{PUBLIC}/slots", query_string={"centre": centre, "matter_id": matter_id, "days": 3})
    assert answer.status_code == 200, answer.get_json()
    free = [s for s in answer.get_json()["items"] if s["available"] > 0]
    return free[skip]


def book(person, matter_id: str, slot: dict, centre: str = "guicheng"):
    return person.post(f"{PUBLIC}/appointments", json={"centre": centre, "matter_id": matter_id,
                                                       "day": slot["day"], "start": slot["start"]})
