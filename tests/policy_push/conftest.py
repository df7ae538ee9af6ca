"""Helpers for the policy-push tests (issue 10): an editor signed in through the staff API,
policy bodies, and enterprises.

Enterprises the sandbox registry knows (five) are registered through the API. Targeting
needs many more, with chosen attributes: those are written straight into identity's
table (as tests/support/enterprises.py adds throw-away members), since only the
registry could otherwise supply them.
"""

from __future__ import annotations

import pytest

from nanhaitong import db
from nanhaitong.licences.models import Licence
from tests.support.settings import APP_SETTINGS
from tests.support.staff import create_staff, sign_in_staff

PUBLIC = "/api/v1/policies"
MESSAGES = "/api/v1/messages"
EDITOR_PHONE = "13900139011"


@pytest.fixture
def app(make_app):
    return make_app(**APP_SETTINGS)


@pytest.fixture
def editor(app, client):
    create_staff(app, EDITOR_PHONE, "policy_editor")
    return sign_in_staff(app, client, EDITOR_PHONE)


def give_licence(app, enterprise_id: str, type_code: str, *, status="valid", valid_until=None) -> None:
    with app.app_context():
        db.session().add(Licence(
            holder_kind="enterprise", holder_id=enterprise_id, code=f"{type_code}-{enterprise_id}",
            type_code=type_code, issuer_code="NHSJ", issuer_name="佛山市南海区市场监督管理局", number="N1",
            holder_name="测试企业", fields="{}", valid_from="2020-01-01", valid_until=valid_until,
            status=status, digest="0" * 64))
        db.session().commit()


