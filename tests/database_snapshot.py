"""A test database's rows at one moment, put back into an emptied database later.

For a module whose tests all start from the same elaborate state built through the API
(the access matrix's world of citizens, enterprises, grants, licences...): built once,
then restored into each test's freshly emptied database, so every test starts from
exactly that state whatever the tests before it did to theirs.

SQLite: a copy of the file. PostgreSQL: a copy of every table in a schema of its own,
inserted back with triggers off (as the per-test emptying deletes), and the sequences
set back to where they stood.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from nanhaitong.config import normalize_database_url


class DatabaseSnapshot:
    def __init__(self, url: str, directory: Path, name: str):
        """Copy the rows of ``url`` now; ``name`` tells this snapshot from others kept at once."""
        self.url = normalize_database_url(url)
        self.sqlite = self.url.startswith("sqlite")
        self.schema = f"test_snapshot_{name}"
        if self.sqlite:
            self.path = directory / f"snapshot-{name}.db"
            with sqlite3.connect(_sqlite_path(self.url)) as source, sqlite3.connect(self.path) as copy:
                source.backup(copy)
            return
        self.engine = create_engine(self.url)
        with self.engine.begin() as conn:
            self.tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
            conn.execute(text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {self.schema}"))
            for table in self.tables:
                conn.execute(text(f"CREATE TABLE {self.schema}.{table} AS TABLE public.{table}"))
            self.tables = [t for t in self.tables
                           if conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {self.schema}.{t})")).scalar()]
            self.sequences = [
                (name, *conn.execute(text(f"SELECT last_value, is_called FROM public.{name}")).one())
                for name in conn.execute(text(
                    "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")).scalars()
            ]

    def restore(self, url: str) -> None:
        """Put the rows back into ``url``, a database the suite has just emptied."""
        if self.sqlite:
            # Nothing has the file open (the app is made after this); a journal left
            # beside it would be replayed over the copy.
            target = Path(_sqlite_path(normalize_database_url(url)))
            for journal in ("-wal", "-shm"):
                target.with_name(target.name + journal).unlink(missing_ok=True)
            shutil.copyfile(self.path, target)
            return
        assert normalize_database_url(url) == self.url, "PostgreSQL snapshots go back where they came from"
        statements = [
            "SET LOCAL session_replication_role = replica",
            *(f"INSERT INTO public.{table} SELECT * FROM {self.schema}.{table}" for table in self.tables),
            *(f"SELECT setval('public.{name}', {int(value)}, {bool(called)})" for name, value, called in self.sequences),
        ]
        with self.engine.begin() as conn:
            conn.exec_driver_sql("; ".join(statements))  # one round trip

    def drop(self) -> None:
        if self.sqlite:
            self.path.unlink(missing_ok=True)
            return
        with self.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
        self.engine.dispose()


def _sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")
