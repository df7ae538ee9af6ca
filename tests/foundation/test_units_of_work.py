"""One unit of work per operation, and evidence that outlives it (DESIGN.md, Units of work).

A delegate's use is recorded by authorize() before the operation's own writes; when the
operation then fails, nothing of it is stored, yet the access-log entry is. A refusal is
kept the same way, and neither commits anything of the refused work with it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from nanhaitong import db
from nanhaitong.authorizations.models import AccessLogEntry
from nanhaitong.errors import Conflict
from nanhaitong.ids import new_id
from nanhaitong.payments import service as payments
from nanhaitong.payments.models import UtilityAccount
from nanhaitong.sqlite_writers import _turns_of
from nanhaitong.timeutil import utcnow
from tests.support.audit import audit_rows
from tests.support.citizens import citizen_at
from tests.support.errors import assert_error
from tests.support.grants import act_under, create_grant
from tests.support.payments import ACCOUNTS, CARD, GAS


@pytest.fixture
def app(make_app, live_server):
    from tests.support.settings import APP_SETTINGS

    return make_app(**APP_SETTINGS)


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session().execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _fail_after_the_write(monkeypatch):
    """The audit call comes after the account row is flushed: fail there."""
    def broken(action, **_):
        if action == "payment.account_bound":
            raise Conflict("Injected failure after the write.", code="injected")

    monkeypatch.setattr(payments, "audit", broken)


def test_a_failure_after_authorize_stores_nothing_but_keeps_the_access_log_entry(app, sign_in, monkeypatch):
    owner, owner_id = citizen_at(sign_in, level=2)
    delegate, delegate_id = citizen_at(sign_in, level=2)
    grant = create_grant(owner, delegate_id, ["payments:pay"])
    acting = act_under(delegate, grant["id"])
    logged_before = _count(app, AccessLogEntry, AccessLogEntry.owner_id == owner_id)

    _fail_after_the_write(monkeypatch)
    assert_error(acting.post(ACCOUNTS, json={"kind": "bus_card", "number": CARD}), 409, "injected")

    assert _count(app, UtilityAccount, UtilityAccount.owner_id == owner_id) == 0  # nothing of the operation
    entries = _count(app, AccessLogEntry, AccessLogEntry.owner_id == owner_id, AccessLogEntry.accessor_id == delegate_id)
    assert entries == 1 and logged_before == 0  # the use is evidence, kept once
    assert [e.action for e in audit_rows(app, prefix="access.")] == ["access.payments:pay"]
    assert audit_rows(app, "payment.account_bound") == []


def test_a_refusal_is_kept_and_commits_nothing_of_the_refused_work(app, sign_in):
    owner, owner_id = citizen_at(sign_in, level=2)
    delegate, delegate_id = citizen_at(sign_in, level=2)
    grant = create_grant(owner, delegate_id, ["gov_services:query"])  # not payments:pay
    acting = act_under(delegate, grant["id"])

    assert_error(acting.post(ACCOUNTS, json={"kind": "gas", "number": GAS.account_no}), 403, "not_authorized")

    assert _count(app, UtilityAccount, UtilityAccount.owner_id == owner_id) == 0
    denials = audit_rows(app, "authorization.denied")
    assert len(denials) == 1 and denials[0].object_type == "utility_account"


def test_units_nest_and_commit_once_at_the_outermost_edge(app):
    with app.app_context():
        session = db.session()
        with db.unit_of_work():
            with db.unit_of_work("inner"):
                assert db.in_unit_of_work()
            assert session.info["uow_depth"] == 1  # the inner unit joined, it did not commit
        assert not db.in_unit_of_work()


def test_evidence_is_written_even_when_the_unit_rolls_back(app):
    from nanhaitong.audit.service import record as audit

    with app.app_context():
        with pytest.raises(RuntimeError), db.unit_of_work():
            audit("test.rolled_back")
            db.keep_as_evidence(audit, "test.kept", result="denied")
            raise RuntimeError("the operation fails")
    assert [e.action for e in audit_rows(app, prefix="test.")] == ["test.kept"]


def _access_entry(owner_id: str) -> dict:
    return {"id": new_id(), "at": utcnow(), "owner_kind": "citizen", "owner_id": owner_id, "accessor_kind": "staff",
            "accessor_id": "s", "acting_as": "staff", "action": "test", "object_type": "test"}


def test_a_statement_alone_in_its_unit_is_committed_with_it(app):
    with app.app_context(), db.unit_of_work():
        db.execute_alone(insert(AccessLogEntry.__table__), _access_entry("alone"))
    assert _count(app, AccessLogEntry, AccessLogEntry.owner_id == "alone") == 1


def test_a_statement_alone_takes_the_sqlite_writers_turn_and_gives_it_back(app):
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("SQLite's writers' turns")
    with app.app_context(), db.unit_of_work():
        db.execute_alone(insert(AccessLogEntry.__table__), _access_entry("alone"))
    turns = _turns_of(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    assert turns.take()  # free again
    turns.give_back()


@pytest.mark.parametrize("where", ["nested", "after_a_write"])
def test_a_statement_alone_joins_the_open_transaction_and_its_fate(app, where):
    """In a nested unit, or after the unit has written, the statement is one of the unit's:
    when the unit then fails, it is rolled back with the rest."""
    with app.app_context(), pytest.raises(Conflict):
        with db.unit_of_work():
            if where == "after_a_write":
                db.session().execute(insert(AccessLogEntry.__table__), _access_entry("first"))
            with db.unit_of_work():
                db.execute_alone(insert(AccessLogEntry.__table__), _access_entry("joined"))
            raise Conflict("Injected failure after the write.", code="injected")
    assert _count(app, AccessLogEntry, AccessLogEntry.owner_id.in_(["first", "joined"])) == 0
