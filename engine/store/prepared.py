"""Hot write statements run straight on the DB-API cursor of a command's connection.

A step writes the same four statements every time (the task completed, the new task rows, the
case row, the events). Through ``Connection.execute`` each costs SQLAlchemy's execution machinery
(compiled-cache lookup, execution context, events, result object) several times what SQLite takes
to run it: in a five-task case that was a few milliseconds of the server's time. A
:class:`Prepared` statement is compiled once per dialect and set of columns and sent to the cursor
of the very connection, hence the very transaction, the command holds.

What SQLAlchemy does to values on the way in is kept exactly: each parameter goes through the bind
processor SQLAlchemy itself compiled for its column type and dialect (datetimes in UTC on SQLite,
JSON through the dialect's serializer, psycopg's JSON wrapper), so the stored bytes are the same
and every hash and restore reads as before. A driver error is handed to SQLAlchemy's own handler,
so it is raised wrapped as ``sqlalchemy.exc.DBAPIError`` and a dead connection invalidates the pool,
as for any other statement. With ``echo`` on (``SQL_ECHO``), statements go through SQLAlchemy
so that they are logged.

Only writes (INSERT and UPDATE without RETURNING) are prepared: reading rows back needs
SQLAlchemy's result processing.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, NamedTuple, Sequence

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.dml import Insert, Update


class _Compiled(NamedTuple):
    sql: str
    positional: bool
    #: (placeholder name, processor or None) in the order of the statement's placeholders.
    order: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    #: Values the statement carries itself (``.values(status="completed")``).
    constants: Mapping[str, Any]


class Prepared:
    """One INSERT or UPDATE, compiled once per dialect (and, for an INSERT, per set of columns)."""

    def __init__(self, statement: Insert | Update) -> None:
        self.statement = statement
        self._columns = frozenset(statement.table.c.keys())  # type: ignore[union-attr]
        self._compiled: dict[tuple[str, tuple[str, ...] | None], _Compiled] = {}

    def _for(self, dialect: Dialect, params: Mapping[str, Any]) -> _Compiled:
        # An INSERT names the columns it is given (as Connection.execute does); an UPDATE is fixed.
        keys = tuple(k for k in params if k in self._columns) if isinstance(self.statement, Insert) else None
        found = self._compiled.get((dialect.name, keys))
        if found is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=list(keys) if keys else None)
            if compiled.escaped_bind_names:  # placeholders spelled otherwise than the names given
                raise TypeError(f"{self.statement}: bind names need escaping; use Connection.execute")
            if compiled.insert_prefetch or compiled.update_prefetch:
                # a Python-side default (or onupdate) SQLAlchemy would compute: not for this path
                raise TypeError(f"{self.statement} leaves Python-side defaults to SQLAlchemy; "
                                "give every column or use Connection.execute")
            processors = compiled._bind_processors
            names = compiled.positiontup if compiled.positional else list(compiled.binds)
            constants = {name: value for name, value in compiled.construct_params(_check=False).items()
                         if value is not None}
            found = _Compiled(compiled.string, bool(compiled.positional),
                              tuple((name, processors.get(name)) for name in names or ()), constants)
            self._compiled[(dialect.name, keys)] = found
        return found

    @staticmethod
    def _values(compiled: _Compiled, params: Mapping[str, Any]) -> Any:
        constants = compiled.constants
        values = [(name, processor, params[name] if name in params else constants.get(name))
                  for name, processor in compiled.order]
        # Every value through its processor, None included, as SQLAlchemy does (a JSON column's
        # None is JSON ``null`` unless the type says ``none_as_null``).
        converted = [(name, value if processor is None else processor(value)) for name, processor, value in values]
        return tuple(value for _, value in converted) if compiled.positional else dict(converted)

    def run(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Execute once in ``conn``'s transaction; the number of rows it matched."""
        if conn.engine.echo:
            return conn.execute(self.statement, dict(params)).rowcount
        compiled = self._for(conn.dialect, params)
        values = self._processed(conn, compiled, [params])
        return self._cursor(conn, compiled, values[0], many=False)

    def run_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute once per row (each row with the same keys), in ``conn``'s transaction."""
        if not rows:
            return
        if conn.engine.echo:
            conn.execute(self.statement, [dict(row) for row in rows])
            return
        compiled = self._for(conn.dialect, rows[0])
        values = self._processed(conn, compiled, rows)
        self._cursor(conn, compiled, values if len(values) > 1 else values[0], many=len(values) > 1)

    def _processed(self, conn: Connection, compiled: _Compiled, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Each row's values through the bind processors. A value a processor refuses (a naive
        datetime, say) raises what SQLAlchemy raises for it: its ``StatementError`` around the cause,
        so callers that sort errors by type see the same either way."""
        try:
            return [self._values(compiled, row) for row in rows]
        except Exception as err:  # noqa: BLE001 - SQLAlchemy's handler wraps it, as when it builds a statement
            conn._handle_dbapi_exception(err, compiled.sql, list(rows), None, None)  # type: ignore[arg-type]
            raise  # not reached: the handler always raises

    @staticmethod
    def _cursor(conn: Connection, compiled: _Compiled, values: Any, many: bool) -> int:
        dbapi_connection = conn.connection.dbapi_connection
        cursor = None
        try:
            cursor = dbapi_connection.cursor()  # type: ignore[union-attr]
            if many:
                cursor.executemany(compiled.sql, values)
            else:
                cursor.execute(compiled.sql, values)
            count = cursor.rowcount
            cursor.close()
            return count
        except Exception as err:  # noqa: BLE001 - the driver's errors go through SQLAlchemy's handler
            if not isinstance(err, conn.dialect.loaded_dbapi.Error):
                raise  # as SQLAlchemy lets them through from a cursor (the driver's OverflowError, say)
            conn._handle_dbapi_exception(err, compiled.sql, values, cursor, None)  # type: ignore[arg-type]
            raise  # not reached: the handler always raises
