"""Fixtures for the partner-platform tests (issue 9); the plain helpers are in tests/support/partners.py.

Partners are registered through the admin API (or the CLI) as an operator would; OAuth
flows are driven by Authlib's own requests client against the live server over HTTP;
the consent page is driven over HTTP as a browser would (cookies, CSRF field), and in
headless Chromium by test_consent_browser.py.
"""

from __future__ import annotations

import re

import pytest

from tests.support.partners import OPERATOR_PHONE
from tests.support.settings import APP_SETTINGS
from tests.support.staff import create_staff, sign_in_staff


@pytest.fixture
def app(make_app):
    return make_app(**APP_SETTINGS)


@pytest.fixture
def operator(app, client):
    create_staff(app, OPERATOR_PHONE, "operator")
    return sign_in_staff(app, client, OPERATOR_PHONE)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)
