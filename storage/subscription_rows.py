"""Subscription rows as filters: column lists and fast decoding for bulk loads."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.models import Sentiment, SubscriptionFilter
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
