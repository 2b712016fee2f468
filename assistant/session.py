"""Conversations kept across calls (`wenshu ask --session NAME`), so follow-ups can edit the last plan."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MAX_TURNS = 20
_NAME = re.compile(r"^[\w\-\u4e00-\u9fff]{1,64}$")


class SessionNameError(ValueError):
    pass


@dataclass
class Turn:
    question: str
    standalone_question: str | None = None
    database: str | None = None
    sql: str | None = None
    plan: dict[str, Any] | None = None
    backend: str | None = None
    status: str | None = None


@dataclass
class Conversation:
    name: str | None = None
    turns: list[Turn] = field(default_factory=list)

    def add(self, turn: Turn) -> None:
        self.turns.append(turn)
        del self.turns[:-MAX_TURNS]


@dataclass(frozen=True)
class SessionStore:
    """One JSON file per conversation under the data directory."""
    directory: Path

    def _path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise SessionNameError("会话名只能包含字母、数字、汉字、下划线和连字符，且不超过64个字符。")
        return self.directory / f"{name}.json"

    def load(self, name: str | None) -> Conversation:
        if not name:
            return Conversation()
        path = self._path(name)
        if not path.exists():
            return Conversation(name=name)
        data = json.loads(path.read_text(encoding="utf-8"))
        return Conversation(name=name, turns=[Turn(**t) for t in data.get("turns", [])])

    def save(self, conversation: Conversation) -> None:
        if not conversation.name:
            return
        path = self._path(conversation.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"turns": [asdict(t) for t in conversation.turns]}, ensure_ascii=False,
                                  default=str, indent=1), encoding="utf-8")
        tmp.replace(path)

    def clear(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)
