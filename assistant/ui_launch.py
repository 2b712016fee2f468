"""`wenshu app`: start the Streamlit app and the demo OA portal together.

The app runs as `streamlit run app.py` in a child process (Streamlit owns its event loop);
the portal runs in this process on the next port. Settings reach the child through the
same environment variables load_settings reads, so both sides agree on databases, data
directory and token secret.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Mapping

from .config import PROJECT_ROOT, Settings, load_settings
from .portal import make_server


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment variables that make load_settings() return these settings."""
    env = {
        "WENSHU_DATA_DIR": str(settings.data_dir),
        "WENSHU_HOTLINE_URL": settings.hotline_url,
        "WENSHU_POSTS_URL": settings.posts_url,
        "WENSHU_ROW_LIMIT": str(settings.row_limit),
        "WENSHU_MAX_RESULT_ROWS": str(settings.max_result_rows),
        "WENSHU_STATEMENT_TIMEOUT": str(settings.statement_timeout_s),
        "WENSHU_TOKEN_SECRET": settings.token_secret,
        "WENSHU_TOKEN_TTL": str(settings.token_ttl_s),
        "WENSHU_LLM_MODEL": settings.llm_model,
        "WENSHU_LLM_TIMEOUT": str(settings.llm_timeout_s),
        "WENSHU_LLM_TEMPERATURE": str(settings.llm_temperature),
        "WENSHU_LLM_MAX_REPAIRS": str(settings.llm_max_repairs),
        "WENSHU_LLM_STREAM": "1" if settings.llm_stream else "0",
        "WENSHU_BACKEND": settings.default_backend,
        "WENSHU_SCHEMA_DOCS": str(settings.schema_docs_dir),
    }
    if settings.llm_base_url:
        env["OPENAI_BASE_URL"] = settings.llm_base_url
    if settings.llm_api_key:
        env["OPENAI_API_KEY"] = settings.llm_api_key
    return env


def streamlit_command(port: int, address: str = "0.0.0.0") -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"),
            "--server.port", str(port), "--server.address", address, "--server.headless", "true",
            "--browser.gatherUsageStats", "false"]


def wait_http(url: str, timeout_s: float = 60.0, proc: subprocess.Popen | None = None) -> bool:
    """Poll a URL until it answers 200 (or the process died / time ran out)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def _databases_present(settings: Settings) -> str | None:
    from .db import DatabaseUnavailable, Databases
    databases = Databases(settings)
    try:
        for name in ("hotline", "posts"):
            databases.engine(name)
    except DatabaseUnavailable as error:
        return str(error)
    finally:
        databases.dispose()
    return None


def _exit_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)


def run_app(settings: Settings, port: int = 8501, *, portal_port: int | None = None,
            address: str = "0.0.0.0", extra_env: Mapping[str, str] | None = None) -> int:
    """Start the app (port) and the OA portal (portal_port, default port + 1); block until stopped."""
    portal_port = portal_port or port + 1
    problem = _databases_present(settings)
    if problem:
        print(f"注意：{problem}。应用会提示先生成数据（wenshu demo-data）。", file=sys.stderr)
    env = {**os.environ, **settings_env(settings), **(extra_env or {})}
    if threading.current_thread() is threading.main_thread():
        # `kill <pid>` must stop the app child too: turn SIGTERM into a normal exit through finally.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    proc = subprocess.Popen(streamlit_command(port, address), cwd=PROJECT_ROOT, env=env)
    try:
        portal = make_server(settings, port=portal_port, host=address, app_port=port)
    except OSError as error:
        proc.terminate()
        proc.wait(10)
        print(f"门户端口 {portal_port} 无法使用：{error}", file=sys.stderr)
        return 1
    thread = threading.Thread(target=portal.serve_forever, name="wenshu-portal", daemon=True)
    thread.start()
    try:
        if wait_http(f"http://127.0.0.1:{port}/_stcore/health", proc=proc):
            print(f"问数应用：      http://localhost:{port}/", flush=True)
            print(f"协同办公门户（演示，右下角机器人打开助手）：http://localhost:{portal_port}/", flush=True)
            print("按 Ctrl+C 停止。", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        return 130
    finally:
        portal.shutdown()
        portal.server_close()
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m assistant.ui_launch", description="启动问数应用与协同办公门户演示")
    ap.add_argument("--port", type=int, default=8501)
    ap.add_argument("--portal-port", type=int, default=None)
    ap.add_argument("--address", default="0.0.0.0")
    args = ap.parse_args(argv)
    try:
        return run_app(load_settings(), args.port, portal_port=args.portal_port, address=args.address)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
