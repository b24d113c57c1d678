"""The bulk path (`cryptowire ingest`: parse workers, batch writer, raw SQLite statements)
stores exactly what saving documents one by one stores: the same outcomes and
announcements, the same stories (grouping, counts, tags, bands), tag postings, revisions;
and search finds what was bulk-loaded. Both backends; real fixtures, samples and the
first rows of the shared dataset (when present)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.config import Settings, StorageConfig
from bot.ingest.outcome import IngestOutcome
from bot.ingest.parse import RejectedDocument, parse_document
from bot.ingest.pipeline import IngestPipeline
from bot.ingest.prefetch import Document
from storage.archive_rows import ARTICLES, BANDS, REVISIONS, STORIES, TAGS
from storage.plugin import SqlStorage, open_storage
from tests.conftest import SAMPLES, SHARED, FreshDatabase

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
DATASET = SHARED / "datasets" / "cryptonews.csv"
DATASET_ROWS = 240  # newest first: a few busy days, so stories get joined
WINDOW_H = 72


def _front_matter(meta: dict[str, object], body: str) -> bytes:
    head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    return f"---\n{head}---\n{body}\n".encode()


def _dataset_documents() -> list[Document]:
    if not DATASET.is_file():
        return []
    documents = []
    with DATASET.open(encoding="utf-8", newline="") as handle:
        for i, row in enumerate(csv.DictReader(handle, delimiter=";")):
            if i == DATASET_ROWS:
                break
            published = datetime.strptime(row["date"], "%d-%m-%Y %H:%M").replace(tzinfo=UTC)
            meta = {
                "title": row["title"],
                "description": row["text"],
                "publishedAt": published.isoformat().replace("+00:00", "Z"),
                "url": row["url"],
                "source": {"name": row["source"], "key": row["source"].lower()},
                "tags": [row["subject"].upper()],
            }
            documents.append(Document(f"dataset/{i:04d}.md", _front_matter(meta, row["text"])))
    return documents


def _edge_documents() -> list[Document]:
    """Updates, stale versions, drafts published later, duplicates, a reject."""

    def doc(name: str, **meta: object) -> Document:
        base: dict[str, object] = {
            "title": "Exchange halts withdrawals after $40 million hot wallet breach",
            "description": "The exchange paused withdrawals after losing $40M from a hot wallet.",
            "publishedAt": "2026-01-20T10:00:00Z",
            "externalId": "edge-1",
            "source": {"name": "The Block", "key": "theblock"},
            "tags": ["HACK"],
        }
        base.update(meta)
        return Document(f"edge/{name}.md", _front_matter(base, str(base["description"])))

    return [
        doc("first"),
        doc("again"),  # identical: a duplicate
        doc("newer", updatedAt="2026-01-20T12:00:00Z", description="Withdrawals resume soon."),
        doc("stale", updatedAt="2026-01-20T11:00:00Z", description="An older edit."),
        doc("draft", externalId="edge-2", draft=True, title="Breach: $40M hot wallet loss"),
        doc(
            "published",
            externalId="edge-2",
            draft=False,
            title="Breach: $40M hot wallet loss",
            updatedAt="2026-01-20T13:00:00Z",
            source={"name": "Decrypt", "key": "decrypt"},
        ),
        Document("edge/empty.md", b"---\n---\n"),
        Document("edge/unreadable.md", error="edge/unreadable.md: cannot read (test)"),
    ]


def _documents() -> list[Document]:
    files = sorted(FIXTURES.iterdir())
    if SAMPLES.is_dir():
        files += sorted(SAMPLES.iterdir())
    documents = [Document(str(path), path.read_bytes()) for path in files]
    return [d for d in documents if not _dated_now(d)] + _dataset_documents() + _edge_documents()


def _dated_now(document: Document) -> bool:
    """No date in the document: it is stamped with the parse time, which cannot repeat."""
    try:
        article = parse_document(document.raw, origin=document.origin)
    except RejectedDocument:
        return False
    return abs(article.published_at - datetime.now(UTC)) < timedelta(hours=1)


async def _state(storage: SqlStorage) -> dict[str, object]:
    """Every row the archive holds about articles and stories (but wall-clock times)."""
    queries = {
        "articles": select(
            ARTICLES.c.id,
            ARTICLES.c.identity,
            ARTICLES.c.story_id,
            ARTICLES.c.revision,
            ARTICLES.c.draft,
            ARTICLES.c.content_hash,
            ARTICLES.c.published_at,
            ARTICLES.c.tags,
        ).order_by(ARTICLES.c.id),
        "stories": select(
            STORIES.c.id,
            STORIES.c.title,
            STORIES.c.first_published_at,
            STORIES.c.last_updated_at,
            STORIES.c.article_count,
            STORIES.c.tags,
            STORIES.c.sentiment,
        ).order_by(STORIES.c.id),
        "bands": select(BANDS).order_by(BANDS.c.band, BANDS.c.story_id),
        "tags": select(TAGS).order_by(TAGS.c.tag, TAGS.c.article_id),
        "revisions": select(
            REVISIONS.c.article_id, REVISIONS.c.revision, REVISIONS.c.changed_fields
        ).order_by(REVISIONS.c.id),
    }
    async with storage.db.connect() as conn:
        return {name: list(await conn.execute(q)) for name, q in queries.items()}


def _pipeline(storage: SqlStorage, heard: list[IngestOutcome]) -> IngestPipeline:
    pipeline = IngestPipeline(
        storage.archive, max_bytes=1 << 21, story_window=timedelta(hours=WINDOW_H)
    )
    pipeline.add_listener(lambda outcome: _hear(heard, outcome))
    return pipeline


async def _hear(heard: list[IngestOutcome], outcome: IngestOutcome) -> None:
    heard.append(outcome)


@pytest.mark.parametrize("workers", [0, 2], ids=["inline-parse", "parse-workers"])
async def test_bulk_load_stores_what_one_by_one_saves_store(
    storage: SqlStorage, backend: str, tmp_path: Path, workers: int
):
    documents = _documents()
    one_heard: list[IngestOutcome] = []
    single = _pipeline(storage, one_heard)
    one_by_one = []
    for document in documents:
        if document.error is not None:
            one_by_one.append(IngestOutcome.rejected(document.origin, document.error))
        else:
            one_by_one.append(await single.ingest_bytes(document.raw, origin=document.origin))

    fresh = FreshDatabase(backend, tmp_path / "bulk")
    (tmp_path / "bulk").mkdir()
    bulk_storage = open_storage(Settings(storage=StorageConfig(url=await fresh.create())))
    try:
        await bulk_storage.upgrade()
        bulk_heard: list[IngestOutcome] = []
        bulk = _pipeline(bulk_storage, bulk_heard)
        in_bulk: list[IngestOutcome] = []
        async with bulk.batch(group=50, inline=True):
            await bulk.ingest_documents(
                documents, lambda _doc, outcome: in_bulk.append(outcome), workers=workers
            )

        statuses = {o.status for o in one_by_one}
        assert {"new", "duplicate", "updated", "draft", "rejected"} <= statuses
        assert any(o.story_joined for o in one_by_one)  # the data exercises grouping
        assert in_bulk == one_by_one
        assert bulk_heard == one_heard
        assert await _state(bulk_storage) == await _state(storage)

        queries = ["hot wallet breach withdrawals"]
        if DATASET.is_file():
            queries.append("CEL keeps outperforming")
        for words in queries:
            found = [a.title for a in await bulk_storage.archive.search(words)]
            assert found and found == [a.title for a in await storage.archive.search(words)]
        found = [a.title for a in await bulk_storage.archive.search("hot wallet breach")]
        assert "Exchange halts withdrawals after $40 million hot wallet breach" in found
    finally:
        await bulk_storage.close()
        await fresh.drop()
