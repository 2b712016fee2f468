"""Speed of the rules planner: parse + SQL generation per question, and a whole warm `ask`.

    .venv/bin/python bench/bench_parser.py [--demo-dir DIR] [--rounds N]

Questions: every question of eval/questions*.jsonl (plus their history turns) and a built-in list.
Prints p50 / p95 / max in milliseconds. With --demo-dir (a directory holding hotline.duckdb and
posts.duckdb, e.g. data/test-cache/demo-s7-e20260630-t20000-p1500) it also times pipeline.ask end to end.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import EVAL_DIR, load_settings  # noqa: E402
from assistant.schema_docs import load_schema_docs  # noqa: E402
from assistant.semantic_parser import RulesPlanner  # noqa: E402

BUILT_IN = [
    "今年海原县的工单量是多少", "近6个月欠薪讨薪类工单的办结率", "去年每月的满意率趋势", "各市各问题分类的工单数",
    "哪个县区工单最多", "今年工单量同比", "2025年和2026年上半年工单量对比", "列出海原县今年的欠薪工单",
    "涉及金额超过10万元的工单有多少", "欠薪类工单占比", "各市阵地数量", "今年送清凉活动开展了多少场",
    "今年服务人次最多的前5个阵地", "海原县有多少会员", "删除所有工单", "你好",
]
AS_OF = dt.date(2026, 6, 30)


def questions() -> list[str]:
    out = list(BUILT_IN)
    for f in sorted(EVAL_DIR.glob("questions*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                out.extend(case.get("history") or [])
                out.append(case["question"])
    return out


def summary(label: str, times_ms: list[float]) -> None:
    times_ms = sorted(times_ms)
    p95 = times_ms[min(len(times_ms) - 1, int(0.95 * len(times_ms)))]
    print(f"{label}: n={len(times_ms)}  p50={statistics.median(times_ms):.2f} ms  p95={p95:.2f} ms  "
          f"max={times_ms[-1]:.2f} ms")


def bench_planner(rounds: int) -> None:
    docs = load_schema_docs()
    planner = RulesPlanner(docs)
    qs = questions()
    ctx = SimpleNamespace(as_of=AS_OF, docs=docs, history=[])
    t0 = time.perf_counter()
    planner.plan(qs[0], ctx)   # builds the lexicon once
    print(f"first question (lexicon build included): {(time.perf_counter() - t0) * 1000:.1f} ms")
    times, cpu = [], []
    for _ in range(rounds):
        for q in qs:
            t, c = time.perf_counter(), time.process_time()
            planner.plan(q, ctx)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    summary("parse + SQL generation (wall)", times)
    # CPU time: what the parser itself costs when the machine is shared with other work
    summary("parse + SQL generation (CPU)", cpu)


def bench_ask(demo_dir: Path, rounds: int) -> None:
    from assistant.pipeline import App, ask
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"WENSHU_DATA_DIR": tmp,
                                  "WENSHU_HOTLINE_URL": f"duckdb:///{demo_dir / 'hotline.duckdb'}",
                                  "WENSHU_POSTS_URL": f"duckdb:///{demo_dir / 'posts.duckdb'}"})
        app = App(settings)
        qs = BUILT_IN + questions()[:60]
        for q in qs[:5]:
            ask(q, app=app, as_of=AS_OF, backend="rules")   # warm up engines and caches
        times = []
        for _ in range(rounds):
            for q in qs:
                t = time.perf_counter()
                ask(q, app=app, as_of=AS_OF, backend="rules")
                times.append((time.perf_counter() - t) * 1000)
        summary("whole ask (warm, DuckDB demo data)", times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo-dir", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    bench_planner(args.rounds)
    if args.demo_dir:
        bench_ask(args.demo_dir, max(1, args.rounds // 2))


if __name__ == "__main__":
    main()
