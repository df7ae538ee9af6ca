"""Helpers for the one-stop tests (issue 27): an operator signed in through the staff API,
matters made through it, citizens at an assurance level, and a few database shortcuts for
what no API can do (moving an appointment or a case into the past, running a job now)."""

from __future__ import annotations

import itertools

import pytest

from tests.support.citizens import citizen_at
from tests.support.settings import APP_SETTINGS
from tests.support.staff import create_staff, sign_in_staff

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


def run_in_app(app, func, *args, **kwargs):
    """Run a service function (a job) in a request context of the app, as a worker would."""
    with app.test_request_context():
        return func(*args, **kwargs)


def shift_appointment(app, appointment_id: str, day: str) -> None:
    """Move an appointment (and its slot) to another day: no API books the past or today."""
    from nanhaitong import db
    from nanhaitong.one_stop.models import Appointment, Slot

    with app.app_context():
        appointment = db.session().get(Appointment, appointment_id)
        appointment.day = day
        db.session().get(Slot, appointment.slot_id).day = day
        db.session().commit()


def first_slot(client, centre: str, matter_id: str, *, skip: int = 0) -> dict:
    answer = client.get(f"{PUBLIC}/slots", query_string={"centre": centre, "matter_id": matter_id, "days": 3})
    assert answer.status_code == 200, answer.get_json()
    free = [s for s in answer.get_json()["items"] if s["available"] > 0]
    return free[skip]


def book(person, matter_id: str, slot: dict, centre: str = "guicheng"):
    return person.post(f"{PUBLIC}/appointments", json={"centre": centre, "matter_id": matter_id,
                                                       "day": slot["day"], "start": slot["start"]})
