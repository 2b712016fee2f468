"""End to end in real headless Chromium: the OA portal, the robot widget, the app in its iframe.

Starts `python -m assistant.ui_launch` (the Streamlit app and the portal, as `wenshu app` does)
on free ports against the demo databases, then drives Debian's chromium with playwright.
Screenshots go to tests/artifacts/.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from assistant.ui_launch import wait_http

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
ANSWER_TIMEOUT_MS = 120_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def servers(demo_settings, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    data_dir = tmp_path_factory.mktemp("e2e-data")
    app_port, portal_port = _free_port(), _free_port()
    env = {**os.environ,
           "WENSHU_DATA_DIR": str(data_dir),
           "WENSHU_HOTLINE_URL": demo_settings.hotline_url,
           "WENSHU_POSTS_URL": demo_settings.posts_url,
           "WENSHU_TOKEN_SECRET": "e2e-secret",
           "WENSHU_BACKEND": "rules"}
    env.pop("OPENAI_BASE_URL", None)
    log = (data_dir / "servers.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.ui_launch", "--port", str(app_port), "--portal-port", str(portal_port),
         "--address", "127.0.0.1"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        ok = wait_http(f"http://127.0.0.1:{app_port}/_stcore/health", 90, proc) and \
            wait_http(f"http://127.0.0.1:{portal_port}/", 30, proc)
        if not ok:
            log.flush()
            pytest.fail("app or portal did not start:\n" + (data_dir / "servers.log").read_text()[-3000:])
        yield {"portal": f"http://127.0.0.1:{portal_port}/", "app": f"http://127.0.0.1:{app_port}/"}
    finally:
        proc.terminate()          # the launcher stops its Streamlit child on SIGTERM
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 960}, locale="zh-CN")
    p = context.new_page()
    try:
        yield p
    finally:
        context.close()


def _choose_officer(page, org_name: str) -> None:
    page.wait_for_selector("#officer-select option", state="attached", timeout=30_000)
    value = page.evaluate(
        """(name) => [...document.querySelectorAll('#officer-select option')]
                      .find(o => o.textContent.trim() === name).value""", org_name)
    page.select_option("#officer-select", value)
    page.wait_for_function("(n) => document.getElementById('user-name').textContent.includes(n)", arg=org_name)


def _open_widget(page):
    page.click("#assistant-fab")
    page.wait_for_selector("#assistant-panel:not([hidden])")
    frame = page.frame_locator("#assistant-frame")
    frame.locator("[data-testid='stChatInputTextArea']").wait_for(timeout=90_000)
    return frame


def _ask(frame, question: str) -> None:
    box = frame.locator("[data-testid='stChatInputTextArea']")
    box.fill(question)
    box.press("Enter")
    # the answer is in once its SQL expander is drawn
    frame.locator("[data-testid='stExpander']", has_text="查看 / 修改 SQL").last.wait_for(timeout=ANSWER_TIMEOUT_MS)


def _chart_marks(frame) -> int:
    """How many marks the last Vega chart drew: svg paths/rects, or painted canvas pixels."""
    chart = frame.locator("[data-testid='stVegaLiteChart']").last
    chart.wait_for(timeout=60_000)
    chart.locator("svg, canvas").first.wait_for(timeout=30_000)
    chart.scroll_into_view_if_needed()
    return chart.evaluate(
        """(el) => {
             const svgMarks = el.querySelectorAll('svg .mark-rect path, svg .mark-line path, svg .mark-arc path, svg .mark-symbol path');
             if (svgMarks.length) return svgMarks.length;
             const canvas = el.querySelector('canvas');
             if (!canvas) return 0;
             const ctx = canvas.getContext('2d');
             const {width, height} = canvas;
             const data = ctx.getImageData(0, 0, width, height).data;
             let painted = 0;   // non-white, non-transparent pixels: bars, lines, text
             for (let i = 0; i < data.length; i += 16) {
               if (data[i + 3] > 0 && (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235)) painted++;
             }
             return painted > 500 ? painted : 0;
           }""")


def _frame_text(page) -> str:
    return page.frame_locator("#assistant-frame").locator("body").inner_text()


def test_root_officer_asks_and_sees_a_chart(servers, page):
    page.goto(servers["portal"])
    page.wait_for_selector("text=待办事项")
    _choose_officer(page, "宁夏回族自治区总工会")
    page.screenshot(path=str(ARTIFACTS / "portal.png"), full_page=False)
    frame = _open_widget(page)
    _ask(frame, "今年各市工单量")
    assert _chart_marks(frame) > 0, "a drawn chart with marks"
    text = _frame_text(page)
    assert "工单" in text
    page.screenshot(path=str(ARTIFACTS / "widget-root-answer.png"))
    # the iframe was opened in embed mode with a signed token
    src = page.get_attribute("#assistant-frame", "src")
    assert "embed=true" in src and "token=" in src


def test_county_officer_sees_only_its_county(servers, page):
    page.goto(servers["portal"])
    _choose_officer(page, "海原县总工会")
    frame = _open_widget(page)
    assert "海原县总工会" in _frame_text(page)
    _ask(frame, "今年各县区工单量")
    assert _chart_marks(frame) > 0
    # the table's cells are drawn on canvas: read its rows from the CSV the page offers for download
    table = frame.locator("[data-testid='stExpander']", has_text="数据表").last
    table.locator("summary").click()
    with page.expect_download() as dl:
        table.get_by_role("button", name="下载 CSV").click()
    csv_text = Path(dl.value.path()).read_text(encoding="utf-8-sig")
    rows = [line.split(",")[0] for line in csv_text.strip().splitlines()[1:]]
    assert rows == ["海原县"], csv_text
    text = _frame_text(page)
    for other in ("沙坡头区", "中宁县", "银川市", "兴庆区"):
        assert other not in text
    page.screenshot(path=str(ARTIFACTS / "widget-county-answer.png"))


def test_forged_token_in_the_iframe_url_gets_no_data(servers, page):
    page.goto(servers["app"] + "?embed=true&token=eyJvcmciOjF9.AAAA")
    page.get_by_text("签名不符").wait_for(timeout=60_000)
    assert page.locator("[data-testid='stChatInputTextArea']").count() == 0
    page.screenshot(path=str(ARTIFACTS / "widget-forged-token.png"))
    page.goto(servers["app"] + "?embed=true")          # the widget's address without any token
    page.get_by_text("缺少身份令牌").wait_for(timeout=60_000)
    assert page.locator("[data-testid='stChatInputTextArea']").count() == 0


def test_portal_refuses_unknown_org(servers):
    import json
    import urllib.error
    import urllib.request
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(servers["portal"] + "api/token?org=999999")
    assert err.value.code == 400
    assert "未知" in json.loads(err.value.read().decode("utf-8"))["error"]
    with pytest.raises(urllib.error.HTTPError) as err2:
        urllib.request.urlopen(servers["portal"] + "../pyproject.toml")
    assert err2.value.code in (400, 404)
