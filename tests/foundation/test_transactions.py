"""A transaction opens at the first statement that writes or locks rows, not at the
first read (nanhaitong/db.py): on PostgreSQL reads cost no BEGIN and ROLLBACK round
trips, on SQLite readers do not queue for the write lock, and writes stay atomic. The
connection's state is read from the driver; locks are probed from another connection."""

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from nanhaitong import db
from nanhaitong.db import _needs_transaction
from nanhaitong.identity.models import AuthSession
from tests.conftest import BACKEND


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


def _engine(app):
    return app.extensions["nht.engine"]


def _in_transaction(dbapi_conn) -> bool:
    if BACKEND == "postgresql":
        return dbapi_conn.info.transaction_status != TransactionStatus.IDLE
    return dbapi_conn.in_transaction


def _record_statements(app) -> list[tuple[str, bool]]:
    """Each statement the app sends, and whether a transaction is open as it goes out
    (seen after the app's own listener, which may have just opened one for it)."""
    seen = []

    @event.listens_for(_engine(app), "before_cursor_execute")
    def _record(_conn, cursor, statement, *_):
        seen.append((statement.split(None, 1)[0].upper(), _in_transaction(cursor.connection)))

    return seen


def _other_connection(app):
    """A connection of its own, that waits for no lock (so a held lock shows at once)."""
    url = app.config["DATABASE_URL"]
    if BACKEND == "postgresql":
        return create_engine(url, poolclass=NullPool).connect()
    engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 0})
    return engine.connect()


def _lock_rows(conn) -> None:
    """Take what a locking read takes; raises if another transaction holds it."""
    try:
        if BACKEND == "postgresql":
            conn.execute(text("SELECT id FROM auth_sessions FOR UPDATE NOWAIT")).all()
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        conn.rollback()


def test_an_authenticated_read_opens_no_transaction(app, sign_in):
    citizen = sign_in()
    seen = _record_statements(app)
    assert citizen.get("/api/v1/me").status_code == 200
    assert seen and not any(open_ for _, open_ in seen), seen


def test_from_the_first_write_the_request_is_one_transaction(app, sign_in):
    citizen = sign_in()
    seen = _record_statements(app)
    assert citizen.post("/api/v1/auth/logout").status_code == 204
    first_write = next(i for i, (verb, _) in enumerate(seen) if verb != "SELECT")
    assert not any(open_ for _, open_ in seen[:first_write]), seen
    assert all(open_ for _, open_ in seen[first_write:]), seen
    assert citizen.get("/api/v1/me").status_code == 401  # and it committed


def test_a_locking_read_holds_its_lock_until_the_commit(app, sign_in):
    sign_in()
    with app.app_context(), _other_connection(app) as other:
        session = db.session()
        session.execute(select(AuthSession).with_for_update()).all()
        with pytest.raises(OperationalError, match="could not obtain lock|database is locked"):
            _lock_rows(other)
        session.commit()
        _lock_rows(other)


def test_a_read_does_not_wait_for_a_writer(app, sign_in):
    citizen = sign_in()
    with app.app_context(), _other_connection(app) as writer:
        writer.execute(text("UPDATE auth_sessions SET user_agent = 'elsewhere'"))  # holds its locks, uncommitted
        assert citizen.get("/api/v1/me").status_code == 200
        writer.rollback()


def test_a_write_rolled_back_leaves_nothing(app, sign_in):
    sign_in()
    with app.app_context():
        session = db.session()
        row = session.execute(select(AuthSession)).scalars().one()
        reason = select(AuthSession.revoked_reason).where(AuthSession.id == row.id)
        row.revoked_reason = "half-written"
        session.flush()
        assert session.execute(reason).scalar() == "half-written"
        with _engine(app).connect() as conn:  # another of the app's connections: not visible yet
            assert conn.execute(reason).scalar() is None
        session.rollback()
        assert session.execute(reason).scalar() is None
