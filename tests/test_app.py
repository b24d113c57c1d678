"""The wired App in-process: commands in, an ingested article out as one alert, health."""

from __future__ import annotations

import asyncio

import httpx
from fakes.recording_adapter import RecordingAdapter

from bot.app import App
from bot.config import HttpConfig, Settings
from bot.models import ChatRef, IncomingCommand

ARTICLE = b"""---
title: Bitcoin Hashrate Hits a Record as New Rigs Come Online
publishedAt: '2026-02-10T08:00:00Z'
source:
  name: Test Wire
  key: test-wire
tags: [BTC, MINING]
---
Bitcoin's hashrate reached a record on Tuesday as miners switched on a new fleet of machines.
"""


async def wait_until(predicate, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_command_ingest_alert_and_health(settings: Settings):
    settings = settings.model_copy(update={"http": HttpConfig(listen="127.0.0.1:0")})
    adapter = RecordingAdapter(name="console")
    app = App(settings, adapters=[adapter])
    parts = await app.start()
    try:
        assert adapter.core is not None
        me = ChatRef("console", "local")
        reply = await adapter.core.handle_command(IncomingCommand(me, "/subscribe BTC", "u1"))
        assert not reply.error, reply.text
        outcome = await parts.core.pipeline.ingest_bytes(ARTICLE, origin="inbox/hashrate.md")
        assert outcome.status == "new"
        await wait_until(lambda: len(adapter.sent) == 1)
        (sent,) = adapter.sent
        assert sent.to == me and sent.alert.article.title.startswith("Bitcoin Hashrate")
        # the same story again from another file is not a second alert
        again = await parts.core.pipeline.ingest_bytes(ARTICLE, origin="inbox/copy.md")
        assert again.status == "duplicate"
        assert parts.health is not None
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{parts.health.port}/healthz")
            metrics = await client.get(f"http://127.0.0.1:{parts.health.port}/metrics")
        assert health.status_code == 200
        assert health.json()["adapters"] == ["console"]
        assert health.json()["outbox_pending"] == 0
        assert 'result="SENT"' in metrics.text
    finally:
        await app.stop()
    assert len(adapter.sent) == 1


async def test_models_are_loaded_before_the_sources_start(settings: Settings):
    """The first file after start-up does not wait ~0.3 s for the tagger, the sentiment
    weights and the story vectors: the ingesting process loads them while starting."""
    from bot.enrich import enrich
    from bot.stories import embedding

    loaders = (enrich.default_tagger, enrich.default_sentiment, embedding.default_embedder)
    for loader in loaders:
        loader.cache_clear()
    app = App(settings, adapters=[RecordingAdapter(name="console")])
    await app.start()
    try:
        assert [loader.cache_info().currsize for loader in loaders] == [1, 1, 1]
    finally:
        await app.stop()
