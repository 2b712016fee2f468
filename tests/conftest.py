"""Shared fixtures: the demo databases on DuckDB, SQLite and a real PostgreSQL server.

The demo data is generated once per parameter set and cached under data/test-cache
(gitignored); an fcntl lock keeps pytest-xdist workers from generating it twice.
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from assistant.config import PROJECT_ROOT, Settings, load_settings
from assistant.demo_data import cached_demo_dir, demo_key
from assistant.locks import file_lock

DEMO_SEED = 7
DEMO_END = dt.date(2026, 6, 30)
DEMO_TICKETS = 20000
DEMO_POSTS = 1500
CACHE_ROOT = Path(os.environ.get("WENSHU_TEST_CACHE", PROJECT_ROOT / "data" / "test-cache"))
DEMO_KEY = demo_key(seed=DEMO_SEED, end=DEMO_END, tickets=DEMO_TICKETS, posts=DEMO_POSTS)


def _locked(name: str):
    return file_lock(CACHE_ROOT / f"{name}.lock")


def _generate(**urls: str) -> None:
    from assistant.demo_data import generate
    generate(seed=DEMO_SEED, end=DEMO_END, tickets=DEMO_TICKETS, posts=DEMO_POSTS, **urls)


def _settings(tmp_root: Path, hotline_url: str, posts_url: str) -> Settings:
    env = {"WENSHU_DATA_DIR": str(tmp_root), "WENSHU_HOTLINE_URL": hotline_url, "WENSHU_POSTS_URL": posts_url}
    return load_settings(env)


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    """A directory holding hotline.duckdb and posts.duckdb (seed 7, end 2026-06-30)."""
    return cached_demo_dir(CACHE_ROOT, seed=DEMO_SEED, end=DEMO_END, tickets=DEMO_TICKETS, posts=DEMO_POSTS)


@pytest.fixture(scope="session")
def demo_settings(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings on the DuckDB demo files, with a private data dir (sessions, audit log)."""
    return _settings(tmp_path_factory.mktemp("wenshu-data"),
                     f"duckdb:///{demo_dir / 'hotline.duckdb'}", f"duckdb:///{demo_dir / 'posts.duckdb'}")


@pytest.fixture(scope="session")
def sqlite_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    target = CACHE_ROOT / (DEMO_KEY + "-sqlite")
    urls = {"hotline_url": f"sqlite:///{target / 'hotline.sqlite'}", "posts_url": f"sqlite:///{target / 'posts.sqlite'}"}
    with _locked(DEMO_KEY + "-sqlite"):
        if not (target / "complete").exists():
            target.mkdir(parents=True, exist_ok=True)
            for f in target.glob("*.sqlite"):
                f.unlink()
            _generate(**urls)
            (target / "complete").write_text("ok")
    return _settings(tmp_path_factory.mktemp("wenshu-data-sqlite"), urls["hotline_url"], urls["posts_url"])


def _start_postgres(tmp_root: Path) -> str:
    script = PROJECT_ROOT / ".ci" / "start-postgres"
    proc = subprocess.run([str(script), str(tmp_root / "pg")], capture_output=True, text=True)
    if proc.returncode != 0:
        message = f"could not start PostgreSQL: {proc.stderr.strip()}"
        if os.environ.get("WENSHU_REQUIRE_PG") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A base URL of a real PostgreSQL server: WENSHU_TEST_PG_URL (set by .ci/run) or one started here."""
    url = os.environ.get("WENSHU_TEST_PG_URL")
    if url:
        yield url
        return
    root = Path("/tmp") / f"wenshu-pg-{os.getpid()}"
    root.mkdir(exist_ok=True)
    os.chmod(root, 0o755)
    url = _start_postgres(root)
    try:
        yield url
    finally:  # a server this session started stops with it
        pg_ctl = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1]
        cmd = [str(pg_ctl), "-D", str(root / "pg" / "pgdata"), "stop", "-m", "fast"]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, capture_output=True)


def _pg_database_url(base: str, name: str) -> str:
    return sa.make_url(base).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_settings(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The demo data loaded into two databases of a real PostgreSQL server."""
    names = {"hotline_url": f"wenshu_{DEMO_KEY.replace('-', '_')}_hotline",
             "posts_url": f"wenshu_{DEMO_KEY.replace('-', '_')}_posts"}
    urls = {k: _pg_database_url(pg_url, v) for k, v in names.items()}
    with _locked(DEMO_KEY + "-pg"):
        admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            existing = {r[0] for r in conn.exec_driver_sql("SELECT datname FROM pg_database")}
            ready = set(names.values()) <= existing
            if ready:
                check = sa.create_engine(urls["posts_url"])
                with check.connect() as c2:
                    ready = "wenshu_complete" in sa.inspect(c2).get_table_names()
                check.dispose()
            if not ready:
                for name in names.values():
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        if not ready:
            _generate(**urls)
            marker = sa.create_engine(urls["posts_url"])
            with marker.begin() as c3:
                c3.exec_driver_sql("CREATE TABLE wenshu_complete (ok integer)")
            marker.dispose()
    return _settings(tmp_path_factory.mktemp("wenshu-data-pg"), urls["hotline_url"], urls["posts_url"])


@pytest.fixture(params=["duckdb", "sqlite", "postgres"])
def any_settings(request: pytest.FixtureRequest) -> Settings:
    """The same demo data on each engine in turn."""
    return request.getfixturevalue({"duckdb": "demo_settings", "sqlite": "sqlite_settings",
                                    "postgres": "pg_settings"}[request.param])


# ── browser tests (browser_support: Debian chromium under playwright) ───────────────
@pytest.fixture(scope="module")
def browser():
    from browser_support import chromium, require_chromium
    require_chromium()
    with chromium() as b:
        yield b


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 960}, locale="zh-CN")
    p = context.new_page()
    try:
        yield p
    finally:
        context.close()
