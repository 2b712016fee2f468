"""The guard against its corpora (tests/corpus/), on DuckDB, SQLite and a real PostgreSQL.

- attacks.sql: every statement refused; where flagged `raw`, the statement is also sent straight
  to the read-only engine (the second wall) — and the database files' sha256 never change.
- harmless_tricks.sql: look-alike attacks that parse into one harmless query: refused, or sent
  as exactly one SELECT without the comment/string tricks.
- legit.sql: every query passes and returns the same rows as the unguarded query; run as the
  海原县总工会 officer it returns exactly the rows of the hand-scoped county version.
- scope_escapes.sql: as the 海原县 officer, refused or only that county's rows.
- injection_questions.txt: prompt injections through pipeline.ask, refused, data unchanged.
"""
from __future__ import annotations

import collections
import datetime as dt
import decimal
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import sqlglot
from sqlglot import exp

from assistant.config import Settings
from assistant.db import Databases
from assistant.guard import GuardRefusal, guard_sql
from assistant.models import Scope
from assistant.schema_docs import load_schema_docs

CORPUS = Path(__file__).parent / "corpus"
ENGINES = ("duckdb", "sqlite", "postgres")
SETTINGS_FIXTURE = {"duckdb": "demo_settings", "sqlite": "sqlite_settings", "postgres": "pg_settings"}
COUNTY_ORG = "海原县总工会"
COUNTY = "640522"
HIGH_LIMIT = 100_000
CJK = re.compile(r"[\u4e00-\u9fff]")


# ── corpus files ────────────────────────────────────────────────────────────────────
@dataclass
class Entry:
    name: str
    flags: set[str]
    parts: dict[str, str] = field(default_factory=dict)

    @property
    def sql(self) -> str:
        return self.parts["sql"]

    @property
    def database(self) -> str:
        return "posts" if "posts" in self.flags else "hotline"


def load_corpus(name: str) -> list[Entry]:
    """Entries start at '-- @ name [flags]'; '-- county:' / '-- expect:' start further parts."""
    entries: list[Entry] = []
    current: Entry | None = None
    part = "sql"
    buffers: dict[str, list[str]] = {}

    def close() -> None:
        if current is not None:
            for key, lines in buffers.items():
                text = "\n".join(lines).strip()
                if "esc" in current.flags:
                    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
                current.parts[key] = text

    for line in (CORPUS / name).read_text(encoding="utf-8").split("\n"):
        header = re.match(r"^-- @ (\S+)(?: \[([^\]]*)\])?\s*$", line)
        if header:
            close()
            current = Entry(header.group(1), set((header.group(2) or "").replace(",", " ").split()))
            entries.append(current)
            part, buffers = "sql", {"sql": []}
            continue
        if current is None:
            continue
        sub = re.match(r"^-- (county|expect):\s*$", line)
        if sub:
            part = sub.group(1)
            buffers[part] = []
            continue
        buffers[part].append(line)
    close()
    names = [e.name for e in entries]
    assert len(names) == len(set(names)), f"duplicate entry names in {name}"
    return entries


def load_questions() -> list[tuple[str, str]]:
    """(expectation, question): expectation is "refuse" or "safe" (the section it is under)."""
    out, section = [], "refuse"
    for line in (CORPUS / "injection_questions.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            assert section in ("refuse", "safe")
        elif line.strip() and not line.startswith("#"):
            out.append((section, line.strip()))
    return out


ATTACKS = load_corpus("attacks.sql")
TRICKS = load_corpus("harmless_tricks.sql")
LEGIT = load_corpus("legit.sql")
ESCAPES = load_corpus("scope_escapes.sql")
QUESTIONS = load_questions()


def test_corpora_are_big_enough() -> None:
    assert len(ATTACKS) >= 100
    assert len(QUESTIONS) >= 50 and sum(1 for kind, _ in QUESTIONS if kind == "refuse") >= 40
    assert len(LEGIT) >= 40
    assert all("county" in e.parts and e.parts["county"] for e in LEGIT)
    assert len(ESCAPES) >= 30


# ── engines and state ───────────────────────────────────────────────────────────────
@dataclass
class Engine:
    name: str
    settings: Settings
    databases: Databases
    dialect: str
    county: Scope


@pytest.fixture(scope="module")
def docs():
    return load_schema_docs()


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Engine:
    settings: Settings = request.getfixturevalue(SETTINGS_FIXTURE[request.param])
    settings = settings.with_(statement_timeout_s=3.0)
    databases = Databases(settings)
    yield Engine(request.param, settings, databases, databases.dialect("hotline"),
                 county_scope(databases))
    databases.dispose()


def county_scope(databases: Databases) -> Scope:
    """The 海原县总工会 officer's scope, resolved the way `--org` is."""
    from assistant.orgs import OrgDirectory
    scope = OrgDirectory(databases.engine("hotline")).scope(COUNTY_ORG)
    assert scope.region_codes == {COUNTY} and not scope.is_root
    return scope


def _file_paths(settings: Settings) -> list[Path]:
    paths = []
    for db in ("hotline", "posts"):
        url = sa.make_url(settings.url(db))
        if url.get_backend_name() in ("duckdb", "sqlite") and url.database:
            paths.append(Path(url.database))
    return paths


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_PG_TABLES = {"hotline": ("regions", "union_orgs", "hotline_tickets"),
              "posts": ("regions", "union_orgs", "union_posts", "post_activities", "post_monthly_visits")}


def _pg_state(engine: Engine) -> dict[str, Any]:
    """Row counts of every table and a content checksum of the tickets and regions
    (a PostgreSQL server has no single file to hash)."""
    state: dict[str, Any] = {}
    for db, tables in _PG_TABLES.items():
        for table in tables:
            if table in ("hotline_tickets", "regions") and db == "hotline":
                sql = (f"SELECT COUNT(*), md5(string_agg(CAST(t AS text), '|' ORDER BY CAST(t AS text))) "
                       f"FROM {table} AS t")
            else:
                sql = f"SELECT COUNT(*) FROM {table}"
            state[f"{db}.{table}"] = tuple(engine.databases.execute(db, sql)[1][0])
    return state


@pytest.fixture(scope="module")
def baseline(engine: Engine) -> dict[str, Any]:
    """The state of the engine's data before any attack of this module."""
    if engine.name == "postgres":
        return _pg_state(engine)
    return {str(p): _sha256(p) for p in _file_paths(engine.settings)}


def assert_unchanged(engine: Engine, baseline: dict[str, Any]) -> None:
    if engine.name == "postgres":
        assert _pg_state(engine) == baseline
    else:
        assert {str(p): _sha256(p) for p in _file_paths(engine.settings)} == baseline


# ── comparing results ───────────────────────────────────────────────────────────────
def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (float, decimal.Decimal)):
        return round(float(value), 6)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def multiset(rows: list[list[Any]]) -> collections.Counter:
    return collections.Counter(tuple(_norm(v) for v in row) for row in rows)


def run_unguarded(engine: Engine, database: str, sql_duckdb: str) -> list[list[Any]]:
    sql = sqlglot.transpile(sql_duckdb, read="duckdb", write=engine.dialect)[0]
    _, rows, truncated = engine.databases.execute(database, sql, max_rows=HIGH_LIMIT)
    assert not truncated
    return rows


def guard(engine: Engine, docs, entry_sql: str, database: str, scope: Scope | None):
    return guard_sql(entry_sql, database=database, docs=docs, dialect=engine.dialect, scope=scope,
                     row_limit=HIGH_LIMIT)


# ── attacks ─────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("entry", ATTACKS, ids=[e.name for e in ATTACKS])
def test_attack_refused(engine: Engine, docs, baseline, entry: Entry) -> None:
    with pytest.raises(GuardRefusal) as refused:
        guard(engine, docs, entry.sql, entry.database, None)
    assert CJK.search(refused.value.message), "the officer's message is in Chinese"
    assert re.fullmatch(r"[a-z_]+", refused.value.reason)
    if entry.name.startswith("pii-"):
        assert refused.value.reason in ("personal_data", "table_as_column", "function_not_allowed")
    # The county officer's guard refuses it just the same.
    with pytest.raises(GuardRefusal):
        guard(engine, docs, entry.sql, entry.database, engine.county)
    if "raw" in entry.flags:
        # Second wall: the statement sent straight to the engine, past the guard, changes nothing.
        try:
            engine.databases.execute(entry.database, entry.sql)
        except Exception:
            pass
        assert_unchanged(engine, baseline)


@pytest.mark.parametrize("entry", TRICKS, ids=[e.name for e in TRICKS])
def test_harmless_tricks_neutralised(engine: Engine, docs, baseline, entry: Entry) -> None:
    try:
        guarded = guard(engine, docs, entry.sql, entry.database, None)
    except GuardRefusal as refused:
        assert CJK.search(refused.message)
        return
    statements = [s for s in sqlglot.parse(guarded.sql, read=engine.dialect) if s is not None]
    assert len(statements) == 1 and isinstance(statements[0], (exp.Select, exp.SetOperation))
    # No comments survive: the engine gets SQL generated from the tree, not the original text.
    assert not any(token.comments for token in sqlglot.tokenize(guarded.sql, read=engine.dialect))
    engine.databases.execute(entry.database, guarded.sql)
    assert_unchanged(engine, baseline)


# ── legitimate queries ──────────────────────────────────────────────────────────────
@pytest.mark.parametrize("entry", LEGIT, ids=[e.name for e in LEGIT])
def test_legit_same_rows_as_unguarded(engine: Engine, docs, entry: Entry) -> None:
    guarded = guard(engine, docs, entry.sql, entry.database, None)
    assert not guarded.scoped
    _, rows, truncated = engine.databases.execute(entry.database, guarded.sql, max_rows=HIGH_LIMIT)
    assert not truncated
    expected = run_unguarded(engine, entry.database, entry.sql)
    assert expected, "a legit query should return rows on the demo data"
    assert multiset(rows) == multiset(expected)


@pytest.mark.parametrize("entry", LEGIT, ids=[e.name for e in LEGIT])
def test_legit_as_county_officer_sees_only_county(engine: Engine, docs, entry: Entry) -> None:
    guarded = guard(engine, docs, entry.sql, entry.database, engine.county)
    assert guarded.scoped
    columns, rows, _ = engine.databases.execute(entry.database, guarded.sql, max_rows=HIGH_LIMIT)
    expected = run_unguarded(engine, entry.database, entry.parts["county"])
    assert multiset(rows) == multiset(expected)
    check_county_columns(engine, columns, rows)


# ── scope escapes ───────────────────────────────────────────────────────────────────
@pytest.fixture(scope="module")
def county_keys(engine: Engine) -> dict[str, set]:
    """The ids the county officer may see, read unguarded."""
    def ids(db: str, sql: str) -> set:
        return {r[0] for r in engine.databases.execute(db, sql, max_rows=HIGH_LIMIT)[1]}
    return {
        "ticket_no": ids("hotline", f"SELECT ticket_no FROM hotline_tickets WHERE region_code = '{COUNTY}'"),
        "post_id": ids("posts", f"SELECT post_id FROM union_posts WHERE region_code = '{COUNTY}'"),
        "org_id": set(engine.county.org_ids),
        "fact_region": {COUNTY},
        "region_code": {COUNTY, "640500", "640000"},
    }


def check_county_columns(engine: Engine, columns: list[str], rows: list[list[Any]],
                         keys: dict[str, set] | None = None) -> int:
    """Region-like columns hold only the county (plus its ancestors for regions rows)."""
    checked = 0
    allowed = keys or {"fact_region": {COUNTY}, "region_code": {COUNTY, "640500", "640000"}}
    for i, column in enumerate(columns):
        if column in allowed:
            checked += 1
            values = {row[i] for row in rows} - {None}
            assert values <= allowed[column], f"{column} outside the county: {sorted(values - allowed[column])[:5]}"
    return checked


@pytest.mark.parametrize("entry", ESCAPES, ids=[e.name for e in ESCAPES])
def test_scope_escape_refused_or_county_only(engine: Engine, docs, county_keys, entry: Entry) -> None:
    try:
        guarded = guard(engine, docs, entry.sql, entry.database, engine.county)
    except GuardRefusal as refused:
        assert CJK.search(refused.message)
        return
    columns, rows, _ = engine.databases.execute(entry.database, guarded.sql, max_rows=HIGH_LIMIT)
    checked = check_county_columns(engine, columns, rows, county_keys)
    if "expect" in entry.parts:
        assert multiset(rows) == multiset(run_unguarded(engine, entry.database, entry.parts["expect"]))
        checked += 1
    assert checked, f"entry {entry.name} has nothing to check: add an id column or an expect part"


def test_scope_escapes_exercise_both_outcomes(docs) -> None:
    """The escape corpus holds queries the guard refuses and queries it scopes."""
    scope = Scope(org_id=28, org_name=COUNTY_ORG, org_level="县区总工会", region_code=COUNTY,
                  region_name="海原县", region_codes=frozenset({COUNTY}), org_ids=frozenset({28}))
    outcomes = collections.Counter()
    for entry in ESCAPES:
        try:
            guard_sql(entry.sql, database=entry.database, docs=docs, dialect="duckdb", scope=scope, row_limit=10)
            outcomes["scoped"] += 1
        except GuardRefusal:
            outcomes["refused"] += 1
    assert outcomes["scoped"] >= 30 and outcomes["refused"] >= 3


def test_data_unchanged_after_attacks(engine: Engine, baseline) -> None:
    """Runs after the attack tests of this engine (file order): every file hash still the same."""
    assert_unchanged(engine, baseline)


# ── prompt injection through the pipeline ───────────────────────────────────────────
@pytest.fixture(scope="module")
def duckdb_app(demo_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    from assistant.pipeline import App
    settings = demo_settings.with_(data_dir=tmp_path_factory.mktemp("injection"))
    return App(settings)


@pytest.fixture(scope="module")
def duckdb_hashes(demo_settings: Settings) -> dict[str, str]:
    return {str(p): _sha256(p) for p in _file_paths(demo_settings)}


PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.mark.parametrize("expectation,question", QUESTIONS,
                         ids=[f"{kind}-{i:02d}" for i, (kind, _) in enumerate(QUESTIONS, 1)])
def test_injection_question(duckdb_app, demo_settings: Settings, duckdb_hashes, expectation: str,
                            question: str) -> None:
    from assistant.pipeline import ask
    answer = ask(question, app=duckdb_app, backend="rules")
    if expectation == "refuse":
        assert answer.status == "refused", f"{question} → {answer.status}: {answer.answer}"
    else:
        assert answer.status in ("refused", "clarify", "ok"), f"{question} → {answer.status}: {answer.answer}"
    assert CJK.search(answer.answer)
    for row in answer.rows:
        for value in row:
            assert not (isinstance(value, str) and PHONE.search(value)), "an unmasked phone number in the answer"
    assert {str(p): _sha256(p) for p in _file_paths(demo_settings)} == duckdb_hashes
    # The audit log recorded it, and holds no unmasked phone or ID number.
    log = duckdb_app.settings.audit_path.read_text(encoding="utf-8")
    assert not PHONE.search(log)
    assert not re.search(r"(?<!\d)\d{17}[\dXx](?!\d)", log)
