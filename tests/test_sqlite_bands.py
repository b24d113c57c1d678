"""The SQLite writer keeps the band rows of stories started in its open group in memory
(``storage/sqlite_bands.py``) and writes them at the commit. Candidate lookups must
answer exactly what the candidate query answers over a table that already holds every
row: same stories, same order, same cut; a rolled-back article leaves nothing behind; a
story's first row of a band wins, as ``ON CONFLICT DO NOTHING`` keeps it."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from bot.config import Settings, StorageConfig
from storage.plugin import open_storage
from storage.sqlite_bands import PendingBands, merge
from storage.sqlite_save import _candidates_sql
from storage.story_store import MAX_CANDIDATES

_BAND = (
    "INSERT INTO story_bands (band, story_id, published_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
)
_ALL_BANDS = "SELECT band, story_id, published_at FROM story_bands ORDER BY band, story_id"


async def _schema(path: Path) -> sqlite3.Connection:
    """A migrated archive (the real story_bands table, keys and index), opened raw."""
    storage = open_storage(Settings(storage=StorageConfig(url=f"sqlite:///{path}")))
    await storage.upgrade()
    await storage.close()
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA foreign_keys=ON")
    return raw


def _new_story(raw: sqlite3.Connection) -> int:
    cursor = raw.execute(
        "INSERT INTO stories (title, first_published_at, last_updated_at, article_count, tags,"
        " sentiment, breaking, retracted, created_at) VALUES ('t', '2026-01-01 00:00:00.000000',"
        " '2026-01-01 00:00:00.000000', 1, '[]', 'NEUTRAL', 0, 0, '2026-01-01 00:00:00.000000')"
    )
    return int(cursor.lastrowid or 0)


def _stamp(rng: random.Random) -> str:
    return f"2026-01-{rng.randint(1, 9):02d} {rng.randint(0, 23):02d}:00:00.000000"


async def test_pending_rows_answer_as_the_table_would(tmp_path: Path):
    rng = random.Random(14)
    memory = await _schema(tmp_path / "memory.db")
    table = await _schema(tmp_path / "table.db")  # every row written at once: the reference
    pending = PendingBands()
    vocabulary = [rng.getrandbits(63) - (1 << 62) for _ in range(60)]  # shared bands
    group_stories: list[int] = []
    old_stories: list[int] = []
    memory.execute("BEGIN IMMEDIATE")
    table.execute("BEGIN IMMEDIATE")
    lookups = 0
    for article in range(400):
        bands = rng.sample(vocabulary, 8)
        low, high = sorted((_stamp(rng), _stamp(rng)))
        sql = _candidates_sql(len(bands))
        expected = [r[0] for r in table.execute(sql, (*bands, low, high))]
        in_table = memory.execute(sql, (*bands, low, high)).fetchall()
        assert merge(in_table, pending.candidates(bands, low, high), MAX_CANDIDATES) == expected
        lookups += bool(expected)

        memory.execute("SAVEPOINT a")
        table.execute("SAVEPOINT a")
        choice = rng.random()
        if choice < 0.5 or not (group_stories or old_stories):
            story = _new_story(memory)
            assert _new_story(table) == story
            pending.start(story)
        else:
            story = rng.choice(group_stories + old_stories)
        stamp = _stamp(rng)
        if pending.owns(story):
            pending.add(story, bands, stamp)
        else:
            memory.executemany(_BAND, [(b, story, stamp) for b in bands])
        table.executemany(_BAND, [(b, story, stamp) for b in bands])
        if rng.random() < 0.1:  # the article fails: its savepoint rolls back
            memory.execute("ROLLBACK TO a")
            table.execute("ROLLBACK TO a")
            pending.drop_article()
        else:
            pending.keep_article()
            if story not in group_stories + old_stories:
                group_stories.append(story)
        memory.execute("RELEASE a")
        table.execute("RELEASE a")
        if article % 100 == 99:  # the group commits: its rows go to the table
            pending.write(memory)
            memory.execute("COMMIT")
            table.execute("COMMIT")
            memory.execute("BEGIN IMMEDIATE")
            table.execute("BEGIN IMMEDIATE")
            old_stories += group_stories
            group_stories = []
    pending.write(memory)
    memory.execute("COMMIT")
    table.execute("COMMIT")
    assert lookups > 100  # the data made stories share bands
    assert memory.execute(_ALL_BANDS).fetchall() == table.execute(_ALL_BANDS).fetchall()


async def test_rows_written_inside_a_rolled_back_article_come_back(tmp_path: Path):
    raw = await _schema(tmp_path / "a.db")
    pending = PendingBands()
    raw.execute("BEGIN IMMEDIATE")
    story = _new_story(raw)
    pending.start(story)
    pending.add(story, [1, 2, 3], "2026-01-01 10:00:00.000000")
    pending.add(story, [3], "2026-01-01 09:00:00.000000")  # the first row of band 3 wins
    pending.keep_article()
    assert pending.candidates([2, 3], "2026-01-01 10:00:00.000000", "2026-01-02") == {story: 2}

    raw.execute("SAVEPOINT a")  # an update takes the general path: the table must answer
    pending.write(raw, in_article=True)
    assert len(pending) == 0
    raw.execute("ROLLBACK TO a")
    raw.execute("RELEASE a")
    pending.drop_article()  # ... but the article failed: its savepoint took the rows away
    assert len(pending) == 3 and raw.execute("SELECT count(*) FROM story_bands").fetchone() == (0,)

    pending.write(raw)
    raw.execute("COMMIT")
    assert raw.execute(_ALL_BANDS).fetchall() == [
        (1, story, "2026-01-01 10:00:00.000000"),
        (2, story, "2026-01-01 10:00:00.000000"),
        (3, story, "2026-01-01 10:00:00.000000"),
    ]
