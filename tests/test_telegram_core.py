"""The real command language through Telegram: real CommandHandler, real storage (both
databases), real python-telegram-bot polling the fake Bot API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.alerts.matching import SubscriptionIndex
from bot.commands.handler import COMMANDS, CommandHandler
from bot.ingest.pipeline import IngestPipeline
from bot.models import Article, ChatRef, Sentiment
from bot.ports import CoreServices
from storage.plugin import SqlStorage
from tests.fakes.telegram_harness import running_adapter

T = datetime(2026, 1, 7, 8, 0, tzinfo=UTC)
ALICE, BOB = 9001, 9002
BOT_ID = 4242


def real_core(storage: SqlStorage) -> CoreServices:
    handler = CommandHandler(
        storage.archive,
        storage.chats,
        SubscriptionIndex(),
        lambda: T + timedelta(hours=1),
        bot_name="cryptowire_test_bot",
    )
    return CoreServices(
        handle_command=handler.handle,
        known_tags=storage.archive.known_tags,
        subscribed_tags=handler.subscribed_tags,
        reply_language=handler.reply_language,  # as bot.wiring does
    )


async def seed(storage: SqlStorage, count: int) -> None:
    pipeline = IngestPipeline(storage.archive, max_bytes=2**21, story_window=timedelta(hours=72))
    for n in range(count):
        article = Article(
            title=f"Bitcoin <miners> & whales move {n} thousand coins, wallet {n * 7919}",
            summary=f"On-chain data shows movement number {n}.",
            body=f"Analysts tracked transfer {n} of {count} across exchanges.",
            source_key="decrypt",
            source_name="Decrypt",
            published_at=T - timedelta(minutes=10 * n),
            url=f"https://decrypt.example/move-{n}",
            tags=("BTC", "ETH") if n % 2 else ("BTC",),
            sentiment=Sentiment.NEGATIVE,
        )
        outcome = await pipeline.ingest_article(article, origin=f"test:{n}")
        assert outcome.status == "new", outcome


async def messages(fake, chat_id: int, count: int = 1) -> list[dict]:
    await fake.wait_for(lambda: len(fake.messages_in(chat_id)) >= count)
    return fake.messages_in(chat_id)


SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])  # no storage semantics involved


@SQLITE_ONLY
async def test_every_core_command_is_in_the_telegram_menu(storage: SqlStorage):
    async with running_adapter(real_core(storage), commands=COMMANDS) as (fake, _):
        (call,) = [c for c in fake.calls_to("setMyCommands") if "language_code" not in c.params]
    menu = {c["command"]: c["description"] for c in call.params["commands"]}
    assert list(menu) == [spec.name for spec in COMMANDS]
    assert menu["subscribe"] == "Get alerts for matching news"


async def test_private_subscribe_and_list(storage: SqlStorage):
    async with running_adapter(real_core(storage), commands=COMMANDS) as (fake, _):
        chat = fake.private_chat(ALICE, "Alice")
        fake.command(chat, ALICE, "/subscribe BTC negative")
        await messages(fake, ALICE, 1)
        fake.command(chat, ALICE, "/subscriptions")
        replies = await messages(fake, ALICE, 2)
    assert "BTC" in replies[0]["text"] and "⚠️" not in replies[0]["text"]
    assert "BTC" in replies[1]["text"] and "negative" in replies[1]["text"].lower()
    stored = await storage.chats.find(ChatRef("telegram", str(ALICE)))
    assert stored is not None and stored.kind.value == "private"


async def test_group_member_is_refused_by_the_core_and_admin_is_not(storage: SqlStorage):
    async with running_adapter(real_core(storage), commands=COMMANDS) as (fake, _):
        group = fake.group(-1002000000001, "Desk", admins={ALICE: "creator"})
        fake.command(group, BOB, "/subscribe BTC")
        (refusal,) = await messages(fake, group.id, 1)
        fake.command(group, ALICE, "/subscribe@cryptowire_test_bot BTC")
        replies = await messages(fake, group.id, 2)
    assert refusal["text"].startswith("⚠️ Only admins can change this group's subscriptions")
    assert "⚠️" not in replies[1]["text"] and "BTC" in replies[1]["text"]


async def test_channel_admin_configures_a_channel_from_private_chat(storage: SqlStorage):
    async with running_adapter(real_core(storage), commands=COMMANDS) as (fake, _):
        admins = {ALICE: "creator", BOT_ID: "administrator"}
        channel = fake.channel(-1002000000002, "Alpha", "alpha_news", admins=admins)
        private = fake.private_chat(ALICE)
        fake.command(private, ALICE, "/subscribe @alpha_news ETH positive")
        await messages(fake, ALICE, 1)
        fake.command(private, ALICE, "/subscriptions @alpha_news")
        replies = await messages(fake, ALICE, 2)
    assert "ETH" in replies[1]["text"]
    stored = await storage.chats.find(ChatRef("telegram", str(channel.id)))
    assert stored is not None and stored.kind.value == "channel"
    own = await storage.chats.find(ChatRef("telegram", str(ALICE)))
    assert own is None or await storage.chats.count_subscriptions(own.id) == 0


async def test_route_inside_a_forum_topic(storage: SqlStorage):
    async with running_adapter(real_core(storage), commands=COMMANDS) as (fake, _):
        forum = fake.group(-1002000000003, "Forum", admins={ALICE: "creator"}, forum=True)
        fake.command(forum, ALICE, "/route BTC", thread_id=55)
        (reply,) = await messages(fake, forum.id, 1)
    assert reply["text"] == "Alerts tagged BTC now go to this topic."
    assert reply["message_thread_id"] == 55
    stored = await storage.chats.find(ChatRef("telegram", str(forum.id)))
    assert stored is not None
    assert (await storage.chats.routes([stored.id]))[stored.id] == {"BTC": "55"}


async def test_picker_shows_archive_tags_and_subscribes(storage: SqlStorage):
    await seed(storage, 4)
    async with running_adapter(real_core(storage), commands=COMMANDS) as (fake, _):
        chat = fake.private_chat(ALICE)
        fake.command(chat, ALICE, "/subscribe")
        (picker,) = await messages(fake, ALICE, 1)
        assert [label for label, _ in fake.buttons(picker)[0]] == ["BTC", "ETH"]
        fake.press(ALICE, picker["message_id"], "sub:s:NEGATIVE", ALICE)
        fake.press(ALICE, picker["message_id"], "sub:t:ETH", ALICE)
        await fake.wait_calls("answerCallbackQuery", 2)
        await fake.wait_for(lambda: "✅ ETH" in labels(fake, ALICE))
        fake.press(ALICE, picker["message_id"], "sub:x", ALICE)
        await fake.wait_for(lambda: "reply_markup" not in fake.messages_in(ALICE)[0])
    stored = await storage.chats.find(ChatRef("telegram", str(ALICE)))
    assert stored is not None
    (subscription,) = await storage.chats.list_subscriptions(stored.id)
    assert subscription.filter.tags == {"ETH"}
    assert subscription.filter.sentiments == {Sentiment.NEGATIVE}
    assert "ETH" in fake.messages_in(ALICE)[0]["text"]


def labels(fake, chat_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [label for row in fake.buttons(fake.messages_in(chat_id)[-1]) for label, _ in row]


async def test_picker_reflects_and_switches_off_what_the_chat_follows(storage: SqlStorage):
    await seed(storage, 4)
    async with running_adapter(real_core(storage), commands=COMMANDS) as (fake, _):
        chat = fake.private_chat(ALICE)
        fake.command(chat, ALICE, "/subscribe BTC ETH")
        fake.command(chat, ALICE, "/subscribe SOL positive")
        await messages(fake, ALICE, 2)
        fake.command(chat, ALICE, "/subscribe")
        picker = (await messages(fake, ALICE, 3))[-1]
        # archive tags first, then followed tags the archive does not have yet
        assert labels(fake, ALICE)[:3] == ["✅ BTC", "✅ ETH", "✅ SOL"]
        fake.press(ALICE, picker["message_id"], "sub:t:BTC", ALICE)
        # /unsubscribe BTC removes the one subscription naming BTC, and with it ETH
        await fake.wait_for(lambda: labels(fake, ALICE)[:3] == ["BTC", "ETH", "✅ SOL"])
        (toast,) = fake.calls_to("answerCallbackQuery")
    assert toast.params["text"].startswith("Removed")
    stored = await storage.chats.find(ChatRef("telegram", str(ALICE)))
    assert stored is not None
    (left,) = await storage.chats.list_subscriptions(stored.id)
    assert left.filter.tags == {"SOL"}


async def test_latest_pages_through_real_archive_results(storage: SqlStorage):
    await seed(storage, 8)
    async with running_adapter(real_core(storage), commands=COMMANDS) as (fake, _):
        fake.command(fake.private_chat(ALICE), ALICE, "/latest BTC 8")
        (page,) = await messages(fake, ALICE, 1)
        assert "1. 🔴 Bitcoin <miners> & whales move 0 thousand coins" in page["text"]
        assert "&lt;miners&gt; &amp; whales" in page["_html"]
        (row,) = fake.buttons(page)
        assert [label for label, _ in row] == ["1/2", "Next ▶"]
        fake.press(ALICE, page["message_id"], row[1][1], ALICE)
        await fake.wait_calls("answerCallbackQuery")
        second = fake.messages_in(ALICE)[0]
    assert "6. 🔴 Bitcoin <miners> & whales move 5" in second["text"]
    assert "[1]" not in second["text"]


@SQLITE_ONLY
async def test_user_mistakes_get_one_warning_line(storage: SqlStorage):
    mistakes = ["/subscribe BTC sideways", "/frobnicate", '/subscribe keyword:"etf']
    async with running_adapter(real_core(storage), commands=COMMANDS) as (fake, _):
        chat = fake.private_chat(ALICE)
        for number, text in enumerate(mistakes, 1):
            fake.command(chat, ALICE, text)
            await messages(fake, ALICE, number)
        replies = fake.messages_in(ALICE)
    assert len(replies) == len(mistakes)
    for reply in replies:
        assert reply["text"].startswith("⚠️ ") and "\n" not in reply["text"]
        assert "Traceback" not in reply["text"]
    assert "sideways" in replies[0]["text"] and "/frobnicate" in replies[1]["text"]
