"""The evaluation question set in eval/: well-formed, broad, and every gold SQL right on the demo data."""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
import sqlglot
from sqlglot import exp

from assistant import contract
from assistant.db import Databases
from assistant.evaluation import CHART_TYPES, default_datasets, load_cases

CASES = load_cases(default_datasets())
SQL_CASES = [c for c in CASES if c.expect is None]


class _Runner:
    """Runs gold SQL through the project's read-only engines (one DuckDB configuration per process)."""

    def __init__(self, settings):
        self.databases = Databases(settings)

    def run(self, db: str, sql: str) -> tuple[list[str], list[list]]:
        columns, rows, _ = self.databases.execute(db, sql, max_rows=100_000)
        return columns, rows


@pytest.fixture(scope="module")
def runner(demo_settings):
    r = _Runner(demo_settings)
    yield r
    r.databases.dispose()


def test_size_and_mix():
    assert len(CASES) >= 230
    dbs = Counter(c.db for c in CASES)
    assert 0.55 <= dbs["hotline"] / len(CASES) <= 0.70, dbs
    kinds = Counter(c.expect for c in CASES)
    assert kinds["refuse"] >= 10 and kinds["clarify"] >= 10
    followups = [c for c in CASES if c.history]
    assert len(followups) >= 20 and any(len(c.history) >= 2 for c in followups)
    assert Counter(c.as_of for c in CASES).keys() >= {dt.date(2026, 6, 30), dt.date(2026, 3, 15), dt.date(2025, 12, 31)}


def test_questions_are_distinct_and_charts_valid():
    questions = Counter((c.history, c.question, c.as_of) for c in CASES)
    assert not [q for q, n in questions.items() if n > 1]
    assert all(c.chart in (None, *CHART_TYPES) for c in CASES)


def test_must_handle_list_is_covered():
    tags = Counter(t for c in CASES for t in c.tags)
    filters = {"topic", "request_type", "industry", "caller_group", "channel", "status", "complexity", "gender",
               "satisfaction", "post_type", "honor_level", "post_status", "open_24h", "activity_type",
               "target_group", "numeric"}
    assert not [f for f in filters if tags[f"filter:{f}"] < 2], tags
    metrics = {"工单量", "办结量", "办结率", "按期办结率", "超期工单", "满意率", "不满意率", "平均办理时长", "追回金额",
               "阵地数量", "服务人次", "活动场次", "参与人次", "会员人数", "基层工会数"}
    assert not [m for m in metrics if tags[f"metric:{m}"] < 2], tags
    groups = {"city", "county", "month", "quarter", "year", "two_dims"}
    assert not [g for g in groups if tags[f"group:{g}"] < 2]
    for tag in ("share", "average", "sum", "two_metrics", "rank", "topn", "compare:yoy", "compare:mom",
                "detail", "region:no_suffix", "time:relative", "time:range", "time:chinese_numeral", "followup"):
        assert tags[tag] >= 2, tag


def _selected_columns(sql: str) -> set[str]:
    tree = sqlglot.parse_one(sql, read="duckdb")
    return {c.name for c in tree.find_all(exp.Column)}


@pytest.mark.parametrize("case", SQL_CASES, ids=lambda c: c.id)
def test_gold_sql_parses_and_avoids_personal_data(case):
    names = _selected_columns(case.gold_sql)
    assert not names & {"caller_name", "caller_phone"}
    tables = {t.name for t in sqlglot.parse_one(case.gold_sql, read="duckdb").find_all(exp.Table)}
    allowed = set(contract.table_columns(case.db))
    assert tables <= allowed, tables - allowed


def test_gold_sql_runs_and_is_meaningful(runner):
    problems = []
    for case in SQL_CASES:
        try:
            columns, rows = runner.run(case.db, case.gold_sql)
        except Exception as error:
            problems.append(f"{case.id}: {str(error).splitlines()[0]}")
            continue
        if not rows or all(v is None for r in rows for v in r):
            problems.append(f"{case.id}: empty result")
            continue
        if len(rows) >= 1000:
            problems.append(f"{case.id}: {len(rows)} rows would be cut by the row limit")
        for i, name in enumerate(columns):  # rates are ratios 0..1 per the contract
            if re.search(r"(_rate|share)$", name) and name != "growth_rate":
                bad = [r[i] for r in rows if r[i] is not None and not 0 <= r[i] <= 1]
                if bad:
                    problems.append(f"{case.id}: {name} outside 0..1: {bad[:3]}")
        if case.order_matters and "ORDER BY" not in case.gold_sql.upper():
            problems.append(f"{case.id}: order_matters without ORDER BY")
    assert not problems, "\n".join(problems)


def test_top_n_has_no_tie_at_the_cut(runner):
    """A LIMIT that cuts through a tie would make the gold answer arbitrary."""
    problems = []
    for case in SQL_CASES:
        m = re.search(r"\sLIMIT (\d+)\s*$", case.gold_sql)
        if not m:
            continue
        n = int(m.group(1))
        _, rows = runner.run(case.db, case.gold_sql[:m.start()])
        if len(rows) > n and rows[n - 1][-1] == rows[n][-1]:
            problems.append(f"{case.id}: tie between {rows[n - 1]} and {rows[n]}")
    assert not problems, "\n".join(problems)
