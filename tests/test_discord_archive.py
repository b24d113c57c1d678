"""Slash-command autocomplete served by the real archive, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from bot.ingest.pipeline import IngestPipeline
from bot.models import IncomingCommand, Reply
from bot.ports import CoreServices
from storage.plugin import SqlStorage
from tests.archive_helpers import T0, make
from tests.fakes.discord_world import DiscordWorld


async def test_tag_options_complete_from_the_archive_most_used_first(storage: SqlStorage):
    pipeline = IngestPipeline(storage.archive, max_bytes=1 << 20, story_window=timedelta(hours=72))
    for n, tags in enumerate([("ETH", "ETF"), ("ETH",), ("ETH", "BTC"), ("ETC",)]):
        article = make(f"Story number {n} about {tags[0]}", tags=tags, at=T0 + timedelta(days=n))
        await pipeline.ingest_article(article, origin=f"test:{n}")

    async def unused(command: IncomingCommand) -> Reply:
        return Reply("unused")

    core = CoreServices(handle_command=unused, known_tags=storage.archive.known_tags)
    async with DiscordWorld(core) as world:
        single = await world.fake.invoke(
            "latest", {"tag": "et"}, focused="tag", channel_id=world.text, user=world.alice
        )
        multi = await world.fake.invoke(
            "subscribe", {"tags": "BTC e"}, focused="tags", channel_id=world.dm, user=world.alice
        )
    choices = [c["value"] for c in single.callbacks[0]["data"]["choices"]]
    assert choices[0] == "ETH" and set(choices) == {"ETH", "ETF", "ETC"}
    completed = [c["value"] for c in multi.callbacks[0]["data"]["choices"]]
    assert completed == [f"BTC {tag}" for tag in choices]
