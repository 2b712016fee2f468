"""The Chinese answer text: the figures, with the period and the definition (口径) used.

`write_answer(result, columns, rows, scope=...)` reads the rules planner's QueryPlan when there is
one (what was asked: period, filters, comparison, share …) and the rows; for any other planner
(LLM, hand-written SQL) it summarises the rows generically. Number formats follow the column:
rates as percentages with one decimal, counts with thousands separators, 元 amounts, days with
one decimal.
"""
from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from typing import Any, Sequence

from .models import PlannerResult, Scope
from .query_plan import TIME_DIMENSIONS, QueryPlan

COUNT_UNITS = (("单位数", "家"), ("工单", "件"), ("办结量", "件"), ("超期", "件"), ("未办结", "件"), ("阵地", "个"), ("活动场次", "场"),
               ("场次", "场"), ("工会", "个"), ("组织", "个"), ("人次", "人次"), ("人数", "人"), ("会员", "人"), ("行业数", "个"))
MAX_LISTED = 5


# ── numbers ──────────────────────────────────────────────────────────────────────────
# A ratio over a zero base: DuckDB returns inf or nan (SQLite gives NULL, PostgreSQL raises).
NOT_COMPUTABLE = "—（除数为0，无法计算）"


def _non_finite(value: Any) -> bool:
    if isinstance(value, decimal.Decimal):
        return not value.is_finite()
    return isinstance(value, float) and not math.isfinite(value)


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool) or _non_finite(value):
        return None
    if isinstance(value, (int, float, decimal.Decimal)):
        return float(value)
    if hasattr(value, "item"):
        return _num(value.item())
    return None


def column_kind(name: str) -> str:
    """How a result column is shown, from its name: ratio | yuan | days | sqm | count."""
    if name.endswith("率") or "占比" in name or name.startswith("增减率") or name.endswith("比例"):
        return "ratio"
    if "金额" in name or name.endswith("元"):
        return "yuan"
    if "时长" in name or name.endswith("天数"):
        return "days"
    if "面积" in name:
        return "sqm"
    return "count"


def unit_of(name: str) -> str:
    for key, unit in COUNT_UNITS:
        if key in name:
            return unit
    return ""


def fmt_number(value: Any, kind: str = "count", unit: str = "") -> str:
    v = _num(value)
    if v is None:
        if _non_finite(value):
            return NOT_COMPUTABLE
        return "无数据" if value is None else str(value)
    if kind == "ratio":
        return f"{v * 100:.1f}%"
    if kind == "yuan":
        if abs(v) >= 100000:
            return f"{v / 10000:,.2f}万元"
        return f"{v:,.2f}元"
    if kind == "days":
        return f"{v:.1f}天"
    if kind == "sqm":
        return f"{v:,.1f}平方米"
    text = f"{v:,.0f}" if abs(v - round(v)) < 1e-9 else f"{v:,.2f}"
    return text + unit


def fmt_value(name: str, value: Any) -> str:
    return fmt_number(value, column_kind(name), unit_of(name))


CN_QUARTERS = "一二三四"
_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?)?(?:[+-]\d{2}:?\d{2}|Z)?$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_ISO_QUARTER = re.compile(r"^(\d{4})\s*-?\s*[Qq]([1-4])$")
# Result column names that say which time grain a column holds (the LLM's SQL names them freely).
_GRAIN_NAMES = (("quarter", ("quarter", "季度")), ("month", ("month", "月份", "年月", "月")),
                ("week", ("week", "周")), ("year", ("year", "年份", "年度")),
                ("day", ("date", "day", "日期", "时间", "_at", "_on")))


def _as_date(value: Any) -> dt.date | dt.datetime | None:
    """A date, a datetime or an ISO date string as a date/datetime (pandas Timestamps too)."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    if isinstance(value, str):
        m = _ISO_DAY.match(value.strip())
        if m:
            try:
                day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
            if m.group(4) is not None and (m.group(4), m.group(5)) != ("00", "00"):
                return dt.datetime(day.year, day.month, day.day, int(m.group(4)), int(m.group(5)))
            return day
    return None


def fmt_date(value: dt.date | dt.datetime) -> str:
    """2026-03-15 → 2026年3月15日; a time of day other than midnight is kept (2026年3月15日 14:05)."""
    text = f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, dt.datetime) and (value.hour, value.minute) != (0, 0):
        text += f" {value.hour:02d}:{value.minute:02d}"
    return text


def fmt_cell(value: Any) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    day = _as_date(value)
    if day is not None:
        return fmt_date(day)
    if isinstance(value, str):
        m = _ISO_MONTH.match(value.strip())
        if m and 1 <= int(m.group(2)) <= 12:
            return f"{m.group(1)}年{int(m.group(2))}月"
        m = _ISO_QUARTER.match(value.strip())
        if m:
            return f"{m.group(1)}年第{CN_QUARTERS[int(m.group(2)) - 1]}季度"
    n = _num(value)
    if n is not None:
        return f"{n:,.0f}" if abs(n - round(n)) < 1e-9 else f"{n:,.2f}"
    return NOT_COMPUTABLE if _non_finite(value) else str(value)


def fmt_label(value: Any, dim: str | None = None) -> str:
    """A group label: months as 2026年1月, quarters as 2026年第一季度, years as 2026年, days as 2026年3月15日."""
    day = _as_date(value)
    if isinstance(day, dt.datetime):
        day = day.date() if dim in ("month", "quarter", "year", "week") or (day.hour, day.minute) == (0, 0) else day
    if isinstance(day, dt.date) and not isinstance(day, dt.datetime):
        if dim == "month":
            return f"{day.year}年{day.month}月"
        if dim == "quarter":
            return f"{day.year}年第{CN_QUARTERS[(day.month - 1) // 3]}季度"
        if dim == "year":
            return f"{day.year}年"
        if dim == "week":
            return f"{day.year}年{day.month}月{day.day}日当周"
        return fmt_date(day)
    if day is not None:
        return fmt_date(day)
    if dim == "year" and isinstance(value, (int, float)) and not isinstance(value, bool) and 1900 <= value <= 2100:
        return f"{int(value)}年"
    if dim == "quarter" and isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value <= 4:
        return f"第{CN_QUARTERS[int(value) - 1]}季度"
    if dim == "month" and isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value <= 12:
        return f"{int(value)}月"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return fmt_cell(value)


def grain_of_column(name: str, values: Sequence[Any]) -> str | None:
    """The time grain of a result column, by its name or, for dates, by its values (all 1sts → months)."""
    lowered = name.lower()
    for grain, words in _GRAIN_NAMES:
        if any(w in lowered for w in words):
            if grain == "year" and not all(v is None or isinstance(v, (int, float)) or _as_date(v) is not None
                                           for v in values):
                return None
            return grain
    days = [_as_date(v) for v in values if v is not None]
    if len(days) >= 2 and all(d is not None for d in days):
        if all(d.day == 1 for d in days):
            return "quarter" if all(d.month in (1, 4, 7, 10) for d in days) and len(days) <= 8 and "季" in name else "month"
        return "day"
    return None


def _change(name: str, now: Any, then: Any) -> str:
    """'增加12件（增长5.3%）' / '下降1.2个百分点'."""
    a, b = _num(now), _num(then)
    if a is None or b is None:
        return "无法比较（缺少数据）"
    kind = column_kind(name)
    diff = a - b
    if kind == "ratio":
        if abs(diff) < 1e-12:
            return "持平"
        return f"{'上升' if diff > 0 else '下降'}{abs(diff) * 100:.1f}个百分点"
    if abs(diff) < 1e-12:
        return "持平"
    text = f"{'增加' if diff > 0 else '减少'}{fmt_number(abs(diff), kind, unit_of(name))}"
    if b:
        text += f"（{'增长' if diff > 0 else '下降'}{abs(diff) / abs(b) * 100:.1f}%）"
    return text


# ── plan-aware answers ─────────────────────────────────────────────────────────────────
# How a figure reads in a sentence ("共受理工单218件"); other metrics read "满意率95.6%".
PHRASES = {"工单量": "共受理工单", "办结量": "办结", "未办结量": "未办结", "超期工单": "超期工单", "阵地数量": "共有工会阵地",
           "活动场次": "共开展活动", "参与人次": "参与", "服务人次": "服务", "会员人数": "共有会员",
           "基层工会数": "共有基层工会", "工会组织数": "共有工会组织"}
SUB_FIGURES = {"办结量", "未办结量", "超期工单"}


def _subject(plan: QueryPlan, whole: str = "全区") -> str:
    """'海原县' / '石嘴山市（欠薪讨薪类、信访投诉类）' / '全区（欠薪讨薪类）'."""
    region = [f.label for f in plan.filters if f.field == "region" and f.label] or ([whole] if whole else [])
    others = [f.label for f in plan.filters if f.field != "region" and f.label] + [h.label for h in plan.having]
    if plan.period_column:
        others.insert(0, "新建" if plan.table == "union_posts" else "新成立")
    if region and others:
        return f"{'、'.join(region)}（{'、'.join(others)}）"
    return "、".join(region or others)


def _definitions(result: PlannerResult) -> str:
    defs = [d for d in result.definitions if d.formula]
    if not defs:
        return ""
    return "（" + "；".join(f"{d.name}：{d.formula}" if d.name not in d.formula else d.formula for d in defs) + "）"


def _prefix(result: PlannerResult, plan: QueryPlan) -> str:
    parts = []
    if result.period:
        parts.append(result.period)
    subject = _subject(plan, "" if (plan.dimensions or plan.detail) else "全区")
    head = "，".join(parts)
    if plan.dimensions or plan.share is not None or plan.detail:
        return f"{head}，{subject}，" if head and subject else (head + "，" if head else (subject + "，" if subject else ""))
    return f"{head}，{subject}" if head else subject


def _value_columns(columns: Sequence[str], dim_count: int) -> list[int]:
    return list(range(dim_count, len(columns)))


def _single(result: PlannerResult, plan: QueryPlan, columns, rows) -> str:
    row = rows[0]
    if plan.share is not None and "占比" in columns:
        i = columns.index("占比")
        part = columns[0]
        whole = columns[1][1:] if plan.share.field == "@metric" and columns[1].startswith("总") else columns[1]
        return (f"{_prefix(result, plan)}{part}为{fmt_value(part, row[0])}，占{whole}"
                f"（{fmt_value(columns[1], row[1])}）的{fmt_number(row[i], 'ratio')}。")
    formulas = {d.name: d.formula for d in result.definitions}
    figures = []
    previous = None
    for c, v in zip(columns, row):
        phrase = PHRASES.get(c)
        text = f"{phrase}{fmt_value(c, v)}" if phrase else f"{c}{fmt_value(c, v)}"
        if c in SUB_FIGURES and previous == "工单量":
            text = "其中" + text
        if c in formulas and (column_kind(c) in ("ratio", "days") or c == "超期工单"):
            text += f"（{formulas[c]}）"
        figures.append(text)
        previous = c
    return f"{_prefix(result, plan)}{'，'.join(figures)}。"


def _grouped(result: PlannerResult, plan: QueryPlan, columns, rows) -> str:
    dims = len(plan.dimensions)
    value_idx = _value_columns(columns, dims)
    if not value_idx:
        return f"{_prefix(result, plan)}共{len(rows)}项。"
    if plan.share is not None and "占比" in columns:
        main = columns.index("占比")
    else:
        main = value_idx[0]
    name = columns[main]
    label = lambda r: "·".join(fmt_label(r[i], plan.dimensions[i]) for i in range(dims))  # noqa: E731
    dim_names = "、".join(columns[:dims])
    head = _prefix(result, plan)
    if plan.limit == 1 and plan.order and rows:
        word = "最低" if plan.order == "asc" else "最高" if column_kind(name) != "count" else "最多"
        if plan.order == "asc" and column_kind(name) == "count":
            word = "最少"
        return f"{head}{name}{word}的{dim_names}是{label(rows[0])}，为{fmt_value(name, rows[0][main])}。"
    if plan.dimensions and plan.dimensions[0] in TIME_DIMENSIONS and dims == 1 and not plan.order:
        values = [(label(r), _num(r[main])) for r in rows]
        known = [(k, v) for k, v in values if v is not None]
        text = f"{head}按{dim_names}统计{name}，共{len(rows)}个{dim_names}"
        if known:
            hi = max(known, key=lambda kv: kv[1])
            lo = min(known, key=lambda kv: kv[1])
            text += f"：最高为{hi[0]}（{fmt_value(name, hi[1])}），最低为{lo[0]}（{fmt_value(name, lo[1])}）"
            text += f"，最近一期{known[-1][0]}为{fmt_value(name, known[-1][1])}"
            if column_kind(name) not in ("ratio", "days") and len(plan.metrics) >= 1 and plan.share is None:
                text += f"，合计{fmt_value(name, sum(v for _, v in known))}"
        return text + "。"
    joiner = "为" if plan.dimensions[0] in TIME_DIMENSIONS else ""   # "2026年3月为120件", not "2026年3月120件"
    if plan.share_of_total and "占比" in columns:
        si = columns.index("占比")
        listed = "、".join(f"{label(r)}{joiner}{fmt_value(name, r[main])}（占{fmt_number(r[si], 'ratio')}）"
                          for r in rows[:MAX_LISTED])
    else:
        listed = "、".join(f"{label(r)}{joiner}{fmt_value(name, r[main])}" for r in rows[:MAX_LISTED])
    more = "等" if len(rows) > MAX_LISTED else ""
    text = f"{head}按{dim_names}统计{name}（共{len(rows)}项）：{listed}{more}"
    distinct = any(m.startswith("distinct:") for m in plan.metrics)   # distinct counts do not add up
    if column_kind(name) == "count" and plan.share is None and not plan.limit and not distinct:
        total = sum(v for v in (_num(r[main]) for r in rows) if v is not None)
        text += f"，合计{fmt_value(name, total)}"
    return text + "。"


def _compare(result: PlannerResult, plan: QueryPlan, columns, rows) -> str:
    cmp = plan.compare
    assert cmp is not None
    head = _subject(plan, "" if plan.dimensions else "全区")
    head = head + "，" if head else ""
    if not cmp.wide:
        # one row per period (时期 first)
        dims = len(plan.dimensions)
        value_cols = list(range(1 + dims, len(columns)))
        parts = []
        for r in rows[: MAX_LISTED * 2]:
            who = "·".join(fmt_label(r[i], plan.dimensions[i - 1]) for i in range(1, 1 + dims))
            figures = "，".join(f"{columns[i]}{fmt_value(columns[i], r[i])}" for i in value_cols)
            parts.append(f"{r[0]}{('·' + who) if who else ''}{figures}")
        return f"{head}{'；'.join(parts)}。"
    cur, base = cmp.periods[0], cmp.periods[1]
    base_word = {"yoy": "去年同期", "prev": "上一期"}.get(cmp.kind, "对比期")
    dims = len(plan.dimensions)
    # columns: dims…, then per value: 本期X, 同期X|上期X, 增减, 增减率
    groups = []
    i = dims
    while i + 3 < len(columns) + 1 and i < len(columns):
        groups.append(i)
        i += 4
    sentences = []
    for r in rows[:MAX_LISTED]:
        who = "·".join(fmt_label(r[k], plan.dimensions[k]) for k in range(dims))
        bits = []
        for g in groups:
            name = columns[g][2:] if columns[g].startswith("本期") else columns[g]
            bits.append(f"{name}{fmt_value(name, r[g])}，{base_word}（{base.label}）{fmt_value(name, r[g + 1])}，"
                        f"{_change(name, r[g], r[g + 1])}")
        sentences.append(f"{who + '：' if who else ''}{'；'.join(bits)}")
    more = f"（共{len(rows)}项，仅列前{MAX_LISTED}项）" if len(rows) > MAX_LISTED else ""
    return f"{cur.label}，{head}{'。'.join(sentences)}{more}。"


def _detail(result: PlannerResult, plan: QueryPlan, columns, rows) -> str:
    head = _prefix(result, plan)
    named = [d.name for d in result.definitions if ":" not in d.name and "合计" not in d.name
             and not d.name.startswith(("最大", "最小", "平均"))]
    if named:   # 超期工单 as a list
        head += f"{'、'.join(named)}"
    first = [fmt_cell(r[0]) for r in rows[:MAX_LISTED]]
    more = "等" if len(rows) > MAX_LISTED else ""
    return f"{head}共查询到{len(rows)}条记录，例如：{'、'.join(first)}{more}（详见下表）。"


def _generic(result: PlannerResult, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Any planner's rows, summarised: one figure, a short list, or a count of rows. Dates read as Chinese."""
    prefix = f"{result.period}，" if result.period else ""
    grains = [grain_of_column(c, [r[i] for r in rows]) for i, c in enumerate(columns)]

    def is_time(i: int) -> bool:
        return grains[i] is not None and any(_as_date(r[i]) is not None or isinstance(r[i], (int, str))
                                             for r in rows if r[i] is not None)

    def shown(i: int, value: Any) -> str:
        if value is not None and is_time(i):
            return fmt_label(value, grains[i])
        return fmt_value(columns[i], value) if _num(value) is not None else fmt_cell(value)

    if len(rows) == 1 and len(columns) <= 4:
        figures = "，".join(f"{c}为{shown(i, v)}" for i, (c, v) in enumerate(zip(columns, rows[0])))
        return f"{prefix}{figures}。"
    numeric = [i for i in range(len(columns)) if not is_time(i)
               and rows and all(_num(r[i]) is not None or r[i] is None for r in rows)
               and any(_num(r[i]) is not None for r in rows)]
    labels = [i for i in range(len(columns)) if i not in numeric]
    if labels and numeric and len(columns) <= 4:
        li, vi = labels[0], numeric[0]
        joiner = "为" if is_time(li) else ""   # "2026年1月为10", never "2026年1月10" (a day)
        listed = "、".join(f"{shown(li, r[li])}{joiner}{fmt_value(columns[vi], r[vi])}" for r in rows[:MAX_LISTED])
        more = "等" if len(rows) > MAX_LISTED else ""
        text = f"{prefix}共{len(rows)}项，{columns[vi]}：{listed}{more}"
        known = [(r[li], _num(r[vi])) for r in rows if _num(r[vi]) is not None]
        if is_time(li) and len(known) >= 3:
            hi = max(known, key=lambda kv: kv[1])
            lo = min(known, key=lambda kv: kv[1])
            text += (f"；最高为{shown(li, hi[0])}（{fmt_value(columns[vi], hi[1])}），"
                     f"最低为{shown(li, lo[0])}（{fmt_value(columns[vi], lo[1])}）")
        return text + "。"
    return f"{prefix}共查询到{len(rows)}条记录（详见下表）。"


def write_answer(result: PlannerResult, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
                 scope: Scope | None) -> str:
    columns = list(columns)
    plan = result.plan_obj if isinstance(result.plan_obj, QueryPlan) else None
    if plan is None and QueryPlan.is_rules_plan(result.plan):
        plan = QueryPlan.from_dict(result.plan or {})
    if not rows:
        text = f"{result.period + '，' if result.period else ''}没有查询到符合条件的数据。"
    elif plan is None:
        text = _generic(result, columns, rows)
    elif plan.detail:
        text = _detail(result, plan, columns, rows)
    elif plan.compare is not None:
        text = _compare(result, plan, columns, rows)
    elif plan.dimensions:
        text = _grouped(result, plan, columns, rows)
    else:
        text = _single(result, plan, columns, rows)
    if plan is not None and rows and not plan.detail and (plan.dimensions or plan.compare or plan.share):
        text += _definitions(result)
    if scope is not None and not scope.is_root:
        text += f"（{scope.describe()}）"
    return text
