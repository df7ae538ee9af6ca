"""Staff of every role, signed in through the admin API as the console's users are."""

from __future__ import annotations

import pytest

from tests.support.citizens import Citizen
from tests.support.settings import APP_SETTINGS
from tests.support.staff import STAFF_PHONES, create_staff, sign_in_staff


@pytest.fixture
def app(make_app):
    return make_app(**APP_SETTINGS, PAYMENTS_REFUND_APPROVAL_FEN=2000, PAYMENTS_STUCK_ALERT_SECONDS=0)


@pytest.fixture
def staff_of(app, client):
    """``staff_of("payments_ops")``: a staff member of that role, created and signed in."""
    made: dict[str, Citizen] = {}

    def _staff(name: str) -> Citizen:
        if name not in made:
            created = create_staff(app, STAFF_PHONES[name], name.removesuffix("_2"))
            made[name] = sign_in_staff(app, client, STAFF_PHONES[name])
            made[name].staff_id = created["id"]
        return made[name]

    return _staff
