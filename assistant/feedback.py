"""👍/👎 feedback on answers, kept append-only as JSON lines (settings.feedback_path).

👍 records are the raw material for `wenshu confirm` (new verified examples); 👎 records
point at questions the planners get wrong. Personal data never enters the file: the
answer rows are not stored, and phone and ID numbers typed into a question are masked.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, Literal

from .audit import mask_free_text, mask_sql
from .config import Settings

Rating = Literal["up", "down"]

# Feedback text is stored under the audit log's rules: phones, ID numbers and typed names masked.
scrub = mask_free_text


@dataclass(frozen=True)
class FeedbackRecord:
    time: str                 # ISO 8601, UTC
    rating: Rating
    question: str | None
    sql: str | None
    answer: str | None
    database: str | None = None
    status: str | None = None
    chart_type: str | None = None
    backend: str | None = None
    org_id: int | None = None
    org_name: str | None = None
    session: str | None = None
    comment: str | None = None


def record_feedback(settings: Settings, *, rating: Rating, question: str | None, sql: str | None,
                    answer: str | None, database: str | None = None, status: str | None = None,
                    chart_type: str | None = None, backend: str | None = None, org_id: int | None = None,
                    org_name: str | None = None, session: str | None = None, comment: str | None = None,
                    now: dt.datetime | None = None) -> FeedbackRecord:
    """Append one rating to the feedback file and return what was written."""
    if rating not in ("up", "down"):
        raise ValueError(f"rating must be 'up' or 'down', not {rating!r}")
    when = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    rec = FeedbackRecord(
        time=when.isoformat(timespec="seconds"), rating=rating, question=scrub(question), sql=mask_sql(sql),
        answer=scrub(answer), database=database, status=status, chart_type=chart_type, backend=backend,
        org_id=org_id, org_name=org_name, session=session, comment=scrub(comment),
    )
    path = Path(settings.feedback_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(asdict(rec), ensure_ascii=False) + "\n").encode("utf-8")
    # One write() on an O_APPEND descriptor: concurrent app sessions never interleave lines.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return rec


def iter_feedback(settings: Settings, *, rating: Rating | None = None) -> Iterator[FeedbackRecord]:
    """The stored records, oldest first; a damaged line is skipped, not fatal."""
    path = Path(settings.feedback_path)
    if not path.exists():
        return
    fields = set(FeedbackRecord.__dataclass_fields__)
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                raw = json.loads(line)
                rec = FeedbackRecord(**{k: v for k, v in raw.items() if k in fields})
            except (ValueError, TypeError):
                continue
            if rating is None or rec.rating == rating:
                yield rec
