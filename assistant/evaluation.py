"""`wenshu eval`: execution accuracy of a planner against gold SQL, with reports for people and machines.

Every case goes down the real `pipeline.ask` path (history first, in a fresh session), the gold SQL
runs directly on the same demo DuckDB, and the two results are compared as multisets of rows,
ignoring column order and extra predicted columns, with numeric tolerance, ratio ↔ percentage and
date-format leniency. Reports: JSON (machines), Markdown, and one self-contained HTML page.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import html
import itertools
import json
import math
import re
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from .config import EVAL_DIR, PROJECT_ROOT, Settings
from .db import Databases
from .models import Answer, json_value

# The demo data every evaluation runs on: fixed, so figures are comparable between runs.
EVAL_SEED = 7
EVAL_END = dt.date(2026, 6, 30)
EVAL_TICKETS = 20000
EVAL_POSTS = 1500


def eval_key() -> str:
    """The cache key of the evaluation databases (see demo_data.demo_key)."""
    from .demo_data import demo_key
    return demo_key(seed=EVAL_SEED, end=EVAL_END, tickets=EVAL_TICKETS, posts=EVAL_POSTS)


EXPECTS = ("refuse", "clarify")
CHART_TYPES = ("metric", "line", "bar", "donut", "grouped_bar", "heatmap", "table")
REPORT_ROWS = 20          # rows of each result kept in the report
REL_TOL, ABS_TOL = 1e-4, 1e-6
THRESHOLD_PATH = EVAL_DIR / "threshold.json"


class EvalDatasetError(ValueError):
    """A dataset line that does not follow the format (message names file and line)."""


# ── dataset ─────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class EvalCase:
    id: str
    question: str
    db: str
    gold_sql: str | None
    as_of: dt.date
    history: tuple[str, ...] = ()
    expect: str | None = None          # None = answer with SQL; refuse / clarify
    order_matters: bool = False
    tags: tuple[str, ...] = ()
    chart: str | None = None
    source: str = ""                    # dataset file stem


def _case_from(obj: Any, source: str, where: str) -> EvalCase:
    if not isinstance(obj, dict):
        raise EvalDatasetError(f"{where}: 每行应是一个 JSON 对象")
    for key in ("id", "question", "db", "as_of"):
        if not isinstance(obj.get(key), str) or not obj[key].strip():
            raise EvalDatasetError(f"{where}: 缺少字段 {key}")
    if obj["db"] not in ("hotline", "posts"):
        raise EvalDatasetError(f"{where}: db 只能是 hotline 或 posts")
    expect = obj.get("expect")
    if expect is not None and expect not in EXPECTS:
        raise EvalDatasetError(f"{where}: expect 只能是 refuse 或 clarify")
    gold = obj.get("gold_sql")
    if expect is None and (not isinstance(gold, str) or not gold.strip()):
        raise EvalDatasetError(f"{where}: 没有 expect 的用例必须有 gold_sql")
    chart = obj.get("chart")
    if chart is not None and chart not in CHART_TYPES:
        raise EvalDatasetError(f"{where}: chart 只能是 {'/'.join(CHART_TYPES)}")
    history = obj.get("history") or []
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise EvalDatasetError(f"{where}: history 应是问题字符串的列表")
    try:
        as_of = dt.date.fromisoformat(obj["as_of"])
    except ValueError:
        raise EvalDatasetError(f"{where}: as_of 不是 YYYY-MM-DD 日期") from None
    return EvalCase(id=obj["id"], question=obj["question"], db=obj["db"], gold_sql=gold if expect is None else None,
                    as_of=as_of, history=tuple(history), expect=expect,
                    order_matters=bool(obj.get("order_matters", False)),
                    tags=tuple(str(t) for t in obj.get("tags") or ()), chart=chart, source=source)


def load_cases(paths: Sequence[Path]) -> list[EvalCase]:
    """All cases of the given JSONL files, checked; ids must be unique across the files."""
    cases: list[EvalCase] = []
    seen: dict[str, str] = {}
    for path in paths:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise EvalDatasetError(f"无法读取数据集 {path}: {error.strerror or error}") from None
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as error:
                raise EvalDatasetError(f"{where}: 不是合法的 JSON（{error.msg}）") from None
            case = _case_from(obj, path.stem, where)
            if case.id in seen:
                raise EvalDatasetError(f"{where}: 用例 id {case.id} 与 {seen[case.id]} 重复")
            seen[case.id] = where
            cases.append(case)
    return cases


def default_datasets(directory: Path = EVAL_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


# ── comparing results ────────────────────────────────────────────────────────────────
_MONTH = re.compile(r"^(\d{4})[-/年.](\d{1,2})月?$")
_DATE = re.compile(r"^(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})日?(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_QUARTER = re.compile(r"^(\d{4})\s*(?:-|年)?\s*(?:Q|q|第)?\s*([1-4一二三四])\s*(?:季度|季)?$")
_YEAR = re.compile(r"^(\d{4})年$")
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_PERCENT = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*%$")
_CN_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4}
_TRUE, _FALSE = {"是", "true", "True", "TRUE", "yes", "Y"}, {"否", "false", "False", "FALSE", "no", "N"}


def normalize_value(value: Any) -> Any:
    """A result cell as a comparable value: None, bool, float, dt.date, dt.datetime or str."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, decimal.Decimal)):
        return float(value)
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return normalize_value(value.item())
    if isinstance(value, dt.datetime):
        if hasattr(value, "to_pydatetime"):
            value = value.to_pydatetime()
        value = value.replace(tzinfo=None)
        return value.date() if value.time() == dt.time(0) else value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return _normalize_text(value.strip())
    return _normalize_text(str(value).strip())


def _normalize_text(text: str) -> Any:
    if _NUMBER.match(text):
        return float(text)
    if m := _PERCENT.match(text):
        return float(m.group(1)) / 100
    if m := _DATE.match(text):
        with contextlib.suppress(ValueError):
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if _DATETIME.match(text):
        with contextlib.suppress(ValueError):
            return normalize_value(dt.datetime.fromisoformat(text))
    if m := _MONTH.match(text):
        with contextlib.suppress(ValueError):
            return dt.date(int(m.group(1)), int(m.group(2)), 1)
    if m := _QUARTER.match(text):
        q = _CN_QUARTER.get(m.group(2)) or int(m.group(2))
        return dt.date(int(m.group(1)), 3 * q - 2, 1)
    if m := _YEAR.match(text):
        return float(m.group(1))
    return text


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(ABS_TOL, REL_TOL * max(abs(a), abs(b)))


def _rounded(gold: float, pred: float) -> bool:
    """pred is gold rounded to 2 decimals (as answers often show figures)."""
    return abs(pred * 100 - round(pred * 100)) < 1e-6 and abs(gold - pred) <= 0.005 + 1e-9


def values_equal(gold: Any, pred: Any, scale: float = 1.0) -> bool:
    """Two normalized cells equal; `scale` 100 compares a gold ratio with a predicted percentage."""
    if gold is None or pred is None:
        return gold is None and pred is None
    if isinstance(gold, bool) or isinstance(pred, bool):
        if isinstance(gold, bool) and isinstance(pred, bool):
            return gold == pred
        other, flag = (pred, gold) if isinstance(gold, bool) else (gold, pred)
        if isinstance(other, str):
            return other in (_TRUE if flag else _FALSE)
        if isinstance(other, float):
            return other == float(flag)
        return False
    if isinstance(gold, float) and isinstance(pred, float):
        g = gold * scale
        return _close(g, pred) or _rounded(g, pred)
    if isinstance(gold, dt.date) and isinstance(pred, float) or isinstance(gold, float) and isinstance(pred, dt.date):
        # a year as a number against the first day of that year
        day, year = (gold, pred) if isinstance(gold, dt.date) else (pred, gold)
        return not isinstance(day, dt.datetime) and day.month == 1 and day.day == 1 and year == day.year
    if type(gold) is not type(pred):
        return False
    return gold == pred


def _sort_key(value: Any) -> tuple:
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, float):
        return (2, value)
    if isinstance(value, dt.datetime):
        return (3, value.isoformat())
    if isinstance(value, dt.date):
        return (3, value.isoformat())
    return (4, str(value))


_RATIO_NAME = re.compile(r"(rate|share|ratio|率|占比|比例)$", re.IGNORECASE)


def _is_ratio_column(name: str, values: list[Any]) -> bool:
    """A gold column of ratios, which an answer may show as percentages."""
    nums = [v for v in values if isinstance(v, float)]
    if not nums or not all(abs(v) <= 10 for v in nums):
        return False
    return bool(_RATIO_NAME.search(name)) or any(v != round(v) for v in nums)


def _column_matches(gold: list[Any], pred: list[Any], scale: float) -> bool:
    """The two columns hold the same multiset of values (sorted pairing is exact for 1-D tolerance)."""
    if len(gold) != len(pred):
        return False
    return all(values_equal(g, p, scale) for g, p in zip(sorted(gold, key=_sort_key), sorted(pred, key=_sort_key)))


def _rows_match(gold_rows: list[tuple], pred_rows: list[tuple], scales: Sequence[float], ordered: bool) -> bool:
    if len(gold_rows) != len(pred_rows):
        return False
    if ordered:
        return all(values_equal(g, p, s) for gr, pr in zip(gold_rows, pred_rows) for g, p, s in zip(gr, pr, scales))
    # Bucket rows by their exact non-numeric cells; inside a bucket pair rows by sorted numbers.
    numeric = [i for i in range(len(scales)) if any(isinstance(r[i], float) for r in gold_rows)]
    exact = [i for i in range(len(scales)) if i not in numeric]

    def bucket_key(row: tuple) -> tuple:
        return tuple(_exact_key(row[i]) for i in exact)

    buckets: dict[tuple, list[tuple]] = defaultdict(list)
    for row in gold_rows:
        buckets[bucket_key(row)].append(row)
    pred_buckets: dict[tuple, list[tuple]] = defaultdict(list)
    for row in pred_rows:
        pred_buckets[bucket_key(row)].append(row)
    if Counter({k: len(v) for k, v in buckets.items()}) != Counter({k: len(v) for k, v in pred_buckets.items()}):
        return False
    for key, rows in buckets.items():
        other = pred_buckets[key]
        g_sorted = sorted(rows, key=lambda r: tuple(_sort_key(r[i]) for i in numeric))
        p_sorted = sorted(other, key=lambda r: tuple(_sort_key(_scaled(r[i], 1 / scales[i])) for i in numeric))
        if not all(values_equal(gr[i], pr[i], scales[i]) for gr, pr in zip(g_sorted, p_sorted) for i in numeric):
            return False
    return True


def _scaled(value: Any, factor: float) -> Any:
    return value * factor if isinstance(value, float) else value


def _exact_key(value: Any) -> Any:
    # A year may come as a number or as the first day of that year: both land in one bucket.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime) and value.month == 1 and value.day == 1:
        return ("year", value.year)
    if isinstance(value, float) and value.is_integer() and 1900 <= value <= 2100:
        return ("year", int(value))
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, str) and (value in _TRUE or value in _FALSE):
        return ("bool", value in _TRUE)
    if isinstance(value, dt.date):
        return (type(value).__name__, value.isoformat())
    return (type(value).__name__, value)


@dataclass
class Comparison:
    ok: bool
    reason: str = ""                              # why not, in a few words
    mapping: list[int] = field(default_factory=list)   # gold column index → predicted column index


def compare_results(gold_columns: Sequence[str], gold_rows: Sequence[Sequence[Any]],
                    pred_columns: Sequence[str], pred_rows: Sequence[Sequence[Any]],
                    *, order_matters: bool = False) -> Comparison:
    """Gold equals prediction: some injective map gold column → predicted column makes the rows equal."""
    g_rows = [tuple(normalize_value(v) for v in r) for r in gold_rows]
    p_rows = [tuple(normalize_value(v) for v in r) for r in pred_rows]
    k, m = len(gold_columns), len(pred_columns)
    if not g_rows and not p_rows:
        return Comparison(True)
    if not p_rows and len(g_rows) == 1 and all(v is None for v in g_rows[0]):
        return Comparison(True, "gold is one all-NULL row, prediction is empty")
    if len(g_rows) != len(p_rows):
        return Comparison(False, f"行数不同：标准答案 {len(g_rows)} 行，预测 {len(p_rows)} 行")
    if m < k:
        return Comparison(False, f"列数不足：标准答案 {k} 列，预测 {m} 列")
    gold_cols = [[r[i] for r in g_rows] for i in range(k)]
    pred_cols = [[r[j] for r in p_rows] for j in range(m)]
    candidates: list[list[tuple[int, float]]] = []
    for i, gcol in enumerate(gold_cols):
        scales = (1.0, 100.0) if _is_ratio_column(str(gold_columns[i]), gcol) else (1.0,)
        options = [(j, s) for j in range(m) for s in scales if _column_matches(gcol, pred_cols[j], s)]
        if not options:
            return Comparison(False, f"找不到与标准答案列 {gold_columns[i]} 取值相同的预测列")
        candidates.append(options)
    # Few columns, usually one candidate each: try the injective assignments in order.
    tried = 0
    for combo in itertools.product(*candidates):
        targets = [j for j, _ in combo]
        if len(set(targets)) != k:
            continue
        tried += 1
        if tried > 5000:
            break
        projected = [tuple(r[j] for j in targets) for r in p_rows]
        scales = [s for _, s in combo]
        if _rows_match(g_rows, projected, scales, ordered=False):
            if order_matters and not _rows_match(g_rows, projected, scales, ordered=True):
                return Comparison(False, "行相同但顺序不同", targets)
            return Comparison(True, "", targets)
    return Comparison(False, "各列取值都对得上，但组合成行后不一致")


# ── running ──────────────────────────────────────────────────────────────────────────
class Answerer(Protocol):
    def __call__(self, question: str, *, as_of: dt.date, session: str, backend: str) -> Answer: ...


@dataclass
class CaseResult:
    id: str
    source: str
    question: str
    db: str
    tags: list[str]
    history: list[str]
    as_of: str
    expect: str | None
    order_matters: bool
    kind: str                      # sql / refuse / clarify
    correct: bool
    reason: str                    # empty when correct
    status: str | None = None      # the answer's status
    backend: str | None = None
    answer: str = ""
    pred_sql: str | None = None
    pred_columns: list[str] = field(default_factory=list)
    pred_rows: list[list[Any]] = field(default_factory=list)
    pred_row_count: int = 0
    gold_sql: str | None = None
    gold_columns: list[str] = field(default_factory=list)
    gold_rows: list[list[Any]] = field(default_factory=list)
    gold_row_count: int = 0
    gold_error: str | None = None
    sql_generated: bool = False    # the planner wrote SQL (ran, failed, or refused by the guard)
    valid_sql: bool | None = None  # that SQL passed the guard and ran (sql cases only)
    guard_refused: bool = False    # the guard refused the planner's SQL
    chart_expected: str | None = None
    chart_type: str | None = None
    chart_ok: bool | None = None
    latency_ms: float = 0.0


_CASE_FIELDS = frozenset(CaseResult.__dataclass_fields__)


@dataclass
class EvalReport:
    meta: dict[str, Any]
    metrics: dict[str, Any]        # the summary figures (JSON key "summary")
    by_tag: dict[str, dict[str, Any]]
    by_source: dict[str, dict[str, Any]]
    cases: list[CaseResult]

    def to_json(self) -> dict[str, Any]:
        return {"meta": self.meta, "summary": self.metrics, "by_tag": self.by_tag, "by_source": self.by_source,
                "cases": [asdict(c) for c in self.cases]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "EvalReport":
        return cls(meta=data.get("meta", {}), metrics=data.get("summary", {}), by_tag=data.get("by_tag", {}),
                   by_source=data.get("by_source", {}),
                   cases=[CaseResult(**{k: v for k, v in c.items() if k in _CASE_FIELDS}) for c in data.get("cases", [])])

    @property
    def execution_accuracy(self) -> float:
        return float(self.metrics.get("execution_accuracy") or 0.0)

    def summary(self) -> str:
        """One Chinese line with the headline figures (what `wenshu eval` prints)."""
        m = self.metrics
        right = sum(c.correct for c in self.cases if c.kind == "sql")
        return (f"执行准确率 {_pct(m.get('execution_accuracy'))}（{right}/{m.get('sql_cases')}），"
                f"拒绝准确率 {_pct(m.get('refusal_accuracy'))}，澄清准确率 {_pct(m.get('clarification_accuracy'))}，"
                f"有效 SQL {_pct(m.get('valid_sql_rate'))}，图表 {_pct(m.get('chart_accuracy'))}，"
                f"耗时 p50 {m.get('latency_p50_ms')} ms / p95 {m.get('latency_p95_ms')} ms"
                f"（后端 {self.meta.get('backend')}，{m.get('cases')} 个用例）")


def ensure_demo_dir(settings: Settings) -> Path:
    """The cached evaluation demo databases (hotline.duckdb, posts.duckdb), generated on first use."""
    from .demo_data import cached_demo_dir
    return cached_demo_dir(settings.data_dir / "eval-cache", seed=EVAL_SEED, end=EVAL_END,
                           tickets=EVAL_TICKETS, posts=EVAL_POSTS)


def pipeline_answerer(settings: Settings) -> Answerer:
    """The real path: pipeline.ask with an App on these settings."""
    from .pipeline import App, ask
    app = App(settings)

    def answer(question: str, *, as_of: dt.date, session: str, backend: str) -> Answer:
        return ask(question, app=app, as_of=as_of, session=session, backend=backend)
    return answer


GOLD_MAX_ROWS = 100_000


def _run_gold(databases: Databases, db: str, sql: str) -> tuple[list[str], list[list[Any]]]:
    # Through the same kind of read-only engine as the pipeline: DuckDB refuses a second in-process
    # connection to one file with a different configuration.
    columns, rows, _ = databases.execute(db, sql, max_rows=GOLD_MAX_ROWS)
    return columns, rows


def _json_rows(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    return [[json_value(v) for v in r] for r in rows[:REPORT_ROWS]]


def _is_guard_refusal(answer: Answer) -> bool:
    # The pipeline's planner refusals carry no database; a guard refusal of generated SQL does.
    return answer.status == "refused" and answer.database is not None


def evaluate_case(case: EvalCase, answerer: Answerer, gold_db: Databases, *, backend: str,
                  session: str) -> CaseResult:
    for earlier in case.history:
        with contextlib.suppress(Exception):  # a failing earlier turn shows in the case's own answer
            answerer(earlier, as_of=case.as_of, session=session, backend=backend)
    t0 = time.perf_counter()
    try:
        answer = answerer(case.question, as_of=case.as_of, session=session, backend=backend)
    except Exception as error:  # a crash is a wrong answer, not a crashed evaluation
        answer = Answer(status="error", answer=f"异常：{type(error).__name__}: {error}")
    latency = (time.perf_counter() - t0) * 1000
    kind = case.expect or "sql"
    result = CaseResult(
        id=case.id, source=case.source, question=case.question, db=case.db, tags=list(case.tags),
        history=list(case.history), as_of=case.as_of.isoformat(), expect=case.expect,
        order_matters=case.order_matters, kind=kind, correct=False, reason="", status=answer.status,
        backend=answer.backend, answer=answer.answer or "", pred_sql=answer.sql,
        pred_columns=list(answer.columns), pred_rows=_json_rows(answer.rows), pred_row_count=len(answer.rows),
        gold_sql=case.gold_sql, guard_refused=_is_guard_refusal(answer), chart_expected=case.chart,
        chart_type=answer.chart_type, latency_ms=round(latency, 2))
    if case.expect:
        wanted = {"refuse": "refused", "clarify": "clarify"}[case.expect]
        result.correct = answer.status == wanted
        result.reason = "" if result.correct else f"应为 {wanted}，实际 {answer.status}"
        return result
    try:
        gold_columns, gold_rows = _run_gold(gold_db, case.db, case.gold_sql or "")
    except Exception as error:
        result.gold_error = str(error).splitlines()[0][:300]
        result.reason = "标准答案 SQL 执行失败"
        return result
    result.gold_columns, result.gold_rows, result.gold_row_count = gold_columns, _json_rows(gold_rows), len(gold_rows)
    result.sql_generated = bool(answer.sql) or result.guard_refused
    result.valid_sql = answer.status == "ok" and bool(answer.sql)
    if answer.status != "ok":
        result.reason = ("生成的 SQL 被安全检查拒绝" if result.guard_refused
                         else "SQL 执行出错" if answer.status == "error" and answer.sql
                         else f"未给出结果（{answer.status}）")
    elif not answer.sql:
        result.reason = "没有生成 SQL"
    else:
        comparison = compare_results(gold_columns, gold_rows, answer.columns, answer.rows,
                                     order_matters=case.order_matters)
        result.correct = comparison.ok
        result.reason = "" if comparison.ok else comparison.reason
    if case.chart and answer.status == "ok":
        result.chart_ok = answer.chart_type == case.chart
    return result


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q
    lo, hi = math.floor(rank), math.ceil(rank)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo), 2)


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def summarize(cases: Sequence[CaseResult]) -> dict[str, Any]:
    sql = [c for c in cases if c.kind == "sql"]
    refuse = [c for c in cases if c.kind == "refuse"]
    clarify = [c for c in cases if c.kind == "clarify"]
    charted = [c for c in cases if c.chart_ok is not None]
    latencies = [c.latency_ms for c in cases]
    return {
        "cases": len(cases),
        "correct": sum(c.correct for c in cases),
        "accuracy": _rate(sum(c.correct for c in cases), len(cases)),
        "sql_cases": len(sql),
        "execution_accuracy": _rate(sum(c.correct for c in sql), len(sql)),
        "sql_generated_rate": _rate(sum(c.sql_generated for c in sql), len(sql)),
        "valid_sql_rate": _rate(sum(bool(c.valid_sql) for c in sql), sum(c.sql_generated for c in sql)),
        "refuse_cases": len(refuse),
        "refusal_accuracy": _rate(sum(c.correct for c in refuse), len(refuse)),
        "clarify_cases": len(clarify),
        "clarification_accuracy": _rate(sum(c.correct for c in clarify), len(clarify)),
        "false_refusals": sum(c.status == "refused" for c in sql),
        "false_clarifications": sum(c.status == "clarify" for c in sql),
        "guard_refusals": sum(c.guard_refused for c in cases),
        "gold_errors": sum(c.gold_error is not None for c in cases),
        "chart_cases": len(charted),
        "chart_accuracy": _rate(sum(bool(c.chart_ok) for c in charted), len(charted)),
        "latency_p50_ms": _percentile(latencies, 0.5),
        "latency_p95_ms": _percentile(latencies, 0.95),
        "latency_max_ms": round(max(latencies), 2) if latencies else None,
    }


def _breakdown(cases: Sequence[CaseResult], key: Callable[[CaseResult], list[str]]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for case in cases:
        for name in key(case):
            groups[name].append(case)
    return {name: {"cases": len(g), "correct": sum(c.correct for c in g), "accuracy": _rate(sum(c.correct for c in g), len(g))}
            for name, g in sorted(groups.items())}


def _git_commit() -> str | None:
    with contextlib.suppress(Exception):
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, timeout=5)
        if out.returncode == 0:
            return out.stdout.strip()
    return None


def build_report(results: list[CaseResult], meta: dict[str, Any]) -> EvalReport:
    """Figures, per-tag and per-dataset breakdowns of scored cases (a run, or a checkpoint's part)."""
    return EvalReport(
        meta=meta, metrics=summarize(results),
        by_tag=_breakdown(results, lambda c: list(dict.fromkeys([*c.tags, f"db:{c.db}", f"kind:{c.kind}"]))),
        by_source=_breakdown(results, lambda c: [c.source]),
        cases=results)


def load_checkpoint(path: Path, backend: str) -> dict[tuple[str, str], CaseResult]:
    """Scored results of an earlier, interrupted run with the same backend, by (case id, question)."""
    found: dict[tuple[str, str], CaseResult] = {}
    if not path.exists():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue   # a line cut short when the run was killed
        if row.get("run_backend") == backend and isinstance(row.get("case"), dict):
            case = CaseResult(**{k: v for k, v in row["case"].items() if k in _CASE_FIELDS})
            found[(case.id, case.question)] = case
    return found


def append_checkpoint(path: Path, backend: str, result: CaseResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        row = {"run_backend": backend, "case": asdict(result)}
        fh.write(json.dumps(row, ensure_ascii=False, default=json_value) + "\n")


def run_eval(datasets: Sequence[Path] | None, *, backend: str, settings: Settings, out_dir: Path | None = None,
             progress: Callable[[str], None] | None = None, answerer: Answerer | None = None,
             demo_dir: Path | None = None, checkpoint: Path | None = None) -> EvalReport:
    """Run every case of the datasets (default: eval/*.jsonl) and score it; write reports to out_dir.

    checkpoint: a JSONL file that gets each case's result as soon as it is scored; results already
    in it (same case id, question and backend) are reused, so a run of hours can stop and resume.
    """
    paths = [Path(p) for p in (datasets or default_datasets())]
    if not paths:
        raise EvalDatasetError("没有找到评测数据集（eval/*.jsonl）")
    cases = load_cases(paths)
    demo = Path(demo_dir) if demo_dir else ensure_demo_dir(settings)
    started = dt.datetime.now(dt.timezone.utc)
    with tempfile.TemporaryDirectory(prefix="wenshu-eval-") as scratch:
        # Sessions and the audit log of an evaluation run stay out of the officer's data directory.
        run_settings = settings.with_(data_dir=Path(scratch),
                                      hotline_url=f"duckdb:///{demo / 'hotline.duckdb'}",
                                      posts_url=f"duckdb:///{demo / 'posts.duckdb'}")
        answer_fn = answerer or pipeline_answerer(run_settings)
        gold_db = Databases(run_settings)
        run_id = started.strftime("%Y%m%d%H%M%S")
        results: list[CaseResult] = []
        done = load_checkpoint(checkpoint, backend) if checkpoint else {}
        try:
            for number, case in enumerate(cases, 1):
                result = done.get((case.id, case.question))
                if result is None:
                    session = re.sub(r"[^\w\-]", "_", f"eval-{run_id}-{number}-{case.id}")[:64]
                    result = evaluate_case(case, answer_fn, gold_db, backend=backend, session=session)
                    if checkpoint:
                        append_checkpoint(checkpoint, backend, result)
                results.append(result)
                if progress:
                    mark = "✓" if result.correct else "✗"
                    progress(f"[{number}/{len(cases)}] {mark} {case.id} {case.question}"
                             + ("" if result.correct else f" — {result.reason}"))
        finally:
            gold_db.dispose()
    report = build_report(results, {
        "backend": backend, "datasets": [str(p) for p in paths], "started_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "demo": {"seed": EVAL_SEED, "end": EVAL_END.isoformat(), "tickets": EVAL_TICKETS, "posts": EVAL_POSTS},
        "git_commit": _git_commit()})
    if out_dir is not None:
        write_reports(report, Path(out_dir))
    return report


# ── reports ──────────────────────────────────────────────────────────────────────────
def write_reports(report: EvalReport, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "markdown": out_dir / "report.md", "html": out_dir / "report.html"}
    paths["json"].write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=1, default=json_value),
                             encoding="utf-8")
    paths["markdown"].write_text(render_markdown(report), encoding="utf-8")
    paths["html"].write_text(render_html(report), encoding="utf-8")
    return paths


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


SUMMARY_LABELS = (
    ("execution_accuracy", "执行准确率（SQL 类用例）", _pct),
    ("accuracy", "总体准确率（含拒绝/澄清）", _pct),
    ("sql_generated_rate", "生成 SQL 的比例（SQL 类用例）", _pct),
    ("valid_sql_rate", "有效 SQL 比例（生成的 SQL 中通过检查并执行成功的）", _pct),
    ("refusal_accuracy", "拒绝准确率", _pct),
    ("clarification_accuracy", "澄清准确率", _pct),
    ("chart_accuracy", "图表类型准确率", _pct),
    ("guard_refusals", "安全检查拒绝生成 SQL 次数", str),
    ("false_refusals", "应答却拒绝", str),
    ("false_clarifications", "应答却要求澄清", str),
    ("gold_errors", "标准答案出错", str),
    ("latency_p50_ms", "耗时 p50（毫秒）", str),
    ("latency_p95_ms", "耗时 p95（毫秒）", str),
)


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _tag_family(tag: str) -> str:
    return tag.split(":", 1)[0] if ":" in tag else "其他"


def render_markdown(report: EvalReport) -> str:
    s, meta = report.metrics, report.meta
    lines = [f"# 问数评测报告（{meta.get('backend')}）", "",
             f"- 用例：{s.get('cases')}（SQL 类 {s.get('sql_cases')}，拒绝 {s.get('refuse_cases')}，澄清 {s.get('clarify_cases')}）",
             f"- 数据集：{', '.join(Path(p).name for p in meta.get('datasets', []))}",
             f"- 时间：{meta.get('started_at')}　提交：{meta.get('git_commit') or '—'}", "",
             "| 指标 | 数值 |", "|---|---|"]
    lines += [f"| {label} | {fmt(s.get(key)) if s.get(key) is not None else '—'} |" for key, label, fmt in SUMMARY_LABELS]
    lines += ["", "## 按数据集", "", "| 数据集 | 用例 | 正确 | 准确率 |", "|---|---|---|---|"]
    lines += [f"| {_md_cell(k)} | {v['cases']} | {v['correct']} | {_pct(v['accuracy'])} |" for k, v in report.by_source.items()]
    lines += ["", "## 按标签", "", "| 标签 | 用例 | 正确 | 准确率 |", "|---|---|---|---|"]
    lines += [f"| {_md_cell(k)} | {v['cases']} | {v['correct']} | {_pct(v['accuracy'])} |" for k, v in report.by_tag.items()]
    failures = [c for c in report.cases if not c.correct]
    lines += ["", f"## 错误用例（{len(failures)}）", ""]
    for c in failures:
        lines.append(f"### {c.id} {_md_cell(c.question)}")
        if c.history:
            lines.append(f"- 前文：{' → '.join(_md_cell(h) for h in c.history)}")
        lines.append(f"- 原因：{_md_cell(c.reason)}；状态：{c.status}；标签：{', '.join(c.tags)}")
        if c.gold_sql:
            lines += ["- 标准 SQL：", "", "```sql", pretty_sql(c.gold_sql), "```"]
        if c.pred_sql:
            lines += ["- 预测 SQL：", "", "```sql", pretty_sql(c.pred_sql), "```"]
        if c.kind != "sql" or not c.pred_sql:
            lines.append(f"- 回答：{_md_cell(c.answer)[:300]}")
        lines.append("")
    return "\n".join(lines) + "\n"


_CSS = """
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:24px;color:#222;max-width:1280px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f7}.ok{color:#137333}.bad{color:#b3261e}pre{background:#f6f8fa;padding:8px;white-space:pre-wrap;word-break:break-all;font-size:12px;margin:4px 0}
.pair{display:flex;gap:16px;flex-wrap:wrap}.pair>div{flex:1;min-width:320px;overflow-x:auto}.fail{border:1px solid #e3e3e3;border-radius:6px;padding:8px 12px;margin:12px 0}
.family{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}.muted{color:#666;font-size:12px}
"""


def _svg_bars(rows: list[tuple[str, dict[str, Any]]]) -> str:
    """A horizontal bar chart of accuracy per tag, drawn inline (no scripts, no external files)."""
    bar_w, label_w, row_h = 260, 190, 20
    height = row_h * len(rows) + 24
    parts = [f'<svg width="{label_w + bar_w + 90}" height="{height}" role="img">']
    for n, (tag, stats) in enumerate(rows):
        y = 8 + n * row_h
        acc = stats.get("accuracy") or 0.0
        colour = "#1e8e3e" if acc >= 0.8 else "#f9ab00" if acc >= 0.5 else "#d93025"
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" font-size="12" text-anchor="end">{html.escape(tag)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{bar_w}" height="{row_h - 6}" fill="#eceff1"/>')
        parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{bar_w * acc:.1f}" height="{row_h - 6}" fill="{colour}"/>')
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 13}" font-size="12">'
                     f'{_pct(stats.get("accuracy"))} ({stats["correct"]}/{stats["cases"]})</text>')
    parts.append("</svg>")
    return "".join(parts)


def pretty_sql(sql: str | None) -> str:
    """SQL laid out on several lines for reading (unchanged when sqlglot cannot parse it)."""
    if not sql:
        return ""
    try:
        import sqlglot
        return sqlglot.parse_one(sql, read="duckdb").sql(dialect="duckdb", pretty=True)
    except Exception:
        return sql


def _html_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], total: int) -> str:
    if not columns:
        return '<p class="muted">（无结果）</p>'
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in r) + "</tr>"
                   for r in rows)
    more = f'<p class="muted">共 {total} 行，显示前 {len(rows)} 行</p>' if total > len(rows) else ""
    return f"<table><tr>{head}</tr>{body}</table>{more}"


def render_html(report: EvalReport) -> str:
    s, meta, e = report.metrics, report.meta, html.escape
    out = ["<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">",
           f"<title>问数评测报告 {e(str(meta.get('backend')))}</title><style>{_CSS}</style></head><body>",
           f"<h1>问数评测报告（{e(str(meta.get('backend')))}）</h1>",
           f"<p class=\"muted\">{e(str(meta.get('started_at')))} · 提交 {e(str(meta.get('git_commit') or '—'))} · "
           f"数据集 {e(', '.join(Path(p).name for p in meta.get('datasets', [])))}</p>",
           "<table><tr><th>指标</th><th>数值</th></tr>"]
    for key, label, fmt in SUMMARY_LABELS:
        value = s.get(key)
        out.append(f"<tr><td>{e(label)}</td><td>{e(fmt(value) if value is not None else '—')}</td></tr>")
    out.append("</table><h2>按数据集</h2>")
    out.append(_svg_bars(list(report.by_source.items())))
    out.append("<h2>按标签</h2>")
    families: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for tag, stats in report.by_tag.items():
        families[_tag_family(tag)].append((tag, stats))
    for family, rows in sorted(families.items()):
        out.append(f"<h3>{e(family)}</h3><div class=\"family\"><div>{_svg_bars(rows)}</div><div><table>"
                   "<tr><th>标签</th><th>用例</th><th>正确</th><th>准确率</th></tr>")
        out += [f"<tr><td>{e(tag)}</td><td>{st['cases']}</td><td>{st['correct']}</td><td>{_pct(st['accuracy'])}</td></tr>"
                for tag, st in rows]
        out.append("</table></div></div>")
    failures = [c for c in report.cases if not c.correct]
    out.append(f"<h2>错误用例（{len(failures)}）</h2>")
    for c in failures:
        out.append(f'<div class="fail" id="{e(c.id)}"><h3>{e(c.id)} · {e(c.question)}</h3>')
        if c.history:
            out.append(f"<p>前文：{e(' → '.join(c.history))}</p>")
        out.append(f'<p><span class="bad">{e(c.reason)}</span> · 状态 {e(str(c.status))} · as_of {e(c.as_of)} · '
                   f"标签 {e(', '.join(c.tags))}</p>")
        if c.answer:
            out.append(f"<p class=\"muted\">回答：{e(c.answer[:500])}</p>")
        out.append('<div class="pair"><div><b>标准答案</b>')
        out.append(f"<pre>{e(pretty_sql(c.gold_sql) or '（期望：' + str(c.expect) + '）')}</pre>")
        if c.gold_error:
            out.append(f"<p class=\"bad\">{e(c.gold_error)}</p>")
        out.append(_html_table(c.gold_columns, c.gold_rows, c.gold_row_count))
        out.append("</div><div><b>预测</b>")
        out.append(f"<pre>{e(pretty_sql(c.pred_sql) or '（无 SQL）')}</pre>")
        out.append(_html_table(c.pred_columns, c.pred_rows, c.pred_row_count))
        out.append("</div></div></div>")
    out.append("</body></html>")
    return "\n".join(out)


# ── comparing two reports ────────────────────────────────────────────────────────────
COMPARED_METRICS = ("execution_accuracy", "accuracy", "sql_generated_rate", "valid_sql_rate", "refusal_accuracy", "clarification_accuracy",
                    "chart_accuracy", "guard_refusals", "latency_p50_ms", "latency_p95_ms")


def load_report(path: Path) -> EvalReport:
    try:
        return EvalReport.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, TypeError) as error:
        raise EvalDatasetError(f"无法读取评测报告 {path}: {error}") from None


def compare_reports(a: Path, b: Path) -> str:
    """Markdown: regressions (right in A, wrong in B) first, then fixes, then metric deltas."""
    ra, rb = load_report(a), load_report(b)
    cases_a = {c.id: c for c in ra.cases}
    cases_b = {c.id: c for c in rb.cases}
    common = [i for i in cases_b if i in cases_a]
    regressions = [cases_b[i] for i in common if cases_a[i].correct and not cases_b[i].correct]
    fixes = [cases_b[i] for i in common if not cases_a[i].correct and cases_b[i].correct]
    lines = [f"# 评测对比：{a} → {b}", "",
             f"## 退步（A 对、B 错）：{len(regressions)}", ""]
    lines += [f"- {c.id} {c.question} — {c.reason}" for c in regressions] or ["（无）"]
    lines += ["", f"## 修复（A 错、B 对）：{len(fixes)}", ""]
    lines += [f"- {c.id} {c.question}" for c in fixes] or ["（无）"]
    only_a = sorted(set(cases_a) - set(cases_b))
    only_b = sorted(set(cases_b) - set(cases_a))
    if only_a or only_b:
        lines += ["", f"用例变化：仅 A 有 {len(only_a)} 个，仅 B 有 {len(only_b)} 个"]
    lines += ["", "## 指标变化", "", "| 指标 | A | B | 变化 |", "|---|---|---|---|"]
    for key in COMPARED_METRICS:
        va, vb = ra.metrics.get(key), rb.metrics.get(key)
        delta = "—" if va is None or vb is None else f"{vb - va:+.4g}"
        lines.append(f"| {key} | {va if va is not None else '—'} | {vb if vb is not None else '—'} | {delta} |")
    changed = [(t, ra.by_tag.get(t, {}).get("accuracy"), rb.by_tag[t].get("accuracy")) for t in rb.by_tag
               if ra.by_tag.get(t, {}).get("accuracy") != rb.by_tag[t].get("accuracy")]
    if changed:
        lines += ["", "## 标签准确率变化", "", "| 标签 | A | B |", "|---|---|---|"]
        lines += [f"| {t} | {_pct(x)} | {_pct(y)} |" for t, x, y in sorted(changed, key=lambda r: (r[2] or 0) - (r[1] or 0))]
    return "\n".join(lines) + "\n"


# ── threshold (CI) ───────────────────────────────────────────────────────────────────
def load_threshold(path: Path = THRESHOLD_PATH) -> dict[str, float]:
    """backend → the minimum execution accuracy on the sets in eval/."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: float(v) for k, v in data.get("min_execution_accuracy", {}).items()}


# ── command ──────────────────────────────────────────────────────────────────────────
def main_eval(args: Any, *, settings: Settings | None = None, echo: Callable[[str], None] = print,
              progress: Callable[[str], None] | None = None) -> int:
    """`wenshu eval`: args has dataset (list|None), backend, out, json, compare (two paths|None)."""
    import sys

    if getattr(args, "compare", None):
        first, second = args.compare
        try:
            echo(compare_reports(Path(first), Path(second)))
        except EvalDatasetError as error:
            echo(str(error))
            return 2
        return 0
    if settings is None:
        from .config import load_settings
        settings = load_settings()
    datasets = [Path(p) for p in (getattr(args, "dataset", None) or [])] or None
    backend = getattr(args, "backend", None) or settings.default_backend
    out = getattr(args, "out", None)
    as_json = bool(getattr(args, "json", False))
    if progress is None and not as_json:
        progress = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    try:
        report = run_eval(datasets, backend=backend, settings=settings, out_dir=Path(out) if out else None,
                          progress=progress)
    except EvalDatasetError as error:
        echo(f"评测数据有误：{error}")
        return 2
    if as_json:
        echo(json.dumps(report.to_json(), ensure_ascii=False, default=json_value))
    else:
        echo(report.summary())
        if out:
            echo(f"报告已写入 {Path(out) / 'report.html'}")
    return 0
