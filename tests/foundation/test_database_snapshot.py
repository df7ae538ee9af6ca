"""The snapshot that lets a module build an elaborate state once (tests/database_snapshot.py)
puts back exactly the rows and sequence positions it copied, on either backend."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from nanhaitong.config import normalize_database_url
from tests.conftest import BACKEND, empty_database
from tests.database_snapshot import DatabaseSnapshot


def contents(url: str) -> dict:
    engine = create_engine(normalize_database_url(url))
    with engine.connect() as conn:
        rows = {table: sorted(map(repr, conn.execute(text(f'SELECT * FROM "{table}"'))))
                for table in inspect(conn).get_table_names()}
        if BACKEND == "postgresql":
            rows["sequences"] = sorted(conn.execute(text(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")).all())
    engine.dispose()
    return rows


def test_restore_brings_back_the_rows_and_sequences_as_copied(
        make_app, sign_in, database_url, database_template, _cleanup_engine, tmp_path):
    app = make_app()
    sign_in("13800138001")
    snapshot = DatabaseSnapshot(database_url, tmp_path, "check")
    try:
        copied = contents(database_url)
        assert copied["users"] and copied["audit_events"], "the sign-in left no rows to copy"
        sign_in("13800138002")  # more rows after the copy; then an emptied database, as the next test gets
        app.extensions["nht.engine"].dispose()
        if BACKEND == "postgresql":  # and sequences moved on, as later inserts move them
            with _cleanup_engine.begin() as conn:
                conn.execute(text("SELECT nextval(format('public.%I', sequencename)) FROM pg_sequences "
                                  "WHERE schemaname = 'public'"))
        (tmp_path / "next").mkdir()
        emptied = empty_database(database_template, _cleanup_engine, tmp_path / "next")
        assert not contents(emptied)["users"]

        snapshot.restore(emptied)

        assert contents(emptied) == copied
    finally:
        snapshot.drop()
