"""/latest, /search, /story and /why against real stored articles, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.ingest.pipeline import IngestPipeline
from bot.models import Article, ChatRef, DeliveryKind, NewDelivery, Sentiment
from storage.plugin import SqlStorage
from tests.command_helpers import Bot

T = datetime(2026, 1, 7, 8, 0, tzinfo=UTC)


def article(title: str, **fields: object) -> Article:
    base: dict[str, object] = {
        "title": title,
        "summary": f"{title}. Traders reacted quickly.",
        "body": f"{title}. Analysts said the move was widely expected by the market.",
        "source_key": "decrypt",
        "source_name": "Decrypt",
        "published_at": T,
        "tags": ("BTC",),
        "sentiment": Sentiment.NEUTRAL,
    }
    base.update(fields)
    slug = title.lower().replace(" ", "-")[:40]
    base.setdefault("url", f"https://{base['source_key']}.example/{slug}")
    return Article(**base)  # type: ignore[arg-type]


@pytest.fixture
async def seeded(storage: SqlStorage) -> dict[str, Article]:
    """Five invented articles through the real ingest pipeline."""
    pipeline = IngestPipeline(storage.archive, max_bytes=2**21, story_window=timedelta(hours=72))
    items = {
        "etf": article(
            "Spot bitcoin ETF inflows hit a record 1 billion dollars",
            tags=("BTC", "ETF"),
            sentiment=Sentiment.POSITIVE,
        ),
        "etf2": article(
            "Spot bitcoin ETF inflows hit a record 1 billion dollars",
            source_key="coindesk",
            source_name="CoinDesk",
            published_at=T + timedelta(minutes=20),
            tags=("BTC", "ETF"),
            sentiment=Sentiment.POSITIVE,
        ),
        "eth": article(
            "Ethereum developers set a date for the next network upgrade",
            published_at=T + timedelta(hours=1),
            tags=("ETH",),
        ),
        "hack": article(
            "Solana lending protocol loses 4 million dollars in an exploit",
            published_at=T + timedelta(hours=2),
            tags=("SOL", "DEFI"),
            sentiment=Sentiment.NEGATIVE,
            source_key="theblock",
            source_name="The Block",
        ),
        "draft": article(
            "Draft: bitcoin miners sell reserves", published_at=T + timedelta(hours=3), draft=True
        ),
    }
    stored = {}
    for name, item in items.items():
        outcome = await pipeline.ingest_article(item, origin=f"test:{name}")
        assert outcome.article is not None and outcome.article.id is not None, outcome
        stored[name] = outcome.article
    return stored


@pytest.fixture
def bot(storage: SqlStorage) -> Bot:
    return Bot(storage)


async def test_latest_lists_newest_first_with_articles_attached(bot: Bot, seeded):
    reply = await bot.say("/latest")
    assert not reply.error
    titles = [a.title for a in reply.articles]
    assert titles[0] == seeded["hack"].title
    assert seeded["draft"].title not in titles
    assert reply.text.startswith("Latest news:\n[")
    btc = await bot.say("/latest btc 1")
    assert [a.id for a in btc.articles] == [seeded["etf2"].id]
    assert btc.text.startswith("Latest BTC news:")
    assert f"[{seeded['etf2'].id}] Spot bitcoin ETF" in btc.text
    two = (await bot.say("/latest 2 BTC")).articles
    assert len(two) == 2 and two == (await bot.say("/latest BTC 2")).articles


async def test_latest_for_an_unknown_tag_suggests_close_ones(bot: Bot, seeded):
    assert await bot.ok("/latest ETHH") == "No articles tagged ETHH yet. Did you mean ETH?"
    assert "he count goes from 1 to 20" in await bot.fails("/latest BTC 0")
    assert "t most a tag and a count" in await bot.fails("/latest BTC ETH 3")


async def test_search_uses_the_archive_query(bot: Bot, seeded):
    reply = await bot.say("/search exploit lending")
    assert [a.id for a in reply.articles] == [seeded["hack"].id]
    assert reply.text.startswith("Search results for exploit lending:")
    assert await bot.ok("/search dogecoin zebra") == (
        "Nothing found for dogecoin zebra; try fewer or other words."
    )
    assert "hat should I look for" in await bot.fails("/search")
    odd = await bot.say("/search lending's \"exploit")
    assert not odd.error and [a.id for a in odd.articles] == [seeded["hack"].id]


async def test_story_shows_every_source(bot: Bot, seeded):
    story_id = seeded["etf2"].story_id
    assert story_id == seeded["etf"].story_id  # the two ETF reports are one story
    reply = await bot.say(f"/story {story_id}")
    assert not reply.error
    assert {a.source_key for a in reply.articles} == {"decrypt", "coindesk"}
    assert reply.text.startswith(f"Story {story_id}: ")
    assert "2 article(s) from 2 source(s)" in reply.text
    assert "here is no story 9999" in await bot.fails("/story 9999")
    assert "is not a story id" in await bot.fails("/story abc")


async def test_why_explains_matches_and_misses(bot: Bot, seeded):
    eth, etf, draft = seeded["eth"], seeded["etf"], seeded["draft"]
    assert "no subscriptions, so nothing is sent here" in await bot.ok(f"/why {eth.id}")
    await bot.ok("/subscribe BTC")
    await bot.ok("/subscribe ETH negative")
    lines = (await bot.ok(f"/why {eth.id}")).splitlines()
    assert lines[0] == f"[{eth.id}] {eth.title}"
    assert lines[-3:] == [
        "subscription #1 wants BTC, article is tagged ETH",
        "subscription #2 wants negative news, article is neutral",
        "No subscription matches, so it was not sent here.",
    ]
    matched = (await bot.ok(f"/why {etf.id}")).splitlines()
    assert matched[-3:] == [
        "subscription #1 matches",
        "subscription #2 wants ETH, article is tagged BTC, ETF; "
        "wants negative news, article is positive",
        "No alert for it was queued here: alerts go out when an article is first published, "
        "and it may predate the subscription. This chat gets instant alerts.",
    ]
    await bot.ok("/mute 1h")
    assert "muted now" in await bot.ok(f"/why {etf.id}")
    chat = await bot.storage.chats.find(ChatRef("telegram", "100"))
    assert chat is not None
    other_source = seeded["etf2"]  # the story's alert came from the other source's article
    alert = NewDelivery(chat.id, DeliveryKind.ALERT, T, etf.story_id, other_source.id)
    assert await bot.storage.outbox.enqueue_many([alert]) == 1
    assert (await bot.ok(f"/why {etf.id}")).endswith(
        f"An alert for its story ({etf.story_id}) was sent or is queued here; "
        "a chat gets one alert per story."
    )
    # a draft looks exactly like an unknown id (issue 15 item 10)
    assert await bot.fails(f"/why {draft.id}") == (
        f"There is no article {draft.id}; /latest shows recent ones"
    )
    assert "here is no article 9999" in await bot.fails("/why 9999")
    assert "Example: /why 42" in await bot.fails("/why")


async def test_why_is_per_chat(bot: Bot, seeded):
    await bot.ok("/subscribe SOL", chat="200")
    chat = await bot.storage.chats.find(ChatRef("telegram", "200"))
    assert chat is not None
    assert "subscription #1 matches" in await bot.ok(f"/why {seeded['hack'].id}", chat="200")
    assert "no subscriptions" in await bot.ok(f"/why {seeded['hack'].id}", chat="300")
