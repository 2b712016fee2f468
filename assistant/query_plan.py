"""The typed query plan the rule-based parser fills and sqlgen turns into SQL.

A plan says *what* is asked (metrics, group-by dimensions, filters, period, comparison, order,
limit, or a detail list), never *how* in SQL. It round-trips through JSON (`to_dict` /
`from_dict`) so a session can keep it and a follow-up question can edit it.

Field ids are "table.column" for columns of a fact table or a table joined to it
(e.g. "hotline_tickets.topic", "union_posts.post_type"), plus the virtual fields
"region" (a city or county, by code) and, as dimensions, "city", "county", "org", "post" and the
time grains "day", "week", "month", "quarter", "year".
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .timeparse import Period

TIME_DIMENSIONS = ("day", "week", "month", "quarter", "year")


@dataclass(frozen=True)
class Filter:
    field: str                 # "table.column" or "region"
    op: str                    # in | not_in | > | >= | < | <= | is_null | not_null | between
    values: tuple[Any, ...]    # code values, region codes or numbers
    label: str                 # Chinese, for the answer: "欠薪讨薪", "中卫市", "涉及金额超过10万元"

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "op": self.op, "values": list(self.values), "label": self.label}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Filter":
        return cls(data["field"], data["op"], tuple(data.get("values") or ()), data.get("label", ""))


@dataclass(frozen=True)
class Compare:
    """同比 / 环比 / explicit periods. `periods[0]` is the current period, `periods[1]` the base."""
    kind: str                  # yoy | prev | periods
    periods: tuple[Period, ...]
    wide: bool = True          # one row with 本期/基期/增减/增减率 (True) or one row per period (False)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "periods": [p.to_dict() for p in self.periods], "wide": self.wide}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Compare":
        return cls(data["kind"], tuple(Period.from_dict(p) for p in data.get("periods", ())), bool(data.get("wide", True)))


@dataclass(frozen=True)
class QueryPlan:
    database: str                          # hotline | posts
    table: str                             # the fact table
    metrics: tuple[str, ...] = ()          # metric ids (schema_docs metrics.yaml)
    dimensions: tuple[str, ...] = ()       # group-by dimension ids
    filters: tuple[Filter, ...] = ()
    period: Period | None = None
    period_column: str | None = None       # overrides the metric's time column (新建阵地 → opened_on)
    compare: Compare | None = None
    share: Filter | None = None            # 占比: the part whose share of the population is asked
    share_of_total: bool = False           # 占比 of each group within the total (各类占比)
    order: str | None = None               # desc | asc
    limit: int | None = None
    detail: bool = False                   # a list of rows instead of figures
    having: tuple[Filter, ...] = ()        # conditions on a metric per group (办结率低于95%的县区); field = metric id
    per: str | None = None                 # day | month: the figure averaged per day / month (日均, 月均)

    # ── editing, for follow-ups ──────────────────────────────────────────────────
    def with_filter(self, new: Filter) -> "QueryPlan":
        """Replace the filters on the same field (a follow-up "那中卫市呢" swaps the region)."""
        kept = tuple(f for f in self.filters if f.field != new.field)
        return replace(self, filters=kept + (new,))

    def without_filters(self, field_id: str) -> "QueryPlan":
        return replace(self, filters=tuple(f for f in self.filters if f.field != field_id))

    def edit(self, **changes: Any) -> "QueryPlan":
        return replace(self, **changes)

    @property
    def has_time_dimension(self) -> bool:
        return any(d in TIME_DIMENSIONS for d in self.dimensions)

    @property
    def shape(self) -> str:
        if self.detail:
            return "detail"
        if self.compare is not None:
            return "compare"
        if len(self.dimensions) >= 2:
            return "two_dim"
        if len(self.dimensions) == 1:
            if self.dimensions[0] in TIME_DIMENSIONS:
                return "timeseries"
            return "share" if self.share_of_total else "category"
        return "single"

    # ── JSON ─────────────────────────────────────────────────────────────────────
    def to_dict(self) -> dict[str, Any]:
        return {
            "planner": "rules",
            "database": self.database,
            "table": self.table,
            "metrics": list(self.metrics),
            "dimensions": list(self.dimensions),
            "filters": [f.to_dict() for f in self.filters],
            "period": self.period.to_dict() if self.period else None,
            "period_column": self.period_column,
            "compare": self.compare.to_dict() if self.compare else None,
            "share": self.share.to_dict() if self.share else None,
            "share_of_total": self.share_of_total,
            "order": self.order,
            "limit": self.limit,
            "detail": self.detail,
            "having": [f.to_dict() for f in self.having],
            "per": self.per,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "QueryPlan":
        return cls(
            database=data["database"],
            table=data["table"],
            metrics=tuple(data.get("metrics") or ()),
            dimensions=tuple(data.get("dimensions") or ()),
            filters=tuple(Filter.from_dict(f) for f in data.get("filters") or ()),
            period=Period.from_dict(data["period"]) if data.get("period") else None,
            period_column=data.get("period_column"),
            compare=Compare.from_dict(data["compare"]) if data.get("compare") else None,
            share=Filter.from_dict(data["share"]) if data.get("share") else None,
            share_of_total=bool(data.get("share_of_total")),
            order=data.get("order"),
            limit=data.get("limit"),
            detail=bool(data.get("detail")),
            having=tuple(Filter.from_dict(f) for f in data.get("having") or ()),
            per=data.get("per"),
        )

    @classmethod
    def is_rules_plan(cls, data: dict[str, Any] | None) -> bool:
        return bool(data) and data.get("planner") == "rules" and "table" in data and "database" in data
