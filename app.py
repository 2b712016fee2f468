"""问数 Wenshu — the officers' chat (Streamlit).

Two ways in:
- plain app (`wenshu app`, http://localhost:8501): pick the organisation in the sidebar;
- embed mode (the robot widget of the OA portal, `/?embed=true&token=…`): the identity comes
  from a signed, expiring token and nothing else; no valid token, no data.

Every question goes through `pipeline.ask`, edited SQL through `pipeline.run_sql` (the guard);
the page only displays Answers. Everything is caught at the top: officers never see a traceback.
"""
from __future__ import annotations

import io
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from assistant.charts import is_ratio_column, metric_card
from assistant.config import Settings, load_settings
from assistant.models import Answer, Scope

log = logging.getLogger("wenshu.app")

TITLE = "智能问数助手"
ROOT_ORG_NAME = "宁夏回族自治区总工会"
STARTERS_WIDE = ["今年各市工单量", "今年以来热线办结率是多少", "近6个月每月工单量", "今年各问题分类工单量占比",
                 "各类型工会阵地数量", "去年各市追回金额"]
STARTERS_COUNTY = ["今年工单量是多少", "今年以来办结率是多少", "近6个月每月工单量", "今年各问题分类工单量占比",
                   "各类型工会阵地数量", "今年满意率是多少"]
# Follow-ups offered when the planner suggests none, by the chart the answer drew.
GENERIC_FOLLOW_UPS = {
    "metric": ["和去年同期相比呢", "按月看趋势"],
    "line": ["按市分布呢", "和去年同期相比呢"],
    "bar": ["近6个月趋势呢", "占比是多少"],
    "donut": ["近6个月趋势呢", "按市分布呢"],
}
CHAT_LABEL = "请输入问题，例如：今年各市工单量"
ASSISTANT_AVATAR = ":material/smart_toy:"


@dataclass(frozen=True)
class Who:
    """Who is asking: the scope they may see, and how they got it."""
    scope: Scope
    officer: str | None
    embedded: bool


class NoAccess(Exception):
    """The page must stop without data; `message` says why, in Chinese."""

    def __init__(self, message: str, kind: str = "error"):
        super().__init__(message)
        self.message = message
        self.kind = kind


# ── resources ──────────────────────────────────────────────────────────────────────

@st.cache_resource(show_spinner="正在连接数据库…")
def _load_app(key: str, _settings: Settings):
    from assistant.pipeline import App
    return App(_settings)


def get_app(settings: Settings):
    from assistant.db import DatabaseUnavailable
    from assistant.schema_docs import SchemaDocsError
    try:
        return _load_app(repr(settings), settings)
    except DatabaseUnavailable as error:
        raise NoAccess(f"数据库尚未就绪：{error}。请先运行 `wenshu demo-data` 生成演示数据，再刷新本页面。") from None
    except SchemaDocsError as error:
        raise NoAccess(f"数据说明与数据库不一致，助手暂停服务：{error}") from None


# ── identity ───────────────────────────────────────────────────────────────────────

def _param(name: str) -> str | None:
    value = st.query_params.get(name)
    return value if value else None


def is_embedded() -> bool:
    """Embed mode: opened by the OA widget (a token, or the widget's embed marker, in the URL)."""
    try:
        embedded = bool(st.context.is_embedded)
    except Exception:  # no browser context (bare runs)
        embedded = False
    return embedded or _param("token") is not None or _param("embed") in ("true", "1") or _param("widget") == "1"


def identify(app, settings: Settings) -> Who:
    from assistant.identity import TokenError, verify_token
    from assistant.orgs import UnknownOrg, resolve_scope
    if is_embedded() or getattr(settings, "require_token", False):
        token = _param("token")
        known = st.session_state.get("verified_token")
        # The token is the entry ticket: checked when the widget opens (and whenever the URL
        # carries a different one); the conversation it opened may outlive its short expiry.
        if known is not None and known[0] == token:
            ident = known[1]
        else:
            st.session_state.pop("verified_token", None)
            try:
                ident = verify_token(token, secret=settings.token_secret)
            except TokenError as error:
                raise NoAccess(error.message, "token") from None
            if st.session_state.get("messages"):
                _new_conversation()   # another identity: never show the previous one's answers
            st.session_state["verified_token"] = (token, ident)
        try:
            scope = resolve_scope(ident.org_id, app)
        except UnknownOrg:
            raise NoAccess("身份令牌中的工会组织不存在，无法确定您的数据范围。请联系系统管理员。", "token") from None
        return Who(scope=scope, officer=ident.officer, embedded=True)
    orgs = app.orgs.officer_orgs()
    by_id = {o.org_id: o for o in orgs}
    ids = list(by_id)
    default = next((o.org_id for o in orgs if o.org_name == ROOT_ORG_NAME), ids[0])
    indent = {"自治区总工会": "", "市总工会": "\u3000", "县区总工会": "\u3000\u3000"}
    chosen = st.sidebar.selectbox(
        "以哪个工会组织的身份提问", ids, index=ids.index(st.session_state.get("org_id", default))
        if st.session_state.get("org_id", default) in by_id else 0,
        format_func=lambda i: indent.get(by_id[i].org_level, "") + by_id[i].org_name, key="org_select",
    )
    if st.session_state.get("org_id") not in (None, chosen):
        _new_conversation()   # a different organisation sees different rows: start afresh
    st.session_state["org_id"] = chosen
    return Who(scope=resolve_scope(chosen, app), officer=None, embedded=False)


# ── conversation state ─────────────────────────────────────────────────────────────

def _state() -> dict[str, Any]:
    ss = st.session_state
    if "session_id" not in ss:
        ss["session_id"] = "st-" + uuid.uuid4().hex[:16]
        ss["messages"] = []
        ss["next_id"] = 0
    return ss


def _new_conversation() -> None:
    ss = st.session_state
    ss["session_id"] = "st-" + uuid.uuid4().hex[:16]
    ss["messages"] = []
    ss.pop("pending", None)


def _queue(question: str) -> None:
    st.session_state["pending"] = question


def _add(message: dict[str, Any]) -> dict[str, Any]:
    ss = _state()
    message["id"] = ss["next_id"]
    ss["next_id"] += 1
    ss["messages"].append(message)
    return message


# ── answer display ─────────────────────────────────────────────────────────────────

def _frame(answer: Answer) -> pd.DataFrame:
    import decimal
    rows = [[float(v) if isinstance(v, decimal.Decimal) else v for v in row] for row in answer.rows]
    columns = list(answer.columns)
    # Duplicate column names (SELECT a, a) would break the table: number the repeats.
    seen: dict[str, int] = {}
    for i, c in enumerate(columns):
        if c in seen:
            seen[c] += 1
            columns[i] = f"{c}_{seen[c]}"
        else:
            seen[c] = 0
    return pd.DataFrame(rows, columns=columns)


def _downloads(answer: Answer) -> tuple[bytes, bytes]:
    df = _frame(answer)
    csv = df.to_csv(index=False).encode("utf-8-sig")   # the BOM lets Excel open Chinese CSV correctly
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        df.to_excel(writer, index=False, sheet_name="查询结果")
        sheet = writer.sheets["查询结果"]
        for i, col in enumerate(df.columns, start=1):
            sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = max(10, min(40, 2 * len(str(col)) + 4))
            if is_ratio_column(str(col)):
                for cell in sheet.iter_cols(min_col=i, max_col=i, min_row=2):
                    for c in cell:
                        c.number_format = "0.0%"
    return csv, buf.getvalue()


def _column_config(df: pd.DataFrame) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for col in df.columns:
        if pd.api.types.is_numeric_dtype(df[col]):
            config[col] = st.column_config.NumberColumn(format="percent" if is_ratio_column(str(col)) else "localized")
    return config


def _show_chart(answer: Answer, mid: int) -> None:
    if answer.chart_type == "metric":
        card = metric_card(answer.chart)
        if card:
            delta = None
            if card.get("delta_formatted"):
                # the sign leads, so st.metric points its arrow the right way
                delta = f"{card['delta_formatted']}（{card.get('delta_label', '较上期')}）"
            st.metric(card["label"], card["formatted"], delta=delta, delta_color="off", border=True)
            if card.get("base_label"):
                st.caption(f"{card['base_label']}：{card.get('base_formatted', '')}")
            return
    if answer.chart:
        st.vega_lite_chart(answer.chart, width="stretch", key=f"chart_{mid}")


def _show_answer(msg: dict[str, Any], who: Who, app, latest: bool) -> None:
    answer: Answer = msg["answer"]
    mid = msg["id"]
    if answer.status == "refused":
        st.warning(answer.answer or "这个问题超出了我能回答的范围。", icon=":material/shield:")
    elif answer.status == "clarify":
        st.info(answer.answer or "能再具体一点吗？", icon=":material/help:")
    elif answer.status == "error":
        st.warning(answer.answer or "抱歉，这次查询没有成功，请稍后再试。", icon=":material/info:")
    else:
        st.markdown(answer.answer or "查询完成。")
        _show_chart(answer, mid)
        if answer.columns:
            df = _frame(answer)
            with st.expander(f"数据表（{len(df)}行）", expanded=answer.chart_type in ("table", None) or not answer.chart):
                st.dataframe(df, hide_index=True, column_config=_column_config(df), key=f"table_{mid}")
                if "files" not in msg:
                    msg["files"] = _downloads(answer)
                csv, xlsx = msg["files"]
                row = st.container(horizontal=True)
                row.download_button("下载 CSV", csv, file_name="问数结果.csv", mime="text/csv",
                                   key=f"csv_{mid}", on_click="ignore", icon=":material/download:")
                row.download_button("下载 Excel", xlsx, file_name="问数结果.xlsx", key=f"xlsx_{mid}", on_click="ignore",
                                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", icon=":material/table_view:")
        notes = []
        for d in answer.definitions:
            notes.append(f"**口径**　{d.name}：{d.formula}")
        if answer.period:
            notes.append(f"**统计期间**　{answer.period}")
        if answer.scope:
            notes.append(f"**数据范围**　{answer.scope}")
        if notes:
            st.caption("　\n".join(notes))
    if answer.sql:
        with st.expander("查看 / 修改 SQL"):
            st.caption("可修改后重新运行；修改后的查询同样经过安全检查，并限定在您的数据范围内。")
            edited = st.text_area("SQL", value=answer.sql, key=f"sql_{mid}", height=160, label_visibility="collapsed")
            if st.button("运行修改后的 SQL", key=f"rerun_{mid}", icon=":material/play_arrow:"):
                _run_edited(edited, answer.database or "hotline", who, app)
    _feedback(msg, who, app)
    if latest and answer.status != "error":
        follow = list(answer.suggestions) or (GENERIC_FOLLOW_UPS.get(answer.chart_type or "", []) if answer.status == "ok" else [])
        if follow:
            st.caption("您可能还想问：")
            row = st.container(horizontal=True)
            for i, q in enumerate(follow[:4]):
                row.button(q, key=f"follow_{mid}_{i}", on_click=_queue, args=(q,), icon=":material/subdirectory_arrow_right:")


def _feedback(msg: dict[str, Any], who: Who, app) -> None:
    answer: Answer = msg["answer"]
    if answer.status not in ("ok", "clarify", "refused"):
        return
    if msg.get("rating"):
        st.caption("感谢反馈！" + ("我们会用它改进回答。" if msg["rating"] == "down" else ""))
        return
    mid = msg["id"]
    row = st.container(horizontal=True, gap="small")
    up = row.button("有帮助", key=f"up_{mid}", help="回答正确（👍）", icon=":material/thumb_up:", type="tertiary")
    down = row.button("不准确", key=f"down_{mid}", help="回答有误（👎）", icon=":material/thumb_down:", type="tertiary")
    if up or down:
        from assistant.feedback import record_feedback
        rating = "up" if up else "down"
        record_feedback(app.settings, rating=rating, question=msg.get("question"), sql=answer.sql,
                        answer=answer.answer, database=answer.database, status=answer.status,
                        chart_type=answer.chart_type, backend=answer.backend, org_id=who.scope.org_id,
                        org_name=who.scope.org_name, session=st.session_state.get("session_id"))
        msg["rating"] = rating
        st.rerun()


def _run_edited(sql: str, database: str, who: Who, app) -> None:
    from assistant.pipeline import run_sql
    _add({"role": "user", "text": "运行修改后的 SQL", "question": None})
    with st.spinner("正在检查并运行 SQL…"):
        answer = run_sql(sql, database=database, app=app, scope=who.scope)
    _add({"role": "assistant", "answer": answer, "question": None})
    st.rerun()


def _ask(question: str, who: Who, app) -> None:
    from assistant.llm_planner import streaming_sql
    from assistant.pipeline import ask
    _add({"role": "user", "text": question})
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant", avatar=ASSISTANT_AVATAR):
        with st.status("正在理解问题、生成并检查查询…", expanded=False) as status:
            stream = st.empty()
            tokens: list[str] = []

            def on_token(token: str) -> None:   # the LLM planner streams its SQL as it writes it
                if not tokens:   # a model answering takes seconds: open the box so the officer sees it write
                    status.update(label="大模型正在编写查询…", expanded=True)
                tokens.append(token)
                if len(tokens) % 4 == 0:
                    text = streaming_sql("".join(tokens))   # the SQL inside the reply's ```sql fence
                    if text:
                        stream.code(text, language="sql")

            answer = ask(question, app=app, session=st.session_state["session_id"], scope=who.scope, on_token=on_token,
                         as_of=getattr(app.settings, "as_of", None))
            label = {"ok": "查询完成", "refused": "无法回答", "clarify": "需要补充信息", "error": "查询未成功"}
            status.update(label=label.get(answer.status, "完成"), state="complete")
    _add({"role": "assistant", "answer": answer, "question": question})
    st.rerun()


# ── page ───────────────────────────────────────────────────────────────────────────

def _header(who: Who) -> None:
    if who.embedded:
        who_text = f"{who.scope.org_name}" + (f" · {who.officer}" if who.officer else "")
        st.markdown(f"#### :material/smart_toy: {TITLE}")
        st.caption(f"当前身份：{who_text}　|　数据范围：{'全区' if who.scope.is_root else who.scope.region_name}")
    else:
        st.title(f":material/smart_toy: {TITLE}")
        st.caption("宁夏回族自治区总工会 · 12351职工服务热线与工会阵地数据的智能问数。用中文直接提问，答案附图表、数据表、口径和 SQL。")


def _sidebar(who: Who) -> None:
    with st.sidebar:
        st.caption("数据范围：" + ("全区（可查看全部数据）" if who.scope.is_root else who.scope.describe()))
        st.button("清空对话", key="clear_sidebar", on_click=_new_conversation, icon=":material/delete_sweep:", width="stretch")
        st.divider()
        st.caption("可以问：工单量、办结率、按期办结率、超期工单、满意率、平均办理时长、追回金额、"
                   "阵地数量、服务人次、活动场次、参与人次、会员人数、基层工会数——按市、县区、月份、类型等分组。")


def page() -> None:
    settings = load_settings()
    state = _state()
    app = get_app(settings)
    who = identify(app, settings)
    _header(who)
    if who.embedded:
        if state["messages"]:
            st.button("清空对话", key="clear_embedded", on_click=_new_conversation, icon=":material/delete_sweep:")
    else:
        _sidebar(who)

    messages = state["messages"]
    last_assistant = max((m["id"] for m in messages if m["role"] == "assistant"), default=None)
    for msg in messages:
        if msg["role"] == "user":
            with st.chat_message("user"):
                st.markdown(msg["text"])
        else:
            with st.chat_message("assistant", avatar=ASSISTANT_AVATAR):
                _show_answer(msg, who, app, latest=msg["id"] == last_assistant)

    if not messages:
        with st.chat_message("assistant", avatar=ASSISTANT_AVATAR):
            st.markdown("您好！我是智能问数助手，可以用中文查询12351热线工单和工会阵地的统计数据。试试这些问题：")
            starters = STARTERS_WIDE if who.scope.org_level in ("自治区总工会", "市总工会") else STARTERS_COUNTY
            row = st.container(horizontal=True)
            for i, q in enumerate(starters):
                row.button(q, key=f"starter_{i}", on_click=_queue, args=(q,), icon=":material/search:")

    typed = st.chat_input(CHAT_LABEL, max_chars=500, key="chat")
    question = typed or st.session_state.pop("pending", None)
    if question:
        _ask(str(question).strip(), who, app)


def main() -> None:
    st.set_page_config(page_title=f"{TITLE} · 宁夏总工会", page_icon=":material/smart_toy:", layout="centered",
                       initial_sidebar_state="collapsed" if is_embedded() else "auto")
    try:
        page()
    except NoAccess as stop:
        if stop.kind == "token":
            st.markdown(f"#### :material/smart_toy: {TITLE}")
            st.error(stop.message, icon=":material/lock:")
        else:
            st.warning(stop.message, icon=":material/info:")
    except Exception:  # never a traceback for an officer; the log keeps the details
        log.exception("app failed")
        st.error("抱歉，助手暂时出现了问题。请刷新页面后重试；如果问题持续，请联系系统管理员。", icon=":material/info:")


main()
