"""The settings Mini App: initData checked (HMAC with the bot token, age), only the user's
own chat, changes through the real chat commands; /settings answers with a web_app button
through the real Telegram adapter and the fake Bot API."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from web_support import client, seed

from bot.commands.handler import CommandHandler
from bot.models import ChatRef
from bot.web.miniapp import MiniApp
from bot.web.miniapp_auth import sign
from bot.web.server import WebServer
from bot.web.settings import WebConfig
from bot.web.views import ConsoleViews
from tests.fakes.telegram_harness import RecordingCore, running_adapter

BOT_TOKEN = "123456:miniapp-test-token"
USER = 777  # seed() gives the private chat "777" a subscription to ETH
OTHER = 888


def init_data(user: int, *, token: str = BOT_TOKEN, age_s: float = 5, forge: str = "") -> str:
    fields = {
        "auth_date": str(int(time.time() - age_s)),
        "query_id": "AAF-test",
        "user": json.dumps({"id": user, "first_name": "Ann", "username": "ann"}),
    }
    fields["hash"] = forge or sign(fields, token)
    return urlencode(fields)


class Served:
    def __init__(self, storage):
        clock = lambda: datetime.now(UTC)  # noqa: E731
        self.views = ConsoleViews(storage, lambda: ["telegram"], clock)
        handler = CommandHandler(storage.archive, storage.chats, None, clock)
        app = MiniApp(self.views, handler.handle, BOT_TOKEN)
        config = WebConfig(listen="127.0.0.1:0", password="pw")
        self.server = WebServer(config, self.views, extra=app.routes())

    async def __aenter__(self) -> str:
        await self.server.start()
        return f"http://127.0.0.1:{self.server.port}"

    async def __aexit__(self, *exc) -> None:
        await self.server.stop()


async def test_forged_stale_and_missing_init_data_are_refused(settings, storage):
    await seed(settings, storage)
    cases = {
        "missing": "",
        "forged hash": init_data(USER, forge="0" * 64),
        "another bot's token": init_data(USER, token="999:other"),
        "stale": init_data(USER, age_s=2 * 3600),
        "from the future": init_data(USER, age_s=-600),
    }
    async with Served(storage) as base, client() as http:
        for name, data in cases.items():
            async with http.get(
                f"{base}/miniapp/api/state", headers={"X-Telegram-Init-Data": data}
            ) as response:
                assert response.status == 401, name
                assert "ETH" not in await response.text()
        tampered = init_data(USER).replace("%22Ann%22", "%22Eve%22")  # signed, then changed
        async with http.get(
            f"{base}/miniapp/api/state", headers={"X-Telegram-Init-Data": tampered}
        ) as response:
            assert response.status == 401
        async with http.post(
            f"{base}/miniapp/api/command",
            json={"command": "digest", "args": "hourly"},
            headers={"X-Telegram-Init-Data": init_data(USER, forge="f" * 64)},
        ) as response:
            assert response.status == 401
    chat = await storage.chats.find(ChatRef("telegram", str(USER)))
    assert chat.mode == "instant"


async def test_a_user_manages_only_their_own_chat(settings, storage):
    ids = await seed(settings, storage)
    await storage.chats.get_or_create(ChatRef("telegram", str(OTHER)), title="Other")
    mine = {"X-Telegram-Init-Data": init_data(USER)}
    theirs = {"X-Telegram-Init-Data": init_data(OTHER)}
    async with Served(storage) as base, client() as http:
        async with http.get(f"{base}/miniapp/api/state", headers=mine) as response:
            state = await response.json()
        assert state["chat"]["chat_id"] == str(USER)
        assert state["chat"]["subscription_list"][0]["tags"] == ["ETH"]
        async with http.get(f"{base}/miniapp/api/state?chat={USER}", headers=theirs) as r:
            assert r.status == 403 and "own chat" in (await r.json())["error"]
        async with http.post(
            f"{base}/miniapp/api/subscriptions/{ids['subscription']}",
            json={"active": False},
            headers=theirs,
        ) as response:
            assert response.status == 404  # not a subscription of the other user's chat
        assert [s.id for s in await storage.chats.list_subscriptions(ids["chat"])] == [
            ids["subscription"]
        ]
        async with http.post(
            f"{base}/miniapp/api/subscriptions/{ids['subscription']}",
            json={"active": False},
            headers=mine,
        ) as response:
            assert response.status == 200
        assert await storage.chats.list_subscriptions(ids["chat"]) == []
        (entry, *_) = await storage.audit.recent()
        assert (entry.platform, entry.user_id) == ("telegram", str(USER))


async def test_settings_change_through_the_chat_commands(settings, storage):
    await seed(settings, storage)
    mine = {"X-Telegram-Init-Data": init_data(USER)}
    async with Served(storage) as base, client() as http:
        for command, args in [("digest", "daily 08:30"), ("quiet", "23:00-07:00")]:
            async with http.post(
                f"{base}/miniapp/api/command", json={"command": command, "args": args}, headers=mine
            ) as response:
                answer = await response.json()
                assert response.status == 200 and not answer["error"], answer
        async with http.post(
            f"{base}/miniapp/api/command", json={"command": "quiet", "args": "soon"}, headers=mine
        ) as response:
            answer = await response.json()
        assert answer["error"] and "\n" not in answer["reply"]
        async with http.post(
            f"{base}/miniapp/api/command", json={"command": "broadcast", "args": "x"}, headers=mine
        ) as response:
            assert response.status == 400
        async with http.get(f"{base}/miniapp") as response:
            assert response.status == 200
            csp = response.headers["Content-Security-Policy"]
            assert "frame-ancestors https://web.telegram.org" in csp
            assert "unsafe-inline" not in csp
    chat = await storage.chats.find(ChatRef("telegram", str(USER)))
    assert (chat.mode, chat.digest_schedule, chat.digest_time) == ("digest", "daily", "08:30")
    assert (chat.quiet_start, chat.quiet_end) == ("23:00", "07:00")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_settings_in_telegram_answers_with_a_web_app_button(settings, storage):
    url = "https://console.example.org/miniapp"
    clock = lambda: datetime.now(UTC)  # noqa: E731
    handler = CommandHandler(storage.archive, storage.chats, None, clock, app_url=url)
    services = RecordingCore().services()
    services = type(services)(handler.handle, services.known_tags, services.subscribed_tags)
    async with running_adapter(services) as (fake, _):
        fake.command(fake.private_chat(USER, "Ann", "ann"), USER, "/settings")
        await fake.wait_for(lambda: len(fake.messages_in(USER)) >= 1)
        (reply,) = fake.messages_in(USER)
    (sent,) = [c for c in fake.calls if c.method == "sendMessage"]
    markup = sent.params["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    assert markup["inline_keyboard"][0][0]["web_app"] == {"url": url}
    assert "subscriptions, digest, quiet hours" in reply["text"]
