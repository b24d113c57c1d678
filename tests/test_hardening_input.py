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
from bot.models import ChatRef, IncomingCommand
from bot.sources.scheduler import SourceScheduler
from bot.wiring import build_core
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


# -- item 10: a draft looks exactly like an unknown id --------------------------------------


def _said(text: str, *, user: str = "u1", admin: bool = False) -> IncomingCommand:
    return IncomingCommand(
        chat=ChatRef("telegram", "100"), text=text, user_id=user, is_admin=admin, can_manage=True
    )


async def test_drafts_answer_like_unknown_ids_everywhere_a_chat_names_an_id(
    storage: SqlStorage, settings: Settings
):
    core = await build_core(settings, storage, inbox=None, on_enqueued=lambda: None)
    draft = await core.pipeline.ingest_bytes(
        article_md("Secret listing: exchange adds DOGE2", "d-1")
        .replace("---\n\n", "draft: true\n---\n\n")
        .encode(),
        origin="draft.md",
    )
    assert draft.status == "draft" and draft.article is not None
    published = await core.pipeline.ingest_bytes(
        article_md("Bitcoin ETF flows turn positive", "p-1").encode(), origin="p.md"
    )
    assert published.article is not None and published.story is not None
    # the published article later withdrawn to a draft: its story has no visible article left
    withdrawn = article_md(
        "Bitcoin ETF flows turn positive", "p-1", updated="2026-01-07T00:00:00Z"
    ).replace("---\n\n", "draft: true\n---\n\n")
    assert (await core.pipeline.ingest_bytes(withdrawn.encode(), origin="p.md")).status == "draft"
    handle = core.services.handle_command
    unknown = 987654

    async def answer(text: str) -> str:
        reply = await handle(_said(text, admin=True))
        assert reply.error, reply.text
        return reply.text

    draft_id, story_id = draft.article.id, published.story.id
    assert await answer(f"/why {draft_id}") == (await answer(f"/why {unknown}")).replace(
        str(unknown), str(draft_id)
    )
    assert await answer(f"/post {draft_id}") == (await answer(f"/post {unknown}")).replace(
        str(unknown), str(draft_id)
    )
    assert await answer(f"/story {story_id}") == (await answer(f"/story {unknown}")).replace(
        str(unknown), str(story_id)
    )
    for text in (f"/why {draft_id}", f"/post {draft_id}", f"/story {story_id}"):
        assert "Secret listing" not in await answer(text) and "draft" not in await answer(text)


# -- item 11: credentials in URLs, in output and logs --------------------------------------


def test_config_show_and_logs_mask_every_credential_in_urls(tmp_path: Path):
    config = tmp_path / "cw.toml"
    config.write_text(
        '[storage]\nurl = "postgresql://postgres:Sup3rS3cretPW@127.0.0.1:1/cw"\n'
        '[delivery]\nrate_limit_url = "redis://:R3disPW@127.0.0.1:6379/0"\n'
        '[[sources]]\nname = "feed"\nkind = "rss"\n'
        'url = "https://feeds.example.org/rss?token=FeedT0ken42&lang=en"\n'
        '[[sources]]\nname = "private"\nkind = "rss"\n'
        'url = "https://reader:F33dPW@feeds.example.org/private.xml"\n',
        encoding="utf-8",
    )
    shown = cryptowire("--config", str(config), "config", "show", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    for secret in ("Sup3rS3cretPW", "R3disPW", "FeedT0ken42", "F33dPW"):
        assert secret not in shown.stdout
    assert "postgresql://postgres:***@127.0.0.1:1/cw" in shown.stdout
    assert "redis://:***@127.0.0.1:6379/0" in shown.stdout
    assert "?token=***&lang=en" in shown.stdout
    # the database is unreachable: every log line and the error stay free of the password
    failed = cryptowire("-v", "--config", str(config), "latest", cwd=tmp_path)
    assert failed.returncode == 1
    assert "Sup3rS3cretPW" not in failed.stderr + failed.stdout


def test_log_lines_mask_url_credentials_from_any_library(caplog: pytest.LogCaptureFixture):
    import logging

    from bot.ops.logs import MASKER

    logger = logging.getLogger("some.library")
    logger.addFilter(MASKER)
    try:
        with caplog.at_level(logging.INFO, logger="some.library"):
            logger.info("connecting to %s", "postgresql://u:hunter2pw@db:5432/x")
            logger.warning("GET https://x.org/f.xml?api_key=k3yk3y&page=2 failed")
    finally:
        logger.removeFilter(MASKER)
    text = caplog.text
    assert "hunter2pw" not in text and "k3yk3y" not in text
    assert "postgresql://u:***@db:5432/x" in text and "api_key=***&page=2" in text


# -- item 12: search filters that cannot be applied ------------------------------------------


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("etf since:banana", "'since:banana' is not a time"),
        ("etf sentiment:angry", "'sentiment:angry' is not a sentiment"),
        ("etf tag:", "Tag: needs a value"),
    ],
)
async def test_chat_search_names_the_bad_filter(storage: SqlStorage, query: str, problem: str):
    assert problem in await Bot(storage).fails(f"/search {query}")


def test_cli_search_takes_every_argument_and_exits_2_on_a_bad_filter(tmp_path: Path):
    db = ("--database-url", f"sqlite:///{tmp_path / 'x.db'}")
    inbox = tmp_path / "in"
    inbox.mkdir()
    recent = "2026-12-01T10:00:00Z"
    (inbox / "a.md").write_text(
        article_md("ETF outflows hit a record", "e-1", published=recent), encoding="utf-8"
    )
    (inbox / "b.md").write_text(
        article_md("Record outflows from ETF issuers", "e-2", published="2026-01-01T10:00:00Z"),
        encoding="utf-8",
    )
    assert cryptowire(*db, "ingest", str(inbox), cwd=tmp_path).returncode == 0
    found = cryptowire(*db, "search", "etf outflows", "since:2026-11-01", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert "ETF outflows hit a record" in found.stdout
    assert "Record outflows" not in found.stdout  # before since:, and not the phrase
    for bad, problem in (
        ("since:banana", "'since:banana' is not a time"),
        ("sentiment:angry", "'sentiment:angry' is not a sentiment"),
        ("tag:", "tag: needs a value"),
    ):
        result = cryptowire(*db, "search", "etf", bad, cwd=tmp_path)
        assert result.returncode == 2, (bad, result.stdout)
        assert result.stderr.startswith(f"error: {problem}"), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


# -- item 13: a reply to a user who blocked the bot --------------------------------------------


async def test_a_reply_to_a_user_who_blocked_the_bot_marks_the_chat_gone_in_one_line(
    storage: SqlStorage, settings: Settings, caplog: pytest.LogCaptureFixture
):
    import logging

    from tests.fakes.telegram_harness import running_adapter
    from tests.fakes.telegram_state import BLOCKED

    core = await build_core(settings, storage, inbox=None, on_enqueued=lambda: None)
    alice = 1001
    with caplog.at_level(logging.INFO):
        async with running_adapter(core.services) as (fake, _):
            chat = fake.private_chat(alice, "Alice", "alice")
            fake.command(chat, alice, "/subscribe BTC")
            await fake.wait_for(lambda: len(fake.messages_in(alice)) == 1)
            fake.inject(BLOCKED, chat_id=alice, times=None)
            fake.command(chat, alice, "/subscriptions")
            await fake.wait_for(lambda: len(fake.calls_to("sendMessage")) >= 2)
            ref = ChatRef("telegram", str(alice))

            async def gone() -> bool:
                found = await storage.chats.find(ref)
                return found is not None and not found.active

            await _until(gone, within=5)
            await asyncio.sleep(0.3)  # any error handling would have logged by now
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    assert not any(r.exc_info or r.exc_text for r in caplog.records)
    lines = [r.getMessage() for r in caplog.records if "chat gone" in r.getMessage()]
    assert len(lines) == 1 and "blocked" in lines[0]
    assert len(fake.calls_to("sendMessage")) == 2  # no apology sent into the void


# -- item 14: every user-sent value is bounded -------------------------------------------------


async def test_keywords_and_commands_are_bounded_and_never_echoed_whole(storage: SqlStorage):
    bot = Bot(storage)
    long_word = "x" * 5000
    for text in (
        f"/subscribe BTC keyword:{long_word}",
        f'/subscribe BTC keyword:"{"word " * 1000}"',
        f"/subscribe BTC -keyword:{long_word}",
        f"/subscribe {long_word}",
        f"/timezone {long_word}",
        f"/mute {long_word}",
        f"/help {long_word}",
        f"/why {long_word}",
        "/subscribe " + "BTC " * 2000,
        "/latest " + "y" * 6000,
    ):
        answer = await bot.fails(text)
        assert len(answer) < 300, (text[:40], answer[:100])
    assert await bot.storage.chats.find(ChatRef("telegram", "100")) is None or not (
        await bot.storage.chats.list_subscriptions(
            (await bot.storage.chats.find(ChatRef("telegram", "100"))).id  # type: ignore[union-attr]
        )
    )
    ok = await bot.ok('/subscribe BTC keyword:"spot bitcoin etf approval"')
    assert "spot bitcoin etf approval" in ok
