"""The append-only audit log: every question and every statement, one JSON line each.

Each line says when, who (organisation), the question, the SQL as executed, how many rows came
back, and the status with any refusal reason or error. It never holds unmasked personal data:
questions, SQL, reasons and errors pass through mask_free_text first (phone numbers, ID-card
numbers, and names an asker typed next to words like 来电人/姓名/叫), and string literals the
SQL compares with caller_name or caller_phone are blanked.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import sqlglot
from sqlglot import exp

from .guard import PII_KINDS, mask_name, mask_text

MAX_FIELD_CHARS = 4000

# A name typed in a question: after 来电人/姓名/名叫/叫…, or before 的电话/的手机/的号码/的身份证….
_NAME_AFTER_RE = re.compile(r"(来电人|来电者|姓名(?:是|为|叫)?|名叫|名字(?:是|叫)|叫做|叫)[:：\s]*((?:(?![的和与及或、])[\u4e00-\u9fff]){2,4})")
_NAME_BEFORE_RE = re.compile(r"((?:(?![和与及或、])[\u4e00-\u9fff])+)(?=(?:的|之)(?:电话|手机|号码|联系方式|住址|地址|身份证))")
# Leading words of a question that are not part of a name ("告诉我张三的电话" → 张三).
_LEADING_WORDS = ("告诉我", "请告诉我", "帮我查", "帮我", "给我", "请问", "查询", "查一下", "查查", "查找", "查",
                  "找出", "找", "我要", "我想知道", "我想要", "我想", "列出", "显示", "导出", "打印", "输出", "看看",
                  "所有", "全部", "把", "请", "我", "你", "一下")
_NOT_NAMES = {"来电人", "来电者", "所有人", "每个人", "他们", "她们", "我们", "你们", "职工", "工人", "用户",
              "群众", "这个人", "那个人", "此人", "本人", "他", "她", "我", "你", "人员", "工会", "单位"}


# Words after 来电人/叫 that are not a name ("来电人电话", "来电人有哪些").
_NOUN_PREFIXES = ("电话", "手机", "号码", "联系", "信息", "姓名", "名字", "工单", "身份", "地址", "住址", "数量",
                  "人数", "是谁", "有哪", "打电话", "最多", "总数", "情况", "数据", "反映", "诉求", "的")


def _region_words() -> set[str]:
    from .contract import REGIONS
    words = set()
    for r in REGIONS:
        words.add(r.name)
        words.add(re.sub(r"(回族自治区|市|县|区)$", "", r.name))
    return words


def _mask_names_in_question(text: str) -> str:
    regions = _region_words()

    def maskable(word: str) -> bool:
        return (2 <= len(word) <= 4 and word not in _NOT_NAMES and word not in regions
                and not word.endswith(("们", "人")) and not word.startswith(_NOUN_PREFIXES))

    def after(m: re.Match) -> str:
        return m.group(1) + (mask_name(m.group(2)) if maskable(m.group(2)) else m.group(2))

    def before(m: re.Match) -> str:
        run = m.group(1)
        name = run
        stripped = True
        while stripped:
            stripped = False
            for w in _LEADING_WORDS:
                if name.startswith(w) and len(name) > len(w):
                    name, stripped = name[len(w):], True
                    break
        if not maskable(name):
            return run
        return run[: len(run) - len(name)] + mask_name(name)

    text = _NAME_AFTER_RE.sub(after, text)
    return _NAME_BEFORE_RE.sub(before, text)


def mask_free_text(value: str | None) -> str | None:
    """A question, message or error as it may be stored: phones, ID numbers and typed names masked."""
    if value is None:
        return None
    text = str(value)[:MAX_FIELD_CHARS]
    return _mask_names_in_question(mask_text(text))


def mask_sql(sql: str | None) -> str | None:
    """SQL as it may be stored: string literals compared with a PII column blanked, phones masked."""
    if sql is None:
        return None
    text = str(sql)[:MAX_FIELD_CHARS]
    pii_names = {c for _, c in PII_KINDS}
    try:
        trees = sqlglot.parse(text, read="duckdb")
        changed = False
        for tree in trees:
            if tree is None:
                continue
            for column in list(tree.find_all(exp.Column)):
                if column.name.lower() not in pii_names:
                    continue
                # Every string literal in the smallest expression around this column (a = 'x',
                # x IN ('a','b'), x LIKE '张%', concat(x, …) = '…').
                holder = column.parent
                while holder is not None and not isinstance(holder, (exp.Predicate, exp.Condition, exp.Select)):
                    holder = holder.parent
                if holder is None or isinstance(holder, exp.Select):
                    continue
                for literal in holder.find_all(exp.Literal):
                    if literal.is_string and literal.this:
                        literal.replace(exp.Literal.string("***"))
                        changed = True
        if changed:
            text = ";\n".join(t.sql(dialect="duckdb") for t in trees if t is not None)
    except Exception:  # unparseable SQL is stored as text, masked below
        text = re.sub(r"(caller_(?:name|phone)\s*(?:=|<>|!=|like|ilike|in\s*\()\s*)'[^']*'", r"\1'***'", text,
                      flags=re.IGNORECASE)
    return mask_text(text)


@dataclass
class AuditLog:
    """One JSON object per line, appended; nothing is ever rewritten."""
    path: Path

    def __post_init__(self) -> None:
        self.path = Path(self.path)

    def record(self, kind: str, *, org: Any = None, question: str | None = None, sql: str | None = None,
               rows: int | None = None, status: str, reason: str | None = None, error: str | None = None,
               backend: str | None = None, elapsed_ms: float | None = None) -> dict[str, Any]:
        entry = {
            "ts": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
            "kind": kind,
            "org": _org_name(org),
            "question": mask_free_text(question),
            "sql": mask_sql(sql),
            "rows": rows,
            "status": status,
            "reason": mask_free_text(reason),
            "error": mask_free_text(error),
            "backend": backend,
            "elapsed_ms": elapsed_ms,
        }
        line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # O_APPEND: each line lands whole at the end, even with several writers.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
        return entry

    def entries(self) -> Iterable[dict[str, Any]]:
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue  # a torn last line from a crash; skip it

    def recent(self, n: int = 20) -> list[dict[str, Any]]:
        """The last n entries, oldest first."""
        if n <= 0:
            return []
        return list(deque(self.entries(), maxlen=n))


def _org_name(org: Any) -> str | None:
    if org is None:
        return None
    if hasattr(org, "org_name"):
        return org.org_name
    return str(org)


_STATUS_CN = {"ok": "成功", "refused": "拒绝", "clarify": "追问", "error": "出错"}
_KIND_CN = {"ask": "提问", "sql": "SQL"}


def _local_time(ts: str | None) -> str:
    if not ts:
        return "-"
    try:
        return dt.datetime.fromisoformat(ts).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return ts


def _one_line(text: str | None, width: int = 120) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def format_entries(entries: Iterable[dict[str, Any]]) -> str:
    """The entries as text for `wenshu audit`: one header line per entry, details indented."""
    blocks = []
    for e in entries:
        head = [_local_time(e.get("ts")), _KIND_CN.get(e.get("kind"), str(e.get("kind"))),
                _STATUS_CN.get(e.get("status"), str(e.get("status"))), e.get("org") or "（未指定组织）"]
        if e.get("rows") is not None:
            head.append(f"{e['rows']}行")
        if e.get("backend"):
            head.append(str(e["backend"]))
        if e.get("elapsed_ms") is not None:
            head.append(f"{float(e['elapsed_ms']):.0f}ms")
        lines = ["  ".join(head)]
        if e.get("question"):
            lines.append(f"    问题：{_one_line(e['question'])}")
        if e.get("sql"):
            lines.append(f"    SQL：{_one_line(e['sql'], 200)}")
        if e.get("reason"):
            lines.append(f"    原因：{_one_line(e['reason'])}")
        if e.get("error"):
            lines.append(f"    错误：{_one_line(e['error'])}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks) if blocks else "（审计日志为空）"
