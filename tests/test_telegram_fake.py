"""The fake Bot API itself: long polling, error shapes and the flood limits benchmarks rely on."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_state import BLOCKED, RateLimits, flood


@pytest.fixture
async def api():
    async with (
        FakeBotApi() as fake,
        httpx.AsyncClient(base_url=f"{fake.base_url}{fake.token}/") as client,
    ):
        yield fake, client


async def test_get_updates_returns_queued_at_once_and_waits_for_new_ones(api):
    fake, client = api
    fake.command(fake.private_chat(1), 1, "/start")
    first = (await client.post("getUpdates", json={"timeout": 30})).json()
    assert [u["update_id"] for u in first["result"]] == [1]
    waiting = asyncio.create_task(client.post("getUpdates", json={"offset": 2, "timeout": 30}))
    await fake.wait_for(lambda: len(fake.calls_to("getUpdates")) == 2)
    fake.command(fake.private_chat(1), 1, "/help")
    second = (await asyncio.wait_for(waiting, 5)).json()
    assert [u["message"]["text"] for u in second["result"]] == ["/help"]
    assert [u["update_id"] for u in fake.updates] == [2]  # update 1 was confirmed by offset


async def test_errors_have_telegrams_exact_shape_and_scope(api):
    fake, client = api
    fake.inject(BLOCKED, chat_id=10)
    blocked = await client.post("sendMessage", json={"chat_id": 10, "text": "hi"})
    assert blocked.status_code == 403
    assert blocked.json() == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
    other = await client.post("sendMessage", json={"chat_id": 11, "text": "hi"})
    assert other.json()["ok"] is True
    again = await client.post("sendMessage", json={"chat_id": 10, "text": "hi"})
    assert again.json()["ok"] is True  # injected once by default
    fake.inject(flood(3), times=2)
    for _ in range(2):
        limited = await client.post("sendMessage", json={"chat_id": 12, "text": "hi"})
        assert limited.status_code == 429
        assert limited.json()["parameters"] == {"retry_after": 3}
    polled = await client.post("getUpdates", json={"timeout": 0})
    assert polled.json()["ok"] is True  # global errors never break polling


async def test_unknown_token_and_method(api):
    fake, client = api
    async with httpx.AsyncClient() as raw:
        wrong = await raw.post(f"{fake.base_url}1:bad/getMe")
    assert wrong.status_code == 401
    missing = await client.post("sendSticker", json={"chat_id": 1})
    assert missing.status_code == 404


async def test_flood_limits_overall_and_per_chat_with_a_scaled_clock(api):
    fake, client = api
    now = [100.0]
    limits = fake.enforce_limits(RateLimits(time_scale=10.0, clock=lambda: now[0]))
    for chat in range(30):
        ok = await client.post("sendMessage", json={"chat_id": chat + 1, "text": "x"})
        assert ok.json()["ok"], chat
    over = await client.post("sendMessage", json={"chat_id": 99, "text": "x"})
    assert over.status_code == 429 and over.json()["parameters"]["retry_after"] == 1
    same_chat = await client.post("sendMessage", json={"chat_id": 1, "text": "x"})
    assert same_chat.status_code == 429
    now[0] += 0.1  # one platform second at time scale 10
    fine = await client.post("sendMessage", json={"chat_id": 99, "text": "x"})
    assert fine.json()["ok"]
    assert (limits.accepted, limits.refused) == (31, 2)


async def test_html_and_length_are_checked_like_telegram(api):
    _, client = api
    bad = await client.post(
        "sendMessage", json={"chat_id": 1, "text": "<script>", "parse_mode": "HTML"}
    )
    assert bad.status_code == 400 and "can't parse entities" in bad.json()["description"]
    long = await client.post("sendMessage", json={"chat_id": 1, "text": "x" * 4097})
    assert long.json()["description"] == "Bad Request: message is too long"
    entities = await client.post(
        "sendMessage", json={"chat_id": 1, "text": "&amp;" * 4096, "parse_mode": "HTML"}
    )
    assert entities.json()["ok"]  # the limit applies to the visible text


async def test_group_limit_of_twenty_per_minute(api):
    _, client = api
    now = [0.0]
    fake_limits = RateLimits(group_per_minute=20, clock=lambda: now[0])
    api[0].enforce_limits(fake_limits)
    for _ in range(20):
        ok = await client.post("sendMessage", json={"chat_id": -100555, "text": "x"})
        assert ok.json()["ok"]
        now[0] += 1.0
    refused = await client.post("sendMessage", json={"chat_id": -100555, "text": "x"})
    assert refused.status_code == 429 and refused.json()["parameters"]["retry_after"] >= 39
    private = await client.post("sendMessage", json={"chat_id": 555, "text": "x"})
    assert private.json()["ok"]  # people are not groups
    now[0] += 40
    assert (await client.post("sendMessage", json={"chat_id": -100555, "text": "x"})).json()["ok"]
