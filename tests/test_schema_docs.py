"""The schema docs (semantic layer): loader, agreement with the contract and the live databases,
portable metric expressions, and examples that run on the demo data."""
from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlglot
from sqlglot import exp

from assistant import contract
from assistant.config import SCHEMA_DOCS_DIR, Settings, load_settings
from assistant.db import Databases
from assistant.schema_docs import (
    ColumnDoc, Example, JoinPath, MetricDoc, SchemaDocs, SchemaDocsError, TableDoc, check_schema_docs,
    load_schema_docs, validate_against_contract,
)

DOCS = load_schema_docs()
AS_OF = dt.date(2026, 6, 30)
CONTRACT_METRICS = ("工单量", "办结量", "办结率", "按期办结率", "超期工单", "满意率", "不满意率", "平均办理时长",
                    "追回金额", "阵地数量", "服务人次", "活动场次", "参与人次", "会员人数", "基层工会数")


# ── loader ────────────────────────────────────────────────────────────────────────────
def test_loader_returns_typed_docs() -> None:
    assert isinstance(DOCS, SchemaDocs)
    assert all(isinstance(t, TableDoc) for t in DOCS.tables.values())
    assert all(isinstance(c, ColumnDoc) for t in DOCS.tables.values() for c in t.columns.values())
    assert all(isinstance(m, MetricDoc) for m in DOCS.metrics.values())
    assert all(isinstance(j, JoinPath) for j in DOCS.joins)
    assert all(isinstance(e, Example) for e in DOCS.examples)
    assert [t.name for t in DOCS.tables_in("hotline")] == ["regions", "union_orgs", "hotline_tickets"]
    assert DOCS.tables["regions"].databases == ("hotline", "posts")
    assert DOCS.column("hotline_tickets", "topic").value_synonyms["欠薪讨薪"][:2] == ("拖欠工资", "讨薪")
    with pytest.raises(KeyError):
        DOCS.tables_in("payroll")


def test_allowed_columns_match_the_contract_exactly() -> None:
    for db in contract.DATABASES:
        expected = {t: set(cols) for t, cols in contract.table_columns(db).items()}
        assert DOCS.allowed_columns(db) == expected


def test_load_is_cached_until_a_file_changes(tmp_path: Path) -> None:
    assert load_schema_docs() is load_schema_docs(SCHEMA_DOCS_DIR)
    copy = _copy_docs(tmp_path)
    first = load_schema_docs(copy)
    assert load_schema_docs(copy) is first
    path = copy / "metrics.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("name: 工单量", "name: 工单总量"), encoding="utf-8")
    second = load_schema_docs(copy)
    assert second is not first
    assert second.metrics["ticket_count"].name == "工单总量"


def test_malformed_yaml_raises_a_clear_error(tmp_path: Path) -> None:
    copy = _copy_docs(tmp_path)
    (copy / "metrics.yaml").write_text("metrics: [\n  - id: x\n  name: : :\n", encoding="utf-8")
    with pytest.raises(SchemaDocsError, match="metrics.yaml"):
        load_schema_docs(copy)


def test_missing_key_names_the_key_and_place(tmp_path: Path) -> None:
    copy = _copy_docs(tmp_path)
    _edit(copy / "metrics.yaml", "    formula: 办结量÷工单量\n", "")
    with pytest.raises(SchemaDocsError, match=r"closed_rate.*formula"):
        load_schema_docs(copy)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    copy = _copy_docs(tmp_path)
    (copy / "dimensions.yaml").unlink()
    with pytest.raises(SchemaDocsError, match="dimensions.yaml"):
        load_schema_docs(copy)


def test_bad_example_line_is_reported_with_its_line_number(tmp_path: Path) -> None:
    copy = _copy_docs(tmp_path)
    with open(copy / "examples.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"id": "x", "question": "q"\n')
    with pytest.raises(SchemaDocsError, match=r"examples.jsonl 第\d+行"):
        load_schema_docs(copy)


# ── agreement with the contract ───────────────────────────────────────────────────────
def test_docs_agree_with_the_contract() -> None:
    validate_against_contract(DOCS)


def test_every_column_has_chinese_name_description_and_role() -> None:
    for t in DOCS.tables.values():
        assert t.cn_name and t.description and t.synonyms, t.name
        for c in t.columns.values():
            assert c.cn_name and c.description, f"{t.name}.{c.name}"
            assert c.role in ("key", "time", "dimension", "measure", "text", "fk")


def test_every_code_value_is_documented_with_synonyms() -> None:
    for (table, column), values in contract.CODE_VALUES.items():
        documented = DOCS.column(table, column).value_synonyms
        assert tuple(documented) == values, f"{table}.{column}"
        for value, synonyms in documented.items():
            assert synonyms, f"{table}.{column}={value} has no synonyms"
    entries = {(e.table, e.column, e.value) for e in DOCS.code_values()}
    assert len(entries) == sum(len(v) for v in contract.CODE_VALUES.values())


def test_pii_and_free_text_flags() -> None:
    assert DOCS.pii_columns() == set(contract.PII_COLUMNS)
    assert DOCS.free_text_columns() == set(contract.FREE_TEXT_COLUMNS)


@pytest.mark.parametrize("word, kind, table, column, value", [
    ("来电", "table", "hotline_tickets", None, None),
    ("诉求", "table", "hotline_tickets", None, None),
    ("案件", "table", "hotline_tickets", None, None),
    ("热线", "table", "hotline_tickets", None, None),
    ("拖欠工资", "value", "hotline_tickets", "topic", "欠薪讨薪"),
    ("讨薪", "value", "hotline_tickets", "topic", "欠薪讨薪"),
    ("欠薪", "value", "hotline_tickets", "topic", "欠薪讨薪"),
    ("工资拖欠", "value", "hotline_tickets", "topic", "欠薪讨薪"),
    ("爱心驿站", "value", "union_posts", "post_type", "户外劳动者服务站"),
    ("驿站", "value", "union_posts", "post_type", "户外劳动者服务站"),
    ("户外服务站", "value", "union_posts", "post_type", "户外劳动者服务站"),
    ("快递小哥", "value", "hotline_tickets", "caller_group", "新就业形态劳动者"),
    ("快递小哥", "value", "post_activities", "target_group", "快递员"),
    ("骑手", "value", "post_activities", "target_group", "外卖配送员"),
    ("公众号", "value", "hotline_tickets", "channel", "微信"),
    ("网上", "value", "hotline_tickets", "channel", "微信"),
    ("来电量", "metric", "hotline_tickets", None, "ticket_count"),
    ("海原", "region", "regions", "region_code", "640522"),
    ("银川", "region", "regions", "region_code", "640100"),
    ("按季度", "time_grain", None, None, "quarter"),
])
def test_officer_words_are_indexed(word: str, kind: str, table: str | None, column: str | None, value: str | None) -> None:
    targets = DOCS.synonyms_index()[word]
    assert any(t.kind == kind and t.table == table and t.column == column and t.value == value for t in targets), targets


def test_personal_data_columns_are_not_in_the_synonym_index() -> None:
    index = DOCS.synonyms_index()
    assert not any(t.column in ("caller_name", "caller_phone") for targets in index.values() for t in targets)


def test_join_paths_cover_every_relation() -> None:
    expected = {
        ("hotline_tickets", "region_code", "regions", "region_code"),
        ("hotline_tickets", "handling_org_id", "union_orgs", "org_id"),
        ("union_posts", "org_id", "union_orgs", "org_id"),
        ("union_posts", "region_code", "regions", "region_code"),
        ("post_activities", "post_id", "union_posts", "post_id"),
        ("post_monthly_visits", "post_id", "union_posts", "post_id"),
        ("union_orgs", "parent_org_id", "union_orgs", "org_id"),
        ("union_orgs", "region_code", "regions", "region_code"),
        ("regions", "parent_code", "regions", "region_code"),
    }
    assert {(j.from_table, j.from_column, j.to_table, j.to_column) for j in DOCS.joins} == expected
    assert DOCS.join_between("regions", "post_activities") is None
    assert DOCS.join_between("union_orgs", "hotline_tickets").on_sql("t", "o") == "t.handling_org_id = o.org_id"


def test_region_aliases_cover_every_region() -> None:
    aliases = DOCS.region_aliases()
    assert set(aliases) == {r.code for r in contract.REGIONS}
    assert aliases["640522"] == ("海原县", "海原")


# ── metrics ───────────────────────────────────────────────────────────────────────────
def test_every_contract_metric_is_defined() -> None:
    names = {m.name for m in DOCS.metrics.values()}
    assert set(CONTRACT_METRICS) <= names
    for name in ("涉及人数", "涉及金额", "平均面积"):
        assert name in names
    assert DOCS.metric("办结率") is DOCS.metrics["closed_rate"]
    assert DOCS.metric("诉求量") is DOCS.metrics["ticket_count"]
    assert DOCS.metric("没有这个指标") is None


def test_metric_filters_follow_the_contract() -> None:
    assert DOCS.metrics["post_count"].filter == "status <> '已撤销'"
    assert DOCS.metrics["member_count"].filter == "org_level = '基层工会'"
    assert DOCS.metrics["grassroots_union_count"].filter == "org_level = '基层工会'"
    assert DOCS.metrics["overdue_count"].needs_as_of
    assert not DOCS.metrics["ticket_count"].needs_as_of
    assert "CAST('2026-06-30' AS DATE)" in DOCS.metrics["overdue_count"].expression_sql(AS_OF)


@pytest.mark.parametrize("metric_id", sorted(DOCS.metrics))
def test_metric_expression_transpiles(metric_id: str) -> None:
    m = DOCS.metrics[metric_id]
    assert m.format in ("count", "ratio", "days", "yuan", "sqm", "person_times", "people")
    assert m.unit and m.definition and m.formula and m.synonyms
    tree = m.expression_tree(AS_OF)
    assert tree.find(exp.AggFunc) is not None, "a metric is an aggregate"
    assert not list(tree.find_all(exp.Placeholder))
    for dialect in ("sqlite", "postgres"):
        out = sqlglot.transpile(m.expression_sql(AS_OF), read="duckdb", write=dialect)[0]
        sqlglot.parse_one(out, read=dialect)
        if m.filter:
            sqlglot.transpile(m.filter, read="duckdb", write=dialect)


def _metric_query(m: MetricDoc, dialect: str) -> str:
    select = sqlglot.select(m.expression_tree(AS_OF).as_("v")).from_(m.table)
    if m.filter:
        select = select.where(m.filter_tree())
    return select.sql(dialect=dialect)


@pytest.mark.parametrize("dialect, url", [("sqlite", "sqlite://"), ("duckdb", "duckdb:///:memory:")])
def test_metric_expressions_run_on_empty_contract_tables(dialect: str, url: str) -> None:
    """Unknown functions and bad casts fail at prepare time even on empty tables."""
    for db in contract.DATABASES:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            contract.metadata(db).create_all(conn)
            for m in DOCS.metrics_in(db):
                conn.exec_driver_sql(_metric_query(m, dialect)).fetchall()
        engine.dispose()


def _metric_values(settings: Settings) -> dict[str, float | None]:
    dbs = Databases(settings)
    try:
        out = {}
        for m in DOCS.metrics.values():
            _, rows, _ = dbs.execute(m.database, _metric_query(m, dbs.dialect(m.database)))
            out[m.id] = None if rows[0][0] is None else float(rows[0][0])
        return out
    finally:
        dbs.dispose()


def test_metric_values_are_sane_on_the_demo_data(demo_settings: Settings) -> None:
    values = _metric_values(demo_settings)
    for m in DOCS.metrics.values():
        v = values[m.id]
        assert v is not None and v > 0, m.id
        if m.format == "ratio":
            assert 0 <= v <= 1, m.id
    assert values["closed_count"] <= values["ticket_count"]
    assert values["overdue_count"] <= values["ticket_count"]
    assert values["recovered_amount"] <= values["amount_involved"]
    assert 0 < values["avg_handling_days"] < 60


@pytest.mark.postgres
def test_metric_values_agree_on_sqlite_and_postgres(demo_settings: Settings, sqlite_settings: Settings,
                                                    pg_settings: Settings) -> None:
    reference = _metric_values(demo_settings)
    for settings in (sqlite_settings, pg_settings):
        values = _metric_values(settings)
        for metric_id, v in reference.items():
            # SQLite computes durations through JULIANDAY floats: agree to within a few seconds
            tolerance = {"abs_tol": 1e-3} if DOCS.metrics[metric_id].format == "days" else {"rel_tol": 1e-9}
            assert values[metric_id] is not None and math.isclose(values[metric_id], v, **tolerance), \
                (settings.hotline_url.split(":")[0], metric_id, values[metric_id], v)


def test_time_grains_run_on_duckdb() -> None:
    import duckdb
    assert [g.name for g in DOCS.time_grains] == ["日", "周", "月", "季度", "年"]
    con = duckdb.connect()
    for g in DOCS.time_grains:
        col = "TIMESTAMP '2026-05-17 10:30:00'"
        trunc, label = con.sql(f"SELECT {g.sql(col)}, {g.label_sql(col)}").fetchone()
        assert trunc <= dt.datetime(2026, 5, 17, 10, 30)
        assert label.startswith("2026")
    assert con.sql(f"SELECT {DOCS.time_grain('季度').label_sql(col)}").fetchone()[0] == "2026-Q2"


# ── check against the live databases ──────────────────────────────────────────────────
def test_check_passes_on_the_demo_databases(demo_settings: Settings) -> None:
    dbs = Databases(demo_settings)
    try:
        check_schema_docs(DOCS, dbs)
    finally:
        dbs.dispose()


def _copy_docs(tmp_path: Path) -> Path:
    target = tmp_path / "schema_docs"
    shutil.copytree(SCHEMA_DOCS_DIR, target)
    return target


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _check_fails(copy: Path, settings: Settings) -> SchemaDocsError:
    docs = load_schema_docs(copy)
    dbs = Databases(settings)
    try:
        with pytest.raises(SchemaDocsError) as info:
            check_schema_docs(docs, dbs)
    finally:
        dbs.dispose()
    return info.value


def test_check_names_a_renamed_column(tmp_path: Path, demo_settings: Settings) -> None:
    copy = _copy_docs(tmp_path)
    _edit(copy / "tables.yaml", "      employer_name:\n", "      employer:\n")
    err = _check_fails(copy, demo_settings)
    assert "hotline_tickets.employer" in str(err) and "employer_name" in str(err)


def test_check_names_a_bogus_code_value(tmp_path: Path, demo_settings: Settings) -> None:
    copy = _copy_docs(tmp_path)
    _edit(copy / "tables.yaml", "          来访: [", "          传真: [传真机]\n          来访: [")
    err = _check_fails(copy, demo_settings)
    assert "传真" in str(err) and "hotline_tickets.channel" in str(err)


def test_check_names_a_missing_table(tmp_path: Path, demo_settings: Settings) -> None:
    copy = _copy_docs(tmp_path)
    _edit(copy / "tables.yaml", "posts: [regions, union_orgs, union_posts,",
          "posts: [regions, union_orgs, post_photos, union_posts,")
    _edit(copy / "tables.yaml", "\n  post_monthly_visits:\n",
          "\n  post_photos:\n    cn_name: 阵地照片\n    description: 照片\n    time_column: null\n    region_column: null\n"
          "    columns:\n      photo_id: {cn_name: 编号, type: integer, description: 编号, role: key}\n"
          "\n  post_monthly_visits:\n")
    err = _check_fails(copy, demo_settings)
    assert "post_photos" in str(err) and "posts" in str(err)
    assert any("post_photos" in p and "missing in database posts" in p for p in err.problems)


def test_check_names_an_unknown_metric_column(tmp_path: Path, demo_settings: Settings) -> None:
    copy = _copy_docs(tmp_path)
    _edit(copy / "metrics.yaml", "expression: SUM(amount_recovered)", "expression: SUM(amount_recoverd)")
    err = _check_fails(copy, demo_settings)
    assert "recovered_amount" in str(err) and "hotline_tickets.amount_recoverd" in str(err)
    with pytest.raises(SchemaDocsError, match="amount_recoverd"):
        validate_against_contract(load_schema_docs(copy))


def test_check_names_a_column_missing_from_the_live_database(tmp_path: Path) -> None:
    """Docs right, database wrong: only the live inspection can see it."""
    urls = {}
    for db in contract.DATABASES:
        url = f"duckdb:///{tmp_path / db}.duckdb"
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            contract.metadata(db).create_all(conn)
            if db == "hotline":  # an old export without the satisfaction column
                conn.exec_driver_sql("ALTER TABLE hotline_tickets DROP COLUMN satisfaction")
        engine.dispose()
        urls[db] = url
    settings = load_settings({"WENSHU_DATA_DIR": str(tmp_path), "WENSHU_HOTLINE_URL": urls["hotline"],
                              "WENSHU_POSTS_URL": urls["posts"]})
    dbs = Databases(settings)
    try:
        with pytest.raises(SchemaDocsError) as info:
            check_schema_docs(DOCS, dbs)
    finally:
        dbs.dispose()
    message = str(info.value)
    assert "hotline_tickets.satisfaction" in message and "hotline" in message
    # the metrics built on the missing column are named too
    assert "satisfaction_rate" in message


def test_check_names_a_live_value_the_docs_do_not_know(tmp_path: Path) -> None:
    urls = {}
    for db in contract.DATABASES:
        url = f"duckdb:///{tmp_path / db}.duckdb"
        engine = sa.create_engine(url)
        md = contract.metadata(db)
        md.create_all(engine)
        if db == "posts":
            with engine.begin() as conn:
                conn.execute(md.tables["union_posts"].insert().values(
                    post_id=1, post_name="测试站", post_type="共享单车站", region_code="640522", status="运营中"))
        engine.dispose()
        urls[db] = url
    settings = load_settings({"WENSHU_DATA_DIR": str(tmp_path), "WENSHU_HOTLINE_URL": urls["hotline"],
                              "WENSHU_POSTS_URL": urls["posts"]})
    dbs = Databases(settings)
    try:
        with pytest.raises(SchemaDocsError, match=r"union_posts\.post_type.*共享单车站|共享单车站.*union_posts\.post_type"):
            check_schema_docs(DOCS, dbs)
    finally:
        dbs.dispose()


# ── examples ──────────────────────────────────────────────────────────────────────────
def test_there_are_enough_examples_for_both_databases() -> None:
    assert len(DOCS.examples) >= 80
    assert len(DOCS.examples_for("hotline")) >= 45
    assert len(DOCS.examples_for("posts")) >= 30
    tags = {tag for e in DOCS.examples for tag in e.tags}
    for name in CONTRACT_METRICS:
        assert f"metric:{name}" in tags, name
    for tag in ("group:市", "group:县区", "grain:月", "grain:季度", "grain:年", "compare:同比", "compare:环比",
                "topn", "detail", "time:今年", "time:去年", "time:上个月", "time:近三个月"):
        assert tag in tags, tag


def test_example_ids_and_questions_are_unique() -> None:
    assert len({e.id for e in DOCS.examples}) == len(DOCS.examples)
    assert len({e.question for e in DOCS.examples}) == len(DOCS.examples)


@pytest.mark.parametrize("example", DOCS.examples, ids=lambda e: e.id)
def test_example_sql_is_well_formed(example: Example) -> None:
    tree = sqlglot.parse_one(example.sql, read="duckdb")
    assert isinstance(tree, exp.Query)
    columns = {c.name for c in tree.find_all(exp.Column)}
    assert not columns & {"caller_name", "caller_phone"}, "personal data is never selected"
    projections = [e for select in tree.find_all(exp.Select) for e in select.expressions]
    assert not [e for e in projections if isinstance(e, exp.Star) or isinstance(e.this, exp.Star)], \
        "examples name their columns"
    used = {t.name for t in tree.find_all(exp.Table)} - {cte.alias for cte in tree.find_all(exp.CTE)}
    assert used == set(example.tables), (used, example.tables)
    sql = example.sql.upper()
    assert "CURRENT_DATE" not in sql and "NOW()" not in sql, "relative time is written as literal dates"


@pytest.fixture(scope="module")
def demo_databases(demo_settings: Settings):
    dbs = Databases(demo_settings)
    yield dbs
    dbs.dispose()


@pytest.mark.parametrize("example", DOCS.examples, ids=lambda e: e.id)
def test_example_runs_on_the_demo_data(example: Example, demo_databases: Databases) -> None:
    columns, rows, _ = demo_databases.execute(example.db, example.sql)
    assert rows, f"{example.id} {example.question}: no rows"
    assert any(v is not None for v in rows[0]), f"{example.id} {example.question}: only NULLs"
