"""SQLite writers wait their turn in a queue, not in SQLite's busy handler.

SQLite has one write lock per database. A transaction that finds it taken is retried by
the busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25 ... ms between tries and does not
queue: a writer can lose the race to a newcomer again and again. Under load on the
embedded default (gunicorn: five processes of four threads), the p99 of an SMS-code send
at the peak was 1.4 s, for a lock held a few milliseconds at a time (0.13 to 0.19 s with
turns).

A writer now takes a turn before BEGIN IMMEDIATE and gives it back at COMMIT or
ROLLBACK: first the lock of its process for that database, then an exclusive ``flock`` on
a file beside the database, shared by every process. A waiter sleeps in the kernel and is
woken the moment the turn is free. The process lock alone was not enough: the next thread
of the same process took the turn at once, while writers of other processes slept in the
busy handler, and some waited 3 s at the peak.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading

from sqlalchemy import event

# Longer than any legitimate write transaction; past it the writer goes on to SQLite's
# own busy handler, which then gives up with "database is locked" after its timeout.
# The flock has no timeout: a process that dies gives it back (the kernel closes its
# file), and gunicorn kills a worker stuck past its timeout.
QUEUE_WAIT_SECONDS = 30


class _Turns:
    """One database's turns in this process: a lock for its threads, and an open file on
    which the thread that holds the lock takes the ``flock`` every process takes."""

    def __init__(self, database: str):
        self._threads = threading.Lock()
        # A flock belongs to the open file, so each process opens its own (see _turns_of).
        self._file = os.open(f"{database}-writers", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600) \
            if database and database != ":memory:" and not database.startswith("file:") else None

    def take(self) -> bool:
        if not self._threads.acquire(timeout=QUEUE_WAIT_SECONDS):
            return False
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_EX)
        return True

    def give_back(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        self._threads.release()


_turns: dict[tuple[str, int], _Turns] = {}
_turns_lock = threading.Lock()


def _turns_of(database: str) -> _Turns:
    with _turns_lock:  # keyed by process too: a child forked from this one opens its own file
        key = (database, os.getpid())
        if key not in _turns:
            _turns[key] = _Turns(database)
        return _turns[key]


class QueuedWritersConnection(sqlite3.Connection):
    """A sqlite3 connection whose write transactions (``begin_immediate``) take the
    process's turn for its database until they commit or roll back."""

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self._turns = _turns_of(os.fspath(database))
        self._has_turn = False

    def begin_immediate(self) -> None:
        self._has_turn = self._turns.take()
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._give_turn_back()
            raise

    def take_turn(self) -> None:
        """For a write that commits itself (no BEGIN: ``db.execute_alone``); given back
        by ``statement_done``."""
        self._has_turn = self._turns.take()

    def statement_done(self) -> None:
        if not self.in_transaction:
            self._give_turn_back()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._give_turn_back()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._give_turn_back()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._give_turn_back()

    def _give_turn_back(self) -> None:
        if self._has_turn:
            self._has_turn = False
            self._turns.give_back()


def give_turns_back_after_lone_writes(engine) -> None:
    """A write outside a transaction has committed (or failed) once its statement ends."""

    @event.listens_for(engine, "after_cursor_execute")
    def _after(_conn, cursor, *_):
        cursor.connection.statement_done()

    @event.listens_for(engine, "handle_error")
    def _failed(context):
        cursor = getattr(context.execution_context, "cursor", None)
        if cursor is not None:
            cursor.connection.statement_done()
