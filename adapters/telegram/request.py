"""The Bot API client's HTTP requests: at most a few inside httpx at once.

PTB's default is a pool of 256 connections, and a burst of replies (1,000 users sending
a command at once) put hundreds of requests into httpx together. httpcore's pool then
does work proportional to requests x connections on every request added or finished
(each connection checked for expiry with a socket call), and closed all but 20 idle
connections after each wave, so the next wave opened new ones: about two thirds of the
bot's CPU in such a burst went to the pool. Here requests wait their turn in an asyncio
semaphore before httpx, with as many connections as turns, all kept alive: the pool's
bookkeeping stays small. 16 at once is far above what Telegram lets a bot send (about
30 messages a second) at any realistic round trip.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from telegram.request import HTTPXRequest

SLOTS = 16  # requests inside httpx at once (and connections kept)


class TurnTakingRequest(HTTPXRequest):
    """``HTTPXRequest`` with ``slots`` connections and at most ``slots`` requests in it."""

    def __init__(self, slots: int = SLOTS, **kwargs: Any) -> None:
        super().__init__(connection_pool_size=slots, **kwargs)
        self.slots = slots
        # one semaphore per event loop (a CLI command runs its own loop)
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _turn(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        turn = self._turns.get(loop)
        if turn is None:
            turn = self._turns[loop] = asyncio.Semaphore(self.slots)
        return turn

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        async with self._turn():
            return await super().do_request(*args, **kwargs)
