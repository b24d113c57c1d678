"""The shared command language: parsing, subscriptions, permissions and failures."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from bot.commands.handler import APOLOGY, COMMANDS
from bot.models import Article, ChatKind, ChatRef, Sentiment
from storage.plugin import SqlStorage
from tests.command_helpers import Bot


@pytest.fixture
def bot(storage: SqlStorage) -> Bot:
    return Bot(storage)


def btc_article(**changes: object) -> Article:
    fields: dict[str, object] = {
        "id": 1,
        "story_id": 1,
        "title": "Bitcoin spot ETF inflows hit a record",
        "source_key": "decrypt",
        "source_name": "Decrypt",
        "published_at": datetime(2026, 1, 7, 9, tzinfo=UTC),
        "tags": ("BTC",),
        "sentiment": Sentiment.POSITIVE,
    }
    fields.update(changes)
    return Article(**fields)  # type: ignore[arg-type]


async def test_start_and_help_list_every_command(bot: Bot):
    assert "/subscribe BTC" in await bot.ok("/start")
    listing = await bot.ok("/help")
    for spec in COMMANDS:
        assert spec.usage in listing
    assert (await bot.ok("/help subscribe")).startswith("/subscribe TAG...")
    assert "/help" in await bot.fails("/help nosuch")


async def test_commands_are_case_insensitive_and_accept_the_bot_name(bot: Bot):
    assert "Subscribed #" in await bot.ok("/SUBSCRIBE@cryptowirebot btc")
    assert "Subscribed #" in await bot.ok("/Subscribe@CryptowireBot eth")
    other = await bot.say("/subscribe@SomeOtherBot sol")
    assert other.text == "" and not other.error  # meant for another bot: stay silent
    assert "#1 BTC" in await bot.ok("/subscriptions")


async def test_subscribe_stores_every_filter_part_and_indexes_it(bot: Bot):
    reply = await bot.ok(
        '/subscribe BTC ETH positive source:Decrypt keyword:"spot etf" -keyword:scam lang:en'
    )
    assert reply.startswith("Subscribed #1 BTC ETH positive source:decrypt")
    assert 'keyword:"spot etf" -keyword:scam lang:en' in reply
    chat = await bot.storage.chats.find(ChatRef("telegram", "100"))
    (stored,) = await bot.storage.chats.list_subscriptions(chat.id)
    assert stored.filter.keywords == ("spot etf",)
    assert stored.filter.sentiments == {Sentiment.POSITIVE}
    assert bot.index.match(btc_article()) == {stored.id}
    assert bot.index.match(btc_article(title="Bitcoin spot ETF scam alert")) == set()
    assert bot.index.match(btc_article(sentiment=Sentiment.NEGATIVE)) == set()


BAD_SUBSCRIPTIONS = [
    ("/subscribe BTC sideways", "'sideways' is neither a sentiment (positive, negative"),
    ("/subscribe BTCC", "did you mean BTC"),
    ("/subscribe BTC positiv", "did you mean positive"),
    ("/subscribe", "e.g. /subscribe BTC ETH positive"),
    ("/subscribe source:", "needs a value after the colon"),
    ("/subscribe color:red", "'color:' is not a filter"),
    ('/subscribe keyword:"spot etf', "quote is not closed"),
    ("/subscribe keyword:etf -keyword:etf", "both wanted and excluded"),
    ("/subscribe lang:english", "not a language code"),
    ("/subscribe keyword:!!!", "has no letters or digits"),
]


async def test_bad_subscriptions_get_one_line_with_the_problem(bot: Bot):
    for command, expected in BAD_SUBSCRIPTIONS:  # one database for the whole table
        line = await bot.fails(command)
        assert expected in line, command
    assert await bot.ok("/subscriptions") == (
        "No subscriptions yet. Example: /subscribe BTC ETH positive\n"
        "Delivery: instant alerts; time zone UTC."
    )


async def test_a_new_tag_can_be_insisted_on(bot: Bot):
    assert "Subscribed #1 NEWCOIN" in await bot.ok("/subscribe tag:newcoin")
    assert "Subscribed #2 OTHERCOIN" in await bot.ok("/subscribe #othercoin")


async def test_duplicates_and_the_per_chat_limit(storage: SqlStorage):
    bot = Bot(storage, limit=2)
    await bot.ok("/subscribe BTC")
    assert (await bot.ok("/subscribe btc")).startswith("Already subscribed: #1 BTC")
    await bot.ok("/subscribe ETH")
    assert "maximum of 2 subscriptions" in await bot.fails("/subscribe SOL")


async def test_unsubscribe_by_id_tag_and_all(bot: Bot):
    await bot.ok("/subscribe BTC")
    await bot.ok("/subscribe BTC ETH negative")
    await bot.ok("/subscribe SOL")
    await bot.ok("/subscribe XRP", chat="200")  # another chat's #4
    assert "has no subscription #4" in await bot.fails("/unsubscribe 4")
    assert await bot.ok("/unsubscribe #3") == "Removed subscription #3."
    assert "has no subscription #3" in await bot.fails("/unsubscribe 3")
    assert await bot.ok("/unsubscribe btc") == "Removed #1 BTC, #2 BTC ETH negative."
    assert "subscription here names DOGE" in await bot.fails("/unsubscribe DOGE")
    assert "/unsubscribe all" in await bot.fails("/unsubscribe")
    await bot.ok("/subscribe ETH")
    assert await bot.ok("/unsubscribe all") == "Removed all 1 subscription(s)."
    assert bot.index.match(btc_article(tags=("BTC", "ETH", "SOL"))) == set()
    assert bot.index.match(btc_article(tags=("XRP",))) == {4}


async def test_only_managers_change_a_group(bot: Bot):
    group = {"chat": "-100", "kind": ChatKind.GROUP}
    for command in ("/subscribe BTC", "/unsubscribe all", "/mute 2h", "/digest hourly"):
        line = await bot.fails(command, can_manage=False, **group)
        assert line.startswith("Only admins can change this group's subscriptions")
    channel = await bot.fails("/quiet off", can_manage=False, chat="-5", kind=ChatKind.CHANNEL)
    assert "this channel's" in channel
    assert "No subscriptions yet" in await bot.ok("/subscriptions", can_manage=False, **group)
    assert "Subscribed #1 BTC" in await bot.ok("/subscribe BTC", **group)


async def test_unknown_commands_and_plain_text(bot: Bot):
    assert await bot.fails("/subscrbe BTC") == (
        "Unknown command /subscrbe; did you mean /subscribe? /help lists them all."
    )
    assert await bot.fails("/frobnicate") == "Unknown command /frobnicate; /help lists them all."
    assert await bot.fails("hello bot") == "Commands start with a slash; try /help."
    assert "is not a command" in await bot.fails("/sub-scribe")


async def test_a_chat_that_was_gone_comes_back_with_its_subscriptions(bot: Bot):
    await bot.ok("/subscribe BTC")
    chat = await bot.storage.chats.find(ChatRef("telegram", "100"))
    await bot.storage.chats.deactivate(chat.id, "bot was blocked")
    bot.index.remove_chat(chat.id)
    assert bot.index.match(btc_article()) == set()
    reply = await bot.ok("/start")
    assert reply.startswith("Welcome back: 1 subscription(s) are active again.")
    assert bot.index.match(btc_article()) == {1}
    assert (await bot.storage.chats.get(chat.id)).active


async def test_no_exception_text_ever_reaches_the_chat(bot: Bot, caplog):
    await bot.ok("/subscribe BTC")
    async with bot.storage.db.connect() as connection:
        await connection.execute(text("DROP TABLE topic_routes"))
    with caplog.at_level(logging.ERROR, logger="cryptowire.commands"):
        reply = await bot.say("/subscriptions")
    assert reply.error and reply.text == APOLOGY
    assert "topic_routes" not in reply.text
    (record,) = [r for r in caplog.records if r.name == "cryptowire.commands"]
    assert "command /subscriptions failed in telegram:100 for user u1" in record.getMessage()
    assert record.exc_info is not None
