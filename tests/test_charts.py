"""Chart choice by rule: table-driven cases from each result shape, and the spec's details."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from assistant.charts import choose_chart, format_value, metric_card, number_format
from assistant.models import PlannerResult


def _r(shape: str = "unknown", plan: dict | None = None) -> PlannerResult:
    return PlannerResult(kind="sql", backend="rules", shape=shape, plan=plan)  # type: ignore[arg-type]


MONTHS = [[dt.date(2026, m, 1), 100 * m] for m in range(1, 7)]
CITIES = [["银川市", 5120], ["石嘴山市", 1890], ["吴忠市", 2300], ["固原市", 1400], ["中卫市", 1650]]
COUNTIES = [[f"县区{i}", i * 10] for i in range(12)]
CHANNELS = [["电话", 500], ["微信", 200], ["网站", 50]]
CITY_CHANNEL = [[c, ch, i + j] for i, c in enumerate(["银川市", "中卫市"]) for j, ch in enumerate(["电话", "微信", "网站"])]
COUNTY_TOPIC = [[f"县区{i}", f"分类{j}", i * j] for i in range(10) for j in range(12)]

CASES = [
    # (id, shape, columns, rows, expected chart type)
    ("single value", "single", ["工单量"], [[1234]], "metric"),
    ("single rate", "single", ["办结率"], [[0.8734]], "metric"),
    ("compare yoy", "compare", ["今年工单量", "去年同期工单量", "同比增长率"], [[1200, 1000, 0.2]], "metric"),
    ("compare two named periods → bars", "compare", ["时期", "工单量"], [["2025年", 1000], ["2026年", 1200]], "bar"),
    ("compare two months", "compare", ["月份", "工单量"], [[dt.date(2026, 5, 1), 800], [dt.date(2026, 6, 1), 600]], "metric"),
    ("compare wide by city", "compare", ["市", "本期工单量", "同期工单量", "增减", "增减率"],
     [[c, n, n - 100, 100, 100 / (n - 100)] for c, n in CITIES], "grouped_bar"),
    ("compare wide by month", "compare", ["月份", "本期工单量", "上期工单量", "增减", "增减率"],
     [[dt.date(2026, m, 1), m * 10, m * 9, m, 0.1] for m in range(1, 7)], "line"),
    ("compare periods by city", "compare", ["时期", "市", "工单量"],
     [[p, c, n] for p in ("2025年", "2026年") for c, n in CITIES], "grouped_bar"),
    ("time series", "timeseries", ["月份", "工单量"], MONTHS, "line"),
    ("few categories", "category", ["市", "工单量"], CITIES, "bar"),
    ("many categories", "category", ["县区", "工单量"], COUNTIES, "bar"),
    ("share few parts", "share", ["渠道", "工单量"], CHANNELS, "donut"),
    ("share many parts → bars", "share", ["县区", "工单量"], COUNTIES, "bar"),
    ("two dims few", "two_dim", ["市", "渠道", "工单量"], CITY_CHANNEL, "grouped_bar"),
    ("two dims many", "two_dim", ["县区", "问题分类", "工单量"], COUNTY_TOPIC, "heatmap"),
    ("time × series", "two_dim", ["月份", "市", "工单量"], [[dt.date(2026, m, 1), c, m] for m in (1, 2, 3) for c in ("银川市", "中卫市")], "line"),
    ("detail rows", "detail", ["工单编号", "来电人姓名", "受理时间"], [["NX1", "张*", dt.datetime(2026, 3, 1, 9)]], "table"),
    ("empty", "category", ["市", "工单量"], [], "table"),
    ("category without a number", "category", ["市", "名称"], [["银川市", "甲"]], "table"),
    ("too many bars", "category", ["工会", "会员人数"], [[f"工会{i}", i] for i in range(200)], "table"),
    # unknown shape (the LLM path): inferred from columns and rows
    ("infer date-like first column", "unknown", ["month", "n"], [["2026-01-01", 3], ["2026-02-01", 4]], "line"),
    ("infer year column", "unknown", ["年份", "工单量"], [[2024, 10], [2025, 12], [2026, 7]], "line"),
    ("infer text + number", "unknown", ["市", "办结率"], [["银川市", 0.9], ["中卫市", 0.8]], "bar"),
    ("infer 占比 few parts", "unknown", ["渠道", "占比"], [["电话", 0.7], ["微信", 0.3]], "donut"),
    ("infer single", "unknown", ["count_star()"], [[42]], "metric"),
    ("infer two text + number", "unknown", ["市", "渠道", "n"], CITY_CHANNEL, "grouped_bar"),
    ("infer wide rows", "unknown", ["a", "b", "c", "d", "e"], [[1, "x", 2, "y", 3]], "table"),
    ("infer decimals", "unknown", ["市", "追回金额"], [["银川市", Decimal("1234.50")], ["中卫市", Decimal("99.00")]], "bar"),
]


@pytest.mark.parametrize("case_id,shape,columns,rows,expected", CASES, ids=[c[0] for c in CASES])
def test_chart_type_by_rule(case_id, shape, columns, rows, expected):
    chart_type, spec = choose_chart(_r(shape), columns, rows)
    assert chart_type == expected
    if expected == "table":
        assert spec is None
    else:
        assert isinstance(spec, dict) and spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
        json.dumps(spec)  # JSON-ready: it goes into `ask --json`


def _all_values(spec: dict) -> list[dict]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "values" in node and isinstance(node["values"], list):
                found.extend(node["values"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(spec)
    return found


def _encodings(spec: dict) -> list[dict]:
    layers = spec.get("layer") or [spec]
    return [layer["encoding"] for layer in layers if "encoding" in layer]


def test_data_is_inline_and_json_ready():
    _, spec = choose_chart(_r("category"), ["市", "追回金额"], [["银川市", Decimal("1234.50")]])
    values = _all_values(spec)
    assert {"市": "银川市", "追回金额": 1234.5} in values
    assert "datasets" not in spec and "url" not in json.dumps(spec["layer"][0].get("data", {}))


def test_bar_axis_titles_and_thousands():
    _, spec = choose_chart(_r("category"), ["市", "工单量"], CITIES)
    enc = _encodings(spec)[0]
    assert enc["x"]["title"] == "市"
    assert enc["y"]["axis"]["format"] == ",.0f" and enc["y"]["axis"]["title"] == "工单量"
    assert enc["x"]["sort"] == [c for c, _ in CITIES]   # the query's order is kept


def test_many_or_long_categories_are_horizontal():
    _, spec = choose_chart(_r("category"), ["县区", "工单量"], COUNTIES)
    enc = _encodings(spec)[0]
    assert enc["y"]["field"] == "县区" and enc["x"]["field"] == "工单量"
    long_labels = [["宁夏回族自治区总工会直属机关工会", 3], ["银川市总工会", 4]]
    _, spec2 = choose_chart(_r("category"), ["工会", "会员人数"], long_labels)
    assert _encodings(spec2)[0]["y"]["field"] == "工会"


def test_rates_are_percentages():
    _, spec = choose_chart(_r("category"), ["市", "办结率"], [["银川市", 0.91], ["中卫市", 0.85]])
    enc = _encodings(spec)[0]
    assert enc["y"]["axis"]["format"] == ".1%"
    tip = [t for t in enc["tooltip"] if t["field"] == "办结率"][0]
    assert tip["format"] == ".1%"


def test_months_shown_in_chinese():
    _, spec = choose_chart(_r("timeseries"), ["月份", "工单量"], MONTHS)
    x = _encodings(spec)[0]["x"]
    assert x["type"] == "temporal" and x["timeUnit"] == "utcyearmonth"
    assert x["axis"]["format"] == "%Y年%-m月"
    assert _all_values(spec)[0]["月份"] == "2026-01-01T00:00:00"
    assert spec["config"]["locale"]["number"]["thousands"] == ","


def test_days_and_quarters_grain():
    days = [[dt.date(2026, 6, d), d] for d in range(1, 8)]
    _, spec = choose_chart(_r("timeseries"), ["日期", "工单量"], days)
    assert _encodings(spec)[0]["x"]["axis"]["format"] == "%Y年%-m月%-d日"
    quarters = [[dt.date(2025, m, 1), m] for m in (1, 4, 7, 10)]
    _, spec = choose_chart(_r("timeseries"), ["季度", "工单量"], quarters)
    assert _encodings(spec)[0]["x"]["timeUnit"] == "utcyearquarter"


def test_donut_shares_and_labels():
    chart_type, spec = choose_chart(_r("share"), ["渠道", "工单量"], CHANNELS)
    assert chart_type == "donut"
    arcs = spec["layer"][0]
    assert arcs["mark"]["type"] == "arc" and arcs["mark"]["innerRadius"] > 0
    assert spec["layer"][1]["encoding"]["text"]["format"] == ".1%"


def test_grouped_bar_puts_fewer_values_in_colour():
    _, spec = choose_chart(_r("two_dim"), ["渠道", "市", "工单量"], [[r[1], r[0], r[2]] for r in CITY_CHANNEL])
    enc = _encodings(spec)[0]
    assert enc["color"]["field"] == "市" and enc["xOffset"]["field"] == "市" and enc["x"]["field"] == "渠道"


def test_metric_card_with_yoy_delta():
    _, spec = choose_chart(_r("compare", {"compare": "yoy"}), ["今年工单量", "去年同期工单量"], [[1200, 1000]])
    card = metric_card(spec)
    assert card["formatted"] == "1,200" and card["base_formatted"] == "1,000"
    assert card["delta_label"] == "同比" and card["delta_formatted"] == "+20.0%"


def test_metric_card_rate_compare_in_points():
    _, spec = choose_chart(_r("compare"), ["本月办结率", "上月办结率"], [[0.9, 0.85]])
    card = metric_card(spec)
    assert card["formatted"] == "90.0%" and card["delta_formatted"] == "+5.0个百分点"


def test_metric_card_from_two_period_rows():
    _, spec = choose_chart(_r("compare", {"compare": "环比"}), ["月份", "工单量"],
                           [[dt.date(2026, 5, 1), 800], [dt.date(2026, 6, 1), 600]])
    card = metric_card(spec)
    assert card["value"] == 600 and card["delta_formatted"] == "-25.0%" and card["delta_label"] == "环比"


def test_single_metric_has_no_delta():
    _, spec = choose_chart(_r("single"), ["平均办理时长"], [[4.256]])
    card = metric_card(spec)
    assert card["formatted"] == "4.3" and "delta" not in card
    assert metric_card(None) is None


def test_field_names_with_dots_are_escaped():
    _, spec = choose_chart(_r("category"), ["t.region", "n"], [["a", 1], ["b", 2]])
    assert _encodings(spec)[0]["x"]["field"] == "t\\.region"


@pytest.mark.parametrize("name,values,fmt,shown", [
    ("工单量", [1234567], ",.0f", "1,234,567"),
    ("满意率", [0.9234], ".1%", "92.3%"),
    ("占比", [0.5], ".1%", "50.0%"),
    ("追回金额", [1234.5], ",.2f", "1,234.50"),
    ("平均办理时长", [3.25], ",.1f", "3.3"),
])
def test_number_formats(name, values, fmt, shown):
    assert number_format(name, values) == fmt
    assert format_value(values[0], fmt) == shown


@pytest.mark.parametrize("value,fmt,shown", [
    # a ratio over a zero base: DuckDB returns inf / nan instead of NULL
    (float("inf"), ".1%", "—"),
    (float("-inf"), ",.0f", "—"),
    (float("nan"), ",.1f", "—"),
    (Decimal("Infinity"), ",.2f", "—"),
    (Decimal("NaN"), ".1%", "—"),
    # beyond the default 28 significant digits quantize raised instead of rounding
    (1e40, ",.0f", "10,000,000,000,000,000,000,000,000,000,000,000,000,000"),
    (1e30, ".1%", "100000000000000000000000000000000.0%"),
    (Decimal("12345678901234567890123456789.55"), ",.1f", "12,345,678,901,234,567,890,123,456,789.6"),
    (-0.00645, ".1%", "-0.6%"),
    (0.0005, ".1%", "0.1%"),
])
def test_values_without_a_finite_or_short_form(value, fmt, shown):
    assert format_value(value, fmt) == shown


def test_metric_card_of_an_infinite_ratio():
    _, spec = choose_chart(_r("single"), ["环比增长率"], [[float("inf")]])
    card = metric_card(spec)
    assert card["formatted"] == "—" and card["value"] is None


def test_wide_compare_single_row_uses_the_rate_column():
    plan = {"compare": {"kind": "yoy", "periods": [], "wide": True}}
    _, spec = choose_chart(_r("compare", plan), ["本期工单量", "同期工单量", "增减", "增减率"], [[1100, 1000, 100, 0.1]])
    card = metric_card(spec)
    assert card["label"] == "本期工单量" and card["delta_formatted"] == "+10.0%" and card["delta_label"] == "同比"
    assert card["base_label"] == "同期工单量"
    _, spec = choose_chart(_r("compare", {"compare": {"kind": "prev"}}), ["本期办结率", "上期办结率", "增减", "增减率"],
                           [[0.8, 0.75, 0.05, 0.0667]])
    card = metric_card(spec)
    assert card["delta_formatted"] == "+5.0个百分点" and card["delta_label"] == "环比"


def test_wide_compare_by_category_folds_now_and_base():
    rows = [[c, n, n - 100, 100, 0.1] for c, n in CITIES]
    _, spec = choose_chart(_r("compare"), ["市", "本期工单量", "同期工单量", "增减", "增减率"], rows)
    assert spec["transform"][0]["fold"] == ["本期工单量", "同期工单量"]
    assert spec["encoding"]["xOffset"]["field"] == "期间"


def test_share_question_charts_the_share():
    plan = {"share": {"field": "hotline_tickets.topic", "values": ["欠薪讨薪"]}}
    cols = ["市", "欠薪讨薪工单量", "总工单量", "占比"]
    rows = [[c, n // 10, n, 0.1] for c, n in CITIES]
    chart_type, spec = choose_chart(_r("category", plan), cols, rows)
    assert chart_type == "bar" and _encodings(spec)[0]["y"]["field"] == "占比"
    _, spec = choose_chart(_r("single", plan), ["欠薪讨薪工单量", "总工单量", "占比"], [[120, 1000, 0.12]])
    assert metric_card(spec)["formatted"] == "12.0%"


def test_share_of_total_over_few_parts_is_a_donut_of_the_counts():
    chart_type, spec = choose_chart(_r("share"), ["渠道", "工单量", "占比"], [[c, n, n / 750] for c, n in CHANNELS])
    assert chart_type == "donut" and spec["layer"][0]["encoding"]["theta"]["field"] == "工单量"
