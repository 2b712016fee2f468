"""Shared by the browser tests: Debian's chromium under playwright, and the UI servers on free ports.

    with ui_servers(demo_settings, data_dir, WENSHU_BACKEND="rules") as urls:
        urls["app"], urls["portal"]

`ui_servers` starts `python -m assistant.ui_launch` (the Streamlit app and the OA portal, as
`wenshu app` does) against the given databases; extra keyword arguments become environment
variables of that process (None removes one).
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.ui_launch import wait_http

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)")


@contextlib.contextmanager
def ui_servers(settings: Settings, data_dir: Path, **env_overrides: str | None) -> Iterator[dict[str, str]]:
    app_port, portal_port = free_port(), free_port()
    env = {**os.environ,
           "WENSHU_DATA_DIR": str(data_dir),
           "WENSHU_HOTLINE_URL": settings.hotline_url,
           "WENSHU_POSTS_URL": settings.posts_url,
           "WENSHU_TOKEN_SECRET": "e2e-secret"}
    for key, value in env_overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    log_path = data_dir / "servers.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant.ui_launch", "--port", str(app_port), "--portal-port", str(portal_port),
             "--address", "127.0.0.1"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            ok = wait_http(f"http://127.0.0.1:{app_port}/_stcore/health", 90, proc) and \
                wait_http(f"http://127.0.0.1:{portal_port}/", 30, proc)
            if not ok:
                log.flush()
                pytest.fail("app or portal did not start:\n" + log_path.read_text()[-3000:])
            yield {"portal": f"http://127.0.0.1:{portal_port}/", "app": f"http://127.0.0.1:{app_port}/"}
        finally:
            proc.terminate()          # the launcher stops its Streamlit child on SIGTERM
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
