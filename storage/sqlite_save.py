"""The SQLite bulk writer's save of one article, as raw pysqlite statements.

Why a second spelling of ``archive_write.save_article``: on a bulk load SQLAlchemy's
per-statement work (compile cache lookup, parameter and result processing) cost more than
SQLite itself, ~0.2 ms for each of the ~9 statements of an article. Here the SQL text is
fixed, values are converted once, and the story features of articles saved in this batch
are kept in memory so candidate stories need not be re-read and re-tokenised; while no
other connection writes, candidate lookups read ``story_mirror`` instead of two queries.
The rules are shared, not copied: the decisions (duplicate / not applied, the story row
a new or joined article writes, the tag postings, the story scoring) are the same
functions the SQLAlchemy path calls. An applied update (rare in bulk) simply runs
``save_article`` itself on the same connection and transaction.
Values are stored exactly as SQLAlchemy stores them on SQLite (tests compare both paths).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy.engine import Connection

from bot.ingest.outcome import IngestOutcome
from bot.models import Story
from bot.stories import grouping as rules
from storage.archive_rows import article_from_row, story_from_row
from storage.archive_write import (
    InsertRace,
    SaveRequest,
    not_applied,
    posted_tags,
    save_article,
    semantic_candidates,
)
from storage.sqlite_bands import PendingBands, merge
from storage.story_members import RawRows, insert_member_raw, member_row
from storage.story_mirror import StoryMirror
from storage.story_store import (
    MAX_CANDIDATES,
    MAX_MEMBERS,
    Assignment,
    FeatureCache,
    Member,
    candidate_ids,
    decide,
    joined_sources,
    joined_story_values,
    member_article,
    member_features,
    new_story_values,
    sqlite_datetime,
    usable,
)
from storage.story_vectors import Row, VectorIndex

FeatureKey = tuple[int, str]  # (article id, content hash)

_ARTICLE_NAMES = (
    "id, external_id, url, title, summary, body, source_key, source_name, published_at, "
    "updated_at, lang, tags, sentiment, image_url, sticky_weight, draft, content_hash, "
    "inferred, story_id, retracted"
)
_BY_IDENTITY = f"SELECT {_ARTICLE_NAMES}, revision FROM articles WHERE identity = ?"
_INSERT_ARTICLE = (
    "INSERT INTO articles (identity, external_id, url, title, summary, body, source_key, "
    "source_name, published_at, updated_at, lang, tags, sentiment, image_url, sticky_weight, "
    "draft, retracted, content_hash, inferred, story_id, revision, ingested_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (identity) DO NOTHING RETURNING id"
)
_INSERT_TAG = "INSERT INTO article_tags (tag, article_id, published_at) VALUES (?, ?, ?)"
_STORY = (
    "SELECT title, first_published_at, last_updated_at, article_count, tags "
    "FROM stories WHERE id = ?"
)
_NEW_STORY = (
    "INSERT INTO stories (title, first_published_at, last_updated_at, article_count, tags, "
    "sentiment, breaking, retracted, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_JOIN_STORY = (
    "UPDATE stories SET first_published_at = ?, last_updated_at = ?, "
    "article_count = article_count + 1, tags = ?, sentiment = ? WHERE id = ?"
)
_BANDS = (
    "INSERT INTO story_bands (band, story_id, published_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
)


@cache
def _candidates_sql(n: int) -> str:
    """story_bands is read from its covering (band, published_at, story_id) index only."""
    marks = ", ".join("?" * n)
    return (
        "SELECT story_id, count(*) FROM story_bands "
        f"WHERE band IN ({marks}) AND published_at >= ? AND published_at <= ? "
        f"GROUP BY story_id HAVING count(*) >= {rules.MIN_SHARED_BANDS} "
        f"ORDER BY count(*) DESC, story_id DESC LIMIT {MAX_CANDIDATES}"
    )


@cache
def _members_sql(n: int) -> str:
    marks = ", ".join("?" * n)
    return (
        "SELECT id, title, summary, substr(body, 1, "
        f"{rules.FIGURE_CHARS}), tags, published_at, sentiment, source_key "
        f"FROM articles WHERE id IN ({marks})"
    )


def stored_time(value: datetime) -> datetime:
    """A datetime as it reads back from the archive: aware UTC (naive means UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _time_or_none(value: datetime | None) -> str | None:
    return None if value is None else sqlite_datetime(value)


def _read_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _json(value: Any) -> str:
    return json.dumps(value)  # what SQLAlchemy's JSON type writes on SQLite


def _read_json(value: str | None) -> Any:
    return None if value is None else json.loads(value)


class BatchFeatures:
    """Story features of articles written in the open group, by (id, content hash).

    They become shared (``FeatureCache``) only once the group commits: an id rolled back
    with its group may be handed out again. ``staged`` holds one article's entries until
    its savepoint is released.
    """

    def __init__(self, shared: FeatureCache | None) -> None:
        self.shared = shared
        self.group: dict[FeatureKey, rules.StoryFeatures] = {}
        self.staged: dict[FeatureKey, rules.StoryFeatures] = {}
        self.vectors: VectorIndex | None = None  # the index the group's saves read
        self.bands = PendingBands()  # band rows of the group's new stories, until commit
        self.member: Row | None = None  # the article's story_members row, for ``vectors``
        self.mirror = StoryMirror()  # band rows and members, while nobody else writes

    def get(self, key: FeatureKey) -> rules.StoryFeatures | None:
        found = self.staged.get(key) or self.group.get(key)
        if found is None and self.shared is not None:
            found = self.shared.get(key)
        return found

    def keep_article(self) -> None:
        self.group.update(self.staged)
        self.staged.clear()
        self.bands.keep_article()
        self.mirror.keep_article()
        member, self.member = self.member, None
        if member is not None and member[3] is not None and self.vectors is not None:
            self.vectors.note(member)  # the next lookup need not read it back

    def drop_article(self) -> None:
        self.staged.clear()
        self.bands.drop_article()
        self.mirror.drop_article()
        self.member = None

    def committed(self) -> None:
        if self.vectors is not None:
            self.vectors.forget_noted()  # the write lock is released: others may write
        if self.shared is not None:
            for key, value in self.group.items():
                self.shared.put(key, value)
        self.group.clear()

    def rolled_back(self) -> None:
        self.group.clear()
        self.staged.clear()
        self.bands.clear()
        self.mirror.reset()
        if self.vectors is not None:
            self.vectors.reset()  # it may hold rows of the group that never were


def save_raw(
    raw: sqlite3.Connection, conn: Connection, request: SaveRequest, memory: BatchFeatures
) -> IngestOutcome:
    """``save_article`` for the SQLite batch writer; ``raw`` is ``conn``'s own pysqlite
    connection, inside the caller's transaction and savepoint."""
    row = raw.execute(_BY_IDENTITY, (request.identity,)).fetchone()
    if row is None:
        return _insert_new(raw, request, memory)
    stored = article_from_row(_decode_article(row))
    skipped = not_applied(stored, request)
    if skipped is not None:
        return skipped
    memory.bands.write(raw, in_article=True)  # the general path reads the table alone
    memory.mirror.reset()  # and writes what the mirror does not see
    return save_article(conn, request)  # an applied update: the general path, same rules


def _decode_article(row: Sequence[Any]) -> dict[str, Any]:
    names = [n.strip() for n in _ARTICLE_NAMES.split(",")] + ["revision"]
    values = dict(zip(names, row, strict=True))
    values["published_at"] = _read_time(values["published_at"])
    values["updated_at"] = _read_time(values["updated_at"])
    values["tags"] = _read_json(values["tags"])
    values["inferred"] = _read_json(values["inferred"])
    return values


def _insert_new(
    raw: sqlite3.Connection, request: SaveRequest, memory: BatchFeatures
) -> IngestOutcome:
    article = request.article
    published = sqlite_datetime(article.published_at)
    story: Story | None = None
    joined = False
    assignment = None
    if not article.draft:
        assignment = _assign_story(raw, request, memory)
        story, joined = assignment.story, assignment.joined
    story_id = story.id if story else None
    got = raw.execute(
        _INSERT_ARTICLE,
        (
            request.identity,
            article.external_id,
            article.url,
            article.title,
            article.summary,
            article.body,
            article.source_key,
            article.source_name,
            published,
            _time_or_none(article.updated_at),
            article.lang,
            _json(list(article.tags)),
            str(article.sentiment),
            article.image_url,
            article.sticky_weight,
            article.draft,
            article.retracted,
            article.content_hash,
            _json(list(article.inferred)),
            story_id,
            1,
            sqlite_datetime(request.now),
        ),
    ).fetchone()
    if got is None:
        raise InsertRace(request.identity)
    new_id = got[0]
    if assignment is not None:
        row = member_row(request.features, assignment.evidence, assignment.joined)
        memory.member = insert_member_raw(raw, new_id, assignment.story.id, published, row)
        memory.mirror.add_member(assignment.story.id, new_id, article.content_hash, new=not joined)
    if not article.draft:
        tags = posted_tags(article)
        if tags:
            raw.executemany(_INSERT_TAG, [(t, new_id, published) for t in tags])
        memory.staged[(new_id, article.content_hash)] = request.features
    return IngestOutcome(
        origin=request.origin,
        status="draft" if article.draft else "new",
        article=replace(article, id=new_id, story_id=story_id),
        story=story,
        published_now=not article.draft,
        story_joined=joined,
    )


def _candidate_members(
    raw: sqlite3.Connection, request: SaveRequest, memory: BatchFeatures
) -> list[Member]:
    """story_store.candidate_members on the raw connection (same statements, same rows)."""
    bands = request.bands
    semantic_method = request.features.vector is not None
    published = request.article.published_at
    window = (
        sqlite_datetime(published - request.window),
        sqlite_datetime(published + request.window),
    )
    ids: list[int] = []
    if bands:
        mirrored = memory.mirror.candidates(bands, *window)  # the group's pending rows too
        if mirrored is not None:
            ids = merge(mirrored, {}, MAX_CANDIDATES)
        else:
            table = raw.execute(_candidates_sql(len(bands)), (*bands, *window)).fetchall()
            ids = merge(table, memory.bands.candidates(bands, *window), MAX_CANDIDATES)
    if request.vectors is not None:
        memory.vectors = request.vectors
    ids = candidate_ids(ids, semantic_candidates(request, RawRows(raw)))
    if not ids:
        return []
    rows = memory.mirror.member_rows(raw, ids, MAX_MEMBERS)
    known = {aid: memory.get((aid, digest)) for aid, _sid, digest in rows}
    missing = [aid for aid, _sid, _digest in rows if not usable(known[aid], semantic_method)]
    if missing:
        hashes = {aid: digest for aid, _sid, digest in rows}
        for aid, title, summary, body, tags, published_at, sentiment, source in raw.execute(
            _members_sql(len(missing)), missing
        ):
            article = member_article(
                title,
                summary,
                body,
                _read_json(tags),
                _read_time(published_at),  # type: ignore[arg-type]
                sentiment,
                source,
            )
            known[aid] = member_features(article, semantic_method)
            memory.staged[(aid, hashes[aid])] = known[aid]
    members = []
    for aid, sid, _digest in rows:
        feats = known[aid]
        if feats is not None:
            members.append(Member(sid, feats, feats.source, aid))
    return members


def _assign_story(
    raw: sqlite3.Connection, request: SaveRequest, memory: BatchFeatures
) -> Assignment:
    """story_store.assign_story on the raw connection: the same story, values and bands."""
    article = request.article
    members = _candidate_members(raw, request, memory)
    story_id, score, evidence = decide(request.features, members, request.window)
    if story_id is None:
        values = new_story_values(article)
        cursor = raw.execute(
            _NEW_STORY,
            (
                values["title"],
                sqlite_datetime(values["first_published_at"]),
                sqlite_datetime(values["last_updated_at"]),
                values["article_count"],
                _json(values["tags"]),
                values["sentiment"],
                values["breaking"],
                values["retracted"],
                sqlite_datetime(datetime.now(UTC)),  # the model's default
            ),
        )
        values["id"] = cursor.lastrowid
        values["first_published_at"] = stored_time(values["first_published_at"])
        values["last_updated_at"] = stored_time(values["last_updated_at"])
        story = story_from_row(values, (article.source_key,))
        joined = False
    else:
        title, first, last, count, tags = raw.execute(_STORY, (story_id,)).fetchone()
        current = {
            "first_published_at": _read_time(first),
            "last_updated_at": _read_time(last),
            "tags": _read_json(tags),
        }
        change = joined_story_values(current, article, members, story_id)
        raw.execute(
            _JOIN_STORY,
            (
                sqlite_datetime(change["first"]),
                sqlite_datetime(change["last"]),
                _json(change["story_tags"]),
                change["story_sentiment"],
                story_id,
            ),
        )
        row = {
            "id": story_id,
            "title": title,
            "first_published_at": stored_time(change["first"]),
            "last_updated_at": stored_time(change["last"]),
            "article_count": count + 1,
            "tags": change["story_tags"],
            "sentiment": change["story_sentiment"],
        }
        story = story_from_row(row, joined_sources(article, members, story_id))
        joined = True
    unique = list(dict.fromkeys(request.bands))
    if not joined:
        memory.bands.start(story.id)
    if unique:
        stamp = sqlite_datetime(story.first_published_at)
        memory.mirror.add_bands(story.id, unique, stamp, new=not joined)
        if memory.bands.owns(story.id):  # started in this group: written at its commit
            memory.bands.add(story.id, unique, stamp)
        else:
            raw.executemany(_BANDS, [(b, story.id, stamp) for b in unique])
    return Assignment(story, joined, score, evidence)
