"""Stopping the Telegram adapter confirms the updates it handled, even when the long poll in
flight at that moment was torn down (issue 15, item 13, second half).

At stop, python-telegram-bot cancels the long poll and calls ``getUpdates`` once more with
the next offset, so Telegram forgets what was handled. Its polling client has ONE pooled
connection by default: when the poll in flight was cut by a connection reset, that
connection was still checked out, the last call waited for it and failed with "Pool
timeout: All connections in the connection pool are occupied ... updates may be fetched
again" -- and the next start handled the same commands a second time.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct

from aiohttp import web

from adapters.telegram.adapter import TelegramAdapter
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_harness import SPECS, RecordingCore, config_for


class ResettingBotApi(FakeBotApi):
    """The next ``resets`` long polls are answered with a TCP reset (a proxy or load
    balancer dropping the connection); other calls, the last ``timeout=0`` poll included,
    are answered normally."""

    resets = 0

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        long_poll = request.match_info["method"] == "getUpdates"
        if long_poll and self.resets > 0:
            params = await self._params(request)
            if int(params.get("timeout") or 0) > 0:
                self.resets -= 1
                sock = request.transport.get_extra_info("socket") if request.transport else None
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                if request.transport is not None:
                    request.transport.abort()
                await asyncio.sleep(3600)  # never answered (the client is gone)
        return await super()._handle(request)


async def test_a_command_is_handled_once_across_a_restart_after_a_reset_long_poll(caplog):
    caplog.set_level(logging.INFO)
    core = RecordingCore()
    async with ResettingBotApi() as fake:
        chat = fake.private_chat(5001)
        first = TelegramAdapter(config_for(fake), commands=SPECS)
        await first.start(core.services())
        try:
            await fake.wait_calls("getUpdates")
            fake.resets = 1  # the poll after the one that brings /start is cut by a reset
            fake.command(chat, 5001, "/start")
            await fake.wait_for(lambda: len(fake.messages_in(5001)) == 1, within=10)
        finally:
            await first.stop()  # at once: the reset poll has not been retried yet

        second = TelegramAdapter(config_for(fake), commands=SPECS)  # the restarted bot
        await second.start(core.services())
        try:
            fake.command(chat, 5001, "/help")
            await fake.wait_for(lambda: len(fake.messages_in(5001)) == 2, within=10)
            await asyncio.sleep(0.5)  # a repeated /start would be handled by now
        finally:
            await second.stop()
    assert [c.text for c in core.received] == ["/start", "/help"]  # nothing twice
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Pool timeout" not in logged and "fetched again" not in logged, logged
