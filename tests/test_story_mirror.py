"""The SQLite writer's memory of the story tables (``storage/story_mirror.py``, decision
044) answers exactly what the candidate queries answer, and only while no other
connection wrote: a fleet of writers on one file still groups as one writer would."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine

from bot.config import Settings, StorageConfig
from bot.ingest.prefetch import story_features
from bot.models import Article
from bot.stories import grouping
from storage.archive_write import prepare
from storage.plugin import SqlStorage, open_storage
from storage.sqlite_bands import merge
from storage.sqlite_save import _candidates_sql
from storage.sqlite_writer import SqliteWriter
from storage.story_mirror import StoryMirror
from storage.story_store import _MEMBER_IDS, MAX_CANDIDATES, MAX_MEMBERS
from tests.archive_helpers import T0, WINDOW, make

HACK_A = make(
    "Hackers drain $40 million from Orbit Bridge in a private key exploit",
    summary="Orbit Bridge lost $40 million after attackers took its signing keys.",
    source="decrypt",
    tags=("ETH",),
)
HACK_B = make(
    "Hackers drain $40 million from Orbit Bridge in a private key exploit",
    summary="Orbit Bridge lost $40 million after attackers took its signing keys, the team said.",
    source="theblock",
    at=T0 + timedelta(hours=3),
    tags=("ETH",),
)
OTHER = make("Ethereum developers set a date for the next network upgrade", source="coindesk")


async def _storage(path: Path) -> SqlStorage:
    storage = open_storage(Settings(storage=StorageConfig(url=f"sqlite:///{path}")))
    await storage.upgrade()
    return storage


def _request(article: Article, name: str):  # type: ignore[no-untyped-def]
    features = story_features(article, "lexical")  # bands alone find the story
    return prepare(
        article,
        identity=name,
        origin=name,
        window=WINDOW,
        clock=lambda: datetime.now(UTC),
        features=features,
        bands=grouping.article_bands(features),
    )


async def test_another_connections_write_voids_the_mirror(tmp_path: Path):
    """Writer A starts on an empty archive (its mirror answers band lookups alone); B, a
    second process, stores a story between A's transactions; A's next article must find
    it. A mirror trusted past B's commit would not know B's bands: A would start a story."""
    path = tmp_path / "cw.db"
    first, second = await _storage(path), await _storage(path)
    writer = SqliteWriter(first.db.url, group=1, inline=True)
    try:
        await writer.open()
        await writer.save(_request(OTHER, "a-1"))
        await writer.flush()
        assert writer._memory.mirror.candidates([1], "", "~") == []  # answering from memory
        by_b = await second.archive.save(
            HACK_A,
            identity="b-1",
            origin="b",
            story_window=WINDOW,
            features=story_features(HACK_A, "lexical"),
        )
        joined = await writer.save(_request(HACK_B, "a-2"))
        await writer.flush()
        assert by_b.story is not None and joined.story is not None
        assert joined.story_joined and joined.story.id == by_b.story.id
        assert writer._memory.mirror.resets == 1
    finally:
        await writer.close()
        await first.close()
        await second.close()


async def test_members_and_bands_answer_as_the_queries(tmp_path: Path):
    """Random stories, drafts and a story past the LIMIT: the mirror's member rows (same
    order, same cut) and band candidates equal the queries' on the same tables, as the
    writer adds articles and bands the way ``sqlite_save`` notes them."""
    storage = await _storage(tmp_path / "cw.db")
    await storage.close()
    engine = create_engine(f"sqlite:///{tmp_path / 'cw.db'}")
    conn = engine.connect()  # story_store's statement on the same pysqlite connection
    raw = conn.connection.driver_connection
    raw.isolation_level = None
    rng = random.Random(44)
    mirror = StoryMirror()
    raw.execute("BEGIN IMMEDIATE")
    mirror.begin(raw)
    stories: list[int] = []
    cut = 0
    vocabulary = [rng.getrandbits(62) for _ in range(80)]
    for n in range(900):
        stamp = f"2026-01-{rng.randint(1, 9):02d} {rng.randint(0, 23):02d}:00:00.000000"
        new = not stories or rng.random() < 0.3
        if new:
            stories.append(_new_story(raw, stamp))
        story = stories[-1] if new else rng.choice([stories[0]] * len(stories) + stories)
        draft = rng.random() < 0.1
        aid = _new_article(raw, n, None if draft else story, draft)
        bands = rng.sample(vocabulary, 6)
        if not draft:
            raw.executemany(
                "INSERT INTO story_bands (band, story_id, published_at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [(b, story, stamp) for b in bands],
            )
            mirror.add_bands(story, bands, stamp, new=new)
            mirror.add_member(story, aid, f"h{n}", new=new)
        mirror.keep_article()
        ids = rng.sample(stories, min(len(stories), rng.randint(1, 20)))
        expected = [tuple(r) for r in conn.execute(_MEMBER_IDS, {"ids": ids})]
        assert mirror.member_rows(raw, ids, MAX_MEMBERS) == expected
        cut += len(expected) == MAX_MEMBERS
        low, high = sorted(f"2026-01-0{rng.randint(1, 9)} 1{rng.randint(0, 9)}" for _ in "ab")
        probe = rng.sample(vocabulary, 8)
        table = raw.execute(_candidates_sql(len(probe)), (*probe, low, high)).fetchall()
        mirrored = mirror.candidates(probe, low, high)
        assert mirrored is not None
        assert merge(mirrored, {}, MAX_CANDIDATES) == [s for s, _count in table]
    assert cut > 10  # lookups met the LIMIT
    raw.execute("COMMIT")
    conn.close()
    engine.dispose()


def _new_story(raw: sqlite3.Connection, stamp: str) -> int:
    cursor = raw.execute(
        "INSERT INTO stories (title, first_published_at, last_updated_at, article_count, tags,"
        " sentiment, breaking, retracted, created_at) VALUES ('t', ?, ?, 1, '[]', 'NEUTRAL',"
        " 0, 0, ?)",
        (stamp, stamp, stamp),
    )
    return int(cursor.lastrowid or 0)


def _new_article(raw: sqlite3.Connection, n: int, story: int | None, draft: bool) -> int:
    cursor = raw.execute(
        "INSERT INTO articles (identity, title, summary, body, source_key, source_name,"
        " published_at, lang, tags, sentiment, sticky_weight, draft, retracted, content_hash,"
        " inferred, story_id, revision, ingested_at) VALUES (?, 't', '', '', 's', 's',"
        " '2026-01-01 00:00:00.000000', 'en', '[]', 'NEUTRAL', 0, ?, 0, ?, '[]', ?, 1,"
        " '2026-01-01 00:00:00.000000')",
        (f"i{n}", draft, f"h{n}", story),
    )
    return int(cursor.lastrowid or 0)


async def test_the_search_index_drains_a_bulk_load_without_voiding_the_mirror(tmp_path: Path):
    """The tantivy worker indexes each committed group during an inline bulk load, but
    deletes its drained rows only after it: that delete is another connection's commit."""
    storage = await _storage(tmp_path / "cw.db")
    try:
        assert storage.archive._tantivy is not None  # a runtime dependency (decision 027)
        sync = storage.archive._tantivy.sync
        async with storage.archive.batch(group=1, inline=True):
            batch = storage.archive._batch.get()
            assert batch is not None
            for i, article in enumerate([OTHER, HACK_A, HACK_B]):
                await storage.archive.save(
                    article, identity=f"x{i}", origin="t", story_window=WINDOW
                )  # the group before it was committed first
                if i:
                    await _indexed_so_far(sync, tmp_path / "cw.db")
            mirror = batch.writer._memory.mirror  # type: ignore[attr-defined]
            assert mirror.resets == 0 and mirror.candidates([1], "", "~") == []
        assert await storage.archive.search_settled(30)
        assert [a.title for a in await storage.archive.search("Orbit Bridge")] == [HACK_B.title] * 2
    finally:
        await storage.close()


async def _indexed_so_far(sync, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Wait until the worker took every committed change (and kept their rows)."""
    with closing(sqlite3.connect(path)) as conn:
        noted = conn.execute("SELECT max(seq) FROM search_changes").fetchone()[0]
    for _ in range(500):
        if sync._unforgotten >= noted:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the search worker did not index up to {noted}")


def test_a_bounded_mirror_drops_old_rows_and_sends_older_windows_to_the_table():
    """Past its bound the mirror keeps the rows a moving window still needs: the same
    counts as an unbounded one for windows at or after the cut, None (the query) before."""
    rng = random.Random(4)
    bounded, full = StoryMirror(max_band_rows=300), StoryMirror()
    for mirror in (bounded, full):
        mirror._bands = {}  # as found on an empty table
    vocabulary = list(range(40))
    for story in range(1, 400):
        stamp = f"2026-01-01 {story // 60:02d}:{story % 60:02d}"
        bands = rng.sample(vocabulary, 5)
        for mirror in (bounded, full):
            mirror.add_bands(story, bands, stamp, new=True)
            mirror.keep_article()
        low = f"2026-01-01 {max(0, story - 50) // 60:02d}:{max(0, story - 50) % 60:02d}"
        probe = rng.sample(vocabulary, 8)
        assert bounded.band_counts(probe, low, stamp) == full.band_counts(probe, low, stamp)
    assert bounded._rows < full._rows  # it did drop rows
    assert bounded.band_counts([1], "2026-01-01 00:00", "2026-01-01 01:00") is None
