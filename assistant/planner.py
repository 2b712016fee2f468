"""The planner protocol and the choice of backend (rules / llm / auto).

A planner turns a question (plus the conversation so far) into a PlannerResult: SQL for one
database, or a clarification, refusal or reply. Everything after planning is shared.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Protocol

from .config import Settings
from .models import PlannerResult, Scope
from .schema_docs import SchemaDocs
from .session import Turn

BACKENDS = ("rules", "llm", "auto")
# Below this confidence the auto backend hands the question to the LLM (when one is configured).
AUTO_CONFIDENCE = 0.75


@dataclass
class PlanContext:
    as_of: dt.date
    docs: SchemaDocs
    settings: Settings
    scope: Scope | None = None
    history: list[Turn] = field(default_factory=list)
    # guard + dry run of a candidate statement: returns an error message, or None when it would run
    validate: Callable[[str, str], str | None] | None = None
    on_token: Callable[[str], None] | None = None


class Planner(Protocol):
    name: str

    def plan(self, question: str, ctx: PlanContext) -> PlannerResult: ...


def rules_planner(docs: SchemaDocs) -> Planner:
    from .semantic_parser import RulesPlanner
    return RulesPlanner(docs)


def llm_planner(settings: Settings) -> Planner:
    from .llm_planner import LLMPlanner
    return LLMPlanner(settings)


def plan_question(question: str, ctx: PlanContext, *, backend: str, rules: Planner,
                  llm: Callable[[], Planner] | None) -> PlannerResult:
    """Plan with the chosen backend; auto keeps a confident parse and asks the model otherwise."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}")
    if backend == "llm":
        if llm is None:
            return PlannerResult(kind="error", backend="llm",
                                 message="未配置大模型接口（OPENAI_BASE_URL），无法使用 llm 模式；可改用 rules 模式。")
        return llm().plan(question, ctx)
    result = rules.plan(question, ctx)
    if backend == "rules" or llm is None:
        return result
    # A confident clarification counts too: "红星区" is in no region table, and SQL would only guess.
    confident = result.kind in ("sql", "refuse", "reply", "clarify") and result.confidence >= AUTO_CONFIDENCE
    if confident:
        return result
    model_result = llm().plan(question, ctx)
    # A model failure must not hide what the parser could offer.
    return result if model_result.kind == "error" and result.kind != "error" else model_result
