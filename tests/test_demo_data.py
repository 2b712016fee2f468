"""The demo data generator against the data contract, value by value, on DuckDB, SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import math
import os
import re
import uuid
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from assistant import contract as C
from assistant import demo_data as D

SEED = 11
END = dt.date(2026, 6, 30)
START = dt.date(2024, 1, 1)
N_TICKETS = 3000
N_POSTS = 300
SIZES = dict(seed=SEED, end=END, tickets=N_TICKETS, posts=N_POSTS)
COUNTY_CODES = {r.code for r in C.COUNTIES}


# ── fixtures ─────────────────────────────────────────────────────────────────────────

@pytest.fixture(scope="module")
def duck(tmp_path_factory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("demo_duck")
    messages: list[str] = []
    report = D.generate_to_dir(out, progress=messages.append, **SIZES)
    return {"dir": out, "report": report, "messages": messages,
            "urls": {"hotline": f"duckdb:///{out / 'hotline.duckdb'}", "posts": f"duckdb:///{out / 'posts.duckdb'}"}}


@pytest.fixture(scope="module")
def lite(tmp_path_factory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("demo_lite")
    urls = {db: f"sqlite:///{out / (db + '.sqlite')}" for db in C.DATABASES}
    report = D.generate(hotline_url=urls["hotline"], posts_url=urls["posts"], **SIZES)
    return {"report": report, "urls": urls}


@pytest.fixture(scope="module")
def pg(request) -> dict[str, Any]:
    """Two fresh databases on the session's PostgreSQL server (lead's `pg_url` fixture)."""
    try:
        base = request.getfixturevalue("pg_url")
    except pytest.FixtureLookupError:
        base = os.environ.get("WENSHU_TEST_PG_URL")
    if not base:
        pytest.skip("no PostgreSQL server for this session")
    base_url = sa.make_url(base)
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    names = {db: f"demo_{db}_{uuid.uuid4().hex[:8]}" for db in C.DATABASES}
    with admin.connect() as conn:
        for name in names.values():
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    urls = {db: base_url.set(database=name).render_as_string(hide_password=False) for db, name in names.items()}
    report = D.generate(hotline_url=urls["hotline"], posts_url=urls["posts"], **SIZES)
    yield {"report": report, "urls": urls}
    with admin.connect() as conn:
        for name in names.values():
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def rows(url: str, sql: str) -> list[tuple]:
    eng = _engine(url)
    try:
        with eng.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql).fetchall()]
    finally:
        eng.dispose()


def dicts(url: str, table: str) -> list[dict[str, Any]]:
    """All rows of a contract table as dicts, ordered by primary key, values normalised across engines."""
    md = C.metadata("hotline" if table in C.table_columns("hotline") else "posts")
    t = md.tables[table]
    eng = _engine(url)
    try:
        with eng.connect() as conn:
            result = conn.execute(sa.select(t).order_by(*t.primary_key.columns))
            return [{k: _norm(v) for k, v in r._mapping.items()} for r in result]
    finally:
        eng.dispose()


def _norm(v: Any) -> Any:
    if isinstance(v, decimal.Decimal):
        return round(float(v), 2)
    if isinstance(v, float):
        return round(v, 6)
    if isinstance(v, dt.datetime):
        return v.replace(microsecond=0)
    return v


@pytest.fixture(scope="module")
def data(duck) -> dict[str, list[dict[str, Any]]]:
    urls = duck["urls"]
    return {t: dicts(urls["hotline" if t in C.table_columns("hotline") else "posts"], t)
            for t in ("regions", "union_orgs", "hotline_tickets", "union_posts", "post_activities",
                      "post_monthly_visits")}


# ── schema ───────────────────────────────────────────────────────────────────────────

def _family(t: sa.types.TypeEngine) -> str:
    for cls, name in ((sa.Boolean, "bool"), (sa.DateTime, "datetime"), (sa.Date, "date"), (sa.Float, "float"),
                      (sa.Numeric, "decimal"), (sa.Integer, "int"), (sa.String, "str")):
        if isinstance(t, cls):
            return name
    return type(t).__name__


def _check_schema(urls: dict[str, str]) -> None:
    for db in C.DATABASES:
        eng = _engine(urls[db])
        try:
            insp = sa.inspect(eng)
            md = C.metadata(db)
            assert sorted(insp.get_table_names()) == sorted(md.tables)
            for table in md.sorted_tables:
                got = insp.get_columns(table.name)
                assert [c["name"] for c in got] == [c.name for c in table.columns], table.name
                for want, have in zip(table.columns, got):
                    assert _family(have["type"]) == _family(want.type), (table.name, want.name, have["type"])
                    if isinstance(want.type, sa.Numeric) and not isinstance(want.type, sa.Float):
                        assert (have["type"].precision, have["type"].scale) == (12, 2)
                pk = insp.get_pk_constraint(table.name)["constrained_columns"]
                assert pk == [c.name for c in table.primary_key.columns], table.name
        finally:
            eng.dispose()


def test_duckdb_schema_matches_contract(duck):
    _check_schema(duck["urls"])
    # the DuckDB storage types themselves
    types = dict(rows(duck["urls"]["hotline"], "SELECT column_name, data_type FROM information_schema.columns "
                                                "WHERE table_name = 'hotline_tickets'"))
    assert types["received_at"] == "TIMESTAMP" and types["closed_at"] == "TIMESTAMP"
    assert types["amount_involved"] == "DECIMAL(12,2)" and types["amount_recovered"] == "DECIMAL(12,2)"
    assert types["handling_org_id"] == "INTEGER" and types["ticket_no"] == "VARCHAR"
    ptypes = dict(rows(duck["urls"]["posts"], "SELECT column_name, data_type FROM information_schema.columns "
                                               "WHERE table_name IN ('union_posts', 'post_monthly_visits')"))
    assert ptypes["opened_on"] == "DATE" and ptypes["month"] == "DATE"
    assert ptypes["open_24h"] == "BOOLEAN" and ptypes["longitude"] == "DOUBLE"


def test_sqlite_schema_matches_contract(lite):
    _check_schema(lite["urls"])


def test_report_counts_match_tables(duck, data):
    report = duck["report"]
    assert report.counts == {t: len(v) for t, v in data.items()}
    assert report.counts["hotline_tickets"] == N_TICKETS and report.counts["union_posts"] == N_POSTS
    assert report.start == START and report.end == END and report.seconds > 0
    assert any("工单" in m for m in duck["messages"]) and all(re.search(r"[\u4e00-\u9fff]", m) for m in duck["messages"])


def test_generate_to_dir_replaces_files_and_leaves_no_temp(tmp_path):
    first = D.generate_to_dir(tmp_path, seed=1, end=END, tickets=200, posts=30)
    before = rows(first.hotline_url, "SELECT ticket_no, caller_name FROM hotline_tickets ORDER BY ticket_no")
    D.generate_to_dir(tmp_path, seed=2, end=END, tickets=300, posts=30)
    after = rows(first.hotline_url, "SELECT ticket_no, caller_name FROM hotline_tickets ORDER BY ticket_no")
    assert len(after) == 300 and before != after[:200]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hotline.duckdb", "posts.duckdb"]


# ── code values and NULL rules ───────────────────────────────────────────────────────

def test_code_values_within_contract_and_mostly_present(data):
    for (table, column), allowed in C.CODE_VALUES.items():
        values = [r[column] for r in data[table] if r[column] is not None]
        distinct = set(values)
        assert distinct <= set(allowed), (table, column, distinct - set(allowed))
        assert len(distinct) >= math.ceil(0.75 * len(allowed)), (table, column, distinct)
    # the main ticket dimensions use every value even in a small sample
    for column, allowed in (("channel", C.CHANNELS), ("topic", C.TOPICS), ("status", C.TICKET_STATUSES),
                            ("complexity", C.COMPLEXITIES), ("request_type", C.REQUEST_TYPES),
                            ("industry", C.INDUSTRIES), ("satisfaction", C.SATISFACTIONS)):
        assert {r[column] for r in data["hotline_tickets"]} - {None} == set(allowed), column


def test_not_null_columns_have_values(data):
    for db in C.DATABASES:
        for table in C.metadata(db).sorted_tables:
            for col in table.columns:
                if not col.nullable:
                    assert all(r[col.name] is not None for r in data[table.name]), (table.name, col.name)


def test_ticket_null_rules(data):
    money_topics = {"欠薪讨薪", "经济补偿", "工伤认定", "社会保险"}
    for r in data["hotline_tickets"]:
        closed = r["status"] in C.CLOSED_STATUSES
        assert (r["closed_at"] is not None) == closed, r["ticket_no"]
        assert (r["result"] is not None) == closed, r["ticket_no"]
        assert (r["satisfaction"] is not None) == (r["status"] == "已回访"), r["ticket_no"]
        assert r["people_involved"] >= 1
        if r["amount_involved"] is not None:
            assert r["topic"] in money_topics and r["amount_involved"] > 0
        if r["amount_recovered"] is not None:
            assert closed and r["amount_involved"] is not None
            assert 0 < r["amount_recovered"] <= r["amount_involved"]
    tickets = data["hotline_tickets"]
    wage = [r for r in tickets if r["topic"] == "欠薪讨薪"]
    assert sum(r["amount_involved"] is not None for r in wage) / len(wage) > 0.9
    assert any(r["employer_name"] is None for r in tickets) and sum(r["employer_name"] is not None for r in tickets) > len(tickets) / 2


def test_ticket_times(data):
    end_excl = dt.datetime.combine(END + dt.timedelta(days=1), dt.time())
    received = [r["received_at"] for r in data["hotline_tickets"]]
    assert min(received) >= dt.datetime(2024, 1, 1) and min(received) < dt.datetime(2024, 1, 8)
    assert max(received) < end_excl and max(received) >= dt.datetime.combine(END - dt.timedelta(days=7), dt.time())
    for r in data["hotline_tickets"]:
        limit = C.COMPLEXITY_LIMIT_DAYS[r["complexity"]]
        assert r["due_at"] == r["received_at"] + dt.timedelta(days=limit), r["ticket_no"]
        if r["closed_at"] is not None:
            assert r["received_at"] <= r["closed_at"] < end_excl, r["ticket_no"]
        assert re.fullmatch(r"NX\d{14}", r["ticket_no"]) and r["ticket_no"][2:10] == r["received_at"].strftime("%Y%m%d")
    # open tickets are mostly recent; some are overdue at the end date
    open_ = [r for r in data["hotline_tickets"] if r["status"] in C.OPEN_STATUSES]
    recent = [r for r in open_ if r["received_at"] >= end_excl - dt.timedelta(days=60)]
    assert open_ and len(recent) / len(open_) > 0.5
    assert any(r["due_at"] < end_excl for r in open_)
    late = [r for r in data["hotline_tickets"] if r["closed_at"] is not None and r["closed_at"] > r["due_at"]]
    assert 0.005 < len(late) / len(data["hotline_tickets"]) < 0.08


def test_ticket_people_and_texts(data):
    for r in data["hotline_tickets"]:
        assert re.fullmatch(r"1[3-9]\d{9}", r["caller_phone"])
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", r["caller_name"])
        assert "{" not in r["content"] and len(r["content"]) >= 10
        assert r["result"] is None or ("{" not in r["result"] and len(r["result"]) >= 8)
        if r["employer_name"] is not None:   # the text names the stored employer, never a stand-in
            assert "所在单位" not in r["content"]
    named = [r for r in data["hotline_tickets"] if r["employer_name"] is not None]
    assert sum(r["employer_name"] in r["content"] for r in named) > 0.5 * len(named)
    # amounts quoted in the request text are the amounts stored
    quoted = [r for r in data["hotline_tickets"] if r["amount_involved"] is not None
              and f"{int(r['amount_involved'])}元" in r["content"]]
    assert len(quoted) > 100
    genders = Counter((r["industry"], r["caller_gender"]) for r in data["hotline_tickets"])
    assert genders[("建筑业", "男")] > 3 * genders[("建筑业", "女")]


def test_rates_in_realistic_bands(data):
    tickets = data["hotline_tickets"]
    closed = [r for r in tickets if r["status"] in C.CLOSED_STATUSES]
    completion = len(closed) / len(tickets)
    assert 0.95 <= completion <= 0.995
    rated = [r for r in tickets if r["satisfaction"] is not None]
    satisfied = sum(r["satisfaction"] in ("满意", "基本满意") for r in rated) / len(rated)
    assert 0.90 <= satisfied <= 0.98
    share = Counter(r["complexity"] for r in tickets)
    assert 0.74 <= share["一般"] / len(tickets) <= 0.86
    assert 0.10 <= share["难点"] / len(tickets) <= 0.20
    assert 0.02 <= share["特别复杂"] / len(tickets) <= 0.09
    # lower completion in the last weeks than over the whole span
    last = [r for r in tickets if r["received_at"] >= dt.datetime.combine(END - dt.timedelta(days=21), dt.time())]
    assert sum(r["status"] in C.CLOSED_STATUSES for r in last) / len(last) < completion


def test_regions_and_city_shares(data):
    got = [(r["region_code"], r["region_name"], r["region_level"], r["parent_code"]) for r in data["regions"]]
    assert got == sorted((r.code, r.name, r.level, r.parent) for r in C.REGIONS)
    parent = {r.code: r.parent for r in C.REGIONS}
    assert {r["region_code"] for r in data["hotline_tickets"]} <= COUNTY_CODES
    assert {r["region_code"] for r in data["union_posts"]} <= COUNTY_CODES
    by_city = Counter(parent[r["region_code"]] for r in data["hotline_tickets"])
    top, n = by_city.most_common(1)[0]
    assert top == "640100" and 0.32 < n / N_TICKETS < 0.5
    by_county = Counter(r["region_code"] for r in data["hotline_tickets"])
    assert by_county["640104"] > by_county["640424"] * 4       # 兴庆区 ≫ 泾源县


def test_org_tree(data):
    orgs = {r["org_id"]: r for r in data["union_orgs"]}
    levels = Counter(r["org_level"] for r in orgs.values())
    assert levels["自治区总工会"] == 1 and levels["市总工会"] == 5 and levels["县区总工会"] == 22
    assert levels["产业工会"] >= 3 and levels["乡镇街道工会"] >= 22
    assert levels["基层工会"] > 0.8 * len(orgs)
    expected_parent = {"市总工会": {"自治区总工会"}, "县区总工会": {"市总工会"}, "乡镇街道工会": {"县区总工会"},
                       "产业工会": {"自治区总工会"}, "基层工会": {"乡镇街道工会", "县区总工会", "产业工会"}}
    region = {r.code: r for r in C.REGIONS}
    for o in orgs.values():
        assert (o["member_count"] is not None) == (o["org_level"] == "基层工会"), o
        assert o["established_on"] <= END
        if o["org_level"] == "自治区总工会":
            assert o["parent_org_id"] is None and o["region_code"] == C.ROOT_REGION
            continue
        p = orgs[o["parent_org_id"]]
        assert p["org_level"] in expected_parent[o["org_level"]], o
        if o["org_level"] == "市总工会":
            assert region[o["region_code"]].level == "市"
        elif o["org_level"] == "县区总工会":
            assert region[o["region_code"]].level == "县区" and region[o["region_code"]].parent == p["region_code"]
        elif o["org_level"] in ("乡镇街道工会", "基层工会"):
            assert o["region_code"] in COUNTY_CODES
            if p["org_level"] != "产业工会":
                assert p["region_code"] == o["region_code"]
            assert o["org_name"].endswith("工会")
        if o["org_level"] == "基层工会":
            assert o["member_count"] >= 1
    assert len({o["org_name"] for o in orgs.values()}) == len(orgs)
    assert {o["region_code"] for o in orgs.values() if o["org_level"] == "县区总工会"} == COUNTY_CODES


def test_handling_orgs(data):
    orgs = {r["org_id"]: r for r in data["union_orgs"]}
    parent = {r.code: r.parent for r in C.REGIONS}
    county_union = 0
    for r in data["hotline_tickets"]:
        o = orgs[r["handling_org_id"]]
        assert o["region_code"] in (r["region_code"], parent[r["region_code"]]), r["ticket_no"]
        county_union += o["org_level"] == "县区总工会"
    assert county_union / N_TICKETS > 0.75


def test_posts(data):
    posts = data["union_posts"]
    orgs = {r["org_id"]: r for r in data["union_orgs"]}
    centre = {c.code: (c.lon, c.lat) for c in D.COUNTY_INFO}
    assert len({p["post_name"] for p in posts}) == len(posts)
    for p in posts:
        assert orgs[p["org_id"]]["region_code"] == p["region_code"], p
        lon0, lat0 = centre[p["region_code"]]
        assert abs(p["longitude"] - lon0) < 0.4 and abs(p["latitude"] - lat0) < 0.4
        assert 104.2 < p["longitude"] < 107.7 and 35.2 < p["latitude"] < 39.4
        assert p["opened_on"] <= END and p["area_sqm"] > 0
        assert re.sub(r"（[一二三四五六七八九十\d]+）$", "", p["post_name"]).endswith(p["post_type"]), p["post_name"]
        assert p["address"].startswith("宁夏回族自治区")
    status = Counter(p["status"] for p in posts)
    assert status["运营中"] / len(posts) > 0.8
    assert sum(p["honor_level"] is None for p in posts) / len(posts) > 0.7
    outdoor = [p["open_24h"] for p in posts if p["post_type"] in ("户外劳动者服务站", "司机之家")]
    indoor = [p["open_24h"] for p in posts if p["post_type"] in ("职工之家", "职工书屋", "妈咪小屋")]
    assert sum(outdoor) / len(outdoor) > 0.5 > sum(indoor) / len(indoor)
    area = {t: [p["area_sqm"] for p in posts if p["post_type"] == t] for t in ("妈咪小屋", "职工之家")}
    assert max(area["妈咪小屋"]) < min(area["职工之家"])
    assert any(p["post_name"].endswith("总工会职工之家") for p in posts)


def test_monthly_visits(data):
    visits = data["post_monthly_visits"]
    keys = [(v["post_id"], v["month"]) for v in visits]
    assert len(set(keys)) == len(keys)
    by_post: dict[int, list[dt.date]] = {}
    for v in visits:
        assert v["month"].day == 1 and START <= v["month"] <= END and v["visits"] >= 0
        by_post.setdefault(v["post_id"], []).append(v["month"])
    end_month = END.replace(day=1)
    for p in data["union_posts"]:
        months = sorted(by_post.get(p["post_id"], []))
        first = max(p["opened_on"].replace(day=1), START)
        assert months and months[0] == first, p["post_id"]
        # contiguous months
        idx = [m.year * 12 + m.month for m in months]
        assert idx == list(range(idx[0], idx[0] + len(idx)))
        if p["status"] != "已撤销":
            assert months[-1] == end_month
        else:
            assert months[-1] <= end_month


def test_activities(data):
    posts = {p["post_id"]: p for p in data["union_posts"]}
    acts = data["post_activities"]
    assert 8 * len(posts) < len(acts) < 25 * len(posts)
    for a in acts:
        p = posts[a["post_id"]]
        assert START <= a["held_on"] <= END and a["held_on"] >= p["opened_on"]
        if a["activity_type"] == "送清凉":
            assert a["held_on"].month in (6, 7, 8)
        if a["activity_type"] == "送温暖":
            assert a["held_on"].month in (1, 2)
        if re.match(r"\d{4}年", a["title"]):
            assert a["title"].startswith(f"{a['held_on'].year}年")
        assert "{" not in a["title"] and a["participants"] >= 1
    assert any(re.fullmatch(r"\d{4}年.+区送清凉进工地活动", a["title"]) for a in acts)


def test_seasonality(data):
    tickets = data["hotline_tickets"]

    def wage_share(months: set[int]) -> float:
        sel = [r for r in tickets if r["received_at"].month in months]
        return sum(r["topic"] == "欠薪讨薪" for r in sel) / len(sel)

    assert wage_share({12, 1}) > wage_share({6, 7, 8}) + 0.05
    weekday = Counter(r["received_at"].weekday() for r in tickets)
    assert weekday[6] < weekday[0] * 0.7
    year = Counter(r["received_at"].year for r in tickets)
    assert year[2025] > year[2024]


# ── determinism and engines ──────────────────────────────────────────────────────────

def _content_hash(urls: dict[str, str]) -> str:
    h = hashlib.sha256()
    for db in C.DATABASES:
        for table in C.metadata(db).sorted_tables:
            for r in dicts(urls[db], table.name):
                h.update(repr(sorted(r.items())).encode())
    return h.hexdigest()


def test_deterministic_for_a_seed(duck, tmp_path):
    again = D.generate_to_dir(tmp_path / "same", **SIZES)
    other = D.generate_to_dir(tmp_path / "other", **{**SIZES, "seed": SEED + 1})
    urls = duck["urls"]
    same_urls = {"hotline": again.hotline_url, "posts": again.posts_url}
    other_urls = {"hotline": other.hotline_url, "posts": other.posts_url}
    digest = _content_hash(urls)
    assert digest == _content_hash(same_urls)
    assert digest != _content_hash(other_urls)
    # the org tree does not depend on the fact sizes
    smaller = D.generate_to_dir(tmp_path / "smaller", **{**SIZES, "tickets": 100, "posts": 40})
    assert dicts(smaller.hotline_url, "union_orgs") == dicts(urls["hotline"], "union_orgs")


def test_sqlite_has_the_same_rows(duck, lite):
    for db in C.DATABASES:
        for table in C.metadata(db).sorted_tables:
            assert dicts(lite["urls"][db], table.name) == dicts(duck["urls"][db], table.name), table.name
    # SQLite stores timestamps as text SQLite's date functions understand
    (n,) = rows(lite["urls"]["hotline"],
                "SELECT COUNT(*) FROM hotline_tickets WHERE strftime('%Y', received_at) = '2025'")[0]
    (m,) = rows(duck["urls"]["hotline"], "SELECT COUNT(*) FROM hotline_tickets WHERE year(received_at) = 2025")[0]
    assert n == m > 0


@pytest.mark.postgres
def test_postgres_same_rows_and_types(duck, pg):
    _check_schema(pg["urls"])
    types = dict(rows(pg["urls"]["hotline"], "SELECT column_name, data_type FROM information_schema.columns "
                                             "WHERE table_name = 'hotline_tickets'"))
    assert types["received_at"] == "timestamp without time zone" and types["amount_involved"] == "numeric"
    for db in C.DATABASES:
        for table in C.metadata(db).sorted_tables:
            assert dicts(pg["urls"][db], table.name) == dicts(duck["urls"][db], table.name), table.name
