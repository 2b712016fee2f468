"""The schema documentation (semantic layer) in schema_docs/, loaded into typed, frozen docs.

- `load_schema_docs(directory)` reads tables.yaml, metrics.yaml, dimensions.yaml and examples.jsonl
  (cached on the directory and the files' mtimes, so an edited file is picked up).
- `validate_against_contract(docs)` is a pure check against assistant.contract: every contract
  table, column and code value documented, nothing documented that the contract lacks, metric
  expressions parse and name real columns.
- `check_schema_docs(docs, databases)` runs at start-up: the same (bar parsing the examples' SQL),
  plus a comparison with the LIVE databases: tables and columns via SQLAlchemy inspection, and the
  distinct values of every coded column. Any mismatch raises SchemaDocsError naming the exact
  table/column, in Chinese and English, with every problem listed in `.problems`.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import sqlalchemy as sa
import sqlglot
import yaml
from sqlglot import exp

from . import contract
from .config import SCHEMA_DOCS_DIR
from .db import Databases

ROLES = ("key", "time", "dimension", "measure", "text", "fk")
COLUMN_TYPES = ("text", "integer", "decimal", "double", "date", "timestamp", "boolean")
METRIC_FORMATS = ("count", "ratio", "days", "yuan", "sqm", "person_times", "people")
FILES = ("tables.yaml", "metrics.yaml", "dimensions.yaml", "examples.jsonl")
AS_OF_PLACEHOLDER = "as_of"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10× faster


class SchemaDocsError(Exception):
    """The schema docs are malformed or disagree with the contract or the live databases."""

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = problems or [message]
        super().__init__(message)


# ── Typed docs ────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class CodeValue:
    value: str
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class ColumnDoc:
    table: str
    name: str
    cn_name: str
    type: str
    description: str
    synonyms: tuple[str, ...]
    role: str
    pii: bool = False
    free_text: bool = False
    values: tuple[CodeValue, ...] = ()

    @property
    def is_coded(self) -> bool:
        return bool(self.values)

    @property
    def value_synonyms(self) -> dict[str, tuple[str, ...]]:
        return {v.value: v.synonyms for v in self.values}


@dataclass(frozen=True, eq=False)
class TableDoc:
    name: str
    cn_name: str
    description: str
    synonyms: tuple[str, ...]
    time_column: str | None
    region_column: str | None
    columns: Mapping[str, ColumnDoc]
    databases: tuple[str, ...]

    def column(self, name: str) -> ColumnDoc:
        try:
            return self.columns[name]
        except KeyError:
            raise KeyError(f"{self.name}.{name} is not documented") from None


@dataclass(frozen=True)
class MetricDoc:
    id: str
    name: str
    synonyms: tuple[str, ...]
    database: str
    table: str
    time_column: str | None
    expression: str
    filter: str | None
    format: str
    unit: str
    definition: str
    formula: str

    @property
    def needs_as_of(self) -> bool:
        return any(p.name == AS_OF_PLACEHOLDER for p in self.expression_tree().find_all(exp.Placeholder))

    def expression_tree(self, as_of: dt.date | None = None) -> exp.Expression:
        """The expression parsed (DuckDB dialect); with as_of, the :as_of placeholder becomes a DATE."""
        return _substitute_as_of(_parse(self.expression), as_of)

    def filter_tree(self) -> exp.Expression | None:
        return _parse(self.filter) if self.filter else None

    def expression_sql(self, as_of: dt.date | None = None, dialect: str = "duckdb") -> str:
        return self.expression_tree(as_of).sql(dialect=dialect)

    def columns_used(self) -> set[str]:
        trees = [self.expression_tree()] + ([self.filter_tree()] if self.filter else [])
        return {c.name for t in trees for c in t.find_all(exp.Column)}


@dataclass(frozen=True)
class JoinPath:
    from_table: str
    from_column: str
    to_table: str
    to_column: str
    relation: str
    databases: tuple[str, ...]
    description: str

    def on_sql(self, from_alias: str | None = None, to_alias: str | None = None) -> str:
        """The ON condition, e.g. t.region_code = r.region_code."""
        left = f"{from_alias or self.from_table}.{self.from_column}"
        right = f"{to_alias or self.to_table}.{self.to_column}"
        return f"{left} = {right}"


@dataclass(frozen=True)
class TimeGrain:
    id: str
    name: str
    synonyms: tuple[str, ...]
    expression: str   # DuckDB, with {column}
    label: str        # DuckDB text label, with {column}

    def sql(self, column: str) -> str:
        return self.expression.replace("{column}", column)

    def label_sql(self, column: str) -> str:
        return self.label.replace("{column}", column)


@dataclass(frozen=True)
class Example:
    id: str
    question: str
    db: str
    sql: str
    as_of: dt.date
    tables: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class SynonymTarget:
    """What a word can mean: a table, a column, a code value, a metric, a region or a time grain."""
    kind: str                 # table | column | value | metric | region | time_grain
    table: str | None = None
    column: str | None = None
    value: str | None = None  # code value / metric id / region code / grain id


@dataclass(frozen=True)
class CodeValueEntry:
    table: str
    column: str
    value: str
    synonyms: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class SchemaDocs:
    directory: Path
    databases: Mapping[str, tuple[str, ...]]
    tables: Mapping[str, TableDoc]
    metrics: Mapping[str, MetricDoc]
    joins: tuple[JoinPath, ...]
    time_grains: tuple[TimeGrain, ...]
    examples: tuple[Example, ...]
    dimensions: Mapping[str, Any] = field(default_factory=dict)   # raw dimensions.yaml

    # tables and columns
    def tables_in(self, database: str) -> list[TableDoc]:
        if database not in self.databases:
            raise KeyError(f"unknown database {database!r}")
        return [self.tables[t] for t in self.databases[database]]

    def allowed_columns(self, database: str) -> dict[str, set[str]]:
        """table → documented column names, for one database (the guard's allow-list)."""
        return {t.name: set(t.columns) for t in self.tables_in(database)}

    def pii_columns(self) -> set[tuple[str, str]]:
        return {(t.name, c.name) for t in self.tables.values() for c in t.columns.values() if c.pii}

    def free_text_columns(self) -> set[tuple[str, str]]:
        return {(t.name, c.name) for t in self.tables.values() for c in t.columns.values() if c.free_text}

    def column(self, table: str, column: str) -> ColumnDoc:
        return self.tables[table].column(column)

    # metrics
    def metric(self, key: str) -> MetricDoc | None:
        """A metric by id, Chinese name or synonym; None when no metric matches."""
        if key in self.metrics:
            return self.metrics[key]
        for m in self.metrics.values():
            if key == m.name or key in m.synonyms:
                return m
        return None

    def metrics_in(self, database: str) -> list[MetricDoc]:
        return [m for m in self.metrics.values() if m.database == database]

    # joins and time
    def joins_in(self, database: str) -> list[JoinPath]:
        return [j for j in self.joins if database in j.databases]

    def join_between(self, a: str, b: str) -> JoinPath | None:
        """The direct join path from table a to table b (either direction), if any."""
        for j in self.joins:
            if (j.from_table, j.to_table) in ((a, b), (b, a)) and j.from_table != j.to_table:
                return j
        return None

    def time_grain(self, key: str) -> TimeGrain | None:
        for g in self.time_grains:
            if key in (g.id, g.name) or key in g.synonyms:
                return g
        return None

    def region_aliases(self) -> dict[str, tuple[str, ...]]:
        """region code → the names an officer may use (full name first)."""
        raw = (self.dimensions.get("region_rollup") or {}).get("aliases") or {}
        return {r.code: (r.name, *tuple(raw.get(r.code, ()))) for r in contract.REGIONS}

    # words → meanings, for a lexicon
    def code_values(self) -> Iterator[CodeValueEntry]:
        for t in self.tables.values():
            for c in t.columns.values():
                for v in c.values:
                    yield CodeValueEntry(t.name, c.name, v.value, v.synonyms)

    def synonyms_index(self) -> dict[str, list[SynonymTarget]]:
        """Every word in the docs (names, synonyms, code values) → what it may mean.

        A word can mean several things (快递小哥 is a caller_group in tickets and a target_group in
        activities); the lexicon disambiguates by database and context.
        """
        index: dict[str, list[SynonymTarget]] = {}

        def add(word: str, target: SynonymTarget) -> None:
            targets = index.setdefault(word, [])
            if target not in targets:
                targets.append(target)

        for t in self.tables.values():
            for w in (t.cn_name, *t.synonyms):
                add(w, SynonymTarget("table", t.name))
            for c in t.columns.values():
                if c.pii:
                    continue  # personal data is never a filter or a grouping
                for w in (c.cn_name, *c.synonyms):
                    add(w, SynonymTarget("column", t.name, c.name))
        for e in self.code_values():
            for w in (e.value, *e.synonyms):
                add(w, SynonymTarget("value", e.table, e.column, e.value))
        for m in self.metrics.values():
            for w in (m.name, *m.synonyms):
                add(w, SynonymTarget("metric", m.table, None, m.id))
        for code, names in self.region_aliases().items():
            for w in names:
                add(w, SynonymTarget("region", "regions", "region_code", code))
        for g in self.time_grains:
            for w in (g.name, *g.synonyms):
                add(w, SynonymTarget("time_grain", None, None, g.id))
        return index

    def examples_for(self, database: str) -> list[Example]:
        return [e for e in self.examples if e.db == database]


# ── Loading ───────────────────────────────────────────────────────────────────────────
def load_schema_docs(directory: Path | str | None = None) -> SchemaDocs:
    """The docs in `directory` (default schema_docs/), cached until a file changes."""
    d = Path(directory or SCHEMA_DOCS_DIR).resolve()
    mtimes = tuple((name, (d / name).stat().st_mtime_ns if (d / name).exists() else None) for name in FILES)
    return _load_cached(str(d), mtimes)


@functools.lru_cache(maxsize=8)
def _load_cached(directory: str, mtimes: tuple[tuple[str, int | None], ...]) -> SchemaDocs:
    d = Path(directory)
    for name, mtime in mtimes:
        if mtime is None:
            raise SchemaDocsError(f"schema_docs 缺少文件 {name}（missing file {d / name}）")
    tables_raw = _read_yaml(d / "tables.yaml")
    metrics_raw = _read_yaml(d / "metrics.yaml")
    dims_raw = _read_yaml(d / "dimensions.yaml")

    databases_raw = _req(tables_raw, "databases", "tables.yaml", dict)
    tables_map = _req(tables_raw, "tables", "tables.yaml", dict)
    databases = {str(db): tuple(_as_list(ts, f"tables.yaml: databases.{db}")) for db, ts in databases_raw.items()}
    table_dbs: dict[str, list[str]] = {}
    for db, ts in databases.items():
        for t in ts:
            if t not in tables_map:
                raise SchemaDocsError(f"tables.yaml: 库 {db} 列出的表 {t} 没有文档（databases.{db} lists table {t} "
                                      f"but tables.{t} is missing）")
            table_dbs.setdefault(t, []).append(db)
    tables = {name: _table(name, raw, tuple(table_dbs.get(name, ()))) for name, raw in tables_map.items()}

    metrics: dict[str, MetricDoc] = {}
    for i, raw in enumerate(_as_list(_req(metrics_raw, "metrics", "metrics.yaml", list), "metrics.yaml: metrics")):
        m = _metric(raw, f"metrics.yaml: metrics[{i}]")
        if m.id in metrics:
            raise SchemaDocsError(f"metrics.yaml: 指标 id {m.id} 重复（duplicate metric id）")
        metrics[m.id] = m

    joins = tuple(_join(raw, f"dimensions.yaml: joins[{i}]")
                  for i, raw in enumerate(_as_list(_req(dims_raw, "joins", "dimensions.yaml", list), "joins")))
    grains = tuple(_grain(raw, f"dimensions.yaml: time_grains[{i}]")
                   for i, raw in enumerate(_as_list(_req(dims_raw, "time_grains", "dimensions.yaml", list), "time_grains")))
    _req(dims_raw, "region_rollup", "dimensions.yaml", dict)
    examples = _read_examples(d / "examples.jsonl")
    return SchemaDocs(directory=d, databases=databases, tables=tables, metrics=metrics, joins=joins,
                      time_grains=grains, examples=examples, dimensions=dims_raw)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as e:
        raise SchemaDocsError(f"schema_docs 文件 {path.name} 不是合法的 YAML（invalid YAML in {path}）：{e}") from e
    if not isinstance(data, dict):
        raise SchemaDocsError(f"schema_docs 文件 {path.name} 顶层应为映射（top level of {path} must be a mapping）")
    return data


def _req(raw: Any, key: str, where: str, kind: type | tuple[type, ...] = str, *, nullable: bool = False) -> Any:
    if not isinstance(raw, dict):
        raise SchemaDocsError(f"{where} 应为映射（{where} must be a mapping）")
    if key not in raw:
        raise SchemaDocsError(f"{where} 缺少字段 {key}（missing key {key!r} in {where}）")
    value = raw[key]
    if value is None and nullable:
        return None
    if not isinstance(value, kind):
        name = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise SchemaDocsError(f"{where} 的字段 {key} 类型不对（{where}.{key} must be {name}, got {value!r}）")
    return value


def _as_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise SchemaDocsError(f"{where} 应为列表（{where} must be a list）")
    return value


def _words(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = _as_list(value, where)
    # YAML reads some words (e.g. 1/0-like) as numbers; synonyms are always text
    return tuple(str(w) for w in items)


def _table(name: str, raw: Any, databases: tuple[str, ...]) -> TableDoc:
    where = f"tables.yaml: tables.{name}"
    cols_raw = _req(raw, "columns", where, dict)
    columns = {str(c): _column(name, str(c), craw) for c, craw in cols_raw.items()}
    return TableDoc(
        name=name,
        cn_name=_req(raw, "cn_name", where),
        description=_req(raw, "description", where),
        synonyms=_words(raw.get("synonyms"), f"{where}.synonyms"),
        time_column=_req(raw, "time_column", where, nullable=True),
        region_column=_req(raw, "region_column", where, nullable=True),
        columns=columns,
        databases=databases,
    )


def _column(table: str, name: str, raw: Any) -> ColumnDoc:
    where = f"tables.yaml: tables.{table}.columns.{name}"
    role = _req(raw, "role", where)
    if role not in ROLES:
        raise SchemaDocsError(f"{where}: role {role!r} 不在 {ROLES} 中（unknown role）")
    ctype = _req(raw, "type", where)
    if ctype not in COLUMN_TYPES:
        raise SchemaDocsError(f"{where}: type {ctype!r} 不在 {COLUMN_TYPES} 中（unknown type）")
    values_raw = raw.get("values") or {}
    if not isinstance(values_raw, dict):
        raise SchemaDocsError(f"{where}.values 应为映射 code → [同义词]（values must map code → synonyms）")
    values = tuple(CodeValue(str(code), _words(syns, f"{where}.values.{code}")) for code, syns in values_raw.items())
    return ColumnDoc(
        table=table, name=name,
        cn_name=_req(raw, "cn_name", where),
        type=ctype,
        description=_req(raw, "description", where),
        synonyms=_words(raw.get("synonyms"), f"{where}.synonyms"),
        role=role,
        pii=bool(raw.get("pii", False)),
        free_text=bool(raw.get("free_text", False)),
        values=values,
    )


def _metric(raw: Any, where: str) -> MetricDoc:
    mid = _req(raw, "id", where)
    where = f"metrics.yaml: 指标 {mid}"
    fmt = _req(raw, "format", where)
    if fmt not in METRIC_FORMATS:
        raise SchemaDocsError(f"{where}: format {fmt!r} 不在 {METRIC_FORMATS} 中（unknown format）")
    m = MetricDoc(
        id=mid,
        name=_req(raw, "name", where),
        synonyms=_words(raw.get("synonyms"), f"{where}.synonyms"),
        database=_req(raw, "database", where),
        table=_req(raw, "table", where),
        time_column=_req(raw, "time_column", where, nullable=True),
        expression=_req(raw, "expression", where),
        filter=_req(raw, "filter", where, nullable=True),
        format=fmt,
        unit=str(_req(raw, "unit", where)),
        definition=_req(raw, "definition", where),
        formula=_req(raw, "formula", where),
    )
    for label, text in (("expression", m.expression), ("filter", m.filter)):
        if text:
            try:
                _parse(text)
            except sqlglot.errors.ParseError as e:
                raise SchemaDocsError(f"{where}: {label} 无法解析（cannot parse {label} {text!r}）：{e}") from e
    return m


def _join(raw: Any, where: str) -> JoinPath:
    src, dst = _req(raw, "from", where), _req(raw, "to", where)
    try:
        ft, fc = src.split(".")
        tt, tc = dst.split(".")
    except ValueError:
        raise SchemaDocsError(f"{where}: from/to 应写作 表.列（from/to must be table.column）") from None
    return JoinPath(ft, fc, tt, tc, _req(raw, "relation", where),
                    _words(_req(raw, "databases", where, list), f"{where}.databases"),
                    _req(raw, "description", where))


def _grain(raw: Any, where: str) -> TimeGrain:
    return TimeGrain(id=_req(raw, "id", where), name=_req(raw, "name", where),
                     synonyms=_words(raw.get("synonyms"), f"{where}.synonyms"),
                     expression=_req(raw, "expression", where), label=_req(raw, "label", where))


def _read_examples(path: Path) -> tuple[Example, ...]:
    out: list[Example] = []
    seen: set[str] = set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"examples.jsonl 第{lineno}行"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as e:
            raise SchemaDocsError(f"{where} 不是合法的 JSON（invalid JSON at examples.jsonl:{lineno}）：{e}") from e
        try:
            as_of = dt.date.fromisoformat(_req(raw, "as_of", where))
        except ValueError as e:
            raise SchemaDocsError(f"{where}: as_of 应为 YYYY-MM-DD（as_of must be an ISO date）") from e
        ex = Example(id=_req(raw, "id", where), question=_req(raw, "question", where), db=_req(raw, "db", where),
                     sql=_req(raw, "sql", where), as_of=as_of,
                     tables=_words(_req(raw, "tables", where, list), f"{where}.tables"),
                     tags=_words(_req(raw, "tags", where, list), f"{where}.tags"))
        if ex.id in seen:
            raise SchemaDocsError(f"{where}: 示例 id {ex.id} 重复（duplicate example id）")
        seen.add(ex.id)
        out.append(ex)
    return tuple(out)


# ── SQL helpers ───────────────────────────────────────────────────────────────────────
def _parse(sql: str) -> exp.Expression:
    """A fresh tree (callers may transform it) of a DuckDB fragment; parsing is cached."""
    return _parse_cached(sql).copy()


@functools.lru_cache(maxsize=256)
def _parse_cached(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read="duckdb")


def _substitute_as_of(tree: exp.Expression, as_of: dt.date | None) -> exp.Expression:
    if as_of is None:
        return tree
    literal = exp.cast(exp.Literal.string(as_of.isoformat()), exp.DataType.build("DATE"))

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name == AS_OF_PLACEHOLDER:
            return literal.copy()
        return node

    return tree.transform(swap)


# ── Checks ────────────────────────────────────────────────────────────────────────────
def validate_against_contract(docs: SchemaDocs) -> None:
    """Pure check of the docs against assistant.contract; raises SchemaDocsError listing every problem."""
    problems = _contract_problems(docs, parse_examples=True)
    if problems:
        raise SchemaDocsError(_summary("schema_docs 与数据契约不一致（schema docs disagree with the data contract）",
                                       problems), problems)


def check_schema_docs(docs: SchemaDocs, databases: Databases) -> None:
    """The docs against the contract AND the live databases (SQLAlchemy inspection).

    Runs at start-up, so it skips parsing the examples' SQL (validate_against_contract and the
    tests do that).
    """
    problems = _contract_problems(docs, parse_examples=False)
    for db in contract.DATABASES:
        if db not in docs.databases:
            continue
        try:
            inspector = sa.inspect(databases.engine(db))
            live_tables = set(inspector.get_table_names())
        except Exception as e:  # missing file, server down: say which database
            problems.append(f"无法读取 {db} 库的表结构（cannot inspect database {db}）：{e}")
            continue
        live_cols: dict[str, set[str]] = {}
        for t in docs.databases[db]:
            if t not in live_tables:
                problems.append(f"{db} 库中没有文档所写的表 {t}（table {t} documented but missing in database {db}）")
                continue
            live_cols[t] = {c["name"] for c in inspector.get_columns(t)}
            for c in docs.tables[t].columns:
                if c not in live_cols[t]:
                    problems.append(f"{db} 库的表 {t} 中没有文档所写的列 {c}"
                                    f"（column {t}.{c} documented but missing in database {db}）")
        problems += _live_value_problems(docs, databases, db, live_cols)
        for m in docs.metrics_in(db):
            cols = live_cols.get(m.table)
            if cols is None:
                continue  # the missing table is reported above
            try:
                used = _metric_columns(m)
            except sqlglot.errors.ParseError:
                continue  # reported by the contract check
            for c in sorted(used - cols):
                problems.append(f"指标 {m.name}（{m.id}）引用了 {db} 库表 {m.table} 中不存在的列 {c}"
                                f"（metric {m.id} references missing column {m.table}.{c}）")
    if problems:
        raise SchemaDocsError(_summary("schema_docs 与数据库不一致（schema docs disagree with the databases）",
                                       problems), problems)


def _live_value_problems(docs: SchemaDocs, databases: Databases, db: str, live_cols: dict[str, set[str]]) -> list[str]:
    """Values found in the live coded columns that the docs (hence the lexicon) do not know."""
    problems: list[str] = []
    dialect = databases.dialect(db)
    for t, cols in live_cols.items():
        for cdoc in docs.tables[t].columns.values():
            if not cdoc.values or cdoc.name not in cols:
                continue
            query = (sqlglot.select(exp.column(cdoc.name)).distinct().from_(t)
                     .where(exp.column(cdoc.name).is_(exp.null()).not_()))
            try:
                _, rows, _ = databases.execute(db, query.sql(dialect=dialect), max_rows=1000)
            except Exception as e:
                problems.append(f"无法读取 {db} 库 {t}.{cdoc.name} 的取值（cannot read values of {t}.{cdoc.name}）：{e}")
                continue
            known = cdoc.value_synonyms
            for (value,) in rows:
                if str(value) not in known:
                    problems.append(f"{db} 库 {t}.{cdoc.name} 中出现了文档没有的代码值 {value}"
                                    f"（live value {value!r} of {t}.{cdoc.name} is not documented）")
    return problems


def _summary(head: str, problems: list[str]) -> str:
    return head + "：\n" + "\n".join(f"- {p}" for p in problems)


def _metric_columns(m: MetricDoc) -> set[str]:
    """Columns a metric needs: those in its expression and filter, and its time column."""
    return m.columns_used() | ({m.time_column} if m.time_column else set())


def _contract_problems(docs: SchemaDocs, *, parse_examples: bool) -> list[str]:
    problems: list[str] = []
    # tables and columns, per database
    for db in contract.DATABASES:
        expected = contract.table_columns(db)
        documented = set(docs.databases.get(db, ()))
        for t in expected:
            if t not in documented:
                problems.append(f"{db} 库的表 {t} 没有文档（table {t} of database {db} is not documented）")
        for t in sorted(documented - set(expected)):
            problems.append(f"文档列出的表 {t} 不在 {db} 库的契约中（table {t} is not in the contract of {db}）")
    for db in docs.databases:
        if db not in contract.DATABASES:
            problems.append(f"未知的数据库 {db}（unknown database {db}）")
    all_expected: dict[str, tuple[str, ...]] = {}
    for db in contract.DATABASES:
        all_expected.update(contract.table_columns(db))
    for t, tdoc in docs.tables.items():
        if t not in all_expected:
            continue  # reported above when listed in a database
        for c in all_expected[t]:
            if c not in tdoc.columns:
                problems.append(f"表 {t} 的列 {c} 没有文档（column {t}.{c} is not documented）")
        for c in tdoc.columns:
            if c not in all_expected[t]:
                problems.append(f"文档中的列 {t}.{c} 不在契约中（column {t}.{c} is not in the contract）")
        for label, col in (("time_column", tdoc.time_column), ("region_column", tdoc.region_column)):
            if col and col not in tdoc.columns:
                problems.append(f"表 {t} 的 {label} {col} 不是该表的列（{t}.{label} names unknown column {col}）")
    # code values: exactly the contract's list, no more, no fewer
    for (t, c), allowed in contract.CODE_VALUES.items():
        cdoc = docs.tables.get(t, None) and docs.tables[t].columns.get(c)
        if cdoc is None:
            continue  # reported above
        have = [v.value for v in cdoc.values]
        for v in allowed:
            if v not in have:
                problems.append(f"列 {t}.{c} 缺少代码值 {v} 的文档（code value {v!r} of {t}.{c} is not documented）")
        for v in have:
            if v not in allowed:
                problems.append(f"列 {t}.{c} 的代码值 {v} 不在契约的取值中（code value {v!r} of {t}.{c} is not in the "
                                f"contract: {'/'.join(allowed)}）")
    for t, tdoc in docs.tables.items():
        for cdoc in tdoc.columns.values():
            if cdoc.values and (t, cdoc.name) not in contract.CODE_VALUES:
                problems.append(f"列 {t}.{cdoc.name} 在契约中不是代码列，却写了 values（{t}.{cdoc.name} has values "
                                f"but is not a coded column in the contract）")
            if cdoc.pii != ((t, cdoc.name) in contract.PII_COLUMNS):
                problems.append(f"列 {t}.{cdoc.name} 的 pii 标记与契约不符（pii flag of {t}.{cdoc.name} disagrees "
                                f"with the contract）")
            if cdoc.free_text != ((t, cdoc.name) in contract.FREE_TEXT_COLUMNS):
                problems.append(f"列 {t}.{cdoc.name} 的 free_text 标记与契约不符（free_text flag of {t}.{cdoc.name} "
                                f"disagrees with the contract）")
    # metrics
    for m in docs.metrics.values():
        if m.database not in contract.DATABASES:
            problems.append(f"指标 {m.id} 的数据库 {m.database} 未知（unknown database）")
            continue
        if m.table not in docs.databases.get(m.database, ()):
            problems.append(f"指标 {m.name}（{m.id}）引用的表 {m.table} 不在 {m.database} 库中"
                            f"（metric {m.id} references table {m.table} missing from {m.database}）")
            continue
        cols = set(docs.tables[m.table].columns)
        try:
            used = _metric_columns(m)
        except sqlglot.errors.ParseError as e:
            problems.append(f"指标 {m.id} 的表达式无法解析（cannot parse）：{e}")
            continue
        for c in sorted(used - cols):
            problems.append(f"指标 {m.name}（{m.id}）引用了表 {m.table} 中不存在的列 {c}"
                            f"（metric {m.id} references unknown column {m.table}.{c}）")
        placeholders = {p.name for p in m.expression_tree().find_all(exp.Placeholder)}
        if m.filter:
            placeholders |= {p.name for p in m.filter_tree().find_all(exp.Placeholder)}
        for p in sorted(placeholders - {AS_OF_PLACEHOLDER}):
            problems.append(f"指标 {m.id} 含未知占位符 :{p}（unknown placeholder）")
    # joins
    for j in docs.joins:
        for t, c in ((j.from_table, j.from_column), (j.to_table, j.to_column)):
            if t not in docs.tables or c not in docs.tables[t].columns:
                problems.append(f"连接路径 {j.from_table}.{j.from_column} → {j.to_table}.{j.to_column} 引用了不存在的列 "
                                f"{t}.{c}（join path references unknown column {t}.{c}）")
        for db in j.databases:
            if j.from_table not in docs.databases.get(db, ()) or j.to_table not in docs.databases.get(db, ()):
                problems.append(f"连接路径 {j.from_table} → {j.to_table} 的表不都在 {db} 库中"
                                f"（join path tables not both in {db}）")
    # examples: known database, documented tables, parseable SQL
    for e in docs.examples:
        if e.db not in docs.databases:
            problems.append(f"示例 {e.id} 的数据库 {e.db} 未知（unknown database）")
            continue
        for t in e.tables:
            if t not in docs.databases[e.db]:
                problems.append(f"示例 {e.id} 引用的表 {t} 不在 {e.db} 库中（example {e.id} names table {t} not in {e.db}）")
        if parse_examples:
            try:
                sqlglot.parse_one(e.sql, read="duckdb")
            except sqlglot.errors.ParseError as err:
                problems.append(f"示例 {e.id} 的 SQL 无法解析（cannot parse）：{err}")
    return problems
