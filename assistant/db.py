"""Database access: one Databases object per process holds the engines of both databases.

Only the pipeline executes SQL, and only after the guard has passed it (see guard.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from .config import Settings
from .contract import DATABASES

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


def sqlglot_dialect(url: str | sa.engine.URL) -> str:
    name = sa.make_url(url).get_backend_name()
    return SQLGLOT_DIALECTS.get(name, name)


def make_engine(url: str, *, read_only: bool = True) -> sa.Engine:
    """An engine for one database URL; read_only opens it so that writes fail at the engine too."""
    u = sa.make_url(url)
    backend = u.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "duckdb":
        if read_only:
            connect_args["read_only"] = True
        path = u.database
        if read_only and path and path != ":memory:":
            from pathlib import Path
            if not Path(path).exists():
                raise DatabaseUnavailable(f"数据库文件不存在：{path}（请先运行 wenshu demo-data）")
    elif backend == "sqlite":
        if read_only and u.database and u.database != ":memory:":
            from pathlib import Path
            if not Path(u.database).exists():
                raise DatabaseUnavailable(f"数据库文件不存在：{u.database}")
            # mode=ro: SQLite refuses every write on this connection.
            u = sa.make_url(f"sqlite:///file:{u.database}?mode=ro&uri=true")
    elif backend == "postgresql":
        if read_only:
            connect_args["options"] = "-c default_transaction_read_only=on"
    return sa.create_engine(u, connect_args=connect_args, poolclass=sa.pool.NullPool if backend != "duckdb" else None)


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
            self._engines[database] = make_engine(self.settings.url(database), read_only=self.read_only)
        return self._engines[database]

    def dialect(self, database: str) -> str:
        return sqlglot_dialect(self.settings.url(database))

    def execute(self, database: str, sql: str, *, max_rows: int | None = None) -> tuple[list[str], list[list[Any]], bool]:
        """Run one (already guarded) query; returns columns, rows and whether rows were cut at max_rows."""
        max_rows = max_rows or self.settings.max_result_rows
        with self.engine(database).connect() as conn:
            result = conn.exec_driver_sql(sql)
            columns = list(result.keys())
            fetched = result.fetchmany(max_rows + 1)
        truncated = len(fetched) > max_rows
        rows = [list(r) for r in fetched[:max_rows]]
        return columns, rows, truncated

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
