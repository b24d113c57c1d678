"""Issue 15, hostile and careless input: one test per defect, each failing before its fix.

Items: 3 (relative folder paths, missing folders), 6 (impossible dates), 7 (feed fields
without a cap), 10 (drafts visible by id), 11 (credentials in URLs), 12 (search filters
that were silently ignored), 13 (a blocked user's reply logged as a traceback), 14
(unbounded user values). The YAML bomb (item 5) and the corpus are in tests/hostile/.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from command_helpers import Bot
from sources_support import FeedServer, article_md, rss_document, rss_item

from bot.config import HttpConfig, Settings, SourceConfig, load_settings
from bot.ingest.pipeline import IngestPipeline
from bot.sources.scheduler import SourceScheduler
from storage.plugin import SqlStorage
from tests.test_cli_foundation import cryptowire


def _pipeline(storage: SqlStorage) -> IngestPipeline:
    return IngestPipeline(
        storage.archive, max_bytes=2 * 1024 * 1024, story_window=timedelta(hours=72)
    )


async def _until(condition, *, within: float) -> float:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not await condition():
        if loop.time() - start > within:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
    return loop.time() - start


# -- item 3: relative folder paths, missing folders -------------------------------------


def test_relative_folder_paths_are_resolved_against_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "cw.toml").write_text(
        '[[sources]]\nname = "inbox"\nkind = "folder"\npath = "./inbox"\n'
        '[[sources]]\nname = "up"\nkind = "folder"\npath = "../shared/drop"\n',
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = load_settings(conf / "cw.toml", env={})
    assert [s.path for s in settings.sources] == [conf / "inbox", tmp_path / "shared" / "drop"]


async def test_a_relative_folder_gets_file_events_within_a_second(
    storage: SqlStorage, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """`path = "./inbox"` (as config.example.toml has it): events name absolute paths,
    which used to fall outside the relative folder, so files waited for the next scan."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inbox").mkdir()
    scheduler = SourceScheduler(
        settings, _pipeline(storage), storage.sources, settle_s=0.2, rng=random.Random(1)
    )
    scheduler.add_folder("Inbox", Path("./inbox"), interval_s=3600)  # no scan to fall back on
    await scheduler.start()
    try:
        await asyncio.sleep(0.5)  # the start-up scan of the empty folder
        (tmp_path / "inbox" / "a.md").write_text(article_md("Relative inbox news", "r-1"))

        async def stored() -> bool:
            return bool(await storage.archive.latest())

        assert await _until(stored, within=3) < 1.5
    finally:
        await scheduler.stop()


def test_config_check_names_a_folder_that_will_be_created_and_refuses_a_file(tmp_path: Path):
    config = tmp_path / "cw.toml"
    config.write_text('[[sources]]\nname = "in"\nkind = "folder"\npath = "in"\n')
    result = cryptowire("--config", str(config), "config", "check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"note: folder {tmp_path / 'in'} (source 'in') is created at start" in result.stdout
    (tmp_path / "in").write_text("a file, not a folder")
    result = cryptowire("--config", str(config), "config", "check", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(f"{tmp_path / 'in'} is not a folder")


# -- item 6: impossible dates -------------------------------------------------------------


def test_cli_ingest_rejects_year_9999_in_one_line_and_ingests_the_rest(tmp_path: Path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.md").write_text(
        article_md("Far future", "f-1", published="9999-12-31T23:59:59Z"), encoding="utf-8"
    )
    (inbox / "b.md").write_text(article_md("Plain news", "p-1"), encoding="utf-8")
    result = cryptowire(
        "--database-url", f"sqlite:///{tmp_path / 'x.db'}", "ingest", str(inbox), cwd=tmp_path
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "OverflowError" not in result.stderr
    assert "more than a year in the future" in result.stderr
    assert "1 new, 0 updated, 0 duplicate, 0 draft, 1 rejected" in result.stdout


@pytest.mark.parametrize(
    "query",
    [
        "etf since:9999-12-31T23:59:59-05:00",
        "etf since:0001-01-01T00:00:00+05:00",
        "etf since:0001-01-01",
    ],
)
async def test_chat_search_with_an_impossible_since_is_one_line(storage: SqlStorage, query: str):
    text = await Bot(storage).fails(f"/search {query}")
    assert "since:" in text and "went wrong" not in text


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = await FeedServer().start()
    yield server
    await server.close()


def _feed_scheduler(settings: Settings, storage: SqlStorage, url: str) -> SourceScheduler:
    configured = settings.model_copy(
        update={
            "sources": [SourceConfig(name="Wire", kind="rss", url=url, interval="5m")],
            "http": HttpConfig(timeout_s=2),
        }
    )
    return SourceScheduler(configured, _pipeline(storage), storage.sources, rng=random.Random(7))


async def test_a_feed_item_dated_9999_is_rejected_and_the_others_stored(
    storage: SqlStorage, settings: Settings, feed_server: FeedServer
):
    feed_server.feed(
        "/f.xml",
        rss_document(
            rss_item("w-1", "From the far future", pub_date="Fri, 31 Dec 9999 23:59:59 GMT"),
            rss_item("w-2", "Ordinary item"),
        ),
    )
    scheduler = _feed_scheduler(settings, storage, feed_server.url("/f.xml"))
    try:
        [report] = await scheduler.poll_once()
        assert report.rejected == 1 and report.new == 1, report
        assert [a.title for a in await storage.archive.latest()] == ["Ordinary item"]
    finally:
        await scheduler.stop()


# -- item 7: feed fields are capped like files ----------------------------------------------


async def test_a_4_mib_feed_title_is_cut_and_latest_still_answers(
    storage: SqlStorage, settings: Settings, feed_server: FeedServer
):
    huge = "Bitcoin " * (4 * 1024 * 1024 // 8)
    feed_server.feed(
        "/f.xml",
        rss_document(
            rss_item(
                "w-1",
                huge,
                link="http://127.0.0.1/" + "x" * 5000,
                categories=tuple(f"tag{i}" for i in range(500)),
                description="d" * 50_000,
            ),
            rss_item("w-2", "Ordinary item"),
        ),
    )
    scheduler = _feed_scheduler(
        settings.model_copy(update={"http": HttpConfig(max_response_bytes=8 * 1024 * 1024)}),
        storage,
        feed_server.url("/f.xml"),
    )
    try:
        [report] = await scheduler.poll_once()
        assert report.new == 2, report
    finally:
        await scheduler.stop()
    stored = {a.external_id: a for a in await storage.archive.latest()}
    big = stored["w-1"]
    assert len(big.title) <= 500 and big.title.startswith("Bitcoin Bitcoin")
    assert len(big.summary) <= 1000 and big.url is None and len(big.tags) <= 30
    reply = await Bot(storage).ok("/latest")
    assert len(reply) <= 4096 and "Ordinary item" in reply
