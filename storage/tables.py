"""The schema, one declaration for SQLite and PostgreSQL.

Alembic migrations in ``storage/migrations`` are the source of truth for the database;
these classes must match them (a test compares the two).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identities.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python on both databases (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SourceRow(Base):
    """A source of articles and its health, as `cryptowire sources` shows it."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="file")
    url: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    items_seen: Mapped[int] = mapped_column(BigInteger, default=0)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the console's switch and "poll now" (0007): the polling process reads them
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    poll_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    push_state: Mapped[str | None] = mapped_column(String(20))  # WebSub, as last seen


class SourceFileRow(Base):
    """Files of a watched folder already ingested, so a restart does not re-read them."""

    __tablename__ = "source_files"
    source_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    path: Mapped[str] = mapped_column(String(1024), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoryRow(Base):
    """One event, reported by one or more articles."""

    __tablename__ = "stories"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text)
    first_published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    article_count: Mapped[int] = mapped_column(Integer, default=1)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    sentiment: Mapped[str] = mapped_column(String(10), default="NEUTRAL")
    breaking: Mapped[bool] = mapped_column(Boolean, default=False)
    retracted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoryBandRow(Base):
    """Locality-sensitive hash bands of a story's articles: candidate lookup for grouping."""

    __tablename__ = "story_bands"
    band: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    story_id: Mapped[int] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Migration 0003: candidate lookup reads (band, published_at, story_id) from one
    # covering index; on SQLite the table is WITHOUT ROWID (keyed by its primary key), so
    # a band row costs two B-trees instead of three (rowid table, primary key, index).
    __table_args__ = (
        Index("ix_story_bands_band_published_story", "band", "published_at", "story_id"),
        {"sqlite_with_rowid": False},
    )


class StoryMemberRow(Base):
    """How each published article came into its story (migration 0005): its vector for
    the semantic candidate search (``storage/story_vectors.py``) and the evidence that
    made it join (``cryptowire story ID`` prints it). ``id`` only grows: processes read
    the rows they have not seen yet by ``id > last seen``."""

    __tablename__ = "story_members"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), unique=True
    )
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    method: Mapped[str] = mapped_column(String(16))
    vector: Mapped[bytes | None] = mapped_column(LargeBinary)
    score: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ArticleRow(Base):
    """One normalised article; ``identity`` is what makes two inputs the same article."""

    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    identity: Mapped[str] = mapped_column(String(512), unique=True)
    external_id: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    source_key: Mapped[str] = mapped_column(String(100), index=True)
    source_name: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lang: Mapped[str] = mapped_column(String(16), default="en")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    sentiment: Mapped[str] = mapped_column(String(10), default="NEUTRAL")
    image_url: Mapped[str | None] = mapped_column(Text)
    sticky_weight: Mapped[int] = mapped_column(Integer, default=0)
    draft: Mapped[bool] = mapped_column(Boolean, default=False)
    retracted: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(String(64))
    inferred: Mapped[list[str]] = mapped_column(JSON, default=list)
    story_id: Mapped[int | None] = mapped_column(
        ForeignKey("stories.id", ondelete="SET NULL"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer, default=1)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_articles_listed_published", "draft", "published_at"),)


class ArticleTagRow(Base):
    """Tag postings of visible articles, so `/latest TAG` is one index range scan."""

    __tablename__ = "article_tags"
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_article_tags_tag_published", "tag", "published_at"),)


class ArticleRevisionRow(Base):
    """What changed when an article was updated in place."""

    __tablename__ = "article_revisions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    changed_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatRow(Base):
    """A conversation on one platform that can receive alerts and hold settings."""

    __tablename__ = "chats"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    thread_id: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(10), default="private")
    title: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    mode: Mapped[str] = mapped_column(String(10), default="instant")
    digest_schedule: Mapped[str | None] = mapped_column(String(10))
    digest_time: Mapped[str | None] = mapped_column(String(5))
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    template: Mapped[str | None] = mapped_column(Text)  # /template; NULL: the default look
    mentions: Mapped[list[list[str]] | None] = mapped_column(JSON)  # /mention: [[tag, who]]
    language: Mapped[str | None] = mapped_column(String(16))  # /language; NULL: no choice
    language_hint: Mapped[str | None] = mapped_column(String(16))  # the platform's language

    __table_args__ = (UniqueConstraint("platform", "chat_id", "thread_id"),)


class SubscriptionRow(Base):
    """A chat's filter; list columns hold upper-case tags, sentiments and source keys."""

    __tablename__ = "subscriptions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    sentiments: Mapped[list[str]] = mapped_column(JSON, default=list)
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    exclude_keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    lang: Mapped[str | None] = mapped_column(String(16))
    mention: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TopicRouteRow(Base):
    """A forum group's rule: alerts tagged ``tag`` go to topic ``thread_id``."""

    __tablename__ = "topic_routes"
    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
    thread_id: Mapped[str] = mapped_column(String(100))


class SubscriptionChangeRow(Base):
    """Append-only log of subscription adds/removes, so every process's index catches up."""

    __tablename__ = "subscription_changes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    op: Mapped[str] = mapped_column(String(10))  # "add" | "remove" | "pruned" (retention's marker)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeliveryRow(Base):
    """The outbox: one row per (chat, story, kind), claimed by workers, never lost."""

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    # No foreign keys on these three: their triggers doubled the cost of a 100k-row fan-out
    # on PostgreSQL; readers outer-join and treat a vanished article as a failed delivery.
    story_id: Mapped[int | None] = mapped_column(BigId)
    article_id: Mapped[int | None] = mapped_column(BigId)
    subscription_id: Mapped[int | None] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(10), default="alert")
    priority: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    platform_message_id: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_deliveries_due", "status", "priority", "due_at", "id"),  # claim order
        Index("ix_deliveries_chat_story", "chat_id", "story_id"),
    )


class SentMessageRow(Base):
    """A platform message we sent, kept so it can be edited when its story changes."""

    __tablename__ = "sent_messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL")
    )
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    story_id: Mapped[int | None] = mapped_column(
        ForeignKey("stories.id", ondelete="SET NULL"), index=True
    )
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    platform: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(100))
    has_image: Mapped[bool] = mapped_column(Boolean, default=False)
    rendered_hash: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AdminAuditRow(Base):
    """Who did what, where and when: every admin action."""

    __tablename__ = "admin_audit"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    platform: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(100))
    user_name: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class WorkerLeaseRow(Base):
    """Heartbeats of running processes, for health checks and fleet status."""

    __tablename__ = "worker_leases"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rate_budget: Mapped[float] = mapped_column(Float, default=0.0)


class RateBudgetRow(Base):
    """A send budget shared by every delivery worker of one bot token (GCRA on the server
    clock): ``tat`` is the epoch second at which the next send slot is free."""

    __tablename__ = "rate_budgets"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    tat: Mapped[float] = mapped_column(Float, default=0.0)
