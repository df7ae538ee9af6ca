"""Database: one engine per app, one session per request, the declarative Base.

The schema is created only by Alembic migrations (nanhaitong/migrations), in tests too.
Services own the transaction: they call ``session.commit()`` when a unit of work is
complete; whatever is left uncommitted when the request ends is rolled back.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from functools import lru_cache

from flask import Flask, current_app
from psycopg.pq import TransactionStatus
from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker

# Constraint names must be stable so migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # We issue BEGIN ourselves (below) instead of the driver's lazy one.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn):
            # SQLite ignores SELECT ... FOR UPDATE; taking the write lock when a
            # transaction begins serialises writers instead, so read-check-write steps
            # (audit chain head, code attempts) cannot interleave. The embedded mode
            # trades write concurrency for that; PostgreSQL uses row locks.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No pre-ping: a lost connection answers 503 once and the pool starts afresh (errors.py).
    engine = create_engine(url, pool_size=10, max_overflow=10)
    if engine.dialect.name == "postgresql":
        _begin_at_first_write(engine)
    return engine


# Plain reads: a SELECT that locks nothing (FOR UPDATE/SHARE, FOR [NO] KEY ...) or
# anything else. A statement that modifies data inside a SELECT would need a CTE, and
# those start with WITH.
_READ_ONLY = re.compile(r"\s*SELECT\b(?!.*\bFOR\s+(UPDATE|SHARE|NO\s+KEY|KEY)\b)", re.IGNORECASE | re.DOTALL)


@lru_cache(maxsize=4096)  # the same compiled statements come back on every request
def _needs_transaction(statement: str) -> bool:
    return _READ_ONLY.match(statement) is None


def _begin_at_first_write(engine: Engine) -> None:
    """Open the transaction at the first statement that needs one, not at the first read.

    psycopg sends BEGIN as a round trip of its own, and ending the transaction is one
    more, so a request that only reads (most GETs) paid two extra round trips of the
    three or four it makes; under load each costs the server as much CPU as a small
    request. Reads before the first write each see the latest committed data, exactly as
    they do inside a READ COMMITTED transaction; from the first write, or the first
    locking read, everything up to the commit or rollback is one transaction as before.
    """

    @event.listens_for(engine, "connect")
    def _autocommit_until_needed(dbapi_conn, _record):
        dbapi_conn.autocommit = True  # psycopg then sends no BEGIN of its own

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_before_write(_conn, cursor, statement, _parameters, _context, _executemany):
        dbapi_conn = cursor.connection
        if dbapi_conn.info.transaction_status == TransactionStatus.IDLE and _needs_transaction(statement):
            dbapi_conn.execute("BEGIN")


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions["nht.engine"] = engine
    app.extensions["nht.session"] = scoped_session(factory)

    @app.teardown_appcontext
    def _remove_session(_exc):
        app.extensions["nht.session"].remove()


def session() -> Session:
    """The current request's (or app context's) session."""
    return current_app.extensions["nht.session"]()


def independent_session() -> Session:
    """A session of its own, outside the current one's transaction (close it when done)."""
    return current_app.extensions["nht.session"].session_factory()


def engine() -> Engine:
    return current_app.extensions["nht.engine"]


def ping() -> None:
    with engine().connect() as conn:
        conn.execute(text("SELECT 1"))


@contextmanager
def unique_or_conflict(conflict: Exception):
    """Commit inside this block; a unique-constraint violation (a concurrent duplicate)
    rolls back and raises ``conflict`` (an AppError, so a 409) instead of a 500."""
    try:
        yield
    except IntegrityError:
        session().rollback()
        raise conflict from None
