"""What the console shows, as plain dicts: one source for the HTML pages and /api/v1.

Reads go through the storage's repositories (``console``, ``archive``, ``audit``,
``outbox``); the search text is parsed exactly as ``/search`` parses it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.alerts.matching import SubscriptionIndex
from bot.alerts.subscription_filter import matches
from bot.commands.search_query import parse_search, require_valid
from bot.models import Article
from bot.web.snapshot import Snapshot

STORY_PAGE = 50
DASHBOARD_TTL_S = 1.0  # the dashboard's counts are at most this old (decision 026)
MAX_QUERY = 300


class NotFound(LookupError):
    """No such story, article or chat: a 404 with one line."""


def article_dict(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "story": article.story_id,
        "title": article.title,
        "url": article.url,
        "source": article.source_name,
        "source_key": article.source_key,
        "published_at": article.published_at.astimezone(UTC).isoformat(timespec="seconds"),
        "tags": list(article.tags),
        "sentiment": str(article.sentiment),
        "lang": article.lang,
        "summary": article.summary[:2000],
        "retracted": article.retracted,
    }


@dataclass
class ConsoleViews:
    """The storage plus what this process knows about itself (adapters, role)."""

    storage: Any
    adapters: Callable[[], list[str]]
    clock: Callable[[], datetime]
    dashboard_ttl_s: float = DASHBOARD_TTL_S
    _counts: Snapshot[dict[str, Any]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._counts = Snapshot(self.dashboard_ttl_s)

    def forget_dashboard(self) -> None:
        """This process changed something the dashboard shows (a source switched)."""
        self._counts.clear()

    async def dashboard(self) -> dict[str, Any]:
        data = dict(await self._counts.get(self._dashboard_counts))
        data["adapters"] = self.adapters()
        return data

    async def _dashboard_counts(self) -> dict[str, Any]:
        now = self.clock()
        data = await self.storage.console.dashboard(now=now)
        depth = await self.storage.outbox.depth(now=now)
        data["outbox"] = {
            "pending": depth.pending,
            "due": depth.due,
            "sending": depth.sending,
            "oldest_due_age_s": round(depth.oldest_due_age_s or 0.0, 1),
        }
        data["database"] = self.storage.dialect
        data["as_of"] = now.astimezone(UTC).isoformat(timespec="seconds")
        return data

    async def stories(self, q: str = "", *, after: int = 0, limit: int = STORY_PAGE) -> list[dict]:
        """Newest first; with ``q``, the stories of the best /search matches."""
        q = q.strip()[:MAX_QUERY]
        if not q:
            return await self.storage.console.stories(limit=limit, after=after)
        query = require_valid(parse_search(q, now=self.clock()))  # SearchError: one line
        articles = await self.storage.archive.search_parsed(query, limit=limit)
        ids: list[int] = []
        for article in articles:
            if article.story_id is not None and article.story_id not in ids:
                ids.append(article.story_id)
        return await self.storage.console.stories_by_id(ids)

    async def story(self, story_id: int) -> dict[str, Any]:
        story = await self.storage.archive.get_story(story_id)
        if story is None:
            raise NotFound(f"story {story_id} not found")
        articles = await self.storage.archive.story_articles(story_id)
        return {
            "id": story.id,
            "title": story.title,
            "first_published_at": story.first_published_at.isoformat(timespec="seconds"),
            "last_updated_at": story.last_updated_at.isoformat(timespec="seconds"),
            "tags": list(story.tags),
            "sentiment": str(story.sentiment),
            "sources": list(story.source_keys),
            "articles": [article_dict(a) for a in articles],
            "revisions": await self.storage.console.revisions([a.id for a in articles if a.id]),
            "alerted": await self.storage.console.alerted(story_id=story_id),
        }

    async def article(self, article_id: int) -> dict[str, Any]:
        article = await self.storage.archive.get_article(article_id)
        if article is None:
            raise NotFound(f"article {article_id} not found")
        return {
            **article_dict(article),
            "revisions": await self.storage.console.revisions([article_id]),
            "alerted": await self.storage.console.alerted(article_id=article_id),
        }

    async def audit(self, limit: int = 100) -> list[dict[str, Any]]:
        entries = await self.storage.audit.recent(limit=max(1, min(limit, 200)))
        return [
            {
                "id": e.id,
                "at": e.at.isoformat(timespec="seconds"),
                "platform": e.platform,
                "user": e.user_name or e.user_id,
                "action": e.action,
                "target": e.target,
                "detail": e.detail,
            }
            for e in entries
        ]

    async def chats(self) -> list[dict[str, Any]]:
        return await self.storage.console.chats()

    async def chat(self, chat_id: int) -> dict[str, Any]:
        chat = await self.storage.console.chat(chat_id)
        if chat is None:
            raise NotFound(f"chat {chat_id} not found")
        chat["deliveries"] = await self.storage.console.deliveries(chat_id)
        return chat

    async def set_subscription(
        self, chat_id: int, subscription_id: int, on: bool, *, who: tuple[str, str] = ("web", "")
    ) -> bool:
        """Pause or resume a subscription (console or Mini App); audited with who did it."""
        done = await self.storage.console.pause_subscription(chat_id, subscription_id, on)
        if done is None:
            raise NotFound(f"chat {chat_id} has no subscription {subscription_id}")
        await self.storage.audit.record(
            platform=who[0],
            user_id=who[1] or "operator",
            action="subscription resume" if on else "subscription pause",
            target=f"chat {chat_id}",
            detail={"subscription": subscription_id},
        )
        return on

    async def why(self, chat_id: int, article_id: int) -> list[str]:
        """The /why explanation for an article in a chat: each subscription's verdict."""
        article = await self.storage.archive.get_article(article_id)
        if article is None or article.draft:
            raise NotFound(f"there is no article {article_id}")
        if await self.storage.console.chat(chat_id) is None:
            raise NotFound(f"chat {chat_id} not found")
        if article.retracted:
            return ["It was retracted, so it is not sent."]
        subscriptions = await self.storage.chats.list_subscriptions(chat_id)
        if not subscriptions:
            return ["This chat has no active subscriptions, so nothing is sent here."]
        lines = [SubscriptionIndex.explain(article, s) for s in subscriptions]
        if not any(matches(s.filter, article) for s in subscriptions):
            lines.append("No subscription matches, so it was not sent here.")
        elif article.story_id is not None and await self.storage.chats.chats_with_story(
            article.story_id, [chat_id]
        ):
            lines.append(f"An alert for its story ({article.story_id}) was sent or is queued.")
        else:
            lines.append("A subscription matches but no alert was queued (sent before it?).")
        return lines
