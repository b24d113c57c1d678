"""The feed fetcher against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator

import pytest
from sources_support import FeedServer, rss_document, rss_item

from bot.config import HttpConfig
from bot.sources.base import SourceError
from bot.sources.http_fetch import Fetcher

FEED = rss_document(rss_item("g1", "Bitcoin tops $100K"))


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    feed_server = await FeedServer().start()
    yield feed_server
    await feed_server.close()


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    client = Fetcher(
        HttpConfig(timeout_s=0.5, max_response_bytes=64 * 1024, user_agent="CW-test/1")
    )
    yield client
    await client.aclose()


async def test_etag_round_trip_gives_304_and_sends_user_agent(server, fetcher) -> None:
    server.feed("/feed.xml", FEED, etag='"v1"')
    first = await fetcher.fetch(server.url("/feed.xml"))
    assert first.status_code == 200 and first.body == FEED and first.etag == '"v1"'
    second = await fetcher.fetch(server.url("/feed.xml"), etag=first.etag)
    assert second.not_modified and second.body == b""
    hits = server.requests("/feed.xml")
    assert hits[0].headers["User-Agent"] == "CW-test/1"
    assert "If-None-Match" not in hits[0].headers
    assert hits[1].headers["If-None-Match"] == '"v1"'


async def test_last_modified_is_sent_back_as_if_modified_since(server, fetcher) -> None:
    stamp = "Tue, 06 Jan 2026 10:00:00 GMT"
    server.feed("/lm.xml", FEED, last_modified=stamp)
    first = await fetcher.fetch(server.url("/lm.xml"))
    assert first.last_modified == stamp
    second = await fetcher.fetch(server.url("/lm.xml"), last_modified=stamp)
    assert second.not_modified
    assert server.requests("/lm.xml")[1].headers["If-Modified-Since"] == stamp


async def test_redirects_are_followed_to_the_final_url(server, fetcher) -> None:
    server.feed("/new.xml", FEED)
    server.redirect("/old.xml", "/middle.xml", 301)
    server.redirect("/middle.xml", "/new.xml", 302)
    result = await fetcher.fetch(server.url("/old.xml"))
    assert result.body == FEED
    assert result.url == server.url("/new.xml")


async def test_redirect_loop_is_a_clear_error(server, fetcher) -> None:
    server.redirect("/a", "/b")
    server.redirect("/b", "/a")
    with pytest.raises(SourceError, match=r"^more than 5 redirects$"):
        await fetcher.fetch(server.url("/a"))
    assert len(server.hits) == 6


async def test_server_error_names_the_status(server, fetcher) -> None:
    server.status("/broken.xml", 500)
    with pytest.raises(SourceError, match=r"^HTTP 500 Internal Server Error$"):
        await fetcher.fetch(server.url("/broken.xml"))


async def test_slow_response_times_out(server, fetcher) -> None:
    server.slow("/slow.xml", delay=3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(SourceError, match=r"^timed out after 0.5s$"):
        await fetcher.fetch(server.url("/slow.xml"))
    assert loop.time() - started < 2


async def test_trickling_body_hits_the_total_deadline(server, fetcher) -> None:
    # Each chunk arrives well within the read timeout; the whole body never does.
    server.trickle("/drip.xml", b" " * 10, count=100, pause=0.1)
    with pytest.raises(SourceError, match="timed out"):
        await fetcher.fetch(server.url("/drip.xml"))


async def test_declared_oversize_body_is_refused(server, fetcher) -> None:
    server.feed("/big.xml", b"x" * (64 * 1024 + 1))
    with pytest.raises(SourceError, match=r"over the 65536-byte cap"):
        await fetcher.fetch(server.url("/big.xml"))


async def test_streamed_oversize_body_is_cut_off(server, fetcher) -> None:
    server.trickle("/stream.xml", b"y" * 8192, count=100)
    with pytest.raises(SourceError, match=r"exceeds the 65536-byte cap"):
        await fetcher.fetch(server.url("/stream.xml"))


async def test_gzip_is_decoded(server, fetcher) -> None:
    server.feed("/gz.xml", FEED, gzipped=True)
    result = await fetcher.fetch(server.url("/gz.xml"))
    assert result.body == FEED
    assert "gzip" in server.requests("/gz.xml")[0].headers["Accept-Encoding"]


async def test_gzip_bomb_counts_decoded_bytes(server, fetcher) -> None:
    bomb = b"<rss>" + b" " * (1024 * 1024) + b"</rss>"
    assert len(gzip.compress(bomb)) < 64 * 1024
    server.feed("/bomb.xml", bomb, gzipped=True)
    with pytest.raises(SourceError, match="cap"):
        await fetcher.fetch(server.url("/bomb.xml"))


async def test_refused_connection_is_one_line(server, fetcher) -> None:
    port = server.port
    await server.close()
    with pytest.raises(SourceError, match=r"^cannot connect") as caught:
        await fetcher.fetch(f"http://127.0.0.1:{port}/feed.xml")
    assert "\n" not in str(caught.value)


async def test_per_host_concurrency_limit() -> None:
    one, two = await FeedServer().start(), await FeedServer().start()
    fetcher = Fetcher(HttpConfig(timeout_s=5, per_host_concurrency=2))
    try:
        for server in (one, two):
            for n in range(4):
                server.slow(f"/f{n}.xml", delay=0.15)
        urls = [s.url(f"/f{n}.xml") for s in (one, two) for n in range(4)]
        await asyncio.gather(*(fetcher.fetch(url) for url in urls))
        assert one.max_in_flight == 2
        assert two.max_in_flight == 2
        assert len(one.hits) == len(two.hits) == 4
    finally:
        await fetcher.aclose()
        await one.close()
        await two.close()


async def test_retry_after_is_passed_on(server, fetcher) -> None:
    server.status("/busy.xml", 429, headers={"Retry-After": "120"})
    with pytest.raises(
        SourceError, match=r"^HTTP 429 Too Many Requests \(retry after 120s\)$"
    ) as e:
        await fetcher.fetch(server.url("/busy.xml"))
    assert e.value.retry_after == 120


def test_retry_after_header_forms() -> None:
    from datetime import UTC, datetime

    from bot.sources.http_fetch import retry_after

    now = datetime(2026, 1, 6, 12, 0, tzinfo=UTC)
    assert retry_after("30") == 30
    assert retry_after("Tue, 06 Jan 2026 12:05:00 GMT", now=now) == 300
    assert retry_after("Tue, 06 Jan 2026 11:00:00 GMT", now=now) == 0  # already past
    assert retry_after("9999999") == 86400  # capped at a day
    assert retry_after("soon") is None and retry_after(None) is None


async def test_non_http_urls_are_refused_without_touching_files(fetcher, tmp_path) -> None:
    secret = tmp_path / "feed.xml"
    secret.write_text("<rss/>")
    with pytest.raises(SourceError, match=r"^unsupported URL scheme in 'file://.*' \(use http"):
        await fetcher.fetch(secret.as_uri())
