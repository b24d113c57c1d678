"""Edit on update: messages already sent for a story are edited in place when it changes.

``StoryUpdates`` is an ingest listener. When the article a message shows gets a visible
change (title, summary, sentiment, image, link, tags; retracted; back to draft), or the
story gains or loses a source (the "+N sources" count), it enqueues one outbox row of kind
``edit`` per message already sent for the story (digests excepted). The rows go through
the dispatcher like any delivery, so platform rate limits, RETRY_AFTER and crash recovery
apply; they are never sent as new messages (the lane calls ``adapter.edit``).

Idempotency key per message and story revision: ``chat:m<sent id>:edit:<revision>``. A new
revision cancels the story's edits still pending (the text is read when the edit goes out,
so the latest one shows everything). Withdrawn (draft again) and retracted articles are
shown as retracted.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.delivery.outbox import ClaimedDelivery, SentMessage
from bot.models import Alert, Article, DeliveryKind, NewDelivery

log = logging.getLogger("cryptowire.story_updates")

# Fields of the shown article whose change is worth an edit (alerts render these).
VISIBLE_FIELDS = frozenset(
    {"title", "summary", "sentiment", "image_url", "url", "tags", "draft", "retracted"}
)


class EditOutbox(Protocol):
    async def sent_messages_for_story(self, story_id: int) -> list[SentMessage]: ...

    async def replace_story_edits(self, story_id: int, edits: Sequence[NewDelivery]) -> int:
        """Cancel the story's pending edits, enqueue these; return how many were new."""


class StoryArticles(Protocol):
    async def story_articles(self, story_id: int) -> list[Article]: ...


def revision_key(article: Article, status: str) -> str:
    """Short and stable for one applied change of one article."""
    stamp = (article.updated_at or article.published_at).isoformat()
    raw = f"{article.id}:{article.content_hash}:{stamp}:{status}:{article.draft}"
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()[:12]


def edit_alert(delivery: ClaimedDelivery) -> Alert | None:
    """What an edit row shows: the article's current state with the "updated" marker."""
    article = delivery.article
    if article is None:
        return None
    try:
        shown = DeliveryKind(str(delivery.payload.get("shown_kind") or "alert"))
    except ValueError:
        shown = DeliveryKind.ALERT
    return Alert(
        article=article,
        kind=shown,
        extra_sources=delivery.extra_sources,
        updated=True,
        retracted=article.retracted or article.draft,
        timezone=delivery.chat.timezone,
        language=delivery.chat.locale,
        new_image=bool(delivery.payload.get("new_image")),
    )


def edit_message_id(delivery: ClaimedDelivery) -> str:
    return str(delivery.payload.get("message_id") or "")


class StoryUpdates:
    """Ingest listener: ``await updates(outcome)`` enqueues the edits a change causes."""

    def __init__(
        self,
        outbox: EditOutbox,
        archive: StoryArticles,
        clock: Callable[[], datetime],
        *,
        on_enqueued: Callable[[], None] | None = None,
    ) -> None:
        self.outbox = outbox
        self.archive = archive
        self.clock = clock
        self.on_enqueued = on_enqueued

    async def __call__(self, outcome: Any) -> int:
        article: Article | None = getattr(outcome, "article", None)
        status = getattr(outcome, "status", "")
        if article is None or article.id is None or status not in ("new", "updated", "draft"):
            return 0
        story = getattr(outcome, "story", None)
        story_id = article.story_id or (story.id if story is not None else None)
        if story_id is None:
            return 0
        changed = set(getattr(outcome, "changed", ()))
        shown_changed = status != "new" and bool(changed & VISIBLE_FIELDS)
        if status == "draft" and "draft" not in changed:
            return 0  # a draft edited while still a draft: nothing of it was ever sent
        count_changed = await self._source_count_changed(outcome, article, story_id, status)
        if not (shown_changed or count_changed):
            return 0
        messages = [
            m
            for m in await self.outbox.sent_messages_for_story(story_id)
            if m.kind is not DeliveryKind.DIGEST and m.article_id is not None
        ]
        if not count_changed:
            messages = [m for m in messages if m.article_id == article.id]
        if not messages:
            return 0
        edits = self.edits_for(
            messages,
            revision_key(article, status),
            story_id,
            new_image=status != "new" and "image_url" in changed,
        )
        enqueued = await self.outbox.replace_story_edits(story_id, edits)
        log.info(
            "story %s changed (article %s, %s): %d message(s) to edit",
            story_id,
            article.id,
            ", ".join(sorted(changed)) or status,
            enqueued,
        )
        if enqueued and self.on_enqueued is not None:
            self.on_enqueued()
        return enqueued

    def edits_for(
        self,
        messages: Sequence[SentMessage],
        revision: str,
        story_id: int,
        *,
        new_image: bool = False,
    ) -> list[NewDelivery]:
        now = self.clock()
        edits = []
        for message in messages:
            payload: dict[str, object] = {
                "message_id": message.message_id,
                "sent_message_id": message.id,
                "shown_kind": (message.kind or DeliveryKind.ALERT).value,
            }
            if message.to.thread_id:
                payload["thread_id"] = message.to.thread_id
            if new_image and message.has_image:
                payload["new_image"] = True  # the photo itself changes, not only its caption
            edits.append(
                NewDelivery(
                    chat_id=message.chat_db_id,
                    kind=DeliveryKind.EDIT,
                    due_at=now,
                    story_id=story_id,
                    article_id=message.article_id,
                    payload=payload,
                    key=f"{message.chat_db_id}:m{message.id}:edit:{revision}",
                )
            )
        return edits

    async def _source_count_changed(
        self, outcome: Any, article: Article, story_id: int, status: str
    ) -> bool:
        """Did this change add or remove a source of the story ("+N sources")?"""
        joined = status in ("new", "updated") and bool(getattr(outcome, "story_joined", False))
        if status == "updated" and not getattr(outcome, "published_now", False):
            joined = False
        if not (joined or status == "draft"):
            return False
        articles = await self.archive.story_articles(story_id)  # visible ones only
        return not any(a.source_key == article.source_key and a.id != article.id for a in articles)
