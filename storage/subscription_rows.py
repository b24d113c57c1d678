"""Subscription rows as filters: column lists and fast decoding for bulk loads."""

from __future__ import annotations

import json
from collections import OrderedDict
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


COMMON_LIMIT = 20_000  # decoded filters kept across pages, the most recently used


async def subscription_batches(db: Database, size: int) -> AsyncIterator[SubscriptionBatch]:
    """Every active subscription as columns, in id order (the bulk load at start-up).

    On SQLite a page of rows comes from the driver as one row of four texts (a million
    rows as Python tuples cost more than the rest of the load). Filters are numbered
    within each page (decision 034): a dictionary of every distinct text of the load
    held about a million strings at 5,000,000 subscriptions (most filters with keywords
    are unique). The most recently used texts stay decoded across pages (bounded), so
    a popular filter is still decoded once."""
    common: OrderedDict[Any, SubscriptionFilter] = OrderedDict()
    decode = RawFilters()
    after = 0
    while True:
        page = await (_postgres_page if db.is_postgres else _sqlite_page)(db, after, size)
        if page is None:
            return
        batch = SubscriptionBatch()
        local: dict[Any, int] = {}
        for text in dict.fromkeys(page[2]):
            flt = common.get(text)
            if flt is None:
                fields = text.split("\x1f", 5) if isinstance(text, str) else list(text)
                flt = common[text] = decode(*fields[:5], fields[5] or None)
                if len(common) > COMMON_LIMIT:
                    common.popitem(last=False)  # the least recently used
            else:
                common.move_to_end(text)
            local[text] = len(batch.filters)
            batch.filters.append(flt)
        batch.ids.frombytes(_integers(page[0]))
        batch.chats.frombytes(_integers(page[1]))
        batch.shapes.extend(map(local.__getitem__, page[2]))
        del page, local
        yield batch
        after = batch.ids[-1]


def _integers(values: str | list) -> bytes:
    """int64 bytes of a comma-separated text (SQLite's page, parsed in C: a tenth of
    ``map(int, text.split(","))``) or of a list of ints (PostgreSQL)."""
    if isinstance(values, str):
        return np.fromstring(values, dtype=np.int64, sep=",").tobytes()
    return np.asarray(values, dtype=np.int64).tobytes()


async def _sqlite_page(db: Database, after: int, size: int) -> tuple[Any, ...] | None:
    """SQLite: (ids text, chat ids text, one text per row) of the page, or None at the end."""
    async with db.read_connect() as conn:
        raw = await conn.get_raw_connection()
        found = await raw.driver_connection.execute_fetchall(  # type: ignore[union-attr]
            _SQLITE_PAGE, (after, size)
        )
    last, ids, chats, texts = found[0]
    return None if last is None else (ids, chats, texts.split("\x1e"))


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
