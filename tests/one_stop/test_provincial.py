"""A provincial application (粤省事) that gov_services tracks, followed as a case: its status
follows the province's callbacks; the person rates it once it is closed."""

from __future__ import annotations

import pytest

from tests.support.citizens import CHEN, HE, verified
from tests.support.errors import assert_error
from tests.support.gov_services import GOV_SETTINGS, SAMPLES, advance, apply, load_catalogue

from .conftest import ADMIN, PUBLIC

CODE = "yss.residence_permit.application"


@pytest.fixture
def app(make_app):
    app = make_app(**GOV_SETTINGS)
    load_catalogue(app)
    return app


def test_a_provincial_application_is_followed_as_a_case(app, sign_in, operator):
    chen = verified(sign_in, CHEN)
    created = apply(chen, CODE, SAMPLES[CODE]).get_json()
    answer = chen.post(f"{PUBLIC}/cases/provincial", json={"application_id": created["id"]})
    assert answer.status_code == 201, answer.get_json()
    case = answer.get_json()
    assert (case["channel"], case["status"], case["gov_application_id"]) == ("provincial", "submitted", created["id"])
    assert case["matter_name"] == created["service_name"]
    assert_error(chen.post(f"{PUBLIC}/cases/provincial", json={"application_id": created["id"]}), 409, "case_exists")
    assert_error(verified(sign_in, HE).post(f"{PUBLIC}/cases/provincial", json={"application_id": created["id"]}),
                 404, "application_not_found")

    assert advance(app, created["upstream_reference"], "accepted")["callback_status"] == 200
    assert chen.get(f"{PUBLIC}/cases/{case['id']}").get_json()["status"] == "accepted"
    assert_error(chen.post(f"{PUBLIC}/cases/{case['id']}/evaluation", json={"level": 5}), 409, "case_not_closed")
    assert_error(operator.post(f"{ADMIN}/cases/{case['id']}/status", json={"status": "completed"}), 409,
                 "provincial_case")
    assert advance(app, created["upstream_reference"], "approved")["callback_status"] == 200
    done = chen.get(f"{PUBLIC}/cases/{case['id']}").get_json()
    assert done["status"] == "completed" and done["closed_at"]
    assert [e["status"] for e in done["history"]] == ["submitted", "accepted", "completed"]
    assert chen.post(f"{PUBLIC}/cases/{case['id']}/evaluation", json={"level": 4}).status_code == 201
