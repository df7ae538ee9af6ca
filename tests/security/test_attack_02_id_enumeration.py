"""Finding 2: real-name verification told anyone whether an ID number had an account
(409 id_number_taken, before the name was checked and before the daily limit) and whether
an unused number was in the national register (422 name_mismatch vs not_found). Now a wrong
name answers the same for a free, a taken and an unknown number, every attempt counts
against the day's limit first, and the person whose number another account holds takes it
back with face verification (the other account is told and loses the verification)."""

from __future__ import annotations

import pytest
import requests

from integrations.sandbox.demo_data import CITIZENS
from schemas.identity_numbers import resident_id_check_char

CHEN, LIANG, HUANG = CITIZENS[0], CITIZENS[1], CITIZENS[2]
REAL_NAME = "/api/v1/me/real-name-verification"
UNKNOWN = "44068220000101123" + resident_id_check_char("44068220000101123")  # valid, nobody's


@pytest.fixture
def app(relaxed_app):
    return relaxed_app


class Http:
    """A signed-in citizen driving the live server over HTTP."""

    def __init__(self, live_server, citizen):
        self.base, self.headers = live_server.url, citizen.headers

    def post(self, path, body):
        return requests.post(f"{self.base}{path}", json=body, headers=self.headers, timeout=10)

    def get(self, path):
        return requests.get(f"{self.base}{path}", headers=self.headers, timeout=10)


def _shape(answer):
    body = answer.json()
    return answer.status_code, body["code"], body["message"], body["details"]


def test_a_wrong_name_answers_the_same_for_free_taken_and_unknown_numbers(app, live_server, sign_in):
    holder = Http(live_server, sign_in(CHEN.phone))
    assert holder.post(REAL_NAME, {"name": CHEN.name, "id_number": CHEN.id_number}).status_code == 200
    prober = Http(live_server, sign_in("13800138011"))
    wrong = LIANG.name
    taken = prober.post(REAL_NAME, {"name": wrong, "id_number": CHEN.id_number})
    free = prober.post(REAL_NAME, {"name": wrong, "id_number": HUANG.id_number})
    unknown = prober.post(REAL_NAME, {"name": wrong, "id_number": UNKNOWN})
    assert _shape(taken) == _shape(free) == _shape(unknown), (taken.text, free.text, unknown.text)
    assert taken.status_code == 422 and taken.json()["details"] == {}


def test_every_attempt_counts_against_the_daily_limit_first(app, live_server, sign_in):
    holder = Http(live_server, sign_in(CHEN.phone))
    assert holder.post(REAL_NAME, {"name": CHEN.name, "id_number": CHEN.id_number}).status_code == 200
    prober = Http(live_server, sign_in("13800138011"))
    statuses = [prober.post(REAL_NAME, {"name": LIANG.name, "id_number": CHEN.id_number}).status_code
                for _ in range(6)]
    assert statuses == [422] * 5 + [429], statuses
    # Even the right name for the taken number is refused once the day's attempts are spent.
    assert prober.post(REAL_NAME, {"name": CHEN.name, "id_number": CHEN.id_number}).status_code == 429


def test_the_holder_takes_the_number_back_with_face_verification(app, live_server, sign_in):
    squatter_citizen = sign_in("13800138011")
    squatter = Http(live_server, squatter_citizen)
    # Someone verified with Chen's name and number (they knew both) before Chen did.
    assert squatter.post(REAL_NAME, {"name": CHEN.name, "id_number": CHEN.id_number}).status_code == 200
    chen = Http(live_server, sign_in(CHEN.phone))
    told = chen.post(REAL_NAME, {"name": CHEN.name, "id_number": CHEN.id_number})
    assert told.status_code == 409 and told.json()["code"] == "id_number_taken"
    claims = told.json()["details"]["recovery"]
    assert CHEN.id_number not in told.text

    def liveness(outcome):
        answer = requests.post(f"{app.config['SANDBOX_URL']}/face/liveness-tokens", timeout=5,
                               json={"id_number": CHEN.id_number, "outcome": outcome})
        return answer.json()["liveness_token"]

    failed = chen.post(claims, {"name": CHEN.name, "id_number": CHEN.id_number, "liveness_token": liveness("fail")})
    assert failed.status_code == 422 and squatter.get("/api/v1/me").json()["assurance_level"] == 2
    claimed = chen.post(claims, {"name": CHEN.name, "id_number": CHEN.id_number, "liveness_token": liveness("pass")})
    assert claimed.status_code == 200 and claimed.json()["assurance_level"] == 3, claimed.text
    me = chen.get("/api/v1/me").json()
    assert me["assurance_level"] == 3 and me["real_name"]
    lost = squatter.get("/api/v1/me").json()
    assert lost["assurance_level"] == 1 and lost["real_name"] is None
    inbox = squatter.get("/api/v1/messages").json()["items"]
    assert any(m["data"].get("reason") == "identity_claimed" for m in inbox), inbox
