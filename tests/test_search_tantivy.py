"""The tantivy index beside a SQLite file (decision 027): the same answers as FTS5, kept
current through edits, drafts and deletions, and never wrong while it lags or is lost."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.database import Database
from storage.plugin import SqlStorage
from storage.search_sync import folder_for
from tests.archive_helpers import T0, edited, make, save
from tests.test_search_archive import CORPUS, FILTERS, HOSTILE

pytest.importorskip("tantivy")  # a runtime dependency; an old venv without it skips

QUERIES = [
    "bitcoin",
    "bitcoin etf",
    "etf",
    "wallet",
    "approving",
    "hacks",
    '"spot bitcoin ETF"',
    '"ETF bitcoin spot"',
    "zürich",
    "über cafés",
    "bitcoin OR etf",
    *(query for query, _expected in FILTERS),
    *HOSTILE,
]


async def _open(path: Path, engine: str) -> SqlStorage:
    store = SqlStorage(Database(f"sqlite:///{path}"), search_index=engine)
    await store.upgrade()
    store.archive.clock = lambda: T0
    return store


@pytest.fixture
async def pair(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The same file opened twice: tantivy answering, and FTS5 only (today's answers)."""
    path = tmp_path / "cw.db"
    tantivy = await _open(path, "tantivy")
    for article in CORPUS:
        await save(tantivy.archive, article)
    fts5 = await _open(path, "fts5")
    assert await tantivy.archive.search_settled(30)
    try:
        yield tantivy, fts5
    finally:
        await tantivy.close()
        await fts5.close()


def _answered(store: SqlStorage) -> int:
    assert store.archive._tantivy is not None
    return store.archive._tantivy.answered


async def _ids(store: SqlStorage, query: str, limit: int = 10) -> list[int]:
    return [a.id for a in await store.archive.search(query, limit) if a.id is not None]


async def _indexed_and_closed(path: Path) -> list[int]:
    """Save CORPUS through a tantivy-backed store, wait for its index, close it; returns
    the ids a search for "bitcoin" gave then (what a later open must answer)."""
    store = await _open(path, "tantivy")
    for article in CORPUS:
        await save(store.archive, article)
    assert await store.archive.search_settled(30)
    expected = await _ids(store, "bitcoin")
    await store.close()
    return expected


async def test_tantivy_gives_fts5s_answers_in_fts5s_order(pair):  # type: ignore[no-untyped-def]
    tantivy, fts5 = pair
    before = _answered(tantivy)
    for query in QUERIES:
        assert await _ids(tantivy, query) == await _ids(fts5, query), query
    for limit in (1, 2, 3):
        assert await _ids(tantivy, "bitcoin", limit) == await _ids(fts5, "bitcoin", limit)
    # every query with words went to tantivy (filters alone read SQLite's indexes)
    assert _answered(tantivy) - before >= 20


async def test_a_word_repeated_counts_as_fts5_counts_it(pair):  # type: ignore[no-untyped-def]
    """FTS5 ranks by how often the words occur in title and summary, not only whether."""
    tantivy, fts5 = pair
    often = make("Exchange update", summary="Custody moves: custody drained, custody frozen.")
    once = make("Market update", summary="A custody note.", at=T0 + timedelta(hours=1))
    await save(tantivy.archive, often)
    await save(tantivy.archive, once)
    assert await tantivy.archive.search_settled(30)
    before = _answered(tantivy)
    found = [a.title for a in await tantivy.archive.search("custody drained OR moves", 2)]
    assert found == [a.title for a in await fts5.archive.search("custody drained OR moves", 2)]
    titles = [a.title for a in await tantivy.archive.search("custody", 3)]
    assert titles[:2] == ["Exchange update", "Market update"]  # 3 mentions beat 1 newer
    assert titles == [a.title for a in await fts5.archive.search("custody", 3)]
    assert _answered(tantivy) == before + 2


async def test_edits_drafts_and_deletions_reach_the_index(pair):  # type: ignore[no-untyped-def]
    tantivy, fts5 = pair
    story = make("Solana validators patch a stall", summary="The network resumed.", at=T0)
    outcome = await save(tantivy.archive, story, identity="t:1")
    assert outcome.article is not None
    await tantivy.archive.search_settled(30)
    assert await _ids(tantivy, "validators") == [outcome.article.id]

    title = "Solana operators patch a stall"
    renamed = edited(story, title=title, body=title, updated_at=T0 + timedelta(1))
    await save(tantivy.archive, renamed, identity="t:1")
    await tantivy.archive.search_settled(30)
    before = _answered(tantivy)
    assert await _ids(tantivy, "validators") == []
    assert await _ids(tantivy, "operators") == [outcome.article.id]
    assert _answered(tantivy) == before + 2

    hidden = edited(renamed, draft=True, updated_at=T0 + timedelta(2))
    await save(tantivy.archive, hidden, identity="t:1")
    await tantivy.archive.search_settled(30)
    assert await _ids(tantivy, "operators") == []

    async with tantivy.db.connect() as conn:  # an operator's delete, outside the archive
        await conn.execute(text("DELETE FROM articles WHERE title LIKE 'Exchange hack%'"))
    await tantivy.archive.search_settled(30)
    before = _answered(tantivy)
    assert await _ids(tantivy, "wallet") == []
    assert _answered(tantivy) == before + 1
    assert await _ids(tantivy, "bitcoin") == await _ids(fts5, "bitcoin")


async def test_a_lagging_index_never_hides_new_articles(pair):  # type: ignore[no-untyped-def]
    tantivy, _fts5 = pair
    assert tantivy.archive._tantivy is not None
    tantivy.archive._tantivy.sync.stop()  # the worker stops draining: the index lags
    before = _answered(tantivy)
    new = await save(tantivy.archive, make("Polkadot parachain auction opens", at=T0))
    assert [a.id for a in await tantivy.archive.search("parachain")] == [new.article.id]
    assert _answered(tantivy) == before  # FTS5 answered while the write was pending


async def test_a_closed_storage_searches_again(pair):  # type: ignore[no-untyped-def]
    """The CLI runs one loop per command over one storage: close() is not the end."""
    tantivy, fts5 = pair
    await tantivy.close()
    assert await tantivy.archive.search_settled(30)
    before = _answered(tantivy)
    assert await _ids(tantivy, "bitcoin") == await _ids(fts5, "bitcoin")
    assert _answered(tantivy) == before + 1


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
async def test_a_lost_index_is_rebuilt_and_fts5_answers_meanwhile(tmp_path: Path, damage: str):
    path = tmp_path / "cw.db"
    expected = await _indexed_and_closed(path)
    folder = folder_for(path)
    if damage == "missing":
        shutil.rmtree(folder)
    else:
        for file in folder.iterdir():
            if file.is_file():
                file.write_bytes(b"\x00garbage")
    store = await _open(path, "tantivy")
    try:
        assert await _ids(store, "bitcoin") == expected  # FTS5, or tantivy once rebuilt
        assert await store.archive.search_settled(30)
        before = _answered(store)
        assert await _ids(store, "bitcoin") == expected
        assert _answered(store) == before + 1
    finally:
        await store.close()


async def test_a_locked_file_never_stalls_the_event_loop(tmp_path: Path) -> None:
    """Cheap searches run on the event loop (decision 035) but never wait there: with the
    file locked, the search moves to a search thread, the loop keeps serving, and the
    answer comes once the lock is gone."""
    import asyncio
    import sqlite3

    path = tmp_path / "cw.db"
    expected = await _indexed_and_closed(path)
    store = SqlStorage(Database(f"sqlite:///{path}"), search_index="tantivy")
    store.archive.clock = lambda: T0
    try:
        assert await store.archive.search_settled(30)  # the index's worker only
        before = _answered(store)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")  # nobody else reads the file until it ends
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        found = asyncio.create_task(_ids(store, "bitcoin"))
        try:
            await asyncio.sleep(0.4)
            assert not found.done()  # waiting for the lock, in a search thread
            assert ticks >= 10  # the loop kept serving meanwhile
        finally:
            holder.execute("ROLLBACK")
            holder.close()
            ticker.cancel()
        assert await found == expected
        assert _answered(store) == before + 1
    finally:
        await store.close()


async def test_many_matches_take_the_windowed_paths_with_fts5s_answers(tmp_path: Path) -> None:
    """Past 1,600 matches tantivy looks among the newest ids (a window, widened when
    short) and scores phrases apart: still FTS5's articles in FTS5's order."""
    import json
    import random
    import sqlite3

    path = tmp_path / "cw.db"
    store = await _open(path, "tantivy")
    await store.close()
    rng = random.Random(7)
    words = ["alpha", "beta", "gamma", "delta", "omega", "market", "price", "bitcoin"]
    rows, postings = [], []
    for i in range(1, 6001):
        title = " ".join(rng.choice(words) for _ in range(6))
        summary = " ".join(rng.choice(words) for _ in range(12))
        # a phrase at most once per field (FTS5 counts each instance, we once: decision 027)
        title += " solar flare" if i % 4 == 0 else ""
        summary += " solar flare" if i % 5 == 0 else ""
        tags = ["BTC"] if i % 3 == 0 else ["ETH"]
        stamp = (T0 - timedelta(minutes=6001 - i)).replace(tzinfo=None).isoformat(sep=" ")
        rows.append((i, f"w:{i}", title, summary, "", "desk", "Desk", stamp, json.dumps(tags),
                     "NEUTRAL", f"{i:064x}", stamp))  # fmt: skip
        postings += [(tag, i, stamp) for tag in tags]
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO articles (id, identity, title, summary, body, source_key, source_name,"
            " published_at, lang, tags, sentiment, sticky_weight, draft, retracted,"
            " content_hash, inferred, revision, ingested_at) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, 'en', ?, ?, 0, 0, 0, ?, '[]', 1, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO article_tags (tag, article_id, published_at) VALUES (?, ?, ?)", postings
        )
    tantivy = await _open(path, "tantivy")
    fts5 = await _open(path, "fts5")
    try:
        assert await tantivy.archive.search_settled(60)
        before = _answered(tantivy)
        queries = ["alpha", "alpha beta", "alpha beta gamma delta", '"solar flare"',
                   "price tag:BTC", '"solar flare" bitcoin', "omega since:2d"]  # fmt: skip
        for query in queries:
            assert await _ids(tantivy, query) == await _ids(fts5, query), query
        assert _answered(tantivy) - before == len(queries)
    finally:
        await tantivy.close()
        await fts5.close()


async def test_searched_articles_are_the_stored_articles(pair):  # type: ignore[no-untyped-def]
    """The search reads its rows in a search thread or on the loop with its own
    connection: every field comes out as the archive's own read gives it (dates with and
    without microseconds, an update time, tags)."""
    tantivy, _fts5 = pair
    story = make("Custody audit finds gaps", summary="An audit.", at=T0.replace(microsecond=0))
    saved = await save(tantivy.archive, story, identity="t:audit")
    later = edited(
        story, summary="An audit, revised.", updated_at=T0 + timedelta(minutes=1, microseconds=7)
    )
    await save(tantivy.archive, later, identity="t:audit")
    assert saved.article is not None
    assert await tantivy.archive.search_settled(30)
    before = _answered(tantivy)
    for query in ("audit", "bitcoin", "etf", "wallet"):
        found = await tantivy.archive.search(query, 10)
        assert found
        for article in found:
            assert article == await tantivy.archive.get_article(article.id)
    assert _answered(tantivy) == before + 4
