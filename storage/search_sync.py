"""Keeps the tantivy index beside a SQLite file (``<db>.search/``) in step with it.

Every article write notes the article's id in ``search_changes`` (triggers, in the
write's own transaction: migration 0008). One worker thread per process drains that
table into the index after each commit it is told of (``kick``), and every few seconds
for writes by other processes: the articles' current rows in, drafts and deleted ids
out, one tantivy commit per drained chunk, then the drained rows are forgotten. A crash
between the two replays the chunk (idempotent). Search uses tantivy only when the index
is complete and nothing is pending (``storage/search_tantivy.py``); otherwise FTS5
answers, so a slow, missing or broken index is never wrong, only slower.

Start-up: an index without its ``complete`` marker (never built, a build interrupted,
an unreadable or outdated folder) is rebuilt from the articles in the worker; a complete
one also takes any visible article above its highest id (an index restored from an older
copy) before the pending changes. Nothing here runs on the event loop.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path

from storage.search_index import Doc, IndexBusy, TantivyIndex, micros

log = logging.getLogger(__name__)

CHUNK = 5000  # changes drained per tantivy commit
POLL_SECONDS = 2.0  # how often other processes' writes are looked for
BUSY_SECONDS = 30.0
MIN_GAP_SECONDS = 0.05
COMPLETE = "complete"
_COLUMNS = "id, title, summary, body, tags, sentiment, source_key, source_name, published_at"


def folder_for(database: Path) -> Path:
    return database.with_name(database.name + ".search")


def _doc(row: tuple) -> Doc:  # type: ignore[type-arg]
    article_id, title, summary, body, tags, sentiment, key, name, published = row
    listed = json.loads(tags) if isinstance(tags, str) else (tags or [])
    at = datetime.fromisoformat(published) if isinstance(published, str) else published
    return Doc(
        id=int(article_id),
        title=title or "",
        summary=summary or "",
        body=body or "",
        tags=list(dict.fromkeys(t.upper()[:40] for t in listed if str(t).strip())),
        sentiment=sentiment or "",
        sources=list(dict.fromkeys(s.lower() for s in (key, name) if s)),
        at=micros(at),
    )


class SearchSync:
    """The index of one SQLite file and the worker thread that keeps it current."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.folder = folder_for(database)
        self.index: TantivyIndex | None = None
        self.ready = threading.Event()  # complete and opened: searches may use it
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.drained = 0  # changes taken so far (tests, benches)
        self._holds = 0  # open bulk loads that asked for no forgetting (``hold_forgets``)
        self._holds_lock = threading.Lock()
        self._unforgotten = 0  # highest seq indexed but kept while held (0: none)

    # ---- lifecycle (called from the event loop: cheap) -------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="cw-search-index", daemon=True)
            self._thread.start()

    def kick(self) -> None:
        """Articles were committed: drain soon."""
        self._wake.set()

    def hold_forgets(self) -> None:
        """Index changes but keep their rows until ``release_forgets``: the delete is a
        commit by another connection, which voids a bulk writer's memory of the story
        tables (``storage/story_mirror.py``). Search answers from FTS5 meanwhile."""
        with self._holds_lock:
            self._holds += 1

    def release_forgets(self) -> None:
        with self._holds_lock:
            self._holds -= 1
        self.kick()  # the worker forgets what it kept

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def settled(self, timeout: float) -> bool:
        """Block until the index is complete and nothing is pending (tests, benches)."""
        if not self.ready.wait(timeout):
            return False
        done = threading.Event()
        deadline = threading.Timer(timeout, done.set)
        deadline.start()
        try:
            while not done.is_set():
                if not self.pending():
                    return True
                self.kick()
                done.wait(0.02)
        finally:
            deadline.cancel()
        return False

    # ---- the worker thread -----------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._open()
                break
            except IndexBusy:  # another process is building it
                self._stop.wait(POLL_SECONDS)
            except InterruptedError:  # closed while building: the next start resumes
                return
            except Exception as exc:  # FTS5 keeps answering
                # a read-only place (a CLI reading someone else's file) is expected
                level = logging.DEBUG if isinstance(exc, PermissionError) else logging.INFO
                log.log(level, "search index at %s unavailable (%s)", self.folder, exc)
                return
        while not self._stop.is_set():
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.drain()
                self._stop.wait(MIN_GAP_SECONDS)  # a burst of kicks: one drain per gap
            except IndexBusy:
                pass
            except Exception as exc:  # retried on the next wake
                log.info("search index update failed (%s); FTS5 answers meanwhile", exc)

    def _open(self) -> None:
        try:
            self.index = TantivyIndex(self.folder)
            complete = (self.folder / COMPLETE).exists()
        except IndexBusy:
            raise
        except Exception as exc:  # corrupt or outdated: built again
            log.info("search index at %s unreadable (%s): rebuilding", self.folder, exc)
            shutil.rmtree(self.folder, ignore_errors=True)
            self.index = TantivyIndex(self.folder)
            complete = False
        if complete:
            self._catch_up()
        else:
            self.rebuild()
        self.drain()
        self.ready.set()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.database, timeout=BUSY_SECONDS, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def pending(self) -> bool:
        with closing(self._connect()) as conn:
            return conn.execute("SELECT EXISTS (SELECT 1 FROM search_changes)").fetchone()[0] == 1

    def _visible_after(self, last: int) -> Iterator[Doc]:
        """Every visible article above id ``last``, in chunks (a generator: one commit)."""
        conn = self._connect()
        try:
            while True:
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM articles WHERE id > ? AND draft = 0 "
                    "ORDER BY id LIMIT ?",
                    (last, CHUNK),
                ).fetchall()
                if not rows:
                    return
                if self._stop.is_set():  # closing: abandon the build (nothing committed)
                    raise InterruptedError("search index build stopped")
                yield from (_doc(row) for row in rows)
                last = rows[-1][0]
        finally:
            conn.close()

    def rebuild(self) -> None:
        """Index every visible article afresh; changes noted before it began are done."""
        assert self.index is not None
        (self.folder / COMPLETE).unlink(missing_ok=True)
        with closing(self._connect()) as conn:
            noted = conn.execute("SELECT coalesce(max(seq), 0) FROM search_changes").fetchone()[0]
        written = self.index.write(self._visible_after(0), [], clear=True)
        self._forget(noted)
        (self.folder / COMPLETE).write_text("1")
        log.debug("search index built: %d articles", written)

    def _catch_up(self) -> None:
        """Visible articles above the index's highest id (an index older than the file)."""
        assert self.index is not None
        self.index.write(self._visible_after(self.index.newest_id()), [])

    def drain(self) -> int:
        """Apply every pending change; the number applied."""
        assert self.index is not None
        total = 0
        if self._unforgotten:
            self._forget(self._unforgotten)  # kept while a bulk load ran
        while not self._stop.is_set():
            conn = self._connect()
            try:
                changes = conn.execute(
                    "SELECT seq, article_id FROM search_changes WHERE seq > ? ORDER BY seq LIMIT ?",
                    (self._unforgotten, CHUNK),
                ).fetchall()
                if not changes:
                    return total
                ids = [article_id for _seq, article_id in changes]
                marks = ", ".join("?" * len(ids))
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM articles WHERE draft = 0 AND id IN ({marks})", ids
                ).fetchall()
            finally:
                conn.close()
            docs = [_doc(row) for row in rows]
            shown = {doc.id for doc in docs}
            self.index.write(docs, [i for i in ids if i not in shown])
            self._forget(changes[-1][0])
            total += len(changes)
            self.drained += len(changes)
        return total

    def _forget(self, seq: int) -> None:
        with self._holds_lock:
            if self._holds:
                self._unforgotten = max(self._unforgotten, seq)
                return
        self._unforgotten = 0
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM search_changes WHERE seq <= ?", (seq,))
            conn.execute("COMMIT")
        finally:
            conn.close()
