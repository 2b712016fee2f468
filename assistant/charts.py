"""Chart choice by rule → a Vega-Lite spec (built with altair, data inline).

The chart is chosen from the planner's result shape and the result's columns and rows,
never by running generated code. The same choice is returned by `ask --json`, so the
harness, the Streamlit app and the OA widget draw the same chart.

Chart types: metric (a card; the spec draws it as text and carries the figures in
usermeta.metric), line, bar (horizontal when there are many or long labels), donut,
grouped_bar, heatmap, and table (spec None: the rows are the answer).
"""
from __future__ import annotations

import datetime as dt
import decimal
import re
from dataclasses import dataclass
from typing import Any, Sequence

import altair as alt

from .models import PlannerResult, json_value

# Ratio columns are named with 率 / 占比 / 比例 (planners alias columns in Chinese).
_RATIO_NAME = re.compile(r"(率|占比|比例|比重|百分比|ratio|rate|share)", re.IGNORECASE)
_MONEY_NAME = re.compile(r"(金额|元)")
_DATE_NAME = re.compile(r"(日期|时间|月份|年月|季度|^月$|^日$|month|date|day|week|quarter)", re.IGNORECASE)
_YEAR_NAME = re.compile(r"(年份|^年$|年度|year)", re.IGNORECASE)
_DELTA_NAME = re.compile(r"(同比|环比|增长|增幅|变化|增减)")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")

MAX_BAR_CATEGORIES = 60       # more bars than this are unreadable: show the table instead
HORIZONTAL_OVER = 8           # more categories than this → horizontal bars
LONG_LABEL = 6                # labels longer than this (characters) → horizontal bars
DONUT_MAX_PARTS = 6
GROUPED_MAX_SERIES = 6
GROUPED_MAX_GROUPS = 12
CHART_WIDTH = "container"

# Delta labels the metric card shows, by the compare kind named in the plan or column.
_COMPARE_LABELS = (("同比", "同比"), ("环比", "环比"), ("同期", "同比"), ("上期", "环比"))


@dataclass(frozen=True)
class _Col:
    index: int
    name: str
    kind: str            # number / temporal / year / text / empty
    grain: str | None = None   # year / quarter / month / day / datetime for temporal


# ── column typing ──────────────────────────────────────────────────────────────────

def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool)


def _as_date(v: Any) -> dt.datetime | None:
    if isinstance(v, dt.datetime):
        return v
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    if hasattr(v, "to_pydatetime"):  # pandas Timestamp
        return v.to_pydatetime()
    if isinstance(v, str) and _ISO_DATE.match(v.strip()):
        s = v.strip()
        if len(s) == 7:
            s += "-01"
        try:
            return dt.datetime.fromisoformat(s)
        except ValueError:
            return None
    return None


# Time columns the planners name by grain (sqlgen.GRAIN_LABELS); weeks are shown by their first day.
_NAMED_GRAINS = {"日期": "day", "周": "day", "月份": "month", "季度": "quarter", "年份": "year"}


def _grain(dates: list[dt.datetime]) -> str:
    if any(d.hour or d.minute or d.second for d in dates):
        return "datetime"
    if all(d.day == 1 for d in dates):
        if all(d.month == 1 for d in dates) and len(dates) > 1:
            return "year"
        if all(d.month in (1, 4, 7, 10) for d in dates) and len(dates) > 2:
            return "quarter"
        return "month"
    return "day"


def _classify(index: int, name: str, values: list[Any]) -> _Col:
    present = [v for v in values if v is not None]
    if not present:
        return _Col(index, name, "empty")
    if all(_is_number(v) for v in present):
        if (_YEAR_NAME.search(name) and all(float(v).is_integer() and 1900 <= float(v) <= 2100 for v in present)):
            return _Col(index, name, "year")
        return _Col(index, name, "number")
    dates = [_as_date(v) for v in present]
    if all(d is not None for d in dates):
        return _Col(index, name, "temporal", _NAMED_GRAINS.get(name) or _grain(dates))  # type: ignore[arg-type]
    return _Col(index, name, "text")


def _columns(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[_Col]:
    return [_classify(i, str(name), [r[i] for r in rows if i < len(r)]) for i, name in enumerate(columns)]


def is_ratio_column(name: str) -> bool:
    return bool(_RATIO_NAME.search(name))


def number_format(name: str, values: Sequence[Any]) -> str:
    """The d3 format of a numeric column: percentages for rates, thousands separators otherwise."""
    if is_ratio_column(name):
        return ".1%"
    nums = [float(v) for v in values if _is_number(v)]
    if all(n.is_integer() for n in nums):
        return ",.0f"
    if _MONEY_NAME.search(name):
        return ",.2f"
    return ",.1f"


def format_value(value: Any, fmt: str) -> str:
    """A number formatted as the chart shows it (for metric cards and tooltips).

    Rounds half up, as d3-format does in the browser, so the card and the chart agree.
    """
    if value is None:
        return "—"
    if not _is_number(value):
        return str(value)
    x = decimal.Decimal(str(value))
    if not x.is_finite():  # e.g. a model's ratio over a zero base: DuckDB returns inf, not NULL
        return "—"
    if fmt == ".1%":
        x *= 100
    places = {",.0f": "1", ",.2f": "0.01"}.get(fmt, "0.1")
    # Enough digits for any float: quantize raises rather than round when the default 28 are too few.
    context = decimal.Context(prec=max(28, x.adjusted() + 4), rounding=decimal.ROUND_HALF_UP)
    rounded = x.quantize(decimal.Decimal(places), context=context)
    return f"{rounded}%" if fmt == ".1%" else f"{rounded:,}"


_TIME_FORMATS = {
    "year": "%Y年",
    "quarter": "%Y年第%q季度",
    "month": "%Y年%-m月",
    "day": "%Y年%-m月%-d日",
    "datetime": "%Y年%-m月%-d日 %H:%M",
}
_TIME_UNITS = {
    "year": "utcyear",
    "quarter": "utcyearquarter",
    "month": "utcyearmonth",
    "day": "utcyearmonthdate",
    "datetime": "utcyearmonthdatehoursminutes",
}


def _field(name: str) -> str:
    """Vega-Lite field names treat . [ ] as paths; escape them so a column name is one field."""
    return re.sub(r"([.\[\]\\])", r"\\\1", name)


def _values(cols: list[_Col], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        rec: dict[str, Any] = {}
        for c in cols:
            v = r[c.index] if c.index < len(r) else None
            if c.kind == "temporal":
                d = _as_date(v)
                v = d.isoformat() if d is not None else None
            else:
                v = json_value(v)
            rec[c.name] = v
        out.append(rec)
    return out


def _numeric_axis(c: _Col, rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    return {"format": number_format(c.name, [r[c.index] for r in rows]), "title": c.name}


def _tooltip(cols: list[_Col], rows: Sequence[Sequence[Any]]) -> list[alt.Tooltip]:
    tips = []
    for c in cols:
        if c.kind == "number":
            tips.append(alt.Tooltip(_field(c.name), type="quantitative", title=c.name,
                                    format=number_format(c.name, [r[c.index] for r in rows])))
        elif c.kind == "temporal":
            tips.append(alt.Tooltip(_field(c.name), type="temporal", title=c.name,
                                    timeUnit=_TIME_UNITS[c.grain or "day"], format=_TIME_FORMATS[c.grain or "day"]))
        elif c.kind in ("text", "year"):
            tips.append(alt.Tooltip(_field(c.name), type="nominal", title=c.name))
    return tips


def _base(cols: list[_Col], rows: Sequence[Sequence[Any]]) -> alt.Chart:
    return alt.Chart(alt.Data(values=_values(cols, rows)))


def _finish(chart: alt.Chart | alt.LayerChart, *, height: int = 320, usermeta: dict | None = None) -> dict[str, Any]:
    chart = chart.properties(width=CHART_WIDTH, height=height).configure(
        font="Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif",
        locale={"number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["¥", ""]},
                "time": _ZH_TIME_LOCALE},
    ).configure_axis(labelFontSize=12, titleFontSize=13).configure_legend(labelFontSize=12, titleFontSize=12)
    spec = chart.to_dict()
    if usermeta:
        spec["usermeta"] = usermeta
    return spec


_ZH_TIME_LOCALE = {
    "dateTime": "%x %A %X", "date": "%Y年%-m月%-d日", "time": "%H:%M:%S",
    "periods": ["上午", "下午"],
    "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
    "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
    "months": ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
    "shortMonths": ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
}


# ── the individual charts ──────────────────────────────────────────────────────────

def _x_time(c: _Col) -> alt.X:
    if c.kind == "year":
        return alt.X(_field(c.name), type="ordinal", title=c.name, axis=alt.Axis(labelAngle=0))
    grain = c.grain or "day"
    return alt.X(_field(c.name), type="temporal", timeUnit=_TIME_UNITS[grain], title=c.name,
                 axis=alt.Axis(format=_TIME_FORMATS[grain], labelAngle=0 if grain in ("year", "quarter", "month") else -30))


def _line(time: _Col, values: list[_Col], series: _Col | None, cols: list[_Col], rows) -> dict[str, Any]:
    base = _base(cols, rows)
    measure = values[0]
    y = alt.Y(_field(measure.name), type="quantitative", title=measure.name,
              axis=alt.Axis(**_numeric_axis(measure, rows)))
    enc: dict[str, Any] = {"x": _x_time(time), "y": y, "tooltip": _tooltip(cols, rows)}
    if series is not None:
        enc["color"] = alt.Color(_field(series.name), type="nominal", title=series.name)
    elif len(values) > 1 and all(v.kind == "number" for v in values[:4]):
        # several measures over time: fold them into one line each
        names = [v.name for v in values[:4]]
        fmt = number_format(names[0], [r[values[0].index] for r in rows])
        chart = base.transform_fold(names, as_=["指标", "数值"]).mark_line(point=True).encode(
            x=_x_time(time),
            y=alt.Y("数值", type="quantitative", title=None, axis=alt.Axis(format=fmt)),
            color=alt.Color("指标", type="nominal", title="指标"),
            tooltip=[alt.Tooltip("指标", type="nominal"), alt.Tooltip("数值", type="quantitative", format=fmt)],
        )
        return _finish(chart)
    return _finish(base.mark_line(point=True, strokeWidth=2).encode(**enc))


def _bar(cat: _Col, measure: _Col, cols: list[_Col], rows) -> tuple[str, dict[str, Any]]:
    labels = [str(r[cat.index]) for r in rows]
    horizontal = len(rows) > HORIZONTAL_OVER or max((len(s) for s in labels), default=0) > LONG_LABEL
    fmt = number_format(measure.name, [r[measure.index] for r in rows])
    base = _base(cols, rows)
    q = alt.Axis(format=fmt, title=measure.name)
    # Keep the order the query gave (planners sort deliberately: by value or by region code).
    order = list(dict.fromkeys(labels))
    if horizontal:
        bars = base.mark_bar(cornerRadiusEnd=3).encode(
            y=alt.Y(_field(cat.name), type="nominal", title=cat.name, sort=order),
            x=alt.X(_field(measure.name), type="quantitative", axis=q),
            tooltip=_tooltip(cols, rows),
        )
        text = base.mark_text(align="left", dx=3, fontSize=11).encode(
            y=alt.Y(_field(cat.name), type="nominal", sort=order),
            x=alt.X(_field(measure.name), type="quantitative"),
            text=alt.Text(_field(measure.name), type="quantitative", format=fmt),
        )
        return "bar", _finish(alt.layer(bars, text), height=max(160, 24 * len(rows) + 40))
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        x=alt.X(_field(cat.name), type="nominal", title=cat.name, sort=order, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(_field(measure.name), type="quantitative", axis=q),
        tooltip=_tooltip(cols, rows),
    )
    text = base.mark_text(baseline="bottom", dy=-3, fontSize=11).encode(
        x=alt.X(_field(cat.name), type="nominal", sort=order),
        y=alt.Y(_field(measure.name), type="quantitative"),
        text=alt.Text(_field(measure.name), type="quantitative", format=fmt),
    )
    return "bar", _finish(alt.layer(bars, text))


def _donut(cat: _Col, measure: _Col, cols: list[_Col], rows) -> dict[str, Any]:
    order = list(dict.fromkeys(str(r[cat.index]) for r in rows))
    m = _field(measure.name)
    # Each part's share of the whole, computed in the spec so the labels always add up.
    shared = _base(cols, rows).transform_joinaggregate(
        [alt.JoinAggregateFieldDef(op="sum", field=m, **{"as": "合计"})]
    ).transform_calculate(份额=f"datum['合计'] ? datum[{measure.name!r}] / datum['合计'] : 0")
    theta = alt.Theta(m, type="quantitative", stack=True)
    order_enc = alt.Order(m, type="quantitative", sort="descending")
    arcs = shared.mark_arc(innerRadius=62, outerRadius=112).encode(
        theta=theta, order=order_enc,
        color=alt.Color(_field(cat.name), type="nominal", title=cat.name, sort=order),
        tooltip=_tooltip(cols, rows) + [alt.Tooltip("份额", type="quantitative", format=".1%")],
    )
    labels = shared.mark_text(radius=134, fontSize=12).encode(
        theta=theta, order=order_enc, text=alt.Text("份额", type="quantitative", format=".1%"),
    )
    return _finish(alt.layer(arcs, labels), height=320)


def _grouped_or_heatmap(d1: _Col, d2: _Col, measure: _Col, cols: list[_Col], rows) -> tuple[str, dict[str, Any]]:
    groups = list(dict.fromkeys(str(r[d1.index]) for r in rows))
    series = list(dict.fromkeys(str(r[d2.index]) for r in rows))
    if len(series) > len(groups):   # fewer colours than groups reads better
        d1, d2 = d2, d1
        groups, series = series, groups
    fmt = number_format(measure.name, [r[measure.index] for r in rows])
    base = _base(cols, rows)
    m = _field(measure.name)
    if len(series) <= GROUPED_MAX_SERIES and len(groups) <= GROUPED_MAX_GROUPS:
        chart = base.mark_bar().encode(
            x=alt.X(_field(d1.name), type="nominal", title=d1.name, sort=groups, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset(_field(d2.name), type="nominal", sort=series),
            y=alt.Y(m, type="quantitative", axis=alt.Axis(format=fmt, title=measure.name)),
            color=alt.Color(_field(d2.name), type="nominal", title=d2.name, sort=series),
            tooltip=_tooltip(cols, rows),
        )
        return "grouped_bar", _finish(chart)
    rect = base.mark_rect().encode(
        x=alt.X(_field(d2.name), type="nominal", title=d2.name, sort=series, axis=alt.Axis(labelAngle=-40)),
        y=alt.Y(_field(d1.name), type="nominal", title=d1.name, sort=groups),
        color=alt.Color(m, type="quantitative", title=measure.name, scale=alt.Scale(scheme="blues"),
                        legend=alt.Legend(format=fmt)),
        tooltip=_tooltip(cols, rows),
    )
    chart: alt.Chart | alt.LayerChart = rect
    if len(series) * len(groups) <= 300:
        nums = [float(r[measure.index]) for r in rows if _is_number(r[measure.index])]
        middle = (min(nums) + max(nums)) / 2 if nums else 0
        text = base.mark_text(fontSize=10).encode(
            x=alt.X(_field(d2.name), type="nominal", sort=series),
            y=alt.Y(_field(d1.name), type="nominal", sort=groups),
            text=alt.Text(m, type="quantitative", format=fmt),
            # light text on the dark cells, dark on the light ones
            color=alt.condition(f"datum[{measure.name!r}] > {middle}", alt.value("white"), alt.value("#1f2937")),
        )
        chart = alt.layer(rect, text)
    return "heatmap", _finish(chart, height=max(200, 28 * len(groups) + 60))


def _compare_label(result: PlannerResult, columns: Sequence[str]) -> str:
    texts = [str(c) for c in columns]
    plan = result.plan or {}
    for key in ("compare", "comparison", "compare_kind"):
        v = plan.get(key)
        if isinstance(v, dict):
            v = v.get("kind") or v.get("type") or v.get("name")
        if isinstance(v, str):
            texts.insert(0, {"yoy": "同比", "prev": "环比", "mom": "环比", "pop": "环比"}.get(v, v))
    for t in texts:
        for needle, label in _COMPARE_LABELS:
            if needle in t:
                return label
    return "较上期"


def _metric(result: PlannerResult, cols: list[_Col], rows) -> dict[str, Any]:
    """A metric card: the value, its label and (for comparisons) the change.

    The spec draws the card as text marks; `usermeta.metric` carries the same figures for
    hosts that draw their own card (st.metric in the app).
    """
    nums = [c for c in cols if c.kind == "number"]
    labels = [c for c in cols if c.kind in ("text", "temporal", "year")]
    meta: dict[str, Any] = {}
    if len(rows) == 1 and nums:
        row = rows[0]
        main = _main_measure(result, nums)
        rest = [c for c in nums if c is not main]
        fmt = number_format(main.name, [row[main.index]])
        meta = {"label": main.name, "value": json_value(row[main.index]),
                "formatted": format_value(row[main.index], fmt), "format": fmt}
        if result.shape == "compare" and rest:
            deltas = [c for c in rest if _DELTA_NAME.search(c.name)]
            rate_col = next((c for c in deltas if "率" in c.name or "幅" in c.name), None)
            base_col = next((c for c in rest if c not in deltas), None)
            cur = row[main.index]
            base = row[base_col.index] if base_col is not None else None
            delta: float | None = None
            if fmt == ".1%" and _is_number(cur) and _is_number(base):
                # a rate compared with a rate: the change in percentage points reads better
                delta = float(cur) - float(base)
                meta.update(delta_unit="百分点", delta_formatted=f"{delta * 100:+.1f}个百分点")
            elif rate_col is not None and _is_number(row[rate_col.index]):
                delta = float(row[rate_col.index])
            elif _is_number(cur) and _is_number(base) and float(base):
                delta = (float(cur) - float(base)) / float(base)
            if base_col is not None:
                meta["base_label"] = base_col.name
                meta["base_value"] = json_value(base)
                meta["base_formatted"] = format_value(base, number_format(base_col.name, [base]))
            if delta is not None:
                meta["delta"] = delta
                meta.setdefault("delta_formatted", f"{delta * 100:+.1f}%")
                meta["delta_label"] = _compare_label(result, [c.name for c in cols])
    elif len(rows) == 2 and len(nums) == 1 and labels:
        # two periods as two rows (本期 / 上期): the later one is the value
        main = nums[0]
        lab = labels[0]
        first, second = rows[0], rows[1]
        cur, prev = (first, second)
        if lab.kind in ("temporal", "year"):
            a, b = _as_date(first[lab.index]) or first[lab.index], _as_date(second[lab.index]) or second[lab.index]
            try:
                cur, prev = (first, second) if a > b else (second, first)
            except TypeError:
                pass
        fmt = number_format(main.name, [r[main.index] for r in rows])
        meta = {"label": f"{main.name}（{cur[lab.index]}）" if lab.kind == "text" else main.name,
                "value": json_value(cur[main.index]), "formatted": format_value(cur[main.index], fmt), "format": fmt,
                "base_label": str(prev[lab.index]), "base_value": json_value(prev[main.index]),
                "base_formatted": format_value(prev[main.index], fmt)}
        if _is_number(cur[main.index]) and _is_number(prev[main.index]):
            c, p = float(cur[main.index]), float(prev[main.index])
            if fmt == ".1%":
                meta.update(delta=c - p, delta_unit="百分点", delta_formatted=f"{(c - p) * 100:+.1f}个百分点")
            elif p:
                meta.update(delta=(c - p) / p, delta_formatted=f"{(c - p) / p * 100:+.1f}%")
            if "delta" in meta:
                meta["delta_label"] = _compare_label(result, [c.name for c in cols])
    if not meta:
        return {}
    lines = [{"text": meta["formatted"], "size": 40, "weight": "bold", "dy": -10},
             {"text": meta["label"], "size": 14, "weight": "normal", "dy": 28}]
    if "delta_formatted" in meta:
        lines.append({"text": f"{meta['delta_label']} {meta['delta_formatted']}", "size": 14, "weight": "normal", "dy": 52})
    layers = [
        alt.Chart(alt.Data(values=[{"t": ln["text"]}])).mark_text(
            fontSize=ln["size"], fontWeight=ln["weight"], dy=ln["dy"],
            color="#1f3b73" if i == 0 else ("#b42318" if "delta" in meta and i == 2 and meta["delta"] > 0 else "#475467"),
        ).encode(text=alt.Text("t", type="nominal"))
        for i, ln in enumerate(lines)
    ]
    spec = alt.layer(*layers).properties(width=CHART_WIDTH, height=140).configure_view(stroke=None).to_dict()
    spec["usermeta"] = {"metric": meta}
    return spec


# ── the rule ───────────────────────────────────────────────────────────────────────

def _infer_shape(cols: list[_Col], rows) -> str:
    nums = [c for c in cols if c.kind == "number"]
    times = [c for c in cols if c.kind in ("temporal", "year")]
    texts = [c for c in cols if c.kind == "text"]
    if not rows:
        return "detail"
    if len(rows) == 1 and nums and not texts and len(cols) <= 3:
        return "single"
    if not nums or len(cols) > 4:
        return "detail"
    first = cols[0]
    if first.kind in ("temporal", "year") or (first.kind != "number" and _DATE_NAME.search(first.name) and times):
        return "two_dim" if texts else "timeseries"
    if times and texts:
        return "two_dim"
    if len(texts) == 1 and len(nums) >= 1 and not times:
        if is_ratio_column(nums[0].name) and "占比" in nums[0].name and len(rows) <= DONUT_MAX_PARTS:
            return "share"
        return "category"
    if len(texts) == 2 and len(nums) >= 1:
        return "two_dim"
    return "detail"


def _main_measure(result: PlannerResult, nums: list[_Col]) -> _Col:
    """The figure the question asked for: the share when it asked for a share, else the first."""
    plan = result.plan or {}
    if plan.get("share") or result.shape == "share":
        share = next((c for c in nums if c.name == "占比"), None)
        if share is not None and (plan.get("share") or len(nums) > 2):
            return share
    return nums[0]


_NOW_PREFIX = "本期"
_BASE_PREFIXES = ("同期", "上期", "去年同期")


def _wide_compare(cols: list[_Col]) -> tuple[_Col, _Col] | None:
    """The (本期X, 同期X / 上期X) pair of a side-by-side comparison, if the columns have one."""
    for c in cols:
        if c.kind == "number" and c.name.startswith(_NOW_PREFIX):
            stem = c.name[len(_NOW_PREFIX):]
            for b in cols:
                if b.kind == "number" and any(b.name == p + stem for p in _BASE_PREFIXES):
                    return c, b
    return None


def _compare_by_dimension(dim: _Col, now: _Col, base: _Col, cols: list[_Col], rows) -> tuple[str, dict[str, Any]]:
    """本期 against 同期/上期 for each category (grouped bars) or each time point (two lines)."""
    fmt = number_format(now.name, [r[now.index] for r in rows] + [r[base.index] for r in rows])
    base_chart = _base(cols, rows).transform_fold([_field(now.name), _field(base.name)], as_=["期间", "数值"])
    y = alt.Y("数值", type="quantitative", title=now.name[len(_NOW_PREFIX):] or None, axis=alt.Axis(format=fmt))
    color = alt.Color("期间", type="nominal", title=None, sort=[now.name, base.name])
    tips = [alt.Tooltip("期间", type="nominal"), alt.Tooltip("数值", type="quantitative", format=fmt)]
    if dim.kind in ("temporal", "year"):
        chart = base_chart.mark_line(point=True).encode(x=_x_time(dim), y=y, color=color,
                                                        tooltip=[alt.Tooltip(_field(dim.name), type="nominal")] + tips
                                                        if dim.kind == "year" else tips)
        return "line", _finish(chart)
    order = list(dict.fromkeys(str(r[dim.index]) for r in rows))
    if len(order) > GROUPED_MAX_GROUPS * 2:
        return "table", {}
    chart = base_chart.mark_bar().encode(
        x=alt.X(_field(dim.name), type="nominal", title=dim.name, sort=order, axis=alt.Axis(labelAngle=0 if len(order) <= 8 else -40)),
        xOffset=alt.XOffset("期间", type="nominal", sort=[now.name, base.name]),
        y=y, color=color, tooltip=[alt.Tooltip(_field(dim.name), type="nominal")] + tips,
    )
    return "grouped_bar", _finish(chart)


def choose_chart(result: PlannerResult, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> tuple[str, dict[str, Any] | None]:
    """(chart_type, Vega-Lite spec or None) for one result; table when nothing fits."""
    rows = [list(r) for r in rows]
    cols = _columns(columns, rows)
    if not rows or not cols:
        return "table", None
    shape = result.shape if result.shape != "unknown" else _infer_shape(cols, rows)
    nums = [c for c in cols if c.kind == "number"]
    texts = [c for c in cols if c.kind == "text"]
    times = [c for c in cols if c.kind in ("temporal", "year")]

    if shape == "detail" or not nums:
        return "table", None

    if shape in ("single", "compare"):
        if len(rows) == 1 or (shape == "compare" and len(rows) == 2 and len(nums) == 1 and times and not texts):
            spec = _metric(result, cols, rows)
            if spec:
                return "metric", spec
        if shape == "single":
            return "table", None
        # a comparison over categories or time points
        pair = _wide_compare(cols)
        dims = [c for c in cols if c.kind != "number"]
        if pair is not None and len(dims) == 1:
            chart_type, spec = _compare_by_dimension(dims[0], pair[0], pair[1], cols, rows)
            return (chart_type, spec) if spec else ("table", None)
        # long form: a 时期 column and the figures per period (and maybe a dimension)
        shape = "two_dim" if len(dims) >= 2 else "category"

    measure = _main_measure(result, nums)

    if shape == "timeseries" or (shape == "two_dim" and times):
        if times:
            series = texts[0] if (shape == "two_dim" and texts) else None
            values = [measure] + [c for c in nums if c is not measure]
            return "line", _line(times[0], values, series, cols, rows)
        shape = "category"

    if shape == "share":
        cat = (texts or [None])[0]
        if cat is not None and len(rows) <= DONUT_MAX_PARTS and all((r[nums[0].index] or 0) >= 0 for r in rows):
            return "donut", _donut(cat, nums[0], cols, rows)
        # too many parts for a donut: bars of the shares themselves
        measure = next((c for c in nums if c.name == "占比"), measure)
        shape = "category"

    if shape == "two_dim":
        dims = [c for c in cols if c.kind in ("text", "year")]
        if len(dims) >= 2:
            return _grouped_or_heatmap(dims[0], dims[1], measure, cols, rows)
        shape = "category"

    if shape == "category":
        cat = (texts or times or [None])[0]
        if cat is None or len(rows) > MAX_BAR_CATEGORIES:
            return "table", None
        if measure.name == "占比" and result.shape != "share" and len(rows) <= DONUT_MAX_PARTS and not (result.plan or {}).get("share"):
            return "donut", _donut(cat, measure, cols, rows)
        return _bar(cat, measure, cols, rows)

    return "table", None


def metric_card(spec: dict[str, Any] | None) -> dict[str, Any] | None:
    """The figures of a metric card (label, formatted value, delta), for hosts drawing their own."""
    if not spec:
        return None
    meta = spec.get("usermeta") or {}
    return meta.get("metric")
