"""Breaking posts and edit-on-update through Discord: slash commands -> the real core and
storage (both databases) -> dispatcher -> the real discord.py adapter -> the fake Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.config import BroadcastTarget
from bot.models import Sentiment
from storage.plugin import SqlStorage
from tests.broadcast_support import ETF, ETF_SECOND_SOURCE, SOLANA, BroadcastCore, revised
from tests.fakes.discord_world import MANAGE_GUILD, DiscordWorld, RecordingCore

BREAKING_TEXT = {"title": "Exchange halts withdrawals", "text": "Bitcoin withdrawals paused."}


@asynccontextmanager
async def world_with_core(
    storage: SqlStorage, *, pin: bool = True
) -> AsyncIterator[tuple[DiscordWorld, BroadcastCore]]:
    world = DiscordWorld(RecordingCore().services())
    target = BroadcastTarget(platform="discord", chat=world.text, pin=pin)
    core = BroadcastCore.build(storage, [target])
    world.core = core.services
    async with world:
        yield world, core


def footer(message: dict) -> str:  # type: ignore[type-arg]
    return str(message["embeds"][0].get("footer", {}).get("text", ""))


async def test_a_server_admin_posts_breaking_news_pinned_in_the_target_channel(
    storage: SqlStorage,
):
    async with world_with_core(storage) as (world, core):
        fake = world.fake
        answer = await fake.invoke(
            "breaking",
            {**BREAKING_TEXT, "url": "https://example.org/halt"},
            channel_id=world.other,
            user=world.alice,
            permissions=MANAGE_GUILD,
        )
        await core.deliver(world.adapter)
        (post,) = fake.messages[world.text]
    assert answer.content.startswith("Posted breaking article")
    assert f"discord:{world.text}" in answer.content
    embed = post["embeds"][0]
    assert embed["title"] == "🔴 BREAKING · Exchange halts withdrawals"
    assert embed["url"] == "https://example.org/halt"
    assert fake.pinned == [(world.text, post["id"])]
    (entry,) = await storage.audit.recent()
    assert (entry.platform, entry.user_id, entry.action) == (
        "discord",
        world.alice["id"],
        "breaking",
    )
    assert entry.detail["to"] == [f"discord:{world.text}"]
    assert entry.detail["from"] == f"discord:{world.other}"
    assert [a.title for a in await storage.archive.search("withdrawals halts")] == [
        "Exchange halts withdrawals"
    ]


async def test_members_without_manage_server_are_refused_and_nothing_is_posted(
    storage: SqlStorage,
):
    async with world_with_core(storage) as (world, core):
        stored = await core.ingest(SOLANA)
        fake = world.fake
        refused = [
            await fake.invoke("breaking", BREAKING_TEXT, channel_id=world.text, user=world.alice),
            await fake.invoke(
                "post", {"article": stored.article.id}, channel_id=world.text, user=world.alice
            ),
            await fake.invoke("audit", channel_id=world.text, user=world.alice),
        ]
        await core.deliver(world.adapter)
    assert all(a.ephemeral and a.content.startswith("Only Cryptowire admins") for a in refused)
    assert world.fake.messages.get(world.text) is None
    assert [a.title for a in await storage.archive.latest()] == [SOLANA.title]
    assert await storage.audit.recent() == []


async def test_post_by_id_and_audit_for_admins(storage: SqlStorage):
    async with world_with_core(storage, pin=False) as (world, core):
        stored = await core.ingest(SOLANA)
        fake = world.fake
        posted = await fake.invoke(
            "post",
            {"article": stored.article.id},
            channel_id=world.other,
            user=world.alice,
            permissions=MANAGE_GUILD,
        )
        await core.deliver(world.adapter)
        audit = await fake.invoke(
            "audit",
            {"count": 5},
            channel_id=world.other,
            user=world.alice,
            permissions=MANAGE_GUILD,
        )
        (post,) = fake.messages[world.text]
    assert posted.content.startswith(f"Posted article {stored.article.id} as breaking")
    assert post["embeds"][0]["title"].startswith("🔴 BREAKING · Solana network restarts")
    assert fake.pinned == []  # this target is not pinned
    assert audit.ephemeral
    assert f"discord {world.alice['id']} (Alice) post article {stored.article.id}" in audit.content


async def test_edits_on_title_sentiment_and_a_second_source_in_channel_and_dm(
    storage: SqlStorage,
):
    async with world_with_core(storage) as (world, core):
        fake = world.fake
        await fake.invoke("subscribe", {"tags": "ETH"}, channel_id=world.dm, user=world.alice)
        first = await core.ingest(ETF)
        await core.parts.broadcaster.post(first.article)
        await core.deliver(world.adapter)
        original = fake.messages[world.text][0]["embeds"][0]["title"]

        await core.ingest(revised(ETF, 30, title="Ethereum ETFs take in a record $1.3B"))
        await core.deliver(world.adapter)
        titles = [fake.messages[c][0]["embeds"][0]["title"] for c in (world.text, world.dm)]

        await core.ingest(revised(ETF, 60, sentiment=Sentiment.NEGATIVE))
        await core.deliver(world.adapter)
        colours = [fake.messages[c][0]["embeds"][0]["color"] for c in (world.text, world.dm)]

        await core.ingest(ETF_SECOND_SOURCE)
        await core.deliver(world.adapter)
        final = [fake.messages[c] for c in (world.text, world.dm)]
    assert original == "🔴 BREAKING · Ethereum ETF sees record $1.2B inflows as ether tops $4,000"
    assert titles == [
        "🔴 BREAKING · Ethereum ETFs take in a record $1.3B",
        "Ethereum ETFs take in a record $1.3B",
    ]
    assert colours == [0xE74C3C, 0xE74C3C]  # negative
    assert [len(messages) for messages in final] == [1, 1]  # edited, never sent again
    for (message,) in final:
        assert message["edited_timestamp"] is not None
        assert "updated" in footer(message) and "+1 source" in footer(message)
    patches = [p for m, p in fake.requests if m == "PATCH" and "/messages/" in p]
    assert len(patches) == 6
