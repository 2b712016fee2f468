"""The rule-based planner ("rules"): Chinese question → typed QueryPlan → SQL, with no model.

Steps: normalise the text; refuse writes, statements/commands/files, attempts to change the rules and
personal data (a caller's name, number, address; unmasked data; a person named before 的电话 …); reply to
greetings; find time expressions (timeparse) and numbers (thresholds, top-N, 高于/低于平均水平); tag the
rest by longest match over the lexicon; choose the database and fact table; assemble the plan from the tags with defaults
(no metric → the count of the fact table); merge it into the previous plan for a follow-up;
build SQL (sqlgen). Confidence is the share of the question's characters that were understood.
Figures of two fact tables in one question, or a rate the 口径 table does not define (追回率), are
clarified with suggested questions rather than answered in part.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from dataclasses import dataclass, field

from . import contract
from .lexicon import CALLER_PERSONAL, COMMAND_WORDS, ENGLISH_PII, GREETING_WORDS, GREETINGS, INJECTION_WORDS, \
    NARROWING_METRICS, PERSON_ACTS, PERSONAL_ITEMS, PHONE_FRAGMENT, PII_STRONG, SURNAMES, UNMASK_WORDS, WRITE_WORDS, Lexicon, \
    Tag, Token, build_lexicon
from .models import Definition, PlannerResult
from .query_plan import TIME_DIMENSIONS, Compare, Filter, QueryPlan
from .schema_docs import SchemaDocs
from .sqlgen import DEFAULT_METRIC, OVERALL, POST_CHILD_TABLES, metric_info, plan_sql, row_condition
from .timeparse import NUM, Period, TimeMatch, cn_number, find_periods, iter_compare_words, make_period, \
    period_before, year_over_year

log = logging.getLogger(__name__)

FACT_TABLES = ("hotline_tickets", "union_posts", "post_activities", "post_monthly_visits", "union_orgs")
# Tables whose columns a fact table reaches (itself first).
REACHABLE = {
    "hotline_tickets": ("hotline_tickets", "union_orgs"),          # the handling union
    "union_posts": ("union_posts", "union_orgs"),                  # the union running the post
    "post_activities": ("post_activities", "union_posts"),
    "post_monthly_visits": ("post_monthly_visits", "union_posts"),
    "union_orgs": ("union_orgs",),
}
TABLE_DB = {"hotline_tickets": "hotline", "union_posts": "posts", "post_activities": "posts",
            "post_monthly_visits": "posts"}
# What "有多少个X" counts, by the table or the code value X names.
ENTITY_COUNT = {"hotline_tickets": "ticket_count", "union_posts": "post_count", "post_activities": "activity_count",
                "基层工会": "grassroots_union_count"}
# "各类活动", "不同类型的阵地": the column that says what kind a row is.
KIND_COLUMN = {"hotline_tickets": "hotline_tickets.topic", "union_posts": "union_posts.post_type",
               "post_activities": "post_activities.activity_type", "union_orgs": "union_orgs.org_level"}
KIND_MARKERS = {"各类", "各种", "不同", "哪类", "哪种", "哪一类", "每类", "每种", "各项"}

SUGGESTIONS_HOTLINE = ["今年以来各市的工单量是多少", "近6个月欠薪讨薪类工单的办结率"]
SUGGESTIONS_POSTS = ["各市有多少个工会阵地", "今年送清凉活动开展了多少场"]

_THRESHOLD = re.compile(
    rf"(?P<pre>超过|超出|大于|多于|高于|不少于|不低于|不小于|至少|达到|在|少于|低于|小于|不超过|不足|不到|不高于|不多于|≥|>=|>|<=|<|≤)?"
    rf"(?P<num>[0-9]+(?:\.[0-9]+)?|{NUM})(?P<mult>万|千|百|亿)?(?P<unit>%|％|元|块钱|块|人次|人|名|平方米|平米|㎡|平|件|场|个)?"
    rf"(?P<post>及以上|以上|之上|及以下|以下|以内|之内|多)?")
_TOPN = re.compile(rf"(?:排名|排行)?(?:前|top|头)(?P<n>{NUM})(?:名|个|位|家|项|类|大)?|(?:后|倒数)(?P<m>{NUM})(?:名|个|位|家|项)?")
# "哪几个县区满意率最低", "最多的几个市": a plural question with no number names the top (or bottom) 3 —
# few enough to read at a glance, more than the single "哪个" answer.
PLURAL_TOP_N = 3
_PLURAL_WHICH = re.compile(r"哪几|哪些|前几|后几|最后几|倒数几|(?<![多少])几个(?!月|季度|星期|礼拜)|几家|几名|几位")
# "办结率低于平均水平的县区": each group against the figure of all of them
_VERSUS_AVERAGE = re.compile(r"(?P<pre>高于|低于|超过|超出|不到|不足|大于|小于|优于|差于|好于|不及|达不到|在)"
                             r"(?:全区|全市|全省|整体|总体|全部|全体)?(?:的)?(?:平均水平|平均值|平均数|平均线|均值|平均|整体水平|总体水平|"
                             r"全区水平)(?P<post>以上|以下|之上|之下)?")
_TICKET_NO = re.compile(r"nx\d{8,14}", re.IGNORECASE)
_COUNT_N = re.compile(rf"(?P<n>{NUM})(?:个|名|家|项|类|位)")
_PUNCT = set("，。？！、,.?!;；:：\"'“”‘’（）()《》【】[]-—~～… \t\n")
_FOLLOWUP_START = re.compile(r"^(那|那么|那如果|如果|换成|换为|改成看|改看|再看|只看|仅看|只要|要是|其中|这些|这个|同样|还是|换|看看|再按|改按|"
                             r"占|分别|它|它们|他们|其|再)")


def normalise(question: str) -> str:
    text = unicodedata.normalize("NFKC", question).strip().lower()
    return re.sub(r"\s+", "", text)


@dataclass
class Analysis:
    text: str
    times: list[TimeMatch]
    compare_kind: str | None
    tokens: list[Token]
    unknown: list[tuple[int, str]]
    thresholds: list[tuple[int, str, float, str, str]]   # (position, op, value, unit, text)
    top_n: int | None = None
    top_asc: bool = False
    count_n: int | None = None
    understood: int = 0
    total: int = 0
    tickets: list[str] = field(default_factory=list)   # ticket numbers named (NX20250315000123)
    versus_average: list[tuple[int, str]] = field(default_factory=list)   # (position, op) of 高于/低于平均水平

    def ops(self, name: str) -> list[Token]:
        return [t for t in self.tokens if t.has("op", name)]

    def has_op(self, name: str) -> bool:
        return any(t.has("op", name) for t in self.tokens)


def analyse(question: str, as_of: dt.date, lexicon: Lexicon) -> Analysis:
    text = normalise(question)
    taken = [False] * len(text)

    def take(s: int, e: int) -> None:
        for i in range(s, e):
            taken[i] = True

    compare_kind = None
    for s, e, kind in iter_compare_words(text):
        compare_kind = compare_kind or kind
        take(s, e)
    times = [t for t in find_periods(text, as_of) if not any(taken[t.start:t.end])]
    for t in times:
        take(t.start, t.end)
    top_n, top_asc = None, False
    for m in _TOPN.finditer(text):
        if any(taken[m.start():m.end()]):
            continue
        raw = m.group("n") or m.group("m")
        n = cn_number(raw) if raw else None
        if n and 0 < n <= 1000:
            top_n, top_asc = n, bool(m.group("m"))
            take(m.start(), m.end())
            break
    versus_average: list[tuple[int, str]] = []
    for m in _VERSUS_AVERAGE.finditer(text):
        if any(taken[m.start():m.end()]):
            continue
        pre, post = m.group("pre"), m.group("post")
        if pre == "在" and not post:
            continue
        below = pre in ("低于", "不到", "不足", "小于", "差于", "不及", "达不到") or post in ("以下", "之下")
        versus_average.append((m.start(), "<" if below else ">"))
        take(m.start(), m.end())
    thresholds: list[tuple[int, str, float, str, str]] = []
    for m in _THRESHOLD.finditer(text):
        s, e = m.span()
        if e <= s or any(taken[s:e]):
            continue
        pre, post, unit = m.group("pre"), m.group("post"), m.group("unit") or ""
        if not pre and not post:
            continue
        if pre == "在" and not post:
            continue
        value = cn_number(m.group("num")) if not re.fullmatch(r"[0-9.]+", m.group("num")) else float(m.group("num"))
        if value is None:
            continue
        value = float(value) * {"万": 10000, "千": 1000, "百": 100, "亿": 100000000}.get(m.group("mult") or "", 1)
        if unit in ("%", "％"):
            value = value / 100
        op = _threshold_op(pre, post)
        thresholds.append((s, op, value, unit, m.group(0)))
        take(s, e)
    tickets = []
    for m in _TICKET_NO.finditer(text):
        tickets.append(m.group(0).upper())
        take(m.start(), m.end())
    count_n = None
    ranking = re.search(r"最|排名|排行|靠前|靠后|垫底|倒数|末尾|末位|落后|领先|前列|偏低|较低", text)
    for m in _COUNT_N.finditer(text if ranking else ""):
        if not any(taken[m.start():m.end()]):
            n = cn_number(m.group("n"))
            if n and n <= 100:
                count_n = n
                take(m.start(), m.end())
                break
    tokens, unknown = lexicon.tag(text, taken)
    total = sum(1 for ch in text if ch not in _PUNCT)
    understood = total - len(unknown)
    return Analysis(text, times, compare_kind, tokens, unknown, thresholds, top_n, top_asc, count_n, understood, total,
                    tickets, versus_average)


def _threshold_op(pre: str | None, post: str | None) -> str:
    if pre in ("超过", "超出", "大于", "多于", "高于", ">"):
        return ">"
    if pre in ("不少于", "不低于", "不小于", "至少", "达到", "≥", ">="):
        return ">="
    if pre in ("少于", "低于", "小于", "不足", "不到", "<"):
        return "<"
    if pre in ("不超过", "不高于", "不多于", "≤", "<="):
        return "<="
    if post in ("以上", "及以上", "之上", "多"):
        return ">="
    if post == "以下":
        return "<"
    return "<="


# ── Choosing what each token means ─────────────────────────────────────────────────────
@dataclass
class Reading:
    """The plan-relevant reading of the tokens, once database and fact table are known."""
    database: str
    table: str
    metrics: list[str] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    filter_pos: list[int] = field(default_factory=list)
    dims: list[str] = field(default_factory=list)
    region_codes: list[str] = field(default_factory=list)
    region_pos: list[int] = field(default_factory=list)
    negated_regions: bool = False
    evidence: int = 0     # tokens that name data (metric, table, value, column, region)
    fixed_fields: set[str] = field(default_factory=set)   # values that come with a metric word: never a grouping
    per: str | None = None   # 日均 / 月均
    foreign_metrics: list[Token] = field(default_factory=list)   # figures of another fact table, not answerable here


def _tag_dbs(docs: SchemaDocs, tag: Tag) -> set[str]:
    if tag.kind == "metric":
        return {docs.metrics[tag.value].database} if tag.value in docs.metrics else set()
    if tag.table in TABLE_DB:
        return {TABLE_DB[tag.table]}
    if tag.kind == "op" and tag.value in ("honored", "open24"):
        return {"posts"}
    if tag.table == "union_orgs" and tag.kind in ("table", "value", "column"):
        # union_orgs is in both databases; its metrics are documented in one of them
        dbs = {m.database for m in docs.metrics.values() if m.table == "union_orgs"}
        return dbs or {"posts"}
    return set()


def _choose_database(docs: SchemaDocs, a: Analysis) -> tuple[str | None, float]:
    votes = {"hotline": 0.0, "posts": 0.0}
    for tok in a.tokens:
        weights = {"metric": 3.0, "table": 2.0, "value": 1.0, "column": 0.5, "op": 0.5}
        seen: set[str] = set()
        for tag in tok.tags:
            w = weights.get(tag.kind)
            if not w:
                continue
            for db in _tag_dbs(docs, tag):
                if db not in seen:
                    votes[db] += w / max(1, len({d for t in tok.tags for d in _tag_dbs(docs, t)}))
                    seen.add(db)
    if votes["hotline"] == 0 and votes["posts"] == 0:
        return None, 0.0
    db = "hotline" if votes["hotline"] >= votes["posts"] else "posts"
    other = votes["posts"] if db == "hotline" else votes["hotline"]
    return db, other


def _choose_table(docs: SchemaDocs, a: Analysis, db: str) -> str:
    allowed = set(docs.databases[db])
    tables = [tag.table for tok in a.tokens for tag in tok.tags if tag.kind == "table" and tag.table in allowed
              and not tok.has("metric")]
    mentioned = set(tables) | {tag.table for tok in a.tokens for tag in tok.tags if tag.kind == "value"
                               and tag.table in allowed and not tok.has("metric")}
    for tok in a.tokens:
        options = [tag for tag in tok.tags if tag.kind == "metric" and tag.table in allowed]
        if options and _metric_token_is_metric(docs, a, tok):
            named = [tag for tag in options if tag.table in mentioned]
            return (named or options)[0].table
    for t in ("post_activities", "post_monthly_visits", "union_posts", "hotline_tickets"):
        if t in tables:
            return t
    valued = [tag.table for tok in a.tokens if not tok.has("dim") for tag in tok.tags
              if tag.kind in ("value", "column") and tag.table in allowed and tag.table in FACT_TABLES]
    for t in ("post_activities", "post_monthly_visits", "union_posts", "hotline_tickets", "union_orgs"):
        if t in valued:
            if t == "union_orgs" and db == "posts" and ("union_posts" in valued):
                continue
            return t
    if "union_orgs" in tables:
        return "union_orgs"
    return "hotline_tickets" if db == "hotline" else "union_posts"


def _column_role(docs: SchemaDocs, tag: Tag) -> str:
    table = docs.tables.get(tag.table or "")
    column = table.columns.get(tag.column or "") if table is not None else None
    return column.role if column is not None else "dimension"


def _is_filler(tok: Token | None) -> bool:
    return tok is not None and all(t.kind == "op" and t.value == "filler" for t in tok.tags)


def _metric_token_is_metric(docs: SchemaDocs, a: Analysis, tok: Token) -> bool:
    """满意度 after 各/按 or before 分布 is a dimension, not the 满意率."""
    if not any(t.kind == "column" and t.table and t.column and _column_role(docs, t) == "dimension" for t in tok.tags):
        return True
    prev = _prev_token(a, tok)
    nxt = _next_token(a, tok)
    while _is_filler(nxt) and nxt is not None and nxt.text in ("的", "之"):
        nxt = _next_token(a, nxt)
    if prev is not None and prev.has("op", "group") and prev.end == tok.start:
        return False
    return not (nxt is not None and (nxt.has("op", "group_after") or nxt.has("op", "distribution"))
                and nxt.start <= tok.end + 1)


def _prev_token(a: Analysis, tok: Token) -> Token | None:
    prev = None
    for t in a.tokens:
        if t is tok:
            return prev
        prev = t
    return None


def _next_token(a: Analysis, tok: Token) -> Token | None:
    found = False
    for t in a.tokens:
        if found:
            return t
        if t is tok:
            found = True
    return None


def _narrowed_metrics(a: Analysis, idx: int, table: str) -> set[str]:
    """The generic figures a narrowing verb right before token idx ("追回的" before "欠薪金额") replaces."""
    j = idx - 1
    while j >= 0 and _is_filler(a.tokens[j]) and a.tokens[j].text in ("的", "之"):
        j -= 1
    if j < 0 or a.tokens[idx].start - a.tokens[j].end > 1:
        return set()
    out: set[str] = set()
    for t in a.tokens[j].tags:
        if t.kind == "metric" and t.table == table and t.value:
            out.update(NARROWING_METRICS.get(t.value, ()))
    return out


def _reachable(table: str, tag: Tag) -> bool:
    return tag.table in REACHABLE.get(table, (table,))


KIND_BY_NOUN = {"诉求": "hotline_tickets.request_type", "工单": "hotline_tickets.topic", "来电": "hotline_tickets.topic",
                "问题": "hotline_tickets.topic", "案件": "hotline_tickets.topic", "阵地": "union_posts.post_type",
                "站点": "union_posts.post_type", "活动": "post_activities.activity_type", "工会": "union_orgs.org_level"}


def _kind_column(a: Analysis, idx: int, table: str) -> str | None:
    """各类型 / 各类X: the kind column of the noun that follows (or of the fact table)."""
    for tok in a.tokens[idx + 1: idx + 3]:
        for noun, column in KIND_BY_NOUN.items():
            if noun in tok.text and column.split(".")[0] in REACHABLE.get(table, ()):
                return column
    return KIND_COLUMN.get(table)


def _read(docs: SchemaDocs, a: Analysis, db: str, table: str) -> Reading:
    rd = Reading(db, table)
    rank_words = a.has_op("most") or a.has_op("least") or a.has_op("rank") or a.top_n is not None
    which = "哪" in a.text
    each = a.has_op("each")
    # "办结率低于95%的县区": a bound on a figure means the figure is per group
    having_hint = any(_threshold_metric(docs, a, table, pos, unit) for pos, _, _, unit, _ in a.thresholds) or bool(
        a.versus_average)
    honor_context = bool(re.search(r"示范|模范|命名|荣誉|级别|等级|级的", a.text))
    valued_fields: set[str] = set()
    # values first: a column word next to a value of the same column only names the filter
    for tok in a.tokens:
        for tag in tok.tags:
            if tag.kind == "value" and _reachable(table, tag):
                valued_fields.add(f"{tag.table}.{tag.column}")
    negate_next = False
    pending_values: dict[str, list[tuple[str, int, bool]]] = {}

    def add_dim(dim: str) -> None:
        if dim not in rd.dims:
            rd.dims.append(dim)

    for idx, tok in enumerate(a.tokens):
        tags = tok.tags
        prev = a.tokens[idx - 1] if idx else None
        after_group = prev is not None and prev.has("op", "group") and prev.end == tok.start
        j = idx + 1
        while j < len(a.tokens) and _is_filler(a.tokens[j]) and a.tokens[j].text in ("的", "之"):
            j += 1
        nxt = a.tokens[j] if j < len(a.tokens) else None
        before_group_after = nxt is not None and (nxt.has("op", "group_after") or nxt.has("op", "distribution")) \
            and nxt.start <= tok.end + 2
        # "按渠道和诉求类型": a second dimension joined by 和/与/、 to the first
        joined = bool(rd.dims) and prev is not None and (prev.text in ("和", "与", "及", "以及", "跟")
                                                          or a.text[tok.start - 1: tok.start] == "、")
        marked = after_group or before_group_after or rank_words or which or each or joined or having_hint
        if tok.has("op", "not"):
            negate_next = True
            continue
        if tok.has("op", "group") and tok.text in KIND_MARKERS and nxt is not None and not (
                nxt.has("column") or nxt.has("dim") or nxt.has("value") or nxt.has("grain")):
            kind = _kind_column(a, idx, table)
            if kind and kind not in valued_fields:
                add_dim(kind)   # 哪类活动参与人次最多 → by activity type
            continue
        metric = next((t for t in tags if t.kind == "metric" and t.table == table), None)
        column = next((t for t in tags if t.kind == "column" and _reachable(table, t)), None)
        value_tags = [t for t in tags if t.kind == "value" and _reachable(table, t)]
        region = next((t for t in tags if t.kind == "region"), None)
        grain = next((t for t in tags if t.kind == "grain"), None)
        dim = next((t for t in tags if t.kind == "dim"), None)
        if dim is not None and value_tags and all(v.column == "honor_level" for v in value_tags) and not honor_context:
            value_tags = []   # 县区 / 市 as a grouping, not the 示范 level
        feeds_threshold = any(0 <= pos - tok.end <= 1 for pos, *_ in a.thresholds)
        if metric is not None and feeds_threshold and _measure_of(docs, metric, table):
            rd.evidence += 1   # 涉及金额超过10万元: the measure is the threshold's, not the figure asked
            for v in value_tags:   # 欠薪金额超过10万元: still only the 欠薪 rows
                pending_values.setdefault(f"{v.table}.{v.column}", []).append((v.value, tok.start, False))
            continue
        column_is_dim = column is not None and docs.tables[column.table].columns[column.column].role == "dimension"
        if metric is not None and (not column_is_dim or not (after_group or before_group_after)):
            rd.evidence += 1
            if after_group and table in POST_CHILD_TABLES and tok.text.startswith(("阵地", "站点")):
                add_dim("post")   # 哪些|阵地服务人次: the docs' word swallows the noun the question asks about
            narrowed = _narrowed_metrics(a, idx, table)
            for m in (t for t in tags if t.kind == "metric" and t.table == table):
                if m.value in narrowed:
                    continue   # 追回的欠薪金额: the amount is the recovered one, not a second figure
                if m.value not in rd.metrics:
                    rd.metrics.append(m.value)   # "办结情况" names several figures
            for v in value_tags:                 # "超期没办完": the figure of some rows only
                key = f"{v.table}.{v.column}"
                pending_values.setdefault(key, []).append((v.value, tok.start, False))
                rd.fixed_fields.add(key)
            negate_next = False
            continue
        if any(t.kind == "metric" for t in tags) and metric is None and not value_tags and column is None:
            rd.evidence += 1     # a metric of another table: noted, not used
            rd.foreign_metrics.append(tok)
            continue
        if region is not None and not (value_tags and not dim):
            rd.evidence += 1
            if region.value != contract.ROOT_REGION:
                rd.region_codes.append(region.value)
                rd.region_pos.append(tok.start)
                rd.negated_regions = rd.negated_regions or negate_next
            negate_next = False
            continue
        if grain is not None and (len(tok.text) >= 2 or after_group):
            add_dim(grain.value)
            continue
        if dim is not None and not value_tags:
            if dim.value.startswith("col:"):
                ref = dim.value[4:]
                if ref.split(".")[0] in REACHABLE.get(table, ()):
                    add_dim(ref)
                    continue
            if dim.value == "kind":
                kind = _kind_column(a, idx, table)
                if kind:
                    add_dim(kind)
                    continue
            explicit = len(tok.text) >= 2 and tok.text[0] in "各按分每哪全五"
            generic = explicit or after_group or before_group_after or rank_words or which or each or having_hint
            if dim.value == "org" and table == "union_orgs" and not (after_group or explicit):
                generic = False   # "工会" as a thing counted, not a grouping
            if generic:
                add_dim(dim.value)
                continue
        if value_tags and tok.text == "电话" and all(v.column == "channel" for v in value_tags) and not re.search(
                r"渠道|通过|方式|途径|打电话|拨打|电话反映|电话来|电话打|电话进|电话和|和电话|电话、|、电话|电话与|电话受理", a.text):
            rd.evidence += 1   # "接了多少个电话": calls, i.e. tickets, not the 电话 channel
            continue
        if value_tags:
            rd.evidence += 1
            chosen = _pick_value(value_tags, a, table)
            key = f"{chosen.table}.{chosen.column}"
            level_dim = {"县区总工会": "county", "市总工会": "city"}.get(chosen.value or "")
            if (table == "union_orgs" and chosen.column == "org_level" and level_dim
                    and tok.text.startswith(("各", "每个"))):
                add_dim(level_dim)   # 各县区总工会有多少会员: the members of each county, not of the county unions
                negate_next = False
                continue
            if chosen.column == "org_level" and table != "union_orgs" and (after_group or tok.text.startswith(("各", "每个"))):
                add_dim("org")     # 各县区总工会承办的工单 → by handling union, among 县区总工会
            pending_values.setdefault(key, []).append((chosen.value, tok.start, negate_next))
            negate_next = False
            continue
        if column is not None:
            key = f"{column.table}.{column.column}"
            cdoc = docs.tables[column.table].columns[column.column]
            if cdoc.type == "boolean":
                rd.evidence += 1
                if after_group or before_group_after:
                    add_dim(key)
                else:
                    rd.filters.append(Filter(key, "in", (not negate_next,), ("非" if negate_next else "") + cdoc.cn_name))
                    rd.filter_pos.append(tok.start)
                negate_next = False
                continue
            if cdoc.role == "dimension" and key not in valued_fields and marked:
                rd.evidence += 1
                add_dim(key)
            elif cdoc.role == "measure":
                rd.evidence += 1
            continue
        if tok.has("op", "honored") and table in ("union_posts",) + POST_CHILD_TABLES and not any(
                tg.column == "honor_level" for t2 in a.tokens for tg in t2.tags if tg.kind == "value"):
            rd.evidence += 1
            rd.filters.append(Filter("union_posts.honor_level", "not_null", (), "示范（有命名级别）"))
            rd.filter_pos.append(tok.start)
            continue
        if tok.has("op", "open24") and table in ("union_posts",) + POST_CHILD_TABLES:
            rd.evidence += 1
            rd.filters.append(Filter("union_posts.open_24h", "in", (not negate_next,),
                                     ("非" if negate_next else "") + "24小时开放"))
            rd.filter_pos.append(tok.start)
            negate_next = False
            continue
        if any(t.kind == "table" for t in tags):
            rd.evidence += 1
            if after_group and prev is not None and prev.text in KIND_MARKERS:
                kind = _kind_column(a, idx - 1, table)
                if kind and kind not in valued_fields:
                    add_dim(kind)   # 各类活动 → by activity type
            elif (table in POST_CHILD_TABLES and any(t.table == "union_posts" for t in tags if t.kind == "table")
                  and (after_group or (rank_words and not rd.dims) or (which and "哪" in (prev.text if prev else "")))):
                add_dim("post")     # 服务人次最多的阵地 → by post
    for key, vals in pending_values.items():
        table_name, column_name = key.split(".", 1)
        neg = [v for v, _, n in vals if n]
        pos = [v for v, _, n in vals if not n]
        for values, negated in ((pos, False), (neg, True)):
            uniq = tuple(dict.fromkeys(values))
            if not uniq:
                continue
            label = _value_label(docs, table_name, column_name, uniq, negated)
            rd.filters.append(Filter(key, "not_in" if negated else "in", uniq, label))
            rd.filter_pos.append(min(p for v, p, n in vals if n == negated))
    return rd


def _value_label(docs: SchemaDocs, table: str, column: str, values: tuple, negated: bool) -> str:
    joined = "、".join(str(v) for v in values)
    cdoc = docs.tables[table].columns[column]
    if column in ("topic", "post_type", "activity_type", "industry", "request_type"):
        text = f"{joined}类" if column in ("topic", "request_type") else joined
    elif column == "honor_level":
        text = f"{joined}级示范"
    elif column in ("status", "satisfaction", "complexity", "channel", "caller_gender", "caller_group",
                    "target_group", "org_level"):
        text = f"{cdoc.cn_name}为{joined}"
    else:
        text = joined
    return ("非" if negated else "") + text


def _pick_value(tags: list[Tag], a: Analysis, table: str) -> Tag:
    """One meaning for a word that is a value of several columns (其他: group, industry or topic)."""
    if len(tags) == 1:
        return tags[0]
    own = [t for t in tags if t.table == table] or tags
    mentioned = {(tg.table, tg.column) for tok in a.tokens for tg in tok.tags if tg.kind == "column"}
    for t in own:
        if (t.table, t.column) in mentioned:
            return t
    return own[0]


# ── Thresholds → filters ───────────────────────────────────────────────────────────────
def _threshold_field(docs: SchemaDocs, a: Analysis, table: str, pos: int, unit: str) -> tuple[str, str] | None:
    """The measure a number refers to: by its unit, or by the measure word just before it."""
    before = [t for t in a.tokens if t.end <= pos]
    for tok in reversed(before[-3:]):
        for tag in tok.tags:
            if tag.kind in ("column", "metric"):
                ref = _measure_of(docs, tag, table)
                if ref:
                    return ref
    if unit in ("元", "块", "块钱"):
        if table == "hotline_tickets":
            col = "amount_recovered" if re.search(r"追回|挽回|讨回|追讨", a.text) else "amount_involved"
            return f"hotline_tickets.{col}", docs.tables["hotline_tickets"].columns[col].cn_name
    if unit in ("人", "名"):
        if table == "hotline_tickets":
            return "hotline_tickets.people_involved", "涉及人数"
        if table == "post_activities":
            return "post_activities.participants", "参与人次"
    if unit == "人次":
        if table == "post_activities":
            return "post_activities.participants", "参与人次"
    if unit in ("平方米", "平米", "㎡", "平") and table in ("union_posts",) + POST_CHILD_TABLES:
        return "union_posts.area_sqm", "面积"
    return None


def _threshold_metric(docs: SchemaDocs, a: Analysis, table: str, pos: int, unit: str) -> str | None:
    """A number about a figure of each group (办结率低于95%, 工单超过500件): the metric it bounds."""
    before = [t for t in a.tokens if t.end <= pos][-3:]
    for tok in reversed(before):
        for tag in tok.tags:
            if tag.kind == "metric" and tag.table == table and tag.value in docs.metrics:
                m = docs.metrics[tag.value]
                if m.format == "ratio" or unit in ("%", "％"):
                    return m.id
                if _measure_of(docs, tag, table) is None and unit in ("件", "场", "个", ""):
                    return m.id   # 工单量超过500件的县区
        if tok.has("table") and unit in ("件", "场", "个") and table in DEFAULT_METRIC:
            return DEFAULT_METRIC[table]
    return None


def _measure_of(docs: SchemaDocs, tag: Tag, table: str) -> tuple[str, str] | None:
    if tag.kind == "column" and tag.table in REACHABLE.get(table, ()):
        cdoc = docs.tables[tag.table].columns[tag.column]
        if cdoc.role == "measure":
            return f"{tag.table}.{tag.column}", cdoc.cn_name
    if tag.kind == "metric" and tag.value in docs.metrics:
        m = docs.metrics[tag.value]
        col = re.fullmatch(r"(?:SUM|AVG)\((\w+)\)", m.expression.strip(), re.IGNORECASE)
        if col and m.table in REACHABLE.get(table, ()):
            return f"{m.table}.{col.group(1)}", docs.tables[m.table].columns[col.group(1)].cn_name
    return None


def _fmt_threshold(value: float) -> str:
    if value >= 10000 and value % 10000 == 0:
        return f"{value / 10000:g}万"
    return f"{value:g}"


# ── The planner ────────────────────────────────────────────────────────────────────────
class RulesPlanner:
    name = "rules"

    def __init__(self, docs: SchemaDocs | None = None):
        self.docs = docs

    def plan(self, question: str, ctx) -> PlannerResult:
        docs = getattr(ctx, "docs", None) or self.docs
        if docs is None:
            raise ValueError("RulesPlanner needs schema docs")
        try:
            return _plan(question, ctx.as_of, docs, list(getattr(ctx, "history", []) or []))
        except Exception:  # noqa: BLE001 - an unparsed question is a clarification, never a traceback
            log.warning("rules planner could not plan %r", question, exc_info=True)
            return PlannerResult(kind="clarify", backend="rules",
                                 message="这个问题我还不能准确理解，请换个说法，或说明要查的指标、地区和时间。",
                                 suggestions=SUGGESTIONS_HOTLINE[:1] + SUGGESTIONS_POSTS[:1], confidence=0.1)


def _plan(question: str, as_of: dt.date, docs: SchemaDocs, history: list) -> PlannerResult:
    text = normalise(question)
    refusal = safety_refusal(question)
    if refusal is not None:
        return refusal
    lexicon = build_lexicon(docs)
    a = analyse(question, as_of, lexicon)
    if _names_a_person(a):
        return _refuse(PII_MESSAGE, SUGGESTIONS_HOTLINE[:2])
    data_tokens = [t for t in a.tokens if any(tag.kind in ("metric", "table", "value", "column", "region", "grain", "dim")
                                              for tag in t.tags)]
    if GREETINGS.match(text) or (not data_tokens and not a.times and any(w in text for w in GREETING_WORDS)):
        return _reply(text)
    if PII_STRONG.search(text):
        posts_context = any(tag.table in ("union_posts", "union_orgs", "post_activities") for t in a.tokens
                            for tag in t.tags if tag.kind in ("table", "column"))
        strong = re.search(r"电话号码|手机号|联系电话|联系方式|身份证|住址|户籍|个人信息|隐私|来电人姓名|谁打的|谁反映", text)
        # "单位是谁", "工会的名字": names of organisations are not personal data
        organisation = re.search(r"单位|企业|公司|工会|阵地|站|之家|书屋|小屋|中心|工作室|文化宫", text)
        caller = re.search(r"来电人|来电者|反映人|投诉人|求助人|当事人|打电话的|哪些人|哪个人|谁打|职工的(?:姓名|名字)", text)
        if strong or caller or not (posts_context or organisation):
            return _refuse(PII_MESSAGE, SUGGESTIONS_HOTLINE[:2])

    place = _unknown_place(a)
    if place:
        # Sure of it: the place is in no region table, so a model could only guess (auto keeps this).
        return PlannerResult(kind="clarify", backend="rules", confidence=0.9,
                             message=f"没有找到名为“{place}”的地区。宁夏的市有银川、石嘴山、吴忠、固原、中卫，请确认地名。",
                             suggestions=["银川市今年的工单量", "各县区今年的工单量"])
    previous = _previous_plan(history)
    switched = False
    db, other_votes = _choose_database(docs, a)
    followup = previous is not None and _is_followup(a, text, db)
    guessed = False
    if db is None and previous is None and history and _is_followup(a, text, db):
        # a follow-up to an answer the rules planner did not plan (the LLM's): same database, fresh plan
        last_db = getattr(history[-1], "database", None) if not isinstance(history[-1], dict) else history[-1].get("database")
        if last_db in ("hotline", "posts") and (a.tokens or a.times):
            db, guessed = last_db, True
    if db is None and not followup:
        return _clarify_unknown(a, text)
    if followup and previous is not None and (db is None or db == previous.database or not _has_strong(a, docs)):
        db = previous.database
        table = previous.table
        if _has_strong(a, docs):
            candidate = _choose_table(docs, a, db)
            if any(tag.kind in ("metric", "table") and tag.table == candidate for t in a.tokens for tag in t.tags):
                table = candidate
    else:
        switched = followup    # "阵地呢" after a hotline question: another database, the same place and time
        followup = False
        assert db is not None
        table = _choose_table(docs, a, db)
    rd = _read(docs, a, db, table)
    if rd.foreign_metrics and not followup:
        return _clarify_two_tables(docs, a, rd, table)
    undefined = _undefined_rate(docs, a)
    if undefined is not None and not followup:
        return _clarify_undefined_rate(docs, a, *undefined)
    plan, notes = _assemble(docs, a, rd, as_of)
    if switched and previous is not None:
        region = [f for f in previous.filters if f.field == "region"]
        if region and not any(f.field == "region" for f in plan.filters):
            plan = plan.edit(filters=plan.filters + tuple(region))
        if plan.period is None and plan.compare is None and previous.period is not None:
            plan = plan.edit(period=previous.period)
    if followup and previous is not None:
        plan = _merge(previous, plan, a, rd, as_of, docs)
    if not plan.metrics and not plan.detail:
        default = DEFAULT_METRIC[plan.table]
        if plan.table == "union_orgs" and any(f.field == "union_orgs.org_level" and f.values == ("基层工会",)
                                              for f in plan.filters) and "grassroots_union_count" in docs.metrics:
            default = "grassroots_union_count"
            plan = plan.edit(filters=tuple(f for f in plan.filters if f.field != "union_orgs.org_level"))
        plan = plan.edit(metrics=(default,))
    if not plan.dimensions and not plan.detail and (plan.order or plan.limit):
        plan = plan.edit(order=None, limit=None)   # nothing to rank
    sql = plan_sql(plan, docs, as_of)
    confidence = _confidence(a, rd, other_votes, notes)
    if guessed:
        confidence = min(confidence, 0.5)
    if not followup and rd.evidence == 0 and not rd.region_codes and not guessed:
        return _clarify_unknown(a, text)
    if not followup and not rd.metrics and not plan.detail and _unknown_figure(a):
        # "各市工会经费支出情况": a figure we do not know; better to ask than to count something else
        return _clarify_unknown(a, text)
    period_text = _period_text(plan, docs)
    defs = []
    for mid in plan.metrics:
        info = metric_info(docs, mid)
        defs.append(Definition(info.name, info.formula))
    if plan.share is not None and plan.share.field == "@metric":
        info = metric_info(docs, plan.share.values[0])
        defs.append(Definition(info.name, info.formula))
    return PlannerResult(kind="sql", backend="rules", database=plan.database, sql=sql, plan=plan.to_dict(),
                         plan_obj=plan, definitions=defs, period=period_text, shape=plan.shape,  # type: ignore[arg-type]
                         confidence=confidence, standalone_question=describe(plan, docs))


WRITE_MESSAGE = "我只能查询和统计数据，不能删除、修改或新增任何数据。如需更正数据，请联系业务系统管理员。"
COMMAND_MESSAGE = ("我只能用中文问题查询统计数据，不能执行 SQL 语句或系统命令，也不能读写服务器上的文件或把数据导出到指定位置。"
                   "请直接描述想查的数据，例如“今年各市的工单量”。")
INJECTION_MESSAGE = "这个请求试图改变我的工作规则，无法执行。我只按既定的安全规则查询统计数据，可以直接问想查的数据。"
PII_MESSAGE = ("为保护个人信息，不能提供来电人的姓名、电话、身份证、住址等个人信息，也不能按个人查询或显示未脱敏的数据。"
               "可以查询统计数据，例如工单量、办结率、满意率。")


def _refuse(message: str, suggestions: list[str] | None = None) -> PlannerResult:
    return PlannerResult(kind="refuse", backend="rules", confidence=1.0, message=message,
                         suggestions=list(suggestions or []))


def safety_refusal(question: str) -> PlannerResult | None:
    """The refusal any planner gives before planning (the LLM planner's keyword pre-check uses it too)."""
    return _refusal(normalise(question), unicodedata.normalize("NFKC", question).lower())


def _refusal(text: str, spaced: str) -> PlannerResult | None:
    """Requests the planner never serves, whatever else they say: writes, statements, commands and
    files, attempts to change the rules, and personal data (a caller's name, number, address …)."""
    both = (spaced, text)
    if any(WRITE_WORDS.search(t) for t in both):
        return _refuse(WRITE_MESSAGE)
    if any(COMMAND_WORDS.search(t) for t in both):
        return _refuse(COMMAND_MESSAGE, SUGGESTIONS_HOTLINE[:1] + SUGGESTIONS_POSTS[:1])
    if INJECTION_WORDS.search(spaced) or INJECTION_WORDS.search(text):
        return _refuse(INJECTION_MESSAGE, SUGGESTIONS_HOTLINE[:1] + SUGGESTIONS_POSTS[:1])
    if (UNMASK_WORDS.search(text) or PHONE_FRAGMENT.search(spaced) or CALLER_PERSONAL.search(text)
            or ENGLISH_PII.search(spaced)):
        return _refuse(PII_MESSAGE, SUGGESTIONS_HOTLINE[:2])
    return None


def _names_a_person(a: Analysis) -> bool:
    """张三的电话 / 王芳联系方式: a name the vocabulary does not know, right before a personal item.
    Places, periods and code values are known words, so 海原县的电话 / 今年的电话 (calls) stay questions."""
    unknown = {i for i, ch in a.unknown if "\u4e00" <= ch <= "\u9fff"}

    def unknown_run_before(pos: int) -> int:
        i, run = pos - 1, 0
        while i in unknown:
            run, i = run + 1, i - 1
        return run

    for m in PERSONAL_ITEMS.finditer(a.text):
        if 2 <= unknown_run_before(m.start()) <= 4:
            return True
    # 张三反映的问题 / 王建国的工单: only for a word that starts with a common surname (保安的工单 is a question)
    for m in PERSON_ACTS.finditer(a.text):
        run = unknown_run_before(m.start())
        if 2 <= run <= 3 and a.text[m.start() - run] in SURNAMES:
            return True
    return False


def _unknown_runs(a: Analysis, min_len: int = 2) -> list[str]:
    """Runs of consecutive unknown Chinese characters (at least min_len long)."""
    runs: list[list[tuple[int, str]]] = []
    for i, ch in a.unknown:
        if not ("\u4e00" <= ch <= "\u9fff"):
            continue
        if runs and runs[-1][-1][0] == i - 1:
            runs[-1].append((i, ch))
        else:
            runs.append([(i, ch)])
    return ["".join(ch for _, ch in r) for r in runs if len(r) >= min_len]


_FIGURE_SUFFIX = re.compile(r"(率|额|费|支出|收入|指数|值|比|金|价|成本|人口|产值|总量|数量|规模|效率|得分|评分|分数)$")


def _unknown_figure(a: Analysis) -> str | None:
    """An unknown word that names a figure (流失率, 经费支出, GDP): asked for, but not in the docs."""
    for run in _unknown_runs(a):
        if len(run) >= 4 or _FIGURE_SUFFIX.search(run):
            return run
    latin = re.findall(r"[a-z]{2,}", "".join(ch if ch.isascii() and ch.isalpha() else " " for _, ch in a.unknown))
    return latin[0] if latin else None


def _unknown_place(a: Analysis) -> str | None:
    """A run of unknown characters ending in 市/县/区/镇/乡 names a place we do not know (红星区)."""
    unknown_at = {i: ch for i, ch in a.unknown}
    for tok in a.tokens:
        if tok.text in ("市", "县", "区", "镇", "乡") or (len(tok.text) == 1 and tok.has("dim")):
            run = []
            i = tok.start - 1
            while i in unknown_at:
                run.append(unknown_at[i])
                i -= 1
            if len(run) >= 2:
                return "".join(reversed(run)) + tok.text
    return None


def _has_strong(a: Analysis, docs: SchemaDocs) -> bool:
    return any(tag.kind in ("metric", "table") for t in a.tokens for tag in t.tags)


def _is_followup(a: Analysis, text: str, db: str | None) -> bool:
    if text.endswith("呢") or text.endswith("呢?") or _FOLLOWUP_START.match(text):
        return True
    strong = [t for t in a.tokens if any(tag.kind in ("metric", "table") for tag in t.tags)]
    if not strong and len(text) <= 12:
        return True
    # a short question naming only a figure ("追回了多少钱"): about the same things as before
    scoped = any(tag.kind in ("value", "region") for t in a.tokens for tag in t.tags) or a.times
    return not scoped and len(text) <= 10


def _previous_plan(history: list) -> QueryPlan | None:
    for turn in reversed(history):
        plan = getattr(turn, "plan", None) if not isinstance(turn, dict) else turn.get("plan")
        if QueryPlan.is_rules_plan(plan):
            try:
                return QueryPlan.from_dict(plan)
            except (KeyError, ValueError, TypeError):
                return None
        if plan:
            return None
    return None


@dataclass
class _Notes:
    dropped_metrics: int = 0


def _assemble(docs: SchemaDocs, a: Analysis, rd: Reading, as_of: dt.date) -> tuple[QueryPlan, _Notes]:
    notes = _Notes()
    table = rd.table
    filters = list(rd.filters)
    filter_pos = list(rd.filter_pos)
    metrics = list(rd.metrics)
    dims = list(rd.dims)

    # regions: one filter; several regions with 分别/对比 → a grouping by their level
    codes = list(dict.fromkeys(rd.region_codes))
    if codes:
        names = "、".join(contract.REGION_BY_CODE[c].name for c in codes)
        filters.append(Filter("region", "not_in" if rd.negated_regions else "in", tuple(codes),
                              ("除" + names + "以外") if rd.negated_regions else names))
        filter_pos.append(rd.region_pos[-1] if rd.region_pos else 0)
        if len(codes) >= 2 and not rd.negated_regions:
            levels = {contract.REGION_BY_CODE[c].level for c in codes}
            group_dim = "city" if levels == {"市"} else "county"
            if group_dim not in dims:   # 银川和中卫（分别/对比）: one row per place
                dims.insert(0, group_dim)
    # several values of one column with 分别/对比/和 → grouped by that column
    for f in list(filters):
        if (f.field not in ("region",) and f.op == "in" and len(f.values) >= 2 and f.field not in dims
                and f.field not in rd.fixed_fields):
            dims.insert(0, f.field)

    # a ticket named by its number: that ticket's row
    if a.tickets and table == "hotline_tickets":
        filters.append(Filter("hotline_tickets.ticket_no", "in", tuple(a.tickets), "工单" + "、".join(a.tickets)))
        filter_pos.append(0)
    # thresholds
    having: list[Filter] = []
    for pos, op, value, unit, raw in a.thresholds:
        on_metric = _threshold_metric(docs, a, table, pos, unit)
        if on_metric is not None:
            word = {">": "高于", ">=": "不低于", "<": "低于", "<=": "不高于"}[op]
            shown = f"{value * 100:g}%" if metric_info(docs, on_metric).format == "ratio" else _fmt_threshold(value)
            having.append(Filter(on_metric, op, (value,), f"{metric_info(docs, on_metric).name}{word}{shown}"))
            if on_metric not in metrics:
                metrics.append(on_metric)
            continue
        ref = _threshold_field(docs, a, table, pos, unit)
        if ref is None:
            continue
        fid, cn = ref
        word = {">": "超过", ">=": "不少于", "<": "少于", "<=": "不超过"}[op]
        unit_text = {"元": "元", "块": "元", "块钱": "元", "人": "人", "名": "人", "人次": "人次",
                     "平方米": "平方米", "平米": "平方米", "㎡": "平方米", "平": "平方米"}.get(unit, "")
        filters.append(Filter(fid, op, (value,), f"{cn}{word}{_fmt_threshold(value)}{unit_text}"))
        filter_pos.append(pos)

    for pos, op in a.versus_average:
        # the figure named just before (办结率低于平均水平), else the question's first, else the count
        near = [tag.value for tok in a.tokens if tok.end <= pos for tag in tok.tags
                if tag.kind == "metric" and tag.table == table and tag.value in docs.metrics]
        on_metric = near[-1] if near else (metrics[0] if metrics else DEFAULT_METRIC[table])
        word = "低于" if op == "<" else "高于"
        level = "总体水平" if metric_info(docs, on_metric).format in ("ratio", "days") else "平均水平"
        having.append(Filter(on_metric, op, (OVERALL,), f"{metric_info(docs, on_metric).name}{word}{level}"))
        if on_metric not in metrics:
            metrics.append(on_metric)
    # ad-hoc aggregates: 平均/最大/最小 + a measure column without a metric of its own
    for idx, tok in enumerate(a.tokens):
        agg = None
        for name in ("avg", "max", "min", "sum"):
            if tok.has("op", name):
                agg = name
        if agg is None:
            continue
        for nxt in a.tokens[idx + 1: idx + 5]:
            ref = None
            for tag in nxt.tags:
                ref = ref or _measure_of(docs, tag, table)
            if ref is None:
                continue
            fid = ref[0]
            existing = next((m for m in metrics if _measure_of(docs, Tag("metric", None, None, m), table)
                             and _measure_of(docs, Tag("metric", None, None, m), table)[0] == fid), None)
            if agg == "sum" and existing:
                break
            if agg == "avg":
                avg_metric = next((m.id for m in docs.metrics.values() if m.table == fid.split(".")[0]
                                   and m.expression.strip().upper() == f"AVG({fid.split('.')[1].upper()})"), None)
                new = avg_metric or f"avg:{fid}"
            else:
                new = f"{agg}:{fid}"
            if existing:
                metrics[metrics.index(existing)] = new
            elif new not in metrics:
                metrics.append(new)
            break
    # a measure column named alone (面积, 涉及人数 …) is summed
    if not metrics:
        for tok in a.tokens:
            col = next((t for t in tok.tags if t.kind == "column" and _reachable(table, t)), None)
            if col is not None and docs.tables[col.table].columns[col.column].role == "measure":
                fid = f"{col.table}.{col.column}"
                if not any(f.field == fid for f in filters):
                    metrics.append(f"sum:{fid}")
                    break
    # "有多少个基层工会，会员多少人": a count asked next to other figures is a figure too
    if metrics:
        significant = [t for t in a.tokens if t.text not in ("个", "家", "件", "场", "名", "的")]
        for prev_tok, tok in zip(significant, significant[1:]):
            if not prev_tok.has("op", "count") or tok.has("metric"):
                continue
            entity = next((ENTITY_COUNT.get(tag.value if tag.kind == "value" else tag.table) for tag in tok.tags
                           if tag.kind in ("table", "value")), None)
            if entity and entity in docs.metrics and docs.metrics[entity].table == table and entity not in metrics:
                metrics.insert(0, entity)
                if entity == "grassroots_union_count":   # the metric carries the 基层工会 condition itself
                    pairs = [(p, f) for p, f in zip(filter_pos, filters) if f.field != "union_orgs.org_level"]
                    filter_pos, filters = [p for p, _ in pairs], [f for _, f in pairs]
    # "多少工单超期没办完": 多少工单 only says what is counted; the figure is the one right after it
    for cur_tok, nxt_tok in zip(a.tokens, a.tokens[1:]):
        weak = [t.value for t in cur_tok.tags if t.kind == "metric" and t.value == DEFAULT_METRIC.get(table)]
        if (weak and cur_tok.text[:2] in ("多少", "几个", "几件") and nxt_tok.start == cur_tok.end
                and any(t.kind == "metric" and t.table == table and t.value in docs.metrics
                        and docs.metrics[t.value].format == "count" for t in nxt_tok.tags)
                and len(metrics) > 1 and weak[0] in metrics):
            metrics.remove(weak[0])
    # metrics of one fact table only
    kept = [m for m in metrics if metric_info(docs, m).table == table]
    notes.dropped_metrics = len(metrics) - len(kept)
    metrics = kept
    # "办完的工单平均多少天": the status word restates the metric's own condition; it is not a filter
    own_columns = set()
    for m in metrics:
        if m in docs.metrics and m != DEFAULT_METRIC.get(table):
            own_columns |= {f"{table}.{c}" for c in docs.metrics[m].columns_used()}
    if own_columns:
        kept_filters = [(p, f) for p, f in zip(filter_pos, filters)
                        if not (f.field in own_columns and f.field.endswith(".status") and f.op == "in"
                                and f.field not in rd.fixed_fields)]
        filter_pos = [p for p, _ in kept_filters]
        filters = [f for _, f in kept_filters]

    # "各阵地一共服务了多少人次": 各X then 一共/总共/合计 sums over all the X — one total, not a row per X
    if len(dims) == 1 and dims[0] not in TIME_DIMENSIONS and not having and _total_over_each(a):
        dims = []
    # "有多少家单位被投诉", "涉及几个行业": how many different values of a coded column (not a grouping by it)
    distinct = _distinct_count(docs, a, table, dims)
    if distinct is not None and not having and compare_free(a):
        field_id = distinct
        dims = [d for d in dims if d != field_id]
        metrics = [m for m in metrics if m != DEFAULT_METRIC.get(table)] + [f"distinct:{field_id}"]
    # trend → a time grain
    if a.has_op("trend") and not any(d in TIME_DIMENSIONS for d in dims):
        dims.append("month")
    # periods and comparisons
    periods = [t.period for t in a.times if t.period is not None]
    period: Period | None = periods[0] if periods else None
    compare: Compare | None = None
    if a.compare_kind:
        cur = period or make_period(dt.date(as_of.year, 1, 1), as_of + dt.timedelta(days=1), as_of)
        base = year_over_year(cur) if a.compare_kind == "yoy" else period_before(cur)
        compare = Compare(a.compare_kind, (cur, base), True)
        period = cur
    elif len(periods) >= 2:
        distinct = list(dict.fromkeys(periods))
        if len(distinct) >= 2:
            wide = a.has_op("compare") and not a.has_op("each") and len(distinct) == 2
            if wide:
                first, second = distinct[0], distinct[1]
                bi = next((t.start for t in a.tokens if t.text in ("比", "较", "相比", "相较")), None)
                if bi is not None and a.times[0].start < bi:
                    cur, base = first, second
                else:
                    cur, base = (first, second) if first.start > second.start else (second, first)
                compare = Compare("periods", (cur, _align_base(cur, base)), True)
                period = cur
            else:
                compare = Compare("periods", tuple(sorted(distinct, key=lambda p: p.start)), False)
                period = None
    # "新建/新增/成立" counts things by when they were set up
    period_column = None
    if a.has_op("new") and table in ("union_posts", "union_orgs"):
        period_column = docs.tables[table].time_column
    # share (占比)
    share: Filter | None = None
    share_of_total = False
    share_tokens = a.ops("share")
    two_sums = _ratio_of_sums(docs, a, metrics, share_tokens)
    if two_sums is not None:
        # "追回金额占涉及金额的比例": SUM(part) / SUM(whole), with the question's filters on both
        part, whole = two_sums
        share = Filter("@metric", "metric", (part,), metric_info(docs, part).name)
        metrics = [whole]
        share_tokens = []
    if share_tokens:
        spos = share_tokens[0].start
        candidates = [(p, f) for p, f in zip(filter_pos, filters) if p < spos and f.op in ("in", "not_in", ">", ">=", "<", "<=")]
        whole_area = re.search(r"占(?:全区|全自治区|全省|全宁夏|宁夏|全部地区|全市)", a.text)
        regional = [(p, f) for p, f in candidates if f.field == "region"]
        if whole_area and regional:
            candidates = regional   # 海原县欠薪工单占全区的比例: 海原 within the whole region
        if candidates:
            _, target = max(candidates, key=lambda pf: pf[0])
            if target.op == "in" and len(target.values) >= 2 and target.field != "region":
                # 男职工和女职工的来电比例: each part's share of the whole
                if target.field not in dims:
                    dims.insert(0, target.field)
                share_of_total = True
            else:
                filters.remove(target)
                if target.field in dims:
                    dims.remove(target.field)
                share = target
        else:
            conditioned = [m for m in metrics if m not in (DEFAULT_METRIC.get(table),)
                           and metric_info(docs, m).format == "count"]
            if conditioned:
                share = Filter("@metric", "metric", (conditioned[0],), metric_info(docs, conditioned[0]).name)
                metrics = [DEFAULT_METRIC[table]]
            elif dims:
                share_of_total = True
        if share is not None and not metrics:
            metrics = [DEFAULT_METRIC[table]]
        if share is not None:
            metrics = [m for m in metrics if metric_info(docs, m).format != "ratio"][:1] or [DEFAULT_METRIC[table]]
    if (a.has_op("distribution") and share is None and not share_of_total and len(dims) == 1
            and dims[0] not in TIME_DIMENSIONS and compare is None):
        share_of_total = True   # 状态分布: the parts of the whole
    # ranking
    order: str | None = None
    limit: int | None = None
    if a.has_op("least") or a.top_asc or a.has_op("rank_asc"):
        order = "asc"
    elif a.has_op("most") or a.has_op("rank") or a.top_n:
        order = "desc"
    if a.top_n:
        limit = a.top_n
    elif order and (a.has_op("most") or a.has_op("least")):
        limit = a.count_n or (PLURAL_TOP_N if _PLURAL_WHICH.search(a.text) else 1)
    # detail lists: 列出… / 有哪些… / 哪些工单…
    detail = False
    which_rows = any(t.has("op", "group") and t.text in ("哪些", "哪几个") and nxt.has("table") and nxt.start == t.end
                     for t, nxt in zip(a.tokens, a.tokens[1:]))
    wants_rows = (a.has_op("detail") or which_rows) and not dims and share is None and compare is None
    conditional = [m for m in rd.metrics if row_condition(docs, m, as_of) is not None] if wants_rows else []
    if a.tickets and table == "hotline_tickets" and not dims and not rd.metrics:
        wants_rows, conditional = True, []
    if wants_rows and len(conditional) == len(rd.metrics):
        detail = True
        metrics = conditional     # 超期工单 as a list: the metric's condition filters the rows
    entity_named = any(t.has("table") or (t.has("value") and any(g.column == "org_level" for g in t.tags))
                       for t in a.tokens)
    if order and not dims and compare is None and share is None and entity_named and len(metrics) == 1:
        # 面积最大的5个阵地 / 会员人数最多的5个基层工会: rows ranked by a measure of each row
        ref = _measure_of(docs, Tag("metric", table, None, metrics[0]), table) if ":" not in metrics[0] else (
            metrics[0].split(":", 1)[1], "")
        if ref is not None and ref[0].split(".")[0] == table:
            detail = True
            metrics = [f"max:{ref[0]}"]
    per = next((t.value[4:] for tok in a.tokens for t in tok.tags if t.kind == "op" and t.value.startswith("per_")),
               None)
    if per == "month" and "month" in dims:
        per = None
    plan = QueryPlan(database=rd.database, table=table, metrics=tuple(dict.fromkeys(metrics)),
                     dimensions=tuple(dict.fromkeys(dims)), filters=tuple(filters), period=period,
                     period_column=period_column, compare=compare, share=share, share_of_total=share_of_total,
                     order=order, limit=limit, detail=detail, having=tuple(having) if dims else (),
                     per=per if not detail else None)
    return plan, notes


_TOTAL_WORDS = re.compile(r"一共|总共|合计|总计|共计|总和|加起来|加在一起|合起来")
_PER_GROUP_WORDS = re.compile(r"分别|各自|各有|各是|各多少|各为|各占|哪|排名|排行|排序|最|前\d|前[一二三四五六七八九十]|占|比例|分布|"
                              r"每个|每一个|每|按|对比|比较|趋势|平均")


def _total_over_each(a: Analysis) -> bool:
    """各X … 一共/总共/合计 with nothing asking for a figure per X (分别, 哪个, 最, 占比 …)."""
    if _PER_GROUP_WORDS.search(a.text) or a.compare_kind:
        return False
    for i, tok in enumerate(a.tokens):
        each = tok.text.startswith("各") and (tok.has("dim") or tok.has("column"))
        if not each and tok.text in ("各", "各个") and i + 1 < len(a.tokens):
            nxt = a.tokens[i + 1]
            each = nxt.start == tok.end and (nxt.has("dim") or nxt.has("column") or nxt.has("table"))
        if each and _TOTAL_WORDS.search(a.text, tok.end):
            return True
    return False


_HOW_MANY = re.compile(r"(?:多少|几)(?:个|家|类|种|位)?$")
_TICKET_NOUNS = ("问题", "诉求", "案件", "事项", "事情", "来电", "工单", "投诉", "求助")


def compare_free(a: Analysis) -> bool:
    return a.compare_kind is None and not a.has_op("compare")


def _distinct_count(docs: SchemaDocs, a: Analysis, table: str, dims: list[str]) -> str | None:
    """多少 / 几个 right before a dimension column of the fact table itself: that column's distinct count."""
    if a.has_op("most") or a.has_op("least") or a.has_op("rank") or a.top_n or a.has_op("each"):
        return None
    for prev, tok in zip([None, *a.tokens], a.tokens):
        col = next((t for t in tok.tags if t.kind == "column" and t.table == table), None)
        if col is None or docs.tables[table].columns[col.column].role != "dimension":
            continue
        if any(noun in tok.text for noun in _TICKET_NOUNS):
            continue   # 反映了多少(个)问题: the tickets themselves, not how many kinds
        before = a.text[max(0, tok.start - 3):tok.start]
        counted = bool(_HOW_MANY.search(before)) or bool(re.match(r"(?:多少|几)(?:个|家|类|种)?", tok.text))
        # a bare 多少 + noun counts distinct values only for the employer (多少单位); others need 个/家/类/种
        classified = bool(re.search(r"[个家类种位]$", before)) or col.column == "employer_name"
        if counted and classified and "哪" not in before:
            return f"{table}.{col.column}"
    return None


def _ratio_of_sums(docs: SchemaDocs, a: Analysis, metrics: list[str], share_tokens: list[Token]) -> tuple[str, str] | None:
    """Two summed figures of one kind (元 and 元, 人 and 人) around 占…比例: (part, whole) in the order said."""
    if not share_tokens:
        return None
    spos = share_tokens[0].start
    first_at: dict[str, int] = {}
    for tok in a.tokens:
        for tag in tok.tags:
            if tag.kind == "metric" and tag.value in metrics and tag.value not in first_at:
                first_at[tag.value] = tok.start
    sums = [m for m in metrics if m in docs.metrics and docs.metrics[m].format not in ("count", "ratio")
            and docs.metrics[m].expression.strip().upper().startswith("SUM(") and m in first_at]
    before = [m for m in sums if first_at[m] < spos]
    after = [m for m in sums if first_at[m] > spos]
    if not before or not after:
        return None
    part, whole = before[-1], after[0]
    if docs.metrics[part].format != docs.metrics[whole].format or docs.metrics[part].table != docs.metrics[whole].table:
        return None
    return part, whole


def _align_base(cur: Period, base: Period) -> Period:
    """今年(to date) vs 去年: compare with the same dates a year earlier, not the whole of last year."""
    same_dates = year_over_year(cur)
    if base.days > cur.days and base.start <= same_dates.start and same_dates.end <= base.end:
        return same_dates
    return base


def _merge(prev: QueryPlan, new: QueryPlan, a: Analysis, rd: Reading, as_of: dt.date, docs: SchemaDocs) -> QueryPlan:
    """A follow-up: the previous plan with what the new question says put in."""
    plan = prev
    if new.table != prev.table:
        reach = REACHABLE.get(new.table, (new.table,))
        kept = tuple(f for f in prev.filters if f.field == "region" or f.field.split(".")[0] in reach)
        plan = plan.edit(table=new.table, filters=kept, dimensions=tuple(
            d for d in prev.dimensions if "." not in d or d.split(".")[0] in reach), metrics=())
    if rd.metrics or (new.metrics and new.metrics != (DEFAULT_METRIC.get(new.table),)):
        plan = plan.edit(metrics=new.metrics, detail=False)
    for f in new.filters:
        plan = plan.with_filter(f)
    explicit_time = bool(a.times)
    if (new.compare is None and new.period is not None and prev.period is not None and new.period != prev.period
            and a.has_op("compare")):
        # "和去年比呢": the previous period against the one named now
        plan = plan.edit(compare=Compare("periods", (prev.period, _align_base(prev.period, new.period)), True))
    elif new.period is not None or new.compare is not None:
        if new.compare is not None and not explicit_time and new.compare.kind in ("yoy", "prev") and prev.period:
            cur = prev.period
            base = year_over_year(cur) if new.compare.kind == "yoy" else period_before(cur)
            plan = plan.edit(period=cur, compare=Compare(new.compare.kind, (cur, base), True))
        elif new.compare is not None:
            plan = plan.edit(period=new.period, compare=new.compare)
        elif prev.compare is not None and prev.compare.kind in ("yoy", "prev"):
            base = year_over_year(new.period) if prev.compare.kind == "yoy" else period_before(new.period)
            plan = plan.edit(period=new.period, compare=Compare(prev.compare.kind, (new.period, base), True))
        else:
            plan = plan.edit(period=new.period, compare=None)
    if new.dimensions:
        plan = plan.edit(dimensions=new.dimensions, order=new.order if new.order else None,
                         limit=new.limit if new.limit else None, detail=False)
    elif new.order or new.limit:
        plan = plan.edit(order=new.order or plan.order or "desc", limit=new.limit)
    if new.share is not None or new.share_of_total:
        plan = plan.edit(share=new.share, share_of_total=new.share_of_total)
    elif a.has_op("share") and new.share is None:
        # "占全部的比例": the share of what the previous question filtered on
        candidates = [f for f in plan.filters if f.field != "region"] or list(plan.filters)
        if candidates:
            target = candidates[-1]
            metrics = [m for m in plan.metrics if metric_info(docs, m).format != "ratio"][:1] or [DEFAULT_METRIC[plan.table]]
            plan = plan.edit(share=target, filters=tuple(f for f in plan.filters if f is not target),
                             metrics=tuple(metrics))
    if new.detail:
        plan = plan.edit(detail=True, metrics=new.metrics, dimensions=(), compare=None)
    if new.period_column:
        plan = plan.edit(period_column=new.period_column)
    if not plan.dimensions and not plan.detail:
        plan = plan.edit(order=None, limit=None)
    return plan


def _confidence(a: Analysis, rd: Reading, other_votes: float, notes: _Notes) -> float:
    if a.total == 0:
        return 0.0
    score = a.understood / a.total
    if other_votes:
        score -= 0.1
    if notes.dropped_metrics:
        score -= 0.2
    return round(max(0.0, min(1.0, score)), 2)


def _period_text(plan: QueryPlan, docs: SchemaDocs) -> str | None:
    stock = (plan.metrics and plan.period_column is None and not plan.has_time_dimension
             and all(metric_info(docs, m).time_column is None for m in plan.metrics))
    if stock and (plan.period is None or plan.period.start > dt.date(1901, 1, 1)):
        return None   # 阵地数量, 会员人数: counted as they are now, whatever period was named
    if plan.compare is not None and plan.compare.wide:
        cur, base = plan.compare.periods[0], plan.compare.periods[1]
        return f"{cur.label}（对比{base.label}）"
    if plan.compare is not None:
        return "、".join(p.label for p in plan.compare.periods)
    if plan.period is None:
        return None
    return plan.period.label


def describe(plan: QueryPlan, docs: SchemaDocs) -> str:
    """The plan as a self-contained Chinese question (for the session and the LLM planner)."""
    parts = []
    if plan.period is not None:
        parts.append(plan.period.label)
    for f in plan.filters:
        parts.append(f.label)
    if plan.dimensions:
        labels = {"city": "各市", "county": "各县区", "org": "各工会", "post": "各阵地", "month": "每月", "quarter": "每季度",
                  "year": "每年", "day": "每天", "week": "每周"}
        dims = []
        for d in plan.dimensions:
            if d in labels:
                dims.append(labels[d])
            else:
                t, c = d.split(".", 1)
                dims.append("各" + docs.tables[t].columns[c].cn_name)
        parts.append("、".join(dims))
    if plan.detail:
        parts.append(f"{docs.tables[plan.table].cn_name}明细")
    else:
        parts.append("、".join(metric_info(docs, m).name for m in plan.metrics))
    if plan.share is not None:
        parts.append(f"中{plan.share.label}的占比")
    if plan.compare is not None and plan.compare.kind == "yoy":
        parts.append("同比")
    elif plan.compare is not None and plan.compare.kind == "prev":
        parts.append("环比")
    if plan.limit:
        parts.append(f"{'最少' if plan.order == 'asc' else '最多'}的前{plan.limit}个")
    return "的".join(p for p in parts if p)


def _reply(text: str) -> PlannerResult:
    if any(w in text for w in ("谢", "辛苦")):
        message = "不客气！还有什么想查的数据，随时问我。"
    elif any(w in text for w in ("再见", "拜拜")):
        message = "再见，祝工作顺利！"
    else:
        message = ("您好！我是问数助手，可以用中文查询12351职工服务热线工单和工会阵地的数据，例如工单量、办结率、满意率、"
                   "阵地数量、活动场次和服务人次，可按地区、时间、问题分类等统计和对比。")
    return PlannerResult(kind="reply", backend="rules", message=message, confidence=1.0,
                         suggestions=[SUGGESTIONS_HOTLINE[0], SUGGESTIONS_POSTS[0]])


def _scope_words(a: Analysis) -> str:
    """The period and place the question named, to repeat in suggested questions (今年海原县)."""
    period = a.times[0].text if a.times else ""
    region = next((t.text for t in a.tokens if t.has("region")), "")
    return f"{period}{region}"


def _clarify_two_tables(docs: SchemaDocs, a: Analysis, rd: Reading, table: str) -> PlannerResult:
    """工单量和活动场次: figures of two fact tables cannot come from one query — ask, never drop one."""
    own = [metric_info(docs, m).name for m in rd.metrics] or [metric_info(docs, DEFAULT_METRIC[table]).name]
    foreign: list[str] = []
    for tok in rd.foreign_metrics:
        name = next((docs.metrics[t.value].name for t in tok.tags if t.kind == "metric" and t.value in docs.metrics), None)
        if name and name not in foreign and name not in own:
            foreign.append(name)
    tables = [docs.tables[table].cn_name]
    for tok in rd.foreign_metrics:
        for t in tok.tags:
            if t.kind == "metric" and t.table in docs.tables and docs.tables[t.table].cn_name not in tables:
                tables.append(docs.tables[t.table].cn_name)
    scope = _scope_words(a)
    own_text, foreign_text = "、".join(own), "、".join(foreign) or rd.foreign_metrics[0].text
    return PlannerResult(
        kind="clarify", backend="rules", confidence=0.3,
        message=(f"“{own_text}”和“{foreign_text}”分别来自{'、'.join(tables)}，不能在一次查询里合并统计，"
                 f"请分开询问（可点击下面的建议问题）。"),
        suggestions=[_scoped(scope, own_text), _scoped(scope, foreign_text)])


def _scoped(scope: str, what: str) -> str:
    return f"{scope}的{what}" if scope else what


# "追回率", "讨回率": a rate built on a figure that the 口径 table defines only as an amount or a count
def _undefined_rate(docs: SchemaDocs, a: Analysis) -> tuple[str, str] | None:
    """(the word asked, the metric it is built on) for a metric word followed by an unknown 率/比率."""
    unknown = {i: ch for i, ch in a.unknown}
    for tok in a.tokens:
        mids = [t.value for t in tok.tags if t.kind == "metric" and t.value in docs.metrics]
        if not mids or any(docs.metrics[m].format == "ratio" for m in mids):
            continue
        if unknown.get(tok.end) == "率" or a.text.startswith("比率", tok.end) and not a.text.startswith("占", tok.start - 1):
            return a.text[tok.start:tok.end + (1 if unknown.get(tok.end) == "率" else 2)], mids[0]
    return None


def _clarify_undefined_rate(docs: SchemaDocs, a: Analysis, word: str, mid: str) -> PlannerResult:
    metric = docs.metrics[mid]
    rates = [m.name for m in docs.metrics.values() if m.table == metric.table and m.format == "ratio"]
    # the same kind of figure of the same table: 追回金额 → 涉及金额, a ratio of two sums the officer can ask for
    peers = [m for m in docs.metrics.values() if m.table == metric.table and m.format == metric.format
             and m.id != mid and m.format != "count"]
    scope = _scope_words(a)
    suggestions = [f"{scope}{metric.name}占{peers[0].name}的比例"] if peers else []
    suggestions.append(_scoped(scope, metric.name))
    named = "、".join(rates[:5])
    ratio_hint = f"，或问“{metric.name}占{peers[0].name}的比例”" if peers else ""
    return PlannerResult(
        kind="clarify", backend="rules", confidence=0.3, suggestions=suggestions[:2],
        message=(f"统计口径里没有“{word}”这个指标。可以查询{metric.name}{ratio_hint}"
                 f"{'；已定义的比率有' + named if named else ''}。"))


def _clarify_unknown(a: Analysis, text: str) -> PlannerResult:
    unknown = "、".join(_unknown_runs(a, 1))
    region = next((t.text for t in a.tokens if t.has("region")), "")
    period = a.times[0].text if a.times else ""
    prefix = f"{period}{region}"
    suggestions = ([f"{prefix}的工单量是多少", f"{prefix}有多少个工会阵地"] if prefix else
                   [SUGGESTIONS_HOTLINE[0], SUGGESTIONS_POSTS[0]])
    what = f"（没有理解“{unknown[:12]}”）" if unknown else ""
    return PlannerResult(kind="clarify", backend="rules", confidence=0.1, suggestions=suggestions,
                         message=f"请问您想查询哪方面的数据？{what}我可以查询热线工单（工单量、办结率、满意率等）"
                                 f"和工会阵地（阵地数量、活动场次、服务人次等）。")
