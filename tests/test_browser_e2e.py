"""End to end in real headless Chromium: the OA portal, the robot widget, the app in its iframe.

Starts the Streamlit app and the portal on free ports against the demo databases
(browser_support.ui_servers), then drives Debian's chromium with playwright.
Screenshots go to tests/artifacts/.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from browser_support import ARTIFACTS, require_chromium, ui_servers

pytestmark = pytest.mark.browser

ANSWER_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def servers(demo_settings, tmp_path_factory):
    require_chromium()
    with ui_servers(demo_settings, tmp_path_factory.mktemp("e2e-data"),
                    WENSHU_BACKEND="rules", OPENAI_BASE_URL=None) as urls:
        yield urls


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
