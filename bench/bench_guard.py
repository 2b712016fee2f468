"""Cost of the SQL guard: milliseconds per guard_sql call on the schema_docs examples, unscoped
and scoped to a county officer, for each target dialect; and the cost of the DuckDB execution
the guarded query then needs (from the demo files under data/, if present).

    .venv/bin/python bench/bench_guard.py [DEMO_DIR]     # prints one JSON line per figure
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import load_settings  # noqa: E402
from assistant.db import Databases  # noqa: E402
from assistant.guard import guard_sql  # noqa: E402
from assistant.models import Scope  # noqa: E402
from assistant.schema_docs import load_schema_docs  # noqa: E402

COUNTY = Scope(org_id=28, org_name="海原县总工会", org_level="县区总工会", region_code="640522",
               region_name="海原县", region_codes=frozenset({"640522"}), org_ids=frozenset({28}))


def main() -> None:
    docs = load_schema_docs()
    examples = list(docs.examples)
    for dialect in ("duckdb", "sqlite", "postgres"):
        for label, scope in (("unscoped", None), ("county", COUNTY)):
            times = []
            for ex in examples:
                t0 = time.perf_counter()
                guard_sql(ex.sql, database=ex.db, docs=docs, dialect=dialect, scope=scope, row_limit=1000)
                times.append((time.perf_counter() - t0) * 1000)
            print(json.dumps({"figure": "guard_ms", "dialect": dialect, "scope": label, "n": len(times),
                              "mean": round(statistics.mean(times), 2),
                              "p95": round(sorted(times)[int(len(times) * 0.95) - 1], 2)}))
    demo = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data"
    if not (demo / "hotline.duckdb").exists():
        print(json.dumps({"figure": "execute_ms", "skipped": f"no demo files in {demo}"}))
        return
    settings = load_settings({"WENSHU_DATA_DIR": str(demo)})
    databases = Databases(settings)
    for label, scope in (("unscoped", None), ("county", COUNTY)):
        times = []
        for ex in examples:
            guarded = guard_sql(ex.sql, database=ex.db, docs=docs, dialect="duckdb", scope=scope, row_limit=1000)
            t0 = time.perf_counter()
            databases.execute(ex.db, guarded.sql)
            times.append((time.perf_counter() - t0) * 1000)
        print(json.dumps({"figure": "execute_ms", "engine": "duckdb", "scope": label, "n": len(times),
                          "mean": round(statistics.mean(times), 2), "max": round(max(times), 2)}))


if __name__ == "__main__":
    main()
