"""Alerts out through the real discord.py: embeds, forums, DMs, edits, error mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route
from pydantic import SecretStr

import adapters.discord as discord_package
from adapters.discord.adapter import DiscordAdapter, DiscordTokenError
from adapters.discord.errors import InvalidRequestGuard
from bot.config import DiscordConfig, Settings
from bot.models import Alert, Article, ChatRef, DeliveryKind, ResultKind, Sentiment
from bot.plugins import ADAPTER_GROUP, load_plugin
from tests.fakes.discord_api import Failure
from tests.fakes.discord_world import TOKEN, DiscordWorld, RecordingCore


def _alert(title: str = "Bitcoin ETF approved", **changes: object) -> Alert:
    article = Article(
        title=title,
        source_key="decrypt",
        source_name="Decrypt",
        published_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        summary="The SEC approved the first spot bitcoin ETF.",
        url="https://example.org/etf",
        tags=("BTC", "ETF"),
        sentiment=Sentiment.POSITIVE,
        image_url="https://example.org/cover.png",
        id=5,
        story_id=3,
    )
    return Alert(article=article, **changes)  # type: ignore[arg-type]


def _to(channel_id: str) -> ChatRef:
    return ChatRef("discord", channel_id)


async def test_alerts_fan_out_to_channels_as_embeds():
    async with DiscordWorld(RecordingCore().services()) as world:
        adapter = world.adapter
        results = [
            await adapter.send(_to(channel), _alert()) for channel in (world.text, world.other)
        ]
        results.append(await adapter.send(_to(world.dm), _alert()))
    assert [r.kind for r in results] == [ResultKind.SENT] * 3
    for channel, result in zip((world.text, world.other, world.dm), results, strict=True):
        (message,) = world.fake.messages[channel]
        assert message["id"] == result.message_id
        (embed,) = message["embeds"]
        assert embed["title"] == "Bitcoin ETF approved"
        assert embed["url"] == "https://example.org/etf"
        assert embed["color"] == 0x2ECC71
        assert embed["image"]["url"] == "https://example.org/cover.png"
        assert {f["name"]: f["value"] for f in embed["fields"]}["Source"] == "Decrypt"
        assert embed["timestamp"].startswith("2026-11-20T09:30")


async def test_role_mention_is_the_only_ping_allowed():
    async with DiscordWorld(RecordingCore().services()) as world:
        role = f"<@&{world.traders}>"
        await world.adapter.send(_to(world.text), _alert(mention=role))
    (message,) = world.fake.messages[world.text]
    assert message["content"] == role
    assert message["allowed_mentions"]["parse"] == []
    assert message["allowed_mentions"]["roles"] == [int(world.traders)]


@pytest.mark.parametrize(
    ("mention", "roles", "users"),
    [
        ("<@&123>", [123], []),
        ("<@456>", [], [456]),
        ("<@!456>", [], [456]),
        ("@everyone", [], []),
        ("<@&1> <@&2>", [1, 2], []),  # /mention names several: exactly those
        ("<@&1> @everyone <@3>", [1], [3]),
        (None, [], []),
    ],
)
def test_only_the_subscription_target_may_be_pinged(mention, roles, users):
    from adapters.discord.adapter import allowed_mentions

    data = allowed_mentions(mention).to_dict()
    assert data["parse"] == []
    assert data.get("roles", []) == roles and data.get("users", []) == users


async def test_forum_channels_get_one_thread_per_story_and_edits_land_in_it():
    async with DiscordWorld(RecordingCore().services()) as world:
        sent = await world.adapter.send(_to(world.forum), _alert())
        edited = await world.adapter.edit(
            _to(world.forum), sent.message_id or "", _alert("Bitcoin ETF approved (final)")
        )
    assert sent.kind is ResultKind.SENT and edited.kind is ResultKind.SENT
    thread = world.fake.channels[sent.message_id or ""]
    assert thread["parent_id"] == world.forum and thread["name"] == "Bitcoin ETF approved"
    (starter,) = world.fake.messages[thread["id"]]
    assert starter["embeds"][0]["title"] == "Bitcoin ETF approved (final)"
    assert world.fake.messages.get(world.forum) is None


async def test_edit_replaces_the_embed_with_updated_markers():
    async with DiscordWorld(RecordingCore().services()) as world:
        sent = await world.adapter.send(_to(world.text), _alert())
        result = await world.adapter.edit(
            _to(world.text), sent.message_id or "", _alert(updated=True, extra_sources=2)
        )
    assert result.kind is ResultKind.SENT and result.message_id == sent.message_id
    (message,) = world.fake.messages[world.text]
    assert message["edited_timestamp"] is not None
    assert "updated" in message["embeds"][0]["footer"]["text"]
    assert "+2 sources" in message["embeds"][0]["footer"]["text"]


@pytest.mark.parametrize(
    ("failure", "kind", "retry_after", "whole"),
    [
        (Failure(403, 50001), ResultKind.CHAT_GONE, None, False),
        (Failure(403, 50013), ResultKind.CHAT_GONE, None, False),
        (Failure(404, 10003), ResultKind.CHAT_GONE, None, False),
        (Failure(429, 0, retry_after=45.0), ResultKind.RETRY_AFTER, 45.0, False),
        (Failure(429, 0, retry_after=12.0, via=False), ResultKind.RETRY_AFTER, 12.0, True),
        (Failure(400, 50035), ResultKind.FAILED, None, False),
        (Failure(401, 0), ResultKind.RETRY_AFTER, 300.0, True),
        (Failure(400, 50007), ResultKind.CHAT_GONE, None, False),
    ],
    ids=[
        "missing-access",
        "missing-permissions",
        "unknown-channel",
        "429-long",
        "429-cf",
        "400",
        "401-token-revoked",
        "dm-closed",
    ],
)
async def test_discord_errors_map_to_delivery_results(failure, kind, retry_after, whole):
    async with DiscordWorld(RecordingCore().services()) as world:
        world.fake.fail(world.text, failure)
        result = await world.adapter.send(_to(world.text), _alert())
    assert result.kind is kind
    assert result.retry_after == retry_after
    assert result.whole_adapter is whole


async def test_a_403_marks_the_channel_gone_and_costs_no_further_requests():
    async with DiscordWorld(RecordingCore().services()) as world:
        world.fake.fail(world.text, Failure(403, 50001))
        first = await world.adapter.send(_to(world.text), _alert())
        before = len(world.fake.requests)
        again = [await world.adapter.send(_to(world.text), _alert()) for _ in range(20)]
        other = await world.adapter.send(_to(world.other), _alert())
    assert first.kind is ResultKind.CHAT_GONE
    assert {r.kind for r in again} == {ResultKind.CHAT_GONE}
    assert len(world.fake.requests) == before + 1  # only the other channel's send
    assert world.fake.invalid_requests == 1
    assert other.kind is ResultKind.SENT


async def test_a_command_from_a_gone_channel_lets_sends_try_again():
    async with DiscordWorld(RecordingCore().services()) as world:
        world.fake.fail(world.text, Failure(403, 50001, times=1))
        assert (await world.adapter.send(_to(world.text), _alert())).kind is ResultKind.CHAT_GONE
        await world.fake.invoke("help", channel_id=world.text, user=world.alice)
        assert (await world.adapter.send(_to(world.text), _alert())).kind is ResultKind.SENT


async def test_unknown_channels_and_messages():
    async with DiscordWorld(RecordingCore().services()) as world:
        missing = await world.adapter.send(_to("123456789"), _alert())
        garbage = await world.adapter.send(_to("not-a-channel"), _alert())
        no_message = await world.adapter.edit(_to(world.text), "987654321", _alert())
    assert missing.kind is ResultKind.CHAT_GONE
    assert garbage.kind is ResultKind.CHAT_GONE
    assert no_message.kind is ResultKind.FAILED


def test_invalid_request_budget_pauses_the_whole_adapter():
    now = [0.0]
    guard = InvalidRequestGuard(budget=3, window_s=600, clock=lambda: now[0])
    forbidden = _forbidden()
    for channel in ("1", "2", "3"):
        guard.record(channel, forbidden, _gone())
    paused = guard.check("4")
    assert paused is not None and paused.whole_adapter and paused.retry_after == 600
    now[0] = 601.0
    assert guard.check("4") is None
    assert guard.check("1") is None  # the gone mark expired too


def test_capabilities_are_declared_as_data():
    caps = DiscordAdapter.capabilities
    assert caps.max_text_len == 4096 and caps.markup == "markdown"
    assert caps.sends_per_second <= 25 and caps.per_chat_interval_s >= 1.0
    assert caps.supports_edit and caps.supports_images


def test_create_adapter_needs_a_token_and_is_found_by_entry_point():
    factory = load_plugin(ADAPTER_GROUP, "discord")
    assert factory is discord_package.create_adapter
    assert factory(Settings()) is None
    configured = Settings(discord=DiscordConfig(token=SecretStr("abc.def.ghi")))
    adapter = factory(configured)
    assert isinstance(adapter, DiscordAdapter) and adapter.name == "discord"


async def test_a_rejected_token_is_a_clear_one_line_error():
    from tests.fakes.discord_api import FakeDiscord

    fake = FakeDiscord()
    base = await fake.start()
    try:
        original = Route.BASE
        adapter = DiscordAdapter(DiscordConfig(token=SecretStr("bad.token.x"), api_base=base))
        fake.reject_token = True
        with pytest.raises(DiscordTokenError, match="rejected the bot token"):
            await adapter.start(RecordingCore().services())
        assert Route.BASE == original
    finally:
        await fake.stop()


async def test_stop_is_clean_and_restores_discord_endpoints():
    original = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    world = DiscordWorld(RecordingCore().services())
    async with world:
        assert Route.BASE.startswith("http://127.0.0.1")
        task = world.adapter._task
    assert task is not None and task.done() and not task.cancelled()
    assert world.adapter.client.is_closed()
    assert (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY) == original
    after = await world.adapter.send(_to(world.text), _alert())
    assert after.kind is ResultKind.RETRY_AFTER  # not running: nothing lost, nothing raised


async def test_digest_alerts_list_every_story():
    items = tuple(_alert(f"Story {n}").article for n in range(3))
    async with DiscordWorld(RecordingCore().services()) as world:
        await world.adapter.send(
            _to(world.text), Alert(items[0], DeliveryKind.DIGEST, digest_items=items)
        )
    (message,) = world.fake.messages[world.text]
    embed = message["embeds"][0]
    assert embed["title"] == "Digest · 3 stories"
    assert all(f"Story {n}" in embed["description"] for n in range(3))


def _forbidden():
    import discord

    class _Response:
        status = 403
        reason = "Forbidden"
        headers: dict[str, str] = {}

    return discord.Forbidden(_Response(), {"message": "Missing Access", "code": 50001})  # type: ignore[arg-type]


def _gone():
    from bot.models import DeliveryResult

    return DeliveryResult.gone("test")


async def test_a_channel_without_send_or_embed_permission_is_gone_without_a_request():
    from tests.fakes.discord_api import EMBED, SEND

    async with DiscordWorld(RecordingCore().services()) as world:
        await world.fake.deny(world.text, SEND)
        await world.fake.deny(world.other, EMBED)
        await world.fake.invoke("help", channel_id=world.forum, user=world.alice)  # sync point
        before = len(world.fake.requests)
        no_send = await world.adapter.send(_to(world.text), _alert())
        no_embed = await world.adapter.send(_to(world.other), _alert())
        assert len(world.fake.requests) == before
        forum = await world.adapter.send(_to(world.forum), _alert())
    assert no_send.kind is ResultKind.CHAT_GONE and "Send Messages" in (no_send.reason or "")
    assert no_embed.kind is ResultKind.CHAT_GONE and "Embed Links" in (no_embed.reason or "")
    assert forum.kind is ResultKind.SENT
    assert world.fake.invalid_requests == 0


async def test_an_unreachable_discord_is_a_one_line_start_failure():
    import socket

    from adapters.discord.adapter import DiscordStartError

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    original = Route.BASE
    config = DiscordConfig(token=SecretStr(TOKEN), api_base=f"http://127.0.0.1:{port}/api/v10")
    with pytest.raises(DiscordStartError, match="cannot log in to Discord"):
        await DiscordAdapter(config).start(RecordingCore().services())
    assert Route.BASE == original


async def test_a_send_discord_never_answers_fails_after_the_timeout():
    async with DiscordWorld(RecordingCore().services(), send_timeout_s=0.2) as world:
        world.fake.stalled.add(world.text)
        stuck = await world.adapter.send(_to(world.text), _alert())
        fine = await world.adapter.send(_to(world.other), _alert())
    assert stuck.kind is ResultKind.FAILED and "TimeoutError" in (stuck.reason or "")
    assert fine.kind is ResultKind.SENT


async def test_sends_before_start_use_rest_only_and_never_touch_commands():
    from tests.fakes.discord_api import FakeDiscord

    fake = FakeDiscord()
    guild = fake.add_guild()
    channel = fake.add_channel(guild, "news")
    base = await fake.start()
    adapter = DiscordAdapter(DiscordConfig(token=SecretStr(TOKEN), api_base=base))
    try:
        first = await adapter.send(_to(channel), _alert())
        second = await adapter.send(_to(channel), _alert("Second story"))
    finally:
        await adapter.stop()
        await fake.stop()
    assert first.kind is ResultKind.SENT and second.kind is ResultKind.SENT
    assert len(fake.messages[channel]) == 2
    assert fake.commands == {}  # an empty tree was not synced over the real commands
    assert fake.identify is None  # no gateway session for a send-only process
    assert (await adapter.send(_to(channel), _alert())).kind is ResultKind.RETRY_AFTER


async def test_a_digest_in_a_forum_opens_a_thread_named_after_the_digest():
    items = tuple(_alert(f"Story {n}").article for n in range(2))
    async with DiscordWorld(RecordingCore().services()) as world:
        sent = await world.adapter.send(
            _to(world.forum), Alert(items[0], DeliveryKind.DIGEST, digest_items=items)
        )
    assert world.fake.channels[sent.message_id or ""]["name"] == "Digest · 2 stories"


async def test_dm_channels_are_fetched_once_then_reused():
    async with DiscordWorld(RecordingCore().services()) as world:
        for n in range(3):
            await world.adapter.send(_to(world.dm), _alert(f"Story {n}"))
    fetches = [p for m, p in world.fake.requests if m == "GET" and p.endswith(world.dm)]
    assert len(fetches) == 1 and len(world.fake.messages[world.dm]) == 3


async def test_start_after_early_sends_switches_to_the_full_client_cleanly():
    world = DiscordWorld(RecordingCore().services())
    api_base = await world.fake.start()
    adapter = DiscordAdapter(
        DiscordConfig(token=SecretStr(TOKEN), api_base=api_base), guild_ready_timeout_s=0.05
    )
    try:
        early = await adapter.send(_to(world.dm), _alert("Before start"))
        await adapter.start(RecordingCore().services())
        later = await adapter.send(_to(world.dm), _alert("After start"))
    finally:
        await adapter.stop()
        await world.fake.stop()
    assert early.kind is ResultKind.SENT and later.kind is ResultKind.SENT
    titles = [m["embeds"][0]["title"] for m in world.fake.messages[world.dm]]
    assert titles == ["Before start", "After start"]
    # synced once, by the full client: every command once, no duplicates from a second sync
    names = [c["name"] for c in world.fake.commands["global"]]
    assert len(names) == len(set(names)) == 19
