"""Topic routes, and the reads the alert planner makes for one fan-out (part of SqlChats)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select

from bot.models import ChatSettings
from storage.database import Database
from storage.rows import chat_settings
from storage.tables import ChatRow, DeliveryRow, SubscriptionRow, TopicRouteRow

CHUNK = 500
BIG_CHUNK = 5000
SMALL_FAN_OUT = 2000


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(frozen=True, slots=True)
class PlanningData:
    """Chats that differ from the defaults, mentions of subscriptions, routes by tag."""

    settings: dict[int, ChatSettings]
    mentions: dict[int, str]
    routes: dict[int, dict[str, str]]


class RoutingQueries:
    """Routes by tag per group chat, and the planner's bulk reads."""

    db: Database

    async def set_route(self, chat_id: int, tag: str, thread_id: str) -> None:
        """Alerts of this group tagged ``tag`` go to forum topic ``thread_id``."""
        async with self.db.session() as session:
            row = await session.get(TopicRouteRow, (chat_id, tag))
            if row is None:
                session.add(TopicRouteRow(chat_id=chat_id, tag=tag, thread_id=thread_id))
            else:
                row.thread_id = thread_id

    async def remove_routes(
        self, chat_id: int, *, tag: str | None = None, thread_id: str | None = None
    ) -> int:
        """Drop routes of a chat: one tag, every route to one topic, or all of them."""
        query = delete(TopicRouteRow).where(TopicRouteRow.chat_id == chat_id)
        if tag is not None:
            query = query.where(TopicRouteRow.tag == tag)
        if thread_id is not None:
            query = query.where(TopicRouteRow.thread_id == thread_id)
        async with self.db.session() as session:
            result = await session.execute(query)
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def routes(self, chat_ids: Iterable[int]) -> dict[int, dict[str, str]]:
        """chat id -> {tag: thread id}, only for chats that have routes."""
        ids = sorted(set(chat_ids))
        found: dict[int, dict[str, str]] = {}
        async with self.db.reading() as session:
            for chunk in chunks(ids):
                rows = await session.scalars(
                    select(TopicRouteRow).where(TopicRouteRow.chat_id.in_(chunk))
                )
                for row in rows:
                    found.setdefault(row.chat_id, {})[row.tag] = row.thread_id
        return found

    async def chats_with_story(self, story_id: int, chat_ids: Iterable[int]) -> set[int]:
        """Which of these chats already have a delivery (of any kind) for the story."""
        ids = sorted(set(chat_ids))
        found: set[int] = set()
        async with self.db.reading() as session:
            for chunk in chunks(ids, BIG_CHUNK):  # each id is one probe of (chat_id, story_id)
                rows = await session.scalars(
                    select(DeliveryRow.chat_id).where(
                        DeliveryRow.chat_id.in_(chunk), DeliveryRow.story_id == story_id
                    )
                )
                found.update(rows)
        return found

    async def planning_data(
        self, chat_ids: Sequence[int], subscription_ids: Sequence[int], tags: Sequence[str]
    ) -> PlanningData:
        """What the alert planner needs for a fan-out, in one transaction.

        Chats with default settings (active, instant, no quiet hours, not muted) are
        left out of ``settings``: a fan-out to 100,000 chats should not load 100,000
        rows. Small fan-outs look their chats up by id; large ones read the few chats
        that differ from the defaults."""
        settings: dict[int, ChatSettings] = {}
        mentions: dict[int, str] = {}
        routes: dict[int, dict[str, str]] = {}
        special = or_(
            ChatRow.active.is_(False),
            ChatRow.mode != "instant",
            ChatRow.quiet_start.is_not(None),
            ChatRow.muted_until.is_not(None),
        )
        with_mention = SubscriptionRow.mention.is_not(None)
        async with self.db.reading() as session:
            if len(chat_ids) <= SMALL_FAN_OUT:
                for chunk in chunks(sorted(set(chat_ids))):
                    rows = await session.scalars(
                        select(ChatRow).where(ChatRow.id.in_(chunk), special)
                    )
                    settings.update((row.id, chat_settings(row)) for row in rows)
                for chunk in chunks(sorted(set(subscription_ids))):
                    found = await session.execute(
                        select(SubscriptionRow.id, SubscriptionRow.mention).where(
                            SubscriptionRow.id.in_(chunk), with_mention
                        )
                    )
                    mentions.update((sid, str(m)) for sid, m in found)
            else:
                wanted = set(chat_ids)
                rows = await session.scalars(select(ChatRow).where(special))
                settings.update((row.id, chat_settings(row)) for row in rows if row.id in wanted)
                subs = set(subscription_ids)
                found = await session.execute(
                    select(SubscriptionRow.id, SubscriptionRow.mention).where(
                        with_mention, SubscriptionRow.active.is_(True)
                    )
                )
                mentions.update((sid, str(m)) for sid, m in found if sid in subs)
            if tags:
                for route in await session.scalars(
                    select(TopicRouteRow).where(TopicRouteRow.tag.in_(sorted(set(tags))))
                ):
                    routes.setdefault(route.chat_id, {})[route.tag] = route.thread_id
        return PlanningData(settings, mentions, routes)
