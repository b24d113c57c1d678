"""The App's roles on a shared PostgreSQL: what each role runs, the ingest leader, /metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fakes.recording_adapter import RecordingAdapter

from bot.app import App
from bot.config import HttpConfig, Settings, StorageConfig
from bot.models import ChatRef, IncomingCommand
from tests.conftest import FreshDatabase, postgres_url
from tests.test_app import ARTICLE, wait_until

pytestmark = pytest.mark.skipif(
    postgres_url() is None,
    reason="CRYPTOWIRE_TEST_POSTGRES_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)",
)


@pytest.fixture
async def pg_settings(tmp_path: Path) -> AsyncIterator[Settings]:
    fresh = FreshDatabase("postgresql", tmp_path)
    url = await fresh.create()
    try:
        yield Settings(storage=StorageConfig(url=url), http=HttpConfig(listen="127.0.0.1:0"))
    finally:
        await fresh.drop()


async def test_a_delivery_worker_sends_but_takes_no_commands_and_does_not_ingest(pg_settings):
    adapter = RecordingAdapter(name="console")
    app = App(pg_settings, adapters=[adapter], role="deliver")
    parts = await app.start()
    try:
        assert adapter.core is None  # the adapter was not started: no command intake
        assert parts.gate is None  # no sources in this process
        me = ChatRef("console", "local")
        reply = await parts.core.services.handle_command(
            IncomingCommand(me, "/subscribe BTC", "u1")
        )
        assert not reply.error, reply.text
        outcome = await parts.core.pipeline.ingest_bytes(ARTICLE, origin="inbox/a.md")
        assert outcome.status == "new"
        await wait_until(lambda: len(adapter.sent) == 1)  # the dispatcher runs here
        assert parts.health is not None
        async with httpx.AsyncClient() as client:
            base = f"http://127.0.0.1:{parts.health.port}"
            metrics = await client.get(f"{base}/metrics")
            health = await client.get(f"{base}/healthz")
        assert "cryptowire_outbox_depth 0.0" in metrics.text  # refreshed by the scrape
        assert health.json()["role"] == "deliver"
        assert health.json()["leading_ingest"] is False
    finally:
        await app.stop()


async def test_one_ingest_process_leads_and_a_standby_takes_over_when_it_stops(pg_settings):
    first = App(pg_settings, adapters=[RecordingAdapter(name="console")], role="ingest")
    second = App(pg_settings, adapters=[RecordingAdapter(name="console")], role="ingest")
    one = await first.start()
    two = await second.start()
    try:
        assert one.gate is not None and one.gate.started
        assert two.gate is not None and not two.gate.started
        await first.stop()
        await asyncio.wait_for(two.gate.became_leader.wait(), 15)
        assert two.gate.started
    finally:
        await first.stop()
        await second.stop()


async def test_a_commands_process_answers_commands_but_neither_sends_alerts_nor_ingests(
    pg_settings,
):
    adapter = RecordingAdapter(name="console")
    app = App(pg_settings, adapters=[adapter], role="commands")
    parts = await app.start()
    try:
        assert adapter.core is not None  # started: it receives commands
        me = ChatRef("console", "local")
        reply = await adapter.core.handle_command(IncomingCommand(me, "/subscribe BTC", "u1"))
        assert not reply.error, reply.text
        assert parts.gate is None
        outcome = await parts.core.pipeline.ingest_bytes(ARTICLE, origin="inbox/a.md")
        assert outcome.status == "new"
        depth = await parts.storage.outbox.depth(now=parts.dispatcher.clock.now())
        await asyncio.sleep(0.5)  # a dispatcher would have sent it by now
        assert depth.pending == 1 and adapter.sent == []  # queued for a delivery worker
    finally:
        await app.stop()
