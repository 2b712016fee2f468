"""The one SQL guard: every statement passes through guard_sql before it reaches a database.

Whatever wrote the SQL (the rule parser, the LLM, an officer in the SQL editor), guard_sql
parses it with sqlglot and only lets through a single read-only query over the documented
tables and columns, using allow-listed functions. It then

- refuses any use of personal data (caller_name, caller_phone) other than listing it, and
  reports which output columns must be masked (mask_rows does the masking),
- rewrites every table reference into a subquery filtered to the asker's organisation scope,
- adds (or caps) a LIMIT,
- and generates the SQL in the target engine's dialect from the syntax tree — the original
  text (its comments, odd characters, anything the parser did not turn into the tree) never
  reaches the database.

Refusals raise GuardRefusal with a Chinese message for the officer and a short English reason.
"""
from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope as SqlScope
from sqlglot.optimizer.scope import traverse_scope

from . import contract
from .models import Scope

log = logging.getLogger(__name__)

MaskKind = str  # "name" | "phone" | "text"

MAX_SQL_CHARS = 20_000

DATABASE_CN = {"hotline": "12351热线", "posts": "工会阵地"}

# (table, column) → mask kind. Personal data may only be listed (masked), never computed on.
PII_KINDS: dict[tuple[str, str], MaskKind] = {
    key: ("phone" if "phone" in key[1] else "name") for key in contract.PII_COLUMNS
}
TEXT_COLUMNS = frozenset(contract.FREE_TEXT_COLUMNS)

PERSONAL_DATA_MESSAGE = ("不能按来电人姓名或电话筛选、分组、排序或计算；"
                         "姓名和电话只能原样列出，并且会自动脱敏显示。")

# Table names that belong to engine catalogs; named in the refusal so the officer knows why.
_CATALOG_PREFIXES = ("duckdb_", "pg_", "sqlite_", "information_schema")
_CATALOG_NAMES = frozenset({"sys", "mysql", "performance_schema", "temp", "main", "public", "system"})

# sqlglot dialect names we accept for the target engine.
_DIALECT_ALIASES = {"postgresql": "postgres", "pg": "postgres"}


# ── Results ─────────────────────────────────────────────────────────────────────────
class GuardRefusal(Exception):
    """A statement the guard will not run. message: Chinese, for the officer; reason: short code."""

    def __init__(self, message: str, reason: str):
        super().__init__(f"{reason}: {message}")
        self.message = message
        self.reason = reason


@dataclass
class GuardedQuery:
    sql: str                                   # in the target dialect, ready to execute
    expression: exp.Expression                 # the guarded tree (source dialect)
    masks: dict[int, MaskKind] = field(default_factory=dict)  # output column index → mask kind
    limited: bool = False                      # the guard added or lowered the LIMIT
    scoped: bool = False                       # table references were filtered to an org scope
    tables: list[str] = field(default_factory=list)           # the real tables the query reads
    dialect: str = "duckdb"


# ── Allow-lists ─────────────────────────────────────────────────────────────────────
def _classes(*names: str) -> frozenset[type]:
    # getattr: a class missing from this sqlglot version is simply not allowed.
    return frozenset(c for c in (getattr(exp, n, None) for n in names) if c is not None)


# sqlglot function classes an officer's query may use.
ALLOWED_FUNCTIONS: frozenset[type] = _classes(
    # aggregates
    "Count", "Sum", "Avg", "Min", "Max", "CountIf", "Median", "PercentileCont", "PercentileDisc",
    "Quantile", "Stddev", "StddevSamp", "StddevPop", "Variance", "VariancePop", "ArgMax", "ArgMin",
    "AnyValue", "First", "Last", "GroupConcat", "Mode", "LogicalAnd", "LogicalOr", "Corr",
    "CovarPop", "CovarSamp", "ApproxDistinct",
    # window functions
    "RowNumber", "Rank", "DenseRank", "PercentRank", "CumeDist", "Ntile", "Lag", "Lead",
    "FirstValue", "LastValue", "NthValue",
    # logical connectives (sqlglot models AND/OR as functions)
    "And", "Or", "Xor",
    # conditionals and casts
    "Case", "If", "Coalesce", "Nullif", "Greatest", "Least", "Cast", "TryCast", "Exists",
    # date and time
    "CurrentDate", "CurrentTimestamp", "CurrentTime", "DateTrunc", "TimestampTrunc", "DatetimeTrunc",
    "TimeTrunc", "Extract", "Year", "Month", "Day", "Quarter", "Week", "WeekOfYear", "DayOfWeek",
    "DayOfWeekIso", "DayOfMonth", "DayOfYear", "Hour", "Minute", "DateDiff", "DatetimeDiff",
    "TimestampDiff", "DateAdd", "DateSub", "DatetimeAdd", "DatetimeSub", "TimestampAdd",
    "TimestampSub", "TsOrDsAdd", "TsOrDsDiff", "TsOrDsToDate", "TimeToStr", "StrToTime", "StrToDate",
    "DateStrToDate", "DateToDateStr", "TimeStrToTime", "DateFromParts", "LastDay", "Date",
    "JulianDay", "MakeInterval",
    # maths
    "Round", "Floor", "Ceil", "Abs", "Sqrt", "Pow", "Ln", "Log", "Exp", "Sign", "Trunc", "SafeDivide",
    # strings
    "Length", "Lower", "Upper", "Trim", "Substring", "Replace", "Concat", "ConcatWs", "Left", "Right",
    "Pad", "StrPosition", "Contains", "StartsWith", "EndsWith", "SplitPart", "Reverse", "Initcap",
)

# Functions sqlglot does not model (exp.Anonymous), by lower-case name.
ALLOWED_ANONYMOUS = frozenset({
    "date_part", "datepart", "now", "age", "make_date", "strftime", "julianday", "epoch",
    "round", "floor", "ceil", "ceiling", "mod", "power", "nullif", "ifnull", "iif",
    "isodow", "dayname", "monthname", "yearweek", "substr", "char_length", "length",
    "to_char", "to_date", "date_add", "date_sub", "datetime",
})

# Statement kinds that must not appear anywhere in the tree (CTE bodies included).
_FORBIDDEN_NODES: tuple[type, ...] = tuple(_classes(
    "DML", "DDL", "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "AlterColumn",
    "TruncateTable", "Command", "Pragma", "Copy", "Set", "SetItem", "Use", "Transaction", "Commit",
    "Rollback", "Into", "Lock", "Attach", "Detach", "Install", "Describe", "Show", "Summarize",
    "Cache", "Uncache", "LoadData", "Refresh", "Grant", "Revoke", "Analyze", "Kill", "Declare",
    "Export", "Returning", "Comment", "Execute", "ExecuteAs",
))
_PARAMETER_NODES: tuple[type, ...] = tuple(_classes("Placeholder", "Parameter", "SessionParameter"))
# Query constructs the analysis does not follow; refused rather than half-checked.
_UNSUPPORTED_NODES: dict[str, str] = {
    "Pivot": "PIVOT/UNPIVOT", "Unpivot": "PIVOT/UNPIVOT", "Unnest": "UNNEST", "Lateral": "LATERAL",
    "Lambda": "lambda 表达式", "TableSample": "TABLESAMPLE", "MatchRecognize": "MATCH_RECOGNIZE",
    "Connect": "CONNECT BY",
}

_STATEMENT_CN = {
    "Insert": "INSERT 插入", "Update": "UPDATE 修改", "Delete": "DELETE 删除", "Merge": "MERGE 合并",
    "Create": "CREATE 建表/建视图", "Drop": "DROP 删除表", "Alter": "ALTER 改表", "TruncateTable": "TRUNCATE 清空表",
    "Pragma": "PRAGMA", "Copy": "COPY 导入导出", "Set": "SET 修改设置", "Use": "USE 切换库",
    "Transaction": "事务控制", "Commit": "事务控制", "Rollback": "事务控制", "Attach": "ATTACH 挂载数据库",
    "Detach": "DETACH 卸载数据库", "Install": "INSTALL 安装扩展", "Describe": "DESCRIBE", "Show": "SHOW",
    "Summarize": "SUMMARIZE", "Grant": "GRANT 授权", "Revoke": "REVOKE 授权", "Analyze": "ANALYZE",
    "Export": "EXPORT 导出", "Comment": "COMMENT", "Returning": "RETURNING",
}


def _refuse(reason: str, message: str) -> GuardRefusal:
    return GuardRefusal(message, reason)


# ── The schema the query may use ────────────────────────────────────────────────────
def allowed_columns(docs: Any, database: str) -> dict[str, set[str]]:
    """table → allowed columns of one database, from the schema docs.

    Falls back to the contract only when no docs object is given (tests of the guard alone).
    """
    if database not in contract.DATABASES:
        raise _refuse("unknown_database", f"不认识的数据库：{database}。")
    if docs is not None:
        return {t.lower(): {c.lower() for c in cols} for t, cols in docs.allowed_columns(database).items()}
    return {t: set(cols) for t, cols in contract.table_columns(database).items()}


def personal_data_columns(docs: Any) -> tuple[dict[tuple[str, str], MaskKind], frozenset[tuple[str, str]]]:
    """PII columns with their mask kind, and free-text columns: the contract's, plus any the docs
    mark (the docs can add protection, never take the contract's away)."""
    pii = dict(PII_KINDS)
    text = set(TEXT_COLUMNS)
    if docs is not None:
        for table, column in getattr(docs, "pii_columns", lambda: set())():
            key = (table.lower(), column.lower())
            pii.setdefault(key, "phone" if "phone" in key[1] or "tel" in key[1] else "name")
        text |= {(t.lower(), c.lower()) for t, c in getattr(docs, "free_text_columns", lambda: set())()}
    return pii, frozenset(text)


def _sqlglot_type(column: Any) -> str:
    import sqlalchemy as sa
    t = column.type
    if isinstance(t, sa.Boolean):
        return "BOOLEAN"
    if isinstance(t, sa.Integer):
        return "BIGINT"
    if isinstance(t, sa.Numeric) and not isinstance(t, sa.Float):
        return f"DECIMAL({t.precision or 18},{t.scale or 2})"
    if isinstance(t, sa.Float):
        return "DOUBLE"
    if isinstance(t, sa.DateTime):
        return "TIMESTAMP"
    if isinstance(t, sa.Date):
        return "DATE"
    return "TEXT"


@functools.lru_cache(maxsize=None)
def _contract_types(database: str) -> dict[str, tuple[tuple[str, str], ...]]:
    """table → ((column, sqlglot type), …) in the contract's column order (a pure, cached load)."""
    return {t.name: tuple((c.name, _sqlglot_type(c)) for c in t.columns)
            for t in contract.metadata(database).sorted_tables}


def _qualify_schema(database: str, allowed: Mapping[str, set[str]]) -> dict[str, dict[str, str]]:
    """The sqlglot schema: allowed columns only, typed from the contract where it knows them."""
    known = _contract_types(database)
    schema: dict[str, dict[str, str]] = {}
    for table, cols in allowed.items():
        # The contract's column order, so SELECT * comes out in the table's order.
        typed = {c: t for c, t in known.get(table, ()) if c in cols}
        typed.update({c: "TEXT" for c in sorted(cols) if c not in typed})
        schema[table] = typed
    return schema


# ── Parsing and statement checks ────────────────────────────────────────────────────
def _parse_one(sql: str, source_dialect: str) -> exp.Expression:
    if not isinstance(sql, str) or not sql.strip():
        raise _refuse("empty", "没有收到要执行的查询语句。")
    if len(sql) > MAX_SQL_CHARS:
        raise _refuse("too_long", f"查询语句过长（超过 {MAX_SQL_CHARS} 个字符）。")
    if "\x00" in sql:
        raise _refuse("parse_error", "查询语句中含有非法字符。")
    try:
        statements = [s for s in sqlglot.parse(sql, read=source_dialect) if s is not None]
    except SqlglotError:
        raise _refuse("parse_error", "无法解析这条 SQL 语句，请检查语法（注意使用半角标点和英文关键字）。") from None
    except Exception:  # the tokenizer can fail in odd ways on hostile input
        raise _refuse("parse_error", "无法解析这条 SQL 语句，请检查语法。") from None
    if not statements:
        raise _refuse("empty", "没有收到要执行的查询语句。")
    if len(statements) > 1:
        raise _refuse("multiple_statements", "一次只能执行一条查询语句（不能用分号连接多条语句）。")
    root = statements[0]
    while isinstance(root, (exp.Subquery, exp.Paren)) and not root.alias:
        root = root.this
    return root


def _check_statement(root: exp.Expression) -> None:
    if isinstance(root, exp.Command):
        word = (root.name or "").upper() or "该"
        raise _refuse("not_a_query", f"只允许查询（SELECT）语句，不能执行 {word} 命令。")
    if not isinstance(root, (exp.Select, exp.SetOperation)):
        kind = _STATEMENT_CN.get(type(root).__name__)
        if kind is None:
            raise _refuse("not_a_query", "只允许查询（SELECT）语句。")
        raise _refuse("not_a_query", f"只允许查询（SELECT）语句，不能执行 {kind} 操作。")


def _check_nodes(root: exp.Expression) -> None:
    for node in root.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            name = type(node).__name__
            if name == "Into":
                raise _refuse("select_into", "不允许 SELECT … INTO（会创建新表）。")
            if name == "Lock":
                raise _refuse("locking", "不允许加锁查询（FOR UPDATE / FOR SHARE）。")
            kind = _STATEMENT_CN.get(name, name.upper())
            raise _refuse("write", f"查询中不能包含修改数据或系统的操作（{kind}）。")
        if isinstance(node, _PARAMETER_NODES):
            raise _refuse("placeholder", "查询中不能包含参数占位符或会话变量。")
        if type(node).__name__ == "TableColumn":
            # DuckDB/PostgreSQL return the whole row as one value: it would bypass masking.
            raise _refuse("table_as_column", f"不能把整张表当作一个字段查询（{node.name}），请列出需要的字段。")
        what = _UNSUPPORTED_NODES.get(type(node).__name__)
        if what:
            raise _refuse("unsupported", f"不支持这种查询写法：{what}。")
        if isinstance(node, exp.With) and node.args.get("recursive"):
            raise _refuse("recursive_cte", "不支持递归查询（WITH RECURSIVE）。")
        if isinstance(node, exp.Select):
            if node.args.get("locks"):
                raise _refuse("locking", "不允许加锁查询（FOR UPDATE / FOR SHARE）。")
            if node.args.get("into"):
                raise _refuse("select_into", "不允许 SELECT … INTO（会创建新表）。")
        if isinstance(node, exp.Func):
            _check_function(node)


# Types a CAST may produce: numbers, text, dates and times, booleans, intervals.
_CAST_TYPES = frozenset({"INT", "TINYINT", "SMALLINT", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINT",
                         "UBIGINT", "DOUBLE", "FLOAT", "DECIMAL", "BIGDECIMAL", "TEXT", "VARCHAR", "NVARCHAR",
                         "CHAR", "NCHAR", "DATE", "TIMESTAMP", "DATETIME", "TIMESTAMPTZ", "TIME", "BOOLEAN",
                         "TIMESTAMPNTZ", "TIMESTAMPLTZ", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS",
                         "INTERVAL"})


def _check_function(node: exp.Func) -> None:
    if isinstance(node, (exp.Cast, exp.TryCast)):
        to = node.args.get("to")
        type_name = to.this.name if isinstance(to, exp.DataType) and hasattr(to.this, "name") else str(to)
        if type_name.upper() not in _CAST_TYPES:
            raise _refuse("cast_not_allowed", f"不支持转换为类型 {to.sql() if to is not None else ''}。")
    if isinstance(node, exp.Anonymous):
        name = str(node.this or "")
        if name.lower() in ALLOWED_ANONYMOUS:
            return
    elif type(node) in ALLOWED_FUNCTIONS:
        return
    else:
        name = node.sql_name() if hasattr(node, "sql_name") else type(node).__name__
    raise _refuse("function_not_allowed", f"不允许使用函数 {name.lower()}（只能使用统计、日期、字符串和数学等常用函数）。")


def _is_catalog_name(name: str) -> bool:
    lower = name.lower()
    return lower.startswith(_CATALOG_PREFIXES) or lower in _CATALOG_NAMES


def _check_tables(root: exp.Expression, allowed: Mapping[str, set[str]], database: str) -> tuple[set[str], list[exp.Table]]:
    """Every table is a CTE name or an allowed table of this database; returns CTE names and real tables."""
    all_tables = {t for db in contract.DATABASES for t in contract.table_columns(db)} | set(allowed)
    cte_names: set[str] = set()
    for cte in root.find_all(exp.CTE):
        name = cte.alias_or_name.lower()
        if name in all_tables:
            raise _refuse("cte_shadows_table", f"WITH 子句的名字 {cte.alias_or_name} 与数据表同名，请换一个名字。")
        if _is_catalog_name(name):
            raise _refuse("cte_shadows_table", f"WITH 子句的名字 {cte.alias_or_name} 与系统目录同名，请换一个名字。")
        cte_names.add(name)
    real: list[exp.Table] = []
    for table in root.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            fn = table.this.sql_name() if isinstance(table.this, exp.Func) and not isinstance(table.this, exp.Anonymous) else (table.this.name if table.this else "")
            raise _refuse("table_function", f"不能在 FROM 中调用函数或读取文件（{(fn or table.sql())[:60]}）。")
        name = table.name
        qualified = table.args.get("db") or table.args.get("catalog")
        full = ".".join(p for p in (table.catalog, table.db, name) if p)
        if _is_catalog_name(name) or (qualified and _is_catalog_name(table.db or table.catalog)):
            raise _refuse("system_catalog", f"不能访问系统目录或元数据（{full}）。")
        if qualified:
            raise _refuse("qualified_table", f"表名不能带库名或模式名：{full}。")
        lower = name.lower()
        if lower in cte_names:
            continue
        if lower not in allowed:
            other = contract.database_of_table(lower)
            if other and other != database:
                raise _refuse("wrong_database", f"表 {name} 在{DATABASE_CN[other]}数据库里，不能和{DATABASE_CN[database]}数据库的表一起查询。")
            raise _refuse("unknown_table", f"不能查询表 {name}：它不在{DATABASE_CN[database]}数据库的可查询范围内。")
        # One canonical spelling, so every engine resolves it the same way.
        table.set("this", exp.to_identifier(lower))
        real.append(table)
    return cte_names, real


def _name_outputs(root: exp.Expression, dialect: str) -> None:
    """Give unnamed computed output columns a readable name (their own SQL text).

    qualify would otherwise call them _col_0, _col_1, …; an engine would call them by its
    own rules (count_star(), count, …). This way the same query gives the same names everywhere.
    """
    select = root
    while isinstance(select, exp.SetOperation):
        select = select.this
    if not isinstance(select, exp.Select):
        return
    taken = {p.alias_or_name for p in select.expressions}
    for proj in list(select.expressions):
        if isinstance(proj, (exp.Alias, exp.Column, exp.Star)) or proj.find(exp.Star) is proj:
            continue
        name = proj.sql(dialect=dialect, comments=False)[:60]
        if name in taken:
            continue
        taken.add(name)
        proj.replace(exp.alias_(proj.copy(), exp.to_identifier(name, quoted=True)))


def _qualify(root: exp.Expression, schema: dict, source_dialect: str, used_tables: set[str]) -> exp.Expression:
    try:
        return qualify(root, schema=schema, dialect=source_dialect, quote_identifiers=True, identify=False,
                       validate_qualify_columns=True)
    except OptimizeError as err:
        text = str(err)
        m = re.search(r"Column '([^']+)' could not be resolved", text)
        if m:
            col = m.group(1).split(".")[-1].strip('"')
            holders = sorted(t for t in used_tables if col.lower() in schema.get(t, {}))
            if len(holders) > 1:
                raise _refuse("ambiguous_column", f"字段 {col} 在 {'、'.join(holders)} 里都有，"
                                                  f"请写明是哪张表的（如 别名.{col}）。") from None
            raise _refuse("unknown_column", f"字段 {m.group(1)} 不存在或不可查询。") from None
        if "ambiguous" in text.lower():
            m = re.search(r"'([^']+)'", text)
            col = m.group(1) if m else ""
            raise _refuse("ambiguous_column", f"字段 {col} 在多张表里都有，请写明是哪张表的（如 t.{col}）。") from None
        raise _refuse("cannot_analyse", "无法核对这条查询用到的表和字段，已拒绝执行。") from None
    except SqlglotError:
        raise _refuse("cannot_analyse", "无法核对这条查询用到的表和字段，已拒绝执行。") from None


# ── Personal data: lineage of every column through CTEs and subqueries ─────────────
@dataclass(frozen=True)
class _Lineage:
    pii: MaskKind | None = None   # "name" | "phone" when the column is exactly a PII column
    text: bool = False            # derived from a free-text column

    def merge(self, other: "_Lineage") -> "_Lineage":
        return _Lineage(self.pii or other.pii, self.text or other.text)


_NONE = _Lineage()


class _PersonalDataCheck:
    def __init__(self, root: exp.Expression, pii: Mapping[tuple[str, str], MaskKind],
                 text_columns: frozenset[tuple[str, str]]):
        self.root = root
        self.pii = pii
        self.text_columns = text_columns
        self.outputs: dict[int, list[tuple[str, _Lineage]]] = {}   # id(scope.expression) → outputs
        self.column_scope: dict[int, SqlScope] = {}

    def run(self) -> dict[int, MaskKind]:
        try:
            scopes = traverse_scope(self.root)
        except SqlglotError:
            raise _refuse("cannot_analyse", "无法核对这条查询的结构，已拒绝执行。") from None
        for sc in scopes:
            for col in sc.columns:
                self.column_scope.setdefault(id(col), sc)
        for sc in scopes:  # bottom-up: sources before the scopes that use them
            self.outputs[id(sc.expression)] = self._scope_outputs(sc)
        root_outputs = self.outputs.get(id(self.root), [])
        masks: dict[int, MaskKind] = {}
        for i, (_, lin) in enumerate(root_outputs):
            if lin.pii:
                masks[i] = lin.pii
            elif lin.text:
                masks[i] = "text"
        return masks

    # A column's lineage: which base column it is, looked up through the enclosing scopes.
    def _resolve(self, col: exp.Column, sc: SqlScope) -> _Lineage:
        table = col.table
        if not table:
            return _NONE
        s: SqlScope | None = sc
        while s is not None:
            source = s.sources.get(table)
            if source is not None:
                if isinstance(source, exp.Table):
                    key = (source.name.lower(), col.name.lower())
                    return _Lineage(self.pii.get(key), key in self.text_columns)
                if isinstance(source, SqlScope):
                    for name, lin in self.outputs.get(id(source.expression), []):
                        if name == col.name:
                            return lin
                return _NONE
            s = s.parent
        # Not found (qualify validated the query, so this should not happen): fail closed.
        names = {c: kind for (_, c), kind in self.pii.items()}
        return _Lineage(names.get(col.name.lower()), False)

    def _scope_outputs(self, sc: SqlScope) -> list[tuple[str, _Lineage]]:
        expression = sc.expression
        if isinstance(expression, exp.SetOperation):
            return self._set_operation_outputs(sc, expression)
        if not isinstance(expression, exp.Select):
            return []
        select = expression
        names = {p.alias_or_name for p in select.expressions}
        for col in sc.columns:
            if not col.table:
                _check_output_reference(col, names)
                continue
            lin = self._resolve(col, sc)
            if lin.pii and not _is_projection(col, select):
                raise _refuse("personal_data", PERSONAL_DATA_MESSAGE)
        outputs: list[tuple[str, _Lineage]] = []
        for proj in select.expressions:
            inner = proj.this if isinstance(proj, exp.Alias) else proj
            if isinstance(inner, exp.Column):
                lin = self._resolve(inner, sc)
            else:
                lin = _NONE
                for node in inner.walk():
                    if isinstance(node, exp.Column):
                        owner = self.column_scope.get(id(node), sc)
                        lin = lin.merge(_Lineage(None, self._resolve(node, owner).text))
                    elif isinstance(node, exp.Query) and id(node) in self.outputs:
                        for _, sub in self.outputs[id(node)]:
                            lin = lin.merge(_Lineage(None, sub.text))
            outputs.append((proj.alias_or_name, lin))
        if any(lin.pii for _, lin in outputs):
            self._check_pii_select(sc, select, outputs)
        return outputs

    def _check_pii_select(self, sc: SqlScope, select: exp.Select, outputs: list[tuple[str, _Lineage]]) -> None:
        # A subquery inside an expression (IN, EXISTS, scalar) compares or filters on its output.
        # (A branch of a set operation is checked again on the set operation's own scope.)
        if not _may_list_personal_data(sc):
            raise _refuse("personal_data", PERSONAL_DATA_MESSAGE)
        if select.args.get("distinct"):
            raise _refuse("personal_data", PERSONAL_DATA_MESSAGE)
        pii_names = {name for name, lin in outputs if lin.pii}
        pii_positions = {i + 1 for i, (_, lin) in enumerate(outputs) if lin.pii}
        for key in ("group", "order", "distribute", "sort", "cluster"):
            clause = select.args.get(key)
            if clause is None:
                continue
            if isinstance(clause, exp.Group) and clause.args.get("all"):
                raise _refuse("personal_data", PERSONAL_DATA_MESSAGE)
            for item in clause.expressions if hasattr(clause, "expressions") else []:
                target = item.this if isinstance(item, exp.Ordered) else item
                if isinstance(target, exp.Column) and not target.table and target.name in pii_names:
                    raise _refuse("personal_data", PERSONAL_DATA_MESSAGE)
                if isinstance(target, exp.Literal) and not target.is_string and target.to_py() in pii_positions:
                    raise _refuse("personal_data", PERSONAL_DATA_MESSAGE)
                if isinstance(target, (exp.Star, exp.Var)) or (
                        isinstance(target, exp.Column) and target.name.upper() == "ALL" and not target.table):
                    raise _refuse("personal_data", PERSONAL_DATA_MESSAGE)  # ORDER BY ALL / *

    def _set_operation_outputs(self, sc: SqlScope, op: exp.SetOperation) -> list[tuple[str, _Lineage]]:
        left = self.outputs.get(id(op.this), [])
        right = self.outputs.get(id(op.expression), [])
        merged = [(name, lin.merge(right[i][1]) if i < len(right) else lin) for i, (name, lin) in enumerate(left)]
        for col in sc.columns:
            if not col.table:
                _check_output_reference(col, {name for name, _ in merged})
        # UNION (distinct), INTERSECT and EXCEPT compare rows: that would match on a name or phone.
        if any(lin.pii for _, lin in merged) and (
                not (isinstance(op, exp.Union) and not op.args.get("distinct")) or not _may_list_personal_data(sc)):
            raise _refuse("personal_data", PERSONAL_DATA_MESSAGE)
        for clause_key in ("order",):
            clause = op.args.get(clause_key)
            if clause is None:
                continue
            pii_names = {name for name, lin in merged if lin.pii}
            pii_positions = {i + 1 for i, (_, lin) in enumerate(merged) if lin.pii}
            for item in clause.expressions:
                target = item.this if isinstance(item, exp.Ordered) else item
                if isinstance(target, exp.Var) or (isinstance(target, exp.Column) and target.name in pii_names):
                    raise _refuse("personal_data", PERSONAL_DATA_MESSAGE)
                if isinstance(target, exp.Literal) and not target.is_string and target.to_py() in pii_positions:
                    raise _refuse("personal_data", PERSONAL_DATA_MESSAGE)
        return merged


def _check_output_reference(col: exp.Column, output_names: set[str]) -> None:
    """After qualify, a column without a table is only legitimate as a reference to an output
    column (ORDER BY alias). Anything else — e.g. DuckDB's `SELECT t FROM tickets t`, which
    returns whole rows as structs — is refused."""
    if col.name in output_names and col.find_ancestor(exp.Order, exp.Select) is not None \
            and isinstance(col.find_ancestor(exp.Order, exp.Select), exp.Order):
        return
    raise _refuse("unknown_column", f"字段 {col.name} 不存在或不可查询（不能把整张表当作一个字段）。")


def _may_list_personal_data(sc: SqlScope) -> bool:
    """Only the query's result, a CTE, a derived table or a set-operation branch may list PII;
    a subquery inside an expression (IN, EXISTS, scalar) compares or filters on its output."""
    if isinstance(sc.expression.parent, exp.Exists):
        return True  # EXISTS (SELECT * …) only asks whether a row exists
    return sc.is_root or sc.is_cte or sc.is_derived_table or sc.is_set_operation


def _is_projection(col: exp.Column, select: exp.Select) -> bool:
    """The column is listed as it is (optionally renamed) in this SELECT's output list."""
    node: exp.Expression = col
    if isinstance(col.parent, exp.Alias):
        node = col.parent
    return node.parent is select and node.arg_key == "expressions"


# ── Organisation scope ──────────────────────────────────────────────────────────────
def region_codes_visible(scope: Scope) -> frozenset[str]:
    """Regions rows an officer may see: the scope's subtree plus its ancestors.

    Ancestors are public administrative divisions and carry no data of their own (facts are
    filtered by the subtree); keeping them lets a county officer's "按市" roll-up still find
    its city row through parent_code instead of silently returning nothing.
    """
    codes = set(scope.region_codes)
    for code in list(scope.region_codes) + [scope.region_code]:
        region = contract.REGION_BY_CODE.get(code)
        while region is not None and region.parent is not None:
            codes.add(region.parent)
            region = contract.REGION_BY_CODE.get(region.parent)
    return frozenset(codes)


def _in_list(column: str, values: Iterable[Any]) -> exp.Expression:
    items = sorted(values)
    if not items:
        return exp.false()
    literals = [exp.Literal.number(v) if isinstance(v, int) else exp.Literal.string(str(v)) for v in items]
    return exp.column(column).isin(*literals)


def scope_predicate(table: str, scope: Scope) -> exp.Expression:
    """The WHERE condition that keeps one table's rows within the scope."""
    regions = scope.region_codes
    if table in ("hotline_tickets", "union_posts"):
        return _in_list("region_code", regions)
    if table == "regions":
        return _in_list("region_code", region_codes_visible(scope))
    if table == "union_orgs":
        return _in_list("org_id", scope.org_ids)
    if table in ("post_activities", "post_monthly_visits"):
        posts = exp.select("post_id").from_("union_posts").where(_in_list("region_code", regions))
        return exp.column("post_id").isin(query=posts)
    # A table the contract does not know: nothing ties it to a region, so show no rows.
    return exp.false()


def _apply_scope(real_tables: Sequence[exp.Table], scope: Scope | None) -> bool:
    if scope is None or scope.is_root:
        return False
    for table in real_tables:
        name = table.name
        alias = table.args.get("alias")
        alias = alias.copy() if alias is not None else exp.TableAlias(this=exp.to_identifier(name))
        inner = exp.select("*").from_(exp.to_table(name)).where(scope_predicate(name, scope))
        table.replace(exp.Subquery(this=inner, alias=alias))
    return True


# ── Row limit ───────────────────────────────────────────────────────────────────────
def _apply_limit(root: exp.Expression, row_limit: int) -> bool:
    if row_limit is None or row_limit <= 0:
        return False
    limit = root.args.get("limit")
    if limit is None:
        root.set("limit", exp.Limit(expression=exp.Literal.number(row_limit)))
        return True
    if isinstance(limit, exp.Fetch):
        count = limit.args.get("count")
        value = _int_literal(count) if count is not None else 1
    elif limit.expression is None or isinstance(limit.expression, exp.Null) or (
            isinstance(limit.expression, exp.Var) and limit.expression.name.upper() == "ALL"):  # LIMIT ALL / NULL
        root.set("limit", exp.Limit(expression=exp.Literal.number(row_limit)))
        return True
    else:
        value = _int_literal(limit.expression)
    if value is None or value < 0:
        raise _refuse("limit_invalid", "LIMIT 后面必须是一个非负整数。")
    if value > row_limit or isinstance(limit, exp.Fetch):
        root.set("limit", exp.Limit(expression=exp.Literal.number(min(value, row_limit))))
        return value > row_limit
    return False


def _int_literal(node: exp.Expression | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return int(node.this)
        except ValueError:
            return None
    return None


# ── SQLite: date functions sqlglot does not translate ───────────────────────────────
# SQLite keeps dates as 'YYYY-MM-DD[ HH:MM:SS]' text and has only strftime/date(); sqlglot
# passes DuckDB's date_trunc/year()/extract through unchanged, which SQLite cannot run.
_SQLITE_PARTS = {"YEAR": "%Y", "MONTH": "%m", "DAY": "%d", "HOUR": "%H", "MINUTE": "%M", "DOY": "%j",
                 "DAYOFYEAR": "%j", "DOW": "%w", "DAYOFWEEK": "%w", "WEEK": "%W", "SECOND": "%S"}


def _sqlite_fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _sqlite_part(unit: str, value: exp.Expression) -> exp.Expression | None:
    unit = unit.upper()
    if unit == "QUARTER":
        month = exp.cast(_sqlite_fn("STRFTIME", exp.Literal.string("%m"), value), "INT")
        return exp.cast(exp.Div(this=exp.paren(exp.Add(this=month, expression=exp.Literal.number(2))),
                                expression=exp.Literal.number(3)), "INT")
    if unit in ("ISODOW",):
        dow = exp.cast(_sqlite_fn("STRFTIME", exp.Literal.string("%w"), value), "INT")
        return exp.paren(exp.Add(this=exp.Mod(this=exp.paren(exp.Add(this=dow, expression=exp.Literal.number(6))),
                                              expression=exp.Literal.number(7)),
                                 expression=exp.Literal.number(1)))
    fmt = _SQLITE_PARTS.get(unit)
    if fmt is None:
        return None
    return exp.cast(_sqlite_fn("STRFTIME", exp.Literal.string(fmt), value), "INT")


def _sqlite_trunc(unit: str, value: exp.Expression) -> exp.Expression | None:
    unit = unit.upper()
    lit = exp.Literal.string
    if unit == "YEAR":
        return _sqlite_fn("DATE", value, lit("start of year"))
    if unit == "MONTH":
        return _sqlite_fn("DATE", value, lit("start of month"))
    if unit == "DAY":
        return _sqlite_fn("DATE", value)
    if unit == "WEEK":  # ISO weeks start on Monday
        return _sqlite_fn("DATE", value, lit("weekday 0"), lit("-6 days"))
    if unit == "QUARTER":
        months_back = exp.paren(exp.Mod(
            this=exp.paren(exp.Sub(this=exp.cast(_sqlite_fn("STRFTIME", lit("%m"), value), "INT"),
                                   expression=exp.Literal.number(1))),
            expression=exp.Literal.number(3)))  # parenthesised: || binds tighter than % in SQLite
        back = exp.DPipe(this=lit("-"), expression=exp.DPipe(this=months_back, expression=lit(" months")))
        return _sqlite_fn("DATE", value, lit("start of month"), back)
    return None


def _unit_name(unit: exp.Expression | None) -> str:
    if unit is None:
        return ""
    return (unit.name if isinstance(unit, (exp.Var, exp.Literal, exp.Column)) else unit.sql()).upper()


def _sqlite_dates(node: exp.Expression) -> exp.Expression:
    simple = {exp.Year: "YEAR", exp.Month: "MONTH", exp.Day: "DAY", exp.Quarter: "QUARTER",
              exp.DayOfWeek: "DOW", exp.DayOfYear: "DOY", exp.DayOfMonth: "DAY", exp.Hour: "HOUR"}
    for cls, unit in simple.items():
        if type(node) is cls:
            return _sqlite_part(unit, node.this) or node
    if isinstance(node, exp.Extract):
        return _sqlite_part(_unit_name(node.this), node.expression) or node
    if isinstance(node, exp.Anonymous) and str(node.this).lower() in ("date_part", "datepart") and len(node.expressions) == 2:
        return _sqlite_part(_unit_name(node.expressions[0]), node.expressions[1]) or node
    if isinstance(node, (exp.TimestampTrunc, exp.DateTrunc)):
        return _sqlite_trunc(_unit_name(node.args.get("unit")), node.this) or node
    return node


def _postgres_dates(node: exp.Expression) -> exp.Expression:
    if type(node) is exp.Quarter:  # sqlglot leaves QUARTER(x), which PostgreSQL does not have
        return exp.cast(exp.Extract(this=exp.var("QUARTER"), expression=node.this), "INT")
    return node


def _for_dialect(root: exp.Expression, dialect: str) -> exp.Expression:
    if dialect == "sqlite":
        return root.copy().transform(_sqlite_dates)
    if dialect == "postgres":
        return root.copy().transform(_postgres_dates)
    return root


# ── The guard ───────────────────────────────────────────────────────────────────────
def guard_sql(sql: str, *, database: str, docs: Any, dialect: str, scope: Scope | None,
              row_limit: int, source_dialect: str = "duckdb") -> GuardedQuery:
    """Check, scope, limit and transpile one query; raises GuardRefusal when it may not run."""
    try:
        return _guard(sql, database=database, docs=docs, dialect=dialect, scope=scope, row_limit=row_limit,
                      source_dialect=source_dialect)
    except GuardRefusal:
        raise
    except RecursionError:
        raise _refuse("too_complex", "查询嵌套太深，无法检查，已拒绝执行。") from None
    except Exception:  # fail closed: anything the checks did not foresee is refused, not run
        log.exception("guard could not analyse a statement")
        raise _refuse("cannot_analyse", "无法核对这条查询，已拒绝执行。请换一种写法。") from None


def _guard(sql: str, *, database: str, docs: Any, dialect: str, scope: Scope | None, row_limit: int,
           source_dialect: str) -> GuardedQuery:
    dialect = _DIALECT_ALIASES.get(dialect, dialect)
    source_dialect = _DIALECT_ALIASES.get(source_dialect, source_dialect)
    root = _parse_one(sql, source_dialect)
    _check_statement(root)
    _check_nodes(root)
    allowed = allowed_columns(docs, database)
    _, real = _check_tables(root, allowed, database)
    _name_outputs(root, source_dialect)
    root = _qualify(root, _qualify_schema(database, allowed), source_dialect, {t.name for t in real})
    _check_nodes(root)  # qualify may rewrite (USING → ON, * → columns); check the result again
    pii, text_columns = personal_data_columns(docs)
    masks = _PersonalDataCheck(root, pii, text_columns).run()
    real = [t for t in root.find_all(exp.Table) if t.name.lower() in allowed and not _is_cte_ref(t)]
    tables = sorted({t.name for t in real})
    scoped = _apply_scope(real, scope)
    limited = _apply_limit(root, row_limit)
    out = _for_dialect(root, dialect).sql(dialect=dialect, comments=False)
    return GuardedQuery(sql=out, expression=root, masks=masks, limited=limited, scoped=scoped,
                        tables=tables, dialect=dialect)


def _is_cte_ref(table: exp.Table) -> bool:
    """True when this table node names a CTE of an enclosing WITH (CTE names never shadow tables)."""
    name = table.name.lower()
    node: exp.Expression | None = table
    while node is not None:
        with_ = node.args.get("with_") if isinstance(node, exp.Query) else None
        if with_ is not None and any(c.alias_or_name.lower() == name for c in with_.expressions):
            return True
        node = node.parent
    return False


# ── Masking ─────────────────────────────────────────────────────────────────────────
def mask_name(value: Any) -> Any:
    """张三 → 张*, 欧阳娜娜 → 欧***: keep the first character only."""
    if not isinstance(value, str) or not value:
        return value
    text = value.strip()
    if not text:
        return value
    return text[0] + "*" * (len(text) - 1) if len(text) > 1 else "*"


def mask_phone(value: Any) -> Any:
    """13812345678 → 138****5678; other lengths keep at most the first 3 and last 4 characters."""
    if value is None:
        return None
    text = str(value).strip()
    if len(text) >= 11:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    if len(text) >= 7:
        return text[:2] + "*" * (len(text) - 4) + text[-2:]
    return "*" * len(text)


_ID_CARD_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_MOBILE_RE = re.compile(r"(?<!\d)((?:\+?86[- ]?)?1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
_LANDLINE_RE = re.compile(r"(?<!\d)(0\d{2,3})([- ]?)(\d{3,4})(\d{4})(?!\d)")


def mask_text(value: Any) -> Any:
    """Mask ID-card numbers, mobile numbers and landlines inside free text."""
    if not isinstance(value, str) or not value:
        return value
    text = _ID_CARD_RE.sub(lambda m: m.group(1) + "*" * 8 + m.group(3), value)
    text = _MOBILE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    text = _LANDLINE_RE.sub(lambda m: m.group(1) + m.group(2) + "*" * len(m.group(3)) + m.group(4), text)
    return text


_MASKERS = {"name": mask_name, "phone": mask_phone, "text": mask_text}


def mask_value(value: Any, kind: MaskKind) -> Any:
    return _MASKERS[kind](value)


def mask_rows(rows: Sequence[Sequence[Any]], masks: Mapping[int, MaskKind]) -> list[list[Any]]:
    """Rows with the masked columns masked (a new list; the input is left as it is)."""
    if not masks:
        return [list(r) for r in rows]
    out = []
    for row in rows:
        new = list(row)
        for i, kind in masks.items():
            if i < len(new):
                new[i] = _MASKERS[kind](new[i])
        out.append(new)
    return out
