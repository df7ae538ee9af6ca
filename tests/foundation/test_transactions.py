"""On PostgreSQL a transaction opens at the first statement that writes or locks, not at
the first read (nanhaitong/db.py): reads cost no BEGIN and no ROLLBACK round trips, and
writes stay atomic. The connection's state is read from libpq itself."""

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from nanhaitong import db
from nanhaitong.db import _needs_transaction
from nanhaitong.identity.models import AuthSession
from tests.conftest import BACKEND

postgresql_only = pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite takes its write lock at BEGIN")


@pytest.mark.parametrize("statement, needs", [
    ("SELECT users.id FROM users WHERE users.id = %(id)s", False),
    ("\n  select 1", False),
    ("SELECT a.id FROM a FOR UPDATE", True),
    ("SELECT a.id FROM a WHERE a.x = 1 FOR NO KEY UPDATE OF a SKIP LOCKED", True),
    ("SELECT a.id FROM a\nFOR\tSHARE", True),
    ("SELECT a.id FROM a FOR KEY SHARE", True),
    ("WITH moved AS (UPDATE h SET seq = 2 RETURNING h.id) SELECT moved.id FROM moved", True),
    ("INSERT INTO a (id) VALUES (%(id)s)", True),
    ("UPDATE a SET x = 1", True),
    ("DELETE FROM a", True),
    ("SAVEPOINT sa_savepoint_1", True),
    ("SELECT a.for_update, a.keys FROM a", False),  # names that merely contain the words
])
def test_only_plain_selects_run_outside_a_transaction(statement, needs):
    assert _needs_transaction(statement) is needs


def db_engine(app):
    return app.extensions["nht.engine"]


def _record_statements(app) -> list[tuple[str, TransactionStatus]]:
    """Each statement the app sends and the connection's state as it goes out (after
    the app's own listener, which may have opened a transaction for it)."""
    seen = []

    @event.listens_for(db_engine(app), "before_cursor_execute")
    def _record(_conn, cursor, statement, *_):
        seen.append((statement.split(None, 1)[0].upper(), cursor.connection.info.transaction_status))

    return seen


@postgresql_only
def test_an_authenticated_read_sends_no_transaction(app, sign_in):
    citizen = sign_in()
    seen = _record_statements(app)
    assert citizen.get("/api/v1/me").status_code == 200
    assert seen and {status for _, status in seen} == {TransactionStatus.IDLE}, seen


@postgresql_only
def test_from_the_first_write_the_request_is_one_transaction(app, sign_in):
    citizen = sign_in()
    seen = _record_statements(app)
    assert citizen.post("/api/v1/auth/logout").status_code == 204
    first_write = next(i for i, (verb, _) in enumerate(seen) if verb != "SELECT")
    assert all(status == TransactionStatus.IDLE for _, status in seen[:first_write]), seen
    assert all(status == TransactionStatus.INTRANS for _, status in seen[first_write:]), seen
    assert citizen.get("/api/v1/me").status_code == 401  # and it committed


@postgresql_only
def test_a_locking_read_holds_its_lock_until_the_commit(app, sign_in):
    sign_in()
    other = create_engine(app.config["DATABASE_URL"], poolclass=NullPool)
    try_lock = text("SELECT id FROM auth_sessions FOR UPDATE NOWAIT")
    with app.app_context():
        session = db.session()
        session.execute(select(AuthSession).with_for_update()).all()
        with other.connect() as conn, pytest.raises(OperationalError, match="could not obtain lock"):
            conn.execute(try_lock).all()
        session.commit()
        with other.connect() as conn:
            assert conn.execute(try_lock).all()
    other.dispose()


@postgresql_only
def test_a_write_rolled_back_leaves_nothing(app, sign_in):
    sign_in()
    with app.app_context():
        session = db.session()
        row = session.execute(select(AuthSession)).scalars().one()
        reason = select(AuthSession.revoked_reason).where(AuthSession.id == row.id)
        row.revoked_reason = "half-written"
        session.flush()
        assert session.execute(reason).scalar() == "half-written"
        with db_engine(app).connect() as conn:  # another pooled connection: not yet visible
            assert conn.execute(reason).scalar() is None
        session.rollback()
        assert session.execute(reason).scalar() is None
