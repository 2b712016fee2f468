"""The demo OA portal server: static pages, the officer list, and the tokens it signs."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest

from assistant.identity import verify_token
from assistant.portal import make_server
from assistant.ui_launch import settings_env
from assistant.config import load_settings


@pytest.fixture(scope="module")
def portal(demo_settings):
    settings = demo_settings.with_(token_secret="portal-test-secret", token_ttl_s=600)
    server = make_server(settings, port=0, host="127.0.0.1", app_port=8599)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", settings
    finally:
        server.shutdown()
        server.server_close()


def _get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read(), resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err.headers.get("Content-Type", "")


def test_portal_page_and_assets(portal):
    base, _ = portal
    status, body, ctype = _get(base + "/")
    assert status == 200 and ctype.startswith("text/html")
    page = body.decode("utf-8")
    for text in ("协同办公平台", "待办事项", "公文", "通知公告", "日程", "assistant-fab", "assistant-frame"):
        assert text in page
    assert _get(base + "/js/portal.js")[0] == 200 and _get(base + "/css/portal.css")[0] == 200


@pytest.mark.parametrize("path", ["/../pyproject.toml", "/%2e%2e/pyproject.toml", "/nope.html", "/css/"])
def test_nothing_outside_static(portal, path):
    assert _get(portal[0] + path)[0] == 404


def test_officers_are_the_union_hierarchy(portal):
    status, body, _ = _get(portal[0] + "/api/officers")
    data = json.loads(body)
    names = [o["org_name"] for o in data["officers"]]
    assert status == 200 and names[0] == "宁夏回族自治区总工会"
    assert "中卫市总工会" in names and "海原县总工会" in names
    assert len(names) == 1 + 5 + 22
    assert data["app_url"] == "http://127.0.0.1:8599"


def test_token_is_signed_for_the_chosen_org(portal):
    base, settings = portal
    officers = json.loads(_get(base + "/api/officers")[1])["officers"]
    haiyuan = next(o for o in officers if o["org_name"] == "海原县总工会")
    status, body, _ = _get(f"{base}/api/token?org={haiyuan['org_id']}")
    data = json.loads(body)
    assert status == 200
    url = urlsplit(data["url"])
    assert f"{url.scheme}://{url.netloc}" == "http://127.0.0.1:8599"
    query = parse_qs(url.query)
    assert query["embed"] == ["true"] and query["token"] == [data["token"]]
    ident = verify_token(data["token"], secret=settings.token_secret)
    assert ident.org_id == haiyuan["org_id"] and ident.officer == haiyuan["officer"]
    assert ident.expires_at - ident.issued_at == 600


@pytest.mark.parametrize("org", ["999999", "abc", ""])
def test_unknown_org_gets_no_token(portal, org):
    status, body, _ = _get(f"{portal[0]}/api/token?org={org}")
    assert status == 400 and "token" not in json.loads(body)


def test_settings_survive_the_trip_to_the_app_process(demo_settings):
    settings = demo_settings.with_(token_secret="s3cret", row_limit=77, llm_base_url="http://127.0.0.1:9/v1")
    assert load_settings(settings_env(settings)) == settings
