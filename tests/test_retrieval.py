"""Retrieval: the chromadb store built from schema_docs, its rebuild on change, and learning from use."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import chromadb
import pytest

from assistant.config import SCHEMA_DOCS_DIR, Settings, load_settings
from assistant.learning import ConfirmError, confirm, load_examples, pending_from_feedback
from assistant.retrieval import (COLLECTION, E5EmbeddingFunction, RetrievalIndex, build_corpus, build_index,
                                 char_ngrams)
from assistant.schema_docs import load_schema_docs


@pytest.fixture(scope="module")
def small_docs_dir(tmp_path_factory) -> Path:
    """A copy of schema_docs with a handful of examples: small enough to embed quickly, twice."""
    target = tmp_path_factory.mktemp("schema_docs")
    for f in SCHEMA_DOCS_DIR.iterdir():
        if f.is_file():
            shutil.copy(f, target / f.name)
    lines = (SCHEMA_DOCS_DIR / "examples.jsonl").read_text(encoding="utf-8").splitlines()
    (target / "examples.jsonl").write_text("\n".join(lines[:12]) + "\n", encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def settings(small_docs_dir, tmp_path_factory) -> Settings:
    return load_settings({"WENSHU_DATA_DIR": str(tmp_path_factory.mktemp("retrieval-data")),
                          "WENSHU_SCHEMA_DOCS": str(small_docs_dir)})


@pytest.fixture(scope="module")
def index(settings) -> RetrievalIndex:
    return RetrievalIndex.open(settings, load_schema_docs(settings.schema_docs_dir))


def test_corpus_covers_the_docs_but_never_personal_data():
    docs = load_schema_docs()
    items = build_corpus(docs)
    kinds = {i.kind for i in items}
    assert kinds == {"table", "column", "values", "metric", "example"}
    ids = {i.id for i in items}
    assert "values:hotline_tickets.topic" in ids and "metric:on_time_rate" in ids
    assert len([i for i in items if i.kind == "example"]) == len(docs.examples)
    for column in ("caller_name", "caller_phone", "content", "result"):
        assert f"column:hotline_tickets.{column}" not in ids
        assert not any(f"hotline_tickets.{column}）" in i.text for i in items)


def test_character_ngrams_for_chinese():
    grams = char_ngrams("欠薪讨薪 top5")
    assert {"欠薪", "薪讨", "讨薪", "欠薪讨", "薪讨薪", "top5"} <= set(grams)


def test_hybrid_search_finds_code_values_tables_and_metrics(index):
    hits = index.search("海原县今年欠薪讨薪的工单", k=8)
    ids = [h.item.id for h in hits]
    assert {"values:hotline_tickets.topic", "column:hotline_tickets.topic"} & set(ids)
    assert any(h.lexical_rank is not None and h.dense_rank is not None for h in hits)
    metric = index.search("按期办结率是多少", k=1, kinds=["metric"])[0]
    assert metric.item.ref == "on_time_rate"
    posts = index.search("骑手之家有多少个", k=5, databases=["posts"])
    assert all(h.item.database in ("posts", "both") for h in posts)
    assert "values:union_posts.post_type" in [h.item.id for h in posts]


def test_reopened_collection_embeds_queries_with_the_registered_function(index, settings):
    """A fresh client that does not pass an embedding function gets ours back from the collection config."""
    client = chromadb.PersistentClient(path=str(settings.index_dir),
                                       settings=chromadb.Settings(anonymized_telemetry=False))
    collection = client.get_collection(COLLECTION)
    assert isinstance(collection.configuration["embedding_function"], E5EmbeddingFunction)
    res = collection.query(query_texts=["骑手之家有多少个"], n_results=3, where={"kind": "values"})
    assert "values:union_posts.post_type" in res["ids"][0]
    assert collection.metadata["fingerprint"] == index.fingerprint


def test_store_is_reused_and_rebuilt_when_schema_docs_change(index, settings, small_docs_dir):
    docs = load_schema_docs(small_docs_dir)
    again = RetrievalIndex.open(settings, docs)
    assert again.report.rebuilt is False and again.fingerprint == index.fingerprint
    path = small_docs_dir / "examples.jsonl"
    original = path.read_text(encoding="utf-8")
    new = {"id": "test-new-1", "question": "吴忠市去年送温暖活动参与了多少人次", "db": "posts",
           "sql": "SELECT SUM(participants) FROM post_activities WHERE activity_type = '送温暖'",
           "as_of": "2026-06-30", "tables": ["post_activities"], "tags": ["test"]}
    try:
        path.write_text(original + json.dumps(new, ensure_ascii=False) + "\n", encoding="utf-8")
        changed = load_schema_docs(small_docs_dir)
        rebuilt = RetrievalIndex.open(settings, changed)
        assert rebuilt.report.rebuilt is True and rebuilt.fingerprint != index.fingerprint
        top = rebuilt.search("吴忠去年送温暖参与人次", k=1, kinds=["example"])[0]
        assert top.item.ref == "test-new-1" and top.item.source == "schema_docs"
    finally:
        path.write_text(original, encoding="utf-8")
    back = RetrievalIndex.open(settings, load_schema_docs(small_docs_dir))
    assert back.report.rebuilt is True and back.fingerprint == index.fingerprint


def test_build_index_reports_what_it_built(settings):
    docs = load_schema_docs(settings.schema_docs_dir)
    report = build_index(settings, docs, force=False)
    assert report.rebuilt is False
    assert report.items == len(build_corpus(docs))
    assert report.by_kind["example"] == len(docs.examples)
    assert "检索索引" in report.describe()


# ── learning from use ───────────────────────────────────────────────────────────────
def test_confirmed_pair_is_checked_saved_and_retrieved_with_its_source(settings):
    docs = load_schema_docs(settings.schema_docs_dir)
    sql = "SELECT COUNT(*) AS n FROM union_posts WHERE post_type = '妈咪小屋' AND status <> '已撤销'"
    rec = confirm("全区有几个妈咪小屋还在用", sql + ";", "posts", settings, source="ui-feedback", reviewed=True)
    assert rec.sql == sql and rec.source == "ui-feedback" and rec.reviewed
    again = confirm("全区有几个妈咪小屋还在用", sql, "posts", settings, source="cli")
    assert again == rec and len(load_examples(settings)) == 1           # saved once
    index = RetrievalIndex.open(settings, docs)
    assert index.report.rebuilt is True and index.report.confirmed == 1
    top = index.search("妈咪小屋还有几个在用", k=1, kinds=["example"])[0]
    assert top.item.ref == rec.id and top.item.source == "confirmed:ui-feedback" and top.item.sql == sql


@pytest.mark.parametrize("sql,database,fragment", [
    ("DELETE FROM union_posts", "posts", "安全检查"),
    ("SELECT caller_phone FROM hotline_tickets", "hotline", "安全检查"),
    ("SELECT COUNT(*) FROM union_posts", "nowhere", "未知的数据库"),
    ("", "posts", "不能为空"),
])
def test_confirm_refuses_what_the_guard_refuses(settings, sql, database, fragment):
    before = len(load_examples(settings))
    with pytest.raises(ConfirmError) as err:
        confirm("随便问问", sql, database, settings)
    assert fragment in str(err.value)
    assert len(load_examples(settings)) == before


def test_thumbs_up_feedback_is_pending_until_confirmed(tmp_path):
    from assistant.feedback import record_feedback
    settings = load_settings({"WENSHU_DATA_DIR": str(tmp_path)})
    sql = "SELECT COUNT(*) FROM hotline_tickets WHERE channel = '微信'"
    record_feedback(settings, rating="up", question="微信渠道的工单有多少", sql=sql, answer="…", database="hotline")
    record_feedback(settings, rating="up", question="微信渠道的工单有多少", sql=sql, answer="…", database="hotline")
    record_feedback(settings, rating="down", question="错的", sql="SELECT 1", answer="…", database="hotline")
    record_feedback(settings, rating="up", question="你好", sql=None, answer="…")
    pending = pending_from_feedback(settings)
    assert [(p.question, p.sql) for p in pending] == [("微信渠道的工单有多少", sql)]
    confirm(pending[0].question, pending[0].sql, pending[0].database, settings, source="ui-feedback", reviewed=True)
    assert pending_from_feedback(settings) == []


def test_confirm_command_saves_only_after_the_reviewer_says_yes(tmp_path):
    from argparse import Namespace
    from assistant.feedback import record_feedback
    from assistant.learning import confirm_command
    settings = load_settings({"WENSHU_DATA_DIR": str(tmp_path)})
    sql = "SELECT COUNT(*) FROM union_posts WHERE open_24h"
    printed: list[str] = []
    args = Namespace(question="有多少24小时开放的阵地", sql=sql, db="posts", from_feedback=False, yes=False)
    assert confirm_command(args, settings, ask=lambda _: "n", out=printed.append) == 1
    assert load_examples(settings) == [] and any(sql in p for p in printed)
    assert confirm_command(args, settings, ask=lambda _: "y", out=printed.append) == 0
    assert [(e.question, e.source, e.reviewed) for e in load_examples(settings)] == [("有多少24小时开放的阵地", "cli", True)]
    bad = Namespace(question="删库", sql="DROP TABLE union_posts", db="posts", from_feedback=False, yes=True)
    assert confirm_command(bad, settings, out=printed.append) == 1 and "安全检查" in printed[-1]
    record_feedback(settings, rating="up", question="微信渠道的工单有多少",
                    sql="SELECT COUNT(*) FROM hotline_tickets WHERE channel = '微信'", answer="…", database="hotline")
    feedback = Namespace(question=None, sql=None, db=None, from_feedback=True, yes=True)
    assert confirm_command(feedback, settings, out=printed.append) == 0
    assert [e.source for e in load_examples(settings)] == ["cli", "ui-feedback"]
