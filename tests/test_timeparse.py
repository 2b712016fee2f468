"""Chinese time expressions resolved against as_of: half-open [start, end) ranges and labels."""
from __future__ import annotations

import datetime as dt

import pytest

from assistant.timeparse import (Period, cn_number, find_periods, parse_period, period_before, range_label,
                                 year_over_year)

AS_OF = dt.date(2026, 6, 30)
D = dt.date

CASES = [
    # contract's "Place and time"
    ("今年", D(2026, 1, 1), D(2026, 7, 1)),
    ("今年以来", D(2026, 1, 1), D(2026, 7, 1)),
    ("去年", D(2025, 1, 1), D(2026, 1, 1)),
    ("前年", D(2024, 1, 1), D(2025, 1, 1)),
    ("本月", D(2026, 6, 1), D(2026, 7, 1)),
    ("这个月", D(2026, 6, 1), D(2026, 7, 1)),
    ("上个月", D(2026, 5, 1), D(2026, 6, 1)),
    ("上月", D(2026, 5, 1), D(2026, 6, 1)),
    ("近6个月", D(2026, 1, 1), D(2026, 7, 1)),
    ("近三个月", D(2026, 4, 1), D(2026, 7, 1)),
    ("最近十二个月", D(2025, 7, 1), D(2026, 7, 1)),
    ("近两个月", D(2026, 5, 1), D(2026, 7, 1)),
    ("近30天", D(2026, 6, 1), D(2026, 7, 1)),
    ("最近7天", D(2026, 6, 24), D(2026, 7, 1)),
    ("过去十天", D(2026, 6, 21), D(2026, 7, 1)),
    ("上半年", D(2026, 1, 1), D(2026, 7, 1)),
    ("下半年", D(2025, 7, 1), D(2026, 1, 1)),          # wholly in the future → last year's
    ("一季度", D(2026, 1, 1), D(2026, 4, 1)),
    ("第二季度", D(2026, 4, 1), D(2026, 7, 1)),
    ("Q1", D(2026, 1, 1), D(2026, 4, 1)),
    ("四季度", D(2025, 10, 1), D(2026, 1, 1)),
    # explicit
    ("2025年", D(2025, 1, 1), D(2026, 1, 1)),
    ("2025年全年", D(2025, 1, 1), D(2026, 1, 1)),
    ("二〇二五年", D(2025, 1, 1), D(2026, 1, 1)),
    ("2025年3月", D(2025, 3, 1), D(2025, 4, 1)),
    ("2025年12月", D(2025, 12, 1), D(2026, 1, 1)),
    ("2025年3月到6月", D(2025, 3, 1), D(2025, 7, 1)),
    ("2025年3月至6月", D(2025, 3, 1), D(2025, 7, 1)),
    ("2025年11月到2026年2月", D(2025, 11, 1), D(2026, 3, 1)),
    ("3月到5月", D(2026, 3, 1), D(2026, 6, 1)),
    ("2024年以来", D(2024, 1, 1), D(2026, 7, 1)),
    ("2024年至今", D(2024, 1, 1), D(2026, 7, 1)),
    ("今年3月以来", D(2026, 3, 1), D(2026, 7, 1)),
    ("2025年第二季度", D(2025, 4, 1), D(2025, 7, 1)),
    ("2025年二季度", D(2025, 4, 1), D(2025, 7, 1)),
    ("去年四季度", D(2025, 10, 1), D(2026, 1, 1)),
    ("2025年上半年", D(2025, 1, 1), D(2025, 7, 1)),
    ("去年下半年", D(2025, 7, 1), D(2026, 1, 1)),
    ("3月份", D(2026, 3, 1), D(2026, 4, 1)),
    ("十月", D(2025, 10, 1), D(2025, 11, 1)),          # a month still ahead this year → last year's
    ("去年12月", D(2025, 12, 1), D(2026, 1, 1)),
    ("今年前三个月", D(2026, 1, 1), D(2026, 4, 1)),
    ("本周", D(2026, 6, 29), D(2026, 7, 1)),
    ("上周", D(2026, 6, 22), D(2026, 6, 29)),
    ("昨天", D(2026, 6, 29), D(2026, 6, 30)),
    ("今天", D(2026, 6, 30), D(2026, 7, 1)),
    ("近一年", D(2025, 7, 1), D(2026, 7, 1)),
    ("过去一年", D(2025, 7, 1), D(2026, 7, 1)),
    ("2026-03-15", D(2026, 3, 15), D(2026, 3, 16)),
    ("6月1日到6月15日", D(2026, 6, 1), D(2026, 6, 16)),
    ("2025年5月1日", D(2025, 5, 1), D(2025, 5, 2)),
    ("本季度", D(2026, 4, 1), D(2026, 7, 1)),
    ("上季度", D(2026, 1, 1), D(2026, 4, 1)),
    ("2024年到2025年", D(2024, 1, 1), D(2026, 1, 1)),
    ("24年全年", D(2024, 1, 1), D(2025, 1, 1)),
    ("近半年", D(2026, 1, 1), D(2026, 7, 1)),
    ("最近半个月", D(2026, 6, 16), D(2026, 7, 1)),
    ("截至去年底", D(1900, 1, 1), D(2026, 1, 1)),
    ("截至2025年年底", D(1900, 1, 1), D(2026, 1, 1)),
    ("2024年以前", D(1900, 1, 1), D(2024, 1, 1)),
]


@pytest.mark.parametrize("text,start,end", CASES)
def test_period(text: str, start: dt.date, end: dt.date) -> None:
    period = parse_period(f"查询{text}的工单量", AS_OF)
    assert period is not None, text
    assert (period.start, period.end) == (start, end), text


def test_labels() -> None:
    assert parse_period("今年", AS_OF).label == "2026年1月1日至6月30日"
    assert parse_period("去年", AS_OF).label == "2025年1月1日至12月31日"
    assert parse_period("昨天", AS_OF).label == "2026年6月29日"
    assert parse_period("2025年11月到2026年2月", AS_OF).label == "2025年11月1日至2026年2月28日"
    assert range_label(D(2026, 1, 1), D(2026, 1, 2)) == "2026年1月1日"


@pytest.mark.parametrize("text,value", [("12", 12), ("十二", 12), ("二十四", 24), ("两", 2), ("十", 10),
                                        ("二〇二五", 2025), ("一百二十", 120), ("三万", 30000), ("abc", None)])
def test_cn_number(text: str, value: int | None) -> None:
    assert cn_number(text) == value


def test_no_period_and_non_time_numbers() -> None:
    assert parse_period("各市工单量", AS_OF) is None
    assert parse_period("工单量前5的县区", AS_OF) is None
    assert parse_period("12351热线", AS_OF) is None
    assert parse_period("涉及10人以上的工单", AS_OF) is None


def test_several_periods_in_order() -> None:
    found = find_periods("2025年和2026年上半年对比", AS_OF)
    assert [(m.period.start, m.period.end) for m in found] == [(D(2025, 1, 1), D(2026, 1, 1)),
                                                               (D(2026, 1, 1), D(2026, 7, 1))]


def test_year_over_year_and_previous() -> None:
    ytd = parse_period("今年", AS_OF)
    assert year_over_year(ytd) == Period(D(2025, 1, 1), D(2025, 7, 1), "2025年1月1日至6月30日")
    assert (period_before(ytd).start, period_before(ytd).end) == (D(2025, 7, 1), D(2026, 1, 1))
    june = parse_period("本月", AS_OF)
    assert (period_before(june).start, period_before(june).end) == (D(2026, 5, 1), D(2026, 6, 1))
    last30 = parse_period("近30天", AS_OF)
    assert (period_before(last30).start, period_before(last30).end) == (D(2026, 5, 2), D(2026, 6, 1))
    q1 = parse_period("一季度", AS_OF)
    assert (period_before(q1).start, period_before(q1).end) == (D(2025, 10, 1), D(2026, 1, 1))


def test_other_reference_date() -> None:
    as_of = D(2025, 3, 15)
    assert (parse_period("今年", as_of).start, parse_period("今年", as_of).end) == (D(2025, 1, 1), D(2025, 3, 16))
    assert (parse_period("近3个月", as_of).start, parse_period("近3个月", as_of).end) == (D(2025, 1, 1), D(2025, 3, 16))
    assert (parse_period("上个月", as_of).start, parse_period("上个月", as_of).end) == (D(2025, 2, 1), D(2025, 3, 1))


def test_period_round_trip() -> None:
    p = parse_period("近30天", AS_OF)
    assert Period.from_dict(p.to_dict()) == p
