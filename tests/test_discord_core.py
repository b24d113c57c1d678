"""The whole path on Discord: slash commands -> the real core and storage -> ingest ->
outbox -> dispatcher -> the real discord.py adapter -> the fake Discord. Both backends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.alerts.matching import SubscriptionIndex
from bot.alerts.planner import AlertPlanner
from bot.commands.handler import CommandHandler
from bot.config import DeliveryConfig
from bot.delivery.dispatcher import Dispatcher
from bot.ingest.pipeline import IngestPipeline
from bot.models import Sentiment
from bot.ports import CoreServices
from storage.plugin import SqlStorage
from tests.archive_helpers import make
from tests.fakes.discord_api import Failure
from tests.fakes.discord_world import MANAGE_CHANNELS, DiscordWorld

AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
FIRST = make(
    "Ethereum ETF sees record $1.2B inflows as ether tops $4,000",
    summary="Spot ether funds took in $1.2 billion in one day while ether rose above $4,000.",
    tags=("ETH", "ETF"),
    sentiment=Sentiment.POSITIVE,
    at=AT,
    url="https://example.org/eth-etf",
)
SECOND_SOURCE = make(
    "Ether tops $4,000 as Ethereum ETF inflows hit record $1.2B",
    summary="Record $1.2 billion inflows into spot ether ETFs pushed ether past $4,000.",
    source="coindesk",
    tags=("ETH",),
    sentiment=Sentiment.POSITIVE,
    at=AT + timedelta(hours=2),
)
OTHER_STORY = make(
    "Solana network restarts after a five-hour outage",
    summary="Validators restarted Solana after block production halted for five hours.",
    tags=("SOL", "ETH"),
    sentiment=Sentiment.NEGATIVE,
    at=AT + timedelta(hours=3),
)


@dataclass
class Core:
    """The real core parts, wired as bot/app.py does, around one storage."""

    storage: SqlStorage
    pipeline: IngestPipeline
    handler: CommandHandler

    @classmethod
    def build(cls, storage: SqlStorage) -> Core:
        def clock() -> datetime:
            return datetime.now(UTC)

        index = SubscriptionIndex()
        handler = CommandHandler(storage.archive, storage.chats, index, clock)
        pipeline = IngestPipeline(
            storage.archive, max_bytes=1 << 20, story_window=timedelta(hours=72)
        )
        pipeline.add_listener(AlertPlanner(storage.chats, storage.outbox, index, clock))
        return cls(storage, pipeline, handler)

    def services(self) -> CoreServices:
        return CoreServices(self.handler.handle, self.storage.archive.known_tags)

    def dispatcher(self, adapter: object) -> Dispatcher:
        return Dispatcher(
            self.storage.outbox,
            [adapter],  # type: ignore[list-item]
            DeliveryConfig(poll_interval_s=0.01),
            on_chat_gone=self.storage.chats.deactivate,
        )


async def test_one_alert_per_story_in_channels_and_dms(storage: SqlStorage):
    core = Core.build(storage)
    async with DiscordWorld(core.services()) as world:
        fake = world.fake
        role = next(r for r in fake.guilds[world.guild]["roles"] if r["name"] == "Traders")
        channel_sub = await fake.invoke(
            "subscribe",
            {"tags": "ETH", "mention": world.traders},
            types={"mention": 8},
            resolved={"roles": {world.traders: role}},
            channel_id=world.text,
            user=world.alice,
            permissions=MANAGE_CHANNELS,
        )
        # Two subscriptions that both match must still give one alert per story.
        await fake.invoke("subscribe", {"tags": "ETH"}, channel_id=world.dm, user=world.alice)
        await fake.invoke(
            "subscribe",
            {"tags": "ETF", "sentiment": "positive"},
            channel_id=world.dm,
            user=world.alice,
        )
        listed = await fake.invoke("subscriptions", channel_id=world.dm, user=world.alice)
        first = await core.pipeline.ingest_article(FIRST, origin="test:first")
        joined = await core.pipeline.ingest_article(SECOND_SOURCE, origin="test:second")
        await core.dispatcher(world.adapter).drain()
        latest = await fake.invoke(
            "latest", {"tag": "ETH"}, channel_id=world.text, user=world.alice
        )
    assert channel_sub.ephemeral and "ETH" in channel_sub.content
    assert "ETH" in listed.content and "ETF" in listed.content
    assert joined.story_joined and joined.story.id == first.story.id  # same story
    (alert,) = fake.messages[world.text]  # one alert, however many sources
    assert alert["content"] == f"<@&{world.traders}>"
    assert alert["embeds"][0]["url"] == "https://example.org/eth-etf"
    assert alert["embeds"][0]["color"] == 0x2ECC71
    (dm_alert,) = fake.messages[world.dm]  # one alert, however many subscriptions match
    assert dm_alert["embeds"][0]["title"].startswith("Ethereum ETF sees record")
    assert not latest.ephemeral
    assert {e["title"] for e in latest.embeds} == {FIRST.title, SECOND_SOURCE.title}
    assert f"[{first.article.id}]" not in latest.content  # entries shown as embeds only
    sent = await storage.outbox.sent_messages_for_story(first.story.id)
    assert {s.message_id for s in sent} == {alert["id"], dm_alert["id"]}


async def test_a_403_deactivates_the_channel_and_it_gets_no_more_attempts(storage: SqlStorage):
    core = Core.build(storage)
    async with DiscordWorld(core.services()) as world:
        fake = world.fake
        for channel in (world.text, world.other):
            await fake.invoke(
                "subscribe",
                {"tags": "ETH"},
                channel_id=channel,
                user=world.alice,
                permissions=MANAGE_CHANNELS,
            )
        fake.fail(world.other, Failure(403, 50001))
        await core.pipeline.ingest_article(FIRST, origin="test:first")
        await core.dispatcher(world.adapter).drain()
        attempts = [p for _, p in fake.requests if f"/channels/{world.other}/" in p]
        await core.pipeline.ingest_article(OTHER_STORY, origin="test:other")
        await core.dispatcher(world.adapter).drain()
        later = [p for _, p in fake.requests if f"/channels/{world.other}/" in p]
        listed = await fake.invoke("subscriptions", channel_id=world.other, user=world.alice)
    assert len(attempts) == 1 and later == attempts  # the second story never tried it
    assert fake.invalid_requests == 1
    assert len(fake.messages[world.text]) == 2  # the healthy channel got both stories
    assert world.other not in fake.messages
    assert "back" in listed.content.lower()  # speaking again reactivates the channel
