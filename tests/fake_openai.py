"""A scripted OpenAI-compatible chat endpoint for tests: a real HTTP server on a free local port.

    server = FakeOpenAI().start()
    server.script(Reply("```sql\nSELECT 1\n```"), Reply(status=500))
    ... settings.with_(llm_base_url=server.base_url) ...
    server.requests   # every request body received, in order

Replies are taken from the queue in order; a `router(body) -> Reply | None` may answer instead
(e.g. by the step named on the first line of the prompt). A reply can fail with an HTTP status,
sleep longer than the client's timeout, send a body that is not JSON, or stream as server-sent
events (optionally slowly, piece by piece) when the request asks for `stream: true`.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Reply:
    content: str = ""
    status: int = 200
    delay_s: float = 0.0
    raw: bytes | None = None        # send these bytes as the body instead of a completion
    chunk_chars: int = 3            # streamed piece size
    chunk_delay_s: float = 0.0      # pause before each streamed piece (a slow model, as a UI sees it)


def step_of(body: dict[str, Any]) -> str:
    """The prompt step of a request ("intent", "rewrite", "sql", "repair") from its messages."""
    messages = body.get("messages") or []
    first = str(messages[0].get("content", "")) if messages else ""
    last = str(messages[-1].get("content", "")) if messages else ""
    if first.startswith("# 任务：意图判断"):
        return "intent"
    if first.startswith("# 任务：改写追问"):
        return "rewrite"
    if last.startswith("# 任务：修正SQL"):
        return "repair"
    if first.startswith("# 任务：生成SQL"):
        return "sql"
    return "other"


def prompt_text(body: dict[str, Any]) -> str:
    """All message contents of a request, joined: what the model was shown."""
    return "\n".join(str(m.get("content", "")) for m in body.get("messages") or [])


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.queue: deque[Reply] = deque()
        self.router: Callable[[dict[str, Any]], Reply | None] | None = None
        self.default: Reply | None = None
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ── control ──
    def start(self) -> "FakeOpenAI":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
                elif self.path.rstrip("/").endswith("/health"):
                    self._json(200, {"status": "ok"})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._json(404, {"error": {"message": "not found"}})
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    self._json(400, {"error": {"message": "bad json"}})
                    return
                reply = fake._next(body)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                try:
                    self._answer(body, reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to do

            def _json(self, status: int, payload: Any) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _answer(self, body: dict[str, Any], reply: Reply) -> None:
                if reply.status != 200:
                    self._json(reply.status, {"error": {"message": f"scripted failure {reply.status}",
                                                        "type": "server_error"}})
                    return
                if reply.raw is not None:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply.raw)))
                    self.end_headers()
                    self.wfile.write(reply.raw)
                    return
                model = body.get("model", "fake-model")
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Cache-Control", "no-cache")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    text = reply.content
                    pieces = [text[i:i + reply.chunk_chars] for i in range(0, len(text), reply.chunk_chars)]
                    for i, piece in enumerate(pieces):
                        if reply.chunk_delay_s:
                            time.sleep(reply.chunk_delay_s)
                        delta = {"content": piece} if i else {"role": "assistant", "content": piece}
                        self._event({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                                     "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
                    self._event({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                                 "model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self._json(200, {
                    "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.content},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

            def _event(self, payload: dict[str, Any]) -> None:
                self.wfile.write(b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n")
                self.wfile.flush()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "start() first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, *replies: Reply | str) -> None:
        with self._lock:
            self.queue.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.queue.clear()
            self.router = None
            self.default = None

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(body)
            if self.router is not None:
                routed = self.router(body)
                if routed is not None:
                    return routed
            if self.queue:
                return self.queue.popleft()
            if self.default is not None:
                return self.default
        return Reply(status=500)

    # ── inspection ──
    def steps(self) -> list[str]:
        return [step_of(b) for b in self.requests]

    def prompts(self, step: str | None = None) -> list[str]:
        return [prompt_text(b) for b in self.requests if step is None or step_of(b) == step]
