"""Benchmark: how fast the demo generator writes DuckDB (prints seconds and rows/s).

    .venv/bin/python bench/bench_demo_data.py --tickets 1000000
"""
from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

from assistant.demo_data import generate_to_dir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--posts", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 6, 30))
    ap.add_argument("--out", type=Path, default=None, help="directory to keep the files in (default: a temp dir)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="wenshu-bench-") as tmp:
        out = args.out or Path(tmp)
        t0 = time.perf_counter()
        report = generate_to_dir(out, seed=args.seed, end=args.end, tickets=args.tickets, posts=args.posts,
                                 progress=None if args.quiet else (lambda m: print("  " + m, file=sys.stderr)))
        seconds = time.perf_counter() - t0
        sizes = {p.name: p.stat().st_size for p in out.glob("*.duckdb")}
    rows = report.total_rows
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = usage.ru_maxrss / 1024
    cpu_s = usage.ru_utime + usage.ru_stime
    print(f"tickets={args.tickets} posts={args.posts} total_rows={rows}")
    for table, n in report.counts.items():
        print(f"  {table:22s} {n:>10d}")
    print(f"seconds={seconds:.2f}")
    print(f"cpu_seconds={cpu_s:.2f}  (user+sys of this process, all threads; wall time varies with machine load)")
    print(f"tickets_per_s={args.tickets / seconds:,.0f}")
    print(f"rows_per_s={rows / seconds:,.0f}")
    print(f"peak_rss_mb={peak_mb:.0f}")
    for name, size in sorted(sizes.items()):
        print(f"  {name} {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
