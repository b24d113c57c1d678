"""A console served on 127.0.0.1 over a real, seeded storage (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from archive_helpers import make

from bot.alerts.pipeline import plain_pipeline
from bot.config import Settings
from bot.models import ChatRef, Sentiment, SubscriptionFilter
from bot.web.server import WebServer
from bot.web.settings import WebConfig
from bot.web.views import ConsoleViews

PASSWORD = "correct horse battery staple"
TOKEN = "api-token-for-tests-0123456789"
HOSTILE = '<script>alert("x")</script> Bitcoin <img src=x onerror=alert(1)> ETF'


async def seed(settings: Settings, storage: Any) -> dict[str, int]:
    """Three stories, one with HTML in its title; returns their ids by name."""
    pipeline = plain_pipeline(settings, storage)
    now = datetime.now(UTC)
    items = {
        "hostile": make(
            HOSTILE, tags=("BTC",), at=now - timedelta(hours=2), url="https://a.example/1"
        ),
        "ether": make(
            "Ether upgrade ships on mainnet",
            tags=("ETH",),
            sentiment=Sentiment.POSITIVE,
            at=now - timedelta(hours=1),
        ),
        "sol": make("Solana outage halts blocks", tags=("SOL",), at=now - timedelta(minutes=30)),
    }
    ids = {}
    for name, article in items.items():
        outcome = await pipeline.ingest_article(article, origin=name)
        assert outcome.status == "new", outcome
        ids[name] = outcome.article.story_id
        ids[name + "_article"] = outcome.article.id
    pipeline.parser.close()
    chat = await storage.chats.get_or_create(ChatRef("telegram", "777"), title="<i>Desk</i> chat")
    sub = await storage.chats.add_subscription(chat.id, SubscriptionFilter(tags=frozenset({"ETH"})))
    ids["chat"], ids["subscription"] = chat.id, sub.id
    return ids


@asynccontextmanager
async def serve(storage: Any, *, api_token: str | None = TOKEN) -> AsyncIterator[str]:
    config = WebConfig(listen="127.0.0.1:0", password=PASSWORD, api_token=api_token)
    views = ConsoleViews(storage, lambda: ["console"], lambda: datetime.now(UTC))
    server = WebServer(config, views)
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()


def client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def log_in(http: aiohttp.ClientSession, base: str, password: str = PASSWORD) -> int:
    async with http.post(
        f"{base}/login", data={"password": password}, allow_redirects=False
    ) as response:
        return response.status
