"""The orchestrating path: bad input, sessions, backends, audit, scope."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from assistant.pipeline import App, ask, run_sql
from assistant.schema_docs import SchemaDocsError
from assistant.session import SessionNameError

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def app(demo_settings, tmp_path_factory):
    return App(demo_settings.with_(data_dir=tmp_path_factory.mktemp("pipeline")))


@pytest.mark.parametrize("question", ["", "   ", "\n"])
def test_empty_question_asks_for_one(app, question):
    answer = ask(question, app=app)
    assert answer.status == "clarify" and "请输入" in answer.answer
    assert answer.sql is None


def test_overlong_question_is_refused_without_sql(app):
    answer = ask("工单" * 400, app=app)
    assert answer.status == "refused" and answer.sql is None


def test_bad_session_name_changes_nothing(app):
    with pytest.raises(SessionNameError):
        ask("今年工单量", app=app, session="../../etc/passwd")
    assert not any(app.settings.sessions_dir.glob("*passwd*")) if app.settings.sessions_dir.exists() else True


def test_llm_backend_without_endpoint_says_so(app):
    answer = ask("今年工单量", app=app, backend="llm", as_of=AS_OF)
    assert answer.status == "error" and "未配置大模型" in answer.answer


def test_session_keeps_turns_for_follow_ups(app):
    first = ask("今年海原县工单量", app=app, as_of=AS_OF, session="t1")
    second = ask("去年的呢", app=app, as_of=AS_OF, session="t1")
    assert first.status == second.status == "ok"
    assert first.rows != second.rows
    saved = json.loads((app.settings.sessions_dir / "t1.json").read_text(encoding="utf-8"))
    assert [t["question"] for t in saved["turns"]] == ["今年海原县工单量", "去年的呢"]


def test_run_sql_is_masked_and_audited_without_personal_data(app):
    answer = run_sql("SELECT caller_name, caller_phone FROM hotline_tickets ORDER BY ticket_no LIMIT 3",
                     database="hotline", app=app)
    assert answer.status == "ok"
    for name, phone in answer.rows:
        assert "*" in name and phone[3:7] == "****"
    log = app.settings.audit_path.read_text(encoding="utf-8")
    with app.databases.engine("hotline").connect() as conn:
        raw = conn.exec_driver_sql("SELECT caller_phone FROM hotline_tickets ORDER BY ticket_no LIMIT 3").fetchall()
    assert all(r[0] not in log for r in raw)


def test_scope_limits_rows_and_is_said(app):
    scope = app.orgs.scope("海原县总工会")
    answer = run_sql("SELECT DISTINCT region_code FROM hotline_tickets", database="hotline", app=app, scope=scope)
    assert answer.status == "ok" and answer.rows == [["640522"]]
    assert "海原县" in answer.scope


def test_startup_check_fails_loudly_on_a_broken_doc(demo_settings, tmp_path: Path):
    docs = tmp_path / "schema_docs"
    shutil.copytree(demo_settings.schema_docs_dir, docs)
    tables = docs / "tables.yaml"
    tables.write_text(tables.read_text(encoding="utf-8").replace("amount_recovered:", "amount_returned:", 1),
                      encoding="utf-8")
    with pytest.raises(SchemaDocsError) as info:
        App(demo_settings.with_(schema_docs_dir=docs, data_dir=tmp_path))
    assert "amount_returned" in str(info.value)
