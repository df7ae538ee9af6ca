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


def _expanding(statement: Select, dialect) -> tuple[str, ...]:
    """The names of the statement's list parameters (``IN``)."""
    return tuple(name for name, bind in statement.compile(dialect=dialect).binds.items() if bind.expanding)


class _Compiled:
    """The statement's SQL for one dialect and, for each list parameter, one length:
    ``IN (:ids_1, :ids_2, ...)``, as SQLAlchemy itself renders it at each execution."""

    def __init__(self, statement: Select, dialect, lengths: dict[str, int]) -> None:
        expanded = statement.params({name: [None] * n for name, n in lengths.items()}) if lengths else statement
        compiled = expanded.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        self.sql = compiled.string
        self.positions = compiled.positiontup if compiled.positional else None
        self.lists = tuple(lengths)
        # Values fixed in the statement (literals become anonymous parameters) and each
        # parameter's conversion for the driver (a datetime is a string on SQLite).
        self.fixed = {name: bind.effective_value for name, bind in compiled.binds.items()
                      if not bind.required and not bind.expanding}
        self.bind_processors = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is None:
                continue
            for one in ([f"{name}_{i}" for i in range(1, lengths[name] + 1)] if bind.expanding else [name]):
                self.bind_processors[one] = processor
        processors = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                      for column in statement.selected_columns]
        self.result_processors = [(i, processor) for i, processor in enumerate(processors) if processor]
        self.row = namedtuple("Row", [column.key for column in statement.selected_columns], rename=True)

    def arguments(self, params: dict[str, Any]):
        values = {**self.fixed, **params}
        for name in self.lists:
            values.update((f"{name}_{i}", value) for i, value in enumerate(values.pop(name), 1))
        for name, processor in self.bind_processors.items():
            values[name] = processor(values[name])
        return [values[name] for name in self.positions] if self.positions is not None else values


class DriverRead:
    """One prebuilt SELECT; ``rows(params)`` gives its rows as named tuples."""

    def __init__(self, statement: Select) -> None:
        self.statement = statement
        self._lists: dict[str, tuple[str, ...]] = {}  # dialect -> names of its list parameters
        self._compiled: dict[tuple, _Compiled] = {}  # (dialect, lengths of the lists) -> SQL

    def rows(self, params: dict[str, Any]) -> list:
        session = db.session()
        if session.autoflush:
            session.flush()  # what the session holds unsent is read too, as Session.execute would
        connection = session.connection()
        dialect = connection.dialect
        lists = self._lists.get(dialect.name)
        if lists is None:
            lists = self._lists[dialect.name] = _expanding(self.statement, dialect)
        lengths = tuple(len(params[name]) for name in lists)
        compiled = self._compiled.get((dialect.name, lengths))
        if compiled is None:
            compiled = self._compiled[(dialect.name, lengths)] = _Compiled(self.statement, dialect,
                                                                           dict(zip(lists, lengths)))
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
