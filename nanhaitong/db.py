"""Database: one engine per app, one session per request, the declarative Base.

The schema is created only by Alembic migrations (nanhaitong/migrations), in tests too.

Units of work: every service operation that writes runs inside ``unit_of_work`` (as a
decorator or a ``with`` block), which commits at its edge or rolls back when anything in
it raises; nothing else in the application commits. Units nest: an inner one joins the
outer, so an operation built from others is still one unit. An operation that must call
an upstream between two writes runs two units, one on each side of the call, and keeps
no transaction open across it. Whatever is written outside a unit is rolled back when
the request ends. The transaction opens at the first write or locking read
(``_begin_at_first_write``), so a unit that only reads costs no BEGIN.

Evidence (access-log entries, refusals, and what a refusal must leave behind: a wrong
guess counted, a code spent, a reused token's family revoked) is different: it must
outlive the operation that produced it and must never commit that operation's work. ``keep_as_evidence`` queues a
write that runs in a transaction of its own once the outermost unit has ended, committed
or rolled back, or, outside any unit, when the request ends.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ContextDecorator, contextmanager
from functools import lru_cache, partial

from flask import Flask, current_app, has_request_context
from psycopg.pq import TransactionStatus
from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker

from .sqlite_writers import QueuedWritersConnection, give_turns_back_after_lone_writes

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
        engine = create_engine(url, connect_args={"timeout": 30, "factory": QueuedWritersConnection})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # no BEGIN from the driver: _begin_at_first_write sends it
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        # SQLite ignores SELECT ... FOR UPDATE: the write lock, taken when the transaction
        # begins, serialises writers instead, so the read-check-write steps that lock rows
        # on PostgreSQL (audit chain head, code attempts) cannot interleave.
        _begin_at_first_write(engine, QueuedWritersConnection.begin_immediate,
                              lambda dbapi_conn: dbapi_conn.in_transaction, alone=QueuedWritersConnection.take_turn)
        give_turns_back_after_lone_writes(engine)
        return engine
    # No pre-ping: a lost connection answers 503 once and the pool starts afresh (errors.py).
    engine = create_engine(url, pool_size=10, max_overflow=10)

    @event.listens_for(engine, "connect")
    def _autocommit_until_needed(dbapi_conn, _record):
        dbapi_conn.autocommit = True  # psycopg then sends no BEGIN of its own

    _begin_at_first_write(engine, lambda dbapi_conn: dbapi_conn.execute("BEGIN"),
                          lambda dbapi_conn: dbapi_conn.info.transaction_status != TransactionStatus.IDLE)
    return engine


# A plain read: a SELECT that locks nothing (FOR UPDATE/SHARE, FOR [NO] KEY ...). A
# statement that modifies data inside a SELECT would need a CTE, and those start with WITH.
_PLAIN_READ = re.compile(r"\s*SELECT\b(?!.*\bFOR\s+(UPDATE|SHARE|NO\s+KEY|KEY)\b)", re.IGNORECASE | re.DOTALL)


@lru_cache(maxsize=4096)  # the same compiled statements come back on every request
def _needs_transaction(statement: str) -> bool:
    return _PLAIN_READ.match(statement) is None


def _locks_rows(context) -> bool:
    """Asked to lock rows, whether or not the dialect renders it (SQLite does not)."""
    statement = getattr(getattr(context, "compiled", None), "statement", None)
    return getattr(statement, "_for_update_arg", None) is not None


def _begin_at_first_write(engine: Engine, begin: Callable, in_transaction: Callable,
                          alone: Callable | None = None) -> None:
    """Open the transaction at the first statement that writes or locks, not at the first read.

    On PostgreSQL, BEGIN is a round trip of its own (psycopg sends it apart) and so is
    the ROLLBACK that ends the request: a request that only reads (most GETs) paid two
    more round trips than its queries, and under load each costs the server as much CPU
    as a small request. On SQLite, BEGIN IMMEDIATE at the first read made every reader
    queue for the one write lock. Reads before the first write each see the latest
    committed data, as they do inside a READ COMMITTED transaction; from the first write
    or locking read to the commit or rollback, everything is one transaction as before.
    A write sent alone (``execute_alone``) gets no BEGIN; ``alone`` runs before it instead.
    """

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_before_write(_conn, cursor, statement, _parameters, context, _executemany):
        dbapi_conn = cursor.connection
        if not in_transaction(dbapi_conn) and (_needs_transaction(statement) or _locks_rows(context)):
            if not _alone(context):
                begin(dbapi_conn)
            elif alone is not None:
                alone(dbapi_conn)


_ALONE = "nht_alone"


def _alone(context) -> bool:
    return bool(getattr(context, "execution_options", {}).get(_ALONE))


class unit_of_work(ContextDecorator):  # noqa: N801  (reads as a statement: `with unit_of_work():`)
    """One unit of work: commit at the edge of the outermost unit, roll back if anything
    inside raises. ``conflict`` (an AppError, so a 409, or a function making one) replaces
    a unique-constraint violation, that is a concurrent duplicate, whether it surfaces at
    a flush or at the commit. ``name`` says which of an operation's units this is, where
    it has several."""

    def __init__(self, name: str | None = None, *, conflict: Exception | Callable[[], Exception] | None = None):
        self.name, self.conflict = name, conflict

    def __enter__(self):
        info = session().info
        info["uow_depth"] = info.get("uow_depth", 0) + 1
        return self

    def __exit__(self, exc_type, exc, _tb):
        current = session()
        current.info["uow_depth"] -= 1
        outermost = current.info["uow_depth"] == 0
        try:
            if exc is None and outermost:
                current.commit()
            elif exc is not None and (outermost or isinstance(exc, IntegrityError)):
                current.rollback()
        except IntegrityError:
            current.rollback()
            if self.conflict is None:
                raise
            raise self._conflict() from None
        finally:
            if outermost:
                write_evidence()
        if isinstance(exc, IntegrityError) and self.conflict is not None:
            raise self._conflict() from None
        return False

    def _conflict(self) -> Exception:
        return self.conflict() if callable(self.conflict) else self.conflict


def execute_alone(statement, params: dict | None = None):
    """Execute the one write of an outermost unit of work as a transaction of its own.

    One statement is atomic by itself: the BEGIN before it and the COMMIT after it were
    two more round trips (on PostgreSQL each is one, and a wake-up of the server and of
    this thread) for nothing. Nothing else may write in that unit after it. Inside a
    nested unit, or once the unit has written (a flush of pending objects included), it
    joins the open transaction as any statement does."""
    current = session()
    alone = current.info.get("uow_depth", 0) == 1
    return current.execute(statement, params, execution_options={_ALONE: True} if alone else None)


def in_unit_of_work() -> bool:
    return session().info.get("uow_depth", 0) > 0


def keep_as_evidence(write: Callable[..., object], /, *args, **kwargs) -> None:
    """Queue ``write(*args, **kwargs)`` (it writes through ``session()``; the arguments are
    taken now) to run in a transaction of its own after the current unit of work ends,
    however it ends; at once when there is neither a unit nor a request to wait for."""
    session().info.setdefault("evidence", []).append(partial(write, *args, **kwargs))
    if not in_unit_of_work() and not has_request_context():
        write_evidence()


def write_evidence() -> None:
    current = session()
    pending = current.info.pop("evidence", None)
    if not pending:
        return
    if _anything_to_roll_back(current):
        current.rollback()  # nothing outside a unit of work is kept, and nothing rides along
    for write in pending:
        write()
    current.commit()


def _anything_to_roll_back(current: Session) -> bool:
    """Whether the session holds anything a rollback would undo: changes not flushed, or a
    transaction open in the database (flushed changes, locks). After a request that only
    read (a verification, a refused code), neither: its rollback only cost a connection's
    return to the pool and its checkout again. Unsure means yes."""
    if current.new or current.dirty or current.deleted:
        return True
    if not current.in_transaction():
        return False
    dbapi_conn = current.connection().connection.dbapi_connection
    info = getattr(dbapi_conn, "info", None)
    if hasattr(info, "transaction_status"):  # psycopg
        return info.transaction_status != TransactionStatus.IDLE
    return bool(getattr(dbapi_conn, "in_transaction", True))  # sqlite3


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions["nht.engine"] = engine
    app.extensions["nht.session"] = scoped_session(factory)

    @app.after_request
    def _write_evidence(response):
        write_evidence()
        return response

    @app.teardown_appcontext
    def _remove_session(_exc):
        app.extensions["nht.session"].remove()


def session() -> Session:
    """The current request's (or app context's) session."""
    return current_app.extensions["nht.session"]()


@contextmanager
def independent_unit() -> Iterator[Session]:
    """A unit of work in a session of its own, outside the current session's transaction:
    for work that runs in a hook after the current one commits, where that session can
    emit no more SQL. Committed at the edge, rolled back if anything inside raises."""
    own = current_app.extensions["nht.session"].session_factory()
    try:
        yield own
        own.commit()
    except BaseException:
        own.rollback()
        raise
    finally:
        own.close()


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """PostgreSQL's ``COPY table (columns) FROM STDIN`` of ``rows``, in the current
    session's transaction (begun here if this is its first write). The fastest way in
    for thousands of rows: psycopg formats them in C, where a multi-row INSERT or array
    parameters cost more to build than to execute. PostgreSQL only; COPY knows no
    ON CONFLICT, so copy into a staging table and move the rows on from there."""
    from psycopg import sql

    dbapi = session().connection().connection  # the pooled psycopg connection, the session's own
    if dbapi.driver_connection.info.transaction_status == TransactionStatus.IDLE:
        dbapi.driver_connection.execute("BEGIN")  # as _begin_at_first_write would
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table),
                                                         sql.SQL(", ").join(map(sql.Identifier, columns)))
    with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def engine() -> Engine:
    return current_app.extensions["nht.engine"]


def ping() -> None:
    with engine().connect() as conn:
        conn.execute(text("SELECT 1"))

