"""Commands through real python-telegram-bot polling the fake Bot API: who may do what, where."""

from __future__ import annotations

import logging

import pytest

from adapters.telegram.menu import telegram_code
from bot.i18n import LANGUAGES
from bot.models import ChatKind, IncomingCommand, Reply
from tests.fakes.telegram_harness import RecordingCore, running_adapter

ALICE, BOB, CAROL = 1001, 1002, 1003
BOT_ID = 4242


async def replies_in(fake, chat_id: int, count: int = 1) -> list[dict]:
    await fake.wait_for(lambda: len(fake.messages_in(chat_id)) >= count)
    return fake.messages_in(chat_id)


async def test_start_registers_every_core_command_with_set_my_commands():
    core = RecordingCore()
    async with running_adapter(core.services()) as (fake, _):
        calls = fake.calls_to("setMyCommands")
        # the default first, then one menu per shipped language, each once
        assert "language_code" not in calls[0].params
        codes = [c.params.get("language_code") for c in calls[1:]]
        assert sorted(codes) == sorted(telegram_code(code) for code in LANGUAGES)
        assert len(set(codes)) == len(LANGUAGES) >= 11
        names = [c["command"] for c in calls[0].params["commands"]]
        assert names == ["start", "subscribe", "latest"]
        assert calls[0].params["commands"][1]["description"] == "Get alerts for tags or sentiments"
        # polling began only after the menu was registered
        await fake.wait_calls("getUpdates")
        first_poll = next(i for i, c in enumerate(fake.calls) if c.method == "getUpdates")
        assert fake.calls.index(calls[-1]) < first_poll


async def test_private_command_reaches_core_and_reply_is_escaped_html():
    core = RecordingCore(respond=lambda cmd: Reply("Subscribed to <BTC> & friends"))
    async with running_adapter(core.services()) as (fake, _):
        chat = fake.private_chat(ALICE, "Alice", "alice")
        fake.command(chat, ALICE, "/subscribe BTC negative")
        (reply,) = await replies_in(fake, ALICE)
    (command,) = core.received
    assert command.text == "/subscribe BTC negative"
    assert command.chat.platform == "telegram" and command.chat.chat_id == str(ALICE)
    assert command.chat_kind is ChatKind.PRIVATE and command.can_manage
    assert command.user_id == str(ALICE) and command.user_name == "@alice"
    assert reply["text"] == "Subscribed to <BTC> & friends"
    assert reply["_html"] == "Subscribed to &lt;BTC&gt; &amp; friends"


async def test_bot_admins_from_config_are_flagged():
    core = RecordingCore()
    async with running_adapter(core.services(), admins=[ALICE]) as (fake, _):
        fake.command(fake.private_chat(ALICE), ALICE, "/start")
        fake.command(fake.private_chat(BOB), BOB, "/start")
        await replies_in(fake, BOB)
        await replies_in(fake, ALICE)
    flags = {c.user_id: c.is_admin for c in core.received}
    assert flags == {str(ALICE): True, str(BOB): False}


async def test_group_admin_may_manage_and_member_may_not():
    core = RecordingCore()
    async with running_adapter(core.services()) as (fake, _):
        group = fake.group(-100500, "Traders", admins={ALICE: "creator", CAROL: "administrator"})
        fake.command(group, ALICE, "/subscribe BTC")
        await replies_in(fake, group.id, 1)
        fake.command(group, BOB, "/subscribe@cryptowire_test_bot ETH")
        await replies_in(fake, group.id, 2)
        fake.command(group, CAROL, "/unsubscribe all")
        await replies_in(fake, group.id, 3)
    by_user = {c.user_id: c for c in core.received}
    assert by_user[str(ALICE)].can_manage and by_user[str(CAROL)].can_manage
    assert not by_user[str(BOB)].can_manage
    assert by_user[str(BOB)].text == "/subscribe ETH"  # @botname stripped
    assert all(c.chat_kind is ChatKind.GROUP and c.chat_title == "Traders" for c in core.received)
    # the admin list was asked once and cached for the following commands
    assert len(fake.calls_to("getChatAdministrators")) == 1


async def test_group_admin_list_is_refreshed_after_the_cache_expires():
    now = [1000.0]
    core = RecordingCore()
    async with running_adapter(core.services(), clock=lambda: now[0]) as (fake, _):
        group = fake.group(-100501, "Desk", admins={ALICE: "creator"})
        fake.command(group, BOB, "/subscribe BTC")
        await replies_in(fake, group.id, 1)
        group.admins[BOB] = "administrator"  # promoted
        fake.command(group, BOB, "/subscribe BTC")
        await replies_in(fake, group.id, 2)
        now[0] += 301
        fake.command(group, BOB, "/subscribe BTC")
        await replies_in(fake, group.id, 3)
    assert [c.can_manage for c in core.received] == [False, False, True]
    assert len(fake.calls_to("getChatAdministrators")) == 2


async def test_anonymous_group_admin_writing_as_the_group_may_manage():
    core = RecordingCore()
    async with running_adapter(core.services()) as (fake, _):
        group = fake.group(-100502, "Anon", admins={ALICE: "creator"})
        fake.command(group, 1087968824, "/subscribe BTC", sender_chat=group)
        await replies_in(fake, group.id)
    assert core.received[0].can_manage


async def test_command_for_another_bot_is_ignored():
    core = RecordingCore()
    async with running_adapter(core.services()) as (fake, _):
        group = fake.group(-100503, "Bots", admins={ALICE: "creator"})
        fake.command(group, ALICE, "/help@some_other_bot")
        fake.command(group, ALICE, "/start")
        await replies_in(fake, group.id)
    assert [c.text for c in core.received] == ["/start"]


async def test_forum_topic_command_carries_the_thread_and_reply_stays_in_topic():
    core = RecordingCore(respond=lambda cmd: Reply("BTC alerts will go to this topic"))
    async with running_adapter(core.services()) as (fake, _):
        forum = fake.group(-100600, "Forum", admins={ALICE: "creator"}, forum=True)
        fake.command(forum, ALICE, "/route BTC", thread_id=77)
        (reply,) = await replies_in(fake, forum.id)
    (command,) = core.received
    assert command.chat.thread_id == "77" and command.chat.chat_id == str(forum.id)
    assert command.text == "/route BTC"
    assert reply["message_thread_id"] == 77


@pytest.fixture
def channel_setup():
    def setup(fake, *, bot_is_admin: bool = True):
        admins = {ALICE: "creator"}
        if bot_is_admin:
            admins[BOT_ID] = "administrator"
        return fake.channel(-1001000000700, "Crypto News", "cryptonews", admins=admins)

    return setup


async def test_channel_admin_subscribes_a_channel_from_a_private_chat(channel_setup):
    core = RecordingCore(respond=lambda cmd: Reply("Subscribed #1: BTC"))
    async with running_adapter(core.services()) as (fake, _):
        channel = channel_setup(fake)
        fake.command(fake.private_chat(ALICE), ALICE, "/subscribe @cryptonews BTC")
        (reply,) = await replies_in(fake, ALICE)
    (command,) = core.received
    assert command.chat.chat_id == str(channel.id) and command.chat.thread_id is None
    assert command.chat_kind is ChatKind.CHANNEL and command.can_manage
    assert command.text == "/subscribe BTC"
    assert command.chat_title == "Crypto News"
    assert reply["text"] == "Subscribed #1: BTC"
    assert fake.calls_to("getChat")[0].params["chat_id"] == "@cryptonews"


async def test_non_admin_cannot_subscribe_a_channel(channel_setup):
    core = RecordingCore()
    async with running_adapter(core.services()) as (fake, _):
        channel_setup(fake)
        fake.command(fake.private_chat(BOB), BOB, "/subscribe @cryptonews BTC")
        (reply,) = await replies_in(fake, BOB)
    assert core.received == []
    assert reply["text"] == "Only administrators of @cryptonews can change its subscriptions."


async def test_channel_where_the_bot_cannot_post_is_refused(channel_setup):
    core = RecordingCore()
    async with running_adapter(core.services()) as (fake, _):
        channel_setup(fake, bot_is_admin=False)
        fake.command(fake.private_chat(ALICE), ALICE, "/subscribe @cryptonews BTC")
        (reply,) = await replies_in(fake, ALICE)
    assert core.received == []
    assert "make me an administrator" in reply["text"]


async def test_unknown_channel_is_explained():
    core = RecordingCore()
    async with running_adapter(core.services()) as (fake, _):
        fake.command(fake.private_chat(ALICE), ALICE, "/subscribe @nosuchchannel BTC")
        (reply,) = await replies_in(fake, ALICE)
    assert core.received == []
    assert reply["text"].startswith("I can't find @nosuchchannel.")


async def test_command_posted_in_a_channel_configures_that_channel(channel_setup):
    core = RecordingCore()
    async with running_adapter(core.services()) as (fake, _):
        channel = channel_setup(fake)
        fake.channel_post(channel, "/subscribe ETH")
        await replies_in(fake, channel.id)
    (command,) = core.received
    assert command.chat.chat_id == str(channel.id)
    assert command.chat_kind is ChatKind.CHANNEL and command.can_manage
    assert command.user_id == str(channel.id)


async def test_handler_failure_is_logged_with_context_and_user_gets_one_line(caplog):
    def explode(cmd: IncomingCommand) -> Reply:
        raise RuntimeError("database exploded at /var/lib/secret")

    core = RecordingCore(respond=explode)
    caplog.set_level(logging.ERROR, logger="adapters.telegram")
    async with running_adapter(core.services()) as (fake, _):
        fake.command(fake.private_chat(ALICE), ALICE, "/latest BTC")
        (reply,) = await replies_in(fake, ALICE)
    assert reply["text"] == "Sorry, something went wrong on our side. Please try again in a minute."
    assert "exploded" not in reply["text"]
    (record,) = [r for r in caplog.records if "handler failed" in r.getMessage()]
    assert f"chat={ALICE}" in record.getMessage() and "command='/latest'" in record.getMessage()
    assert record.exc_info is not None and "exploded" in str(record.exc_info[1])


async def test_long_reply_is_split_into_several_messages():
    text = "\n".join(
        f"#{n} subscription with a fairly long description of its filter" for n in range(200)
    )
    core = RecordingCore(respond=lambda cmd: Reply(text))
    async with running_adapter(core.services()) as (fake, _):
        fake.command(fake.private_chat(ALICE), ALICE, "/subscriptions")
        messages = await replies_in(fake, ALICE, 4)
    assert len(messages) == 4
    assert "\n".join(m["text"] for m in messages) == text
    assert all(len(m["text"]) <= 4096 for m in messages)


async def test_channel_can_be_named_by_its_numeric_id(channel_setup):
    core = RecordingCore()
    async with running_adapter(core.services()) as (fake, _):
        channel = channel_setup(fake)
        fake.command(fake.private_chat(ALICE), ALICE, f"/mute {channel.id} 2h")
        await replies_in(fake, ALICE)
    (command,) = core.received
    assert command.chat.chat_id == str(channel.id) and command.text == "/mute 2h"
    assert fake.calls_to("getChat")[0].params["chat_id"] == channel.id


async def test_group_replies_quote_the_command_even_if_it_was_deleted_meanwhile():
    holder: dict = {}

    def respond(cmd: IncomingCommand) -> Reply:
        fake = holder["fake"]
        if cmd.text == "/latest":  # the user deletes the command before the answer comes
            del fake.messages[(-100510, 3)]  # ids: 1 /start, 2 its reply, 3 /latest
        return Reply("done")

    core = RecordingCore(respond=respond)
    async with running_adapter(core.services()) as (fake, _):
        holder["fake"] = fake
        group = fake.group(-100510, "Quotes", admins={ALICE: "creator"})
        fake.command(group, ALICE, "/start")
        await replies_in(fake, group.id, 1)
        fake.command(group, ALICE, "/latest")
        replies = await replies_in(fake, group.id, 2)
    assert replies[0]["_reply_to"] == 1  # quoted, as group replies should be
    assert replies[1]["_reply_to"] is None and replies[1]["text"] == "done"


async def test_bot_added_to_a_group_greets_it_and_forgets_cached_admins():
    core = RecordingCore(respond=lambda cmd: Reply("Cryptowire sends one alert per story."))
    async with running_adapter(core.services()) as (fake, _):
        group = fake.group(-100520, "New home", admins={ALICE: "creator"})
        fake.command(group, BOB, "/subscribe BTC")
        await replies_in(fake, group.id, 1)
        fake.membership(group, ALICE, "left", "member")
        (_, greeting) = await replies_in(fake, group.id, 2)
        group.admins[BOB] = "administrator"
        fake.command(group, BOB, "/subscribe BTC")
        await replies_in(fake, group.id, 3)
        fake.membership(group, ALICE, "member", "left")  # removed: no greeting
        fake.command(group, ALICE, "/start")
        await replies_in(fake, group.id, 4)
    assert greeting["text"] == "Cryptowire sends one alert per story."
    start = core.received[1]
    assert start.text == "/start" and start.user_id == str(ALICE) and not start.can_manage
    assert [c.can_manage for c in core.received if c.user_id == str(BOB)] == [False, True]
    assert len(fake.calls_to("getChatAdministrators")) == 3
