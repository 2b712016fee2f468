"""The LLM planner: text-to-SQL through any OpenAI-compatible endpoint, grounded in the schema docs.

    question → 1 intent (keyword pre-check, model when undecided) → 2 follow-up rewrite (history)
             → 3 retrieval (chromadb + character n-grams) → 4 schema linking (only relevant tables,
             columns, code values, metrics; few-shot examples; time rules resolved against as_of)
             → 5 generation → guard + dry run (ctx.validate) → repair rounds → 6 PlannerResult

Every failure (timeout, HTTP error, connection refused, malformed output, unsafe SQL) becomes a
PlannerResult of kind "error" or "refuse" with a Chinese message; nothing raises to the officer.
Personal data never reaches the model: PII and free-text columns are not described, and no rows
are ever sampled into a prompt.
"""
from __future__ import annotations

import datetime as dt
import re
import string
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

import sqlglot
from sqlglot import exp

from . import contract
from .config import PROMPTS_DIR, Settings
from .models import Definition, PlannerResult, ResultShape
from .retrieval import Hit, IndexItem, RetrievalIndex, build_corpus, corpus_fingerprint, hidden_column, load_confirmed
from .schema_docs import MetricDoc, SchemaDocs, TableDoc
from .semantic_parser import safety_refusal
from .timeparse import find_periods, period_before, range_label, year_over_year

PROMPT_VERSION = "v2"
DIALECT = "duckdb"
FEW_SHOT = 3
MAX_SQL_TOKENS = 400
BACKEND = "llm"
_FACT_TABLES = {db: tuple(t for t in contract.table_columns(db) if t not in ("regions", "union_orgs"))
                for db in contract.DATABASES}

# ── Prompts ──────────────────────────────────────────────────────────────────────────


def load_prompt(name: str, version: str = PROMPT_VERSION, directory: Path = PROMPTS_DIR) -> string.Template:
    return string.Template((directory / version / f"{name}.md").read_text(encoding="utf-8"))


# ── Step 1: intent ───────────────────────────────────────────────────────────────────
_UNSAFE = re.compile(
    r"删除|删掉|删了|清空|篡改|改掉|修改(?:数据|记录|工单|状态)|插入|"
    r"\b(?:drop|delete|truncate|insert|update|alter|grant|revoke|create)\b|"
    r"手机号|电话号码|联系电话|联系方式|身份证|家庭住址|"
    r"来电人(?:的)?(?:姓名|名字|是谁|电话|手机|住址)|(?:姓名|名字)(?:和|及|、)(?:电话|手机)|诉求内容原文|具体内容原文",
    re.IGNORECASE)
_CHITCHAT = re.compile(
    r"^(?:你好|您好|hi|hello|嗨|哈喽|早上好|下午好|晚上好|谢谢|多谢|感谢|辛苦了|再见|拜拜|"
    r"你是谁|你叫什么|你能做什么|你会什么|你可以做什么|怎么用|帮助|help|在吗|在不在)"
    r"[啊呀呢吧吗嘛\s！!。.？?～~，,]*$", re.IGNORECASE)
_DATA_WORDS = re.compile(
    r"多少|几个|几家|几次|数量|统计|排名|排行|前\d+|前[一二三四五六七八九十]+|占比|比例|趋势|同比|环比|"
    r"平均|合计|总数|总共|分布|各市|各县区|按市|按县区|按月|每月|哪个|哪些|最多|最少|最高|最低|列出|明细")

REFUSE_UNSAFE = ("这个请求不能办理：问数只做只读的统计查询，不能修改或删除数据，"
                 "也不能提供来电人的姓名、电话、诉求原文等个人信息。")


ASK_BACK = ("请问您想查询哪方面的数据？我可以查询热线工单（工单量、办结率、满意率等）"
            "和工会阵地（阵地数量、活动场次、服务人次等），请说明指标，以及地区和时间。")


def unsafe_refusal(question: str) -> PlannerResult | None:
    """The keyword pre-check: a refusal before anything reaches the model, or None.

    Besides its own list it applies the parser's safety rules (writes, commands, injection, any
    caller's personal data), so both planners refuse the same requests; the eval run found
    "来电人叫什么名字" passing the list alone.
    """
    if _UNSAFE.search(question):
        return PlannerResult(kind="refuse", backend=BACKEND, message=REFUSE_UNSAFE)
    refusal = safety_refusal(question)
    if refusal is None:
        return None
    return PlannerResult(kind="refuse", backend=BACKEND, message=refusal.message, suggestions=refusal.suggestions)


def chitchat_reply(docs: SchemaDocs) -> tuple[str, list[str]]:
    suggestions = [e.question for e in docs.examples[:3]] or [
        "今年以来全区12351热线工单量是多少？", "按市统计今年的办结率", "各类型工会阵地分别有多少个？"]
    text = ("您好！我是“问数”助手，可以用中文查询12351职工服务热线工单和工会阵地的统计数据，"
            "比如工单量、办结率、满意率、阵地数量、服务人次等。可以试试：")
    return text, suggestions


def lexical_terms(docs: SchemaDocs) -> list[str]:
    """Words that by themselves make a sentence a data question (names of tables, metrics, values)."""
    words = {w for w, targets in docs.synonyms_index().items()
             if len(w) >= 2 and any(t.kind in ("table", "metric", "value", "region") for t in targets)}
    return sorted(words, key=len, reverse=True)


# ── Step 5: output handling ──────────────────────────────────────────────────────────
_FENCE = re.compile(r"```[ \t]*(?:sql|SQL|duckdb|postgresql|sqlite)?[ \t]*\n(.*?)(?:```|$)", re.DOTALL)
_PLAIN = re.compile(r"(?is)\b(with|select|delete|update|insert|drop|alter|create|truncate)\b.*")


def extract_sql(text: str) -> str | None:
    """The SQL in a model reply: a ```sql fence first, else the text from the first SQL keyword."""
    text = (text or "").strip()
    for m in _FENCE.finditer(text):
        body = m.group(1).strip()
        if body:
            return body.rstrip(";").strip() or None
    m = _PLAIN.search(text)
    if not m:
        return None
    sql = m.group(0).strip()
    # Plain text after the statement (an explanation) ends at the first blank line.
    sql = re.split(r"\n\s*\n", sql, maxsplit=1)[0]
    return sql.rstrip(";").strip() or None


def streaming_sql(text: str) -> str:
    """What to show of a reply still arriving: the latest ```sql block, open or closed.

    A repair round streams into the same callback after the first reply, so the newest block
    wins; text outside fences (an explanation) is shown only when there is no fence at all.
    """
    parts = re.split(r"```[A-Za-z]*", text or "")
    if len(parts) == 1:
        return parts[0].strip()
    inside = [part.strip() for part in parts[1::2] if part.strip()]
    return inside[-1] if inside else ""


_WRITE_NODES = (exp.Delete, exp.Update, exp.Insert, exp.Drop, exp.Create, exp.Alter, exp.Command,
                exp.Merge, exp.TruncateTable)


def write_statement(sql: str) -> str | None:
    """The kind of a data-changing statement (DELETE …) in sql, or None for read-only SQL."""
    try:
        trees = sqlglot.parse(sql, read=DIALECT)
    except sqlglot.errors.SqlglotError:
        head = sql.strip().split(None, 1)
        word = head[0].upper() if head else ""
        return word if word in ("DELETE", "UPDATE", "INSERT", "DROP", "ALTER", "CREATE", "TRUNCATE",
                                "MERGE", "GRANT", "COPY", "ATTACH", "PRAGMA", "SET", "INSTALL", "LOAD") else None
    for tree in trees:
        if tree is None:
            continue
        for node in tree.walk():
            if isinstance(node, _WRITE_NODES):
                name = node.key.upper()
                return "TRUNCATE" if name == "TRUNCATETABLE" else name
    return None


def sql_tables(tree: exp.Expression) -> set[str]:
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes}


def database_of_sql(tree: exp.Expression, default: str) -> str | None:
    """hotline / posts from the tables the SQL reads; None when it mixes both."""
    tables = sql_tables(tree)
    dbs = {db for db, facts in _FACT_TABLES.items() if tables & set(facts)}
    if len(dbs) > 1:
        return None
    return dbs.pop() if dbs else default


_TIME_FUNCS = ("date_trunc", "strftime", "year", "month", "quarter", "week", "day", "extract", "date_part")


def _is_time_expr(node: exp.Expression, time_columns: set[str]) -> bool:
    if isinstance(node, exp.Alias):
        node = node.this
    if isinstance(node, (exp.TimestampTrunc, exp.DateTrunc, exp.Extract, exp.Year, exp.Month, exp.Quarter,
                         exp.Week, exp.Day, exp.TimeToStr, exp.StrToTime)):
        return True
    if isinstance(node, exp.Anonymous) and node.name.lower() in _TIME_FUNCS:
        return True
    if isinstance(node, exp.Column) and node.name in time_columns:
        return True
    return any(isinstance(n, exp.Column) and n.name in time_columns for n in node.find_all(exp.Column)) and \
        any(isinstance(n, (exp.Func,)) for n in node.find_all(exp.Func))


def infer_shape(tree: exp.Expression) -> ResultShape:
    """What the result rows look like, read from the outermost SELECT."""
    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    if select is None:
        return "unknown"
    time_columns = {"received_at", "closed_at", "due_at", "held_on", "month", "opened_on", "established_on"}
    group = select.args.get("group")
    has_agg = any(e.find(exp.AggFunc) for e in select.expressions)
    if not group:
        if has_agg:
            return "single" if len(select.expressions) == 1 else "compare"
        return "detail"
    projections = select.expressions
    keys = []
    for k in group.expressions:   # GROUP BY 1 / GROUP BY alias → the projected expression
        if isinstance(k, exp.Literal) and k.is_int and 0 < int(k.this) <= len(projections):
            k = projections[int(k.this) - 1]
        elif isinstance(k, exp.Column) and not k.table:
            k = next((p for p in projections if isinstance(p, exp.Alias) and p.alias == k.name), k)
        keys.append(k)
    timed = [k for k in keys if _is_time_expr(k, time_columns)]
    if len(keys) == 1:
        return "timeseries" if timed else "category"
    if len(keys) == 2:
        return "two_dim"
    return "unknown"


def _date_of(node: exp.Expression) -> dt.date | None:
    if isinstance(node, exp.Cast):
        node = node.this
    if isinstance(node, exp.Literal) and node.is_string:
        try:
            return dt.date.fromisoformat(node.this[:10])
        except ValueError:
            return None
    return None


def infer_period(tree: exp.Expression) -> str | None:
    """The period of a query from its date bounds (>= start AND < end), as 2026年1月1日至6月30日."""
    lows: set[dt.date] = set()
    highs: set[dt.date] = set()
    for node in tree.find_all(exp.GTE, exp.GT, exp.LT, exp.LTE, exp.Between):
        if isinstance(node, exp.Between):
            lo, hi = _date_of(node.args["low"]), _date_of(node.args["high"])
            if lo and hi:
                lows.add(lo)
                highs.add(hi + dt.timedelta(days=1))
            continue
        left, right = node.this, node.expression
        day, flipped = (_date_of(right), False) if _date_of(right) else (_date_of(left), True)
        if day is None:
            continue
        op = type(node)
        if flipped:
            op = {exp.GTE: exp.LTE, exp.GT: exp.LT, exp.LT: exp.GT, exp.LTE: exp.GTE}[op]
        if op is exp.GTE:
            lows.add(day)
        elif op is exp.GT:
            lows.add(day + dt.timedelta(days=1))
        elif op is exp.LT:
            highs.add(day)
        else:
            highs.add(day + dt.timedelta(days=1))
    if len(lows) == 1 and len(highs) == 1:
        return range_label(min(lows), max(highs))
    if len(lows) == 1 and not highs:
        d = min(lows)
        return f"{d.year}年{d.month}月{d.day}日以来"
    return None


# ── Schema linking ──────────────────────────────────────────────────────────────────
@dataclass
class Linked:
    """What goes into the prompt for one question."""
    database: str
    tables: list[str]
    columns: dict[str, list[str]]
    metrics: list[MetricDoc]
    examples: list[IndexItem]
    regions: list[str]                   # lines naming the regions the question mentions
    time_rules: list[str]
    hits: list[Hit] = field(default_factory=list)


def _mentioned(question: str, words: Any) -> bool:
    return any(w and len(w) >= 2 and w in question for w in words)


def _outermost(question: str, metrics: list[MetricDoc]) -> list[MetricDoc]:
    """Drop metrics named only inside a longer metric name (办结率 inside 按期办结率)."""
    kept = []
    for m in metrics:
        rest = question
        for other in metrics:
            if other is not m:
                for w in sorted((other.name, *other.synonyms), key=len, reverse=True):
                    if len(w) > len(m.name) and m.name in w:
                        rest = rest.replace(w, "※")
        if _mentioned(rest, (m.name, *m.synonyms)):
            kept.append(m)
    return kept or metrics


def resolve_time_rules(question: str, as_of: dt.date) -> list[str]:
    """The question's time expressions as concrete dates (the contract's rules, resolved)."""
    lines: list[str] = []
    matches = find_periods(question, as_of)
    main = None
    for m in matches:
        if m.period is None:
            continue
        p = m.period
        lines.append(f"「{m.text}」= {p.label}：时间字段 >= DATE '{p.start.isoformat()}' "
                     f"AND 时间字段 < DATE '{p.end.isoformat()}'")
        if m.kind == "period" and main is None:
            main = p
    kinds = {m.kind for m in matches}
    if main is not None and ("compare_yoy" in kinds or "同比" in question):
        p = year_over_year(main)
        lines.append(f"同比的对比期 = {p.label}：>= DATE '{p.start.isoformat()}' AND < DATE '{p.end.isoformat()}'")
    if main is not None and ("compare_prev" in kinds or "环比" in question):
        p = period_before(main)
        lines.append(f"环比的对比期 = {p.label}：>= DATE '{p.start.isoformat()}' AND < DATE '{p.end.isoformat()}'")
    if not lines:
        lines.append("问题没有指明时间：统计全部数据，不加时间条件。")
    return lines


def region_lines(question: str, docs: SchemaDocs) -> list[str]:
    """Regions the question names, with their codes and level (longest names first, no overlaps)."""
    found: dict[str, str] = {}
    taken: list[tuple[int, int]] = []
    aliases = sorted(((name, code) for code, names in docs.region_aliases().items() for name in names),
                     key=lambda x: -len(x[0]))
    for name, code in aliases:
        start = question.find(name)
        if start < 0 or any(s < start + len(name) and start < e for s, e in taken):
            continue
        taken.append((start, start + len(name)))
        found.setdefault(code, name)
    lines = []
    for code, name in found.items():
        r = contract.REGION_BY_CODE[code]
        if r.level == "县区":
            # The county's own code only: naming its city's code here led the model to filter by the city.
            lines.append(f"「{name}」= {r.name}（县区）：条件 t.region_code = '{r.code}'")
        elif r.level == "市":
            lines.append(f"「{name}」= {r.name}（市，代码 '{r.code}'）：条件 region_code IN "
                         f"(SELECT region_code FROM regions WHERE parent_code = '{r.code}')")
        else:
            lines.append(f"「{name}」= 全区（不加地区条件）")
    return lines


def link_schema(question: str, ctx_as_of: dt.date, docs: SchemaDocs, index: RetrievalIndex,
                *, few_shot: int = FEW_SHOT) -> Linked:
    """Step 4: pick the database, then only the relevant tables, columns, values, metrics, examples."""
    hits = index.search(question, k=16)
    votes = {db: 0.0 for db in contract.DATABASES}
    for h in hits:
        if h.item.database in votes:
            votes[h.item.database] += h.score
    metric_words = [(m, (m.name, *m.synonyms)) for m in docs.metrics.values()]
    for m, words in metric_words:
        if _mentioned(question, words):
            votes[m.database] += 0.05
    database = max(votes, key=lambda d: votes[d])

    examples = [h.item for h in index.search(question, k=few_shot, kinds=["example"], databases=[database])]
    metric_hits = [h for h in index.search(question, k=3, kinds=["metric"], databases=[database])]
    metrics: list[MetricDoc] = [m for m, words in metric_words if m.database == database and _mentioned(question, words)]
    # Longer names win over the shorter ones inside them (按期办结率 over 办结率 over 办结量).
    metrics = _outermost(question, metrics)
    if not metrics and metric_hits:
        m = docs.metrics.get(metric_hits[0].item.ref)
        if m is not None:
            metrics.append(m)

    in_db = {t.name: t for t in docs.tables_in(database)}
    wanted: dict[str, set[str]] = {}

    def want(table: str, column: str | None = None) -> None:
        if table in in_db:
            cols = wanted.setdefault(table, set())
            if column:
                cols.add(column)

    for h in hits[:10]:
        if h.item.database in (database, "both") and h.item.table:
            if h.item.kind in ("table", "metric") or h.item.database == database:
                want(h.item.table, h.item.column or None)
    for m in metrics:
        want(m.table)
        for c in m.columns_used():
            want(m.table, c)
        if m.time_column:
            want(m.table, m.time_column)
    for ex in examples:
        try:
            tree = sqlglot.parse_one(ex.sql, read=DIALECT)
        except sqlglot.errors.SqlglotError:
            continue
        used_tables = sql_tables(tree) & set(in_db)
        for t in used_tables:
            want(t)
        names = {c.name for c in tree.find_all(exp.Column)}
        for t in used_tables:
            for c in names & set(in_db[t].columns):
                want(t, c)
    # Lexical links: a column's name, synonym or one of its code values in the question.
    for t in in_db.values():
        for c in t.columns.values():
            if hidden_column(c):
                continue
            if _mentioned(question, (c.cn_name, *c.synonyms)) or any(
                    _mentioned(question, (v.value, *v.synonyms)) for v in c.values):
                want(t.name, c.name)
    regions = region_lines(question, docs)
    if regions or re.search(r"按市|各市|分市|按县|各县|县区|地区|区域|哪个市|哪个县", question):
        want("regions", "region_code")
        want("regions", "region_name")
        want("regions", "parent_code")
    # A fact table is the heart of the query: make sure there is one.
    if not any(t in wanted for t in _FACT_TABLES[database]):
        want(_FACT_TABLES[database][0])
    columns: dict[str, list[str]] = {}
    for table in [t for t in in_db if t in wanted]:
        tdoc = in_db[table]
        keep = set(wanted[table])
        for c in tdoc.columns.values():
            if c.role == "key" or c.name in (tdoc.time_column, tdoc.region_column):
                keep.add(c.name)
            if c.role == "fk" and any(j.from_table == table and j.from_column == c.name and j.to_table in wanted
                                      for j in docs.joins):
                keep.add(c.name)
        columns[table] = [c for c in tdoc.columns if c in keep and not hidden_column(tdoc.columns[c])]
    return Linked(database=database, tables=list(columns), columns=columns, metrics=metrics,
                  examples=examples, regions=regions, time_rules=resolve_time_rules(question, ctx_as_of), hits=hits)


_SQL_TYPES = {"text": "TEXT", "integer": "INTEGER", "decimal": "DECIMAL(12,2)", "double": "DOUBLE",
              "date": "DATE", "timestamp": "TIMESTAMP", "boolean": "BOOLEAN"}


def render_schema(linked: Linked, docs: SchemaDocs) -> str:
    """CREATE TABLE statements of the linked tables and columns, with Chinese names and code values."""
    blocks = []
    for table in linked.tables:
        t: TableDoc = docs.tables[table]
        lines = [f"CREATE TABLE {table} ( -- {t.cn_name}"]
        cols = linked.columns[table]
        for i, name in enumerate(cols):
            c = t.columns[name]
            note = c.cn_name
            if c.values:
                note += "，取值：" + "/".join(v.value for v in c.values)
            comma = "," if i < len(cols) - 1 else ""
            lines.append(f"  {name} {_SQL_TYPES.get(c.type, c.type.upper())}{comma} -- {note}")
        lines.append(");")
        blocks.append("\n".join(lines))
    joins = [j for j in docs.joins if j.from_table in linked.tables and j.to_table in linked.tables
             and j.from_table != j.to_table and j.from_column in linked.columns.get(j.from_table, [])]
    if joins:
        blocks.append("关联：" + "；".join(f"{j.from_table}.{j.from_column} = {j.to_table}.{j.to_column}"
                                        for j in joins))
    return "\n".join(blocks)


def render_metrics(linked: Linked, as_of: dt.date) -> str:
    if not linked.metrics:
        return ""
    lines = ["指标定义（口径）："]
    for m in linked.metrics:
        line = f"- {m.name}：{m.definition} SQL：{m.expression_sql(as_of)}（表 {m.table}"
        if m.filter:
            line += f"，条件 {m.filter}"
        line += f"，时间字段 {m.time_column}）" if m.time_column else "，存量指标，不按时间筛选）"
        lines.append(line)
    return "\n".join(lines)


def render_regions(linked: Linked) -> str:
    lines = ["地区（t 为事实表；按市分组：JOIN regions r ON t.region_code = r.region_code "
             "JOIN regions c ON r.parent_code = c.region_code，GROUP BY c.region_name）："]
    lines += [f"- {line}" for line in linked.regions]
    return "\n".join(lines) if "regions" in linked.tables or linked.regions else ""


# ── Calling the model ───────────────────────────────────────────────────────────────
class ModelCallError(Exception):
    """A failed model call; message is the Chinese text for the officer."""


def _is_loopback(url: str | None) -> bool:
    host = (urlparse(url or "").hostname or "").lower()
    return host in ("127.0.0.1", "localhost", "::1")


def model_error_message(exc: BaseException, settings: Settings) -> str:
    import httpx
    import openai
    if isinstance(exc, (openai.APITimeoutError, httpx.TimeoutException, TimeoutError)):
        return (f"大模型接口在 {settings.llm_timeout_s:g} 秒内没有响应（超时），请稍后再试，"
                "或改用规则模式（--backend rules）。")
    if isinstance(exc, openai.APIConnectionError) or isinstance(exc, (ConnectionError, httpx.ConnectError)):
        return (f"无法连接大模型接口（{settings.llm_base_url}），请确认服务已启动"
                "（本机模型可运行 wenshu llm serve），或改用规则模式（--backend rules）。")
    if isinstance(exc, openai.AuthenticationError):
        return "大模型接口拒绝了访问密钥（HTTP 401），请检查 OPENAI_API_KEY。"
    if isinstance(exc, openai.PermissionDeniedError):
        return "大模型接口拒绝访问（HTTP 403），请检查访问密钥的权限。"
    if isinstance(exc, openai.NotFoundError):
        return f"大模型接口找不到模型“{settings.llm_model}”（HTTP 404），请检查 WENSHU_LLM_MODEL 和 OPENAI_BASE_URL。"
    if isinstance(exc, openai.RateLimitError):
        return "大模型接口繁忙（HTTP 429，请求过多或额度不足），请稍后再试。"
    if isinstance(exc, openai.APIStatusError):
        return f"大模型接口出错（HTTP {exc.status_code}），请稍后再试，或改用规则模式（--backend rules）。"
    return f"调用大模型失败（{type(exc).__name__}），请稍后再试，或改用规则模式（--backend rules）。"


@dataclass
class LLMClient:
    """One OpenAI-compatible chat endpoint via langchain-openai; returns text, raises ModelCallError."""
    settings: Settings
    calls: list[dict[str, Any]] = field(default_factory=list)   # per call: step, seconds, chars

    def _chat(self, max_tokens: int, streaming: bool, reuse_prefix: bool) -> Any:
        from langchain_openai import ChatOpenAI
        s = self.settings
        # llama.cpp reuses a cached prompt prefix by default, which changes the numerics: with it,
        # temperature 0 does not repeat across unrelated questions, so first calls send
        # cache_prompt false. A repair round extends the previous request of the same question,
        # so reusing that prefix is repeatable and saves re-reading the whole prompt on a slow CPU.
        # Local servers accept the extra field; hosted APIs may reject unknown fields.
        extra = {"cache_prompt": reuse_prefix} if _is_loopback(s.llm_base_url) else None
        return ChatOpenAI(base_url=s.llm_base_url, api_key=s.llm_api_key or "not-needed", model=s.llm_model,
                          timeout=s.llm_timeout_s, temperature=s.llm_temperature, max_retries=0,
                          max_tokens=max_tokens, streaming=streaming, extra_body=extra)

    def complete(self, messages: list[Any], *, step: str, max_tokens: int,
                 on_token: Callable[[str], None] | None = None, reuse_prefix: bool = False) -> str:
        start = time.perf_counter()
        try:
            if on_token is not None:
                parts: list[str] = []
                for chunk in self._chat(max_tokens, True, reuse_prefix).stream(messages):
                    piece = chunk.content if isinstance(chunk.content, str) else ""
                    if piece:
                        parts.append(piece)
                        on_token(piece)
                text = "".join(parts)
            else:
                reply = self._chat(max_tokens, False, reuse_prefix).invoke(messages)
                text = reply.content if isinstance(reply.content, str) else str(reply.content)
        except Exception as exc:  # every transport/API failure becomes a message, never a traceback
            raise ModelCallError(model_error_message(exc, self.settings)) from exc
        finally:
            self.calls.append({"step": step, "seconds": round(time.perf_counter() - start, 3)})
        return text


# ── The planner ─────────────────────────────────────────────────────────────────────
@dataclass
class Attempt:
    reply: str
    sql: str | None
    error: str | None


class LLMPlanner:
    """Planner backed by any OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen, vLLM, Ollama, llama.cpp)."""
    name = "llm"

    def __init__(self, settings: Settings, *, prompt_version: str = PROMPT_VERSION) -> None:
        self.settings = settings
        self.prompt_version = prompt_version
        self._index: RetrievalIndex | None = None
        self._terms: list[str] | None = None
        self.last_trace: dict[str, Any] = {}

    # retrieval, reopened only when the corpus changed
    def index(self, docs: SchemaDocs) -> RetrievalIndex:
        fingerprint = corpus_fingerprint(build_corpus(docs, load_confirmed(self.settings)))
        if self._index is None or self._index.fingerprint != fingerprint:
            self._index = RetrievalIndex.open(self.settings, docs)
        return self._index

    def _prompt(self, name: str) -> string.Template:
        return load_prompt(name, self.prompt_version)

    def plan(self, question: str, ctx: Any) -> PlannerResult:
        settings = ctx.settings if getattr(ctx, "settings", None) is not None else self.settings
        client = LLMClient(settings)
        self.last_trace = {"calls": client.calls, "prompt_version": self.prompt_version}
        if not settings.llm_base_url:
            return PlannerResult(kind="error", backend=BACKEND,
                                 message="未配置大模型接口（OPENAI_BASE_URL），无法使用大模型模式；可改用规则模式（--backend rules）。")
        try:
            return self._plan(question.strip(), ctx, settings, client)
        except ModelCallError as exc:
            return PlannerResult(kind="error", backend=BACKEND, message=str(exc))
        except Exception as exc:  # last line of defence: the officer sees a sentence, not a traceback
            return PlannerResult(kind="error", backend=BACKEND,
                                 message=f"大模型模式处理这个问题时出错（{type(exc).__name__}），请换个问法或改用规则模式。")

    def _plan(self, question: str, ctx: Any, settings: Settings, client: LLMClient) -> PlannerResult:
        docs: SchemaDocs = ctx.docs
        if not question:
            return PlannerResult(kind="clarify", backend=BACKEND, message="请输入要查询的问题。")
        # 1. intent — the keyword pre-check on the words as typed, before anything is generated
        refusal = unsafe_refusal(question)
        if refusal is not None:
            self.last_trace["intent"] = "unsafe"
            return refusal
        if _CHITCHAT.match(question):
            self.last_trace["intent"] = "chitchat"
            text, suggestions = chitchat_reply(docs)
            return PlannerResult(kind="reply", backend=BACKEND, message=text, suggestions=suggestions)
        # 2. a follow-up ("那去年呢？") only means something once rewritten into a standalone question
        standalone = self.rewrite(question, list(getattr(ctx, "history", []) or []), client)
        self.last_trace["standalone_question"] = standalone
        intent = self.intent(standalone, docs, client)
        self.last_trace["intent"] = intent
        if intent == "unsafe":
            return PlannerResult(kind="refuse", backend=BACKEND, message=REFUSE_UNSAFE)
        if intent == "chitchat":
            text, suggestions = chitchat_reply(docs)
            return PlannerResult(kind="reply", backend=BACKEND, message=text, suggestions=suggestions)
        if intent == "unclear":  # SQL for "情况怎么样" would be a guess shown as a fact
            return PlannerResult(kind="clarify", backend=BACKEND, standalone_question=standalone,
                                 message=ASK_BACK, suggestions=chitchat_reply(docs)[1])
        # 3 + 4. retrieval and schema linking
        try:
            index = self.index(docs)
        except Exception as exc:
            return PlannerResult(kind="error", backend=BACKEND, standalone_question=standalone,
                                 message=f"检索索引不可用（{type(exc).__name__}），请运行 wenshu index 重建后再试。")
        try:
            linked = link_schema(standalone, ctx.as_of, docs, index)
        except Exception:
            # Another process (`wenshu index`) may have rebuilt the store under us: reopen once.
            self._index = None
            linked = link_schema(standalone, ctx.as_of, docs, self.index(docs))
        messages = self.messages(standalone, ctx.as_of, docs, linked)
        self.last_trace.update(database=linked.database, tables=linked.tables,
                               examples=[e.ref for e in linked.examples],
                               metrics=[m.id for m in linked.metrics])
        # 5. generate → validate → repair
        on_token = getattr(ctx, "on_token", None) if settings.llm_stream else None
        validate = getattr(ctx, "validate", None)
        attempts: list[Attempt] = []
        for round_no in range(settings.llm_max_repairs + 1):
            reply = client.complete(messages, step="sql" if round_no == 0 else f"repair{round_no}",
                                    max_tokens=MAX_SQL_TOKENS, on_token=on_token, reuse_prefix=round_no > 0)
            sql = extract_sql(reply)
            if sql is None:
                error = "回复中没有找到 SQL 语句。"
            else:
                verb = write_statement(sql)
                if verb:
                    self.last_trace["attempts"] = attempts + [Attempt(reply, sql, f"write:{verb}")]
                    return PlannerResult(
                        kind="refuse", backend=BACKEND, standalone_question=standalone,
                        message=f"大模型生成了修改数据的语句（{verb}），已拒绝执行。问数只做只读查询。")
                error, database, tree = self.check(sql, linked.database, validate, ctx, docs)
                if error is None and tree is not None and database is not None:
                    attempts.append(Attempt(reply, sql, None))
                    self.last_trace["attempts"] = attempts
                    return self.result(standalone, sql, database, tree, docs, linked)
            attempts.append(Attempt(reply, sql, error))
            messages = messages + [self._ai(reply), self._human(self._prompt("repair").substitute(error=error))]
        self.last_trace["attempts"] = attempts
        last = attempts[-1].error or ""
        if attempts[-1].sql is None:
            return PlannerResult(kind="error", backend=BACKEND, standalone_question=standalone,
                                 message="大模型没有给出可以执行的查询语句（回复格式不对），请换个问法再试，或改用规则模式。")
        return PlannerResult(kind="error", backend=BACKEND, standalone_question=standalone,
                             message=f"大模型生成的查询经 {len(attempts)} 次尝试仍未通过检查：{last}")

    # ── steps ──
    def intent(self, question: str, docs: SchemaDocs, client: LLMClient) -> str:
        """data / unclear / chitchat / unsafe: keywords decide when they can; the model decides the rest."""
        if unsafe_refusal(question) is not None:
            return "unsafe"
        if _CHITCHAT.match(question):
            return "chitchat"
        if self._terms is None:
            self._terms = lexical_terms(docs)
        if _DATA_WORDS.search(question) or any(t in question for t in self._terms):
            return "data"
        reply = client.complete([self._human(self._prompt("intent").substitute(question=question))],
                                step="intent", max_tokens=8).strip().lower()
        for label in ("unsafe", "chitchat"):
            if label in reply:
                return label
        # Nothing here names a figure, table, place or code value the schema knows, so any SQL would
        # be a guess shown as a fact; ask back whether the model said "data" or "unclear" (the 1.5B
        # model said "data" to 20 of the eval's 21 vague questions).
        return "unclear"

    def rewrite(self, question: str, history: list[Any], client: LLMClient) -> str:
        if not history:
            return question
        recent = [getattr(t, "standalone_question", None) or getattr(t, "question", "") for t in history[-3:]]
        text = self._prompt("rewrite").substitute(
            history="\n".join(f"{i}. {q}" for i, q in enumerate(recent, 1) if q), question=question)
        reply = client.complete([self._human(text)], step="rewrite", max_tokens=120).strip()
        reply = reply.strip("`\"'“”「」 \n").splitlines()[0].strip() if reply.strip() else ""
        reply = re.sub(r"^(?:改写后的问题|问题)[:：]\s*", "", reply)
        return reply if 0 < len(reply) <= 200 else question

    def messages(self, question: str, as_of: dt.date, docs: SchemaDocs, linked: Linked) -> list[Any]:
        system = self._prompt("sql_system").substitute(dialect="DuckDB")
        user = self._prompt("sql_user").substitute(
            database=linked.database, dialect="DuckDB", schema=render_schema(linked, docs),
            metrics=render_metrics(linked, as_of), regions=render_regions(linked),
            time_rules="\n".join(f"- {r}" for r in linked.time_rules), as_of=as_of.isoformat(),
            question=question)
        user = re.sub(r"\n{3,}", "\n\n", user)
        out: list[Any] = [self._system(system)]
        for ex in linked.examples:
            ex_as_of = self._example_as_of(ex) or as_of
            out.append(self._human(f"问题（参考日期 {ex_as_of.isoformat()}）：{ex.text}"))
            out.append(self._ai(f"```sql\n{ex.sql}\n```"))
        out.append(self._human(user))
        return out

    @staticmethod
    def _example_as_of(item: IndexItem) -> dt.date | None:
        try:
            return dt.date.fromisoformat(item.as_of) if item.as_of else None
        except ValueError:
            return None

    def check(self, sql: str, default_db: str, validate: Callable[[str, str], str | None] | None, ctx: Any,
              docs: SchemaDocs) -> tuple[str | None, str | None, exp.Expression | None]:
        """(error, database, tree): parse, pick the database, then guard + dry run."""
        try:
            trees = [t for t in sqlglot.parse(sql, read=DIALECT) if t is not None]
        except sqlglot.errors.SqlglotError as exc:
            return f"SQL 语法错误：{str(exc).splitlines()[0][:300]}", None, None
        if len(trees) != 1:
            return "只能写一条查询语句。", None, None
        tree = trees[0]
        database = database_of_sql(tree, default_db)
        if database is None:
            return "一条查询不能同时使用 hotline 库和 posts 库的表，请只用一个库。", None, None
        if validate is not None:
            error = validate(database, sql)
        else:
            error = self._guard_only(sql, database, ctx, docs)
        return error, database, tree

    def _guard_only(self, sql: str, database: str, ctx: Any, docs: SchemaDocs) -> str | None:
        from .guard import GuardRefusal, guard_sql
        try:
            guard_sql(sql, database=database, docs=docs, dialect=DIALECT, scope=getattr(ctx, "scope", None),
                      row_limit=self.settings.row_limit)
        except GuardRefusal as exc:
            return exc.message
        return None

    def result(self, question: str, sql: str, database: str, tree: exp.Expression, docs: SchemaDocs,
               linked: Linked) -> PlannerResult:
        definitions = [Definition(m.name, m.formula) for m in linked.metrics
                       if _mentioned(question, (m.name, *m.synonyms))]
        return PlannerResult(kind="sql", backend=BACKEND, database=database, sql=sql,
                             definitions=definitions, period=infer_period(tree), shape=infer_shape(tree),
                             confidence=0.6, standalone_question=question)

    @staticmethod
    def _system(text: str) -> Any:
        from langchain_core.messages import SystemMessage
        return SystemMessage(content=text)

    @staticmethod
    def _human(text: str) -> Any:
        from langchain_core.messages import HumanMessage
        return HumanMessage(content=text)

    @staticmethod
    def _ai(text: str) -> Any:
        from langchain_core.messages import AIMessage
        return AIMessage(content=text)
