"""Prebuilt SELECTs read through the database driver itself, on the session's own connection.

The reads every request makes (the session check of each authenticated request) and the
pages citizens open most are Core statements built once. Through ``Session.execute``
each one cost about 80 µs of CPU in process on top of the driver's 25: SQLAlchemy's
execution context, result metadata and row objects, built anew per statement. Here the
statement is compiled once per dialect and its columns' result processors (UTC
datetimes, decryption of protected columns) are looked up once; a read is the driver's
execute and fetch, and those processors.

Plain reads only: nothing here writes or locks rows (that goes through the session,
where the transaction opens at the first write). A driver error is not handled here: the
statement is sent again through the session, which raises, invalidates a lost
connection and discards the pool exactly as for any other statement.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from sqlalchemy.sql import Select

from . import db


class _Compiled:
    def __init__(self, statement: Select, dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("an expanding IN parameter has no fixed SQL: read it through the session")
        self.sql = compiled.string
        self.positions = compiled.positiontup if compiled.positional else None
        # Values fixed in the statement (literals become anonymous parameters) and each
        # parameter's conversion for the driver (a datetime is a string on SQLite).
        self.fixed = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
        self.bind_processors = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.bind_processors[name] = processor
        processors = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                      for column in statement.selected_columns]
        self.result_processors = [(i, processor) for i, processor in enumerate(processors) if processor]
        self.row = namedtuple("Row", [column.key for column in statement.selected_columns], rename=True)

    def arguments(self, params: dict[str, Any]):
        values = {**self.fixed, **params}
        for name, processor in self.bind_processors.items():
            values[name] = processor(values[name])
        return [values[name] for name in self.positions] if self.positions is not None else values


class DriverRead:
    """One prebuilt SELECT; ``rows(params)`` gives its rows as named tuples."""

    def __init__(self, statement: Select) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def rows(self, params: dict[str, Any]) -> list:
        session = db.session()
        connection = session.connection()
        dialect = connection.dialect
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _Compiled(self.statement, dialect)
        dbapi_connection = connection.connection.dbapi_connection
        try:
            cursor = dbapi_connection.cursor()
            try:
                arguments = compiled.arguments(params)
                # Still seen by the engine's listeners (the transaction's opener, statement
                # counters in tests and bench.profile), as any statement is.
                connection.dispatch.before_cursor_execute(connection, cursor, compiled.sql, arguments, None, False)
                cursor.execute(compiled.sql, arguments)
                fetched = cursor.fetchall()
            finally:
                cursor.close()
        except dialect.loaded_dbapi.Error:
            # Sent again the usual way: SQLAlchemy raises its own error (the handlers
            # answer 503 for a lost connection) and discards the pool, or the read works.
            return [compiled.row(*row) for row in session.execute(self.statement, params)]
        processors = compiled.result_processors
        if not processors:
            return [compiled.row(*row) for row in fetched]
        rows = []
        for row in fetched:
            values = list(row)
            for i, processor in processors:
                values[i] = processor(values[i])
            rows.append(compiled.row(*values))
        return rows

    def first(self, params: dict[str, Any]):
        found = self.rows(params)
        return found[0] if found else None
