"""The Chinese answer text: figures with period and definition, groups, comparisons, empty results."""
from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from assistant.answer import NOT_COMPUTABLE, fmt_cell, fmt_number, write_answer
from assistant.models import Definition, PlannerResult, Scope, json_value
from assistant.schema_docs import load_schema_docs
from assistant.semantic_parser import RulesPlanner

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def ask(demo_dir: Path):
    docs = load_schema_docs()
    planner = RulesPlanner(docs)
    conns = {db: duckdb.connect(str(demo_dir / f"{db}.duckdb"), read_only=True) for db in ("hotline", "posts")}

    def run(question: str, scope: Scope | None = None):
        r = planner.plan(question, SimpleNamespace(as_of=AS_OF, docs=docs, history=[]))
        cur = conns[r.database].execute(r.sql)
        rows = [list(x) for x in cur.fetchall()]
        cols = [d[0] for d in cur.description]
        return r, cols, rows, write_answer(r, cols, rows, scope=scope)

    yield run
    for c in conns.values():
        c.close()


def test_number_formats() -> None:
    assert fmt_number(0.9654, "ratio") == "96.5%"
    assert fmt_number(12345, "count", "件") == "12,345件"
    assert fmt_number(decimal.Decimal("1234.5"), "yuan") == "1,234.50元"
    assert fmt_number(4983034, "yuan") == "498.30万元"
    assert fmt_number(4.0444, "days") == "4.0天"
    assert fmt_number(None) == "无数据"


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"),
                                   decimal.Decimal("Infinity"), decimal.Decimal("NaN")])
def test_a_ratio_over_zero_is_said_to_be_not_computable(value) -> None:
    # DuckDB divides a float by zero to inf / nan rather than NULL.
    assert fmt_number(value, "ratio") == NOT_COMPUTABLE
    assert fmt_cell(value) == NOT_COMPUTABLE
    assert json_value(value) is None


def test_single_figures_with_period_and_definition(ask) -> None:
    r, cols, rows, text = ask("今年海原县共受理多少工单，办结了多少，办结率多少")
    count, closed, rate = rows[0]
    assert text.startswith("2026年1月1日至6月30日，海原县")
    assert f"共受理工单{count:,}件，其中办结{closed:,}件，办结率{rate * 100:.1f}%（办结量÷工单量）。" in text


def test_grouped_lists_top_items_and_total(ask) -> None:
    r, cols, rows, text = ask("今年各市工单量")
    total = sum(row[1] for row in rows)
    assert f"{rows[0][0]}{rows[0][1]:,}件" in text and f"合计{total:,}件" in text and "按市统计" in text


def test_ranking_names_the_top(ask) -> None:
    r, cols, rows, text = ask("哪个县区工单最多")
    assert f"最多的县区是{rows[0][0]}" in text


def test_timeseries_months(ask) -> None:
    r, cols, rows, text = ask("今年每月的工单量")
    assert "2026年1月" in text and "最高" in text and "最低" in text


def test_comparison_gives_both_values_difference_and_change(ask) -> None:
    r, cols, rows, text = ask("今年工单量同比")
    now, then = rows[0][0], rows[0][1]
    word = "增加" if now > then else "减少"
    assert f"{now:,}件" in text and f"{then:,}件" in text and f"{word}{abs(now - then):,}件" in text
    assert "去年同期" in text and "%" in text


def test_rate_comparison_in_points(ask) -> None:
    r, cols, rows, text = ask("今年满意率同比")
    assert "个百分点" in text or "持平" in text


def test_share_text(ask) -> None:
    r, cols, rows, text = ask("今年欠薪类工单占比")
    assert "占" in text and f"{rows[0][2] * 100:.1f}%" in text


def test_detail_text(ask) -> None:
    r, cols, rows, text = ask("列出今年沙坡头区不满意的工单")
    assert f"共查询到{len(rows)}条记录" in text and rows[0][0] in text


def test_empty_result_said_plainly(ask) -> None:
    r, cols, rows, text = ask("今天海原县的欠薪工单有哪些")
    assert rows == [] and "没有查询到符合条件的数据" in text


def test_scope_mentioned() -> None:
    scope = Scope(org_id=3, org_name="中卫市总工会", org_level="市总工会", region_code="640500", region_name="中卫市",
                  region_codes=frozenset({"640500"}), org_ids=frozenset({3}))
    result = PlannerResult(kind="sql", backend="rules", period="2026年1月1日至6月30日")
    text = write_answer(result, ["工单量"], [[12]], scope=scope)
    assert "中卫市" in text


def test_generic_answer_without_plan() -> None:
    result = PlannerResult(kind="sql", backend="llm", definitions=[Definition("工单量", "工单数")])
    assert write_answer(result, ["ticket_count"], [[42]], scope=None) == "ticket_count为42。"
    text = write_answer(result, ["city", "n"], [["银川市", 10], ["中卫市", 5]], scope=None)
    assert "银川市" in text and "共2项" in text
    assert "没有查询到" in write_answer(result, ["n"], [], scope=None)


# ── dates read as Chinese, never as ISO strings ───────────────────────────────────────
ISO = __import__("re").compile(r"\d{4}-\d{1,2}|\d{2}:\d{2}:\d{2}|Q[1-4]")


def test_quarters_and_months_in_chinese(ask) -> None:
    r, cols, rows, text = ask("今年每季度的工单量")
    assert "2026年第一季度" in text and "2026年第二季度" in text and not ISO.search(text)
    r, cols, rows, text = ask("工单最多的三个月份是哪几个月")
    assert len(rows) == 3 and "月为" in text and not ISO.search(text)


@pytest.mark.parametrize("columns,rows,expected", [
    (["month", "ticket_count"], [[dt.date(2026, 1, 1), 10], [dt.date(2026, 2, 1), 30], [dt.date(2026, 3, 1), 20]],
     ["2026年1月为10", "最高为2026年2月（30）", "最低为2026年1月（10）"]),
    (["quarter", "n"], [[dt.date(2026, 1, 1), 10], [dt.date(2026, 4, 1), 30]], ["2026年第一季度为10", "2026年第二季度为30"]),
    (["quarter", "n"], [["2025-Q2", 10], ["2025-Q3", 30]], ["2025年第二季度为10"]),
    (["month", "n"], [["2026-03", 10], ["2026-04", 30]], ["2026年3月为10", "2026年4月为30"]),
    (["year", "n"], [[2024, 10], [2025, 30], [2026, 5]], ["2024年为10", "最高为2025年（30）"]),
    (["received_at", "ticket_no"], [[dt.datetime(2026, 3, 15, 14, 5), "NX1"]], ["2026年3月15日 14:05"]),
    (["latest_day"], [["2026-03-15"]], ["2026年3月15日"]),
    (["day", "n"], [[dt.datetime(2026, 3, 15), 4], [dt.datetime(2026, 3, 16), 6]], ["2026年3月15日为4"]),
])
def test_any_planners_dates_read_as_chinese(columns, rows, expected) -> None:
    result = PlannerResult(kind="sql", backend="llm")
    text = write_answer(result, columns, rows, scope=None)
    assert all(e in text for e in expected), text
    assert not ISO.search(text.replace("14:05", "")), text


def test_ratio_of_two_sums_text(ask) -> None:
    r, cols, rows, text = ask("追回金额占涉及金额的比例是多少")
    assert "追回金额为" in text and "占涉及金额（" in text and f"{rows[0][2] * 100:.1f}%" in text
