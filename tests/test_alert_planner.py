"""Ingest -> match -> schedule -> route -> outbox, with the real pipeline, storage and outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.alerts.matching import SubscriptionIndex
from bot.alerts.planner import AlertPlanner
from bot.ingest.pipeline import IngestPipeline
from bot.models import Article, ChatKind, ChatRef, Sentiment, SubscriptionFilter
from storage.plugin import SqlStorage, open_storage
from storage.tables import ChatRow, DeliveryRow
from tests.command_helpers import FakeClock

T = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
TITLE = "Spot bitcoin ETF inflows hit a record 1 billion dollars"


def article(title: str = TITLE, **fields: object) -> Article:
    base: dict[str, object] = {
        "title": title,
        "summary": f"{title}. Traders reacted quickly.",
        "body": f"{title}. Analysts said the move was widely expected.",
        "source_key": "decrypt",
        "source_name": "Decrypt",
        "published_at": T - timedelta(minutes=5),
        "tags": ("BTC", "ETF"),
        "sentiment": Sentiment.POSITIVE,
    }
    base.update(fields)
    return Article(**base)  # type: ignore[arg-type]


@dataclass
class Row:
    chat: int
    kind: str
    due: datetime
    story: int | None
    subscription: int | None
    payload: dict


@dataclass
class World:
    storage: SqlStorage
    clock: FakeClock
    index: SubscriptionIndex
    planner: AlertPlanner
    pipeline: IngestPipeline

    async def chat(self, name: str, *filters: SubscriptionFilter, **kw: object) -> int:
        chat = await self.storage.chats.get_or_create(ChatRef("telegram", name), **kw)  # type: ignore[arg-type]
        for flt in filters:
            await self.storage.chats.add_subscription(chat.id, flt)
        return chat.id

    async def ingest(self, item: Article, origin: str) -> Article:
        outcome = await self.pipeline.ingest_article(item, origin=origin)
        assert outcome.article is not None, outcome
        return outcome.article

    async def rows(self) -> list[Row]:
        async with self.storage.db.session() as session:
            found = await session.scalars(select(DeliveryRow).order_by(DeliveryRow.id))
            return [
                Row(r.chat_id, r.kind, r.due_at, r.story_id, r.subscription_id, r.payload)
                for r in found
            ]


def wants(*tags: str, **parts: object) -> SubscriptionFilter:
    return SubscriptionFilter(tags=frozenset(tags), **parts)  # type: ignore[arg-type]


@pytest.fixture
async def world(storage: SqlStorage) -> World:
    clock = FakeClock(T)
    planner = await AlertPlanner.load(storage.chats, storage.outbox, clock)  # type: ignore[attr-defined]
    index = planner.index
    pipeline = IngestPipeline(storage.archive, max_bytes=2**21, story_window=timedelta(hours=72))  # type: ignore[attr-defined]
    pipeline.add_listener(planner)
    return World(storage, clock, index, planner, pipeline)


async def test_one_alert_per_chat_however_many_subscriptions_match(world: World):
    both = await world.chat("1", wants("BTC"), wants("ETF"), wants(keywords=("inflows",)))
    one = await world.chat("2", wants("BTC", sentiments=frozenset({Sentiment.POSITIVE})))
    await world.chat("3", wants("ETH"))
    await world.chat("4", wants("BTC", sentiments=frozenset({Sentiment.NEGATIVE})))
    stored = await world.ingest(article(), "a")
    rows = await world.rows()
    assert sorted(r.chat for r in rows) == sorted([both, one])
    assert {r.kind for r in rows} == {"alert"}
    assert all(r.due == T and r.story == stored.story_id for r in rows)
    subs = {s.id for s in await world.storage.chats.list_subscriptions(both)}
    assert next(r.subscription for r in rows if r.chat == both) in subs


async def test_a_second_source_of_the_story_sends_nothing_new(world: World):
    await world.chat("1", wants("BTC"))
    first = await world.ingest(article(), "a")
    second = await world.ingest(
        article(source_key="coindesk", source_name="CoinDesk", published_at=T), "b"
    )
    assert second.story_id == first.story_id
    assert len(await world.rows()) == 1


async def test_a_later_article_alerts_only_chats_that_had_nothing_for_the_story(world: World):
    btc = await world.chat("1", wants("BTC"))
    sol = await world.chat("2", wants("SOL"))
    await world.ingest(article(), "a")
    later = article(source_key="coindesk", source_name="CoinDesk", tags=("BTC", "SOL"))
    await world.ingest(later, "b")
    rows = await world.rows()
    assert sorted(r.chat for r in rows) == sorted([btc, sol])


async def test_schedule_rules_decide_kind_and_time(world: World):
    chats = world.storage.chats
    instant = await world.chat("1", wants("BTC"))
    digest = await world.chat("2", wants("BTC"))
    await chats.update_settings(digest, mode="digest", digest_schedule="hourly")
    quiet = await world.chat("3", wants("BTC"))
    await chats.update_settings(quiet, quiet_start="11:00", quiet_end="13:30")
    muted = await world.chat("4", wants("BTC"))
    await chats.update_settings(muted, muted_until=T + timedelta(hours=1))
    gone = await world.chat("5", wants("BTC"))
    async with world.storage.db.session() as session:  # gone without telling the index
        (await session.get(ChatRow, gone)).active = False  # type: ignore[union-attr]
    await world.ingest(article(), "a")
    rows = {r.chat: r for r in await world.rows()}
    assert set(rows) == {instant, digest, quiet}
    assert (rows[instant].kind, rows[instant].due) == ("alert", T)
    assert (rows[digest].kind, rows[digest].due) == ("digest", T + timedelta(hours=1))
    assert (rows[quiet].kind, rows[quiet].due) == ("digest", T + timedelta(hours=1, minutes=30))


async def test_no_second_kind_for_a_story_after_a_settings_change(world: World):
    chat = await world.chat("1", wants("BTC"))
    await world.storage.chats.update_settings(chat, mode="digest", digest_schedule="hourly")
    await world.ingest(article(), "a")
    await world.storage.chats.update_settings(chat, mode="instant", digest_schedule=None)
    await world.ingest(article(source_key="coindesk", source_name="CoinDesk"), "b")
    assert [r.kind for r in await world.rows()] == ["digest"]


async def test_forum_routes_and_mentions_go_into_the_payload(world: World):
    group = await world.chat("-100", wants("ETF"), kind=ChatKind.GROUP)
    await world.storage.chats.set_route(group, "ETF", "77")
    other = await world.storage.chats.get_or_create(ChatRef("discord", "9"))
    await world.storage.chats.add_subscription(other.id, wants("BTC"), mention="@traders")
    await world.ingest(article(), "a")
    rows = {r.chat: r for r in await world.rows()}
    assert rows[group].payload == {"thread_id": "77"}
    assert rows[other.id].payload == {"mention": "@traders"}


async def test_drafts_and_repeats_never_alert(world: World):
    await world.chat("1", wants("BTC"))
    await world.ingest(article("Miners sell reserves as hashprice falls", draft=True), "d")
    assert await world.rows() == []
    await world.ingest(article(), "a")
    await world.ingest(article(), "a-again")  # the same article again: a duplicate
    assert len(await world.rows()) == 1


async def test_subscriptions_from_another_process_are_seen_before_matching(world: World, settings):
    other = open_storage(settings)
    try:
        chat = await other.chats.get_or_create(ChatRef("telegram", "7"))
        await other.chats.add_subscription(chat.id, wants("BTC"))
    finally:
        await other.close()
    await world.ingest(article(), "a")
    assert [r.chat for r in await world.rows()] == [chat.id]


async def test_a_draft_set_live_alerts_once(world: World):
    chat = await world.chat("1", wants("BTC"))
    draft = article(draft=True, external_id="42", url="https://decrypt.example/42")
    await world.ingest(draft, "draft")
    assert await world.rows() == []
    live = article(external_id="42", url="https://decrypt.example/42", updated_at=T)
    outcome = await world.pipeline.ingest_article(live, origin="live")
    assert outcome.status == "updated" and outcome.published_now
    assert [(r.chat, r.kind) for r in await world.rows()] == [(chat, "alert")]
