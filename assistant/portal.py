"""The demo OA portal (协同办公平台): serves static/ and signs the officers' identity tokens.

It plays the part of the real OA system, which owns the token secret: the portal page asks
`/api/token?org=<id>` for the officer it shows, and puts the signed token into the URL of
the assistant's iframe (`<app>/?embed=true&widget=1&token=…`). The Streamlit app only verifies.
In the demo anyone can pick an officer from the list; in production the OA system signs the
organisation of whoever is logged in, and this picker does not exist.

Run alone: `python -m assistant.portal --port 8502 --app-url http://localhost:8501`.
"""
from __future__ import annotations

import argparse
import json
import logging
import mimetypes
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

from .config import PROJECT_ROOT, Settings, load_settings
from .identity import issue_token

STATIC_DIR = PROJECT_ROOT / "static"
log = logging.getLogger(__name__)

# Demo officers: one named person per organisation level (the OA login would supply this).
_SURNAMES = "马李王张刘杨赵周吴孙"
_GIVEN = ("海燕", "建国", "文静", "志强", "晓梅", "国庆", "丽娟", "永红", "学军", "春花", "振华", "玉兰")
_LEVEL_TITLES = {"自治区总工会": "权益保障部", "市总工会": "职工服务中心", "县区总工会": "办公室"}


def demo_officer(org_id: int, org_level: str) -> str:
    name = _SURNAMES[org_id % len(_SURNAMES)] + _GIVEN[(org_id // len(_SURNAMES)) % len(_GIVEN)]
    return f"{name}（{_LEVEL_TITLES.get(org_level, '工会干部')}）"


@dataclass(frozen=True)
class Officer:
    org_id: int
    org_name: str
    org_level: str
    region_code: str
    officer: str


def load_officers(settings: Settings) -> list[Officer]:
    """The organisations an officer can act for (自治区, 市 and 县区 unions), from union_orgs."""
    from .db import Databases
    from .orgs import OrgDirectory
    databases = Databases(settings)
    try:
        directory = OrgDirectory(databases.engine("hotline"))
    finally:
        databases.dispose()
    return [Officer(o.org_id, o.org_name, o.org_level, o.region_code, demo_officer(o.org_id, o.org_level))
            for o in directory.officer_orgs()]


class PortalServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], *, settings: Settings, app_url: str | None, app_port: int | None):
        super().__init__(address, PortalHandler)
        self.settings = settings
        self.app_url = app_url.rstrip("/") if app_url else None
        self.app_port = app_port
        self._officers: list[Officer] | None = None
        self._lock = threading.Lock()

    def officers(self) -> list[Officer]:
        # Read once, when first needed: the databases may be generated after the portal starts.
        with self._lock:
            if self._officers is None:
                self._officers = load_officers(self.settings)
            return self._officers

    def app_base(self, host_header: str | None) -> str:
        """Where the browser reaches the app: the configured URL, or this host on the app's port."""
        if self.app_url:
            return self.app_url
        host = (host_header or "localhost").rsplit(":", 1)[0] if not (host_header or "").startswith("[") \
            else (host_header or "").split("]")[0] + "]"
        return f"http://{host}:{self.app_port}"


class PortalHandler(BaseHTTPRequestHandler):
    server: PortalServer
    server_version = "WenshuPortal/1.0"

    def log_message(self, format: str, *args) -> None:  # quiet by default; the CLI prints the URLs
        log.debug("portal: " + format, *args)

    def _send(self, status: int, body: bytes, content_type: str, *, cache: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=300" if cache else "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: object) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        try:
            if url.path == "/api/officers":
                return self._officers()
            if url.path == "/api/token":
                return self._token(parse_qs(url.query))
            return self._static(url.path)
        except Exception:  # the page shows the message; details go to the log
            log.exception("portal request failed")
            return self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "门户服务出现异常，请稍后再试。"})

    def _officers(self) -> None:
        from .db import DatabaseUnavailable
        try:
            officers = self.server.officers()
        except DatabaseUnavailable as error:
            return self._json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": f"{error}"})
        self._json(HTTPStatus.OK, {"officers": [o.__dict__ for o in officers],
                                   "app_url": self.server.app_base(self.headers.get("Host"))})

    def _token(self, query: dict[str, list[str]]) -> None:
        from .db import DatabaseUnavailable
        raw = (query.get("org") or [""])[0]
        try:
            officers = {o.org_id: o for o in self.server.officers()}
        except DatabaseUnavailable as error:
            return self._json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": f"{error}"})
        if not raw.isdigit() or int(raw) not in officers:
            return self._json(HTTPStatus.BAD_REQUEST, {"error": "未知的工会组织。"})
        officer = officers[int(raw)]
        settings = self.server.settings
        now = time.time()
        token = issue_token(officer.org_id, secret=settings.token_secret, ttl_s=settings.token_ttl_s, now=now,
                            officer=officer.officer)
        base = self.server.app_base(self.headers.get("Host"))
        self._json(HTTPStatus.OK, {
            "token": token, "expires_at": int(now) + settings.token_ttl_s, "officer": officer.__dict__,
            "url": f"{base}/?embed=true&widget=1&token={quote(token)}",
        })

    def _static(self, path: str) -> None:
        if path in ("", "/"):
            path = "/index.html"
        root = STATIC_DIR.resolve()
        target = (root / path.lstrip("/")).resolve()
        if root not in target.parents or not target.is_file():   # no escaping static/
            return self._send(HTTPStatus.NOT_FOUND, "页面不存在".encode("utf-8"), "text/plain; charset=utf-8")
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
            ctype += "; charset=utf-8"
        self._send(HTTPStatus.OK, target.read_bytes(), ctype, cache=False)


def make_server(settings: Settings, *, port: int, host: str = "0.0.0.0", app_url: str | None = None,
                app_port: int | None = 8501) -> PortalServer:
    return PortalServer((host, port), settings=settings, app_url=app_url, app_port=app_port)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m assistant.portal", description="协同办公平台演示门户（签发身份令牌）")
    ap.add_argument("--port", type=int, default=8502)
    ap.add_argument("--host", default="0.0.0.0")
    ap.add_argument("--app-url", default=None, help="浏览器访问问数应用的地址，默认同主机的 --app-port 端口")
    ap.add_argument("--app-port", type=int, default=8501)
    args = ap.parse_args(argv)
    server = make_server(load_settings(), port=args.port, host=args.host, app_url=args.app_url, app_port=args.app_port)
    print(f"协同办公平台（演示）：http://localhost:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
