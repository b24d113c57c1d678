"""`cryptowire run` with Telegram and Discord configured: both adapters in one loop, one
story alerted once on each platform (the real App, in process, against both fakes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.app import App
from bot.config import (
    DeliveryConfig,
    DiscordConfig,
    Settings,
    SourceConfig,
    StorageConfig,
    TelegramConfig,
)
from bot.ops.logs import MASKER
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_world import TOKEN
from tests.fakes.telegram_api import FakeBotApi
from tests.test_discord_e2e import article_file, until, write_article

ALICE = 42001


@pytest.fixture(autouse=True)
def _restore_masker(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Telegram factory registers its token with the process-wide log masker; keep
    that from leaking into later tests (it would mask their log records)."""
    monkeypatch.setattr(MASKER, "_secrets", set(MASKER._secrets))


async def test_both_platforms_run_together_and_each_gets_one_alert(tmp_path: Path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    discord_fake = FakeDiscord()
    guild = discord_fake.add_guild()
    news = discord_fake.add_channel(guild, "news")
    api_base = await discord_fake.start()
    async with FakeBotApi() as telegram_fake:
        settings = Settings(
            storage=StorageConfig(url=f"sqlite:///{tmp_path / 'cw.db'}"),
            sources=[SourceConfig(name="inbox", kind="folder", path=inbox, interval="1s")],
            telegram=TelegramConfig(
                token=SecretStr(telegram_fake.token),
                base_url=telegram_fake.base_url,
                base_file_url=telegram_fake.base_file_url,
                poll_timeout=1,
            ),
            discord=DiscordConfig(token=SecretStr(TOKEN), api_base=api_base),
            delivery=DeliveryConfig(poll_interval_s=0.05),
        )
        app = App(settings)
        try:
            parts = await app.start()
            assert sorted(a.name for a in parts.adapters) == ["discord", "telegram"]
            await discord_fake.invoke(
                "subscribe",
                {"tags": "BTC"},
                channel_id=news,
                user=discord_fake.user("bob"),
                permissions=1 << 4,
            )
            telegram_fake.command(telegram_fake.private_chat(ALICE), ALICE, "/subscribe BTC")
            await telegram_fake.wait_for(lambda: len(telegram_fake.messages_in(ALICE)) == 1, 20)
            now = datetime.now(UTC).replace(microsecond=0)
            summary = "Spot bitcoin funds took in $1.1 billion on Monday, a one-day record."
            text = article_file("Bitcoin ETF inflows hit a record", summary, "decrypt", now)
            write_article(inbox, "one.md", text)
            await until(lambda: len(discord_fake.messages.get(news, [])) == 1, within=30)
            await telegram_fake.wait_for(lambda: len(telegram_fake.messages_in(ALICE)) == 2, 30)
            again = article_file(
                "Bitcoin ETF inflows hit a record", summary, "coindesk", now + timedelta(minutes=1)
            )
            write_article(inbox, "two.md", again)
            await parts.core.sources.settle()  # the folder is read and the article planned
            await parts.dispatcher.drain()  # whatever that planned has been sent
        finally:
            await app.stop()
            await discord_fake.stop()
    assert len(discord_fake.messages[news]) == 1  # the second source sent nothing new
    assert len(telegram_fake.messages_in(ALICE)) == 2
    assert (
        discord_fake.messages[news][0]["embeds"][0]["title"] == "Bitcoin ETF inflows hit a record"
    )
