"""Retrieval quality on the evaluation set: recall@k of the right tables and the right examples.

    .venv/bin/python bench/bench_retrieval.py            # prints the figures (JSON lines + a table)

Tables: for every eval case with gold SQL, the gold tables are the tables its SQL reads. Tables
are ranked by their first appearance among the hybrid hits on table/column/value/metric docs;
recall@k = share of gold tables within the top k (and "all@k" = every gold table within the top k).
The schema linker's own choice (what goes into the prompt) is scored too: database accuracy,
table recall and the number of tables sent.

Examples: the "right" example for a question is one that answers the same kind of question —
same database, same metric tags and the same tables. Eval questions are scored against the
schema_docs examples; the schema_docs examples themselves are scored leave-one-out (their own
pair excluded). Dense-only and lexical-only rankings are printed beside the fused one.
"""
from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlglot  # noqa: E402
from sqlglot import exp  # noqa: E402

from assistant.config import EVAL_DIR, load_settings  # noqa: E402
from assistant.llm_planner import link_schema, sql_tables  # noqa: E402
from assistant.retrieval import RetrievalIndex  # noqa: E402
from assistant.schema_docs import load_schema_docs  # noqa: E402

KS = (1, 3, 5)


def gold_tables(sql: str) -> set[str]:
    return sql_tables(sqlglot.parse_one(sql, read="duckdb"))


def metric_tags(tags) -> frozenset[str]:
    return frozenset(t for t in tags if t.startswith("metric:"))


def rank_tables(index: RetrievalIndex, question: str, database: str | None) -> list[str]:
    hits = index.search(question, k=30, kinds=["table", "column", "values", "metric"],
                        databases=[database] if database else None)
    order: list[str] = []
    for h in hits:
        if h.item.table and h.item.table not in order:
            order.append(h.item.table)
    return order


def ranked_examples(index: RetrievalIndex, question: str, database: str, mode: str, exclude: str | None) -> list[str]:
    excluded = [f"example:{exclude}"] if exclude else []
    if mode == "fused":
        return [h.item.ref for h in index.search(question, k=5, kinds=["example"], databases=[database],
                                                  exclude_ids=excluded)]
    ok = {i for i, item in index.items.items() if item.kind == "example" and item.database == database
          and i not in excluded}
    if mode == "lexical":
        scores = index.ngrams.scores(question)
        return [index.items[i].ref for i in sorted((i for i in scores if i in ok), key=lambda i: -scores[i])[:5]]
    res = index.collection.query(query_embeddings=[index.query_embedding(question)], n_results=40,
                                 where={"$and": [{"kind": "example"}, {"database": database}]}, include=[])
    return [index.items[i].ref for i in res["ids"][0] if i in ok][:5]


def recall(ranks: list[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r < k) / max(len(ranks), 1)


def main() -> int:
    settings = load_settings().with_(data_dir=ROOT / "data" / "bench-retrieval")
    docs = load_schema_docs(settings.schema_docs_dir)
    t0 = time.perf_counter()
    index = RetrievalIndex.open(settings, docs)
    print(json.dumps({"index_items": len(index.items), "index_rebuilt": index.report.rebuilt,
                      "open_s": round(time.perf_counter() - t0, 1)}, ensure_ascii=False))

    cases = []
    for name in ("questions_hotline.jsonl", "questions_posts.jsonl", "questions_heldout.jsonl"):
        for line in (EVAL_DIR / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                c = json.loads(line)
                if c.get("gold_sql") and not c.get("history"):
                    cases.append(c)

    # ── tables ──
    share = {k: 0.0 for k in KS}
    every = {k: 0 for k in KS}
    db_right = linked_recall = linked_all = 0
    linked_sizes = []
    t0 = time.perf_counter()
    for c in cases:
        gold = gold_tables(c["gold_sql"])
        order = rank_tables(index, c["question"], None)
        for k in KS:
            top = set(order[:k])
            share[k] += len(gold & top) / len(gold)
            every[k] += gold <= top
        linked = link_schema(c["question"], dt.date.fromisoformat(c["as_of"]), docs, index)
        db_right += linked.database == c["db"]
        linked_recall += len(gold & set(linked.tables)) / len(gold)
        linked_all += gold <= set(linked.tables)
        linked_sizes.append(len(linked.tables))
    n = len(cases)
    print(json.dumps({"tables": {"cases": n, **{f"recall@{k}": round(share[k] / n, 3) for k in KS},
                                 **{f"all@{k}": round(every[k] / n, 3) for k in KS},
                                 "linker_database_accuracy": round(db_right / n, 3),
                                 "linker_table_recall": round(linked_recall / n, 3),
                                 "linker_all_tables": round(linked_all / n, 3),
                                 "linker_tables_mean": round(sum(linked_sizes) / n, 2),
                                 "seconds_per_question": round((time.perf_counter() - t0) / n, 3)}},
                     ensure_ascii=False))

    # ── examples ──
    by_key: dict[tuple, set[str]] = {}
    for e in docs.examples:
        key = (e.db, metric_tags(e.tags), frozenset(gold_tables(e.sql)))
        by_key.setdefault(key, set()).add(e.id)

    def relevant(db: str, tags, sql: str, exclude: str | None = None) -> set[str]:
        return by_key.get((db, metric_tags(tags), frozenset(gold_tables(sql))), set()) - {exclude}

    rows = []
    for label, queries in (
            ("eval questions → schema_docs examples",
             [(c["question"], c["db"], relevant(c["db"], c.get("tags", []), c["gold_sql"]), None) for c in cases]),
            ("schema_docs examples, leave-one-out",
             [(e.question, e.db, relevant(e.db, e.tags, e.sql, e.id), e.id) for e in docs.examples])):
        queries = [q for q in queries if q[2]]   # only questions that have a right example at all
        for mode in ("fused", "dense", "lexical"):
            ranks = []
            for question, db, right, exclude in queries:
                got = ranked_examples(index, question, db, mode, exclude)
                ranks.append(next((i for i, ref in enumerate(got) if ref in right), None))
            rows.append({"set": label, "mode": mode, "queries": len(queries),
                         **{f"recall@{k}": round(recall(ranks, k), 3) for k in KS}})
            print(json.dumps({"examples": rows[-1]}, ensure_ascii=False))
    print()
    print(f"{'examples':40} {'mode':8} {'n':>4} " + " ".join(f"R@{k:<4}" for k in KS))
    for r in rows:
        print(f"{r['set']:40} {r['mode']:8} {r['queries']:>4} " + " ".join(f"{r[f'recall@{k}']:<6.3f}" for k in KS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
