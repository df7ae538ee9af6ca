"""Finding 11: the staff SMS endpoint answered 12-22 ms for staff phones and 8-9 ms for
others: only staff phones were texted, inside the request. Now the request does the same
work for any phone and the SMS (to staff only) goes out after the answer has been sent.

Timing is not asserted (no timed assertions in tests); the oracle is the one an attacker
can read without a stopwatch: with the SMS gateway failing, a staff phone's answer used to
be a 503 while a stranger's was a 202."""

from __future__ import annotations

import time

import pytest
import requests

from tests.support.staff import create_staff

STAFF_PHONE, STRANGER_PHONE = "13900139001", "13800138009"


@pytest.fixture
def app(relaxed_app):
    return relaxed_app


def _ask(live_server, phone):
    return requests.post(f"{live_server.url}/api/v1/admin/auth/sms-codes", json={"phone": phone}, timeout=10)


def _comparable(answer):
    body = answer.json()
    body.pop("request_id", None)
    return answer.status_code, body


def _messages(app, phone):
    answer = requests.get(f"{app.config['SANDBOX_URL']}/sms/messages", params={"phone": phone}, timeout=5)
    return answer.json()["messages"]


def test_staff_and_stranger_phones_get_the_same_answer_even_when_sms_fails(app, live_server):
    create_staff(app, STAFF_PHONE, "operator")
    fault = requests.post(f"{app.config['SANDBOX_URL']}/_control/faults", timeout=5,
                          json={"path_prefix": "/sms/v1/messages", "status": 500, "times": 10})
    assert fault.status_code in (200, 201), fault.text
    staff_answer, stranger_answer = _ask(live_server, STAFF_PHONE), _ask(live_server, STRANGER_PHONE)
    assert staff_answer.status_code == 202, staff_answer.text
    assert _comparable(staff_answer) == _comparable(stranger_answer)
    requests.delete(f"{app.config['SANDBOX_URL']}/_control/faults", timeout=5)


def test_the_staff_code_still_arrives_after_the_answer(app, live_server):
    create_staff(app, STAFF_PHONE, "operator")
    staff_answer, stranger_answer = _ask(live_server, STAFF_PHONE), _ask(live_server, STRANGER_PHONE)
    assert _comparable(staff_answer) == _comparable(stranger_answer)
    for _ in range(100):  # sent once the answer went out: wait for it (bounded)
        if _messages(app, STAFF_PHONE):
            break
        time.sleep(0.05)
    assert _messages(app, STAFF_PHONE), "the staff member was not texted"
    assert _messages(app, STRANGER_PHONE) == []
