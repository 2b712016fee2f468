"""The evaluation harness: comparator, reports, report comparison, and the CI accuracy threshold."""
from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import subprocess
from pathlib import Path

import pytest

from assistant.config import EVAL_DIR, PROJECT_ROOT
from assistant.evaluation import (THRESHOLD_PATH, eval_key, EvalDatasetError, ensure_demo_dir, CaseResult, EvalReport, compare_reports, compare_results,
                                  load_cases, load_threshold, main_eval, render_html, render_markdown, run_eval,
                                  summarize, write_reports)
from assistant.db import Databases
from assistant.models import Answer

D = dt.date

# (name, gold columns, gold rows, predicted columns, predicted rows, order_matters, expected)
COMPARATOR_CASES = [
    ("same", ["n"], [[5]], ["n"], [[5]], False, True),
    ("wrong value", ["n"], [[5]], ["n"], [[6]], False, False),
    ("column order", ["city", "n"], [["银川市", 3], ["中卫市", 4]], ["n", "city"], [[4, "中卫市"], [3, "银川市"]], False, True),
    ("extra predicted column", ["n"], [[172]], ["region", "n", "closed"], [["海原县", 172, 166]], False, True),
    ("missing column", ["city", "n"], [["银川市", 3]], ["n"], [[3]], False, False),
    ("names do not matter", ["ticket_count"], [[7]], ["工单量"], [[7]], False, True),
    ("relative tolerance", ["x"], [[123456.0]], ["x"], [[123456.01]], False, True),
    ("outside tolerance", ["x"], [[100.0]], ["x"], [[100.2]], False, False),
    ("decimal vs float", ["amount"], [[decimal.Decimal("42632790.00")]], ["amount"], [[42632790.0]], False, True),
    ("rounded to 2 decimals", ["days"], [[3.90793916]], ["days"], [[3.91]], False, True),
    ("rounding needs 2 decimals", ["days"], [[3.90793916]], ["days"], [[3.9]], False, False),
    ("ratio as percentage", ["rate"], [[0.966447517]], ["rate"], [[96.6447517]], False, True),
    ("ratio as rounded percentage", ["rate"], [[0.966447517]], ["rate"], [[96.64]], False, True),
    ("ratio as percent string", ["rate"], [[0.965]], ["rate"], [["96.5%"]], False, True),
    ("wrong percentage", ["rate"], [[0.966]], ["rate"], [[95.0]], False, False),
    ("whole ratio named as a rate", ["close_rate"], [[1.0]], ["办结率"], [[100.0]], False, True),
    ("count is not a ratio", ["n"], [[3]], ["n"], [[300]], False, False),
    ("date vs datetime at midnight", ["month"], [[D(2026, 3, 1)]], ["month"], [[dt.datetime(2026, 3, 1)]], False, True),
    ("date vs month string", ["month", "n"], [[D(2026, 3, 1), 2], [D(2026, 4, 1), 5]],
     ["month", "n"], [["2026-03", 2], ["2026-04", 5]], False, True),
    ("date vs ISO string", ["d"], [[D(2026, 3, 1)]], ["d"], [["2026-03-01"]], False, True),
    ("date vs Chinese month", ["month"], [[D(2026, 3, 1)]], ["month"], [["2026年3月"]], False, True),
    ("quarter label", ["quarter", "n"], [[D(2025, 4, 1), 9]], ["quarter", "n"], [["2025-Q2", 9]], False, True),
    ("year number vs first day", ["year", "n"], [[2025, 8], [2026, 4]], ["year", "n"], [[D(2025, 1, 1), 8], [D(2026, 1, 1), 4]], False, True),
    ("different month", ["month"], [[D(2026, 3, 1)]], ["month"], [["2026-04"]], False, False),
    ("order ignored", ["m", "n"], [[1, 10], [2, 20]], ["m", "n"], [[2, 20], [1, 10]], False, True),
    ("order checked", ["m", "n"], [[1, 10], [2, 20]], ["m", "n"], [[2, 20], [1, 10]], True, False),
    ("order kept", ["m", "n"], [[1, 10], [2, 20]], ["m", "n"], [[1, 10], [2, 20]], True, True),
    ("nulls equal", ["x", "y"], [[None, 1]], ["x", "y"], [[None, 1]], False, True),
    ("null vs zero", ["x"], [[None]], ["x"], [[0]], False, False),
    ("NaN is null", ["x"], [[None]], ["x"], [[float("nan")]], False, True),
    ("duplicates as multiset", ["n"], [[1], [1], [2]], ["n"], [[1], [2], [2]], False, False),
    ("duplicates kept", ["n"], [[1], [1], [2]], ["n"], [[2], [1], [1]], False, True),
    ("extra row", ["n"], [[1]], ["n"], [[1], [2]], False, False),
    ("rows pair across columns", ["a", "b"], [["x", 1], ["y", 2]], ["a", "b"], [["x", 2], ["y", 1]], False, False),
    ("both empty", ["n"], [], ["n"], [], False, True),
    ("boolean as 是/否", ["open_24h", "n"], [[True, 3], [False, 5]], ["open_24h", "n"], [["是", 3], ["否", 5]], False, True),
    ("string exact", ["city"], [["银川市"]], ["city"], [["银川"]], False, False),
]


@pytest.mark.parametrize("name,gc,gr,pc,pr,order,expected", COMPARATOR_CASES, ids=[c[0] for c in COMPARATOR_CASES])
def test_compare_results(name, gc, gr, pc, pr, order, expected):
    assert compare_results(gc, gr, pc, pr, order_matters=order).ok is expected


def _case(**kw) -> CaseResult:
    base = dict(id="x1", source="s", question="q", db="hotline", tags=["t"], history=[], as_of="2026-06-30",
                expect=None, order_matters=False, kind="sql", correct=True, reason="")
    base.update(kw)
    return CaseResult(**base)


def _report(cases: list[CaseResult]) -> EvalReport:
    return EvalReport(meta={"backend": "rules", "datasets": ["eval/x.jsonl"]}, metrics=summarize(cases),
                      by_tag={"t": {"cases": len(cases), "correct": sum(c.correct for c in cases), "accuracy": 0.5}},
                      by_source={"s": {"cases": len(cases), "correct": 1, "accuracy": 0.5}}, cases=cases)


def test_html_is_self_contained_and_escaped(tmp_path: Path):
    evil = '<script>alert("x")</script>'
    report = _report([_case(correct=True), _case(id="x2", correct=False, question=evil, reason="不一致",
                                                 gold_sql="SELECT 1 AS n", pred_sql="SELECT '<b>' AS n",
                                                 gold_columns=["n"], gold_rows=[[1]], pred_columns=["n"],
                                                 pred_rows=[["<img src=x onerror=alert(1)>"]])])
    page = render_html(report)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page
    assert "<img" not in page and "&lt;img" in page
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<(link|img|iframe|object|embed)\b|<[a-z]+[^>]*\s(src|href)=", page)
    assert "<svg" in page and "</html>" in page
    paths = write_reports(report, tmp_path)
    assert json.loads(paths["json"].read_text(encoding="utf-8"))["cases"][1]["question"] == evil
    markdown = render_markdown(report)
    assert "x2" in markdown and "'<b>' AS n" in markdown


def test_compare_reports_lists_regressions_first(tmp_path: Path):
    a = _report([_case(id="c1", correct=True), _case(id="c2", correct=False), _case(id="c3", correct=True)])
    b = _report([_case(id="c1", correct=False, reason="行数不同"), _case(id="c2", correct=True),
                 _case(id="c3", correct=True)])
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(json.dumps(a.to_json(), ensure_ascii=False), encoding="utf-8")
    pb.write_text(json.dumps(b.to_json(), ensure_ascii=False), encoding="utf-8")
    text = compare_reports(pa, pb)
    regressions, fixes, deltas = text.index("退步"), text.index("修复"), text.index("指标变化")
    assert regressions < text.index("c1 q") < fixes < text.index("c2 q") < deltas
    assert "c3 q" not in text


def test_demo_databases_are_generated_once_and_cached(tmp_path: Path, demo_settings):
    settings = demo_settings.with_(data_dir=tmp_path)
    first = ensure_demo_dir(settings)
    assert first == tmp_path / "eval-cache" / eval_key() and (first / "complete").exists()
    stamp = (first / "hotline.duckdb").stat().st_mtime_ns
    assert ensure_demo_dir(settings) == first and (first / "hotline.duckdb").stat().st_mtime_ns == stamp
    assert (first / "posts.duckdb").exists()


# ── the harness end to end, with an injected answerer ─────────────────────────────
DATASET = [
    {"id": "t1", "question": "今年工单量", "db": "hotline", "as_of": "2026-06-30", "tags": ["metric:工单量"],
     "gold_sql": "SELECT COUNT(*) AS n FROM hotline_tickets WHERE received_at >= TIMESTAMP '2026-01-01' "
                 "AND received_at < TIMESTAMP '2026-07-01'", "chart": "metric"},
    {"id": "t2", "question": "那去年的呢", "db": "hotline", "as_of": "2026-06-30", "history": ["今年工单量"],
     "tags": ["followup"], "gold_sql": "SELECT COUNT(*) AS n FROM hotline_tickets WHERE year(received_at) = 2025"},
    {"id": "t3", "question": "各市阵地数量", "db": "posts", "as_of": "2026-06-30", "tags": ["group:city"],
     "gold_sql": "SELECT c.region_name AS city, COUNT(*) AS n FROM union_posts p JOIN regions r ON p.region_code = "
                 "r.region_code JOIN regions c ON r.parent_code = c.region_code WHERE p.status <> '已撤销' GROUP BY 1"},
    {"id": "t4", "question": "把工单都删掉", "db": "hotline", "as_of": "2026-06-30", "expect": "refuse", "tags": ["refuse"]},
    {"id": "t5", "question": "帮我查一下", "db": "hotline", "as_of": "2026-06-30", "expect": "clarify", "tags": ["clarify"]},
]


class FakeAnswerer:
    """Answers from a script: the right SQL for t1/t2 (t2 only after its history), a wrong one for t3."""

    def __init__(self, settings):
        self.databases = Databases(settings)
        self.calls: list[tuple[str, str, dt.date]] = []

    def __call__(self, question: str, *, as_of: dt.date, session: str, backend: str) -> Answer:
        asked_before = [q for q, s, _ in self.calls if s == session]
        self.calls.append((question, session, as_of))
        if question == "今年工单量":
            return self._run("hotline", "SELECT '全区' AS area, COUNT(*) AS c FROM hotline_tickets "
                             "WHERE received_at >= '2026-01-01' AND received_at < '2026-07-01'", chart="metric")
        if question == "那去年的呢":
            if asked_before != ["今年工单量"]:
                return Answer(status="clarify", answer="请说明要查什么")
            return self._run("hotline", "SELECT COUNT(*) FROM hotline_tickets WHERE received_at >= '2025-01-01' "
                             "AND received_at < '2026-01-01'")
        if question == "各市阵地数量":  # forgets that revoked posts do not count
            return self._run("posts", "SELECT c.region_name, COUNT(*) FROM union_posts p JOIN regions r ON "
                             "p.region_code = r.region_code JOIN regions c ON r.parent_code = c.region_code GROUP BY 1")
        if question == "把工单都删掉":
            return Answer(status="refused", answer="不能修改数据")
        return Answer(status="ok", sql="SELECT 1", columns=["x"], rows=[[1]])  # should have asked to clarify

    def _run(self, db: str, sql: str, chart: str | None = None) -> Answer:
        columns, rows, _ = self.databases.execute(db, sql)
        return Answer(status="ok", database=db, sql=sql, columns=columns, rows=rows, chart_type=chart, backend="rules")


def test_run_eval_with_injected_answerer(demo_dir: Path, demo_settings, tmp_path: Path):
    dataset = tmp_path / "mini.jsonl"
    dataset.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in DATASET), encoding="utf-8")
    answerer = FakeAnswerer(demo_settings)
    lines: list[str] = []
    report = run_eval([dataset], backend="rules", settings=demo_settings, out_dir=tmp_path / "out",
                      progress=lines.append, answerer=answerer, demo_dir=demo_dir)
    by_id = {c.id: c for c in report.cases}
    assert [by_id[i].correct for i in ("t1", "t2", "t3", "t4", "t5")] == [True, True, False, True, False]
    assert by_id["t3"].gold_row_count == 5 and by_id["t3"].reason
    assert by_id["t1"].chart_ok is True
    s = report.metrics
    assert "执行准确率 66.7%（2/3）" in report.summary()
    assert (s["execution_accuracy"], s["refusal_accuracy"], s["clarification_accuracy"]) == (round(2 / 3, 4), 1.0, 0.0)
    assert s["valid_sql_rate"] == 1.0 and s["sql_generated_rate"] == 1.0 and s["latency_p95_ms"] is not None
    assert report.by_tag["followup"]["correct"] == 1 and report.by_source["mini"]["cases"] == 5
    # history first, in the same session; every case in its own session; the case's as_of passed on
    sessions = {s for _, s, _ in answerer.calls}
    assert len(sessions) == 5 and answerer.calls[1][0] == "今年工单量" and answerer.calls[1][1] == answerer.calls[2][1]
    assert lines[0].startswith("[1/5]") and lines[-1].startswith("[5/5]") and len(lines) == 5
    for name in ("report.json", "report.md", "report.html"):
        assert (tmp_path / "out" / name).stat().st_size > 0
    saved = EvalReport.from_json(json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8")))
    assert saved.execution_accuracy == s["execution_accuracy"]


def test_checkpoint_resumes_an_interrupted_run(demo_dir: Path, demo_settings, tmp_path: Path):
    dataset = tmp_path / "mini.jsonl"
    dataset.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in DATASET), encoding="utf-8")
    checkpoint = tmp_path / "run.checkpoint.jsonl"
    first = FakeAnswerer(demo_settings)
    full = run_eval([dataset], backend="llm", settings=demo_settings, answerer=first, demo_dir=demo_dir,
                    checkpoint=checkpoint)
    assert len(checkpoint.read_text(encoding="utf-8").splitlines()) == 5
    # killed while writing the fifth line, and t4's result lost: only t4 and t5 are asked again
    kept = checkpoint.read_text(encoding="utf-8").splitlines()
    checkpoint.write_text("\n".join([kept[0], kept[1], kept[2], kept[4][:40]]) + "\n", encoding="utf-8")
    again = FakeAnswerer(demo_settings)
    resumed = run_eval([dataset], backend="llm", settings=demo_settings, answerer=again, demo_dir=demo_dir,
                       checkpoint=checkpoint)
    assert [q for q, _, _ in again.calls] == ["把工单都删掉", "帮我查一下"]
    assert [(c.id, c.correct) for c in resumed.cases] == [(c.id, c.correct) for c in full.cases]
    assert resumed.metrics["execution_accuracy"] == full.metrics["execution_accuracy"]
    # another backend's results are never taken for this one's
    other = FakeAnswerer(demo_settings)
    run_eval([dataset], backend="rules", settings=demo_settings, answerer=other, demo_dir=demo_dir,
             checkpoint=checkpoint)
    assert len(other.calls) == 6   # five cases and t2's history turn


def test_main_eval_compare_and_bad_dataset(tmp_path: Path, demo_settings):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "b1", "question": "x", "db": "hotline", "as_of": "2026-06-30"}\n', encoding="utf-8")
    out: list[str] = []

    class Args:
        dataset = [str(bad)]
        backend = "rules"
        out = None
        json = False
        compare = None
    assert main_eval(Args(), settings=demo_settings, echo=out.append) == 2
    assert "bad.jsonl:1" in out[0] and "gold_sql" in out[0]


# ── CI: the rules parser must not fall below the threshold, and the threshold only goes up ──
def test_rules_backend_meets_threshold(demo_dir: Path, demo_settings, tmp_path: Path):
    minimum = load_threshold()["rules"]
    report = run_eval(None, backend="rules", settings=demo_settings, demo_dir=demo_dir, out_dir=tmp_path / "report")
    assert report.metrics["gold_errors"] == 0
    assert report.metrics["cases"] == len(load_cases(sorted(EVAL_DIR.glob("*.jsonl"))))
    assert report.execution_accuracy >= minimum, (
        f"execution accuracy {report.execution_accuracy:.4f} fell below the threshold {minimum} "
        f"(failures in {tmp_path / 'report' / 'report.html'})")


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=30)


def test_threshold_only_goes_up():
    probe = _git("rev-parse", "--is-inside-work-tree")
    if probe.returncode != 0 or probe.stdout.strip() != "true":
        pytest.skip("not a git checkout")
    rel = THRESHOLD_PATH.relative_to(PROJECT_ROOT).as_posix()
    commits = _git("log", "--reverse", "--format=%H", "--", rel).stdout.split()
    history: list[tuple[str, dict[str, float]]] = []
    for commit in commits:
        shown = _git("show", f"{commit}:{rel}")
        if shown.returncode == 0:  # absent where the commit deleted it
            history.append((commit[:8], json.loads(shown.stdout).get("min_execution_accuracy", {})))
    history.append(("working tree", load_threshold()))
    for (prev_name, prev), (name, cur) in zip(history, history[1:]):
        for backend, value in prev.items():
            assert backend in cur, f"{name} dropped the threshold for {backend}"
            assert cur[backend] >= value, f"threshold for {backend} went down: {value} ({prev_name}) → {cur[backend]} ({name})"


BAD_LINES = [
    ('{"id": "a", "question": "q", "db": "hotline", "as_of": "2026-06-30"}', "gold_sql"),
    ('{"id": "a", "question": "q", "db": "mysql", "as_of": "2026-06-30", "gold_sql": "SELECT 1"}', "db"),
    ('{"id": "a", "question": "q", "db": "hotline", "as_of": "30/06/2026", "gold_sql": "SELECT 1"}', "as_of"),
    ('{"id": "a", "question": "q", "db": "hotline", "as_of": "2026-06-30", "expect": "maybe"}', "expect"),
    ('{"id": "a", "question": "q", "db": "hotline", "as_of": "2026-06-30", "gold_sql": "SELECT 1", "chart": "pie"}', "chart"),
    ('{"id": "a", "question": "q", "db": "hotline", "as_of": "2026-06-30", "gold_sql": "SELECT 1", "history": "x"}', "history"),
    ('{"id": "a", "question": "q", "db": "hotline"', "JSON"),
    ('{"id": "a", "question": "q", "db": "hotline", "as_of": "2026-06-30", "expect": "refuse"}\n'
     '{"id": "a", "question": "r", "db": "hotline", "as_of": "2026-06-30", "expect": "refuse"}', "重复"),
]


@pytest.mark.parametrize("text,word", BAD_LINES)
def test_load_cases_rejects_bad_lines(tmp_path: Path, text: str, word: str):
    path = tmp_path / "set.jsonl"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(EvalDatasetError) as raised:
        load_cases([path])
    assert word in str(raised.value) and "set.jsonl:" in str(raised.value)


def test_load_cases_reads_every_field(tmp_path: Path):
    path = tmp_path / "ok.jsonl"
    path.write_text(json.dumps({"id": "a", "question": "那中卫市呢", "db": "hotline", "as_of": "2026-03-15",
                                "history": ["今年银川市欠薪类工单有多少"], "gold_sql": "SELECT 1 AS n",
                                "order_matters": True, "tags": ["followup"], "chart": "metric"}, ensure_ascii=False)
                    + "\n\n", encoding="utf-8")
    (case,) = load_cases([path])
    assert (case.as_of, case.history, case.order_matters, case.tags, case.chart, case.source) == (
        dt.date(2026, 3, 15), ("今年银川市欠薪类工单有多少",), True, ("followup",), "metric", "ok")
