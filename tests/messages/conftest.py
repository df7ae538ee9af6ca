"""Fixtures for the inbox tests (issue 10). Other domains' messages are sent the way those
domains send them, with tests/support/messages.py."""

from __future__ import annotations

import pytest

from tests.support.settings import APP_SETTINGS

MESSAGES = "/api/v1/messages"
DEVICES = "/api/v1/me/devices"


@pytest.fixture
def app(make_app):
    return make_app(**APP_SETTINGS)


