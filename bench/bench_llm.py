"""Benchmark the LLM planner with the real local model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M on CPU).

Prints: install / assemble seconds (only when something was missing), server start seconds,
server memory, generation tokens/s, and execution accuracy + latency of the LLM planner on the
evaluation set beside the rule-based parser on the same cases.

    .venv/bin/python bench/bench_llm.py                     # start the model here, 24 cases
    .venv/bin/python bench/bench_llm.py --base-url http://127.0.0.1:8080/v1 --limit 0   # all cases
    .venv/bin/python bench/bench_llm.py --skip-eval         # install/start/memory/tokens-per-second only

Cases come from every eval/*.jsonl, interleaved in proportion, so the first N are a stratified
sample; --limit 0 runs all 504 (about 25 s a question on 2 cores: hours). Each scored case is
appended to data/bench-llm/<backend>.checkpoint.jsonl and reused by the next run (--fresh
forgets it), so a long run can be stopped and resumed; --report-only writes the reports and
data/bench-llm/comparison.md (per eval set: parser beside LLM) from what the checkpoints hold.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import llm_server  # noqa: E402
from assistant.config import EVAL_DIR, load_settings  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tokens_per_second(base_url: str) -> dict:
    body = {"model": llm_server.MODEL_ALIAS, "temperature": 0, "max_tokens": 96, "cache_prompt": False,
            "messages": [{"role": "user", "content": "用 SQL 写出：按月统计 2025 年 orders 表的订单数，并简单解释。"}]}
    req = urllib.request.Request(base_url.rstrip("/") + "/chat/completions", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as resp:
        out = json.load(resp)
    timings = out.get("timings", {})
    return {"wall_s": round(time.perf_counter() - t0, 2),
            "completion_tokens": out["usage"]["completion_tokens"],
            "generation_tokens_per_s": round(timings.get("predicted_per_second", float("nan")), 2),
            "prompt_tokens_per_s": round(timings.get("prompt_per_second", float("nan")), 2)}


def sample_cases(limit: int, datasets: list[Path]) -> Path:
    """The cases of all datasets interleaved in proportion, written to a temporary JSONL file.

    Any prefix of this order is a stratified sample, so --limit N (or stopping a long run and
    resuming it later from the checkpoint) still measures every dataset in its share.
    """
    keyed: list[tuple[float, int, dict]] = []
    for d, path in enumerate(datasets):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for row in rows:   # the report then breaks the figures down per dataset
            row["tags"] = [*row.get("tags", []), f"set:{path.stem}"]
        keyed.extend(((j + 0.5) / len(rows), d, row) for j, row in enumerate(rows))
    chosen = [row for _, _, row in sorted(keyed, key=lambda k: (k[0], k[1]))]
    if limit > 0:
        chosen = chosen[:limit]
    out = Path(tempfile.mkdtemp(prefix="wenshu-bench-llm-")) / "sample.jsonl"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen), encoding="utf-8")
    return out


def _pct(num: int, den: int) -> str:
    return f"{num / den:.1%} ({num}/{den})" if den else "—"


def _ms(values: list[float], q: float) -> str:
    from assistant.evaluation import _percentile   # the same percentile as the eval report's latency
    value = _percentile(values, q)
    return "—" if value is None else f"{value / 1000:.1f} s"


def comparison(rules: list, llm: list, note: str) -> str:
    """A Markdown table, per eval set and overall: the parser beside the LLM planner on the same cases."""
    keys = {(c.id, c.question) for c in llm}
    rules = [c for c in rules if (c.id, c.question) in keys]
    sets = sorted({t for c in llm for t in c.tags if t.startswith("set:")})
    lines = [note, "",
             "| eval set | cases | rules: execution accuracy | LLM: execution accuracy | LLM: refusals | LLM: clarifications "
             "| LLM: SQL valid | LLM latency p50 / p95 (SQL cases) |",
             "|---|---|---|---|---|---|---|---|"]
    for name in [*sets, None]:
        r = [c for c in rules if name is None or name in c.tags]
        m = [c for c in llm if name is None or name in c.tags]
        r_sql, m_sql = [c for c in r if c.kind == "sql"], [c for c in m if c.kind == "sql"]
        m_refuse, m_clarify = [c for c in m if c.kind == "refuse"], [c for c in m if c.kind == "clarify"]
        generated = [c for c in m_sql if c.sql_generated]
        lat = [c.latency_ms for c in m_sql]
        lines.append(f"| {'**all**' if name is None else name.removeprefix('set:')} | {len(m)} "
                     f"| {_pct(sum(c.correct for c in r_sql), len(r_sql))} "
                     f"| {_pct(sum(c.correct for c in m_sql), len(m_sql))} "
                     f"| {_pct(sum(c.correct for c in m_refuse), len(m_refuse))} "
                     f"| {_pct(sum(c.correct for c in m_clarify), len(m_clarify))} "
                     f"| {_pct(sum(bool(c.valid_sql) for c in generated), len(generated))} "
                     f"| {_ms(lat, 0.5)} / {_ms(lat, 0.95)} |")
    r_refuse, r_clarify = [c for c in rules if c.kind == "refuse"], [c for c in rules if c.kind == "clarify"]
    lines += ["", f"The parser on the same cases: refusals {_pct(sum(c.correct for c in r_refuse), len(r_refuse))}, "
                  f"clarifications {_pct(sum(c.correct for c in r_clarify), len(r_clarify))}."]
    reasons: dict[str, int] = {}
    for c in llm:
        if not c.correct:
            key = re.sub(r"标准答案列 \S+ ", "标准答案列 … ", c.reason.split("：")[0])
            reasons[key] = reasons.get(key, 0) + 1
    lines += ["", "LLM planner's wrong answers by reason:", ""]
    lines += [f"- {reason}: {n}" for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1])]
    return "\n".join(lines) + "\n"


def report_from_checkpoints(out: Path) -> int:
    """Reports and the comparison from what the checkpoints hold (a run that was stopped early)."""
    from assistant.evaluation import build_report, load_checkpoint, write_reports
    done = {b: list(load_checkpoint(out / f"{b}.checkpoint.jsonl", b).values()) for b in ("rules", "llm")}
    if not done["llm"]:
        print(f"{out} 里没有大模型评测的检查点（llm.checkpoint.jsonl）")
        return 2
    keys = {(c.id, c.question) for c in done["llm"]}
    for backend, cases in done.items():
        cases = [c for c in cases if (c.id, c.question) in keys]
        write_reports(build_report(cases, {"backend": backend, "from_checkpoint": True}), out / backend)
    from assistant.evaluation import default_datasets, load_cases
    total = len(load_cases(default_datasets(EVAL_DIR)))
    note = (f"All {total} cases of eval/." if len(keys) >= total
            else f"{len(keys)} of the {total} cases of eval/ scored so far (a stratified prefix).")
    text = comparison(done["rules"], done["llm"], note)
    (out / "comparison.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", help="use a running endpoint instead of starting the model here")
    ap.add_argument("--port", type=int, default=18181)
    ap.add_argument("--limit", type=int, default=24, help="cases to run, a stratified prefix (0 = all)")
    ap.add_argument("--timeout", type=float, default=600.0, help="per model call, seconds")
    ap.add_argument("--dataset", type=Path, action="append",
                    help="JSONL eval set(s); default every eval/*.jsonl")
    ap.add_argument("--fresh", action="store_true",
                    help="forget the checkpoint of an earlier run (by default its scored cases are reused)")
    ap.add_argument("--skip-eval", action="store_true")
    ap.add_argument("--report-only", action="store_true",
                    help="write the reports and the comparison from the checkpoints in --out; run nothing")
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "bench-llm")
    args = ap.parse_args()
    if args.report_only:
        return report_from_checkpoints(args.out)
    settings = load_settings()
    figures: dict = {}

    base_url = args.base_url
    if base_url is None:
        missing = llm_server.missing_requirements()
        figures["install_s"] = round(llm_server.install(print), 1) if missing else 0.0
        t0 = time.perf_counter()
        model = llm_server.ensure_model(settings, print)
        figures["assemble_or_verify_s"] = round(time.perf_counter() - t0, 1)
        before = rss_mb(os.getpid())
        t0 = time.perf_counter()
        running = llm_server.start(model, port=args.port)
        figures["start_s"] = round(time.perf_counter() - t0, 1)
        base_url = running.base_url
        figures["server_rss_mb"] = round(rss_mb(os.getpid()) - before)
    figures.update(tokens_per_second(base_url))
    if base_url is None or args.base_url is None:
        figures["server_rss_mb_after_generation"] = round(rss_mb(os.getpid()))
    print(json.dumps(figures, ensure_ascii=False))

    if args.skip_eval:
        return 0
    from assistant.evaluation import default_datasets, ensure_demo_dir, pipeline_answerer, run_eval
    datasets = args.dataset or default_datasets(EVAL_DIR)
    sample = sample_cases(args.limit, datasets)
    demo = ensure_demo_dir(settings)   # the evaluation's cached demo databases (generated once)
    args.out.mkdir(parents=True, exist_ok=True)
    # A persistent data dir keeps the retrieval index between runs (sessions/audit land there too).
    run_settings = settings.with_(data_dir=args.out / "data", llm_base_url=base_url, llm_api_key="local",
                                  llm_model=llm_server.MODEL_ALIAS, llm_timeout_s=args.timeout,
                                  hotline_url=f"duckdb:///{demo / 'hotline.duckdb'}",
                                  posts_url=f"duckdb:///{demo / 'posts.duckdb'}")
    answerer = pipeline_answerer(run_settings)
    reports = {}
    for backend in ("rules", "llm"):
        t0 = time.perf_counter()
        checkpoint = args.out / f"{backend}.checkpoint.jsonl"
        if args.fresh:
            checkpoint.unlink(missing_ok=True)
        report = run_eval([sample], backend=backend, settings=run_settings, out_dir=args.out / backend,
                          progress=lambda m: print(m, flush=True), answerer=answerer,
                          demo_dir=demo, checkpoint=checkpoint)
        reports[backend] = report
        m = report.metrics
        print(json.dumps({"backend": backend, "cases": m.get("cases"),
                          "execution_accuracy": m.get("execution_accuracy"),
                          "valid_sql_rate": m.get("valid_sql_rate"),
                          "latency_p50_ms": m.get("latency_p50_ms"), "latency_p95_ms": m.get("latency_p95_ms"),
                          "wall_s": round(time.perf_counter() - t0, 1)}, ensure_ascii=False), flush=True)
        print(report.summary(), flush=True)
    text = comparison(reports["rules"].cases, reports["llm"].cases,
                      f"{len(reports['llm'].cases)} cases of eval/, model at {base_url}.")
    (args.out / "comparison.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
