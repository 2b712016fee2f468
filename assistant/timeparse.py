"""Chinese time expressions → half-open date ranges, resolved against a reference date (as_of).

A period is [start, end): `end` is exclusive. Periods that reach "today" end at as_of inclusive,
i.e. end = as_of + 1 day. Every period carries a Chinese label such as "2026年1月1日至6月30日".

`find_periods(text, as_of)` scans the text with an ordered list of patterns (more specific first);
each match consumes its span so shorter patterns cannot re-match inside it. The caller (the
semantic parser) treats the spans as understood text.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable, Iterator

ONE_DAY = dt.timedelta(days=1)

# ── Chinese numerals ───────────────────────────────────────────────────────────────
_DIGITS = {"零": 0, "〇": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
NUM = r"[0-9０-９零〇○一二两三四五六七八九十百千]+"
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def cn_number(text: str) -> int | None:
    """'12' → 12, '十二' → 12, '二十四' → 24, '二〇二五' → 2025, '两' → 2; None if not a number."""
    text = text.translate(_FULLWIDTH).strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if all(ch in _DIGITS for ch in text):          # digit by digit: 二〇二五
        value = 0
        for ch in text:
            value = value * 10 + _DIGITS[ch]
        return value
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            unit = _UNITS[ch]
            if unit == 10000:
                section = (section + (digit or 0)) * unit
                total += section
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit = None
        else:
            return None
    return total + section + (digit or 0)


def _year(text: str, as_of: dt.date) -> int:
    value = cn_number(text)
    if value is None:
        raise ValueError(text)
    if value < 100:                                 # 25年 → 2025
        value += 2000
    return value


# ── Periods ──────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date          # exclusive
    label: str
    by_day: bool = False  # counted in days (近30天, 本周, a date): 环比 steps back by days, not months

    @property
    def last_day(self) -> dt.date:
        return self.end - ONE_DAY

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def to_dict(self) -> dict[str, str]:
        out: dict = {"start": self.start.isoformat(), "end": self.end.isoformat(), "label": self.label}
        if self.by_day:
            out["by_day"] = True
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Period":
        return cls(dt.date.fromisoformat(data["start"]), dt.date.fromisoformat(data["end"]), data["label"],
                   bool(data.get("by_day")))


def date_label(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def range_label(start: dt.date, end: dt.date) -> str:
    """[start, end) as '2026年1月1日至6月30日'."""
    last = end - ONE_DAY
    if last <= start:
        return date_label(start)
    if last.year == start.year:
        return f"{date_label(start)}至{last.month}月{last.day}日"
    return f"{date_label(start)}至{date_label(last)}"


def make_period(start: dt.date, end: dt.date, as_of: dt.date) -> Period:
    """A period clipped at as_of (inclusive): partial current periods end today."""
    end = min(end, as_of + ONE_DAY) if start <= as_of else end
    return Period(start, end, range_label(start, end))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after day's month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    return start, add_months(start, 1)


def quarter_range(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 3 * (quarter - 1) + 1, 1)
    return start, add_months(start, 3)


def shift_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def year_over_year(period: Period) -> Period:
    """同比: the same dates one year earlier."""
    start, end = shift_years(period.start, -1), shift_years(period.end, -1)
    return Period(start, end, range_label(start, end), period.by_day)


def period_before(period: Period) -> Period:
    """环比: the period of the same length just before. Whole months map to whole months."""
    if not period.by_day and period.start.day == 1 and (period.end.day == 1 or period.end - ONE_DAY == _month_last(period.end - ONE_DAY)):
        # Month-aligned (a month, a quarter, a year to date …): step back by the same number of months.
        last = period.end - ONE_DAY
        months = (last.year * 12 + last.month) - (period.start.year * 12 + period.start.month) + 1
        if period.end.day == 1 or last == _month_last(last):
            start = add_months(period.start, -months)
            return Period(start, period.start, range_label(start, period.start))
    start = period.start - (period.end - period.start)
    return Period(start, period.start, range_label(start, period.start), period.by_day)


def _month_last(day: dt.date) -> dt.date:
    return add_months(day, 1) - ONE_DAY


# ── The scanner ──────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class TimeMatch:
    start: int            # span in the question
    end: int
    text: str
    period: Period | None  # None for markers that only qualify (至今 …)
    kind: str              # "period" | "since" | "until" | "compare_yoy" | "compare_prev"
    explicit_year: bool = False


Handler = Callable[[re.Match, dt.date], tuple[dt.date, dt.date] | None]


def _in_past(start: dt.date, end: dt.date, as_of: dt.date, year_given: bool, years_back: int = 1) -> tuple[dt.date, dt.date]:
    """A period named without its year that lies wholly in the future means last year's."""
    if not year_given and start > as_of:
        return shift_years(start, -years_back), shift_years(end, -years_back)
    return start, end


_REL_YEARS = {"今年": 0, "本年": 0, "本年度": 0, "今年度": 0, "当年": 0, "去年": -1, "上年": -1, "上一年": -1,
              "上年度": -1, "去年度": -1, "前年": -2, "大前年": -3, "明年": 1}
REL_YEAR = r"(?:大前年|前年|去年度|去年|上一年|上年度|上年|今年度|今年|本年度|本年|当年)"
YEAR = rf"(?:(?P<y>(?:19|20)?[0-9]{{2}}|[二〇一两零○]{{4}})年|(?P<ry>{REL_YEAR}))"
QUARTER_NAMES = r"(?:第?(?P<q>[1-4一二三四])季度|[Qq](?P<q2>[1-4])|(?P<q3>首)季度)"
HALF = r"(?P<h>上|下)半年"


def _resolve_year(m: re.Match, as_of: dt.date) -> tuple[int, bool]:
    """(year, given) from the named groups y / ry of a match."""
    groups = m.groupdict()
    if groups.get("y"):
        return _year(groups["y"], as_of), True
    if groups.get("ry"):
        return as_of.year + _REL_YEARS[groups["ry"]], True
    return as_of.year, False


def _quarter(m: re.Match) -> int:
    g = m.groupdict()
    if g.get("q3"):
        return 1
    raw = g.get("q") or g.get("q2")
    return int(cn_number(raw) or 1)


def _h_year_quarter(m: re.Match, as_of: dt.date):
    year, given = _resolve_year(m, as_of)
    start, end = quarter_range(year, _quarter(m))
    return _in_past(start, end, as_of, given)


def _h_year_half(m: re.Match, as_of: dt.date):
    year, given = _resolve_year(m, as_of)
    start = dt.date(year, 1 if m.group("h") == "上" else 7, 1)
    return _in_past(start, add_months(start, 6), as_of, given)


def _month_num(raw: str) -> int:
    value = cn_number(raw)
    if value is None or not 1 <= value <= 12:
        raise ValueError(raw)
    return value


def _h_month_range(m: re.Match, as_of: dt.date):
    """2025年3月到6月, 3月至5月, 2025年11月到2026年2月."""
    year, given = _resolve_year(m, as_of)
    m1 = _month_num(m.group("m1"))
    y2 = _year(m.group("y2"), as_of) if m.group("y2") else None
    if m.groupdict().get("ry2"):
        y2 = as_of.year + _REL_YEARS[m.group("ry2")]
    m2 = _month_num(m.group("m2"))
    start = dt.date(year, m1, 1)
    end_year = y2 if y2 is not None else (year if m2 >= m1 else year + 1)
    end = add_months(dt.date(end_year, m2, 1), 1)
    return _in_past(start, end, as_of, given or y2 is not None)


def _h_day_range(m: re.Match, as_of: dt.date):
    year, given = _resolve_year(m, as_of)
    start = dt.date(year, _month_num(m.group("m1")), cn_number(m.group("d1")) or 1)
    m2 = _month_num(m.group("m2")) if m.group("m2") else start.month
    end = dt.date(year, m2, cn_number(m.group("d2")) or 1) + ONE_DAY
    if end <= start:
        end = shift_years(end, 1)
    return _in_past(start, end, as_of, given)


def _h_day(m: re.Match, as_of: dt.date):
    year, given = _resolve_year(m, as_of)
    start = dt.date(year, _month_num(m.group("m")), cn_number(m.group("d")) or 1)
    return _in_past(start, start + ONE_DAY, as_of, given)


def _h_iso_day(m: re.Match, as_of: dt.date):
    start = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return start, start + ONE_DAY


def _h_iso_month(m: re.Match, as_of: dt.date):
    return month_range(int(m.group(1)), int(m.group(2)))


def _h_month(m: re.Match, as_of: dt.date):
    year, given = _resolve_year(m, as_of)
    start, end = month_range(year, _month_num(m.group("m")))
    return _in_past(start, end, as_of, given)


def _h_year(m: re.Match, as_of: dt.date):
    year, _ = _resolve_year(m, as_of)
    return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)


def _h_short_year(m: re.Match, as_of: dt.date):
    """24年 → 2024, only for years that can hold data (not the future, not long ago)."""
    year = 2000 + int(m.group("y"))
    if not as_of.year - 30 <= year <= as_of.year:
        return None
    return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)


def _h_year_range(m: re.Match, as_of: dt.date):
    y1, y2 = _year(m.group("y1"), as_of), _year(m.group("y2"), as_of)
    return dt.date(min(y1, y2), 1, 1), dt.date(max(y1, y2) + 1, 1, 1)


def _h_first_months(m: re.Match, as_of: dt.date):
    """今年前三个月 → January to March of that year."""
    year, given = _resolve_year(m, as_of)
    n = cn_number(m.group("n"))
    if n is None or not 1 <= n <= 12:
        return None
    start = dt.date(year, 1, 1)
    return start, add_months(start, n)


def _h_recent(m: re.Match, as_of: dt.date):
    n = cn_number(m.group("n"))
    if n is None or n <= 0:
        return None
    unit = m.group("u")
    end = as_of + ONE_DAY
    if unit in ("天", "日"):
        return as_of - dt.timedelta(days=n - 1), end
    if unit in ("周", "个星期", "星期", "个礼拜", "礼拜"):
        return as_of - dt.timedelta(days=7 * n - 1), end
    if unit in ("个月", "月"):
        return add_months(month_start(as_of), -(n - 1)), end
    if unit in ("个季度", "季度"):
        return add_months(month_start(as_of), -(3 * n - 1)), end
    if unit == "年":
        return add_months(month_start(as_of), -(12 * n - 1)), end
    return None


def _h_this_month(m: re.Match, as_of: dt.date):
    return month_start(as_of), add_months(as_of, 1)


def _h_last_month(m: re.Match, as_of: dt.date):
    return add_months(as_of, -1), month_start(as_of)


def _h_this_quarter(m: re.Match, as_of: dt.date):
    return quarter_range(as_of.year, (as_of.month - 1) // 3 + 1)


def _h_last_quarter(m: re.Match, as_of: dt.date):
    start, _ = quarter_range(as_of.year, (as_of.month - 1) // 3 + 1)
    return add_months(start, -3), start


def _h_this_week(m: re.Match, as_of: dt.date):
    start = as_of - dt.timedelta(days=as_of.weekday())
    return start, start + dt.timedelta(days=7)


def _h_last_week(m: re.Match, as_of: dt.date):
    start = as_of - dt.timedelta(days=as_of.weekday() + 7)
    return start, start + dt.timedelta(days=7)


def _h_day_offset(offset: int) -> Handler:
    def handler(m: re.Match, as_of: dt.date):
        day = as_of + dt.timedelta(days=offset)
        return day, day + ONE_DAY
    return handler


def _h_rel_year(m: re.Match, as_of: dt.date):
    year = as_of.year + _REL_YEARS[m.group("ry")]
    return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)


def _h_since_year(m: re.Match, as_of: dt.date):
    year, _ = _resolve_year(m, as_of)
    return dt.date(year, 1, 1), as_of + ONE_DAY


def _h_since_month(m: re.Match, as_of: dt.date):
    year, given = _resolve_year(m, as_of)
    start = dt.date(year, _month_num(m.group("m")), 1)
    if not given and start > as_of:
        start = shift_years(start, -1)
    return start, as_of + ONE_DAY


def _h_until_year_end(m: re.Match, as_of: dt.date):
    """截至2025年底 / 截至去年底: everything up to the end of that year."""
    year, _ = _resolve_year(m, as_of)
    return dt.date(1900, 1, 1), min(dt.date(year + 1, 1, 1), as_of + ONE_DAY)


def _h_before_year(m: re.Match, as_of: dt.date):
    year, _ = _resolve_year(m, as_of)
    inclusive = bool(m.group("inc"))
    return dt.date(1900, 1, 1), dt.date(year + (1 if inclusive else 0), 1, 1)


SINCE = r"(?:以来|至今|到现在|到目前|到今天|迄今|截至目前|截止目前|截至今天|截止到现在|截至现在|开始到现在|起至今|起)"
TO = r"(?:到|至|－|-|—|~|～|——)"
M = r"(?P<m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
D = r"(?P<d>3[01]|[12][0-9]|0?[1-9]|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"

# (regex, handler, kind). Order matters: longer, more specific forms first.
_PATTERNS: list[tuple[re.Pattern, Handler, str]] = []


def _add(pattern: str, handler: Handler, kind: str = "period") -> None:
    _PATTERNS.append((re.compile(pattern), handler, kind))


_add(rf"{YEAR}的?前(?P<n>{NUM})个月", _h_first_months)
_add(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})日?", _h_iso_day)
_add(r"(\d{4})[-/.](\d{1,2})(?![\d])月?", _h_iso_month)
_add(rf"{YEAR}?的?(?P<m1>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])月(?P<d1>3[01]|[12][0-9]|0?[1-9])[日号]{TO}"
     rf"(?:(?P<m2>1[0-2]|0?[1-9])月)?(?P<d2>3[01]|[12][0-9]|0?[1-9])[日号]", _h_day_range)
_add(rf"{YEAR}?的?{M}月{D}[日号]", _h_day)
_add(rf"{YEAR}?的?(?:从)?(?P<m1>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])月?份?{TO}"
     rf"(?:(?P<y2>(?:19|20)?[0-9]{{2}})年|(?P<ry2>{REL_YEAR}))?(?P<m2>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])月份?", _h_month_range)
_add(rf"(?:从)?(?P<y1>(?:19|20)[0-9]{{2}})年?{TO}(?P<y2>(?:19|20)[0-9]{{2}})年", _h_year_range)
_add(rf"(?:从)?{YEAR}的?{QUARTER_NAMES}", _h_year_quarter)
_add(rf"{QUARTER_NAMES}", _h_year_quarter)
_add(rf"{YEAR}的?{HALF}", _h_year_half)
_add(HALF, _h_year_half)
_add(rf"(?:从)?{YEAR}的?{M}月份?(?:份)?{SINCE}", _h_since_month, "since")
_add(rf"(?:从)?{M}月份?{SINCE}", _h_since_month, "since")
_add(rf"{YEAR}的?{M}月份?", _h_month)
_add(rf"(?<![近前过去最个第])(?<![0-9一二三四五六七八九十])(?P<m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])月份?(?![度])", _h_month)
_add(rf"(?:从)?(?P<y>(?:19|20)[0-9]{{2}}|[二〇一两零○]{{4}})年?{SINCE}", _h_since_year, "since")
_add(rf"(?P<y>(?:19|20)[0-9]{{2}}|[二〇一两零○]{{4}})年(?P<inc>及|和|含)?(?:以前|之前|前)", _h_before_year, "until")
_add(rf"(?:(?:最)?近|过去|前|最近|这)的?(?P<n>{NUM})(?P<u>个月|个季度|个星期|个礼拜|天|日|周|星期|年)(?:来|以来|内|里)?", _h_recent)
_add(r"(?:最近|近|过去|这)(?:的)?半年(?:来|以来|内|里)?", lambda m, a: (add_months(month_start(a), -5), a + ONE_DAY))
_add(r"(?:最近|近|过去)(?:的)?半个月(?:来|以来|内|里)?", lambda m, a: (a - dt.timedelta(days=14), a + ONE_DAY))
_add(rf"(?:截至|截止到?|到){YEAR}(?:年)?(?:底|末)", _h_until_year_end, "until")
_add(r"(?:今年|本年|本年度)(?:以来|至今|到现在|到目前|迄今|截至目前|1月以来|初以来|初至今|累计)", lambda m, a: (dt.date(a.year, 1, 1), a + ONE_DAY))
_add(r"(?:年初以来|年初至今|年初到现在|今年初到现在)", lambda m, a: (dt.date(a.year, 1, 1), a + ONE_DAY))
_add(r"(?P<y>(?:19|20)[0-9]{2}|[〇○零一二三四五六七八九]{4})年(?:全年|整年|度|一整年)?", _h_year)
_add(r"(?<![0-9])(?P<y>[0-9]{2})年(?:全年|整年|度|一整年)?(?!以上|以下|以内|来|多|前|后)", _h_short_year)
_add(r"(?:本月|这个月|这月|当月|本月份|本月度|月初以来|月初至今)", _h_this_month)
_add(r"(?:上个月|上月|上一个月|上一月|上月份)", _h_last_month)
_add(r"(?:本季度|这个季度|这季度|当季|本季)", _h_this_quarter)
_add(r"(?:上个季度|上季度|上一季度|上一个季度|上季)", _h_last_quarter)
_add(r"(?:本周|这周|这个星期|这星期|本星期|这一周)", _h_this_week)
_add(r"(?:上周|上个星期|上星期|上一周|上礼拜|上个礼拜)", _h_last_week)
_add(r"(?:今天|今日|当天|当日)", _h_day_offset(0))
_add(r"(?:昨天|昨日)", _h_day_offset(-1))
_add(r"(?:前天)", _h_day_offset(-2))
_add(rf"(?P<ry>{REL_YEAR})(?:全年|整年|一整年|一年)?", _h_rel_year)


_DAY_UNITS = {"天", "日", "周", "星期", "个星期", "礼拜", "个礼拜"}
_BY_DAY: set = set()


def find_periods(text: str, as_of: dt.date) -> list[TimeMatch]:
    """Every time expression in text, in order of position; spans never overlap."""
    taken = [False] * len(text)
    found: list[TimeMatch] = []
    for pattern, handler, kind in _PATTERNS:
        for m in pattern.finditer(text):
            s, e = m.span()
            if e <= s or any(taken[s:e]):
                continue
            try:
                resolved = handler(m, as_of)
            except (ValueError, TypeError, KeyError):
                continue
            if resolved is None:
                continue
            start, end = resolved
            period = make_period(start, end, as_of)
            if handler in _BY_DAY or (handler is _h_recent and m.group("u") in _DAY_UNITS):
                period = Period(period.start, period.end, period.label, True)
            if kind == "until":
                period = Period(start, end, f"{date_label(end - ONE_DAY)}及以前")
            explicit = bool(m.groupdict().get("y")) if "y" in pattern.groupindex else False
            found.append(TimeMatch(s, e, m.group(0), period, kind, explicit))
            for i in range(s, e):
                taken[i] = True
    found.sort(key=lambda t: t.start)
    return found


def iter_compare_words(text: str) -> Iterator[tuple[int, int, str]]:
    """同比 / 环比 markers: (start, end, 'yoy' | 'prev')."""
    for m in re.finditer(r"同比|比去年同期|较去年同期|与去年同期|和去年同期|去年同期|上年同期|环比|比上月|较上月|比上个月", text):
        word = m.group(0)
        kind = "prev" if ("环比" in word or "上月" in word or "上个月" in word) else "yoy"
        yield m.start(), m.end(), kind


def parse_period(text: str, as_of: dt.date) -> Period | None:
    """The single period a text names (the first one), or None."""
    for match in find_periods(text, as_of):
        if match.period is not None:
            return match.period
    return None


_BY_DAY.update({_h_day, _h_iso_day, _h_day_range, _h_this_week, _h_last_week})
_BY_DAY.update(h for pattern, h, kind in _PATTERNS if getattr(h, "__name__", "") == "handler")  # 今天/昨天/前天
