"""The hot writes of chat commands: a chat on first contact, a new subscription.

On a SQLite file both go through the group writer (``sqlite_commands.py``) as raw
statements compiled from the same tables, so what they store and return equals the ORM
path, which PostgreSQL keeps (``orm_get_or_create`` and ``SqlChats.add_subscription``).
"""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.models import ChatKind, ChatRef, ChatSettings, Subscription, SubscriptionFilter
from storage.database import Database, _SqliteRead
from storage.rows import chat_settings
from storage.sqlite_commands import CommandWriter
from storage.subscription_rows import filter_of
from storage.tables import ChatRow, SubscriptionChangeRow, SubscriptionRow, utcnow

CHAT_BY_REF = select(*ChatRow.__table__.columns).where(
    ChatRow.platform == bindparam("platform"),
    ChatRow.chat_id == bindparam("chat_id"),
    ChatRow.thread_id == "",
)
_NEW_CHAT = (
    "platform", "chat_id", "thread_id", "kind", "title", "active", "timezone", "mode",
    "created_at", "language_hint",
)  # fmt: skip
_INSERT_CHAT = (
    sqlite_insert(ChatRow.__table__)
    .values({name: bindparam(name, type_=ChatRow.__table__.c[name].type) for name in _NEW_CHAT})
    .on_conflict_do_nothing()
)
_REFRESH_CHAT = (
    update(ChatRow.__table__)
    .where(
        ChatRow.platform == bindparam("platform"),
        ChatRow.chat_id == bindparam("chat_id"),
        ChatRow.thread_id == "",
    )
    .values(
        kind=bindparam("kind"),
        title=func.coalesce(bindparam("title", type_=ChatRow.title.type), ChatRow.title),
        language_hint=func.coalesce(
            bindparam("language_hint", type_=ChatRow.language_hint.type), ChatRow.language_hint
        ),
    )
)
_CHAT_REF_OF = select(ChatRow.platform, ChatRow.chat_id).where(ChatRow.id == bindparam("id"))
_SUBSCRIPTION_COLUMNS = (
    "chat_id", "tags", "sentiments", "sources", "keywords", "exclude_keywords", "lang",
    "mention", "active", "created_by", "created_at",
)  # fmt: skip
_INSERT_SUBSCRIPTION = insert(SubscriptionRow.__table__).values(
    {
        name: bindparam(name, type_=SubscriptionRow.__table__.c[name].type)
        for name in _SUBSCRIPTION_COLUMNS
    }
)
_LOG_CHANGE = insert(SubscriptionChangeRow.__table__).values(
    {
        name: bindparam(name, type_=SubscriptionChangeRow.__table__.c[name].type)
        for name in ("subscription_id", "chat_id", "op", "at")
    }
)


async def orm_get_or_create(
    db: Database,
    ref: ChatRef,
    kind: ChatKind,
    title: str | None,
    language_hint: str | None,
    exists: bool,
) -> ChatSettings:
    """``SqlChats.get_or_create``'s write through the ORM (PostgreSQL, SQLite in memory)."""
    insert_chat = pg_insert if db.is_postgres else sqlite_insert
    values = {
        "platform": ref.platform,
        "chat_id": ref.chat_id,
        "thread_id": "",
        "kind": kind.value,
        "title": title,
        "created_at": utcnow(),
    }
    async with db.session() as session:
        if not exists:
            await session.execute(insert_chat(ChatRow).values(**values).on_conflict_do_nothing())
        chat = await session.scalar(
            select(ChatRow).where(
                ChatRow.platform == ref.platform,
                ChatRow.chat_id == ref.chat_id,
                ChatRow.thread_id == "",
            )
        )
        assert chat is not None
        chat.kind = kind.value
        chat.title = title if title is not None else chat.title
        chat.language_hint = language_hint or chat.language_hint
        return chat_settings(chat)


class ChatWrites:
    """``SqlChats``' SQLite path for ``get_or_create`` and ``add_subscription``."""

    def __init__(self, db: Database) -> None:
        self.writer = CommandWriter(db)
        self._chat = _SqliteRead(CHAT_BY_REF, self.writer.dialect)

    async def get_or_create(
        self, ref: ChatRef, kind: ChatKind, title: str | None, language_hint: str | None
    ) -> ChatSettings:
        """Insert the chat if new, refresh its kind, title and hint, return it as stored."""
        insert_chat = self.writer.prepared(_INSERT_CHAT)
        refresh = self.writer.prepared(_REFRESH_CHAT)
        params = {
            "platform": ref.platform,
            "chat_id": ref.chat_id,
            "thread_id": "",
            "kind": kind.value,
            "title": title,
            "active": True,
            "timezone": "UTC",
            "mode": "instant",
            "created_at": utcnow(),
            "language_hint": language_hint,
        }
        read = self._chat

        def write(connection: sqlite3.Connection) -> Any:
            if connection.execute(insert_chat.sql, insert_chat.parameters(params)).rowcount == 0:
                connection.execute(refresh.sql, refresh.parameters(params))  # it existed
            return connection.execute(read.sql, read.parameters(params)).fetchone()

        row = await self.writer.run(write)
        return chat_settings(SimpleNamespace(**read.mapping(row)))  # type: ignore[arg-type]

    async def add_subscription(
        self, chat_id: int, flt: SubscriptionFilter, created_by: str | None, mention: str | None
    ) -> Subscription:
        """The subscription and its change-log entry; ``LookupError`` for an unknown chat."""
        chat_of = self.writer.prepared(_CHAT_REF_OF)
        insert_row = self.writer.prepared(_INSERT_SUBSCRIPTION)
        log_change = self.writer.prepared(_LOG_CHANGE)
        now = utcnow()
        values = {
            "chat_id": chat_id,
            "tags": sorted(flt.tags),
            "sentiments": sorted(s.value for s in flt.sentiments),
            "sources": sorted(flt.sources),
            "keywords": list(flt.keywords),
            "exclude_keywords": list(flt.exclude_keywords),
            "lang": flt.lang,
            "mention": mention,
            "active": True,
            "created_by": created_by,
            "created_at": now,
        }

        def write(connection: sqlite3.Connection) -> tuple[int, str, str]:
            chat = connection.execute(chat_of.sql, chat_of.parameters({"id": chat_id})).fetchone()
            if chat is None:
                raise LookupError(f"no chat {chat_id}")
            added = connection.execute(insert_row.sql, insert_row.parameters(values)).lastrowid
            change = {"subscription_id": added, "chat_id": chat_id, "op": "add", "at": now}
            connection.execute(log_change.sql, log_change.parameters(change))
            return int(added or 0), chat[0], chat[1]

        added, platform, chat_ref = await self.writer.run(write)
        stored = filter_of(
            values["tags"],
            values["sentiments"],
            values["sources"],
            values["keywords"],
            values["exclude_keywords"],
            values["lang"],
        )
        return Subscription(
            id=added, chat=ChatRef(platform, chat_ref), filter=stored, active=True, mention=mention
        )
