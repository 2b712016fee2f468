"""The typed objects that flow through the pipeline: scope, planner result, answer.

question → Planner → PlannerResult → guard → execute → Answer (the `ask --json` shape).
"""
from __future__ import annotations

import datetime as dt
import decimal
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["ok", "refused", "clarify", "error"]
PlanKind = Literal["sql", "clarify", "refuse", "reply", "error"]
# What the result rows look like; charts are chosen from this, never from generated code.
ResultShape = Literal["single", "timeseries", "category", "share", "two_dim", "compare", "detail", "unknown"]


@dataclass(frozen=True)
class Scope:
    """The asker's union organisation and the rows it may see."""
    org_id: int
    org_name: str
    org_level: str
    region_code: str
    region_name: str
    region_codes: frozenset[str]   # the region subtree (own code, and counties for a city)
    org_ids: frozenset[int]        # the organisation subtree
    is_root: bool = False          # 自治区总工会 sees everything

    def describe(self) -> str:
        return "" if self.is_root else f"数据范围限于{self.region_name}（{self.org_name}）"


@dataclass(frozen=True)
class Definition:
    """A metric definition (口径) the answer used."""
    name: str
    formula: str


@dataclass
class PlannerResult:
    kind: PlanKind
    backend: str                         # rules / llm
    database: str | None = None          # hotline / posts
    sql: str | None = None               # DuckDB dialect; the guard transpiles
    message: str | None = None           # clarify / refuse / reply text
    suggestions: list[str] = field(default_factory=list)
    plan: dict[str, Any] | None = None   # the semantic plan (JSON-ready), when there is one
    plan_obj: Any = None                 # the planner's own plan object, for follow-ups and answer text
    definitions: list[Definition] = field(default_factory=list)
    period: str | None = None            # e.g. 2026年1月1日至6月30日
    shape: ResultShape = "unknown"
    confidence: float = 1.0
    standalone_question: str | None = None


@dataclass
class Answer:
    status: Status
    question: str | None = None
    database: str | None = None
    sql: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    answer: str = ""
    chart: dict[str, Any] | None = None
    chart_type: str | None = None
    plan: dict[str, Any] | None = None
    definitions: list[Definition] = field(default_factory=list)
    period: str | None = None
    suggestions: list[str] = field(default_factory=list)
    scope: str | None = None
    backend: str | None = None
    truncated: bool = False
    elapsed_ms: float | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["rows"] = [[json_value(v) for v in row] for row in self.rows]
        return out


def json_value(value: Any) -> Any:
    """A database value as JSON: dates ISO 8601, decimals as numbers, NaN as null."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return None
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if hasattr(value, "item"):  # numpy scalars
        return json_value(value.item())
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()
    return str(value)
