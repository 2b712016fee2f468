"""Feedback: append-only JSON lines, no personal data."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from assistant.config import load_settings
from assistant.feedback import iter_feedback, record_feedback, scrub


@pytest.fixture()
def settings(tmp_path):
    return load_settings({"WENSHU_DATA_DIR": str(tmp_path)})


def test_records_are_appended_and_read_back(settings):
    t = dt.datetime(2026, 6, 30, 8, 0, tzinfo=dt.timezone.utc)
    record_feedback(settings, rating="up", question="今年各市工单量", sql="SELECT 1", answer="共 3 条",
                    database="hotline", org_id=1, org_name="宁夏回族自治区总工会", session="s1", now=t)
    record_feedback(settings, rating="down", question="去年办结率", sql="SELECT 2", answer="80%", now=t)
    lines = settings.feedback_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0])["question"] == "今年各市工单量"
    assert json.loads(lines[0])["time"] == "2026-06-30T08:00:00+00:00"
    ups = list(iter_feedback(settings, rating="up"))
    assert [r.sql for r in ups] == ["SELECT 1"] and ups[0].org_name == "宁夏回族自治区总工会"
    assert [r.rating for r in iter_feedback(settings)] == ["up", "down"]


def test_damaged_line_is_skipped(settings):
    record_feedback(settings, rating="up", question="q", sql=None, answer=None)
    with settings.feedback_path.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    record_feedback(settings, rating="down", question="q2", sql=None, answer=None)
    assert [r.question for r in iter_feedback(settings)] == ["q", "q2"]


def test_phone_and_id_numbers_are_masked(settings):
    rec = record_feedback(settings, rating="down", question="13912345678 的工单，身份证 640522199001011234",
                          sql="SELECT * FROM hotline_tickets WHERE caller_phone = '13912345678'", answer=None)
    stored = settings.feedback_path.read_text(encoding="utf-8")
    assert "13912345678" not in stored and "640522199001011234" not in stored
    assert rec.question == "139****5678 的工单，身份证 640522********1234"
    assert scrub("工单 NX20250315000123") == "工单 NX20250315000123"  # ticket numbers are not phones


def test_bad_rating_refused(settings):
    with pytest.raises(ValueError):
        record_feedback(settings, rating="meh", question="q", sql=None, answer=None)  # type: ignore[arg-type]
    assert not settings.feedback_path.exists()
