"""The SQL guard, masking, the audit log and the database second wall (assistant/guard.py,
assistant/audit.py, assistant/db.py). The corpora are in test_guard_attacks.py."""
from __future__ import annotations

import collections
import json
import re
import time

import pytest
from sqlglot import exp

from assistant.audit import AuditLog, format_entries, mask_free_text, mask_sql
from assistant.config import Settings
from assistant.db import Databases, QueryTimeout
from assistant.guard import (GuardRefusal, guard_sql, mask_name, mask_phone, mask_rows, mask_text,
                             region_codes_visible)
from assistant.models import Scope
from assistant.schema_docs import load_schema_docs

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def docs():
    return load_schema_docs()


def county() -> Scope:
    return Scope(org_id=28, org_name="海原县总工会", org_level="县区总工会", region_code="640522",
                 region_name="海原县", region_codes=frozenset({"640522"}), org_ids=frozenset({28, 215, 216}))


def city() -> Scope:
    return Scope(org_id=6, org_name="中卫市总工会", org_level="市总工会", region_code="640500",
                 region_name="中卫市", region_codes=frozenset({"640500", "640502", "640521", "640522"}),
                 org_ids=frozenset({6, 28}))


def root() -> Scope:
    return Scope(org_id=1, org_name="宁夏回族自治区总工会", org_level="自治区总工会", region_code="640000",
                 region_name="宁夏回族自治区", region_codes=frozenset({"640000"}), org_ids=frozenset({1}),
                 is_root=True)


def g(sql: str, docs, *, database: str = "hotline", dialect: str = "duckdb", scope: Scope | None = None,
      row_limit: int = 1000):
    return guard_sql(sql, database=database, docs=docs, dialect=dialect, scope=scope, row_limit=row_limit)


def refusal(sql: str, docs, **kw) -> GuardRefusal:
    with pytest.raises(GuardRefusal) as info:
        g(sql, docs, **kw)
    assert CJK.search(info.value.message)
    return info.value


# ── masking ─────────────────────────────────────────────────────────────────────────
def test_mask_name() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("王") == "*"
    assert mask_name(None) is None
    assert mask_name("") == ""


def test_mask_phone() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("09516012345") == "095****2345"
    assert mask_phone("6012345") == "60***45"
    assert mask_phone(None) is None


def test_mask_text_phones_and_id_numbers() -> None:
    text = "来电人13812345678反映，备用电话0951-6012345，身份证号64052219900101123X，工单NX20250315000123。"
    masked = mask_text(text)
    assert "13812345678" not in masked and "138****5678" in masked
    assert "6012345" not in masked and "0951-***2345" in masked
    assert "19900101" not in masked and "640522********123X" in masked
    assert "NX20250315000123" in masked  # ticket numbers are not personal data
    assert mask_text("请联系 +86 138-1234-5678") == "请联系 +86 138****5678"
    assert mask_text("涉及金额12000元") == "涉及金额12000元"
    assert mask_text(None) is None and mask_text(42) == 42


def test_mask_rows_masks_by_column_kind() -> None:
    rows = [["NX1", "张三", "13812345678", "电话13912345678", 3], ["NX2", None, None, None, 1]]
    out = mask_rows(rows, {1: "name", 2: "phone", 3: "text"})
    assert out == [["NX1", "张*", "138****5678", "电话139****5678", 3], ["NX2", None, None, None, 1]]
    assert rows[0][1] == "张三"  # the input is left alone
    assert mask_rows(rows, {}) == rows


# ── the statement ───────────────────────────────────────────────────────────────────
def test_a_plain_query_passes_with_limit_added(docs) -> None:
    q = g("SELECT topic, COUNT(*) AS n FROM hotline_tickets GROUP BY topic", docs, row_limit=500)
    assert q.limited and q.expression.args["limit"].expression.to_py() == 500
    assert q.sql.endswith("LIMIT 500")
    assert q.tables == ["hotline_tickets"] and not q.scoped and q.masks == {}
    assert isinstance(q.expression, exp.Select)


def test_limit_capped_or_kept(docs) -> None:
    assert g("SELECT region_code FROM regions LIMIT 5000", docs, row_limit=100).sql.endswith("LIMIT 100")
    kept = g("SELECT region_code FROM regions LIMIT 7", docs, row_limit=100)
    assert kept.sql.endswith("LIMIT 7") and not kept.limited
    fetch = g("SELECT region_code FROM regions FETCH FIRST 3 ROWS ONLY", docs, row_limit=100)
    assert fetch.sql.endswith("LIMIT 3")
    union = g("SELECT region_code FROM regions UNION ALL SELECT region_code FROM regions", docs, row_limit=9)
    assert isinstance(union.expression, exp.Union) and union.sql.endswith("LIMIT 9")
    assert g("SELECT region_code FROM regions LIMIT ALL", docs, row_limit=9).sql.endswith("LIMIT 9")
    assert g("SELECT region_code FROM regions OFFSET 5", docs, row_limit=9).sql.endswith("LIMIT 9 OFFSET 5")
    assert refusal("SELECT region_code FROM regions LIMIT 1 + 1", docs).reason == "limit_invalid"


def test_one_trailing_semicolon_is_fine_two_statements_are_not(docs) -> None:
    g("SELECT COUNT(*) FROM regions;", docs)
    assert refusal("SELECT 1; SELECT 2", docs).reason == "multiple_statements"


@pytest.mark.parametrize("sql,reason", [
    ("DELETE FROM hotline_tickets", "not_a_query"),
    ("WITH d AS (DELETE FROM regions RETURNING *) SELECT * FROM d", "write"),
    ("SELECT * INTO x FROM regions", "select_into"),
    ("SELECT * FROM regions FOR UPDATE", "locking"),
    ("SELECT * FROM read_parquet('x.parquet')", "function_not_allowed"),
    ("SELECT * FROM information_schema.tables", "system_catalog"),
    ("SELECT nope FROM regions", "unknown_column"),
    ("SELECT * FROM nope", "unknown_table"),
    ("SELECT * FROM union_posts", "wrong_database"),
    ("SELECT region_code FROM hotline_tickets t, regions r", "ambiguous_column"),
    ("SELECT 1 ＋ 1", "parse_error"),
    ("", "empty"),
])
def test_refusal_reasons(docs, sql: str, reason: str) -> None:
    assert refusal(sql, docs).reason == reason


def test_columns_come_from_the_docs(docs) -> None:
    """A column the contract has but the docs leave out is refused; the docs are the allow-list."""
    class FewerColumns:
        def allowed_columns(self, database: str) -> dict[str, set[str]]:
            cols = docs.allowed_columns(database)
            cols["hotline_tickets"] = cols["hotline_tickets"] - {"employer_name"}
            return cols

    g("SELECT employer_name FROM hotline_tickets", docs)
    r = refusal("SELECT employer_name FROM hotline_tickets", FewerColumns())
    assert r.reason == "unknown_column" and "employer_name" in r.message
    star = g("SELECT * FROM hotline_tickets", FewerColumns())
    assert "employer_name" not in star.sql


def test_docs_can_mark_more_personal_data(docs) -> None:
    class EmployerIsPersonal:
        def allowed_columns(self, database: str) -> dict[str, set[str]]:
            return docs.allowed_columns(database)

        def pii_columns(self) -> set[tuple[str, str]]:
            return docs.pii_columns() | {("hotline_tickets", "employer_name")}

        def free_text_columns(self) -> set[tuple[str, str]]:
            return docs.free_text_columns()

    assert refusal("SELECT COUNT(*) FROM hotline_tickets GROUP BY employer_name", EmployerIsPersonal()).reason \
        == "personal_data"
    assert g("SELECT employer_name FROM hotline_tickets", EmployerIsPersonal()).masks == {0: "name"}


def test_unnamed_outputs_get_the_same_name_on_every_engine(docs) -> None:
    names = set()
    for dialect in ("duckdb", "sqlite", "postgres"):
        q = g("SELECT topic, COUNT(*) FROM hotline_tickets GROUP BY 1 ORDER BY 2 DESC", docs, dialect=dialect)
        names.add(tuple(p.alias_or_name for p in q.expression.expressions))
    assert names == {("topic", "count(*)")}


def test_transpiled_to_the_target_dialect(docs) -> None:
    sql = "SELECT strftime(received_at, '%Y-%m') AS m, COUNT(*) AS n FROM hotline_tickets GROUP BY m"
    assert "TO_CHAR" in g(sql, docs, dialect="postgres").sql
    assert "STRFTIME('%Y-%m'" in g(sql, docs, dialect="sqlite").sql
    assert "STRFTIME(" in g(sql, docs, dialect="duckdb").sql


# ── personal data ───────────────────────────────────────────────────────────────────
def test_star_on_tickets_expands_with_masks(docs) -> None:
    q = g("SELECT * FROM hotline_tickets", docs)
    names = [p.alias_or_name for p in q.expression.expressions]
    assert q.masks == {names.index("caller_name"): "name", names.index("caller_phone"): "phone",
                       names.index("content"): "text", names.index("result"): "text"}


def test_masks_follow_lineage_through_ctes_and_subqueries(docs) -> None:
    q = g("WITH a AS (SELECT caller_phone AS p, content FROM hotline_tickets) "
          "SELECT x.p AS 电话, substring(x.content, 1, 10) AS 摘要, 1 AS one FROM (SELECT * FROM a) x", docs)
    assert q.masks == {0: "phone", 1: "text"}
    u = g("SELECT caller_name FROM hotline_tickets UNION ALL SELECT region_name FROM regions", docs)
    assert u.masks == {0: "name"}


@pytest.mark.parametrize("sql", [
    "SELECT ticket_no FROM hotline_tickets WHERE caller_phone = '13812345678'",
    "SELECT caller_name, COUNT(*) FROM hotline_tickets GROUP BY caller_name",
    "SELECT caller_phone AS p FROM hotline_tickets ORDER BY p",
    "SELECT left(caller_phone, 3) AS p FROM hotline_tickets",
    "WITH a AS (SELECT caller_name AS n FROM hotline_tickets) SELECT COUNT(*) FROM a WHERE n LIKE '张%'",
    "SELECT COUNT(*) FROM hotline_tickets WHERE ticket_no IN (SELECT caller_phone FROM hotline_tickets)",
])
def test_personal_data_cannot_be_filtered_grouped_or_computed(docs, sql: str) -> None:
    r = refusal(sql, docs)
    assert r.reason == "personal_data" and "不能按来电人姓名或电话筛选、分组" in r.message


# ── organisation scope ──────────────────────────────────────────────────────────────
def _scoped_tables(q) -> dict[str, str]:
    """alias → the filtered subquery's WHERE, for every table the guard wrapped."""
    out = {}
    for sub in q.expression.find_all(exp.Subquery):
        inner = sub.this
        if isinstance(inner, exp.Select) and isinstance(inner.expressions[0], exp.Star):
            out[sub.alias] = inner.args["where"].this.sql()
    return out


def test_every_table_reference_is_scoped_and_outer_joins_stay_outer(docs) -> None:
    sql = ("WITH c AS (SELECT region_code FROM hotline_tickets) "
           "SELECT r.region_name, COUNT(t.ticket_no) FROM regions r "
           "LEFT JOIN hotline_tickets t ON t.region_code = r.region_code "
           "WHERE r.region_code IN (SELECT region_code FROM c) "
           "AND EXISTS (SELECT 1 FROM union_orgs o WHERE o.region_code = r.region_code) GROUP BY 1")
    q = g(sql, docs, scope=county())
    assert q.scoped
    scoped = _scoped_tables(q)
    assert scoped["t"] == "region_code IN ('640522')"
    assert scoped["hotline_tickets"] == "region_code IN ('640522')"          # inside the CTE
    assert scoped["r"] == "region_code IN ('640000', '640500', '640522')"    # subtree + ancestors
    assert scoped["o"] == "org_id IN (28, 215, 216)"
    joins = q.expression.args["joins"]
    assert len(joins) == 1 and joins[0].side == "LEFT"
    # No bare table is left anywhere outside the filtered subqueries.
    for table in q.expression.find_all(exp.Table):
        if table.name in ("hotline_tickets", "regions", "union_orgs"):
            assert isinstance(table.parent.parent, exp.Select) and table.parent.parent.args.get("where")


def test_post_tables_are_scoped_through_their_post(docs) -> None:
    q = g("SELECT SUM(v.visits) FROM post_monthly_visits v JOIN post_activities a ON a.post_id = v.post_id",
          docs, database="posts", scope=city())
    scoped = _scoped_tables(q)
    expected = ("post_id IN (SELECT post_id FROM union_posts WHERE region_code IN "
                "('640500', '640502', '640521', '640522'))")
    assert scoped["v"] == expected and scoped["a"] == expected


def test_root_and_no_scope_are_not_rewritten(docs) -> None:
    for scope in (None, root()):
        q = g("SELECT COUNT(*) FROM hotline_tickets", docs, scope=scope)
        assert not q.scoped and "WHERE" not in q.sql


def test_empty_org_subtree_sees_no_orgs(docs) -> None:
    scope = Scope(org_id=0, org_name="x", org_level="基层工会", region_code="640522", region_name="海原县",
                  region_codes=frozenset({"640522"}), org_ids=frozenset())
    q = g("SELECT COUNT(*) FROM union_orgs", docs, scope=scope)
    assert "FALSE" in q.sql.upper()


def test_region_codes_visible_adds_ancestors_only() -> None:
    assert region_codes_visible(county()) == {"640522", "640500", "640000"}
    assert region_codes_visible(city()) == {"640000", "640500", "640502", "640521", "640522"}


def test_scoped_query_runs_and_only_sees_the_city(demo_settings: Settings, docs) -> None:
    databases = Databases(demo_settings)
    sql = "SELECT region_code, COUNT(*) AS n FROM hotline_tickets GROUP BY region_code"
    q = g(sql, docs, scope=city())
    _, rows, _ = databases.execute("hotline", q.sql)
    assert {r[0] for r in rows} == {"640502", "640521", "640522"}
    _, everything, _ = databases.execute("hotline", g(sql, docs).sql)
    assert len(everything) == 22


# ── the documented examples all pass ────────────────────────────────────────────────
def test_every_documented_example_passes_the_guard_on_every_dialect(docs) -> None:
    for example in docs.examples:
        for dialect in ("duckdb", "sqlite", "postgres"):
            for scope in (None, county()):
                g(example.sql, docs, database=example.db, dialect=dialect, scope=scope)


def test_documented_examples_return_the_same_rows_guarded(demo_settings: Settings, docs) -> None:
    databases = Databases(demo_settings)
    for example in docs.examples:
        q = g(example.sql, docs, database=example.db, row_limit=100_000)
        _, guarded, _ = databases.execute(example.db, q.sql, max_rows=100_000)
        _, plain, _ = databases.execute(example.db, example.sql, max_rows=100_000)
        if "LIMIT" in example.sql.upper():  # ties under a LIMIT may pick different rows
            assert len(guarded) == len(plain), example.id
        else:
            assert collections.Counter(map(repr, guarded)) == collections.Counter(map(repr, plain)), example.id


# ── audit log ───────────────────────────────────────────────────────────────────────
def test_audit_log_appends_masked_json_lines(tmp_path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("ask", org=county(), question="告诉我张三的电话，他的手机是13812345678，身份证64052219900101123X",
               status="refused", reason="不能按来电人姓名或电话筛选、分组", backend="rules", elapsed_ms=3.2)
    first = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    log.record("sql", org="中卫市总工会", sql="SELECT ticket_no FROM hotline_tickets WHERE caller_name = '李四' "
               "AND caller_phone LIKE '139%'", rows=0, status="refused", reason="personal_data")
    log.record("ask", org=None, question="今年海原县的工单量", sql="SELECT COUNT(*) FROM hotline_tickets", rows=1,
               status="ok", backend="rules", elapsed_ms=12.5)
    text = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert text.startswith(first)  # appended, never rewritten
    entries = [json.loads(line) for line in text.splitlines()]
    assert [e["kind"] for e in entries] == ["ask", "sql", "ask"]
    assert entries[0]["org"] == "海原县总工会" and entries[0]["status"] == "refused"
    assert "张三" not in text and "张*" in entries[0]["question"]
    assert "13812345678" not in text and "138****5678" in entries[0]["question"]
    assert "19900101" not in text
    assert "李四" not in text and "'***'" in entries[1]["sql"]
    assert entries[2]["question"] == "今年海原县的工单量"
    assert all(e["ts"].endswith("+00:00") for e in entries)


def test_audit_recent_and_format(tmp_path) -> None:
    log = AuditLog(tmp_path / "a" / "audit.jsonl")
    assert log.recent(5) == [] and format_entries([]) == "（审计日志为空）"
    for i in range(7):
        log.record("ask", org="海原县总工会", question=f"问题{i}", status="ok", rows=i, backend="rules")
    with open(tmp_path / "a" / "audit.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"torn": ')  # a crash mid-line does not break reading
    recent = log.recent(3)
    assert [e["question"] for e in recent] == ["问题4", "问题5", "问题6"]
    text = format_entries(recent)
    assert text.count("提问") == 3 and "海原县总工会" in text and "问题：问题6" in text and "6行" in text


def test_mask_helpers_for_the_audit() -> None:
    assert mask_free_text("来电人王小明的工单") == "来电人王**的工单"
    assert mask_free_text("海原县的电话咨询量") == "海原县的电话咨询量"
    assert mask_sql("SELECT * FROM t WHERE caller_phone IN ('13812345678', '13912345678')").count("'***'") == 2
    assert "13812345678" not in mask_sql("SELECT '13812345678")  # unparseable still masked


# ── the database second wall ────────────────────────────────────────────────────────
@pytest.mark.parametrize("backend", ["duckdb", "sqlite", "postgres"])
def test_statement_timeout(request, backend: str) -> None:
    settings: Settings = request.getfixturevalue(
        {"duckdb": "demo_settings", "sqlite": "sqlite_settings", "postgres": "pg_settings"}[backend])
    databases = Databases(settings.with_(statement_timeout_s=0.5))
    slow = {
        "duckdb": "SELECT COUNT(*) FROM range(1000000000000) a",
        "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c",
        "postgres": "SELECT pg_sleep(30)",
    }[backend]
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as info:
        databases.execute("hotline", slow)
    assert time.monotonic() - started < 10
    assert CJK.search(info.value.message)
    # The connection is usable afterwards.
    assert databases.execute("hotline", "SELECT COUNT(*) FROM regions")[1] == [[28]]
    databases.dispose()


def test_result_cap(demo_settings: Settings) -> None:
    databases = Databases(demo_settings.with_(max_result_rows=10))
    columns, rows, truncated = databases.execute("hotline", "SELECT ticket_no FROM hotline_tickets")
    assert columns == ["ticket_no"] and len(rows) == 10 and truncated


def test_duckdb_external_access_is_off(demo_settings: Settings) -> None:
    databases = Databases(demo_settings)
    for sql in ("SELECT * FROM read_csv('/etc/passwd')", "SET enable_external_access = true",
                "ATTACH '/tmp/wenshu-guard-test.duckdb' AS x"):
        with pytest.raises(Exception, match="(?i)disabled|cannot enable|permission"):
            databases.execute("hotline", sql)


def test_postgres_takes_one_statement_only(pg_settings: Settings) -> None:
    databases = Databases(pg_settings)
    with pytest.raises(Exception, match="multiple commands"):
        databases.execute("hotline", "SELECT 1; SET default_transaction_read_only = off; COMMIT; "
                                     "DROP TABLE hotline_tickets")
    assert databases.execute("hotline", "SELECT COUNT(*) FROM hotline_tickets")[1] == [[20000]]
    # LIKE patterns with % need no escaping.
    assert databases.execute("hotline", "SELECT COUNT(*) FROM regions WHERE region_name LIKE '%县'")[1][0][0] > 0


def test_sqlite_attach_cannot_create_files(sqlite_settings: Settings, tmp_path) -> None:
    databases = Databases(sqlite_settings)
    target = tmp_path / "evil.sqlite"
    with pytest.raises(Exception, match="not authorized"):
        databases.execute("hotline", f"ATTACH DATABASE '{target}' AS evil")
    assert not target.exists()


# ── dialects: the same guarded query gives the same answer on every engine ────────────
DATE_FUNCTIONS_SQL = (
    "SELECT ticket_no, date_trunc('week', received_at) AS w, date_trunc('month', received_at) AS m, "
    "date_trunc('quarter', received_at) AS q, date_trunc('year', received_at) AS y, year(received_at) AS yy, "
    "month(received_at) AS mm, quarter(received_at) AS qq, extract(year from received_at) AS ey, "
    "extract(dow from received_at) AS dow, extract(isodow from received_at) AS idow, day(received_at) AS d, "
    "date_part('month', received_at) AS dp FROM hotline_tickets WHERE received_at >= DATE '2026-06-20'")


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_date_functions_agree_with_duckdb(request, demo_settings: Settings, docs, backend: str) -> None:
    settings = request.getfixturevalue(f"{backend}_settings" if backend == "sqlite" else "pg_settings")

    def run(s: Settings) -> dict[str, tuple]:
        databases = Databases(s)
        q = g(DATE_FUNCTIONS_SQL, docs, dialect=databases.dialect("hotline"), row_limit=10_000)
        _, rows, _ = databases.execute("hotline", q.sql, max_rows=10_000)
        # Dates come back as DATE, TIMESTAMP or 'YYYY-MM-DD' text depending on the engine.
        return {r[0]: tuple(str(v)[:10] if i < 4 else int(v) for i, v in enumerate(r[1:])) for r in rows}

    expected = run(demo_settings)
    assert len(expected) > 50
    assert run(settings) == expected
