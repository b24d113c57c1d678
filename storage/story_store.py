"""Story assignment inside the article's transaction: LSH candidates -> score -> join/create.

The pure rules live in ``bot.stories.grouping``; this module only fetches candidates
(stories sharing MinHash bands, first published within the window) and writes the result.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bot.models import Article, Sentiment, Story
from bot.stories import grouping as rules
from bot.stories import semantic
from storage.archive_rows import ARTICLES, BANDS, STORIES, STORY_COLUMNS, story_from_row
from storage.archive_rows import NOT_DRAFT_IN_STORY as _NOT_DRAFT

MAX_CANDIDATES = 10
MAX_MEMBERS = 200  # member articles scored per lookup, newest first
MAX_STORY_TAGS = 30

_CANDIDATES = (
    select(BANDS.c.story_id, func.count().label("shared"))
    .where(
        BANDS.c.band.in_(bindparam("bands", expanding=True)),
        BANDS.c.published_at >= bindparam("low"),
        BANDS.c.published_at <= bindparam("high"),
    )
    .group_by(BANDS.c.story_id)
    .having(func.count() >= rules.MIN_SHARED_BANDS)
    .order_by(func.count().desc(), BANDS.c.story_id.desc())
    .limit(MAX_CANDIDATES)
)
# No ORDER BY on purpose: sorting by time lures the planner onto the (draft,
# published_at) index, a scan of the whole archive; the story_id index is a few probes.
_MEMBER_IDS = (
    select(ARTICLES.c.id, ARTICLES.c.story_id, ARTICLES.c.content_hash)
    .where(ARTICLES.c.story_id.in_(bindparam("ids", expanding=True)), _NOT_DRAFT)
    .limit(MAX_MEMBERS)
)
_MEMBERS = select(
    ARTICLES.c.id,
    ARTICLES.c.title,
    ARTICLES.c.summary,
    func.substr(ARTICLES.c.body, 1, rules.FIGURE_CHARS).label("body"),
    ARTICLES.c.tags,
    ARTICLES.c.published_at,
    ARTICLES.c.sentiment,
    ARTICLES.c.source_key,
).where(ARTICLES.c.id.in_(bindparam("ids", expanding=True)))
_STORY = select(*STORY_COLUMNS).where(STORIES.c.id == bindparam("id"))
_NEW_STORY = insert(STORIES).returning(*STORY_COLUMNS)
_JOIN_STORY = (
    update(STORIES)
    .where(STORIES.c.id == bindparam("sid"))
    .values(
        article_count=STORIES.c.article_count + 1,
        first_published_at=bindparam("first"),
        last_updated_at=bindparam("last"),
        tags=bindparam("story_tags", type_=STORIES.c.tags.type),
        sentiment=bindparam("story_sentiment"),
    )
    .returning(*STORY_COLUMNS)
)


class FeatureCache:
    """Story features of stored articles by (id, content hash): candidate stories are
    scored again and again while they are fresh, their text need not be re-read."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._items: OrderedDict[tuple[int, str], rules.StoryFeatures] = OrderedDict()
        self._lock = threading.Lock()  # the SQLite writer thread and the loop share it

    def get(self, key: tuple[int, str]) -> rules.StoryFeatures | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[int, str], value: rules.StoryFeatures) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass(frozen=True, slots=True)
class Member:
    """One visible article already in a candidate story."""

    story_id: int
    features: rules.StoryFeatures
    source_key: str
    article_id: int = 0


@dataclass(frozen=True, slots=True)
class Assignment:
    story: Story
    joined: bool
    score: float
    evidence: semantic.Evidence | None = None


def member_features(article: Article, semantic_method: bool) -> rules.StoryFeatures:
    """A stored member's features, with vectors when the semantic rule will score it."""
    return semantic.features(article) if semantic_method else rules.features(article)


def usable(found: rules.StoryFeatures | None, semantic_method: bool) -> bool:
    """A cached member's features serve unless the semantic rule needs missing vectors."""
    return found is not None and (not semantic_method or found.vector is not None)


def candidate_ids(band_ids: Sequence[int], semantic_ids: Sequence[int]) -> list[int]:
    """Stories proposed by the bands, then those only the vectors found (no repeats)."""
    return list(dict.fromkeys([*band_ids, *semantic_ids]))[: 2 * MAX_CANDIDATES]


def decide(
    feats: rules.StoryFeatures, members: Sequence[Member], window: timedelta
) -> tuple[int | None, float, semantic.Evidence | None]:
    """The story to join (or None), its score and the evidence, by the article's method:
    semantic when it carries vectors, else the lexical rule of decision 010."""
    if feats.vector is not None:
        grouped: dict[int, list[tuple[int, rules.StoryFeatures]]] = {}
        for m in members:
            grouped.setdefault(m.story_id, []).append((m.article_id, m.features))
        hours = window.total_seconds() / 3600.0
        decision = semantic.best_story(feats, grouped, window_hours=hours)
        score = decision.evidence.score if decision.evidence else -math.inf
        return decision.story_id, score, decision.evidence
    lexical: dict[int, list[rules.StoryFeatures]] = {}
    for m in members:
        lexical.setdefault(m.story_id, []).append(m.features)
    story_id, score = rules.best_story(feats, lexical)
    evidence = None
    if members and story_id is not None:
        best = max(
            (m for m in members if m.story_id == story_id),
            key=lambda m: rules.score_pair(feats, m.features).score,
        )
        evidence = semantic.lexical_evidence(feats, best.features, best.article_id)
    return story_id, score, evidence


def _bands_insert(dialect: str) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(BANDS).on_conflict_do_nothing()


def candidate_members(
    conn: Connection,
    bands: Sequence[int],
    published_at: datetime,
    window: timedelta,
    cache: FeatureCache | None = None,
    semantic_ids: Sequence[int] = (),
    semantic_method: bool = False,
) -> list[Member]:
    """Articles of stories that share at least MIN_SHARED_BANDS bands within the window,
    and of the stories the vector search proposed (``semantic_ids``)."""
    ids: list[int] = []
    if bands:
        params = {
            "bands": list(bands),
            "low": published_at - window,
            "high": published_at + window,
        }
        ids = [row.story_id for row in conn.execute(_CANDIDATES, params)]
    ids = candidate_ids(ids, semantic_ids)
    if not ids:
        return []
    rows = conn.execute(_MEMBER_IDS, {"ids": ids}).all()
    cache = cache if cache is not None else FeatureCache(0)
    known = {r.id: cache.get((r.id, r.content_hash)) for r in rows}
    missing = [r.id for r in rows if not usable(known[r.id], semantic_method)]
    if missing:
        hashes = {r.id: r.content_hash for r in rows}
        for row in conn.execute(_MEMBERS, {"ids": missing}):
            article = member_article(
                row.title,
                row.summary,
                row.body,
                row.tags,
                row.published_at,
                row.sentiment,
                row.source_key,
            )
            known[row.id] = member_features(article, semantic_method)
            cache.put((row.id, hashes[row.id]), known[row.id])
    members = []
    for r in rows:
        feats = known[r.id]
        if feats is not None:
            members.append(Member(r.story_id, feats, feats.source, r.id))
    return members


def new_story_values(article: Article) -> dict[str, Any]:
    """The row of a story this article starts (both write paths insert exactly this)."""
    return {
        "title": article.title,
        "first_published_at": article.published_at,
        "last_updated_at": article.updated_at or article.published_at,
        "article_count": 1,
        "tags": list(dict.fromkeys(t.upper() for t in article.tags)),
        "sentiment": str(article.sentiment),
        "breaking": False,
        "retracted": False,
    }


def joined_story_values(
    current: Mapping[str, Any], article: Article, members: Sequence[Member], story_id: int
) -> dict[str, Any]:
    """What joining ``article`` changes on the story row (article_count goes up by one)."""
    tags = list(dict.fromkeys([*current["tags"], *(t.upper() for t in article.tags)]))
    sentiments = [m.features.sentiment for m in members if m.story_id == story_id]
    return {
        "first": min(current["first_published_at"], article.published_at),
        "last": max(current["last_updated_at"], article.updated_at or article.published_at),
        "story_tags": tags[:MAX_STORY_TAGS],
        "story_sentiment": rules.majority_sentiment([*sentiments, str(article.sentiment)]),
    }


def joined_sources(article: Article, members: Sequence[Member], story_id: int) -> tuple[str, ...]:
    """Source keys of a story just joined: its scored members' and the article's."""
    keys = {m.source_key for m in members if m.story_id == story_id} | {article.source_key}
    return tuple(sorted(keys))


def member_article(
    title: str,
    summary: str | None,
    body: str | None,
    tags: Sequence[str] | None,
    published_at: datetime,
    sentiment: str,
    source_key: str,
) -> Article:
    """A stored member as story scoring sees it (body cut at FIGURE_CHARS by the query)."""
    return Article(
        title=title,
        summary=summary or "",
        body=body or "",
        source_key=source_key,
        source_name=source_key,
        published_at=published_at,
        tags=tuple(tags or ()),
        sentiment=Sentiment(sentiment),
    )


def assign_story(
    conn: Connection,
    article: Article,
    feats: rules.StoryFeatures,
    bands: Sequence[int],
    window: timedelta,
    dialect: str,
    cache: FeatureCache | None = None,
    semantic_ids: Sequence[int] = (),
) -> Assignment:
    """Join the best-scoring candidate story or start a new one; record the bands."""
    semantic_method = feats.vector is not None
    members = candidate_members(
        conn, bands, article.published_at, window, cache, semantic_ids, semantic_method
    )
    story_id, score, evidence = decide(feats, members, window)
    if story_id is None:
        row = conn.execute(_NEW_STORY, new_story_values(article)).mappings().one()
        story = story_from_row(row, (article.source_key,))
        joined = False
    else:
        current = (conn.execute(_STORY, {"id": story_id})).mappings().one()
        change = joined_story_values(current, article, members, story_id)
        row = conn.execute(_JOIN_STORY, {"sid": story_id, **change}).mappings().one()
        story = story_from_row(row, joined_sources(article, members, story_id))
        joined = True
    add_bands(conn, story.id, bands, story.first_published_at, dialect)
    return Assignment(story, joined, score, evidence)


_SQLITE_BANDS = (
    "INSERT INTO story_bands (band, story_id, published_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
)


def sqlite_datetime(value: datetime) -> str:
    """A datetime as UTCDateTime stores it on SQLite: naive UTC text in SQLAlchemy's
    DATETIME storage format (naive input means UTC, as in ``UTCDateTime``)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")  # always 4-digit year, 6-digit fraction


def add_bands(
    conn: Connection,
    story_id: int,
    bands: Sequence[int],
    first_published_at: datetime,
    dialect: str,
) -> None:
    """Record the story's band keys. On SQLite the 32 rows go straight to the driver:
    this is the hottest write of a bulk load and needs no type processing but one."""
    if not bands:
        return
    unique = list(dict.fromkeys(bands))
    if dialect == "sqlite":
        stamp = sqlite_datetime(first_published_at)
        conn.exec_driver_sql(_SQLITE_BANDS, [(b, story_id, stamp) for b in unique])
        return
    rows = [{"band": b, "story_id": story_id, "published_at": first_published_at} for b in unique]
    conn.execute(_bands_insert(dialect), rows)


def story_sources(conn: Connection, story_id: int) -> tuple[str, ...]:
    """Distinct sources of the story's visible articles, sorted."""
    rows = conn.execute(
        select(ARTICLES.c.source_key).where(ARTICLES.c.story_id == story_id, _NOT_DRAFT).distinct()
    )
    return tuple(sorted(r[0] for r in rows))


def touch_story(conn: Connection, story_id: int, article: Article) -> Story | None:
    """An article of this story was updated: move its last-updated time, widen its tags."""
    current = (conn.execute(_STORY, {"id": story_id})).mappings().first()
    if current is None:
        return None
    tags = list(dict.fromkeys([*current["tags"], *(t.upper() for t in article.tags)]))
    row = (
        (
            conn.execute(
                update(STORIES)
                .where(STORIES.c.id == story_id)
                .values(
                    last_updated_at=max(
                        current["last_updated_at"], article.updated_at or article.published_at
                    ),
                    tags=tags[:MAX_STORY_TAGS],
                )
                .returning(*STORY_COLUMNS)
            )
        )
        .mappings()
        .one()
    )
    return story_from_row(row)
