"""Semantic story candidates: recent articles' vectors in memory, one matrix product per
article. Why: a paraphrase shares few words, so the MinHash bands never propose its story;
the vectors of every article published within the window do (decision 018).

Each process keeps the vectors of ``story_members`` rows (written in the same transaction
as their article) and catches up before every lookup with ``id > last seen``: rows other
processes of a fleet wrote appear at the next lookup, since story assignment is
serialised (PostgreSQL advisory lock, SQLite's single writer) and ids only grow. Rows
published before the process started are read by time range when an article needs them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import numpy as np

from bot.stories import embedding

MAX_ROWS = 200_000  # past this, rows outside the current article's range are dropped
Row = tuple[int, int, Any, bytes | None]  # (id, story_id, published_at, vector bytes)


class RowSource(Protocol):
    """The store's side: ``story_members`` rows, on whichever connection saves."""

    def max_id(self) -> int: ...

    def after(self, last_id: int) -> Iterable[Row]: ...

    def between(self, low: datetime, high: datetime, upto_id: int) -> Iterable[Row]: ...


def _hours(value: Any) -> float:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp() / 3600.0


class VectorIndex:
    """Story id, publication hour and unit vector of recent articles (numpy arrays that
    grow by doubling). Thread-safe: the SQLite writer thread and the loop may share it."""

    def __init__(self, max_rows: int = MAX_ROWS) -> None:
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything (a rolled-back group may have left rows that never were)."""
        self._ids = np.zeros(0, dtype=np.int64)
        self._stories = np.zeros(0, dtype=np.int64)
        self._hours = np.zeros(0, dtype=np.float64)
        self._vectors: np.ndarray | None = None
        self._n = 0
        self._seen: set[int] = set()
        self._last_id: int | None = None
        self._covered: tuple[float, float] | None = None
        self._noted: list[Row] | None = None
        self._product = np.empty((0, 0), np.float32)

    def __len__(self) -> int:
        return self._n

    def candidates(
        self,
        source: RowSource,
        vector: np.ndarray,
        published_at: datetime,
        window: timedelta,
        *,
        limit: int,
        min_cosine: float,
    ) -> list[int]:
        """Up to ``limit`` story ids whose articles published within ``window`` of
        ``published_at`` come closest to ``vector`` (cosine >= ``min_cosine``)."""
        t = _hours(published_at)
        w = window.total_seconds() / 3600.0
        with self._lock:
            self._sync(source, t, w)
            if self._n == 0 or self._vectors is None:
                return []
            near = np.nonzero(np.abs(self._hours[: self._n] - t) <= w)[0]
            if near.size == 0:
                return []
            # multiply-and-sum, not a BLAS product: OpenBLAS threads spin while they wait,
            # taking the core the parse worker needs (measured: ingest at half speed)
            low, high = int(near[0]), int(near[-1]) + 1
            # rows arrive in publication order on bulk loads: the window is then one
            # slice, read in place instead of gathered into a copy (the same values)
            rows = self._vectors[low:high] if high - low == near.size else self._vectors[near]
            # the product into a kept buffer (no allocation per article), summed as before:
            # the same array, the same values
            if self._product.shape[0] < rows.shape[0]:
                self._product = np.empty((2 * rows.shape[0], rows.shape[1]), np.float32)
            product = self._product[: rows.shape[0], : rows.shape[1]]
            np.multiply(rows, np.asarray(vector, dtype=np.float32), out=product)
            sims = product.sum(axis=1)
            order = np.argsort(-sims)
            # the rows reaching min_cosine are a prefix of ``order``: their stories in
            # that order, each once, at most ``limit``
            reaching = order[: int(np.count_nonzero(sims >= min_cosine))]
            found: list[int] = []
            for story in self._stories[near[reaching]].tolist():
                if len(found) >= limit:
                    break
                if story not in found:
                    found.append(story)
            return found

    def note(self, row: Row) -> None:
        """A row the caller just wrote while holding the write lock it has held since
        this index last synced: the only row past the last one seen, so the next sync
        takes it from here instead of reading it back. ``forget_noted`` when the lock
        is released (another process may write)."""
        with self._lock:
            first = self._noted is None and self._last_id is not None and row[0] > self._last_id
            self._noted = [row] if first else None  # anything else: read them back

    def forget_noted(self) -> None:
        with self._lock:
            self._noted = None

    def _sync(self, source: RowSource, t: float, w: float) -> None:
        if self._last_id is None:
            self._last_id = source.max_id()
        low, high = t - 2 * w, t + 2 * w
        covered = self._covered
        if covered is None or t - w < covered[0] or t + w > covered[1]:
            if covered is None or high < covered[0] or low > covered[1]:
                ranges = [(low, high)]
                self._covered = (low, high)
            else:
                ranges = [(low, covered[0]), (covered[1], high)]
                self._covered = (min(low, covered[0]), max(high, covered[1]))
            for a, b in ranges:
                if b > a:
                    start = datetime.fromtimestamp(a * 3600.0, UTC)
                    end = datetime.fromtimestamp(b * 3600.0, UTC)
                    self._add(source.between(start, end, self._last_id))
        noted, self._noted = self._noted, None
        newest = self._add(noted if noted is not None else source.after(self._last_id))
        self._last_id = max(self._last_id, newest)
        if self._n > self.max_rows:
            self._prune(low, high)

    def _add(self, rows: Iterable[Row]) -> int:
        newest = 0
        for row_id, story_id, published, raw in rows:
            newest = max(newest, row_id)
            if row_id in self._seen or raw is None:
                continue
            self._seen.add(row_id)
            vector = embedding.from_bytes(raw)
            if self._vectors is None:
                self._vectors = np.zeros((64, vector.shape[0]), dtype=np.float32)
                self._ids.resize(64, refcheck=False)
                self._stories.resize(64, refcheck=False)
                self._hours.resize(64, refcheck=False)
            if vector.shape[0] != self._vectors.shape[1]:
                continue  # written by another model version: not comparable
            if self._n == len(self._ids):
                size = 2 * self._n
                self._vectors = np.resize(self._vectors, (size, self._vectors.shape[1]))
                self._ids.resize(size, refcheck=False)
                self._stories.resize(size, refcheck=False)
                self._hours.resize(size, refcheck=False)
            i = self._n
            self._ids[i], self._stories[i], self._hours[i] = row_id, story_id, _hours(published)
            self._vectors[i] = vector
            self._n += 1
        return newest

    def _prune(self, low: float, high: float) -> None:
        keep = np.nonzero((self._hours[: self._n] >= low) & (self._hours[: self._n] <= high))[0]
        assert self._vectors is not None
        dropped = set(self._ids[: self._n].tolist()) - set(self._ids[keep].tolist())
        self._seen -= dropped
        self._ids = self._ids[keep].copy()
        self._stories = self._stories[keep].copy()
        self._hours = self._hours[keep].copy()
        self._vectors = self._vectors[keep].copy()
        self._n = len(keep)
        if self._covered is not None:
            self._covered = (max(low, self._covered[0]), min(high, self._covered[1]))
