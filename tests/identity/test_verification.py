"""Raising assurance: real name against the IDV upstream (level 2), face liveness (level 3).

The sandbox upstreams run on the live server: ``GET {SANDBOX_URL}/idv/usage`` counts the
billed IDV calls, ``POST {SANDBOX_URL}/face/liveness-tokens`` gives liveness tokens and
``POST {SANDBOX_URL}/_control/faults`` makes upstream calls fail on purpose.
"""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import select, text

from integrations.sandbox.demo_data import CITIZENS
from nanhaitong import db
from nanhaitong.audit.models import AuditEvent
from schemas.identity_numbers import resident_id_check_char
from tests.support.errors import assert_error
from tests.support.verification import liveness_token

REAL_NAME = "/api/v1/me/real-name-verification"
FACE = "/api/v1/me/face-verification"
CHEN, LIANG, HUANG, LI = CITIZENS[0], CITIZENS[1], CITIZENS[2], CITIZENS[3]  # LI's number ends in X


def with_check(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def idv_usage(app) -> int:
    answer = requests.get(f"{app.config['SANDBOX_URL']}/idv/usage", timeout=5)
    answer.raise_for_status()
    return answer.json()["verifications"]


def fault(app, path_prefix: str, status: int | None = None, times: int = 1, latency_ms: int = 0) -> None:
    spec = {"path_prefix": path_prefix, "times": times, "latency_ms": latency_ms}
    if status is not None:
        spec["status"] = status
    answer = requests.post(f"{app.config['SANDBOX_URL']}/_control/faults", json=spec, timeout=5)
    assert answer.status_code == 201, answer.text


def real_name(citizen, person, **override):
    return citizen.post(REAL_NAME, json={"name": person.name, "id_number": person.id_number, **override})


def level(citizen) -> int:
    return citizen.get("/api/v1/me").get_json()["assurance_level"]


@pytest.fixture
def chen(sign_in):
    return sign_in(CHEN.phone)


@pytest.fixture
def chen_level2(app, chen):
    assert real_name(chen, CHEN).status_code == 200
    return chen


# -- real name -------------------------------------------------------------------------

def test_real_name_raises_to_level_2_and_me_masks(app, chen):
    answer = real_name(chen, CHEN)
    assert answer.status_code == 200 and answer.get_json() == {"assurance_level": 2}
    me = chen.get("/api/v1/me")
    body = me.get_json()
    assert body["assurance_level"] == 2
    assert body["real_name"] == CHEN.name[0] + "*" * (len(CHEN.name) - 1)
    assert body["id_number"] == CHEN.id_number[0] + "*" * 16 + CHEN.id_number[-1]
    for response in (answer, me):
        text_body = json.dumps(response.get_json(), ensure_ascii=False)
        assert CHEN.id_number not in text_body and CHEN.name not in text_body and CHEN.phone not in text_body
    assert idv_usage(app) == 1
    # at rest: encrypted, not in clear
    with app.app_context():
        [(stored_name, stored_id)] = db.session().execute(text("SELECT real_name, id_number FROM users")).all()
    assert CHEN.id_number not in stored_id and CHEN.name not in stored_name
    # the same identity again: no second (billed) call
    assert real_name(chen, CHEN).get_json() == {"assurance_level": 2}
    assert idv_usage(app) == 1


def test_lowercase_x_and_spaces_are_normalised(app, sign_in):
    li = sign_in(LI.phone)
    assert LI.id_number.endswith("X")
    answer = real_name(li, LI, id_number=f"  {LI.id_number.lower()} ")
    assert answer.status_code == 200, answer.get_json()
    assert li.get("/api/v1/me").get_json()["id_number"].endswith("X")


def test_bad_id_numbers_are_422_and_never_reach_the_upstream(app, chen):
    body17 = CHEN.id_number[:17]
    right = CHEN.id_number[-1]
    wrong_check = body17 + ("0" if right != "0" else "1")
    bad = {
        "wrong check digit": wrong_check,
        "Feb 30": with_check("44060519850230123"),
        "month 13": with_check("44060519851301123"),
        "born in the future": with_check("44060529990101123"),
        "born before 1900": with_check("44060518991231123"),
        "unknown region": with_check("99060519850312123"),
        "17 characters": body17,
        "19 characters": CHEN.id_number + "1",
        "letters": "44060519850312123A",
        "X inside": "4406051985X3121238",
        "empty": "",
        "full-width digits": CHEN.id_number.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"}),
        "a number, not a string": int(CHEN.id_number),
        "null": None,
    }
    for why, id_number in bad.items():
        answer = chen.post(REAL_NAME, json={"name": CHEN.name, "id_number": id_number})
        body = assert_error(answer, 422, "validation_failed")
        assert set(body["details"]["fields"]) == {"id_number"}, (why, body)
        if isinstance(id_number, str) and len(id_number) >= 17:
            assert id_number not in answer.get_data(as_text=True), why  # not echoed
    assert idv_usage(app) == 0, "the IDV upstream (billed per call) was called for a number we could reject"
    assert level(chen) == 1


def test_name_mismatch_and_unknown_number(app, chen):
    answer = real_name(chen, CHEN, name=LIANG.name)
    body = assert_error(answer, 422, "verification_failed")
    assert body["details"] == {}  # the same answer for a wrong name and an unknown number (issue 21)
    unknown = with_check("44068220000101123")
    assert all(c.id_number != unknown for c in CITIZENS)
    unknown_body = assert_error(real_name(chen, CHEN, id_number=unknown), 422, "verification_failed")
    assert (unknown_body["message"], unknown_body["details"]) == (body["message"], body["details"])
    assert idv_usage(app) == 2 and level(chen) == 1
    assert chen.get("/api/v1/me").get_json()["real_name"] is None


def test_bad_names_are_422(app, chen):
    for name in ("", "陈", "x" * 31, None, 123):
        body = assert_error(real_name(chen, CHEN, name=name), 422, "validation_failed")
        assert set(body["details"]["fields"]) == {"name"}, (name, body)
    assert idv_usage(app) == 0


def test_one_id_number_one_account(app, chen_level2, sign_in):
    other = sign_in("13900139001")
    answer = real_name(other, CHEN)
    assert_error(answer, 409, "id_number_taken")
    assert CHEN.id_number not in answer.get_data(as_text=True)
    # written another way, still the same number
    assert_error(real_name(other, CHEN, id_number=f" {CHEN.id_number.lower()} "), 409, "id_number_taken")
    assert idv_usage(app) == 3  # told only after the register matched name and number (issue 21)
    assert level(other) == 1
    # and a verified account cannot switch to another identity
    assert_error(real_name(chen_level2, HUANG), 409, "already_verified")


def test_daily_limit_on_real_name_attempts(app, chen):
    for _ in range(5):
        assert_error(real_name(chen, CHEN, name=LIANG.name), 422, "verification_failed")
    answer = real_name(chen, CHEN)
    body = assert_error(answer, 429, "rate_limited")
    assert body["details"]["retry_after"] >= 1
    assert idv_usage(app) == 5


# -- face ------------------------------------------------------------------------------

def test_face_needs_level_2(app, chen):
    answer = chen.post(FACE, json={"liveness_token": liveness_token(app, CHEN.id_number)})
    body = assert_error(answer, 403, "assurance_level_required")
    assert body["details"] == {"required": 2, "current": 1}


def test_face_pass_raises_to_level_3(app, chen_level2):
    answer = chen_level2.post(FACE, json={"liveness_token": liveness_token(app, CHEN.id_number)})
    assert answer.status_code == 200 and answer.get_json() == {"assurance_level": 3}
    assert level(chen_level2) == 3


def test_face_failures(app, chen_level2, sign_in):
    cases = {
        "fail outcome": (liveness_token(app, CHEN.id_number, "fail"), "face_mismatch"),
        "another person's token": (liveness_token(app, HUANG.id_number, "pass"), "person_mismatch"),
        "unknown token": ("lvt_" + "A" * 32, "token_invalid"),
    }
    for why, (token, reason) in cases.items():
        body = assert_error(chen_level2.post(FACE, json={"liveness_token": token}), 422, "verification_failed")
        assert body["details"] == {"reason": reason}, (why, body)
    # a token is spent by its first use, even a failed one
    reused = cases["another person's token"][0]
    body = assert_error(chen_level2.post(FACE, json={"liveness_token": reused}), 422, "verification_failed")
    assert body["details"] == {"reason": "token_used"}
    assert level(chen_level2) == 2
    # a passing token is single use too: somebody else replaying it gets nothing
    token = liveness_token(app, CHEN.id_number)
    assert chen_level2.post(FACE, json={"liveness_token": token}).status_code == 200
    huang = sign_in(HUANG.phone)
    assert real_name(huang, HUANG).status_code == 200
    assert_error(huang.post(FACE, json={"liveness_token": token}), 422, "verification_failed")
    assert level(huang) == 2
    for bad in ("", "x" * 513, None, 42):
        body = assert_error(chen_level2.post(FACE, json={"liveness_token": bad}), 422, "validation_failed")
        assert set(body["details"]["fields"]) == {"liveness_token"}


# -- upstream trouble ------------------------------------------------------------------

def test_idv_down_is_503_in_the_error_shape(app, chen):
    fault(app, "/idv/", 503)
    answer = real_name(chen, CHEN)
    body = assert_error(answer, 503, "upstream_unavailable")
    assert CHEN.id_number not in answer.get_data(as_text=True)
    assert "Traceback" not in answer.get_data(as_text=True)
    assert body["details"].get("upstream") == "identity verification"
    assert level(chen) == 1
    # the fault is spent: the same request now works
    assert real_name(chen, CHEN).status_code == 200


UPSTREAM_CODES = {502: "upstream_failed", 503: "upstream_unavailable", 504: "upstream_timeout"}


def test_idv_other_failures_map_to_upstream_errors_never_500(app, chen):
    for status in (500, 502, 504, 429, 401):  # five: the daily allowance of real-name attempts
        fault(app, "/idv/", status, times=3)
        answer = real_name(chen, CHEN)
        assert answer.status_code in UPSTREAM_CODES, (status, answer.status_code, answer.get_json())
        assert_error(answer, answer.status_code, UPSTREAM_CODES[answer.status_code])
        if status == 429:  # the upstream asked us to slow down: so do we ask our client
            assert answer.status_code == 503 and int(answer.headers["Retry-After"]) >= 1
        requests.delete(f"{app.config['SANDBOX_URL']}/_control/faults", timeout=5)
    assert level(chen) == 1


def test_upstream_outage_does_not_use_up_the_daily_attempts(app, chen):
    fault(app, "/idv/", 503, times=5)
    for _ in range(5):
        assert_error(real_name(chen, CHEN), 503, "upstream_unavailable")
    assert idv_usage(app) == 0
    # The upstream is back, and the circuit breaker (opened by five failures) has cooled down.
    app.extensions["nht.clients"].idv._breaker.close()
    answer = real_name(chen, CHEN)
    assert answer.status_code == 200, answer.get_json()


def test_idv_timeout_is_504(make_app, sign_in):
    app = make_app(UPSTREAM_TIMEOUT_SECONDS=0.3)
    from tests.support.citizens import Citizen, read_code, request_code

    client = app.test_client()
    request_code(client, CHEN.phone)
    pair = client.post("/api/v1/auth/tokens", json={"grant_type": "sms_code", "phone": CHEN.phone,
                                                    "code": read_code(app, CHEN.phone), "client": "app"}).get_json()
    chen = Citizen(client, app, CHEN.phone, pair)
    fault(app, "/idv/", latency_ms=800)
    assert_error(real_name(chen, CHEN), 504, "upstream_timeout")


def test_face_down_is_503(app, chen_level2):
    token = liveness_token(app, CHEN.id_number)
    fault(app, "/face/v1/", 503)
    assert_error(chen_level2.post(FACE, json={"liveness_token": token}), 503, "upstream_unavailable")
    assert level(chen_level2) == 2


# -- audit -----------------------------------------------------------------------------

def test_audit_records_verifications_without_personal_data(app, chen, sign_in):
    assert_error(real_name(chen, CHEN, name=LIANG.name), 422, "verification_failed")
    assert real_name(chen, CHEN).status_code == 200
    assert_error(chen.post(FACE, json={"liveness_token": liveness_token(app, CHEN.id_number, "fail")}),
                 422, "verification_failed")
    assert chen.post(FACE, json={"liveness_token": liveness_token(app, CHEN.id_number)}).status_code == 200
    other = sign_in(HUANG.phone)
    assert_error(real_name(other, CHEN), 409, "id_number_taken")

    user_id = chen.get("/api/v1/me").get_json()["id"]
    with app.app_context():
        events = db.session().execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
        rows = db.session().execute(text("SELECT * FROM audit_events")).mappings().all()

    mine = [(e.action, e.result, json.loads(e.details)) for e in events
            if e.object_id == user_id and e.action.startswith("identity.")]
    assert [(a, r) for a, r, _ in mine] == [
        ("identity.real_name_verification", "failure"),
        ("identity.assurance_raised", "success"),
        ("identity.face_verification", "failure"),
        ("identity.assurance_raised", "success"),
    ]
    assert mine[0][2]["reason"] == "name_mismatch"
    assert (mine[1][2]["level"], mine[1][2]["method"]) == (2, "real_name")
    assert mine[2][2]["reason"] == "face_mismatch"
    assert (mine[3][2]["level"], mine[3][2]["method"]) == (3, "face")
    for e in events:
        if e.object_id == user_id and e.action.startswith("identity."):
            assert e.actor == f"citizen:{user_id}"

    secrets = {CHEN.id_number, CHEN.id_number[:17], CHEN.id_number[6:14] + CHEN.id_number[14:17],
               CHEN.phone, HUANG.phone, CHEN.name, LIANG.name, HUANG.name}
    for row in rows:
        for column, value in dict(row).items():
            for secret in secrets:
                assert secret not in str(value), f"personal data in clear in audit_events.{column} ({row['action']})"
