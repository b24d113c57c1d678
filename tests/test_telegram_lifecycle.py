"""Start and stop inside our loop, webhook mode, the entry point, secrets kept out of logs."""

from __future__ import annotations

import asyncio
import logging
import socket
import warnings
from datetime import timedelta

import httpx
import pytest
from telegram.error import RetryAfter

from adapters.telegram import create_adapter
from adapters.telegram.adapter import CAPABILITIES, TelegramAdapter
from adapters.telegram.errors import retry_seconds
from adapters.telegram.menu import bot_commands
from bot.config import Settings, TelegramConfig
from bot.errors import RuntimeFailure, UserError
from bot.models import IncomingCommand, Reply
from bot.ops.logs import MASKER, SecretMasker
from bot.plugins import ADAPTER_GROUP, load_plugin
from bot.ports import CoreServices
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_harness import SPECS, RecordingCore, Spec, config_for, running_adapter
from tests.fakes.telegram_state import SERVER_ERROR


def test_entry_point_gives_an_adapter_only_with_a_token():
    factory = load_plugin(ADAPTER_GROUP, "telegram")
    assert factory is create_adapter
    assert create_adapter(Settings()) is None
    adapter = create_adapter(Settings(telegram=TelegramConfig(token="123:abcdefgh")))
    assert isinstance(adapter, TelegramAdapter)
    assert adapter.capabilities == CAPABILITIES
    assert (CAPABILITIES.max_text_len, CAPABILITIES.max_caption_len) == (4096, 1024)
    assert (CAPABILITIES.sends_per_second, CAPABILITIES.per_chat_interval_s) == (30, 1.0)
    assert CAPABILITIES.per_group_per_minute == 20 and CAPABILITIES.markup == "html"
    # the token is registered with the process-wide log masker before anything can log it
    assert MASKER.mask("POST https://api.telegram.org/bot123:abcdefgh/getMe") == (
        "POST https://api.telegram.org/bot***/getMe"
    )


async def test_runs_inside_our_loop_and_stops_cleanly():
    loop = asyncio.get_running_loop()
    before = {t for t in asyncio.all_tasks() if not t.done()}
    async with running_adapter(RecordingCore().services()) as (fake, adapter):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PTB warns when the JobQueue is asked for
            assert adapter.application.job_queue is None  # scheduling is the core's
        assert adapter.application.updater.running
        await fake.wait_calls("getUpdates")
        assert asyncio.get_running_loop() is loop
        polls = fake.calls_to("getUpdates")
        assert polls[0].params["timeout"] == 5
        assert polls[0].params["allowed_updates"] == [
            "message",
            "channel_post",
            "callback_query",
            "my_chat_member",
        ]
    assert not adapter.application.running
    await asyncio.sleep(0)
    leftover = {t for t in asyncio.all_tasks() if not t.done()} - before
    assert leftover == set()
    assert not loop.is_closed()


async def test_updates_are_confirmed_with_offsets_and_not_handled_twice():
    core = RecordingCore()
    async with running_adapter(core.services()) as (fake, _):
        chat = fake.private_chat(5001)
        fake.command(chat, 5001, "/start")
        await fake.wait_for(lambda: len(fake.messages_in(5001)) == 1)
        fake.command(chat, 5001, "/help")
        await fake.wait_for(lambda: len(fake.messages_in(5001)) == 2)
    assert [c.text for c in core.received] == ["/start", "/help"]
    offsets = [c.params.get("offset") for c in fake.calls_to("getUpdates")]
    assert 2 in offsets and 3 in offsets  # each update confirmed by the next poll


async def test_invalid_token_is_a_clear_runtime_failure():
    async with FakeBotApi() as fake:
        config = config_for(fake, token="999:wrong-token-xyz")
        adapter = TelegramAdapter(config, masker=SecretMasker(), commands=SPECS)
        with pytest.raises(RuntimeFailure, match="rejected the bot token"):
            await adapter.start(RecordingCore().services())
        await adapter.stop()


async def test_token_never_reaches_the_logs(caplog):
    masker = SecretMasker()
    caplog.handler.addFilter(masker)
    caplog.set_level(logging.DEBUG)
    async with running_adapter(RecordingCore().services(), masker=masker) as (fake, _):
        fake.command(fake.private_chat(5002), 5002, "/start")
        await fake.wait_for(lambda: len(fake.messages_in(5002)) == 1)
        token = fake.token
    assert any("getUpdates" in r.getMessage() for r in caplog.records)  # httpx logged URLs
    assert token not in caplog.text
    assert "bot***" in caplog.text


async def test_menu_descriptions_are_normalised_and_bad_names_skipped():
    specs = [
        Spec("/Latest", "/latest [TAG]", "Latest   articles"),
        Spec("why", "/why ID", ""),
        Spec("bad-name!", "", "x"),
        Spec("latest", "", "duplicate"),
        Spec("long", "", "d" * 300),
    ]
    commands = bot_commands(specs)
    assert [(c.command, c.description) for c in commands[:2]] == [
        ("latest", "Latest articles"),
        ("why", "/why /why ID"),
    ]
    assert [c.command for c in commands] == ["latest", "why", "long"]
    assert len(commands[2].description) == 256
    async with running_adapter(RecordingCore().services(), commands=specs) as (fake, _):
        (call,) = [c for c in fake.calls_to("setMyCommands") if "language_code" not in c.params]
    assert [c["command"] for c in call.params["commands"]] == ["latest", "why", "long"]


def test_retry_after_seconds_with_int_or_timedelta(monkeypatch):
    assert retry_seconds(RetryAfter(7)) == 7.0
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    assert retry_seconds(RetryAfter(timedelta(seconds=2.5))) == 2.5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_webhook_mode_checks_the_secret_token():
    core = RecordingCore()
    port = _free_port()
    async with running_adapter(
        core.services(),
        webhook_url="https://bot.example.org/tg/hook",
        webhook_listen=f"127.0.0.1:{port}",
        webhook_secret="s3cret-webhook-value",
    ) as (fake, _):
        (call,) = fake.calls_to("setWebhook")
        assert call.params["url"] == "https://bot.example.org/tg/hook"
        assert call.params["secret_token"] == "s3cret-webhook-value"
        assert fake.calls_to("getUpdates") == []
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 6001, "type": "private", "first_name": "W"},
                "from": {"id": 6001, "is_bot": False, "first_name": "W"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        url = f"http://127.0.0.1:{port}/tg/hook"
        async with httpx.AsyncClient() as client:
            wrong = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
            )
            assert wrong.status_code == 403
            right = await client.post(
                url,
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-webhook-value"},
            )
            assert right.status_code == 200
        await fake.wait_for(lambda: len(fake.messages_in(6001)) == 1)
    assert [c.text for c in core.received] == ["/start"]


async def test_one_chat_in_order_while_other_chats_are_not_held_up():
    release = asyncio.Event()
    seen: list[str] = []

    async def handle(command: IncomingCommand) -> Reply:
        seen.append(f"{command.chat.chat_id}:{command.text}")
        if command.text == "/slow":
            await release.wait()
        return Reply(f"done {command.text}")

    async def tags(prefix: str) -> list[str]:
        return []

    async with running_adapter(CoreServices(handle, tags)) as (fake, _):
        slow_chat, other = fake.private_chat(7001), fake.private_chat(7002)
        fake.command(slow_chat, 7001, "/slow")
        fake.command(slow_chat, 7001, "/after")
        fake.command(other, 7002, "/fast")
        await fake.wait_for(lambda: len(fake.messages_in(7002)) == 1)
        assert seen == ["7001:/slow", "7002:/fast"]  # /after waits for /slow, /fast does not
        release.set()
        await fake.wait_for(lambda: len(fake.messages_in(7001)) == 2)
    assert [m["text"] for m in fake.messages_in(7001)] == ["done /slow", "done /after"]


async def test_polling_failure_is_logged_in_one_line_and_polling_goes_on(caplog):
    caplog.set_level(logging.WARNING, logger="adapters.telegram")
    core = RecordingCore()
    async with running_adapter(core.services()) as (fake, _):
        fake.inject(SERVER_ERROR, method="getUpdates")
        fake.command(fake.private_chat(7003), 7003, "/start")
        await fake.wait_for(lambda: len(fake.messages_in(7003)) == 1, within=10)
    failures = [r for r in caplog.records if "polling failed" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is None
    assert "Internal Server Error" in failures[0].getMessage()


def test_bad_webhook_listen_address_is_a_config_error_naming_the_key():
    config = TelegramConfig(
        token="1:abcdefgh", webhook_url="https://x.org/h", webhook_listen="8443"
    )
    with pytest.raises(UserError, match=r"\[telegram\] webhook_listen must be HOST:PORT"):
        TelegramAdapter(config, masker=SecretMasker())
