"""The orchestration: question → plan → SQL → guard → execute → answer.

`ask` is the one path every interface uses (CLI, Streamlit, OA widget, evaluation);
`run_sql` sends hand-written SQL down the same guarded path.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from functools import cached_property
from typing import Callable

import sqlglot
from sqlglot import exp

from .answer import write_answer
from .audit import AuditLog
from .charts import choose_chart
from .config import Settings, load_settings
from .db import Databases, QueryTimeout
from .guard import GuardRefusal, guard_sql, mask_rows
from .models import Answer, PlannerResult, Scope
from .orgs import OrgDirectory
from .planner import PlanContext, Planner, llm_planner, plan_question, rules_planner
from .schema_docs import SchemaDocs, check_schema_docs, load_schema_docs
from .session import Conversation, SessionStore, Turn

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500
STATUS_OF_KIND = {"clarify": "clarify", "refuse": "refused", "reply": "ok", "error": "error"}


class App:
    """Everything a process needs to answer: settings, databases, docs, audit log, sessions."""

    def __init__(self, settings: Settings | None = None, *, check_docs: bool = True):
        self.settings = settings or load_settings()
        self.databases = Databases(self.settings)
        self.docs: SchemaDocs = load_schema_docs(self.settings.schema_docs_dir)
        if check_docs:
            check_schema_docs(self.docs, self.databases)  # fails loudly on a doc that disagrees with the data
        self.audit = AuditLog(self.settings.audit_path)
        self.sessions = SessionStore(self.settings.sessions_dir)

    @classmethod
    def from_env(cls) -> "App":
        return cls(load_settings())

    @cached_property
    def orgs(self) -> OrgDirectory:
        return OrgDirectory(self.databases.engine("hotline"))

    @cached_property
    def rules(self) -> Planner:
        return rules_planner(self.docs)

    @cached_property
    def llm(self) -> Planner | None:
        return llm_planner(self.settings) if self.settings.llm_configured else None

    def guard(self, sql: str, database: str, scope: Scope | None):
        return guard_sql(sql, database=database, docs=self.docs, dialect=self.databases.dialect(database),
                         scope=scope, row_limit=self.settings.row_limit)

    def validate(self, database: str, sql: str, scope: Scope | None = None) -> str | None:
        """Guard and dry-run a candidate statement (for the LLM's repair loop): an error, or None."""
        try:
            guarded = self.guard(sql, database, scope)
            dialect = self.databases.dialect(database)
            probe = exp.select("*").from_(sqlglot.parse_one(guarded.sql, read=dialect).subquery("q")).limit(0)
            self.databases.execute(database, probe.sql(dialect=dialect))
        except GuardRefusal as refusal:
            return refusal.message
        except Exception as error:  # the engine's own message is what the model needs to repair
            return str(error).splitlines()[0][:500]
        return None


def _elapsed(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


def _backend_for(app: App, backend: str | None) -> str:
    return backend or app.settings.default_backend


def ask(question: str, *, app: App, as_of: dt.date | None = None, session: str | None = None,
        scope: Scope | None = None, backend: str | None = None,
        on_token: Callable[[str], None] | None = None) -> Answer:
    """Answer one question (a follow-up when `session` holds earlier turns)."""
    t0 = time.perf_counter()
    question = (question or "").strip()
    org = scope.org_name if scope else None
    if not question:
        return Answer(status="clarify", answer="请输入想查询的问题，例如“今年各市工单量是多少”。")
    if len(question) > MAX_QUESTION_CHARS:
        return Answer(status="refused", question=question[:50] + "…",
                      answer=f"问题太长了（超过{MAX_QUESTION_CHARS}字），请精简后再问。")
    conversation = app.sessions.load(session)
    ctx = PlanContext(as_of=as_of or app.settings.as_of or dt.date.today(), docs=app.docs,
                      settings=app.settings, scope=scope, history=list(conversation.turns),
                      validate=lambda db, sql: app.validate(db, sql, scope), on_token=on_token)
    chosen = _backend_for(app, backend)
    try:
        result = plan_question(question, ctx, backend=chosen, rules=app.rules,
                               llm=(lambda: app.llm) if app.llm is not None else None)
    except Exception:
        log.exception("planner failed")
        result = PlannerResult(kind="error", backend=chosen, message="抱歉，理解这个问题时出错了，请换个说法再试。")
    answer = _answer_plan(question, result, app=app, scope=scope)
    if chosen == "auto" and app.llm is None and answer.status == "clarify":
        answer.answer += "（当前未配置大模型，仅使用内置规则解析。）"
    answer.elapsed_ms = _elapsed(t0)
    conversation.add(Turn(question=question, standalone_question=result.standalone_question,
                          database=answer.database, sql=result.sql, plan=result.plan,
                          backend=result.backend, status=answer.status))
    app.sessions.save(conversation)
    app.audit.record("ask", org=org, question=question, sql=answer.sql, rows=len(answer.rows),
                     status=answer.status, reason=None if answer.status == "ok" else answer.answer,
                     backend=result.backend, elapsed_ms=answer.elapsed_ms)
    return answer


def _answer_plan(question: str, result: PlannerResult, *, app: App, scope: Scope | None) -> Answer:
    base = dict(question=question, backend=result.backend, plan=result.plan, definitions=result.definitions,
                period=result.period, suggestions=list(result.suggestions),
                scope=scope.describe() if scope else None)
    if result.kind != "sql":
        return Answer(status=STATUS_OF_KIND[result.kind], answer=result.message or "", **base)
    return _execute(result, app=app, scope=scope, base=base)


def _execute(result: PlannerResult, *, app: App, scope: Scope | None, base: dict) -> Answer:
    database = result.database or "hotline"
    try:
        guarded = app.guard(result.sql or "", database, scope)
    except GuardRefusal as refusal:
        return Answer(status="refused", database=database, answer=refusal.message, **base)
    try:
        columns, rows, truncated = app.databases.execute(database, guarded.sql)
    except QueryTimeout as timeout:
        return Answer(status="error", database=database, sql=guarded.sql, answer=timeout.message, **base)
    except Exception as error:
        log.warning("query failed: %s", error)
        return Answer(status="error", database=database, sql=guarded.sql,
                      answer="查询执行失败，可能是数据库暂时不可用，请稍后再试或缩小查询范围。", **base)
    rows = mask_rows(rows, guarded.masks)
    text = write_answer(result, columns, rows, scope=scope)
    if truncated:
        text += f"（结果较多，只显示前{len(rows)}行。）"
    chart_type, chart = choose_chart(result, columns, rows)
    return Answer(status="ok", database=database, sql=guarded.sql, columns=columns, rows=rows, answer=text,
                  chart=chart, chart_type=chart_type, truncated=truncated, **base)


def run_sql(sql: str, *, database: str, app: App, scope: Scope | None = None) -> Answer:
    """Run a hand-written query through the same guard, masking and answer path."""
    t0 = time.perf_counter()
    org = scope.org_name if scope else None
    if database not in ("hotline", "posts"):
        return Answer(status="error", answer="数据库只能是 hotline（热线）或 posts（阵地）。")
    result = PlannerResult(kind="sql", backend="sql", database=database, sql=sql)
    answer = _execute(result, app=app, scope=scope,
                      base=dict(backend="sql", scope=scope.describe() if scope else None))
    answer.elapsed_ms = _elapsed(t0)
    app.audit.record("sql", org=org, sql=answer.sql or sql, rows=len(answer.rows), status=answer.status,
                     reason=None if answer.status == "ok" else answer.answer, backend="sql",
                     elapsed_ms=answer.elapsed_ms)
    return answer
