"""Edit rows in the outbox (both databases): superseded revisions, edited_at, no new
messages; the lane edits instead of sending; a pin an adapter cannot do is logged."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from bot.config import BroadcastTarget
from bot.models import ChatRef, DeliveryKind, DeliveryStatus, Sentiment, SubscriptionFilter
from storage.plugin import SqlStorage
from storage.tables import DeliveryRow
from tests.broadcast_support import (
    ETF,
    ETF_SECOND_SOURCE,
    SOLANA,
    BroadcastCore,
    news,
    revised,
)
from tests.fakes.recording_adapter import RecordingAdapter

DEX = news(
    "Solana DEX volume hits a record $9B in a day",
    summary="Decentralised exchanges on Solana traded $9 billion in one day.",
    tags=("SOL",),
    sentiment=Sentiment.POSITIVE,
    url="https://example.org/sol-dex",
)
TARGET = BroadcastTarget(platform="console", chat="newsroom", pin=True)


async def rows(storage: SqlStorage) -> list[tuple[str, str, str]]:
    async with storage.db.session() as session:
        found = await session.scalars(select(DeliveryRow).order_by(DeliveryRow.id))
        return [(r.kind, r.status, r.idempotency_key) for r in found]


async def test_edit_rows_replace_older_revisions_and_never_become_new_messages(
    storage: SqlStorage,
):
    core = BroadcastCore.build(storage, [TARGET])
    adapter = RecordingAdapter()
    first = await core.ingest(ETF)
    await core.parts.broadcaster.post(first.article)
    await core.deliver(adapter)
    await core.ingest(revised(ETF, 10, title="Ether ETFs: record $1.3B day"))
    await core.ingest(revised(ETF, 20, title="Ether ETFs: record $1.4B day"))
    kinds = [(kind, status) for kind, status, _ in await rows(storage)]
    await core.deliver(adapter)
    sent = await storage.outbox.sent_messages_for_story(first.story.id)
    final = [(kind, status) for kind, status, _ in await rows(storage)]
    keys = [key for kind, _, key in await rows(storage) if kind == "edit"]
    assert kinds == [("breaking", "sent"), ("edit", "cancelled"), ("edit", "pending")]
    assert final == [("breaking", "sent"), ("edit", "cancelled"), ("edit", "sent")]
    assert len(keys) == 2 and all(
        k.startswith(f"{sent[0].chat_db_id}:m{sent[0].id}:edit:") for k in keys
    )
    assert len(adapter.attempts) == 1  # one send; the update was an edit
    ((to, message_id, alert),) = adapter.edits
    assert (to, message_id) == (
        ChatRef("console", "newsroom"),
        adapter.attempts[0].result.message_id,
    )
    assert alert.updated and alert.kind is DeliveryKind.BREAKING
    assert alert.article.title == "Ether ETFs: record $1.4B day"
    assert len(sent) == 1 and sent[0].edited_at is not None


async def test_changes_nobody_can_see_edit_nothing(storage: SqlStorage):
    core = BroadcastCore.build(storage, [TARGET])
    adapter = RecordingAdapter()
    first = await core.ingest(SOLANA)
    await core.ingest(ETF)  # another story
    await core.parts.broadcaster.post(first.article)
    await core.deliver(adapter)
    same_source = revised(ETF_SECOND_SOURCE, 0, source_key="decrypt", source_name="Decrypt")
    await core.ingest(revised(SOLANA, 10, body="The same story, longer body text only."))
    await core.ingest(same_source)  # joins ETF's story, which was never sent
    await core.deliver(adapter)
    assert adapter.edits == []
    assert [kind for kind, _, _ in await rows(storage)] == ["breaking"]


async def test_a_pin_the_adapter_cannot_do_is_logged_and_the_post_stands(
    storage: SqlStorage, caplog
):
    core = BroadcastCore.build(storage, [TARGET])
    adapter = RecordingAdapter()  # sends and edits, cannot pin
    first = await core.ingest(SOLANA)
    with caplog.at_level(logging.WARNING, logger="cryptowire.broadcast"):
        await core.parts.broadcaster.post(first.article)
        await core.deliver(adapter)
    assert len(adapter.sent) == 1
    (note,) = [r.getMessage() for r in caplog.records if r.name == "cryptowire.broadcast"]
    assert note.startswith("console cannot pin messages: breaking message m1")
    assert [status for _, status, _ in await rows(storage)] == [DeliveryStatus.SENT.value]


async def test_breaking_news_ignores_quiet_hours_and_digests_but_not_mute(
    storage: SqlStorage,
):
    core = BroadcastCore.build(storage, [])
    now = core.clock.now()
    names = {}
    for name, changes in {
        "instant": {},
        "muted": {"muted_until": now + timedelta(days=1)},
        "quiet": {
            "quiet_start": f"{now - timedelta(hours=1):%H:%M}",
            "quiet_end": f"{now + timedelta(hours=1):%H:%M}",
        },
        "digest": {"mode": "digest", "digest_schedule": "hourly"},
    }.items():
        chat = await storage.chats.get_or_create(ChatRef("console", name))
        if changes:
            await storage.chats.update_settings(chat.id, **changes)
        flt = SubscriptionFilter(tags=frozenset({"SOL"}))
        subscription = await storage.chats.add_subscription(chat.id, flt)
        core.planner.index.add_subscription(subscription, chat.id)
        names[chat.id] = name
    ordinary = await core.ingest(DEX)
    sticky = await core.ingest(revised(SOLANA, 0, sticky_weight=10))

    async def planned(story_id: int) -> dict[str, tuple[str, bool]]:
        async with storage.db.session() as session:
            found = await session.scalars(
                select(DeliveryRow).where(DeliveryRow.story_id == story_id)
            )
            return {names[r.chat_id]: (r.kind, r.due_at <= now) for r in found}

    assert await planned(ordinary.story.id) == {
        "instant": ("alert", True),
        "quiet": ("digest", False),  # held, sent as a digest when quiet hours end
        "digest": ("digest", False),
    }
    assert await planned(sticky.story.id) == {
        "instant": ("breaking", True),
        "quiet": ("breaking", True),
        "digest": ("breaking", True),
    }


LISTING = """---
title: Exchange lists a new stablecoin after a security review
description: The exchange lists the stablecoin for spot trading after an external review.
publishedAt: '2026-03-02T08:00:00Z'
updatedAt: '{updated}'
externalId: listing-7
source: {{name: The Block, key: theblock}}
tags: [USDT]
{extra}---
The exchange lists the stablecoin for spot trading after an external security review.
"""


async def test_a_source_retracting_in_its_front_matter_edits_every_message(storage: SqlStorage):
    core = BroadcastCore.build(storage, [TARGET])
    adapter = RecordingAdapter()
    first = await core.pipeline.ingest_bytes(
        LISTING.format(updated="2026-03-02T08:00:00Z", extra="").encode(), origin="feed:1"
    )
    await core.parts.broadcaster.post(first.article)
    await core.deliver(adapter)
    retraction = LISTING.format(updated="2026-03-02T09:30:00Z", extra="retracted: true\n")
    outcome = await core.pipeline.ingest_bytes(retraction.encode(), origin="feed:2")
    await core.deliver(adapter)
    assert outcome.status == "updated" and "retracted" in outcome.changed
    ((_, _, alert),) = adapter.edits
    assert alert.retracted and alert.article.retracted and alert.updated
    (found,) = await storage.archive.search("stablecoin security review")
    assert found.retracted  # still in the archive, marked
    assert len(adapter.attempts) == 1


async def test_the_same_revision_enqueued_again_keeps_its_rows_and_a_newer_one_replaces_them(
    storage: SqlStorage,
):
    """A retry after a database outage whose first attempt had committed enqueues the same
    revision again: its rows must stay pending (their keys are taken; cancelling them
    left the message never edited). A newer revision still supersedes them."""
    core = BroadcastCore.build(storage, [TARGET])
    first = await core.ingest(ETF)
    await core.parts.broadcaster.post(first.article)
    await core.deliver(RecordingAdapter())
    sent = await storage.outbox.sent_messages_for_story(first.story.id)
    edits = core.parts.updates.edits_for(sent, "rev1", first.story.id)
    assert await storage.outbox.replace_story_edits(first.story.id, edits) == 1
    assert await storage.outbox.replace_story_edits(first.story.id, edits) == 0
    assert [(k, s) for k, s, _ in await rows(storage)] == [
        ("breaking", "sent"),
        ("edit", "pending"),
    ]
    newer = core.parts.updates.edits_for(sent, "rev2", first.story.id)
    assert await storage.outbox.replace_story_edits(first.story.id, newer) == 1
    assert [(k, s) for k, s, _ in await rows(storage)] == [
        ("breaking", "sent"),
        ("edit", "cancelled"),
        ("edit", "pending"),
    ]
