"""Slash commands through the real discord.py against the fake Discord API and gateway."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.commands.handler import SPECS
from bot.models import Article, ChatKind, IncomingCommand, Reply, Sentiment
from tests.fakes.discord_api import EPHEMERAL
from tests.fakes.discord_world import MANAGE_CHANNELS, MANAGE_GUILD, DiscordWorld, RecordingCore

ROLE, STRING, INTEGER = 8, 3, 4


async def test_client_connects_with_minimal_intents_and_syncs_every_command():
    core = RecordingCore()
    async with DiscordWorld(core.services()) as world:
        assert world.fake.identify is not None
        assert world.fake.identify["intents"] == 1  # GUILDS only: nothing privileged
        names = {c["name"] for c in world.fake.commands["global"]}
        expected = {"latest", "search", "subscribe", "unsubscribe", "subscriptions", "story"}
        expected |= {"why", "digest", "quiet", "mute", "timezone", "help", "breaking", "post"}
        expected |= {"audit", "template", "format", "mention", "language"}
        assert names == expected
        subscribe = next(c for c in world.fake.commands["global"] if c["name"] == "subscribe")
        options = {o["name"]: o for o in subscribe["options"]}
        assert list(options) == ["tags", "sentiment", "keywords", "source", "mention"]
        assert options["mention"]["type"] == ROLE
        assert options["tags"]["autocomplete"] is True
        assert subscribe["description"] == SPECS["subscribe"].description  # the core's words
        assert [c["value"] for c in options["sentiment"]["choices"]] == [
            "positive",
            "negative",
            "neutral",
        ]
        assert world.fake.unhandled == []


async def test_guild_ids_sync_instantly_to_those_guilds_only():
    core = RecordingCore()
    async with DiscordWorld(core.services(), guild_ids=True) as world:
        assert "global" not in world.fake.commands
        assert len(world.fake.commands[world.guild]) == 19


@pytest.mark.parametrize(
    ("command", "options", "types", "expected"),
    [
        ("latest", {}, {}, "/latest"),
        ("latest", {"tag": "BTC", "count": 5}, {}, "/latest BTC 5"),
        ("search", {"query": 'etf "spot bitcoin" -scam'}, {}, '/search etf "spot bitcoin" -scam'),
        ("subscriptions", {}, {}, "/subscriptions"),
        ("story", {"id": 42}, {}, "/story 42"),
        ("why", {"article": 7}, {}, "/why 7"),
        ("help", {}, {}, "/help"),
    ],
)
async def test_reading_commands_reach_the_core_as_text_and_answer_in_public(
    command, options, types, expected
):
    core = RecordingCore()
    async with DiscordWorld(core.services()) as world:
        answer = await world.fake.invoke(
            command, options, channel_id=world.text, user=world.alice, types=types
        )
    assert [c.text for c in core.commands] == [expected]
    assert answer.content == f"ok: {expected}"
    public = command in {"latest", "search", "story", "why"}
    assert answer.ephemeral is not public
    assert not answer.deferred


@pytest.mark.parametrize(
    ("command", "options", "expected"),
    [
        ("subscribe", {"tags": "BTC ETH", "sentiment": "positive"}, "/subscribe BTC ETH positive"),
        (
            "subscribe",
            {"tags": "btc", "keywords": 'etf "spot fund" -scam', "source": "decrypt"},
            '/subscribe btc source:decrypt keyword:etf keyword:"spot fund" -keyword:scam',
        ),
        ("unsubscribe", {"id": "all"}, "/unsubscribe all"),
        ("unsubscribe", {"id": "12"}, "/unsubscribe 12"),
        ("digest", {"schedule": "daily", "time": "08:30"}, "/digest daily 08:30"),
        ("digest", {"schedule": "off"}, "/digest off"),
        ("quiet", {"hours": "22:00-07:00"}, "/quiet 22:00-07:00"),
        ("timezone", {"zone": "Europe/Berlin"}, "/timezone Europe/Berlin"),
        ("mute", {"duration": "2h"}, "/mute 2h"),
    ],
)
async def test_settings_commands_need_manage_channels_in_a_server(command, options, expected):
    core = RecordingCore()
    async with DiscordWorld(core.services()) as world:
        refused = await world.fake.invoke(
            command, options, channel_id=world.text, user=world.alice, permissions=0
        )
        allowed = await world.fake.invoke(
            command, options, channel_id=world.text, user=world.alice, permissions=MANAGE_CHANNELS
        )
    assert refused.ephemeral and "Manage Channels" in refused.content
    assert [c.text for c in core.commands] == [expected]  # the refused one never reached it
    sent = core.commands[0]
    assert sent.can_manage and sent.chat_kind is ChatKind.CHANNEL
    assert sent.chat.chat_id == world.text and sent.chat.platform == "discord"
    assert allowed.content == f"ok: {expected}" and allowed.ephemeral


async def test_subscribe_with_a_role_mention_passes_the_role_to_the_core():
    core = RecordingCore()
    async with DiscordWorld(core.services()) as world:
        role = next(r for r in world.fake.guilds[world.guild]["roles"] if r["name"] == "Traders")
        await world.fake.invoke(
            "subscribe",
            {"tags": "BTC", "mention": world.traders},
            types={"mention": ROLE},
            resolved={"roles": {world.traders: role}},
            channel_id=world.text,
            user=world.alice,
            permissions=MANAGE_CHANNELS,
        )
    assert core.commands[0].text == f"/subscribe BTC mention:<@&{world.traders}>"


async def test_dm_subscriptions_belong_to_the_user_and_need_no_permission():
    core = RecordingCore()
    async with DiscordWorld(core.services()) as world:
        answer = await world.fake.invoke(
            "subscribe", {"tags": "SOL"}, channel_id=world.dm, user=world.alice
        )
    command = core.commands[0]
    assert command.chat.chat_id == world.dm
    assert command.chat_kind is ChatKind.PRIVATE
    assert command.can_manage and not command.is_admin
    assert command.user_id == world.alice["id"]
    assert answer.content == "ok: /subscribe SOL"


async def test_admins_from_config_and_members_with_manage_server():
    core = RecordingCore()
    bob = {"id": "4242", "username": "bob", "discriminator": "0", "avatar": None}
    async with DiscordWorld(core.services(), admins=[4242]) as world:
        for user, perms in ((world.alice, 0), (world.alice, MANAGE_GUILD), (bob, 0)):
            await world.fake.invoke("help", channel_id=world.text, user=user, permissions=perms)
    assert [c.is_admin for c in core.commands] == [False, True, True]


async def test_slow_answers_are_deferred_then_edited_in_place():
    worlds: list[DiscordWorld] = []

    async def slow(command: IncomingCommand) -> Reply:
        # Answer only once Discord saw the "thinking..." acknowledgement.
        (pending,) = worlds[0].fake.answers.values()
        await pending.acknowledged.wait()
        return Reply("found 1", articles=(_article(),))

    core = RecordingCore(answer=slow)
    async with DiscordWorld(core.services(), defer_after_s=0.0) as world:
        worlds.append(world)
        answer = await world.fake.invoke(
            "search", {"query": "etf"}, channel_id=world.text, user=world.alice
        )
    assert answer.callbacks[0]["type"] == 5  # deferred before the core answered
    assert answer.deferred and answer.original is not None
    assert answer.content == "found 1"
    assert answer.embeds[0]["title"] == "Spot ETF approved"
    assert not answer.ephemeral


async def test_fast_answers_are_not_deferred():
    core = RecordingCore()
    async with DiscordWorld(core.services(), defer_after_s=5.0) as world:
        answer = await world.fake.invoke("latest", channel_id=world.text, user=world.alice)
    assert [c["type"] for c in answer.callbacks] == [4] and answer.original is None


async def test_a_slow_error_replaces_the_public_thinking_message_with_a_private_one():
    async def failing(command: IncomingCommand) -> Reply:
        await asyncio.sleep(0.05)
        return Reply("story 999 does not exist (try /latest)", error=True)

    core = RecordingCore(answer=failing)
    async with DiscordWorld(core.services(), defer_after_s=0.0) as world:
        answer = await world.fake.invoke(
            "story", {"id": 999}, channel_id=world.text, user=world.alice
        )
        await asyncio.wait_for(answer.deleted.wait(), 5)
    assert answer.deferred and answer.deleted_original
    # the public "thinking..." was settled first, so the follow-up could be private
    assert answer.original is not None and "story 999" not in answer.original["content"]
    assert answer.followups[-1]["flags"] & EPHEMERAL
    assert answer.content.startswith("story 999 does not exist")


async def test_errors_are_ephemeral_and_a_crashing_core_leaks_no_exception_text():
    async def crash(command: IncomingCommand) -> Reply:
        if command.text.startswith("/why"):
            raise RuntimeError("secret internals: password=hunter2")
        return Reply("`sideways` is not a sentiment", error=True)

    core = RecordingCore(answer=crash)
    async with DiscordWorld(core.services()) as world:
        bad = await world.fake.invoke(
            "latest", {"tag": "x"}, channel_id=world.text, user=world.alice
        )
        boom = await world.fake.invoke(
            "why", {"article": 3}, channel_id=world.text, user=world.alice
        )
    assert bad.ephemeral and "sideways" in bad.content
    assert boom.ephemeral and "hunter2" not in boom.content and "Error" not in boom.content
    assert boom.content.startswith("Sorry")


async def test_tag_options_autocomplete_from_the_archive():
    core = RecordingCore()
    async with DiscordWorld(core.services()) as world:
        single = await world.fake.invoke(
            "latest", {"tag": "e"}, focused="tag", channel_id=world.text, user=world.alice
        )
        multi = await world.fake.invoke(
            "subscribe", {"tags": "BTC E"}, focused="tags", channel_id=world.text, user=world.alice
        )
    assert single.callbacks[0]["type"] == 8
    assert [c["value"] for c in single.callbacks[0]["data"]["choices"]] == ["ETH", "ETC"]
    assert [c["value"] for c in multi.callbacks[0]["data"]["choices"]] == ["BTC ETH", "BTC ETC"]
    assert core.tag_prefixes == ["e", "E"]
    assert core.commands == []  # autocomplete never runs the command


async def test_option_text_cannot_smuggle_a_second_line():
    core = RecordingCore()
    async with DiscordWorld(core.services()) as world:
        await world.fake.invoke(
            "search", {"query": "btc\n/unsubscribe all"}, channel_id=world.text, user=world.alice
        )
    assert core.commands[0].text == "/search btc /unsubscribe all"


def _article() -> Article:
    return Article(
        title="Spot ETF approved",
        source_key="decrypt",
        source_name="Decrypt",
        published_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        summary="The SEC approved it.",
        url="https://example.org/etf",
        tags=("BTC",),
        sentiment=Sentiment.POSITIVE,
        id=17,
    )


async def test_the_gateway_resumes_after_a_drop_and_commands_keep_working():
    core = RecordingCore()
    async with DiscordWorld(core.services()) as world:
        await world.fake.drop_connection(4000)
        await asyncio.wait_for(world.fake.resumed.wait(), 10)
        answer = await world.fake.invoke("help", channel_id=world.text, user=world.alice)
    (resume,) = world.fake.resumes
    assert resume["session_id"] == "fake-session" and resume["seq"] >= 1
    assert answer.content == "ok: /help"


@pytest.mark.parametrize(
    ("command", "options", "expected"),
    [
        (
            "breaking",
            {
                "title": "Exchange X halts withdrawals",
                "text": "Users | funds",
                "url": "https://x.io",
            },
            "/breaking Exchange X halts withdrawals | Users / funds | https://x.io",
        ),
        (
            "breaking",
            {"title": "Hack", "text": "Bridge drained"},
            "/breaking Hack | Bridge drained",
        ),
        ("post", {"article": 12}, "/post 12"),
    ],
)
async def test_broadcast_commands_are_for_admins_only(command, options, expected):
    core = RecordingCore()
    async with DiscordWorld(core.services()) as world:
        refused = await world.fake.invoke(
            command, options, channel_id=world.text, user=world.alice, permissions=MANAGE_CHANNELS
        )
        allowed = await world.fake.invoke(
            command, options, channel_id=world.text, user=world.alice, permissions=MANAGE_GUILD
        )
    assert refused.ephemeral and "Only Cryptowire admins" in refused.content
    assert [c.text for c in core.commands] == [expected]
    assert core.commands[0].is_admin
    assert allowed.ephemeral


async def test_timezone_autocomplete_and_a_failing_tag_lookup():
    async def broken(prefix: str) -> list[str]:
        raise ConnectionError("database down")

    core = RecordingCore()
    services = core.services()
    async with DiscordWorld(type(services)(services.handle_command, broken)) as world:
        zones = await world.fake.invoke(
            "timezone", {"zone": "berl"}, focused="zone", channel_id=world.dm, user=world.alice
        )
        tags = await world.fake.invoke(
            "latest", {"tag": "B"}, focused="tag", channel_id=world.dm, user=world.alice
        )
    assert [c["value"] for c in zones.callbacks[0]["data"]["choices"]] == ["Europe/Berlin"]
    assert tags.callbacks[0]["data"]["choices"] == []  # an empty list, not a failed popup


async def test_a_role_discord_did_not_resolve_gets_a_one_line_private_answer():
    core = RecordingCore()
    async with DiscordWorld(core.services()) as world:
        answer = await world.fake.invoke(
            "subscribe",
            {"tags": "BTC", "mention": "123"},
            types={"mention": ROLE},
            channel_id=world.text,
            user=world.alice,
            permissions=MANAGE_CHANNELS,
        )
    assert answer.ephemeral and answer.content.startswith("That command could not be run")
    assert "\n" not in answer.content and core.commands == []
