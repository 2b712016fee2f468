"""The Streamlit app through streamlit.testing (AppTest), on the real demo databases."""
from __future__ import annotations

import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from assistant.config import PROJECT_ROOT
from assistant.identity import issue_token

SECRET = "apptest-secret"
APP_FILE = str(PROJECT_ROOT / "app.py")


@pytest.fixture()
def env(demo_settings, tmp_path, monkeypatch):
    """The app reads its settings from the environment, like `wenshu app` hands them over."""
    monkeypatch.setenv("WENSHU_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WENSHU_HOTLINE_URL", demo_settings.hotline_url)
    monkeypatch.setenv("WENSHU_POSTS_URL", demo_settings.posts_url)
    monkeypatch.setenv("WENSHU_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("WENSHU_BACKEND", "rules")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return tmp_path


def _app(**query: str) -> AppTest:
    at = AppTest.from_file(APP_FILE, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for kind in ("warning", "info", "error", "success") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def _charts(at: AppTest) -> list:
    return list(at.get("arrow_vega_lite_chart")) + list(at.get("vega_lite_chart"))


def _ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def org_ids(demo_settings) -> dict[str, int]:
    from assistant.db import Databases
    from assistant.orgs import OrgDirectory
    databases = Databases(demo_settings)
    try:
        return {o.org_name: o.org_id for o in OrgDirectory(databases.engine("hotline")).officer_orgs()}
    finally:
        databases.dispose()


def test_start_page_offers_starters_and_org_selector(env):
    at = _app()
    assert not at.exception
    assert at.chat_input, "chat input shown"
    labels = [b.label for b in at.button]
    assert "今年各市工单量" in labels
    box = at.selectbox(key="org_select")
    assert "宁夏回族自治区总工会" in box.format_func(box.value)


def test_question_shows_answer_chart_table_and_sql(env):
    at = _ask(_app(), "今年各市工单量")
    text = _texts(at)
    assert "银川市" in text or "工单" in text
    assert _charts(at), "a bar chart drawn"
    assert at.dataframe, "the table shown"
    df = at.dataframe[0].value
    assert len(df) == 5 and "银川市" in set(df.iloc[:, 0])
    assert any(e.label == "查看 / 修改 SQL" for e in at.expander)
    sql = at.text_area[0].value
    assert "hotline_tickets" in sql.lower() or "select" in sql.lower()
    assert {b.label for b in at.get("download_button")} >= {"下载 CSV", "下载 Excel"}
    assert any("口径" in c.value for c in at.caption), "the definition used is shown"


def test_follow_up_uses_the_session(env):
    at = _ask(_app(), "今年各市工单量")
    at = _ask(at, "去年呢")
    # a second answer, still a table of cities; the follow-up was understood from the session
    assert len(at.dataframe) == 2
    assert len(at.dataframe[1].value) == 5


def test_starter_button_asks(env):
    at = _app()
    next(b for b in at.button if b.label == "今年各市工单量").click().run()
    assert not at.exception
    assert at.dataframe and _charts(at)


def test_refusal_is_kind(env):
    at = _ask(_app(), "把所有工单删掉")
    assert not at.dataframe
    assert at.warning or at.info
    assert "Traceback" not in _texts(at)


def test_clear_conversation(env):
    at = _ask(_app(), "今年各市工单量")
    assert at.dataframe
    at.button(key="clear_sidebar").click().run()
    assert not at.dataframe
    assert "今年各市工单量" in [b.label for b in at.button]   # the starters again


def test_edited_sql_reruns_through_the_guard(env):
    at = _ask(_app(), "今年各市工单量")
    at.text_area[0].set_value("SELECT channel AS 渠道, count(*) AS 工单量 FROM hotline_tickets GROUP BY channel ORDER BY 2 DESC")
    at.button(key="rerun_1").click().run()
    assert not at.exception
    assert len(at.dataframe) == 2
    assert set(at.dataframe[1].value["渠道"]) == {"电话", "微信", "网站", "APP", "来访"}
    # a write is refused by the guard, kindly
    at.text_area[-1].set_value("DELETE FROM hotline_tickets")
    at.button(key=f"rerun_{3}").click().run()
    assert not at.exception
    assert at.warning, "the guard's refusal is shown as a warning"
    assert len(at.dataframe) == 2


def test_feedback_is_stored(env):
    at = _ask(_app(), "今年各市工单量")
    at.button(key="up_1").click().run()
    lines = (env / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    rec = json.loads(lines[-1])
    assert rec["rating"] == "up" and rec["question"] == "今年各市工单量" and rec["sql"]
    assert rec["org_name"] == "宁夏回族自治区总工会"
    assert any("感谢反馈" in c.value for c in at.caption)


def test_plain_mode_org_switch_scopes_answers(env, org_ids):
    at = _app()
    haiyuan = org_ids["海原县总工会"]
    at.selectbox(key="org_select").set_value(haiyuan).run()
    at = _ask(at, "今年各县区工单量")
    df = at.dataframe[0].value
    assert set(df.iloc[:, 0]) == {"海原县"}


# ── embed mode: identity from the signed token only ────────────────────────────────

def test_embed_with_valid_token_is_scoped_to_the_county(env, org_ids):
    token = issue_token(org_ids["海原县总工会"], secret=SECRET, ttl_s=900, officer="马海燕（办公室）")
    at = _app(embed="true", token=token)
    assert not at.exception
    assert not at.selectbox, "no organisation picker in embed mode"
    assert any("海原县总工会" in c.value and "马海燕" in c.value for c in at.caption)
    at = _ask(at, "今年各县区工单量")
    df = at.dataframe[0].value
    assert set(df.iloc[:, 0]) == {"海原县"}
    # the same page with a tampered token: the earlier answer is not shown any more
    at.query_params["token"] = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    at.run()
    assert any("签名不符" in e.value for e in at.error)
    assert not at.dataframe and not at.chat_input


@pytest.mark.parametrize("token,expected", [
    (None, "缺少身份令牌"),
    ("not-a-token", "格式不正确"),
    ("forged", "签名不符"),
    ("expired", "已过期"),
])
def test_embed_without_a_good_token_shows_no_data(env, org_ids, token, expected):
    root = org_ids["宁夏回族自治区总工会"]
    if token == "forged":
        token = issue_token(root, secret="someone-elses-secret", ttl_s=900)
    elif token == "expired":
        token = issue_token(root, secret=SECRET, ttl_s=60, now=time.time() - 3600)
    # (AppTest does not pass `embed` into st.context; the widget's own marker stands in for it)
    query = {"embed": "true", "widget": "1"} if token is None else {"embed": "true", "token": token}
    at = _app(**query)
    assert not at.exception
    assert any(expected in e.value for e in at.error)
    assert not at.chat_input and not at.dataframe and not _charts(at) and not at.selectbox


def test_missing_databases_message(env, monkeypatch, tmp_path):
    monkeypatch.setenv("WENSHU_HOTLINE_URL", f"duckdb:///{tmp_path / 'nope' / 'hotline.duckdb'}")
    monkeypatch.setenv("WENSHU_POSTS_URL", f"duckdb:///{tmp_path / 'nope' / 'posts.duckdb'}")
    at = _app()
    assert not at.exception
    assert any("wenshu demo-data" in w.value for w in at.warning)
    assert not at.chat_input
