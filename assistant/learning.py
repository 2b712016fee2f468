"""Learning from use: answers officers confirm become example pairs for retrieval.

An answer confirmed with 👍 in the UI (feedback.py stores it) or named on the command line
(`wenshu confirm`) is checked through the guard first, shown for review, and only then appended
to data_dir/confirmed_examples.jsonl. retrieval.py reads that file with the schema_docs
examples; the corpus fingerprint changes, so the store rebuilds itself on next use and records
each pair's source ("confirmed:cli" / "confirmed:ui-feedback") in its metadata.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Literal

from .config import Settings
from .contract import DATABASES
from .retrieval import confirmed_path, load_confirmed

Source = Literal["cli", "ui-feedback"]


class ConfirmError(ValueError):
    """The pair cannot be saved; the message is Chinese, for the officer."""


@dataclass(frozen=True)
class ConfirmedExample:
    id: str
    question: str
    database: str
    sql: str
    source: str
    reviewed: bool
    confirmed_at: str          # ISO 8601, UTC
    as_of: str | None = None   # the reference date the SQL's dates were written for


@dataclass(frozen=True)
class PendingPair:
    """A 👍 from the UI that is not yet an example: the reviewer decides with `wenshu confirm`."""
    time: str
    question: str
    database: str
    sql: str
    org_name: str | None
    backend: str | None


def clean_sql(sql: str | None) -> str:
    return (sql or "").strip().rstrip(";").strip()


def pair_id(question: str, sql: str) -> str:
    return "confirmed-" + hashlib.sha256(f"{question.strip()}\n{clean_sql(sql)}".encode()).hexdigest()[:12]


def check_pair(question: str, sql: str, database: str, settings: Settings) -> str:
    """Guard the SQL as the assistant would before running it; returns the SQL, trimmed.

    Raises ConfirmError with the guard's message when the pair may not become an example."""
    from .guard import GuardRefusal, guard_sql
    from .schema_docs import load_schema_docs
    question, sql = (question or "").strip(), clean_sql(sql)
    if not question:
        raise ConfirmError("问题不能为空。")
    if not sql:
        raise ConfirmError("SQL 不能为空。")
    if database not in DATABASES:
        raise ConfirmError(f"未知的数据库“{database}”，应为 hotline 或 posts。")
    try:
        guarded = guard_sql(sql, database=database, docs=load_schema_docs(settings.schema_docs_dir),
                            dialect="duckdb", scope=None, row_limit=settings.row_limit)
    except GuardRefusal as refusal:
        raise ConfirmError(f"这条 SQL 没有通过安全检查，不能保存为示例：{refusal.message}") from None
    if guarded.masks:
        # The guard would mask the output, but an example must not teach the model to select personal data.
        raise ConfirmError("这条 SQL 会输出个人信息（姓名、电话或诉求原文），没有通过安全检查，不能保存为示例。")
    return sql


def confirm(question: str, sql: str, database: str, settings: Settings, source: Source = "cli",
            reviewed: bool = False, *, as_of: dt.date | None = None,
            now: dt.datetime | None = None) -> ConfirmedExample:
    """Validate the pair through the guard and append it to the confirmed examples.

    `reviewed` records that a person looked at the SQL (the CLI asks unless --yes; the UI's 👍
    alone is not a review). A pair already saved is returned as it was, not written twice."""
    if source not in ("cli", "ui-feedback"):
        raise ConfirmError(f"未知的来源“{source}”。")
    sql = check_pair(question, sql, database, settings)
    question = question.strip()
    pid = pair_id(question, sql)
    for existing in load_examples(settings):
        if existing.id == pid:
            return existing
    when = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    rec = ConfirmedExample(id=pid, question=question, database=database, sql=sql, source=source,
                           reviewed=bool(reviewed), confirmed_at=when.isoformat(timespec="seconds"),
                           as_of=as_of.isoformat() if as_of else None)
    path = confirmed_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(asdict(rec), ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)  # one write: no interleaving
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return rec


def load_examples(settings: Settings) -> list[ConfirmedExample]:
    """The saved pairs, oldest first (a damaged line is skipped)."""
    path: Path = confirmed_path(settings)
    if not path.exists():
        return []
    fields = set(ConfirmedExample.__dataclass_fields__)
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            raw = json.loads(line)
            out.append(ConfirmedExample(**{k: v for k, v in raw.items() if k in fields}))
        except (ValueError, TypeError):
            continue
    return out


def pending_from_feedback(settings: Settings) -> list[PendingPair]:
    """👍 feedback with a question and SQL that is not yet a confirmed example (newest last, no repeats)."""
    from .feedback import iter_feedback
    saved = {p.id for p in load_confirmed(settings)}
    seen: set[str] = set()
    out = []
    for rec in iter_feedback(settings, rating="up"):
        if not rec.question or not rec.sql or rec.database not in DATABASES:
            continue
        pid = pair_id(rec.question, rec.sql)
        if pid in saved or pid in seen:
            continue
        seen.add(pid)
        out.append(PendingPair(time=rec.time, question=rec.question, database=rec.database or "", sql=rec.sql,
                               org_name=rec.org_name, backend=rec.backend))
    return out


def _ask_yes(prompt: str, ask: Callable[[str], str]) -> bool:
    try:
        return ask(prompt).strip().lower() in ("y", "yes", "是", "好", "保存")
    except EOFError:
        return False


def confirm_command(args: Any, settings: Settings, *, ask: Callable[[str], str] = input,
                    out: Callable[[str], None] = print) -> int:
    """`wenshu confirm QUESTION --sql SQL --db DB [--yes]` or `wenshu confirm --from-feedback [--yes]`.

    Every pair is checked through the guard and shown; it is saved only after the reviewer says
    yes (or with --yes). Returns the exit code."""
    if getattr(args, "from_feedback", False):
        pending = pending_from_feedback(settings)
        if not pending:
            out("没有待审核的 👍 反馈。")
            return 0
        saved = 0
        for number, p in enumerate(pending, 1):
            out(f"[{number}/{len(pending)}] {p.time} {p.org_name or ''}\n  问题：{p.question}\n  库：{p.database}\n  SQL：{p.sql}")
            try:
                check_pair(p.question, p.sql, p.database, settings)
            except ConfirmError as exc:
                out(f"  跳过：{exc}")
                continue
            if args.yes or _ask_yes("  保存为示例？[y/N] ", ask):
                confirm(p.question, p.sql, p.database, settings, source="ui-feedback", reviewed=True)
                saved += 1
        out(f"已保存 {saved} 条示例到 {confirmed_path(settings)}；下次提问时检索索引会自动更新。")
        return 0
    question, sql, database = getattr(args, "question", None), getattr(args, "sql", None), getattr(args, "db", None)
    if not question or not sql or not database:
        out("用法：wenshu confirm \"问题\" --sql \"SELECT …\" --db hotline|posts [--yes]，或 wenshu confirm --from-feedback")
        return 2
    try:
        sql = check_pair(question, sql, database, settings)
    except ConfirmError as exc:
        out(f"错误：{exc}")
        return 1
    out(f"问题：{question}\n库：{database}\nSQL：{sql}")
    if not (args.yes or _ask_yes("保存为示例？[y/N] ", ask)):
        out("未保存。")
        return 1
    rec = confirm(question, sql, database, settings, source="cli", reviewed=True)
    out(f"已保存示例 {rec.id} 到 {confirmed_path(settings)}；下次提问时检索索引会自动更新。")
    return 0
