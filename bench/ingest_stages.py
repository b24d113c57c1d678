"""Where a bulk load's writer spends its time (issue 14, decision 037): the 7,524
cryptonews.csv articles parsed once (in this process, publication order), then stored
through ``IngestPipeline``'s batch writer into a fresh archive with per-stage CPU timers.

    CRYPTOWIRE_SHARED=/work/shared PYTHONHASHSEED=0 .venv/bin/python -m bench.ingest_stages

Prints, per article: the writer's main-thread CPU, its wait for a core (run queue) and
its time off-CPU (GIL waits, I/O); CPU of each story stage and of each SQL statement
(thread CPU, so a loaded machine inflates it less than wall time); every thread's CPU
(the search index worker); the search_changes triggers' cost, isolated (the article
insert with and without them, min of 3); and a digest of the stored rows (articles,
tags, stories, story_members, story_bands), equal before and after a change that must
not change results (set ``PYTHONHASHSEED=0``: set order feeds float sums).
Not part of ``python -m bench``: it records nothing in results.json.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.bench_ingest import DATASET, write_files

CPU: dict[str, float] = {}
DIGEST_QUERIES = (
    "SELECT id, identity, tags, sentiment, story_id, inferred FROM articles ORDER BY id",
    "SELECT tag, article_id FROM article_tags ORDER BY article_id, tag",
    "SELECT id, title, first_published_at, last_updated_at, article_count, tags, sentiment "
    "FROM stories ORDER BY id",
    "SELECT article_id, story_id, method, vector, score, evidence FROM story_members "
    "ORDER BY article_id",
    "SELECT band, story_id, published_at FROM story_bands ORDER BY band, story_id",
)


def _add(key: str, started: float) -> None:
    CPU[key] = CPU.get(key, 0.0) + time.thread_time() - started


def _timed(module: Any, name: str) -> None:
    inner = getattr(module, name)

    @functools.wraps(inner)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return inner(*args, **kwargs)
        finally:
            _add(name, started)

    setattr(module, name, wrapper)


class _TimedConnection:
    """The writer's pysqlite connection with thread CPU per statement (rows fetched)."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)

    def execute(self, sql: str, *args: Any) -> Any:
        started = time.thread_time()
        cursor = self._raw.execute(sql, *args)
        rows = cursor.fetchall() if cursor.description else []
        _add("sql " + " ".join(sql.split())[:60], started)
        return _Rows(rows, cursor.lastrowid)

    def executemany(self, sql: str, *args: Any) -> Any:
        started = time.thread_time()
        cursor = self._raw.executemany(sql, *args)
        _add("sql many " + " ".join(sql.split())[:55], started)
        return cursor


class _Rows:
    def __init__(self, rows: list[Any], lastrowid: int | None) -> None:
        self.rows, self.lastrowid = rows, lastrowid

    def fetchone(self) -> Any:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[Any]:
        return self.rows

    def __iter__(self) -> Any:
        return iter(self.rows)


def _instrument() -> None:
    import storage.sqlite_save as save
    import storage.sqlite_writer as writer

    for name in ("_assign_story", "_candidate_members", "decide", "semantic_candidates"):
        _timed(save, name)
    _timed(writer, "save_raw")
    opened = writer.SqliteWriter.open

    async def open_timed(self: Any) -> None:
        await opened(self)
        self._raw = _TimedConnection(self._raw)

    writer.SqliteWriter.open = open_timed  # type: ignore[method-assign]


async def _parsed(folder: Path) -> tuple[list[Any], list[Any]]:
    """The documents read from the written files, and what both parse passes make of them."""
    from bot.ingest.prefetch import Document, warm_up
    from bot.ingest.reorder import parsed_in_publication_order

    files = write_files(folder)
    documents = [Document(str(p), p.read_bytes()) for p in files]
    warm_up("semantic")  # as a worker is before its first chunk
    started = time.thread_time()
    parsed = parsed_in_publication_order(documents, max_bytes=2 * 1024 * 1024, workers=0)
    items = [p async for p in parsed]
    CPU["parse"] = time.thread_time() - started
    return documents, items


def _hops(documents: list[Any], items: list[Any]) -> dict[str, float]:
    """CPU of what crosses between processes in a CLI load, per article, min of 3, in
    chunks as ``prefetch`` sends them: the first pass's results go worker -> main process
    (which orders them) -> worker; the second's worker -> main (the writer's process)."""
    import pickle

    from bot.ingest.prefetch import CHUNK, read_one

    def chunks(values: list[Any]) -> list[list[Any]]:
        return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]

    def opened(chunk: list[Any]) -> None:  # what the second pass reads of a first result
        for dated in chunk:
            _ = dated.fields

    protocol = pickle.HIGHEST_PROTOCOL
    dated = chunks([read_one(d, 2 * 1024 * 1024) for d in documents])
    steps: tuple[tuple[str, Callable[[Any], Any]], ...] = (
        ("first pass: the worker pickles", lambda c: pickle.dumps(c, protocol)),
        ("first pass: the main process unpickles", pickle.loads),
        ("first pass: the main process pickles", lambda c: pickle.dumps(c, protocol)),
        ("first pass: the worker unpickles", pickle.loads),
        ("first pass: the worker reads the fields", opened),
    )
    best: dict[str, float] = {}

    def timed(
        label: str, step: Callable[[Any], Any], values: list[Any], keep: bool = True
    ) -> list[Any]:
        """``step`` over every chunk; ``keep=False`` drops each result at once, as the
        writer's process does with a chunk it has stored (holding them all costs GC time)."""
        started = time.thread_time()
        out: list[Any] = []
        for c in values:
            result = step(c)
            if keep:
                out.append(result)
        took = time.thread_time() - started
        best[label] = min(best.get(label, took), took)
        return out

    for _ in range(3):
        values: list[Any] = dated
        for label, step in steps:
            out = timed(label, step, values)
            values = values if label.endswith("fields") else out
        blobs = timed(
            "second pass: the worker pickles", lambda c: pickle.dumps(c, protocol), chunks(items)
        )
        timed("second pass: the main process unpickles", pickle.loads, blobs, keep=False)
    return best


def _schedstat() -> tuple[float, float]:
    fields = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat").read_text().split()
    return int(fields[0]) / 1e9, int(fields[1]) / 1e9


def _thread_cpu() -> None:
    """Every thread's CPU so far (the search index worker beside the writer)."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    for task in sorted(Path("/proc/self/task").iterdir()):
        cpu = int((task / "schedstat").read_text().split()[0]) / 1e9
        if cpu > 0.01:
            print(f"   thread {names.get(int(task.name), '?'):28s} {cpu:6.2f} s CPU (whole run)")


async def _store(items: list[Any], db: Path) -> tuple[float, float, float, str]:
    from bot.ingest.pipeline import IngestPipeline
    from storage.database import Database
    from storage.plugin import SqlStorage

    storage = SqlStorage(Database(f"sqlite:///{db}"))
    await storage.upgrade()
    pipeline = IngestPipeline(
        storage.archive, max_bytes=2 * 1024 * 1024, story_window=timedelta(hours=72)
    )
    run0, queue0 = _schedstat()
    wall0 = time.perf_counter()
    async with pipeline.batch(inline=True):
        for parsed in items:
            await pipeline._store_parsed(parsed)
    wall = time.perf_counter() - wall0
    run1, queue1 = _schedstat()
    _thread_cpu()
    settle0 = time.perf_counter()
    await storage.archive.search_settled(120)
    print(f"   search index settled {time.perf_counter() - settle0:.2f} s after the load")
    await storage.close()
    digest = hashlib.sha256()
    with sqlite3.connect(db) as conn:
        for query in DIGEST_QUERIES:
            for row in conn.execute(query):
                digest.update(repr(row).encode())
    return (
        run1 - run0,
        queue1 - queue0,
        wall - (run1 - run0) - (queue1 - queue0),
        (digest.hexdigest()[:16]),
    )


def _trigger_cost(items: list[Any], folder: Path) -> dict[str, float]:
    """CPU per article insert (statement + FTS5 + search_changes triggers), min of 3."""
    import json

    from storage.sqlite_save import _INSERT_ARTICLE
    from storage.story_store import sqlite_datetime

    rows = [
        (p.identity, a.external_id, a.url, a.title, a.summary, a.body, a.source_key,
         a.source_name, sqlite_datetime(a.published_at), None, a.lang, json.dumps(list(a.tags)),
         str(a.sentiment), a.image_url, a.sticky_weight, a.draft, a.retracted, a.content_hash,
         json.dumps(list(a.inferred)), None, 1, "2026-01-01 00:00:00.000000")
        for p in items
        if (a := p.article) is not None
    ]  # fmt: skip
    drops: dict[str, tuple[str, ...]] = {
        "insert with both triggers": (),
        "without search_changes": ("search_changes_ai",),
        "without search_changes, FTS5": ("search_changes_ai", "articles_fts_ai"),
    }
    best: dict[str, float] = {}
    for attempt in range(3):
        for label, triggers in drops.items():
            db = folder / f"insert-{attempt}-{len(triggers)}.db"
            asyncio.run(_empty_archive(db))
            conn = sqlite3.connect(db, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            for trigger in triggers:
                conn.execute(f"DROP TRIGGER {trigger}")
            conn.execute("BEGIN IMMEDIATE")
            started = time.thread_time()
            for row in rows:
                conn.execute(_INSERT_ARTICLE, row).fetchone()
            conn.execute("COMMIT")
            took = (time.thread_time() - started) / len(rows)
            conn.close()
            best[label] = min(best.get(label, took), took)
    return best


async def _empty_archive(db: Path) -> None:
    from storage.database import Database
    from storage.plugin import SqlStorage

    storage = SqlStorage(Database(f"sqlite:///{db}"), search_index="fts5")
    await storage.upgrade()
    await storage.close()


def main(report: Callable[[str], None] = print) -> None:
    if not DATASET.is_file():
        report(f"dataset not found at {DATASET} (set CRYPTOWIRE_SHARED)")
        return
    with tempfile.TemporaryDirectory(prefix="cw-ingest-stages-") as tmp:
        folder = Path(tmp)
        report(f"load average before: {os.getloadavg()[0]:.1f}")
        documents, items = asyncio.run(_parsed(folder))
        n = len(items)
        report(
            f"parse, both passes inline (a worker's work): {CPU.pop('parse') / n * 1e6:.0f} us"
            f" CPU per article; {n} documents"
        )
        for label, seconds in _hops(documents, items).items():
            report(f"   {seconds / n * 1e6:6.0f} us CPU  {label}")
        _instrument()
        run, queue, off_cpu, digest = asyncio.run(_store(items, folder / "stages.db"))
        report(
            f"writer main thread per article: {run / n * 1e6:.0f} us on CPU, {queue / n * 1e6:.0f}"
            f" us waiting for a core, {off_cpu / n * 1e6:.0f} us off-CPU (GIL, I/O)"
        )
        for key, value in sorted(CPU.items(), key=lambda kv: -kv[1]):
            report(f"   {value / n * 1e6:6.0f} us CPU  {key}")
        for label, seconds in _trigger_cost(items, folder).items():
            report(f"   {seconds * 1e6:6.0f} us CPU  article {label} (isolated, min of 3)")
        report(f"digest of the stored rows {digest}; load after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
