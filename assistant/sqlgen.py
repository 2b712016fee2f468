"""QueryPlan → SQL, built as sqlglot expression trees (DuckDB dialect), never by pasting strings.

Aliases: the fact table is `t`; union_posts joined to activities/visits is `p`; regions are `r`
(county) and `c` (city, via r.parent_code); union_orgs joined for an organisation name is `o`.
Metric expressions come from schema_docs/metrics.yaml; their unqualified columns are qualified
with `t` and the :as_of placeholder becomes a DATE literal.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.simplify import simplify

from .contract import REGION_BY_CODE
from .query_plan import TIME_DIMENSIONS, Filter, QueryPlan
from .schema_docs import MetricDoc, SchemaDocs
from .timeparse import Period

POST_CHILD_TABLES = ("post_activities", "post_monthly_visits")
# Shares of these columns are taken among rows that have a value (the satisfaction rates' population).
RATED_FIELDS = {"hotline_tickets.satisfaction"}
# The count of each fact table: the default metric when a question names none.
DEFAULT_METRIC = {
    "hotline_tickets": "ticket_count",
    "union_posts": "post_count",
    "post_activities": "activity_count",
    "post_monthly_visits": "visits",
    "union_orgs": "org_count",
}
GRAIN_LABELS = {"day": "日期", "week": "周", "month": "月份", "quarter": "季度", "year": "年份"}
# Useful columns of a detail list, per fact table (never caller_name / caller_phone).
DETAIL_COLUMNS: dict[str, tuple[str, ...]] = {
    "hotline_tickets": ("ticket_no", "received_at", "@county", "channel", "request_type", "topic", "complexity",
                        "status", "due_at", "closed_at", "satisfaction", "employer_name", "people_involved",
                        "amount_involved", "amount_recovered", "result"),
    "union_posts": ("post_name", "post_type", "@county", "address", "status", "honor_level", "opened_on", "area_sqm",
                    "open_24h"),
    "post_activities": ("title", "activity_type", "held_on", "@post", "@county", "target_group", "participants"),
    "post_monthly_visits": ("@post", "month", "visits", "@county"),
    "union_orgs": ("org_name", "org_level", "@county", "member_count", "established_on"),
}
# Ad-hoc aggregates of a measure column ("平均涉及金额", "最大面积").
AGG_FUNCS = {"avg": exp.Avg, "sum": exp.Sum, "max": exp.Max, "min": exp.Min, "distinct": exp.Count}
AGG_NAMES = {"avg": "平均", "sum": "", "max": "最大", "min": "最小", "distinct": ""}


# A having bound that is not a number: the figure over all rows in scope (高于/低于平均水平).
OVERALL = "@overall"


class PlanError(ValueError):
    """The plan cannot become SQL (an unknown metric or field)."""


@dataclass(frozen=True)
class MetricInfo:
    id: str
    name: str
    table: str
    database: str
    time_column: str | None
    expression: str
    filter: str | None
    format: str
    unit: str
    formula: str


def metric_info(docs: SchemaDocs, metric_id: str) -> MetricInfo:
    """A docs metric, or an ad-hoc aggregate 'avg:table.column'."""
    if metric_id in docs.metrics:
        m: MetricDoc = docs.metrics[metric_id]
        return MetricInfo(m.id, m.name, m.table, m.database, m.time_column, m.expression, m.filter, m.format,
                          m.unit, m.formula)
    if ":" in metric_id:
        agg, ref = metric_id.split(":", 1)
        table, column = ref.split(".", 1)
        if agg not in AGG_FUNCS or table not in docs.tables or column not in docs.tables[table].columns:
            raise PlanError(f"unknown metric {metric_id}")
        cdoc = docs.tables[table].columns[column]
        tdoc = docs.tables[table]
        base = DEFAULT_METRIC.get(table)
        mfilter = docs.metrics[base].filter if base in docs.metrics else None
        database = next(iter(tdoc.databases), "hotline")
        if agg == "distinct":
            # "有多少家用人单位被投诉": how many different values the rows carry
            return MetricInfo(metric_id, f"{cdoc.cn_name}数", table, database, tdoc.time_column,
                              f"COUNT(DISTINCT {column})", mfilter, "count", "个", f"不同{cdoc.cn_name}的个数")
        fmt, unit = _measure_format(table, column)
        name = f"{AGG_NAMES[agg]}{cdoc.cn_name}" if agg != "sum" else f"{cdoc.cn_name}合计"
        fn = {"avg": "AVG", "sum": "SUM", "max": "MAX", "min": "MIN"}[agg]
        return MetricInfo(metric_id, name, table, database, tdoc.time_column,
                          f"{fn}({column})", mfilter, fmt, unit, f"{AGG_NAMES[agg] or '合计'}（{cdoc.cn_name}）")
    raise PlanError(f"unknown metric {metric_id}")


def _measure_format(table: str, column: str) -> tuple[str, str]:
    if column.startswith("amount"):
        return "yuan", "元"
    if column == "area_sqm":
        return "sqm", "平方米"
    if column in ("participants", "visits"):
        return "person_times", "人次"
    return "people", "人"


@functools.lru_cache(maxsize=256)
def _parsed(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read="duckdb")


def _qualified(sql: str, alias: str, as_of: dt.date | None) -> exp.Expression:
    """Parse a docs expression, qualify its columns with alias, put the reference date in (a fresh copy)."""
    return _qualified_cached(sql, alias, as_of).copy()


@functools.lru_cache(maxsize=512)
def _qualified_cached(sql: str, alias: str, as_of: dt.date | None) -> exp.Expression:
    tree = _parsed(sql).copy()
    for col in tree.find_all(exp.Column):
        if not col.table:
            col.set("table", exp.to_identifier(alias))
    for ph in list(tree.find_all(exp.Placeholder)):
        day = as_of or dt.date.today()
        ph.replace(exp.cast(exp.Literal.string(day.isoformat()), exp.DataType.Type.DATE, copy=False))
    return tree


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _date(day: dt.date) -> exp.Expression:
    return exp.cast(exp.Literal.string(day.isoformat()), exp.DataType.Type.DATE, copy=False)


def _lit(value) -> exp.Expression:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


class _Builder:
    """Collects the joins a plan needs while its expressions are built."""

    def __init__(self, plan: QueryPlan, docs: SchemaDocs, as_of: dt.date):
        self.plan, self.docs, self.as_of = plan, docs, as_of
        self.joins: list[str] = []   # in order: p, r, c, o

    def need(self, alias: str) -> None:
        if alias == "c":
            self.need("r")
        if alias == "r" and self.plan.table in POST_CHILD_TABLES:
            self.need("p")
        if alias not in self.joins:
            self.joins.append(alias)

    # ── columns ─────────────────────────────────────────────────────────────
    def region_source(self) -> exp.Column:
        if self.plan.table in POST_CHILD_TABLES:
            self.need("p")
            return exp.column("region_code", table="p")
        return exp.column("region_code", table="t")

    def column(self, field_id: str) -> exp.Column:
        table, column = field_id.split(".", 1)
        if table == self.plan.table:
            return exp.column(column, table="t")
        if table == "union_posts" and self.plan.table in POST_CHILD_TABLES:
            self.need("p")
            return exp.column(column, table="p")
        if table == "union_orgs":
            self.need("o")
            return exp.column(column, table="o")
        raise PlanError(f"field {field_id} is not reachable from {self.plan.table}")

    def time_column(self) -> exp.Column | None:
        name = self.plan.period_column
        if name is None:
            for mid in self.plan.metrics:
                info = metric_info(self.docs, mid)
                if info.time_column:
                    name = info.time_column
                    break
        if name is None and (self.plan.detail or not self.plan.metrics):
            name = self.docs.tables[self.plan.table].time_column
        return exp.column(name, table="t") if name else None

    def grain_column(self) -> exp.Column:
        """The time column a time dimension groups by (stock metrics group by their table's time)."""
        col = self.time_column()
        if col is None:
            name = self.docs.tables[self.plan.table].time_column
            if not name:
                raise PlanError(f"{self.plan.table} has no time column")
            col = exp.column(name, table="t")
        return col

    def dimension(self, dim: str) -> tuple[exp.Expression, str]:
        """(expression, Chinese label) of a group-by dimension."""
        if dim in TIME_DIMENSIONS:
            col = self.grain_column()
            if dim == "year":
                return exp.func("YEAR", col), GRAIN_LABELS[dim]
            # the first day of the month / quarter / week, as a DATE (charts read it as time)
            trunc = exp.func("DATE_TRUNC", exp.Literal.string(dim), col)
            return exp.cast(trunc, exp.DataType.Type.DATE, copy=False), GRAIN_LABELS[dim]
        if dim == "county":
            self.need("r")
            return exp.column("region_name", table="r"), "县区"
        if dim == "city":
            self.need("c")
            if self.plan.table == "union_orgs":  # organisations may sit at a city code themselves
                return exp.Case(ifs=[exp.If(this=exp.column("region_level", table="r").eq(exp.Literal.string("市")),
                                            true=exp.column("region_name", table="r"))],
                                default=exp.column("region_name", table="c")), "市"
            return exp.column("region_name", table="c"), "市"
        if dim == "org":
            self.need("o")
            return exp.column("org_name", table="o"), "承办工会" if self.plan.table == "hotline_tickets" else "工会"
        if dim == "post":
            if self.plan.table == "union_posts":
                return exp.column("post_name", table="t"), "阵地名称"
            self.need("p")
            return exp.column("post_name", table="p"), "阵地名称"
        table, column = dim.split(".", 1)
        label = self.docs.tables[table].columns[column].cn_name if table in self.docs.tables else column
        return self.column(dim), label

    # ── conditions ──────────────────────────────────────────────────────────
    def region_condition(self, codes: tuple[str, ...], negate: bool = False) -> exp.Expression | None:
        src = self.region_source()
        cities = [c for c in codes if REGION_BY_CODE.get(c) and REGION_BY_CODE[c].level == "市"]
        counties = [c for c in codes if REGION_BY_CODE.get(c) and REGION_BY_CODE[c].level == "县区"]
        parts: list[exp.Expression] = []
        if counties:
            parts.append(src.copy().isin(*[exp.Literal.string(c) for c in counties], copy=False))
        if cities:
            sub = (exp.select("region_code", copy=False).from_("regions", copy=False)
                   .where(exp.column("parent_code").isin(*[exp.Literal.string(c) for c in cities], copy=False)))
            parts.append(src.copy().isin(query=sub, copy=False))
            if self.plan.table == "union_orgs":  # the city's own unions
                parts.append(src.copy().isin(*[exp.Literal.string(c) for c in cities], copy=False))
        if not parts:
            return None  # the whole region
        cond = parts[0] if len(parts) == 1 else exp.or_(*parts, copy=False)
        return exp.not_(exp.paren(cond), copy=False) if negate else cond

    def filter_condition(self, f: Filter) -> exp.Expression | None:
        if f.field == "region":
            return self.region_condition(tuple(f.values), negate=f.op == "not_in")
        if f.field == "@metric":
            return None
        col = self.column(f.field)
        values = [_lit(v) for v in f.values]
        if f.op == "in":
            return col.eq(values[0]) if len(values) == 1 else col.isin(*values, copy=False)
        if f.op == "not_in":
            cond = col.neq(values[0]) if len(values) == 1 else exp.not_(col.isin(*values, copy=False))
            # NULL is "not that value" too (honor_level, satisfaction …)
            return exp.or_(cond, exp.Is(this=col.copy(), expression=exp.Null()), copy=False)
        if f.op == "is_null":
            return exp.Is(this=col, expression=exp.Null())
        if f.op == "not_null":
            return exp.not_(exp.Is(this=col, expression=exp.Null()), copy=False)
        ops = {">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE}
        if f.op in ops:
            return ops[f.op](this=col, expression=values[0])
        if f.op == "between":
            return exp.Between(this=col, low=values[0], high=values[1])
        raise PlanError(f"unknown operator {f.op}")

    def period_condition(self, period: Period | None) -> exp.Expression | None:
        if period is None:
            return None
        stock = self.plan.period_column is None and all(
            metric_info(self.docs, m).time_column is None for m in self.plan.metrics) and self.plan.metrics
        col = self.time_column()
        if col is None and not stock:
            return None
        if stock:
            if period.start > dt.date(1901, 1, 1):
                return None  # a stock figure (阵地数量, 会员人数) ignores the period
            # "截至去年底有多少阵地": the ones set up by then
            name = self.docs.tables[self.plan.table].time_column
            if not name:
                return None
            return exp.LT(this=exp.column(name, table="t"), expression=_date(period.end))
        conds = []
        if period.start > dt.date(1901, 1, 1):
            conds.append(exp.GTE(this=col.copy(), expression=_date(period.start)))
        conds.append(exp.LT(this=col.copy(), expression=_date(period.end)))
        return exp.and_(*conds, copy=False)

    def metric_filters(self) -> list[exp.Expression]:
        """The metrics' own row filters, unless the question filters that column itself."""
        filtered_cols = {f.field.split(".", 1)[1] for f in self.plan.filters if "." in f.field
                         and f.field.split(".", 1)[0] == self.plan.table}
        filtered_cols |= {d.split(".", 1)[1] for d in self.plan.dimensions if "." in d
                          and d.split(".", 1)[0] == self.plan.table}
        out: list[exp.Expression] = []
        seen: set[str] = set()
        metric_ids = self.plan.metrics or ((DEFAULT_METRIC[self.plan.table],) if self.plan.detail else ())
        for mid in metric_ids:
            info = metric_info(self.docs, mid)
            if not info.filter or info.filter in seen:
                continue
            cond = _qualified(info.filter, "t", self.as_of)
            if {c.name for c in cond.find_all(exp.Column)} & filtered_cols:
                continue
            if self._share_outside(cond):
                continue
            seen.add(info.filter)
            out.append(cond)
        return out

    def _share_outside(self, population: exp.Expression) -> bool:
        """Whether a share asks about rows the metric's own population leaves out.

        A share is the part of the metric's population that meets the condition: 暂停服务的阵地占比 is
        among the 阵地 that count (status <> '已撤销'), 基层工会会员 among the 基层工会. Only when every
        value asked about lies outside that population (已撤销的阵地占比) is the whole table the base,
        since otherwise the part would be empty by definition.
        """
        share = self.plan.share
        if share is None or share.op != "in" or "." not in share.field or not share.values:
            return False
        table, column = share.field.split(".", 1)
        if table != self.plan.table:
            return False
        if column not in {c.name for c in population.find_all(exp.Column)}:
            return False
        for value in share.values:
            lit = _lit(value)
            probe = population.copy().transform(
                lambda n: lit.copy() if isinstance(n, exp.Column) and n.name == column else n)
            verdict = simplify(probe)
            if not (isinstance(verdict, exp.Boolean) and verdict.this is False):
                return False
        return True

    def where(self, period: Period | None) -> exp.Expression | None:
        conds: list[exp.Expression] = []
        for f in self.plan.filters:
            c = self.filter_condition(f)
            if c is not None:
                conds.append(c)
        p = self.period_condition(period)
        if p is not None:
            conds.append(p)
        if "city" in self.plan.dimensions and self.plan.table == "union_orgs":
            # the autonomous region's own unions belong to no city
            conds.append(exp.column("region_level", table="r").neq(exp.Literal.string("自治区")))
        for d in self.plan.dimensions:
            # a grouping by a coded column leaves out rows without a value (未评价, 无示范级别)
            if "." in d:
                t, c = d.split(".", 1)
                cdoc = self.docs.tables[t].columns.get(c) if t in self.docs.tables else None
                if cdoc is not None and cdoc.type != "boolean":
                    conds.append(exp.not_(exp.Is(this=self.column(d), expression=exp.Null()), copy=False))
        conds.extend(self.metric_filters())
        if not conds:
            return None
        return exp.and_(*conds, copy=False)

    def metric_expr(self, mid: str) -> exp.Expression:
        return _qualified(metric_info(self.docs, mid).expression, "t", self.as_of)

    def share_exprs(self, mid: str) -> tuple[exp.Expression, exp.Expression]:
        """(part, whole) of a share: the metric restricted to the share condition, and the metric."""
        share = self.plan.share
        assert share is not None
        whole = self.metric_expr(mid)
        if share.field == "@metric":
            part_info = metric_info(self.docs, share.values[0])
            part = self.metric_expr(share.values[0])
            if part_info.filter and part_info.filter != metric_info(self.docs, mid).filter:
                # 基层工会数 among all 工会组织: the part keeps its own row filter (the WHERE holds the whole's)
                part = _restricted(part, _qualified(part_info.filter, "t", self.as_of))
            return part, whole
        cond = self.filter_condition(share)
        assert cond is not None
        part = _restricted(self.metric_expr(mid), cond)
        if share.field in RATED_FIELDS and isinstance(whole, exp.Count) and isinstance(whole.this, exp.Star):
            # 满意的占比: among the tickets that were rated, as 满意率 counts them
            whole = exp.Count(this=self.column(share.field))
        return part, whole

    def from_clause(self, select: exp.Select) -> exp.Select:
        select = select.from_(exp.alias_(exp.to_table(self.plan.table), "t", table=True, copy=False))
        for alias in self.joins:
            if alias == "p":
                select = select.join(exp.alias_(exp.to_table("union_posts"), "p", table=True, copy=False),
                                     on=exp.column("post_id", table="t").eq(exp.column("post_id", table="p")))
            elif alias == "r":
                src = exp.column("region_code", table="p" if self.plan.table in POST_CHILD_TABLES else "t")
                select = select.join(exp.alias_(exp.to_table("regions"), "r", table=True, copy=False),
                                     on=src.eq(exp.column("region_code", table="r")))
            elif alias == "c":
                select = select.join(exp.alias_(exp.to_table("regions"), "c", table=True, copy=False),
                                     on=exp.column("parent_code", table="r").eq(exp.column("region_code", table="c")),
                                     join_type="left" if self.plan.table == "union_orgs" else None)
            elif alias == "o":
                key = "handling_org_id" if self.plan.table == "hotline_tickets" else "org_id"
                select = select.join(exp.alias_(exp.to_table("union_orgs"), "o", table=True, copy=False),
                                     on=exp.column(key, table="t").eq(exp.column("org_id", table="o")),
                                     join_type="left")
        return select


def _restricted(metric: exp.Expression, cond: exp.Expression) -> exp.Expression:
    """The metric counted or summed over the rows meeting cond only (COUNT(*) → SUM(CASE …))."""
    restricted = []

    def restrict(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Count) and isinstance(node.this, exp.Star):
            restricted.append(node)
            return exp.Sum(this=exp.Case(ifs=[exp.If(this=cond.copy(), true=exp.Literal.number(1))],
                                         default=exp.Literal.number(0)))
        if isinstance(node, exp.Sum) and not isinstance(node.this, exp.Case):
            restricted.append(node)
            return exp.Sum(this=exp.Case(ifs=[exp.If(this=cond.copy(), true=node.this.copy())]))
        return node

    part = metric.transform(restrict)
    if not restricted:
        raise PlanError("share of this metric is not supported")
    return part


def row_condition(docs: SchemaDocs, mid: str, as_of: dt.date) -> exp.Expression | None:
    """The row condition of a counting metric: SUM(CASE WHEN c THEN 1 ELSE 0 END) → c (办结量, 超期工单)."""
    if mid not in docs.metrics:
        return None
    tree = _qualified(docs.metrics[mid].expression, "t", as_of)
    if isinstance(tree, exp.Sum) and isinstance(tree.this, exp.Case):
        case = tree.this
        ifs = case.args.get("ifs") or []
        if len(ifs) == 1 and ifs[0].args.get("true") == exp.Literal.number(1):
            return ifs[0].this
    if isinstance(tree, exp.Count) and isinstance(tree.this, exp.Case):
        ifs = tree.this.args.get("ifs") or []
        if len(ifs) == 1:
            return ifs[0].this
    return None


def metric_label(docs: SchemaDocs, mid: str) -> str:
    return metric_info(docs, mid).name


def build_select(plan: QueryPlan, docs: SchemaDocs, as_of: dt.date) -> exp.Expression:
    """The whole statement for a plan."""
    if plan.detail:
        return _detail(plan, docs, as_of)
    if plan.compare is not None:
        return _compare(plan, docs, as_of)
    return _aggregate(plan, docs, as_of, plan.period)


def _metric_columns(b: _Builder, plan: QueryPlan) -> list[exp.Expression]:
    cols: list[exp.Expression] = []
    for mid in plan.metrics:
        name = metric_label(b.docs, mid)
        if plan.share is not None:
            part, whole = b.share_exprs(mid)
            if plan.share.field == "@metric":
                part_name = metric_label(b.docs, plan.share.values[0])
            else:
                part_name = f"{plan.share.label}{name}"
            cols.append(exp.alias_(part, _ident(part_name), copy=False))
            cols.append(exp.alias_(whole.copy(), _ident(f"总{name}" if not name.startswith("总") else name), copy=False))
            ratio = exp.Div(this=exp.cast(part.copy(), exp.DataType.Type.DOUBLE, copy=False),
                            expression=exp.func("NULLIF", whole.copy(), exp.Literal.number(0)))
            cols.append(exp.alias_(ratio, _ident("占比"), copy=False))
        elif plan.per and metric_info(b.docs, mid).format != "ratio" and b.time_column() is not None:
            # 日均 / 月均: the figure over the days (months) that have data in the period
            unit = b.time_column()
            if plan.per == "month":
                unit = exp.func("DATE_TRUNC", exp.Literal.string("month"), unit)
            units = exp.Count(this=exp.Distinct(expressions=[exp.cast(unit, exp.DataType.Type.DATE)]))
            value = exp.Div(this=exp.cast(b.metric_expr(mid), exp.DataType.Type.DOUBLE),
                            expression=exp.func("NULLIF", units, exp.Literal.number(0)))
            cols.append(exp.alias_(value, _ident(("日均" if plan.per == "day" else "月均") + name), copy=False))
        else:
            cols.append(exp.alias_(b.metric_expr(mid), _ident(name), copy=False))
    return cols


def _overall(plan: QueryPlan, docs: SchemaDocs, as_of: dt.date, period: Period | None, metric: str) -> exp.Select:
    """What 平均水平 means for a figure: a rate over all the rows in scope (全区办结率), or for an additive
    figure (工单量, 追回金额) the mean of the groups' figures — never the total."""
    info = metric_info(docs, metric)
    if info.format not in ("ratio", "days") and not info.expression.strip().upper().startswith("AVG"):
        groups = plan.edit(having=(), order=None, limit=None, share=None, share_of_total=False, metrics=(metric,),
                           compare=None)
        inner = _aggregate(groups, docs, as_of, period, ordered=False)
        return exp.select(exp.Avg(this=exp.column(metric_label(docs, metric), table="g", quoted=True))).from_(
            inner.subquery("g"))
    whole = plan.edit(dimensions=(), having=(), order=None, limit=None, share=None, share_of_total=False,
                      metrics=(metric,), compare=None)
    b = _Builder(whole, docs, as_of)
    select = b.from_clause(exp.select(b.metric_expr(metric)))
    where = b.where(period)
    return select.where(where, copy=False) if where is not None else select


def _aggregate(plan: QueryPlan, docs: SchemaDocs, as_of: dt.date, period: Period | None,
               *, ordered: bool = True, period_label: str | None = None) -> exp.Select:
    b = _Builder(plan, docs, as_of)
    dims = [b.dimension(d) for d in plan.dimensions]
    select = exp.select()
    if period_label is not None:
        select = select.select(exp.alias_(exp.Literal.string(period_label), _ident("时期"), copy=False))
    for expr, label in dims:
        select = select.select(exp.alias_(expr, _ident(label), copy=False))
    metric_cols = _metric_columns(b, plan)
    select = select.select(*metric_cols, copy=False)
    if plan.share_of_total and plan.share is None and plan.metrics:
        first = plan.metrics[0]
        whole = exp.Window(this=exp.Sum(this=b.metric_expr(first)), over="OVER")
        ratio = exp.Div(this=exp.cast(b.metric_expr(first), exp.DataType.Type.DOUBLE, copy=False),
                        expression=exp.func("NULLIF", whole, exp.Literal.number(0)))
        select = select.select(exp.alias_(ratio, _ident("占比"), copy=False))
    where = b.where(period)
    select = b.from_clause(select)
    if where is not None:
        select = select.where(where, copy=False)
    if dims:
        select = select.group_by(*[e.copy() for e, _ in dims], copy=False)
        ops = {">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE}
        for h in plan.having:
            # 办结率低于95%的县区: a condition on the figure of each group
            if h.values and h.values[0] == OVERALL:
                bound: exp.Expression = exp.Subquery(this=_overall(plan, docs, as_of, period, h.field))
            else:
                bound = _lit(h.values[0])
            cond = ops[h.op](this=b.metric_expr(h.field), expression=bound)
            select = select.having(cond, copy=False)
    if ordered:
        select = _order(select, plan, dims, metric_cols)
    return select


def _order(select: exp.Select, plan: QueryPlan, dims, metric_cols) -> exp.Select:
    if not dims:
        return select
    value_col = metric_cols[-1].alias if plan.share is not None else (metric_cols[0].alias if metric_cols else None)
    time_first = plan.dimensions[0] in TIME_DIMENSIONS
    if plan.order or not time_first:
        if value_col:
            desc = plan.order != "asc"
            # a group without a value (no rated tickets) is never "the lowest": nulls last either way
            key = exp.Ordered(this=exp.column(value_col, quoted=True), desc=desc, nulls_first=False)
            keys = [key]
            if len(dims) > 1 and not plan.order:
                # two dimensions: keep the first one together, biggest values first inside it
                keys = [exp.Ordered(this=dims[0][0].copy())] + keys
            select = select.order_by(*keys, copy=False)
    else:
        select = select.order_by(*[e.copy() for e, _ in dims], copy=False)
    if plan.limit:
        select = select.limit(plan.limit, copy=False)
    return select


def _compare(plan: QueryPlan, docs: SchemaDocs, as_of: dt.date) -> exp.Expression:
    cmp = plan.compare
    assert cmp is not None
    if len(cmp.periods) < 2:
        raise PlanError("a comparison needs two periods")
    if not cmp.wide:
        parts = [_aggregate(plan, docs, as_of, p, ordered=False, period_label=p.label) for p in cmp.periods]
        union: exp.Expression = parts[0]
        for part in parts[1:]:
            union = exp.union(union, part, distinct=False, copy=False)
        return union
    cur = _aggregate(plan.edit(order=None, limit=None), docs, as_of, cmp.periods[0], ordered=False)
    base = _aggregate(plan.edit(order=None, limit=None), docs, as_of, cmp.periods[1], ordered=False)
    b = _Builder(plan, docs, as_of)
    dim_labels = [b.dimension(d)[1] for d in plan.dimensions]
    value_names = [c.alias for c in cur.expressions if c.alias not in dim_labels]
    # With a share the figure compared is the share itself.
    if plan.share is not None:
        value_names = ["占比"]
    base_name = "同期" if cmp.kind == "yoy" else "上期"
    outer = exp.select(*[exp.alias_(exp.column(d, table="cur", quoted=True), _ident(d), copy=False) for d in dim_labels])
    for v in value_names:
        now = exp.column(v, table="cur", quoted=True)
        then = exp.column(v, table="base", quoted=True)
        suffix = "" if len(value_names) == 1 else v
        outer = outer.select(
            exp.alias_(now.copy(), _ident(f"本期{v}"), copy=False),
            exp.alias_(then.copy(), _ident(f"{base_name}{v}"), copy=False),
            exp.alias_(exp.Sub(this=now.copy(), expression=then.copy()), _ident(f"增减{suffix}"), copy=False),
            exp.alias_(exp.Div(this=exp.cast(exp.Sub(this=now.copy(), expression=then.copy()), exp.DataType.Type.DOUBLE, copy=False),
                               expression=exp.func("NULLIF", then.copy(), exp.Literal.number(0))),
                       _ident(f"增减率{suffix}")),
        )
    outer = outer.from_(cur.subquery("cur"), copy=False)
    if dim_labels:
        on = exp.and_(*[exp.column(d, table="cur", quoted=True).eq(exp.column(d, table="base", quoted=True))
                        for d in dim_labels], copy=False)
        outer = outer.join(base.subquery("base"), on=on, join_type="left", copy=False)
        first_value = f"本期{value_names[0]}"
        if plan.dimensions[0] in TIME_DIMENSIONS and not plan.order:
            outer = outer.order_by(*[exp.column(d, table="cur", quoted=True) for d in dim_labels], copy=False)
        else:
            outer = outer.order_by(exp.Ordered(this=exp.column(first_value, quoted=True), desc=plan.order != "asc",
                                               nulls_first=False), copy=False)
        if plan.limit:
            outer = outer.limit(plan.limit, copy=False)
    else:
        outer = outer.join(base.subquery("base"), join_type="cross", copy=False)
    return outer


def _detail(plan: QueryPlan, docs: SchemaDocs, as_of: dt.date) -> exp.Select:
    b = _Builder(plan, docs, as_of)
    tdoc = docs.tables[plan.table]
    cols: list[exp.Expression] = []
    names: list[str] = []
    wanted = list(DETAIL_COLUMNS.get(plan.table, tuple(tdoc.columns)))
    # the measure a list is ranked by, and columns filtered by a threshold, are worth showing
    for mid in plan.metrics:
        if ":" in mid and not mid.startswith("distinct:"):
            t, c = mid.split(":", 1)[1].split(".", 1)
            if t == plan.table and c not in wanted:
                wanted.append(c)
    for f in plan.filters:
        if "." in f.field:
            t, c = f.field.split(".", 1)
            if t == plan.table and c not in wanted and f.op in (">", ">=", "<", "<=", "between"):
                wanted.append(c)
    for c in wanted:
        if c == "@county":
            expr, label = b.dimension("county")
        elif c == "@post":
            expr, label = b.dimension("post")
        else:
            cdoc = tdoc.columns[c]
            if cdoc.pii:
                continue
            expr, label = exp.column(c, table="t"), cdoc.cn_name
        if label in names:
            continue
        names.append(label)
        cols.append(exp.alias_(expr, _ident(label), copy=False))
    select = exp.select(*cols, copy=False)
    where = b.where(plan.period)
    for mid in plan.metrics:
        cond = row_condition(docs, mid, as_of)
        if cond is not None:
            where = cond if where is None else exp.and_(where, exp.paren(cond), copy=False)
    select = b.from_clause(select)
    if where is not None:
        select = select.where(where, copy=False)
    tcol = b.time_column()
    if plan.order and plan.metrics and ":" in plan.metrics[0]:
        # "面积最大的5个阵地": order the rows by the measure itself
        ref = plan.metrics[0].split(":", 1)[1]
        select = select.order_by(exp.Ordered(this=b.column(ref), desc=plan.order != "asc",
                                             nulls_first=False), copy=False)
    elif tcol is not None:
        select = select.order_by(exp.Ordered(this=tcol, desc=True), copy=False)
    if plan.limit:
        select = select.limit(plan.limit, copy=False)
    return select


def plan_sql(plan: QueryPlan, docs: SchemaDocs, as_of: dt.date) -> str:
    return build_select(plan, docs, as_of).sql(dialect="duckdb")
