"""All configuration in one place: environment variables with sensible defaults.

Nothing else in the package reads os.environ; everything takes a Settings.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DOCS_DIR = PROJECT_ROOT / "schema_docs"
PROMPTS_DIR = PROJECT_ROOT / "prompts"
EVAL_DIR = PROJECT_ROOT / "eval"


def _duckdb_url(path: Path) -> str:
    return f"duckdb:///{path}"


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key)
    return float(raw) if raw not in (None, "") else default


def _int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key)
    return int(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    hotline_url: str
    posts_url: str
    # guard
    row_limit: int = 1000            # LIMIT added to a query that has none
    max_result_rows: int = 10000     # hard cap on rows fetched
    statement_timeout_s: float = 10.0
    # conversation, audit, feedback
    # identity tokens handed over by the OA portal
    token_secret: str = "wenshu-demo-secret-change-me"
    token_ttl_s: int = 900
    # LLM planner (any OpenAI-compatible endpoint)
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str = "qwen2.5-coder-1.5b-instruct"
    llm_timeout_s: float = 60.0
    llm_temperature: float = 0.0
    llm_max_repairs: int = 2
    llm_stream: bool = True       # stream tokens to callers that ask for them (the UI)
    default_backend: str = "auto"
    # reference date for 今年/上个月…; None means today (set it when the data ends earlier)
    as_of: dt.date | None = None
    # refuse the plain (non-embedded) app without a signed token, for real deployments
    require_token: bool = False
    schema_docs_dir: Path = field(default=SCHEMA_DOCS_DIR)

    @property
    def sessions_dir(self) -> Path:
        return self.data_dir / "sessions"

    @property
    def audit_path(self) -> Path:
        return self.data_dir / "audit.jsonl"

    @property
    def feedback_path(self) -> Path:
        return self.data_dir / "feedback.jsonl"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url)

    def url(self, database: str) -> str:
        if database == "hotline":
            return self.hotline_url
        if database == "posts":
            return self.posts_url
        raise ValueError(f"unknown database {database!r}")

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    data_dir = Path(env.get("WENSHU_DATA_DIR") or PROJECT_ROOT / "data").resolve()
    return Settings(
        data_dir=data_dir,
        hotline_url=env.get("WENSHU_HOTLINE_URL") or _duckdb_url(data_dir / "hotline.duckdb"),
        posts_url=env.get("WENSHU_POSTS_URL") or _duckdb_url(data_dir / "posts.duckdb"),
        row_limit=_int(env, "WENSHU_ROW_LIMIT", 1000),
        max_result_rows=_int(env, "WENSHU_MAX_RESULT_ROWS", 10000),
        statement_timeout_s=_float(env, "WENSHU_STATEMENT_TIMEOUT", 10.0),
        token_secret=env.get("WENSHU_TOKEN_SECRET") or "wenshu-demo-secret-change-me",
        token_ttl_s=_int(env, "WENSHU_TOKEN_TTL", 900),
        llm_base_url=env.get("OPENAI_BASE_URL") or None,
        llm_api_key=env.get("OPENAI_API_KEY") or None,
        llm_model=env.get("WENSHU_LLM_MODEL") or "qwen2.5-coder-1.5b-instruct",
        llm_timeout_s=_float(env, "WENSHU_LLM_TIMEOUT", 60.0),
        llm_temperature=_float(env, "WENSHU_LLM_TEMPERATURE", 0.0),
        llm_max_repairs=_int(env, "WENSHU_LLM_MAX_REPAIRS", 2),
        llm_stream=(env.get("WENSHU_LLM_STREAM", "1").lower() not in ("0", "false", "no", "off")),
        default_backend=env.get("WENSHU_BACKEND") or "auto",
        as_of=dt.date.fromisoformat(env["WENSHU_AS_OF"]) if env.get("WENSHU_AS_OF") else None,
        require_token=(env.get("WENSHU_REQUIRE_TOKEN", "0").lower() in ("1", "true", "yes")),
        schema_docs_dir=Path(env.get("WENSHU_SCHEMA_DOCS") or SCHEMA_DOCS_DIR),
    )
