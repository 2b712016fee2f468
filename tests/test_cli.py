"""The wenshu command: JSON shape, exit codes, clear messages for bad input."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

JSON_KEYS = {"status", "database", "sql", "columns", "rows", "answer", "chart", "plan", "definitions"}


def wenshu(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "WENSHU_DATA_DIR": str(settings.data_dir), "WENSHU_HOTLINE_URL": settings.hotline_url,
           "WENSHU_POSTS_URL": settings.posts_url}
    env.pop("OPENAI_BASE_URL", None)
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_sql_json_shape(demo_settings):
    proc = wenshu(demo_settings, "sql", "SELECT topic, count(*) AS n FROM hotline_tickets GROUP BY topic",
                  "--db", "hotline", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert JSON_KEYS <= out.keys()
    assert out["status"] == "ok" and out["database"] == "hotline"
    assert out["columns"] == ["topic", "n"]
    assert sum(r[1] for r in out["rows"]) == 20000
    assert "LIMIT" in out["sql"].upper()  # the guard adds a row limit


def test_sql_values_are_json(demo_settings):
    proc = wenshu(demo_settings, "sql",
                  "SELECT received_at, amount_involved FROM hotline_tickets WHERE amount_involved IS NOT NULL "
                  "ORDER BY ticket_no LIMIT 1", "--db", "hotline", "--json")
    out = json.loads(proc.stdout)
    received, amount = out["rows"][0]
    assert received[:4].isdigit() and "T" in received  # ISO 8601
    assert isinstance(amount, (int, float))            # decimals as numbers


@pytest.mark.parametrize("sql", ["DELETE FROM hotline_tickets", "DROP TABLE regions",
                                 "SELECT 1; DELETE FROM regions"])
def test_sql_refuses_writes_with_exit_zero(demo_settings, sql):
    proc = wenshu(demo_settings, "sql", sql, "--db", "hotline", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "refused"
    assert out["rows"] == [] and out["answer"]


def test_ask_json_shape(demo_settings):
    proc = wenshu(demo_settings, "ask", "今年各市工单量", "--as-of", "2026-06-30", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert JSON_KEYS <= out.keys()
    assert out["status"] == "ok" and out["database"] == "hotline"
    assert len(out["rows"]) == 5 and out["answer"]
    assert out["chart"] is None or out["chart"]["$schema"].startswith("https://vega.github.io/schema/vega-lite")


def test_ask_session_follow_up(demo_settings):
    first = json.loads(wenshu(demo_settings, "ask", "今年银川市工单量", "--as-of", "2026-06-30",
                              "--session", "cli-test", "--json").stdout)
    second = json.loads(wenshu(demo_settings, "ask", "那中卫市呢", "--as-of", "2026-06-30",
                               "--session", "cli-test", "--json").stdout)
    assert first["status"] == second["status"] == "ok"
    assert first["rows"] != second["rows"]
    assert "中卫" in second["answer"]


def test_ask_with_org_limits_scope(demo_settings):
    out = json.loads(wenshu(demo_settings, "ask", "今年各县区工单量", "--as-of", "2026-06-30",
                            "--org", "中卫市总工会", "--json").stdout)
    assert out["status"] == "ok"
    names = {str(r[c]) for r in out["rows"] for c in range(len(out["columns"])) if isinstance(r[c], str)}
    assert names <= {"沙坡头区", "中宁县", "海原县"} and names
    assert "中卫市" in out["scope"]


@pytest.mark.parametrize("args,message", [
    (["ask", "工单量", "--as-of", "2026-13-01"], "日期格式"),
    (["sql", "SELECT 1", "--db", "nosuchdb"], "参数错误"),
    (["demo-data", "--out", "x", "--hotline-url", "duckdb:///y"], "二选一"),
])
def test_bad_arguments_exit_two_with_chinese_message(demo_settings, args, message):
    proc = wenshu(demo_settings, *args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_org_is_an_error(demo_settings):
    proc = wenshu(demo_settings, "ask", "工单量", "--org", "火星市总工会", "--json")
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert out["status"] == "error" and "找不到" in out["answer"]


def test_missing_database_is_a_clear_message(tmp_path: Path, demo_settings):
    settings = demo_settings.with_(hotline_url=f"duckdb:///{tmp_path / 'none.duckdb'}",
                                   posts_url=f"duckdb:///{tmp_path / 'none2.duckdb'}", data_dir=tmp_path)
    proc = wenshu(settings, "ask", "工单量")
    assert proc.returncode == 1
    assert "wenshu demo-data" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "none.duckdb").exists()  # reading never creates a database


def test_demo_data_cli_writes_both_files(tmp_path: Path, demo_settings):
    proc = wenshu(demo_settings, "demo-data", "--out", str(tmp_path), "--tickets", "500", "--posts", "50",
                  "--end", "2025-12-31", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "hotline.duckdb").exists() and (tmp_path / "posts.duckdb").exists()
    assert proc.stderr.strip()  # progress was shown


def test_audit_lists_recent_entries(demo_settings):
    wenshu(demo_settings, "sql", "SELECT count(*) FROM regions", "--db", "posts")
    proc = wenshu(demo_settings, "audit", "-n", "5", "--json")
    assert proc.returncode == 0
    entries = json.loads(proc.stdout)
    assert entries and any("regions" in (e.get("sql") or "") for e in entries)
