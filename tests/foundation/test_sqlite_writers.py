"""SQLite writers take turns (nanhaitong/sqlite_writers.py): a writer waits for the turn,
across threads and processes, and every way a write ends gives the turn back."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading

import pytest

from nanhaitong.sqlite_writers import QueuedWritersConnection, _turns_of

WAITS = 0.5  # long enough to tell a writer that waits from one that goes on


def _connect(path, timeout: float = 30) -> QueuedWritersConnection:
    conn = sqlite3.connect(path, timeout=timeout, factory=QueuedWritersConnection, check_same_thread=False)
    conn.isolation_level = None
    conn.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
    return conn


def _begin_in_background(conn: QueuedWritersConnection) -> threading.Event:
    """Set once ``conn`` has its turn and has begun."""
    began = threading.Event()
    threading.Thread(target=lambda: (conn.begin_immediate(), began.set()), daemon=True).start()
    return began


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "writers.db")


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_each_end_of_a_write_gives_the_turn_back(path, end):
    first, second = _connect(path), _connect(path)
    first.begin_immediate()
    first.execute("INSERT INTO t VALUES (1)")
    began = _begin_in_background(second)
    assert not began.wait(WAITS)  # waits for the turn
    getattr(first, end)()
    assert began.wait(5)
    second.rollback()


def test_a_begin_that_fails_gives_the_turn_back(path):
    _connect(path).close()
    outsider = sqlite3.connect(path, isolation_level=None)  # holds SQLite's lock without a turn
    outsider.execute("BEGIN IMMEDIATE")
    impatient = _connect(path, timeout=0)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        impatient.begin_immediate()
    outsider.rollback()
    assert _begin_in_background(_connect(path)).wait(5)


def _hold_the_turn(path, taken, give_back):
    _turns_of(path).take()
    taken.set()
    give_back.wait(30)
    _turns_of(path).give_back()


def test_a_writer_waits_for_the_turn_of_another_process(path):
    """The turn is shared by processes (flock), not only by one process's threads: a
    process holding it without any SQLite lock still keeps this one's writer waiting."""
    _connect(path).close()
    spawn = multiprocessing.get_context("spawn")
    taken, give_back = spawn.Event(), spawn.Event()
    holder = spawn.Process(target=_hold_the_turn, args=(path, taken, give_back))
    holder.start()
    try:
        assert taken.wait(60)
        began = _begin_in_background(_connect(path))
        assert not began.wait(WAITS)
        give_back.set()
        assert began.wait(10)
    finally:
        give_back.set()
        holder.join(30)

