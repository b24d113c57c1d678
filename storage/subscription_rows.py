"""Subscription rows as filters: column lists and fast decoding for bulk loads."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Text, cast, select

from bot.alerts.index_bulk import SubscriptionBatch
from bot.models import Sentiment, SubscriptionFilter
from storage.database import Database
from storage.tables import SubscriptionRow


def filter_of(
    tags: Sequence[str],
    sentiments: Sequence[str],
    sources: Sequence[str],
    keywords: Sequence[str],
    exclude_keywords: Sequence[str],
    lang: str | None,
) -> SubscriptionFilter:
    return SubscriptionFilter(
        tags=frozenset(tags or ()),
        sentiments=frozenset(Sentiment(s) for s in sentiments or ()),
        sources=frozenset(sources or ()),
        keywords=tuple(keywords or ()),
        exclude_keywords=tuple(exclude_keywords or ()),
        lang=lang,
    )


class RawFilters:
    """Filters from the JSON text of their columns, decoding each distinct text once.

    Loading a million subscriptions is mostly the same few hundred lists ('[]',
    '["BTC"]'...), so a cache turns five JSON decodes per row into dictionary lookups."""

    LIMIT = 200_000

    def __init__(self) -> None:
        self._sets: dict[object, frozenset[Any]] = {}
        self._tuples: dict[object, tuple[str, ...]] = {}

    def _decoded(self, value: object) -> list[Any]:
        if value is None or value == "[]":
            return []
        return list(json.loads(value) if isinstance(value, str | bytes) else value)  # type: ignore[call-overload]

    def _set(self, value: object, sentiments: bool = False) -> frozenset[Any]:
        key = (sentiments, value if isinstance(value, str | None) else repr(value))
        found = self._sets.get(key)
        if found is None:
            items = self._decoded(value)
            found = frozenset(Sentiment(v) for v in items) if sentiments else frozenset(items)
            if len(self._sets) < self.LIMIT:
                self._sets[key] = found
        return found

    def _tuple(self, value: object) -> tuple[str, ...]:
        key = value if isinstance(value, str | None) else repr(value)
        found = self._tuples.get(key)
        if found is None:
            found = tuple(self._decoded(value))
            if len(self._tuples) < self.LIMIT:
                self._tuples[key] = found
        return found

    def __call__(
        self,
        tags: object,
        sentiments: object,
        sources: object,
        keywords: object,
        exclude_keywords: object,
        lang: str | None,
    ) -> SubscriptionFilter:
        return SubscriptionFilter(
            tags=self._set(tags),
            sentiments=self._set(sentiments, sentiments=True),
            sources=self._set(sources),
            keywords=self._tuple(keywords),
            exclude_keywords=self._tuple(exclude_keywords),
            lang=lang,
        )


FILTER_COLUMNS = (
    SubscriptionRow.tags,
    SubscriptionRow.sentiments,
    SubscriptionRow.sources,
    SubscriptionRow.keywords,
    SubscriptionRow.exclude_keywords,
    SubscriptionRow.lang,
)


# A page in one row: ids and chat ids as comma-separated text, and one text per row for
# the five list columns and the language, \x1e between rows (JSON text never holds a raw
# control character, so \x1e and \x1f cannot occur inside a field; the language is last).
_SHAPE = " || x'1f' || ".join(
    [f"coalesce({c}, '[]')" for c in ("tags", "sentiments", "sources", "keywords")]
    + ["coalesce(exclude_keywords, '[]')", "coalesce(lang, '')"]
)
_SQLITE_PAGE = (
    f"SELECT max(id), group_concat(id), group_concat(chat_id), group_concat({_SHAPE}, x'1e') "
    "FROM (SELECT * FROM subscriptions WHERE active = 1 AND id > ? ORDER BY id LIMIT ?)"
)


SHAPES_LIMIT = 50_000  # distinct filter texts numbered before the numbering starts over


async def subscription_batches(db: Database, size: int) -> AsyncIterator[SubscriptionBatch]:
    """Every active subscription as columns, in id order (the bulk load at start-up).

    On SQLite a page of rows comes from the driver as one row of four texts (a million
    rows as Python tuples cost more than the rest of the load); each distinct filter
    text is decoded once per generation. Filters with keywords are nearly all unique
    (607,692 distinct texts at 5,000,000 subscriptions), so once ``SHAPES_LIMIT`` texts
    are numbered the numbering starts over (``SubscriptionBatch.fresh``, decision 034):
    memory stays bounded and only the popular filters are decoded again."""
    shapes: dict[Any, int] = {}
    decode = RawFilters()
    fresh = False
    after = 0
    while True:
        if db.is_postgres:
            page = await _postgres_page(db, after, size)
        else:
            async with db.read_connect() as conn:
                raw = await conn.get_raw_connection()
                found = await raw.driver_connection.execute_fetchall(  # type: ignore[union-attr]
                    _SQLITE_PAGE, (after, size)
                )
            last, ids, chats, texts = found[0]
            page = None if last is None else (ids, chats, texts.split("\x1e"))
        if page is None:
            return
        if len(shapes) >= SHAPES_LIMIT:  # a new generation: bounded however many distinct
            shapes.clear()
            fresh = True
        batch = SubscriptionBatch(fresh=fresh)
        fresh = False
        for text in set(page[2]).difference(shapes):
            shapes[text] = len(shapes)
            fields = text.split("\x1f", 5) if isinstance(text, str) else list(text)
            batch.filters.append(decode(*fields[:5], fields[5] or None))
        batch.ids.frombytes(_integers(page[0]))
        batch.chats.frombytes(_integers(page[1]))
        batch.shapes.extend(map(shapes.__getitem__, page[2]))
        yield batch
        after = batch.ids[-1]


def _integers(values: str | list) -> bytes:
    """int64 bytes of a comma-separated text (SQLite's page, parsed in C: a tenth of
    ``map(int, text.split(","))``) or of a list of ints (PostgreSQL)."""
    if isinstance(values, str):
        return np.fromstring(values, dtype=np.int64, sep=",").tobytes()
    return np.asarray(values, dtype=np.int64).tobytes()


async def _postgres_page(db: Database, after: int, size: int) -> tuple[list, ...] | None:
    """PostgreSQL: the same page as (ids, chat ids, the six filter columns as a tuple)."""
    columns = [cast(column, Text) for column in FILTER_COLUMNS[:5]]
    query = (
        select(SubscriptionRow.id, SubscriptionRow.chat_id, *columns, SubscriptionRow.lang)
        .where(SubscriptionRow.active.is_(True), SubscriptionRow.id > after)
        .order_by(SubscriptionRow.id)
        .limit(size)
    )
    async with db.read_connect() as conn:
        found = (await conn.execute(query)).all()
    if not found:
        return None
    return (
        [row[0] for row in found],
        [row[1] for row in found],
        [(*row[2:7], row[7] or "") for row in found],
    )
