"""Console fixtures: staff of each role (created through the CLI, as operators do)."""

from __future__ import annotations

import re

import pytest

from tests.support.citizens import read_code
from tests.support.console_browser import browser, console  # noqa: F401  (the browser tests' fixtures)
from tests.support.settings import APP_SETTINGS
from tests.support.staff import STAFF_PASSWORD, STAFF_PHONES, create_staff

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(make_app):
    return make_app(**APP_SETTINGS, PAYMENTS_REFUND_APPROVAL_FEN=2000, PAYMENTS_STUCK_ALERT_SECONDS=0)


def csrf(page_html: str) -> str:
    return _CSRF.search(page_html).group(1)


def console_sign_in(app, client, role: str):
    """Create a staff member of ``role`` and sign the test client in through the console's forms."""
    phone = STAFF_PHONES[role]
    create_staff(app, phone, role.removesuffix("_2"))
    page = client.get("/console/login").get_data(as_text=True)
    # Buffered: the staff code is texted once the answer is sent (issue 21, finding 11).
    sent = client.post("/console/login/code", data={"csrf_token": csrf(page), "phone": phone}, buffered=True)
    assert sent.status_code == 302, sent.get_data(as_text=True)
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    answer = client.post("/console/login", data={"csrf_token": csrf(page), "phone": phone, "password": STAFF_PASSWORD,
                                                 "code": read_code(app, phone)})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/console/"), answer.get_data(as_text=True)
    return answer
