"""``story_members`` rows: written with each published article, read by the semantic
candidate search (``story_vectors.VectorIndex``) and by ``cryptowire story ID``.

Two spellings of the same statements, as elsewhere in the store: SQLAlchemy Core for the
general path (PostgreSQL, single saves), raw pysqlite for the SQLite batch writer.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.engine import Connection

from bot.stories import embedding
from bot.stories.grouping import StoryFeatures
from bot.stories.semantic import Evidence
from storage.archive_rows import MEMBERS
from storage.story_store import sqlite_datetime
from storage.story_vectors import Row

_INSERT = insert(MEMBERS)
_MAX_ID = select(func.coalesce(func.max(MEMBERS.c.id), 0))
_AFTER = (
    select(MEMBERS.c.id, MEMBERS.c.story_id, MEMBERS.c.published_at, MEMBERS.c.vector)
    .where(MEMBERS.c.id > bindparam("last"))
    .order_by(MEMBERS.c.id)
)
_BETWEEN = select(MEMBERS.c.id, MEMBERS.c.story_id, MEMBERS.c.published_at, MEMBERS.c.vector).where(
    MEMBERS.c.published_at >= bindparam("low"),
    MEMBERS.c.published_at <= bindparam("high"),
    MEMBERS.c.id <= bindparam("upto"),
)
_SQLITE_INSERT = (
    "INSERT INTO story_members (article_id, story_id, published_at, method, vector, score, "
    "evidence) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class MemberRow:
    """What joining (or starting) a story records for one article."""

    method: str
    vector: bytes | None
    score: float | None
    evidence: dict[str, Any] | None


def member_row(features: StoryFeatures, evidence: Evidence | None, joined: bool) -> MemberRow:
    """The row for an article: its vector, and the evidence of the pair that decided.
    A story's first article keeps the best score it had against other stories (why it
    started a new one), marked ``"started": true``."""
    semantic = features.vector is not None
    vector = embedding.to_bytes(features.vector) if features.vector is not None else None
    detail = evidence.as_dict() if evidence is not None else {}
    detail["joined"] = joined
    return MemberRow(
        method="semantic" if semantic else "lexical",
        vector=vector,
        score=evidence.score if evidence is not None else None,
        evidence=detail,
    )


def insert_member(
    conn: Connection, article_id: int, story_id: int, published_at: datetime, row: MemberRow
) -> None:
    conn.execute(
        _INSERT,
        {
            "article_id": article_id,
            "story_id": story_id,
            "published_at": published_at,
            "method": row.method,
            "vector": row.vector,
            "score": row.score,
            "evidence": row.evidence,
        },
    )


def insert_member_raw(
    raw: sqlite3.Connection, article_id: int, story_id: int, published: str, row: MemberRow
) -> Row:
    """Insert the row; what ``RawRows.after`` would read back of it."""
    evidence = None if row.evidence is None else json.dumps(row.evidence)
    cursor = raw.execute(
        _SQLITE_INSERT,
        (article_id, story_id, published, row.method, row.vector, row.score, evidence),
    )
    return (int(cursor.lastrowid or 0), story_id, published, row.vector)


class ConnectionRows:
    """``RowSource`` over a SQLAlchemy connection (inside the saving transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def max_id(self) -> int:
        return int(self.conn.execute(_MAX_ID).scalar_one())

    def after(self, last_id: int) -> Iterable[Row]:
        return [tuple(r) for r in self.conn.execute(_AFTER, {"last": last_id})]  # type: ignore[misc]

    def between(self, low: datetime, high: datetime, upto_id: int) -> Iterable[Row]:
        params = {"low": low, "high": high, "upto": upto_id}
        return [tuple(r) for r in self.conn.execute(_BETWEEN, params)]  # type: ignore[misc]


class RawRows:
    """``RowSource`` over the SQLite batch writer's pysqlite connection."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def max_id(self) -> int:
        return int(self.raw.execute("SELECT coalesce(max(id), 0) FROM story_members").fetchone()[0])

    def after(self, last_id: int) -> Iterable[Row]:
        return self.raw.execute(
            "SELECT id, story_id, published_at, vector FROM story_members WHERE id > ? ORDER BY id",
            (last_id,),
        ).fetchall()

    def between(self, low: datetime, high: datetime, upto_id: int) -> Iterable[Row]:
        return self.raw.execute(
            "SELECT id, story_id, published_at, vector FROM story_members "
            "WHERE published_at >= ? AND published_at <= ? AND id <= ?",
            (sqlite_datetime(low), sqlite_datetime(high), upto_id),
        ).fetchall()
