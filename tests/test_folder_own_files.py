"""A folder source watching the folder that holds the SQLite database never reads the
database's own files (``-wal``, ``-shm``, ``-journal``) or its search index folder."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sources_support import article_md

from bot.config import Settings, SourceConfig, StorageConfig
from bot.ingest.pipeline import IngestPipeline
from bot.sources.folder_paths import FolderPaths, database_files, sqlite_file
from bot.sources.scheduler import SourceScheduler
from storage.plugin import SqlStorage, open_storage


class Recorder:
    """The real pipeline, noting every file it was handed."""

    def __init__(self, pipeline: IngestPipeline) -> None:
        self.pipeline = pipeline
        self.origins: list[str] = []
        self.handed = asyncio.Event()  # set at each file

    async def ingest_bytes(self, raw: bytes, *, origin: str, source: object = None) -> object:
        self.origins.append(Path(origin).name)
        self.handed.set()
        return await self.pipeline.ingest_bytes(raw, origin=origin, source=source)

    async def ingest_article(self, article: object, *, origin: str) -> object:
        return await self.pipeline.ingest_article(article, origin=origin)  # type: ignore[arg-type]


@pytest.fixture
def shared(tmp_path: Path) -> Settings:
    """The database in the very folder the source watches (a first run's layout)."""
    return Settings(
        storage=StorageConfig(url=f"sqlite:///{tmp_path / 'news.db'}"),
        sources=[SourceConfig(name="Inbox", kind="folder", path=tmp_path, interval="1h")],
    )


@pytest.fixture
async def store(shared: Settings) -> AsyncIterator[SqlStorage]:
    storage = open_storage(shared)
    await storage.upgrade()
    try:
        yield storage
    finally:
        await storage.close()


def recorder(storage: SqlStorage) -> Recorder:
    return Recorder(
        IngestPipeline(storage.archive, max_bytes=2**20, story_window=timedelta(hours=72))
    )


async def test_a_poll_reads_only_the_articles_beside_the_database(
    shared: Settings, store: SqlStorage, tmp_path: Path
) -> None:
    pipeline = recorder(store)
    scheduler = SourceScheduler(shared, pipeline, store.sources, settle_s=0.05)  # type: ignore[arg-type]
    (tmp_path / "first.md").write_text(article_md("First story", "f-1"), encoding="utf-8")
    [first] = await scheduler.poll_once()
    assert await store.archive.search_settled(30)  # the index folder now holds files
    index_files = [p.name for p in (tmp_path / "news.db.search").iterdir() if p.is_file()]
    assert index_files and (tmp_path / "news.db-wal").exists()
    (tmp_path / "second.md").write_text(article_md("Second story", "s-1"), encoding="utf-8")
    [second] = await scheduler.poll_once()

    assert pipeline.origins == ["first.md", "second.md"]
    assert (first.items_seen, second.items_seen, first.rejected + second.rejected) == (1, 1, 0)
    titles = sorted(a.title for a in await store.archive.latest())
    assert titles == ["First story", "Second story"]
    assert sorted(await store.sources.known_files("inbox")) == ["first.md", "second.md"]


async def test_the_watcher_ignores_the_index_and_journal_it_sees_change(
    shared: Settings, store: SqlStorage, tmp_path: Path
) -> None:
    pipeline = recorder(store)
    scheduler = SourceScheduler(shared, pipeline, store.sources, settle_s=0.05)  # type: ignore[arg-type]
    await scheduler.start()
    try:
        await asyncio.sleep(0.3)
        for n in range(3):  # each save commits to the database and then to the index
            name = f"story-{n}.md"
            (tmp_path / name).write_text(article_md(f"Story {n}", f"w-{n}"), encoding="utf-8")
            async with asyncio.timeout(10):
                while name not in pipeline.origins:
                    pipeline.handed.clear()
                    await pipeline.handed.wait()
            assert await store.archive.search_settled(30)
        await asyncio.sleep(1.5)  # events from the index's last commit, and one more look
    finally:
        await scheduler.stop()
    assert sorted(set(pipeline.origins)) == ["story-0.md", "story-1.md", "story-2.md"]
    assert sorted(await store.sources.known_files("inbox")) == sorted(set(pipeline.origins))


def test_database_files_follow_the_storage_url(tmp_path: Path) -> None:
    db = tmp_path / "data" / "cw.db"
    assert sqlite_file(f"sqlite:///{db}") == db
    assert sqlite_file(f"sqlite+aiosqlite:///{db}?timeout=5") == db
    assert sqlite_file("sqlite:///cw.db") == Path.cwd() / "cw.db"
    for url in ("sqlite://", "sqlite:///:memory:", "postgresql://u@h:5432/cw"):
        assert database_files(url) == ()
    names = [p.name for p in database_files(f"sqlite:///{db}")]
    assert names == ["cw.db", "cw.db-wal", "cw.db-shm", "cw.db-journal", "cw.db.search"]


def test_a_folder_named_through_a_symlink_still_skips_the_database(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "cw.db.search").mkdir(parents=True)
    for name in ("cw.db", "cw.db-wal", "cw.db-journal", "story.md", ".hidden.md", "x.md.part"):
        (real / name).write_text("x", encoding="utf-8")
    (real / "cw.db.search" / "meta.json").write_text("{}", encoding="utf-8")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    paths = FolderPaths(link, database_files(f"sqlite:///{real / 'cw.db'}"))
    assert [p.name for p in paths.files()] == ["story.md"]
    assert not paths.wanted(link / "cw.db.search" / "meta.json")
    assert not paths.wanted(link / "cw.db-wal")
    assert paths.wanted(link / "story.md")
    assert paths.wanted(link / "cw.db2")  # another database's name is just a file
