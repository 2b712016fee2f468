"""Streaming reaches the UI: with the LLM planner on a streaming endpoint, the officer watches the
SQL being written in the browser, piece by piece, before the answer arrives.

The endpoint is the scripted OpenAI-compatible server (tests/fake_openai.py) sending its reply as
server-sent events, a few characters every 0.15 s, like a model on a slow CPU; the app runs in
its own process (browser_support.ui_servers) and Debian's chromium watches the page.
"""
from __future__ import annotations

import time

import pytest

from browser_support import ARTIFACTS, require_chromium, ui_servers
from fake_openai import FakeOpenAI, Reply, step_of

pytestmark = pytest.mark.browser

SQL = ("SELECT COUNT(*) AS 工单量 FROM hotline_tickets t WHERE t.region_code = '640522' "
       "AND t.received_at >= DATE '2026-01-01' AND t.received_at < DATE '2026-07-01'")
REPLY = f"```sql\n{SQL}\n```"
QUESTION = "今年上半年海原县的工单量是多少？"


@pytest.fixture(scope="module")
def endpoint():
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def servers(demo_settings, endpoint, tmp_path_factory):
    require_chromium()
    with ui_servers(demo_settings, tmp_path_factory.mktemp("stream-data"),
                    WENSHU_BACKEND="llm", OPENAI_BASE_URL=endpoint.base_url, OPENAI_API_KEY="test",
                    WENSHU_LLM_MODEL="fake-model", WENSHU_LLM_STREAM=None, WENSHU_LLM_TIMEOUT="120") as urls:
        yield urls


def _expected_count(demo_settings) -> int:
    from assistant.pipeline import App, run_sql
    answer = run_sql(SQL, database="hotline", app=App(demo_settings))
    assert answer.status == "ok", answer.answer
    return int(answer.rows[0][0])


def test_sql_streams_into_the_page_while_the_model_writes(servers, endpoint, demo_settings, page):
    endpoint.reset()
    # only the generation step may be asked (the question is plainly about data); it streams slowly
    endpoint.router = lambda body: (Reply(REPLY, chunk_chars=2, chunk_delay_s=0.15) if step_of(body) == "sql"
                                    else Reply(status=500))
    page.goto(servers["app"])
    box = page.locator("[data-testid='stChatInputTextArea']")
    box.wait_for(timeout=90_000)
    box.fill(QUESTION)
    box.press("Enter")

    final = page.locator("[data-testid='stExpander']", has_text="查看 / 修改 SQL")
    code = page.locator("[data-testid='stCode']")
    seen: list[str] = []
    deadline = time.monotonic() + 180
    while final.count() == 0 and time.monotonic() < deadline:
        texts = code.all_inner_texts()
        if texts and texts[-1].strip() and (not seen or texts[-1] != seen[-1]):
            seen.append(texts[-1])
            if len(seen) == 3:
                page.screenshot(path=str(ARTIFACTS / "app-streaming-sql.png"))
        page.wait_for_timeout(100)
    final.last.wait_for(timeout=60_000)

    assert len(seen) >= 3, f"the SQL should appear piece by piece, saw {seen!r}"
    whole = " ".join(SQL.split())
    shown = [" ".join(s.split()) for s in seen]
    assert len(shown[0]) < len(whole) / 2, "the first sight of the SQL comes early, not at the end"
    for earlier, later in zip(shown, shown[1:]):
        assert len(later) > len(earlier), "each update shows more of the SQL"
    for text in shown:   # the SQL as written so far, without the ```sql fence the model wraps it in
        assert whole.startswith(text), text
    assert endpoint.steps() == ["sql"] and endpoint.requests[0].get("stream") is True

    # and then the answer: the same number the SQL gives
    body = page.locator("body").inner_text().replace(",", "")
    assert str(_expected_count(demo_settings)) in body
    assert "查询未成功" not in body
