"""The rules planner on the evaluation sets in eval/: execution accuracy against gold SQL.

Each case runs through RulesPlanner (with its history turns planned first), the predicted SQL and
the gold SQL run on the demo DuckDB files, and the results are compared as multisets of rows,
ignoring column order and extra predicted columns, with a numeric tolerance. The test asserts an
accuracy floor; `python tests/test_parser_eval.py DEMO_DIR` prints every failure.
"""
from __future__ import annotations

import datetime as dt
import decimal
import itertools
import json
import re
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest

from assistant.config import EVAL_DIR
from assistant.schema_docs import load_schema_docs
from assistant.semantic_parser import RulesPlanner

ACCURACY_FLOOR = 0.95


def _norm(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float, decimal.Decimal)):
        return round(float(v), 3)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    text = str(v)
    if re.fullmatch(r"\d{4}-\d{2}", text):      # a month label, as the harness reads it
        return text + "-01"
    if re.fullmatch(r"\d{4}", text):
        return float(text)
    return text


def _col(rows: list[tuple], i: int) -> list[Any]:
    return [_norm(r[i]) for r in rows]


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= max(1e-3, 1e-4 * abs(b)) or abs(a * 100 - b) <= 0.05 or abs(a - b * 100) <= 0.05
    return a == b


def _same_column(pred: list[Any], gold: list[Any]) -> bool:
    key = lambda v: (v is None, str(type(v)), v if v is not None else 0)  # noqa: E731
    p, g = sorted(pred, key=key), sorted(gold, key=key)
    return len(p) == len(g) and all(_close(x, y) for x, y in zip(p, g))


def results_match(pred_cols: list[str], pred: list[tuple], gold_cols: list[str], gold: list[tuple]) -> bool:
    if len(pred) != len(gold):
        return False
    if not gold:
        return True
    candidates = []
    for gi in range(len(gold_cols)):
        gv = _col(gold, gi)
        cands = [pi for pi in range(len(pred_cols)) if _same_column(_col(pred, pi), gv)]
        if not cands:
            return False
        candidates.append(cands)
    for combo in itertools.islice(itertools.product(*candidates), 200):
        if len(set(combo)) != len(combo):
            continue
        prow = Counter(tuple(_round(_norm(r[i])) for i in combo) for r in pred)
        grow = Counter(tuple(_round(_norm(r[i])) for i in range(len(gold_cols))) for r in gold)
        if prow == grow:
            return True
        # ratios shown as percentages on one side
        pairs = zip(sorted(prow.elements(), key=str), sorted(grow.elements(), key=str))
        if all(all(_close(x, y) for x, y in zip(pr, gr)) for pr, gr in pairs):
            return True
    return False


def _round(v: Any) -> Any:
    return round(v, 2) if isinstance(v, float) else v


def load_cases(directory: Path = EVAL_DIR) -> list[dict]:
    cases = []
    for f in sorted(directory.glob("questions*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                cases.append(json.loads(line))
    return cases


def run_case(planner: RulesPlanner, docs, conns: dict, case: dict) -> tuple[bool, str, Any]:
    as_of = dt.date.fromisoformat(case.get("as_of") or "2026-06-30")
    history = []
    for q in case.get("history") or []:
        r = planner.plan(q, SimpleNamespace(as_of=as_of, docs=docs, history=list(history)))
        history.append(SimpleNamespace(plan=r.plan))
    r = planner.plan(case["question"], SimpleNamespace(as_of=as_of, docs=docs, history=history))
    expect = case.get("expect")
    if expect:
        kind = {"refuse": "refuse", "clarify": "clarify", "reply": "reply"}[expect]
        return r.kind == kind, f"expected {kind}, got {r.kind}", r
    if r.kind != "sql":
        return False, f"got {r.kind}: {r.message}", r
    if r.database != case["db"]:
        return False, f"database {r.database} != {case['db']}", r
    conn = conns[case["db"]]
    try:
        cur = conn.execute(r.sql)
        pred, pcols = cur.fetchall(), [d[0] for d in cur.description]
    except Exception as e:  # noqa: BLE001 - a wrong SQL is a failed case
        return False, f"predicted SQL failed: {e}", r
    cur = conn.execute(case["gold_sql"])
    gold, gcols = cur.fetchall(), [d[0] for d in cur.description]
    ok = results_match(pcols, pred, gcols, gold)
    return ok, "" if ok else f"pred {pred[:3]} gold {gold[:3]}", r


def evaluate(demo_dir: Path) -> tuple[int, int, list[tuple[dict, str, Any]]]:
    docs = load_schema_docs()
    planner = RulesPlanner(docs)
    conns = {db: duckdb.connect(str(demo_dir / f"{db}.duckdb"), read_only=True) for db in ("hotline", "posts")}
    failures = []
    cases = load_cases()
    passed = 0
    for case in cases:
        ok, why, r = run_case(planner, docs, conns, case)
        passed += ok
        if not ok:
            failures.append((case, why, r))
    for c in conns.values():
        c.close()
    return passed, len(cases), failures


def test_results_match_rules() -> None:
    assert results_match(["a", "n"], [("x", 1), ("y", 2)], ["n"], [(2,), (3,)]) is False
    assert results_match(["a", "n"], [("x", 1), ("y", 2)], ["n"], [(2,), (1,)]) is True   # extra column ignored
    assert results_match(["a", "n"], [("x", 1), ("y", 2)], ["name", "n"], [("y", 2), ("x", 1)]) is True
    assert results_match(["r"], [(0.5,)], ["r"], [(50.0,)]) is True
    assert results_match(["n"], [(3,)], ["n"], [(4,)]) is False


def test_eval_accuracy(demo_dir: Path) -> None:
    if not load_cases():
        pytest.skip("no evaluation sets in eval/")
    passed, total, failures = evaluate(demo_dir)
    accuracy = passed / total
    print(f"rules planner execution accuracy: {passed}/{total} = {accuracy:.1%}")
    assert accuracy >= ACCURACY_FLOOR, "\n".join(f"{c['id']} {c['question']}: {why}" for c, why, _ in failures[:30])


if __name__ == "__main__":
    passed, total, failures = evaluate(Path(sys.argv[1]))
    for case, why, r in failures:
        print(f"✗ {case['id']} {case['question']}  history={case.get('history')}")
        print(f"   why:  {why[:300]}")
        print(f"   gold: {case.get('gold_sql')}")
        print(f"   pred: {getattr(r, 'sql', None) or getattr(r, 'message', '')}")
    print(f"accuracy {passed}/{total} = {passed / total:.1%}")
