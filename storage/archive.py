"""The article archive on SQLite and PostgreSQL: one API (``bot.ports.Archive``).

Writes: one transaction per article (article row, revision, tag postings, story, bands,
and the full-text row through the FTS5 triggers / generated tsvector), so nothing is ever
half-written. On PostgreSQL a transaction-level advisory lock serialises story assignment
and the identity unique key + ON CONFLICT catches any insert race.
Reads: visible (non-draft) articles only, from indexes sized for a million rows.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, false, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ingest import stories as rules
from bot.ingest.outcome import IngestOutcome
from bot.models import Article, Story
from bot.search_query import SearchQuery, parse_search
from storage import search_sql
from storage.archive_rows import (
    ARTICLE_COLUMNS,
    ARTICLES,
    REVISIONS,
    STORIES,
    STORY_COLUMNS,
    TAGS,
    article_from_row,
    article_values,
    changed_fields,
    stamp,
    story_from_row,
)
from storage.database import Database
from storage.story_store import assign_story, touch_story

STORY_LOCK = 727_301  # pg_advisory_xact_lock key for story assignment
SEARCH_CANDIDATES = 400  # newest matches ranked per search (bounded cost at any size)
RECENCY_HALF_LIFE_H = 24.0 * 7
RELEVANCE_WEIGHT = 0.7
TAG_CACHE_SECONDS = 60.0
MAX_LIMIT = 100

_BY_IDENTITY = select(*ARTICLE_COLUMNS, ARTICLES.c.revision).where(
    ARTICLES.c.identity == bindparam("identity")
)
_BY_ID = select(*ARTICLE_COLUMNS).where(ARTICLES.c.id == bindparam("id"))
_BY_IDS = select(*ARTICLE_COLUMNS).where(ARTICLES.c.id.in_(bindparam("ids", expanding=True)))
_LATEST = (
    select(*ARTICLE_COLUMNS)
    .where(ARTICLES.c.draft == false())
    .order_by(ARTICLES.c.published_at.desc(), ARTICLES.c.id.desc())
    .limit(bindparam("limit"))
)
_LATEST_TAG_IDS = (
    select(TAGS.c.article_id)
    .where(TAGS.c.tag == bindparam("tag"))
    .order_by(TAGS.c.published_at.desc(), TAGS.c.article_id.desc())
    .limit(bindparam("limit"))
)
_STORY = select(*STORY_COLUMNS).where(STORIES.c.id == bindparam("id"))
_STORY_SOURCES = (
    select(ARTICLES.c.source_key)
    .where(ARTICLES.c.story_id == bindparam("id"), ARTICLES.c.draft == false())
    .distinct()
)
_STORY_ARTICLES = (
    select(*ARTICLE_COLUMNS)
    .where(ARTICLES.c.story_id == bindparam("id"), ARTICLES.c.draft == false())
    .order_by(ARTICLES.c.published_at, ARTICLES.c.id)
)
_TAG_COUNTS = (
    select(TAGS.c.tag, func.count().label("n")).group_by(TAGS.c.tag).order_by(func.count().desc())
)
_DELETE_TAGS = delete(TAGS).where(TAGS.c.article_id == bindparam("aid"))
_INSERT_TAGS = insert(TAGS)
_INSERT_REVISION = insert(REVISIONS)


class _InsertRace(Exception):
    """Another writer inserted the same identity first: retry as an update."""


def _insert_article(dialect: str):  # type: ignore[no-untyped-def]
    module = postgresql if dialect == "postgresql" else sqlite
    return (
        module.insert(ARTICLES)
        .on_conflict_do_nothing(index_elements=["identity"])
        .returning(ARTICLES.c.id)
    )


def _clamp(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


class SqlArchive:
    """Articles, stories and search over one ``Database``."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] | None = None) -> None:
        self.db = db
        self.clock = clock or (lambda: datetime.now(UTC))
        self._insert = _insert_article(db.dialect)
        self._tag_cache: tuple[float, list[str], frozenset[str]] | None = None

    # ---- writes -------------------------------------------------------------------

    async def save(
        self, article: Article, *, identity: str, origin: str, story_window: timedelta
    ) -> IngestOutcome:
        """Store ``article`` as new, an in-place update, or recognise a duplicate."""
        feats = rules.features(article)
        bands = rules.article_bands(feats)
        for attempt in range(2):
            try:
                async with self.db.connect() as conn:
                    if self.db.is_postgres:
                        await conn.execute(select(func.pg_advisory_xact_lock(STORY_LOCK)))
                    row = (await conn.execute(_BY_IDENTITY, {"identity": identity})).first()
                    if row is None:
                        return await self._insert_new(
                            conn, article, identity, origin, feats, bands, story_window
                        )
                    return await self._update(
                        conn, row._mapping, article, origin, feats, bands, story_window
                    )
            except _InsertRace:
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _insert_new(
        self,
        conn: AsyncConnection,
        article: Article,
        identity: str,
        origin: str,
        feats: rules.StoryFeatures,
        bands: Sequence[int],
        window: timedelta,
    ) -> IngestOutcome:
        story: Story | None = None
        joined = False
        if not article.draft:
            assignment = await assign_story(conn, article, feats, bands, window, self.db.dialect)
            story, joined = assignment.story, assignment.joined
        values = article_values(article)
        values.update(
            identity=identity,
            story_id=story.id if story else None,
            revision=1,
            ingested_at=self.clock(),
        )
        new_id = (await conn.execute(self._insert, values)).scalar()
        if new_id is None:
            raise _InsertRace(identity)
        if not article.draft:
            await self._post_tags(conn, new_id, article)
        stored = _with(article, id=new_id, story_id=story.id if story else None)
        return IngestOutcome(
            origin=origin,
            status="draft" if article.draft else "new",
            article=stored,
            story=story,
            published_now=not article.draft,
            story_joined=joined,
        )

    async def _update(
        self,
        conn: AsyncConnection,
        row: dict,  # type: ignore[type-arg]
        article: Article,
        origin: str,
        feats: rules.StoryFeatures,
        bands: Sequence[int],
        window: timedelta,
    ) -> IngestOutcome:
        stored = article_from_row(row)
        if stored.content_hash == article.content_hash:
            return IngestOutcome(origin=origin, status="duplicate", article=stored)
        if stamp(article) <= stamp(stored):
            return IngestOutcome(
                origin=origin,
                status="duplicate",
                article=stored,
                error="not applied: older than the stored version",
            )
        changed = changed_fields(stored, article)
        story: Story | None = None
        joined = False
        story_id = stored.story_id
        if not article.draft and story_id is None:
            assignment = await assign_story(conn, article, feats, bands, window, self.db.dialect)
            story, joined, story_id = assignment.story, assignment.joined, assignment.story.id
        elif story_id is not None:
            story = await touch_story(conn, story_id, article)
        revision = row["revision"] + 1
        values = article_values(article)
        values.update(story_id=story_id, revision=revision)
        await conn.execute(update(ARTICLES).where(ARTICLES.c.id == stored.id).values(values))
        await conn.execute(
            _INSERT_REVISION,
            {
                "article_id": stored.id,
                "revision": revision,
                "changed_fields": list(changed),
                "changed_at": self.clock(),
            },
        )
        await conn.execute(_DELETE_TAGS, {"aid": stored.id})
        if not article.draft:
            await self._post_tags(conn, stored.id, article)
        if story is not None and not story.source_keys:
            story = await self._with_sources(conn, story)
        result = _with(article, id=stored.id, story_id=story_id)
        return IngestOutcome(
            origin=origin,
            status="draft" if article.draft else "updated",
            article=result,
            story=story,
            changed=changed,
            published_now=stored.draft and not article.draft,
            story_joined=joined,
        )

    async def _post_tags(self, conn: AsyncConnection, article_id: int, article: Article) -> None:
        tags = dict.fromkeys(t.upper()[:40] for t in article.tags if t.strip())
        if tags:
            await conn.execute(
                _INSERT_TAGS,
                [
                    {"tag": t, "article_id": article_id, "published_at": article.published_at}
                    for t in tags
                ],
            )
            if self._tag_cache is not None and not self._tag_cache[2].issuperset(tags):
                self._tag_cache = None  # a new tag: autocomplete should offer it soon

    async def _with_sources(self, conn: AsyncConnection, story: Story) -> Story:
        keys = tuple(sorted(r[0] for r in await conn.execute(_STORY_SOURCES, {"id": story.id})))
        return _story_with(story, keys)

    # ---- reads --------------------------------------------------------------------

    async def latest(self, tag: str | None = None, limit: int = 10) -> list[Article]:
        """Newest visible articles, optionally with one tag (an index range scan)."""
        async with self.db.connect() as conn:
            if not tag:
                rows = await conn.execute(_LATEST, {"limit": _clamp(limit)})
                return [article_from_row(r._mapping) for r in rows]
            params = {"tag": tag.strip().upper()[:40], "limit": _clamp(limit)}
            ids = [r[0] for r in await conn.execute(_LATEST_TAG_IDS, params)]
            return await self._articles_in_order(conn, ids)

    async def search(self, query: str, limit: int = 10) -> list[Article]:
        """Relevance blended with recency over the newest matching candidates."""
        return await self.search_parsed(parse_search(query, now=self.clock()), limit)

    async def search_parsed(self, query: SearchQuery, limit: int = 10) -> list[Article]:
        if query.is_empty:
            return []
        build = (
            search_sql.postgres_candidates if self.db.is_postgres else search_sql.sqlite_candidates
        )
        statement, params = build(query, SEARCH_CANDIDATES)
        async with self.db.connect() as conn:
            rows = list(await conn.execute(statement, params))
            ranked = rank(rows)[: _clamp(limit)]
            return await self._articles_in_order(conn, ranked)

    async def get_article(self, article_id: int) -> Article | None:
        """Any stored article by id, drafts included (the CLI shows them as drafts)."""
        async with self.db.connect() as conn:
            row = (await conn.execute(_BY_ID, {"id": article_id})).first()
        return article_from_row(row._mapping) if row else None

    async def get_story(self, story_id: int) -> Story | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(_STORY, {"id": story_id})).first()
            if row is None:
                return None
            return await self._with_sources(conn, story_from_row(row._mapping))

    async def story_articles(self, story_id: int) -> list[Article]:
        """The story's visible articles, oldest first (the first report leads)."""
        async with self.db.connect() as conn:
            rows = await conn.execute(_STORY_ARTICLES, {"id": story_id})
            return [article_from_row(r._mapping) for r in rows]

    async def known_tags(self, prefix: str = "", limit: int = 25) -> list[str]:
        """Tags of visible articles, most used first; cached for a minute."""
        now = time.monotonic()
        if self._tag_cache is None or now - self._tag_cache[0] > TAG_CACHE_SECONDS:
            async with self.db.connect() as conn:
                ordered = [r.tag for r in await conn.execute(_TAG_COUNTS)]
            self._tag_cache = (now, ordered, frozenset(ordered))
        wanted = prefix.strip().upper()
        tags = [tag for tag in self._tag_cache[1] if tag.startswith(wanted)]
        return tags[: max(0, int(limit))]

    async def _articles_in_order(self, conn: AsyncConnection, ids: list[int]) -> list[Article]:
        if not ids:
            return []
        rows = await conn.execute(_BY_IDS, {"ids": ids})
        by_id = {r.id: article_from_row(r._mapping) for r in rows}
        return [by_id[i] for i in ids if i in by_id]


def rank(rows: Sequence[object]) -> list[int]:
    """Order candidate ids by relevance (normalised to the best) blended with recency
    (half-life a week, measured from the newest candidate so old archives rank sanely)."""
    if not rows:
        return []
    best = max(float(r.relevance or 0.0) for r in rows) or 1.0  # type: ignore[attr-defined]
    newest = max(r.published_at for r in rows)  # type: ignore[attr-defined]
    scored = []
    for r in rows:
        relevance = max(float(r.relevance or 0.0), 0.0) / best  # type: ignore[attr-defined]
        age_h = (newest - r.published_at).total_seconds() / 3600.0  # type: ignore[attr-defined]
        recency = math.pow(0.5, age_h / RECENCY_HALF_LIFE_H)
        score = RELEVANCE_WEIGHT * relevance + (1 - RELEVANCE_WEIGHT) * recency
        scored.append((score, r.published_at, r.id))  # type: ignore[attr-defined]
    scored.sort(reverse=True)
    return [i for _, _, i in scored]


def _with(article: Article, **changes: object) -> Article:
    return replace(article, **changes)  # type: ignore[arg-type]


def _story_with(story: Story, keys: tuple[str, ...]) -> Story:
    return replace(story, source_keys=keys)
