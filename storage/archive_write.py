"""Saving one article, as plain synchronous SQLAlchemy Core on one connection.

Synchronous on purpose: the async archive runs it through ``AsyncConnection.run_sync``
(PostgreSQL, single saves), and bulk ingestion on SQLite runs it in one writer thread on
a pysqlite connection, so an article costs one thread hop instead of one per statement.
The caller owns the transaction: everything here commits or rolls back together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bot.ingest.outcome import IngestOutcome
from bot.models import Article, Story
from bot.stories import grouping as rules
from bot.stories import semantic
from storage.archive_rows import (
    ARTICLE_COLUMNS,
    ARTICLES,
    REVISIONS,
    TAGS,
    article_from_row,
    article_values,
    changed_fields,
    stamp,
)
from storage.story_members import ConnectionRows, insert_member, member_row
from storage.story_store import (
    MAX_CANDIDATES,
    Assignment,
    FeatureCache,
    assign_story,
    story_sources,
    touch_story,
)
from storage.story_vectors import VectorIndex

STORY_LOCK = 727_301  # pg_advisory_xact_lock key: one story assignment at a time

_BY_IDENTITY = select(*ARTICLE_COLUMNS, ARTICLES.c.revision).where(
    ARTICLES.c.identity == bindparam("identity")
)
_DELETE_TAGS = delete(TAGS).where(TAGS.c.article_id == bindparam("aid"))
_INSERT_TAGS = insert(TAGS)
_INSERT_REVISION = insert(REVISIONS)
_LOCK = select(func.pg_advisory_xact_lock(STORY_LOCK))


class InsertRace(Exception):
    """Another writer inserted the same identity first: retry the save as an update."""


@dataclass(frozen=True, slots=True)
class SaveRequest:
    """One article to save, with what was computed before the transaction."""

    article: Article
    identity: str
    origin: str
    window: timedelta
    features: rules.StoryFeatures
    bands: tuple[int, ...]
    now: datetime
    cache: FeatureCache | None = None
    vectors: VectorIndex | None = None


def semantic_candidates(request: SaveRequest, source: Any) -> list[int]:
    """Stories whose recent articles' vectors come close to this one's (semantic only)."""
    vector = request.features.vector
    if vector is None or request.vectors is None:
        return []
    return request.vectors.candidates(
        source,
        vector,
        request.article.published_at,
        request.window,
        limit=MAX_CANDIDATES,
        min_cosine=semantic.CANDIDATE_COSINE,
    )


def _assign(conn: Connection, request: SaveRequest, dialect: str) -> Assignment:
    return assign_story(
        conn,
        request.article,
        request.features,
        request.bands,
        request.window,
        dialect,
        request.cache,
        semantic_candidates(request, ConnectionRows(conn)),
    )


def _record_member(
    conn: Connection, article_id: int, request: SaveRequest, assignment: Assignment
) -> None:
    row = member_row(request.features, assignment.evidence, assignment.joined)
    insert_member(conn, article_id, assignment.story.id, request.article.published_at, row)


def _insert_article(dialect: str) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    return (
        module.insert(ARTICLES)
        .on_conflict_do_nothing(index_elements=["identity"])
        .returning(ARTICLES.c.id)
    )


_INSERTS = {name: _insert_article(name) for name in ("sqlite", "postgresql")}


def save_article(conn: Connection, request: SaveRequest) -> IngestOutcome:
    """Insert, update in place, or recognise a duplicate (inside the caller's transaction)."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(_LOCK)
    row = conn.execute(_BY_IDENTITY, {"identity": request.identity}).first()
    if row is None:
        return _insert_new(conn, request, dialect)
    return _update(conn, dict(row._mapping), request, dialect)


def _insert_new(conn: Connection, request: SaveRequest, dialect: str) -> IngestOutcome:
    article = request.article
    story: Story | None = None
    joined = False
    assignment = None
    if not article.draft:
        assignment = _assign(conn, request, dialect)
        story, joined = assignment.story, assignment.joined
    values = article_values(article)
    values.update(
        identity=request.identity,
        story_id=story.id if story else None,
        revision=1,
        ingested_at=request.now,
    )
    new_id = conn.execute(_INSERTS[dialect], values).scalar()
    if new_id is None:
        raise InsertRace(request.identity)
    if assignment is not None:
        _record_member(conn, new_id, request, assignment)
    if not article.draft:
        post_tags(conn, new_id, article)
    return IngestOutcome(
        origin=request.origin,
        status="draft" if article.draft else "new",
        article=replace(article, id=new_id, story_id=story.id if story else None),
        story=story,
        published_now=not article.draft,
        story_joined=joined,
    )


def not_applied(stored: Article, request: SaveRequest) -> IngestOutcome | None:
    """The outcome when the stored version stays (same content, or not newer), else None."""
    article, origin = request.article, request.origin
    if stored.content_hash == article.content_hash:
        return IngestOutcome(origin=origin, status="duplicate", article=stored)
    if stamp(article) <= stamp(stored):
        return IngestOutcome(
            origin=origin,
            status="duplicate",
            article=stored,
            error="not applied: older than the stored version",
        )
    return None


def _update(
    conn: Connection, row: dict[str, Any], request: SaveRequest, dialect: str
) -> IngestOutcome:
    article, origin = request.article, request.origin
    stored = article_from_row(row)
    skipped = not_applied(stored, request)
    if skipped is not None:
        return skipped
    changed = changed_fields(stored, article)
    story: Story | None = None
    joined = False
    story_id = stored.story_id
    assignment = None
    if not article.draft and story_id is None:
        assignment = _assign(conn, request, dialect)
        story, joined, story_id = assignment.story, assignment.joined, assignment.story.id
    elif story_id is not None:
        story = touch_story(conn, story_id, article)
        if story is not None:
            story = replace(story, source_keys=story_sources(conn, story_id))
    revision = row["revision"] + 1
    values = article_values(article)
    values.update(story_id=story_id, revision=revision)
    conn.execute(update(ARTICLES).where(ARTICLES.c.id == stored.id).values(values))
    if assignment is not None:
        _record_member(conn, stored.id, request, assignment)  # type: ignore[arg-type]
    conn.execute(
        _INSERT_REVISION,
        {
            "article_id": stored.id,
            "revision": revision,
            "changed_fields": list(changed),
            "changed_at": request.now,
        },
    )
    conn.execute(_DELETE_TAGS, {"aid": stored.id})
    if not article.draft:
        post_tags(conn, stored.id, article)  # type: ignore[arg-type]
    return IngestOutcome(
        origin=origin,
        status="draft" if article.draft else "updated",
        article=replace(article, id=stored.id, story_id=story_id),
        story=story,
        changed=changed,
        published_now=stored.draft and not article.draft,
        story_joined=joined,
    )


def post_tags(conn: Connection, article_id: int, article: Article) -> None:
    """Tag postings of a visible article (what `/latest TAG` reads)."""
    tags = posted_tags(article)
    if tags:
        conn.execute(
            _INSERT_TAGS,
            [
                {"tag": t, "article_id": article_id, "published_at": article.published_at}
                for t in tags
            ],
        )


def posted_tags(article: Article) -> list[str]:
    """The tags an article is listed under: upper case, at most 40 characters, no repeats."""
    return list(dict.fromkeys(t.upper()[:40] for t in article.tags if t.strip()))


def prepare(
    article: Article,
    *,
    identity: str,
    origin: str,
    window: timedelta,
    clock: Callable[[], datetime],
    cache: FeatureCache | None = None,
    features: rules.StoryFeatures | None = None,
    bands: tuple[int, ...] | None = None,
    vectors: VectorIndex | None = None,
) -> SaveRequest:
    """The pure part of a save (signatures, bands), done before any transaction, unless
    the caller computed them already (the pipeline does, off the event loop)."""
    if features is None or bands is None:
        features = semantic.features(article)
        bands = rules.article_bands(features)
    return SaveRequest(
        article=article,
        identity=identity,
        origin=origin,
        window=window,
        features=features,
        bands=bands,
        now=clock(),
        cache=cache,
        vectors=vectors,
    )
