"""Articles ingested from the command line reach subscribers through the outbox."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import _register_command_modules, app
from bot.config import Settings, StorageConfig
from bot.models import ChatRef, SubscriptionFilter
from storage.plugin import open_storage
from storage.tables import DeliveryRow

BTC_ARTICLE = """---
title: "Bitcoin treasury firm adds 4,000 BTC after a quiet week"
date: 2026-03-02T09:00:00Z
source: Harbor Ledger
tags: [BTC]
---
The company now holds more than 60,000 BTC, its filing says.
"""

ETH_ARTICLE = """---
title: "Ethereum developers schedule the next testnet upgrade"
date: 2026-03-02T10:00:00Z
source: Harbor Ledger
tags: [ETH]
---
The upgrade goes live on the Holesky testnet first.
"""


async def _subscribe_btc(url: str) -> int:
    storage = open_storage(Settings(storage=StorageConfig(url=url)))
    await storage.upgrade()
    try:
        chat = await storage.chats.get_or_create(ChatRef("console", "local"))
        await storage.chats.add_subscription(chat.id, SubscriptionFilter(tags=frozenset({"BTC"})))
        return chat.id
    finally:
        await storage.close()


async def _deliveries(url: str) -> list[tuple[int, int | None, str]]:
    storage = open_storage(Settings(storage=StorageConfig(url=url)))
    try:
        async with storage.db.session() as session:
            rows = await session.execute(
                select(DeliveryRow.chat_id, DeliveryRow.article_id, DeliveryRow.status)
            )
            return [tuple(row) for row in rows]
    finally:
        await storage.close()


def test_ingest_command_enqueues_alerts_for_matching_subscriptions(
    database_url: str, tmp_path: Path
):
    chat_id = asyncio.run(_subscribe_btc(database_url))
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "btc.md").write_text(BTC_ARTICLE, encoding="utf-8")
    (inbox / "eth.md").write_text(ETH_ARTICLE, encoding="utf-8")
    _register_command_modules()
    result = CliRunner().invoke(app, ["--database-url", database_url, "ingest", str(inbox)])
    assert result.exit_code == 0, result.output
    deliveries = asyncio.run(_deliveries(database_url))
    assert len(deliveries) == 1  # the ETH article matches nobody
    assert deliveries[0][0] == chat_id
    assert deliveries[0][2] == "pending"  # waits for `cryptowire run` to send it
    # the same files again are duplicates: nothing new to alert
    again = CliRunner().invoke(app, ["--database-url", database_url, "ingest", str(inbox)])
    assert again.exit_code == 0
    assert len(asyncio.run(_deliveries(database_url))) == 1
