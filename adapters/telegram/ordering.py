"""Process updates concurrently across chats but in order within each chat.

With PTB's plain ``concurrent_updates(True)`` a quick "/subscribe BTC" then
"/unsubscribe BTC" from one user could reach the core in either order; with no
concurrency one slow command would hold up every other user. One lock per chat gives both.
PTB's semaphore is taken before the chat lock (``process_update`` is final), so updates
waiting for their chat hold a slot: the limit is generous so one chatty chat cannot starve
the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of one chat run one after another; different chats run side by side."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._waiting[chat.id] = self._waiting.get(chat.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[chat.id] -= 1
            if not self._waiting[chat.id]:  # nobody queued: forget the chat
                del self._waiting[chat.id]
                self._locks.pop(chat.id, None)

    async def initialize(self) -> None:
        """Nothing to set up: locks are created per chat on demand."""

    async def shutdown(self) -> None:
        self._locks.clear()
        self._waiting.clear()
