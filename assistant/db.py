"""Database access: one Databases object per process holds the engines of both databases.

Only the pipeline executes SQL, and only after the guard has passed it (see guard.py).
This module is the second wall behind the guard: every engine is opened read-only (DuckDB
read_only with external access switched off, SQLite mode=ro + query_only, PostgreSQL sessions with
default_transaction_read_only), every statement runs under a timeout, and results are capped.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import sqlalchemy as sa

from .config import Settings
from .contract import DATABASES

log = logging.getLogger(__name__)

# SQLAlchemy dialect name → sqlglot dialect name
SQLGLOT_DIALECTS = {
    "duckdb": "duckdb",
    "sqlite": "sqlite",
    "postgresql": "postgres",
    "clickhouse": "clickhouse",
    "mysql": "mysql",
}

class DatabaseUnavailable(RuntimeError):
    """A database cannot be opened (missing file, server down)."""


class QueryTimeout(RuntimeError):
    """A statement ran longer than Settings.statement_timeout_s and was cancelled."""

    def __init__(self, seconds: float):
        super().__init__(f"查询超过 {seconds:g} 秒仍未完成，已取消。请缩小时间或地区范围后再试。")
        self.message = str(self)
        self.seconds = seconds


def sqlglot_dialect(url: str | sa.engine.URL) -> str:
    name = sa.make_url(url).get_backend_name()
    return SQLGLOT_DIALECTS.get(name, name)


def _duckdb_connect_args(read_only: bool) -> dict[str, Any]:
    return {"read_only": True} if read_only else {}


def make_engine(url: str, *, read_only: bool = True, statement_timeout_s: float | None = None) -> sa.Engine:
    """An engine for one database URL; read_only opens it so that writes fail at the engine too."""
    u = sa.make_url(url)
    backend = u.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "duckdb":
        connect_args = _duckdb_connect_args(read_only)
        path = u.database
        if read_only and path and path != ":memory:" and not Path(path).exists():
            raise DatabaseUnavailable(f"数据库文件不存在：{path}（请先运行 wenshu demo-data）")
    elif backend == "sqlite":
        if read_only and u.database and u.database != ":memory:":
            if not Path(u.database).exists():
                raise DatabaseUnavailable(f"数据库文件不存在：{u.database}")
            # mode=ro: SQLite refuses every write on this connection.
            u = sa.make_url(f"sqlite:///file:{u.database}?mode=ro&uri=true")
    elif backend == "postgresql":
        options = []
        if read_only:
            options.append("-c default_transaction_read_only=on")
        if statement_timeout_s:
            options.append(f"-c statement_timeout={max(1, int(statement_timeout_s * 1000))}")
        if options:
            connect_args["options"] = " ".join(options)
    if backend == "duckdb" and u.database and u.database != ":memory:":
        # Open exactly as a plain duckdb.connect(path, read_only=True) would: DuckDB lets several
        # connections of one process share a file only when their configurations match, and
        # duckdb_sqlalchemy's own connect adds a user-agent setting that no other reader has.
        engine = sa.create_engine(u, creator=_duckdb_creator(u.database, read_only))
    else:
        engine = sa.create_engine(u, connect_args=connect_args,
                                  poolclass=sa.pool.NullPool if backend != "duckdb" else None)
    if backend == "sqlite" and read_only:
        @sa.event.listens_for(engine, "connect")
        def _query_only(dbapi_conn, _record) -> None:  # more locks besides mode=ro
            dbapi_conn.execute("PRAGMA query_only = ON")
            # mode=ro still lets ATTACH create a new database file; the authorizer refuses
            # everything but reading (and reading PRAGMAs, which schema inspection uses).
            dbapi_conn.set_authorizer(_sqlite_read_only_authorizer)
    if backend == "duckdb" and read_only:
        @sa.event.listens_for(engine, "connect")
        def _no_external_access(dbapi_conn, _record) -> None:
            # One-way at run time ("cannot enable external access while database is running"):
            # no file/URL readers, no ATTACH of files, no COPY to files, no extension loading.
            # Set with SET rather than as an open-time config so that other readers of the same
            # file in this process (DuckDB demands one configuration per file) are not locked out.
            dbapi_conn.execute("SET enable_external_access = false")
    return engine


def _duckdb_creator(path: str, read_only: bool):
    import duckdb
    from duckdb_sqlalchemy import ConnectionWrapper

    def create():
        return ConnectionWrapper(duckdb.connect(path, read_only=read_only))
    return create


def _sqlite_read_only_authorizer(action: int, arg1: str | None, arg2: str | None, _db: str | None,
                                 _trigger: str | None) -> int:
    import sqlite3
    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
                  sqlite3.SQLITE_RECURSIVE, sqlite3.SQLITE_TRANSACTION):
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in ("load_extension", "readfile", "writefile"):
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and arg2 is None and (arg1 or "").lower() != "writable_schema":
        return sqlite3.SQLITE_OK  # reading a pragma (PRAGMA table_info(x) passes x as arg2, see below)
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in _SQLITE_READ_PRAGMAS:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


# PRAGMAs that take an argument but only read (SQLAlchemy's inspector uses them).
_SQLITE_READ_PRAGMAS = frozenset({"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo",
                                  "foreign_key_list"})


@contextlib.contextmanager
def _statement_timeout(conn: sa.Connection, backend: str, seconds: float | None) -> Iterator[dict[str, bool]]:
    """Cancel the statement running on conn after `seconds`; yields {'fired': bool}."""
    state = {"fired": False}
    if not seconds or seconds <= 0:
        yield state
        return
    raw = conn.connection.driver_connection
    if backend == "duckdb":
        # DuckDB has no statement_timeout setting: interrupt the connection from a timer thread.
        def fire() -> None:
            state["fired"] = True
            raw.interrupt()
        timer = threading.Timer(seconds, fire)
        timer.daemon = True
        timer.start()
        try:
            yield state
        finally:
            timer.cancel()
    elif backend == "sqlite":
        deadline = time.monotonic() + seconds

        def progress() -> int:
            if time.monotonic() > deadline:
                state["fired"] = True
                return 1  # non-zero aborts the statement ("interrupted")
            return 0
        raw.set_progress_handler(progress, 20_000)
        try:
            yield state
        finally:
            raw.set_progress_handler(None, 0)
    else:
        # PostgreSQL: statement_timeout is set on the session (make_engine); sqlstate 57014.
        yield state


def _execute_postgres(conn: sa.Connection, sql: str, limit: int) -> tuple[list[str], list[Any]]:
    """Run one statement with psycopg's extended query protocol (binary=True).

    The extended protocol takes exactly one statement, so even a string that slipped past the
    guard cannot append `COMMIT; SET …; DROP …` to escape the read-only transaction. No
    parameters are passed, so '%' in LIKE patterns needs no escaping.
    """
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        cur.execute(sql, binary=True)
        if cur.description is None:
            return [], []
        columns = [d.name for d in cur.description]
        return columns, cur.fetchmany(limit)


def _is_timeout(err: BaseException, state: dict[str, bool]) -> bool:
    if state["fired"]:
        return True
    orig = getattr(err, "orig", None)
    return getattr(orig, "sqlstate", None) == "57014"


@dataclass
class Databases:
    """The two databases of one process, opened lazily and read-only by default."""
    settings: Settings
    read_only: bool = True
    _engines: dict[str, sa.Engine] = field(default_factory=dict, repr=False)

    def engine(self, database: str) -> sa.Engine:
        if database not in DATABASES:
            raise ValueError(f"unknown database {database!r}")
        if database not in self._engines:
            self._engines[database] = make_engine(self.settings.url(database), read_only=self.read_only,
                                                  statement_timeout_s=self.settings.statement_timeout_s)
        return self._engines[database]

    def backend(self, database: str) -> str:
        return sa.make_url(self.settings.url(database)).get_backend_name()

    def dialect(self, database: str) -> str:
        return sqlglot_dialect(self.settings.url(database))

    def execute(self, database: str, sql: str, *, max_rows: int | None = None) -> tuple[list[str], list[list[Any]], bool]:
        """Run one (already guarded) query; returns columns, rows and whether rows were cut at max_rows.

        Raises QueryTimeout when the statement exceeds Settings.statement_timeout_s.
        """
        max_rows = max_rows or self.settings.max_result_rows
        timeout = self.settings.statement_timeout_s
        with self.engine(database).connect() as conn:
            with _statement_timeout(conn, self.backend(database), timeout) as state:
                try:
                    if self.backend(database) == "postgresql":
                        columns, fetched = _execute_postgres(conn, sql, max_rows + 1)
                    else:
                        # no_parameters: the SQL goes to the driver as it is.
                        result = conn.exec_driver_sql(sql, execution_options={"no_parameters": True})
                        columns = list(result.keys())
                        fetched = result.fetchmany(max_rows + 1)
                        result.close()
                except sa.exc.DBAPIError as err:
                    if _is_timeout(err, state):
                        raise QueryTimeout(timeout) from err
                    raise
                except Exception as err:
                    if _is_timeout(err, state) or getattr(err, "sqlstate", None) == "57014":
                        raise QueryTimeout(timeout) from err
                    raise
        truncated = len(fetched) > max_rows
        rows = [list(r) for r in fetched[:max_rows]]
        return columns, rows, truncated

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
