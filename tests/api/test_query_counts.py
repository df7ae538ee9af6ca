"""N+1 guard (issue 11): a list endpoint runs the same number of SQL statements for 2
items as for 12. Each list gets a "grow" function adding one item of its kind for the
signed-in citizen; a list whose statement count grows with its length fails here.

A new list endpoint: add it to LISTS.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Callable

import pytest
from sqlalchemy import event

from nanhaitong import db
from nanhaitong.authorizations.models import AccessLogEntry
from nanhaitong.ids import new_id
from nanhaitong.licences.models import Licence
from tests.support.citizens import account, citizen_at, open_session, user_id
from tests.support.grants import create_grant
from tests.support.messages import send_to_user
from tests.support.settings import APP_SETTINGS


@pytest.fixture
def app(make_app):
    return make_app(**APP_SETTINGS)


@contextmanager
def counting(app):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = app.extensions["nht.engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def add_licence(citizen) -> None:
    with citizen.app.app_context():
        db.session().add(Licence(
            holder_kind="citizen", holder_id=user_id(citizen), code=f"TEST-{new_id()}", type_code="driver_licence",
            issuer_code="440605", issuer_name="佛山市公安局南海分局", number="440622199001011232",
            holder_name="张三", fields=json.dumps({}), valid_from="2020-01-01", valid_until="2030-01-01",
            status="valid", digest="0" * 64))
        db.session().commit()


def add_grant(citizen) -> None:
    grantee_id, _ = account(citizen.app, level=2)
    create_grant(citizen, grantee_id, ["gov_services:query"])


def add_access(citizen) -> None:
    """Someone else (a new account each time) read the citizen's data."""
    accessor_id, _ = account(citizen.app, level=2)
    with citizen.app.app_context():
        db.session().add(AccessLogEntry(
            owner_kind="citizen", owner_id=user_id(citizen), accessor_kind="citizen", accessor_id=accessor_id,
            acting_as="delegate", action="licences:read", object_type="licence", object_id=new_id()))
        db.session().commit()


def add_device(citizen) -> None:
    answer = citizen.post("/api/v1/me/devices", json={"platform": "android", "token": f"token-{new_id()}"})
    assert answer.status_code == 201


LISTS: dict[str, Callable] = {
    "/api/v1/licences?limit=100": add_licence,
    "/api/v1/authorizations?direction=granted&limit=100": add_grant,
    "/api/v1/messages?limit=100": lambda c: send_to_user(c.app, user_id(c)),
    "/api/v1/me/devices": add_device,
    "/api/v1/me/access-log?limit=100": add_access,
    "/api/v1/me/sessions": lambda c: open_session(c.app, user_id(c)),
}



# Payments (issue 8): rows made straight in the database (the sandbox knows only a few cards).
def add_utility_account(citizen) -> str:
    from nanhaitong.payments.models import UtilityAccount

    with citizen.app.app_context():
        account_ = UtilityAccount(owner_kind="citizen", owner_id=user_id(citizen), kind="gas",
                                  number=f"NHG{new_id()[-10:]}", number_index=new_id())
        db.session().add(account_)
        db.session().commit()
        return account_.id


def add_payment_order(citizen) -> None:
    from datetime import timedelta

    from nanhaitong.payments.models import PaymentOrder
    from nanhaitong.timeutil import utcnow

    account_id = add_utility_account(citizen)
    with citizen.app.app_context():
        db.session().add(PaymentOrder(
            out_trade_no=f"NHT{new_id()}"[:32], owner_kind="citizen", owner_id=user_id(citizen),
            created_by=f"citizen:{user_id(citizen)}", account_id=account_id, kind="gas_bill", bill_id=new_id(),
            amount_fen=1000, channel="wechat", status="awaiting_payment", expires_at=utcnow() + timedelta(hours=1)))
        db.session().commit()


LISTS.update({
    "/api/v1/utility-accounts": add_utility_account,
    "/api/v1/payment-orders?limit=100": add_payment_order,
})

@pytest.mark.parametrize("path", sorted(LISTS))
def test_a_list_costs_the_same_statements_for_2_items_as_for_12(app, sign_in, path):
    citizen, _ = citizen_at(sign_in, level=2)
    grow = LISTS[path]
    counts = []
    for target in (2, 12):
        while True:
            answer = citizen.get(path)
            assert answer.status_code == 200, answer.get_json()
            body = answer.get_json()
            items = next(v for v in body.values() if isinstance(v, list))
            if len(items) >= target:
                break
            grow(citizen)
        with counting(app) as statements:
            assert citizen.get(path).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], f"{path}: {counts[0]} statements for 2 items, {counts[1]} for 12:\n" + "\n".join(
        statements)
