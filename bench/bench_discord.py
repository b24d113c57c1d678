"""Cost of one Discord alert send: render + real discord.py + HTTP to the local fake.

The dispatcher paces Discord at 25 sends/s (40 ms each), so the adapter's own cost per
send must stay far below that. Baseline: the same embed JSON posted with bare aiohttp to
the same fake, measured in the same run.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import aiohttp

from adapters.discord.render import alert_embed
from bot.models import Alert, Article, ChatRef, ResultKind, Sentiment
from tests.fakes.discord_world import TOKEN, DiscordWorld, RecordingCore

SENDS = 300
CHANNELS = 20


def _alert(n: int) -> Alert:
    article = Article(
        title=f"Bitcoin ETF inflows hit a record, day {n}",
        source_key="decrypt",
        source_name="Decrypt",
        published_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        summary="Spot bitcoin ETFs took in more than ever. " * 20,
        url=f"https://example.org/etf/{n}",
        tags=("BTC", "ETF"),
        sentiment=Sentiment.POSITIVE,
        image_url="https://example.org/cover.png",
        id=n,
    )
    return Alert(article)


async def _measure() -> tuple[float, float]:
    async with DiscordWorld(RecordingCore().services()) as world:
        channels = [world.fake.add_channel(world.guild, f"c{n}") for n in range(CHANNELS)]
        # New channels are not in the gateway cache: fetched once each, then cached.
        adapter = world.adapter
        assert adapter is not None
        for channel in channels:
            await adapter.send(ChatRef("discord", channel), _alert(0))
        started = time.perf_counter()
        for n in range(SENDS):
            result = await adapter.send(ChatRef("discord", channels[n % CHANNELS]), _alert(n))
            assert result.kind is ResultKind.SENT
        adapter_ms = (time.perf_counter() - started) * 1000 / SENDS

        base = f"{world.fake.url}/api/v10"
        headers = {"Authorization": f"Bot {TOKEN}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            started = time.perf_counter()
            for n in range(SENDS):
                body = {"embeds": [alert_embed(_alert(n)).to_dict()]}
                url = f"{base}/channels/{channels[n % CHANNELS]}/messages"
                async with session.post(url, json=body) as response:
                    await response.read()
            raw_ms = (time.perf_counter() - started) * 1000 / SENDS
    return adapter_ms, raw_ms


def run(results: dict) -> None:
    adapter_ms, raw_ms = asyncio.run(_measure())
    results["discord_send_ms"] = {
        "value": round(adapter_ms, 3),
        "unit": "ms per alert (render + discord.py + local HTTP)",
        "baseline": round(raw_ms, 3),
        "ratio": round(adapter_ms / raw_ms, 2) if raw_ms else None,
        "target": "< 40 ms (the 25/s Discord budget)",
    }
    print(f"   discord send {adapter_ms:.2f} ms vs raw aiohttp {raw_ms:.2f} ms")
