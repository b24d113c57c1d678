"""A load stored in publication order (`cryptowire ingest`) reads every file for its date,
then streams the rest of the parse beside the writer (decision 043): the writer starts
before the last file is enriched, and what is stored, and in which order, is what saving
the documents one by one in publication order stores, with worker processes and with a
slow file among them."""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from bot.config import Settings, StorageConfig
from bot.ingest import prefetch
from bot.ingest.outcome import IngestOutcome
from bot.ingest.pipeline import IngestPipeline
from bot.ingest.prefetch import Document, Workers
from bot.models import Article
from storage.plugin import SqlStorage, open_storage
from tests.conftest import FreshDatabase
from tests.test_ingest_bulk_equivalence import _state

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
COINS = ("Bitcoin", "Ether", "Solana", "Cardano", "Dogecoin", "Polkadot")


def _document(i: int, minutes: int, body: str = "") -> Document:
    coin = COINS[i % len(COINS)]
    meta = {
        "title": f"{coin} fund {i} records inflows as traders return",
        "description": f"A {coin} fund took in ${i + 3} million on day {i % 5}.",
        "publishedAt": (START + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z"),
        "source": {"name": f"Outlet {i % 4}", "key": f"outlet{i % 4}"},
    }
    head = yaml.safe_dump(meta, sort_keys=False)
    text = body or f"The {coin} fund took in ${i + 3} million as traders came back."
    return Document(f"in/{i:04d}.md", f"---\n{head}---\n{text}\n".encode())


def _documents(count: int, *, slow_at: int | None = None) -> list[Document]:
    """Dates shuffled against the file order; the ``slow_at``-th file has a body big
    enough to take far longer than the others to read."""
    minutes = list(range(0, count * 7, 7))
    random.Random(14).shuffle(minutes)
    slow = "\n\n".join(
        f"Paragraph {n} about the fund's flows and its traders." for n in range(20_000)
    )
    return [_document(i, m, slow if i == slow_at else "") for i, m in enumerate(minutes)]


def _pipeline(storage: SqlStorage) -> IngestPipeline:
    return IngestPipeline(storage.archive, max_bytes=4 << 20, story_window=timedelta(hours=72))


async def _load(
    storage: SqlStorage, documents: list[Document], workers: int
) -> list[tuple[str, str]]:
    pipeline = _pipeline(storage)
    done: list[tuple[str, str]] = []
    async with pipeline.batch(group=20, inline=True):
        await pipeline.ingest_documents(
            documents,
            lambda document, outcome: done.append((document.origin, outcome.status)),
            workers=workers,
            publication_order=True,
        )
    return done


async def test_the_writer_starts_before_the_last_file_is_enriched(storage: SqlStorage, monkeypatch):
    events: list[str] = []
    features = prefetch.story_features

    def noted(article: Article, method: str = "semantic"):
        events.append("enriched")
        return features(article, method)

    monkeypatch.setattr(prefetch, "story_features", noted)
    pipeline = _pipeline(storage)
    async with pipeline.batch(inline=True):
        await pipeline.ingest_documents(
            _documents(40), lambda *_: events.append("stored"), workers=0, publication_order=True
        )

    assert events.count("stored") == events.count("enriched") == 40
    last_enriched = len(events) - 1 - events[::-1].index("enriched")
    assert events.index("stored") < last_enriched
    assert events.index("stored") == prefetch.CHUNK  # the first write waits for one chunk


async def test_publication_order_with_workers_and_a_slow_file_stores_what_one_by_one_does(
    storage: SqlStorage, backend: str, tmp_path: Path
):
    documents = [*_documents(260, slow_at=3), Document("in/bad.md", b"---\ntitle: [\n---\n")]
    in_order: list[IngestOutcome] = []
    single = _pipeline(storage)
    dated = []
    for document in documents:
        try:
            meta = yaml.safe_load(document.raw.decode().split("---\n")[1])
        except yaml.YAMLError:
            continue
        dated.append((meta["publishedAt"], document))
    for _, document in sorted(dated, key=lambda pair: pair[0]):
        in_order.append(await single.ingest_bytes(document.raw, origin=document.origin))

    fresh = FreshDatabase(backend, tmp_path / "bulk")
    (tmp_path / "bulk").mkdir()
    bulk_storage = open_storage(Settings(storage=StorageConfig(url=await fresh.create())))
    try:
        await bulk_storage.upgrade()
        done = await _load(bulk_storage, documents, workers=2)
        assert done[0] == ("in/bad.md", "rejected")  # no date: told at once, as before
        assert done[1:] == [(o.origin, o.status) for o in in_order]
        assert {status for _, status in done[1:]} == {"new"}
        bulk_state = await _state(bulk_storage)
        assert bulk_state == await _state(storage)
        published = [row.published_at for row in bulk_state["articles"]]  # by id
        assert published == sorted(published) and len(published) == 260
    finally:
        await bulk_storage.close()
        await fresh.drop()


def _square_in(item: int) -> tuple[int, int]:
    """A worker task for the test below: slow on item 1000, 2 ms on the rest."""
    time.sleep(1.0 if item == 1000 else 0.002)
    return item * item, os.getpid()


async def test_workers_keep_input_order_when_one_item_is_slow():
    async def items():
        for i in range(1200):
            yield i

    pool = Workers(2, method="lexical")
    try:
        results = [r async for r in pool.map(items(), _square_in)]
    finally:
        pool.close()
    assert [square for square, _ in results] == [i * i for i in range(1200)]
    pids = {pid for _, pid in results}
    assert os.getpid() in pids  # the first chunks, while the workers start
    assert pids - {os.getpid()}  # the rest in the workers, the slow one among them
