"""The console's sources page and API: health of every source, "poll now" and the on/off
switch (CSRF-checked, audited), and the polling process obeying them across a restart."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from sources_support import FeedServer, rss_document, rss_item
from web_support import TOKEN, client, log_in, serve

import bot.sources.scheduler as scheduler_module
from bot.config import HttpConfig, Settings, SourceConfig
from bot.ingest.pipeline import IngestPipeline
from bot.sources.scheduler import SourceScheduler

AUTH = {"Authorization": f"Bearer {TOKEN}"}
LEAK = "https://user:hunter2@feeds.example/x.xml?token=s3cret"


async def add_sources(storage) -> None:
    await storage.sources.ensure("wire", name="<b>Wire</b>", kind="rss", url=LEAK)
    await storage.sources.ensure("inbox", name="Inbox", kind="folder", url="/srv/inbox")
    await storage.sources.ensure("coindesk", name="CoinDesk", kind="file", url=None)
    at = datetime.now(UTC)
    await storage.sources.record_failure("wire", at=at, error=f"HTTP 503 from {LEAK}")
    await storage.sources.record_success("inbox", at=at, items=7)
    await storage.sources.set_push_state("wire", "active")


def csrf_of(page: str) -> str:
    return page.split('name="csrf" value="', 1)[1].split('"', 1)[0]


async def test_the_sources_page_shows_health_and_switches_with_csrf_and_audit(storage):
    await add_sources(storage)
    async with serve(storage) as base, client() as http:
        async with http.get(f"{base}/sources", allow_redirects=False) as response:
            assert response.status == 303  # anonymous: to the login page
        assert await log_in(http, base) == 303
        async with http.get(f"{base}/sources") as response:
            page = await response.text()
        assert "&lt;b&gt;Wire&lt;/b&gt;" in page and "<b>Wire</b>" not in page
        assert "hunter2" not in page and "s3cret" not in page and "HTTP 503" in page
        assert "WebSub active" in page and "failing (1 failures" in page and ">7<" in page
        assert page.count("Poll now") == 2  # the archive-only source has no buttons
        token = csrf_of(page)

        async with http.post(f"{base}/sources/wire", data={"action": "disable"}) as response:
            assert response.status == 403  # no CSRF token
        assert (await storage.sources.get("wire")).enabled
        form = {"action": "disable", "csrf": token}
        async with http.post(f"{base}/sources/wire", data=form) as response:
            assert response.status == 200 and "Enable" in await response.text()
        assert not (await storage.sources.get("wire")).enabled
        async with http.post(f"{base}/sources/wire", data={**form, "action": "poll"}) as response:
            text = await response.text()
            assert response.status == 400 and "is disabled; enable it first" in text
        assert (await storage.sources.get("wire")).poll_requested_at is None
        async with http.post(f"{base}/sources/coindesk", data={**form, "action": "poll"}) as r:
            assert r.status == 400 and "only folders and feeds" in await r.text()
        async with http.post(f"{base}/sources/nope", data=form) as response:
            assert response.status == 404 and "no source" in await response.text()
        for action in ("enable", "poll"):
            async with http.post(f"{base}/sources/wire", data={**form, "action": action}) as r:
                assert r.status == 200
        row = await storage.sources.get("wire")
        assert row.enabled and row.poll_requested_at is not None
        audit = [(e.action, e.target, e.platform) for e in await storage.audit.recent()]
        assert audit[:3] == [
            ("source poll", "source wire", "web"),
            ("source enable", "source wire", "web"),
            ("source disable", "source wire", "web"),
        ]


async def test_the_sources_api_lists_switches_and_refuses_in_one_line(storage):
    await add_sources(storage)
    async with serve(storage) as base, client() as http:
        async with http.get(f"{base}/api/v1/sources") as response:
            assert response.status == 401
        async with http.get(f"{base}/api/v1/sources", headers=AUTH) as response:
            rows = {s["key"]: s for s in (await response.json())["sources"]}
        assert rows["wire"]["kind"] == "feed" and rows["wire"]["websub"] == "active"
        assert rows["wire"]["state"] == "failing" and "***" in rows["wire"]["target"]
        assert rows["inbox"]["items_seen"] == 7 and rows["inbox"]["state"] == "ok"
        assert rows["coindesk"]["live"] is False
        url = f"{base}/api/v1/sources/inbox"
        async with http.post(url, json={"enabled": False}, headers=AUTH) as response:
            assert response.status == 200 and await response.json() == {"enabled": False}
        async with http.post(url + "/poll", headers=AUTH) as response:
            assert response.status == 409
            assert (await response.json())["error"] == "Inbox is disabled; enable it first"
        async with http.post(url, json={"enabled": "yes"}, headers=AUTH) as response:
            assert response.status == 400 and "enabled" in (await response.json())["error"]
        async with http.post(url, json={"enabled": True}, headers=AUTH) as response:
            assert response.status == 200
        async with http.post(url + "/poll", headers=AUTH) as response:
            assert response.status == 202
        async with http.post(f"{base}/api/v1/sources/a%00b/poll", headers=AUTH) as response:
            assert response.status == 404
        audit = [(e.action, e.platform, e.user_id) for e in await storage.audit.recent()]
        assert audit[0] == ("source poll", "web", "api")


FEED = rss_document(rss_item("w-1", "Bitcoin miners sell reserves"))


def scheduler_for(settings: Settings, storage, url: str) -> SourceScheduler:
    source = SourceConfig(name="Wire", kind="rss", url=url, interval="1h")
    configured = settings.model_copy(
        update={"sources": [source], "http": HttpConfig(timeout_s=2.0)}
    )
    pipeline = IngestPipeline(
        storage.archive, max_bytes=configured.ingest.max_file_bytes, story_window=timedelta(1)
    )
    return SourceScheduler(configured, pipeline, storage.sources, rng=random.Random(3))


async def hits_within(server: FeedServer, n: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(server.requests("/wire.xml")) >= n:
            return True
        await asyncio.sleep(0.05)
    return len(server.requests("/wire.xml")) >= n


@pytest.mark.parametrize("control_s", [0.2])
async def test_the_poller_obeys_poll_now_and_a_disabled_feed_stays_off_after_a_restart(
    settings, storage, monkeypatch, control_s
):
    monkeypatch.setattr(scheduler_module, "CONTROL_S", control_s)
    server = await FeedServer().start()
    server.feed("/wire.xml", FEED)
    try:
        scheduler = scheduler_for(settings, storage, server.url("/wire.xml"))
        await scheduler.start()
        assert await hits_within(server, 1, 10)  # the first run; the next is an hour away
        await asyncio.sleep(1.0)
        assert len(server.requests("/wire.xml")) == 1
        await storage.sources.request_poll("wire", at=datetime.now(UTC))
        assert await hits_within(server, 2, 5), "poll now did not reach the poller"
        await asyncio.sleep(0.5)
        assert (await storage.sources.get("wire")).poll_requested_at is None
        assert len(server.requests("/wire.xml")) == 2  # once, not on every control tick

        await storage.sources.set_enabled("wire", False)
        await asyncio.sleep(control_s * 3)
        await storage.sources.request_poll("wire", at=datetime.now(UTC))  # via the API: refused
        await scheduler.stop()

        restarted = scheduler_for(settings, storage, server.url("/wire.xml"))
        await restarted.start()  # a fresh process would poll at once; this one is off
        assert not await hits_within(server, 3, 1.5)
        assert (await restarted.poll_once()) == []
        assert len(server.requests("/wire.xml")) == 2
        await storage.sources.set_enabled("wire", True)
        assert await hits_within(server, 3, 5), "re-enabled feed not polled"
        await restarted.stop()
    finally:
        await server.close()


async def test_the_dashboard_counts_are_a_snapshot_at_most_a_second_old(settings, storage):
    await add_sources(storage)
    async with serve(storage) as base, client() as http:
        get = {"headers": AUTH}
        async with http.get(f"{base}/api/v1/dashboard", **get) as response:
            first = await response.json()
        assert [s["key"] for s in first["sources"]] == ["coindesk", "inbox", "wire"]
        await storage.sources.ensure("late", name="Late", kind="rss", url=None)
        async with http.get(f"{base}/api/v1/dashboard", **get) as response:
            again = await response.json()
        assert again["as_of"] == first["as_of"] and len(again["sources"]) == 3  # one snapshot
        await asyncio.sleep(1.1)
        async with http.get(f"{base}/api/v1/dashboard", **get) as response:
            later = await response.json()
        assert len(later["sources"]) == 4
        await storage.sources.ensure("later", name="Later", kind="rss", url=None)
        url = f"{base}/api/v1/sources/wire"
        async with http.post(url, json={"enabled": False}, **get) as response:
            assert response.status == 200
        async with http.get(f"{base}/api/v1/dashboard", **get) as response:
            switched = await response.json()  # a switch here drops the snapshot at once
        assert len(switched["sources"]) == 5


async def test_poll_now_during_a_running_poll_does_not_start_a_second_one(
    settings, storage, monkeypatch
):
    monkeypatch.setattr(scheduler_module, "CONTROL_S", 0.2)
    server = await FeedServer().start()
    server.slow("/wire.xml", 1.5, FEED)
    try:
        scheduler = scheduler_for(settings, storage, server.url("/wire.xml"))
        await scheduler.start()
        assert await hits_within(server, 1, 10)  # the first poll, still waiting on the feed
        await storage.sources.request_poll("wire", at=datetime.now(UTC))
        await asyncio.sleep(1.0)  # the request is read while that poll runs
        assert (await storage.sources.get("wire")).poll_requested_at is None
        await asyncio.sleep(2.0)
        assert server.max_in_flight == 1 and len(server.requests("/wire.xml")) == 1
        await scheduler.stop()
    finally:
        await server.close()
